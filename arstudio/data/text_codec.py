"""The one text codec: text <-> token values for byte-level and vocabulary text models, and how each
token reads on screen. The command line, the window and the data sets all encode and decode through it."""

from __future__ import annotations

import codecs
from collections.abc import Iterable

from arstudio.data.spec import DataSpec
from arstudio.errors import UserError


def encode_text(text: str, spec: DataSpec) -> list[int]:
    """The token values of `text`: UTF-8 bytes, or the longest vocabulary symbol at each place."""
    if spec.kind != "text":
        raise UserError(f"A prompt applies to text models only; this model generates {spec.kind}.")
    if spec.vocabulary is None:
        return list(text.encode("utf-8"))
    index = {symbol: i for i, symbol in enumerate(spec.vocabulary) if symbol}
    longest = max(map(len, index), default=1)
    values: list[int] = []
    missing: set[str] = set()
    i = 0
    while i < len(text):
        for size in range(min(longest, len(text) - i), 0, -1):
            value = index.get(text[i:i + size])
            if value is not None:
                values.append(value)
                i += size
                break
        else:
            missing.add(text[i])
            i += 1
    if missing:
        raise UserError(f"The prompt uses characters this model has never seen: {''.join(sorted(missing))!r}. "
                        "Remove them or use another model.")
    return values


def decode_text(values: Iterable[int], spec: DataSpec) -> str:
    """Plain text for prompts and exports (invalid UTF-8 becomes U+FFFD)."""
    if spec.vocabulary is None:
        return bytes(int(v) for v in values).decode("utf-8", errors="replace")
    return "".join(spec.vocabulary[int(v)] for v in values)


class TokenDecoder:
    """The on-screen text of each token in turn.

    A byte that completes a UTF-8 character shows the whole character (the bytes before it show
    nothing); an invalid byte shows as an escape such as ``\\xbd``; control bytes show as their
    Unicode control pictures so that every token has something to hover.
    """

    def __init__(self, spec: DataSpec) -> None:
        self.vocabulary = spec.vocabulary
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._pending = b""

    def feed(self, value: int) -> str:
        if self.vocabulary is not None:
            return self.vocabulary[value]
        byte = bytes([value])
        try:
            text = self._decoder.decode(byte)
        except UnicodeDecodeError:
            self._decoder.reset()
            escaped = "".join(f"\\x{b:02x}" for b in self._pending)
            self._pending = b""
            return escaped + self._retry(byte)
        self._pending = b"" if text else self._pending + byte
        return _visible(text)

    def _retry(self, byte: bytes) -> str:
        try:
            text = self._decoder.decode(byte)
        except UnicodeDecodeError:
            self._decoder.reset()
            return f"\\x{byte[0]:02x}"
        self._pending = b"" if text else byte
        return _visible(text)


def _visible(text: str) -> str:
    return "".join(_picture(ch) for ch in text)


def _picture(ch: str) -> str:
    if ch in "\n\t":
        return ch
    if ord(ch) < 0x20:
        return chr(0x2400 + ord(ch))
    return "\u2421" if ch == "\x7f" else ch


def symbol_label(value: int, spec: DataSpec) -> str:
    """One value as a short readable label, e.g. ``'a'``, ``␣``, ``↵``, ``\\xc3``, ``<eos>``."""
    if spec.vocabulary is not None:
        symbol = spec.vocabulary[value]
    elif value < 0x80:
        symbol = chr(value)
    else:
        return f"\\x{value:02x}"
    if symbol == " ":
        return "␣"
    if symbol == "\n":
        return "↵"
    if symbol == "\t":
        return "⇥"
    return _visible(symbol)
