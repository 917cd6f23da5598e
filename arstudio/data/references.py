"""Published results on the built-in data sets: what a run's NLL can be held against.

Every figure is a test negative log-likelihood in nats per example, copied from the paper that reports it,
with the protocol it was measured under. A figure is only comparable with a run measured the same way
(the same binarization and the same test images); `Reference.protocol` says what that way was, and the
command line and the window print it beside the comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Paper:
    authors: tuple[str, ...]
    """Family names, in the paper's order."""
    year: int
    title: str
    venue: str

    @property
    def short(self) -> str:
        """First author and year: "van den Oord 2016"."""
        return f"{self.authors[0]} {self.year}"

    @property
    def citation(self) -> str:
        """"van den Oord, Kalchbrenner & Kavukcuoglu (2016), Pixel Recurrent Neural Networks, ICML"."""
        names = self.authors[0] if len(self.authors) == 1 else ", ".join(self.authors[:-1]) + " & " + self.authors[-1]
        return f"{names} ({self.year}), {self.title}, {self.venue}"


@dataclass(frozen=True)
class Reference:
    """One published result: `nll` nats per example on the test set of `dataset`, by `model`."""

    dataset: str
    nll: float
    model: str
    """The model's usual name, short enough for a plot label ("PixelCNN")."""
    detail: str
    """Which configuration of it the paper reports this figure for."""
    paper: Paper
    protocol: str

    @property
    def label(self) -> str:
        """"PixelCNN 81.30 (van den Oord 2016)"."""
        return f"{self.model} {self.nll:.2f} ({self.paper.short})"

    def bits_per_dim(self, dims: int) -> float:
        return self.nll / (dims * math.log(2))

    def describe(self) -> str:
        """Everything about the figure, in a few lines (a tooltip, a hover readout)."""
        return (f"{self.model} ({self.detail}): {self.nll:.2f} nats\n{self.paper.citation}\n"
                f"Protocol: {self.protocol}")


BINARIZED_MNIST = ("binarized MNIST (each pixel sampled once from its grey level, as in Salakhutdinov & Murray "
                   "2008), the Larochelle & Murray 2011 split: 50,000 training, 10,000 validation and 10,000 test "
                   "images; test NLL in nats per image")

NADE_PAPER = Paper(("Larochelle", "Murray"), 2011, "The Neural Autoregressive Distribution Estimator", "AISTATS")
MADE_PAPER = Paper(("Germain", "Gregor", "Murray", "Larochelle"), 2015,
                   "MADE: Masked Autoencoder for Distribution Estimation", "ICML")
PIXEL_RNN_PAPER = Paper(("van den Oord", "Kalchbrenner", "Kavukcuoglu"), 2016, "Pixel Recurrent Neural Networks",
                        "ICML")

REFERENCES: tuple[Reference, ...] = (
    Reference("binarized-mnist", 88.86, "NADE", "one hidden layer, a fixed order", NADE_PAPER, BINARIZED_MNIST),
    Reference("binarized-mnist", 88.04, "MADE 1hl", "1 hidden layer, order-agnostic training, 32 masks averaged",
              MADE_PAPER, BINARIZED_MNIST),
    Reference("binarized-mnist", 86.64, "MADE 2hl", "2 hidden layers, order-agnostic training, 32 masks averaged",
              MADE_PAPER, BINARIZED_MNIST),
    Reference("binarized-mnist", 81.30, "PixelCNN", "the paper's PixelCNN, masked convolutions", PIXEL_RNN_PAPER,
              BINARIZED_MNIST),
    Reference("binarized-mnist", 79.20, "PixelRNN", "Diagonal BiLSTM, 7 layers, h = 16", PIXEL_RNN_PAPER,
              BINARIZED_MNIST),
)
"""Only figures taken from the paper that introduced the model (its own table of binarized-MNIST results);
later papers that re-train a model report other figures for it, which are not mixed in here."""


COMPARABILITY: dict[str, str] = {
    "binarized-mnist": "ARStudio's binarized-mnist follows this recipe and split (the official 10,000 test images) "
                       "with its own draw of the bits, not the published file, so the figures compare closely but "
                       "not exactly.",
}
"""How far a built-in data set matches its references' protocol, in a sentence."""


def references_for(dataset: str) -> list[Reference]:
    """The published results on `dataset`, best (lowest NLL) first; an empty list when there are none."""
    return sorted((r for r in REFERENCES if r.dataset == dataset), key=lambda r: r.nll)


def best_reference(dataset: str) -> Reference | None:
    """The lowest published NLL on `dataset`, or None."""
    found = references_for(dataset)
    return found[0] if found else None
