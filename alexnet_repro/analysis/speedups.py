"""Per-seed paired log speed-ups from steps-to-target, with censored runs (a run that never
reached the target within its horizon) and the resolution of logged step counts: the keyword
arguments of :func:`alexnet_repro.analysis.verdicts.replication`."""
from __future__ import annotations

import math
from collections.abc import Sequence


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
