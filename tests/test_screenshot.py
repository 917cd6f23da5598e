"""`arstudio screenshot` drives the real window offscreen and writes PNGs worth looking at."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from arstudio.cli import main


def distinct_colours(path: Path) -> int:
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB").resize((160, 100))).reshape(-1, 3)
    return len(np.unique(pixels, axis=0))


def test_screenshots_of_the_window_and_a_completed_image(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ARSTUDIO_HOME": str(tmp_path / "home")}
    out = tmp_path / "shots"
    done = subprocess.run([sys.executable, "-m", "arstudio", "screenshot", str(out), "--quick", "--panels",
                           "window,images", "--theme", "dark", "--size", "1200x760"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "wrote 2 screenshots" in done.stdout
    for name in ("window", "images"):
        with Image.open(out / f"{name}.png") as image:
            assert image.size == (1200, 760)
            dark_corner = sum(image.convert("RGB").getpixel((600, 750))) < 3 * 100
        assert dark_corner, "the dark theme paints the window dark"
        assert distinct_colours(out / f"{name}.png") > 40
    assert not (tmp_path / "home" / "runs").exists(), "the tour's runs go to a temporary folder"


def test_mistakes_in_the_screenshot_command_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["screenshot", str(tmp_path), "--panels", "window,garden"]) == 2
    assert "Unknown panel garden" in capsys.readouterr().err
    assert main(["screenshot", str(tmp_path), "--size", "big"]) == 2
    assert "WIDTHxHEIGHT" in capsys.readouterr().err


def test_the_inside_views_screenshots_come_from_the_ready_models(tmp_path: Path) -> None:
    from arstudio.ui.shell.inside_tour import SHOTS
    from arstudio.ui.shell.screenshots import INSIDE_SHOTS

    assert tuple(SHOTS) == INSIDE_SHOTS
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ARSTUDIO_HOME": str(tmp_path / "home")}
    out = tmp_path / "shots"
    done = subprocess.run([sys.executable, "-m", "arstudio", "screenshot", str(out), "--panels",
                           "inside-masks,inside-attention"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for name in ("inside-masks", "inside-attention"):
        assert distinct_colours(out / f"{name}.png") > 60, name
