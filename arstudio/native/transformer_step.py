"""The ctypes face of transformer_step.c: its `Net` struct and the loaded `transformer_step` function.

arstudio/models/transformer_native.py lays a Transformer's weights out for it and calls it once per step.
"""

from __future__ import annotations

import ctypes

from arstudio.native import build

KERNEL = "transformer_step"
FloatPointer = ctypes.POINTER(ctypes.c_float)

WEIGHTS = ("embed", "position", "rotary_cos", "rotary_sin", "ln1_weight", "ln1_bias", "qkv_weight", "qkv_bias",
           "proj_weight", "proj_bias", "ln2_weight", "ln2_bias", "fc_weight", "fc_bias", "out_weight", "out_bias",
           "lnf_weight", "lnf_bias", "head_weight", "head_bias")
"""The struct's weight pointers, in the C struct's order."""


class NetStruct(ctypes.Structure):
    """The kernel's `Net`: sizes, LayerNorm's epsilon and weight pointers (the field order is the C struct's)."""

    _fields_ = [
        *((name, ctypes.c_int32) for name in ("width", "heads", "hidden", "levels", "layers", "context")),
        ("eps", ctypes.c_float),
        *((name, FloatPointer) for name in WEIGHTS),
    ]


def kernel() -> ctypes._CFuncPtr | None:
    """The loaded `transformer_step`, or None when the kernel is unavailable (see `build.unavailable_reason`)."""
    library = build.load(KERNEL)
    if library is None:
        return None
    step = library.transformer_step
    if step.argtypes is None:
        step.restype = ctypes.c_int32
        step.argtypes = [ctypes.POINTER(NetStruct), ctypes.c_int32, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p,
                         ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32]
    return step


def rest() -> ctypes._CFuncPtr | None:
    """The loaded `transformer_rest` (the second thread sleeps at once instead of spinning), or None."""
    library = build.load(KERNEL)
    if library is None:
        return None
    function = library.transformer_rest
    function.restype, function.argtypes = None, []
    return function
