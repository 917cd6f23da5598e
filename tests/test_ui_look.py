"""The look: themes, the stylesheet and the action icons that the window really uses."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication

from arstudio.errors import UserError
from arstudio.resources import resource_path
from arstudio.ui import MainWindow
from arstudio.ui.shell.icons import BUTTON_ICONS, action_icon
from arstudio.ui.shell.theme import THEMES, apply_theme, resolve_theme, theme_palette


@pytest.fixture()
def restored_app(qapp: QApplication):
    style, palette, sheet = qapp.style().name(), QPalette(qapp.palette()), qapp.styleSheet()
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setStyle(style)


@pytest.fixture()
def window(qtbot, tmp_path: Path) -> MainWindow:
    window = MainWindow(runs_dir=tmp_path / "runs", settings=QSettings(str(tmp_path / "s.ini"),
                                                                      QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return window


def lightness(palette: QPalette, role: QPalette.ColorRole) -> int:
    return palette.color(role).lightness()


def test_dark_and_light_palettes_keep_text_readable() -> None:
    for dark in (False, True):
        palette = theme_palette(dark)
        for background, text in ((QPalette.ColorRole.Window, QPalette.ColorRole.WindowText),
                                 (QPalette.ColorRole.Base, QPalette.ColorRole.Text),
                                 (QPalette.ColorRole.Button, QPalette.ColorRole.ButtonText),
                                 (QPalette.ColorRole.Highlight, QPalette.ColorRole.HighlightedText)):
            assert abs(lightness(palette, background) - lightness(palette, text)) > 100, (dark, background)
        assert (lightness(palette, QPalette.ColorRole.Window) < 80) == dark


def test_the_view_menu_switches_theme_and_remembers_it(window: MainWindow, restored_app) -> None:
    window.actions_by_name["theme-dark"].trigger()
    assert window.settings.value("view/theme") == "dark"
    assert restored_app.styleSheet() == resource_path("arstudio.qss").read_text(encoding="utf-8")
    assert lightness(restored_app.palette(), QPalette.ColorRole.Window) < 80
    image = window.grab().toImage()
    assert image.pixelColor(image.width() // 2, image.height() - 5).lightness() < 80
    window.actions_by_name["theme-light"].trigger()
    assert lightness(restored_app.palette(), QPalette.ColorRole.Window) > 200
    with pytest.raises(UserError, match="Unknown theme"):
        apply_theme(restored_app, "sepia")
    assert resolve_theme("system") in ("light", "dark") and set(THEMES) == {"system", "light", "dark"}


def test_plots_and_the_live_curve_follow_the_theme(window: MainWindow, qtbot, restored_app) -> None:
    nll = window.nll
    nll.start_live("made on binary-digits", 64, 2)
    nll.add_train([(1, 0.1, 40.0), (2, 0.2, 35.0)])

    def plot_and_curve() -> tuple[int, int]:
        background = nll.plot.backgroundBrush().color().lightness()
        return background, nll.items["live"][1].opts["pen"].color().lightness()

    light_background, light_curve = plot_and_curve()
    assert light_background > 200 and light_curve < 80
    window.actions_by_name["theme-dark"].trigger()
    qtbot.wait(10)
    dark_background, dark_curve = plot_and_curve()
    assert dark_background < 80 and dark_curve > 180
    waveform = window.findChild(pg.PlotWidget, "waveformPlot")
    assert waveform is not None and waveform.backgroundBrush().color().lightness() < 80


def test_every_mapped_button_exists_and_has_its_icon(window: MainWindow) -> None:
    named = {button.objectName(): button for button in window.findChildren(QAbstractButton)}
    for name, icon in BUTTON_ICONS.items():
        assert not action_icon(icon).isNull(), icon
        assert name in named, f"no button named {name}: update BUTTON_ICONS"
        assert not named[name].icon().isNull(), name
    for name in ("train", "pause", "stop", "open", "data"):
        assert not window.actions_by_name[name].icon().isNull()
    assert window.actions_by_name["train"].isEnabled() and not window.actions_by_name["stop"].isEnabled()
    with pytest.raises(FileNotFoundError):
        action_icon("no-such-icon")
