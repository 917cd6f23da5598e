"""A few hundred steps of plain maximum likelihood take every family far below D ln K."""

from __future__ import annotations

import math

import pytest
import torch

from arstudio.data import DataSpec
from arstudio.models import build_model


def bars(n: int, gen: torch.Generator) -> torch.Tensor:
    """Binary 6x6 images of random horizontal or vertical bars (about 7 bits each)."""
    lines = torch.randint(0, 2, (n, 6), generator=gen)
    rows = lines.unsqueeze(2).expand(n, 6, 6)
    vertical = torch.randint(0, 2, (n, 1, 1), generator=gen).bool()
    return torch.where(vertical, rows.transpose(1, 2), rows).unsqueeze(1)


def gradients(n: int, gen: torch.Generator) -> torch.Tensor:
    """RGB 4x4 images with 4 levels: a random colour ramping left to right."""
    base = torch.randint(0, 2, (n, 3, 1, 1), generator=gen)
    ramp = torch.arange(4).view(1, 1, 1, 4) // 2
    return (base + ramp).expand(n, 3, 4, 4).clamp(max=3).contiguous()


def waves(n: int, gen: torch.Generator) -> torch.Tensor:
    """Sine waves of random period and phase quantised to 16 levels."""
    t = torch.arange(48).float()
    period = torch.randint(6, 12, (n, 1), generator=gen).float()
    phase = torch.rand(n, 1, generator=gen) * 2 * math.pi
    return ((torch.sin(2 * math.pi * t / period + phase) + 1) * 7.5).round().long()


def phrases(n: int, gen: torch.Generator) -> torch.Tensor:
    """Text over 'abcdef': a random 3-letter motif repeated."""
    motif = torch.randint(0, 6, (n, 3), generator=gen)
    return motif.repeat(1, 8)


CASES = {
    "nade": (DataSpec("binary", (1, 6, 6), 2), bars, {"hidden": 64}, 3e-2),
    "made": (DataSpec("binary", (1, 6, 6), 2), bars, {"hidden": 128}, 1e-2),
    "pixelcnn": (DataSpec("image", (3, 4, 4), 4), gradients, {"channels": 24, "kernel": 3}, 1e-2),
    "wavenet": (DataSpec("audio", (48,), 16), waves,
                {"residual_channels": 24, "dilation_channels": 24, "skip_channels": 32, "layers_per_cycle": 4,
                 "cycles": 1}, 1e-2),
    "transformer": (DataSpec("text", (24,), 6, vocabulary=tuple("abcdef")), phrases,
                    {"d_model": 32, "layers": 2, "heads": 2}, 3e-3),
}


@pytest.mark.parametrize("family", sorted(CASES))
def test_short_training_run_lowers_nll_far_below_uniform(family: str) -> None:
    spec, make_data, hparams, lr = CASES[family]
    gen = torch.Generator().manual_seed(1)
    train, held_out = make_data(2048, gen), make_data(256, gen)
    model = build_model(family, spec, **hparams)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr)
    for step in range(300):
        batch = train[torch.randint(0, len(train), (64,), generator=gen)]
        model.on_train_step(step)
        loss = -model.log_prob(batch).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        nll = -model.eval_log_prob(held_out).mean().item()
    assert nll < 0.25 * spec.uniform_nll, f"{family}: NLL {nll:.2f} vs uniform {spec.uniform_nll:.2f}"
