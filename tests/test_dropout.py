"""Dropout conventions against hand-derived float64 expectations (Monte Carlo with error bars)."""
import copy
import math

import pytest
import torch
from conftest import tiny_alexnet_setup
from torch import nn

from alexnet_repro.analysis import run_metrics as readings
from alexnet_repro.analysis import sweeps
from alexnet_repro.chapters import dropout as chapters_dropout
from alexnet_repro.common.errors import ConfigError
from alexnet_repro.engine.loop import train
from alexnet_repro.nn import dropout as D
from alexnet_repro.nn import layers as L
from alexnet_repro.nn.introspect import named_layers

X = torch.tensor([1.0, -2.0, 0.5, 3.0, 10.0, -0.25, 7.0, 0.0], dtype=torch.float64)
SAMPLES = 200_000


def mc_tolerance(x, p, kept_scale, samples=SAMPLES, sigmas=6.0):
    # one draw is kept_scale * x * Bernoulli(1-p): variance kept_scale^2 x^2 p (1-p)
    return sigmas * kept_scale * x.abs() * math.sqrt(p * (1 - p) / samples) + 1e-12


# (convention, p) -> (scale of a kept unit in training, test-time factor), derived by hand
HAND = {
    ("paper", 0.5): (1.0, 0.5),
    ("inverted", 0.5): (2.0, 1.0),
    ("note", 0.5): (2.0, 0.5),
    ("unscaled", 0.5): (1.0, 1.0),
    ("paper", 0.2): (1.0, 0.8),
    ("inverted", 0.2): (1.25, 1.0),
    ("note", 0.2): (1.25, 0.8),
    ("unscaled", 0.2): (1.0, 1.0),
}


@pytest.mark.parametrize("convention,p", sorted(HAND))
def test_monte_carlo_mean_matches_analytic_expectation(convention, p):
    kept, _ = HAND[(convention, p)]
    expected = X * (1 - p) * kept          # E[mask] = 1 - p, float64
    mc = D.monte_carlo_mean(X, p, convention, SAMPLES, seed=1)
    assert torch.all((mc - expected).abs() <= mc_tolerance(X, p, kept))
    assert torch.allclose(D.expected_train_output(X, p, convention), expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("convention,p", sorted(HAND))
def test_eval_output_is_the_hand_derived_factor(convention, p):
    _, test = HAND[(convention, p)]
    module = L.Dropout(p, convention).eval()
    assert torch.allclose(module(X), X * test, rtol=0, atol=1e-15)


@pytest.mark.parametrize("p", [0.5, 0.2])
def test_paper_and_inverted_agree_between_training_and_test(p):
    for convention in ("paper", "inverted"):
        mc = D.monte_carlo_mean(X, p, convention, SAMPLES, seed=2)
        at_test = L.Dropout(p, convention).eval()(X)
        kept = HAND[(convention, p)][0]
        assert torch.all((mc - at_test).abs() <= mc_tolerance(X, p, kept))
        assert D.eval_over_train(p, convention) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("convention, seed, ratio_half, ratio_p02", [
    # note: training keeps x/(1-p) = 2x with probability 1/2 -> mean x; test multiplies by 0.5,
    # so test / train = 1 - p (the keep probability)
    ("note", 3, 0.5, 0.8),
    # the opposite mix: no scaling in training (mean x/2), none at test -> test / train = 1/(1-p)
    ("unscaled", 4, 2.0, 1.25),
])
def test_mixed_conventions_scale_test_outputs(convention, seed, ratio_half, ratio_p02):
    p = 0.5
    mc = D.monte_carlo_mean(X, p, convention, SAMPLES, seed=seed)
    at_test = L.Dropout(p, convention).eval()(X)
    nz = X != 0
    ratio = at_test[nz] / mc[nz]
    assert torch.allclose(ratio, torch.full_like(ratio, ratio_half), rtol=0.02)
    assert D.eval_over_train(p, convention) == pytest.approx(ratio_half, abs=1e-15)
    assert D.eval_over_train(0.2, convention) == pytest.approx(ratio_p02, abs=1e-15)


def test_inverted_matches_torch_dropout():
    torch.manual_seed(0)
    p, n = 0.5, 100_000
    draws = nn.functional.dropout(X.expand(n, -1), p, training=True)
    torch_mean = draws.mean(dim=0)
    ours = D.monte_carlo_mean(X, p, "inverted", n, seed=5)
    assert torch.all((torch_mean - ours).abs() <= mc_tolerance(X, p, 2.0, n, sigmas=8.0))
    # torch's kept values are exactly 2x, like ours
    vals = set(draws[:, 1].unique().tolist())
    assert vals == {0.0, -4.0}
    assert torch.equal(nn.Dropout(p).eval()(X), L.Dropout(p, "inverted").eval()(X))


def test_fraction_dropped_is_p():
    gen = torch.Generator().manual_seed(6)
    n = 400_000
    out = L.dropout(torch.ones(n, dtype=torch.float64), 0.3, "paper", True, gen)
    dropped = (out == 0).double().mean().item()
    assert abs(dropped - 0.3) <= 6 * math.sqrt(0.3 * 0.7 / n)
    assert set(out.unique().tolist()) == {0.0, 1.0}


def test_p_zero_is_identity_and_bad_arguments_fail():
    for convention in L.CONVENTIONS:
        assert torch.equal(L.dropout(X, 0.0, convention, True), X)
        assert torch.equal(L.dropout(X, 0.0, convention, False), X)
    with pytest.raises(ValueError):
        L.Dropout(1.0)
    with pytest.raises(ValueError):
        L.Dropout(0.5, "halved")


def test_set_dropout_convention_replaces_modules_and_keeps_p():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 3)))
    x = torch.randn(2, 4)
    net.eval()
    reference = net(x)
    D.set_dropout_convention(net, "note")
    inner = net[1][0]
    assert isinstance(inner, L.Dropout) and inner.p == 0.5 and inner.convention == "note"
    net.eval()
    # the Linear after the dropout now receives half its input: W (h/2) + b
    lin = net[1][1]
    h = net[0](x)
    assert torch.allclose(net(x), h @ lin.weight.T * 0.5 + lin.bias, atol=1e-6)
    assert not torch.allclose(net(x), reference)


def test_test_factor_scales_only_the_test_output():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), L.Dropout(0.5, "paper"), nn.Linear(6, 3))
    x = torch.randn(5, 4)
    half = D.with_test_factor(net, 0.5)
    assert net[2].test_factor == 1.0                      # the original is untouched
    net.eval(), half.eval()
    h = torch.relu(net[0](x))
    lin = net[3]
    # paper rule: 0.5 h at test; with factor 0.5 the next layer gets 0.25 h
    assert torch.allclose(net(x), 0.5 * h @ lin.weight.T + lin.bias, atol=1e-6)
    assert torch.allclose(half(x), 0.25 * h @ lin.weight.T + lin.bias, atol=1e-6)
    half.train()
    torch.manual_seed(1)
    a = half(x)
    torch.manual_seed(1)
    b = net.train()(x)
    assert torch.equal(a, b)                              # training is unaffected
    with pytest.raises(ValueError):
        D.with_test_factor(nn.Sequential(nn.Linear(2, 2)), 0.5)


# ---------------------------------------------------------------- what the chapter measures

@pytest.mark.parametrize("p", [0.5, 0.2])
def test_convention_check_rows_match_the_hand_table(p):
    rows = chapters_dropout.convention_check(p, units=50, samples=20_000)
    assert [r["convention"] for r in rows] == list(L.CONVENTIONS)
    for r in rows:
        kept, test = HAND[(r["convention"], p)]
        assert (r["s_train"], r["s_test"]) == pytest.approx((kept, test))
        assert r["train mean / x (analytic)"] == pytest.approx((1 - p) * kept)
        # the measured mean over 50 units * 20,000 draws: 6 standard errors of the pooled mean
        assert r["train mean / x (Monte Carlo)"] == pytest.approx((1 - p) * kept, abs=6 * kept * math.sqrt(p * (1 - p) / 20_000))
        assert r["test / train mean"] == pytest.approx(test / ((1 - p) * kept), rel=0.02)
        assert 0 < r["largest |MC - analytic| / stderr"] < 6


def test_rule_factors_by_hand():
    # paper: test x(1-p) over training mean (1-p)x = 1; note: (1-p)x over x; unscaled: x over (1-p)x
    assert list(chapters_dropout.rule_factors(0.5, 0.5).values()) == pytest.approx([1.0, 0.5, 2.0])
    assert list(chapters_dropout.rule_factors(0.2, 0.8).values()) == pytest.approx([1.0, 0.8, 1.25])
    assert list(chapters_dropout.rule_factors(0.5, 0.5)) == ["paper's rule (×0.5)", "reading note (×0.5 twice)", "not scaled at test"]


@pytest.fixture(scope="module")
def dropout_run():
    data, cfg = tiny_alexnet_setup()
    return data, sweeps.run_seeds(cfg, {"a": {}}, [0], data=data)["a"][0]


def _errors_with_scaled_next_layers(run, data, factor):
    # independent of with_test_factor: the layer after each dropout is linear, so handing on
    # factor * its input is the same as multiplying that layer's weights by factor
    net = copy.deepcopy(run.model).eval()
    layers = named_layers(net)
    for name in ("fc7", "fc8"):
        layers[name].weight.data *= factor
    ds = data.val
    xs = torch.stack([ds[i][0] for i in range(len(ds))])
    ys = torch.tensor([ds[i][1] for i in range(len(ds))])
    mean = torch.stack([data.train[i][0] for i in range(len(data.train))]).double().mean(0).float()
    with torch.no_grad():
        logits = net(xs - mean)
    return 100 * (logits.argmax(1) != ys).double().mean().item(), nn.functional.cross_entropy(logits.double(), ys).item()


def test_evaluate_with_factors_matches_scaled_next_layers(dropout_run):
    data, run = dropout_run
    factors = chapters_dropout.rule_factors(0.5, 0.5)
    errors, losses = chapters_dropout.evaluate_with_factors([run, run], factors)
    for name, factor in factors.items():
        err, loss = _errors_with_scaled_next_layers(run, data, factor)
        assert errors[name] == pytest.approx([err, err], abs=1e-9)
        assert losses[name] == pytest.approx([loss, loss], rel=1e-4)


def test_measured_eval_over_train_is_one_at_the_first_dropout_layer(dropout_run):
    _, run = dropout_run
    out = chapters_dropout.measured_eval_over_train([run], ["drop6", "drop7"], images=8, passes=400)
    assert set(out) == {"drop6", "drop7"} and all(len(v) == 1 for v in out.values())
    # drop6's input is deterministic: E[train output] = test output; the sum over 8 images x all
    # units of 400 Bernoulli(0.5) means is within a few percent of it
    assert out["drop6"][0] == pytest.approx(1.0, abs=0.05)
    assert math.isfinite(out["drop7"][0]) and out["drop7"][0] > 0


def test_eval_mode_training_error_is_logged_on_a_fixed_draw():
    """eval_train_every: every that many steps, the top-1 error in eval mode (masks off) on
    eval_train_images training images (the first of a permutation seeded by the run's seed),
    against a forward pass written out here."""
    data, cfg = tiny_alexnet_setup()                  # 48 images, batch 16: 3 steps per epoch
    cfg = cfg.replace(epochs=2, log_every=1, eval_train_every=2, eval_train_images=20, seed=3)
    result = train(cfg, data)
    steps = result.record["steps"]
    assert [s["step"] for s in steps] == [1, 2, 3, 4, 5, 6]
    assert [s["step"] for s in steps if "eval_train_top1_error" in s] == [2, 4, 6]
    last = steps[-1]
    held = torch.randperm(48, generator=torch.Generator().manual_seed(3))[:20].tolist()
    x = torch.stack([data.train[i][0] for i in held]).float() - result.mean_image
    y = torch.tensor([data.train[i][1] for i in held])
    net = copy.deepcopy(result.model).eval()
    with torch.no_grad():
        logits = net(x)
    assert last["eval_train_top1_error"] == pytest.approx((logits.argmax(1) != y).double().mean().item(), abs=1e-12)
    assert last["eval_train_loss"] == pytest.approx(nn.functional.cross_entropy(logits.double(), y).item(), rel=1e-4)
    # the engine's own training-mode numbers are untouched and differ in kind (masks on)
    assert all("train_top1_error" in s for s in steps)


def test_eval_train_every_must_be_a_multiple_of_log_every():
    _, cfg = tiny_alexnet_setup()
    with pytest.raises(ConfigError, match="multiple of log_every"):
        cfg.replace(log_every=4, eval_train_every=6)
    with pytest.raises(ConfigError, match="multiple of log_every"):
        cfg.replace(log_every=0, eval_train_every=4)
    with pytest.raises(ConfigError, match="eval_train_images"):
        cfg.replace(log_every=2, eval_train_every=4, eval_train_images=0)


def test_readings_use_the_eval_mode_curve_where_it_was_logged():
    key = "eval_train_top1_error"
    # logged every 10 steps; the eval-mode error every 20 (hand-made)
    hist = [{"step": 10, "train_top1_error": 0.9}, {"step": 20, "train_top1_error": 0.6, key: 0.5},
            {"step": 30, "train_top1_error": 0.4}, {"step": 40, "train_top1_error": 0.3, key: 0.1},
            {"step": 50, "train_top1_error": 0.2}]
    assert readings.error_curve(hist, key) == ([20, 40], [0.5, 0.1])
    assert readings.steps_to_target(hist, 0.2, key=key) == 40
    assert readings.steps_to_target(hist, 0.2) == 50
    assert readings.steps_to_target(hist, 0.3, key=key, window=2) == 40       # (0.5 + 0.1) / 2
    assert readings.horizon(hist) == 50 and readings.horizon(hist, key) == 40
    # a paired speed-up on it: seed 0 2x (40 vs 20), seed 1 never (horizon 40) vs 20: >= 2x
    fast = [{"step": 20, key: 0.05}, {"step": 40, key: 0.0}]
    runs = {"no": [{"seed": 0, "steps": fast}, {"seed": 1, "steps": fast}],
            "yes": [{"seed": 0, "steps": hist}, {"seed": 1, "steps": hist[:3]}]}
    b = readings.speedups_by_target(runs, "yes", "no", [0.2], key=key, resolution_steps=20)[0.2]
    assert b["yes_steps"] == [40, None] and b["no_steps"] == [20, 20]
    assert b["yes_horizons"] == [40, 20] and b["no_horizons"] == [40, 40]
