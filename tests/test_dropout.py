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
    at_test = D.Dropout(p, convention).eval()(X)
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


def test_test_factor_scales_only_the_test_output():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), D.Dropout(0.5, "paper"), nn.Linear(6, 3))
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


# --- experiments.evaluate_split / train_keeping (appended to experiments.py for these chapters)

@pytest.fixture(scope="module")
def tiny_run():
    from alexnet_repro import experiments as E
    from alexnet_repro.data import load_dataset
    from alexnet_repro.train import TrainConfig

    data = load_dataset("synthetic", limit=48, val_limit=24, image_size=67, seed=0, channels=1)
    cfg = TrainConfig(dataset="synthetic", image_size=67, crop_size=67, model="alexnet",
                      model_kwargs={"width": 0.0625, "init": "kaiming", "dropout": 0.5},
                      augment="none", epochs=1, batch_size=16, device="cpu", progress=False,
                      ten_crop_eval=False, schedule="fixed")
    kept = {}
    recs = E.run_seeds(cfg, {"a": {}}, [0], data=data, train_fn=E.train_keeping(kept))
    return E, cfg, data, kept, recs["a"][0]


def _reference_errors(model, data, split):
    # independent of train.evaluate: plain forward passes on (image - mean image), eval mode
    ds = getattr(data, split)
    xs = torch.stack([ds[i][0] for i in range(len(ds))])
    ys = torch.tensor([ds[i][1] for i in range(len(ds))])
    mean = torch.stack([data.train[i][0] for i in range(len(data.train))]).double().mean(0).float()
    model.eval()
    with torch.no_grad():
        logits = model(xs - mean)
    loss = nn.functional.cross_entropy(logits.double(), ys).item()
    return loss, (logits.argmax(1) != ys).double().mean().item()


def test_evaluate_split_matches_plain_forward_passes(tiny_run):
    E, cfg, data, kept, record = tiny_run
    result = kept[E.config_key(E.config_with(cfg, seed=0))]
    for split in ("train", "val"):
        ev = E.evaluate_split(result, split)
        loss, err = _reference_errors(result.model, data, split)
        assert ev["images"] == len(getattr(data, split))
        assert ev["top1_error"] == pytest.approx(err, abs=1e-9)
        assert ev["loss"] == pytest.approx(loss, rel=1e-4)
    assert record["final"]["train_eval"]["top1_error"] == pytest.approx(
        _reference_errors(result.model, data, "train")[1], abs=1e-9)
    # the engine's own validation figure agrees too
    assert record["final"]["val_top1_error"] == pytest.approx(E.evaluate_split(result, "val")["top1_error"])
    with pytest.raises(ValueError):
        E.evaluate_split(result, "test")


def test_train_mode_means_linear_after_dropout_matches_test_rule():
    from collections import OrderedDict
    torch.manual_seed(0)
    net = nn.Sequential(OrderedDict([("fc1", nn.Linear(3, 8)), ("act1", nn.ReLU()),
                                     ("drop1", D.Dropout(0.5, "paper")), ("fc2", nn.Linear(8, 2))]))
    x = torch.randn(4, 3)
    state = torch.get_rng_state()
    out = D.train_mode_means(net, x, ["drop1", "fc2"], samples=4000, seed=3)
    assert torch.equal(torch.get_rng_state(), state)         # global RNG untouched
    h = torch.relu(net[0](x)).double()
    mc_drop, ev_drop = out["drop1"]
    assert torch.allclose(ev_drop.double(), 0.5 * h, atol=1e-6)
    # E[mask * h] = 0.5 h; 6 standard errors of a Bernoulli(0.5) mean
    assert torch.all((mc_drop - 0.5 * h).abs() <= 6 * h * 0.5 / math.sqrt(4000) + 1e-6)
    # fc2 is linear: its training-mode mean equals its test output up to Monte-Carlo error
    w = net[3].weight.double()
    se = 6 * torch.sqrt((h ** 2 * 0.25) @ (w.T ** 2) / 4000) + 1e-6
    mc_fc, ev_fc = out["fc2"]
    assert torch.all((mc_fc - ev_fc.double()).abs() <= se)


def test_variant_summary_and_table_against_hand_values():
    from alexnet_repro import experiments as E
    runs = {"a": [{"v": 0.1}, {"v": 0.3}, {"v": None}], "b": [{"v": 0.2}, {"v": 0.2}, {"v": 0.5}]}
    rows = E.variant_summary(runs, {"err": lambda r: r["v"]})
    a, b = rows
    assert a["n"] == 2 and a["missing"] == 1 and a["mean"] == pytest.approx(0.2)
    assert a["std"] == pytest.approx(math.sqrt(((0.1 - 0.2) ** 2 + (0.3 - 0.2) ** 2) / 1))
    assert b["mean"] == pytest.approx(0.3) and b["std"] == pytest.approx(math.sqrt(0.03))
    html = E.summary_table(rows, scale=100, digits=1)
    assert "20.0 ± 14.1 (2 of 3)" in html and "30.0 ± 17.3" in html


def test_plot_runs_draws_median_of_seeds():
    import matplotlib
    matplotlib.use("Agg")
    from alexnet_repro import experiments as E

    def rec(errs, vals):
        return {"steps": [{"step": 10 * (i + 1), "train_top1_error": e} for i, e in enumerate(errs)],
                "history": [{"val_top1_error": v} for v in vals]}
    runs = {"x": [rec([0.9, 0.5], [0.6, 0.4]), rec([0.7, 0.1], [0.8, 0.2]), rec([0.8, 0.3], [0.7, 0.3])]}
    fig = E.plot_runs(runs, target=0.2)
    ax_t, ax_v = fig.axes
    line = ax_t.get_lines()[0]
    assert list(line.get_xdata()) == [10, 20] and list(line.get_ydata()) == pytest.approx([0.8, 0.3])
    assert list(ax_v.get_lines()[0].get_ydata()) == pytest.approx([0.7, 0.3])


def test_model_inputs_give_the_evaluated_error(tiny_run):
    E, cfg, data, kept, record = tiny_run
    result = kept[E.config_key(E.config_with(cfg, seed=0))]
    x, y = E.model_inputs(result, "val")
    result.model.eval()
    with torch.no_grad():
        err = (result.model(x).argmax(1) != y).double().mean().item()
    assert err == pytest.approx(record["final"]["val_top1_error"], abs=1e-9)
    xs, ys = E.model_inputs(result, "train", 5, seed=1)
    assert xs.shape == (5, 1, 67, 67) and len(ys) == 5


def test_lrn_share_matches_a_float64_loop_over_the_formula():
    from alexnet_repro import experiments as E
    from alexnet_repro.layers import LocalResponseNorm

    torch.manual_seed(0)
    a = torch.relu(torch.randn(2, 7, 3, 3, dtype=torch.float64) * 80)
    n, alpha, beta, k = 5, 1e-4, 0.75, 2.0
    ref = []
    N = a.shape[1]
    for b in range(2):
        for i in range(N):
            for y in range(3):
                for x in range(3):
                    if a[b, i, y, x] == 0:
                        continue
                    s = sum(a[b, j, y, x].item() ** 2 for j in range(max(0, i - n // 2), min(N - 1, i + n // 2) + 1))
                    ref.append(alpha * s / k)
    ref = torch.tensor(ref, dtype=torch.float64)
    got = E.lrn_share(LocalResponseNorm(n, alpha, beta, k), a)
    assert torch.allclose(got, ref, rtol=1e-9, atol=1e-12)
    # torch's layer divides alpha by n: its share is one n-th of the paper formula's
    got_torch = E.lrn_share(nn.LocalResponseNorm(n, alpha, beta, k), a)
    assert torch.allclose(got_torch, ref / n, rtol=1e-6, atol=1e-12)
