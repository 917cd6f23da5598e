"""The Transformer's C decoding step: the same logits and cache as PyTorch, with one thread or two, and the
PyTorch fallback where the kernel is switched off."""

from __future__ import annotations

import pytest
import torch

from arstudio.data import DataSpec
from arstudio.models import build_model
from arstudio.models.transformer import Transformer
from arstudio.models.transformer_native import native_step
from arstudio.native import build
from arstudio.sampling import SamplerConfig, generate

SPEC = DataSpec("text", (24,), 30, vocabulary=tuple("abcdefghijklmnopqrstuvwxyz .,!"))


def _model(positions: str, width: int = 36, heads: int = 3) -> Transformer:
    torch.manual_seed(0)
    model = build_model("transformer", SPEC, d_model=width, layers=2, heads=heads, mlp_ratio=3, positions=positions)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0, 0.3)
    return model.eval()


def _kernel_or_skip() -> None:
    if build.compiler() is None:
        pytest.skip("no C compiler here")


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("positions", ["learned", "rotary"])
def test_native_steps_give_pytorchs_logits_and_cache(positions: str, threads: int) -> None:
    _kernel_or_skip()
    model = _model(positions)
    step = native_step(model)
    assert step is not None
    step.threads = threads
    tokens = torch.randint(0, SPEC.levels + 1, (3, SPEC.dims))
    with torch.inference_mode():
        reference_cache, native_cache = model.new_cache(3), model.new_cache(3)
        reference = model.forward_tokens(tokens, reference_cache)
        native = torch.stack([step(tokens[:, t], native_cache) for t in range(SPEC.dims)], dim=1)
    assert native_cache.length == reference_cache.length == SPEC.dims
    torch.testing.assert_close(native, reference, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(native_cache.tensors, reference_cache.tensors, atol=1e-5, rtol=1e-5)


def test_native_steps_continue_a_cache_that_pytorch_filled() -> None:
    _kernel_or_skip()
    model = _model("learned", width=32, heads=4)
    step = native_step(model)
    assert step is not None
    tokens = torch.randint(0, SPEC.levels + 1, (2, 12))
    with torch.inference_mode():
        cache = model.new_cache(2)
        model.forward_tokens(tokens[:, :7], cache)
        continued = torch.stack([step(tokens[:, t], cache) for t in range(7, 12)], dim=1)
        reference = model.forward_tokens(tokens)[:, 7:]
    torch.testing.assert_close(continued, reference, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("token", [-1, SPEC.levels + 1])
def test_the_step_refuses_a_token_outside_the_vocabulary(token: int) -> None:
    _kernel_or_skip()
    model = _model("learned")
    step = native_step(model)
    assert step is not None
    cache = model.new_cache(2)
    with pytest.raises(ValueError, match=f"0..{SPEC.levels}"):
        step(torch.tensor([1, token]), cache)
    assert cache.length == 0


def test_the_step_refuses_a_position_past_the_context() -> None:
    _kernel_or_skip()
    model = _model("learned")
    step = native_step(model)
    assert step is not None
    cache = model.new_cache(1)
    cache.length = SPEC.dims
    with pytest.raises(ValueError, match="inside the context"):
        step(torch.tensor([1]), cache)


def test_there_is_no_native_step_for_other_precisions_or_with_the_kernel_switched_off() -> None:
    model = _model("learned")
    assert native_step(model.double()) is None
    with build.switched_off_within():
        assert native_step(model.float()) is None


@pytest.mark.parametrize("config", [SamplerConfig(seed=3, temperature=0.8), SamplerConfig(seed=3, num_beams=3)])
def test_generation_is_the_same_with_and_without_the_kernel(config: SamplerConfig) -> None:
    _kernel_or_skip()
    model = _model("rotary")
    native = generate(model, 2, config, length=3 * SPEC.dims)
    with build.switched_off_within():
        fallback = generate(model, 2, config, length=3 * SPEC.dims)
    assert torch.equal(native.samples, fallback.samples)
    torch.testing.assert_close(native.log_probs, fallback.log_probs, atol=1e-4, rtol=1e-4)
