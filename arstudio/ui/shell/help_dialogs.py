"""The Help menu's dialogs: keyboard shortcuts and About."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from arstudio import __version__

SHORTCUTS = (("Ctrl+Return", "Train"), ("Esc", "Stop the run"), ("Ctrl+O", "Open a checkpoint"),
             ("Ctrl+Shift+O", "Open data"), ("Ctrl+Q", "Quit"))


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About ARStudio",
                      f"<b>ARStudio {__version__}</b><p>A workbench for learning, training and exploring "
                      "autoregressive models: NADE, MADE, PixelCNN, WaveNet and Transformers.</p>")


def show_shortcuts(parent: QWidget) -> None:
    rows = "".join(f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in SHORTCUTS)
    QMessageBox.information(parent, "Keyboard shortcuts", f"<table cellpadding=4>{rows}</table>")
