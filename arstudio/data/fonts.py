"""Finding fonts on this machine that draw the ten digits, for the glyphs data set."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
UNSUITABLE = ("emoji", "symbol", "dingbat", "wingding", "webding", "icon", "awesome", "braille", "cmex", "cmsy")
MAX_FONTS = 16
MAX_CANDIDATES = 400

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font_dirs() -> list[Path]:
    """The usual system and user font folders of this platform, plus matplotlib's fonts if present."""
    home = Path.home()
    if sys.platform == "darwin":
        dirs = [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library" / "Fonts"]
    elif sys.platform == "win32":
        dirs = [Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"]
        if os.environ.get("LOCALAPPDATA"):
            dirs.append(Path(os.environ["LOCALAPPDATA"]) / "Microsoft" / "Windows" / "Fonts")
    else:
        xdg = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
        dirs = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".fonts", xdg / "fonts"]
    spec = importlib.util.find_spec("matplotlib")
    if spec is not None and spec.submodule_search_locations:
        dirs.extend(Path(p) / "mpl-data" / "fonts" / "ttf" for p in spec.submodule_search_locations)
    return [d for d in dirs if d.is_dir()]


def candidate_files() -> list[Path]:
    """Font files under the font folders, sorted, without symbol and emoji fonts."""
    found: set[Path] = set()
    for folder in font_dirs():
        for root, _dirs, files in os.walk(folder):
            for name in files:
                lower = name.lower()
                if lower.endswith(FONT_SUFFIXES) and not any(word in lower for word in UNSUITABLE):
                    found.add(Path(root) / name)
            if len(found) >= MAX_CANDIDATES:
                break
    return sorted(found)[:MAX_CANDIDATES]


def draws_digits(font: Font) -> bool:
    """True when the font draws ten visible, distinct digits (not ten 'missing glyph' boxes)."""
    bitmaps = set()
    for digit in "0123456789":
        try:
            image = draw_centered(digit, font, canvas=96, stroke=0)
        except (OSError, ValueError):
            return False
        if image.getbbox() is None:
            return False
        bitmaps.add(image.tobytes())
    return len(bitmaps) == 10


def draw_centered(text: str, font: Font, canvas: int, stroke: int) -> Image.Image:
    """`text` in white on a black square of side `canvas`, its ink box centred."""
    image = Image.new("L", (canvas, canvas), 0)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font, stroke_width=stroke)
    origin = ((canvas - (right - left)) / 2 - left, (canvas - (bottom - top)) / 2 - top)
    draw.text(origin, text, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    return image


def default_font(size: int) -> Font:
    """Pillow's own font: scalable in Pillow >= 10.1, else its small bitmap font."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, AttributeError, OSError, ImportError):
        return ImageFont.load_default()


def digit_fonts(size: int, limit: int = MAX_FONTS) -> list[Font]:
    """Up to `limit` system fonts that draw digits, spread over the sorted list, plus Pillow's font."""
    usable: list[Font] = []
    for path in candidate_files():
        try:
            font = ImageFont.truetype(str(path), size=size)
        except (OSError, ValueError):
            continue
        if draws_digits(font):
            usable.append(font)
    if len(usable) > limit:
        step = len(usable) / limit
        usable = [usable[int(i * step)] for i in range(limit)]
    fallback = default_font(size)
    if draws_digits(fallback):
        usable.append(fallback)
    return usable
