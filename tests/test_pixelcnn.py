"""Gated PixelCNN: no blind spot, and R -> G -> B inside each pixel."""

from __future__ import annotations

import torch

from arstudio.data import DataSpec
from arstudio.models import build_model


def influence(model, x: torch.Tensor, source: tuple[int, int, int], target: tuple[int, int, int]) -> float:
    """How much the logits at `target` (c, h, w) move when x at `source` changes."""
    y = x.clone()
    y[(0, *source)] = (y[(0, *source)] + 1) % model.spec.levels
    with torch.no_grad():
        a, b = model.logits(x)[(0, *target)], model.logits(y)[(0, *target)]
    return (a - b).abs().max().item()


def test_pixel_up_and_to_the_right_is_seen() -> None:
    spec = DataSpec("binary", (1, 6, 6), 2)
    model = build_model("pixelcnn", spec, channels=16, kernel=3, layers=3).eval()
    x = torch.randint(0, 2, (1, *spec.shape))
    assert influence(model, x, (0, 2, 4), (0, 3, 3)) > 0
    assert influence(model, x, (0, 2, 5), (0, 3, 3)) > 0
    assert influence(model, x, (0, 3, 4), (0, 3, 3)) == 0
    assert influence(model, x, (0, 3, 2), (0, 3, 3)) > 0


def test_channels_follow_red_green_blue_within_a_pixel() -> None:
    spec = DataSpec("image", (3, 4, 4), 8)
    model = build_model("pixelcnn", spec, channels=12, kernel=3).eval()
    x = torch.randint(0, 8, (1, *spec.shape))
    r, g, b = 0, 1, 2
    pixel = (2, 1)
    assert influence(model, x, (r, *pixel), (g, *pixel)) > 0
    assert influence(model, x, (r, *pixel), (b, *pixel)) > 0
    assert influence(model, x, (g, *pixel), (b, *pixel)) > 0
    for later, earlier in ((g, r), (b, r), (b, g), (r, r), (g, g), (b, b)):
        assert influence(model, x, (later, *pixel), (earlier, *pixel)) == 0


def test_default_layers_cover_the_whole_image() -> None:
    model = build_model("pixelcnn", DataSpec("image", (1, 28, 28), 256))
    assert model.num_layers * (model.hparams["kernel"] // 2) >= 27
