"""Where the window opens: a share of the screen on first start, the last place later, always on a screen.

The last place is kept as plain numbers (`window/rect` = "x,y,width,height" of the normal, not maximised,
window and `window/maximized`), so a settings file moved to another machine, or a monitor unplugged since,
is checked against the screens there are now instead of trusted.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

SHARE = 0.85
"""The part of the available screen the window takes on first start."""
COMFORTABLE = QSize(1280, 800)
"""Every panel is readable without scrolling at this size: the window takes it where the screen has room."""
FRAME_WAITS_MS = (0, 50, 100, 200, 400, 800)
"""After showing, the window manager adds the frame a moment later: look again after each of these."""
ENOUGH_ON_SCREEN = 0.25
"""A remembered window with less of its area than this on every screen is placed afresh."""
RECT_KEY, MAXIMIZED_KEY = "window/rect", "window/maximized"
OLD_KEY = "window/geometry"
"""Qt's saveGeometry() blob, written by earlier versions; dropped on the next save."""


def first_start_rect(available: QRect) -> QRect:
    """About 85 % of `available`, at least 1280x800 where it has room, never larger, centred on it."""
    width = min(available.width(), max(round(available.width() * SHARE), COMFORTABLE.width()))
    height = min(available.height(), max(round(available.height() * SHARE), COMFORTABLE.height()))
    rect = QRect(0, 0, width, height)
    rect.moveCenter(available.center())
    return rect


def restored_rect(saved: QRect, screens: list[QRect], primary: QRect) -> QRect:
    """`saved` on the screen that shows most of it, shrunk and moved to fit there; the first-start
    placement on `primary` when no screen shows enough of it (its screen is gone)."""
    area = max(saved.width() * saved.height(), 1)
    shown = [(_area(saved.intersected(screen)), screen) for screen in screens]
    best_area, best = max(shown, key=lambda pair: pair[0], default=(0, primary))
    if saved.isEmpty() or best_area < ENOUGH_ON_SCREEN * area:
        return first_start_rect(primary)
    return clamped(saved, best)


def clamped(rect: QRect, available: QRect) -> QRect:
    """`rect` made to fit inside `available`: no larger, and moved in from any edge it crosses."""
    width, height = min(rect.width(), available.width()), min(rect.height(), available.height())
    x = min(max(rect.x(), available.left()), available.left() + available.width() - width)
    y = min(max(rect.y(), available.top()), available.top() + available.height() - height)
    return QRect(x, y, width, height)


def place_window(window: QWidget, settings: QSettings) -> QRect:
    """Give `window` its remembered place (checked against today's screens) or its first-start one; returns
    the geometry it got (its minimum size may have made it larger than asked)."""
    screen = QGuiApplication.primaryScreen()
    primary = screen.availableGeometry() if screen else QRect(0, 0, COMFORTABLE.width(), COMFORTABLE.height())
    saved = parse_rect(settings.value(RECT_KEY, ""))
    if saved is None:
        rect = first_start_rect(primary)
    else:
        rect = restored_rect(saved, [each.availableGeometry() for each in QGuiApplication.screens()], primary)
    window.setGeometry(rect)
    if saved is not None and settings.value(MAXIMIZED_KEY, False, bool):
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
    return window.geometry()


def fit_frame_when_shown(window: QWidget, attempt: int = 0) -> None:
    """Call fit_frame once the window manager has framed the shown window (or after the last wait)."""
    framed = window.frameGeometry() != window.geometry()
    if framed or attempt == len(FRAME_WAITS_MS) - 1:
        fit_frame(window)
        return
    QTimer.singleShot(FRAME_WAITS_MS[attempt + 1], window, lambda: fit_frame_when_shown(window, attempt + 1))


def fit_frame(window: QWidget) -> None:
    """Shrink and move a shown window so its frame (title bar included) lies inside its screen."""
    screen = window.screen()
    if screen is None or window.isMaximized() or window.isFullScreen():
        return
    available, frame = screen.availableGeometry(), window.frameGeometry()
    if available.contains(frame):
        return
    fitted = clamped(frame, available)
    margins = frame.size() - window.geometry().size()
    offset = window.geometry().topLeft() - frame.topLeft()
    window.setGeometry(QRect(fitted.topLeft() + offset, fitted.size() - margins))


def save_window(window: QWidget, settings: QSettings) -> None:
    rect = window.normalGeometry() if window.isMaximized() or window.isFullScreen() else window.geometry()
    settings.setValue(RECT_KEY, f"{rect.x()},{rect.y()},{rect.width()},{rect.height()}")
    settings.setValue(MAXIMIZED_KEY, window.isMaximized())
    settings.remove(OLD_KEY)


def parse_rect(value: object) -> QRect | None:
    """"x,y,width,height" as written by save_window; None for anything else (a hand-edited file)."""
    parts = value if isinstance(value, list) else str(value or "").split(",")  # INI reads "a,b" as a list
    try:
        x, y, width, height = (int(part) for part in parts)
    except (TypeError, ValueError):
        return None
    return QRect(x, y, width, height) if width > 0 and height > 0 else None


def _area(rect: QRect) -> int:
    return 0 if rect.isEmpty() else rect.width() * rect.height()
