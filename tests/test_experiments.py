"""Tests of alexnet_repro.analysis.sweeps and alexnet_repro.analysis.judging on hand-built histories and a fake training function
(plus one tiny real run through the engine when it is importable)."""
from __future__ import annotations

import dataclasses
import math

import pytest

from alexnet_repro.analysis import judging, probes, run_metrics, sweeps
from alexnet_repro.common.errors import TrainingDiverged
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.nn.model import build_model
from alexnet_repro.viz import plots

# ----------------------------------------------------------------------------- steps to target

def hist(errors, every=10):
    return [{"step": every * (i + 1), "epoch": 0, "train_loss": 0.0, "train_top1_error": e}
            for i, e in enumerate(errors)]


def test_steps_to_target_first_crossing_inclusive():
    h = hist([0.9, 0.6, 0.4, 0.25, 0.3, 0.2])
    assert run_metrics.steps_to_target(h, 0.5) == 30
    assert run_metrics.steps_to_target(h, 0.25) == 40      # <= counts
    assert run_metrics.steps_to_target(h, 0.2) == 60
    assert run_metrics.steps_to_target(h, 0.1) is None     # censored
    assert run_metrics.horizon(h) == 60
    assert run_metrics.horizon([]) is None
    assert run_metrics.steps_to_target([], 0.5) is None


def test_steps_to_target_sorts_and_treats_nan_as_not_reached():
    h = hist([0.9, float("nan"), 0.3])
    assert run_metrics.steps_to_target(list(reversed(h)), 0.5) == 30
    assert run_metrics.steps_to_target(h, 0.95) == 10
    h2 = hist([0.9, None, 0.95])
    assert run_metrics.steps_to_target(h2, 0.99) == 10
    assert run_metrics.error_curve(h2)[1] == [0.9, 1.0, 0.95]


def test_steps_to_target_window_ignores_a_single_noisy_dip():
    h = hist([0.8, 0.2, 0.8, 0.4, 0.3, 0.2])
    assert run_metrics.steps_to_target(h, 0.3) == 20                  # raw: the dip counts
    # trailing means over 3: 0.8, 0.5, 0.6, 0.4667, 0.5, 0.3
    steps, errs = run_metrics.error_curve(h, window=3)
    assert errs == pytest.approx([0.8, 0.5, 0.6, 1.4 / 3, 0.5, 0.3])
    assert run_metrics.steps_to_target(h, 0.3, window=3) == 60
    with pytest.raises(ValueError):
        run_metrics.error_curve(h, window=0)


# ----------------------------------------------------------------------------- speed-up

# ----------------------------------------------------------------------------- running (fake engine)

@dataclasses.dataclass
class FakeConfig:
    dataset: str = "synthetic"
    model_kwargs: dict = dataclasses.field(default_factory=lambda: {"activation": "relu", "width": 1.0})
    lr: float = 0.01
    seed: int = 0
    progress: bool = False


class FakeResult:
    def __init__(self, record):
        self.record = record


def fake_train_factory(calls):
    """Error after step t: max(floor, 0.9 * exp(-speed * t)), speed = lr * gain, diverging
    (error stuck at 0.9) above lr_max, loss blowing up above 4 lr_max. relu: gain 2, lr_max 0.1;
    tanh: gain 1, lr_max 0.05."""
    def train(cfg, data=None):
        calls.append(cfg)
        act = cfg.model_kwargs["activation"]
        gain, lr_max = (2.0, 0.1) if act == "relu" else (1.0, 0.05)
        if cfg.lr > 4 * lr_max:
            raise TrainingDiverged(f"loss nan at lr {cfg.lr}")
        speed = 0.0 if cfg.lr > lr_max else cfg.lr * gain
        steps = [{"step": t, "epoch": 0, "train_loss": 0.0,
                  "train_top1_error": max(0.05, 0.9 * math.exp(-speed * t)) + 0.001 * cfg.seed}
                 for t in range(10, 1001, 10)]
        return FakeResult({"kind": "training", "config": dataclasses.asdict(cfg), "steps": steps,
                           "seed": cfg.seed})
    return train


def test_config_with_merges_model_kwargs_and_rejects_unknown():
    base = FakeConfig()
    c = sweeps.config_with(base, {"model_kwargs": {"activation": "tanh"}}, lr=0.1)
    assert c.model_kwargs == {"activation": "tanh", "width": 1.0} and c.lr == 0.1
    assert base.model_kwargs == {"activation": "relu", "width": 1.0}   # base untouched
    with pytest.raises(ValueError, match="learning_rate"):
        sweeps.config_with(base, {"learning_rate": 0.1})


def test_run_seeds_runs_every_variant_and_seed_and_caches():
    calls = []
    train = fake_train_factory(calls)
    variants = {"relu": {"model_kwargs": {"activation": "relu"}},
                "tanh": {"model_kwargs": {"activation": "tanh"}}}
    cache = {}
    out = sweeps.run_seeds(FakeConfig(), variants, [0, 1, 2], train_fn=train, cache=cache)
    assert list(out) == ["relu", "tanh"]
    assert [r["seed"] for r in out["tanh"]] == [0, 1, 2]
    assert {r["variant"] for r in out["relu"]} == {"relu"}
    assert [(c.model_kwargs["activation"], c.seed) for c in calls] == [
        ("relu", 0), ("relu", 1), ("relu", 2), ("tanh", 0), ("tanh", 1), ("tanh", 2)]
    # the same runs again come from the cache; a new seed trains once more
    sweeps.run_seeds(FakeConfig(), variants, [0, 1, 2, 3], train_fn=train, cache=cache)
    assert len(calls) == 8
    with pytest.raises(ValueError, match="seed"):
        sweeps.run_seeds(FakeConfig(), variants, [], train_fn=train)


def test_lr_sweep_picks_each_variants_fastest_and_fake_speedup_is_recovered():
    calls = []
    train = fake_train_factory(calls)
    variants = {"relu": {"model_kwargs": {"activation": "relu"}},
                "tanh": {"model_kwargs": {"activation": "tanh"}}}
    lrs = [0.001, 0.01, 0.04, 0.08, 0.3]
    sw = sweeps.lr_sweep(FakeConfig(), lrs, variants, target_error=0.25, seeds=[7], train_fn=train)
    # relu stalls above 0.1 -> fastest is 0.08; tanh above 0.05 -> 0.04
    assert sw["relu"]["best_lr"] == 0.08 and sw["tanh"]["best_lr"] == 0.04
    row = {r["lr"]: r for r in sw["tanh"]["table"]}
    assert row[0.08]["steps_to_target"] is None and row[0.08]["reached"] == 0
    assert row[0.3]["diverged"] == 1 and row[0.3]["mean_error"] == 1.0 and row[0.08]["diverged"] == 0
    assert sw["tanh"]["records"][0.3][0]["diverged"] is True
    # outside a sweep a diverging run raises
    with pytest.raises(TrainingDiverged):
        sweeps.run_seeds(FakeConfig(), {"tanh": {**variants["tanh"], "lr": 0.3}}, [0], train_fn=train)
    # at their best lrs: speed relu 0.16, tanh 0.04 -> time to 0.25 is ln(0.9/0.25)/speed,
    # rounded up to the logging grid of 10 steps
    t = lambda speed: 10 * math.ceil(math.log(0.9 / 0.25) / speed / 10)
    best = sweeps.run_seeds(FakeConfig(), {"relu": {**variants["relu"], "lr": 0.08},
                                       "tanh": {**variants["tanh"], "lr": 0.04}},
                        [0, 1], train_fn=train)
    slow = [run_metrics.steps_to_target(r["steps"], 0.25) for r in best["tanh"]]
    fast = [run_metrics.steps_to_target(r["steps"], 0.25) for r in best["relu"]]
    assert slow == [t(0.04)] * 2 and fast == [t(0.16)] * 2
    assert slow[0] / fast[0] == pytest.approx(4.0, rel=0.3)      # speeds 0.16 / 0.04, on a grid of 10


def test_lr_sweep_without_any_crossing_prefers_lower_error():
    calls = []
    train = fake_train_factory(calls)
    sw = sweeps.lr_sweep(FakeConfig(), [0.0001, 0.0002], {"tanh": {"model_kwargs": {"activation": "tanh"}}},
                     target_error=0.01, train_fn=train)
    assert sw["tanh"]["best_lr"] == 0.0002
    assert all(r["steps_to_target"] is None for r in sw["tanh"]["table"])


# ----------------------------------------------------------------------------- gradients

def test_layer_grad_norms_match_backward():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = build_model("small_cnn", activation="tanh", in_channels=1, input_size=12, width=0.25,
                        init="kaiming")
    x, y = torch.rand(6, 1, 12, 12), torch.randint(0, 10, (6,))
    norms = probes.layer_grad_norms(model, x, y)
    assert list(norms) == ["conv1", "conv2", "conv3", "fc4"]
    assert all(p.grad is None for p in model.parameters())       # nothing left behind
    torch.nn.functional.cross_entropy(model(x), y).backward()
    for name in norms:
        g = getattr(model.features if name != "fc4" else model.classifier, name).weight.grad
        assert norms[name] == pytest.approx(math.sqrt(float((g.double() ** 2).sum())), rel=1e-5)


# ----------------------------------------------------------------------------- claims

def test_format_pm():
    assert judging.format_pm(3.14159, 0.5, 3, unit="×") == "3.14 ± 0.50× (3 seeds)"
    assert judging.format_pm(3.14159, None, 1) == "3.14 (1 seed, spread unknown)"
    assert judging.format_pm(None, None) == "n/a"
    assert judging.format_pm(0.1234, 0.01, digits=3) == "0.123 ± 0.010"


def test_run_seeds_and_lr_sweep_through_the_real_engine():
    """A few tiny runs of the one engine: the variant's overrides reach the model, seeds reach
    the record, and a learning rate whose loss blows up is recorded as diverged in a sweep."""
    pytest.importorskip("torch")
    data = load_dataset("synthetic", limit=64, val_limit=32, image_size=16, channels=1, seed=0)
    base = TrainConfig(dataset="synthetic", crop_size=16, model="small_cnn",
                       model_kwargs={"width": 0.25, "init": "kaiming"}, augment="none", epochs=1,
                       batch_size=32, lr=0.01, weight_decay=0.0, schedule="fixed", log_every=1,
                       ten_crop_eval=False, progress=False, device="cpu")
    variants = {"relu": {"model_kwargs": {"activation": "relu"}},
                "tanh": {"model_kwargs": {"activation": "tanh"}}}
    cache = {}
    runs = sweeps.run_seeds(base, variants, [0, 1], data=data, cache=cache)
    for v in variants:
        assert [r["model"]["activation"] for r in runs[v]] == [v, v]
        assert [r["config"]["seed"] for r in runs[v]] == [0, 1]
        assert [s["step"] for s in runs[v][0]["steps"]] == [1, 2]
        assert runs[v][0]["config"]["model_kwargs"]["width"] == 0.25
    assert len(cache) == 4
    sw = sweeps.lr_sweep(base, [0.01, 1e12], {"relu": variants["relu"]}, target_error=0.0, data=data)
    row = {r["lr"]: r for r in sw["relu"]["table"]}
    assert row[1e12]["diverged"] == 1 and row[0.01]["diverged"] == 0
    assert sw["relu"]["best_lr"] == 0.01


# ----------------------------------------------------------------------------- summaries and figures

def test_variant_summary_and_table_against_hand_values():
    runs = {"a": [{"v": 0.1}, {"v": 0.3}, {"v": None}], "b": [{"v": 0.2}, {"v": 0.2}, {"v": 0.5}]}
    rows = run_metrics.variant_summary(runs, {"err": lambda r: r["v"]})
    a, b = rows
    assert a["n"] == 2 and a["missing"] == 1 and a["mean"] == pytest.approx(0.2)
    assert a["std"] == pytest.approx(math.sqrt(((0.1 - 0.2) ** 2 + (0.3 - 0.2) ** 2) / 1))
    assert b["mean"] == pytest.approx(0.3) and b["std"] == pytest.approx(math.sqrt(0.03))
    html = run_metrics.summary_table(rows, scale=100, digits=1)
    assert "20.0 ± 14.1 (2 of 3)" in html and "30.0 ± 17.3" in html


def test_plot_runs_draws_median_of_seeds():
    import matplotlib
    matplotlib.use("Agg")

    def rec(errs, vals):
        return {"steps": [{"step": 10 * (i + 1), "train_top1_error": e} for i, e in enumerate(errs)],
                "history": [{"val_top1_error": v} for v in vals]}
    runs = {"x": [rec([0.9, 0.5], [0.6, 0.4]), rec([0.7, 0.1], [0.8, 0.2]), rec([0.8, 0.3], [0.7, 0.3])]}
    fig = plots.plot_runs(runs, target=0.2)
    ax_t, ax_v = fig.axes
    line = ax_t.get_lines()[0]
    assert list(line.get_xdata()) == [10, 20] and list(line.get_ydata()) == pytest.approx([0.8, 0.3])
    assert list(ax_v.get_lines()[0].get_ydata()) == pytest.approx([0.7, 0.3])


def test_chapter_figures_draw_the_numbers_they_are_given():
    import matplotlib
    matplotlib.use("Agg")

    def rec(errs):
        return {"steps": [{"step": 10 * (i + 1), "train_top1_error": e} for i, e in enumerate(errs)],
                "history": [{"epoch": i + 1, "train_top1_error": e, "val_top1_error": e / 2}
                            for i, e in enumerate(errs)]}
    runs = {"relu": [rec([0.9, 0.5]), rec([0.7, 0.1]), rec([0.8, 0.3])], "tanh": [rec([0.9, 0.8])] * 3}
    fig = plots.plot_seed_curves(runs, {"relu": 0.01, "tanh": 0.02}, [0.5, 0.25], 0.25, 10, 1, "t")
    median = [ln for ln in fig.axes[0].get_lines() if ln.get_label().startswith("relu")][0]
    assert list(median.get_xdata()) == [1.0, 2.0] and list(median.get_ydata()) == pytest.approx([0.8, 0.3])
    # a run that stopped early: its own line is as long as it ran, the median stops with it
    stopped = {"relu": [rec([0.9, 0.5, 0.2]), rec([0.7, 0.1]), rec([0.8, 0.3, 0.25])], "tanh": runs["tanh"]}
    fig = plots.plot_seed_curves(stopped, {"relu": 0.01, "tanh": 0.02}, [0.5, 0.25], 0.25, 10, 1, "t")
    lines = fig.axes[0].get_lines()
    assert [list(ln.get_xdata()) for ln in lines[:3]] == [[1.0, 2.0, 3.0], [1.0, 2.0], [1.0, 2.0, 3.0]]
    median = [ln for ln in lines if ln.get_label().startswith("relu")][0]
    assert list(median.get_ydata()) == pytest.approx([0.8, 0.3])
    fig = plots.plot_epoch_curves(runs, {})
    assert list(fig.axes[1].get_lines()[0].get_ydata()) == pytest.approx([0.4, 0.15])   # mean of val = err / 2


# ----------------------------------------------------------------------------- Figure 1 helpers

def _steps_rec(errs, every=10):
    return {"steps": [{"step": every * (i + 1), "train_top1_error": e} for i, e in enumerate(errs)]}


def test_tuned_runs_trains_each_variant_at_its_fastest_lr_and_reuses_the_sweep():
    calls = []
    train = fake_train_factory(calls)
    variants = {"relu": {"model_kwargs": {"activation": "relu"}},
                "tanh": {"model_kwargs": {"activation": "tanh"}}}
    lrs = [0.001, 0.01, 0.04, 0.08, 0.3]
    sweep, runs = sweeps.tuned_runs(FakeConfig(), variants, lrs, [7, 1], sweep_seeds=[7],
                                    target_error=0.25, train_fn=train)
    # the fake's fastest rates (see fake_train_factory): relu 0.08, tanh 0.04
    assert sweep["relu"]["best_lr"] == 0.08 and sweep["tanh"]["best_lr"] == 0.04
    assert [(r["config"]["lr"], r.seed) for r in runs["tanh"]] == [(0.04, 7), (0.04, 1)]
    assert [r.variant for r in runs["relu"]] == ["relu", "relu"]
    # 5 rates x 2 variants for the sweep, then only seed 1 is new (seed 7 at the best rate is cached)
    assert len(calls) == 10 + 2


def test_speedups_by_target_against_hand_counts():
    # ReLU crosses 0.5 at step 10 and 20; tanh at 30 and never (last logged step 40)
    runs = {"relu": [_steps_rec([0.4, 0.3, 0.2, 0.1]), _steps_rec([0.6, 0.45, 0.3, 0.2])],
            "tanh": [_steps_rec([0.9, 0.7, 0.5, 0.35]), _steps_rec([0.9, 0.8, 0.7, 0.6])]}
    by = run_metrics.speedups_by_target(runs, "tanh", "relu", [0.5, 0.15], resolution_steps=0)
    assert list(by) == [0.5, 0.15]
    b = by[0.5]
    assert b["relu_steps"] == [10, 20] and b["tanh_steps"] == [30, None] and b["tanh_horizons"] == [40, 40]
    r = b["result"]
    # log ratios log 3 and log(40/20) (the censored one at its bound): their mean; two seeds are
    # too few for an interval, so none is given
    logs = [math.log(3), math.log(2)]
    assert r["estimate"] == pytest.approx(sum(logs) / 2) and r["n_censored"] == 1
    assert r["ci"] == (-math.inf, math.inf) and r["mde"] == math.inf
    assert r["outcome"] == "too few seeds to judge"
    assert by[0.15]["relu_steps"] == [40, None] and by[0.15]["tanh_steps"] == [None, None]
    assert by[0.15]["result"]["outcome"] == "too few seeds to judge" and by[0.15]["result"]["estimate"] is None
    # the window smooths before the crossing: mean of (0.6, 0.45) = 0.525 > 0.5 at step 20
    assert run_metrics.speedups_by_target(runs, "tanh", "relu", [0.5], window=2)[0.5]["relu_steps"] == [10, 30]
    rec = run_metrics.speedups_record(by)
    assert set(rec) == {"0.5", "0.15"}
    assert rec["0.5"]["relu_steps"] == [10, 20] and rec["0.5"]["estimate"] == pytest.approx(sum(logs) / 2)
    html = run_metrics.speedup_table(by, "tanh", "relu", names={"relu": "ReLU"}, judged_at=0.5)
    assert "<th>ReLU steps (median)</th>" in html and "speed-up tanh/ReLU" in html
    assert "<td>50% (judged)</td>" in html and "<td>15</td>" in html      # median of 10 and 20
    assert "median not reached (1 of 2 runs never reached it)" in html    # tanh at 50%: 30, +inf
    assert "median not reached (2 of 2 runs never reached it)" in html
    assert f"{math.exp(sum(logs) / 2):.2f}× from 2 seeds (no interval" in html
    # default resolution: the runs' log_every (none recorded here: 1 step)
    assert run_metrics.speedups_by_target(runs, "tanh", "relu", [0.5])[0.5]["resolution_steps"] == 1


def test_lr_sweep_table_ticks_the_chosen_rate_and_counts_epochs():
    sweep = {"relu": {"best_lr": 0.1, "table": [
        {"lr": 0.03, "steps_to_target": None, "mean_error": 0.5, "reached": 0, "diverged": 0},
        {"lr": 0.1, "steps_to_target": 30.0, "mean_error": 0.41666, "reached": 1, "diverged": 1}]}}
    html = run_metrics.lr_sweep_table(sweep, 0.25, 20, variant_header="units")
    assert "<th>units</th>" in html and "steps to 25% training error" in html
    assert "<td>0.1 ✔</td>" in html and "<td>0.03</td>" in html
    assert "<td>30 (1.50 epochs)</td>" in html and "<td>not reached</td>" in html
    assert "<td>0.417</td>" in html


# ----------------------------------------------------------------------------- overfitting, paired speed-ups

def fin(val, train, val_loss=1.0, train_loss=0.5, errors=(0.9, 0.5)):
    return {"seed": 0, "wall_time_s": 1.5, "steps": hist(list(errors)),
            "final": {"val_top1_error": val, "val_loss": val_loss,
                      "train_eval": {"top1_error": train, "loss": train_loss}}}


def test_final_value_and_overfit_gap_by_hand():
    r = fin(0.35, 0.10)
    assert run_metrics.final_value(r, "train_eval.loss") == 0.5
    assert run_metrics.overfit_gap(r) == pytest.approx(25.0)          # 35% - 10%
    run = sweeps.Run(record=r)
    assert run_metrics.overfit_gap(run) == pytest.approx(25.0)
    with pytest.raises(KeyError, match="eval_train_split"):
        run_metrics.final_value({"final": {"val_top1_error": 0.3}}, "train_eval.top1_error")


def test_overfitting_metrics_against_hand_values():
    r = fin(0.35, 0.10, val_loss=1.25, train_loss=0.25, errors=(0.9, 0.6, 0.4))
    m = run_metrics.overfitting_metrics(0.5, window=1)
    assert list(m) == ["training top-1 error (evaluation mode), %", "validation top-1 error, %",
                       "gap (validation - training), points", "training loss (evaluation mode)",
                       "validation loss", "steps to training error <= 0.5"]
    assert [m[k](r) for k in m] == pytest.approx([10.0, 35.0, 25.0, 0.25, 1.25, 30])
    assert len(run_metrics.overfitting_metrics()) == 5                     # no target, no steps column
    # window 2: trailing means 0.9, 0.75, 0.5 -> first <= 0.5 at step 30; <= 0.6 never before 30
    assert run_metrics.overfitting_metrics(0.6, window=2)["steps to training error <= 0.6"](r) == 30


def test_runs_digest_keeps_seed_final_and_time_only():
    r = fin(0.35, 0.10)
    digest = run_metrics.runs_digest({"a": [sweeps.Run(record=r)], "b": [r, r]})
    assert digest == {"a": [{"seed": 0, "final": r["final"], "wall_time_s": 1.5}],
                      "b": [{"seed": 0, "final": r["final"], "wall_time_s": 1.5}] * 2}


# ----------------------------------------------------------------------------- final errors (augmentation)

def _final_rec(seed, train, val, ten, train_eval=None):
    return {"seed": seed, "history": [{"train_top1_error": 0.99}, {"train_top1_error": train}],
            "final": {"val_top1_error": val, "val_top1_error_ten_crop": ten,
                      "train_eval": {"top1_error": train if train_eval is None else train_eval}}}


def test_final_errors_against_hand_values():
    runs = {"none": [_final_rec(0, 0.10, 0.40, 0.38), _final_rec(1, 0.20, 0.50, 0.46)],
            "paper": [_final_rec(0, 0.30, 0.35, 0.30), _final_rec(1, 0.30, 0.45, 0.44)]}
    r = runs["none"][1]
    assert run_metrics.final_error(r, "train") == 0.20 and run_metrics.final_error(r) == 0.50
    assert run_metrics.final_error(r, "ten_crop") == 0.46
    assert run_metrics.ten_crop_gain(r) == pytest.approx(0.04)
    # the gap uses the eval-mode centre-crop training error, not the error on augmented patches
    e = _final_rec(0, 0.30, 0.45, 0.44, train_eval=0.05)
    assert run_metrics.final_error(e, "train") == 0.30 and run_metrics.final_error(e, "train_eval") == 0.05
    assert run_metrics.FINAL_ERRORS["gap"](e) == pytest.approx(0.40)
    with pytest.raises(ValueError, match="which must be one of"):
        run_metrics.final_error(r, "test")
    table = run_metrics.final_errors(runs)
    assert table["none"]["gap"]["mean"] == pytest.approx(0.30) and table["none"]["gap"]["std"] == pytest.approx(0.0)
    assert table["paper"]["val"]["mean"] == pytest.approx(0.40)
    assert table["paper"]["val"]["std"] == pytest.approx(math.sqrt(2 * 0.05 ** 2))    # ddof = 1
    assert table["paper"]["ten_minus_centre"]["mean"] == pytest.approx(-0.03)         # (-0.05 - 0.01) / 2
    # per seed: none - paper of the gap: (0.30 - 0.05, 0.30 - 0.15)
    assert run_metrics.paired(runs, "none", "paper", run_metrics.FINAL_ERRORS["gap"]) == pytest.approx([0.25, 0.15])
    html = run_metrics.final_errors_table(table, [("augment", "augment"), ("val", "validation")])
    assert "<td>paper</td><td>40.0 ± 7.1 %</td>" in html and "<th>validation</th>" in html


def test_paired_refuses_runs_of_other_seeds():
    runs = {"a": [_final_rec(0, 0.1, 0.2, 0.2)], "b": [_final_rec(1, 0.1, 0.2, 0.2)]}
    with pytest.raises(ValueError, match="different seeds"):
        run_metrics.paired(runs, "a", "b", run_metrics.final_error)


def test_patch_figures_draw_the_windows_they_are_given():
    import matplotlib
    matplotlib.use("Agg")
    import torch
    from matplotlib.patches import Rectangle

    from alexnet_repro.data import augment as A
    from alexnet_repro.viz import drawings

    image = torch.rand(3, 20, 20)
    draws = {"top": torch.tensor([0, 5]), "left": torch.tensor([3, 1]), "flip": torch.tensor([False, True])}
    fig = drawings.plot_random_crops(image, torch.rand(2, 3, 8, 8), draws, 8)
    rects = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert [(r.get_x(), r.get_y(), r.get_width()) for r in rects] == [(3, 0, 8), (1, 5, 8)]
    assert [ax.get_title() for ax in fig.axes[1:]] == ["(0,3)", "(5,1) ↔"] and "two random" in fig.axes[0].get_title()
    windows = A.ten_crop_windows(20, 16)
    fig = drawings.plot_ten_crops(image, windows, torch.rand(10, 3, 16, 16))
    rects = [(r.get_x(), r.get_y()) for r in fig.axes[0].patches if isinstance(r, Rectangle)]
    assert rects == [(0, 0), (4, 0), (0, 4), (4, 4), (2, 2)]          # 20 - 16 = 4; centre at 2
    assert len(fig.axes) == 11 and fig.axes[6].get_title() == "top-left ↔"


def test_the_edge_rule_extends_the_grid_for_a_pick_at_its_edge():
    # the fake's speed grows with the rate up to lr_max (relu 0.1, tanh 0.05) and stalls above:
    # on 0.001, 0.003, 0.01 both pick 0.01, the high edge; the rule tries 0.01^2 / 0.003 = 0.0333
    # (faster still), then 0.0333^2 / 0.01 = 0.111 (stalls for both): the pick 0.0333 is inside
    calls = []
    train = fake_train_factory(calls)
    variants = {"relu": {"model_kwargs": {"activation": "relu"}},
                "tanh": {"model_kwargs": {"activation": "tanh"}}}
    sweep, runs = sweeps.tuned_runs(FakeConfig(), variants, [0.001, 0.003, 0.01], [1], sweep_seeds=[7, 8, 9],
                                    target_error=0.25, train_fn=train)
    for v in variants:
        assert sweep[v]["extended"] == [0.0333, 0.111] and sweep[v]["edge"] is None
        assert sweep[v]["best_lr"] == 0.0333
        assert [row["lr"] for row in sweep[v]["table"]] == [0.001, 0.003, 0.01, 0.0333, 0.111]
    assert [r["config"]["lr"] for r in runs["relu"]] == [0.0333]
    # 3 rates x 3 sweep seeds x 2 arms, 2 added rates x 3 seeds x 2 arms, 1 reported seed x 2 arms
    assert len(calls) == 18 + 12 + 2
    # with one extension allowed the pick still sits at the edge, and says so
    sweep = sweeps.lr_sweep(FakeConfig(), [0.001, 0.003, 0.01], variants, target_error=0.25, seeds=[7],
                            train_fn=train)
    sweeps.extend_at_edges(sweep, FakeConfig(), variants, target_error=0.25, seeds=[7], train_fn=train,
                           max_extensions=1)
    assert sweep["relu"]["extended"] == [0.0333] and sweep["relu"]["edge"] == "high"
    # a pick at the low edge extends downwards at the grid's own ratio there: 0.05^2 / 0.2 = 0.0125
    low = sweeps.lr_sweep(FakeConfig(), [0.05, 0.2], {"tanh": variants["tanh"]}, target_error=0.25,
                          seeds=[7], train_fn=train)
    sweeps.extend_at_edges(low, FakeConfig(), {"tanh": variants["tanh"]}, target_error=0.25, seeds=[7],
                           train_fn=train)
    assert low["tanh"]["extended"][0] == 0.0125


def test_rate_sensitivity_by_hand():
    sweep = {"tanh": {"best_lr": 0.01, "table": [{"lr": 0.003, "steps_to_target": 300},
                                                 {"lr": 0.01, "steps_to_target": 200},
                                                 {"lr": 0.03, "steps_to_target": None}]},
             "relu": {"best_lr": 0.1, "table": [{"lr": 0.03, "steps_to_target": 50},
                                                {"lr": 0.1, "steps_to_target": 40}]}}
    cells = run_metrics.rate_sensitivity(sweep, "tanh", "relu")
    by = {(c["slow_lr"], c["fast_lr"]): c for c in cells}
    assert len(cells) == 6                                    # 3 tanh rates x 2 relu rates
    assert by[(0.01, 0.1)]["ratio"] == 5.0 and by[(0.01, 0.1)]["picked"]
    assert by[(0.003, 0.03)]["ratio"] == 6.0 and not by[(0.003, 0.03)]["picked"]
    assert by[(0.03, 0.1)]["ratio"] is None and by[(0.03, 0.1)]["bound"] == ">"
    assert run_metrics.sensitivity_range(cells) == (4.0, 7.5)   # 200 / 50 and 300 / 40


@dataclasses.dataclass
class FakeLengthConfig(FakeConfig):
    epochs: int = 10           # 100 logged steps of 10 per epoch in the fake below
    schedule: str = "fixed"
    stop_at_error: float = 0.25
    stop_window: int = 1


def test_a_sweeps_first_pass_picks_what_full_length_sweeps_pick():
    # the fake's error is max(0.05, 0.9 exp(-speed t)) + 0.001 seed with speed = gain * lr, so a
    # run reaches 25% after ln(0.9 / 0.25) / speed steps, rounded up to its 10-step log
    def train(cfg, data=None):
        calls.append(cfg)
        gain = 2.0 if cfg.model_kwargs["activation"] == "relu" else 1.0
        steps = [{"step": t, "epoch": 0, "train_loss": 0.0,
                  "train_top1_error": max(0.05, 0.9 * math.exp(-gain * cfg.lr * t))}
                 for t in range(10, 100 * cfg.epochs + 1, 10)]
        return FakeResult({"kind": "training", "config": dataclasses.asdict(cfg), "steps": steps, "seed": cfg.seed})

    def crossing(gain, lr):
        return 10 * math.ceil(math.log(0.9 / 0.25) / (gain * lr) / 10)

    variants = {"relu": {"model_kwargs": {"activation": "relu"}},
                "tanh": {"model_kwargs": {"activation": "tanh"}}}
    calls = []
    full = sweeps.lr_sweep(FakeLengthConfig(), [0.001, 0.003], variants, target_error=0.25, seeds=[7], train_fn=train)
    n_full = len(calls)
    calls.clear()
    short = sweeps.lr_sweep(FakeLengthConfig(), [0.001, 0.003], variants, target_error=0.25, seeds=[7],
                            train_fn=train, first_epochs=3)
    # relu: 0.001 needs 650 steps (not within 300), 0.003 needs 220 -> picked at the first pass
    assert crossing(2, 0.001) == 650 and crossing(2, 0.003) == 220
    relu = {row["lr"]: row["steps_to_target"] for row in short["relu"]["table"]}
    assert relu == {0.001: None, 0.003: 220} and short["relu"]["horizon_epochs"] == 3
    assert short["relu"]["best_lr"] == full["relu"]["best_lr"] == 0.003 and "first_pass" not in short["relu"]
    # tanh: 0.001 needs 1,290 steps (never within 1,000), 0.003 needs 430: none within 300, so
    # tanh is swept again to the full 10 epochs and picks what the full sweep picked
    assert crossing(1, 0.003) == 430
    assert short["tanh"]["horizon_epochs"] == 10 and short["tanh"]["best_lr"] == full["tanh"]["best_lr"] == 0.003
    assert short["tanh"]["table"] == full["tanh"]["table"]
    assert sorted(short["tanh"]["first_pass"]) == [0.001, 0.003]
    # the first pass: 4 runs of 3 epochs; then tanh's 2 again of 10
    assert [(c.model_kwargs["activation"], c.epochs) for c in calls] == [
        ("relu", 3), ("relu", 3), ("tanh", 3), ("tanh", 3), ("tanh", 10), ("tanh", 10)] and n_full == 4
    # the edge rule's rates train as long as the arm's other sweep runs: relu's pick 0.003 sits at
    # the high edge, so 0.009 is tried, at 3 epochs (crossing after 80 steps), then 0.027
    calls.clear()
    sweeps.extend_at_edges(short, FakeLengthConfig(), variants, target_error=0.25, seeds=[7], train_fn=train,
                           max_extensions=1)
    assert [(c.model_kwargs["activation"], c.lr, c.epochs) for c in calls] == [
        ("relu", 0.009, 3), ("tanh", 0.009, 10)]
    assert short["relu"]["best_lr"] == 0.009 and crossing(2, 0.009) == 80
    # a schedule that reads the run's length has no first pass; nor has first_epochs >= epochs
    for cfg, first in ((FakeLengthConfig(schedule="cosine"), 3), (FakeLengthConfig(), 10)):
        calls.clear()
        out = sweeps.lr_sweep(cfg, [0.003], {"relu": variants["relu"]}, target_error=0.25, seeds=[7],
                              train_fn=train, first_epochs=first)
        assert out["relu"]["horizon_epochs"] == 10 and [c.epochs for c in calls] == [10]
    with pytest.raises(ValueError, match="first_epochs"):
        sweeps.lr_sweep(FakeLengthConfig(), [0.003], variants, target_error=0.25, train_fn=train, first_epochs=0)
    assert "not within 3 epochs" in run_metrics.lr_sweep_table(short, 0.25, 100)
    # no first pass where a median is not one run's steps (an even number of seeds), or where the
    # runs do not stop at the sweep's target (one could diverge after reaching it)
    for cfg, seeds in ((FakeLengthConfig(), [7, 8]), (FakeLengthConfig(stop_at_error=None), [7])):
        calls.clear()
        sweeps.lr_sweep(cfg, [0.003], {"relu": variants["relu"]}, target_error=0.25, seeds=seeds,
                        train_fn=train, first_epochs=3)
        assert {c.epochs for c in calls} == {10}
    # a tie on the fastest median is settled at full length: 0.003 and 0.00295 both cross at
    # 220 steps (ln 3.6 / 0.0059 = 217.1), so relu is swept again with its mean errors in full
    assert crossing(2, 0.00295) == crossing(2, 0.003) == 220
    calls.clear()
    tie = sweeps.lr_sweep(FakeLengthConfig(), [0.00295, 0.003], {"relu": variants["relu"]}, target_error=0.25,
                          seeds=[7], train_fn=train, first_epochs=3)
    assert [c.epochs for c in calls] == [3, 3, 10, 10] and tie["relu"]["horizon_epochs"] == 10


def test_a_sweep_can_pick_the_rate_with_the_lowest_median_final_error():
    # the fake's final validation error is |log10(lr) + 2.5| / 10 + 0.001 * seed: lowest near 0.00316
    def train(cfg, data=None):
        calls.append(cfg)
        err = abs(math.log10(cfg.lr) + 2.5) / 10 + 0.001 * cfg.seed
        return FakeResult({"kind": "training", "config": dataclasses.asdict(cfg), "seed": cfg.seed,
                           "steps": [], "final": {"val_top1_error": err}})

    calls = []
    variants = {"lrn": {"model_kwargs": {"activation": "relu"}}}
    sw = sweeps.lr_sweep(FakeConfig(), [0.001, 0.003, 0.01], variants, target_error=None, seeds=[1, 2, 3],
                         train_fn=train, pick="final_error")
    rows = {r["lr"]: r["final_error"] for r in sw["lrn"]["table"]}
    # medians over seeds 1-3: the seed-2 run's error
    assert rows[0.003] == pytest.approx(abs(math.log10(0.003) + 2.5) / 10 + 0.002)
    assert sw["lrn"]["best_lr"] == 0.003 and sw["lrn"]["pick"] == "final_error"
    assert all(r["steps_to_target"] is None for r in sw["lrn"]["table"])
    # at the high edge the edge rule goes on by the same pick: 0.001^2 / 0.0003 = 0.00333 is better
    # (|-2.477 + 2.5| < 0.5), then 0.0111 is worse: the pick 0.00333 lies inside
    edge = sweeps.lr_sweep(FakeConfig(), [0.0003, 0.001], variants, target_error=None, seeds=[1],
                           train_fn=train, pick="final_error")
    sweeps.extend_at_edges(edge, FakeConfig(), variants, target_error=None, seeds=[1], train_fn=train)
    assert edge["lrn"]["extended"] == [0.00333, 0.0111] and edge["lrn"]["best_lr"] == 0.00333
    assert edge["lrn"]["edge"] is None
    with pytest.raises(ValueError, match="pick"):
        sweeps.lr_sweep(FakeConfig(), [0.001], variants, target_error=None, train_fn=train, pick="fastest")
    with pytest.raises(ValueError, match="first_epochs"):
        sweeps.lr_sweep(FakeConfig(), [0.001], variants, target_error=None, train_fn=train, pick="final_error",
                        first_epochs=2)
