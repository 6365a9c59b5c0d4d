"""Replication outcomes that weigh the size of an effect as well as its sign (issues 10 and 23).

One rule for every claim of the book, modelled on how replication studies judge outcomes:

* the **direction** is judged on the t-interval of the mean paired effect (it must exclude zero on
  the paper's side);
* the **size** is judged against a *prediction interval* (Patil, Peng & Leek 2016): the paper's
  number is one run, so it is compared with the interval in which one new run's effect is expected,
  ``mean ± t(n-1, (1+level)/2) · s · sqrt(1 + 1/n)``, not with the interval of our mean;
* **no effect as large as the paper's** is a two one-sided test (TOST) at ``1 - level`` against a
  margin: the paper's effect (or the lower end of its range), or for a claim judged in direction
  only a smallest effect of interest declared before the runs;
* fewer than :data:`MIN_SEEDS` paired effects are **too few seeds to judge**.

Functions:

* :func:`replication` -- per-seed paired effects -> outcome, estimate, confidence and prediction
  intervals, the minimum detectable effect (MDE) and the seeds the paper's size would need;
* (per-seed log speed-ups with censored runs come from
  :func:`alexnet_repro.analysis.speedups.log_speedups`, ready for ``replication(**...)``);
* :func:`seeds_for_power` -- how many seeds detect an effect with 80% power at a given spread;
* :func:`format_replication` -- one claim row, ``"estimate [lo, hi] (MDE x; paper y)"``;
* :func:`mean_interval` -- a mean with its t-interval, clipped to the scale when asked.

The outcome words (:data:`OUTCOMES`) are the only ones the book uses.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from scipy import optimize, stats

OUTCOME_REPRODUCED = "reproduced"
OUTCOME_SMALLER = "smaller than the paper"
OUTCOME_LARGER = "larger than the paper"
OUTCOME_SAME_DIRECTION = "same direction"
OUTCOME_OPPOSITE = "opposite"
OUTCOME_NOT_AS_LARGE = "no effect as large as the paper's"
OUTCOME_NEGLIGIBLE = "no effect as large as the smallest that matters"
OUTCOME_INCONCLUSIVE = "inconclusive"
OUTCOME_TOO_FEW = "too few seeds to judge"
#: A claim whose mechanism the data cannot exercise (PCA lighting on grey images): not judged.
#: :func:`replication` never gives it; ``judging.not_testable`` does, from the data.
OUTCOME_NOT_TESTABLE = "not testable on this dataset"
#: A claim whose mechanism cannot act, or whose networks do not learn, at the book's scale
#: (biases of 1 from the paper's N(0, 0.01²) start, LRN as a constant division or where the
#: network without it does not train): not judged.
OUTCOME_NOT_AT_SCALE = "not testable at this scale"
OUTCOMES = (OUTCOME_REPRODUCED, OUTCOME_SMALLER, OUTCOME_LARGER, OUTCOME_SAME_DIRECTION,
            OUTCOME_OPPOSITE, OUTCOME_NOT_AS_LARGE, OUTCOME_NEGLIGIBLE, OUTCOME_INCONCLUSIVE,
            OUTCOME_TOO_FEW, OUTCOME_NOT_TESTABLE, OUTCOME_NOT_AT_SCALE)
#: Outcomes of claims not judged, whatever their numbers (see ``judging.not_testable``).
NOT_JUDGED = frozenset({OUTCOME_NOT_TESTABLE, OUTCOME_NOT_AT_SCALE})
#: Outcomes that decide something.
DECISIVE = frozenset(OUTCOMES) - {OUTCOME_INCONCLUSIVE, OUTCOME_TOO_FEW} - NOT_JUDGED
#: Outcomes whose interval excludes zero: they assert an effect (on either side).
EFFECT_OUTCOMES = frozenset({OUTCOME_REPRODUCED, OUTCOME_SMALLER, OUTCOME_LARGER,
                             OUTCOME_SAME_DIRECTION, OUTCOME_OPPOSITE})
#: Outcomes of the equivalence test (the interval at ``1 - 2 (1 - level)`` inside the margin).
EQUIVALENCE_OUTCOMES = frozenset({OUTCOME_NOT_AS_LARGE, OUTCOME_NEGLIGIBLE})
SIDES = ("greater", "less")
#: Fewest paired effects the rule judges: with two, the t quantile (12.7 at df 1) makes an
#: interval that says nothing, and one seed has no spread at all.
MIN_SEEDS = 3
#: Power at which :func:`replication` states the minimum detectable effect.
POWER = 0.8
#: Ranges a censored value may take beyond its bound, in log units: ten and a hundred times
#: beyond it. An outcome of censored effects is reported only where both agree.
CENSOR_SPANS_LOG = (math.log(10.0), math.log(100.0))
#: Most seeds :func:`seeds_for_power` looks at.
MAX_SEEDS = 1000
_GRID_POINTS = 4096  # evaluations of an interval over a box of censored values, before polishing
_MAX_CENSORED = 12   # corners checked: 2 ** (censored values)
_SIDE = {"greater": 1, "less": -1}


def replication(effects: Sequence[float | None], *, direction: str,
                paper: float | tuple | None = None, margin: float | None = None,
                margin_from_paper: bool = False, level: float = 0.95,
                resolution: float | Sequence[float] = 0.0,
                censored: Sequence[str | None] | None = None,
                censor_spans: Sequence[float] = CENSOR_SPANS_LOG,
                bounds: tuple[float, float] | None = None) -> dict:
    """Judge a claim from per-seed paired ``effects`` (claim's own units; seed ``i`` of both arms).

    ``direction`` is ``"greater"`` or ``"less"``: the side of zero the paper claims. ``paper`` is
    the paper's effect in the effects' units, on that side:

    * ``None``: only the direction is judged ("same direction", "opposite" or "inconclusive");
    * a number ``p``: once the interval excludes zero on the claimed side, "reproduced" if ``p``
      lies in the prediction interval, "smaller than the paper" if above it, "larger than the
      paper" if below it;
    * ``(lo, hi)`` ("about", "roughly"): reproduced if the prediction interval overlaps
      ``[lo, hi]``, smaller if it lies below ``lo``, larger if above ``hi``;
    * ``(lo, None)`` ("over lo"): reproduced if the prediction interval reaches ``lo``, smaller if
      it lies below.

    (For ``direction="less"`` the same holds on the negative side: ``(lo, None)`` means "at
    least as far below zero as lo".)

    **Intervals.** The mean of the effects with its two-sided t-interval at ``level`` (df = n - 1)
    and the prediction interval of one new run, ``mean ± t · s · sqrt(1 + 1/n)``, each end widened
    by the mean of ``resolution`` (a number, or one per effect): each value is known only within
    ± resolution (e.g. steps logged every ``log_every``), a deterministic bound.

    **Equivalence.** When the interval contains zero, the two one-sided tests at ``1 - level``
    (the interval at ``1 - 2 (1 - level)``, 90% for the default) inside ``(-m, m)`` give "no effect
    as large as the paper's", where ``m`` is the paper's effect (or ``lo``); for a claim judged in
    direction only, ``margin`` (a smallest effect of interest declared before the runs, on the
    claimed side) gives "no effect as large as the smallest that matters", or "no effect as large
    as the paper's" with ``margin_from_paper=True`` (the paper's number, from a setting where its
    size is not judged, used as the margin). Otherwise "inconclusive".

    **Too few seeds.** Fewer than :data:`MIN_SEEDS` effects: "too few seeds to judge", with the
    mean only (no interval, spread or MDE: with two, a t-interval exists but says nothing).

    **MDE** (at :data:`POWER`): the smallest true effect on the claimed side that this design
    would detect (interval on the claimed side of 0) if the effects were normal with the observed
    spread: ``r + ncp · s / sqrt(n)`` (noncentral t). ``seeds_needed``: how many seeds would
    detect the margin ``m`` at the same spread (:func:`seeds_for_power`; None when no number of
    seeds up to :data:`MAX_SEEDS` would).

    **Censoring.** ``censored[i]`` is None (exact), ``"greater"``/``"less"`` (``effects[i]`` is a
    bound; the true value lies beyond it on that side) or ``"unknown"`` (no bound at all: the
    outcome is "inconclusive"). For each span in ``censor_spans`` (by default ten and a hundred
    times beyond the bound, for log ratios) an outcome is taken only if it holds for every value
    the censored effects can take (a box: interval ends are concave/convex in the values, so their
    extremes lie at corners or are found by a grid refined by a local optimiser); the outcome is
    reported only where the spans agree, else "inconclusive".

    **Bounds.** ``bounds=(lo, hi)``: the values the effect can take (±100 points for a difference
    of error rates). Interval ends beyond them are clipped and ``clipped`` is True.

    Returns ``{"outcome", "estimate", "ci", "ci_hull", "pi", "eq_interval", "n", "mde", "sd",
    "df", "direction", "paper", "paper_form", "margin", "seeds_needed", "level", "resolution",
    "censored", "n_censored", "span_outcomes", "bounds", "clipped"}`` in the effects' units (not
    oriented); intervals are ``(-inf, inf)`` where they do not exist.
    """
    values, cens, res, sign, form, m = _validated(effects, direction, paper, margin, level,
                                                  resolution, censored, censor_spans, bounds)
    n = len(values)
    inf = (-math.inf, math.inf)
    out = {"direction": direction, "paper": paper, "paper_form": form["kind"], "level": level,
           "resolution": res, "n": n, "censored": cens,
           "n_censored": sum(c is not None for c in cens), "estimate": None, "ci": inf,
           "ci_hull": inf, "pi": inf, "eq_interval": inf, "sd": None,
           "df": n - 1 if n else None, "mde": sign * math.inf,
           "margin": None if m is None else sign * m, "seeds_needed": None,
           "span_outcomes": None, "bounds": bounds, "clipped": False,
           "outcome": OUTCOME_TOO_FEW if n < MIN_SEEDS else OUTCOME_INCONCLUSIVE}
    if "unknown" in cens:
        return out
    x = sign * np.asarray(values, dtype=float)            # oriented: paper's side positive
    out["estimate"] = float(np.mean(x)) * sign if n else None
    if n < MIN_SEEDS:                                     # no interval, spread or MDE is printed
        return out
    crit = float(stats.t.ppf(0.5 + level / 2, n - 1))
    mults = {"ci": crit, "pi": crit * math.sqrt(n + 1), "eq": float(stats.t.ppf(level, n - 1))}
    sd = float(np.std(x, ddof=1))
    for name, key in (("ci", "ci"), ("pi", "pi"), ("eq", "eq_interval")):
        lo, hi = _interval(x[None, :], mults[name], res)
        out[key] = _deorient(float(lo[0]), float(hi[0]), sign)
    out["sd"] = sd
    out["mde"] = sign * (res + _ncp_for_power(crit, n - 1, POWER) * sd / math.sqrt(n))
    if m is not None:
        out["seeds_needed"] = seeds_for_power(m, sd, resolution=res, level=level)
    sides = [sign * _SIDE.get(c, 0) for c in cens]
    spans = list(censor_spans) if any(sides) else list(censor_spans)[:1]
    found = []
    for span in spans:
        ext = {name: _extremes(x, sides, span, mult, res) for name, mult in mults.items()}
        found.append(_outcome(ext, form, m, margin_from_paper))
        out["ci_hull"] = _deorient(ext["ci"]["lo_min"], ext["ci"]["hi_max"], sign)
    out["span_outcomes"] = found if any(sides) else None
    out["outcome"] = found[0] if len(set(found)) == 1 else OUTCOME_INCONCLUSIVE
    return _clipped(out, bounds)


def _clipped(out, bounds):
    if bounds is None:
        return out
    lo, hi = bounds
    for key in ("ci", "ci_hull", "pi", "eq_interval"):
        a, b = out[key]
        clipped = (min(max(a, lo), hi), max(min(b, hi), lo))
        out["clipped"] = out["clipped"] or clipped != (a, b)
        out[key] = clipped
    return out


def _paper_form(paper, sign, direction):
    """``{"kind", "lo", "hi"}`` of the paper's effect, oriented (claimed side positive)."""
    if paper is None:
        return {"kind": "none", "lo": None, "hi": None}
    if isinstance(paper, (tuple, list)):
        if len(paper) != 2 or paper[0] is None:
            raise ValueError(f"paper={paper!r}: give a number, (lo, hi) for 'about'/'roughly', "
                             "or (lo, None) for 'over lo'")
        ends = [None if v is None else sign * float(v) for v in paper]
        if ends[1] is None:
            form = {"kind": "bound", "lo": ends[0], "hi": None}
        else:
            a, b = sorted(ends)
            form = {"kind": "range", "lo": a, "hi": b}
    else:
        p = sign * float(paper)
        form = {"kind": "number", "lo": p, "hi": p}
    if not (form["lo"] > 0 and math.isfinite(form["lo"])):
        raise ValueError(f"paper={paper!r} is not on the {direction!r} side of zero: give the "
                         "paper's effect in the effects' units, or paper=None")
    return form


def _validated(effects, direction, paper, margin, level, resolution, censored, spans, bounds):
    if direction not in SIDES:
        raise ValueError(f"direction must be 'greater' or 'less' (the side the paper claims), "
                         f"got {direction!r}")
    if not 0.5 < level < 1:
        raise ValueError(f"level must be a probability in (0.5, 1), e.g. 0.95; got {level!r}")
    effects = list(effects)
    cens = [None] * len(effects) if censored is None else list(censored)
    if len(cens) != len(effects):
        raise ValueError(f"censored has {len(cens)} entries for {len(effects)} effects: give "
                         "one per effect (None for an exact value)")
    for c in cens:
        if c not in (None, "greater", "less", "unknown"):
            raise ValueError(f"censored entries must be None, 'greater', 'less' or 'unknown'; got {c!r}")
    for e, c in zip(effects, cens):
        if c != "unknown" and (e is None or not math.isfinite(e)):
            raise ValueError(f"effects must be finite numbers (got {e!r}); mark a value known "
                             "only as a bound with censored='greater'/'less', none at all with 'unknown'")
    res = _mean_resolution(resolution, len(effects))
    if sum(c in ("greater", "less") for c in cens) > _MAX_CENSORED:
        raise ValueError(f"more than {_MAX_CENSORED} censored values: every corner of their range "
                         "is checked; run longer horizons so that fewer runs are censored")
    if not spans or not all(s > 0 and math.isfinite(s) for s in spans):
        raise ValueError(f"censor_spans must be positive finite distances, got {spans!r}")
    if bounds is not None and not (len(bounds) == 2 and bounds[0] < bounds[1]):
        raise ValueError(f"bounds must be (lowest, highest) value an effect can take, got {bounds!r}")
    sign = _SIDE[direction]
    form = _paper_form(paper, sign, direction)
    if margin is not None and paper is not None:
        raise ValueError("give margin only for a claim judged in direction only (paper=None): "
                         "otherwise the margin is the paper's effect")
    m = form["lo"] if paper is not None else None if margin is None else sign * float(margin)
    if m is not None and not (m > 0 and math.isfinite(m)):
        raise ValueError(f"margin={margin!r} must be a finite effect on the {direction!r} side of zero")
    return effects, cens, res, sign, form, m


def _mean_resolution(resolution, n):
    res = [float(resolution)] * n if np.isscalar(resolution) else [float(r) for r in resolution]
    if len(res) != n:
        raise ValueError(f"resolution has {len(res)} entries for {n} effects: give one number "
                         "or one per effect")
    if any(not (r >= 0 and math.isfinite(r)) for r in res):
        raise ValueError(f"resolution must be finite and >= 0, got {resolution!r}")
    return float(np.mean(res)) if res else 0.0


def _interval(xs, mult, res):
    """``mean ± mult · sd / sqrt(n) ± res`` of each row of ``xs`` (shape (m, n))."""
    n = xs.shape[1]
    mean = xs.mean(axis=1)
    half = mult * xs.std(axis=1, ddof=1) / math.sqrt(n) + res
    return mean - half, mean + half


def _deorient(lo, hi, sign):
    return (lo, hi) if sign > 0 else (-hi, -lo)


def _ncp_for_power(crit, df, power):
    """Noncentrality at which P(T > crit) = power for T ~ noncentral t(df, ncp)."""
    def shortfall(ncp):
        return stats.nct.sf(crit, df, ncp) - power
    return float(optimize.brentq(shortfall, 0.0, crit + 100.0, xtol=1e-10))


def seeds_for_power(effect: float, sd: float, *, resolution: float = 0.0, level: float = 0.95,
                    power: float = POWER) -> int | None:
    """Fewest seeds (at least :data:`MIN_SEEDS`) whose MDE at ``power`` is at most ``|effect|``,
    for paired effects of standard deviation ``sd`` known to ± ``resolution``; None if more than
    :data:`MAX_SEEDS` would be needed (or the resolution alone exceeds the effect)."""
    if not (sd >= 0 and math.isfinite(sd) and math.isfinite(effect)):
        raise ValueError(f"effect and sd must be finite, sd >= 0; got {effect!r}, {sd!r}")
    target = abs(effect) - resolution

    def detects(n):
        crit = float(stats.t.ppf(0.5 + level / 2, n - 1))
        return _ncp_for_power(crit, n - 1, power) * sd / math.sqrt(n) <= target

    if target <= 0 or not detects(MAX_SEEDS):
        return None
    if detects(MIN_SEEDS):
        return MIN_SEEDS
    lo, hi = MIN_SEEDS, MAX_SEEDS                           # detects(hi), not detects(lo)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if detects(mid) else (mid, hi)
    return hi


def _extremes(x, sides, span, mult, res):
    """min/max of the interval's ends over the box of censored values (oriented units).

    ``sides[i]`` is +1/-1 when oriented value ``i`` may lie up to ``span`` above/below ``x[i]``,
    0 when exact."""
    free = [i for i, s in enumerate(sides) if s]
    lows = np.array([min(x[i], x[i] + sides[i] * span) for i in free])
    highs = np.array([max(x[i], x[i] + sides[i] * span) for i in free])

    def ends(points):                                        # points: (m, len(free))
        xs = np.repeat(x[None, :], len(points), axis=0)
        xs[:, free] = points
        return _interval(xs, mult, res)

    if not free:
        lo, hi = (float(v[0]) for v in ends(np.empty((1, 0))))
        return {"lo_min": lo, "lo_max": lo, "hi_min": hi, "hi_max": hi}
    corners = np.array(list(itertools.product(*zip(lows, highs))))
    lo_c, hi_c = ends(corners)
    k = max(2, int(_GRID_POINTS ** (1 / len(free))))
    grid = np.array(list(itertools.product(*(np.linspace(a, b, k) for a, b in zip(lows, highs)))))
    lo_g, hi_g = ends(grid)
    bounds = list(zip(lows, highs))
    lo_max = _polish(lambda z: -ends(z[None, :])[0][0], grid[np.argmax(lo_g)], bounds, -lo_g.max())
    hi_min = _polish(lambda z: ends(z[None, :])[1][0], grid[np.argmin(hi_g)], bounds, hi_g.min())
    return {"lo_min": float(lo_c.min()), "lo_max": -lo_max, "hi_min": hi_min,
            "hi_max": float(hi_c.max())}


def _polish(f, start, bounds, best):
    """Refine a grid minimum of a convex ``f`` over a box; never worse than the grid's."""
    found = optimize.minimize(f, start, method="L-BFGS-B", bounds=bounds)
    return float(min(best, found.fun))


def _outcome(ext, form, m, margin_from_paper=False):
    """Outcome that holds over the whole box of censored values, from the extremes of the
    confidence (``ci``), prediction (``pi``) and equivalence (``eq``) intervals, oriented."""
    ci, pi, eq = ext["ci"], ext["pi"], ext["eq"]
    if ci["lo_min"] > 0:
        if form["kind"] == "none":
            return OUTCOME_SAME_DIRECTION
        a, b = form["lo"], form["hi"]
        if pi["hi_max"] < a:
            return OUTCOME_SMALLER
        if b is not None and pi["lo_min"] > b:
            return OUTCOME_LARGER
        if pi["hi_min"] >= a and (b is None or pi["lo_max"] <= b):
            return OUTCOME_REPRODUCED
        return OUTCOME_INCONCLUSIVE
    if ci["hi_max"] < 0:
        return OUTCOME_OPPOSITE
    if (m is not None and ci["lo_max"] <= 0 <= ci["hi_min"]
            and eq["lo_min"] > -m and eq["hi_max"] < m):
        paper_margin = form["kind"] != "none" or margin_from_paper
        return OUTCOME_NOT_AS_LARGE if paper_margin else OUTCOME_NEGLIGIBLE
    return OUTCOME_INCONCLUSIVE


UNITS = ("points", "log ratio")


def format_replication(result: dict, *, unit: str = "points", digits: int | None = None,
                       paper_elsewhere: float | None = None) -> str:
    """One claim row: ``"estimate [lo, hi]; one new run [a, b] (MDE x; paper y)"`` in the claim's
    units: the confidence interval of the mean, the prediction interval of one new run (against
    which the paper's single run is judged), the design's MDE and the paper's effect.

    ``unit="points"`` shows the values as they are (points of error, ``digits`` default 1);
    ``unit="log ratio"`` converts log speed-ups back to ratios with ``exp`` and shows them as
    ``1.23×`` (``digits`` default 2). The paper's effect is shown as a number, a range
    ("1.5 to 2.5") or a bound ("over 1.0"); when the result has no paper value (the paper's
    number belongs to another setting), ``paper_elsewhere`` (same units) is shown as "paper y,
    other setting, not judged", and a declared margin as "smallest that matters y". With fewer
    than :data:`MIN_SEEDS` effects only the mean is shown; an interval clipped to the scale and
    censored values are said.
    """
    if unit not in UNITS:
        raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")
    ratio = unit == "log ratio"
    digits = (2 if ratio else 1) if digits is None else digits

    def show(v):
        if v is None:
            return "n/a"
        if math.isinf(v):
            return ("\u221e" if v > 0 else ("0" if ratio else "-\u221e")) + ("\u00d7" if ratio else "")
        text = f"{math.exp(v):.{digits}f}\u00d7" if ratio else f"{v:.{digits}f}"
        return text.lstrip("-") if float(text.rstrip("\u00d7")) == 0 else text

    n = result["n"]
    if result["outcome"] == OUTCOME_TOO_FEW or n < MIN_SEEDS:
        return (f"{show(result['estimate'])} from {n} seed{'' if n == 1 else 's'} (no interval; "
                f"{_paper_words(result, show, paper_elsewhere)})")
    (lo, hi), (a, b) = result["ci"], result["pi"]
    text = (f"{show(result['estimate'])} [{show(lo)}, {show(hi)}]; one new run [{show(a)}, "
            f"{show(b)}] (MDE {_show_mde(result, show)}; {_paper_words(result, show, paper_elsewhere)})")
    if result.get("clipped"):
        text += f"; intervals clipped to the scale ({show(result['bounds'][0])} to {show(result['bounds'][1])})"
    if result.get("n_censored"):
        text += f"; {result['n_censored']} of {n} runs censored"
    return text


def _show_mde(result, show):
    mde, bounds = result["mde"], result.get("bounds")
    if bounds is not None and mde is not None and not bounds[0] <= mde <= bounds[1]:
        return "beyond the scale"
    return show(mde)


def _paper_words(result, show, paper_elsewhere):
    paper = result["paper"]
    if isinstance(paper, (tuple, list)):
        return (f"paper over {show(paper[0])}" if paper[1] is None
                else f"paper {show(paper[0])} to {show(paper[1])}")
    if paper is not None:
        return f"paper {show(paper)}"
    if paper_elsewhere is not None:
        return f"paper {show(paper_elsewhere)}, other setting, not judged"
    if result.get("margin") is not None:
        return f"no paper value; smallest effect that matters {show(result['margin'])}"
    return "no paper value"


def mean_interval(values: Sequence[float], level: float = 0.95,
                  bounds: tuple[float, float] | None = None) -> dict:
    """Mean of ``values`` (e.g. one error per seed) with its two-sided Student t-interval:
    ``mean ± t_{(1+level)/2, n-1} · sd / sqrt(n)`` (sample sd, ddof 1). Returns ``n``, ``mean``,
    ``sd``, ``half_width``, ``lo``, ``hi``, ``level``, ``clipped`` and the ``values``; with one
    value the interval is not available (``sd``, ``half_width``, ``lo``, ``hi`` are ``None``).
    ``bounds=(a, b)``: the values the quantity can take (0 and 1 for an error rate); interval
    ends beyond them are clipped and ``clipped`` is True."""
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("mean_interval needs at least one value (e.g. one error per seed)")
    if not all(math.isfinite(v) for v in xs):
        raise ValueError(f"mean_interval needs finite values, got {xs}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level!r}")
    n, mean = len(xs), float(np.mean(xs))
    out = {"n": n, "mean": mean, "sd": None, "half_width": None, "lo": None, "hi": None,
           "level": level, "values": xs, "clipped": False}
    if n > 1:
        sd = float(np.std(xs, ddof=1))
        half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
        lo, hi = mean - half, mean + half
        if bounds is not None:
            c_lo, c_hi = max(lo, bounds[0]), min(hi, bounds[1])
            out["clipped"] = (c_lo, c_hi) != (lo, hi)
            lo, hi = c_lo, c_hi
        out.update(sd=sd, half_width=half, lo=lo, hi=hi)
    return out
