"""The user's own files as a data set: image folders, IDX, .npz/.npy, WAV/FLAC and .txt/.md.

Use `load_user_data(path, split)` or `load_dataset("user:<path>", split)`. A file or folder is
recognised by its suffixes (a folder is searched recursively, hidden files skipped):

- images (PNG, JPEG, BMP, GIF, WebP, TIFF): centre-cropped, resized to `size`, `color` "grey"
  or "rgb"; 256 levels reduced to `levels`, or 0/1 with `binarize`.
- IDX (e.g. train-images-idx3-ubyte[.gz]): [N, H, W] or [N, C, H, W]; `levels`/`binarize` as
  for images when the values are bytes.
- .npz / .npy: a single array or the one named 'x' or 'images'; whole numbers only; `levels`
  gives K, `kind` says what [N, T] sequences are.
- WAV / FLAC: mono, resampled to `sample_rate`, mu-law coded, cut into `clip_seconds` clips.
- .txt / .md: UTF-8, joined, cut into windows of `context` bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from arstudio.data.examples import ArrayDataset, Examples, make_split
from arstudio.data.files.arrays import ARRAY_SUFFIXES, array_examples, read_array
from arstudio.data.files.audio import AUDIO_SUFFIXES, read_audio
from arstudio.data.files.idx import is_idx_name, read_idx
from arstudio.data.files.images import IMAGE_SUFFIXES, MODES, read_images
from arstudio.data.files.text import TEXT_SUFFIXES, read_text
from arstudio.data.mulaw import mu_law_encode
from arstudio.data.options import choice, flag, number, resolve_options, whole
from arstudio.data.sequences import sequence_examples
from arstudio.data.spec import KINDS, DataSpec
from arstudio.data.splits import contiguous_groups
from arstudio.errors import UserError

USER_PREFIX = "user:"
USER_OPTIONS: Mapping[str, Any] = {
    "kind": None,
    "size": 28,
    "color": "grey",
    "binarize": False,
    "levels": None,
    "sample_rate": 8000,
    "clip_seconds": 1.0,
    "context": 256,
}
CATEGORIES = {"image": "image", "audio": "audio file", "text": "text file", "array": "numpy file", "idx": "IDX file"}
KIND_CATEGORY = {"image": "image", "binary": "image", "audio": "audio", "text": "text"}


def load_user_data(path: str | Path, split: str = "train", seed: int = 0, **options: Any) -> ArrayDataset:
    """The `split` of the data in the user's file or folder at `path`; see the module doc for options."""
    examples, spec = read_user_examples(path, **options)
    return make_split(examples, spec, f"{USER_PREFIX}{path}", split, seed)


def user_data_spec(path: str | Path, **options: Any) -> DataSpec:
    """The spec inferred from the user's data (this reads the data)."""
    return read_user_examples(path, **options)[1]


def read_user_examples(path: str | Path, **options: Any) -> tuple[Examples, DataSpec]:
    """Every example in the user's file or folder and the spec inferred from it."""
    opts = resolve_options("Your own data", USER_OPTIONS, options)
    if opts["kind"] is not None:
        choice("kind", opts["kind"], KINDS)
    if not str(path).strip():
        raise UserError(f"No path was given: name your file or folder, e.g. {USER_PREFIX}~/pictures/digits.")
    root = Path(path).expanduser()
    if not root.exists():
        raise UserError(f"There is no file or folder at {root}; check the path and try again.")
    category, files = _gather(root, opts["kind"])
    if category == "image":
        return _images(files, opts)
    if category == "idx":
        return _byte_images(read_idx(files[0]), files[0].name, opts)
    if category == "array":
        return _arrays(read_array(files[0]), files[0].name, opts)
    if category == "audio":
        return _audio(files, opts)
    return _text(files, opts)


def category_of(path: Path) -> str | None:
    """Which reader handles the file, or None for a file ARStudio does not read."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in AUDIO_SUFFIXES:
        return "audio"
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in ARRAY_SUFFIXES:
        return "array"
    if is_idx_name(path):
        return "idx"
    return None


def _gather(root: Path, kind: str | None) -> tuple[str, list[Path]]:
    if root.is_file():
        category = category_of(root)
        if category is None:
            raise UserError(
                f"ARStudio cannot read {root.name}: use images (PNG, JPEG, BMP), MNIST IDX files, .npz/.npy arrays, "
                "WAV/FLAC audio or .txt/.md text."
            )
        return category, [root]
    files = sorted(p for p in root.rglob("*") if p.is_file() and not _hidden(p.relative_to(root)))
    if not files:
        raise UserError(f"The folder {root} is empty; put images, audio (WAV/FLAC) or text (.txt/.md) files in it.")
    by_category: dict[str, list[Path]] = {}
    for file in files:
        category = category_of(file)
        if category is not None:
            by_category.setdefault(category, []).append(file)
    if not by_category:
        found = ", ".join(sorted({p.suffix or p.name for p in files})[:8])
        raise UserError(
            f"The folder {root} holds no files ARStudio can read (found {found}); use images (PNG, JPEG, BMP), "
            "MNIST IDX files, .npz/.npy arrays, WAV/FLAC audio or .txt/.md text."
        )
    if kind is not None and KIND_CATEGORY[kind] in by_category:
        by_category = {KIND_CATEGORY[kind]: by_category[KIND_CATEGORY[kind]]}
    if len(by_category) > 1:
        counts = ", ".join(_count(len(v), k) for k, v in by_category.items())
        raise UserError(
            f"The folder {root} mixes {counts}; keep one kind of file per folder, "
            "or choose with kind='image', 'audio' or 'text'."
        )
    category, chosen = next(iter(by_category.items()))
    if category in ("array", "idx") and len(chosen) > 1:
        names = ", ".join(p.name for p in chosen[:5])
        raise UserError(f"The folder {root} holds {_count(len(chosen), category)} ({names}); point at one of them.")
    return category, chosen


def _count(number: int, category: str) -> str:
    return f"{number} {CATEGORIES[category]}{'' if number == 1 else 's'}"


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _levels(opts: Mapping[str, Any], default: int | None) -> int | None:
    return default if opts["levels"] is None else whole("levels", opts["levels"], 2, 65536)


def _images(files: list[Path], opts: Mapping[str, Any]) -> tuple[Examples, DataSpec]:
    size = whole("size", opts["size"], 2, 512)
    color = choice("color", "grey" if opts["color"] == "gray" else opts["color"], tuple(MODES))
    return _byte_images(read_images(files, size, color), files[0].parent.name or "the images", opts)


def _byte_images(array: np.ndarray, name: str, opts: Mapping[str, Any]) -> tuple[Examples, DataSpec]:
    """8-bit images reduced to `levels` or binarized; other IDX types keep their values."""
    if array.ndim == 1:
        raise UserError(
            f"{name} holds a list of {len(array)} numbers (labels?), not images; point at the images file instead."
        )
    if array.dtype != np.uint8:
        return _arrays(array, name, opts)
    if flag("binarize", opts["binarize"]) or opts["kind"] == "binary":
        values, spec = array_examples((array >= 128).astype(np.uint8), name, kind="binary")
        return Examples(values), spec
    levels = _levels(opts, 256)
    if levels > 256:
        raise UserError(f"8-bit images have at most 256 levels; levels={levels} is too many.")
    values, spec = array_examples((array.astype(np.int64) * levels // 256).astype(np.uint8), name, "image", levels)
    return Examples(values), spec


def _arrays(array: np.ndarray, name: str, opts: Mapping[str, Any]) -> tuple[Examples, DataSpec]:
    rate = whole("sample_rate", opts["sample_rate"], 1000, 192000)
    levels = _levels(opts, None)
    values, spec = array_examples(array, name, opts["kind"], levels, rate)
    if flag("binarize", opts["binarize"]) and spec.kind != "binary":
        values, spec = array_examples((values >= spec.levels // 2).astype(np.uint8), name, kind="binary")
    groups = None if spec.is_spatial else contiguous_groups(len(values))
    return Examples(values, groups=groups), spec


def _audio(files: list[Path], opts: Mapping[str, Any]) -> tuple[Examples, DataSpec]:
    rate = whole("sample_rate", opts["sample_rate"], 1000, 192000)
    seconds = number("clip_seconds", opts["clip_seconds"], 0.001, 600.0)
    length = max(2, round(seconds * rate))
    pieces = [mu_law_encode(read_audio(file, rate)).astype(np.uint8) for file in files]
    examples = sequence_examples(pieces, length)
    if len(examples) == 0:
        longest = max(len(p) for p in pieces) / rate
        raise UserError(
            f"The audio is too short: the longest recording lasts {longest:.3g} s, shorter than one clip of "
            f"{seconds:g} s. Use longer recordings or a shorter clip length."
        )
    return examples, DataSpec("audio", (length,), 256, sample_rate=rate)


def _text(files: list[Path], opts: Mapping[str, Any]) -> tuple[Examples, DataSpec]:
    context = whole("context", opts["context"], 2, 65536)
    data = b"\n\n".join(read_text(file) for file in files)
    if len(data) < context + 1:
        raise UserError(
            f"The text is {len(data)} bytes long, too short for a context of {context}: it needs at least "
            f"{context + 1} bytes. Add more text or choose a shorter context."
        )
    return sequence_examples([np.frombuffer(data, dtype=np.uint8)], context), DataSpec("text", (context,), 256)
