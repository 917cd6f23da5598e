"""The built-in MNIST and binarized MNIST, and Fashion-MNIST from Debian's package: counts, splits, bits, bad files."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from arstudio.data import SPLITS, dataset_spec, load_dataset, mnist
from arstudio.data.splits import fixed_split_indices
from arstudio.errors import UserError

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
BINARIZED_SHA256 = "ee04f902810d40fb6d140e36557e788b0013e785ec8945486a959660c8874adf"
"""sha256 of np.packbits(binarized MNIST's 70000 x 784 bits): any change of the bits, on any machine, fails."""
BINARIZED_ONES = 7185179

FASHION_PRESENT = mnist.FASHION_DIR.is_dir()
needs_fashion = pytest.mark.skipif(
    not FASHION_PRESENT,
    reason=f"Debian's {mnist.FASHION_PACKAGE} is not installed ({mnist.FASHION_DIR} is missing; "
    f"sudo apt install {mnist.FASHION_PACKAGE})",
)


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    return mnist.mnist_arrays()


@pytest.fixture(scope="module")
def splits() -> dict[str, torch.utils.data.Dataset]:
    """The three splits of mnist, loaded once for the module."""
    return {split: load_dataset("mnist", split) for split in SPLITS}


@pytest.fixture(autouse=True)
def _no_fashion_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(mnist.FASHION_ENV, raising=False)


def test_the_mnist_files_hold_60000_training_and_10000_test_digits(digits) -> None:
    images, labels = digits
    assert images.shape == (70000, 1, 28, 28) and images.dtype == np.uint8 and labels.shape == (70000,)
    assert int(images.min()) == 0 and int(images.max()) == 255
    assert np.bincount(labels[:60000]).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(labels[60000:]).tolist() == MNIST_TEST_COUNTS
    assert not images.flags.writeable and not labels.flags.writeable
    assert mnist.mnist_arrays() is digits, "read once per process"


def test_mnist_keeps_the_standard_split(digits, splits) -> None:
    images, labels = digits
    assert {split: len(ds) for split, ds in splits.items()} == {"train": 50000, "validation": 10000, "test": 10000}
    bounds = {"train": (0, 50000), "validation": (50000, 60000), "test": (60000, 70000)}
    for split, ds in splits.items():
        start, stop = bounds[split]
        assert ds.spec == mnist.mnist_spec() and ds.data.dtype == torch.int64
        assert torch.equal(ds.data, torch.from_numpy(images[start:stop].astype(np.int64)))
        assert torch.equal(ds.labels[:, 0], torch.from_numpy(labels[start:stop].astype(np.int64)))
    assert np.bincount(splits["test"].labels[:, 0].numpy()).tolist() == MNIST_TEST_COUNTS


def test_the_splits_do_not_overlap_and_do_not_depend_on_the_seed(splits) -> None:
    parts = [fixed_split_indices(mnist.standard_splits(), split) for split in SPLITS]
    assert sorted(np.concatenate(parts).tolist()) == list(range(70000))
    assert [len(p) for p in parts] == [50000, 10000, 10000]
    for seed in (1, 12345):
        assert torch.equal(load_dataset("mnist", "validation", seed=seed).data, splits["validation"].data)
        assert torch.equal(load_dataset("binarized-mnist", "test", seed=seed).data,
                           load_dataset("binarized-mnist", "test", seed=0).data)


def _cache_files() -> list[Path]:
    return list((Path(os.environ["ARSTUDIO_HOME"]) / "cache").glob("binarized-mnist-*.npz"))


def test_binarized_mnist_is_the_same_bits_everywhere(digits) -> None:
    images, labels = digits
    mnist.binarized_mnist_arrays.cache_clear()  # drawn, or read from this home's cache
    bits, bit_labels = mnist.binarized_mnist_arrays()
    assert bits.shape == images.shape and bits.dtype == np.uint8 and not bits.flags.writeable
    assert bit_labels is labels
    assert hashlib.sha256(np.packbits(bits).tobytes()).hexdigest() == BINARIZED_SHA256
    assert int(bits.sum()) == BINARIZED_ONES
    assert np.array_equal(mnist.binarize(images), bits), "drawn afresh: the same bits as the cached ones"
    assert not bits[images == 0].any() and bits[images == 255].all()
    assert abs(bits.mean() - images.mean() / 255) < 1e-3

    mnist.binarized_mnist_arrays.cache_clear()
    cached = _cache_files()
    assert len(cached) == 1 and f"seed{mnist.BINARIZE_SEED}" in cached[0].name
    again, _ = mnist.binarized_mnist_arrays()
    assert again is not bits and np.array_equal(again, bits), "read back from the data cache"

    train = load_dataset("binarized-mnist", "train")
    assert train.spec == mnist.binarized_mnist_spec() and len(train) == 50000
    assert torch.equal(train.data, torch.from_numpy(bits[:50000].astype(np.int64)))


def test_binarize_draws_each_pixel_with_probability_intensity_over_255() -> None:
    grey = np.full((200_000,), 51, dtype=np.uint8)
    bits = mnist.binarize(grey, seed=3)
    assert abs(bits.mean() - 0.2) < 0.005
    assert np.array_equal(bits, mnist.binarize(grey, seed=3)) and not np.array_equal(bits, mnist.binarize(grey, 4))
    assert not mnist.binarize(np.zeros(1000, np.uint8)).any() and mnist.binarize(np.full(1000, 255, np.uint8)).all()


def test_a_damaged_binarization_cache_is_drawn_again(digits) -> None:
    mnist.binarized_mnist_arrays.cache_clear()
    bits, _ = mnist.binarized_mnist_arrays()
    mnist.binarized_mnist_arrays.cache_clear()
    [cached] = _cache_files()
    cached.write_bytes(cached.read_bytes()[:1000])
    again, _ = mnist.binarized_mnist_arrays()
    assert np.array_equal(again, bits)


# Damaged files: a copy of the four files, then one of them spoilt.


@pytest.fixture
def mnist_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in mnist.FILES:
        shutil.copyfile(Path(str(mnist.mnist_dir())) / name, folder / name)
    return folder


def _idx(array: np.ndarray, magic: bytes | None = None) -> bytes:
    header = magic or bytes([0, 0, 0x08, array.ndim])
    return gzip.compress(header + np.array(array.shape, ">u4").tobytes() + array.astype(np.uint8).tobytes(), 1)


def _labels(count: int) -> np.ndarray:
    return np.arange(count) % 10


def _truncated_gzip(folder: Path) -> None:
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:500_000])


def _truncated_idx(folder: Path) -> None:
    path = folder / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-7]))


def _wrong_magic(folder: Path) -> None:
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(_idx(_labels(10000), magic=b"\x08\x03\x00\x01"))


def _wrong_count(folder: Path) -> None:
    (folder / "train-images-idx3-ubyte.gz").write_bytes(_idx(np.zeros((100, 28, 28))))
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(_idx(_labels(100)))


def _count_mismatch(folder: Path) -> None:
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(_idx(_labels(59999)))


def _wrong_shape(folder: Path) -> None:
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(_idx(np.zeros((10000, 32, 32))))


def _bad_label(folder: Path) -> None:
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(_idx(_labels(10000) + 10 * (np.arange(10000) == 5)))


def _missing(folder: Path) -> None:
    (folder / "t10k-images-idx3-ubyte.gz").unlink()


DAMAGES = [
    (_truncated_gzip, r"train-images-idx3-ubyte\.gz is damaged \(Compressed file ended"),
    (_truncated_idx, r"t10k-labels-idx1-ubyte\.gz holds 9993 bytes of data.*truncated"),
    (_wrong_magic, r"t10k-labels-idx1-ubyte\.gz is not an IDX file.*08 03 00 01"),
    (_wrong_count, r"hold 100 images where there should be 60000"),
    (_count_mismatch, r"train-images-idx3-ubyte\.gz holds 60000 images but train-labels-idx1-ubyte\.gz holds 59999"),
    (_wrong_shape, r"t10k-images-idx3-ubyte\.gz holds uint8 values of shape \(10000, 32, 32\)"),
    (_bad_label, r"t10k-labels-idx1-ubyte\.gz holds the label 15"),
    (_missing, r"t10k-images-idx3-ubyte\.gz is missing"),
]


@pytest.mark.parametrize(("damage", "message"), DAMAGES, ids=[d.__name__.strip("_") for d, _ in DAMAGES])
def test_a_damaged_or_missing_mnist_file_says_which_and_what_to_do(mnist_copy: Path, damage, message: str) -> None:
    damage(mnist_copy)
    with pytest.raises(UserError, match=message) as error:
        mnist.mnist_arrays(mnist_copy)
    assert str(mnist_copy) in str(error.value) and "Copy MNIST's four files" in str(error.value)


def test_damaged_built_in_files_say_reinstall_arstudio(mnist_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _truncated_idx(mnist_copy)
    monkeypatch.setattr(mnist, "mnist_dir", lambda: mnist_copy)
    with pytest.raises(UserError, match=r"t10k-labels-idx1-ubyte\.gz.*truncated.*Reinstall ARStudio"):
        load_dataset("mnist", "train")


def test_the_built_in_files_are_found_as_package_resources() -> None:
    folder = mnist.mnist_dir()
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".gz")) == sorted(mnist.FILES)
    assert (folder / "README.md").is_file() and "CC BY-SA 3.0" in (folder / "README.md").read_text()


# Fashion-MNIST


@needs_fashion
def test_fashion_mnist_loads_70000_items_of_10_classes() -> None:
    images, labels = mnist.fashion_mnist_arrays()
    assert images.shape == (70000, 1, 28, 28) and not images.flags.writeable
    assert np.bincount(labels[:60000]).tolist() == [6000] * 10 and np.bincount(labels[60000:]).tolist() == [1000] * 10
    spec = dataset_spec("fashion-mnist")
    assert spec.labels == (mnist.FASHION_LABELS,) and spec.labels[0].size == 10
    parts = {split: load_dataset("fashion-mnist", split, seed=5) for split in SPLITS}
    assert [len(parts[s]) for s in SPLITS] == [50000, 10000, 10000]
    assert torch.equal(parts["test"].data, torch.from_numpy(images[60000:].astype(np.int64)))
    assert torch.equal(parts["validation"].labels[:, 0], torch.from_numpy(labels[50000:60000].astype(np.int64)))
    assert not np.array_equal(images[:100], mnist.mnist_arrays()[0][:100])


@needs_fashion
@pytest.mark.parametrize(
    ("name", "spoil", "message"),
    [
        ("t10k-labels-idx1-ubyte.gz", lambda raw: gzip.compress(gzip.decompress(raw)[:-100]), "truncated"),
        ("train-labels-idx1-ubyte.gz", lambda raw: raw[: len(raw) // 2], "damaged"),
    ],
)
def test_a_damaged_fashion_mnist_copy_says_which_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, spoil, message: str
) -> None:
    folder = tmp_path / "fashion"
    folder.mkdir()
    for file in mnist.FILES:
        if file == name:
            (folder / file).write_bytes(spoil((mnist.FASHION_DIR / file).read_bytes()))
        else:
            (folder / file).symlink_to(mnist.FASHION_DIR / file)
    monkeypatch.setenv(mnist.FASHION_ENV, str(folder))
    with pytest.raises(UserError, match=rf"Fashion-MNIST's files in {folder}: .*{name}.*{message}.*good copy"):
        load_dataset("fashion-mnist", "train")


def test_without_the_fashion_mnist_package_the_message_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mnist, "FASHION_DIR", tmp_path / "absent")
    assert dataset_spec("fashion-mnist") == mnist.fashion_mnist_spec(), "the spec needs no files"
    with pytest.raises(UserError, match=r"sudo apt install dataset-fashion-mnist.*ARSTUDIO_FASHION_MNIST"):
        load_dataset("fashion-mnist", "train")
    monkeypatch.setenv(mnist.FASHION_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(UserError, match=r"ARSTUDIO_FASHION_MNIST is set to .*nowhere, which is not a folder"):
        load_dataset("fashion-mnist", "test")


# Where the sets show up


def test_arstudio_datasets_lists_the_new_sets(capsys: pytest.CaptureFixture[str]) -> None:
    from arstudio.cli import main

    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in ("mnist", "binarized-mnist", "fashion-mnist"):
        assert f"\n{name} " in out
    assert "CC BY-SA 3.0" in out and "Zalando" in out


def test_the_setup_panel_offers_mnist_with_its_defaults(qtbot) -> None:
    from arstudio.ui.train.setup_panel import SetupPanel

    panel = SetupPanel()
    qtbot.addWidget(panel)
    assert panel.dataset == "binary-digits"
    choices = [("pixelcnn", "mnist"), ("nade", "binarized-mnist"), ("made", "fashion-mnist"), ("transformer", "mnist")]
    for family, name in choices:
        panel.select(family, name)
        assert panel.dataset == name and "1×28×28" in panel.data_label.text()
        config = panel.config()
        assert config.dataset == name and config.family == family
