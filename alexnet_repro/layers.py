"""Local response normalization with the paper's semantics (§3.3). Dropout lives in ``dropout.py``."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class LocalResponseNorm(nn.Module):
    """Local response normalization across channels, as written in the paper (§3.3).

    ``b[i] = a[i] / (k + alpha * sum_j a[j]**2) ** beta`` with ``j`` from ``max(0, i - n//2)`` to
    ``min(N - 1, i + n//2)``: the ``size`` (= n) neighbouring channels, clipped at the first and
    last channel. ``alpha`` multiplies the plain sum. PyTorch's ``nn.LocalResponseNorm`` multiplies
    the *mean* (alpha / size), so this module equals
    ``nn.LocalResponseNorm(size, alpha * size, beta, k)``.

    ``groups`` normalizes each of that many equal channel groups on its own (the two-GPU net:
    each GPU normalizes only its own kernel maps). Input: (N, C, H, W).
    """

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 2.0,
                 groups: int = 1):
        super().__init__()
        if not isinstance(size, int) or size < 1 or size % 2 == 0:
            raise ValueError(f"LocalResponseNorm size must be a positive odd integer (the paper "
                             f"uses n=5, a window centred on each channel); got {size!r}")
        if groups < 1:
            raise ValueError(f"LocalResponseNorm groups must be >= 1; got {groups!r}")
        self.size, self.alpha, self.beta, self.k, self.groups = size, alpha, beta, k, groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"LocalResponseNorm expects (N, C, H, W); got shape {tuple(x.shape)}")
        n, c, h, w = x.shape
        if c % self.groups:
            raise ValueError(f"LocalResponseNorm: {c} channels do not split into "
                             f"{self.groups} equal groups")
        half = self.size // 2
        # Sum of squares over the channel window: pad each group's channels with zeros (the
        # clipping at the ends) and take a size-wide average over channels, times size.
        sq = (x * x).reshape(n * self.groups, 1, c // self.groups, h, w)
        sq = F.pad(sq, (0, 0, 0, 0, half, half))
        window_sum = F.avg_pool3d(sq, (self.size, 1, 1), stride=1) * self.size
        window_sum = window_sum.reshape(n, c, h, w)
        return x / (self.k + self.alpha * window_sum).pow(self.beta)

    def extra_repr(self) -> str:
        g = f", groups={self.groups}" if self.groups != 1 else ""
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}{g}"

