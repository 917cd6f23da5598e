"""PixelCNN: cached generation of 28x28 images against recomputation; identical samples."""

from __future__ import annotations

import torch

from arstudio.data import dataset_spec
from arstudio.models import build_model
from arstudio.sampling import GenerationResult, GenerationStep, SamplerConfig, generate
from benchmarks.core import Case, Context, Measure, Outcome, at_least

PARAMS = {
    "smoke": {"recomputed_steps": 8, "rgb_steps": 6, "repeats": 1},
    "quick": {"recomputed_steps": 56, "rgb_steps": 24, "repeats": 1},
    "full": {"recomputed_steps": None, "rgb_steps": 96, "repeats": 2},
}
TARGET = 5.0


def case(mode: str) -> Case:
    return Case("generation/pixelcnn", "generation", "PixelCNN: cached vs recomputed generation (default model, "
                "28x28 glyphs)", run, PARAMS[mode], timeout=900)


def sample(model, use_cache: bool, steps: int | None, seed: int = 3) -> GenerationResult:
    """One image, stopped after `steps` steps of the chain rule when given."""

    def stop(step: GenerationStep) -> bool:
        return steps is not None and step.step + 1 >= steps

    return generate(model, 1, SamplerConfig(seed=seed), use_cache=use_cache, callback=stop if steps else None)


def run(ctx: Context) -> Outcome:
    model = build_model("pixelcnn", dataset_spec("glyphs")).to(ctx.device)
    dims = model.spec.dims
    steps = ctx.options["recomputed_steps"]
    sample(model, True, 4)
    cached, cached_s = ctx.best_of(ctx.options["repeats"], lambda: sample(model, True, None))
    ctx.mark("cached")
    recomputed, recomputed_s = ctx.timed(lambda: sample(model, False, steps))
    ctx.mark("recomputed")
    counted = steps or dims
    compared = sample(model, True, steps) if steps else cached
    identical = torch.equal(compared.samples, recomputed.samples)
    close = float((compared.log_probs - recomputed.log_probs).abs().max())
    rgb = build_model("pixelcnn", dataset_spec("patches")).to(ctx.device)
    rgb_steps = ctx.options["rgb_steps"]
    rgb_identical = torch.equal(sample(rgb, True, rgb_steps).samples, sample(rgb, False, rgb_steps).samples)
    cached_step, recomputed_step = cached_s / dims, recomputed_s / counted
    speedup = recomputed_step / cached_step
    outcome = Outcome(
        measures=[
            Measure("cached, one 28x28 image", round(cached_s, 3), "s"),
            Measure("cached, per pixel", round(cached_step * 1e3, 3), "ms"),
            Measure(f"recomputed, per pixel ({counted} pixels)", round(recomputed_step * 1e3, 3), "ms"),
            at_least(speedup, TARGET, "speedup"),
            Measure(f"identical samples ({counted} pixels)", identical, "", "True", identical),
            Measure(f"identical RGB samples (16x16x3, {rgb_steps} steps)", rgb_identical, "", "True", rgb_identical),
        ],
        metrics={"cached_seconds_per_image": cached_s, "cached_seconds_per_pixel": cached_step,
                 "recomputed_seconds_per_pixel": recomputed_step, "recomputed_pixels": counted, "speedup": speedup,
                 "identical_samples": identical, "max_log_prob_difference": close,
                 "identical_rgb_samples": rgb_identical, "layers": model.num_layers, "hparams": model.hparams},
    )
    if steps:
        outcome.notes.append(f"Recomputation timed over the first {steps} pixels (it costs the same for every pixel).")
    return outcome
