"""Reading trained runs: error curves, steps to a target error and the horizon a censored run is
known to exceed, per-variant summaries, speed-ups per target (Figure 1), final errors, overfitting
gaps and per-seed paired differences, and the tables of them.

A run is a :class:`~alexnet_repro.analysis.sweeps.Run` or its record (a dict): every function here reads
``run["steps"]``, ``run["history"]``, ``run["final"]``... and never trains.
"""
from __future__ import annotations

import html
import math
import statistics
from typing import Any, Callable, Mapping, Sequence

from alexnet_repro.analysis import speedups, verdicts
from alexnet_repro.analysis.judging import (
    format_error_pct,
    format_pm,
    json_safe,
    summarize,
)
from alexnet_repro.common.html import html_table


def _record(run) -> Mapping[str, Any]:
    return run.record if hasattr(run, "record") else run


# ----------------------------------------------------------------------------- curves

def error_curve(steps_history: Sequence[Mapping], key: str = "train_top1_error",
                window: int = 1) -> tuple[list[int], list[float]]:
    """``(steps, errors)`` from a record's ``"steps"`` list, sorted by step.

    ``window > 1`` replaces each error by the mean of the last ``window`` logged values (a
    trailing moving average; the first entries average what is there). Non-finite or ``None``
    errors (a diverged run) count as 1.0, i.e. as never reaching any target. Entries without
    ``key`` at all are left out (e.g. ``"eval_train_top1_error"``, logged only every
    ``eval_train_every`` steps).
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    rows = sorted((r for r in steps_history if key in r), key=lambda r: r["step"])
    steps = [int(r["step"]) for r in rows]
    raw = []
    for r in rows:
        v = r.get(key)
        raw.append(float(v) if v is not None and math.isfinite(float(v)) else 1.0)
    errors = []
    for i in range(len(raw)):
        chunk = raw[max(0, i - window + 1): i + 1]
        errors.append(sum(chunk) / len(chunk))
    return steps, errors


def steps_to_target(steps_history: Sequence[Mapping], target_error: float, *,
                    key: str = "train_top1_error", window: int = 1) -> int | None:
    """The first logged step at which the (windowed, see :func:`error_curve`) training error is
    ``<= target_error``; ``None`` when the run never gets there (censored at :func:`horizon`).
    """
    for step, err in zip(*error_curve(steps_history, key, window)):
        if err <= target_error:
            return step
    return None


def horizon(steps_history: Sequence[Mapping], key: str | None = None) -> int | None:
    """The last logged step (with ``key``, the last one holding ``key``): what a censored
    steps-to-target is known to exceed."""
    return max((int(r["step"]) for r in steps_history if key is None or key in r), default=None)


# ----------------------------------------------------------------------------- summaries

def variant_summary(runs: Mapping[str, Sequence[Mapping]],
                    metrics: Mapping[str, Callable[[Mapping], float | None]]) -> list[dict]:
    """Per variant of ``runs`` (``{variant: [Run or record per seed]}``, as from :func:`run_seeds`) and
    per metric (``{label: function(record) -> number}``), :func:`summarize` of the seeds' values
    (``None`` values, e.g. a censored steps-to-target, are counted in ``missing``).
    Returns ``[{"variant", "metric", "values", "missing", **summarize(...)}...]``."""
    rows = []
    for variant, recs in runs.items():
        for label, fn in metrics.items():
            vals = [fn(_record(r)) for r in recs]
            finite = [float(v) for v in vals if v is not None and math.isfinite(float(v))]
            rows.append({"variant": variant, "metric": label, "values": vals,
                         "missing": len(vals) - len(finite), **summarize(finite)})
    return rows


def summary_table(rows: Sequence[Mapping], *, digits: int = 3, scale: float = 1.0) -> str:
    """HTML table of :func:`variant_summary` rows: one row per variant, one column per metric,
    cells ``mean ± std`` of ``scale`` times the values (``n/a`` with no value; "k of n" when
    some seeds have none)."""
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    metrics = list(dict.fromkeys(r["metric"] for r in rows))
    cells = {(r["variant"], r["metric"]): r for r in rows}

    def fmt(r):
        if r["mean"] is None:
            return "n/a"
        std = None if r["std"] is None else r["std"] * scale
        text = format_pm(r["mean"] * scale, std, digits=digits)
        if r["missing"]:
            text += f" ({r['n']} of {r['n'] + r['missing']})"
        return text

    def cell(key, row):
        v = row["variant"]
        if key is None:
            return html.escape(v)
        return html.escape(fmt(cells[(v, key)])) if (v, key) in cells else ""

    return html_table([{"variant": v} for v in variants], [(None, "variant")] + [(m, m) for m in metrics],
                      cell=cell, css_class="summary-table")


# ----------------------------------------------------------------------------- speed-ups (Figure 1)




def lr_sweep_table(sweep: Mapping[str, Mapping], target_error: float, steps_per_epoch: float, *,
                   variant_header: str = "variant") -> str:
    """HTML table of an :func:`lr_sweep`: per variant and learning rate the median steps to
    ``target_error`` (and in epochs of ``steps_per_epoch`` steps), the mean training error over
    the run and the diverged runs; the chosen rate is ticked. A median not reached says within
    how many epochs (the variant's ``horizon_epochs``) where the sweep gives them. A sweep that
    picked by final error (``pick``) shows that error instead."""
    if any(sweep[v].get("pick") == "final_error" for v in sweep):
        rows = [{"variant": v, "lr": f"{row['lr']:g}" + (" ✔" if row["lr"] == sweep[v]["best_lr"] else ""),
                 "final": f"{100 * row['final_error']:.1f}%", "diverged": row["diverged"]}
                for v in sweep for row in sweep[v]["table"]]
        return html_table(rows, [("variant", variant_header), ("lr", "learning rate"),
                                 ("final", "final validation top-1 error (median over sweep seeds)"),
                                 ("diverged", "runs diverged")])
    def steps(s, v):
        if s is None:
            h = sweep[v].get("horizon_epochs")
            return "not reached" if h is None else f"not within {h:g} epochs"
        return f"{s:g} ({s / steps_per_epoch:.2f} epochs)"

    rows = [{"variant": v, "lr": f"{row['lr']:g}" + (" ✔" if row["lr"] == sweep[v]["best_lr"] else ""),
             "steps": steps(row["steps_to_target"], v), "mean_error": f"{row['mean_error']:.3f}",
             "diverged": row["diverged"]}
            for v in sweep for row in sweep[v]["table"]]
    return html_table(rows, [
        ("variant", variant_header), ("lr", "learning rate"),
        ("steps", f"steps to {100 * target_error:g}% training error (median over sweep seeds)"),
        ("mean_error", "mean training error over the run"), ("diverged", "runs diverged")])


def rate_sensitivity(sweep: Mapping[str, Mapping], slow: str, fast: str) -> list[dict]:
    """The claimed speed-up read from the sweep runs at each arm's picked rate and its neighbours
    in the grid (below and above, where tried): for every pair of rates, ``slow`` arm's median
    steps to the target over ``fast``'s (medians over the sweep seeds). One dict per pair:
    ``slow_lr``, ``fast_lr``, ``ratio`` (None where either median was not reached), ``bound``
    (``">"`` where only the slow arm missed: the ratio is at least its horizon over the fast
    steps, which is not known here, so no number is given; ``"<"`` the other way) and
    ``picked`` (both at their picks). Described, not judged: it shows whether the verdict
    hangs on the grid."""
    out = []
    for s_lr in _near_pick(sweep, slow):
        for f_lr in _near_pick(sweep, fast):
            s, f = _at_rate(sweep, slow, s_lr, "steps_to_target"), _at_rate(sweep, fast, f_lr, "steps_to_target")
            out.append({"slow_lr": s_lr, "fast_lr": f_lr, "ratio": None if s is None or f is None else s / f,
                        "bound": ">" if s is None and f is not None else "<" if f is None and s is not None else None,
                        "picked": s_lr == sweep[slow]["best_lr"] and f_lr == sweep[fast]["best_lr"]})
    return out


def rate_sensitivity_table(cells: Sequence[Mapping], *, names: Mapping[str, str]) -> str:
    """HTML grid of :func:`rate_sensitivity`: the slow arm's rates down, the fast arm's across;
    each cell the speed-up (the picks' cell marked), "not reached" where neither or the fast
    arm missed the target, "larger (slow arm not reached)" where only the slow arm missed."""
    slow_rates = list(dict.fromkeys(c["slow_lr"] for c in cells))
    fast_rates = list(dict.fromkeys(c["fast_lr"] for c in cells))

    def text(c):
        if c["ratio"] is not None:
            return f"{c['ratio']:.2f}×" + (" (picked)" if c["picked"] else "")
        return {">": f"larger ({names['slow']} did not reach it in its sweep runs)",
                "<": f"smaller ({names['fast']} did not reach it in its sweep runs)"}.get(c["bound"], "neither reached it")

    rows = [{"slow": f"{s:g}", **{f"f{j}": text(next(c for c in cells if c["slow_lr"] == s and c["fast_lr"] == f))
                                  for j, f in enumerate(fast_rates)}} for s in slow_rates]
    return html_table(rows, [("slow", f"{names['slow']} rate ↓ / {names['fast']} rate →")]
                      + [(f"f{j}", f"{f:g}") for j, f in enumerate(fast_rates)],
                      caption=f"Speed-up ({names['slow']}'s median steps over {names['fast']}'s, sweep "
                              "seeds) at each network's picked rate and the rates next to it")


def error_sensitivity(sweep: Mapping[str, Mapping], worse: str, better: str) -> list[dict]:
    """The claimed difference read from a sweep that picked by final error: at each arm's picked
    rate and its neighbours in the grid, ``worse``'s median final validation error minus
    ``better``'s, in points. One dict per pair: ``worse_lr``, ``better_lr``, ``points`` and
    ``picked`` (both at their picks). Described, not judged."""
    return [{"worse_lr": w, "better_lr": b,
             "points": 100 * (_at_rate(sweep, worse, w, "final_error") - _at_rate(sweep, better, b, "final_error")),
             "picked": w == sweep[worse]["best_lr"] and b == sweep[better]["best_lr"]}
            for w in _near_pick(sweep, worse) for b in _near_pick(sweep, better)]


def _near_pick(sweep: Mapping[str, Mapping], arm: str) -> list[float]:
    """An arm's picked rate and its neighbours in the rates it tried, ascending."""
    rates = sorted(row["lr"] for row in sweep[arm]["table"])
    i = rates.index(sweep[arm]["best_lr"])
    return rates[max(i - 1, 0): i + 2]


def _at_rate(sweep: Mapping[str, Mapping], arm: str, lr: float, key: str):
    """``key`` of an arm's sweep-table row at rate ``lr``."""
    return next(row[key] for row in sweep[arm]["table"] if row["lr"] == lr)


def error_sensitivity_table(cells: Sequence[Mapping], *, names: Mapping[str, str]) -> str:
    """HTML grid of :func:`error_sensitivity`: ``worse``'s rates down, ``better``'s across."""
    worse = list(dict.fromkeys(c["worse_lr"] for c in cells))
    better = list(dict.fromkeys(c["better_lr"] for c in cells))
    rows = [{"w": f"{w:g}", **{f"b{j}": next(f"{c['points']:+.1f}" + (" (picked)" if c["picked"] else "")
                                             for c in cells if c["worse_lr"] == w and c["better_lr"] == b)
                               for j, b in enumerate(better)}} for w in worse]
    return html_table(rows, [("w", f"{names['worse']} rate ↓ / {names['better']} rate →")]
                      + [(f"b{j}", f"{b:g}") for j, b in enumerate(better)],
                      caption=f"Difference in points ({names['worse']}'s median final validation error minus "
                              f"{names['better']}'s, sweep seeds) at each network's picked rate and the rates next to it")


def sensitivity_range(cells: Sequence[Mapping]) -> tuple[float, float] | None:
    """Lowest and highest speed-up of :func:`rate_sensitivity` where both arms reached the
    target; None when no pair did."""
    ratios = [c["ratio"] for c in cells if c["ratio"] is not None]
    return (min(ratios), max(ratios)) if ratios else None


def speedups_by_target(runs: Mapping[str, Sequence], slow: str, fast: str, targets: Sequence[float],
                       *, window: int = 1, resolution_steps: float | None = None,
                       level: float = 0.95, key: str = "train_top1_error") -> dict[float, dict]:
    """The speed-up of variant ``fast`` over ``slow`` of ``runs`` (paired by seed) at each
    target training error, as a curve (described, not judged: the chapter judges its claim at
    the paper's target only, with :func:`alexnet_repro.analysis.judging.judge_speedup`).

    ``{target: {"<fast>_steps", "<slow>_steps" (steps to the target per seed, None = never),
    "<fast>_horizons", "<slow>_horizons" (last logged step per run), "result"
    (``verdicts.replication`` of the per-seed log speed-ups, direction "greater", no paper
    value: estimate, interval, MDE)}}``. ``resolution_steps``: how well a step count is known
    (default: the runs' ``log_every``). ``key``: the error read from the step log (e.g.
    ``"eval_train_top1_error"``: evaluation mode, every ``eval_train_every`` steps)."""
    out = {}
    for t in targets:
        steps = {v: [steps_to_target(r["steps"], t, key=key, window=window) for r in runs[v]]
                 for v in (fast, slow)}
        ends = {v: [horizon(r["steps"], key) for r in runs[v]] for v in (fast, slow)}
        res = _log_every(runs[fast]) if resolution_steps is None else resolution_steps
        ls = speedups.log_speedups(steps[slow], steps[fast], slow_horizons=ends[slow],
                                   fast_horizons=ends[fast], resolution_steps=res)
        out[t] = {f"{fast}_steps": steps[fast], f"{slow}_steps": steps[slow],
                  f"{fast}_horizons": ends[fast], f"{slow}_horizons": ends[slow], "resolution_steps": res,
                  "result": verdicts.replication(ls["effects"], direction="greater", level=level,
                                                 resolution=ls["resolution"], censored=ls["censored"])}
    return out


def _log_every(runs: Sequence) -> int:
    every = {int(_record(r).get("config", {}).get("log_every", 1) or 1) for r in runs}
    return max(every) if every else 1


def median_censored(values):
    """Median of steps-to-target with censored runs (``None``) counted as +inf."""
    vals = [math.inf if v is None else float(v) for v in values]
    return statistics.median(vals) if vals else None


def _median_steps(steps: Sequence[int | None]) -> str:
    m = median_censored(steps)
    missed = sum(s is None for s in steps)
    return ((f"{m:g}" if math.isfinite(m) else "median not reached")
            + (f" ({missed} of {len(steps)} runs never reached it)" if missed else ""))


def speedup_table(by_target: Mapping[float, Mapping], slow: str, fast: str, *,
                  names: Mapping[str, str] | None = None, judged_at: float | None = None) -> str:
    """HTML table of :func:`speedups_by_target`: per target the median steps of each variant
    (censored runs as +inf, and how many never got there), the speed-up's geometric mean with
    its 95% interval and MDE: a curve described, not judged, so it has no outcome words (only
    the claim at ``judged_at``, the target where the chapter judges it, has one, in the claims
    table). ``names``: how the headers call the variants."""
    names = {slow: slow, fast: fast, **(names or {})}
    rows = [{"target": f"{100 * t:g}%" + (" (judged)" if judged_at is not None and t == judged_at else ""),
             "fast": _median_steps(b[f"{fast}_steps"]), "slow": _median_steps(b[f"{slow}_steps"]),
             "speedup": verdicts.format_replication(b["result"], unit="log ratio")}
            for t, b in by_target.items()]
    return html_table(rows, [("target", "target training error"), ("fast", f"{names[fast]} steps (median)"),
                             ("slow", f"{names[slow]} steps (median)"),
                             ("speedup", f"speed-up {names[slow]}/{names[fast]} [95% CI] (MDE)")])


def speedups_record(by_target: Mapping[float, Mapping]) -> dict[str, dict]:
    """:func:`speedups_by_target` for a chapter record (JSON): keys ``f"{target:g}"``; an
    infinite interval end or MDE (fewer than 2 seeds, or an unknown pair) is stored as None."""
    out = {}
    for t, b in by_target.items():
        r = b["result"]
        out[f"{t:g}"] = json_safe({**{k: v for k, v in b.items() if k != "result"},
                                   **{k: r[k] for k in ("estimate", "ci", "mde", "n", "n_censored")}})
    return out


# ----------------------------------------------------------------------------- overfitting, paired speed-ups


# ----------------------------------------------------------------------------- reading runs

def final_value(run: Mapping, path: str):
    """A value of a run's ``record["final"]`` by dotted path, e.g. ``"val_top1_error"`` or
    ``"train_eval.top1_error"`` (the latter exists when the sweep ran with ``eval_train_split``)."""
    value = _record(run)["final"]
    for key in path.split("."):
        if key not in value:
            raise KeyError(f"record['final'] has no {path!r} (missing {key!r}); the training-set "
                           "evaluation needs run_seeds(..., eval_train_split=True)")
        value = value[key]
    return value


def overfit_gap(run: Mapping) -> float:
    """Validation minus training top-1 error, in points (%), both measured after training in
    evaluation mode on the same terms: how much the network overfits."""
    return 100 * (final_value(run, "val_top1_error") - final_value(run, "train_eval.top1_error"))


def overfitting_metrics(target: float | None = None, window: int = 1) -> dict[str, Callable]:
    """The :func:`variant_summary` metrics of an overfitting comparison (labels are the table's
    columns): training and validation top-1 error (%, evaluation mode), their gap
    (:func:`overfit_gap`), both losses and, with ``target``, the steps to that training error
    (:func:`steps_to_target` with ``window``)."""
    metrics = {
        "training top-1 error (evaluation mode), %": lambda r: 100 * final_value(r, "train_eval.top1_error"),
        "validation top-1 error, %": lambda r: 100 * final_value(r, "val_top1_error"),
        "gap (validation - training), points": overfit_gap,
        "training loss (evaluation mode)": lambda r: final_value(r, "train_eval.loss"),
        "validation loss": lambda r: final_value(r, "val_loss"),
    }
    if target is not None:
        metrics[f"steps to training error <= {target:g}"] = \
            lambda r: steps_to_target(r["steps"], target, window=window)
    return metrics


# ----------------------------------------------------------------------------- final errors

FINAL_ERROR_KINDS = ("val", "ten_crop", "train", "train_eval")


def final_error(run, which: str = "val") -> float:
    """A run's top-1 error at the end of training: ``"val"`` (validation, centre patch),
    ``"ten_crop"`` (validation, the paper's ten patches averaged; needs ``ten_crop_eval``),
    ``"train"`` (the last epoch's training error as trained: on the augmented patches, dropout
    on, while the weights move) or ``"train_eval"`` (the training images evaluated after training
    like the validation images: evaluation mode, un-augmented centre patch; needs
    ``run_seeds(..., eval_train_split=True)``)."""
    rec = _record(run)
    if which not in FINAL_ERROR_KINDS:
        raise ValueError(f"which must be one of {FINAL_ERROR_KINDS}, got {which!r}")
    if which == "train":
        return rec["history"][-1]["train_top1_error"]
    if which == "train_eval":
        return final_value(rec, "train_eval.top1_error")
    return rec["final"]["val_top1_error" if which == "val" else "val_top1_error_ten_crop"]


def ten_crop_gain(run) -> float:
    """Centre-patch minus ten-patch validation error: what averaging ten patches saves."""
    return final_error(run, "val") - final_error(run, "ten_crop")


#: The per-run numbers :func:`final_errors` summarizes, by name (fractions). ``gap`` is the
#: overfitting gap on equal terms (:func:`overfit_gap`, as a fraction): validation error minus
#: the training images' error, both in evaluation mode on un-augmented centre patches.
FINAL_ERRORS: dict[str, Callable] = {
    "train": lambda r: final_error(r, "train"),
    "train_eval": lambda r: final_error(r, "train_eval"),
    "val": lambda r: final_error(r, "val"),
    "gap": lambda r: final_error(r, "val") - final_error(r, "train_eval"),
    "ten_crop": lambda r: final_error(r, "ten_crop"),
    "ten_minus_centre": lambda r: final_error(r, "ten_crop") - final_error(r, "val"),
}


def final_errors(runs: Mapping[str, Sequence], metrics: Mapping[str, Callable] | None = None) -> dict:
    """``{variant: {metric: summarize(per-seed values)}}`` of ``runs`` (``{variant: [Run]}``) for
    each of ``metrics`` (default :data:`FINAL_ERRORS`)."""
    metrics = FINAL_ERRORS if metrics is None else metrics
    return {v: {k: summarize([fn(r) for r in rs]) for k, fn in metrics.items()} for v, rs in runs.items()}


def paired(runs: Mapping[str, Sequence], a: str, b: str, fn: Callable) -> list[float]:
    """Per-seed differences ``fn(run of a) - fn(run of b)``: same seed, same images, same initial
    weights. The two variants must have been run with the same seeds, in the same order."""
    seeds_a, seeds_b = [_record(r).get("seed") for r in runs[a]], [_record(r).get("seed") for r in runs[b]]
    if seeds_a != seeds_b:
        raise ValueError(f"paired: variants {a!r} and {b!r} have different seeds ({seeds_a} and {seeds_b})")
    return [fn(ra) - fn(rb) for ra, rb in zip(runs[a], runs[b])]


def runs_digest(runs: Mapping[str, Sequence[Mapping]]) -> dict[str, list[dict]]:
    """What a chapter record keeps of ``{variant: [Run per seed]}``: per run its ``seed``, the
    ``final`` block and ``wall_time_s`` (not the step-by-step logs)."""
    return {k: [{"seed": r["seed"], "final": r["final"], "wall_time_s": r["wall_time_s"]} for r in v]
            for k, v in runs.items()}




def setting_facts(run) -> dict[str, Any]:
    """What a chapter's prose says about the setting of one trained :class:`Run` (all runs of a
    sweep share it but for the seed): ``dataset`` (name), ``train_images``, ``val_images``,
    ``classes``, ``crop`` (input side), ``parameters``, ``steps`` (taken), and from its config
    ``epochs``, ``batch_size``, ``lr`` and the model's ``width``, ``init``, ``input_scale``
    (``None`` where the config does not set them)."""
    if getattr(run, "result", None) is None:
        raise ValueError("setting_facts needs a Run that kept its result (run_seeds with keep_models=True)")
    rec, data = run.record, run.result.data
    cfg = rec["config"]
    kw = cfg.get("model_kwargs") or {}
    return {"dataset": data.name, "train_images": len(data.train), "val_images": len(data.val),
            "classes": len(data.classes), "crop": rec["dataset"]["crop_size"],
            "parameters": rec["model"]["parameters"], "steps": rec["final"]["steps"],
            "epochs": cfg["epochs"], "batch_size": cfg["batch_size"], "lr": cfg["lr"],
            **{k: kw.get(k) for k in ("width", "init", "input_scale")}}




def final_errors_table(table: Mapping[str, Mapping[str, Mapping]], columns: Sequence[tuple[str, str]], *,
                       unit: str = " %", digits: int = 1) -> str:
    """HTML table of :func:`final_errors`: one row per variant (first column, ``columns[0]``),
    cells the mean ± standard deviation over seeds in percent (``format_error_pct``)."""
    (first, _), keys = columns[0], [k for k, _ in columns[1:]]
    rows = [{first: v, **{k: format_error_pct(t[k], unit, digits=digits) for k in keys}} for v, t in table.items()]
    return html_table(rows, columns)
