"""Tests of the LRN probes of the lrn_pooling chapter (alexnet_repro.analysis.probes, layers.alpha_over_n)
against independent references: the formula looped in float64, torch's own nn.LocalResponseNorm,
hand-written hooks and hand-computed dot products."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from alexnet_repro.analysis import probes, sweeps
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.nn.introspect import named_layers
from alexnet_repro.nn.layers import LocalResponseNorm, alpha_over_n
from alexnet_repro.nn.model import AlexNet

N, ALPHA, BETA, K = 5, 1e-4, 0.75, 2.0


def _relu_acts(shape, scale, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.relu(torch.randn(*shape, generator=g, dtype=torch.float64) * scale)


def _damping_loop(a: torch.Tensor, n, alpha, beta, k):
    """(k / (k + alpha * sum of a^2 over the clipped window)) ** beta per unit, looped in float64."""
    a = a.numpy()
    out = np.ones_like(a)
    C = a.shape[1]
    for i in range(C):
        s = sum(a[:, j] ** 2 for j in range(max(0, i - n // 2), min(C - 1, i + n // 2) + 1))
        out[:, i] = np.where(a[:, i] > 0, (k / (k + alpha * s)) ** beta, 1.0)
    return out


def test_alpha_over_n_is_torchs_layer_with_the_printed_alpha():
    x = _relu_acts((2, 12, 3, 3), 60)
    layer = LocalResponseNorm(N, ALPHA, BETA, K)
    alt = alpha_over_n(layer)
    assert (alt.size, alt.beta, alt.k, alt.groups) == (N, BETA, K, 1) and alt.alpha == pytest.approx(ALPHA / N)
    # torch divides its alpha by the window size: with the printed alpha it is the alpha/n reading
    assert torch.allclose(alt(x), nn.LocalResponseNorm(N, ALPHA, BETA, K)(x), rtol=1e-12, atol=0)
    grouped = alpha_over_n(LocalResponseNorm(N, ALPHA, BETA, K, groups=2))
    ref = torch.cat([nn.LocalResponseNorm(N, ALPHA, BETA, K)(h) for h in x.split(6, dim=1)], dim=1)
    assert grouped.groups == 2 and torch.allclose(grouped(x), ref, rtol=1e-12, atol=0)


def test_first_layer_responses_scale_linearly_and_match_a_dot_product():
    g = torch.Generator().manual_seed(3)
    image = torch.rand(3, 67, 67, generator=g)
    state = torch.get_rng_state()
    out = probes.first_layer_responses(image, (255.0, 1.0), seed=0)
    assert torch.equal(torch.get_rng_state(), state)          # the global RNG is left alone
    a255, a1 = out[255.0], out[1.0]
    assert a255.dtype == torch.float64 and a255.shape == (1, 96, 15, 15)   # (67 - 11) / 4 + 1
    # paper init: conv1 has zero biases, so ReLU(conv(255 x)) = 255 ReLU(conv(x))
    assert torch.allclose(a255, 255 * a1, rtol=0, atol=1e-5 * a255.max().item())  # float32 sums
    # one unit by hand: the weights of the same seeded network, the mean colour subtracted
    torch.manual_seed(0)
    w = named_layers(AlexNet(input_size=67, init="paper"))["conv1"].weight.detach().double()
    centred = (image - image.mean(dim=(1, 2), keepdim=True)).double()
    c, y, x = 7, 5, 9
    unit = (w[c] * centred[:, 4 * y:4 * y + 11, 4 * x:4 * x + 11]).sum().item()
    assert a1[0, c, y, x].item() == pytest.approx(max(unit, 0.0), rel=1e-4, abs=1e-7)
    # a constant added to every pixel of a channel is taken out with the mean colour
    shifted = probes.first_layer_responses((image * 0.5 + 0.25), (1.0,), seed=0)[1.0]
    assert torch.allclose(shifted, 0.5 * a1, rtol=0, atol=1e-5 * a1.max().item())


def test_lrn_damping_against_the_formula_looped():
    a = _relu_acts((1, 7, 3, 5), 150, seed=1)
    d = probes.lrn_damping(LocalResponseNorm(N, ALPHA, BETA, K), a)
    ref = _damping_loop(a, N, ALPHA, BETA, K)
    assert np.allclose(d["damp"].numpy(), ref, rtol=1e-12)
    assert torch.allclose(d["b"], a * torch.from_numpy(ref) / K ** BETA, rtol=1e-12)
    pos = a > 0
    vals = np.sort(ref[pos.numpy()])
    assert d["damp_min"] == pytest.approx(vals[0]) and d["damp_median"] == pytest.approx(vals[(len(vals) - 1) // 2])
    assert d["chan"] == int(np.argmax(a.numpy().mean(axis=(0, 2, 3))))
    total = a.numpy()[0].sum(0)
    y, x = np.unravel_index(np.argmax(total), total.shape)
    assert torch.equal(d["col_a"], a[0, :, y, x])
    assert np.allclose(d["col_b"].numpy(), a[0, :, y, x].numpy() * ref[0, :, y, x], rtol=1e-12)


def test_damping_vs_gain_equals_the_shares_measured_at_each_gain():
    x = _relu_acts((1, 9, 4, 4), 40, seed=2)
    layers = {"printed": LocalResponseNorm(N, ALPHA, BETA, K), "torch": nn.LocalResponseNorm(N, ALPHA, BETA, K)}
    gains = [1.0, 10.0, 300.0]
    out = probes.damping_vs_gain(layers, x, gains)
    qs = torch.tensor([0.05, 0.5, 0.95], dtype=torch.float64)
    for label, layer in layers.items():
        assert out[label].shape == (3, 3)
        for i, g in enumerate(gains):
            # measured directly on the scaled activations: the neighbours' term grows with g^2
            share = probes.lrn_share(layer, g * x).quantile(qs).numpy()
            assert np.allclose(out[label][i], (1 + share) ** -BETA, rtol=1e-9)
    assert np.all(out["torch"] >= out["printed"])            # alpha/n normalizes less


def test_compare_lrn_rows_against_torch_and_a_hand_value():
    x = _relu_acts((1, 10, 4, 4), 100, seed=4)
    printed = LocalResponseNorm(N, ALPHA, BETA, K)
    layers = {"book": printed, "torch x n": nn.LocalResponseNorm(N, ALPHA * N, BETA, K),
              "torch": nn.LocalResponseNorm(N, ALPHA, BETA, K), "over n": alpha_over_n(printed),
              "caffe": nn.LocalResponseNorm(N, ALPHA, BETA, 1.0)}
    rows = probes.compare_lrn(layers, printed, x, gains=(1e-3, 1.0))
    assert list(rows) == [(g, label) for g in (1e-3, 1.0) for label in layers]
    share, ratio, largest = probes.LRN_COMPARISON
    for g in (1e-3, 1.0):
        assert rows[g, "book"][ratio] == 1.0 and rows[g, "book"][largest] == 0.0
        assert rows[g, "torch x n"][largest] < 1e-12
        assert rows[g, "torch"][ratio] == pytest.approx(rows[g, "over n"][ratio], rel=1e-12)
        assert rows[g, "book"][share] == pytest.approx(probes.lrn_share(printed, g * x).median().item())
    # tiny activations: only the constant counts, Caffe's k=1 against k=2 gives (2/1)^beta
    assert rows[1e-3, "caffe"][ratio] == pytest.approx(2.0 ** BETA, rel=1e-6)


@pytest.fixture(scope="module")
def lrn_runs():
    data = load_dataset("synthetic", limit=48, val_limit=24, image_size=67, seed=0, channels=1)
    cfg = TrainConfig(dataset="synthetic", image_size=67, crop_size=67, model="alexnet",
                      model_kwargs={"width": 0.0625, "init": "kaiming", "dropout": 0.5, "input_scale": 255.0},
                      augment="none", epochs=1, batch_size=16, device="cpu", progress=False,
                      ten_crop_eval=False, schedule="fixed")
    return data, sweeps.run_seeds(cfg, {"paper": {}}, [0, 1], data=data)["paper"]


def test_lrn_readings_against_hand_hooks_and_a_torch_twin(lrn_runs):
    data, runs = lrn_runs
    out = probes.lrn_readings(runs, 8)
    assert set(out) == {"share", "share_over_n", "reading_diff", "swap_top1_points"}
    assert all(len(v) == 2 for v in (*out["share"].values(), out["reading_diff"], out["swap_top1_points"]))
    for i, run in enumerate(runs):
        x, _ = probes.model_inputs(run, "val", 8)
        model = run.model.eval()
        seen = {}
        hooks = [model.features.act1.register_forward_hook(lambda m, i_, o: seen.__setitem__("norm1", o.detach())),
                 model.features.act2.register_forward_hook(lambda m, i_, o: seen.__setitem__("norm2", o.detach()))]
        with torch.no_grad():
            model(x)
        for h in hooks:
            h.remove()
        diffs = []
        for name, act in seen.items():
            act = act.double()
            ref = probes.lrn_share(LocalResponseNorm(N, ALPHA, BETA, K), act)
            assert out["share"][name][i] == pytest.approx(ref.median().item(), rel=1e-9)
            # the alpha/n reading divides the neighbours' term by n
            assert out["share_over_n"][name][i] == pytest.approx(ref.median().item() / N, rel=1e-6)
            b1 = LocalResponseNorm(N, ALPHA, BETA, K)(act)
            b2 = nn.LocalResponseNorm(N, ALPHA, BETA, K)(act)
            nz = b1 != 0
            diffs.append((b2[nz] / b1[nz] - 1).abs().max().item())
        assert out["reading_diff"][i] == pytest.approx(max(diffs), rel=1e-6, abs=1e-15)
        twin = copy.deepcopy(model)                          # torch's layer: the alpha/n reading
        twin.features.norm1 = nn.LocalResponseNorm(N, ALPHA, BETA, K)
        twin.features.norm2 = nn.LocalResponseNorm(N, ALPHA, BETA, K)
        swapped = probes.evaluate_split(run, "val", model=twin)["top1_error"]
        assert out["swap_top1_points"][i] == pytest.approx(100 * (swapped - run["final"]["val_top1_error"]), abs=1e-9)
    assert named_layers(runs[0].model)["norm1"].alpha == ALPHA   # the trained network is untouched
