"""MNIST-like 28x28 digits drawn with the fonts on this machine, with seeded random distortions.

Each digit is drawn large, sheared, rotated and stretched, fitted into a 16..22 pixel box like
MNIST's 20-pixel box, placed by its centre of mass with a small shift, and blurred. The images are
made once and cached as .npz in the user's data folder.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter

from arstudio.data.cache import cache_key, cached_arrays
from arstudio.data.examples import Examples
from arstudio.data.fonts import Font, digit_fonts, draw_centered
from arstudio.data.labels import DIGIT_LABELS
from arstudio.data.options import whole
from arstudio.data.spec import DataSpec
from arstudio.errors import UserError

VERSION = 1
SIDE = 28
CANVAS = 128
FONT_SIZE = 64
GENERATION_SEED = 20240917
DEFAULT_COUNT = 6000
MAX_COUNT = 200_000


def glyphs_spec(count: int = DEFAULT_COUNT) -> DataSpec:
    whole("count", count, 10, MAX_COUNT)
    return DataSpec("image", (1, SIDE, SIDE), 256, labels=(DIGIT_LABELS,))


def glyphs_binary_spec(count: int = DEFAULT_COUNT) -> DataSpec:
    whole("count", count, 10, MAX_COUNT)
    return DataSpec("binary", (1, SIDE, SIDE), 2, labels=(DIGIT_LABELS,))


def build_glyphs(count: int = DEFAULT_COUNT) -> Examples:
    images, labels = glyph_arrays(count)
    return Examples(images, labels=labels)


def build_glyphs_binary(count: int = DEFAULT_COUNT) -> Examples:
    images, labels = glyph_arrays(count)
    return Examples((images >= 128).astype(np.uint8), labels=labels)


def glyph_arrays(count: int = DEFAULT_COUNT) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 [count, 1, 28, 28] and their digits, from the cache or drawn now."""
    count = whole("count", count, 10, MAX_COUNT)
    arrays = cached_arrays(cache_key("glyphs", VERSION, count=count), lambda: render_glyphs(count))
    return arrays["images"], arrays["labels"]


def render_glyphs(count: int, seed: int = GENERATION_SEED) -> dict[str, np.ndarray]:
    """Draw `count` digits, the ten digits equally often, in a seeded random order."""
    fonts = digit_fonts(FONT_SIZE)
    if not fonts:
        raise UserError("No font on this machine can draw digits; install a TrueType font such as DejaVu Sans.")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(count) % 10)
    images = np.empty((count, 1, SIDE, SIDE), dtype=np.uint8)
    for i, digit in enumerate(labels):
        images[i, 0] = render_digit(int(digit), fonts[rng.integers(len(fonts))], rng)
    return {"images": images, "labels": labels.astype(np.int64)}


def render_digit(digit: int, font: Font, rng: np.random.Generator) -> np.ndarray:
    """One distorted 28x28 image of `digit`."""
    stroke = int(rng.integers(0, 5))
    image = draw_centered(str(digit), font, CANVAS, stroke)
    image = image.transform(
        image.size,
        Image.Transform.AFFINE,
        _inverse_affine(
            angle=math.radians(rng.uniform(-14, 14)),
            shear=rng.uniform(-0.3, 0.3),
            stretch=rng.uniform(0.8, 1.2),
        ),
        resample=Image.Resampling.BILINEAR,
    )
    box = image.getbbox()
    if box is None:
        return np.zeros((SIDE, SIDE), dtype=np.uint8)
    image = image.crop(box)
    fit = rng.uniform(16, 22) / max(image.size)
    image = image.resize(
        (max(1, round(image.width * fit)), max(1, round(image.height * fit))), Image.Resampling.LANCZOS
    )
    placed = _place_by_mass(np.asarray(image), shift=rng.integers(-2, 3, size=2))
    radius = rng.uniform(0.0, 0.8)
    if radius > 0.2:
        placed = np.asarray(Image.fromarray(placed).filter(ImageFilter.GaussianBlur(radius)))
    return placed


def _inverse_affine(angle: float, shear: float, stretch: float) -> tuple[float, ...]:
    """Pillow's output-to-input affine coefficients for a rotation, shear and horizontal stretch
    about the canvas centre."""
    cos, sin = math.cos(angle), math.sin(angle)
    forward = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([stretch, 1.0])
    inverse = np.linalg.inv(forward)
    centre = np.array([CANVAS / 2, CANVAS / 2])
    offset = centre - inverse @ centre
    return (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1])


def _place_by_mass(glyph: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """`glyph` on a black 28x28 square with its centre of mass near the middle, moved by `shift`."""
    height, width = glyph.shape
    mass = glyph.astype(np.float64)
    total = mass.sum() or 1.0
    centre_y = (mass.sum(axis=1) @ np.arange(height)) / total
    centre_x = (mass.sum(axis=0) @ np.arange(width)) / total
    top = int(np.clip(round(SIDE / 2 - 0.5 - centre_y) + shift[0], 0, SIDE - height))
    left = int(np.clip(round(SIDE / 2 - 0.5 - centre_x) + shift[1], 0, SIDE - width))
    out = np.zeros((SIDE, SIDE), dtype=np.uint8)
    out[top : top + height, left : left + width] = glyph
    return out
