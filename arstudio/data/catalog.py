"""The built-in data sets by name, and loading any data set's split by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from arstudio.data import builtin_digits, glyphs, mnist, patches, pydocs, spoken_digits, tones
from arstudio.data.examples import ArrayDataset, Examples, make_split
from arstudio.data.options import resolve_options
from arstudio.data.spec import DataSpec
from arstudio.data.splits import check_split
from arstudio.data.user_files import USER_PREFIX, load_user_data, user_data_spec
from arstudio.errors import UserError


@dataclass(frozen=True)
class DatasetInfo:
    """A built-in data set.

    spec     options -> the DataSpec of one example (cheap: builds nothing).
    build    options -> every example (Examples), split afterwards by load_dataset.
    options  the options it accepts, with their defaults.
    """

    name: str
    description: str
    spec: Callable[..., DataSpec]
    build: Callable[..., Examples]
    options: Mapping[str, Any] = field(default_factory=dict)


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            "binary-digits",
            "scikit-learn's 1797 handwritten digits, 8x8, black or white (value >= 8 of 16). The quick default.",
            builtin_digits.binary_digits_spec,
            builtin_digits.build_binary_digits,
        ),
        DatasetInfo(
            "digits",
            "scikit-learn's 1797 handwritten digits, 8x8, with their 17 grey levels.",
            builtin_digits.digits_spec,
            builtin_digits.build_digits,
        ),
        DatasetInfo(
            "glyphs",
            "MNIST-like 28x28 digits drawn with this machine's fonts, randomly distorted; 256 grey levels.",
            glyphs.glyphs_spec,
            glyphs.build_glyphs,
            {"count": glyphs.DEFAULT_COUNT},
        ),
        DatasetInfo(
            "glyphs-binary",
            "The glyphs digits, 28x28, black or white.",
            glyphs.glyphs_binary_spec,
            glyphs.build_glyphs_binary,
            {"count": glyphs.DEFAULT_COUNT},
        ),
        DatasetInfo("mnist", mnist.MNIST_DESCRIPTION, mnist.mnist_spec, mnist.build_mnist),
        DatasetInfo(
            "binarized-mnist", mnist.BINARIZED_DESCRIPTION, mnist.binarized_mnist_spec, mnist.build_binarized_mnist
        ),
        DatasetInfo("fashion-mnist", mnist.FASHION_DESCRIPTION, mnist.fashion_mnist_spec, mnist.build_fashion_mnist),
        DatasetInfo(
            "patches",
            "RGB patches of scikit-learn's sample photographs (a temple in China, a flower); 256 levels.",
            patches.patches_spec,
            patches.build_patches,
            {"size": patches.DEFAULT_SIZE, "count": patches.DEFAULT_COUNT},
        ),
        DatasetInfo(
            "patches-4bit",
            "The photograph patches with 16 levels per channel: a smaller softmax, faster on a CPU.",
            patches.patches_4bit_spec,
            patches.build_patches_4bit,
            {"size": patches.DEFAULT_SIZE, "count": patches.DEFAULT_COUNT},
        ),
        DatasetInfo(
            "tones",
            "Synthetic mono audio at 8 kHz: melodies, chords, glides and drum-like noise bursts, mu-law coded.",
            tones.tones_spec,
            tones.build_tones,
            {"sample_rate": tones.DEFAULT_RATE, "clip_seconds": tones.DEFAULT_SECONDS, "count": tones.DEFAULT_COUNT},
        ),
        DatasetInfo(
            "spoken-digits",
            "The words zero to nine in synthetic speech (espeak-ng, not recordings): 12 English voices (6 accents,"
            " male and female), varied speed and pitch; 8 kHz, mu-law coded, labelled with digit and voice.",
            spoken_digits.spoken_digits_spec,
            spoken_digits.build_spoken_digits,
            {"count": spoken_digits.DEFAULT_COUNT, "clip_seconds": spoken_digits.DEFAULT_SECONDS},
        ),
        DatasetInfo(
            "pydocs",
            "Byte-level text: the docstrings and help topics of Python's standard library on this machine.",
            pydocs.pydocs_spec,
            pydocs.build_pydocs,
            {"context": pydocs.DEFAULT_CONTEXT},
        ),
    )
}


def load_dataset(name: str, split: str = "train", seed: int = 0, **options: Any) -> ArrayDataset:
    """The `split` ("train", "validation" or "test") of a data set, chosen by `seed`.

    `name` is a key of DATASETS or "user:<path>" for the user's own file or folder (see
    arstudio.data.user_files for what is read and its options).
    """
    check_split(split)
    if isinstance(name, str) and name.startswith(USER_PREFIX):
        return load_user_data(name[len(USER_PREFIX) :], split, seed, **options)
    info = dataset_info(name)
    opts = resolve_options(f"The data set {name}", info.options, options)
    spec = info.spec(**opts)
    return make_split(info.build(**opts), spec, name, split, seed)


def dataset_spec(name: str, **options: Any) -> DataSpec:
    """The spec of a data set's examples; builds nothing for built-in sets, reads the files for "user:"."""
    if isinstance(name, str) and name.startswith(USER_PREFIX):
        return user_data_spec(name[len(USER_PREFIX) :], **options)
    info = dataset_info(name)
    return info.spec(**resolve_options(f"The data set {name}", info.options, options))


def dataset_info(name: str) -> DatasetInfo:
    """The built-in data set called `name`, or a UserError listing them."""
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise UserError(
            f"Unknown data set {name!r}: choose one of {', '.join(DATASETS)}, "
            f"or '{USER_PREFIX}<path>' for your own files."
        ) from None
