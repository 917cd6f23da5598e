"""Plot settings shared by every pyqtgraph plot of the workbench."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

PALETTE_EVENTS = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


def major_grid_only(plot: pg.PlotWidget) -> None:
    """Grid lines and ticks at the labelled values only: the faint minor grid costs most of a redraw
    (about 17 of 26 ms per frame measured here), which the GUI thread cannot spare while a run trains."""
    for name in ("left", "bottom"):
        plot.getAxis(name).setStyle(maxTickLevel=0)


def ink() -> QColor:
    """The colour of text and of the main curve: the theme's text colour (near-black, or near-white when dark)."""
    return QApplication.palette().color(QPalette.ColorRole.Text)


def follow_palette(plot: pg.PlotWidget) -> None:
    """Give `plot` the theme's base colour as background, now and whenever the theme changes."""
    plot.setBackground(QApplication.palette().color(QPalette.ColorRole.Base))
    if not any(isinstance(child, _PaletteFollower) for child in plot.children()):
        plot.installEventFilter(_PaletteFollower(plot))


class _PaletteFollower(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in PALETTE_EVENTS and isinstance(watched, pg.PlotWidget):
            watched.setBackground(QApplication.palette().color(QPalette.ColorRole.Base))
        return False
