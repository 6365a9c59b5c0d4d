"""verdicts.replication and helpers, checked against independent references: t quantiles typed
from a t-table (two-sided 95%: df 2 -> 4.303, df 4 -> 2.776; e.g. NIST/SEMATECH e-Handbook,
table 1.3.6.7.2), scipy.stats.t quantiles computed here, normal quantiles (1.960, 0.8416), a
Monte-Carlo power simulation, hand binomial sums, and a brute-force grid over censored values."""
from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from scipy import stats

matplotlib.use("Agg")

from alexnet_repro.analysis.speedups import log_speedups
from alexnet_repro.analysis.verdicts import (
    EFFECT_OUTCOMES,
    OUTCOMES,
    format_replication,
    mean_interval,
    replication,
)
from alexnet_repro.viz import plots  # noqa: E402

T95_DF2, T95_DF4 = 4.303, 2.776          # t-table, two-sided 95%
TIGHT = [1.8, 2.0, 2.2, 1.9, 2.1]         # mean 2, sd sqrt(0.025)
TIGHT_HALF = T95_DF4 * math.sqrt(0.025) / math.sqrt(5)   # 0.1963


def test_outcome_words_are_the_issues():
    assert set(OUTCOMES) == {"reproduced", "smaller than the paper", "larger than the paper",
                             "same direction", "opposite", "no effect as large as the paper's",
                             "no effect as large as the smallest that matters", "inconclusive",
                             "too few seeds to judge", "not testable on this dataset",
                             "not testable at this scale"}
    assert EFFECT_OUTCOMES == {"reproduced", "smaller than the paper", "larger than the paper",
                               "same direction", "opposite"}


# TIGHT's prediction interval: 2 +- 2.776 * sqrt(0.025) * sqrt(1 + 1/5) = 2 +- 0.4810
TIGHT_PI = T95_DF4 * math.sqrt(0.025) * math.sqrt(1.2)


@pytest.mark.parametrize("paper, outcome", [(2.1, "reproduced"), (2.45, "reproduced"),
                                            (2.6, "smaller than the paper"),
                                            (1.45, "larger than the paper"), (None, "same direction")])
def test_interval_above_zero(paper, outcome):
    r = replication(TIGHT, direction="greater", paper=paper)
    assert r["outcome"] == outcome
    assert r["estimate"] == pytest.approx(2.0)
    assert r["ci"][0] == pytest.approx(2 - TIGHT_HALF, abs=1e-3)
    assert r["ci"][1] == pytest.approx(2 + TIGHT_HALF, abs=1e-3)
    assert r["n"] == 5 and r["df"] == 4 and r["sd"] == pytest.approx(math.sqrt(0.025))
    assert r["pi"] == pytest.approx((2 - TIGHT_PI, 2 + TIGHT_PI), abs=1e-3)


def test_interval_matches_scipy_quantile_at_other_levels():
    crit = stats.t.ppf(0.95, 4)            # 90% two-sided
    r = replication(TIGHT, direction="greater", level=0.90)
    assert r["ci"][0] == pytest.approx(2 - crit * math.sqrt(0.025 / 5), rel=1e-9)


@pytest.mark.parametrize("paper", [2.1, None])
def test_interval_below_zero_is_opposite(paper):
    assert replication([-v for v in TIGHT], direction="greater", paper=paper)["outcome"] == "opposite"


def test_direction_less_mirrors_greater():
    neg = [-v for v in TIGHT]
    r = replication(neg, direction="less", paper=-2.1)
    assert r["outcome"] == "reproduced"
    assert r["ci"][0] == pytest.approx(-2 - TIGHT_HALF, abs=1e-3)
    assert r["ci"][1] == pytest.approx(-2 + TIGHT_HALF, abs=1e-3)
    assert r["mde"] < 0
    assert replication(neg, direction="less", paper=-3.0)["outcome"] == "smaller than the paper"
    assert replication(neg, direction="less", paper=-1.4)["outcome"] == "larger than the paper"
    assert replication(TIGHT, direction="less", paper=-2.1)["outcome"] == "opposite"


def test_interval_containing_zero():
    small = [-0.1, 0.1, 0.0, 0.05, -0.05]  # mean 0, sd sqrt(0.00625); 90% half 2.132 * 0.0354
    half90 = 2.132 * math.sqrt(0.00625 / 5)  # t-table, one-sided 95%, df 4: 2.132 -> 0.0754
    r = replication(small, direction="greater", paper=2.0)
    assert r["outcome"] == "no effect as large as the paper's"
    assert r["eq_interval"] == pytest.approx((-half90, half90), abs=1e-3)
    # the equivalence test uses the 90% interval: a margin between its end and the 95% end
    assert replication(small, direction="greater", paper=0.09)["outcome"] == \
        "no effect as large as the paper's"
    assert replication(small, direction="greater", paper=0.07)["outcome"] == "inconclusive"
    assert replication(small, direction="greater", paper=None)["outcome"] == "inconclusive"
    assert replication(small, direction="greater", margin=1.0)["outcome"] == \
        "no effect as large as the smallest that matters"
    assert replication(small, direction="greater", margin=1.0, margin_from_paper=True)["outcome"] \
        == "no effect as large as the paper's"


def test_the_issues_equivalence_case_is_named_for_what_it_shows():
    # [-0.3, 0.2, 0.5, 0.9, 0.6] against 1.4: the old rule said "no effect at this scale"; the
    # 90% interval is 0.38 +- 2.132 * sd / sqrt(5), which ends below 1.4 but well above 0.
    x = [-0.3, 0.2, 0.5, 0.9, 0.6]
    r = replication(x, direction="greater", paper=1.4)
    half90 = 2.132 * np.std(x, ddof=1) / math.sqrt(5)
    assert r["eq_interval"] == pytest.approx((0.38 - half90, 0.38 + half90), abs=1e-3)
    assert r["outcome"] == "no effect as large as the paper's"
    assert replication(x, direction="greater", paper=0.8)["outcome"] == "inconclusive"


def test_zero_spread_is_not_certainty_with_a_resolution():
    r = replication([2.0, 2.0, 2.0], direction="greater", paper=3.0, resolution=0.5)
    assert r["ci"] == pytest.approx((1.5, 2.5))
    assert r["outcome"] == "smaller than the paper"
    assert r["mde"] == pytest.approx(0.5)
    # the same ties near zero: the resolution keeps 0 inside the interval
    r = replication([0.2, 0.2, 0.2], direction="greater", paper=3.0, resolution=0.5)
    assert r["ci"] == pytest.approx((-0.3, 0.7))
    assert r["outcome"] == "no effect as large as the paper's"
    # per-value resolutions: the mean's error bound is their mean
    r = replication([2.0, 2.0, 2.0], direction="greater", resolution=[0.2, 0.4, 0.3])
    assert r["ci"] == pytest.approx((1.7, 2.3)) and r["pi"] == pytest.approx((1.7, 2.3))


def test_resolution_adds_to_the_t_interval():
    r = replication(TIGHT, direction="greater", resolution=0.25)
    assert r["ci"][0] == pytest.approx(2 - TIGHT_HALF - 0.25, abs=1e-3)


@pytest.mark.parametrize("effects", [[], [3.0]])
def test_fewer_than_two_effects_is_too_few(effects):
    r = replication(effects, direction="greater", paper=3.0)
    assert r["outcome"] == "too few seeds to judge"
    assert r["ci"] == (-math.inf, math.inf) and r["mde"] == math.inf
    assert r["estimate"] == (effects[0] if effects else None)
    assert replication(effects, direction="less")["mde"] == -math.inf


def test_two_seeds_are_too_few_whatever_they_show():
    # two effects far from zero: a t-interval exists (t = 12.71 at df 1) but the rule needs 3
    r = replication([5.0, 5.1], direction="greater", paper=5.0)
    assert r["outcome"] == "too few seeds to judge"
    assert format_replication(r) == "5.0 from 2 seeds (no interval; paper 5.0)"
    assert replication([5.0, 5.1, 4.9], direction="greater", paper=5.0)["outcome"] == "reproduced"


@pytest.mark.parametrize("kwargs, words", [
    ({"direction": "up"}, "direction"), ({"direction": "greater", "paper": -1.0}, "side"),
    ({"direction": "less", "paper": 1.0}, "side"), ({"direction": "greater", "level": 95}, "level"),
    ({"direction": "greater", "resolution": -1}, "resolution"),
    ({"direction": "greater", "censored": [None]}, "censored"),
    ({"direction": "greater", "paper": (1.0, 2.0, 3.0)}, "about"),
    ({"direction": "greater", "paper": (-1.0, None)}, "side"),
    ({"direction": "greater", "paper": 1.0, "margin": 0.5}, "margin only"),
    ({"direction": "greater", "margin": -0.5}, "margin"),
    ({"direction": "greater", "bounds": (1, -1)}, "bounds"),
])
def test_bad_input_says_what_is_wrong(kwargs, words):
    with pytest.raises(ValueError, match=words):
        replication([1.0, 2.0], **kwargs)


def test_nan_effect_is_refused():
    with pytest.raises(ValueError, match="finite"):
        replication([1.0, float("nan")], direction="greater")


# -- minimum detectable effect ------------------------------------------------------------------

def _unit_sd(n):
    x = np.linspace(-1, 1, n)
    return list(x / x.std(ddof=1))


@pytest.mark.parametrize("n, res", [(3, 0.0), (5, 0.0), (5, 0.3)])
def test_mde_has_80_percent_power_by_simulation(n, res):
    mde = replication(_unit_sd(n), direction="greater", resolution=res)["mde"]
    rng = np.random.default_rng(2012)
    draws = rng.normal(mde, 1.0, size=(40_000, n))
    crit = stats.t.ppf(0.975, n - 1)
    lower = draws.mean(1) - crit * draws.std(1, ddof=1) / math.sqrt(n) - res
    assert (lower > 0).mean() == pytest.approx(0.8, abs=0.01)   # MC s.e. 0.002


def test_mde_for_large_n_is_the_normal_formula():
    n = 400
    mde = replication(_unit_sd(n), direction="greater")["mde"]
    assert mde == pytest.approx((1.960 + 0.8416) / math.sqrt(n), rel=0.01)


# -- censoring ----------------------------------------------------------------------------------

def _issue_case():
    return log_speedups([120, 120, None], [100] * 3, slow_horizons=[200, 200, 120])


def test_log_speedups_of_the_issues_case():
    d = _issue_case()
    assert d["effects"] == pytest.approx([math.log(1.2)] * 3)
    assert d["censored"] == [None, None, "greater"]
    assert d["resolution"] == [0.0] * 3


def test_issues_case_is_not_judged_at_the_bound():
    paper = math.log(6)
    # read at the bound as if exact, three ties would be "smaller than the paper" ...
    assert replication([math.log(1.2)] * 3, direction="greater", paper=paper)["outcome"] == \
        "smaller than the paper"
    # ... but the censored value may be up to 12x: the outcome must hold over that whole range
    r = replication(**_issue_case(), direction="greater", paper=paper)
    assert r["outcome"] == "inconclusive"
    assert replication(**_issue_case(), direction="greater")["outcome"] == "inconclusive"


def test_true_value_of_275x_handled_consistently():
    logs = [math.log(1.2), math.log(1.2), math.log(2.75)]
    mean, sd = np.mean(logs), np.std(logs, ddof=1)
    lo, hi = mean - T95_DF2 * sd / math.sqrt(3), mean + T95_DF2 * sd / math.sqrt(3)
    t90 = 2.920                                                      # t-table, one-sided 95%, df 2
    e_lo, e_hi = mean - t90 * sd / math.sqrt(3), mean + t90 * sd / math.sqrt(3)
    assert lo < 0 < hi and -math.log(6) < e_lo and e_hi < math.log(6)   # hand: not as large
    exact = replication(logs, direction="greater", paper=math.log(6))
    assert exact["ci"] == pytest.approx((lo, hi), abs=2e-3)
    assert exact["outcome"] == "no effect as large as the paper's"
    censored = replication(**_issue_case(), direction="greater", paper=math.log(6))
    assert censored["outcome"] in ("inconclusive", exact["outcome"])


def _point_outcomes(xs, p, level=0.95, margin=None):
    """The issue's rules, written out directly, on exact oriented values (one row per case):
    direction on the t-interval, size on the prediction interval, equivalence on the 90% one.
    ``p``: None, a number, (lo, hi) or (lo, None)."""
    xs = np.atleast_2d(np.asarray(xs, dtype=float))
    n = xs.shape[1]
    sd = xs.std(1, ddof=1)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    half_pi = stats.t.ppf(0.5 + level / 2, n - 1) * sd * math.sqrt(1 + 1 / n)
    half_eq = stats.t.ppf(level, n - 1) * sd / math.sqrt(n)
    a, b = (None, None) if p is None else (p if isinstance(p, tuple) else (p, p))
    m = margin if p is None else a
    out = set()
    for mean, h, hp, he in zip(xs.mean(1), half, half_pi, half_eq):
        if mean - h > 0:
            if p is None:
                out.add("same direction")
            elif mean + hp < a:
                out.add("smaller than the paper")
            elif b is not None and mean - hp > b:
                out.add("larger than the paper")
            else:
                out.add("reproduced")
        elif mean + h < 0:
            out.add("opposite")
        elif m is not None and -m < mean - he and mean + he < m:
            out.add("no effect as large as the paper's" if p is not None else
                    "no effect as large as the smallest that matters")
        else:
            out.add("inconclusive")
    return out


def _point_outcome(x, p):
    return _point_outcomes(x, p).pop()


def _brute_force(values, index, side, p, span=math.log(100)):
    xs = np.repeat([values], 3001, axis=0)
    xs[:, index] = np.linspace(values[index], values[index] + side * span, 3001)
    outcomes = _point_outcomes(xs, p)
    return outcomes.pop() if len(outcomes) == 1 else "inconclusive"


def test_censored_outcome_equals_brute_force_over_the_range():
    rng = np.random.default_rng(7)
    seen = set()
    for _ in range(60):
        n = int(rng.integers(3, 7))
        values = list(rng.normal(rng.uniform(-0.5, 2.5), rng.uniform(0.05, 0.8), n))
        side = int(rng.choice([1, -1]))
        p = float(rng.choice([0.8, 1.5, 3.0])) if rng.random() < 0.8 else None
        cens = [None] * (n - 1) + ["greater" if side > 0 else "less"]
        got = replication(values, direction="greater", paper=p, censored=cens)["outcome"]
        assert got == _brute_force(values, n - 1, side, p), (values, side, p)
        mirrored = replication([-v for v in values], direction="less", paper=None if p is None else -p,
                               censored=[None] * (n - 1) + ["less" if side > 0 else "greater"])
        assert mirrored["outcome"] == got
        seen.add(got)
    assert len(seen) >= 4          # the cases exercise several outcomes, not one


def test_censored_outcome_is_reported_only_where_both_caps_agree():
    values = [1.0, 1.1, 0.9, 1.05, 0.95, 1.0]
    # the last run is censored: up to 10x beyond its bound every t-interval stays above zero, up
    # to 100x (log 100 = 4.6 above it) the spread pulls the lower end below zero (hand: at 5.61,
    # mean 1.77, sd 1.88, lower end 1.77 - 2.571 * 1.88 / sqrt(6) = -0.21)
    assert _brute_force(values, 5, 1, None, span=math.log(10)) == "same direction"
    assert _brute_force(values, 5, 1, None, span=math.log(100)) == "inconclusive"
    r = replication(values, direction="greater", censored=[None] * 5 + ["greater"])
    assert r["span_outcomes"] == ["same direction", "inconclusive"]
    assert r["outcome"] == "inconclusive"
    assert r["ci_hull"][0] == pytest.approx(1.77 - 2.571 * 1.88 / math.sqrt(6), abs=0.02)
    # a tighter pair of arms decides under both caps
    tight = [3.0, 3.1, 2.9, 3.05, 2.95, 3.0, 3.02, 2.98]
    r = replication(tight, direction="greater", censored=[None] * 7 + ["greater"])
    assert r["span_outcomes"] == ["same direction"] * 2 and r["outcome"] == "same direction"


def test_two_censored_values_check_the_whole_box():
    values = [0.5, 0.6, 0.4, 0.5]
    r = replication(values, direction="greater", paper=1.0, censored=[None, None, "greater", "less"])
    grid = [[0.5, 0.6, a, b] for a in np.linspace(0.4, 0.4 + math.log(10), 61)
            for b in np.linspace(0.5 - math.log(10), 0.5, 61)]
    outcomes = _point_outcomes(grid, 1.0)
    assert len(outcomes) > 1 and r["outcome"] == "inconclusive"


def test_fast_censored_and_both_censored_pairs():
    d = log_speedups([300, 250, None], [100, 120, None], fast_horizons=[None, None, 90],
                     slow_horizons=[None, None, 400])
    assert d["censored"] == [None, None, "unknown"] and d["effects"][2] is None
    r = replication(**d, direction="greater", paper=math.log(6))
    assert r["outcome"] == "inconclusive" and r["estimate"] is None
    d = log_speedups([300], [None], fast_horizons=[150])
    assert d["effects"] == pytest.approx([math.log(2)]) and d["censored"] == ["less"]


def test_log_speedup_resolution_by_hand():
    d = log_speedups([120], [100], resolution_steps=10)
    up = math.log(130 / 120) + math.log(100 / 90)
    down = math.log(120 / 110) + math.log(110 / 100)
    assert d["resolution"] == pytest.approx([max(up, down)])
    # a count at the resolution itself: the true count can be as low as one step
    d = log_speedups([40], [10], resolution_steps=10)
    assert d["resolution"][0] == pytest.approx(math.log(50 / 40) + math.log(10 / 1))


def test_a_censored_run_never_measured_leaves_its_pair_unknown():
    # run 1 of the slow arm never reached the target and has no horizon (no measurement at all):
    # nothing bounds its ratio, so the pair is unknown, as when both runs are censored
    d = log_speedups([None, 300, 310], [100, 100, 100], slow_horizons=[None, 400, 400])
    assert d["effects"] == [None, pytest.approx(math.log(3)), pytest.approx(math.log(3.1))]
    assert d["censored"] == ["unknown", None, None]
    assert replication(**d, direction="greater")["outcome"] == "inconclusive"


@pytest.mark.parametrize("call, words", [
    (lambda: log_speedups([1, None], [1, 1]), "slow_horizons"),
    (lambda: log_speedups([1, 2], [1]), "paired"),
    (lambda: log_speedups([0], [1]), "positive"),
])
def test_log_speedups_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()


# -- formatting, figure ------------------------------------------------------------------------

def test_too_many_censored_values_is_refused():
    with pytest.raises(ValueError, match="censored"):
        replication([1.0] * 14, direction="greater", censored=["greater"] * 13 + [None])


def test_format_points_and_ratios():
    r = replication(TIGHT, direction="greater", paper=2.1)
    text = format_replication(r)
    assert text.startswith(f"2.0 [{2 - TIGHT_HALF:.1f}, {2 + TIGHT_HALF:.1f}]; one new run "
                           f"[{2 - TIGHT_PI:.1f}, {2 + TIGHT_PI:.1f}] (MDE ")
    assert text.endswith("; paper 2.1)")
    r = replication([math.log(1.2)] * 3, direction="greater", paper=math.log(6), resolution=0.1)
    lo, hi = f"{1.2 / math.exp(0.1):.2f}\u00d7", f"{1.2 * math.exp(0.1):.2f}\u00d7"
    assert format_replication(r, unit="log ratio") == (
        f"1.20\u00d7 [{lo}, {hi}]; one new run [{lo}, {hi}] "
        f"(MDE {math.exp(0.1):.2f}\u00d7; paper 6.00\u00d7)")
    r = replication([math.log(1.2)] * 3, direction="greater")
    assert "paper 6.00\u00d7, other setting, not judged" in format_replication(
        r, unit="log ratio", paper_elsewhere=math.log(6))
    assert format_replication(replication([1.0], direction="greater")) == \
        "1.0 from 1 seed (no interval; no paper value)"
    assert "paper 1.5 to 2.5" in format_replication(replication(TIGHT, direction="greater",
                                                                 paper=(1.5, 2.5)))
    assert "paper over 1.0" in format_replication(replication(TIGHT, direction="greater",
                                                              paper=(1.0, None)))
    assert "smallest effect that matters 1.0" in format_replication(
        replication(TIGHT, direction="greater", margin=1.0))


def test_intervals_of_error_differences_are_clipped_to_the_scale():
    # two wildly different runs and one more: the t-interval would run past +-100 points
    x = [-90.0, 95.0, 3.0]
    raw = replication(x, direction="greater")
    assert raw["ci"][0] < -100 and raw["ci"][1] > 100 and raw["clipped"] is False
    r = replication(x, direction="greater", bounds=(-100.0, 100.0))
    assert r["ci"] == (-100.0, 100.0) and r["pi"] == (-100.0, 100.0) and r["clipped"] is True
    assert r["outcome"] == raw["outcome"] == "inconclusive"
    text = format_replication(r)
    assert "MDE beyond the scale" in text and "clipped to the scale (-100.0 to 100.0)" in text
    assert "-142" not in text
    m = mean_interval([0.01, 0.30, 0.02], bounds=(0.0, 1.0))   # hand: 0.11 -+ 0.41
    assert m["lo"] == 0.0 and m["clipped"] is True and m["hi"] < 1.0


def _forest_rows():
    return [
        {"chapter": "relu", "label": "relu_speedup", "title": "ReLUs train faster", "unit": "log ratio",
         **replication(**_issue_case(), direction="greater", paper=math.log(6))},
        {"chapter": "dropout", "label": "gap", "title": "Dropout curbs overfitting", "unit": "points",
         **replication(TIGHT, direction="greater", paper=2.1)},
        {"chapter": "dropout", "label": "other", "title": "Another setting", "unit": "points",
         **replication(TIGHT, direction="greater")},
        {"chapter": "lrn", "label": "one_seed", "title": "One seed", "unit": "points",
         **replication([1.0], direction="less", paper=-1.4)},
        {"chapter": "aug", "label": "big", "title": "A forty-point effect", "unit": "points",
         **replication([39.0, 40.0, 41.0], direction="greater")},
    ]


def test_forest_plot_panels_titles_and_markers():
    rows = _forest_rows()
    fig = plots.forest_plot(rows, title="claims")
    # three panels: points near zero, the 40-point effect alone, the ratio
    assert [ax.get_title(loc="left") for ax in fig.axes] == [
        "Effects of up to 10 points", "Effects over 10 points", "Ratios of steps to a target"]
    labels = [[t.get_text().replace("\n", " ") for t in ax.get_yticklabels()] for ax in fig.axes]
    assert labels == [["Dropout curbs overfitting", "Another setting", "One seed"],
                      ["A forty-point effect"], ["ReLUs train faster"]]
    small, big, ratio = fig.axes
    assert small.get_xlim()[1] - small.get_xlim()[0] < 30          # the 40 points are not on it
    assert big.get_xlim()[0] <= 0 <= 40 < big.get_xlim()[1]
    estimates = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_marker() == "o"]
    assert len(estimates) == len(rows)
    papers = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_marker() == "D"]
    assert len(papers) == sum(r["paper"] is not None for r in rows) == 3
    outcomes = [t.get_text().replace("\n", " ") for ax in fig.axes for t in ax.texts]
    assert outcomes == [rows[i]["outcome"] for i in (1, 2, 3, 4, 0)]
    matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="unit"):
        plots.forest_plot([{**rows[0], "unit": "seconds"}])


def test_forest_plot_is_readable_at_the_text_column_width(tmp_path):
    """Shown at most 688 px wide (the text column) at 100 dpi: not scaled down, so no font under
    9 pt shows smaller; the ratio axis' tick labels do not overlap."""
    from PIL import Image
    fig = plots.forest_plot(_forest_rows(), title="claims")
    fig.savefig(tmp_path / "f.png", dpi=100, bbox_inches="tight")
    assert Image.open(tmp_path / "f.png").size[0] <= 688
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
    assert min(sizes) >= 9
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()
                 and ax.get_xlim()[0] <= t.get_position()[0] <= ax.get_xlim()[1]]
        assert all(not a.overlaps(b) for a, b in zip(boxes, boxes[1:]))
    matplotlib.pyplot.close(fig)


def test_forest_limits_cut_wide_intervals_by_hand():
    # estimate 1, interval [-30, 33], floor 10: cap max(10, 2 * 1) = 10, range [-10, 10] padded 8%
    rows = [{"estimate": 1.0, "paper": None, "ci": (-30.0, 33.0)}]
    assert plots.forest_limits(rows, "points", 10.0) == pytest.approx((-11.6, 11.6))
    # estimate 40, interval [37, 43], no floor: cap 80, range [0, 43] padded by 3.44
    rows = [{"estimate": 40.0, "paper": None, "ci": (37.0, 43.0)}]
    assert plots.forest_limits(rows, "points", 0.0) == pytest.approx((-3.44, 46.44))
    # all zeros: at least 2 points wide, centred, padded by 8% of 2: (-1.16, 1.16)
    rows = [{"estimate": 0.0, "paper": None, "ci": (0.0, 0.0)}]
    assert plots.forest_limits(rows, "points", 10.0) == pytest.approx((-1.16, 1.16))


def test_mean_interval_is_the_t_table_interval():
    # 3 seeds 16, 17, 18: mean 17, sd 1 (by hand), half-width 4.303 / sqrt(3) = 2.4843
    r = mean_interval([16.0, 17.0, 18.0])
    assert r["n"] == 3 and r["mean"] == pytest.approx(17.0) and r["sd"] == pytest.approx(1.0)
    assert r["half_width"] == pytest.approx(T95_DF2 / math.sqrt(3), abs=3e-4)   # table: 3 decimals
    assert (r["lo"], r["hi"]) == pytest.approx((17 - 2.4843, 17 + 2.4843), abs=2e-4)
    five = mean_interval(TIGHT)
    assert five["half_width"] == pytest.approx(TIGHT_HALF, abs=2e-4)
    # other levels: the scipy quantile (two seeds, 90%: t_{0.95, 1} = 6.314 by the table)
    two = mean_interval([1.0, 2.0], level=0.90)
    assert two["half_width"] == pytest.approx(stats.t.ppf(0.95, 1) * math.sqrt(0.5) / math.sqrt(2))
    assert two["half_width"] == pytest.approx(6.314 * 0.5, abs=1e-3)


def test_mean_interval_of_one_value_has_no_interval_and_bad_input_is_refused():
    one = mean_interval([0.2])
    assert one["mean"] == 0.2 and one["half_width"] is None and one["lo"] is None and one["hi"] is None
    for bad, words in (([], "at least one"), ([1.0, float("nan")], "finite"), ([1.0, 2.0], "level")):
        with pytest.raises(ValueError, match=words):
            mean_interval(bad, level=1.5 if words == "level" else 0.95)
