"""Scoring a text stream as a coder sees it: every byte once, with the text before it in view."""

from __future__ import annotations

import math

import pytest
import torch

from arstudio.data import DataSpec
from arstudio.models import build_model
from arstudio.training.evaluate import mean_nll
from benchmarks.stream_scoring import stream_bits_per_byte, stream_windows


@pytest.mark.parametrize("length", [16, 17, 23, 24, 25, 40, 101])
def test_every_position_is_scored_once_with_half_a_window_in_view(length: int) -> None:
    window = 16
    starts, first = stream_windows(length, window)
    scored = [start + offset for start, skip in zip(starts, first, strict=True) for offset in range(skip, window)]
    assert sorted(scored) == list(range(length))
    assert all(0 <= start <= length - window for start in starts)
    assert all(skip >= window // 2 for skip in first[1:])


def test_one_window_scores_as_the_example_itself_and_a_uniform_model_spends_8_bits() -> None:
    torch.manual_seed(0)
    model = build_model("transformer", DataSpec("text", (16,), 256), d_model=16, layers=1, heads=2)
    text = torch.randint(0, 256, (16,))
    alone = mean_nll(model, text.unsqueeze(0)) / (16 * math.log(2))
    assert stream_bits_per_byte(model, text) == pytest.approx(alone, rel=1e-5)
    repeated = text.repeat(5)
    with torch.no_grad():
        model.embed.weight.mul_(0)
    flat = stream_bits_per_byte(model, repeated)
    assert flat == pytest.approx(8.0, rel=1e-4), "a model that ignores its input spends 8 bits a byte"


def test_a_stream_shorter_than_a_window_is_refused() -> None:
    model = build_model("transformer", DataSpec("text", (16,), 256), d_model=16, layers=1, heads=2)
    with pytest.raises(ValueError, match="at least 16 values"):
        stream_bits_per_byte(model, torch.zeros(8, dtype=torch.long))
