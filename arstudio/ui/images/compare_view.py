"""Strategies side by side on one partial image: the same painting and seed through each preset, a row of
completions per strategy with its mean log-likelihood and how much its completions differ."""

from __future__ import annotations

import html
import itertools

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from arstudio.app.presets import Preset, builtin_presets
from arstudio.sampling import GenerationResult
from arstudio.ui.images.completion_grid import PixelView

THUMBNAIL = 50


def difference(samples: np.ndarray, known: np.ndarray) -> float:
    """The mean fraction of filled values that differ between two completions (0: all the same)."""
    filled = samples[:, np.broadcast_to(~known, samples.shape[1:])]
    pairs = list(itertools.combinations(range(len(filled)), 2))
    if not pairs or filled.shape[1] == 0:
        return 0.0
    return float(np.mean([(filled[a] != filled[b]).mean() for a, b in pairs]))


class CompareView(QWidget):
    """The preset list (tick the strategies to compare), the compare button, and a row per strategy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.presets = builtin_presets()
        self.list = QListWidget(self, objectName="imageComparePresets")
        for preset in self.presets:
            item = QListWidgetItem(preset.name, self.list)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if preset.compare else Qt.CheckState.Unchecked)
            item.setToolTip(preset.config.describe())
        self.list.setMaximumHeight(96)
        self.compare_button = QPushButton("Compare strategies", self, objectName="imageCompareButton")
        self.compare_button.setToolTip("Complete the canvas with every ticked strategy, same seed, side by side")
        self.rows_widget = QWidget(objectName="imageCompareGrid")
        self.rows = QGridLayout(self.rows_widget)
        self.rows.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea(self)
        scroll.setWidget(self.rows_widget)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        top = QHBoxLayout()
        top.addWidget(self.list, 1)
        top.addWidget(self.compare_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(scroll, 1)
        self.views: list[list[PixelView]] = []
        self.metrics: list[QLabel] = []

    def chosen(self) -> list[Preset]:
        return [p for i, p in enumerate(self.presets) if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def reset(self, presets: list[Preset], count: int, values: np.ndarray, known: np.ndarray, levels: int) -> None:
        """A row per preset, each showing the painting with its unknown pixels hatched until it is filled."""
        while self.rows.count():
            self.rows.takeAt(0).widget().deleteLater()
        self.views, self.metrics = [], []
        for row, preset in enumerate(presets):
            settings = preset.config.describe()
            extra = f" <small>({html.escape(settings)})</small>" if settings != preset.name else ""
            name = QLabel(f"<b>{html.escape(preset.name)}</b>{extra}", self.rows_widget)
            self.rows.addWidget(name, 2 * row, 0, 1, count)
            views = []
            for column in range(count):
                view = PixelView(self.rows_widget)
                view.setFixedSize(THUMBNAIL, THUMBNAIL)
                view.set_image(values, ~known, levels)
                self.rows.addWidget(view, 2 * row + 1, column)
                views.append(view)
            metrics = QLabel("waiting…", self.rows_widget, objectName="imageCompareMetrics")
            self.rows.addWidget(metrics, 2 * row + 1, count)
            self.views.append(views)
            self.metrics.append(metrics)

    def show_row(self, row: int, result: GenerationResult, known: np.ndarray, levels: int) -> None:
        samples = result.samples.cpu().numpy()
        for view, sample in zip(self.views[row], samples, strict=False):
            view.set_image(sample, None, levels, ~known)
        mean = result.log_likelihood.mean().item()
        differ = difference(samples, known)
        self.metrics[row].setText(f"{mean:.1f} nats<br>differ {differ:.0%}")
        self.metrics[row].setToolTip(f"Mean log p(image) over the row: {mean:.2f} nats. Two completions differ in "
                                     f"{differ:.1%} of the filled values on average.")
