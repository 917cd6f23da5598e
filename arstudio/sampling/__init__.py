"""Sampling: logit processors, strategies and generate(), shared by every family."""

from arstudio.sampling.config import SamplerConfig
from arstudio.sampling.generate import generate
from arstudio.sampling.processors import apply_processors, candidates
from arstudio.sampling.request import WINDOW_POLICIES, GenerationResult, GenerationStep

__all__ = ["WINDOW_POLICIES", "GenerationResult", "GenerationStep", "SamplerConfig", "apply_processors", "candidates",
           "generate"]
