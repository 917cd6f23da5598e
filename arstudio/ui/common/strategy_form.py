"""A decoding strategy from arstudio.sampling.strategies, the knob it uses, the temperature and a seed."""

from __future__ import annotations

import random
import secrets

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QSpinBox, QToolButton, QWidget

from arstudio.sampling import SamplerConfig
from arstudio.sampling.knobs import TEMPERATURE, Range
from arstudio.sampling.strategies import STRATEGIES, TEMPERATURE_EDITOR, Strategy, find_strategy
from arstudio.ui.common.sampler_controls import MAX_SEED

RANDOM_SEED = -1


def editor(name: str, editing: Range, value: float, integer: bool, tip: str) -> QSpinBox | QDoubleSpinBox:
    """A spin box over ``editing`` showing ``value``; whole numbers for an integer knob."""
    box: QSpinBox | QDoubleSpinBox = QSpinBox() if integer else QDoubleSpinBox(decimals=2)
    box.setObjectName(name)
    box.setRange(editing.minimum, editing.maximum)
    box.setSingleStep(editing.step)
    box.setValue(value)
    box.setToolTip(tip)
    return box


def camel(name: str) -> str:
    """A field name as it appears in an object name: "top_k" -> "TopK"."""
    return "".join(part.title() for part in name.split("_"))


class StrategyForm(QWidget):
    """A strategy, the knob it uses (the temperature too when it samples) and a seed; `config()` makes the
    SamplerConfig. Object names start with `prefix` (e.g. "audioStrategyCombo"). With `random_seed` the seed
    may be 'random' (drawn in `config()`), else it is a number with a New button that draws one."""

    def __init__(self, prefix: str, seed_help: str, random_seed: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.random_seed = random_seed
        self.combo = QComboBox(objectName=f"{prefix}StrategyCombo")
        for strategy in STRATEGIES:
            self.combo.addItem(strategy.title, strategy)
        self.temperature = editor(f"{prefix}TemperatureSpin", TEMPERATURE_EDITOR, TEMPERATURE.default, False,
                                  TEMPERATURE.help)
        self.editors = {s.name: editor(f"{prefix}{camel(s.knob.name)}Spin", s.editor, s.default, s.knob.kind is int,
                                       s.knob.help)
                        for s in STRATEGIES if s.knob is not None and s.editor is not None}
        self.top_k, self.top_p, self.min_p, self.typical_p, self.beams = (
            self.editors[name] for name in ("top-k", "top-p", "min-p", "typical", "beam"))
        self.seed = QSpinBox(objectName=f"{prefix}SeedSpin", maximum=MAX_SEED, toolTip=seed_help)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("Strategy", self.combo)
        self.form.addRow("Temperature", self.temperature)
        for strategy in STRATEGIES:
            if strategy.name in self.editors:
                self.form.addRow(strategy.label, self.editors[strategy.name])
        self.form.addRow("Seed", self._seed_row())
        self.combo.currentIndexChanged.connect(self._show_knobs)
        self._show_knobs()

    def _seed_row(self) -> QWidget:
        if self.random_seed:
            self.seed.setMinimum(RANDOM_SEED)
            self.seed.setSpecialValueText("random")
            self.seed.setValue(RANDOM_SEED)
            return self.seed
        new_seed = QToolButton(objectName="newSeedButton", text="New", toolTip="Draw a new seed")
        new_seed.clicked.connect(lambda: self.seed.setValue(random.randint(0, MAX_SEED)))
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.seed, 1)
        layout.addWidget(new_seed)
        return row

    @property
    def strategy(self) -> Strategy:
        return self.combo.currentData()

    def select(self, name: str, value: float | None = None) -> None:
        """Choose the strategy called `name` ("top-k" or "top_k"), and set its knob to `value` if given."""
        strategy = find_strategy(name)
        self.combo.setCurrentIndex(self.combo.findText(strategy.title))
        if value is not None and strategy.name in self.editors:
            self.editors[strategy.name].setValue(value)

    def set_levels(self, levels: int) -> None:
        """Top-k's range follows the model's number of values; its value keeps a quarter of them."""
        self.top_k.setRange(1, levels)
        self.top_k.setValue(max(1, levels // 4))

    def config(self) -> SamplerConfig:
        """The chosen strategy; a 'random' seed is drawn here, small enough to type back into the seed box."""
        strategy = self.strategy
        value = self.editors[strategy.name].value() if strategy.name in self.editors else None
        seed = self.seed.value()
        if seed == RANDOM_SEED and self.random_seed:
            seed = secrets.randbelow(MAX_SEED + 1)
        return strategy.config(value, self.temperature.value(), seed)

    def _show_knobs(self) -> None:
        strategy = self.strategy
        self.form.setRowVisible(self.temperature, strategy.sampled)
        for name, box in self.editors.items():
            self.form.setRowVisible(box, name == strategy.name)
