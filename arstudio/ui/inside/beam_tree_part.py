"""The Beam tree tab: the hypotheses beam search kept and pruned at every step (arstudio.sampling.beam_trace), drawn
as a tree from the prompt with token labels and scores; the path to the search's result highlighted."""

from __future__ import annotations

from collections.abc import Callable

import torch
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from arstudio.app.model_source import LoadedModel
from arstudio.data.text_codec import decode_text, encode_text, symbol_label
from arstudio.errors import UserError
from arstudio.sampling import SamplerConfig
from arstudio.sampling.beam_trace import BeamNode, BeamTree, beam_tree
from arstudio.ui.inside.part import InsidePart

MAX_IMAGE_VALUES = 144
"""Beam search over an image runs over all its values; the tree is drawn for images of at most this many."""
DEFAULT_PROMPT = "def "
COLUMN, ROW, NODE_W, NODE_H = 120.0, 40.0, 96.0, 32.0
BEST = QColor("#30a0ff")
KEPT = QColor("#d8e6fa")
DEAD = QColor("#f0f0f0")
PRUNED = QColor("#9098a8")


class BeamTreeView(QGraphicsView):
    """The tree: one column per step, kept hypotheses (bold) above the pruned ones (grey), best first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("beamTreeView")
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.nodes: list[QGraphicsRectItem] = []
        self.labels: list[QGraphicsSimpleTextItem] = []
        self.best_edges = 0

    def set_tree(self, tree: BeamTree | None, label: Callable[[int], str], root: str) -> None:
        scene = self.scene()
        scene.clear()
        self.nodes, self.labels, self.best_edges = [], [], 0
        if tree is None:
            return
        places = self._layout(tree)
        root_box = self._box(QPointF(-COLUMN, 0), root or "(start)", "", KEPT, True, QColor("#606878"))
        centres = {None: root_box.rect().center()}
        boxes: list[QGraphicsRectItem] = [None] * len(tree.nodes)  # type: ignore[list-item]
        for index, node in enumerate(tree.nodes):
            fill = BEST if node.best else (KEPT if node.alive else DEAD) if node.kept else QColor(0, 0, 0, 0)
            ink = QColor("#000000") if node.kept else PRUNED
            box = self._box(places[index], label(node.token), f"{node.score:.2f}", fill, node.kept, ink)
            box.setToolTip(self._tip(node, label))
            boxes[index] = box
            centres[index] = box.rect().center()
        for index, node in enumerate(tree.nodes):
            start, end = centres[node.parent], centres[index]
            start = QPointF(start.x() + NODE_W / 2, start.y())
            end = QPointF(end.x() - NODE_W / 2, end.y())
            pen = QPen(BEST, 3) if node.best else QPen(QColor("#707888") if node.kept else PRUNED, 1.2,
                                                       Qt.PenStyle.SolidLine if node.kept else Qt.PenStyle.DotLine)
            line = scene.addLine(start.x(), start.y(), end.x(), end.y(), pen)
            line.setZValue(-1)
            self.best_edges += int(node.best)
        self.nodes = boxes
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-20, -20, 20, 20))
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().minimum())

    @staticmethod
    def _layout(tree: BeamTree) -> list[QPointF]:
        places: list[QPointF] = [QPointF()] * len(tree.nodes)
        for column, step in enumerate(tree.steps):
            here = [i for i, node in enumerate(tree.nodes) if node.step == step]
            here.sort(key=lambda i: (not tree.nodes[i].kept, -tree.nodes[i].score))
            for row, index in enumerate(here):
                places[index] = QPointF(column * COLUMN, row * ROW)
        return places

    def _box(self, at: QPointF, text: str, score: str, fill: QColor, bold: bool, ink: QColor) -> QGraphicsRectItem:
        box = self.scene().addRect(QRectF(at.x(), at.y(), NODE_W, NODE_H), QPen(ink, 1.5 if bold else 1),
                                   QBrush(fill))
        font = QFont("monospace")
        font.setBold(bold)
        label = QGraphicsSimpleTextItem(text if len(text) <= 12 else "…" + text[-11:], box)
        label.setFont(font)
        label.setBrush(QBrush(ink))
        label.setPos(at.x() + 4, at.y() + 1)
        small = QFont()
        small.setPointSizeF(7.5)
        note = QGraphicsSimpleTextItem(score, box)
        note.setFont(small)
        note.setBrush(QBrush(ink))
        note.setPos(at.x() + 4, at.y() + NODE_H / 2 + 1)
        box.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)
        self.labels.append(label)
        return box

    @staticmethod
    def _tip(node: BeamNode, label: Callable[[int], str]) -> str:
        state = ("the result" if node.best else "in the final beam" if node.rank is not None else
                 "kept, later dropped" if node.kept and not node.alive else "kept" if node.kept else "pruned here")
        return (f"step {node.step}: {label(node.token)}\nscore {node.score:.4f} (sum of the model's log p)\n{state}"
                + ("\nended" if node.finished else ""))


class BeamTreePart(InsidePart):
    """Beams and steps spins, a prompt for text, and the tree of one beam search."""

    title = "Beam tree"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("beamTreePart", parent)
        self.tree: BeamTree | None = None
        self._token = 0
        self._pending = False
        row = QHBoxLayout()
        self.prompt_label = QLabel("Prompt")
        self.prompt_edit = QLineEdit(DEFAULT_PROMPT, self, objectName="beamPromptEdit")
        self.prompt_edit.editingFinished.connect(self.compute)
        self.beams_spin = QSpinBox(self, objectName="beamCountSpin", minimum=1, maximum=16, value=3,
                                   keyboardTracking=False)
        self.beams_spin.setToolTip("num_beams: how many hypotheses the search keeps at every step.")
        self.steps_label = QLabel("Steps")
        self.steps_spin = QSpinBox(self, objectName="beamStepsSpin", minimum=1, maximum=48, value=8,
                                   keyboardTracking=False)
        self.steps_spin.setToolTip("How many values the search generates after the prompt.")
        for widget, stretch in ((self.prompt_label, 0), (self.prompt_edit, 1), (QLabel("Beams"), 0),
                                (self.beams_spin, 0), (self.steps_label, 0), (self.steps_spin, 0)):
            row.addWidget(widget, stretch)
        row.addStretch(1)
        row.setStretch(1, 4)
        self.beams_spin.valueChanged.connect(lambda _value: self.compute())
        self.steps_spin.valueChanged.connect(lambda _value: self.compute())
        self.body.addLayout(row)
        self.view = BeamTreeView(self)
        self.body.addWidget(self.view, 1)
        self.caption = QLabel(wordWrap=True, objectName="beamTreeCaption")
        self.body.addWidget(self.caption)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(lambda message: self._after_job(message))
        self.show_model()

    def unexplained(self, loaded: LoadedModel) -> str:
        spec = loaded.spec
        if not spec.is_sequence and spec.dims > MAX_IMAGE_VALUES:
            return (f"Beam search over an image runs over all its {spec.dims} values, too many steps to draw as a "
                    f"tree; the Beam tree shows text, audio and images of at most {MAX_IMAGE_VALUES} values.")
        return ""

    def describe(self, loaded: LoadedModel) -> str:
        return ("Beam search keeps the most probable partial sequences at every step. Each column is a step: kept "
                "hypotheses in bold (pale blue while a final hypothesis descends from them, else white), the best "
                "pruned ones grey, each with its score (the sum of the model's log p). Blue: the path to the result.")

    def show_model(self) -> None:
        loaded = self.loaded
        text = loaded is not None and loaded.spec.kind == "text"
        sequence = loaded is not None and loaded.spec.is_sequence
        for widget in (self.prompt_label, self.prompt_edit):
            widget.setVisible(text)
        for widget in (self.steps_label, self.steps_spin):
            widget.setVisible(sequence)
        self.tree = None
        self.view.set_tree(None, str, "")
        self.caption.setText("")
        if loaded is not None:
            self.compute()

    def label_of(self) -> Callable[[int], str]:
        spec = self.loaded.spec if self.loaded is not None else None
        if spec is not None and spec.kind == "text":
            return lambda value: symbol_label(value, spec)
        return str

    def prompt(self) -> list[int]:
        loaded = self.loaded
        if loaded is None or loaded.spec.kind != "text":
            return []
        return encode_text(self.prompt_edit.text(), loaded.spec)

    def compute(self) -> None:
        """Run the search off the GUI thread with the shown settings."""
        loaded = self.loaded
        if loaded is None:
            return
        if self.job.is_running():
            self._pending = True
            return
        try:
            prompt = self.prompt()
            config = SamplerConfig(num_beams=self.beams_spin.value())
        except UserError as exc:
            self._after_job(str(exc))
            return
        known = torch.tensor(prompt, dtype=torch.long) if prompt else None
        length = len(prompt) + self.steps_spin.value() if loaded.spec.is_sequence else None
        self._token += 1
        token, model = self._token, loaded.model
        self.job.run(lambda: (token, beam_tree(model, config, known=known, length=length)), "beam tree")

    def _on_finished(self, result: object) -> None:
        token, tree = result  # type: ignore[misc]
        if token == self._token and self.loaded is not None:
            self.tree = tree
            self.draw()
        self._after_job()

    def _after_job(self, message: str = "") -> None:
        if message:
            self.caption.setText(message)
        if self._pending:
            self._pending = False
            self.compute()

    def draw(self) -> None:
        tree, loaded = self.tree, self.loaded
        if tree is None or loaded is None:
            return
        label = self.label_of()
        spec = loaded.spec
        root = decode_text(tree.start.tolist(), spec) if spec.kind == "text" else \
            f"{len(tree.start)} known" if len(tree.start) else "(start)"
        self.view.set_tree(tree, label, root)
        best = tree.nodes[tree.best_path[-1]] if tree.best_path else None
        if best is None:
            self.caption.setText("The search kept no hypothesis.")
            return
        shown = "".join(label(t) for t in tree.best_tokens) if spec.kind == "text" else \
            " ".join(label(t) for t in tree.best_tokens[:24]) + (" …" if len(tree.best_tokens) > 24 else "")
        kept = sum(node.kept for node in tree.nodes)
        self.caption.setText(
            f"{self.beams_spin.value()} beams over {len(tree.steps)} steps: {kept} hypotheses kept, "
            f"{len(tree.nodes) - kept} of the best pruned shown. Result: {shown} (score {best.score:.3f}; after the "
            f"length penalty {tree.final_scores[0]:.3f}).")
