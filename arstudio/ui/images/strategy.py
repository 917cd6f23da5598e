"""How the Images panel fills unknown pixels: strategy, its knob, temperature, seed and how many completions."""

from __future__ import annotations

import random
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QWidget,
)

from arstudio.sampling import SamplerConfig

MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Strategy:
    name: str
    knob: str | None
    """The SamplerConfig field the strategy's value sets, or None."""
    label: str = ""
    minimum: float = 0.0
    maximum: float = 1.0
    default: float = 1.0
    step: float = 0.05
    sampled: bool = True
    """Whether values are drawn (so temperature and the seed matter)."""


STRATEGIES = (
    Strategy("temperature", None),
    Strategy("greedy", "greedy", sampled=False),
    Strategy("top-k", "top_k", "k", 1, 65536, 40, 1),
    Strategy("top-p", "top_p", "p", 0.01, 1.0, 0.9),
    Strategy("min-p", "min_p", "min p", 0.0, 1.0, 0.05, 0.01),
    Strategy("typical", "typical_p", "mass", 0.01, 1.0, 0.9),
    Strategy("beam", "num_beams", "beams", 2, 64, 4, 1, sampled=False),
)


def strategy_config(strategy: Strategy, value: float, temperature: float, seed: int | None) -> SamplerConfig:
    """The SamplerConfig for a strategy with its knob at `value`."""
    if strategy.knob is None:
        return SamplerConfig(temperature=temperature, seed=seed)
    if strategy.knob == "greedy":
        return SamplerConfig(greedy=True, seed=seed)
    if strategy.knob == "num_beams":
        return SamplerConfig(num_beams=int(value), seed=seed)
    setting = int(value) if strategy.step == 1 else float(value)
    return SamplerConfig(temperature=temperature, seed=seed, **{strategy.knob: setting})


class CompletionControls(QGroupBox):
    """The knobs of a completion, the complete and cancel buttons and the progress bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Complete", parent)
        self.strategy_combo = QComboBox(self, objectName="imageStrategyCombo")
        for strategy in STRATEGIES:
            self.strategy_combo.addItem(strategy.name, strategy)
        self.value_spin = QDoubleSpinBox(self, objectName="imageStrategyValueSpin")
        self.value_label = QLabel(self)
        self.temperature_spin = QDoubleSpinBox(self, objectName="imageTemperatureSpin", minimum=0.05, maximum=5.0,
                                               singleStep=0.05, value=1.0)
        self.temperature_spin.setToolTip("Below 1 sharpens each pixel's distribution, above 1 flattens it")
        self.seed_spin = QSpinBox(self, objectName="imageSeedSpin", minimum=0, maximum=MAX_SEED, value=0)
        self.new_seed = QToolButton(self, objectName="newSeedButton", text="New")
        self.new_seed.setToolTip("Draw a new seed; the same seed gives the same completions")
        self.count_spin = QSpinBox(self, objectName="completionCountSpin", minimum=1, maximum=16, value=4)
        self.complete_button = QPushButton("Complete", self, objectName="completeButton")
        self.complete_button.setToolTip("Fill the unknown pixels (Ctrl+Enter)")
        self.cancel_button = QPushButton("Cancel", self, objectName="cancelCompletionButton", enabled=False)
        self.progress = QProgressBar(self, objectName="completionProgress", textVisible=True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.new_seed)
        value_row = QHBoxLayout()
        value_row.addWidget(self.value_label)
        value_row.addWidget(self.value_spin, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.complete_button, 1)
        buttons.addWidget(self.cancel_button)
        form = QFormLayout(self)
        form.addRow("Strategy", self.strategy_combo)
        form.addRow(value_row)
        form.addRow("Temperature", self.temperature_spin)
        form.addRow("Seed", seed_row)
        form.addRow("Completions", self.count_spin)
        form.addRow(buttons)
        form.addRow(self.progress)
        self.strategy_combo.currentIndexChanged.connect(self._strategy_changed)
        self.new_seed.clicked.connect(lambda: self.seed_spin.setValue(random.randint(0, MAX_SEED)))
        self._strategy_changed()

    def set_levels(self, levels: int) -> None:
        """Top-k's range follows the number of levels; its default keeps a quarter of them."""
        top_k = self.strategy_combo.findText("top-k")
        self.strategy_combo.setItemData(top_k, Strategy("top-k", "top_k", "k", 1, levels, max(1, levels // 4), 1))
        self._strategy_changed()

    @property
    def strategy(self) -> Strategy:
        return self.strategy_combo.currentData()

    def select(self, name: str, value: float | None = None) -> None:
        self.strategy_combo.setCurrentIndex(self.strategy_combo.findText(name))
        if value is not None:
            self.value_spin.setValue(value)

    def config(self) -> SamplerConfig:
        return strategy_config(self.strategy, self.value_spin.value(), self.temperature_spin.value(),
                               self.seed_spin.value())

    def set_running(self, running: bool) -> None:
        self.complete_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _strategy_changed(self, *_args) -> None:
        strategy = self.strategy
        has_value = strategy.knob not in (None, "greedy")
        self.value_spin.setVisible(has_value)
        self.value_label.setVisible(has_value)
        if has_value:
            self.value_label.setText(strategy.label)
            self.value_spin.setDecimals(0 if strategy.step == 1 else 2)
            self.value_spin.setRange(strategy.minimum, strategy.maximum)
            self.value_spin.setSingleStep(strategy.step)
            self.value_spin.setValue(strategy.default)
        self.temperature_spin.setEnabled(strategy.sampled)
        self.seed_spin.setEnabled(strategy.sampled)
        self.new_seed.setEnabled(strategy.sampled)
