"""Local response normalization with the paper's semantics (§3.3). Dropout lives in ``dropout.py``."""
from __future__ import annotations

import torch
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
        if x.shape[1] % self.groups:
            raise ValueError(f"LocalResponseNorm: {x.shape[1]} channels do not split into "
                             f"{self.groups} equal groups")
        return _LRNFunction.apply(x, self.size, self.alpha, self.beta, self.k, self.groups)

    def extra_repr(self) -> str:
        g = f", groups={self.groups}" if self.groups != 1 else ""
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}{g}"


def _window_sum(src: torch.Tensor, size: int, groups: int) -> torch.Tensor:
    """``out[:, i] = sum of src[:, j]`` over the ``size`` channels centred on ``i``, clipped at
    the ends of each of ``groups`` channel groups. The window is symmetric (``j`` is in ``i``'s
    window exactly when ``i`` is in ``j``'s), which the backward pass relies on."""
    out = src.clone()                      # keeps src's memory format (channels_last on CUDA)
    per = src.shape[1] // groups
    for g0 in range(0, src.shape[1], per):
        for d in range(1, min(size // 2, per - 1) + 1):
            out.narrow(1, g0 + d, per - d).add_(src.narrow(1, g0, per - d))
            out.narrow(1, g0, per - d).add_(src.narrow(1, g0 + d, per - d))
    return out


class _LRNFunction(torch.autograd.Function):
    """The formula with a hand-written backward. Autograd through the plain expression keeps a
    dozen full-size temporaries; this keeps three (x, the denominator base t and t^-beta) and
    works in place: on a CPU, forward and backward of a conv1-sized batch (32x96x55x55) take
    ~150 ms instead of ~520 ms, mostly saved on fresh memory for temporaries. Gradient, with
    ``t_i = k + alpha * sum_{j in W(i)} x_j^2`` and ``y_i = x_i t_i^-beta``:
    ``dL/dx_j = g_j t_j^-beta - 2 alpha beta x_j sum_{i in W(j)} g_i x_i t_i^(-beta-1)``."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k, groups):
        sq = x * x
        t = _window_sum(sq, size, groups).mul_(alpha).add_(k)
        scale = torch.pow(t, -beta, out=sq)          # sq is no longer needed: reuse its memory
        ctx.save_for_backward(x, t, scale)
        ctx.constants = (size, alpha, beta, groups)
        return x * scale

    @staticmethod
    def backward(ctx, grad):
        x, t, scale = ctx.saved_tensors
        size, alpha, beta, groups = ctx.constants
        u = (grad * x).mul_(scale).div_(t)          # g_i x_i t_i^(-beta-1)
        back = _window_sum(u, size, groups).mul_(x).mul_(2 * alpha * beta)
        return torch.mul(grad, scale, out=u).sub_(back), None, None, None, None, None



class WithinMapNorm(nn.Module):
    """Response normalization *within* each map, as cuda-convnet's ``type=rnorm`` layer computes it.

    ``b[c, y, x] = a[c, y, x] / (k + (scale / size**2) * sum a[c, y', x']**2) ** power`` with the
    sum over the ``size`` × ``size`` window whose first row and column are ``size // 2`` before
    ``(y, x)`` (centred for odd sizes), clipped at the borders. The released 2012 network applies it
    after the cross-map normalization of layer 2 (``cnorm2``: size 5, scale 0.001, pow 0.75; the
    paper does not mention it). The configured ``scale`` is divided by ``size**2`` (cuda-convnet's
    ``layer.py``) and the kernel adds 1 (``k``). Input: (N, C, H, W).
    """

    def __init__(self, size: int = 5, scale: float = 0.001, power: float = 0.75, k: float = 1.0):
        super().__init__()
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"WithinMapNorm size must be a positive integer; got {size!r}")
        self.size, self.scale, self.power, self.k = size, scale, power, k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"WithinMapNorm expects (N, C, H, W); got shape {tuple(x.shape)}")
        before = self.size // 2
        after = self.size - 1 - before
        padded = nn.functional.pad(x * x, (before, after, before, after))
        # the mean over the window is sum / size**2: exactly the released layer's scaling
        mean_sq = nn.functional.avg_pool2d(padded, self.size, stride=1)
        return x * (self.k + self.scale * mean_sq).pow(-self.power)

    def extra_repr(self) -> str:
        return f"size={self.size}, scale={self.scale}, power={self.power}, k={self.k}"
