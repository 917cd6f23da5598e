"""The window fits the screen: a share of it on first start, the last place later (on a screen that is
still there), and every panel readable without scrolling at 1280x800."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import QScrollArea

from arstudio.training.run_store import RunStore
from arstudio.ui import MainWindow
from arstudio.ui.shell.geometry import clamped, first_start_rect, parse_rect, restored_rect
from arstudio.ui.train.runs_panel import NAME_COLUMN, TYPICAL_NAME

LAPTOP, MONITOR = QRect(0, 0, 1366, 800), QRect(1366, 0, 1920, 1080)


def test_first_start_takes_85_percent_at_least_1280x800_and_never_more_than_the_screen() -> None:
    assert first_start_rect(QRect(0, 0, 2560, 1440)) == QRect(192, 108, 2176, 1224)
    assert first_start_rect(LAPTOP) == QRect(43, 0, 1280, 800), "the reported 1366x800 screen"
    assert first_start_rect(QRect(0, 0, 1024, 600)) == QRect(0, 0, 1024, 600)
    on_monitor = first_start_rect(MONITOR)
    assert on_monitor.size().toTuple() == (1632, 918) and on_monitor.center() == MONITOR.center()


def test_a_remembered_place_is_checked_against_the_screens_there_are_now() -> None:
    inside = QRect(2000, 100, 1200, 700)
    assert restored_rect(inside, [LAPTOP, MONITOR], LAPTOP) == inside
    assert restored_rect(inside, [LAPTOP], LAPTOP) == first_start_rect(LAPTOP), "its monitor is unplugged"
    assert restored_rect(QRect(10_000, 50, 1200, 700), [LAPTOP], LAPTOP) == first_start_rect(LAPTOP)
    half_off = QRect(900, -100, 1000, 600)
    assert restored_rect(half_off, [LAPTOP], LAPTOP) == QRect(366, 0, 1000, 600), "moved in, size kept"
    assert restored_rect(QRect(-50, 10, 1500, 900), [LAPTOP], LAPTOP) == LAPTOP, "shrunk to fit"
    assert clamped(QRect(1300, 700, 400, 300), MONITOR) == QRect(1366, 700, 400, 300)
    assert [parse_rect(text) for text in ("1,2,30,40", ["1", "2", "30", "40"], "", "1,2,0,4", "a,b,c,d")] == [
        QRect(1, 2, 30, 40), QRect(1, 2, 30, 40), None, None, None]


PLACES = """
import json, sys
from pathlib import Path
from PySide6.QtCore import QRect, QSettings
from PySide6.QtWidgets import QApplication
from arstudio.ui import MainWindow

app = QApplication([])
folder, steps = Path(sys.argv[1]), json.loads(sys.argv[2])
report = {"available": [s.availableGeometry().getRect() for s in app.screens()]}
for step in steps:  # a start of the window, then what the person does before closing it
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    if step.get("move_to"):
        settings.setValue("window/rect", ",".join(map(str, step["move_to"])))
    window = MainWindow(runs_dir=folder / "runs", settings=settings)
    window.show()
    app.processEvents()
    report[step["name"]] = {"window": window.geometry().getRect(), "frame": window.frameGeometry().getRect(),
                            "maximized": window.isMaximized(), "normal": window.normalGeometry().getRect()}
    if step.get("resize_to"):
        window.setGeometry(QRect(*step["resize_to"]))
    if step.get("maximize"):
        window.showMaximized()
        app.processEvents()
    window.close()
    settings.sync()
print(json.dumps(report))
"""


def open_windows(tmp_path: Path, screens: list[QRect], steps: list[dict]) -> dict[str, dict[str, list[int]]]:
    """Open the real window in a fresh process on offscreen screens laid out like `screens`."""
    config = tmp_path / "screens.json"
    config.write_text(json.dumps({"screens": [
        {"name": f"screen{i}", "x": s.x(), "y": s.y(), "width": s.width(), "height": s.height(), "logicalDpi": 96,
         "logicalBaseDpi": 96, "dpr": 1} for i, s in enumerate(screens)]}), encoding="utf-8")
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}"}
    done = subprocess.run([sys.executable, "-c", PLACES, str(tmp_path), json.dumps(steps)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["available"] == [list(s.getRect()) for s in screens], "the offscreen screens were not set up"
    return report


def test_first_start_fits_the_screen_and_later_starts_restore_or_rescue_the_window(tmp_path: Path) -> None:
    on_monitor = [1500, 120, 1400, 760]
    both = open_windows(tmp_path, [LAPTOP, MONITOR], [
        {"name": "first", "resize_to": [100, 50, 1200, 700]},
        {"name": "restored", "resize_to": on_monitor},
        {"name": "on monitor"},
    ])
    first, frame = QRect(*both["first"]["window"]), QRect(*both["first"]["frame"])
    assert first.width() == 1280 and first.center().x() == LAPTOP.center().x(), "85 % of 1366 is less: 1280"
    assert LAPTOP.contains(frame) and frame.height() == 800, "800 high, title bar and frame included"
    assert both["restored"]["window"] == [100, 50, 1200, 700]
    assert both["on monitor"]["window"] == on_monitor
    unplugged = open_windows(tmp_path, [LAPTOP], [
        {"name": "monitor gone"},
        {"name": "far off", "move_to": [10_000, 50, 1200, 700]},
        {"name": "too big", "move_to": [-40, 300, 1600, 1000], "resize_to": [20, 30, 1100, 600], "maximize": True},
        {"name": "maximised"},
    ])
    assert unplugged["monitor gone"] == both["first"], "back on the primary screen, as on first start"
    assert unplugged["far off"] == both["first"]
    assert unplugged["too big"]["frame"] == list(LAPTOP.getRect()), "shrunk to the screen"
    assert unplugged["maximised"]["maximized"] and unplugged["maximised"]["normal"] == [20, 30, 1100, 600]


def test_at_1280x800_runs_and_setup_are_readable_without_scrolling(qtbot, tmp_path: Path) -> None:
    with RunStore(tmp_path / "runs") as store:
        for family, dataset in (("made", "binary-digits"), ("pixelcnn", "glyphs"), ("wavenet", "tones"),
                                ("transformer", "pydocs"), ("nade", "binary-digits"), ("made", "binary-digits")):
            run_id = store.create_run(f"{family} on {dataset}", family, dataset, {}, {}, "cpu")
            store.update_run(run_id, steps=2000, best_val_nll=31.2345, test_nll=31.5)
            store.set_status(run_id, "finished")
    window = MainWindow(runs_dir=tmp_path / "runs", settings=QSettings(str(tmp_path / "s.ini"),
                                                                      QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    table, scroll = window.runs.table, window.findChild(QScrollArea)
    typical = table.fontMetrics().horizontalAdvance(TYPICAL_NAME)
    for width in (1280, window.minimumSizeHint().width()):
        window.resize(width, 800)
        qtbot.wait(20)
        assert table.columnWidth(NAME_COLUMN) >= max(table.sizeHintForColumn(NAME_COLUMN), typical), width
        for column in range(table.columnCount()):
            assert table.columnWidth(column) >= table.sizeHintForColumn(column), (width, column)
    window.resize(1280, 800)
    qtbot.wait(20)
    assert table.viewport().height() >= 4 * table.rowHeight(0), "several runs in view"
    for family in ("made", "pixelcnn", "wavenet", "transformer"):
        window.setup.select(family)
        qtbot.wait(20)
        assert not scroll.verticalScrollBar().isVisible(), family

    window.tabs.setCurrentWidget(window.text_panel)
    qtbot.wait(20)
    text_controls = next(area for area in window.text_panel.findChildren(QScrollArea)
                         if area.objectName() != "compareGrid")
    assert not text_controls.verticalScrollBar().isVisible(), "the Text panel's controls fit at 1280x800"
