"""What became of a run whose process ended without saying so: the status it earns and why, in words."""

from __future__ import annotations

import signal
from pathlib import Path

KEPT = "its last checkpoint is kept: resume it from the runs table"


def exit_verdict(returncode: int | None, log: Path) -> tuple[str, str]:
    """(status, reason) for a run process that ended with `returncode` (None: unknown) before its last word."""
    if returncode is None:
        return "interrupted", f"its process ended while no window watched it; {KEPT}"
    if returncode < 0:
        name = _signal_name(-returncode)
        if -returncode == getattr(signal, "SIGKILL", 9):
            return "interrupted", (f"its process was killed ({name}: kill -9, or the system ran out of memory); "
                                   f"{KEPT}")
        if -returncode in (getattr(signal, "SIGTERM", 15), getattr(signal, "SIGINT", 2),
                           getattr(signal, "SIGHUP", 1)):
            return "interrupted", f"its process was asked to end ({name}) before it could save; {KEPT}"
        return "failed", f"its process crashed ({name}){_last_words(log)}; {KEPT}"
    if returncode == 0:
        return "interrupted", f"its process ended without finishing the run; {KEPT}"
    return "failed", f"its process exited with status {returncode}{_last_words(log)}; {KEPT}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _last_words(log: Path) -> str:
    """The last line the process wrote to its log, if any (a Python error names itself there)."""
    try:
        with open(log, "rb") as file:
            file.seek(0, 2)
            file.seek(max(0, file.tell() - 4096))
            lines = [line.strip() for line in file.read().decode("utf-8", "replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return f" after writing \u201c{lines[-1][:300]}\u201d to {log}" if lines else ""
