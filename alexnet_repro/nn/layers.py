"""The paper's own layers: local response normalization (§3.3), the released 2012 network's
within-map normalization, and dropout (§4.2) with an
explicit convention for where the 1/(1-p) factor goes (see :mod:`alexnet_repro.nn.dropout` for the
conventions' maths used by the dropout chapter).

Here ``p`` is always the probability of *dropping* a unit, as in the paper and in PyTorch.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["LocalResponseNorm", "CONVENTIONS", "Convention", "Dropout", "dropout",
           "check_dropout_p", "dropout_convention"]


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

        def window(src, plus):   # symmetric: its own transpose
            return _window_sum(src, self.size, self.groups, plus)
        return _Normalize.apply(x, window, window, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        g = f", groups={self.groups}" if self.groups != 1 else ""
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}{g}"


def _neg_pow(t: torch.Tensor, beta: float, out: torch.Tensor) -> torch.Tensor:
    """``t ** -beta`` into ``out`` (not ``t``; no autograd), for ``t > 0``. For the paper's
    ``beta = 0.75`` it is ``rsqrt(t * sqrt(t))``: three cheap passes instead of ``pow``'s
    exp-and-log (about twice as fast on a CPU, within 2 units in the last place of float32)."""
    if beta == 0.75:
        return torch.sqrt(t, out=out).mul_(t).rsqrt_()
    return torch.pow(t, -beta, out=out)


def _layout(x: torch.Tensor) -> torch.memory_format:
    return torch.contiguous_format if x.is_contiguous() else torch.channels_last


def _channel_rows(t: torch.Tensor, groups: int) -> torch.Tensor:
    """A ``(rows, C / groups, inner)`` view of ``t``'s memory (NCHW or channels-last, as
    :func:`_layout` says) whose dim 1 runs over the channels of one group: NCHW gives
    ``(N * groups, C / groups, H * W)``, channels-last ``(N * H * W * groups, C / groups, 1)``.
    Each group is a row of its own, so a window along dim 1 stops at the group's edges, and one
    elementwise op covers every group (slicing channels of a 4-D channels-last tensor instead
    is about twice as slow at conv1's size)."""
    n, c, h, w = t.shape
    if t.is_contiguous():
        return t.view(n * groups, c // groups, h * w)
    return t.permute(0, 2, 3, 1).view(n * h * w * groups, c // groups, 1)


def _from_channel_rows(rows: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`_channel_rows`: ``rows`` seen as a tensor shaped and laid out like ``like``."""
    n, c, h, w = like.shape
    if like.is_contiguous():
        return rows.view(n, c, h, w)
    return rows.view(n, h, w, c).permute(0, 3, 1, 2)


def _window_sum(src: torch.Tensor, size: int, groups: int, plus: float = 0.0) -> torch.Tensor:
    """``plus + sum of src[:, j]`` over the ``size`` channels ``j`` centred on each channel,
    clipped at the ends of each of ``groups`` channel groups; ``src`` NCHW or channels-last, the
    result in the same layout. The window is symmetric (``j`` is in ``i``'s window exactly when
    ``i`` is in ``j``'s), which the backward pass relies on."""
    return _from_channel_rows(_shift_sum(_channel_rows(src, groups), 1, size // 2, size // 2, plus), src)


class _Normalize(torch.autograd.Function):
    """Both response normalizations, ``y = x t^-power`` with ``t = k + c * S(x^2)`` for a sum
    ``S`` over a window (``window(src, plus)`` gives ``plus + S(src)``: across channels for
    :class:`LocalResponseNorm`, a box within each map for :class:`WithinMapNorm`), with a
    hand-written backward that needs the transposed window ``window_t`` (``S^T``, ``S`` itself
    when the window is symmetric):
    ``dL/dx_j = g_j t_j^-power - 2 c power x_j S^T(g x t^(-power-1))_j``.
    Autograd through the plain expression keeps a dozen full-size temporaries; this keeps three
    (x, t^-power and x t^(-power-1)) and works in place where it can, in the input's layout. On
    2 CPU threads, forward and backward of LRN at conv1's size (32x96x55x55, channels-last) took
    43 ms against 107 ms when the channels were sliced out of the 4-D tensor and alpha, k and the
    backward's factors took passes of their own; the within-map box at layer 2's size
    (32x256x27x27) 53 ms (NCHW) and 45 ms (channels-last) against 201 and 71 ms through autograd
    with padding and average pooling."""

    @staticmethod
    def forward(ctx, x, window, window_t, c, power, k):
        x = x.contiguous(memory_format=_layout(x))
        sq = torch.mul(x, x).mul_(c)
        t = window(sq, k)
        scale = _neg_pow(t, power, out=sq)            # sq is no longer needed: reuse its memory
        y = x * scale
        ctx.save_for_backward(x, scale, torch.div(y, t, out=t))   # y / t = x t^(-power-1)
        ctx.window_t, ctx.constants = window_t, (c, power)
        return y

    @staticmethod
    def backward(ctx, grad):
        x, scale, y_over_t = ctx.saved_tensors
        c, power = ctx.constants
        grad = grad.contiguous(memory_format=_layout(x))   # a mixed-layout op is ~30x slower
        u = grad * y_over_t                                 # g_i x_i t_i^(-power-1)
        back = ctx.window_t(u, 0.0)
        return (torch.mul(grad, scale, out=u).addcmul_(back, x, value=-2 * c * power),
                None, None, None, None, None)


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
        before = self.size // 2   # the box's first row and column, before the centre
        after = self.size - 1 - before
        # the configured scale is per mean over the window: per term, scale / size**2
        return _Normalize.apply(x, lambda src, plus: _box_sum(src, before, after, plus),
                                lambda src, plus: _box_sum(src, after, before, plus),   # transposed box
                                self.scale / self.size ** 2, self.power, self.k)

    def extra_repr(self) -> str:
        return f"size={self.size}, scale={self.scale}, power={self.power}, k={self.k}"


def _shift_sum(src: torch.Tensor, dim: int, before: int, after: int, plus: float = 0.0) -> torch.Tensor:
    """``plus + sum of src`` over the offsets ``-before..after`` along ``dim``, clipped at the
    borders (as zero padding would), in ``src``'s layout; the nearest offsets first, each
    ``-d`` before ``+d``."""
    out = src + plus if plus else src.clone()
    n = src.shape[dim]
    for d in range(1, min(max(before, after), n - 1) + 1):
        if d <= before:                              # out[i] += src[i - d]
            out.narrow(dim, d, n - d).add_(src.narrow(dim, 0, n - d))
        if d <= after:                               # out[i] += src[i + d]
            out.narrow(dim, 0, n - d).add_(src.narrow(dim, d, n - d))
    return out


def _box_sum(src: torch.Tensor, before: int, after: int, plus: float = 0.0) -> torch.Tensor:
    """The sum over a square window of offsets ``-before..after`` in rows and columns, clipped:
    one pass along the rows, then one along the columns (the window is separable)."""
    return _shift_sum(_shift_sum(src, 3, before, after), 2, before, after, plus)


# ----------------------------------------------------------------------------- dropout

@dataclass(frozen=True)
class Convention:
    """Where the scale goes: kept units are multiplied by ``train_scale(p)`` while training,
    all units by ``test_scale(p)`` at test time."""
    name: str
    description: str
    train_kept_scale: str   # "1" or "1/(1-p)"
    test_scale: str         # "1" or "1-p"

    def scales(self, p: float) -> tuple[float, float]:
        keep = 1.0 - p
        train = 1.0 if self.train_kept_scale == "1" else 1.0 / keep
        test = 1.0 if self.test_scale == "1" else keep
        return train, test


CONVENTIONS: dict[str, Convention] = {
    "paper": Convention("paper", "drop with probability p while training, multiply by 1-p at test "
                        "(the paper's rule, 1-p = 0.5)", "1", "1-p"),
    "inverted": Convention("inverted", "multiply kept units by 1/(1-p) while training, identity at "
                           "test (torch.nn.Dropout)", "1/(1-p)", "1"),
    "note": Convention("note", "the reading note: kept units scaled by 1/(1-p) while training AND "
                       "outputs multiplied by 1-p at test", "1/(1-p)", "1-p"),
    "unscaled": Convention("unscaled", "the opposite mix: plain masking while training, identity "
                           "at test", "1", "1"),
}


def dropout_convention(name: str) -> Convention:
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise ValueError(f"unknown dropout convention {name!r}; choose one of "
                         f"{sorted(CONVENTIONS)}") from None


def check_dropout_p(p: float) -> None:
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")


def dropout(x: torch.Tensor, p: float = 0.5, convention: str = "paper", training: bool = True,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Dropout of ``x`` with drop probability ``p`` under ``convention``."""
    check_dropout_p(p)
    train_scale, test_scale = dropout_convention(convention).scales(p)
    if not training:
        return x * test_scale if test_scale != 1.0 else x
    if p == 0.0:
        return x
    keep = torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float64) >= p
    return x * keep.to(x.dtype) * train_scale


class Dropout(nn.Module):
    """``nn.Dropout`` with an explicit convention (``"paper"`` by default).

    ``test_factor`` (1 unless changed, see :func:`with_test_factor`) multiplies the test-time
    output on top of the convention's rule: a deliberate mismatch, for demonstrations.
    """

    def __init__(self, p: float = 0.5, convention: str = "paper"):
        super().__init__()
        check_dropout_p(p)
        dropout_convention(convention)
        self.p = p
        self.convention = convention
        self.test_factor = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = dropout(x, self.p, self.convention, self.training)
        if not self.training and self.test_factor != 1.0:
            out = out * self.test_factor
        return out

    def extra_repr(self) -> str:
        extra = f", test_factor={self.test_factor:g}" if self.test_factor != 1.0 else ""
        return f"p={self.p}, convention={self.convention!r}{extra}"


def alpha_over_n(layer: LocalResponseNorm) -> LocalResponseNorm:
    """The same LRN layer under the ``alpha / n`` reading: a new :class:`LocalResponseNorm`
    whose ``alpha`` is ``layer.alpha / layer.size`` (what cuda-convnet, Caffe and
    ``nn.LocalResponseNorm`` do with a configured alpha); size, beta, k and groups kept."""
    return LocalResponseNorm(layer.size, layer.alpha / layer.size, layer.beta, layer.k, layer.groups)


__all__ += ["alpha_over_n"]
