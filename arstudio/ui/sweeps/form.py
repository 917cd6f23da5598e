"""The settings of a new sweep: the ordering lab's or the scaling sweep's, with first-click defaults."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLineEdit,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from arstudio.data import DATASETS, dataset_spec
from arstudio.errors import UserError
from arstudio.models import FAMILIES
from arstudio.training.sweeps import (
    KINDS,
    ORDERING_FAMILIES,
    ORDERING_HELP,
    ORDERING_LAB,
    ORDERINGS,
    SCALING_FAMILIES,
    TITLES,
    SweepPlan,
    ordering_lab,
    plan_ordering_lab,
    plan_scaling,
    scaling,
)

SAME_STEPS, SAME_COMPUTE = "Same steps for every size", "Same compute for every size"
SCALING_DATASETS = {"transformer": "pydocs", "pixelcnn": "binary-digits"}
SCALING_SIZES = {"transformer": "16,32,48,64", "pixelcnn": "8,16,32"}
SCALING_LAYERS = {"transformer": 2, "pixelcnn": 0}


def camel(name: str) -> str:
    return name[:1].upper() + name[1:]


def fill_datasets(combo: QComboBox, family: str, preferred: str) -> None:
    """The built-in data sets `family` accepts, `preferred` selected."""
    combo.blockSignals(True)
    combo.clear()
    for name in DATASETS:
        if FAMILIES[family].accepts(dataset_spec(name)):
            combo.addItem(name)
    combo.setCurrentIndex(max(0, combo.findText(preferred)))
    combo.blockSignals(False)


class OrderingForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QFormLayout(self)
        self.family = QComboBox(objectName="sweepFamilyCombo")
        for family in ORDERING_FAMILIES:
            self.family.addItem(FAMILIES[family].title, family)
        self.family.setToolTip("Families that take an explicit ordering (PixelCNN, WaveNet and the Transformer "
                               "are raster by construction).")
        self.dataset = QComboBox(objectName="sweepDatasetCombo")
        self.boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        for index, name in enumerate(ORDERINGS):
            box = QCheckBox(name, objectName=f"sweepOrdering{camel(name)}", checked=True)
            box.setToolTip(ORDERING_HELP[name])
            self.boxes[name] = box
            grid.addWidget(box, index // 2, index % 2)
        self.seeds = QSpinBox(objectName="sweepSeedsSpin", minimum=1, maximum=10, value=ordering_lab.DEFAULTS["seeds"])
        self.seeds.setToolTip("Runs per ordering; seed s of every ordering shares its data split and initial weights.")
        self.steps = QSpinBox(objectName="sweepStepsSpin", minimum=10, maximum=100_000, singleStep=100,
                              value=ordering_lab.DEFAULTS["steps"])
        self.hidden = QSpinBox(objectName="sweepHiddenSpin", minimum=8, maximum=4096, singleStep=16,
                               value=ordering_lab.DEFAULTS["hparams"]["hidden"])
        layout.addRow("Family", self.family)
        layout.addRow("Data set", self.dataset)
        layout.addRow("Orderings", grid)
        layout.addRow("Seeds", self.seeds)
        layout.addRow("Steps per run", self.steps)
        layout.addRow("Hidden units", self.hidden)
        self.family.currentIndexChanged.connect(self._family_changed)
        self._family_changed()

    def plan(self) -> SweepPlan:
        family = self.family.currentData()
        chosen = [name for name, box in self.boxes.items() if box.isChecked() and box.isEnabled()]
        return plan_ordering_lab(family, self.dataset.currentText(), chosen, self.seeds.value(), self.steps.value(),
                                 {"hidden": self.hidden.value()})

    def _family_changed(self) -> None:
        family = self.family.currentData()
        fill_datasets(self.dataset, family, self.dataset.currentText() or ordering_lab.DEFAULTS["dataset"])
        self.boxes["agnostic"].setEnabled(family == "made")


class ScalingForm(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QFormLayout(self)
        self.family = QComboBox(objectName="sweepScalingFamilyCombo")
        for family in SCALING_FAMILIES:
            self.family.addItem(FAMILIES[family].title, family)
        self.dataset = QComboBox(objectName="sweepScalingDatasetCombo")
        self.dataset.setToolTip("pydocs is cut into 32-byte windows here, so a CPU trains the series in minutes.")
        self.sizes = QLineEdit(objectName="sweepSizesEdit")
        self.budget_kind = QComboBox(objectName="sweepBudgetCombo")
        self.budget_kind.addItems([SAME_STEPS, SAME_COMPUTE])
        self.budget_kind.setToolTip("Same steps: every size sees the same data, so compute grows with N (the "
                                    "curve in N). Same compute: C = 6·N·tokens is fixed, so bigger sizes train "
                                    "fewer steps (which size is best for a budget).")
        self.steps = QSpinBox(objectName="sweepScalingStepsSpin", minimum=10, maximum=100_000, singleStep=100,
                              value=scaling.DEFAULTS["steps"])
        self.budget = QLineEdit("3e11", objectName="sweepBudgetEdit")
        self.budget.setToolTip("Training FLOPs per size, C = 6·N·tokens, e.g. 3e11.")
        self.layers = QSpinBox(objectName="sweepLayersSpin", minimum=0, maximum=12)
        layout.addRow("Family", self.family)
        layout.addRow("Data set", self.dataset)
        layout.addRow("Sizes (widths)", self.sizes)
        layout.addRow("Budget", self.budget_kind)
        layout.addRow("Steps per size", self.steps)
        layout.addRow("FLOPs per size", self.budget)
        layout.addRow("Layers", self.layers)
        self.form = layout
        self.family.currentIndexChanged.connect(self._family_changed)
        self.budget_kind.currentIndexChanged.connect(self._budget_changed)
        self._family_changed()
        self._budget_changed()

    def plan(self) -> SweepPlan:
        family = self.family.currentData()
        try:
            sizes = [int(part) for part in self.sizes.text().split(",") if part.strip()]
        except ValueError:
            raise UserError("Write the sizes as whole numbers separated by commas, e.g. 16,32,64.") from None
        budget = steps = None
        if self.budget_kind.currentText() == SAME_COMPUTE:
            try:
                budget = float(self.budget.text())
            except ValueError:
                raise UserError("Write the budget as a number of FLOPs, e.g. 3e11.") from None
        else:
            steps = self.steps.value()
        return plan_scaling(family, self.dataset.currentText(), sizes, budget, steps, {"layers": self.layers.value()})

    def _family_changed(self) -> None:
        family = self.family.currentData()
        fill_datasets(self.dataset, family, SCALING_DATASETS[family])
        self.sizes.setText(SCALING_SIZES[family])
        self.sizes.setToolTip(f"Comma-separated values of {scaling.SIZE_HPARAM[family]}.")
        self.layers.setMinimum(1 if family == "transformer" else 0)
        self.layers.setValue(SCALING_LAYERS[family])
        self.layers.setToolTip("Transformer blocks." if family == "transformer"
                               else "Gated layers (0 = just enough to see the whole image).")

    def _budget_changed(self) -> None:
        compute = self.budget_kind.currentText() == SAME_COMPUTE
        self.form.setRowVisible(self.steps, not compute)
        self.form.setRowVisible(self.budget, compute)


class SweepForm(QWidget):
    """The kind of sweep (sweepKindCombo) above the settings of that kind; `plan()` makes its runs."""

    kindChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox(objectName="sweepKindCombo")
        for kind in KINDS:
            self.kind.addItem(TITLES[kind], kind)
        self.ordering = OrderingForm()
        self.scaling = ScalingForm()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.ordering)
        self.pages.addWidget(self.scaling)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.kind)
        layout.addWidget(self.pages)
        layout.addStretch(1)
        self.kind.currentIndexChanged.connect(self._kind_changed)

    def current_kind(self) -> str:
        return self.kind.currentData()

    def set_kind(self, kind: str) -> None:
        self.kind.setCurrentIndex(self.kind.findData(kind))

    def plan(self) -> SweepPlan:
        return (self.ordering if self.current_kind() == ORDERING_LAB else self.scaling).plan()

    def _kind_changed(self) -> None:
        self.pages.setCurrentIndex(self.kind.currentIndex())
        self.kindChanged.emit(self.current_kind())
