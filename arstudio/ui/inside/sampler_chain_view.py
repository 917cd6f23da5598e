"""The sampler chain, drawn: the stage order as a list to rearrange, and for every stage a bar chart of the same
top candidates with the stage's entropy and how many values survive."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from arstudio.sampling.chain import ChainStage, top_candidates
from arstudio.sampling.config import DEFAULT_ORDER, STAGE_LABELS
from arstudio.ui.common.plot_style import follow_palette, ink, major_grid_only

CANDIDATES = 10
"""How many of the model's most probable values each chart shows."""
COLUMNS = 4
NAME_ROLE = Qt.ItemDataRole.UserRole
KEPT = "#3070c0"
REMOVED_MARK = "#c03030"
SKIPPED = "#9090a0"
TICK_STEPS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5)


class StageChart(QWidget):
    """One stage: a title, its entropy and survivors, and horizontal bars over the candidates (most probable on
    top); a candidate the stage removed shows a red cross at zero."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stageChart")
        self.title = QLabel(self, objectName="stageTitle")
        self.stats = QLabel(self, objectName="stageStats")
        for label in (self.title, self.stats):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.plot = pg.PlotWidget(self)
        self.plot.setMinimumSize(150, 180)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        follow_palette(self.plot)
        major_grid_only(self.plot)
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.75, brush=KEPT, pen=None)
        self.removed = pg.ScatterPlotItem(symbol="x", size=9, brush=REMOVED_MARK, pen=pg.mkPen(REMOVED_MARK, width=2))
        self.plot.addItem(self.bars)
        self.plot.addItem(self.removed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        layout.addWidget(self.title)
        layout.addWidget(self.stats)
        layout.addWidget(self.plot, 1)
        self.probs = np.zeros(0)

    def show_stage(self, number: int, stage: ChainStage, candidates: np.ndarray, labels: Sequence[str],
                   scale: float = 1.0) -> None:
        """Show `stage` (numbered `number`, 0 = the model) over `candidates` labelled `labels`, probabilities
        from 0 to `scale` (the same in every chart, so that bars compare across stages)."""
        self.probs = stage.probs.numpy()[candidates].astype(np.float64)
        rows = np.arange(len(candidates))[::-1].astype(np.float64)
        heading = stage.label if number == 0 else f"{number}. {stage.label}"
        self.title.setText(f"<b>{heading}</b>" + (" <i>(skipped)</i>" if stage.skipped else ""))
        shown = float(self.probs.sum())
        self.stats.setText(f"H = {stage.entropy:.3f} nats · {stage.survivors} left\n"
                           f"others: p = {max(0.0, 1 - shown):.2f}")
        self.stats.setToolTip("Entropy of the stage's distribution, how many values survive it, and the probability "
                              "of the values not in the chart.")
        colour = SKIPPED if stage.skipped else KEPT
        self.bars.setOpts(x0=np.zeros(len(rows)), y=rows, width=self.probs, height=0.75, brush=colour)
        gone = ~np.isfinite(stage.logits.numpy()[candidates])
        self.removed.setData(x=np.zeros(int(gone.sum())), y=rows[gone])
        self.plot.getAxis("left").setTicks([[(float(r), labels[i]) for i, r in enumerate(rows)]])
        self.plot.setYRange(-0.6, len(rows) - 0.4, padding=0)
        self.plot.setXRange(0, scale, padding=0.02)
        step = next((v for v in TICK_STEPS if v >= scale / 3), 0.5)
        ticks = [step * i for i in range(int(scale / step) + 1)]
        self.plot.getAxis("bottom").setTicks([[(v, f"{v:.2g}") for v in ticks]])
        self.plot.getAxis("left").setTextPen(ink())
        self.plot.getAxis("bottom").setTextPen(ink())


class SamplerChainView(QWidget):
    """The stage order on the left (drag to reorder, or up / down); the charts of every stage on the right.
    `orderChanged(tuple)` fires with the new order of stage names whenever the person reorders them."""

    orderChanged = Signal(tuple)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("samplerChainView")
        self.stages: list[ChainStage] = []
        self.candidates = np.zeros(0, dtype=np.int64)
        self.labels: list[str] = []
        self.charts: list[StageChart] = []
        self.order_list = QListWidget(self, objectName="stageOrderList")
        self.order_list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.order_list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.order_list.setToolTip("The processors apply top to bottom; drag one, or use Up / Down, to reorder.")
        self.order_list.setFixedWidth(170)
        self.order_list.setMaximumHeight(150)
        self.order_list.model().rowsMoved.connect(self._moved)
        self.up_button = QPushButton("Up", self, objectName="stageUpButton", toolTip="Apply this stage earlier")
        self.down_button = QPushButton("Down", self, objectName="stageDownButton", toolTip="Apply this stage later")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        side = QVBoxLayout()
        side.addWidget(QLabel("<b>Stage order</b>"))
        side.addWidget(self.order_list)
        buttons = QHBoxLayout()
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        side.addLayout(buttons)
        legend = QLabel(f"<small>Bars: probability of the model's {CANDIDATES} most probable values after each stage. "
                        f"<span style='color:{REMOVED_MARK}'>✕</span> removed by the stage; "
                        f"<span style='color:{SKIPPED}'>grey</span>: the stage is off.</small>", self)
        legend.setWordWrap(True)
        legend.setFixedWidth(170)
        side.addWidget(legend)
        side.addStretch(1)
        self.chart_box = QWidget()
        self.grid = QGridLayout(self.chart_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.chart_box)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(side)
        layout.addWidget(scroll, 1)
        self.set_order(DEFAULT_ORDER)

    # The order.
    def order(self) -> tuple[str, ...]:
        """The stage names top to bottom."""
        return tuple(self.order_list.item(i).data(NAME_ROLE) for i in range(self.order_list.count()))

    def set_order(self, order: Sequence[str], labels: dict[str, str] | None = None) -> None:
        """Show `order` (stage names), each named by `labels` (its setting) or its short name; emits nothing."""
        selected = self._selected_name()
        self.order_list.blockSignals(True)
        self.order_list.clear()
        for i, name in enumerate(order, 1):
            item = QListWidgetItem(f"{i}. {(labels or {}).get(name, STAGE_LABELS[name])}")
            item.setData(NAME_ROLE, name)
            self.order_list.addItem(item)
            if name == selected:
                self.order_list.setCurrentItem(item)
        self.order_list.blockSignals(False)

    def move_selected(self, step: int) -> None:
        """Move the selected stage `step` places (-1 earlier, 1 later) and emit the new order."""
        row = self.order_list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.order_list.count():
            return
        order = list(self.order())
        order[row], order[target] = order[target], order[row]
        self.set_order(order, self._item_labels())
        self.order_list.setCurrentRow(target)
        self.orderChanged.emit(tuple(order))

    def _moved(self, *_: object) -> None:
        order = self.order()
        self.set_order(order, self._item_labels())
        self.orderChanged.emit(order)

    def _selected_name(self) -> str | None:
        item = self.order_list.currentItem()
        return None if item is None else item.data(NAME_ROLE)

    def _item_labels(self) -> dict[str, str]:
        return {self.order_list.item(i).data(NAME_ROLE): self.order_list.item(i).text().partition(". ")[2]
                for i in range(self.order_list.count())}

    # The charts.
    def set_chain(self, stages: list[ChainStage], label_of: Callable[[int], str]) -> None:
        """Show every stage of `stages` (the model first) over the model's top candidates, named by `label_of`."""
        self.stages = list(stages)
        self.candidates = top_candidates(stages, CANDIDATES).numpy()
        self.labels = [label_of(int(v)) for v in self.candidates]
        while len(self.charts) < len(stages):
            chart = StageChart(self.chart_box)
            index = len(self.charts)
            self.grid.addWidget(chart, index // COLUMNS, index % COLUMNS)
            self.charts.append(chart)
        scale = min(1.0, 1.1 * max(float(s.probs[self.candidates].max()) for s in stages))
        for number, (chart, stage) in enumerate(zip(self.charts, stages, strict=False)):
            chart.show_stage(number, stage, self.candidates, self.labels, scale)
            chart.show()
        for chart in self.charts[len(stages):]:
            chart.hide()
        self.set_order([s.name for s in stages[1:]], {s.name: s.label for s in stages[1:]})

    def final_probs(self) -> np.ndarray:
        """The last stage's probabilities over the shown candidates (what the last chart draws)."""
        return self.charts[len(self.stages) - 1].probs if self.stages else np.zeros(0)
