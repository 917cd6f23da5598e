"""The Inside view's receptive-field tab: which input values the prediction at a chosen position depends on, level
by level, measured by autograd through the model (arstudio.inside.receptive_field), never drawn from a formula.

Images show a heat map (click a value to choose it), audio bars over the preceding samples, text its characters
coloured by magnitude. A PixelCNN can be set beside a plain PixelCNN of the same size (fresh weights: the blind
spot is in the architecture, not in training)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget

from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.data.mulaw import mu_law_decode
from arstudio.data.text_codec import symbol_label
from arstudio.inside.receptive_field import field_layers, receptive_field
from arstudio.models import build_model
from arstudio.models.base import ARModel
from arstudio.ui.inside.field_views import FieldImage, FieldText, FieldWave
from arstudio.ui.inside.part import InsidePart

BLIND_SPOT_CAPTION = (
    "Plain PixelCNN (van den Oord et al. 2016a), same kernel and layers, fresh weights: each masked k x k layer "
    "reaches one row up and k // 2 columns to the right of that, so the values up and to the right beyond that "
    "diagonal (grey) never reach the chosen one however deep the stack is: its blind spot. The gated PixelCNN's "
    "vertical stack sees the whole rows above, so it has none."
)
AUDIO_SPAN = 2048
"""The most preceding samples the audio view shows; it zooms to the level's reach (and a little more)."""


def example_of(loaded: LoadedModel) -> tuple[torch.Tensor, str]:
    """The first test example of the model's data set, else zeros; and where it came from."""
    examples = loaded.test_examples(1)
    if examples is not None and len(examples) and tuple(examples.shape[1:]) == loaded.spec.shape:
        return examples[0].long(), "its first test example"
    if loaded.spec.kind == "audio":
        return torch.full(loaded.spec.shape, loaded.spec.levels // 2, dtype=torch.long), "silence (no test data found)"
    return torch.zeros(loaded.spec.shape, dtype=torch.long), "an all-zero example (no test data found)"


def default_position(model: ARModel) -> int:
    """The centre pixel's last channel for images; for sequences, far enough in to show a whole field."""
    spec = model.spec
    if spec.is_spatial:
        channels, height, width = spec.shape
        return (channels - 1) * height * width + (height // 2) * width + width // 2
    reach = getattr(model, "receptive_field", None)
    return spec.dims - 1 if reach is None else min(spec.dims - 1, reach + 8)


def plain_twin(model: ARModel) -> ARModel:
    """A plain (gated=False) PixelCNN of the same spec, kernel and layer count, fresh weights (seeded)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        twin = build_model("pixelcnn", model.spec, channels=model.hparams["channels"], kernel=model.hparams["kernel"],
                           layers=len(model.layers), gated=False)  # type: ignore[arg-type]
    return twin.to(model.order.device).eval()


class ReceptiveFieldPart(InsidePart):
    title = "Receptive field"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("receptiveFieldPart", parent)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Level"))
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="fieldLayerSlider")
        self.slider.setMinimumWidth(160)
        self.slider.valueChanged.connect(self.draw)
        controls.addWidget(self.slider, 1)
        self.level_label = QLabel(objectName="fieldLayerLabel", minimumWidth=150)
        controls.addWidget(self.level_label)
        controls.addWidget(QLabel("Position"))
        self.position_spin = QSpinBox(objectName="fieldPositionSpin", keyboardTracking=False)
        self.position_spin.valueChanged.connect(self.choose)
        controls.addWidget(self.position_spin)
        self.blind_button = QPushButton("Compare with a plain PixelCNN (blind spot)", objectName="blindSpotButton",
                                        checkable=True)
        self.blind_button.toggled.connect(lambda _on: self.compute())
        controls.addWidget(self.blind_button)
        self.body.addLayout(controls)
        self.views = QHBoxLayout()
        self.body.addLayout(self.views, 1)
        self.caption = QLabel(wordWrap=True, objectName="fieldCaption")
        self.body.addWidget(self.caption)
        self.view: FieldImage | FieldWave | FieldText | None = None
        self.plain_view: FieldImage | None = None
        self.plain_box: QWidget | None = None
        self.blind_caption: QLabel | None = None
        self.example = torch.zeros(0, dtype=torch.long)
        self.example_source = ""
        self.position = 0
        self.fields: torch.Tensor | None = None
        self.plain_fields: torch.Tensor | None = None
        self.plain_model: ARModel | None = None
        self._token = 0
        self._pending = False
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(lambda _message: self._after_job())
        self.show_model()

    def describe(self, loaded: LoadedModel) -> str:
        return ("How strongly the prediction at the chosen position depends on each input value, level by level: the "
                "gradient's magnitude (log scale) through the model itself. Grey: exactly zero, no path. Click or set "
                "a position; slide through the levels.")

    # Showing a model

    def show_model(self) -> None:
        self._token += 1
        self.fields = self.plain_fields = self.plain_model = None
        self._clear_views()
        loaded = self.loaded
        is_pixelcnn = loaded is not None and loaded.family == "pixelcnn"
        self.blind_button.setVisible(is_pixelcnn)
        self.blind_button.blockSignals(True)
        self.blind_button.setChecked(False)
        self.blind_button.blockSignals(False)
        for control in (self.slider, self.position_spin, self.blind_button):
            control.setEnabled(loaded is not None)
        if loaded is None:
            self.caption.setText("")
            self.level_label.setText("")
            return
        model, spec = loaded.model, loaded.spec
        self.example, self.example_source = example_of(loaded)
        names = field_layers(model)
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(names) - 1)
        self.slider.setValue(len(names) - 1)
        self.slider.blockSignals(False)
        self.view = self._make_view(spec, "receptiveFieldView")
        self.views.addWidget(self.view, 1)
        self.position_spin.blockSignals(True)
        self.position_spin.setRange(0, spec.dims - 1)
        self.position = default_position(model)
        self.position_spin.setValue(self.position)
        self.position_spin.blockSignals(False)
        self.caption.setText(f"Computing the field of position {self.position} in {self.example_source} ...")
        self.compute()

    def _make_view(self, spec: DataSpec, name: str) -> FieldImage | FieldWave | FieldText:
        if spec.is_spatial:
            view: FieldImage | FieldWave | FieldText = FieldImage(name)
            view.clicked.connect(lambda c, r, w: self.choose(int(np.ravel_multi_index((c, r, w), spec.shape))))
        elif spec.kind == "audio":
            view = FieldWave(name)
            view.clicked.connect(lambda offset: self.choose(self.position + offset))
        else:
            view = FieldText(name)
            view.clicked.connect(self.choose)
        return view

    def _clear_views(self) -> None:
        for widget in (self.view, self.plain_box):
            if widget is not None:
                self.views.removeWidget(widget)
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        self.view = self.plain_view = self.plain_box = self.blind_caption = None

    def _ensure_plain_view(self, on: bool) -> None:
        if on and self.plain_box is None:
            self.plain_box = QWidget(objectName="blindSpotBox")
            column = QVBoxLayout(self.plain_box)
            column.setContentsMargins(0, 0, 0, 0)
            self.plain_view = FieldImage("blindSpotView")
            self.plain_view.clicked.connect(
                lambda c, r, w: self.choose(int(np.ravel_multi_index((c, r, w), self.example.shape))))
            column.addWidget(self.plain_view, 1)
            self.blind_caption = QLabel(BLIND_SPOT_CAPTION, wordWrap=True, objectName="blindSpotCaption")
            column.addWidget(self.blind_caption)
            self.views.addWidget(self.plain_box, 1)
        if self.plain_box is not None:
            self.plain_box.setVisible(on)

    # Computing

    def choose(self, position: int) -> None:
        """Show the field of flat position `position`."""
        if self.loaded is None or not 0 <= position < self.loaded.spec.dims:
            return
        self.position = position
        self.position_spin.blockSignals(True)
        self.position_spin.setValue(position)
        self.position_spin.blockSignals(False)
        self.compute()

    def compute(self) -> None:
        loaded = self.loaded
        if loaded is None:
            return
        if self.job.is_running():
            self._pending = True
            return
        self._token += 1
        token, model, example, position = self._token, loaded.model, self.example, self.position
        plain_on = self.blind_button.isChecked() and loaded.family == "pixelcnn"
        plain = self.plain_model
        labels = torch.zeros(1, len(loaded.spec.labels), dtype=torch.long) if model.conditional else None

        def work() -> tuple[str, Any]:
            fields = receptive_field(model, example, position, labels)
            twin, plain_fields = plain, None
            if plain_on:
                twin = twin or plain_twin(model)
                plain_fields = receptive_field(twin, example, position)
            return "finished", (token, position, fields, twin, plain_fields)

        self.job.run_in_background(work, "receptive field", "inside-receptive-field")

    def _on_finished(self, result: object) -> None:
        token, position, fields, twin, plain_fields = result  # type: ignore[misc]
        if token == self._token and self.loaded is not None:
            self.fields, self.plain_model, self.plain_fields = fields, twin, plain_fields
            self.draw()
        self._after_job()

    def _after_job(self) -> None:
        if self._pending:
            self._pending = False
            self.compute()

    # Drawing

    def level_names(self) -> list[str]:
        return field_layers(self.loaded.model) if self.loaded is not None else []

    def shown_field(self) -> np.ndarray | None:
        """The field of the level the slider shows (None before one is computed)."""
        if self.fields is None:
            return None
        return self.fields[self.slider.value()].numpy()

    def draw(self) -> None:
        loaded, field = self.loaded, self.shown_field()
        names = self.level_names()
        if names:
            self.level_label.setText(f"{names[self.slider.value()]} ({self.slider.value() + 1} of {len(names)})")
        if loaded is None or field is None or self.view is None:
            return
        spec, values = loaded.spec, self.example.numpy()
        seen = int((field > 0).sum())
        before = int((loaded.model.order == self.position).nonzero()[0, 0])
        where = self.position_text(spec)
        if isinstance(self.view, FieldImage):
            self.view.set_field(field, values / max(1, spec.levels - 1), np.unravel_index(self.position, spec.shape))
        elif isinstance(self.view, FieldWave):
            reach = self.position - int(np.flatnonzero(field > 0)[0]) if seen else 0
            span = min(self.position, max(16, int(reach * 1.2) + 4), AUDIO_SPAN)
            self.view.set_field(field, mu_law_decode(values, spec.levels - 1), self.position, span)
        else:
            self.view.set_field([symbol_label(int(v), spec) for v in values], field, self.position)
        label_note = " (conditioned on the first class of each label)" if loaded.model.conditional else ""
        self.caption.setText(f"{names[self.slider.value()]}: the value at {where} depends on {seen} of its {before} "
                             f"predecessors in the model's order, in {self.example_source}{label_note}.")
        self._draw_plain(values / max(1, spec.levels - 1), before)

    def _draw_plain(self, example: np.ndarray, before: int) -> None:
        on = self.blind_button.isChecked() and self.plain_fields is not None
        self._ensure_plain_view(on)
        if not on or self.plain_view is None or self.blind_caption is None:
            return
        level = min(self.slider.value(), len(self.plain_fields) - 1)  # type: ignore[arg-type]
        field = self.plain_fields[level].numpy()  # type: ignore[index]
        self.plain_view.set_field(field, example, np.unravel_index(self.position, self.example.shape))
        self.blind_caption.setText(f"{BLIND_SPOT_CAPTION} Here: {int((field > 0).sum())} of {before} predecessors "
                                   "seen.")

    def position_text(self, spec: DataSpec) -> str:
        if spec.is_spatial:
            channel, row, col = (int(i) for i in np.unravel_index(self.position, spec.shape))
            return f"row {row}, column {col}" + (f", channel {channel}" if spec.shape[0] > 1 else "")
        return f"{'sample' if spec.kind == 'audio' else 'token'} {self.position}"
