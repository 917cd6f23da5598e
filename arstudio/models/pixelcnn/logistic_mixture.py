"""The discretised logistic mixture head of PixelCNN: M logistic components per value, levels as bins."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

LOG_SCALE_MIN = -7.0


def log_expm1(x: Tensor) -> Tensor:
    """log(exp(x) - 1) for x > 0, accurate for small and large x."""
    return x + torch.log(-torch.expm1(-x))


def mixture_logits(params: Tensor, levels: int) -> Tensor:
    """[..., 3M] mixture parameters (weights, means, log scales) -> [..., levels] normalised log-probabilities.

    Level k covers [c_k - d, c_k + d] on [-1, 1] (c_k = 2k / (levels - 1) - 1, d = 1 / (levels - 1)); the
    first and last levels extend to -inf and +inf, so the probabilities of the levels sum to 1.
    """
    weights, means, log_scales = params.float().unsqueeze(-2).chunk(3, dim=-1)
    inv_scale = torch.exp(-log_scales.clamp(min=LOG_SCALE_MIN))
    centres = torch.linspace(-1.0, 1.0, levels, device=params.device).unsqueeze(-1)
    half = 1.0 / (levels - 1)
    upper = (centres + half - means) * inv_scale
    lower = (centres - half - means) * inv_scale
    inner = lower + log_expm1(2 * half * inv_scale) - F.softplus(upper) - F.softplus(lower)
    first, last = -F.softplus(-upper[..., :1, :]), -F.softplus(lower[..., -1:, :])
    per_component = torch.cat([first, inner[..., 1:-1, :], last], dim=-2)
    return torch.logsumexp(per_component + torch.log_softmax(weights, dim=-1), dim=-1)


def mixture_log_prob(params: Tensor, values: Tensor, levels: int) -> Tensor:
    """log P(values) under mixture_logits(params, levels), at the observed values only: O(M), not O(M K)."""
    weights, means, log_scales = params.float().chunk(3, dim=-1)
    inv_scale = torch.exp(-log_scales.clamp(min=LOG_SCALE_MIN))
    half = 1.0 / (levels - 1)
    centre = (values.to(means.dtype) * (2 * half) - 1.0).unsqueeze(-1)
    upper = (centre + half - means) * inv_scale
    lower = (centre - half - means) * inv_scale
    inner = lower + log_expm1(2 * half * inv_scale) - F.softplus(upper) - F.softplus(lower)
    value = values.unsqueeze(-1)
    per_component = torch.where(value == 0, -F.softplus(-upper),
                                torch.where(value == levels - 1, -F.softplus(lower), inner))
    return torch.logsumexp(per_component + torch.log_softmax(weights, dim=-1), dim=-1)
