"""DataSpec: what a model models — D discrete variables with K categories each."""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Any

from arstudio.data.labels import LabelSet
from arstudio.errors import UserError

KINDS = ("binary", "image", "audio", "text")
CHANNEL_NAMES = {1: ("L",), 3: ("R", "G", "B"), 4: ("R", "G", "B", "A")}
MAX_LEVELS = 65536
EOS_SYMBOL = "<eos>"


@dataclass(frozen=True)
class DataSpec:
    """The shape and alphabet of one example.

    kind      "binary" (K=2, shape (D,) or (C, H, W)), "image" (C, H, W), "audio" (T,) or
              "text" (T,).
    shape     the tensor shape of one example; D = prod(shape).
    levels    K, the number of categories of every variable.
    sample_rate   audio samples per second.
    vocabulary    text symbols in index order; None means byte-level (K = 256).
    channels      the meaning of each image channel, e.g. ("R", "G", "B"); defaults by count.
    labels        the kinds of class label an example carries (LabelSet: the digit, the voice), in the
                  column order of a data set's label array; empty where examples carry none.
    """

    kind: str
    shape: tuple[int, ...]
    levels: int
    sample_rate: int = 8000
    vocabulary: tuple[str, ...] | None = None
    channels: tuple[str, ...] | None = field(default=None)
    labels: tuple[LabelSet, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", _as_shape(self.shape))
        if self.vocabulary is not None:
            object.__setattr__(self, "vocabulary", tuple(str(v) for v in self.vocabulary))
        if self.channels is not None:
            object.__setattr__(self, "channels", tuple(str(c) for c in self.channels))
        object.__setattr__(self, "labels", tuple(self.labels))
        self._validate()
        if self.is_spatial and self.channels is None:
            c = self.shape[0]
            object.__setattr__(self, "channels", CHANNEL_NAMES.get(c, tuple(f"C{i}" for i in range(c))))

    def _validate(self) -> None:
        if self.kind not in KINDS:
            raise UserError(f"Unknown data kind {self.kind!r}: choose one of {', '.join(KINDS)}.")
        if isinstance(self.levels, bool) or not isinstance(self.levels, int):
            raise UserError(f"The number of levels must be a whole number, got {self.levels!r}.")
        if not 2 <= self.levels <= MAX_LEVELS:
            raise UserError(
                f"A {self.kind} spec needs between 2 and {MAX_LEVELS} levels per variable, "
                f"got {self.levels}."
            )
        if self.kind == "binary":
            if self.levels != 2:
                raise UserError(f"Binary data has exactly 2 levels, got {self.levels}; use kind 'image' for more.")
            if len(self.shape) not in (1, 3):
                raise UserError(f"Binary data has shape (D,) or (C, H, W), got {self.shape}.")
        elif self.kind == "image":
            if len(self.shape) != 3:
                raise UserError(f"Image data has shape (channels, height, width), got {self.shape}.")
            if self.shape[0] > 4:
                raise UserError(f"Images have 1 to 4 channels, got {self.shape[0]}.")
        else:
            if len(self.shape) != 1:
                raise UserError(f"{self.kind.capitalize()} data is one sequence of shape (length,), got {self.shape}.")
        if self.kind == "audio" and (not isinstance(self.sample_rate, int) or self.sample_rate <= 0):
            raise UserError(f"Audio needs a positive whole sample rate in Hz, got {self.sample_rate!r}.")
        if self.vocabulary is not None:
            if self.kind != "text":
                raise UserError("Only text data has a vocabulary.")
            if len(self.vocabulary) != self.levels:
                raise UserError(
                    f"The vocabulary has {len(self.vocabulary)} symbols but levels is {self.levels}; they must match."
                )
            if len(set(self.vocabulary)) != len(self.vocabulary):
                raise UserError("The vocabulary lists a symbol twice; every symbol must be distinct.")
        elif self.kind == "text" and self.levels != 256:
            raise UserError(
                f"Byte-level text has 256 levels, got {self.levels}; give a vocabulary for other sizes."
            )
        if len(set(self.label_names)) != len(self.labels):
            raise UserError(f"Two labels share a name in {self.label_names}; every label needs its own name.")
        if self.channels is not None and (not self.is_spatial or len(self.channels) != self.shape[0]):
            raise UserError(f"Channel names {self.channels} do not match the shape {self.shape}.")

    @property
    def dims(self) -> int:
        """D, the number of variables in one example."""
        return math.prod(self.shape)

    @property
    def is_spatial(self) -> bool:
        return len(self.shape) == 3

    @property
    def is_sequence(self) -> bool:
        return self.kind in ("audio", "text")

    @property
    def uniform_nll(self) -> float:
        """D ln K: the NLL in nats of a model that knows nothing."""
        return self.dims * math.log(self.levels)

    @property
    def eos_index(self) -> int | None:
        """The end-of-text symbol's index, where the vocabulary has one."""
        if self.vocabulary is not None and EOS_SYMBOL in self.vocabulary:
            return self.vocabulary.index(EOS_SYMBOL)
        return None

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    def raster_order(self) -> list[int]:
        """Flat indices in raster order; an image visits each pixel's channels consecutively."""
        if not self.is_spatial:
            return list(range(self.dims))
        c, h, w = self.shape
        return [ch * h * w + row * w + col for row in range(h) for col in range(w) for ch in range(c)]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "shape": list(self.shape),
            "levels": self.levels,
            "sample_rate": self.sample_rate,
            "vocabulary": list(self.vocabulary) if self.vocabulary is not None else None,
            "channels": list(self.channels) if self.channels is not None else None,
            "labels": [label.to_json() for label in self.labels],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DataSpec:
        try:
            return cls(
                kind=data["kind"],
                shape=tuple(data["shape"]),
                levels=data["levels"],
                sample_rate=data.get("sample_rate", 8000),
                vocabulary=data.get("vocabulary"),
                channels=data.get("channels"),
                labels=tuple(LabelSet.from_json(label) for label in data.get("labels") or ()),
            )
        except (KeyError, TypeError) as exc:
            raise UserError(f"The data description is incomplete or malformed ({exc}).") from exc


def _as_shape(shape: Any) -> tuple[int, ...]:
    try:
        dims = tuple(shape)
    except TypeError:
        raise UserError(f"A shape is a list of sizes such as (1, 8, 8), got {shape!r}.") from None
    try:
        sizes = tuple(operator.index(d) for d in dims if not isinstance(d, bool))
    except TypeError:
        sizes = ()
    if not dims or len(sizes) != len(dims) or any(d <= 0 for d in sizes):
        raise UserError(f"Every size in a shape must be a positive whole number, got {shape!r}.")
    return sizes
