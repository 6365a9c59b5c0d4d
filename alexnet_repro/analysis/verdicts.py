"""Replication outcomes that weigh the size of an effect as well as its sign (issue 10).

One rule for every claim of the book, modelled on how replication studies judge outcomes
(same direction and significant; does the original effect lie in the replication's interval):

* :func:`replication` -- per-seed paired effects in the claim's own units (points of error, or
  log speed-up) -> outcome, estimate, t-interval widened by the measurement's resolution, and
  the minimum detectable effect (MDE) of the design;
* :func:`log_speedups` -- steps-to-target of paired runs -> per-seed log speed-ups, with censored
  runs (never reached the target) and the resolution of logged step counts, ready for
  ``replication(**log_speedups(...), direction=..., paper=...)``;
* :func:`chance_effects` -- how many "there is an effect" outcomes chance alone would give among
  k claims (for the results chapter's sentence);
  :func:`chance_sentence` writes it;
* :func:`format_replication` -- one claim row, ``"estimate [lo, hi] (MDE x; paper y)"``.

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
OUTCOME_NO_EFFECT = "no effect at this scale"
OUTCOME_INCONCLUSIVE = "inconclusive"
OUTCOMES = (OUTCOME_REPRODUCED, OUTCOME_SMALLER, OUTCOME_LARGER, OUTCOME_SAME_DIRECTION,
            OUTCOME_OPPOSITE, OUTCOME_NO_EFFECT, OUTCOME_INCONCLUSIVE)
#: Outcomes that decide something (anything but "inconclusive").
DECISIVE = frozenset(OUTCOMES) - {OUTCOME_INCONCLUSIVE}
#: Outcomes whose interval excludes zero: they assert an effect (on either side).
EFFECT_OUTCOMES = frozenset({OUTCOME_REPRODUCED, OUTCOME_SMALLER, OUTCOME_LARGER,
                             OUTCOME_SAME_DIRECTION, OUTCOME_OPPOSITE})
SIDES = ("greater", "less")
#: Power at which :func:`replication` states the minimum detectable effect.
POWER = 0.8
#: Default range of a censored value beyond its bound, in log units: ten times beyond it.
CENSOR_SPAN_LOG = math.log(10.0)
_GRID_POINTS = 4096  # evaluations of the interval over a box of censored values, before polishing
_MAX_CENSORED = 12   # corners checked: 2 ** (censored values)


def replication(effects: Sequence[float | None], *, direction: str, paper: float | None = None,
                level: float = 0.95, resolution: float | Sequence[float] = 0.0,
                censored: Sequence[str | None] | None = None,
                censor_span: float = CENSOR_SPAN_LOG) -> dict:
    """Judge a claim from per-seed paired ``effects`` (claim's own units; seed ``i`` of both arms).

    ``direction`` is ``"greater"`` or ``"less"``: the side of zero the paper claims. ``paper`` is
    the paper's effect in the same units (on that side), or ``None`` when the paper's number
    belongs to another setting: then only the direction is judged.

    **Interval.** The mean of the effects with a two-sided t-interval at ``level`` (df = n - 1),
    each end widened by the mean of ``resolution`` (a number, or one per effect). ``resolution``
    is a deterministic bound: each value is known only within +-resolution (e.g. steps logged
    every ``log_every``), so the mean of the true values is within +-mean(resolution) of the
    measured mean, whatever the rounding errors and however they correlate. Adding the bound to
    each end (rather than a variance ``r**2/3`` that assumes independent uniform rounding) keeps
    the interval's coverage when errors are systematic, and a zero spread with a resolution > 0
    still leaves an interval of width 2 * resolution. With ``resolution=0`` the caller declares
    the values exact.

    **Outcome.** Orient the interval so that the paper's side is positive, ``p = |paper|``:
    fewer than 2 effects -> "inconclusive"; interval above 0 -> "reproduced" if it contains
    ``p``, "smaller than the paper" if below ``p``, "larger than the paper" if above (or "same
    direction" when ``paper`` is None); below 0 -> "opposite"; containing 0 -> "no effect at this
    scale" when it lies strictly inside (-p, p), else "inconclusive".

    **MDE.** The smallest true effect (on the claimed side, in the effects' units, so negative
    for ``direction="less"``) that this design would detect -- interval entirely on the claimed
    side of 0 -- with probability :data:`POWER`, if the effects were normal with the observed
    standard deviation ``sd``: ``mde = r + ncp * sd / sqrt(n)`` with ``r = mean(resolution)``
    and ``ncp`` the noncentrality at which a noncentral t (df = n - 1, ``scipy.stats.nct``)
    exceeds the one-sided critical value ``t_{(1+level)/2}`` with probability 0.8. It is a plug-in
    estimate (the spread's own uncertainty is not included); zero spread gives ``mde = r``.
    Infinite (``inf``, ``-inf`` for "less") when n < 2.

    **Censoring.** ``censored[i]`` is None (exact), ``"greater"``/``"less"`` (``effects[i]`` is a
    bound and the true value lies beyond it on that side, at most ``censor_span`` beyond: the
    default ``log 10`` means "up to ten times beyond the bound" for log ratios, the one unit the
    book censors; for additive units pass the widest physically possible distance), or
    ``"unknown"`` (no bound at all, e.g. both runs of a pair censored; ``effects[i]`` may be
    None): then the outcome is "inconclusive" and no estimate is given. An outcome is reported
    only if it holds for every value the censored effects can take (a box); otherwise
    "inconclusive". The interval's lower end is concave and its upper end convex in the values
    (mean linear, standard deviation convex), so their minimum/maximum over the box is at a
    corner (all corners are checked) and their maximum/minimum (needed for "contains p", "contains
    0") is found by a dense grid refined by a bounded local optimiser (a convex problem).
    ``estimate``/``ci`` are reported at the bounds; ``ci_hull`` is the union of the intervals over
    the box.

    Returns ``{"outcome", "estimate", "ci", "ci_hull", "n", "mde", "sd", "df", "direction",
    "paper", "level", "resolution", "censored", "n_censored"}``, all in the effects' units (not
    oriented): ``resolution`` is the mean resolution that widened the interval, ``sd`` the
    standard deviation of the effects (ddof=1, None when n < 2), ``ci`` ``(-inf, inf)`` when
    n < 2; ``estimate`` is None when there are no effects or an "unknown" one.
    """
    values, cens, res, sign, p = _validated(effects, direction, paper, level, resolution,
                                            censored, censor_span)
    n = len(values)
    out = {"direction": direction, "paper": paper, "level": level, "resolution": res, "n": n,
           "censored": cens, "n_censored": sum(c is not None for c in cens),
           "estimate": None, "ci": (-math.inf, math.inf), "ci_hull": (-math.inf, math.inf),
           "sd": None, "df": n - 1 if n else None, "mde": sign * math.inf,
           "outcome": OUTCOME_INCONCLUSIVE}
    if "unknown" in cens:
        return out
    x = sign * np.asarray(values, dtype=float)            # oriented: paper's side positive
    out["estimate"] = float(np.mean(x)) * sign if n else None
    if n < 2:
        return out
    crit = float(stats.t.ppf(0.5 + level / 2, n - 1))
    sd = float(np.std(x, ddof=1))
    lo, hi = _interval(x[None, :], crit, res)
    out["ci"] = _deorient(float(lo[0]), float(hi[0]), sign)
    out["sd"] = sd
    out["mde"] = sign * (res + _ncp_for_power(crit, n - 1, POWER) * sd / math.sqrt(n))
    ext = _extremes(x, [sign * _SIDE.get(c, 0) for c in cens], censor_span, crit, res)
    out["ci_hull"] = _deorient(ext["lo_min"], ext["hi_max"], sign)
    out["outcome"] = _outcome(ext, p)
    return out


_SIDE = {"greater": 1, "less": -1}


def _validated(effects, direction, paper, level, resolution, censored, censor_span):
    if direction not in SIDES:
        raise ValueError(f"direction must be 'greater' or 'less' (the side the paper claims), "
                         f"got {direction!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be a probability in (0, 1), e.g. 0.95; got {level!r}")
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
    if not (censor_span > 0 and math.isfinite(censor_span)):
        raise ValueError(f"censor_span must be a positive finite distance, got {censor_span!r}")
    sign = _SIDE[direction]
    p = None
    if paper is not None:
        p = sign * float(paper)
        if not p > 0:
            raise ValueError(f"paper={paper!r} is not on the {direction!r} side of zero: give the "
                             "paper's effect in the effects' units, or paper=None")
    return effects, cens, res, sign, p


def _mean_resolution(resolution, n):
    res = [float(resolution)] * n if np.isscalar(resolution) else [float(r) for r in resolution]
    if len(res) != n:
        raise ValueError(f"resolution has {len(res)} entries for {n} effects: give one number "
                         "or one per effect")
    if any(not (r >= 0 and math.isfinite(r)) for r in res):
        raise ValueError(f"resolution must be finite and >= 0, got {resolution!r}")
    return float(np.mean(res)) if res else 0.0


def _interval(xs, crit, res):
    """t-interval of each row of ``xs`` (shape (m, n)), widened by ``res``."""
    n = xs.shape[1]
    mean = xs.mean(axis=1)
    half = crit * xs.std(axis=1, ddof=1) / math.sqrt(n) + res
    return mean - half, mean + half


def _deorient(lo, hi, sign):
    return (lo, hi) if sign > 0 else (-hi, -lo)


def _ncp_for_power(crit, df, power):
    """Noncentrality at which P(T > crit) = power for T ~ noncentral t(df, ncp)."""
    def shortfall(ncp):
        return stats.nct.sf(crit, df, ncp) - power
    return float(optimize.brentq(shortfall, 0.0, crit + 100.0, xtol=1e-10))


def _extremes(x, sides, span, crit, res):
    """min/max of the interval's ends over the box of censored values (oriented units).

    ``sides[i]`` is +1/-1 when oriented value ``i`` may lie up to ``span`` above/below ``x[i]``,
    0 when exact."""
    free = [i for i, s in enumerate(sides) if s]
    lows = np.array([min(x[i], x[i] + sides[i] * span) for i in free])
    highs = np.array([max(x[i], x[i] + sides[i] * span) for i in free])

    def ends(points):                                        # points: (m, len(free))
        xs = np.repeat(x[None, :], len(points), axis=0)
        xs[:, free] = points
        return _interval(xs, crit, res)

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


def _outcome(ext, p):
    """Outcome that holds over the whole box (all of it), from the extremes of the interval."""
    if ext["lo_min"] > 0:
        if p is None:
            return OUTCOME_SAME_DIRECTION
        if ext["lo_min"] > p:
            return OUTCOME_LARGER
        if ext["hi_max"] < p:
            return OUTCOME_SMALLER
        if ext["lo_max"] <= p <= ext["hi_min"]:
            return OUTCOME_REPRODUCED
        return OUTCOME_INCONCLUSIVE
    if ext["hi_max"] < 0:
        return OUTCOME_OPPOSITE
    if (p is not None and ext["lo_max"] <= 0 <= ext["hi_min"]
            and ext["lo_min"] > -p and ext["hi_max"] < p):
        return OUTCOME_NO_EFFECT
    return OUTCOME_INCONCLUSIVE


def log_speedups(slow_steps: Sequence[int | None], fast_steps: Sequence[int | None], *,
                 slow_horizons: Sequence[int | None] | None = None,
                 fast_horizons: Sequence[int | None] | None = None,
                 resolution_steps: float = 0) -> dict:
    """Per-seed paired log speed-ups ``log(slow / fast)`` from steps-to-target.

    ``slow_steps[i]``/``fast_steps[i]``: steps the run of seed ``i`` took to reach the target,
    ``None`` if it never did within its horizon ``*_horizons[i]`` (its last logged step). Per pair:
    both reached -> exact; slow censored -> ``log(slow_horizon / fast)``, censored ``"greater"``
    (the true speed-up is larger); fast censored -> ``log(slow / fast_horizon)``, ``"less"``;
    both censored, or a censored run without a horizon (it was never measured, e.g. a run shorter
    than the measuring interval) -> ``None``, ``"unknown"``.

    ``resolution_steps`` = h: each step count is known only within +-h (pass ``log_every`` when
    the target is checked every ``log_every`` steps), and at least 1. The pair's resolution in
    log units is the larger deviation of ``log(s'/f')`` from ``log(s/f)`` over ``s'`` in
    ``[max(s-h, 1), s+h]`` and ``f'`` likewise (a horizon counts as ``s`` for a censored run).

    Returns ``{"effects", "censored", "resolution"}`` (lists, one entry per seed), the keyword
    arguments of :func:`replication`.
    """
    n = len(slow_steps)
    if len(fast_steps) != n:
        raise ValueError(f"paired runs needed (seed i in both lists): {n} slow vs "
                         f"{len(fast_steps)} fast step counts")
    if not (resolution_steps >= 0 and math.isfinite(resolution_steps)):
        raise ValueError(f"resolution_steps must be finite and >= 0, got {resolution_steps!r}")
    sh = _horizons(slow_horizons, slow_steps, "slow")
    fh = _horizons(fast_horizons, fast_steps, "fast")
    effects, cens, res = [], [], []
    for s, f, hs, hf in zip(slow_steps, fast_steps, sh, fh):
        if (s is None and f is None) or (s is None and hs is None) or (f is None and hf is None):
            effects.append(None), cens.append("unknown"), res.append(0.0)
            continue
        s_val, f_val = (hs if s is None else s), (hf if f is None else f)
        for v in (s_val, f_val):
            if not (v > 0 and math.isfinite(v)):
                raise ValueError(f"step counts and horizons must be positive, got {v!r}")
        effects.append(math.log(s_val / f_val))
        cens.append("greater" if s is None else "less" if f is None else None)
        res.append(_log_ratio_resolution(s_val, f_val, resolution_steps))
    return {"effects": effects, "censored": cens, "resolution": res}


def _horizons(horizons, steps, name):
    if horizons is None:
        if any(s is None for s in steps):
            raise ValueError(f"a {name} run never reached the target: pass {name}_horizons "
                             "(the last logged step of each run) so its censored value is a bound")
        return [None] * len(steps)
    out = list(horizons)
    if len(out) != len(steps):
        raise ValueError(f"{name}_horizons has {len(out)} entries for {len(steps)} runs")
    return out


def _log_ratio_resolution(s, f, h):
    s_lo, f_lo = max(s - h, 1.0), max(f - h, 1.0)
    up = math.log((s + h) / s) + math.log(f / f_lo)
    down = math.log(s / s_lo) + math.log((f + h) / f)
    return max(up, down)


def chance_effects(k: int, *, level: float = 0.95, quantile: float = 0.95,
                   observed: int | None = None) -> dict:
    """How many claims chance alone would call an effect, among ``k`` claims judged at ``level``.

    If no claim had any true effect, each claim's interval (normal effects, exact t-interval)
    excludes zero with probability ``1 - level``, so the number of outcomes that assert an effect
    (:data:`EFFECT_OUTCOMES`: reproduced, smaller/larger than the paper, same direction,
    opposite) is Binomial(k, 1 - level) for independent claims; widening by a resolution only
    lowers that rate, so these are upper figures. ("no effect at this scale" is what chance
    alone should give, and is not counted.)

    Returns ``{"k", "level", "rate", "expected", "quantile", "upper", "observed",
    "p_at_least"}``: ``upper`` is the ``quantile`` quantile of the count; ``p_at_least`` is
    P(count >= observed) under chance alone (None without ``observed``).
    """
    if int(k) != k or k < 0:
        raise ValueError(f"k must be a count of claims (integer >= 0), got {k!r}")
    if not 0 < level < 1 or not 0 < quantile < 1:
        raise ValueError(f"level and quantile must lie in (0, 1), got {level!r}, {quantile!r}")
    rate = 1.0 - level
    dist = stats.binom(int(k), rate)
    p_at_least = None
    if observed is not None:
        if int(observed) != observed or not 0 <= observed <= k:
            raise ValueError(f"observed must be a count between 0 and k={k}, got {observed!r}")
        p_at_least = float(dist.sf(int(observed) - 1))
    return {"k": int(k), "level": level, "rate": rate, "expected": k * rate,
            "quantile": quantile, "upper": int(dist.ppf(quantile)), "observed": observed,
            "p_at_least": p_at_least}


def chance_sentence(outcomes: Sequence[str], *, level: float = 0.95, quantile: float = 0.95) -> str:
    """The results chapter's sentence on chance, from the outcomes of all claims (one each)."""
    unknown = [o for o in outcomes if o not in OUTCOMES]
    if unknown:
        raise ValueError(f"unknown outcome words {unknown}; use verdicts.OUTCOMES")
    k = len(outcomes)
    effects = sum(o in EFFECT_OUTCOMES for o in outcomes)
    decisive = sum(o in DECISIVE for o in outcomes)
    c = chance_effects(k, level=level, quantile=quantile, observed=effects)
    return (f"{decisive} of {k} claims have a decisive outcome, {effects} of them asserting an "
            f"effect. If no claim had any true effect, chance alone would give {c['expected']:.1f} "
            f"such outcomes on average at the {level:.0%} level, and at most {c['upper']} in "
            f"{quantile:.0%} of repetitions (probability of {effects} or more: {c['p_at_least']:.2g}).")


UNITS = ("points", "log ratio")


def format_replication(result: dict, *, unit: str = "points", digits: int | None = None,
                       paper_elsewhere: float | None = None) -> str:
    """One claim row: ``"estimate [lo, hi] (MDE x; paper y)"`` in the claim's units.

    ``unit="points"`` shows the values as they are (points of error, ``digits`` default 1);
    ``unit="log ratio"`` converts log speed-ups back to ratios with ``exp`` and shows them as
    ``1.23×`` (``digits`` default 2). When the result has no paper value (the paper's number
    belongs to another setting), ``paper_elsewhere`` (same units) is shown as "paper y, other
    setting, not judged"; a censored result adds how many values were bounds.
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
        return f"{math.exp(v):.{digits}f}\u00d7" if ratio else f"{v:.{digits}f}"

    lo, hi = result["ci"]
    mde = result["mde"]
    if result["paper"] is not None:
        paper = f"paper {show(result['paper'])}"
    elif paper_elsewhere is not None:
        paper = f"paper {show(paper_elsewhere)}, other setting, not judged"
    else:
        paper = "no paper value"
    text = f"{show(result['estimate'])} [{show(lo)}, {show(hi)}] (MDE {show(mde)}; {paper})"
    if result.get("n_censored"):
        text += f"; {result['n_censored']} of {result['n']} runs censored"
    return text


def mean_interval(values: Sequence[float], level: float = 0.95) -> dict:
    """Mean of ``values`` (e.g. one error per seed) with its two-sided Student t-interval:
    ``mean ± t_{(1+level)/2, n-1} · sd / sqrt(n)`` (sample sd, ddof 1). Returns ``n``, ``mean``,
    ``sd``, ``half_width``, ``lo``, ``hi``, ``level`` and the ``values``; with one value the
    interval is not available (``sd``, ``half_width``, ``lo``, ``hi`` are ``None``)."""
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError("mean_interval needs at least one value (e.g. one error per seed)")
    if not all(math.isfinite(v) for v in xs):
        raise ValueError(f"mean_interval needs finite values, got {xs}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level!r}")
    n, mean = len(xs), float(np.mean(xs))
    out = {"n": n, "mean": mean, "sd": None, "half_width": None, "lo": None, "hi": None,
           "level": level, "values": xs}
    if n > 1:
        sd = float(np.std(xs, ddof=1))
        half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
        out.update(sd=sd, half_width=half, lo=mean - half, hi=mean + half)
    return out
