"""The Sweeps tab: the ordering lab and the scaling sweep (engine in arstudio.training.sweeps)."""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from arstudio.ui.sweeps.panel import SweepsPanel

TAB_TITLE = "Sweeps"


def install_sweeps(window: QMainWindow) -> SweepsPanel:
    """Add the Sweeps tab after the window's others and Run › Sweeps…; sets and returns `window.sweeps`.

    The window provides `registry`, `tabs`, `show_error(message)` and, when it has one, `training.enqueue`.
    """
    training = getattr(window, "training", None)
    panel = SweepsPanel(window.registry, getattr(training, "enqueue", None))
    panel.errorRaised.connect(window.show_error)
    window.tabs.addTab(panel, TAB_TITLE)
    window.sweeps = panel
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and action.text().replace("&", "") == "Run":
            menu.addSeparator()
            sweeps = QAction("S&weeps…", window)
            sweeps.setToolTip("Compare orderings or model sizes in one click")
            sweeps.triggered.connect(lambda: window.tabs.setCurrentWidget(panel))
            menu.addAction(sweeps)
            if isinstance(getattr(window, "actions_by_name", None), dict):
                window.actions_by_name["sweeps"] = sweeps
    return panel
