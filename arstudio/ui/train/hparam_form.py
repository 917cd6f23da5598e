"""A form of a family's hyper-parameters, built from FAMILIES: ranges, choices and tooltips included."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from arstudio.models import FamilyInfo


class HyperParameterForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hparamForm")
        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.editors: dict[str, QWidget] = {}

    def set_family(self, info: FamilyInfo, values: dict[str, Any] | None = None) -> None:
        """Show `info`'s hyper-parameters with `values` (or the defaults)."""
        while self.layout_.rowCount():
            self.layout_.removeRow(0)
        self.editors = {}
        values = {**info.defaults, **(values or {})}
        for name, default in info.defaults.items():
            description, low, high = info.help[name]
            editor = _editor_for(default, low, high, auto_when_zero="(0 =" in description)
            _set_value(editor, values[name])
            tip = description
            if isinstance(low, tuple):
                tip += f" Choices: {', '.join(low)}."
            elif low is not None:
                tip += f" Range {low} to {high}; default {default}."
            editor.setToolTip(tip)
            editor.setObjectName(f"hparam_{name}")
            self.layout_.addRow(name.replace("_", " "), editor)
            self.editors[name] = editor

    def offer(self, name: str, available: bool, why_not: str) -> None:
        """Enable a flag only where the data allows it (conditional needs labels); a disabled one is off, says why."""
        editor = self.editors.get(name)
        if not isinstance(editor, QCheckBox):
            return
        tip = editor.property("helpText") or editor.toolTip()
        editor.setProperty("helpText", tip)
        editor.setEnabled(available)
        if not available:
            editor.setChecked(False)
        editor.setToolTip(tip if available else f"{tip} {why_not}")

    def check(self, name: str) -> None:
        """Tick the flag `name` where the data allows it."""
        editor = self.editors.get(name)
        if isinstance(editor, QCheckBox) and editor.isEnabled():
            editor.setChecked(True)

    def values(self) -> dict[str, Any]:
        return {name: _get_value(editor) for name, editor in self.editors.items()}


def _editor_for(default: Any, low: Any, high: Any, auto_when_zero: bool) -> QWidget:
    if isinstance(low, tuple):
        combo = QComboBox()
        combo.addItems(list(low))
        return combo
    if isinstance(default, bool):
        return QCheckBox()
    if isinstance(default, int):
        spin = QSpinBox()
        spin.setRange(int(low), int(high))
        if auto_when_zero:
            spin.setSpecialValueText("auto")
        return spin
    spin = QDoubleSpinBox()
    spin.setDecimals(3)
    spin.setSingleStep(0.05)
    spin.setRange(float(low), float(high))
    return spin


def _set_value(editor: QWidget, value: Any) -> None:
    if isinstance(editor, QComboBox):
        editor.setCurrentText(str(value))
    elif isinstance(editor, QCheckBox):
        editor.setChecked(bool(value))
    else:
        editor.setValue(value)


def _get_value(editor: QWidget) -> Any:
    if isinstance(editor, QComboBox):
        return editor.currentText()
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    return editor.value()
