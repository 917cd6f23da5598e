"""The Audio panel's forms: where a clip starts (primer) and how each sample is chosen (strategy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)
from torch import Tensor

from arstudio.app.model_source import LoadedModel
from arstudio.data.files.audio import read_audio
from arstudio.data.mulaw import MU, mu_law_encode
from arstudio.errors import UserError
from arstudio.ui.common.strategy_form import StrategyForm

PRIMERS = {"none": "None (start from silence)", "dataset": "Data-set clip", "file": "WAV file"}
TEST_CLIPS = 64
SEED_HELP = ("The same seed, settings and primer give the same clip; 'random' draws a new seed each time (shown "
             "after generating, so it can be typed in here).")


def to_levels(samples: np.ndarray, levels: int) -> np.ndarray:
    """Float samples in [-1, 1] -> mu-law codes 0..levels-1 (the inverse of export.waveform)."""
    codes = mu_law_encode(samples)
    if levels != MU + 1:
        codes = np.rint(codes * ((levels - 1) / MU)).astype(np.int64)
    return codes


def double_spin(low: float, high: float, value: float, step: float, decimals: int = 2) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    return box


def int_spin(low: int, high: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    return box


def strategy_form() -> StrategyForm:
    """How each sample is chosen: the shared strategy form, whose 'random' seed is drawn for each clip."""
    return StrategyForm("audio", SEED_HELP, random_seed=True)


class PrimerForm(QWidget):
    """Where the clip starts: silence, the opening of a test clip of the model's data set, or a WAV file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loaded: LoadedModel | None = None
        self._examples: Tensor | None = None
        self.path: Path | None = None
        self._file_codes: tuple[tuple[Path, int, int], np.ndarray] | None = None
        self.source = QComboBox(objectName="audioPrimerCombo")
        for key, label in PRIMERS.items():
            self.source.addItem(label, key)
        self.clip = int_spin(1, 1, 1)
        self.clip.setObjectName("audioClipSpin")
        self.clip.setToolTip("Which clip of the model's test split opens the generated clip.")
        self.choose_button = QPushButton("Choose WAV…", objectName="audioPrimerFileButton")
        self.file_label = QLabel("no file chosen")
        self.file_label.setWordWrap(True)
        file_row = QWidget()
        row = QHBoxLayout(file_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.choose_button)
        row.addWidget(self.file_label, 1)
        self.seconds = double_spin(0.001, 600.0, 0.1, 0.05, decimals=3)
        self.seconds.setObjectName("audioPrimerSeconds")
        self.seconds.setSuffix(" s")
        self.seconds.setToolTip("How much of the clip or file the model continues from (it is kept unchanged).")
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.addRow("Primer", self.source)
        self.form.addRow("Test clip", self.clip)
        self.form.addRow(file_row)
        self.form.addRow("Primer length", self.seconds)
        self.source.currentIndexChanged.connect(self._show_rows)
        self._show_rows()

    @property
    def key(self) -> str:
        return self.source.currentData()

    def select(self, key: str) -> None:
        self.source.setCurrentIndex(self.source.findData(key))

    def set_model(self, loaded: LoadedModel | None) -> None:
        self.loaded, self._examples, self._file_codes = loaded, None, None
        self._show_rows()

    def set_file(self, path: str | Path) -> None:
        """Use the WAV (or FLAC) file at `path` as the primer; UserError if it cannot be read."""
        path = Path(path)
        self._read_file(path)
        self.path = path
        self.file_label.setText(path.name)
        self.file_label.setToolTip(str(path))
        self.select("file")

    def levels(self) -> Tensor | None:
        """The primer as a LongTensor of the model's levels, or None to start from silence."""
        if self.loaded is None or self.key == "none":
            return None
        spec = self.loaded.spec
        wanted = max(1, round(self.seconds.value() * spec.sample_rate))
        if self.key == "dataset":
            examples = self.examples()
            if examples is None or len(examples) == 0:
                raise UserError(f"The data set of {self.loaded.name} is not available here, so there is no test "
                                "clip to start from; choose a WAV file or no primer.")
            return examples[min(self.clip.value(), len(examples)) - 1, :wanted].clone()
        if self.path is None:
            raise UserError("No WAV file is chosen for the primer: press Choose WAV…, or pick another primer.")
        return torch.from_numpy(self._read_file(self.path)[:wanted].copy())

    def examples(self) -> Tensor | None:
        """The model's test clips (loaded once per model)."""
        if self._examples is None and self.loaded is not None:
            self._examples = self.loaded.test_examples(TEST_CLIPS)
        return self._examples

    def _read_file(self, path: Path) -> np.ndarray:
        if self.loaded is None:
            raise UserError("Open an audio model first: the primer is read at the model's sample rate.")
        spec = self.loaded.spec
        key = (path, spec.sample_rate, spec.levels)
        if self._file_codes is None or self._file_codes[0] != key:
            if not path.is_file():
                raise UserError(f"There is no file at {path}; choose the WAV file again.")
            self._file_codes = key, to_levels(read_audio(path, spec.sample_rate), spec.levels)
        return self._file_codes[1]

    def _show_rows(self) -> None:
        key = self.key
        self.form.setRowVisible(self.clip, key == "dataset")
        self.form.setRowVisible(self.choose_button.parentWidget(), key == "file")
        self.form.setRowVisible(self.seconds, key != "none")
        if key == "dataset" and self.loaded is not None and self.loaded.spec.kind == "audio":
            examples = self.examples()
            count = 0 if examples is None else len(examples)
            self.clip.setRange(1, max(count, 1))
            self.clip.setSuffix(f" of {count}")
