"""`arstudio doctor`: what works on this machine and what to install for what does not, one line each.

Nothing here imports Qt or sounddevice: the Qt check reads PySide6's plugin with `ldd`, PortAudio is
loaded with ctypes, and the output devices are listed by a short child process that imports sounddevice.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from arstudio.cli import qt_libraries
from arstudio.cli.display import x_server_answers
from arstudio.data.paths import data_home
from arstudio.errors import UserError

LOW_SPACE_BYTES = 1 << 30
DEVICE_QUERY_TIMEOUT_S = 15
LIST_OUTPUTS = (
    "import json, sounddevice as sd\n"
    "print(json.dumps([d['name'] for d in sd.query_devices() if d['max_output_channels'] > 0]))"
)


@dataclass(frozen=True)
class Finding:
    """One line of the report: a topic, "ok" / "missing" (or "low", "unknown") and what to know or do."""

    topic: str
    status: str
    detail: str
    essential: bool = False
    """Whether the workbench cannot start until this works ("ok", or "unknown" when it cannot be told)."""


def qt_platform() -> Finding:
    checks = qt_libraries.check_platforms()
    check = qt_libraries.first_loading(checks)
    passed_over = [f"{earlier.platform} needs {', '.join(earlier.missing) or 'its plugin'}, so Qt falls back"
                   for earlier in checks[:checks.index(check)]]
    name = f"{check.platform} ({'; '.join(passed_over)})" if passed_over else check.platform
    if check.skipped:
        status = "unknown" if "ldd" in check.skipped else "ok"
        return Finding("Qt platform", status, f"{name}: {check.skipped}", essential=True)
    if check.ok:
        return Finding("Qt platform", "ok", f"{name}: every library of {check.plugin.name} loads", essential=True)
    return Finding("Qt platform", "missing", f"{qt_libraries.problem(check)} -> {qt_libraries.remedy(check)} "
                   "(package names for Debian/Ubuntu)", essential=True)


def display() -> Finding:
    platform = qt_libraries.platforms_to_try()[0]
    if platform in qt_libraries.UNCHECKED_PLATFORMS:
        return Finding("Display", "ok", f"none needed: QT_QPA_PLATFORM={platform} draws the window off screen",
                       essential=True)
    shown = [f"{name}={os.environ[name]}" for name in ("DISPLAY", "WAYLAND_DISPLAY") if os.environ.get(name)]
    x_display = os.environ.get("DISPLAY", "")
    if x_display and sys.platform.startswith("linux") and x_server_answers(x_display) is False:
        return Finding("Display", "missing", f"no X server answers on DISPLAY={x_display}: start it, check DISPLAY, "
                       "or run `xvfb-run arstudio`", essential=True)
    if shown or not sys.platform.startswith("linux"):
        return Finding("Display", "ok", ", ".join(shown) or "the system's own", essential=True)
    return Finding("Display", "missing", "no DISPLAY or WAYLAND_DISPLAY: open ARStudio in a desktop session, over "
                   "`ssh -X` or under `xvfb-run arstudio`; the command line needs none", essential=True)


def portaudio() -> Finding:
    name = ctypes.util.find_library("portaudio")
    if name:
        try:
            ctypes.CDLL(name)
            return Finding("PortAudio", "ok", f"{name} loads")
        except OSError as error:
            return Finding("PortAudio", "missing", f"{name} does not load ({error}); playback is off")
    return Finding("PortAudio", "missing", f"{qt_libraries.install_command(['libportaudio2'])} (macOS: brew install "
                   "portaudio); without it playback is off, WAV files still work")


def output_devices(portaudio_found: Finding) -> Finding:
    if portaudio_found.status != "ok":
        return Finding("Output devices", "missing", "needs PortAudio (the line above)")
    try:
        done = subprocess.run([sys.executable, "-c", LIST_OUTPUTS], capture_output=True, text=True,
                              timeout=DEVICE_QUERY_TIMEOUT_S)
        names = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as error:
        return Finding("Output devices", "unknown", f"could not list them ({error})")
    if names is None:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return Finding("Output devices", "unknown", f"sounddevice failed: {last}")
    if not names:
        return Finding("Output devices", "missing", "none found: connect speakers or headphones, or start the sound "
                       "server (PipeWire, PulseAudio); playback is off until then")
    return Finding("Output devices", "ok", f"{len(names)}: {', '.join(names[:3])}{', ...' if len(names) > 3 else ''}")


def c_compiler() -> Finding:
    from arstudio.native import build

    cc = build.compiler()
    if build.switched_off():
        return Finding("C compiler", "ok", f"{cc or 'none'}; the native kernel is switched off ({build.SWITCH}=off)")
    if cc is None:
        return Finding("C compiler", "missing", f"{qt_libraries.install_command(['gcc'])}: the native WaveNet kernel "
                       "makes audio generation about twice as fast (PyTorch is used without it)")
    reason = build.unavailable_reason("wavenet_step")
    if reason:
        return Finding("C compiler", "missing", f"{cc} found, but the native WaveNet kernel is not built: {reason}")
    return Finding("C compiler", "ok", f"{cc}: the native WaveNet kernel is built and loads")


def espeak() -> Finding:
    found = shutil.which("espeak-ng")
    if found:
        return Finding("espeak-ng", "ok", f"{found}: the spoken-digits data set can be synthesised")
    return Finding("espeak-ng", "missing", f"{qt_libraries.install_command(['espeak-ng'])}: only the spoken-digits "
                   "data set needs it")


def gpu() -> Finding:
    import torch

    from arstudio.training.device import available_devices

    accelerators = [name for name in available_devices() if name != "cpu"]
    if not accelerators:
        return Finding("GPU", "missing", "none found (CUDA or Apple MPS): training runs on the CPU")
    names = [f"{name} ({torch.cuda.get_device_name(index)})" if name.startswith("cuda") else name
             for index, name in enumerate(accelerators)]
    return Finding("GPU", "ok", ", ".join(names))


def data_folder() -> Finding:
    home = data_home()
    existing = next(path for path in (home, *home.parents) if path.exists())
    free = shutil.disk_usage(existing).free
    where = f"{home} ({'exists' if existing == home else 'created on first use'}), {free / 1e9:.1f} GB free"
    if not os.access(existing, os.W_OK):
        return Finding("Data folder", "missing", f"{where}, but {existing} is not writable: set ARSTUDIO_HOME to a "
                       "folder you can write", essential=True)
    if free < LOW_SPACE_BYTES:
        return Finding("Data folder", "low", f"{where}: free some space or set ARSTUDIO_HOME to a bigger disk",
                       essential=True)
    return Finding("Data folder", "ok", where, essential=True)


def findings() -> list[Finding]:
    sound = portaudio()
    steps: list[Callable[[], Finding]] = [qt_platform, display, lambda: sound, lambda: output_devices(sound),
                                          c_compiler, espeak, gpu, data_folder]
    return [step() for step in steps]


def report(lines: list[Finding]) -> str:
    width = max(len(line.topic) for line in lines)
    indent = " " * (width + 13)
    columns = max(shutil.get_terminal_size((110, 24)).columns, 80)
    rows = [textwrap.fill(f"  {line.topic:<{width}}  {line.status:<8} {line.detail}", columns,
                          subsequent_indent=indent, break_on_hyphens=False, break_long_words=False) for line in lines]
    return "\n".join(["ARStudio doctor: what works here, and what to install for what does not", "", *rows])


def run(args: argparse.Namespace) -> int:
    del args
    lines = findings()
    print(report(lines))
    failing = [line.topic for line in lines if line.essential and line.status not in ("ok", "unknown")]
    if failing:
        raise UserError(f"not ready: {', '.join(failing)} (see the lines above). The rest is optional.")
    print(f"\nThe essentials work: the window can open and ARStudio can keep its data in {Path(data_home())}.")
    return 0
