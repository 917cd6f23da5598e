"""Sampling: logit processors and the strategies that draw values from a model's conditional logits."""

from arstudio.sampling.config import SamplerConfig
from arstudio.sampling.processors import apply_processors, candidates

__all__ = ["SamplerConfig", "apply_processors", "candidates"]
