"""The ctypes face of wavenet_step.c: its `Net` struct and the loaded `wavenet_step` function.

arstudio/models/wavenet/native_stepper.py lays a WaveNet's weights out for it and calls it once per step.
"""

from __future__ import annotations

import ctypes

from arstudio.native import build

KERNEL = "wavenet_step"
FloatPointer = ctypes.POINTER(ctypes.c_float)
IntPointer = ctypes.POINTER(ctypes.c_int32)


class NetStruct(ctypes.Structure):
    """The kernel's `Net`: sizes and weight pointers (the field order is the C struct's)."""

    _fields_ = [
        *((name, ctypes.c_int32) for name in ("residual", "dilation_channels", "skip", "hidden", "levels", "layers")),
        ("dilations", IntPointer),
        *((name, FloatPointer) for name in (
            "input_present", "input_past", "dilated_present", "dilated_past", "dilated_bias", "residual_weight",
            "residual_bias", "skip_weight", "skip_bias", "hidden_weight", "hidden_bias", "out_weight", "out_bias")),
    ]


def kernel() -> ctypes._CFuncPtr | None:
    """The loaded `wavenet_step`, or None when the kernel is unavailable (see `build.unavailable_reason`)."""
    library = build.load(KERNEL)
    if library is None:
        return None
    step = library.wavenet_step
    if step.argtypes is None:
        step.restype = ctypes.c_int32
        step.argtypes = [ctypes.POINTER(NetStruct), ctypes.c_int32, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64,
                         ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p,
                         ctypes.c_void_p]
    return step
