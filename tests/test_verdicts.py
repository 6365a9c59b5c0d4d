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

from alexnet_repro.analysis.verdicts import (
    EFFECT_OUTCOMES,
    OUTCOMES,
    chance_effects,
    chance_sentence,
    format_replication,
    log_speedups,
    mean_interval,
    replication,
)
from alexnet_repro.viz import plots  # noqa: E402

T95_DF2, T95_DF4 = 4.303, 2.776          # t-table, two-sided 95%
TIGHT = [1.8, 2.0, 2.2, 1.9, 2.1]         # mean 2, sd sqrt(0.025)
TIGHT_HALF = T95_DF4 * math.sqrt(0.025) / math.sqrt(5)   # 0.1963


def test_outcome_words_are_the_issues():
    assert set(OUTCOMES) == {"reproduced", "smaller than the paper", "larger than the paper",
                             "same direction", "opposite", "no effect at this scale", "inconclusive"}


@pytest.mark.parametrize("paper, outcome", [(2.1, "reproduced"), (3.0, "smaller than the paper"),
                                            (1.5, "larger than the paper"), (None, "same direction")])
def test_interval_above_zero(paper, outcome):
    r = replication(TIGHT, direction="greater", paper=paper)
    assert r["outcome"] == outcome
    assert r["estimate"] == pytest.approx(2.0)
    assert r["ci"][0] == pytest.approx(2 - TIGHT_HALF, abs=1e-3)
    assert r["ci"][1] == pytest.approx(2 + TIGHT_HALF, abs=1e-3)
    assert r["n"] == 5 and r["df"] == 4 and r["sd"] == pytest.approx(math.sqrt(0.025))


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
    assert replication(neg, direction="less", paper=-1.5)["outcome"] == "larger than the paper"
    assert replication(TIGHT, direction="less", paper=-2.1)["outcome"] == "opposite"


def test_interval_containing_zero():
    small = [-0.1, 0.1, 0.0, 0.05, -0.05]  # mean 0, sd sqrt(0.00625) -> half 0.098
    assert replication(small, direction="greater", paper=2.0)["outcome"] == "no effect at this scale"
    # the paper's effect is not ruled out when it lies inside the interval
    assert replication(small, direction="greater", paper=0.05)["outcome"] == "inconclusive"
    assert replication(small, direction="greater", paper=None)["outcome"] == "inconclusive"


def test_zero_spread_is_not_certainty_with_a_resolution():
    r = replication([2.0, 2.0, 2.0], direction="greater", paper=3.0, resolution=0.5)
    assert r["ci"] == pytest.approx((1.5, 2.5))
    assert r["outcome"] == "smaller than the paper"
    assert r["mde"] == pytest.approx(0.5)
    # the same ties near zero: the resolution keeps 0 inside the interval
    r = replication([0.2, 0.2, 0.2], direction="greater", paper=3.0, resolution=0.5)
    assert r["ci"] == pytest.approx((-0.3, 0.7))
    assert r["outcome"] == "no effect at this scale"
    # per-value resolutions: the mean's error bound is their mean
    r = replication([2.0, 2.0], direction="greater", resolution=[0.2, 0.4])
    assert r["ci"] == pytest.approx((1.7, 2.3))


def test_resolution_adds_to_the_t_interval():
    r = replication(TIGHT, direction="greater", resolution=0.25)
    assert r["ci"][0] == pytest.approx(2 - TIGHT_HALF - 0.25, abs=1e-3)


@pytest.mark.parametrize("effects", [[], [3.0]])
def test_fewer_than_two_effects_is_inconclusive(effects):
    r = replication(effects, direction="greater", paper=3.0)
    assert r["outcome"] == "inconclusive"
    assert r["ci"] == (-math.inf, math.inf) and r["mde"] == math.inf
    assert r["estimate"] == (effects[0] if effects else None)
    assert replication(effects, direction="less")["mde"] == -math.inf


@pytest.mark.parametrize("kwargs, words", [
    ({"direction": "up"}, "direction"), ({"direction": "greater", "paper": -1.0}, "side"),
    ({"direction": "less", "paper": 1.0}, "side"), ({"direction": "greater", "level": 95}, "level"),
    ({"direction": "greater", "resolution": -1}, "resolution"),
    ({"direction": "greater", "censored": [None]}, "censored"),
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
    assert lo < 0 < hi < math.log(6) and lo > -math.log(6)          # hand: no effect at this scale
    exact = replication(logs, direction="greater", paper=math.log(6))
    assert exact["ci"] == pytest.approx((lo, hi), abs=2e-3)
    assert exact["outcome"] == "no effect at this scale"
    censored = replication(**_issue_case(), direction="greater", paper=math.log(6))
    assert censored["outcome"] in ("inconclusive", exact["outcome"])


def _point_outcomes(xs, p, level=0.95):
    """The issue's rules, written out directly, on exact oriented values (one row per case)."""
    xs = np.atleast_2d(np.asarray(xs, dtype=float))
    n = xs.shape[1]
    half = stats.t.ppf(0.5 + level / 2, n - 1) * xs.std(1, ddof=1) / math.sqrt(n)
    out = set()
    for lo, hi in zip(xs.mean(1) - half, xs.mean(1) + half):
        if lo > 0:
            out.add("same direction" if p is None else "larger than the paper" if lo > p else
                    "smaller than the paper" if hi < p else "reproduced")
        elif hi < 0:
            out.add("opposite")
        else:
            out.add("no effect at this scale" if p is not None and -p < lo and hi < p else "inconclusive")
    return out


def _point_outcome(x, p):
    return _point_outcomes(x, p).pop()


def _brute_force(values, index, side, p, span=math.log(10)):
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


def test_censored_values_far_beyond_the_others_can_still_decide():
    values = [1.0, 1.1, 0.9, 1.05, 0.95, 1.0]
    r = replication(values, direction="greater", censored=[None] * 5 + ["greater"])
    assert r["outcome"] == _brute_force(values, 5, 1, None) == "same direction"
    assert r["ci_hull"][1] > r["ci"][1]


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
    d = log_speedups([None, 300], [100, 100], slow_horizons=[None, 400])
    assert d["effects"] == [None, pytest.approx(math.log(3))] and d["censored"] == ["unknown", None]
    assert replication(**d, direction="greater")["outcome"] == "inconclusive"


@pytest.mark.parametrize("call, words", [
    (lambda: log_speedups([1, None], [1, 1]), "slow_horizons"),
    (lambda: log_speedups([1, 2], [1]), "paired"),
    (lambda: log_speedups([0], [1]), "positive"),
])
def test_log_speedups_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call()


# -- chance, formatting, figure -----------------------------------------------------------------

def test_chance_effects_by_hand_binomial():
    c = chance_effects(10, observed=3)
    pmf = [math.comb(10, j) * 0.05 ** j * 0.95 ** (10 - j) for j in range(11)]
    assert c["expected"] == pytest.approx(0.5)
    assert sum(pmf[:2]) < 0.95 <= sum(pmf[:3]) and c["upper"] == 2
    assert c["p_at_least"] == pytest.approx(1 - sum(pmf[:3]))
    assert EFFECT_OUTCOMES == set(OUTCOMES) - {"inconclusive", "no effect at this scale"}


def test_chance_sentence_counts_outcomes():
    outcomes = ["reproduced", "opposite", "no effect at this scale", "inconclusive"] + ["inconclusive"] * 6
    text = chance_sentence(outcomes)
    pmf = [math.comb(10, j) * 0.05 ** j * 0.95 ** (10 - j) for j in range(11)]
    assert text.startswith("3 of 10 claims have a decisive outcome, 2 of them asserting an effect.")
    assert "0.5 such outcomes" in text and "at most 2 in 95%" in text
    assert f"{1 - sum(pmf[:2]):.2g}" in text
    with pytest.raises(ValueError, match="outcome"):
        chance_sentence(["consistent"])


def test_too_many_censored_values_is_refused():
    with pytest.raises(ValueError, match="censored"):
        replication([1.0] * 14, direction="greater", censored=["greater"] * 13 + [None])


def test_chance_rate_matches_simulated_null():
    rng = np.random.default_rng(3)
    hits = sum(replication(list(rng.normal(0, 1, 4)), direction="greater", paper=1.0)["outcome"]
               in EFFECT_OUTCOMES for _ in range(600))
    assert hits / 600 == pytest.approx(chance_effects(1)["rate"], abs=0.03)


def test_format_points_and_ratios():
    r = replication(TIGHT, direction="greater", paper=2.1)
    text = format_replication(r)
    assert text.startswith(f"2.0 [{2 - TIGHT_HALF:.1f}, {2 + TIGHT_HALF:.1f}] (MDE ")
    assert text.endswith("; paper 2.1)")
    r = replication([math.log(1.2)] * 3, direction="greater", paper=math.log(6), resolution=0.1)
    assert format_replication(r, unit="log ratio") == (
        f"1.20\u00d7 [{1.2 / math.exp(0.1):.2f}\u00d7, {1.2 * math.exp(0.1):.2f}\u00d7] "
        f"(MDE {math.exp(0.1):.2f}\u00d7; paper 6.00\u00d7)")
    r = replication([math.log(1.2)] * 3, direction="greater")
    assert "paper 6.00\u00d7, other setting, not judged" in format_replication(
        r, unit="log ratio", paper_elsewhere=math.log(6))
    assert "\u221e" in format_replication(replication([1.0], direction="greater"))


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
