"""Beam search over the chain rule: keep the `num_beams` most probable partial sequences.

Hypotheses are ranked by the model's log-probability after the repetition penalty (temperature
and truncation filters do not apply). All beams of a search advance together through the
model's stepper, one batched call per step. With an end symbol, a finished hypothesis is padded
with it at no cost and ranked by sum log p / length ** length_penalty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from arstudio.models.base import ARModel
from arstudio.sampling.config import SamplerConfig
from arstudio.sampling.request import GenerationStep, Layout, StepCallback, StepperFactory
from arstudio.sampling.transforms import repetition_penalty


@dataclass
class BeamLayer:
    """What the first search did at one step (recorded when beam_search is given a `trace` list).

    parents, tokens, scores, finished: [keep], the hypotheses it kept, best first: the index of each one's
    parent among the previous layer's kept hypotheses, the value it appended, its score (cumulative ranked
    log-probability) and whether it has ended. pruned_parents, pruned_tokens, pruned_scores: the best
    candidates it did not keep (at most `keep` of them). final: on the last layer, the kept hypotheses'
    scores after the length penalty, by which the result was chosen.
    """

    step: int
    parents: Tensor
    tokens: Tensor
    scores: Tensor
    finished: Tensor
    pruned_parents: Tensor
    pruned_tokens: Tensor
    pruned_scores: Tensor
    final: Tensor | None = None


def beam_search(model: ARModel, layout: Layout, n: int, config: SamplerConfig, values: Tensor, mask: Tensor,
                new_stepper: StepperFactory, eos: int | None,
                callback: StepCallback | None, labels: Tensor | None = None,
                trace: list[BeamLayer] | None = None) -> tuple[Tensor, Tensor, bool]:
    """Returns (seq, log_probs, stopped_early) for n samples in chain-rule order.

    When every sample shares the same known values (and labels), one search returns its n best hypotheses;
    otherwise each sample gets its own search and its best hypothesis. trace: a list that receives a
    BeamLayer per step for the first search (recording changes nothing the search does).
    """
    shared = bool((values == values[:1]).all() and (mask == mask[:1]).all()
                  and (labels is None or (labels == labels[:1]).all()))
    searches = 1 if shared else n
    width = max(config.num_beams, n) if shared else config.num_beams
    values, mask = values[:searches], mask[:searches]
    total, device = values.shape[1], values.device
    levels = model.spec.levels
    if labels is not None:
        labels = labels[:searches]
    stepper = new_stepper(values.clone(), labels=labels)
    scores = torch.zeros(searches, 1, device=device)
    raw = torch.zeros(searches, total, device=device)
    finished = torch.zeros(searches, dtype=torch.bool, device=device)
    lengths = torch.full((searches,), total, dtype=torch.float32, device=device)
    beams, stopped = 1, False
    for t in range(total):
        logits = stepper.logits(t).float()
        raw_step = torch.log_softmax(logits, -1)
        ranked = torch.log_softmax(
            repetition_penalty(logits, stepper.seq[:, :t], config.repetition_penalty, config.repetition_window), -1)
        ranked = _restrict(ranked, mask[:, t].repeat_interleave(beams), values[:, t].repeat_interleave(beams),
                           finished, eos)
        keep = min(width, beams * levels)
        candidates = (scores.view(-1, 1) + ranked).view(searches, beams * levels)
        top_scores, top_index = candidates.topk(keep, dim=1)
        rows = (torch.arange(searches, device=device).unsqueeze(1) * beams + top_index // levels).flatten()
        chosen = (top_index % levels).flatten()
        step_raw = torch.where(finished[rows], 0.0, raw_step[rows, chosen])
        stepper.reorder(rows)
        raw, finished, lengths = raw[rows], finished[rows], lengths[rows]
        raw[:, t] = step_raw
        if eos is not None:
            newly = ~finished & (chosen == eos)
            lengths = torch.where(newly, float(t + 1), lengths)
            finished = finished | newly
        stepper.commit(t, chosen)
        if trace is not None:
            trace.append(_layer(t, candidates[0], top_index[0], top_scores[0], finished[:keep], levels))
        scores, beams = top_scores, keep
        if callback is not None:
            best = rows.view(searches, keep)[:, 0]
            seq = stepper.seq
            step = GenerationStep(t, total, layout.positions[t], chosen.view(searches, keep)[:, 0], ranked[best],
                                  lambda seq=seq, keep=keep: layout.from_sequence(seq.view(searches, keep, -1)[:, 0]))
            if callback(step):
                stopped = True
                break
        if eos is not None and config.early_stopping and bool(finished.all()):
            stepper.seq[:, t + 1:] = eos
            break
    final = scores / lengths.view(searches, beams) ** config.length_penalty
    if trace:
        trace[-1].final = final[0].clone()
    seq, raw = stepper.seq.view(searches, beams, total), raw.view(searches, beams, total)
    if shared:
        best = final[0].topk(min(n, beams)).indices
        best = torch.cat([best, best[:1].expand(n - len(best))])
        return seq[0, best], raw[0, best], stopped
    best = final.argmax(1)
    index = torch.arange(searches, device=device)
    return seq[index, best], raw[index, best], stopped


def _restrict(ranked: Tensor, known: Tensor, known_values: Tensor, finished: Tensor, eos: int | None) -> Tensor:
    """Known steps allow only their value; a finished hypothesis continues only with the end symbol, free."""
    only_known = torch.full_like(ranked, -math.inf).scatter(1, known_values[:, None],
                                                            ranked.gather(1, known_values[:, None]))
    ranked = torch.where(known[:, None], only_known, ranked)
    if eos is not None:
        padding = torch.full_like(ranked, -math.inf)
        padding[:, eos] = 0.0
        ranked = torch.where(finished[:, None], padding, ranked)
    return ranked


def _layer(t: int, candidates: Tensor, kept: Tensor, kept_scores: Tensor, finished: Tensor, levels: int) -> BeamLayer:
    """The trace of one step of the first search: what it kept and the best of what it pruned."""
    ranked = candidates.topk(min(2 * len(kept), len(candidates))).indices
    pruned = ranked[~torch.isin(ranked, kept)][:len(kept)]
    return BeamLayer(t, (kept // levels).clone(), (kept % levels).clone(), kept_scores.clone(), finished.clone(),
                     pruned // levels, pruned % levels, candidates[pruned].clone())
