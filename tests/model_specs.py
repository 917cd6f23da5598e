"""Small specs and hyper-parameters per family, shared by the model and sampling tests."""

from __future__ import annotations

from typing import Any

from arstudio.data import DataSpec

# A few layers are enough for the views of these small specs; defaults are tested separately.
SMALL: dict[str, tuple[DataSpec, dict[str, Any]]] = {
    "nade": (DataSpec("binary", (1, 4, 4), 2), {"hidden": 32}),
    "made": (DataSpec("image", (1, 4, 4), 5), {"hidden": 48, "layers": 2}),
    "pixelcnn": (DataSpec("image", (3, 4, 4), 4), {"channels": 12, "kernel": 3}),
    "wavenet": (DataSpec("audio", (24,), 16), {"residual_channels": 8, "dilation_channels": 8,
                                               "skip_channels": 8, "layers_per_cycle": 3, "cycles": 2}),
    "transformer": (DataSpec("text", (12,), 7, vocabulary=tuple("abcdef") + ("<eos>",)),
                    {"d_model": 16, "layers": 2, "heads": 2}),
}

# D <= 8, K = 2: small enough to enumerate every input.
TINY: dict[str, tuple[DataSpec, dict[str, Any]]] = {
    "nade": (DataSpec("binary", (1, 2, 4), 2), {"hidden": 8}),
    "made": (DataSpec("binary", (8,), 2), {"hidden": 16}),
    "pixelcnn": (DataSpec("binary", (1, 2, 4), 2), {"channels": 8, "kernel": 3}),
    "pixelcnn-rgb": (DataSpec("image", (3, 1, 2), 2), {"channels": 6, "kernel": 3}),
    "wavenet": (DataSpec("audio", (8,), 2), {"residual_channels": 8, "dilation_channels": 8,
                                             "skip_channels": 8, "layers_per_cycle": 2, "cycles": 1}),
    "transformer": (DataSpec("audio", (8,), 2), {"d_model": 16, "layers": 2, "heads": 2}),
}


def family_of(key: str) -> str:
    return key.split("-")[0]
