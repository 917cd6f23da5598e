"""What a person would notice about the ready models' output, checked by classifiers trained here on real data.

Conditional MNIST samples must be read as their digit, spoken-digit clips must be neither silence nor white noise
and must be heard as their digit, and the Transformer must score its card's bits per character on the test
stream and write words of its training text.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from torch import nn

from arstudio.data import load_dataset
from arstudio.data.mulaw import mu_law_decode
from arstudio.sampling import SamplerConfig, generate
from arstudio.training.evaluate import mean_nll
from arstudio.zoo.catalog import ready_model

FRAME = 256
SEGMENTS = 6
BANDS = 16


def _linear_classifier(features: np.ndarray, labels: np.ndarray, classes: int, steps: int = 300):
    """Softmax regression on standardised features (full batch, Adam): returns predict(features) -> classes."""
    mean, scale = features.mean(0), features.std(0) + 1e-6
    x = torch.tensor((features - mean) / scale, dtype=torch.float32)
    y = torch.tensor(labels, dtype=torch.long)
    generator = torch.Generator().manual_seed(0)
    layer = nn.Linear(x.shape[1], classes)
    with torch.no_grad():
        layer.weight.normal_(0, 0.01, generator=generator)
        layer.bias.zero_()
    optimizer = torch.optim.Adam(layer.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = nn.functional.cross_entropy(layer(x), y) + 1e-3 * layer.weight.pow(2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def predict(new: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return layer(torch.tensor((new - mean) / scale, dtype=torch.float32)).argmax(1).numpy()

    return predict


def _frames(levels: np.ndarray) -> np.ndarray:
    audio = mu_law_decode(np.asarray(levels))
    usable = audio.shape[1] // FRAME * FRAME
    return audio[:, :usable].reshape(len(audio), -1, FRAME)


def _spectral_features(levels: np.ndarray) -> np.ndarray:
    """Log power in 16 log-spaced bands over 6 stretches of the clip: a coarse spectrogram of 96 numbers."""
    power = np.abs(np.fft.rfft(_frames(levels) * np.hanning(FRAME), axis=-1)) ** 2 + 1e-10
    edges = np.geomspace(2, power.shape[-1], BANDS + 1).astype(int)
    bands = np.stack([power[..., lo:hi + 1].mean(-1) for lo, hi in zip(edges[:-1], edges[1:], strict=True)], -1)
    steps = bands.shape[1]
    stretches = [bands[:, i * steps // SEGMENTS:(i + 1) * steps // SEGMENTS].mean(1) for i in range(SEGMENTS)]
    return np.log(np.stack(stretches, 1)).reshape(len(levels), -1)


def _flatness_and_loudness(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per clip: mean spectral flatness (1 for white noise, near 0 for voiced sound) and RMS amplitude."""
    frames = _frames(levels)
    power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2 + 1e-12
    flatness = np.exp(np.log(power).mean(-1)) / power.mean(-1)
    return flatness.mean(1), np.sqrt((frames ** 2).mean((1, 2)))


def test_the_conditional_mnist_model_draws_the_digit_it_is_asked_for() -> None:
    model = ready_model("pixelcnn-mnist-digits").load().model
    train = load_dataset("mnist", "train", seed=0)
    images = train.data[:10000].flatten(1).float().numpy() / 255.0
    classify = _linear_classifier(images, train.labels[:10000, 0].numpy(), 10, steps=200)
    test = load_dataset("mnist", "test", seed=0)
    real = (classify(test.data[:1000].flatten(1).float().numpy() / 255.0) == test.labels[:1000, 0].numpy()).mean()
    assert real > 0.85, f"the classifier itself reads only {real:.0%} of real test digits"
    digits = torch.arange(20) % 10
    samples = generate(model, 20, SamplerConfig(seed=0), labels=digits.unsqueeze(1)).samples
    read = classify(samples.flatten(1).float().numpy() / 255.0)
    accuracy = (read == digits.numpy()).mean()
    assert accuracy >= 0.5, f"only {accuracy:.0%} of the drawn digits read as the digit asked for (chance: 10%)"
    ink = samples.float().mean().item() / 255.0
    real_ink = test.data[:1000].float().mean().item() / 255.0
    assert 0.5 * real_ink < ink < 2.0 * real_ink, "the samples carry far more or less ink than MNIST digits"


def test_spoken_digit_clips_sound_like_speech_and_say_their_digit() -> None:
    model = ready_model("wavenet-spoken-digits").load().model
    train = load_dataset("spoken-digits", "train", seed=0)
    test = load_dataset("spoken-digits", "test", seed=0)
    features = _spectral_features(train.data.numpy())
    classify = _linear_classifier(features, train.labels[:, 0].numpy(), 10)
    real = (classify(_spectral_features(test.data.numpy())) == test.labels[:, 0].numpy()).mean()
    assert real > 0.9, f"the classifier itself recognises only {real:.0%} of real test clips"
    labels = torch.tensor([[digit, (digit + 5 * half) % 12] for half in range(2) for digit in range(10)])
    clips = generate(model, len(labels), SamplerConfig(seed=0), labels=labels).samples.numpy()
    flatness, loudness = _flatness_and_loudness(clips)
    real_flatness, real_loudness = _flatness_and_loudness(test.data[:50].numpy())
    noise_flatness, _ = _flatness_and_loudness(np.random.default_rng(0).integers(0, 256, (4, clips.shape[1])))
    assert flatness.mean() < 0.25 * noise_flatness.mean(), "the clips are as flat as white noise"
    assert np.median(flatness) < 4 * real_flatness.mean()
    assert 0.2 * real_loudness.mean() < loudness.mean() < 3 * real_loudness.mean(), "the clips are silent or clipped"
    assert (loudness > 0.01).mean() >= 0.5, "most clips are silence"
    accuracy = (classify(_spectral_features(clips)) == labels[:, 0].numpy()).mean()
    assert accuracy >= 0.25, f"the digit is recognised in only {accuracy:.0%} of the clips (chance: 10%)"


def test_the_text_model_scores_its_card_on_the_test_stream_and_writes_words() -> None:
    ready = ready_model("transformer-pydocs")
    model = ready.load().model
    test = load_dataset("pydocs", "test", seed=0)
    bits = mean_nll(model, test.data, batch_size=64) / (model.spec.dims * math.log(2))
    assert bits == pytest.approx(ready.card.test.bits_per_dim, rel=1e-4)
    assert bits < 2.07, "no better than xz -9e on the same bytes"
    train_text = bytes(load_dataset("pydocs", "train", seed=0).data.flatten().numpy().astype(np.uint8).tolist())
    vocabulary = set(re.findall(rb"[A-Za-z]{3,}", train_text))
    samples = generate(model, 2, SamplerConfig(seed=0, temperature=0.8), length=400).samples
    words = [w for row in samples.tolist() for w in re.findall(rb"[A-Za-z]{3,}", bytes(row))]
    assert len(words) >= 30, "the text has hardly any words"
    known = sum(word in vocabulary for word in words) / len(words)
    assert known >= 0.7, f"only {known:.0%} of the generated words occur in the training text"
