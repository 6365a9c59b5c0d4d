"""LocalResponseNorm against the paper's formula (§3.3), evaluated with an explicit loop in float64."""
import numpy as np
import pytest
import torch
from torch import nn

from alexnet_repro.nn.layers import LocalResponseNorm


def lrn_reference(a: np.ndarray, n: int, alpha: float, beta: float, k: float, groups: int = 1):
    """b^i = a^i / (k + alpha * sum_{j=max(0, i-n/2)}^{min(N-1, i+n/2)} (a^j)^2)^beta, per group."""
    a = a.astype(np.float64)
    b = np.empty_like(a)
    C = a.shape[1]
    N = C // groups
    for g in range(groups):
        for i in range(N):
            lo, hi = max(0, i - n // 2), min(N - 1, i + n // 2)
            s = np.zeros(a.shape[:1] + a.shape[2:])
            for j in range(lo, hi + 1):
                s += a[:, g * N + j] ** 2
            b[:, g * N + i] = a[:, g * N + i] / (k + alpha * s) ** beta
    return b


@pytest.mark.parametrize("size", [1, 3, 5, 7])
def test_matches_formula_float64(size):
    g = torch.Generator().manual_seed(size)
    # large activations so that alpha * sum is not negligible next to k
    x = torch.randn(2, 11, 4, 3, generator=g, dtype=torch.float64) * 30
    alpha, beta, k = 1e-3, 0.75, 2.0
    got = LocalResponseNorm(size, alpha, beta, k)(x).numpy()
    want = lrn_reference(x.numpy(), size, alpha, beta, k)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    # the normalization really does something here, including at the edge channels
    assert np.abs(want - x.numpy()).max() > 0.1 * np.abs(x.numpy()).max() / (k ** beta)


def test_edge_channels_use_clipped_window():
    # one nonzero channel at index 0: with n=5 it normalizes channels 0..2 only
    x = torch.zeros(1, 6, 1, 1, dtype=torch.float64)
    x[0, 0] = 10.0
    x[0, 5] = 3.0
    y = LocalResponseNorm(5, alpha=0.01, beta=1.0, k=1.0)(x)
    assert y[0, 0].item() == pytest.approx(10.0 / (1 + 0.01 * (100 + 0)), rel=1e-14)
    assert y[0, 5].item() == pytest.approx(3.0 / (1 + 0.01 * 9), rel=1e-14)


def test_paper_constants_float32_close_to_reference():
    x = torch.rand(3, 96, 5, 5) * 50
    got = LocalResponseNorm()(x).double().numpy()
    want = lrn_reference(x.numpy(), 5, 1e-4, 0.75, 2.0)
    np.testing.assert_allclose(got, want, rtol=1e-5)


@pytest.mark.parametrize("size", [3, 5, 9])
def test_equals_torch_with_alpha_times_size(size):
    x = torch.randn(2, 16, 6, 6, dtype=torch.float64) * 20
    ours = LocalResponseNorm(size, 1e-4, 0.75, 2.0)(x)
    theirs = nn.LocalResponseNorm(size, 1e-4 * size, 0.75, 2.0)(x)
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=0)
    # and with the same alpha, torch's differs (it divides alpha by size)
    plain = nn.LocalResponseNorm(size, 1e-4, 0.75, 2.0)(x)
    assert (plain - ours).abs().max() > 1e-3


def test_groups_normalize_each_tower_separately():
    x = torch.randn(2, 12, 3, 3, dtype=torch.float64) * 30
    got = LocalResponseNorm(5, 1e-3, 0.75, 2.0, groups=2)(x).numpy()
    want = lrn_reference(x.numpy(), 5, 1e-3, 0.75, 2.0, groups=2)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    ungrouped = lrn_reference(x.numpy(), 5, 1e-3, 0.75, 2.0)
    assert np.abs(got - ungrouped)[:, 4:8].max() > 1e-6   # channels near the tower boundary differ


@pytest.mark.parametrize("size, channels, groups", [(5, 7, 1), (3, 8, 2), (7, 4, 2), (1, 3, 1)])
def test_gradient_matches_float64_finite_differences(size, channels, groups):
    # the backward pass is written by hand: check it against finite differences, including
    # windows wider than a group (7 over groups of 2 channels)
    x = (torch.randn(1, channels, 2, 2, dtype=torch.float64) * 20).requires_grad_()
    assert torch.autograd.gradcheck(LocalResponseNorm(size, 1e-3, 0.75, 2.0, groups=groups), (x,))


def test_gradient_matches_torch_autograd_in_float32_and_channels_last():
    # PyTorch's layer (alpha times size) differentiated by autograd, on conv1-like activations
    x = torch.relu(torch.randn(4, 96, 13, 13)) * 40
    g = torch.randn_like(x)
    a = x.clone().requires_grad_()
    nn.LocalResponseNorm(5, 1e-4 * 5, 0.75, 2.0)(a).backward(g)
    for fmt in (torch.contiguous_format, torch.channels_last):
        b = x.clone().to(memory_format=fmt).requires_grad_()
        y = LocalResponseNorm(5, 1e-4, 0.75, 2.0)(b)
        y.backward(g)
        torch.testing.assert_close(b.grad, a.grad, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("groups", [1, 2])
def test_channels_last_and_strided_inputs_match_formula_and_finite_differences(groups):
    # the layer works in its input's layout (a channels-last tensor is seen as rows of channels):
    # the float64 formula and finite differences in that layout too, towers included, and an
    # input that is neither layout (a strided slice) is handled as well
    x = torch.randn(2, 8, 3, 5, dtype=torch.float64) * 30
    layer = LocalResponseNorm(5, 1e-3, 0.75, 2.0, groups=groups)
    for inp in (x.to(memory_format=torch.channels_last), x.repeat(1, 1, 1, 2)[..., ::2]):
        np.testing.assert_allclose(layer(inp).numpy(), lrn_reference(inp.numpy(), 5, 1e-3, 0.75, 2.0, groups=groups),
                                   rtol=1e-12)
    cl = x.to(memory_format=torch.channels_last).requires_grad_()
    assert torch.autograd.gradcheck(layer, (cl,))
    y = layer(cl)
    assert y.is_contiguous(memory_format=torch.channels_last) and not y.is_contiguous()
    y.backward(torch.randn_like(x))   # a gradient in the other layout than the layer's input
    assert cl.grad.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("bad", [0, 2, 4, -3])
def test_rejects_even_or_nonpositive_size(bad):
    with pytest.raises(ValueError, match="odd"):
        LocalResponseNorm(bad)


def test_rejects_wrong_rank_and_bad_groups():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        LocalResponseNorm()(torch.ones(3, 4))
    with pytest.raises(ValueError, match="equal groups"):
        LocalResponseNorm(groups=2)(torch.ones(1, 5, 2, 2))



# --- within-map normalization (the released 2012 network's cnorm2) -------------------------------
from alexnet_repro.nn.layers import WithinMapNorm  # noqa: E402
from alexnet_repro.quoted.released_2012 import RELEASED_2012  # noqa: E402


def within_map_reference(a: np.ndarray, size: int, scale: float, power: float, k: float = 1.0):
    """cuda-convnet rnorm: k + scale/size^2 * sum of squares over the size x size window starting
    size//2 before the pixel, clipped at the borders; written as plain loops in float64."""
    a = a.astype(np.float64)
    b = np.empty_like(a)
    n_img, C, H, W = a.shape
    for y in range(H):
        for x in range(W):
            y0, x0 = y - size // 2, x - size // 2
            ys = range(max(0, y0), min(H, y0 + size))
            xs = range(max(0, x0), min(W, x0 + size))
            s = sum(a[:, :, yy, xx] ** 2 for yy in ys for xx in xs)
            b[:, :, y, x] = a[:, :, y, x] / (k + scale / size ** 2 * s) ** power
    return b


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_within_map_norm_matches_the_loop_float64(size):
    g = torch.Generator().manual_seed(10 + size)
    x = torch.randn(2, 3, 7, 6, generator=g, dtype=torch.float64) * 20
    scale, power = 0.05, 0.75
    got = WithinMapNorm(size, scale, power)(x).numpy()
    want = within_map_reference(x.numpy(), size, scale, power)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert np.abs(want - x.numpy()).max() > 0.05 * np.abs(x.numpy()).max()


def test_within_map_norm_defaults_are_the_released_cnorm2():
    wm, layer = RELEASED_2012["within_map_norm"], WithinMapNorm()
    assert (layer.size, layer.scale, layer.power, layer.k) == \
        (wm["size"], wm["scale"], wm["pow"], wm["min_div"])


@pytest.mark.parametrize("size", [2, 3, 4, 5])
@pytest.mark.parametrize("fmt", [torch.contiguous_format, torch.channels_last])
def test_within_map_norm_gradient_matches_finite_differences(size, fmt):
    # the backward pass is written by hand (the transposed window for even sizes, which are
    # not centred); non-square maps, both layouts, and the loop's forward in each layout
    x = torch.randn(1, 3, 5, 4, dtype=torch.float64) * 10
    layer = WithinMapNorm(size, 0.1, 0.75)
    x = x.to(memory_format=fmt).requires_grad_()
    np.testing.assert_allclose(layer(x).detach().numpy(), within_map_reference(x.detach().numpy(), size, 0.1, 0.75),
                               rtol=1e-12, atol=0)
    assert torch.autograd.gradcheck(layer, (x,))
