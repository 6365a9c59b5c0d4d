"""Tests of alexnet_repro.sweeps and alexnet_repro.judging on hand-built histories and a fake training function
(plus one tiny real run through the engine when it is importable)."""
from __future__ import annotations

import dataclasses
import math

import pytest

from alexnet_repro import figures, probes, sweeps, readings, judging
from alexnet_repro.data import load_dataset
from alexnet_repro.model import build_model
from alexnet_repro.paper import CLAIMS
from alexnet_repro.records import load_record, save_record
from alexnet_repro.train import TrainConfig, TrainingDiverged
from alexnet_repro.judging import CONSISTENT, INCONCLUSIVE, NOT_CONSISTENT


# ----------------------------------------------------------------------------- verdict

@pytest.mark.parametrize("estimate, spread, direction, null, expected", [
    (2.0, 0.5, "greater", 0.0, CONSISTENT),          # [1.5, 2.5] above 0, paper says above
    (2.0, 0.5, "less", 0.0, NOT_CONSISTENT),         # above 0, paper says below
    (-2.0, 0.5, "less", 0.0, CONSISTENT),
    (-2.0, 0.5, "greater", 0.0, NOT_CONSISTENT),
    (0.3, 0.5, "greater", 0.0, INCONCLUSIVE),        # interval contains 0
    (-0.3, 0.5, "greater", 0.0, INCONCLUSIVE),
    (1.0, 1.0, "greater", 0.0, INCONCLUSIVE),        # interval touches 0: not strictly beyond
    (3.0, 1.0, "greater", 1.0, CONSISTENT),          # ratio-like null
    (1.5, 1.0, "greater", 1.0, INCONCLUSIVE),
    (0.2, 0.1, "greater", 1.0, NOT_CONSISTENT),
    (2.0, None, "greater", 0.0, INCONCLUSIVE),       # one seed: spread unknown
    (2.0, float("nan"), "greater", 0.0, INCONCLUSIVE),
    (None, 0.1, "greater", 0.0, INCONCLUSIVE),
    (float("nan"), 0.1, "greater", 0.0, INCONCLUSIVE),
    (0.5, 0.0, "greater", 0.0, CONSISTENT),          # zero spread from >= 2 seeds: sign decides
    (-0.5, 0.0, "greater", 0.0, NOT_CONSISTENT),
    (0.0, 0.0, "greater", 0.0, INCONCLUSIVE),        # no effect at all
])
def test_verdict_cases(estimate, spread, direction, null, expected):
    assert judging.verdict(estimate, spread, direction, null) == expected


def test_verdict_rejects_bad_input():
    with pytest.raises(ValueError, match="direction"):
        judging.verdict(1.0, 0.1, "bigger")
    with pytest.raises(ValueError, match="negative"):
        judging.verdict(1.0, -0.1, "greater")


def test_samples_verdict_uses_sample_std():
    # mean 2, sample std (ddof=1) of [1, 2, 3] is 1 -> [1, 3] above 0
    out = judging.samples_verdict([1.0, 2.0, 3.0], "greater")
    assert out["mean"] == pytest.approx(2.0) and out["std"] == pytest.approx(1.0)
    assert out["verdict"] == CONSISTENT
    # mean 0.5, std of [-0.5, 0.5, 1.5] is 1 -> contains 0
    assert judging.samples_verdict([-0.5, 0.5, 1.5], "greater")["verdict"] == INCONCLUSIVE
    # a single seed: no spread, whatever its size
    one = judging.samples_verdict([10.0], "greater")
    assert one["std"] is None and one["verdict"] == INCONCLUSIVE
    # identical seeds: zero spread is a known spread
    assert judging.samples_verdict([0.2, 0.2], "less")["verdict"] == NOT_CONSISTENT


# ----------------------------------------------------------------------------- steps to target

def hist(errors, every=10):
    return [{"step": every * (i + 1), "epoch": 0, "train_loss": 0.0, "train_top1_error": e}
            for i, e in enumerate(errors)]


def test_steps_to_target_first_crossing_inclusive():
    h = hist([0.9, 0.6, 0.4, 0.25, 0.3, 0.2])
    assert readings.steps_to_target(h, 0.5) == 30
    assert readings.steps_to_target(h, 0.25) == 40      # <= counts
    assert readings.steps_to_target(h, 0.2) == 60
    assert readings.steps_to_target(h, 0.1) is None     # censored
    assert readings.horizon(h) == 60
    assert readings.horizon([]) is None
    assert readings.steps_to_target([], 0.5) is None


def test_steps_to_target_sorts_and_treats_nan_as_not_reached():
    h = hist([0.9, float("nan"), 0.3])
    assert readings.steps_to_target(list(reversed(h)), 0.5) == 30
    assert readings.steps_to_target(h, 0.95) == 10
    h2 = hist([0.9, None, 0.95])
    assert readings.steps_to_target(h2, 0.99) == 10
    assert readings.error_curve(h2)[1] == [0.9, 1.0, 0.95]


def test_steps_to_target_window_ignores_a_single_noisy_dip():
    h = hist([0.8, 0.2, 0.8, 0.4, 0.3, 0.2])
    assert readings.steps_to_target(h, 0.3) == 20                  # raw: the dip counts
    # trailing means over 3: 0.8, 0.5, 0.6, 0.4667, 0.5, 0.3
    steps, errs = readings.error_curve(h, window=3)
    assert errs == pytest.approx([0.8, 0.5, 0.6, 1.4 / 3, 0.5, 0.3])
    assert readings.steps_to_target(h, 0.3, window=3) == 60
    with pytest.raises(ValueError):
        readings.error_curve(h, window=0)


# ----------------------------------------------------------------------------- speed-up

def test_speedup_exact_pairs():
    sp = judging.speedup([200, 800, 300], [100, 100, 100])
    assert sp["ratios"] == [2.0, 8.0, 3.0] and sp["kinds"] == ["exact"] * 3
    logs = [math.log(2), math.log(8), math.log(3)]
    assert sp["geo_mean"] == pytest.approx(math.exp(sum(logs) / 3))
    m = sum(logs) / 3
    assert sp["log_std"] == pytest.approx(math.sqrt(sum((x - m) ** 2 for x in logs) / 2))
    assert sp["mean"] == pytest.approx(13 / 3)
    assert sp["ratio_of_medians"] == pytest.approx(3.0)      # median 300 / median 100
    assert sp["n_exact"] == 3
    assert judging.ratio_verdict(sp, "greater") == CONSISTENT     # log geo-mean 1.28 > log-std 0.69


def test_speedup_censoring_kinds_and_bounds():
    sp = judging.speedup([None, 300, None], [100, None, None],
                    slow_horizons=[1000, 1000, 1000], fast_horizons=[1000, 1000, 1000])
    assert sp["kinds"] == ["lower", "upper", "unknown"]
    assert sp["ratios"] == [10.0, 0.3, None]
    # medians with censored = inf: slow (inf, 300, inf) -> inf
    assert sp["ratio_of_medians"] is None
    with pytest.raises(ValueError, match="paired"):
        judging.speedup([1, 2], [1])


def test_ratio_verdict_only_trusts_bounds_that_cannot_overturn_it():
    def fake(ratios, kinds):
        logs = [math.log(r) for r in ratios]
        m = sum(logs) / len(logs)
        sd = math.sqrt(sum((x - m) ** 2 for x in logs) / (len(logs) - 1))
        return {"geo_mean": math.exp(m), "log_std": sd, "kinds": kinds}

    up = [5.0, 6.0, 7.0]
    assert judging.ratio_verdict(fake(up, ["exact", "lower", "lower"]), "greater") == CONSISTENT
    assert judging.ratio_verdict(fake(up, ["exact", "upper", "exact"]), "greater") == INCONCLUSIVE
    assert judging.ratio_verdict(fake(up, ["exact", "unknown", "exact"]), "greater") == INCONCLUSIVE
    down = [0.2, 0.25, 0.3]
    assert judging.ratio_verdict(fake(down, ["exact"] * 3), "greater") == NOT_CONSISTENT
    assert judging.ratio_verdict(fake(down, ["upper", "exact", "exact"]), "greater") == NOT_CONSISTENT
    assert judging.ratio_verdict(fake(down, ["lower", "exact", "exact"]), "greater") == INCONCLUSIVE
    assert judging.ratio_verdict(fake(down, ["upper", "exact", "exact"]), "less") == CONSISTENT
    # one seed: no spread
    assert judging.ratio_verdict(judging.speedup([600], [100]), "greater") == INCONCLUSIVE
    assert judging.ratio_verdict({"geo_mean": None, "log_std": None, "kinds": ["unknown"]}) == INCONCLUSIVE


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
    slow = [readings.steps_to_target(r["steps"], 0.25) for r in best["tanh"]]
    fast = [readings.steps_to_target(r["steps"], 0.25) for r in best["relu"]]
    assert slow == [t(0.04)] * 2 and fast == [t(0.16)] * 2
    sp = judging.speedup(slow, fast)
    assert sp["geo_mean"] == pytest.approx(t(0.04) / t(0.16))
    assert sp["log_std"] == 0.0 and judging.ratio_verdict(sp) == CONSISTENT


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

def make_claim(verdict=CONSISTENT):
    return judging.claim("relu_speedup", statement="ReLU <6x> | faster", source="paper §3.1",
                    paper="6×", measured=judging.format_pm(3.14159, 0.5, 3, unit="×"), verdict=verdict,
                    setting="fashion-mnist", values={"geo_mean": 3.14})


def test_format_pm():
    assert judging.format_pm(3.14159, 0.5, 3, unit="×") == "3.14 ± 0.50× (3 seeds)"
    assert judging.format_pm(3.14159, None, 1) == "3.14 (1 seed, spread unknown)"
    assert judging.format_pm(None, None) == "n/a"
    assert judging.format_pm(0.1234, 0.01, digits=3) == "0.123 ± 0.010"


def test_claims_table_html_and_markdown():
    rows = [make_claim(), make_claim(INCONCLUSIVE)]
    h = judging.claims_table(rows)
    assert h.count("<tr>") == 3 and "&lt;6x&gt;" in h and "<6x>" not in h
    assert "inconclusive at this scale" in h and "3.14 ± 0.50× (3 seeds)" in h
    md = judging.claims_table(rows, fmt="markdown")
    lines = md.strip().splitlines()
    assert len(lines) == 4 and "\\|" in lines[2] and lines[2].count(" | ") == 3
    with pytest.raises(ValueError):
        judging.claims_table(rows, fmt="latex")
    with pytest.raises(ValueError, match="verdict"):
        make_claim("probably")


def test_chapter_record_carries_profile_and_saves(tmp_path):
    rec = judging.chapter_record("relu_vs_tanh", "ci", [make_claim()], {"speedups": {"0.25": 3.0}})
    assert rec["kind"] == "chapter" and rec["profile"] == "ci" and rec["claims"][0]["verdict"] == CONSISTENT
    assert "git_commit" in rec["provenance"]
    path = save_record(rec, tmp_path, "relu_vs_tanh")
    assert load_record(path)["claims"][0]["values"] == {"geo_mean": 3.14}
    with pytest.raises(ValueError, match="profile"):
        judging.chapter_record("x", "ci", [], {"profile": "full"})
    bad = dict(make_claim(), verdict="maybe")
    with pytest.raises(ValueError, match="verdict"):
        judging.chapter_record("x", "ci", [bad])


def test_format_ratio():
    sp = judging.speedup([200, 800], [100, 100])       # ratios 2 and 8: geo-mean 4, log-std ln4/sqrt2
    spread = math.exp(math.log(4) / math.sqrt(2))
    assert judging.format_ratio(sp) == f"4.00× (×/÷ {spread:.2f}, 2 seeds)"
    low = judging.speedup([None, 800], [100, 100], slow_horizons=[1000, 1000])
    assert judging.format_ratio(low).startswith("≥ ") and "1 censored" in judging.format_ratio(low)
    assert judging.format_ratio(judging.speedup([300], [100])) == "3.00× (1 seed, spread unknown)"
    assert judging.format_ratio(judging.speedup([None], [None])).startswith("n/a")
    both = judging.speedup([200, 800, None], [100, 100, None], slow_horizons=[900] * 3, fast_horizons=[900] * 3)
    assert judging.format_ratio(both) == f"4.00× (×/÷ {spread:.2f}, 2 of 3 seeds, 1 censored)"


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
    rows = readings.variant_summary(runs, {"err": lambda r: r["v"]})
    a, b = rows
    assert a["n"] == 2 and a["missing"] == 1 and a["mean"] == pytest.approx(0.2)
    assert a["std"] == pytest.approx(math.sqrt(((0.1 - 0.2) ** 2 + (0.3 - 0.2) ** 2) / 1))
    assert b["mean"] == pytest.approx(0.3) and b["std"] == pytest.approx(math.sqrt(0.03))
    html = readings.summary_table(rows, scale=100, digits=1)
    assert "20.0 ± 14.1 (2 of 3)" in html and "30.0 ± 17.3" in html


def test_plot_runs_draws_median_of_seeds():
    import matplotlib
    matplotlib.use("Agg")

    def rec(errs, vals):
        return {"steps": [{"step": 10 * (i + 1), "train_top1_error": e} for i, e in enumerate(errs)],
                "history": [{"val_top1_error": v} for v in vals]}
    runs = {"x": [rec([0.9, 0.5], [0.6, 0.4]), rec([0.7, 0.1], [0.8, 0.2]), rec([0.8, 0.3], [0.7, 0.3])]}
    fig = figures.plot_runs(runs, target=0.2)
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
    fig = figures.plot_seed_curves(runs, {"relu": 0.01, "tanh": 0.02}, [0.5, 0.25], 0.25, 10, 1, "t")
    median = [ln for ln in fig.axes[0].get_lines() if ln.get_label().startswith("relu")][0]
    assert list(median.get_xdata()) == [1.0, 2.0] and list(median.get_ydata()) == pytest.approx([0.8, 0.3])
    fig = figures.plot_epoch_curves(runs, {})
    assert list(fig.axes[1].get_lines()[0].get_ydata()) == pytest.approx([0.4, 0.15])   # mean of val = err / 2
    sp = judging.speedup([200, 800], [100, 100])
    fig = figures.plot_speedups({0.25: {"speedup": sp}}, [0.25], 6.0, "paper")
    (geo,) = [c for c in fig.axes[0].containers]           # the errorbar of the geometric mean
    assert geo.lines[0].get_ydata()[0] == pytest.approx(4.0)


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
    by = readings.speedups_by_target(runs, "tanh", "relu", [0.5, 0.15])
    assert list(by) == [0.5, 0.15]
    b = by[0.5]
    assert b["relu_steps"] == [10, 20] and b["tanh_steps"] == [30, None]
    assert b["speedup"]["ratios"] == [3.0, 2.0] and b["speedup"]["kinds"] == ["exact", "lower"]
    assert b["speedup"]["geo_mean"] == pytest.approx(math.sqrt(6.0))
    assert b["verdict"] == CONSISTENT            # both > 1, the bound can only raise the ratio
    assert by[0.15]["relu_steps"] == [40, None] and by[0.15]["tanh_steps"] == [None, None]
    assert by[0.15]["speedup"]["kinds"] == ["lower", "unknown"] and by[0.15]["verdict"] == INCONCLUSIVE
    # the window smooths before the crossing: mean of (0.6, 0.45) = 0.525 > 0.5 at step 20
    assert readings.speedups_by_target(runs, "tanh", "relu", [0.5], window=2)[0.5]["relu_steps"] == [10, 30]
    rec = readings.speedups_record(by)
    assert set(rec) == {"0.5", "0.15"}
    assert rec["0.5"] == {"relu_steps": [10, 20], "tanh_steps": [30, None], "ratios": [3.0, 2.0],
                          "kinds": ["exact", "lower"], "geo_mean": pytest.approx(math.sqrt(6.0)),
                          "log_std": pytest.approx(abs(math.log(3) - math.log(2)) / math.sqrt(2)),
                          "verdict": CONSISTENT}
    html = readings.speedup_table(by, "tanh", "relu", names={"relu": "ReLU"})
    assert "<th>ReLU steps (median)</th>" in html and "<th>speed-up tanh/ReLU</th>" in html
    assert "<td>15</td>" in html                          # median of 10 and 20
    assert "median not reached (1 of 2 runs never reached it)" in html    # tanh at 50%: 30, +inf
    assert "median not reached (2 of 2 runs never reached it)" in html


def test_lr_sweep_table_ticks_the_chosen_rate_and_counts_epochs():
    sweep = {"relu": {"best_lr": 0.1, "table": [
        {"lr": 0.03, "steps_to_target": None, "mean_error": 0.5, "reached": 0, "diverged": 0},
        {"lr": 0.1, "steps_to_target": 30.0, "mean_error": 0.41666, "reached": 1, "diverged": 1}]}}
    html = readings.lr_sweep_table(sweep, 0.25, 20, variant_header="units")
    assert "<th>units</th>" in html and "steps to 25% training error" in html
    assert "<td>0.1 ✔</td>" in html and "<td>0.03</td>" in html
    assert "<td>30 (1.50 epochs)</td>" in html and "<td>not reached</td>" in html
    assert "<td>0.417</td>" in html


def test_verdict_counts_and_speedup_overview_against_hand_values():
    assert judging.verdict_counts([CONSISTENT, INCONCLUSIVE, CONSISTENT]) == {
        CONSISTENT: 2, NOT_CONSISTENT: 0, INCONCLUSIVE: 1}
    with pytest.raises(ValueError, match="not a verdict"):
        judging.verdict_counts(["maybe"])
    by = {0.5: {"speedup": judging.speedup([30, 60], [10, 20]), "verdict": CONSISTENT},   # 3, 3
          0.25: {"speedup": judging.speedup([40, 40], [20, 80]), "verdict": INCONCLUSIVE},  # 2, 0.5
          0.1: {"speedup": judging.speedup([None, None], [50, None]), "verdict": INCONCLUSIVE}}
    out = judging.speedup_overview(by, 0.25)
    assert out["main_ratio"] == judging.format_ratio(by[0.25]["speedup"])
    assert out["main_verdict"] == INCONCLUSIVE
    assert out["main_rom"] == "0.80"                  # median 40 / median 50
    assert out["targets"] == "50%, 25%, 10%"
    assert (out["min_ratio"], out["min_ratio_at"]) == ("1.00", "25")     # sqrt(2 * 0.5)
    assert (out["max_ratio"], out["max_ratio_at"]) == ("3.00", "50")
    assert (out["n_targets"], out["n_consistent"], out["n_not_consistent"], out["n_inconclusive"]) == (3, 1, 0, 2)
    none = judging.speedup_overview({0.1: by[0.1]}, 0.1)
    assert none["min_ratio"] == none["max_ratio_at"] == "n/a" and none["main_rom"] == "n/a"


def test_speedup_claim_carries_the_measurement_and_its_raw_values():
    entry = {"relu_steps": [10, 20], "tanh_steps": [30, 60],
             "speedup": judging.speedup([30, 60], [10, 20]), "verdict": CONSISTENT}
    c = judging.speedup_claim("k", entry, 0.25, statement="s", source="src", paper="6×", setting="here")
    assert c["measured"] == "3.00× (×/÷ 1.00, 2 seeds)" and c["verdict"] == CONSISTENT
    assert c["values"] == {"target_error": 0.25, "geo_mean": pytest.approx(3.0), "log_std": pytest.approx(0.0),
                           "ratios": [3.0, 3.0], "kinds": ["exact", "exact"], "ratio_of_medians": 3.0,
                           "relu_steps": [10, 20], "tanh_steps": [30, 60]}
    short = judging.speedup_claim("k", entry, 0.25, statement="s", source="src", paper="6×", detail=False)
    assert set(short["values"]) == {"target_error", "geo_mean", "log_std", "ratios"}


# ----------------------------------------------------------------------------- overfitting, paired speed-ups

def fin(val, train, val_loss=1.0, train_loss=0.5, errors=(0.9, 0.5)):
    return {"seed": 0, "wall_time_s": 1.5, "steps": hist(list(errors)),
            "final": {"val_top1_error": val, "val_loss": val_loss,
                      "train_eval": {"top1_error": train, "loss": train_loss}}}


def test_final_value_and_overfit_gap_by_hand():
    r = fin(0.35, 0.10)
    assert readings.final_value(r, "train_eval.loss") == 0.5
    assert readings.overfit_gap(r) == pytest.approx(25.0)          # 35% - 10%
    run = sweeps.Run(record=r)
    assert readings.overfit_gap(run) == pytest.approx(25.0)
    with pytest.raises(KeyError, match="eval_train_split"):
        readings.final_value({"final": {"val_top1_error": 0.3}}, "train_eval.top1_error")


def test_overfitting_metrics_against_hand_values():
    r = fin(0.35, 0.10, val_loss=1.25, train_loss=0.25, errors=(0.9, 0.6, 0.4))
    m = readings.overfitting_metrics(0.5, window=1)
    assert list(m) == ["training top-1 error (evaluation mode), %", "validation top-1 error, %",
                       "gap (validation - training), points", "training loss (evaluation mode)",
                       "validation loss", "steps to training error <= 0.5"]
    assert [m[k](r) for k in m] == pytest.approx([10.0, 35.0, 25.0, 0.25, 1.25, 30])
    assert len(readings.overfitting_metrics()) == 5                     # no target, no steps column
    # window 2: trailing means 0.9, 0.75, 0.5 -> first <= 0.5 at step 30; <= 0.6 never before 30
    assert readings.overfitting_metrics(0.6, window=2)["steps to training error <= 0.6"](r) == 30


def test_paired_speedup_and_table_by_hand():
    slow = [fin(0, 0, errors=(0.9, 0.8, 0.6, 0.4)), fin(0, 0, errors=(0.9, 0.9, 0.9, 0.9))]
    fast = [fin(0, 0, errors=(0.9, 0.4, 0.3, 0.2)), fin(0, 0, errors=(0.4, 0.3, 0.2, 0.1))]
    sp = readings.paired_speedup(slow, fast, 0.5)
    # seed 0: 40 vs 20 steps -> 2; seed 1: never (horizon 40) vs 10 -> lower bound 4
    assert sp["ratios"] == [2.0, 4.0] and sp["kinds"] == ["exact", "lower"]
    assert sp["geo_mean"] == pytest.approx(math.sqrt(8))
    assert [p["slow"] for p in sp["pairs"]] == [40, None] and [p["fast"] for p in sp["pairs"]] == [20, 10]
    html_text = readings.paired_speedup_table({0.5: sp}, slow_label="p = 0.5", fast_label="p = 0")
    assert "50%" in html_text and "40, —" in html_text and "20, 10" in html_text
    assert f"{math.sqrt(8):.2f}" in html_text and "exact, lower" in html_text
    assert "steps, p = 0.5 (per seed)" in html_text


def test_nearby_targets():
    assert readings.nearby_targets(0.1) == [0.2, 0.1, 0.05]
    assert readings.nearby_targets(0.6) == [0.6, 0.3]            # 1.2 is no error rate
    assert readings.nearby_targets(0.8) == [0.8, 0.4]


def test_runs_digest_keeps_seed_final_and_time_only():
    r = fin(0.35, 0.10)
    digest = readings.runs_digest({"a": [sweeps.Run(record=r)], "b": [r, r]})
    assert digest == {"a": [{"seed": 0, "final": r["final"], "wall_time_s": 1.5}],
                      "b": [{"seed": 0, "final": r["final"], "wall_time_s": 1.5}] * 2}


def test_paired_verdict_pm_cells_and_means_by_hand():
    v = judging.paired_verdict([3.0, 5.0, 4.0], [1.0, 2.0, 1.0])
    # differences 2, 3, 3: mean 8/3, sample std sqrt(1/3)
    assert v["mean"] == pytest.approx(8 / 3) and v["std"] == pytest.approx(math.sqrt(1 / 3))
    assert v["verdict"] == CONSISTENT
    assert judging.paired_verdict([1.0, 2.0], [3.0, 3.5])["verdict"] == NOT_CONSISTENT
    with pytest.raises(ValueError, match="paired"):
        judging.paired_verdict([1.0], [1.0, 2.0])
    assert judging.pm_cells({"a": [1.0, 3.0], "b": [2.0]}, digits=2) == {
        "a": "2.00 ± 1.41 (2 seeds)", "b": "2.00 (1 seed, spread unknown)"}
    assert judging.means({"a": [1.0, 2.0, 6.0], "b": []}) == {"a": 3.0, "b": None}


# ----------------------------------------------------------------------------- final errors (augmentation)

def _final_rec(seed, train, val, ten):
    return {"seed": seed, "history": [{"train_top1_error": 0.99}, {"train_top1_error": train}],
            "final": {"val_top1_error": val, "val_top1_error_ten_crop": ten}}


def test_final_errors_against_hand_values():
    runs = {"none": [_final_rec(0, 0.10, 0.40, 0.38), _final_rec(1, 0.20, 0.50, 0.46)],
            "paper": [_final_rec(0, 0.30, 0.35, 0.30), _final_rec(1, 0.30, 0.45, 0.44)]}
    r = runs["none"][1]
    assert readings.final_error(r, "train") == 0.20 and readings.final_error(r) == 0.50
    assert readings.final_error(r, "ten_crop") == 0.46
    assert readings.train_val_gap(r) == pytest.approx(0.30) and readings.ten_crop_gain(r) == pytest.approx(0.04)
    with pytest.raises(ValueError, match="which must be one of"):
        readings.final_error(r, "test")
    table = readings.final_errors(runs)
    assert table["none"]["gap"]["mean"] == pytest.approx(0.30) and table["none"]["gap"]["std"] == pytest.approx(0.0)
    assert table["paper"]["val"]["mean"] == pytest.approx(0.40)
    assert table["paper"]["val"]["std"] == pytest.approx(math.sqrt(2 * 0.05 ** 2))    # ddof = 1
    assert table["paper"]["ten_minus_centre"]["mean"] == pytest.approx(-0.03)         # (-0.05 - 0.01) / 2
    # per seed: none - paper of the gap: (0.30 - 0.05, 0.30 - 0.15)
    assert readings.paired(runs, "none", "paper", readings.train_val_gap) == pytest.approx([0.25, 0.15])
    html = readings.final_errors_table(table, [("augment", "augment"), ("val", "validation")])
    assert "<td>paper</td><td>40.0 ± 7.1 %</td>" in html and "<th>validation</th>" in html


def test_paired_refuses_runs_of_other_seeds():
    runs = {"a": [_final_rec(0, 0.1, 0.2, 0.2)], "b": [_final_rec(1, 0.1, 0.2, 0.2)]}
    with pytest.raises(ValueError, match="different seeds"):
        readings.paired(runs, "a", "b", readings.final_error)


def test_format_error_pct_and_difference_claim_by_hand():
    assert judging.format_error_pct({"mean": 0.123, "std": 0.01}) == "12.3 ± 1.0 %"
    assert judging.format_error_pct({"mean": 0.05, "std": None}, " points") == "5.0 points"
    assert judging.format_error_pct({"mean": None, "std": None}) == "n/a"
    c = judging.difference_claim("augmentation_overfitting", [0.02, 0.04], setting="s",
                                 measured="smaller by {effect}")
    # mean 0.03, std sqrt(2) × 0.01 = 0.0141: [1.6, 4.4] points, all above 0
    assert c["measured"] == "smaller by 3.0 ± 1.4 points" and c["verdict"] == CONSISTENT
    assert c["statement"] == CLAIMS["augmentation_overfitting"]["text"] and c["paper"] == "no number"
    assert c["values"]["mean"] == pytest.approx(0.03)
    assert judging.difference_claim("x", [0.01], statement="t", source="s", setting="",
                                    measured="{effect}")["verdict"] == INCONCLUSIVE
    with pytest.raises(ValueError, match="not in paper.CLAIMS"):
        judging.difference_claim("no_such_claim", [0.01, 0.02], setting="", measured="{effect}")


def test_patch_figures_draw_the_windows_they_are_given():
    import matplotlib
    matplotlib.use("Agg")
    import torch
    from matplotlib.patches import Rectangle

    from alexnet_repro import augment as A

    image = torch.rand(3, 20, 20)
    draws = {"top": torch.tensor([0, 5]), "left": torch.tensor([3, 1]), "flip": torch.tensor([False, True])}
    fig = figures.plot_random_crops(image, torch.rand(2, 3, 8, 8), draws, 8)
    rects = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert [(r.get_x(), r.get_y(), r.get_width()) for r in rects] == [(3, 0, 8), (1, 5, 8)]
    assert [ax.get_title() for ax in fig.axes[1:]] == ["(0,3)", "(5,1) ↔"] and "two random" in fig.axes[0].get_title()
    windows = A.ten_crop_windows(20, 16)
    fig = figures.plot_ten_crops(image, windows, torch.rand(10, 3, 16, 16))
    rects = [(r.get_x(), r.get_y()) for r in fig.axes[0].patches if isinstance(r, Rectangle)]
    assert rects == [(0, 0), (4, 0), (0, 4), (4, 4), (2, 2)]          # 20 - 16 = 4; centre at 2
    assert len(fig.axes) == 11 and fig.axes[6].get_title() == "top-left ↔"
