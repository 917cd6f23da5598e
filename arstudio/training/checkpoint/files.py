"""A checkpoint's two files on disk, written so that a save cut short never loses the checkpoint.

The JSON names its tensor file and holds its SHA-256; it is written last, so a checkpoint whose JSON
exists and whose hash matches is complete. Overwriting one keeps the old tensors (a hard link,
`.<stem>.safetensors.previous`) until the new JSON is in place, so a save cut short between the two
files still leaves the old checkpoint loadable.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from arstudio.atomic import atomic_target, atomic_write
from arstudio.errors import UserError
from arstudio.training.checkpoint.header import FORMAT_NAME, FORMAT_VERSION

_HASH_CHUNK = 1 << 20


def write_files(json_path: Path, tensor_path: Path, tensors: dict[str, Tensor], header: dict[str, Any]) -> None:
    """Write `tensors`, then `header` with their file's name and hash, each atomically."""
    try:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        previous = _keep_previous(tensor_path)
        replaced = False
        try:
            with atomic_target(tensor_path) as tmp:
                save_file(tensors, str(tmp), metadata={"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION)})
            replaced = True
            digest, size = _sha256(tensor_path)
            header["tensors"] = {"file": tensor_path.name, "sha256": digest, "bytes": size}
            text = json.dumps(header, indent=1)
            atomic_write(json_path, lambda handle: handle.write(text.encode("utf-8")))
        except BaseException:
            if previous is not None and not replaced:
                previous.unlink(missing_ok=True)
            raise
        if previous is not None:
            previous.unlink(missing_ok=True)
    except OSError as exc:
        raise UserError(
            f"Cannot write the checkpoint {json_path}: {exc.strerror or exc}. "
            "Free some disk space or choose a folder you can write to."
        ) from exc


def read_tensors(json_path: Path, header: dict[str, Any]) -> dict[str, Tensor]:
    """The tensors of the checkpoint at `json_path`, from the file whose size and hash its header records."""
    info = header["tensors"]
    tensor_path = json_path.with_name(info["file"])
    matches = _matching_file(tensor_path, info)
    if matches is None and not tensor_path.is_file():
        raise UserError(
            f"The tensor file {tensor_path} of checkpoint {json_path} is missing. "
            "Keep the .json and .safetensors files together, or choose another checkpoint."
        )
    if matches is None:
        raise UserError(
            f"The tensor file {tensor_path} does not match its checkpoint {json_path.name} "
            f"({tensor_path.stat().st_size} bytes, expected {info.get('bytes')}): it is truncated or damaged. "
            "Choose another checkpoint, e.g. the run's best.json or last.json."
        )
    try:
        return load_file(str(matches), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise UserError(f"Cannot read the tensor file {matches}: {exc}. Choose another checkpoint.") from exc


def previous_tensors(tensor_path: Path) -> Path:
    """Where the tensors of the checkpoint being overwritten wait until the new JSON is written."""
    return tensor_path.with_name(f".{tensor_path.name}.previous")


def _keep_previous(tensor_path: Path) -> Path | None:
    """Keep the current tensor file under its `previous` name (a hard link where the file system allows)."""
    if not tensor_path.is_file():
        return None
    previous = previous_tensors(tensor_path)
    previous.unlink(missing_ok=True)
    try:
        os.link(tensor_path, previous)
    except OSError:
        shutil.copyfile(tensor_path, previous)
    return previous


def _matching_file(tensor_path: Path, info: dict[str, Any]) -> Path | None:
    """The tensor file whose size and hash the JSON records: the named one, or the tensors of the checkpoint
    it replaced when a save was cut short after writing new tensors but before the new JSON."""
    for candidate in (tensor_path, previous_tensors(tensor_path)):
        if candidate.is_file() and _sha256(candidate) == (info.get("sha256"), info.get("bytes")):
            return candidate
    return None


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size
