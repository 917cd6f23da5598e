"""The Qt workbench. Everything here may import Qt; nothing below arstudio/ui does."""

from arstudio.ui.main_window import MainWindow

__all__ = ["MainWindow"]
