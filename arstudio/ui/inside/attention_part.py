"""The Inside view's attention tab: every block's and head's attention weights over a text, read from the
Transformer's own queries and keys (arstudio.inside.attention). A grid shows all maps at once (row: the token
that looks, column: where it looks, start token first); hover a token of the text to colour where the chosen
head looks from it."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from arstudio.app.model_source import LoadedModel
from arstudio.data.text_codec import TokenDecoder, decode_text, encode_text
from arstudio.inside.attention import AttentionMaps, attention_maps
from arstudio.ui.inside.heat_views import HeatImage, HeatText, unit_scale
from arstudio.ui.inside.part import InsidePart

DEFAULT_TOKENS = 96
"""How much of the first test example the tab starts with: enough to see heads that look back far."""
START = "⟨start⟩"
MEAN = -1


def token_texts(values: list[int], loaded: LoadedModel) -> list[str]:
    """What each token of `values` reads as, the start token first."""
    decoder = TokenDecoder(loaded.spec)
    return [START] + [decoder.feed(int(v)) or "·" for v in values]


def default_text(loaded: LoadedModel) -> str:
    examples = loaded.test_examples(1)
    limit = min(DEFAULT_TOKENS, getattr(loaded.model, "context", DEFAULT_TOKENS + 1) - 1)
    if examples is not None and len(examples):
        return decode_text(examples[0][:limit].tolist(), loaded.spec)
    return "def attention(query, key, value):\n    return softmax(query @ key.T) @ value\n"[:limit]


class AttentionPart(InsidePart):
    title = "Attention"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("attentionPart", parent)
        top = QHBoxLayout()
        self.text_edit = QPlainTextEdit(objectName="attentionTextEdit")
        self.text_edit.setMaximumHeight(70)
        self.text_edit.setPlaceholderText("The text the model reads")
        top.addWidget(self.text_edit, 1)
        self.show_button = QPushButton("Show attention", objectName="attentionShowButton")
        self.show_button.clicked.connect(self.compute)
        top.addWidget(self.show_button)
        self.body.addLayout(top)
        self.view = QSplitter(objectName="attentionView")
        self.grid_box = QWidget(objectName="attentionGrid")
        self.grid = QGridLayout(self.grid_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(3)
        self.view.addWidget(self.grid_box)
        text_box = QWidget()
        column = QVBoxLayout(text_box)
        column.setContentsMargins(0, 0, 0, 0)
        choose = QHBoxLayout()
        choose.addWidget(QLabel("Layer"))
        self.layer_combo = QComboBox(objectName="attentionLayerCombo")
        self.layer_combo.currentIndexChanged.connect(lambda _i: self.draw_text())
        choose.addWidget(self.layer_combo)
        choose.addWidget(QLabel("Head"))
        self.head_combo = QComboBox(objectName="attentionHeadCombo")
        self.head_combo.currentIndexChanged.connect(lambda _i: self.draw_text())
        choose.addWidget(self.head_combo)
        choose.addStretch(1)
        column.addLayout(choose)
        self.text_view = HeatText("attentionTextView")
        self.text_view.hovered.connect(self.look_from)
        column.addWidget(self.text_view, 1)
        self.caption = QLabel(wordWrap=True, objectName="attentionCaption")
        column.addWidget(self.caption)
        self.view.addWidget(text_box)
        self.view.setSizes([720, 480])
        self.body.addWidget(self.view, 1)
        self.maps: AttentionMaps | None = None
        self.tokens: list[str] = []
        self.query = 0
        self.cells: list[HeatImage] = []
        self.cell_titles: list[QLabel] = []
        self._token = 0
        self._pending = False
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(lambda _message: self._after_job())
        self.show_model()

    def unexplained(self, loaded: LoadedModel) -> str:
        if loaded.family == "transformer":
            return ""
        return (f"Attention belongs to the Transformer; a {loaded.family} model has none. Open a Transformer (e.g. the "
                "ready transformer-pydocs) to see where each head looks.")

    def describe(self, loaded: LoadedModel) -> str:
        model = loaded.model
        return (f"{len(model.blocks)} layers × {model.hparams['heads']} heads of causal attention over the text "
                "below (each map: rows are the token that looks, columns where it looks; nothing right of the "
                "diagonal). Hover a token to colour where the chosen head looks from it; click a map to choose it.")

    def show_model(self) -> None:
        self._token += 1
        self.maps = None
        loaded = self.loaded
        self.view.setVisible(loaded is not None)
        self.text_edit.setEnabled(loaded is not None)
        self.show_button.setEnabled(loaded is not None)
        if loaded is None:
            self.caption.setText("")
            return
        layers, heads = len(loaded.model.blocks), int(loaded.model.hparams["heads"])
        for combo, items in ((self.layer_combo, [f"{i + 1}" for i in range(layers)]),
                             (self.head_combo, ["mean of the heads"] + [f"{i + 1}" for i in range(heads)])):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            combo.blockSignals(False)
        self.layer_combo.setCurrentIndex(layers - 1)
        self._build_grid(layers, heads)
        self.text_edit.setPlainText(default_text(loaded))
        self.compute()

    def _build_grid(self, layers: int, heads: int) -> None:
        for widget in (*self.cells, *self.cell_titles):
            self.grid.removeWidget(widget)
            widget.deleteLater()
        self.cells, self.cell_titles = [], []
        for layer in range(layers):
            for head in range(heads):
                title = QLabel(f"layer {layer + 1}, head {head + 1}")
                cell = HeatImage(f"attentionMap{layer}_{head}")
                cell.setMinimumSize(80, 80)
                cell.clicked.connect(lambda row, _col, la=layer, he=head: self.choose(la, he, row))
                self.grid.addWidget(title, 2 * layer, head)
                self.grid.addWidget(cell, 2 * layer + 1, head)
                self.cells.append(cell)
                self.cell_titles.append(title)

    def compute(self) -> None:
        loaded = self.loaded
        if loaded is None:
            return
        if self.job.is_running():
            self._pending = True
            return
        self._token += 1
        token, model, spec, text = self._token, loaded.model, loaded.spec, self.text_edit.toPlainText()
        self.caption.setText("Reading the attention ...")
        self.job.run(lambda: (token, attention_maps(model, encode_text(text, spec))), "attention")

    def _on_finished(self, result: object) -> None:
        token, maps = result  # type: ignore[misc]
        if token == self._token and self.loaded is not None:
            self.maps = maps
            self.tokens = token_texts(maps.values.tolist(), self.loaded)
            self.query = len(self.tokens) - 1
            self.draw()
        self._after_job()

    def _after_job(self) -> None:
        if self._pending:
            self._pending = False
            self.compute()
        elif self.maps is None and self.loaded is not None:
            self.caption.setText("No attention shown: fix the text above and press Show attention.")

    def chosen(self) -> tuple[int, int | None]:
        """(layer, head) the text view shows; head None: the mean of the heads."""
        head = self.head_combo.currentIndex() - 1
        return max(0, self.layer_combo.currentIndex()), None if head < 0 else head

    def choose(self, layer: int, head: int, query: int | None = None) -> None:
        self.layer_combo.setCurrentIndex(layer)
        self.head_combo.setCurrentIndex(head + 1)
        if query is not None:
            self.look_from(query)

    def draw(self) -> None:
        maps = self.maps
        if maps is None:
            return
        for index, cell in enumerate(self.cells):
            weights = maps.weights[index // maps.heads, index % maps.heads].numpy()
            cell.set_values(np.sqrt(weights), levels=(0.0, 1.0))
        self.draw_text()

    def look_from(self, query: int) -> None:
        """Colour where token `query` (0: the start token) looks; -1 (off the text) keeps the last one."""
        if self.maps is None or not 0 <= query < len(self.tokens):
            return
        self.query = query
        self.draw_text()

    def looking(self) -> np.ndarray | None:
        """The chosen head's weights from the current query token over every token (None before computing)."""
        if self.maps is None:
            return None
        layer, head = self.chosen()
        return self.maps.looks_at(layer, head, self.query).numpy()

    def draw_text(self) -> None:
        weights = self.looking()
        if weights is None:
            return
        layer, head = self.chosen()
        for index, cell in enumerate(self.cells):
            picked = index // self.maps.heads == layer and (head is None or index % self.maps.heads == head)
            cell.marker.setData(*_row_box(self.query, len(self.tokens)) if picked else ([], []))
        titles = [f"weight {w:.3f}" for w in weights]
        heat = unit_scale(weights)
        heat[self.query + 1:] = np.nan
        self.text_view.set_values(self.tokens, heat, self.query, titles)
        strongest = np.argsort(weights)[::-1][:3]
        looks = ", ".join(f"{self.tokens[int(i)]!r} at {int(i)} ({weights[int(i)]:.2f})" for i in strongest)
        who = "the mean of the heads" if head is None else f"head {head + 1}"
        after, later = len(self.tokens) - self.query - 1, float(weights[self.query + 1:].sum())
        self.caption.setText(f"Layer {layer + 1}, {who}: token {self.query} {self.tokens[self.query]!r} looks most "
                             f"at {looks}. Its weights over the {self.query + 1} tokens up to it sum to "
                             f"{weights[:self.query + 1].sum():.3f}; the {after} after it get {later:g}.")


def _row_box(row: int, width: int) -> tuple[list[float], list[float]]:
    """The outline of one whole row of a map."""
    return [0, width, width, 0, 0], [row, row, row + 1, row + 1, row]
