"""The size rule of issue 23, checked against independent references: a seeded simulation of
identical replications (the paper's number drawn as one more run), scipy's t quantiles, hand
arithmetic, and a brute-force power simulation for :func:`seeds_for_power`."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from alexnet_repro.analysis.verdicts import replication, seeds_for_power

REPS = 1000


def _exact(n, mean, sd):
    """n values with exactly this mean and sample standard deviation (ddof 1)."""
    z = np.linspace(-1.0, 1.0, n)
    z = (z - z.mean()) / z.std(ddof=1)
    return list(mean + sd * z)


@pytest.mark.parametrize("n", [5, 10, 20])
def test_identical_replications_are_reproduced_about_95_percent_of_the_time(n):
    # true effect 3.0, sd 0.5: six standard deviations from zero, so the direction is always found;
    # the paper's number is one more run from the same distribution
    rng = np.random.default_rng(20261206 + n)
    new_rule = old_rule = 0
    for _ in range(REPS):
        x = rng.normal(3.0, 0.5, n)
        paper = float(rng.normal(3.0, 0.5))
        r = replication(list(x), direction="greater", paper=paper)
        new_rule += r["outcome"] == "reproduced"
        lo, hi = r["ci"]                                  # the old rule: paper inside our mean's CI
        old_rule += lo <= paper <= hi
    # Monte-Carlo sd of a share near 0.95 over 1000 draws: 0.0069; allow 3.6 of them
    assert new_rule / REPS == pytest.approx(0.95, abs=0.025)
    # the old rule's rate: P(|t| <= t_crit * sqrt(n/(n+1)))... below 0.7 and falling with n
    expected_old = 2 * stats.t.cdf(stats.t.ppf(0.975, n - 1) / math.sqrt(n + 1), n - 1) - 1
    assert old_rule / REPS == pytest.approx(expected_old, abs=0.05)
    assert old_rule / REPS < 0.75


def test_the_issues_hand_cases():
    # 20 effects, mean 1.0, sd 0.5, against 1.4: PI 1.0 +- 2.093 * 0.5 * sqrt(1.05) = [-0.07, 2.07]
    x = _exact(20, 1.0, 0.5)
    r = replication(x, direction="greater", paper=1.4)
    half = 2.093 * 0.5 * math.sqrt(1.05)                      # t-table, two-sided 95%, df 19: 2.093
    assert r["pi"] == pytest.approx((1.0 - half, 1.0 + half), abs=2e-3)
    assert r["ci"][1] < 1.4                                    # the old rule said "smaller"
    assert r["outcome"] == "reproduced"
    # five effects, mean 0.25, sd 0.04, against 1.4: PI 0.25 +- 2.776 * 0.04 * sqrt(1.2) = [0.13, 0.37]
    r = replication(_exact(5, 0.25, 0.04), direction="greater", paper=1.4)
    assert r["pi"] == pytest.approx((0.25 - 2.776 * 0.04 * math.sqrt(1.2),
                                     0.25 + 2.776 * 0.04 * math.sqrt(1.2)), abs=1e-3)
    assert r["outcome"] == "smaller than the paper"


# five effects, mean 2.0, sd 0.2: CI 2 +- 0.248, PI 2 +- 2.776 * 0.2 * sqrt(1.2) = [1.392, 2.608]
FIVE = _exact(5, 2.0, 0.2)


@pytest.mark.parametrize("paper, outcome", [
    ((1.5, 2.5), "reproduced"),                  # the range overlaps the PI
    ((2.5, 3.0), "reproduced"),                  # overlaps at the PI's upper end (2.608)
    ((2.7, 3.5), "smaller than the paper"),      # the PI lies below lo
    ((0.5, 1.3), "larger than the paper"),       # the PI lies above hi
    ((1.0, None), "reproduced"),                 # "over 1": the PI reaches 1
    ((2.6, None), "reproduced"),                 # reaches 2.6 (its top is 2.608)
    ((2.7, None), "smaller than the paper"),     # never reaches 2.7
])
def test_ranges_and_bounds_on_both_sides(paper, outcome):
    top = 2.0 + 2.776 * 0.2 * math.sqrt(1.2)
    assert top == pytest.approx(2.608, abs=1e-3)
    assert replication(FIVE, direction="greater", paper=paper)["outcome"] == outcome
    # mirrored: direction "less", effects and paper negated
    neg = None if paper is None else tuple(None if v is None else -v for v in paper)
    assert replication([-v for v in FIVE], direction="less", paper=neg)["outcome"] == outcome


def test_a_bound_is_never_larger_than_the_paper():
    # "over 1" says nothing of an upper end: an effect of 50 still reproduces it
    assert replication(_exact(5, 50.0, 0.2), direction="greater", paper=(1.0, None))["outcome"] \
        == "reproduced"


def test_seeds_for_power_matches_a_power_simulation():
    n = seeds_for_power(1.0, 1.0)
    crit = lambda k: stats.t.ppf(0.975, k - 1)                # noqa: E731
    # independent: the noncentral t power at n and n - 1 brackets 0.8
    power = lambda k: stats.nct.sf(crit(k), k - 1, 1.0 * math.sqrt(k))   # noqa: E731
    assert power(n) >= 0.8 > power(n - 1)
    rng = np.random.default_rng(5)
    x = rng.normal(1.0, 1.0, (20000, n))
    lo = x.mean(1) - crit(n) * x.std(1, ddof=1) / math.sqrt(n)
    assert (lo > 0).mean() == pytest.approx(0.8, abs=0.02)
    assert seeds_for_power(1.0, 0.0) == 3
    assert seeds_for_power(0.1, 10.0) is None                  # more than 1000 seeds
    assert seeds_for_power(0.5, 1.0, resolution=0.6) is None   # the resolution alone exceeds it


def test_the_row_states_the_seeds_the_margin_needs():
    r = replication(_exact(5, 0.3, 1.0), direction="greater", paper=1.4)
    assert r["seeds_needed"] == seeds_for_power(1.4, 1.0)
    assert r["margin"] == 1.4
