"""Writing samples as files people can open: a PNG grid, a WAV file, or UTF-8 text."""

from __future__ import annotations

import math
import tempfile
import wave
from pathlib import Path

import numpy as np
from PIL import Image
from torch import Tensor

from arstudio.atomic import atomic_write_bytes
from arstudio.data.mulaw import mu_law_decode
from arstudio.data.spec import DataSpec
from arstudio.data.text_codec import decode_text
from arstudio.errors import UserError

SUFFIXES = {"binary": (".png",), "image": (".png",), "audio": (".wav",), "text": (".txt", ".md")}
GAP_SECONDS = 0.25


def save_samples(samples: Tensor, spec: DataSpec, path: str | Path) -> Path:
    """Write samples [n, *shape] in the format their kind calls for; the suffix must match it."""
    path = Path(path)
    if path.suffix.lower() not in SUFFIXES[spec.kind]:
        raise UserError(f"{spec.kind.capitalize()} samples are saved as {' or '.join(SUFFIXES[spec.kind])}; "
                        f"{path.name} has another extension.")
    array = samples.detach().cpu().numpy()
    if spec.kind in ("binary", "image"):
        data = _png_bytes(image_grid(array, spec))
    elif spec.kind == "audio":
        data = _wav_bytes(array, spec.levels, spec.sample_rate)
    else:
        data = "\n\n".join(f"--- sample {i + 1} ---\n{decode_text(row, spec)}" for i, row in enumerate(array)).encode()
    _write_atomically(path, data)
    return path


def image_grid(samples: np.ndarray, spec: DataSpec, scale: int | None = None) -> Image.Image:
    """A near-square grid of images, levels stretched to 0..255, scaled up with crisp pixels."""
    count = samples.shape[0]
    images = samples.reshape(count, *spec.shape) if len(spec.shape) == 3 else samples.reshape(count, 1, 1, -1)
    channels, height, width = images.shape[1:]
    pixels = (images.astype(np.float64) * (255.0 / (spec.levels - 1))).round().astype(np.uint8)
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    pad = 1
    grid = np.full((rows * (height + pad) + pad, columns * (width + pad) + pad, channels), 64, dtype=np.uint8)
    for i in range(count):
        r, c = divmod(i, columns)
        top, left = pad + r * (height + pad), pad + c * (width + pad)
        grid[top:top + height, left:left + width] = pixels[i].transpose(1, 2, 0)
    mode = "L" if channels == 1 else "RGB" if channels == 3 else "RGBA"
    picture = Image.fromarray(grid[:, :, 0] if channels == 1 else grid, mode)
    scale = scale or max(1, 256 // max(grid.shape[:2]))
    return picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)


def waveform(values: np.ndarray, levels: int) -> np.ndarray:
    """mu-law codes 0..levels-1 -> float32 samples in [-1, 1] (codes rescaled to 0..255 first)."""
    codes = np.asarray(values, dtype=np.float64)
    if levels != 256:
        codes = codes * (255.0 / (levels - 1))
    return mu_law_decode(codes)


def _wav_bytes(clips: np.ndarray, levels: int, sample_rate: int) -> bytes:
    gap = np.zeros(int(GAP_SECONDS * sample_rate), dtype=np.float32)
    pieces = []
    for clip in clips:
        pieces += [waveform(clip, levels), gap]
    pcm = (np.concatenate(pieces[:-1]) * 32767).astype("<i2").tobytes()
    with tempfile.SpooledTemporaryFile() as buffer:
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(pcm)
        buffer.seek(0)
        return buffer.read()


def _png_bytes(picture: Image.Image) -> bytes:
    with tempfile.SpooledTemporaryFile() as buffer:
        picture.save(buffer, format="PNG")
        buffer.seek(0)
        return buffer.read()


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise UserError(f"Could not write {path}: {exc.strerror or exc}. Choose another place to save.") from exc
