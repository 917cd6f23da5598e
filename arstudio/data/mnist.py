"""MNIST, binarized MNIST and Fashion-MNIST: 28x28 images in ten classes, with their standard splits.

MNIST ships with ARStudio (resources/datasets/mnist, the package arstudio.resources; its README says where the
files came from). Fashion-MNIST is read from Debian's dataset-fashion-mnist package, or from the folder named by
$ARSTUDIO_FASHION_MNIST. Both are stored as four gzipped IDX files, read by arstudio.data.files.idx.

Every set keeps the standard split, whatever the seed: the first 50000 training images train, the last 10000
are the validation split and the official 10000 test images are the test split. Binarized MNIST follows the
recipe of the standard binarized set (Salakhutdinov & Murray 2008; Larochelle & Murray 2011 splits): each pixel
is drawn once, 1 with probability intensity/255, from a fixed seed, so every run on every machine sees the same
bits. Those bits are not the published file's.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from arstudio.data.cache import cache_key, cached_arrays
from arstudio.data.examples import Examples
from arstudio.data.files.idx import read_idx
from arstudio.data.labels import DIGIT_LABELS, LabelSet
from arstudio.data.spec import DataSpec
from arstudio.data.splits import fixed_splits
from arstudio.errors import UserError

if TYPE_CHECKING:  # Python 3.11+; the annotations are never evaluated
    from importlib.resources.abc import Traversable

IMAGE_SIZE = 28
SHAPE = (1, IMAGE_SIZE, IMAGE_SIZE)
CLASSES = 10
TRAIN_COUNT = 60_000
VALIDATION_COUNT = 10_000
TEST_COUNT = 10_000
TRAIN_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
TEST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
FILES = (*TRAIN_FILES, *TEST_FILES)

BINARIZE_SEED = 2008
"""The seed of binarized MNIST's bits (numpy.random.PCG64, as default_rng uses). Changing it changes every score."""
BINARIZE_VERSION = 1

FASHION_ENV = "ARSTUDIO_FASHION_MNIST"
FASHION_PACKAGE = "dataset-fashion-mnist"
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_LABELS = LabelSet(
    "item", ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
)

MNIST_DESCRIPTION = (
    "MNIST: 70000 handwritten digits, 28x28, 256 grey levels; the standard 50000/10000/10000 split. By Yann LeCun, "
    "Corinna Cortes and Christopher J.C. Burges, CC BY-SA 3.0; shipped with ARStudio."
)
BINARIZED_DESCRIPTION = (
    "MNIST binarized once with a fixed seed (pixel = 1 with probability intensity/255), the standard set's recipe "
    "(Salakhutdinov & Murray 2008; Larochelle & Murray 2011 splits), not bit-identical to the published file. "
    "MNIST: LeCun, Cortes, Burges, CC BY-SA 3.0."
)
FASHION_DESCRIPTION = (
    "Fashion-MNIST: 70000 28x28 grey photos of clothes in 10 classes; the standard split. By Zalando SE, MIT "
    f"licence; read from Debian's {FASHION_PACKAGE} package (sudo apt install {FASHION_PACKAGE})."
)


def mnist_spec() -> DataSpec:
    return DataSpec("image", SHAPE, 256, labels=(DIGIT_LABELS,))


def binarized_mnist_spec() -> DataSpec:
    return DataSpec("binary", SHAPE, 2, labels=(DIGIT_LABELS,))


def fashion_mnist_spec() -> DataSpec:
    return DataSpec("image", SHAPE, 256, labels=(FASHION_LABELS,))


def build_mnist() -> Examples:
    images, labels = mnist_arrays()
    return Examples(images, labels=labels, splits=standard_splits())


def build_binarized_mnist() -> Examples:
    bits, labels = binarized_mnist_arrays()
    return Examples(bits, labels=labels, splits=standard_splits())


def build_fashion_mnist() -> Examples:
    images, labels = fashion_mnist_arrays()
    return Examples(images, labels=labels, splits=standard_splits())


@functools.lru_cache(maxsize=1)
def standard_splits() -> np.ndarray:
    """The split of each of the 70000 examples, stored training images first: 50000 train, then the last 10000
    training images as validation, then the 10000 official test images."""
    splits = fixed_splits(TRAIN_COUNT - VALIDATION_COUNT, VALIDATION_COUNT, TEST_COUNT)
    splits.setflags(write=False)
    return splits


def mnist_dir() -> Path | Traversable:
    """The folder of the built-in MNIST files, installed or in a checkout (or a PyInstaller bundle)."""
    return importlib.resources.files("arstudio.resources") / "datasets" / "mnist"


def mnist_arrays(folder: Path | Traversable | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's images uint8 [70000, 1, 28, 28] (training images, then the test images) and digits uint8 [70000].

    `folder` holds the four files (default: the built-in copy). Read once per process; the arrays are read-only.
    """
    folder = mnist_dir() if folder is None else folder
    remedy = (
        "Reinstall ARStudio to restore its MNIST files (in a checkout: git checkout resources/datasets/mnist)."
        if folder == mnist_dir()
        else f"Copy MNIST's four files ({', '.join(FILES)}) there again."
    )
    return _image_set(folder, f"MNIST's files in {folder}", remedy)


def fashion_mnist_dir() -> Path:
    """$ARSTUDIO_FASHION_MNIST, else Debian's folder; a UserError saying how to get the files when it is absent."""
    override = os.environ.get(FASHION_ENV)
    folder = Path(override).expanduser() if override else FASHION_DIR
    if folder.is_dir():
        return folder
    if override:
        raise UserError(
            f"{FASHION_ENV} is set to {folder}, which is not a folder. Point it at a folder holding Fashion-MNIST's "
            f"four files ({', '.join(FILES)}), or unset it to read Debian's {FASHION_PACKAGE} package."
        )
    raise UserError(
        f"Fashion-MNIST is read from Debian's {FASHION_PACKAGE} package, and {FASHION_DIR} is missing. Install "
        f"it with `sudo apt install {FASHION_PACKAGE}`, or set {FASHION_ENV} to a folder holding the four files "
        f"({', '.join(FILES)}) from https://github.com/zalandoresearch/fashion-mnist."
    )


def fashion_mnist_arrays(folder: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST's images uint8 [70000, 1, 28, 28] (training, then test) and classes uint8 [70000].

    `folder` defaults to fashion_mnist_dir(). Read once per process; the arrays are read-only.
    """
    folder = fashion_mnist_dir() if folder is None else Path(folder)
    if folder.resolve() == FASHION_DIR.resolve():
        remedy = f"Reinstall the package: sudo apt install --reinstall {FASHION_PACKAGE}."
    else:
        remedy = (f"Replace it with a good copy (Debian's {FASHION_PACKAGE} package installs one in {FASHION_DIR}), "
                  f"or unset {FASHION_ENV}.")
    return _image_set(folder, f"Fashion-MNIST's files in {folder}", remedy)


@functools.lru_cache(maxsize=4)
def _image_set(folder: Path | Traversable, title: str, remedy: str) -> tuple[np.ndarray, np.ndarray]:
    parts = [_read_pair(folder, names, count, title, remedy)
             for names, count in ((TRAIN_FILES, TRAIN_COUNT), (TEST_FILES, TEST_COUNT))]
    images = np.concatenate([images for images, _ in parts]).reshape(-1, *SHAPE)
    labels = np.concatenate([labels for _, labels in parts])
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _read_pair(
    folder: Path | Traversable, names: tuple[str, str], count: int, title: str, remedy: str
) -> tuple[np.ndarray, np.ndarray]:
    """One split's images [count, 28, 28] and labels [count], checked."""
    images_name, labels_name = names
    images = _read_file(folder / images_name, title, remedy)
    labels = _read_file(folder / labels_name, title, remedy)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise UserError(
            f"{title}: {images_name} holds {images.dtype} values of shape {images.shape}, not 28x28 images of "
            f"bytes; it is damaged. {remedy}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise UserError(f"{title}: {labels_name} holds {labels.dtype} values of shape {labels.shape}, not one "
                        f"label per image; it is damaged. {remedy}")
    if len(images) != len(labels):
        raise UserError(f"{title}: {images_name} holds {len(images)} images but {labels_name} holds {len(labels)} "
                        f"labels; one of them is damaged. {remedy}")
    if len(images) != count:
        raise UserError(f"{title}: {images_name} and {labels_name} hold {len(images)} images where there should "
                        f"be {count}; they are damaged. {remedy}")
    if int(labels.max()) >= CLASSES:
        raise UserError(f"{title}: {labels_name} holds the label {int(labels.max())}, outside 0..{CLASSES - 1}; "
                        f"it is damaged. {remedy}")
    return images, labels


def _read_file(path: Path | Traversable, title: str, remedy: str) -> np.ndarray:
    if not path.is_file():
        raise UserError(f"{title}: {path.name} is missing. {remedy}")
    try:
        return read_idx(path, remedy)
    except OSError as exc:
        raise UserError(f"{title}: {path.name} cannot be read ({exc.strerror or exc}). {remedy}") from exc
    except UserError as exc:
        raise UserError(f"{title}: {exc}") from exc


def binarize(images: np.ndarray, seed: int = BINARIZE_SEED) -> np.ndarray:
    """Bits uint8 of `images`' shape: pixel v is 1 with probability v/255, one draw per pixel in storage order.

    Each draw is a 53-bit uniform u from the raw stream of PCG64(seed), the bit generator numpy's default_rng(seed)
    is built on (named here so that a new default could not change the bits; a bit generator's stream is fixed
    across numpy versions and platforms), and the pixel is 1 when u / 2**53 < v / 255, compared exactly in
    integers: u * 255 < v * 2**53. The same images and seed give the same bits everywhere.
    """
    flat = np.ascontiguousarray(images, dtype=np.uint8).reshape(-1)
    bits = np.empty(flat.shape, dtype=np.uint8)
    generator = np.random.PCG64(seed)
    step = 1 << 22
    for start in range(0, len(flat), step):
        values = flat[start : start + step]
        draws = generator.random_raw(len(values))
        draws >>= np.uint64(11)
        draws *= np.uint64(255)
        np.less(draws, values.astype(np.uint64) << np.uint64(53), out=bits[start : start + step], casting="unsafe")
    return bits.reshape(np.shape(images))


@functools.lru_cache(maxsize=1)
def binarized_mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    """Binarized MNIST's bits uint8 [70000, 1, 28, 28] and digits [70000], read-only.

    Drawing the bits takes about 0.6 s, so they are kept packed in the data cache under a name holding the seed
    and a checksum of the images they came from; once per process they are unpacked from there (30 ms).
    """
    images, labels = mnist_arrays()
    checksum = f"{zlib.crc32(images.data):08x}"
    key = cache_key("binarized-mnist", BINARIZE_VERSION, seed=BINARIZE_SEED, images=checksum)
    packed = cached_arrays(key, lambda: {"bits": np.packbits(binarize(images))})["bits"]
    if packed.shape != (-(-images.size // 8),) or packed.dtype != np.uint8:
        packed = np.packbits(binarize(images))  # a cache file of another shape: not trusted
    bits = np.unpackbits(packed, count=images.size).reshape(images.shape)
    bits.setflags(write=False)
    return bits, labels
