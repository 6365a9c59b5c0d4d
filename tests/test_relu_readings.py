"""The ReLU vs tanh chapter's readings: its speed-up figure, its one judged claim and its design
(seeds, work budget), each against values computed here by hand or with scipy."""
from __future__ import annotations

import json
import math
import statistics

import matplotlib
import numpy as np
import pytest
from scipy import stats

from alexnet_repro.analysis import judging, run_metrics
from alexnet_repro.analysis.preregistration import FIGURE1_PILOT_SEEDS
from alexnet_repro.bookrun import profiles
from alexnet_repro.common import records
from alexnet_repro.viz import plots

matplotlib.use("Agg")


def _run(seed, reach_at, last=1000, every=1, target=0.25):
    """A record whose training error is 0.9 until step ``reach_at`` and ``target`` from there
    (``None``: never below 0.9), logged every ``every`` steps up to ``last``."""
    steps = [{"step": s, "train_top1_error": (target if reach_at is not None and s >= reach_at else 0.9)}
             for s in range(every, last + 1, every)]
    return {"seed": seed, "steps": steps, "config": {"log_every": every}}


def _runs(tanh_at, relu_at, **kw):
    return {"tanh": [_run(i, s, **kw) for i, s in enumerate(tanh_at)],
            "relu": [_run(i, s, **kw) for i, s in enumerate(relu_at)]}


def _errorbars(ax):
    """``[(x, y, lo, hi)]`` of every errorbar of ``ax``."""
    out = []
    for c in ax.containers:
        data_line, _caps, (bars, *_rest) = c.lines
        (x,), (y,) = data_line.get_xdata(), data_line.get_ydata()
        ((_, lo), (_, hi)), = bars.get_segments()
        out.append((x, y, lo, hi))
    return out


def test_plot_speedups_draws_the_geometric_mean_and_its_t_interval():
    tanh_at, relu_at = [200, 400, 300], [100, 100, 100]
    by_target = run_metrics.speedups_by_target(_runs(tanh_at, relu_at), "tanh", "relu", [0.25], resolution_steps=0)
    fig = plots.plot_speedups(by_target, 6.0, "paper: 6×", judged_at=0.25)
    ax = fig.axes[0]
    logs = [math.log(t / r) for t, r in zip(tanh_at, relu_at)]
    mean = statistics.fmean(logs)
    half = stats.t.ppf(0.975, df=2) * statistics.stdev(logs) / math.sqrt(3)
    (x, y, lo, hi), = _errorbars(ax)
    assert x == pytest.approx(25.0)
    assert y == pytest.approx(24 ** (1 / 3))                 # geometric mean of 2, 4, 3
    assert (lo, hi) == pytest.approx((math.exp(mean - half), math.exp(mean + half)))
    paper = [ln for ln in ax.get_lines() if ln.get_label() == "paper: 6×"]
    assert len(paper) == 1 and list(paper[0].get_ydata()) == [6.0, 6.0]
    filled = ax.containers[0].lines[0].get_markerfacecolor()
    assert filled != "white" and lo > 1                      # interval above 1×: a filled marker
    assert any(ln.get_label() == "the judged target" for ln in ax.get_lines())


def test_plot_speedups_widens_by_the_resolution_and_marks_open_intervals_hollow():
    # zero spread: the interval is the resolution alone, +-log-ratio resolution of the pair
    tanh_at, relu_at = [100, 100, 100], [100, 100, 100]
    by_target = run_metrics.speedups_by_target(_runs(tanh_at, relu_at), "tanh", "relu", [0.25], resolution_steps=1)
    fig = plots.plot_speedups(by_target, 6.0, "paper")
    (_, y, lo, hi), = _errorbars(fig.axes[0])
    r = max(math.log(101 / 100) + math.log(100 / 99), math.log(100 / 99) + math.log(101 / 100))
    assert y == pytest.approx(1.0) and (lo, hi) == pytest.approx((math.exp(-r), math.exp(r)))
    assert fig.axes[0].containers[0].lines[0].get_markerfacecolor() == "white"


def test_plot_speedups_skips_a_target_no_pair_reached_and_draws_the_censored_range():
    runs = _runs([None, 300, 200], [100, 100, 100], last=400)      # tanh seed 0 never reached
    both = {"tanh": runs["tanh"][:1] * 2, "relu": [_run(0, None, last=400)] * 2}   # no pair reached
    by_target = run_metrics.speedups_by_target(runs, "tanh", "relu", [0.25], resolution_steps=0)
    by_target[0.1] = run_metrics.speedups_by_target(both, "tanh", "relu", [0.25], resolution_steps=0)[0.25]
    fig = plots.plot_speedups(by_target, 6.0, "paper")
    ax = fig.axes[0]
    bars = _errorbars(ax)
    assert [b[0] for b in bars] == [pytest.approx(25.0)]          # nothing drawn at 10%
    # at the bound (tanh censored at its last step, 400): logs of 4, 3, 2
    assert bars[0][1] == pytest.approx(24 ** (1 / 3))
    hull = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--" and ln.get_label().startswith("interval")]
    assert len(hull) == 1
    h_lo, h_hi = sorted(hull[0].get_ydata())
    assert h_lo <= bars[0][2] + 1e-9 and h_hi > bars[0][3]       # the censored value can only add speed-up


def test_relu_claim_is_judged_in_size_only_in_the_papers_setting():
    tanh, relu = [600, 640, 560, 610, 590], [100, 100, 100, 100, 100]
    kw = dict(slow_horizons=[1000] * 5, fast_horizons=[1000] * 5, resolution_steps=0, setting="test")
    logs = np.log(np.array(tanh) / np.array(relu))
    half = stats.t.ppf(0.975, df=4) * logs.std(ddof=1) / math.sqrt(5)
    elsewhere = judging.judge_speedup("relu_speedup", tanh, relu, dataset="fashion-mnist", **kw)
    assert elsewhere["ci"] == pytest.approx([logs.mean() - half, logs.mean() + half])
    assert elsewhere["outcome"] == "same direction" and not elsewhere["paper_judged"]
    home = judging.judge_speedup("relu_speedup", tanh, relu, dataset="cifar10", target=0.25, **kw)
    assert home["paper_judged"] and home["outcome"] == "reproduced"     # 6x inside the interval
    assert home["ci"][0] < math.log(6) < home["ci"][1]
    other_target = judging.judge_speedup("relu_speedup", tanh, relu, dataset="cifar10", target=0.3, **kw)
    assert not other_target["paper_judged"] and other_target["outcome"] == "same direction"


def test_default_design_has_planned_seeds_apart_from_the_sweep_and_a_horizon_six_times_the_pilots():
    from alexnet_repro.analysis.preregistration import POWER_PILOT_SEEDS, planned_seeds
    p = profiles.resolve_parameters("relu_vs_tanh", "default")
    # as many seeds as the power calculation asks (3 detect 6x at the pilots' spread), at least 3
    assert len(p["seeds"]) == planned_seeds("relu_vs_tanh") >= 3 and not set(p["seeds"]) & set(p["sweep_seeds"])
    assert not (set(FIGURE1_PILOT_SEEDS) | set(POWER_PILOT_SEEDS)) & (set(p["seeds"]) | set(p["sweep_seeds"]))
    # the sweeps' first pass is shorter than the horizon, and an odd number of sweep seeds lets it act
    assert p["sweep_epochs"] < p["train"]["epochs"] and len(p["sweep_seeds"]) % 2 == 1
    assert (p["target_error"], p["second_target_error"]) == (0.14, 0.18)   # fixed from the pilots
    # the pilots' median ReLU steps to each target at its fastest rate: 426 in both regimes (design
    # log); the horizon must be at least six times it, and 7.5 times the 504 of the first build
    steps_per_epoch = math.ceil(p["train"]["limit"] / p["train"]["batch_size"])
    assert p["train"]["epochs"] * steps_per_epoch >= max(6 * 426, 7.4 * 504)
    ci = profiles.resolve_parameters("relu_vs_tanh", "ci")
    assert 2 <= len(ci["seeds"]) <= 3


def test_unbounded_intervals_are_saved_as_none(tmp_path):
    """A pair with both runs censored leaves the claim without estimate or interval, one seed
    leaves the curve without an interval: the chapter's record stores those ends as null."""
    runs = _runs([None, 300], [None, 100], last=400)
    by_target = run_metrics.speedups_by_target(runs, "tanh", "relu", [0.25, 0.1], resolution_steps=1)
    b = by_target[0.25]
    claim = judging.judge_speedup("relu_speedup", b["tanh_steps"], b["relu_steps"], slow_horizons=b["tanh_horizons"],
                                  fast_horizons=b["relu_horizons"], resolution_steps=1, dataset="fashion-mnist",
                                  setting="test")
    assert claim["outcome"] == "too few seeds to judge" and math.isinf(claim["ci"][1])
    one = run_metrics.speedups_by_target({v: rs[1:] for v, rs in runs.items()}, "tanh", "relu", [0.25])
    record = judging.chapter_record("relu_vs_tanh", "ci", [claim],
                                    {"speedup_by_target": run_metrics.speedups_record(one)})
    path = records.save_record(record, tmp_path, "relu_vs_tanh")
    back = json.loads(path.read_text())
    assert back["claims"][0]["ci"] == [None, None] and back["claims"][0]["estimate"] is None
    curve = back["speedup_by_target"]["0.25"]
    assert curve["estimate"] == pytest.approx(math.log(3)) and curve["ci"] == [None, None] and curve["mde"] is None
