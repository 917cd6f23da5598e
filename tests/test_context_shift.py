"""Context shift past the Transformer's context: exact for the window it keeps, and cheap when cached."""

from __future__ import annotations

import pytest
import torch

from arstudio.cli.parser import build_parser
from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models import build_model
from arstudio.sampling import SamplerConfig, generate
from tests.model_specs import SMALL

CONTEXT, LENGTH = 8, 40
"""A tiny Transformer: 7 values behind its start token; 40 steps are five contexts."""


def tiny_transformer(positions: str = "rotary", context: int = CONTEXT):
    torch.manual_seed(0)
    spec = DataSpec("text", (context,), 5, vocabulary=tuple("abcde"))
    return build_model("transformer", spec, d_model=16, layers=2, heads=2, positions=positions).eval()


def shifted_starts(length: int, context: int) -> list[int]:
    """Written out as the issue says: once the window (context - 1 values) is full, drop its oldest half."""
    starts, begin = [], 0
    for t in range(length):
        if t - begin > context - 1:
            begin = t - context // 2
        starts.append(begin)
    return starts


def window_log_probs(model, samples: torch.Tensor, starts: list[int]) -> torch.Tensor:
    """The log-probability of every value given the start token and samples[:, starts[t]:t], one pass per step."""
    columns = []
    with torch.no_grad():
        for t, begin in enumerate(starts):
            logits = model.sequence_logits(samples[:, begin:t + 1])[:, -1]
            columns.append(torch.log_softmax(logits.float(), -1).gather(-1, samples[:, t:t + 1]))
    return torch.cat(columns, dim=1)


def test_the_shifted_window_keeps_at_least_half_a_context_and_moves_by_halves() -> None:
    starts = shifted_starts(LENGTH, CONTEXT)
    seen = [t - begin for t, begin in enumerate(starts)]
    assert max(seen) == CONTEXT - 1 and min(seen[CONTEXT:]) == CONTEXT // 2
    assert sorted(set(starts)) == list(range(0, LENGTH - CONTEXT // 2, CONTEXT // 2))


REQUESTS = {
    "sampled": dict(config=SamplerConfig(seed=3)),
    "filtered": dict(config=SamplerConfig(seed=4, top_p=0.8, repetition_penalty=1.3, temperature=0.8)),
    "prompt over half a context": dict(config=SamplerConfig(seed=5), known=torch.tensor([1, 2, 3, 4, 0, 1])),
    "prompt over two contexts": dict(config=SamplerConfig(seed=6),
                                     known=torch.tensor([0, 1, 2, 3, 4, 4, 3, 2, 1, 0, 2, 2, 4, 1, 3, 0, 0, 1, 4])),
    "beam search": dict(config=SamplerConfig(num_beams=3)),
    "beam search with a prompt": dict(config=SamplerConfig(num_beams=2), known=torch.tensor([4, 3, 2, 1, 0])),
}


@pytest.mark.parametrize("positions", ["rotary", "learned"])
@pytest.mark.parametrize("request_name", sorted(REQUESTS))
def test_shifted_generation_equals_recomputation_over_the_same_window(positions: str, request_name: str) -> None:
    model = tiny_transformer(positions)
    request = REQUESTS[request_name]
    cached = generate(model, 3, length=LENGTH, **request)
    recomputed = generate(model, 3, length=LENGTH, use_cache=False, **request)
    assert cached.window_policy == recomputed.window_policy == "shift"
    assert torch.equal(cached.samples, recomputed.samples)
    reference = window_log_probs(model, cached.samples, shifted_starts(LENGTH, CONTEXT))
    torch.testing.assert_close(cached.log_probs, reference, atol=1e-4, rtol=0)
    torch.testing.assert_close(recomputed.log_probs, reference, atol=1e-4, rtol=0)
    if "known" in request:
        prompt = request["known"]
        assert torch.equal(cached.samples[:, :len(prompt)], prompt.expand(3, -1))


@pytest.mark.parametrize("request_name", ["sampled", "prompt over two contexts", "beam search"])
def test_slide_keeps_the_exact_sliding_window(request_name: str) -> None:
    model = tiny_transformer()
    request = REQUESTS[request_name]
    cached = generate(model, 2, length=LENGTH, window="slide", **request)
    recomputed = generate(model, 2, length=LENGTH, use_cache=False, window="slide", **request)
    assert cached.window_policy == "slide" and torch.equal(cached.samples, recomputed.samples)
    sliding = [max(0, t - CONTEXT + 1) for t in range(LENGTH)]
    reference = window_log_probs(model, cached.samples, sliding)
    torch.testing.assert_close(cached.log_probs, reference, atol=1e-4, rtol=0)


def test_within_the_context_both_policies_give_the_same_samples() -> None:
    model = tiny_transformer()
    shifted = generate(model, 4, SamplerConfig(seed=9), length=CONTEXT)
    slid = generate(model, 4, SamplerConfig(seed=9), length=CONTEXT, window="slide")
    assert torch.equal(shifted.samples, slid.samples)
    torch.testing.assert_close(shifted.log_probs, slid.log_probs, atol=1e-5, rtol=0)


class PositionCounter:
    """Counts the token positions the Transformer computes (every call of forward_tokens)."""

    def __init__(self, model) -> None:
        self.positions = 0
        forward = model.forward_tokens

        def counted(tokens, cache=None):
            self.positions += tokens.shape[1]
            return forward(tokens, cache)

        model.forward_tokens = counted


def test_cached_shift_computes_about_two_positions_a_token_where_recomputation_computes_a_window() -> None:
    context, length = 32, 4 * 32
    model = tiny_transformer(context=context)
    counter = PositionCounter(model)
    counts = {}
    for name, kwargs in {"shift": {}, "slide": dict(window="slide"), "recomputed": dict(use_cache=False)}.items():
        counter.positions = 0
        generate(model, 1, SamplerConfig(seed=0), length=length, **kwargs)
        counts[name] = counter.positions
    assert counts["shift"] <= 2 * length
    assert counts["recomputed"] >= 6 * counts["shift"]
    assert counts["slide"] >= (context - 1) * (length - context)


@pytest.mark.parametrize("family", ["wavenet", "nade"])
def test_families_without_a_window_policy_ignore_the_option(family: str) -> None:
    spec, hparams = SMALL[family]
    model = build_model(family, spec, **hparams)
    length = 3 * spec.dims if spec.is_sequence else None
    shifted = generate(model, 2, SamplerConfig(seed=2), length=length)
    slid = generate(model, 2, SamplerConfig(seed=2), length=length, window="slide")
    assert shifted.window_policy is None and slid.window_policy is None
    assert torch.equal(shifted.samples, slid.samples)


def test_an_unknown_window_policy_is_a_user_error() -> None:
    spec, hparams = SMALL["nade"]
    for model in (tiny_transformer(), build_model("nade", spec, **hparams)):
        with pytest.raises(UserError, match="window policy"):
            generate(model, 1, SamplerConfig(seed=0), window="roll")


def test_the_sample_command_takes_the_window_policy() -> None:
    parser = build_parser()
    common = ["sample", "--checkpoint", "model.json", "--out", "out.txt"]
    assert parser.parse_args(common).window == "shift"
    assert parser.parse_args([*common, "--window", "slide"]).window == "slide"
    with pytest.raises(SystemExit):
        parser.parse_args([*common, "--window", "roll"])
