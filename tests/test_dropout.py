"""Dropout conventions against hand-derived float64 expectations (Monte Carlo with error bars)."""
import math

import pytest
import torch
from torch import nn

from alexnet_repro import dropout as D

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
    module = D.Dropout(p, convention).eval()
    assert torch.allclose(module(X), X * test, rtol=0, atol=1e-15)


@pytest.mark.parametrize("p", [0.5, 0.2])
def test_paper_and_inverted_agree_between_training_and_test(p):
    for convention in ("paper", "inverted"):
        mc = D.monte_carlo_mean(X, p, convention, SAMPLES, seed=2)
        at_test = D.Dropout(p, convention).eval()(X)
        kept = HAND[(convention, p)][0]
        assert torch.all((mc - at_test).abs() <= mc_tolerance(X, p, kept))
        assert D.eval_over_train(p, convention) == pytest.approx(1.0, abs=1e-15)


def test_reading_note_mix_halves_test_outputs_at_p_one_half():
    # note: training keeps x/(1-p) = 2x with probability 1/2 -> mean x; test multiplies by 0.5
    p = 0.5
    mc = D.monte_carlo_mean(X, p, "note", SAMPLES, seed=3)
    at_test = D.Dropout(p, "note").eval()(X)
    nz = X != 0
    ratio = at_test[nz] / mc[nz]
    assert torch.allclose(ratio, torch.full_like(ratio, 0.5), rtol=0.02)
    assert D.eval_over_train(p, "note") == pytest.approx(0.5, abs=1e-15)
    # general p: test / train = 1 - p (the keep probability)
    assert D.eval_over_train(0.2, "note") == pytest.approx(0.8, abs=1e-15)


def test_opposite_mix_doubles_test_outputs_at_p_one_half():
    p = 0.5
    mc = D.monte_carlo_mean(X, p, "unscaled", SAMPLES, seed=4)
    at_test = D.Dropout(p, "unscaled").eval()(X)
    nz = X != 0
    ratio = at_test[nz] / mc[nz]
    assert torch.allclose(ratio, torch.full_like(ratio, 2.0), rtol=0.02)
    assert D.eval_over_train(p, "unscaled") == pytest.approx(2.0, abs=1e-15)
    assert D.eval_over_train(0.2, "unscaled") == pytest.approx(1.25, abs=1e-15)


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
    assert torch.equal(nn.Dropout(p).eval()(X), D.Dropout(p, "inverted").eval()(X))


def test_fraction_dropped_is_p():
    gen = torch.Generator().manual_seed(6)
    n = 400_000
    out = D.dropout(torch.ones(n, dtype=torch.float64), 0.3, "paper", True, gen)
    dropped = (out == 0).double().mean().item()
    assert abs(dropped - 0.3) <= 6 * math.sqrt(0.3 * 0.7 / n)
    assert set(out.unique().tolist()) == {0.0, 1.0}


def test_p_zero_is_identity_and_bad_arguments_fail():
    for convention in D.CONVENTIONS:
        assert torch.equal(D.dropout(X, 0.0, convention, True), X)
        assert torch.equal(D.dropout(X, 0.0, convention, False), X)
    with pytest.raises(ValueError):
        D.Dropout(1.0)
    with pytest.raises(ValueError):
        D.Dropout(0.5, "halved")


def test_set_dropout_convention_replaces_modules_and_keeps_p():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 3)))
    x = torch.randn(2, 4)
    net.eval()
    reference = net(x)
    D.set_dropout_convention(net, "note")
    inner = net[1][0]
    assert isinstance(inner, D.Dropout) and inner.p == 0.5 and inner.convention == "note"
    net.eval()
    # the Linear after the dropout now receives half its input: W (h/2) + b
    lin = net[1][1]
    h = net[0](x)
    assert torch.allclose(net(x), h @ lin.weight.T * 0.5 + lin.bias, atol=1e-6)
    assert not torch.allclose(net(x), reference)
