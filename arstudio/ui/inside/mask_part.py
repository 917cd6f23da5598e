"""The Inside view's masks tab: NADE's and MADE's connectivity read from the model's own masks
(arstudio.inside.connectivity), as a layered graph and as mask matrices. Pick an output (spin, a dot of the top
row, or a pixel) to light every input and hidden unit with a path to it; an order-agnostic MADE steps through
the masks its training cycles through."""

from __future__ import annotations

import numpy as np
import torch
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QSplitter, QVBoxLayout, QWidget

from arstudio.app.model_source import LoadedModel
from arstudio.inside.connectivity import Connectivity, connectivity, mask_count
from arstudio.ui.inside.heat_views import HeatImage
from arstudio.ui.inside.mask_views import ConnectivityGraph, MaskMatrices
from arstudio.ui.inside.part import InsidePart

MASK_FAMILIES = ("nade", "made")
PLAY_MILLISECONDS = 1200


class MaskPart(InsidePart):
    title = "Masks"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("maskPart", parent)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Output"))
        self.output_spin = QSpinBox(objectName="maskOutputSpin", keyboardTracking=False)
        self.output_spin.valueChanged.connect(self.pick)
        controls.addWidget(self.output_spin)
        self.mask_label = QLabel("Mask")
        controls.addWidget(self.mask_label)
        self.mask_spin = QSpinBox(objectName="maskIndexSpin", keyboardTracking=False)
        self.mask_spin.valueChanged.connect(self.compute)
        controls.addWidget(self.mask_spin)
        self.play_button = QPushButton("Step through the masks", objectName="maskPlayButton", checkable=True)
        self.play_button.toggled.connect(self._play)
        controls.addWidget(self.play_button)
        controls.addStretch(1)
        self.body.addLayout(controls)
        self.view = QSplitter(objectName="maskView")
        graph_box = QWidget()
        column = QVBoxLayout(graph_box)
        column.setContentsMargins(0, 0, 0, 0)
        self.graph = ConnectivityGraph("maskGraph")
        self.graph.outputClicked.connect(self.pick)
        column.addWidget(self.graph, 3)
        self.matrices = MaskMatrices("maskMatrices")
        column.addWidget(self.matrices, 2)
        self.view.addWidget(graph_box)
        self.inputs_box = QWidget()
        column = QVBoxLayout(self.inputs_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(QLabel("Inputs with a path to the picked output (light), the output boxed. Click a pixel to "
                                "pick it.", wordWrap=True))
        self.inputs_view = HeatImage("maskInputsView")
        self.inputs_view.clicked.connect(self._on_pixel)
        column.addWidget(self.inputs_view, 1)
        self.view.addWidget(self.inputs_box)
        self.view.setStretchFactor(0, 3)
        self.view.setStretchFactor(1, 1)
        self.body.addWidget(self.view, 1)
        self.caption = QLabel(wordWrap=True, objectName="maskCaption")
        self.body.addWidget(self.caption)
        self.timer = QTimer(self, interval=PLAY_MILLISECONDS)
        self.timer.timeout.connect(self._next_mask)
        self.connectivity: Connectivity | None = None
        self.reach: list[torch.Tensor] = []
        self._token = 0
        self._pending = False
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(lambda _message: self._after_job())
        self.show_model()

    def unexplained(self, loaded: LoadedModel) -> str:
        if loaded.family in MASK_FAMILIES:
            return ""
        return (f"Masks are how NADE and MADE keep the chain rule. A {loaded.family} model keeps it with "
                f"{'masked convolutions' if loaded.family in ('pixelcnn', 'wavenet') else 'causal attention'}: "
                "its Receptive field tab shows what each position sees.")

    def describe(self, loaded: LoadedModel) -> str:
        what = ("NADE shares one hidden layer: at step i it sums the inputs before step i, drawn here as one hidden "
                "state per step." if loaded.family == "nade" else
                "MADE masks the weights of an ordinary network so that output i has a path only from the inputs "
                "before it in the order. Hidden units are sorted by how many inputs reach them.")
        return f"{what} Pick an output (spin, a dot of the top row, or a pixel) to light the units with a path to it."

    def show_model(self) -> None:
        self._token += 1
        self.play_button.setChecked(False)
        self.connectivity = None
        loaded = self.loaded
        self.view.setVisible(loaded is not None)
        for control in (self.output_spin, self.mask_spin, self.play_button):
            control.setEnabled(loaded is not None)
        if loaded is None:
            self.caption.setText("")
            return
        count = mask_count(loaded.model)
        for control in (self.mask_label, self.mask_spin, self.play_button):
            control.setVisible(count > 1)
        installed = int(getattr(loaded.model, "mask_index", 0))
        self.mask_spin.blockSignals(True)
        self.mask_spin.setRange(0, count - 1)
        self.mask_spin.setValue(max(0, installed))
        self.mask_spin.setSuffix(f" of {count}")
        self.mask_spin.blockSignals(False)
        self.output_spin.blockSignals(True)
        self.output_spin.setRange(0, loaded.spec.dims - 1)
        self.output_spin.setValue(self.default_output(loaded))
        self.output_spin.blockSignals(False)
        self.inputs_box.setVisible(loaded.spec.is_spatial)
        self.caption.setText("Reading the masks ...")
        self.compute()

    @staticmethod
    def default_output(loaded: LoadedModel) -> int:
        """The output at the middle of the order: it sees half the inputs."""
        return int(loaded.model.order[loaded.spec.dims // 2])

    def mask_index(self) -> int | None:
        """The mask shown (None: the one the model has installed, for a model with a single mask)."""
        return self.mask_spin.value() if self.loaded is not None and mask_count(self.loaded.model) > 1 else None

    def compute(self) -> None:
        loaded = self.loaded
        if loaded is None:
            return
        if self.job.is_running():
            self._pending = True
            return
        self._token += 1
        token, model, index = self._token, loaded.model, self.mask_index()
        self.job.run(lambda: (token, connectivity(model, index)), "masks")

    def _on_finished(self, result: object) -> None:
        token, found = result  # type: ignore[misc]
        if token == self._token and self.loaded is not None:
            self.connectivity = found
            self.draw()
        self._after_job()

    def _after_job(self) -> None:
        if self._pending:
            self._pending = False
            self.compute()

    def pick(self, output: int) -> None:
        """Light what reaches output variable `output` (a flat position)."""
        if self.loaded is None or not 0 <= output < self.loaded.spec.dims:
            return
        self.output_spin.blockSignals(True)
        self.output_spin.setValue(output)
        self.output_spin.blockSignals(False)
        self.draw()

    def reachable_inputs(self) -> torch.Tensor | None:
        """BoolTensor[D]: the input variables with a path to the picked output (None before the masks are read)."""
        return self.reach[0] if self.connectivity is not None and self.reach else None

    def draw(self) -> None:
        loaded, found = self.loaded, self.connectivity
        if loaded is None or found is None:
            return
        output = self.output_spin.value()
        self.reach = found.reachable(output)
        self.graph.set_connectivity(found, self.reach, output)
        self.matrices.set_connectivity(found, self.reach)
        spec = loaded.spec
        if spec.is_spatial:
            shown = self.reach[0].float().view(spec.shape).numpy()
            shown[np.unravel_index(output, spec.shape)] = 0.5
            self.inputs_view.set_values(shown, levels=(0.0, 1.0))
            channel, row, col = np.unravel_index(output, spec.shape)
            self.inputs_view.outline(int(row), int(channel * spec.shape[2] + col))
        step = int((found.order == output).nonzero()[0, 0])
        inputs = int(self.reach[0].sum())
        before = torch.zeros_like(self.reach[0])
        before[found.order[:step]] = True
        if bool((self.reach[0] & ~before).any()):
            which = f"some of them not among its {step} predecessors: these masks break the chain rule"
        elif inputs == step:
            which = f"exactly its {step} predecessors"
        else:
            which = (f"all among its {step} predecessors (the random connectivity numbers leave "
                     f"{step - inputs} unconnected)")
        hidden = ", ".join(f"{int(r.sum())} of {len(r)} {name}" for r, name in
                           zip(self.reach[1:-1], found.names[1:-1], strict=True))
        thinned = (f" ({self.graph.drawn_edges} of its {self.graph.reached_edges} edges drawn)"
                   if self.graph.drawn_edges < self.graph.reached_edges else "")
        mask = f"Mask {self.mask_spin.value()}: " if self.mask_index() is not None else ""
        self.caption.setText(f"{mask}output {output} is step {step + 1} of {spec.dims} in this order. It can be "
                             f"reached from {inputs} inputs — {which} — through "
                             f"{hidden}{thinned}.")

    def _on_pixel(self, row: int, col: int) -> None:
        if self.loaded is None:
            return
        channels, height, width = self.loaded.spec.shape
        self.pick(int(np.ravel_multi_index((col // width, row, col % width), (channels, height, width))))

    def _play(self, on: bool) -> None:
        if on:
            self.timer.start()
        else:
            self.timer.stop()

    def _next_mask(self) -> None:
        if self.loaded is None or self.job.is_running():
            return
        self.mask_spin.setValue((self.mask_spin.value() + 1) % (self.mask_spin.maximum() + 1))

    def hideEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self.play_button.setChecked(False)
        super().hideEvent(event)  # type: ignore[arg-type]
