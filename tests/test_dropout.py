"""Dropout conventions against hand-derived float64 expectations (Monte Carlo with error bars)."""
import copy
import math

import matplotlib.pyplot as plt
import pytest
import torch
from conftest import tiny_alexnet_setup
from scipy import stats
from torch import nn

from alexnet_repro.analysis import run_metrics, sweeps
from alexnet_repro.chapters import dropout as chapter
from alexnet_repro.common.errors import ConfigError
from alexnet_repro.common.text import duration_words
from alexnet_repro.engine.config import TrainConfig
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
    rows = chapter.convention_check(p, units=50, samples=20_000)
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
    assert list(chapter.rule_factors(0.5, 0.5).values()) == pytest.approx([1.0, 0.5, 2.0])
    assert list(chapter.rule_factors(0.2, 0.8).values()) == pytest.approx([1.0, 0.8, 1.25])
    assert list(chapter.rule_factors(0.5, 0.5)) == ["paper's rule (×0.5)", "reading note (×0.5 twice)", "not scaled at test"]


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
    factors = chapter.rule_factors(0.5, 0.5)
    errors, losses = chapter.evaluate_with_factors([run, run], factors)
    for name, factor in factors.items():
        err, loss = _errors_with_scaled_next_layers(run, data, factor)
        assert errors[name] == pytest.approx([err, err], abs=1e-9)
        assert losses[name] == pytest.approx([loss, loss], rel=1e-4)


def test_measured_eval_over_train_is_one_at_the_first_dropout_layer(dropout_run):
    _, run = dropout_run
    out = chapter.measured_eval_over_train([run], ["drop6", "drop7"], images=8, passes=400)
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
    assert run_metrics.error_curve(hist, key) == ([20, 40], [0.5, 0.1])
    assert run_metrics.steps_to_target(hist, 0.2, key=key) == 40
    assert run_metrics.steps_to_target(hist, 0.2) == 50
    assert run_metrics.steps_to_target(hist, 0.3, key=key, window=2) == 40       # (0.5 + 0.1) / 2
    assert run_metrics.horizon(hist) == 50 and run_metrics.horizon(hist, key) == 40
    # a paired speed-up on it: seed 0 2x (40 vs 20), seed 1 never (horizon 40) vs 20: >= 2x
    fast = [{"step": 20, key: 0.05}, {"step": 40, key: 0.0}]
    runs = {"no": [{"seed": 0, "steps": fast}, {"seed": 1, "steps": fast}],
            "yes": [{"seed": 0, "steps": hist}, {"seed": 1, "steps": hist[:3]}]}
    b = run_metrics.speedups_by_target(runs, "yes", "no", [0.2], key=key, resolution_steps=20)[0.2]
    assert b["yes_steps"] == [40, None] and b["no_steps"] == [20, 20]
    assert b["yes_horizons"] == [40, 20] and b["no_horizons"] == [40, 40]


# ---------------------------------------------------------------- the chapter's plumbing (chapters/dropout.py)

YES = "dropout p = 0.5"
E = "eval_train_top1_error"


def _config(**changes):
    kw = dict(dataset="fashion-mnist", limit=100, val_limit=100, image_size=67, crop_size=67, model="alexnet",
              model_kwargs={"width": 0.0625, "init": "kaiming"}, augment="none", epochs=2, batch_size=32,
              lr=0.01, log_every=2, eval_train_every=2, eval_train_images=50, profile="ci", device="cpu")
    return TrainConfig(**{**kw, **changes})


def _record(seed, val, train_eval, steps=()):
    return {"seed": seed, "wall_time_s": 1.0 + seed, "steps": list(steps),
            "dataset": {"name": "fashion-mnist", "train_images": 100, "val_images": 100, "crop_size": 67},
            "model": {"parameters": 88022},
            "final": {"steps": 8, "val_top1_error": val, "val_loss": 2.0 + val,
                      "train_eval": {"top1_error": train_eval, "loss": 1.0 + train_eval}}}


def _curve(*points):
    return [{"step": s, "train_top1_error": 0.99, E: e} for s, e in points]


def _fake_runs():
    # gaps (points): no dropout 20, 25; dropout 8, 10. Validation errors 30/40 vs 28/35.
    # eval-mode curves every 2 steps: no dropout reaches 0.3 at step 4 (both seeds); with dropout
    # seed 0 at step 8, seed 1 at step 6
    no = [_record(0, 0.30, 0.10, _curve((2, 0.6), (4, 0.3), (6, 0.2), (8, 0.1))),
          _record(1, 0.40, 0.15, _curve((2, 0.5), (4, 0.25), (6, 0.2), (8, 0.1)))]
    yes = [_record(0, 0.28, 0.20, _curve((2, 0.9), (4, 0.6), (6, 0.4), (8, 0.3))),
           _record(1, 0.35, 0.25, _curve((2, 0.8), (4, 0.5), (6, 0.3), (8, 0.2)))]
    return {chapter.NO: no, YES: yes}


def test_paper_facts_are_section_4_2s():
    f = chapter.paper_facts()
    assert (f["p"], f["keep"], f["test_scale"], f["layers"], f["factor"]) == (0.5, 0.5, 0.5, "fc6 and fc7", 2.0)
    assert f["note_says"].startswith("y = x/p with probability p")


def _rows(zs, ratios=(1.0, 1.0, 0.5, 2.0)):
    return [{"convention": c, "s_train": 1.0, "largest |MC - analytic| / stderr": z, "test / train mean": r}
            for c, z, r in zip(("paper", "inverted", "note", "unscaled"), zs, ratios)]


@pytest.mark.parametrize("p, note, unscaled", [(0.5, 0.5, 2.0), (0.2, 0.8, 1.25)])
def test_conventions_glue_by_hand(p, note, unscaled):
    g = chapter.conventions_glue(_rows([1.0, 2.5, 0.3, 5.9]), p, units=10, samples=20)
    assert g["mc_maxz"] == 5.9 and g["mc_max_allowed"] == 6 and (g["mc_units"], g["mc_samples"]) == (10, 20)
    assert (g["ratio_paper"], g["ratio_inverted"], g["ratio_note"], g["ratio_unscaled"]) == (1.0, 1.0, 0.5, 2.0)
    assert g["note_exact"] == pytest.approx(note, abs=1e-15) and g["unscaled_exact"] == pytest.approx(unscaled, abs=1e-15)


def test_conventions_glue_stops_at_six_standard_errors():
    with pytest.raises(ValueError, match="6.0 standard errors"):
        chapter.conventions_glue(_rows([1.0, 6.0, 0.3, 0.1]), 0.5, units=10, samples=20)
    with pytest.raises(ValueError, match="3.5 standard errors"):
        chapter.conventions_glue(_rows([1.0, 3.5, 0.3, 0.1]), 0.5, units=10, samples=20, max_allowed=3)


def test_conventions_table_has_one_row_per_convention_at_4_digits():
    html = chapter.conventions_table(_rows([1 / 3, 2.0, 0.3, 0.1]))
    assert html.count("<tr") == 5                     # header and 4 conventions
    assert "0.3333<" in html and "0.33333" not in html
    assert "largest |MC - analytic| / stderr" in html


def test_variants_differ_only_in_the_dropout_probability():
    v = chapter.variants(0.5)
    assert v == {"no dropout (p = 0)": {"model_kwargs": {"dropout": 0.0}}, YES: {"model_kwargs": {"dropout": 0.5}}}
    assert chapter.dropout_label(0.25) == "dropout p = 0.25"


def test_train_both_trains_the_two_arms_on_shared_seeds():
    data, cfg = tiny_alexnet_setup()
    runs, seconds = chapter.train_both(cfg, 0.5, [0], data=data)
    assert list(runs) == [chapter.NO, YES] and seconds > 0
    for name, p in ((chapter.NO, 0.0), (YES, 0.5)):
        (run,) = runs[name]
        assert run.seed == 0 and "train_eval" in run["final"]          # the training split evaluated
        assert named_layers(run.model)["drop6"].p == p and named_layers(run.model)["drop7"].p == p
        assert named_layers(run.model)["fc6"].weight.shape == (256, 16)  # width 0.0625 kept: 4096/16, 256/16


def test_experiment_glue_by_hand():
    runs = _fake_runs()
    g = chapter.experiment_glue(_config(), runs, 12.5, window=2, target=0.25)
    assert g["images_seen"] == 2 * 2 * 100 * 2          # seeds x arms x images x epochs
    assert (g["dataset"], g["train_images"], g["val_images"], g["crop"], g["params"], g["steps"]) == \
        ("fashion-mnist", 100, 100, 67, 88022, 8)
    assert (g["width"], g["epochs"], g["batch"], g["lr"], g["init"], g["n_seeds"]) == (0.0625, 2, 32, 0.01, "kaiming", 2)
    assert (g["n_seeds_text"], g["window_points"], g["eval_every_text"]) == ("2 seeds", "2 points", "2 steps")
    assert g["init_text"] == "He initialisation"
    assert chapter.experiment_glue(_config(), runs, 1.0, window=1, target=0.25)["window_points"] == "1 point"
    assert (g["train_seconds"], g["window"], g["eval_every"], g["eval_images"], g["target_pct"]) == (12.5, 2, 2, 50, 25.0)
    assert math.isnan(chapter.experiment_glue(_config(limit=None), runs, 1.0, window=1, target=0.25)["images_seen"])


def test_curves_figure_title_and_summary_table():
    runs = {k: [{**r, "history": [{"epoch": 1, "val_top1_error": r["final"]["val_top1_error"]}]} for r in v]
            for k, v in _fake_runs().items()}
    fig = chapter.curves_figure(runs, _config(), window=1, target=0.25)
    assert fig._suptitle.get_text().startswith("AlexNet, width 0.0625, fashion-mnist")
    plt.close(fig)
    html = chapter.summary_html(_fake_runs())
    # validation error without dropout: mean of 30 and 40, sample std 7.07; gap with dropout 8 and 10
    assert "35.00 ± 7.07" in html and "9.00 ± 1.41" in html


def test_overfitting_by_hand():
    over = chapter.overfitting(_fake_runs(), 0.5)
    assert over["gap_no"] == pytest.approx([20, 25]) and over["gap_yes"] == pytest.approx([8, 10])
    assert over["effects"] == pytest.approx([12, 15]) and over["val_diff"] == pytest.approx([2, 5])
    half = stats.t.ppf(0.975, 1) * math.sqrt(4.5) / math.sqrt(2)      # sd of (2, 5) is sqrt(4.5)
    ci = over["val_ci"]
    assert (ci["mean"], ci["lo"], ci["hi"]) == pytest.approx((3.5, 3.5 - half, 3.5 + half))


def test_overfitting_glue_by_hand(dropout_run):
    _, run = dropout_run
    over = {"gap_no": [20.0, 25.0], "gap_yes": [8.0, 10.0], "val_ci": {"mean": 3.5, "lo": -1.0, "hi": 8.0}}
    g = chapter.overfitting_glue(over, {chapter.NO: [run]})
    assert (g["gap_no"], g["gap_yes"], g["val_diff"], g["val_lo"], g["val_hi"]) == (22.5, 9.0, 3.5, -1.0, 8.0)
    # the paper's network, one tower: conv1..conv5, fc6 (256*6*6 -> 4096), fc7, fc8, weights + biases
    convs = [(96, 3, 11), (256, 96, 5), (384, 256, 3), (384, 384, 3), (256, 384, 3)]
    fcs = [(4096, 9216), (4096, 4096), (1000, 4096)]
    total = sum(o * i * k * k + o for o, i, k in convs) + sum(o * i + o for o, i in fcs)
    assert g["fc_share_paper"] == pytest.approx(100 * (4096 * 9216 + 4096 + 4096 * 4096 + 4096) / total)
    # here, at 67 px, width 0.0625: conv1 15 -> pool 7 -> conv2 7 -> pool 3 -> pool5 1 pixel; fc6 16 -> 256
    assert g["side"] == 1 and g["side_text"] == "1 pixel"
    here = sum(t.numel() for t in run.model.parameters())
    assert g["fc_share_here"] == pytest.approx(100 * (16 * 256 + 256 + 256 * 256 + 256) / here)


def test_iterations_by_hand():
    it = chapter.iterations(_fake_runs(), 0.5, target=0.3, targets=[0.3, 0.2], window=1, resolution_steps=2)
    assert it["steps_yes"] == [8, 6] and it["steps_no"] == [4, 4]
    assert it["ends_yes"] == [8, 8] and it["ends_no"] == [8, 8]
    assert list(it["by_target"]) == [0.3, 0.2]
    assert it["by_target"][0.2][f"{YES}_steps"] == [None, 8]       # seed 0 never gets to 0.2
    # trailing mean of 2: dropout seed 0 (0.4 + 0.3) / 2 = 0.35 never <= 0.3; seed 1 (0.3 + 0.2) / 2 at 8
    it2 = chapter.iterations(_fake_runs(), 0.5, target=0.3, targets=[0.3], window=2, resolution_steps=2)
    assert it2["steps_yes"] == [None, 8] and it2["steps_no"] == [6, 6]   # (0.6+0.3)/2 = 0.45, (0.3+0.2)/2 = 0.25
    html = chapter.speedup_html(it["by_target"], 0.5, judged_at=0.3)
    assert "p = 0.5" in html and "p = 0" in html


def test_rule_readings_match_scaled_next_layers(dropout_run):
    data, run = dropout_run
    rule = chapter.rule_readings({chapter.NO: [], YES: [run]}, 0.5, 0.5, images=8, passes=50)
    assert list(rule["factors"].values()) == [1.0, 0.5, 2.0]
    ref = {f: _errors_with_scaled_next_layers(run, data, f) for f in (1.0, 0.5, 2.0)}
    for (name, f) in rule["factors"].items():       # error (%) and loss, each factor its own column
        assert rule["errors"][name] == pytest.approx([ref[f][0]], abs=1e-9)
        assert rule["losses"][name] == pytest.approx([ref[f][1]], rel=1e-4)
    assert rule["effects"] == pytest.approx([ref[2.0][0] - ref[1.0][0]], abs=1e-9)
    assert set(rule["expect"]) == {"drop6", "drop7"} and rule["expect"]["drop6"][0] == pytest.approx(1.0, abs=0.1)


def _rule():
    names = ["paper's rule (×0.5)", "reading note (×0.5 twice)", "not scaled at test"]
    return {"factors": dict(zip(names, (1.0, 0.5, 2.0))),
            "errors": dict(zip(names, ([10.0, 11.0], [20.0, 30.0], [12.0, 12.0]))),
            "losses": dict(zip(names, ([1.0, 2.0], [0.5, 1.0], [3.0, 3.0]))),
            "expect": {"drop6": [1.0, 0.98], "drop7": [0.7, 0.8]},
            "effects": [2.0, 1.0]}                      # not scaled minus the rule: 12 - 10, 12 - 11


def test_temperature_sentence_only_when_double_scaling_lowers_the_loss():
    assert chapter.temperature_sentence(1.0, 1.5).startswith("Halving twice gives a lower cross-entropy")
    assert chapter.temperature_sentence(1.5, 1.0) == ""
    assert chapter.temperature_sentence(1.0, 1.0) == ""


def test_rule_glue_and_table_by_hand():
    g = chapter.rule_glue(_rule(), images=16, passes=3)
    assert (g["err_paper"], g["err_note"], g["err_unscaled"]) == (10.5, 25.0, 12.0)
    assert (g["loss_paper"], g["loss_note"], g["loss_unscaled"]) == (1.5, 0.75, 3.0)
    assert g["temperature"] != "" and (g["mc_images"], g["mc_passes"]) == (16, 3)
    assert (g["exp6"], g["exp7"]) == pytest.approx((0.99, 0.75))
    html = chapter.rule_html(_rule(), 0.5)
    assert "networks trained with dropout p = 0.5" in html
    assert "10.50 ± 0.71 (2 seeds)" in html and "0.750 ± 0.354 (2 seeds)" in html


def test_claims_settings_values_and_glue_by_hand():
    runs, cfg = _fake_runs(), _config()
    over = chapter.overfitting(runs, 0.5)
    iters = chapter.iterations(runs, 0.5, target=0.3, targets=[0.3], window=1, resolution_steps=2)
    rows = chapter.claims(cfg, runs, over, iters, _rule(), target=0.3, window=1)
    assert [r["key"] for r in rows] == ["dropout_overfitting", "dropout_iterations", "dropout_test_scale"]
    plain = ("ci profile: AlexNet width 0.0625, init kaiming; fashion-mnist, 100 training / 100 validation "
             "images (drawn per seed) at 67 px; 2 epochs, lr 0.01; 2 seeds")
    assert rows[0]["setting"] == plain == rows[2]["setting"]
    assert rows[1]["setting"] == plain.replace("lr 0.01;", "lr 0.01, target 30% training error (evaluation mode);")
    assert rows[0]["effects"] == pytest.approx([12, 15])
    assert rows[1]["effects"] == pytest.approx([math.log(2), math.log(1.5)])   # 8/4, 6/4
    assert rows[2]["effects"] == pytest.approx([2.0, 1.0])
    assert rows[2]["values"]["test_over_train_mean"] == {"drop6": [1.0, 0.98], "drop7": [0.7, 0.8]}
    assert {k: rows[1]["values"][k] for k in ("target", "window", "key", "eval_train_images", "slow_steps")} == \
        {"target": 0.3, "window": 1, "key": E, "eval_train_images": 50, "slow_steps": [8, 6]}
    g = chapter.claims_glue(rows)
    assert [g[f"{k}_outcome"] for k in ("over", "iter", "scale")] == [r["outcome"] for r in rows]
    # two seeds (effects 12, 15): too few for an interval, the mean only
    assert g["over_text"].startswith("13.5 from 2 seeds (no interval; ")
    # "roughly doubles": 2 divided and multiplied by 4/3
    assert "no paper value" in g["over_text"] and "paper 1.50× to 2.67×" in g["iter_text"]
    assert g["design"].startswith("With 2 seeds, this design detects, with 80% power at the 95% level, ")
    assert "dropout_" not in g["design"] and "(the paper: 2.00×)" in g["design"]
    record = chapter.dropout_record("ci", rows, runs, conventions=_rows([1, 2, 3, 4]), base=cfg, seeds=(0, 1),
                                    by_target=iters["by_target"], seconds=7.0)
    assert list(record) == ["kind", "format", "chapter", "profile", "claims", "runs", "conventions", "config", "seeds",
                            "speedups", "chapter_seconds", "provenance"]
    assert (record["chapter"], record["profile"], record["seeds"], record["chapter_seconds"]) == ("dropout", "ci", [0, 1], 7.0)
    assert record["runs"][YES][1] == {"seed": 1, "final": runs[YES][1]["final"], "wall_time_s": 2.0}
    assert list(record["speedups"]) == ["0.3"] and record["config"]["limit"] == 100


def _row(key, unit, mde, n=5, ci=(1.0, 3.0), paper=None):
    return {"key": key, "unit": unit, "mde": mde, "n": n, "ci": list(ci), "paper_effect": paper}


def test_design_text_names_each_effect_in_words():
    rows = [_row("dropout_overfitting", "points", 3.14), _row("dropout_iterations", "log ratio", math.log(1.5),
                                                              paper=math.log(2.0)),
            _row("dropout_test_scale", "points", None, n=1)]
    assert chapter.design_text(rows) == (
        "With 5 seeds, this design detects, with 80% power at the 95% level, a narrowing of the overfitting gap "
        "of at least 3.1 points, a factor in the steps to converge of at least 1.50× (the paper: 2.00×) and a "
        "cost in error of skipping the test-time scaling of at least n/a.")
    # an interval [-0.05, 2.05] ends 0.05 / 1.05 of its half-width from zero: on the line
    near = chapter.design_text([_row("dropout_overfitting", "points", 2.0, n=1, ci=(-0.05, 2.05))])
    assert near.startswith("With 1 seed,") and "On the line: the interval of “Dropout curbs overfitting”" in near
    assert "On the line" not in chapter.design_text(rows)


def test_answer_html_and_try_glue_in_words():
    row = {**_row("dropout_overfitting", "points", 3.0), "estimate": 12.0, "ci": [9.0, 15.0], "n_censored": 0,
           "outcome": "same direction", "paper": "no number", "source": "paper §4.2",
           "statement": "Without dropout, the network exhibits substantial overfitting.", "setting": "ci; x"}
    block = chapter.answer_html([row], _config(), _fake_runs())
    assert "Same direction: +12.0 points (95% interval +9.0 to +15.0), 5 seeds" in block
    assert ("at ci profile: AlexNet at width 0.0625, He initialisation; Fashion-MNIST, 100 training and 100 "
            "validation images per seed at 67 px; the paper: no number.") in block
    assert chapter.reader_setting(_config(model_kwargs={"width": 1.0, "init": "paper"}), _fake_runs()).startswith(
        "ci profile: AlexNet at width 1, the paper's initialisation;")
    assert "Dropout curbs overfitting" in block and "dropout_overfitting" not in block
    record = {"chapter_seconds": 150.0, "config": {"limit": 500}}
    assert chapter.try_glue(record, limit=1000) == {"try_same": "about 2 minutes", "try_limit": "about 5 minutes"}
    assert chapter.try_glue({"chapter_seconds": 20.0, "config": {"limit": 100}}, limit=1000) == {
        "try_same": "under a minute", "try_limit": "about 3 minutes"}
    assert [duration_words(s) for s in (59, 61, 95 * 60)] == ["under a minute", "about 1 minute", "about 1.6 hours"]
