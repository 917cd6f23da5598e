"""Plain words about which pixels an autoregressive image model can see when it fills one."""

from __future__ import annotations

import numpy as np

from arstudio.data import DataSpec

FAMILY_NAMES = {"pixelcnn": "PixelCNN", "nade": "NADE", "made": "MADE"}


def is_raster(spec: DataSpec, order: np.ndarray) -> bool:
    return np.array_equal(order, np.asarray(spec.raster_order()))


def order_text(family: str, spec: DataSpec, order: np.ndarray) -> str:
    """What the model's generation order means for what each pixel is conditioned on."""
    name = FAMILY_NAMES.get(family, family)
    channels = " (R, then G, then B within a pixel)" if spec.shape[0] > 1 else ""
    if is_raster(spec, order):
        return (f"<b>What the model sees.</b> {name} generates pixels in raster order, row by row, left to right"
                f"{channels}. It fills each pixel from the pixels before it only: the rows above and the pixels "
                "to its left. Hover over a pixel to shade the pixels it cannot see.")
    return (f"<b>What the model sees.</b> {name} generates pixels in its own fixed order, not row by row"
            f"{channels}. It fills each pixel from the pixels earlier in that order only. Hover over a pixel "
            "to shade the pixels it cannot see.")


def lookahead_text(ranks: np.ndarray, known: np.ndarray) -> str:
    """How many painted pixels the model cannot use for the first pixel it fills.

    ranks [H, W]: when each pixel is generated; known [H, W]: the painted pixels.
    """
    unknown = ~known
    if not unknown.any():
        return "Every pixel is known: erase some (Erase tool, right button or a quick mask) to complete them."
    if not known.any():
        return "Nothing is painted: the model draws whole new images."
    first = ranks[unknown].min()
    unseen = int((known & (ranks > first)).sum())
    total = int(known.sum())
    if unseen == 0:
        return (f"All {total} painted pixels come before every unknown pixel in the order, so every fill sees "
                "all of them.")
    return (f"<b>{unseen} of the {total} painted pixels come after the first unknown pixel</b> in the order: "
            "they are kept, but pixels filled before them cannot take them into account, so the fill may not "
            "join up with them.")
