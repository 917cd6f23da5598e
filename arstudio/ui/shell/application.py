"""Starting the workbench: the QApplication, its theme, and a last-resort error dialog."""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from arstudio.errors import UserError
from arstudio.ui.shell.identity import APP_NAME, configure_application_identity


def run_app(argv: list[str] | None = None) -> int:
    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    configure_application_identity()
    sys.excepthook = _show_unexpected_error
    from arstudio.ui.shell.main_window import MainWindow
    from arstudio.ui.shell.theme import THEMES, apply_theme

    theme = QSettings().value("view/theme", "system", str)
    apply_theme(app, theme if theme in THEMES else "system")

    window = MainWindow()
    window.show()
    return app.exec()


def _show_unexpected_error(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    """Anything that escapes a slot is shown, not fatal: the window keeps running."""
    details = "".join(traceback.format_exception(kind, error, tb))
    sys.stderr.write(details)
    box = QMessageBox(QMessageBox.Icon.Warning if isinstance(error, UserError) else QMessageBox.Icon.Critical,
                      APP_NAME, str(error) if isinstance(error, UserError) else f"Something went wrong: {error}")
    if not isinstance(error, UserError):
        box.setDetailedText(details)
    box.exec()
