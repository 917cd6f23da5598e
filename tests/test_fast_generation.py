"""The fast generation paths agree with recomputation: PixelCNN's and WaveNet's caches, the sampler loop."""

from __future__ import annotations

import pytest
import torch

from arstudio.data import DataSpec
from arstudio.models import build_model
from arstudio.models.pixelcnn.column_stepper import ColumnStepper
from arstudio.models.steppers import RecomputeStepper
from arstudio.models.wavenet import native_stepper
from arstudio.models.wavenet.queue_stepper import QueueStepper
from arstudio.native import build, wavenet_step
from arstudio.sampling import GenerationStep, SamplerConfig, generate
from arstudio.sampling.processors import draw

PIXELCNN_SPECS = {
    "binary": (DataSpec("binary", (1, 6, 7), 2), {"channels": 8, "kernel": 3}),
    "grey": (DataSpec("image", (1, 5, 6), 16), {"channels": 12, "kernel": 5, "layers": 3}),
    "rgb": (DataSpec("image", (3, 4, 5), 8), {"channels": 12, "kernel": 3}),
    "rgba": (DataSpec("image", (4, 3, 4), 4), {"channels": 16, "kernel": 3, "layers": 4}),
    "rgb-logistic": (DataSpec("image", (3, 4, 5), 256), {"channels": 12, "kernel": 3, "head": "logistic",
                                                        "mixtures": 3}),
}
WAVENET = (DataSpec("audio", (40,), 16), {"residual_channels": 8, "dilation_channels": 6, "skip_channels": 10,
                                          "layers_per_cycle": 3, "cycles": 2})


def stepwise_logits(stepper, values: torch.Tensor, reorder_at: int | None = None,
                    index: torch.Tensor | None = None) -> torch.Tensor:
    """Logits of every step while committing `values` [B, L]; optionally reorder the batch at one step
    (earlier logits are reordered alike, so every row follows one sequence)."""
    out = []
    for t in range(values.shape[1]):
        if t == reorder_at:
            stepper.reorder(index)
            values = values[index]
            out = [logits[index] for logits in out]
        out.append(stepper.logits(t))
        stepper.commit(t, values[:, t])
    return torch.stack(out, dim=1)


@pytest.mark.parametrize("key", sorted(PIXELCNN_SPECS))
def test_pixelcnn_cached_logits_equal_recomputed_at_every_step(key: str) -> None:
    spec, hparams = PIXELCNN_SPECS[key]
    model = build_model("pixelcnn", spec, **hparams).eval()
    values = torch.randint(0, spec.levels, (3, spec.dims))
    index = torch.tensor([2, 0, 2, 1])
    with torch.no_grad():
        cached = stepwise_logits(model.stepper(torch.zeros_like(values)), values, spec.dims // 2, index)
        recomputed = stepwise_logits(RecomputeStepper(model, torch.zeros_like(values)), values, spec.dims // 2, index)
        whole = model.sequence_logits(values[index])
    assert isinstance(model.stepper(values), ColumnStepper)
    torch.testing.assert_close(cached, recomputed, atol=1e-4, rtol=0)
    torch.testing.assert_close(cached, whole, atol=1e-4, rtol=0)


@pytest.mark.parametrize("key", sorted(PIXELCNN_SPECS))
def test_pixelcnn_cached_and_recomputed_samples_are_identical(key: str) -> None:
    spec, hparams = PIXELCNN_SPECS[key]
    model = build_model("pixelcnn", spec, **hparams)
    known = torch.randint(0, spec.levels, spec.shape)
    mask = torch.rand(spec.shape) < 0.3
    for config in (SamplerConfig(seed=7), SamplerConfig(seed=8, top_k=3, temperature=0.8), SamplerConfig(num_beams=3)):
        for kwargs in ({}, {"known": known, "known_mask": mask}):
            cached = generate(model, 3, config, use_cache=True, **kwargs)
            recomputed = generate(model, 3, config, use_cache=False, **kwargs)
            assert torch.equal(cached.samples, recomputed.samples)
            torch.testing.assert_close(cached.log_probs, recomputed.log_probs, atol=1e-4, rtol=0)


@pytest.mark.parametrize("levels", [2, 16, 256])
def test_pixelcnn_logistic_head_is_normalised_and_its_log_prob_matches_the_logits(levels: int) -> None:
    spec = DataSpec("image", (3, 4, 4), levels)
    model = build_model("pixelcnn", spec, channels=12, kernel=3, head="logistic", mixtures=4)
    x = torch.randint(0, levels, (4, *spec.shape))
    x[0], x[1] = 0, levels - 1
    with torch.no_grad():
        logits = model.logits(x)
        from_logits = torch.log_softmax(logits, -1).gather(-1, x.unsqueeze(-1)).squeeze(-1).flatten(1).sum(1)
        torch.testing.assert_close(logits.exp().sum(-1), torch.ones(logits.shape[:-1]), atol=1e-5, rtol=0)
        torch.testing.assert_close(model.log_prob(x), from_logits, atol=1e-3, rtol=1e-5)


def test_pixelcnn_default_model_on_28x28_agrees_with_recomputation() -> None:
    model = build_model("pixelcnn", DataSpec("image", (1, 28, 28), 256))
    steps = 70

    def stop(step: GenerationStep) -> bool:
        return step.step + 1 >= steps

    cached = generate(model, 1, SamplerConfig(seed=3), callback=stop)
    recomputed = generate(model, 1, SamplerConfig(seed=3), use_cache=False, callback=stop)
    assert torch.equal(cached.samples, recomputed.samples)
    torch.testing.assert_close(cached.log_probs, recomputed.log_probs, atol=1e-4, rtol=0)


def test_pixelcnn_stepper_refuses_steps_out_of_order() -> None:
    spec, hparams = PIXELCNN_SPECS["grey"]
    stepper = build_model("pixelcnn", spec, **hparams).stepper(torch.zeros(1, spec.dims, dtype=torch.long))
    with pytest.raises(RuntimeError, match="in order"):
        stepper.logits(1)


def c_kernel_stepper(model, seq: torch.Tensor) -> native_stepper.NativeQueueStepper:
    if build.compiler() is None:
        pytest.skip("no C compiler here: the WaveNet step kernel cannot be built")
    stepper = native_stepper.stepper(model, seq)
    assert stepper is not None, build.unavailable_reason(wavenet_step.KERNEL)
    return stepper


WAVENET_STEPPERS = {"pytorch": QueueStepper, "c-kernel": c_kernel_stepper}


@pytest.mark.parametrize("stepper", sorted(WAVENET_STEPPERS))
@pytest.mark.parametrize(("batch", "index"), [(3, [1, 1, 0]), (1, [0, 0, 0, 0]), (4, [3, 1])])
def test_wavenet_queue_logits_equal_recomputed_beyond_the_receptive_field(stepper: str, batch: int,
                                                                          index: list[int]) -> None:
    spec, hparams = WAVENET
    model = build_model("wavenet", spec, **hparams).eval()
    length = 3 * model.receptive_field + 5
    values = torch.randint(0, spec.levels, (batch, length))
    order = torch.tensor(index)
    with torch.no_grad():
        cached = stepwise_logits(WAVENET_STEPPERS[stepper](model, torch.zeros_like(values)), values, length // 2, order)
        recomputed = stepwise_logits(RecomputeStepper(model, torch.zeros_like(values)), values, length // 2, order)
    torch.testing.assert_close(cached, recomputed, atol=1e-4, rtol=0)


def test_wavenet_uses_the_c_kernel_where_it_builds_and_the_pytorch_queues_without_it() -> None:
    spec, hparams = WAVENET
    model = build_model("wavenet", spec, **hparams)
    seq = torch.zeros(2, 9, dtype=torch.long)
    expected = QueueStepper if build.compiler() is None else native_stepper.NativeQueueStepper
    assert type(model.stepper(seq)) is expected
    with build.switched_off_within():
        assert type(model.stepper(seq)) is QueueStepper
        assert "ARSTUDIO_NATIVE" in build.unavailable_reason(wavenet_step.KERNEL)
    assert type(model.double().stepper(seq)) is QueueStepper
    assert type(model.stepper(seq, use_cache=False)) is RecomputeStepper


@pytest.mark.parametrize("switch", ["on", "off"])
def test_default_wavenet_queue_agrees_with_recomputation_past_its_receptive_field(switch: str) -> None:
    model = build_model("wavenet", DataSpec("audio", (4000,), 256))
    primer = torch.randint(0, 256, (model.receptive_field,))
    length = model.receptive_field + 12
    recomputed = generate(model, 2, SamplerConfig(seed=4), known=primer, length=length, use_cache=False)
    if switch == "off":
        with build.switched_off_within():
            cached = generate(model, 2, SamplerConfig(seed=4), known=primer, length=length)
    else:
        cached = generate(model, 2, SamplerConfig(seed=4), known=primer, length=length)
    assert torch.equal(cached.samples, recomputed.samples)
    torch.testing.assert_close(cached.log_probs, recomputed.log_probs, atol=1e-4, rtol=0)


def test_wavenet_beam_search_agrees_between_the_c_kernel_and_the_pytorch_queues() -> None:
    spec, hparams = WAVENET
    model = build_model("wavenet", spec, **hparams)
    config = SamplerConfig(num_beams=3)
    with build.switched_off_within():
        pytorch = generate(model, 2, config, length=30)
    kernel = generate(model, 2, config, length=30)
    assert torch.equal(kernel.samples, pytorch.samples)
    torch.testing.assert_close(kernel.log_probs, pytorch.log_probs, atol=1e-4, rtol=0)


def test_long_generations_record_every_log_probability() -> None:
    spec, hparams = WAVENET
    model = build_model("wavenet", spec, **hparams)
    cached = generate(model, 2, SamplerConfig(seed=5), length=1300)
    recomputed = generate(model, 2, SamplerConfig(seed=5), length=1300, use_cache=False)
    assert torch.equal(cached.samples, recomputed.samples)
    torch.testing.assert_close(cached.log_probs, recomputed.log_probs, atol=1e-4, rtol=0)
    assert bool((cached.log_probs < 0).all())
    stopped = generate(model, 1, SamplerConfig(seed=5), length=1300, callback=lambda step: step.step == 1100)
    assert stopped.stopped_early
    assert bool((stopped.log_probs[:, :1101] < 0).all()) and bool((stopped.log_probs[:, 1101:] == 0).all())


def test_draw_samples_the_distribution_and_matches_torch_multinomial() -> None:
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05, 0.0]]).expand(20000, -1)
    counts = torch.bincount(draw(probs, torch.Generator().manual_seed(0)), minlength=5).float() / len(probs)
    torch.testing.assert_close(counts, probs[0], atol=0.015, rtol=0)
    weights = torch.rand(6, 40)
    ours = draw(weights, torch.Generator().manual_seed(11))
    theirs = torch.multinomial(weights, 1, generator=torch.Generator().manual_seed(11)).squeeze(1)
    assert torch.equal(ours, theirs)


def test_transformer_rotary_table_made_while_generating_still_trains() -> None:
    model = build_model("transformer", DataSpec("text", (16,), 256), d_model=16, layers=1, heads=2)
    generate(model, 1, SamplerConfig(seed=0), length=8)
    loss = -model.log_prob(torch.randint(0, 256, (2, 16))).mean()
    loss.backward()
    assert model.embed.weight.grad is not None
