from __future__ import annotations

import numpy as np
import pytest

from arstudio.data import DataSpec, mu_law_decode, mu_law_encode
from arstudio.errors import UserError
from arstudio.models import build_model


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "video", "shape": (4,), "levels": 2}, "Unknown data kind"),
        ({"kind": "binary", "shape": (1, 4, 4), "levels": 3}, "exactly 2 levels"),
        ({"kind": "image", "shape": (8, 8), "levels": 16}, "channels, height, width"),
        ({"kind": "image", "shape": (5, 8, 8), "levels": 16}, "1 to 4 channels"),
        ({"kind": "image", "shape": (1, 0, 8), "levels": 16}, "positive whole number"),
        ({"kind": "image", "shape": (1, 8, 8), "levels": 1}, "between 2 and"),
        ({"kind": "audio", "shape": (1, 100), "levels": 256}, "one sequence"),
        ({"kind": "audio", "shape": (100,), "levels": 256, "sample_rate": 0}, "sample rate"),
        ({"kind": "text", "shape": (64,), "levels": 100}, "Byte-level text has 256 levels"),
        ({"kind": "text", "shape": (64,), "levels": 3, "vocabulary": ("a", "b")}, "must match"),
        ({"kind": "text", "shape": (64,), "levels": 2, "vocabulary": ("a", "a")}, "twice"),
        ({"kind": "image", "shape": (3, 4, 4), "levels": 4, "channels": ("R", "G")}, "do not match"),
    ],
)
def test_impossible_specs_are_refused_with_a_clear_message(kwargs: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        DataSpec(**kwargs)


def test_spec_round_trips_through_json_and_names_channels() -> None:
    spec = DataSpec("image", (3, 2, 2), 256)
    assert spec.channels == ("R", "G", "B")
    assert DataSpec.from_json(spec.to_json()) == spec
    text = DataSpec("text", (16,), 3, vocabulary=("a", "b", "<eos>"))
    assert DataSpec.from_json(text.to_json()) == text
    assert text.eos_index == 2
    assert DataSpec("text", (16,), 256).eos_index is None
    assert DataSpec("binary", (1, 8, 8), 2).uniform_nll == pytest.approx(64 * np.log(2))


def test_image_order_visits_each_pixels_channels_consecutively() -> None:
    order = DataSpec("image", (3, 2, 2), 4).raster_order()
    assert order[:6] == [0, 4, 8, 1, 5, 9]


@pytest.mark.parametrize(
    ("family", "spec"),
    [("nade", DataSpec("audio", (16,), 256)), ("wavenet", DataSpec("image", (1, 4, 4), 4)),
     ("pixelcnn", DataSpec("text", (16,), 256)), ("made", DataSpec("text", (16,), 256))],
)
def test_family_given_a_kind_it_cannot_model_says_so(family: str, spec: DataSpec) -> None:
    with pytest.raises(UserError, match="cannot model"):
        build_model(family, spec)


def test_unknown_family_and_bad_hyperparameters_are_user_errors() -> None:
    spec = DataSpec("binary", (1, 4, 4), 2)
    with pytest.raises(UserError, match="Unknown model family"):
        build_model("lstm", spec)
    with pytest.raises(UserError, match="no hyper-parameter"):
        build_model("nade", spec, hiden=3)
    with pytest.raises(UserError, match="between"):
        build_model("nade", spec, hidden=0)
    with pytest.raises(UserError, match="odd size"):
        build_model("pixelcnn", spec, kernel=4)
    with pytest.raises(UserError, match="heads"):
        build_model("transformer", DataSpec("text", (8,), 256), d_model=30, heads=4)


def test_mu_law_decode_then_encode_is_the_identity_on_every_level() -> None:
    levels = np.arange(256)
    assert np.array_equal(mu_law_encode(mu_law_decode(levels)), levels)


def test_mu_law_encode_is_monotonic_and_clips() -> None:
    wave = np.linspace(-1.5, 1.5, 1001)
    codes = mu_law_encode(wave)
    assert codes.min() == 0 and codes.max() == 255
    assert np.all(np.diff(codes) >= 0)
    assert np.abs(mu_law_decode(mu_law_encode(np.array([0.3, -0.02]))) - [0.3, -0.02]).max() < 0.01
