"""The window's menus and toolbar, built from tables of actions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

from arstudio.ui.shell.icons import action_icon
from arstudio.ui.shell.theme import THEMES

Shortcut = QKeySequence.StandardKey | str | None
ActionSpec = tuple[str, str, Shortcut, str | None]
"""name (the key in actions_by_name and in the slots), menu text, shortcut, icon name."""

SEPARATOR = None
MENUS: tuple[tuple[str, tuple[ActionSpec | None, ...]], ...] = (
    ("&File", (("open", "Open &checkpoint…", QKeySequence.StandardKey.Open, "open-checkpoint"),
               ("data", "Open &data…", "Ctrl+Shift+O", "open-data"),
               SEPARATOR,
               ("quit", "&Quit", QKeySequence.StandardKey.Quit, None))),
    ("&Run", (("train", "&Train", "Ctrl+Return", "train"),
              ("pause", "&Pause", None, "pause"),
              ("stop", "&Stop", "Esc", "stop"))),
    ("&View", ()),
    ("&Help", (("shortcuts", "&Keyboard shortcuts", None, None),
               ("about", "&About ARStudio", None, None))),
)
TOOLBAR = ("train", "pause", "stop", SEPARATOR, "open", "data")
RUN_ACTIONS = ("train", "pause", "stop")


def build_menus(window: QMainWindow, slots: Mapping[str, Callable[[], Any]], theme: str,
                set_theme: Callable[[str], None]) -> dict[str, QAction]:
    """The menu bar and toolbar of `window`; returns its actions by name (themes as "theme-<name>")."""
    actions: dict[str, QAction] = {}
    for title, specs in MENUS:
        menu = window.menuBar().addMenu(title)
        for spec in specs:
            if spec is SEPARATOR:
                menu.addSeparator()
            else:
                actions[spec[0]] = _action(window, menu, spec, slots[spec[0]])
        if title == "&View":
            actions.update(_theme_menu(window, menu.addMenu("&Theme"), theme, set_theme))
    bar = QToolBar("Main", window, objectName="mainToolBar", movable=False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for name in TOOLBAR:
        if name is SEPARATOR:
            bar.addSeparator()
        else:
            bar.addAction(actions[name])
    window.addToolBar(bar)
    return actions


def sync_run_actions(actions: Mapping[str, QAction], running: bool) -> None:
    """Train always (a run started while others train is queued); pause and stop while the watched run trains."""
    actions["pause"].setEnabled(running)
    actions["stop"].setEnabled(running)


def _action(window: QMainWindow, menu: QMenu, spec: ActionSpec, slot: Callable[[], Any]) -> QAction:
    _name, text, shortcut, icon = spec
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if icon is not None:
        action.setIcon(action_icon(icon))
    action.triggered.connect(slot)
    menu.addAction(action)
    window.addAction(action)
    return action


def _theme_menu(window: QMainWindow, menu: QMenu, current: str, set_theme: Callable[[str], None]) -> dict[str, QAction]:
    group = QActionGroup(window, exclusive=True)
    actions = {}
    for name in THEMES:
        action = QAction(name.capitalize(), window, checkable=True, checked=name == current)
        action.triggered.connect(lambda _checked=False, theme=name: set_theme(theme))
        group.addAction(action)
        menu.addAction(action)
        actions[f"theme-{name}"] = action
    return actions
