"""The application's identity: the names QSettings finds the user's settings by, and the icon."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from arstudio import __version__
from arstudio.resources import resource_path

APP_NAME = "ARStudio"


def configure_application_identity() -> None:
    """Names that QSettings uses to find the user's settings, and the window icon."""
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    if isinstance(QCoreApplication.instance(), QApplication):
        QApplication.setWindowIcon(application_icon())


def application_icon() -> QIcon:
    icon = QIcon(str(resource_path("icons", "arstudio.svg")))
    for size in (16, 32, 48, 64, 128, 256):
        icon.addFile(str(resource_path("icons", f"arstudio-{size}.png")))
    return icon
