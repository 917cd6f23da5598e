"""Whether a run's log-likelihood goes through torch.compile, and falling back to eager when it cannot.

`TrainConfig.compile` is "auto", "on" or "off". "auto" compiles only where benchmarks/ measured a clear
gain (`training/<family>/compiled` against `training/<family>`) and where compiling is safe: a C++
compiler for inductor's CPU code, not a frozen application (no sources to compile from), one process.
A compilation that fails falls back to eager and says why; training goes on.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable

import torch

from arstudio.errors import UserError

CHOICES = ("auto", "on", "off")
FASTER_COMPILED = {"cpu": frozenset({"nade"})}
"""Families whose compiled training step was clearly faster with their defaults, by device type. NADE on the
CPU: 1.51x, 1.55x and 1.69x in three quiet full runs (its O(DH) recurrence makes [B, D, H] tensors that
inductor fuses). The others moved between 0.86x and 1.46x from run to run on the CPU; CUDA is not measured."""


def check_choice(value: object) -> None:
    if value not in CHOICES:
        raise UserError(f"compile must be one of {', '.join(CHOICES)}, got {value!r}.")


def compile_decision(choice: str, family: str, device: torch.device, world_size: int = 1) -> tuple[bool, str]:
    """(compile?, why) for a run; `why` is shown to the person when it matters."""
    if choice == "off":
        return False, "torch.compile is off"
    obstacle = _obstacle(device, world_size)
    if choice == "on":
        return (False, f"torch.compile was asked for, but {obstacle}; training eagerly") if obstacle else \
            (True, "torch.compile is on")
    if family not in FASTER_COMPILED.get(device.type, ()):
        return False, f"torch.compile is not measured to be faster for {family} on {device.type}"
    if obstacle:
        return False, f"torch.compile would help, but {obstacle}"
    return True, f"torch.compile is on ({family} on {device.type} trains faster compiled)"


def worth_telling(choice: str, use: bool, family: str, device: torch.device) -> bool:
    """Whether the person hears the decision: compiling, asked for, or measured to help but not possible."""
    return choice != "off" and (use or choice == "on" or family in FASTER_COMPILED.get(device.type, ()))


def _obstacle(device: torch.device, world_size: int) -> str | None:
    if getattr(sys, "frozen", False):
        return "the packaged application cannot compile"
    if world_size > 1:
        return "it is not used with several processes"
    if device.type == "cpu" and not cpp_compiler():
        return "no C++ compiler was found (install g++, or set CXX)"
    return None


def cpp_compiler() -> str | None:
    """The C++ compiler inductor would use for CPU code: $CXX, else g++ or clang++ on the PATH."""
    named = os.environ.get("CXX")
    if named:
        return shutil.which(named)
    return shutil.which("g++") or shutil.which("clang++")


class FallbackToEager:
    """Calls the compiled function; if compiling or running it fails, reports why once and uses `eager` from then on."""

    def __init__(self, eager: Callable[..., torch.Tensor], report: Callable[[str], None]) -> None:
        self.eager = eager
        self.report = report
        self.compiled: Callable[..., torch.Tensor] | None = torch.compile(eager, dynamic=False)

    def __call__(self, *args: object) -> torch.Tensor:
        if self.compiled is not None:
            try:
                return self.compiled(*args)
            except Exception as exc:  # any compiler failure: the eager path computes the same thing
                self.compiled = None
                self.report(f"torch.compile failed ({type(exc).__name__}: {_first_line(exc)}); training eagerly")
        return self.eager(*args)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else "no message"
