"""The window remembers the setup and the look across restarts, and shrugs off settings it cannot use."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from arstudio.ui import MainWindow


def open_window(qtbot, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(runs_dir=tmp_path / "runs", settings=settings)
    qtbot.addWidget(window)
    return window


def test_the_setup_is_remembered_across_restarts(qtbot, tmp_path: Path) -> None:
    window = open_window(qtbot, tmp_path)
    window.setup.select("pixelcnn", "glyphs", {"channels": 48})
    window.setup.steps_spin.setValue(750)
    window.setup.batch_spin.setValue(12)
    window.setup.lr_spin.setValue(0.002)
    window.setup.seed_spin.setValue(9)
    window.setup.compile_combo.setCurrentText("auto")
    window.close()

    again = open_window(qtbot, tmp_path)
    config = again.setup.config()
    assert (config.family, config.dataset, config.hparams["channels"]) == ("pixelcnn", "glyphs", 48)
    assert (config.steps, config.batch_size, config.lr, config.seed, config.compile) == (750, 12, 0.002, 9, "auto")


def test_unusable_settings_fall_back_to_the_defaults(qtbot, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("setup/state", '{"family": "no-such-family", "steps": "many", "device": "tpu", "compile": 1}')
    settings.sync()
    window = open_window(qtbot, tmp_path)
    assert (window.setup.family, window.setup.dataset) == ("made", "binary-digits")
    assert window.setup.steps_spin.value() == 2000 and window.setup.device_combo.currentText() == "auto"
    assert window.setup.config().compile == "off", "compiling would hold up the window: off unless chosen"
    window.settings.setValue("setup/state", "{broken json")
    assert open_window(qtbot, tmp_path).setup.family == "made"
