"""Every SamplerConfig knob as a slider + spin box (range, label and help from arstudio.sampling.knobs), a
seed, named presets, and a checkable list of presets for comparisons; reusable by any panel."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSlider,
    QSpinBox,
    QWidget,
)

from arstudio.app.presets import Preset
from arstudio.errors import UserError
from arstudio.sampling import SamplerConfig
from arstudio.sampling.knobs import FILTERS, KNOB, TEMPERATURE, Knob

CUSTOM = "custom"
MAX_SEED = 2**31 - 1
PRESET_ROLE = Qt.ItemDataRole.UserRole
SLIDERS = ("temperature", "top_k", "top_p", "min_p", "typical_p", "repetition_penalty", "repetition_window",
           "num_beams", "length_penalty")
"""The knobs shown as sliders, top to bottom."""
KNOBS = tuple(KNOB[name] for name in SLIDERS)


class KnobRow:
    """A slider and a spin box that always show the same value."""

    def __init__(self, knob: Knob, parent: QWidget) -> None:
        self.knob = knob
        slider = knob.slider
        assert slider is not None, f"{knob.name} has no slider range"
        self.scale = 1.0 / slider.step
        self.label = QLabel(knob.label, parent)
        self.slider = QSlider(Qt.Orientation.Horizontal, parent, objectName=f"{knob.name}Slider")
        self.slider.setRange(round(slider.minimum * self.scale), round(slider.maximum * self.scale))
        if knob.kind is int:
            self.spin: QSpinBox | QDoubleSpinBox = QSpinBox(parent)
        else:
            self.spin = QDoubleSpinBox(parent)
            self.spin.setDecimals(max(0, len(f"{slider.step:g}".partition(".")[2])))
            self.spin.setSingleStep(slider.step)
        self.spin.setObjectName(f"{knob.name}Spin")
        self.spin.setRange(slider.minimum, slider.maximum)
        self.spin.setSpecialValueText(slider.off)
        self.spin.setMinimumWidth(72)
        for widget in (self.label, self.slider, self.spin):
            widget.setToolTip(knob.help)
        self.slider.valueChanged.connect(lambda v: self.spin.setValue(v / self.scale))
        self.spin.valueChanged.connect(self._spin_changed)

    def _spin_changed(self, value: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round(value * self.scale))
        self.slider.blockSignals(False)

    def value(self) -> float | int:
        return int(self.spin.value()) if self.knob.kind is int else float(self.spin.value())

    def set_value(self, value: float) -> None:
        self.spin.setValue(value)

    def set_enabled(self, enabled: bool) -> None:
        for widget in (self.label, self.slider, self.spin):
            widget.setEnabled(enabled)


class SamplerControls(QWidget):
    """Presets combo, every knob, greedy / early stopping and a seed. `changed` fires on any edit."""

    changed = Signal()

    def __init__(self, presets: list[Preset] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("samplerControls")
        self.presets: list[Preset] = []
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        self.preset_combo = QComboBox(self, objectName="presetCombo")
        self.preset_combo.setToolTip("Named strategies; editing a knob makes the settings 'custom'.")
        self.preset_combo.currentIndexChanged.connect(self._preset_chosen)
        grid.addWidget(QLabel("Preset"), 0, 0)
        grid.addWidget(self.preset_combo, 0, 1, 1, 2)
        self.greedy = QCheckBox("Greedy (always the most probable value)", self, objectName="greedyCheck")
        grid.addWidget(self.greedy, 1, 0, 1, 3)
        self.rows: dict[str, KnobRow] = {}
        for i, knob in enumerate(KNOBS, 2):
            row = self.rows[knob.name] = KnobRow(knob, self)
            grid.addWidget(row.label, i, 0)
            grid.addWidget(row.slider, i, 1)
            grid.addWidget(row.spin, i, 2)
            row.spin.valueChanged.connect(self._edited)
        last = len(KNOBS) + 2
        self.early_stopping = QCheckBox("Beams stop at the end symbol", self, objectName="earlyStoppingCheck")
        self.early_stopping.setChecked(True)
        grid.addWidget(self.early_stopping, last, 0, 1, 3)
        self.seed_spin = QSpinBox(self, objectName="seedSpin")
        self.seed_spin.setRange(-1, MAX_SEED)
        self.seed_spin.setSpecialValueText("random")
        self.seed_spin.setValue(0)
        self.seed_spin.setToolTip("The same seed gives the same text; 'random' draws a new one each time.")
        grid.addWidget(QLabel("Seed"), last + 1, 0)
        grid.addWidget(self.seed_spin, last + 1, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        for box in (self.greedy, self.early_stopping):
            box.toggled.connect(self._edited)
        self.seed_spin.valueChanged.connect(lambda _: self.changed.emit())
        self.set_config(SamplerConfig())
        self.set_presets(presets or [])

    def set_presets(self, presets: list[Preset]) -> None:
        self.presets = list(presets)
        self.preset_combo.blockSignals(True)
        self.preset_combo.clear()
        self.preset_combo.addItems([p.name for p in self.presets] + [CUSTOM])
        self.preset_combo.blockSignals(False)
        self._sync_combo()

    def set_levels(self, levels: int) -> None:
        """Top-k goes up to the model's number of values K."""
        row = self.rows["top_k"]
        row.slider.setMaximum(levels)
        row.spin.setMaximum(levels)

    @property
    def seed(self) -> int | None:
        value = self.seed_spin.value()
        return None if value < 0 else value

    def config(self) -> SamplerConfig:
        """The knobs and the seed as a SamplerConfig (UserError if a combination is invalid)."""
        values = {name: row.value() for name, row in self.rows.items()}
        return SamplerConfig(**values, greedy=self.greedy.isChecked(), early_stopping=self.early_stopping.isChecked(),
                             seed=self.seed)

    def set_config(self, config: SamplerConfig, keep_seed: bool = True) -> None:
        """Show `config` in the knobs; its seed too unless `keep_seed`."""
        self.blockSignals(True)
        for name, row in self.rows.items():
            row.set_value(getattr(config, name))
        self.greedy.setChecked(config.greedy)
        self.early_stopping.setChecked(config.early_stopping)
        if not keep_seed:
            self.seed_spin.setValue(-1 if config.seed is None else config.seed)
        self.blockSignals(False)
        self._update_enabled()
        self._sync_combo()
        self.changed.emit()

    def select_preset(self, name: str) -> None:
        index = self.preset_combo.findText(name)
        if index >= 0:
            self.preset_combo.setCurrentIndex(index)

    def _preset_chosen(self, index: int) -> None:
        if 0 <= index < len(self.presets):
            self.set_config(self.presets[index].config)

    def _edited(self) -> None:
        if self.signalsBlocked():
            return
        self._update_enabled()
        self._sync_combo()
        self.changed.emit()

    def _sync_combo(self) -> None:
        """Show the preset the knobs match, or 'custom'."""
        try:
            current = dataclasses.replace(self.config(), seed=None)
        except UserError:
            current = None
        match = next((i for i, p in enumerate(self.presets) if dataclasses.replace(p.config, seed=None) == current),
                     len(self.presets))
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(match)
        self.preset_combo.blockSignals(False)

    def _update_enabled(self) -> None:
        beams = self.rows["num_beams"].value() > 1
        self.greedy.setEnabled(not beams)
        for knob in (TEMPERATURE, *FILTERS):
            self.rows[knob.name].set_enabled(not beams and not self.greedy.isChecked())
        self.rows["length_penalty"].set_enabled(beams)
        self.early_stopping.setEnabled(beams)


class PresetList(QListWidget):
    """Which strategies a comparison runs: every preset, ticked or not, renamable in place."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("comparePresetList")
        self.setToolTip("Tick the strategies to compare; double-click a name to rename it.")

    def set_presets(self, presets: list[Preset]) -> None:
        """Show `presets`, ticking those marked for comparison."""
        self.clear()
        for preset in presets:
            self.add_preset(preset)

    def add_preset(self, preset: Preset) -> QListWidgetItem:
        item = QListWidgetItem(preset.name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEditable)
        item.setCheckState(Qt.CheckState.Checked if preset.compare else Qt.CheckState.Unchecked)
        item.setToolTip(preset.config.describe())
        item.setData(PRESET_ROLE, preset.config)
        self.addItem(item)
        return item

    def presets(self) -> list[Preset]:
        """Every preset in list order, named as shown and marked as ticked."""
        items = [self.item(i) for i in range(self.count())]
        return [Preset(item.text().strip() or item.data(PRESET_ROLE).describe(), item.data(PRESET_ROLE),
                       item.checkState() == Qt.CheckState.Checked) for item in items]

    def checked(self) -> list[Preset]:
        return [p for p in self.presets() if p.compare]

    def set_checked(self, names: list[str]) -> None:
        for i in range(self.count()):
            item = self.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in names else Qt.CheckState.Unchecked)

    def remove_selected(self) -> None:
        for item in self.selectedItems():
            self.takeItem(self.row(item))
