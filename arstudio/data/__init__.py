"""Data layer: what a model models (DataSpec) and how audio is companded."""

from arstudio.data.mulaw import mu_law_decode, mu_law_encode
from arstudio.data.spec import KINDS, DataSpec

__all__ = ["KINDS", "DataSpec", "mu_law_decode", "mu_law_encode"]
