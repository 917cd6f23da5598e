"""WaveNet: queue-cached generation against recomputation at a full receptive field; real-time factor."""

from __future__ import annotations

import torch

from arstudio.data import dataset_spec
from arstudio.models import build_model
from arstudio.models.wavenet.native_stepper import NativeQueueStepper
from arstudio.native import build
from arstudio.native.wavenet_step import KERNEL
from arstudio.sampling import SamplerConfig, generate
from benchmarks.core import Case, Context, Measure, Outcome, at_least, at_most

PARAMS = {
    "smoke": {"cached_steps": 40, "recomputed_steps": 3, "audio_seconds": 0.02, "repeats": 1},
    "quick": {"cached_steps": 800, "recomputed_steps": 20, "audio_seconds": 0.5, "repeats": 2},
    "full": {"cached_steps": 4000, "recomputed_steps": 100, "audio_seconds": 2.0, "repeats": 3},
}
SPEEDUP_TARGET, RTF_TARGET = 30.0, 1.0


def case(mode: str) -> Case:
    return Case("generation/wavenet", "generation", "WaveNet: queue cache vs recomputation (default model, 8 kHz)",
                run, PARAMS[mode], timeout=900)


def run(ctx: Context) -> Outcome:
    spec = dataset_spec("tones")
    model = build_model("wavenet", spec).to(ctx.device)
    field = model.receptive_field
    primer = torch.randint(0, spec.levels, (field,), generator=torch.Generator().manual_seed(0)).to(ctx.device)
    repeats = ctx.options["repeats"]

    def continue_primer(steps: int, use_cache: bool):
        return generate(model, 1, SamplerConfig(seed=1), known=primer, length=field + steps, use_cache=use_cache)

    def per_step(steps: int, use_cache: bool) -> float:
        """Seconds per generated sample once the receptive field is full: the primer's cost is subtracted."""
        _, base = ctx.best_of(repeats, lambda: continue_primer(0, use_cache))
        _, total = ctx.best_of(repeats, lambda: continue_primer(steps, use_cache))
        return max(total - base, 1e-9) / steps

    continue_primer(2, True)
    cached = per_step(ctx.options["cached_steps"], True)
    ctx.mark("cached")
    uses_kernel = isinstance(model.stepper(primer[None].clone()), NativeQueueStepper)
    step_kernel = "C" if uses_kernel else f"PyTorch ({build.unavailable_reason(KERNEL) or 'not a float32 CPU model'})"
    with build.switched_off_within():
        torch_stepper = per_step(ctx.options["cached_steps"], True)
    ctx.mark("pytorch stepper")
    recomputed = per_step(ctx.options["recomputed_steps"], False)
    ctx.mark("recomputed")
    steps = ctx.options["recomputed_steps"]
    identical = torch.equal(continue_primer(steps, True).samples, continue_primer(steps, False).samples)
    seconds = ctx.options["audio_seconds"]
    length = max(1, int(seconds * spec.sample_rate))
    _, elapsed = ctx.best_of(repeats, lambda: generate(model, 1, SamplerConfig(seed=2), length=length))
    rtf = elapsed / (length / spec.sample_rate)
    speedup = recomputed / cached
    return Outcome(
        measures=[
            Measure("receptive field", field, "samples"),
            Measure("step kernel", step_kernel),
            Measure("cached, per sample", round(cached * 1e6, 1), "us"),
            Measure("cached with the PyTorch stepper, per sample", round(torch_stepper * 1e6, 1), "us"),
            Measure("C kernel vs PyTorch stepper", round(torch_stepper / cached, 2), "x"),
            Measure("recomputed, per sample", round(recomputed * 1e6, 1), "us"),
            at_least(speedup, SPEEDUP_TARGET, "speedup"),
            Measure("identical samples", identical, "", "True", identical),
            at_most(rtf, RTF_TARGET, f"real-time factor, {length / spec.sample_rate:g} s of audio",
                    "s per s"),
        ],
        metrics={"receptive_field": field, "sample_rate": spec.sample_rate, "cached_seconds_per_sample": cached,
                 "recomputed_seconds_per_sample": recomputed,
                 "pytorch_stepper_seconds_per_sample": torch_stepper, "step_kernel": step_kernel,
                 "speedup": speedup, "identical_samples": identical,
                 "real_time_factor": rtf, "audio_seconds": length / spec.sample_rate, "hparams": model.hparams},
        notes=["Per-sample times continue a primer as long as the receptive field, so every step sees a full "
               "field; the primer's own cost is measured separately and subtracted. The real-time factor is "
               "one stream through generate() from silence: seconds of compute per second of audio. The cached "
               "path is the C step kernel where it builds (arstudio/native); the PyTorch queue stepper is its "
               "fallback and is timed alongside."],
    )
