"""The look of the workbench: Fusion style, a light or dark palette, and the shared stylesheet.

Themes are "system" (follow the desktop's colour scheme), "light" and "dark". The stylesheet takes
its colours from the palette, so switching the palette switches the whole window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from arstudio.errors import UserError
from arstudio.resources import resource_path

THEMES = ("system", "light", "dark")
STYLESHEET = "arstudio.qss"

_COLOURS = {
    # role: (light, dark)
    "Window":          ("#f3f4f6", "#24272c"),
    "WindowText":      ("#1f2328", "#e6e8eb"),
    "Base":            ("#ffffff", "#1b1d21"),
    "AlternateBase":   ("#f0f2f5", "#2a2e34"),
    "Text":            ("#1f2328", "#e6e8eb"),
    "Button":          ("#fafbfc", "#2f333a"),
    "ButtonText":      ("#1f2328", "#e6e8eb"),
    "Mid":             ("#b8bec7", "#555b64"),
    "Midlight":        ("#e3e6ea", "#3a3f47"),
    "Dark":            ("#8c939d", "#15171a"),
    "Shadow":          ("#5c636c", "#000000"),
    "Light":           ("#ffffff", "#4a5058"),
    "Highlight":       ("#2f6fd0", "#3d7fe0"),
    "HighlightedText": ("#ffffff", "#ffffff"),
    "ToolTipBase":     ("#fffbe6", "#33373e"),
    "ToolTipText":     ("#1f2328", "#e6e8eb"),
    "PlaceholderText": ("#7d848e", "#8d949e"),
    "Link":            ("#1d5fbf", "#7fb0ff"),
    "BrightText":      ("#d0443e", "#ff7b72"),
}
_DISABLED_TEXT = {False: "#9aa0a8", True: "#6d737c"}


def resolve_theme(name: str) -> str:
    """The palette a theme name stands for: "light" or "dark"."""
    if name not in THEMES:
        raise UserError(f"Unknown theme {name!r}: choose one of {', '.join(THEMES)}.")
    if name != "system":
        return name
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def theme_palette(dark: bool) -> QPalette:
    palette = QPalette()
    for role, colours in _COLOURS.items():
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(colours[dark]))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(_DISABLED_TEXT[dark]))
    return palette


def stylesheet() -> str:
    return resource_path(STYLESHEET).read_text(encoding="utf-8")


def apply_theme(app: QApplication, name: str = "system") -> str:
    """Style the whole application; returns the palette used ("light" or "dark")."""
    resolved = resolve_theme(name)
    app.setStyle("Fusion")
    app.setPalette(theme_palette(resolved == "dark"))
    app.setStyleSheet(stylesheet())
    return resolved
