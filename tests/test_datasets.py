from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from arstudio.data import (
    DATASETS,
    SPLITS,
    DataSpec,
    cache_dir,
    data_home,
    dataset_spec,
    glyphs,
    load_dataset,
    mnist,
    patches,
    pydocs,
    spoken_digits,
    tones,
)
from arstudio.data.examples import Examples, make_split
from arstudio.data.labels import DIGIT_LABELS
from arstudio.data.mulaw import mu_law_decode
from arstudio.data.splits import contiguous_groups, fixed_splits, split_indices
from arstudio.errors import UserError

SMALL_OPTIONS: dict[str, dict] = {
    "binary-digits": {},
    "digits": {},
    "glyphs": {"count": 60},
    "glyphs-binary": {"count": 60},
    "mnist": {},
    "binarized-mnist": {},
    "fashion-mnist": {},
    "patches": {"count": 300},
    "patches-4bit": {"count": 300, "size": 32},
    "tones": {"count": 20, "clip_seconds": 0.25},
    "spoken-digits": {"count": 20, "clip_seconds": 0.5},
    "pydocs": {"context": 64},
}
EXPECTED_SPECS = {
    "binary-digits": DataSpec("binary", (1, 8, 8), 2, labels=(DIGIT_LABELS,)),
    "digits": DataSpec("image", (1, 8, 8), 17, labels=(DIGIT_LABELS,)),
    "glyphs": DataSpec("image", (1, 28, 28), 256, labels=(DIGIT_LABELS,)),
    "glyphs-binary": DataSpec("binary", (1, 28, 28), 2, labels=(DIGIT_LABELS,)),
    "mnist": DataSpec("image", (1, 28, 28), 256, labels=(DIGIT_LABELS,)),
    "binarized-mnist": DataSpec("binary", (1, 28, 28), 2, labels=(DIGIT_LABELS,)),
    "fashion-mnist": DataSpec("image", (1, 28, 28), 256, labels=(mnist.FASHION_LABELS,)),
    "patches": DataSpec("image", (3, 16, 16), 256),
    "patches-4bit": DataSpec("image", (3, 32, 32), 16),
    "tones": DataSpec("audio", (2000,), 256, sample_rate=8000),
    "spoken-digits": DataSpec(
        "audio", (4000,), 256, sample_rate=8000, labels=(DIGIT_LABELS, spoken_digits.VOICE_LABELS)
    ),
    "pydocs": DataSpec("text", (64,), 256),
}


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("ARSTUDIO_HOME", str(home))
    return home


@pytest.fixture(scope="module")
def real_pydocs_text(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The corpus gathered once from this machine's standard library (a few seconds)."""
    return pydocs.gather_docs(pydocs.stdlib_dir()).encode("utf-8")


@pytest.fixture
def fast_pydocs(monkeypatch: pytest.MonkeyPatch, real_pydocs_text: bytes) -> None:
    monkeypatch.setattr(pydocs, "gather_docs", lambda root: real_pydocs_text.decode("utf-8"))


def test_every_data_set_is_tested() -> None:
    assert set(SMALL_OPTIONS) == set(DATASETS) == set(EXPECTED_SPECS)
    assert next(iter(DATASETS)) == "binary-digits"


@pytest.mark.parametrize("name", list(SMALL_OPTIONS))
def test_each_built_in_set_loads_offline_with_its_spec_and_levels(name: str, fast_pydocs: None) -> None:
    if name == "fashion-mnist":
        try:
            mnist.fashion_mnist_dir()
        except UserError as missing:
            pytest.skip(f"Debian's {mnist.FASHION_PACKAGE} is not installed: {missing}")
    if name == "spoken-digits" and shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (sudo apt install espeak-ng); spoken-digits is synthesised with it")
    options = SMALL_OPTIONS[name]
    spec = dataset_spec(name, **options)
    assert spec == EXPECTED_SPECS[name]
    sizes = 0
    for split in SPLITS:
        ds = load_dataset(name, split, **options)
        assert ds.spec == spec and ds.split == split and ds.name == name
        assert ds.data.dtype == torch.int64 and tuple(ds.data.shape[1:]) == spec.shape
        assert len(ds) == ds.data.shape[0] > 0
        assert int(ds.data.min()) >= 0 and int(ds.data.max()) < spec.levels
        assert ds[0].shape == spec.shape and ds[0].dtype == torch.int64
        sizes += len(ds)
        if split == "train":
            train = ds
    assert len(torch.unique(train.data[:2000])) > 1  # the first 2000: unique() sorts, slow on MNIST's 39M values
    assert len(train) > 0.7 * sizes


def test_default_sizes_and_labels_of_the_digit_sets() -> None:
    counts = [len(load_dataset("binary-digits", split)) for split in SPLITS]
    assert sum(counts) == 1797 and counts[0] > 1400
    grey = load_dataset("digits", "train")
    binary = load_dataset("binary-digits", "train")
    assert torch.equal((grey.data >= 8).long(), binary.data)
    assert grey.labels is not None and grey.labels.shape == (len(grey), 1)
    assert set(grey.labels[:, 0].tolist()) == set(range(10))
    assert int(grey.data.max()) == 16


def test_a_split_batches_through_a_data_loader() -> None:
    ds = load_dataset("binary-digits", "validation")
    batch = next(iter(DataLoader(ds, batch_size=16, shuffle=True)))
    assert batch.shape == (16, 1, 8, 8) and batch.dtype == torch.int64
    assert ds.data[torch.tensor([0, 3])].shape == (2, 1, 8, 8)


@pytest.mark.parametrize("count", [10, 11, 97, 1000])
@pytest.mark.parametrize("seed", [0, 7])
def test_splits_partition_the_examples_about_80_10_10(count: int, seed: int) -> None:
    parts = {split: split_indices(count, split, seed) for split in SPLITS}
    joined = np.concatenate(list(parts.values()))
    assert sorted(joined.tolist()) == list(range(count))
    assert all(len(p) > 0 for p in parts.values())
    assert abs(len(parts["validation"]) - count / 10) <= 1
    again = split_indices(count, "validation", seed)
    assert np.array_equal(again, parts["validation"])


def test_splits_keep_groups_together() -> None:
    groups = contiguous_groups(1000, target=50)
    assert len(np.unique(groups)) == 50
    seen = [set(groups[split_indices(1000, split, 3, groups)].tolist()) for split in SPLITS]
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])


def test_a_data_set_can_fix_its_own_splits_whatever_the_seed_and_groups() -> None:
    spec = DataSpec("binary", (1,), 2)
    splits = fixed_splits(5, 2, 3)
    assert splits.tolist() == ["train"] * 5 + ["validation"] * 2 + ["test"] * 3
    examples = Examples(np.arange(10)[:, None] % 2, groups=np.zeros(10), labels=np.arange(10), splits=splits[::-1])
    for seed in (0, 1, 99):
        parts = {split: make_split(examples, spec, "fixed", split, seed) for split in SPLITS}
        assert {split: ds.labels[:, 0].tolist() for split, ds in parts.items()} == {
            "train": [5, 6, 7, 8, 9], "validation": [3, 4], "test": [0, 1, 2]}
    with pytest.raises(UserError, match="no validation split.*train, test"):
        make_split(Examples(np.zeros((3, 1)), splits=np.array(["train", "test", "test"])), spec, "x", "validation")
    with pytest.raises(ValueError, match="valid"):
        make_split(Examples(np.zeros((2, 1)), splits=np.array(["train", "valid"])), spec, "x", "train")
    with pytest.raises(ValueError, match="shape"):
        make_split(Examples(np.zeros((2, 1)), splits=np.array(["train"])), spec, "x", "train")


def test_splits_are_deterministic_for_a_seed_and_change_with_it() -> None:
    a = load_dataset("digits", "validation", seed=1)
    b = load_dataset("digits", "validation", seed=1)
    c = load_dataset("digits", "validation", seed=2)
    assert torch.equal(a.data, b.data)
    assert not torch.equal(a.data, c.data)


def test_validation_and_test_images_are_not_training_images() -> None:
    train = {tuple(x.flatten().tolist()) for x in load_dataset("digits", "train").data}
    validation = [tuple(x.flatten().tolist()) for x in load_dataset("digits", "validation").data]
    assert sum(x in train for x in validation) <= 2


def test_patches_of_different_splits_come_from_different_tiles() -> None:
    examples = patches.build_patches(count=500)
    assert examples.groups is not None
    tiles = [set(examples.groups[split_indices(500, split, 0, examples.groups)].tolist()) for split in SPLITS]
    assert not (tiles[0] & tiles[1]) and not (tiles[1] & tiles[2]) and not (tiles[0] & tiles[2])


def test_pydocs_splits_take_disjoint_runs_of_the_text(fast_pydocs: None) -> None:
    windows = {split: load_dataset("pydocs", split, context=128).data for split in SPLITS}
    rows = {split: {bytes(row.to(torch.uint8).tolist()) for row in data} for split, data in windows.items()}
    assert not (rows["train"] & rows["validation"]) and not (rows["train"] & rows["test"])
    text = pydocs.pydocs_text()
    validation = windows["validation"].to(torch.uint8).numpy()
    first = bytes(validation[0])
    start = text.find(first)
    assert start >= 0 and start % 128 == 0
    assert bytes(validation[1]) == text[start + 128 : start + 256]


def test_pydocs_corpus_comes_from_the_standard_library(real_pydocs_text: bytes) -> None:
    assert len(real_pydocs_text) > 1_000_000
    text = real_pydocs_text.decode("utf-8")
    assert "module json" in text and "class collections.OrderedDict" in text
    assert "topic " in text
    assert "\nmodule test." not in text and "\nmodule idlelib.idle_test" not in text


def test_pydocs_walk_skips_tests_and_site_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "lib"
    (root / "pkg").mkdir(parents=True)
    (root / "test").mkdir()
    (root / "site-packages").mkdir()
    (root / "pydoc_data").mkdir()
    (root / "alpha.py").write_text(
        '"""Alpha module."""\n\nclass Beta:\n    """Beta class."""\n\n    def gamma(self, x=1):\n'
        '        """Gamma method."""\n\nasync def delta():\n    """Delta coroutine."""\n'
    )
    (root / "pkg" / "__init__.py").write_text('"""Package docs."""\n')
    (root / "pkg" / "test_pkg.py").write_text('"""Hidden test docs."""\n')
    (root / "test" / "thing.py").write_text('"""Test suite docs."""\n')
    (root / "site-packages" / "other.py").write_text('"""Third-party docs."""\n')
    (root / "broken.py").write_text("def (:\n")
    (root / "pydoc_data" / "topics.py").write_text("topics = {'if': 'The if statement\\n', 'zzz': ''}\n")
    monkeypatch.setattr(pydocs, "MIN_BYTES", 10)
    text = pydocs.gather_docs(root)
    for expected in (
        "module alpha\nAlpha module.",
        "class alpha.Beta\nBeta class.",
        "def alpha.Beta.gamma(self, x=1)",
        "Gamma method.",
        "def alpha.delta()",
        "module pkg\nPackage docs.",
        "topic if\nThe if statement",
    ):
        assert expected in text
    for hidden in ("Hidden test", "Test suite", "Third-party", "topic zzz"):
        assert hidden not in text


def test_pydocs_refuses_a_missing_or_tiny_standard_library(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not at"):
        pydocs.gather_docs(tmp_path / "nowhere")
    (tmp_path / "a.py").write_text('"""Tiny."""\n')
    with pytest.raises(UserError, match="too little"):
        pydocs.gather_docs(tmp_path)


def _only_file(folder: Path, pattern: str) -> Path:
    files = list(folder.glob(pattern))
    assert len(files) == 1, files
    return files[0]


def test_glyphs_are_cached_once_and_reused(monkeypatch: pytest.MonkeyPatch, _home: Path) -> None:
    first = load_dataset("glyphs", "train", count=40)
    path = _only_file(cache_dir(), "glyphs-*count40*.npz")
    assert path.parent == _home / "cache"
    stamp = path.stat().st_mtime_ns

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(glyphs, "render_glyphs", no_rebuild)
    again = load_dataset("glyphs", "train", count=40)
    binary = load_dataset("glyphs-binary", "train", count=40)
    assert torch.equal(first.data, again.data)
    assert torch.equal((first.data >= 128).long(), binary.data)
    assert path.stat().st_mtime_ns == stamp
    assert not list(cache_dir().glob("*.tmp")) and not list(cache_dir().glob(".*"))
    with pytest.raises(AssertionError, match="cache was not used"):
        load_dataset("glyphs", "train", count=41)


def test_tones_and_pydocs_are_cached_once(monkeypatch: pytest.MonkeyPatch, fast_pydocs: None) -> None:
    load_dataset("tones", "train", count=12, clip_seconds=0.1)
    load_dataset("pydocs", "train")
    stamps = {p: p.stat().st_mtime_ns for p in cache_dir().iterdir()}
    assert len(stamps) == 2 and any(p.suffix == ".txt" for p in stamps)

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("rebuilt")

    monkeypatch.setattr(tones, "synthesize_clips", no_rebuild)
    monkeypatch.setattr(pydocs, "gather_docs", no_rebuild)
    load_dataset("tones", "validation", count=12, clip_seconds=0.1)
    load_dataset("pydocs", "test", context=32)
    assert {p: p.stat().st_mtime_ns for p in cache_dir().iterdir()} == stamps


def test_a_damaged_cache_is_rebuilt() -> None:
    load_dataset("glyphs", "train", count=20)
    path = _only_file(cache_dir(), "glyphs-*.npz")
    path.write_bytes(b"not a zip file")
    ds = load_dataset("glyphs", "train", count=20)
    assert len(ds) > 0 and path.stat().st_size > 100


def test_glyphs_look_like_centred_digits_of_every_class() -> None:
    arrays = glyphs.render_glyphs(200)
    images, labels = arrays["images"], arrays["labels"]
    assert images.shape == (200, 1, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [20] * 10
    ink = images.reshape(200, -1).astype(float)
    assert (ink.max(axis=1) > 150).all() and (ink.mean(axis=1) < 100).all()
    assert images[:, :, :2].mean() < 5 and images[:, :, -2:].mean() < 5
    means = np.stack([ink[labels == d].mean(axis=0) for d in range(10)])
    assert np.abs(means[1] - means[0]).mean() > 10
    assert np.array_equal(glyphs.render_glyphs(30)["images"], glyphs.render_glyphs(30)["images"])


def test_tones_are_deterministic_audible_and_varied() -> None:
    clips = tones.synthesize_clips(8, 4000, 8000)
    assert np.array_equal(clips, tones.synthesize_clips(8, 4000, 8000))
    audio = mu_law_decode(clips)
    peaks = np.abs(audio).max(axis=1)
    assert (peaks > 0.2).all() and (peaks < 0.95).all()
    spectra = np.abs(np.fft.rfft(audio, axis=1))
    assert len({int(s[20:].argmax()) for s in spectra}) > 4


def test_tones_respect_rate_and_clip_length() -> None:
    ds = load_dataset("tones", "train", count=10, sample_rate=4000, clip_seconds=0.5)
    assert ds.spec == DataSpec("audio", (2000,), 256, sample_rate=4000)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: load_dataset("cifar10", "train"), "Unknown data set 'cifar10'.*binary-digits.*pydocs.*user:"),
        (lambda: load_dataset("digits", "dev"), "Unknown split 'dev'.*train, validation, test"),
        (lambda: load_dataset("digits", "train", count=3), "no option 'count'.*none"),
        (lambda: load_dataset("glyphs", "train", size=3), "no option 'size'.*count"),
        (lambda: load_dataset("glyphs", "train", count=-4), "count must be between"),
        (lambda: load_dataset("patches", "train", size=2.5), "size must be a whole number"),
        (lambda: load_dataset("tones", "train", clip_seconds="long"), "clip_seconds must be a number"),
        (lambda: dataset_spec("pydocs", context=0), "context must be between"),
        (lambda: dataset_spec("nope"), "Unknown data set"),
        (lambda: load_dataset(None, "train"), "Unknown data set None"),
    ],
)
def test_bad_names_splits_and_options_say_what_is_valid(call, message: str) -> None:
    with pytest.raises(UserError, match=message):
        call()


def test_data_home_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ARSTUDIO_HOME", str(tmp_path / "custom"))
    assert data_home() == tmp_path / "custom"
    assert cache_dir() == tmp_path / "custom" / "cache" and cache_dir().is_dir()
    monkeypatch.delenv("ARSTUDIO_HOME")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert data_home() == tmp_path / "xdg" / "arstudio"
        monkeypatch.delenv("XDG_DATA_HOME")
        assert data_home() == Path.home() / ".local" / "share" / "arstudio"
    else:
        assert data_home().name == "ARStudio"


def test_nothing_is_written_outside_the_test_home(_home: Path) -> None:
    load_dataset("tones", "train", count=10, clip_seconds=0.05)
    assert os.environ["ARSTUDIO_HOME"] == str(_home)
    assert [p.name for p in _home.iterdir()] == ["cache"]


def test_digits_read_from_the_shipped_file_equal_scikit_learns_loader() -> None:
    from arstudio.data.builtin_digits import _load_through_scikit_learn, _read_shipped_file

    shipped = _read_shipped_file()
    assert shipped is not None and shipped.shape == (1797, 65)
    np.testing.assert_array_equal(shipped, _load_through_scikit_learn())
