"""The JSON half of a checkpoint: its format, its metadata, which file a person means, and its validation."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from arstudio import __version__
from arstudio.errors import UserError
from arstudio.models import FAMILIES, ARModel
from arstudio.training.checkpoint.pickles import SNIFF_BYTES, refuse_pickle

FORMAT_VERSION = 1
FORMAT_NAME = "arstudio-checkpoint"
JSON_SUFFIX = ".json"
TENSOR_SUFFIX = ".safetensors"


def checkpoint_paths(path: Path | str) -> tuple[Path, Path]:
    """(json, safetensors) paths of the checkpoint named by either file or by its stem."""
    path = Path(path)
    if path.suffix in (JSON_SUFFIX, TENSOR_SUFFIX):
        path = path.with_suffix("")
    return path.with_name(path.name + JSON_SUFFIX), path.with_name(path.name + TENSOR_SUFFIX)


def make_header(model: ARModel, meta: Mapping[str, Any], optimizer_json: Any, aliases: dict[str, str],
                extra_names: list[str]) -> dict[str, Any]:
    """Everything but the tensor file's name and hash, checked to be plain JSON."""
    header: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "arstudio_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "family": model.family,
        "spec": model.spec.to_json(),
        "hparams": dict(model.hparams),
        "meta": dict(meta),
        "optimizer": optimizer_json,
        "aliases": aliases,
        "extra": extra_names,
    }
    try:
        json.dumps(header)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Checkpoint metadata must be plain JSON values: {exc}") from exc
    return header


def read_header(path: Path | str) -> dict[str, Any]:
    """The validated JSON half of a checkpoint (family, spec, hparams, meta...) without its tensors."""
    return read_header_at(json_path_for(Path(path)))


def json_path_for(path: Path) -> Path:
    """The JSON of the checkpoint a user named; refuses pickle files before reading anything else."""
    if path.is_dir():
        raise UserError(f"{path} is a folder; choose a checkpoint's .json file inside it (e.g. last.json).")
    if path.is_file():
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
        refuse_pickle(path, head)
        if path.suffix not in (JSON_SUFFIX, TENSOR_SUFFIX):
            return path
    json_path, tensor_path = checkpoint_paths(path)
    if not json_path.is_file():
        if tensor_path.is_file():
            raise UserError(
                f"{tensor_path} has no {json_path.name} next to it, so it is incomplete (perhaps a save was cut "
                "short). Choose a checkpoint whose .json and .safetensors files are both present."
            )
        raise UserError(f"There is no checkpoint at {path}. Check the path, or train a model first.")
    return json_path


def read_header_at(json_path: Path) -> dict[str, Any]:
    """The validated header stored in `json_path` itself."""
    try:
        raw = json_path.read_bytes()
    except OSError as exc:
        raise UserError(f"Cannot read the checkpoint {json_path}: {exc.strerror or exc}. Check the path.") from exc
    refuse_pickle(json_path, raw[:SNIFF_BYTES])
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise UserError(f"{json_path} is not an ARStudio checkpoint. Choose the .json file that ARStudio saved.")
    version = header.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise UserError(f"{json_path} has no valid format version; it is damaged. Choose another checkpoint.")
    if version > FORMAT_VERSION:
        raise UserError(
            f"{json_path} was written by a newer ARStudio ({header.get('arstudio_version', 'unknown version')}, "
            f"checkpoint format {version}; this build reads format {FORMAT_VERSION}). Upgrade ARStudio to open it."
        )
    _check_fields(header, json_path)
    return header


def _check_fields(header: dict[str, Any], path: Path) -> None:
    expected = {"family": str, "spec": dict, "hparams": dict, "meta": dict, "tensors": dict, "aliases": dict}
    for name, kind in expected.items():
        if not isinstance(header.get(name), kind):
            raise UserError(
                f"{path} is damaged: its '{name}' entry is missing or malformed. Choose another checkpoint."
            )
    file_name = header["tensors"].get("file")
    if not isinstance(file_name, str) or Path(file_name).name != file_name or not file_name.endswith(TENSOR_SUFFIX):
        raise UserError(f"{path} is damaged: it names no valid tensor file. Choose another checkpoint.")
    if header["family"] not in FAMILIES:
        raise UserError(
            f"{path} holds a model of family {header['family']!r}, which this build of ARStudio does not know. "
            "Upgrade ARStudio or choose another checkpoint."
        )
