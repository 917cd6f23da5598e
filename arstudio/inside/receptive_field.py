"""Where a position looks: per level of the network, how strongly its activation there depends on each input value.

The field of a level is the magnitude of the gradient, with respect to every input value, of a fixed random
projection of that level's activation at the chosen position (for "output": of the logits there), computed by
autograd through the real model. The inputs are the continuous values each family feeds its network (PixelCNN
and MADE: their encoded inputs; WaveNet and the Transformer: the embeddings of the values, as a norm over the
embedding's width; NADE: the values themselves), so a zero means no path, not a formula's verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from arstudio.errors import UserError
from arstudio.models.base import ARModel
from arstudio.models.made import MADE
from arstudio.models.nade import NADE
from arstudio.models.pixelcnn.layers import group_labels
from arstudio.models.pixelcnn.model import PixelCNN
from arstudio.models.transformer import Transformer
from arstudio.models.wavenet.model import WaveNet

SEED = 1234
"""The projections' seed: the same model, example and position always give the same field."""


def field_layers(model: ARModel) -> list[str]:
    """The names of the levels whose field one can inspect, from the input side to the output."""
    if isinstance(model, PixelCNN):
        return [f"layer {i + 1}" for i in range(len(model.layers))] + ["output"]
    if isinstance(model, WaveNet):
        return ["input conv"] + [f"layer {i + 1} (dilation {d})" for i, d in enumerate(model.dilations)] + ["output"]
    if isinstance(model, Transformer):
        return ["embedding"] + [f"block {i + 1}" for i in range(len(model.blocks))] + ["output"]
    return ["output"]


def dependency_mask(model: ARModel, position: int, length: int | None = None) -> Tensor:
    """BoolTensor[*shape]: the positions before `position` in the model's chain-rule order (for a sequence model
    read at another `length`, the values before it)."""
    order, shape = _order(model, length)
    rank = _rank(order, position)
    mask = torch.zeros(order.numel(), dtype=torch.bool)
    mask[order[:rank]] = True
    return mask.view(shape)


def receptive_field(model: ARModel, x: Tensor, position: int, labels: Tensor | None = None,
                    seed: int = SEED) -> Tensor:
    """Tensor[levels, *x.shape] >= 0 (levels as in `field_layers`): each level's field at `position` (a flat index
    into x) for the example `x` (LongTensor[*spec.shape]; a sequence model also takes a shorter or, for WaveNet,
    longer 1-D sequence). labels: the classes of a conditional model ([F] or [1, F])."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode(False), torch.enable_grad():
            x = torch.as_tensor(x).detach().to(device=model.order.device, dtype=torch.long).clone()
            _check_example(model, x)
            order, _ = _order(model, x.shape[0] if x.dim() == 1 and x.shape != model.spec.shape else None)
            step = _rank(order, position)
            if labels is not None:
                labels = torch.as_tensor(labels).clone()
            runner = _RUNNERS[_family_key(model)]
            fields = runner(model, x.unsqueeze(0), order.to(x.device), position, step, labels,
                            torch.Generator().manual_seed(seed))
    finally:
        model.train(was_training)
    return torch.stack([f.detach().float().cpu().view(x.shape) for f in fields])


def _check_example(model: ARModel, x: Tensor) -> None:
    if tuple(x.shape) != model.spec.shape:
        if not (x.dim() == 1 and model.window is not None):
            raise UserError(f"This {model.family} model reads examples of shape {model.spec.shape}, "
                            f"got {tuple(x.shape)}.")
        if isinstance(model, Transformer) and x.shape[0] > model.context:
            raise UserError(f"The Transformer reads at most {model.context} values at once; shorten the example to "
                            "that.")
    if x.numel() and (int(x.min()) < 0 or int(x.max()) >= model.spec.levels):
        raise UserError(f"The example's values must lie in 0..{model.spec.levels - 1}.")


def _order(model: ARModel, length: int | None) -> tuple[Tensor, tuple[int, ...]]:
    if length is None or (length,) == model.spec.shape:
        return model.order.detach().cpu(), model.spec.shape
    return torch.arange(length), (length,)


def _rank(order: Tensor, position: int) -> int:
    if not 0 <= position < order.numel():
        raise UserError(f"Pick a position between 0 and {order.numel() - 1}, got {position}.")
    return int((order == position).nonzero()[0, 0])


def _family_key(model: ARModel) -> str:
    for key, cls in (("pixelcnn", PixelCNN), ("wavenet", WaveNet), ("transformer", Transformer), ("nade", NADE),
                     ("made", MADE)):
        if isinstance(model, cls):
            return key
    raise UserError(f"The receptive field is not available for a {model.family} model.")


def _grads(leaf: Tensor, targets: list[Tensor], gen: torch.Generator) -> list[Tensor]:
    """Per target activation, d(random projection of it)/d leaf, one backward each."""
    grads = []
    for i, target in enumerate(targets):
        weights = torch.randn(target.shape, generator=gen).to(target)
        (grad,) = torch.autograd.grad((target * weights).sum(), leaf, retain_graph=i + 1 < len(targets),
                                      allow_unused=True)
        grads.append(torch.zeros_like(leaf) if grad is None else grad)
    return grads


class _Hooks:
    """Forward hooks that keep modules' outputs (picked by `pick`) and pre-hooks that replace inputs, removed on
    exit."""

    def __init__(self) -> None:
        self.handles: list[Any] = []
        self.outputs: list[Tensor] = []

    def keep(self, modules: list[nn.Module], pick: Callable[[Any], Tensor]) -> None:
        for module in modules:
            self.handles.append(module.register_forward_hook(lambda _m, _i, out: self.outputs.append(pick(out))))

    def replace_input(self, module: nn.Module, replace: Callable[[tuple], tuple]) -> None:
        self.handles.append(module.register_forward_pre_hook(lambda _m, args: replace(args)))

    def replace_output(self, module: nn.Module, replace: Callable[[Tensor], Tensor]) -> None:
        self.handles.append(module.register_forward_hook(lambda _m, _i, out: replace(out)))

    def __enter__(self) -> _Hooks:
        return self

    def __exit__(self, *_: object) -> None:
        for handle in self.handles:
            handle.remove()


def _pixelcnn(model: PixelCNN, x: Tensor, order: Tensor, position: int, step: int, labels: Tensor | None,
              gen: torch.Generator) -> list[Tensor]:
    """Gated: the horizontal stack's output h of every layer; plain: the layer's output; at the position's pixel,
    the feature group of its channel."""
    leaf = model.encode_input(x).detach().requires_grad_(True)
    channel, row, col = (int(i) for i in torch.unravel_index(torch.tensor(position), model.spec.shape))
    group = group_labels(model.hparams["channels"], model.spec.shape[0]) == channel
    with _Hooks() as hooks:
        hooks.replace_input(model.layers[0], lambda args: (leaf, leaf, *args[2:]) if model.gated else
                            (leaf, *args[1:]))
        hooks.keep(list(model.layers), lambda out: out[1] if model.gated else out[0])
        logits = model.logits(x, labels)
    targets = [h[0, group.to(h.device), row, col] for h in hooks.outputs]
    targets.append(logits[0, channel, row, col])
    return [g[0].abs() for g in _grads(leaf, targets, gen)]


def _embedded(model: WaveNet | Transformer, x: Tensor, order: Tensor, step: int, labels: Tensor | None,
              gen: torch.Generator, levels: list[nn.Module], pick: Callable[[Any], Tensor],
              time_dim: int) -> list[Tensor]:
    """WaveNet and the Transformer: the embedding of value j (column j + 1 behind the start) as the leaf; each
    level's activation at the position's step. The last value feeds nothing and gets 0."""
    seq = x.flatten()[order].unsqueeze(0)
    leaves: list[Tensor] = []

    def swap(out: Tensor) -> Tensor:
        leaves.append(out.detach().requires_grad_(True))
        return leaves[-1]

    with _Hooks() as hooks:
        hooks.replace_output(model.embed, swap)
        hooks.keep(levels, pick)
        logits = model.sequence_logits(seq, labels)
    targets = [h.select(time_dim, step)[0] for h in hooks.outputs] + [logits[0, step]]
    (leaf,) = leaves
    fields = []
    for grad in _grads(leaf, targets, gen):
        per_token = grad[0].norm(dim=-1)
        if isinstance(model, Transformer):
            per_token = per_token[1:]
        values = torch.cat([per_token, per_token.new_zeros(seq.shape[1] - per_token.shape[0])])
        field = torch.empty_like(values)
        field[order.to(values.device)] = values
        fields.append(field)
    return fields


def _wavenet(model: WaveNet, x: Tensor, order: Tensor, position: int, step: int, labels: Tensor | None,
             gen: torch.Generator) -> list[Tensor]:
    return _embedded(model, x, order, step, labels, gen, [model.input_conv, *model.blocks],
                     lambda out: out[0] if isinstance(out, tuple) else out, time_dim=2)


def _transformer(model: Transformer, x: Tensor, order: Tensor, position: int, step: int, labels: Tensor | None,
                 gen: torch.Generator) -> list[Tensor]:
    return _embedded(model, x, order, step, labels, gen, [model.embed, *model.blocks], lambda out: out, time_dim=1)


def _nade(model: NADE, x: Tensor, order: Tensor, position: int, step: int, labels: Tensor | None,
          gen: torch.Generator) -> list[Tensor]:
    leaf = x.flatten()[order].unsqueeze(0).to(model.W.dtype).requires_grad_(True)
    logits = model.sequence_logits(leaf, labels)
    (grad,) = _grads(leaf, [logits[0, step]], gen)
    field = torch.empty_like(grad[0])
    field[order] = grad[0].abs()
    return [field]


def _made(model: MADE, x: Tensor, order: Tensor, position: int, step: int, labels: Tensor | None,
          gen: torch.Generator) -> list[Tensor]:
    leaf = model.encode_input(x).detach().requires_grad_(True)
    with _Hooks() as hooks:
        hooks.replace_input(model.hidden_layers[0], lambda args: (leaf, *args[1:]))
        logits = model.logits(x, labels)
    (grad,) = _grads(leaf, [logits.flatten(1, -2)[0, position]], gen)
    return [grad[0].abs().view(model.spec.dims, model.in_width).sum(-1)]


_RUNNERS: dict[str, Callable[..., list[Tensor]]] = {
    "pixelcnn": _pixelcnn, "wavenet": _wavenet, "transformer": _transformer, "nade": _nade, "made": _made,
}
