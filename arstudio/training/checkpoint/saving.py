"""Saving a model, and optionally its optimizer, as a checkpoint."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from arstudio.models import ARModel
from arstudio.training.checkpoint.codec import TensorStore, encode
from arstudio.training.checkpoint.files import write_files
from arstudio.training.checkpoint.header import checkpoint_paths, make_header


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
    store = TensorStore()
    aliases = store.add_all("model", model.state_dict())
    optimizer_json = encode(optimizer.state_dict(), "optimizer", store) if optimizer is not None else None
    aliases.update(store.add_all("extra", extra_tensors or {}))
    header = make_header(model, meta, optimizer_json, aliases, sorted(extra_tensors or {}))
    write_files(json_path, tensor_path, store.tensors, header)
    return json_path
