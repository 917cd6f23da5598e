"""Tensors and optimizer state in safetensors form: keys `model/<name>`, `optimizer/<path>`, `extra/<name>`,
tied tensors stored once, and an optimizer state dict as JSON that refers to its tensors by key."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch import Tensor

from arstudio.errors import UserError


class TensorStore:
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


def resolve_aliases(tensors: dict[str, Tensor], aliases: dict[str, str], json_path: Path) -> dict[str, Tensor]:
    """Give every tied tensor back the key it was saved under (in place); returns `tensors`."""
    for alias, target in aliases.items():
        if target not in tensors:
            raise UserError(f"{json_path} is damaged: {alias} refers to a missing tensor. Choose another checkpoint.")
        tensors[alias] = tensors[target]
    return tensors


def section(tensors: dict[str, Tensor], prefix: str) -> dict[str, Tensor]:
    """The tensors under `prefix/`, keyed by the rest of their key."""
    start = prefix + "/"
    return {key[len(start):]: value for key, value in tensors.items() if key.startswith(start)}


def encode(value: Any, key: str, store: TensorStore) -> Any:
    """A JSON form of an optimizer state dict; tensors go to `store` and are referenced by key.

    Tuples, dicts with non-string keys and tensors are tagged so that decoding restores them exactly.
    """
    if isinstance(value, Tensor):
        return {"$tensor": store.add(key, value)}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: encode(v, f"{key}/{k}", store) for k, v in value.items()}
        return {"$dict": [[encode(k, key, store), encode(v, f"{key}/{k}", store)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, f"{key}/{i}", store) for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, f"{key}/{i}", store) for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"Cannot store a {type(value).__name__} ({key}) in a checkpoint.")


def decode(value: Any, tensors: dict[str, Tensor]) -> Any:
    """The value `encode` was given, with its tensors taken from `tensors`."""
    if isinstance(value, list):
        return [decode(v, tensors) for v in value]
    if not isinstance(value, dict):
        return value
    if "$tensor" in value:
        return tensors[value["$tensor"]]
    if "$tuple" in value:
        return tuple(decode(v, tensors) for v in value["$tuple"])
    if "$dict" in value:
        return {decode(k, tensors): decode(v, tensors) for k, v in value["$dict"]}
    return {k: decode(v, tensors) for k, v in value.items()}
