"""Choosing what to train: family, data set, hyper-parameters and training settings."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from arstudio.data import DATASETS, USER_PREFIX, DataSpec, dataset_spec
from arstudio.errors import UserError
from arstudio.models import FAMILIES
from arstudio.training.compilation import CHOICES as COMPILE_CHOICES
from arstudio.training.config import TrainConfig
from arstudio.training.device import available_devices
from arstudio.ui.train.hparam_form import HyperParameterForm

OPEN_DATA = "Open folder/file…"
DEFAULT_FAMILY = "made"
DEFAULT_DATASET = "binary-digits"


class SetupPanel(QWidget):
    """Emits `trainRequested` with a validated TrainConfig; shows UserErrors through `errorRaised`."""

    trainRequested = Signal(object)
    errorRaised = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.specs: dict[str, DataSpec] = {name: dataset_spec(name) for name in DATASETS}
        self.family_combo = QComboBox(objectName="familyCombo")
        for info in FAMILIES.values():
            self.family_combo.addItem(info.title, info.name)
            self.family_combo.setItemData(self.family_combo.count() - 1, info.description, 3)
        self.dataset_combo = QComboBox(objectName="datasetCombo")
        self.dataset_combo.setToolTip("Only data sets this family can model are listed.")
        self.data_label = QLabel(objectName="dataSpecLabel")
        self.data_label.setWordWrap(True)
        self.hparams = HyperParameterForm()

        self.device_combo = QComboBox(objectName="deviceCombo")
        self.device_combo.addItems(["auto", *available_devices()])
        self.device_combo.setToolTip("auto picks CUDA, then Apple MPS, then the CPU.")
        self.compile_combo = QComboBox(objectName="compileCombo")
        self.compile_combo.addItems(list(COMPILE_CHOICES))
        self.compile_combo.setCurrentText("off")
        self.compile_combo.setToolTip(
            "torch.compile the training step. auto: only where it was measured faster (NADE on the CPU, 1.5x) and "
            "a C++ compiler is present; on: always. Off by default here: compiling takes a few seconds and holds "
            "up the window for a fraction of a second now and then, which pays off only in long runs.")
        self.batch_spin = _spin(0, 4096, 0, "Examples per step; auto holds about 8k positions.", "auto")
        self.steps_spin = _spin(1, 10_000_000, 2000, "Optimisation steps.")
        self.lr_spin = QDoubleSpinBox(objectName="lrSpin")
        self.lr_spin.setDecimals(6)
        self.lr_spin.setRange(0.0, 1e6)
        self.lr_spin.setSingleStep(1e-4)
        self.lr_spin.setSpecialValueText("family default")
        self.lr_spin.setToolTip("AdamW learning rate with warm-up and cosine decay; 0 uses the family's default.")
        self.seed_spin = _spin(0, 2**31 - 1, 0, "Seed of the initial weights and the batch order.")

        self.train_button = QPushButton("Train", objectName="trainButton")
        self.train_button.setToolTip("Start training (Ctrl+Return); while runs train, the new run waits in the "
                                     "queue (the runs table's At once sets how many train together)")
        self.pause_button = QPushButton("Pause", objectName="pauseButton")
        self.pause_button.setCheckable(True)
        self.stop_button = QPushButton("Stop", objectName="stopButton")
        self.stop_button.setToolTip("Stop and keep a checkpoint (Esc)")
        self.set_running(False)

        model_box = QGroupBox("Model and data")
        model_form = QFormLayout(model_box)
        model_form.addRow("Family", self.family_combo)
        model_form.addRow("Data set", self.dataset_combo)
        model_form.addRow(self.data_label)
        hparam_box = QGroupBox("Hyper-parameters")
        QVBoxLayout(hparam_box).addWidget(self.hparams)
        train_box = QGroupBox("Training")
        train_form = QFormLayout(train_box)
        train_form.addRow("Device", self.device_combo)
        train_form.addRow("Compile", self.compile_combo)
        train_form.addRow("Batch size", self.batch_spin)
        train_form.addRow("Steps", self.steps_spin)
        train_form.addRow("Learning rate", self.lr_spin)
        train_form.addRow("Seed", self.seed_spin)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (model_box, hparam_box, train_box):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        layout.addStretch(1)

        self.family_combo.currentIndexChanged.connect(self._family_changed)
        self.dataset_combo.activated.connect(self._dataset_activated)
        self.dataset_combo.currentIndexChanged.connect(self._show_spec)
        self.train_button.clicked.connect(self.request_training)
        self.select(DEFAULT_FAMILY, DEFAULT_DATASET)

    @property
    def family(self) -> str:
        return self.family_combo.currentData()

    @property
    def dataset(self) -> str:
        return self.dataset_combo.currentData() or ""

    def select(self, family: str, dataset: str | None = None, hparams: dict[str, Any] | None = None) -> None:
        index = self.family_combo.findData(family)
        self.family_combo.setCurrentIndex(max(index, 0))
        self._family_changed(hparams)
        if dataset:
            found = self.dataset_combo.findData(dataset)
            if found >= 0:
                self.dataset_combo.setCurrentIndex(found)
        if hparams and hparams.get("conditional"):
            # Set again once the labelled data set is chosen: under the family's default data it was offered off.
            self.hparams.check("conditional")

    def set_running(self, running: bool) -> None:
        """Pause and Stop while the watched run trains; Train and the form stay free (a new run joins the queue)."""
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        if not running:
            self.pause_button.setChecked(False)

    def config(self) -> TrainConfig:
        """The training settings as they stand; UserError when they cannot work."""
        if not self.dataset or self.dataset == OPEN_DATA:
            raise UserError("Choose a data set first.")
        return TrainConfig(
            family=self.family, dataset=self.dataset, hparams=self.hparams.values(), steps=self.steps_spin.value(),
            batch_size=self.batch_spin.value() or None, lr=self.lr_spin.value() or None,
            device=self.device_combo.currentText(), seed=self.seed_spin.value(),
            compile=self.compile_combo.currentText(), eval_every=max(1, min(200, self.steps_spin.value() // 10)),
        )

    def state(self) -> dict[str, Any]:
        """Everything the panel shows, as JSON-ready values (the window remembers it across restarts)."""
        return {"family": self.family, "dataset": self.dataset, "hparams": self.hparams.values(),
                "steps": self.steps_spin.value(), "batch_size": self.batch_spin.value(), "lr": self.lr_spin.value(),
                "device": self.device_combo.currentText(), "seed": self.seed_spin.value(),
                "compile": self.compile_combo.currentText()}

    def restore(self, state: dict[str, Any]) -> None:
        """Show a remembered `state()`; values that no longer fit (a family renamed, a GPU gone) are skipped."""
        hparams = state.get("hparams")
        if state.get("family") in FAMILIES:
            self.select(state["family"], state.get("dataset"), hparams if isinstance(hparams, dict) else None)
        for spin, key in ((self.steps_spin, "steps"), (self.batch_spin, "batch_size"), (self.seed_spin, "seed"),
                          (self.lr_spin, "lr")):
            value = state.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                spin.setValue(value)
        for combo, key in ((self.device_combo, "device"), (self.compile_combo, "compile")):
            found = combo.findText(str(state.get(key, "")))
            if found >= 0:
                combo.setCurrentIndex(found)

    def request_training(self) -> None:
        try:
            self.trainRequested.emit(self.config())
        except UserError as exc:
            self.errorRaised.emit(str(exc))

    def add_user_data(self, path: str) -> None:
        """Offer `path` as a data set (after reading its spec, which checks it)."""
        name = f"{USER_PREFIX}{path}"
        try:
            self.specs[name] = dataset_spec(name)
        except UserError as exc:
            self.errorRaised.emit(str(exc))
            return
        self._family_changed()
        found = self.dataset_combo.findData(name)
        if found >= 0:
            self.dataset_combo.setCurrentIndex(found)
        else:
            self.errorRaised.emit(f"{FAMILIES[self.family].title} cannot model {self.specs[name].kind} data; "
                                  "choose a family that accepts it.")

    def _family_changed(self, hparams: dict[str, Any] | None = None) -> None:
        info = FAMILIES[self.family]
        self.hparams.set_family(info, hparams if isinstance(hparams, dict) else None)
        current = self.dataset
        self.dataset_combo.blockSignals(True)
        self.dataset_combo.clear()
        for name, spec in self.specs.items():
            if info.accepts(spec):
                label = name if not name.startswith(USER_PREFIX) else f"{name[len(USER_PREFIX):]} (your data)"
                self.dataset_combo.addItem(label, name)
        self.dataset_combo.addItem(OPEN_DATA, OPEN_DATA)
        found = self.dataset_combo.findData(current)
        self.dataset_combo.setCurrentIndex(found if found >= 0 else 0)
        self.dataset_combo.blockSignals(False)
        self._show_spec()

    def _dataset_activated(self) -> None:
        if self.dataset != OPEN_DATA:
            return
        self.dataset_combo.setCurrentIndex(0)
        path = QFileDialog.getExistingDirectory(self, "Open a folder of data")
        if path:
            self.add_user_data(path)

    def _show_spec(self) -> None:
        spec = self.specs.get(self.dataset)
        if spec is None:
            self.data_label.setText("")
            return
        shape = "×".join(map(str, spec.shape))
        labels = "".join(f"; {label.name} labels ({label.size})" for label in spec.labels)
        self.data_label.setText(f"{spec.kind}, {shape}, {spec.levels} levels{labels}; "
                                f"uniform baseline {spec.uniform_nll:.1f} nats")
        self.hparams.offer("conditional", bool(spec.labels),
                           f"{self.dataset} carries no labels; choose a labelled data set (digits, mnist, ...).")


def _spin(low: int, high: int, value: int, tip: str, special: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setToolTip(tip)
    if special:
        spin.setSpecialValueText(special)
    return spin
