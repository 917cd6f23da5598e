"""beam_tree reflects what beam search did: its best path is generate()'s beam result, scores are the model's
cumulative log-probabilities, every step keeps the beam's width, and recording changes nothing."""

from __future__ import annotations

from functools import partial

import pytest
import torch

from arstudio.data import DataSpec
from arstudio.models import build_model
from arstudio.sampling import SamplerConfig, generate
from arstudio.sampling.beam import BeamLayer, beam_search
from arstudio.sampling.beam_trace import beam_tree
from arstudio.sampling.request import Layout, known_tensors

TEXT = DataSpec("text", (12,), 5, vocabulary=list("abcd "))
BINARY = DataSpec("binary", (1, 3, 3), 2)
AUDIO = DataSpec("audio", (8,), 8)


def fresh(family: str, spec: DataSpec):
    torch.manual_seed(0)
    return build_model(family, spec).eval()


@pytest.mark.parametrize("family,spec,known,length", [
    ("transformer", TEXT, torch.tensor([1, 2]), 7),
    ("wavenet", AUDIO, None, None),
    ("made", BINARY, None, None),
    ("pixelcnn", BINARY, None, None),
], ids=["transformer", "wavenet", "made", "pixelcnn"])
def test_the_best_path_is_beam_searchs_result(family: str, spec: DataSpec, known, length) -> None:
    model = fresh(family, spec)
    config = SamplerConfig(num_beams=3)
    tree = beam_tree(model, config, known=known, length=length)
    result = generate(model, 1, config, known=known, length=length)
    assert torch.equal(tree.result, result.samples[0])
    layout = Layout(model, length or spec.dims)
    shown = layout.to_sequence(result.samples)[0, len(tree.start):]
    assert tree.best_tokens == shown.tolist()
    best_leaf = tree.nodes[tree.best_path[-1]]
    assert best_leaf.rank == 0 and best_leaf.step == tree.steps[-1]
    assert best_leaf.score == pytest.approx(float(result.log_likelihood[0]), abs=1e-4)
    assert tree.final_scores == sorted(tree.final_scores, reverse=True) and len(tree.final_scores) == 3


def test_every_step_keeps_the_width_and_scores_add_the_models_log_p() -> None:
    model = fresh("transformer", TEXT)
    tree = beam_tree(model, SamplerConfig(num_beams=4), known=torch.tensor([0, 3, 1]), length=8)
    assert tree.steps == [3, 4, 5, 6, 7] and tree.start.tolist() == [0, 3, 1]
    for step in tree.steps:
        kept = [n for n in tree.nodes if n.step == step and n.kept]
        pruned = [n for n in tree.nodes if n.step == step and not n.kept]
        assert len(kept) == 4 and pruned and max(n.score for n in pruned) <= min(n.score for n in kept) + 1e-6
        assert all(n.parent is None or tree.nodes[n.parent].kept for n in kept + pruned)
    with torch.no_grad():
        for index, node in enumerate(tree.nodes):
            tokens = tree.start.tolist() + [tree.nodes[i].token for i in tree.path(index)]
            seq = torch.tensor([tokens])
            expected = float(torch.log_softmax(model.sequence_logits(seq)[0], -1).gather(-1, seq[0, :, None]).sum())
            assert node.score == pytest.approx(expected, abs=1e-4)
    alive_leaves = [n for n in tree.nodes if n.step == 7 and n.kept]
    assert sorted(n.rank for n in alive_leaves) == [0, 1, 2, 3] and all(n.alive for n in alive_leaves)
    for index, node in enumerate(tree.nodes):
        descends = any(index in tree.path(tree.nodes.index(leaf)) for leaf in alive_leaves)
        assert node.alive == descends and node.best == (index in tree.path(tree.best_path[-1]))


def test_recording_a_trace_changes_nothing() -> None:
    model = fresh("transformer", TEXT)
    config = SamplerConfig(num_beams=3, repetition_penalty=1.5)
    layout = Layout(model, 9)
    values, mask = known_tensors(layout, 2, torch.tensor([2, 2]), None, torch.device("cpu"))
    stepper = partial(model.stepper, use_cache=True, window="shift")
    with torch.inference_mode():
        plain = beam_search(model, layout, 2, config, values, mask, stepper, None, None)
        trace: list[BeamLayer] = []
        traced = beam_search(model, layout, 2, config, values, mask, stepper, None, None, None, trace)
    assert torch.equal(plain[0], traced[0]) and torch.equal(plain[1], traced[1])
    assert [layer.step for layer in trace] == list(range(9)) and trace[-1].final is not None
    assert all(layer.final is None for layer in trace[:-1])


def test_an_ended_hypothesis_is_marked_and_the_result_matches_with_an_end_symbol() -> None:
    spec = DataSpec("text", (10,), 4, vocabulary=["a", "b", " ", "<eos>"])
    model = fresh("transformer", spec)
    config = SamplerConfig(num_beams=3, length_penalty=0.5)
    tree = beam_tree(model, config, length=6, stop_at_eos=True)
    result = generate(model, 1, config, length=6, stop_at_eos=True)
    assert torch.equal(tree.result, result.samples[0])
    assert any(node.finished for node in tree.nodes)
    for index, node in enumerate(tree.nodes):
        if node.kept:
            assert node.finished == (spec.eos_index in [tree.nodes[i].token for i in tree.path(index)])
