"""Class labels of a data set (the digit drawn, the voice speaking), which conditional models take as input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from arstudio.errors import UserError


@dataclass(frozen=True)
class LabelSet:
    """One kind of label: its name ("digit", "voice") and its classes in index order."""

    name: str
    classes: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(str(c) for c in self.classes))
        if not self.name or not self.name.isidentifier():
            raise UserError(f"A label's name is one word such as 'digit', got {self.name!r}.")
        if len(self.classes) < 2:
            raise UserError(f"The label {self.name!r} needs at least two classes, got {len(self.classes)}.")
        if len(set(self.classes)) != len(self.classes):
            raise UserError(f"The label {self.name!r} lists a class twice; every class must be distinct.")

    @property
    def size(self) -> int:
        return len(self.classes)

    def index(self, value: Any) -> int:
        """The index of a class given by name ("seven", "3") or by index; a UserError naming the classes."""
        text = str(value).strip()
        if text in self.classes:
            return self.classes.index(text)
        if isinstance(value, int) and not isinstance(value, bool) or text.isdigit():
            number = int(text)
            if 0 <= number < self.size:
                return number
        shown = ", ".join(self.classes[:12]) + (", ..." if self.size > 12 else "")
        raise UserError(f"{value!r} is not a {self.name}: choose one of {shown} (or an index 0 to {self.size - 1}).")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "classes": list(self.classes)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LabelSet:
        return cls(name=data["name"], classes=tuple(data["classes"]))


DIGIT_LABELS = LabelSet("digit", tuple(str(d) for d in range(10)))
"""The ten digits, as MNIST, scikit-learn's digits and the glyphs label them."""


def parse_labels(
    label_sets: Sequence[LabelSet], given: str | Mapping[str, Any] | Sequence[Any] | int
) -> tuple[int, ...]:
    """One class index per label set, from what a person typed.

    `given` is "3", "digit=3", "digit=3,voice=en+f2", a mapping {"digit": 3}, or one value per label set in
    order. Every label set needs a value.
    """
    if not label_sets:
        raise UserError("This data set has no labels, so there is no class to choose; leave the label out.")
    names = [s.name for s in label_sets]
    if isinstance(given, Mapping):
        values = dict(given)
    elif isinstance(given, str):
        parts = [p.strip() for p in given.split(",") if p.strip()]
        if parts and all("=" not in p for p in parts):
            values = dict(zip(names, parts, strict=True)) if len(parts) == len(names) else {"": given}
        else:
            values = {}
            for part in parts:
                name, sep, value = part.partition("=")
                if not sep:
                    raise UserError(f"Write every label as name=value (e.g. {names[0]}=3), got {part!r}.")
                values[name.strip()] = value.strip()
    elif isinstance(given, int) and not isinstance(given, bool):
        values = {names[0]: given} if len(names) == 1 else {"": given}
    else:
        items = list(given)
        values = dict(zip(names, items, strict=True)) if len(items) == len(names) else {"": given}
    unknown = [n for n in values if n not in names]
    if unknown:
        raise UserError(
            f"Give one value for each label of this data set ({', '.join(names)}), e.g. "
            f"{','.join(f'{n}={s.classes[0]}' for n, s in zip(names, label_sets, strict=True))}; got {given!r}."
        )
    missing = [n for n in names if n not in values]
    if missing:
        raise UserError(f"Give a value for the label{'s' if len(missing) > 1 else ''} {', '.join(missing)} as well.")
    return tuple(s.index(values[s.name]) for s in label_sets)


def describe_labels(label_sets: Sequence[LabelSet], indices: Sequence[int]) -> str:
    """'digit 3, voice en+f2': the classes of one example, for titles and file names."""
    return ", ".join(f"{s.name} {s.classes[i]}" for s, i in zip(label_sets, indices, strict=True))
