"""Rebuilding the model a checkpoint describes and loading its weights strictly; no pickle is ever read."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models import ARModel, build_model, family_info
from arstudio.training.checkpoint.codec import decode, resolve_aliases, section
from arstudio.training.checkpoint.files import read_tensors
from arstudio.training.checkpoint.header import json_path_for, read_header_at


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


def load_checkpoint(path: Path | str, *, family: str | None = None, device: str | torch.device = "cpu") -> Checkpoint:
    """Rebuild the model of a checkpoint and load its weights strictly; no pickle is ever read."""
    json_path = json_path_for(Path(path))
    header = read_header_at(json_path)
    found = header["family"]
    if family is not None and found != family:
        raise UserError(
            f"{json_path} holds a {_title(found)} model, not a {_title(family)} one. "
            f"Choose a {_title(family)} checkpoint, or switch the model family to {_title(found)}."
        )
    tensors = resolve_aliases(read_tensors(json_path, header), header["aliases"], json_path)
    spec = DataSpec.from_json(header["spec"])
    model = build_model(found, spec, **header["hparams"])
    _load_weights(model, section(tensors, "model"), json_path)
    model.to(device).eval()
    try:
        optimizer_state = decode(header["optimizer"], tensors) if header["optimizer"] is not None else None
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
        extra_tensors=section(tensors, "extra"),
        created=str(header.get("created", "")),
        arstudio_version=str(header.get("arstudio_version", "")),
    )


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


def _title(family: str) -> str:
    try:
        return family_info(family).title
    except UserError:
        return family
