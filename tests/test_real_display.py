"""The window on the real X platform (xcb), not offscreen: start, train a few steps, a screenshot of the screen.

The rest of the suite runs on Qt's offscreen platform, which never loads the xcb plugin or its system
libraries (libxcb-cursor0, libxcb-icccm4, ...): a machine missing them aborts at `make run` and nothing
else notices. Here an Xvfb server (1366x800, like a small laptop) is started, and a child process opens
the workbench exactly as `arstudio` does (`arstudio.cli.main([])`) with DISPLAY pointing at it and
QT_QPA_PLATFORM=xcb, trains MADE on binary digits for 30 steps, grabs the X root window and exits.

Run as a script (`python tests/test_real_display.py OUT_DIR`) it is that child. Set ARSTUDIO_SMOKE_PNG to
keep the screenshot. Without the Xvfb binary the test is skipped, except where CI is set: CI installs it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCREEN = (1366, 800)
STEPS = 30
CHILD_SECONDS = 60
"""The child is killed past this (it takes about 10 s on two cores); it gives up on its own at 45 s."""


@pytest.fixture()
def x_display(tmp_path: Path):
    """An Xvfb server of SCREEN size on a free display number (Xvfb picks it: -displayfd)."""
    if shutil.which("Xvfb") is None:
        reason = "the Xvfb binary is missing (Debian/Ubuntu: apt install xvfb; see the README's set-up)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI installs it, so this must not be skipped there")
        pytest.skip(reason)
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24", "-nolisten", "tcp",
         "-noreset"], pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=open(tmp_path / "xvfb.log", "wb"))
    os.close(write_end)
    try:
        number = _read_display_number(read_end, server, tmp_path / "xvfb.log")
        yield f":{number}"
    finally:
        os.close(read_end)
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _read_display_number(fd: int, server: subprocess.Popen, log: Path) -> int:
    text = b""
    deadline = time.monotonic() + 15
    os.set_blocking(fd, False)
    while not text.endswith(b"\n"):
        if server.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"Xvfb did not start: {log.read_text(errors='replace')[-2000:]}")
        try:
            text += os.read(fd, 64)
        except BlockingIOError:
            time.sleep(0.05)
    return int(text)


def _private_environment(display: str, home: Path) -> dict[str, str]:
    """The child's environment: the X server above, and a throw-away home so nothing of the user's is touched."""
    runtime = home / "runtime"
    runtime.mkdir(parents=True)
    runtime.chmod(0o700)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("QT_", "XDG_", "WAYLAND_")) and key not in {"XAUTHORITY", "DISPLAY"}}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", HOME=str(home), ARSTUDIO_HOME=str(home / "arstudio"),
               XDG_RUNTIME_DIR=str(runtime), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"))
    return env


def test_the_window_opens_trains_and_draws_on_a_real_x_server(x_display: str, tmp_path: Path) -> None:
    import numpy as np
    from PIL import Image

    from arstudio.training.run_checkpoint import run_checkpoint
    from arstudio.training.run_store import RunStore

    home, out = tmp_path / "home", tmp_path / "out"
    out.mkdir()
    env = _private_environment(x_display, home)
    started = time.monotonic()
    child = subprocess.run([sys.executable, __file__, str(out)], env=env, capture_output=True, text=True,
                           timeout=CHILD_SECONDS)
    seconds = time.monotonic() - started
    log = f"child stdout:\n{child.stdout[-3000:]}\nchild stderr:\n{child.stderr[-6000:]}"
    assert child.returncode == 0, f"the window on xcb exited {child.returncode}\n{log}"
    result = json.loads((out / "result.json").read_text())
    assert result["platform"] == "xcb", log
    assert result["screen"] == list(SCREEN), log

    store = RunStore(home / "arstudio" / "runs")
    try:
        record = store.get(result["run_id"])
        assert (record.family, record.status, record.steps) == ("made", "finished", STEPS), log
        assert run_checkpoint(store, record.id).is_file(), log
    finally:
        store.close()

    png = out / "screen.png"
    if os.environ.get("ARSTUDIO_SMOKE_PNG"):
        shutil.copyfile(png, os.environ["ARSTUDIO_SMOKE_PNG"])
    pixels = np.asarray(Image.open(png).convert("RGB"))
    assert pixels.shape == (SCREEN[1], SCREEN[0], 3)
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    assert len(colours) > 64, f"the screenshot has only {len(colours)} colours: blank, not a drawn window"
    assert counts.max() < 0.8 * counts.sum(), "one colour covers most of the screen: the window was not drawn"
    x, y, width, height = result["window"]
    inside = pixels[max(y, 0):y + height, max(x, 0):x + width]
    assert inside.size and inside.std() > 10, "the window's area of the screen is flat"
    assert seconds < CHILD_SECONDS, seconds


def test_the_readme_set_up_installs_what_ci_installs_each_package_once() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    array = ci[ci.index("packages=(") + len("packages=("):ci.index("\n)\n")]
    ci_packages = [word for line in array.splitlines() for word in line.split("#")[0].split()]
    readme = (ROOT / "README.md").read_text()
    set_up = readme[readme.index("## Set-up"):]
    set_up = set_up[:set_up.index("\n## ")]
    lines = [line for line in set_up.splitlines() if line.startswith("sudo apt install ")]
    assert len(lines) == 1, "the set-up has one apt line"
    readme_packages = lines[0].split()[3:]
    assert len(set(readme_packages)) == len(readme_packages) and len(set(ci_packages)) == len(ci_packages)
    assert sorted(readme_packages) == sorted(ci_packages)
    assert {"xvfb", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"} <= set(ci_packages)
    assert "apt-get install" in ci and '"${packages[@]}"' in ci and ci.rstrip().endswith("make test")


# The child: the workbench on xcb, driven by a timer.

def _child(out: Path) -> int:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from arstudio.cli import main

    # The window is opened by `arstudio` itself; the application exists first only so that the driver's
    # timer can be started before `main` enters the event loop (so run_app warns that the rounding policy is
    # set after the application exists: it is set here, to the same value).
    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(sys.argv[:1])
    driver = _Driver(app, out)
    timer = QTimer(interval=100, timeout=driver.tick)
    timer.start()
    code = main([])
    timer.stop()
    return code if driver.error is None else 1


class _Driver:
    """Waits for the window, trains a tiny run through its own widgets, then grabs the screen and quits."""

    def __init__(self, app, out: Path) -> None:
        self.app, self.out = app, out
        self.window = None
        self.started = time.monotonic()
        self.finished_at: float | None = None
        self.error: str | None = None

    def tick(self) -> None:
        try:
            self._tick()
        except BaseException as exc:  # noqa: BLE001 - a failure here must end the child, not open a dialog
            self._fail(f"{type(exc).__name__}: {exc}")

    def _tick(self) -> None:
        from arstudio.ui import MainWindow

        if time.monotonic() - self.started > 45:
            self._fail(f"timed out; status bar: {self.window.status_label.text() if self.window else 'no window'}")
        elif self.window is None:
            windows = [w for w in self.app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
            if windows and windows[0].windowHandle() is not None and windows[0].windowHandle().isExposed():
                self.window = windows[0]
                self.window.setup.select("made", "binary-digits", {"hidden": 32})
                self.window.setup.steps_spin.setValue(STEPS)
                self.window.setup.train_button.click()
        elif self.finished_at is None:
            if self.window.session is not None and not self.window.is_training():
                self.finished_at = time.monotonic()
        elif time.monotonic() - self.finished_at > 1.0:  # the last repaints: curve, preview, runs table
            self._grab_and_quit()

    def _grab_and_quit(self) -> None:
        screen = self.window.screen()
        if not screen.grabWindow(0).save(str(self.out / "screen.png")):
            raise RuntimeError("could not save the screenshot")
        runs = self.window.registry.runs()
        frame = self.window.frameGeometry()
        result = {"platform": self.app.platformName(), "screen": [screen.size().width(), screen.size().height()],
                  "window": [frame.x(), frame.y(), frame.width(), frame.height()],
                  "run_id": max(run.id for run in runs) if runs else None,
                  "status_bar": self.window.status_label.text()}
        (self.out / "result.json").write_text(json.dumps(result))
        print(json.dumps(result), flush=True)
        self.window.close()
        self.app.exit(0)

    def _fail(self, message: str) -> None:
        self.error = message
        print(f"smoke driver: {message}", file=sys.stderr, flush=True)
        os._exit(1)  # not app.exit: a modal dialog's nested event loop could keep the child alive


if __name__ == "__main__":
    sys.exit(_child(Path(sys.argv[1])))
