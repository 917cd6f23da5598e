from __future__ import annotations

import subprocess
import sys

from arstudio.cli import main


def test_families_lists_every_family_with_its_kinds(capsys) -> None:
    assert main(["families"]) == 0
    out = capsys.readouterr().out
    for name in ("nade", "made", "pixelcnn", "wavenet", "transformer"):
        assert name in out
    assert "accepts audio, text" in out


def test_console_module_runs_and_rejects_unknown_commands() -> None:
    ok = subprocess.run([sys.executable, "-m", "arstudio", "--version"], capture_output=True, text=True)
    assert ok.returncode == 0 and "arstudio" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "arstudio", "bogus"], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_datasets_lists_every_built_in_set_with_its_shape(capsys) -> None:
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name, shape, labels in (("binary-digits", "1x8x8", "digit (10)"), ("glyphs", "1x28x28", "digit (10)"),
                                ("patches", "3x16x16", ""), ("tones", "4000", ""), ("pydocs", "256", ""),
                                ("binarized-mnist", "1x28x28", "digit (10)"), ("mnist", "1x28x28", "digit (10)"),
                                ("fashion-mnist", "1x28x28", "item (10)"),
                                ("spoken-digits", "7200", "digit (10), voice (12)")):
        line = next(row for row in out.splitlines() if row.startswith(name + " "))
        assert shape in line and labels in line


def test_without_a_display_the_gui_command_explains_instead_of_crashing() -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "-m", "arstudio"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert "No display" in done.stderr and "Traceback" not in done.stderr
