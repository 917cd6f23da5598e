"""Class-conditional PixelCNN and WaveNet: p(x | labels) keeps the chain rule, normalises for every label,
generates cached as it recomputes, and after a short run generates what the label asks for."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
import torch

from arstudio.data import DataSpec, load_dataset
from arstudio.data.labels import DIGIT_LABELS, LabelSet, parse_labels
from arstudio.errors import UserError
from arstudio.models import build_model
from arstudio.models.base import ARModel
from arstudio.models.wavenet import native_stepper
from arstudio.models.wavenet.queue_stepper import QueueStepper
from arstudio.sampling import SamplerConfig, generate
from tests.model_specs import SMALL, TINY

VOICES = LabelSet("voice", ("low", "high", "whisper"))
LABELLED = (LabelSet("digit", ("0", "1", "2")), VOICES)
FAMILIES = ("pixelcnn", "wavenet")


def labelled(spec: DataSpec) -> DataSpec:
    return replace(spec, labels=LABELLED)


def conditional(family: str, table: dict = SMALL, seed: int = 0) -> ARModel:
    spec, hparams = table[family]
    torch.manual_seed(seed)
    return build_model(family.split("-")[0], labelled(spec), **hparams, conditional=True).eval()


ALL_LABELS = torch.tensor(list(itertools.product(range(3), range(3))))


@pytest.mark.parametrize("family", FAMILIES)
def test_for_every_label_later_values_never_change_earlier_logits(family: str) -> None:
    model = conditional(family)
    spec = model.spec
    for labels in ALL_LABELS[[0, 4, 8]]:
        for k in (0, 1, spec.dims // 2, spec.dims - 1):
            x = torch.randint(0, spec.levels, (3, *spec.shape))
            y = x.flatten(1).clone()
            later = model.order[k:]
            y[:, later] = torch.randint(0, spec.levels, (3, len(later)))
            with torch.no_grad():
                a = model.logits(x, labels).flatten(1, -2)[:, model.order[: k + 1]]
                b = model.logits(y.view_as(x), labels).flatten(1, -2)[:, model.order[: k + 1]]
            torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_label_changes_every_conditional_including_the_first(family: str) -> None:
    model = conditional(family)
    x = torch.randint(0, model.spec.levels, (1, *model.spec.shape))
    with torch.no_grad():
        first = model.logits(x, torch.tensor([0, 0])).flatten(1, -2)[:, model.order]
        other = model.logits(x, torch.tensor([2, 1])).flatten(1, -2)[:, model.order]
    assert (first - other).abs().amax(-1).min() > 1e-4


@pytest.mark.parametrize("key", ["pixelcnn", "pixelcnn-rgb", "wavenet"])
def test_probabilities_sum_to_one_for_every_label(key: str) -> None:
    model = conditional(key, TINY)
    spec = model.spec
    every = torch.tensor(list(itertools.product(range(spec.levels), repeat=spec.dims))).view(-1, *spec.shape)
    with torch.no_grad():
        for labels in ALL_LABELS:
            total = model.log_prob(every, labels).double().exp().sum().item()
            assert total == pytest.approx(1.0, abs=1e-4), f"labels {labels.tolist()}"


def test_cached_pixelcnn_generation_equals_recomputation_with_labels() -> None:
    model = conditional("pixelcnn")
    labels = ALL_LABELS[[1, 5, 7, 3]]
    config = SamplerConfig(seed=3, temperature=1.3)
    cached = generate(model, 4, config, labels=labels, use_cache=True)
    recomputed = generate(model, 4, config, labels=labels, use_cache=False)
    assert torch.equal(cached.samples, recomputed.samples)
    torch.testing.assert_close(cached.log_probs, recomputed.log_probs, atol=1e-4, rtol=0)
    with torch.no_grad():
        direct = model.log_prob(cached.samples, labels)
    torch.testing.assert_close(cached.log_likelihood, direct, atol=1e-3, rtol=0)


def test_both_wavenet_steppers_follow_the_labels_through_beam_reordering() -> None:
    model = conditional("wavenet")
    labels = ALL_LABELS[[2, 6, 4]]
    seq = torch.randint(0, model.spec.levels, (3, 60))
    with torch.no_grad():
        full = model.sequence_logits(seq, labels)
    steppers = [QueueStepper(model, seq.clone(), labels)]
    native = native_stepper.stepper(model, seq.clone(), labels)
    if native is not None:
        steppers.append(native)
    for stepper in steppers:
        expected, values = full, seq
        with torch.no_grad():
            for t in range(60):
                torch.testing.assert_close(stepper.logits(t), expected[:, t], atol=1e-4, rtol=0)
                stepper.commit(t, values[:, t])
                if t in (20, 40):
                    index = torch.tensor([2, 0, 0, 1]) if t == 20 else torch.tensor([3, 1, 2, 0])
                    stepper.reorder(index)
                    expected, values = expected[index], values[index]


@pytest.mark.parametrize("family", FAMILIES)
def test_beam_search_keeps_each_samples_label(family: str) -> None:
    model = conditional(family)
    labels = ALL_LABELS[[0, 8]]
    result = generate(model, 2, SamplerConfig(num_beams=3), labels=labels, length=12 if family == "wavenet" else None)
    with torch.no_grad():
        direct = model.log_prob(result.samples, labels) if family == "pixelcnn" else None
    if direct is not None:
        torch.testing.assert_close(result.log_likelihood, direct, atol=1e-3, rtol=0)
    alone = generate(model, 1, SamplerConfig(num_beams=3), labels=labels[1], length=12 if family == "wavenet" else None)
    assert torch.equal(alone.samples[0], result.samples[1])


def test_mistakes_with_labels_are_user_errors() -> None:
    spec, hparams = SMALL["pixelcnn"]
    with pytest.raises(UserError, match="carry"):
        build_model("pixelcnn", spec, **hparams, conditional=True)
    model = conditional("pixelcnn")
    x = torch.zeros(1, *model.spec.shape, dtype=torch.long)
    with pytest.raises(UserError, match="give one"):
        model.log_prob(x)
    with pytest.raises(UserError, match="voice must be one of its 3 classes"):
        model.log_prob(x, torch.tensor([0, 3]))
    with pytest.raises(UserError, match="one class per label"):
        model.log_prob(x, torch.tensor([0, 1, 2]))
    plain = build_model("pixelcnn", labelled(spec), **hparams)
    with pytest.raises(UserError, match="not conditional"):
        generate(plain, 1, labels=torch.tensor([0, 0]))
    with pytest.raises(UserError, match="not a digit"):
        parse_labels(LABELLED, "digit=7,voice=low")
    assert parse_labels(LABELLED, "digit=2,voice=whisper") == (2, 2)
    assert parse_labels(LABELLED, "1,high") == (1, 1)


def test_unconditional_models_load_and_score_as_before() -> None:
    spec, hparams = SMALL["wavenet"]
    model = build_model("wavenet", spec, **hparams)
    assert not model.conditional and model.hparams["conditional"] is False
    x = torch.randint(0, spec.levels, (2, *spec.shape))
    assert model.log_prob(x).shape == (2,)


def test_a_short_conditional_run_generates_the_digit_asked_for() -> None:
    """After 150 steps on the 8x8 digits, samples asked for as digit c are nearer c's mean image than any other
    digit's far more often than chance (10 %)."""
    torch.manual_seed(0)
    train = load_dataset("binary-digits", "train")
    assert train.spec.labels == (DIGIT_LABELS,)
    model = build_model("pixelcnn", train.spec, conditional=True, channels=16, kernel=3)
    optimizer = torch.optim.Adam(model.parameters(), 3e-3)
    for _ in range(150):
        index = torch.randint(0, len(train), (32,))
        loss = -model.log_prob(train.data[index], train.labels[index]).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    means = torch.stack([train.data[train.labels[:, 0] == c].float().mean(0).flatten() for c in range(10)])
    correct = 0
    for digit in range(10):
        samples = generate(model, 12, SamplerConfig(seed=digit), labels=torch.tensor([digit])).samples
        correct += int((torch.cdist(samples.float().flatten(1), means).argmin(1) == digit).sum())
    assert correct / 120 > 0.3


def test_the_marginal_nll_is_the_nll_of_the_mixture_over_classes() -> None:
    """-log p(x) = -log mean_y p(x | y): between the best class's NLL and that plus ln(classes), and exactly the
    enumerated mixture."""
    from arstudio.training.evaluate import marginal_nll, mean_nll

    model = conditional("pixelcnn", TINY)
    x = torch.randint(0, 2, (5, *model.spec.shape))
    with torch.no_grad():
        per_class = torch.stack([model.log_prob(x, labels) for labels in ALL_LABELS])
    expected = -(torch.logsumexp(per_class, 0) - torch.log(torch.tensor(9.0))).mean().item()
    assert marginal_nll(model, x) == pytest.approx(expected, abs=1e-4)
    best = -per_class.max(0).values.mean().item()
    assert best <= marginal_nll(model, x) <= best + torch.log(torch.tensor(9.0)).item() + 1e-5
    assert mean_nll(model, x, labels=ALL_LABELS[:1].expand(5, -1)) != pytest.approx(marginal_nll(model, x))
