from __future__ import annotations

import gzip
import struct
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from arstudio.data import SPLITS, DataSpec, load_dataset, load_user_data, mu_law_encode, user_data_spec
from arstudio.data.files.audio import read_wav
from arstudio.data.files.idx import parse_idx
from arstudio.errors import UserError


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARSTUDIO_HOME", str(tmp_path / "home"))


def write_images(folder: Path, count: int = 12) -> list[np.ndarray]:
    """Grey squares whose left part is white (its width grows with the index), in three formats."""
    folder.mkdir(parents=True, exist_ok=True)
    drawn = []
    for i in range(count):
        pixels = np.zeros((40, 40, 3), dtype=np.uint8)
        pixels[:, : 10 + 2 * i] = 255
        pixels[..., 0] = 200 if i % 2 else pixels[..., 0]
        suffix = (".png", ".jpg", ".bmp")[i % 3]
        Image.fromarray(pixels).save(folder / f"img{i:02d}{suffix}")
        drawn.append(pixels)
    return drawn


def write_wav(path: Path, samples: np.ndarray, rate: int, width: int = 2, channels: int = 1) -> None:
    """Float samples in [-1, 1], repeated on every channel, as PCM of `width` bytes."""
    scale = 2 ** (8 * width - 1) - 1
    ints = np.round(np.clip(samples, -1, 1) * scale).astype(np.int64)
    ints = np.repeat(ints[:, None], channels, axis=1).ravel()
    if width == 1:
        raw = (ints + 128).astype(np.uint8).tobytes()
    elif width == 3:
        raw = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
    else:
        raw = ints.astype(f"<i{width}").tobytes()
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(raw)


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    return bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def sine(freq: float, seconds: float, rate: int) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * freq * np.arange(round(seconds * rate)) / rate)


# Images


def test_an_image_folder_becomes_grey_images_of_the_chosen_size(tmp_path: Path) -> None:
    drawn = write_images(tmp_path / "pics")
    parts = [load_user_data(tmp_path / "pics", split, size=16) for split in SPLITS]
    assert all(p.spec == DataSpec("image", (1, 16, 16), 256) for p in parts)
    assert sum(len(p) for p in parts) == len(drawn)
    every = torch.cat([p.data for p in parts])
    assert every.shape == (12, 1, 16, 16) and int(every.max()) <= 255
    left, right = every[..., :, 0], every[..., :, -1]
    assert (left > 180).all() and (right <= 70).all()


def test_image_options_colour_levels_and_binarize(tmp_path: Path) -> None:
    write_images(tmp_path / "pics")
    rgb = load_dataset(f"user:{tmp_path / 'pics'}", "train", color="rgb", size=8)
    assert rgb.spec == DataSpec("image", (3, 8, 8), 256)
    assert not torch.equal(rgb.data[:, 0], rgb.data[:, 1])
    four = load_user_data(tmp_path / "pics", "train", levels=4)
    assert four.spec == DataSpec("image", (1, 28, 28), 4) and int(four.data.max()) == 3
    binary = load_user_data(tmp_path / "pics", "train", binarize=True)
    assert binary.spec == DataSpec("binary", (1, 28, 28), 2)
    assert set(torch.unique(binary.data).tolist()) == {0, 1}
    assert user_data_spec(tmp_path / "pics", size=10).shape == (1, 10, 10)


def test_images_in_sub_folders_are_found_and_hidden_files_skipped(tmp_path: Path) -> None:
    write_images(tmp_path / "set" / "a", 4)
    write_images(tmp_path / "set" / "b", 4)
    (tmp_path / "set" / ".DS_Store").write_bytes(b"\x00junk")
    (tmp_path / "set" / "labels.csv").write_text("a,b\n")
    total = sum(len(load_user_data(tmp_path / "set", split)) for split in SPLITS)
    assert total == 8


def test_a_truncated_image_is_named(tmp_path: Path) -> None:
    write_images(tmp_path / "pics", 4)
    good = (tmp_path / "pics" / "img00.png").read_bytes()
    (tmp_path / "pics" / "cut.png").write_bytes(good[: len(good) // 2])
    with pytest.raises(UserError, match=r"cut\.png.*truncated"):
        load_user_data(tmp_path / "pics", "train")


def test_a_file_that_is_not_an_image_is_named(tmp_path: Path) -> None:
    write_images(tmp_path / "pics", 4)
    (tmp_path / "pics" / "notes.jpg").write_text("hello, I am not a photograph")
    with pytest.raises(UserError, match=r"Could not read the image notes\.jpg"):
        load_user_data(tmp_path / "pics", "train")


def test_too_few_images_for_a_validation_split(tmp_path: Path) -> None:
    write_images(tmp_path / "pics", 2)
    assert len(load_user_data(tmp_path / "pics", "train")) == 2
    with pytest.raises(UserError, match="only 2 examples, too few.*validation"):
        load_user_data(tmp_path / "pics", "validation")


# IDX


def test_idx_images_plain_and_gzipped(tmp_path: Path) -> None:
    images = np.random.default_rng(0).integers(0, 256, size=(20, 6, 7), dtype=np.uint8)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(images))
    (tmp_path / "more-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
    for name in ("train-images-idx3-ubyte", "more-images-idx3-ubyte.gz"):
        parts = [load_user_data(tmp_path / name, split) for split in SPLITS]
        assert parts[0].spec == DataSpec("image", (1, 6, 7), 256)
        rows = torch.cat([p.data for p in parts])
        assert sorted(map(tuple, rows.flatten(1).tolist())) == sorted(map(tuple, images.reshape(20, -1).tolist()))
    binary = load_user_data(tmp_path / "train-images-idx3-ubyte", "train", binarize=True)
    assert binary.spec.kind == "binary"


def test_idx_header_is_parsed_by_hand() -> None:
    array = np.arange(24, dtype=">i2").reshape(2, 3, 4)
    parsed = parse_idx(idx_bytes(array, code=0x0B))
    assert parsed.shape == (2, 3, 4) and parsed.tolist() == array.tolist()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (idx_bytes(np.zeros((10, 4, 4), np.uint8))[:-5], "truncated"),
        (idx_bytes(np.zeros((10, 4, 4), np.uint8))[:9], "ends inside its header"),
        (idx_bytes(np.zeros((10, 4, 4), np.uint8)) + b"xx", "2 bytes more"),
        (b"\x89PNG\r\n\x1a\n" + bytes(30), "not an IDX file.*89 50 4e 47"),
        (idx_bytes(np.zeros((3, 2), np.float32), code=0x0D), "32-bit float"),
        (bytes([0, 0, 0x42, 1, 0, 0, 0, 1, 7]), "unknown IDX type code 0x42"),
    ],
)
def test_broken_idx_files_are_explained(tmp_path: Path, raw: bytes, message: str) -> None:
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(raw)
    with pytest.raises(UserError, match=message):
        load_user_data(path, "train")


def test_an_idx_label_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(10, dtype=np.uint8)))
    with pytest.raises(UserError, match="labels.*images file"):
        load_user_data(tmp_path / "train-labels-idx1-ubyte", "train")


# numpy files


def test_npz_with_a_single_array_or_x_or_images(tmp_path: Path) -> None:
    images = np.random.default_rng(1).integers(0, 256, size=(30, 8, 8), dtype=np.uint8)
    np.savez(tmp_path / "one.npz", images)
    np.savez(tmp_path / "named.npz", labels=np.arange(30), images=images)
    np.savez(tmp_path / "x.npz", y=np.arange(30), x=(images > 127))
    assert load_user_data(tmp_path / "one.npz", "train").spec == DataSpec("image", (1, 8, 8), 256)
    assert load_user_data(tmp_path / "named.npz", "test").spec == DataSpec("image", (1, 8, 8), 256)
    assert load_user_data(tmp_path / "x.npz", "validation").spec == DataSpec("binary", (1, 8, 8), 2)


def test_npz_spec_is_inferred_from_shape_and_values(tmp_path: Path) -> None:
    hwc = np.random.default_rng(2).integers(0, 10, size=(12, 5, 5, 3))
    np.savez(tmp_path / "hwc.npz", x=hwc)
    ds = load_user_data(tmp_path / "hwc.npz", "train")
    assert ds.spec == DataSpec("image", (3, 5, 5), 10)
    np.save(tmp_path / "seq.npy", np.random.default_rng(3).integers(0, 256, size=(40, 100)))
    with pytest.raises(UserError, match="kind='audio' or kind='text'"):
        load_user_data(tmp_path / "seq.npy", "train")
    audio = load_user_data(tmp_path / "seq.npy", "train", kind="audio", sample_rate=16000)
    assert audio.spec == DataSpec("audio", (100,), 256, sample_rate=16000)
    text = load_user_data(tmp_path / "seq.npy", "train", kind="text")
    assert text.spec == DataSpec("text", (100,), 256)
    with pytest.raises(UserError, match="does not fit in 100 levels"):
        load_user_data(tmp_path / "seq.npy", "train", kind="audio", levels=100)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"x": np.array([{"a": 1}, None], dtype=object)}, "only pickle can load"),
        ({"a": np.zeros((4, 2, 2)), "b": np.zeros((4, 2, 2))}, "holds a, b.*'x' or 'images'"),
        ({"x": np.full((4, 3, 3), 0.5)}, "fractional"),
        ({"x": -np.ones((4, 3, 3), dtype=np.int16)}, "negative"),
        ({"x": np.zeros((0, 3, 3), dtype=np.uint8)}, "no examples"),
        ({"x": np.zeros((4,), dtype=np.uint8)}, "has shape"),
    ],
)
def test_bad_npz_files_are_explained(tmp_path: Path, arrays: dict, message: str) -> None:
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(UserError, match=message):
        load_user_data(tmp_path / "bad.npz", "train")


def test_a_damaged_npz_is_explained(tmp_path: Path) -> None:
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 but not really")
    with pytest.raises(UserError, match="bad.npz"):
        load_user_data(tmp_path / "bad.npz", "train")


# Audio


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_wav_sample_widths_are_decoded(tmp_path: Path, width: int) -> None:
    signal = sine(440, 0.05, 8000)
    write_wav(tmp_path / "a.wav", signal, 8000, width=width, channels=2)
    samples, rate = read_wav(tmp_path / "a.wav")
    assert rate == 8000 and samples.shape == signal.shape
    assert np.abs(samples - signal).max() < (0.02 if width == 1 else 1e-4)


def test_a_wav_folder_becomes_mu_law_clips_at_the_target_rate(tmp_path: Path) -> None:
    folder = tmp_path / "sounds"
    folder.mkdir()
    write_wav(folder / "a.wav", sine(440, 3.0, 16000), 16000, channels=2)
    write_wav(folder / "b.wav", sine(660, 1.2, 8000), 8000)
    parts = [load_user_data(folder, split, clip_seconds=0.5) for split in SPLITS]
    assert parts[0].spec == DataSpec("audio", (4000,), 256, sample_rate=8000)
    assert sum(len(p) for p in parts) == 6 + 2
    clips = torch.cat([p.data for p in parts]).numpy()
    expected = mu_law_encode(sine(440, 0.5, 8000))
    assert any(np.abs(clip.astype(int) - expected).max() <= 2 for clip in clips)
    spectrum = np.abs(np.fft.rfft(clips[0] - 127.5))
    assert np.argmax(spectrum[1:]) + 1 in (np.round(np.array([440, 660]) * 0.5)).astype(int)


def test_audio_shorter_than_a_clip_is_refused(tmp_path: Path) -> None:
    write_wav(tmp_path / "short.wav", sine(440, 0.3, 8000), 8000)
    with pytest.raises(UserError, match="too short.*0.3 s.*clip of 1 s"):
        load_user_data(tmp_path / "short.wav", "train")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a wave file at all, just some text", r"Could not read the WAV file bad\.wav"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", r"Could not read the WAV file bad\.wav"),
        (b"", r"Could not read the WAV file bad\.wav"),
    ],
)
def test_corrupt_wav_files_are_named(tmp_path: Path, content: bytes, message: str) -> None:
    (tmp_path / "bad.wav").write_bytes(content)
    with pytest.raises(UserError, match=message):
        load_user_data(tmp_path / "bad.wav", "train")


def test_an_empty_wav_is_refused(tmp_path: Path) -> None:
    write_wav(tmp_path / "silent.wav", np.zeros(0), 8000)
    with pytest.raises(UserError, match=r"silent\.wav holds no sound"):
        load_user_data(tmp_path / "silent.wav", "train")


def test_flac_without_soundfile_says_to_install_it_or_convert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "soundfile", None)
    (tmp_path / "song.flac").write_bytes(b"fLaC" + bytes(100))
    with pytest.raises(UserError, match=r"pip install soundfile.*convert.*WAV"):
        load_user_data(tmp_path / "song.flac", "train")


# Text


def test_text_files_become_byte_windows(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    lines = "".join(f"line {i:04d}: caf\u00e9 and more words\n" for i in range(200))
    (folder / "a.txt").write_bytes(b"\xef\xbb\xbf" + lines.encode("utf-8"))
    (folder / "b.md").write_text("# Title\n\n" + lines, encoding="utf-8")
    parts = {split: load_dataset(f"user:{folder}", split, context=32) for split in SPLITS}
    assert parts["train"].spec == DataSpec("text", (32,), 256)
    whole = lines.encode("utf-8") + b"\n\n# Title\n\n" + lines.encode("utf-8")
    assert sum(len(p) for p in parts.values()) == len(whole) // 32
    first = bytes(parts["train"].data[0].to(torch.uint8).tolist())
    assert whole.startswith(first)
    train_rows = {bytes(r.to(torch.uint8).tolist()) for r in parts["train"].data}
    validation_rows = {bytes(r.to(torch.uint8).tolist()) for r in parts["validation"].data}
    assert validation_rows and not (train_rows & validation_rows)


def test_non_utf8_text_says_where(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_bytes(b"hello world " * 50 + "na\u00efve".encode("latin-1") + b" end")
    with pytest.raises(UserError, match=r"old\.txt is not UTF-8.*0xef at byte offset 602 \(line 1\)"):
        load_user_data(tmp_path / "old.txt", "train")


def test_text_shorter_than_the_context_is_refused(tmp_path: Path) -> None:
    (tmp_path / "short.txt").write_text("x" * 256)
    with pytest.raises(UserError, match="256 bytes long.*context of 256.*at least 257 bytes"):
        load_user_data(tmp_path / "short.txt", "train")
    assert load_user_data(tmp_path / "short.txt", "train", context=64).spec.shape == (64,)


# Folders and paths


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="empty.*images.*audio.*text"):
        load_user_data(tmp_path / "empty", "train")


def test_a_folder_of_unreadable_kinds_lists_what_it_found(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.pdf").write_bytes(b"%PDF")
    with pytest.raises(UserError, match=r"no files ARStudio can read \(found \.pdf\)"):
        load_user_data(tmp_path / "docs", "train")


def test_a_mixed_folder_asks_for_a_kind(tmp_path: Path) -> None:
    write_images(tmp_path / "mix", 6)
    (tmp_path / "mix" / "readme.txt").write_text("about these pictures")
    with pytest.raises(UserError, match="mixes 6 images, 1 text file;.*kind="):
        load_user_data(tmp_path / "mix", "train")
    assert load_user_data(tmp_path / "mix", "train", kind="image").spec.kind == "image"
    assert load_user_data(tmp_path / "mix", "train", kind="binary").spec.kind == "binary"


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("missing", {}, "no file or folder"),
        ("pics", {"colour": "rgb"}, "no option 'colour'"),
        ("pics", {"color": "sepia"}, "color must be one of grey, rgb"),
        ("pics", {"size": 0}, "size must be between"),
        ("pics", {"kind": "video"}, "kind must be one of"),
    ],
)
def test_bad_paths_and_options(tmp_path: Path, name: str, options: dict, message: str) -> None:
    write_images(tmp_path / "pics", 3)
    with pytest.raises(UserError, match=message):
        load_user_data(tmp_path / name, "train", **options)


def test_a_folder_of_several_numpy_files_asks_for_one(tmp_path: Path) -> None:
    (tmp_path / "arrays").mkdir()
    for name in ("a.npz", "b.npz"):
        np.savez(tmp_path / "arrays" / name, x=np.zeros((5, 2, 2), dtype=np.uint8))
    with pytest.raises(UserError, match=r"holds 2 numpy files \(a.npz, b.npz\); point at one"):
        load_user_data(tmp_path / "arrays", "train")


def test_an_empty_user_path_is_refused() -> None:
    with pytest.raises(UserError, match="No path was given"):
        load_dataset("user:", "train")


def test_an_unknown_split_for_user_data(tmp_path: Path) -> None:
    write_images(tmp_path / "pics", 3)
    with pytest.raises(UserError, match="Unknown split"):
        load_dataset(f"user:{tmp_path / 'pics'}", "holdout")
