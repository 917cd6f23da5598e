"""Checkpoints without pickle: tensors in safetensors, everything else in JSON.

A checkpoint is a pair `<stem>.safetensors` + `<stem>.json`. The JSON names its tensor file and
holds its SHA-256; it is written last, so a checkpoint whose JSON exists and whose hash matches is
complete. Overwriting one keeps the old tensors (a hard link, `.<stem>.safetensors.previous`) until the
new JSON is in place, so a save cut short between the two files still leaves the old checkpoint
loadable. Tensor keys are `model/<name>`, `optimizer/<path>` and `extra/<name>`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from arstudio import __version__
from arstudio.atomic import atomic_target, atomic_write
from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models import FAMILIES, ARModel, build_model, family_info

FORMAT_VERSION = 1
FORMAT_NAME = "arstudio-checkpoint"
JSON_SUFFIX = ".json"
TENSOR_SUFFIX = ".safetensors"
PICKLE_SUFFIXES = frozenset({".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".bin", ".joblib", ".tar"})
PICKLE_REFUSAL = (
    "ARStudio never loads pickle files because they can run code; {path} looks like one (for example "
    "a torch.save file). Choose an ARStudio checkpoint (a .json file next to its .safetensors file), "
    "or convert the weights to safetensors in a Python session you trust."
)
_HASH_CHUNK = 1 << 20
_SNIFF_BYTES = 9


@dataclass
class Checkpoint:
    """A loaded checkpoint: the model is on the requested device in eval mode; `optimizer_state`
    (ready for `optimizer.load_state_dict`) and `extra_tensors` stay on the CPU."""

    path: Path
    family: str
    spec: DataSpec
    hparams: dict[str, Any]
    model: ARModel
    meta: dict[str, Any]
    optimizer_state: dict[str, Any] | None = None
    extra_tensors: dict[str, Tensor] = field(default_factory=dict)
    created: str = ""
    arstudio_version: str = ""


def checkpoint_paths(path: Path | str) -> tuple[Path, Path]:
    """(json, safetensors) paths of the checkpoint named by either file or by its stem."""
    path = Path(path)
    if path.suffix in (JSON_SUFFIX, TENSOR_SUFFIX):
        path = path.with_suffix("")
    return path.with_name(path.name + JSON_SUFFIX), path.with_name(path.name + TENSOR_SUFFIX)


def save_checkpoint(
    path: Path | str,
    model: ARModel,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    meta: Mapping[str, Any],
    extra_tensors: Mapping[str, Tensor] | None = None,
) -> Path:
    """Write `model` (and optionally `optimizer`) atomically; returns the JSON file's path.

    `meta` is anything JSON can hold (data set, step, run id, RNG states as lists...).
    """
    json_path, tensor_path = checkpoint_paths(path)
    store = _TensorStore()
    aliases = store.add_all("model", model.state_dict())
    optimizer_json = _encode(optimizer.state_dict(), "optimizer", store) if optimizer is not None else None
    aliases.update(store.add_all("extra", extra_tensors or {}))
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
        "extra": sorted(extra_tensors or {}),
    }
    try:
        json.dumps(header)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Checkpoint metadata must be plain JSON values: {exc}") from exc

    try:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        previous = _keep_previous(tensor_path)
        replaced = False
        try:
            with atomic_target(tensor_path) as tmp:
                save_file(store.tensors, str(tmp),
                          metadata={"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION)})
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
    return json_path


def load_checkpoint(path: Path | str, *, family: str | None = None, device: str | torch.device = "cpu") -> Checkpoint:
    """Rebuild the model of a checkpoint and load its weights strictly; no pickle is ever read."""
    json_path = _json_path_for(Path(path))
    header = _read_header(json_path)
    found = header["family"]
    if family is not None and found != family:
        raise UserError(
            f"{json_path} holds a {_title(found)} model, not a {_title(family)} one. "
            f"Choose a {_title(family)} checkpoint, or switch the model family to {_title(found)}."
        )
    tensors = _load_tensors(json_path, header)
    spec = DataSpec.from_json(header["spec"])
    model = build_model(found, spec, **header["hparams"])
    _load_weights(model, _section(tensors, "model"), json_path)
    model.to(device).eval()
    try:
        optimizer_state = _decode(header["optimizer"], tensors) if header["optimizer"] is not None else None
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"The optimizer state in {json_path} is damaged ({exc}). Choose another checkpoint.") from exc
    return Checkpoint(
        path=json_path,
        family=found,
        spec=spec,
        hparams=dict(header["hparams"]),
        model=model,
        meta=dict(header["meta"]),
        optimizer_state=optimizer_state,
        extra_tensors=_section(tensors, "extra"),
        created=str(header.get("created", "")),
        arstudio_version=str(header.get("arstudio_version", "")),
    )


def read_header(path: Path | str) -> dict[str, Any]:
    """The validated JSON half of a checkpoint (family, spec, hparams, meta...) without its tensors."""
    return _read_header(_json_path_for(Path(path)))


def _read_header(json_path: Path) -> dict[str, Any]:
    try:
        raw = json_path.read_bytes()
    except OSError as exc:
        raise UserError(f"Cannot read the checkpoint {json_path}: {exc.strerror or exc}. Check the path.") from exc
    if _looks_like_pickle(json_path, raw[:_SNIFF_BYTES]):
        raise UserError(PICKLE_REFUSAL.format(path=json_path))
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


class CheckpointSlots:
    """The `last` and `best` checkpoints of one run folder."""

    def __init__(self, run_dir: Path | str) -> None:
        self.run_dir = Path(run_dir)
        self.best_nll = self._stored_best_nll()

    @property
    def last(self) -> Path:
        return self.run_dir / f"last{JSON_SUFFIX}"

    @property
    def best(self) -> Path:
        return self.run_dir / f"best{JSON_SUFFIX}"

    def last_exists(self) -> bool:
        """Whether a complete `last` checkpoint exists (its JSON is written last)."""
        return self.last.is_file()

    def best_exists(self) -> bool:
        return self.best.is_file()

    def save_last(
        self,
        model: ARModel,
        optimizer: torch.optim.Optimizer | None = None,
        *,
        meta: Mapping[str, Any],
        extra_tensors: Mapping[str, Tensor] | None = None,
    ) -> Path:
        return save_checkpoint(self.last, model, optimizer, meta=meta, extra_tensors=extra_tensors)

    def save_best(
        self,
        model: ARModel,
        optimizer: torch.optim.Optimizer | None = None,
        *,
        val_nll: float,
        meta: Mapping[str, Any],
        extra_tensors: Mapping[str, Tensor] | None = None,
    ) -> Path | None:
        """Save only when `val_nll` beats the best so far; returns the path, or None if it did not."""
        if not math.isfinite(val_nll) or val_nll >= self.best_nll:
            return None
        path = save_checkpoint(self.best, model, optimizer, meta={**meta, "val_nll": val_nll},
                               extra_tensors=extra_tensors)
        self.best_nll = val_nll
        return path

    def _stored_best_nll(self) -> float:
        try:
            value = read_header(self.best)["meta"].get("val_nll")
        except UserError:
            return math.inf
        return float(value) if isinstance(value, (int, float)) else math.inf


def _json_path_for(path: Path) -> Path:
    """The JSON of the checkpoint a user named; refuses pickle files before reading anything else."""
    if path.is_dir():
        raise UserError(f"{path} is a folder; choose a checkpoint's .json file inside it (e.g. last.json).")
    if path.is_file():
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
        if _looks_like_pickle(path, head):
            raise UserError(PICKLE_REFUSAL.format(path=path))
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


def _looks_like_pickle(path: Path, head: bytes) -> bool:
    """Pickle protocol 2+ starts with 0x80; torch.save archives are zip files ('PK').

    A safetensors file starts with its header's length (any bytes), then '{'; it is not a pickle.
    """
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return True
    if head[8:9] == b"{":
        return False
    return head[:1] == b"\x80" or head[:2] == b"PK"


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


def _title(family: str) -> str:
    try:
        return family_info(family).title
    except UserError:
        return family


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


def _load_tensors(json_path: Path, header: dict[str, Any]) -> dict[str, Tensor]:
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
    tensor_path = matches
    try:
        tensors = load_file(str(tensor_path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise UserError(f"Cannot read the tensor file {tensor_path}: {exc}. Choose another checkpoint.") from exc
    for alias, target in header["aliases"].items():
        if target not in tensors:
            raise UserError(f"{json_path} is damaged: {alias} refers to a missing tensor. Choose another checkpoint.")
        tensors[alias] = tensors[target]
    return tensors


def _load_weights(model: nn.Module, weights: dict[str, Tensor], path: Path) -> None:
    expected = model.state_dict()
    missing = sorted(set(expected) - set(weights))
    unexpected = sorted(set(weights) - set(expected))
    wrong = [
        f"{name} {tuple(weights[name].shape)} (the model needs {tuple(tensor.shape)})"
        for name, tensor in expected.items()
        if name in weights and weights[name].shape != tensor.shape
    ]
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing[:5]))
    if unexpected:
        problems.append("unexpected " + ", ".join(unexpected[:5]))
    if wrong:
        problems.append("wrong shape " + ", ".join(wrong[:5]))
    if problems:
        raise UserError(
            f"The weights in {path} do not fit the model it describes ({'; '.join(problems)}). "
            "The checkpoint is damaged or was edited; choose another one."
        )
    model.load_state_dict(weights, strict=True)


def _section(tensors: dict[str, Tensor], prefix: str) -> dict[str, Tensor]:
    start = prefix + "/"
    return {key[len(start):]: value for key, value in tensors.items() if key.startswith(start)}


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


class _TensorStore:
    """Collects tensors for one safetensors file.

    A tensor that is the same view as one already stored (tied weights) is stored once and referred
    to by the first key; other views of shared memory are copied, since safetensors refuses them.
    """

    def __init__(self) -> None:
        self.tensors: dict[str, Tensor] = {}
        self._views: dict[tuple[Any, ...], str] = {}
        self._storages: set[tuple[str, int]] = set()

    def add(self, key: str, tensor: Tensor) -> str:
        """Store `tensor` under `key` (made unique); returns the key it can be read back from."""
        while key in self.tensors:
            key += "_"
        tensor = tensor.detach()
        if tensor.numel() == 0:
            self.tensors[key] = tensor.to("cpu", copy=True)
            return key
        storage = (str(tensor.device), tensor.untyped_storage().data_ptr())
        view = (*storage, tensor.storage_offset(), tuple(tensor.shape), tuple(tensor.stride()), tensor.dtype)
        if view in self._views:
            return self._views[view]
        shared = storage in self._storages
        stored = tensor.to("cpu").contiguous()
        self.tensors[key] = stored.clone() if shared and stored.data_ptr() == tensor.data_ptr() else stored
        self._views[view] = key
        self._storages.add(storage)
        return key

    def add_all(self, prefix: str, tensors: Mapping[str, Tensor]) -> dict[str, str]:
        """Store a state dict under `prefix/`; returns {alias key: stored key} for tied tensors."""
        aliases = {}
        for name, tensor in tensors.items():
            key = f"{prefix}/{name}"
            stored = self.add(key, tensor)
            if stored != key:
                aliases[key] = stored
        return aliases


def _encode(value: Any, key: str, store: _TensorStore) -> Any:
    """A JSON form of an optimizer state dict; tensors go to `store` and are referenced by key.

    Tuples, dicts with non-string keys and tensors are tagged so that decoding restores them exactly.
    """
    if isinstance(value, Tensor):
        return {"$tensor": store.add(key, value)}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _encode(v, f"{key}/{k}", store) for k, v in value.items()}
        return {"$dict": [[_encode(k, key, store), _encode(v, f"{key}/{k}", store)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, f"{key}/{i}", store) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(v, f"{key}/{i}", store) for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"Cannot store a {type(value).__name__} ({key}) in a checkpoint.")


def _decode(value: Any, tensors: dict[str, Tensor]) -> Any:
    if isinstance(value, list):
        return [_decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    if "$tensor" in value:
        return tensors[value["$tensor"]]
    if "$tuple" in value:
        return tuple(_decode(v, tensors) for v in value["$tuple"])
    if "$dict" in value:
        return {_decode(k, tensors): _decode(v, tensors) for k, v in value["$dict"]}
    return {k: _decode(v, tensors) for k, v in value.items()}
