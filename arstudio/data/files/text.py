"""UTF-8 text files read as bytes, with the place of any bad byte in the error."""

from __future__ import annotations

import codecs
from pathlib import Path

from arstudio.errors import UserError

TEXT_SUFFIXES = frozenset({".txt", ".md"})


def read_text(path: Path) -> bytes:
    """The file's bytes after checking they are UTF-8 (a leading byte-order mark is dropped)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"Could not read the text file {path} ({exc.strerror or exc}).") from exc
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UserError(
            f"The text file {path.name} is not UTF-8: the byte 0x{data[exc.start]:02x} at byte offset {exc.start} "
            f"(line {line}) cannot be decoded. Save the file with UTF-8 encoding and try again."
        ) from exc
    return data
