"""The model families, what data each accepts, and its default hyper-parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arstudio.data import DataSpec
from arstudio.errors import UserError
from arstudio.models import made, nade, transformer
from arstudio.models.base import ARModel
from arstudio.models.pixelcnn import model as pixelcnn
from arstudio.models.wavenet import model as wavenet


@dataclass(frozen=True)
class FamilyInfo:
    """A family's name, the data kinds it accepts and its defaults.

    help maps each hyper-parameter to (description, minimum, maximum); for a choice the minimum is
    the tuple of named options (an explicit list of positions is also accepted for orderings);
    None bounds mean a flag.
    """

    name: str
    title: str
    description: str
    kinds: tuple[str, ...]
    defaults: dict[str, Any]
    help: dict[str, tuple[str, Any, Any]]
    model_class: type[ARModel]

    def accepts(self, spec: DataSpec) -> bool:
        return spec.kind in self.kinds

    def require_accepts(self, spec: DataSpec) -> None:
        """The one check of a spec's data kind against the family, with what to do about it."""
        if not self.accepts(spec):
            raise UserError(
                f"{self.title} cannot model {spec.kind} data; it accepts {', '.join(self.kinds)}. "
                "Choose another family or data set."
            )


FAMILIES: dict[str, FamilyInfo] = {
    "nade": FamilyInfo("nade", "NADE", "Neural autoregressive density estimator with one shared hidden layer.",
                       nade.KINDS, nade.DEFAULTS, nade.HELP, nade.NADE),
    "made": FamilyInfo("made", "MADE", "Masked autoencoder; order-agnostic training and mask ensembles.",
                       made.KINDS, made.DEFAULTS, made.HELP, made.MADE),
    "pixelcnn": FamilyInfo("pixelcnn", "PixelCNN", "Gated PixelCNN with vertical and horizontal stacks.",
                           pixelcnn.KINDS, pixelcnn.DEFAULTS, pixelcnn.HELP, pixelcnn.PixelCNN),
    "wavenet": FamilyInfo("wavenet", "WaveNet", "Dilated causal convolutions with gated units for audio.",
                          wavenet.KINDS, wavenet.DEFAULTS, wavenet.HELP, wavenet.WaveNet),
    "transformer": FamilyInfo("transformer", "Transformer", "GPT-style decoder with causal self-attention.",
                              transformer.KINDS, transformer.DEFAULTS, transformer.HELP,
                              transformer.Transformer),
}


def family_info(family: str) -> FamilyInfo:
    try:
        return FAMILIES[family]
    except KeyError:
        raise UserError(f"Unknown model family {family!r}: choose one of {', '.join(FAMILIES)}.") from None


def build_model(family: str, spec: DataSpec, **hparams: Any) -> ARModel:
    """A freshly initialised model of `family` for `spec`; unspecified hyper-parameters take defaults."""
    info = family_info(family)
    info.require_accepts(spec)
    unknown = sorted(set(hparams) - set(info.defaults))
    if unknown:
        raise UserError(
            f"{info.title} has no hyper-parameter {', '.join(unknown)}; it takes {', '.join(info.defaults)}."
        )
    merged = {**info.defaults, **hparams}
    for name, value in merged.items():
        _check_range(info, name, value)
    return info.model_class(spec, **merged)


def _check_range(info: FamilyInfo, name: str, value: Any) -> None:
    _, low, high = info.help[name]
    if isinstance(low, tuple):
        if isinstance(value, str) and value not in low:
            raise UserError(f"{info.title}'s {name} must be one of {', '.join(low)}, got {value!r}.")
        return
    if low is None or isinstance(value, bool):
        return
    if not isinstance(value, (int, float)) or not low <= value <= high:
        raise UserError(f"{info.title}'s {name} must be between {low} and {high}, got {value!r}.")
