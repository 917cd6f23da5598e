"""The tree of hypotheses that beam search explored: what it kept at every step, the best of what it pruned,
and the path to its result, read from the search itself (`beam_search(trace=...)`), not re-enacted."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial

import torch
from torch import Tensor

from arstudio.models.base import ARModel
from arstudio.sampling.beam import BeamLayer, beam_search
from arstudio.sampling.config import SamplerConfig
from arstudio.sampling.generate import known_prefix
from arstudio.sampling.request import Layout, known_tensors, resolve_length, resolve_window


@dataclass(frozen=True)
class BeamNode:
    """One hypothesis: at `step` of the order it appended `token` to its `parent` (a node index; None for the
    known start, e.g. a prompt). score: its cumulative ranked log-probability. kept: it stayed in the beam
    (False: pruned at this step). alive: a hypothesis of the final beam descends from it. rank: its place in
    the final beam (0 is the result) for the last step's hypotheses. best: on the path to the result."""

    step: int
    token: int
    parent: int | None
    score: float
    kept: bool
    finished: bool = False
    alive: bool = False
    rank: int | None = None
    best: bool = False


@dataclass
class BeamTree:
    """nodes: every hypothesis, step by step; steps: the steps of the order shown (after the known start);
    start: the values before them (a prompt), in the order; result: the search's best sample [*shape];
    final_scores: the final beam's scores after the length penalty, best first."""

    nodes: list[BeamNode]
    steps: list[int]
    start: Tensor
    result: Tensor
    final_scores: list[float]
    layers: list[BeamLayer] = field(repr=False, default_factory=list)

    def children(self, index: int | None) -> list[int]:
        return [i for i, node in enumerate(self.nodes) if node.parent == index]

    def path(self, index: int) -> list[int]:
        """The node indices from the first shown step to `index`."""
        out: list[int] = []
        current: int | None = index
        while current is not None:
            out.append(current)
            current = self.nodes[current].parent
        return out[::-1]

    @property
    def best_path(self) -> list[int]:
        return [i for i, node in enumerate(self.nodes) if node.best]

    @property
    def best_tokens(self) -> list[int]:
        """The values the result appended at the shown steps."""
        return [self.nodes[i].token for i in self.best_path]


def beam_tree(model: ARModel, config: SamplerConfig, known: Tensor | None = None, known_mask: Tensor | None = None,
              length: int | None = None, labels: Tensor | None = None, stop_at_eos: bool = False,
              use_cache: bool = True, window: str = "shift") -> BeamTree:
    """Run beam search for one sample as `generate(model, 1, config, ...)` does and return its tree.

    known / known_mask / length / labels as generate() takes them; config.num_beams is the width (1 is
    allowed: the most probable value at each step). The known leading steps (a prompt) are the root."""
    device = model.order.device
    layout = Layout(model, resolve_length(model, length))
    policy = resolve_window(model, window)
    new_stepper = partial(model.stepper, use_cache=use_cache, window=policy or "shift")
    values, mask = known_tensors(layout, 1, known, known_mask, device)
    labels = model.labels_for(labels, 1)
    eos = model.spec.eos_index if stop_at_eos else None
    trace: list[BeamLayer] = []
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            seq, _, _ = beam_search(model, layout, 1, config, values, mask, new_stepper, eos, None, labels, trace)
    finally:
        model.train(was_training)
    start = min(known_prefix(mask), len(trace) - 1) if trace else 0
    tree = _build(trace, start)
    tree.start = values[0, :start].cpu()
    tree.result = layout.from_sequence(seq)[0].cpu()
    return tree


def _build(trace: list[BeamLayer], start: int) -> BeamTree:
    nodes: list[dict] = []
    previous: dict[int, int | None] = {}
    for layer in trace[:start]:
        previous = {j: None for j in range(len(layer.tokens)) if math.isfinite(float(layer.scores[j]))}
    last: dict[int, int] = {}
    for layer in trace[start:]:
        current: dict[int, int] = {}
        for j, (parent, token, score) in enumerate(zip(layer.parents.tolist(), layer.tokens.tolist(),
                                                       layer.scores.tolist(), strict=True)):
            if math.isfinite(score) and (not previous and parent == 0 or parent in previous):
                current[j] = len(nodes)
                nodes.append(dict(step=layer.step, token=token, parent=previous.get(parent), score=score, kept=True,
                                  finished=bool(layer.finished[j])))
        for parent, token, score in zip(layer.pruned_parents.tolist(), layer.pruned_tokens.tolist(),
                                        layer.pruned_scores.tolist(), strict=True):
            if math.isfinite(score) and (not previous and parent == 0 or parent in previous):
                nodes.append(dict(step=layer.step, token=token, parent=previous.get(parent), score=score, kept=False))
        previous, last = dict(current), current
    final = trace[-1].final if trace else None
    scores: list[float] = []
    if final is not None and last:
        best = int(final.topk(1).indices[0])  # as beam_search picks its result
        ranking = [j for j in [best] + final.topk(len(final)).indices.tolist() if j in last]
        ranking = list(dict.fromkeys(ranking))
        scores = [float(final[j]) for j in ranking]
        for rank, j in enumerate(ranking):
            nodes[last[j]]["rank"] = rank
            walk: int | None = last[j]
            while walk is not None:
                nodes[walk]["alive"] = True
                if rank == 0:
                    nodes[walk]["best"] = True
                walk = nodes[walk]["parent"]
    steps = sorted({layer.step for layer in trace[start:]})
    return BeamTree([BeamNode(**node) for node in nodes], steps, torch.empty(0, dtype=torch.long),
                    torch.empty(0, dtype=torch.long), scores, trace)
