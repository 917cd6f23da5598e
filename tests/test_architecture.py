"""The house rules that the import contracts in pyproject.toml do not cover."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from arstudio.cli.commands import encode_prompt
from arstudio.data import DataSpec
from arstudio.data.text_codec import encode_text

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400


def _modules_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}, cwd=ROOT).stdout
    return set(out.split())


def test_importing_the_ui_package_loads_no_panel():
    loaded = _modules_after("import arstudio.ui")
    assert not {m for m in loaded if m.startswith("arstudio.ui.")}, "arstudio.ui imports MainWindow lazily"


def test_headless_commands_run_without_qt():
    loaded = _modules_after("from arstudio.cli import main\nmain(['families'])")
    assert "arstudio.cli.commands" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("PySide6", "pyqtgraph", "sounddevice")}


def test_no_source_file_is_over_400_lines():
    files = [p for folder in ("arstudio", "benchmarks", "packaging") for p in (ROOT / folder).rglob("*")
             if p.suffix in (".py", ".c", ".spec") and "__pycache__" not in p.parts]
    assert files
    long = {str(p.relative_to(ROOT)): n for p in files if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these by reason to change: {long}"


def test_the_command_line_encodes_a_prompt_as_the_window_does():
    spec = DataSpec("text", (16,), 4, vocabulary=["<", "e", "<eos>", "o"])
    checkpoint = SimpleNamespace(spec=spec)
    assert encode_prompt("e<eos>o<", checkpoint).tolist() == encode_text("e<eos>o<", spec) == [1, 2, 3, 0]
