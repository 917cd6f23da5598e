"""numpy .npz / .npy files (no pickle) and turning integer arrays into examples with a spec."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from arstudio.data.spec import KINDS, MAX_LEVELS, DataSpec
from arstudio.errors import UserError

ARRAY_SUFFIXES = frozenset({".npz", ".npy"})
PREFERRED_KEYS = ("x", "images")


def read_array(path: Path) -> np.ndarray:
    """The array in a .npy file, or in a .npz file its only array or the one named 'x' or 'images'."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return loaded
        with loaded as archive:
            key = _choose_key(archive.files, path)
            return archive[key]
    except ValueError as exc:
        if "pickle" in str(exc):
            raise UserError(
                f"{path.name} holds Python objects that only pickle can load, which ARStudio refuses for safety. "
                "Save plain numeric arrays instead, e.g. np.savez(path, x=np.asarray(images, dtype=np.uint8))."
            ) from exc
        raise UserError(f"Could not read the numpy file {path.name} ({exc}); save it again with numpy.") from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise UserError(f"Could not read the numpy file {path.name} ({exc}); it is damaged, save it again.") from exc


def _choose_key(keys: list[str], path: Path) -> str:
    if len(keys) == 1:
        return keys[0]
    for key in PREFERRED_KEYS:
        if key in keys:
            return key
    listed = ", ".join(keys) if keys else "no arrays"
    raise UserError(
        f"{path.name} holds {listed}; ARStudio reads a file with a single array or an array named 'x' or 'images'."
    )


def array_examples(
    array: np.ndarray, name: str, kind: str | None = None, levels: int | None = None, sample_rate: int = 8000
) -> tuple[np.ndarray, DataSpec]:
    """Examples [N, *shape] of whole numbers and the spec they imply.

    [N, H, W] is grey images, [N, C, H, W] or [N, H, W, C] (C <= 4) colour images, [N, T] needs
    kind 'audio', 'text' or 'binary' unless it holds only 0 and 1. K is `levels`, else 2 for 0/1
    data, 256 for 8-bit data, else the largest value + 1.
    """
    values = _whole_numbers(np.asarray(array), name)
    if values.ndim == 3:
        values = values[:, None]
    elif values.ndim == 4 and values.shape[1] > 4 and values.shape[3] <= 4:
        values = values.transpose(0, 3, 1, 2)
    elif values.ndim not in (2, 4):
        raise UserError(
            f"{name} has shape {values.shape}; ARStudio reads [N, T] sequences, [N, H, W] grey images "
            "or [N, C, H, W] / [N, H, W, C] colour images."
        )
    if len(values) == 0:
        raise UserError(f"{name} holds no examples (its first dimension is 0).")
    top = int(values.max())
    if kind is None:
        if top <= 1 and levels in (None, 2):
            kind = "binary"
        elif values.ndim == 4:
            kind = "image"
        else:
            raise UserError(
                f"{name} holds sequences of shape {values.shape}; say what they are with kind='audio' or kind='text'."
            )
    if kind not in KINDS:
        raise UserError(f"Unknown data kind {kind!r}: choose one of {', '.join(KINDS)}.")
    if levels is None:
        levels = 2 if kind == "binary" or top <= 1 else 256 if (values.dtype == np.uint8 or kind == "text") else top + 1
    if top >= levels:
        raise UserError(f"{name} has the value {top}, which does not fit in {levels} levels (0..{levels - 1}).")
    if levels > MAX_LEVELS:
        raise UserError(f"{name} has values up to {top}; ARStudio models at most {MAX_LEVELS} levels.")
    spec = DataSpec(kind, tuple(values.shape[1:]), levels, sample_rate=sample_rate)
    return values, spec


def _whole_numbers(values: np.ndarray, name: str) -> np.ndarray:
    if values.dtype == bool:
        return values.astype(np.uint8)
    if np.issubdtype(values.dtype, np.floating):
        if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
            raise UserError(
                f"{name} holds fractional or non-finite values; ARStudio models whole-number levels "
                "(e.g. 0..255), so quantize the data first, e.g. np.round(x * 255).astype(np.uint8)."
            )
        values = values.astype(np.int64)
    elif not np.issubdtype(values.dtype, np.integer):
        raise UserError(f"{name} holds {values.dtype} values; ARStudio reads arrays of whole numbers.")
    if values.size and int(values.min()) < 0:
        raise UserError(f"{name} holds negative values; levels are whole numbers from 0 up.")
    return values
