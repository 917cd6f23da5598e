"""Choosing where to train: CUDA, then Apple MPS, then the CPU."""

from __future__ import annotations

import torch

from arstudio.errors import UserError


def available_devices() -> list[str]:
    """Device names a user can pick, best first ('auto' not included)."""
    names = [f"cuda:{i}" if torch.cuda.device_count() > 1 else "cuda" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    return [*names, "cpu"]


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        return torch.device(available_devices()[0])
    try:
        device = torch.device(name)
    except RuntimeError:
        raise UserError(f"Unknown device {name!r}: choose auto, {', '.join(available_devices())}.") from None
    if device.type == "cuda" and (not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()):
        raise UserError(f"Device {name} is not available here; choose auto or one of {', '.join(available_devices())}.")
    if device.type == "mps" and "mps" not in available_devices():
        raise UserError("Apple MPS is not available here; choose auto or cpu.")
    return device


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)
