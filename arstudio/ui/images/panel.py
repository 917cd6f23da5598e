"""The Images exploration panel: paint part of an image, let the model complete the rest, compare completions."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from arstudio.app.image_sources import image_from_file, quick_mask
from arstudio.app.model_source import LoadedModel
from arstudio.data import DataSpec
from arstudio.data.export import save_samples
from arstudio.errors import UserError
from arstudio.sampling import GenerationResult
from arstudio.ui.common.panel import ExplorerPanel, Worker
from arstudio.ui.common.preset_queue import PresetQueue
from arstudio.ui.images.canvas_pane import CanvasPane
from arstudio.ui.images.completion import ImageCompletion, likelihood_labels
from arstudio.ui.images.results import ResultsPane
from arstudio.ui.images.strategy import CompletionControls
from arstudio.ui.images.tools import BrushControls, MaskControls, SourceControls

TEST_IMAGES = 64
COMPARE_COUNT = 4


class ImagePanel(ExplorerPanel):
    """Works on image models (PixelCNN, and NADE/MADE on binary images) through the one generate()."""

    no_model_hint = ("Open a run or checkpoint of an image model (PixelCNN, or NADE/MADE on binary images) to "
                     "paint and complete images here.")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("imagePanel", parent)
        self.order = np.zeros(0, dtype=np.int64)
        self.test_images: torch.Tensor | None = None
        self.result: GenerationResult | None = None
        self.strategy = ""
        self.compared_known = np.zeros((0, 0), dtype=bool)
        self.completion = ImageCompletion(self)
        self.completion.frame.connect(self._on_frame)
        self.completion.finished.connect(self._on_finished)
        self.completion.cancelled.connect(self._on_cancelled)
        self.completion.failed.connect(self._on_failed)

        self.sources, self.masks, self.brush = SourceControls(), MaskControls(), BrushControls()
        self.controls = CompletionControls()
        self.pane = CanvasPane()
        self.canvas = self.pane.canvas
        self.results = ResultsPane()
        self.grid, self.summary = self.results.grid, self.results.summary
        self.comparison = PresetQueue(self)
        self.comparison.rowFinished.connect(self._on_compared_row)
        self.comparison.done.connect(self._on_compared)
        self.comparison.failed.connect(self._on_failed)
        self.stack = QStackedWidget()
        self.message = QLabel("Open a run to explore it here.", objectName="imagePanelMessage", wordWrap=True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.message)
        self.stack.addWidget(self._build_workspace())
        QVBoxLayout(self).addWidget(self.stack)
        self._connect()

    def _build_workspace(self) -> QWidget:
        column = QWidget()
        controls = QVBoxLayout(column)
        for box in (self.sources, self.masks, self.brush, self.controls):
            controls.addWidget(box)
        controls.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(column)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(column.sizeHint().width() + 20)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.pane)
        splitter.addWidget(self.results)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([450, 300])
        workspace = QWidget()
        row = QHBoxLayout(workspace)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(scroll)
        row.addWidget(splitter, 1)
        return workspace

    def _connect(self) -> None:
        self.sources.testImageRequested.connect(self.load_test_image)
        self.sources.randomTestImageRequested.connect(
            lambda: self.load_test_image(random.randrange(len(self.test_images))) if self.test_images is not None
            else None)
        self.sources.fileRequested.connect(self._open_image_file)
        self.sources.blankRequested.connect(lambda: self.canvas.set_known(np.zeros_like(self.canvas.known)))
        self.masks.maskRequested.connect(self.apply_quick_mask)
        self.masks.allUnknown.connect(lambda: self.canvas.set_known(np.zeros_like(self.canvas.known)))
        self.masks.allKnown.connect(lambda: self.canvas.set_known(np.ones_like(self.canvas.known)))
        self.brush.changed.connect(self._brush_changed)
        self.canvas.picked.connect(self.brush.set_value)
        self.controls.complete_button.clicked.connect(self.complete)
        self.controls.cancel_button.clicked.connect(self.cancel)
        self.grid.selectionChanged.connect(lambda _: self._update_buttons())
        self.results.save_one.clicked.connect(lambda: self._save_dialog(selected=True))
        self.results.save_grid.clicked.connect(lambda: self._save_dialog(selected=False))
        self.results.edit_one.clicked.connect(self.paint_on_selected)
        self.results.compare.compare_button.clicked.connect(self.compare)

    # The model.
    def fits(self, spec: DataSpec) -> bool:
        return spec.kind in ("binary", "image") and spec.is_spatial

    def misfit_hint(self, loaded: LoadedModel) -> str:
        spec = loaded.spec
        return (f"{self.no_model_hint} The loaded model works on {spec.kind} data of shape {spec.shape}; "
                "it has no picture to paint.")

    def show_model(self, hint: str) -> None:
        self.completion.forget()
        self.controls.set_running(False)
        self.result = None
        self.test_images = None
        loaded = self.loaded
        if loaded is None:
            self.message.setText(hint)
            self.stack.setCurrentIndex(0)
            return
        spec = loaded.spec
        self.order = loaded.model.order.detach().cpu().numpy()
        self.test_images = loaded.test_examples(TEST_IMAGES)
        self.sources.set_test_count(0 if self.test_images is None else len(self.test_images))
        self.pane.set_model(loaded, self.order)
        self.brush.set_spec(spec)
        self.controls.set_levels(spec.levels)
        self.controls.labels.set_model(loaded.model)
        self.grid.reset(0, spec.levels)
        self.summary.clear()
        if self.test_images is not None and len(self.test_images):
            self.load_test_image(0)
            self.apply_quick_mask("bottom half")
        self._brush_changed()
        self._update_buttons()
        self.stack.setCurrentIndex(1)

    # Sources and masks.
    def load_test_image(self, index: int) -> None:
        if self.test_images is None or not len(self.test_images):
            self.show_error("This model's test images are not available; open an image file instead.")
            return
        index = max(0, min(index, len(self.test_images) - 1))
        self.sources.test_spin.setValue(index)
        self.canvas.set_image(self.test_images[index].numpy())

    def load_image_file(self, path: str | Path) -> None:
        if self.loaded is None:
            return
        try:
            self.canvas.set_image(image_from_file(path, self.loaded.spec))
        except UserError as exc:
            self.show_error(exc)

    def apply_quick_mask(self, name: str) -> None:
        height, width = self.canvas.known.shape
        self.canvas.set_known(self.canvas.known & quick_mask(name, height, width, random.randrange(2**31)))

    def paint_on_selected(self) -> None:
        if self.result is not None:
            self.canvas.set_image(self.result.samples[self.grid.selected].cpu().numpy())

    def _open_image_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image", "", "Images (*.png *.jpg *.jpeg *.bmp *.gif "
                                              "*.webp *.tif *.tiff);;All files (*)")
        if path:
            self.load_image_file(path)

    def _brush_changed(self) -> None:
        self.canvas.set_brush(self.brush.value(), self.brush.size_spin.value(), self.brush.erasing)

    # Completion.
    def workers(self) -> tuple[Worker, ...]:
        return (self.completion, self.comparison)

    def is_running(self) -> bool:
        return self.is_busy()

    def _painting(self) -> np.ndarray:
        """The known mask of the canvas; UserError when nothing can be completed or a run is going on."""
        if self.is_running():
            raise UserError("A completion is running; cancel it or wait for it to finish.")
        known = self.canvas.known.copy()
        if known.all():
            raise UserError("Every pixel is known, so there is nothing to complete: erase some pixels first "
                            "(the Erase tool, the right mouse button or a quick mask).")
        return known

    def complete(self) -> None:
        if self.loaded is None:
            return
        try:
            known = self._painting()
            self.completion.start(self.loaded.model, self.canvas.values, known, self.controls.config(),
                                  self.controls.count_spin.value(), self.controls.labels.labels())
        except UserError as exc:
            self.show_error(exc)
            return
        self.result = None
        self.results.setCurrentIndex(0)
        self.strategy = " ".join(filter(None, (self.controls.form.strategy.name, self.controls.labels.describe())))
        self.grid.reset(self.controls.count_spin.value(), self.loaded.spec.levels)
        self.controls.set_running(True)
        self.controls.progress.setRange(0, int((~known).sum()))
        self.controls.progress.setValue(0)
        self.summary.setText(f"Completing {int((~known).sum())} unknown pixels…")
        self._update_buttons()

    def _on_frame(self, samples: np.ndarray, pending: np.ndarray) -> None:
        self.grid.show_images(samples, pending, outline=~self.completion.job.known)
        if self.completion.is_running():
            self.controls.progress.setValue(self.controls.progress.maximum() - int(pending[0].sum()))

    def _on_finished(self, result: GenerationResult, elapsed: float) -> None:
        self.result = result
        self.controls.set_running(False)
        self.controls.progress.setValue(self.controls.progress.maximum())
        job = self.completion.job
        labels, tips = likelihood_labels(result, job.known)
        self.grid.set_labels(labels, tips)
        sampled = job.config.num_beams == 1 and not job.config.greedy
        seed = f", seed {result.seed}" if sampled else ""
        mean = result.log_likelihood.mean().item()
        self.summary.setText(f"{len(result.samples)} completion{'s' if len(result.samples) > 1 else ''} of "
                             f"{int((~job.known).sum())} unknown pixels by {self.strategy}{seed} in {elapsed:.2f} s. "
                             f"Painted pixels are kept exactly. Mean log p {mean:.1f} nats.")
        self._update_buttons()

    def compare(self) -> None:
        """The canvas through every ticked strategy with the same seed, a row each."""
        if self.loaded is None:
            return
        view = self.results.compare
        presets = view.chosen()
        count = min(self.controls.count_spin.value(), COMPARE_COUNT)
        try:
            known = self._painting()
            if not presets:
                raise UserError("Tick at least one strategy to compare.")
            values = self.canvas.values
            self.comparison.start(self.loaded.model, count, presets, self.controls.seed_spin.value(),
                                  known=torch.from_numpy(values.copy()),
                                  known_mask=torch.from_numpy(np.broadcast_to(known, values.shape).copy()),
                                  labels=self.controls.labels.labels())
        except UserError as exc:
            self.show_error(exc)
            return
        self.compared_known = known
        view.reset(presets, count, self.canvas.values, known, self.loaded.spec.levels)
        self.results.setCurrentWidget(view)
        self.controls.set_running(True)
        self.controls.progress.setRange(0, len(presets))
        self.controls.progress.setValue(0)

    def _on_compared_row(self, row: int, result: GenerationResult) -> None:
        self.results.compare.show_row(row, result, self.compared_known, self.loaded.spec.levels)
        self.controls.progress.setValue(row + 1)

    def _on_compared(self) -> None:
        self.controls.set_running(False)

    def _on_cancelled(self) -> None:
        self.controls.set_running(False)
        self.summary.setText("Cancelled: the hatched pixels were not filled.")
        self._update_buttons()

    def _on_failed(self, message: str) -> None:
        self.controls.set_running(False)
        self.summary.setText("The completion failed.")
        self._update_buttons()
        self.show_error(message)

    # Export.
    def export_selected(self, path: str | Path) -> Path:
        index = self.grid.selected
        return self._export(lambda samples: samples[index:index + 1], path)

    def export_grid(self, path: str | Path) -> Path:
        return self._export(lambda samples: samples, path)

    def _export(self, pick, path: str | Path) -> Path:
        if self.result is None or self.loaded is None:
            raise UserError("Complete the image first; then its completions can be saved.")
        return save_samples(pick(self.result.samples.cpu()), self.loaded.spec, path)

    def _save_dialog(self, selected: bool) -> None:
        name = f"completion-{self.grid.selected + 1}.png" if selected else "completions.png"
        path, _ = QFileDialog.getSaveFileName(self, "Save as PNG", name, "PNG images (*.png)")
        if not path:
            return
        try:
            saved = self.export_selected(path) if selected else self.export_grid(path)
            self.summary.setText(f"Saved {saved}")
        except UserError as exc:
            self.show_error(exc)

    def _update_buttons(self) -> None:
        self.results.set_done(self.result is not None and not self.completion.is_running())
