"""Sweeps: train variants of a base config over seeds (:func:`run_seeds`) or learning rates
(:func:`lr_sweep`), and read the runs: error curves, steps to a target error, the horizon a
censored run is known to exceed, per-variant summaries.

Everything trains through the one engine, :func:`alexnet_repro.train.train`. A sweep returns
:class:`Run` objects that carry both the record and the trained model (with its data and mean
image), so a chapter can probe the networks it trained. Verdicts on the runs live in
:mod:`alexnet_repro.judging`; figures of them in :mod:`alexnet_repro.figures`.
"""
from __future__ import annotations

import copy
import dataclasses
import html
import json
import math
import statistics
from typing import Any, Callable, Iterable, Mapping, Sequence

from alexnet_repro.judging import (format_error_pct, format_pm, format_ratio, median_censored, ratio_verdict,
                                   speedup, summarize)
from alexnet_repro.probes import evaluate_split
from alexnet_repro.tables import html_table
from alexnet_repro.train import TrainingDiverged, train


from alexnet_repro.judging import format_error_pct, format_pm, median_censored, summarize

__all__ = [
    "Run", "config_with", "run_seeds", "lr_sweep", "error_curve", "steps_to_target", "horizon",
    "variant_summary", "summary_table",
]


# ----------------------------------------------------------------------------- running

def config_with(base_config, overrides: Mapping[str, Any] | None = None, **more):
    """A copy of the dataclass ``base_config`` with ``overrides`` (and ``more``) applied.

    ``model_kwargs`` is merged key by key (``{"model_kwargs": {"activation": "tanh"}}`` keeps
    the base's other model arguments); every other field is replaced. Unknown field names raise
    ``ValueError`` naming them.
    """
    changes = {**(overrides or {}), **more}
    fields = {f.name for f in dataclasses.fields(base_config)}
    unknown = sorted(set(changes) - fields)
    if unknown:
        raise ValueError(f"unknown TrainConfig field(s) {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(fields))}")
    if "model_kwargs" in changes:
        merged = dict(getattr(base_config, "model_kwargs") or {})
        merged.update(changes["model_kwargs"] or {})
        changes["model_kwargs"] = merged
    return dataclasses.replace(copy.deepcopy(base_config), **changes)


#: Config fields that do not change what a run computes (left out of the cache key).
_NOT_IN_KEY = ("progress", "out_dir", "resume", "num_workers", "checkpoint_every_steps")


def _config_key(config) -> str:
    """A canonical JSON string of the config's fields that change the result (cache key)."""
    d = {k: v for k, v in dataclasses.asdict(config).items() if k not in _NOT_IN_KEY}
    return json.dumps(d, sort_keys=True, default=str)


@dataclasses.dataclass(frozen=True)
class Run:
    """One trained run of a sweep: its ``record`` (the engine's record dict plus ``"variant"``)
    and, when the sweep kept it, the engine's ``result`` (:class:`~alexnet_repro.train.TrainResult`:
    ``model``, ``data``, ``mean_image``, ``record``). ``result`` is ``None`` for a diverged run,
    when the sweep was asked not to keep models, or when ``train_fn`` returned a bare record.

    A ``Run`` reads like its record (``run["steps"]`` is ``run.record["steps"]``), so functions
    that take records (:func:`error_curve`, :func:`variant_summary`, ``figures.plot_runs``) take
    runs as they are.
    """
    record: Mapping[str, Any]
    result: Any = None

    @property
    def model(self):
        """The trained network (``result.model``); ``ValueError`` when the sweep did not keep it."""
        if self.result is None:
            raise ValueError(f"run {self.record.get('variant')!r} seed {self.record.get('seed')!r} "
                             "kept no model (diverged, or run with keep_models=False)")
        return self.result.model

    @property
    def seed(self):
        return self.record.get("seed")

    @property
    def variant(self):
        return self.record.get("variant")

    def __getitem__(self, key):
        return self.record[key]

    def get(self, key, default=None):
        return self.record.get(key, default)

    def __contains__(self, key):
        return key in self.record

    def keys(self):
        return self.record.keys()


def _record(run) -> Mapping[str, Any]:
    """The record of a :class:`Run` or of a bare record dict."""
    return run.record if isinstance(run, Run) else run


def run_seeds(base_config, variants: Mapping[str, Mapping[str, Any]], seeds: Iterable[int], *,
              data=None, cache: dict | None = None, train_fn: Callable | None = None,
              on_run: Callable | None = None, diverged_ok: bool = False,
              keep_models: bool = True, eval_train_split: bool = False) -> dict[str, list[Run]]:
    """Train every variant with every seed; return ``{variant: [Run per seed]}``.

    ``variants`` maps a name to overrides of ``base_config`` (see :func:`config_with`); the
    seed is set by ``seeds``. Runs come back in the order of ``seeds``; each :class:`Run` has
    the ``record`` (with the variant name under ``"variant"``) and, with ``keep_models``, the
    engine's ``result`` (trained model, data, mean image). ``keep_models=False`` drops the
    models as soon as each run is done (large networks).

    ``data``: a ``DataBundle`` passed to every run (load it once); ``None`` lets the engine load
    the dataset itself. ``cache``: a dict shared between calls (e.g. with :func:`lr_sweep`); a
    run whose config (the fields that change the result) is already in it is not trained again.
    ``train_fn`` replaces :func:`alexnet_repro.train.train` (tests; it may return a bare
    record); ``on_run(name, seed, record)`` is called after each run (progress).
    ``eval_train_split``: also store :func:`alexnet_repro.probes.evaluate_split` on the training
    set in ``record["final"]["train_eval"]`` (``loss``, ``top1_error``, ``top5_error``).
    ``diverged_ok``: a run whose loss blows up (:class:`alexnet_repro.train.TrainingDiverged`)
    comes back as a record ``{"kind": "training", "diverged": True, "error": message, "config",
    "seed", "steps": []}`` (it never reaches any target) instead of raising: what a
    learning-rate sweep needs.
    """
    train_fn = train if train_fn is None else train_fn
    seeds = list(seeds)
    if not seeds:
        raise ValueError("run_seeds needs at least one seed")
    out: dict[str, list[Run]] = {}
    for name, overrides in variants.items():
        out[name] = []
        for seed in seeds:
            cfg = config_with(base_config, overrides, seed=int(seed))
            key = _config_key(cfg)
            if cache is not None and key in cache:
                run = cache[key]
            else:
                run = _train_one(cfg, data, train_fn, diverged_ok, eval_train_split)
                if not keep_models:
                    run = Run(run.record)
                if cache is not None:
                    cache[key] = run
            run = Run({**run.record, "variant": name}, run.result)
            out[name].append(run)
            if on_run is not None:
                on_run(name, seed, run.record)
    return out


def _train_one(cfg, data, train_fn, diverged_ok: bool, eval_train_split: bool) -> Run:
    try:
        result = train_fn(cfg, data) if data is not None else train_fn(cfg)
    except TrainingDiverged as e:
        if not diverged_ok:
            raise
        return Run({"kind": "training", "diverged": True, "error": str(e),
                    "config": dataclasses.asdict(cfg), "seed": cfg.seed, "steps": [],
                    "history": []})
    if not hasattr(result, "record"):
        return Run(result)
    if eval_train_split:
        ev = evaluate_split(result, "train")
        result.record["final"]["train_eval"] = {k: ev[k] for k in ("loss", "top1_error", "top5_error")}
    return Run(result.record, result)


# ----------------------------------------------------------------------------- learning rates

def lr_sweep(base_config, lrs: Sequence[float], variants: Mapping[str, Mapping[str, Any]], *,
             target_error: float, seeds: Sequence[int] = (0,), window: int = 1, data=None,
             cache: dict | None = None, train_fn: Callable | None = None,
             on_run: Callable | None = None, keep_models: bool = True) -> dict:
    """For each variant, train with every learning rate in ``lrs`` and pick the fastest.

    The paper (Figure 1): "The learning rates for each network were chosen independently to
    make training as fast as possible." Fastest = fewest steps to reach ``target_error``
    (median over ``seeds``, censored runs counted as +inf); ties, and variants for which no lr
    reaches the target, are decided by the lower mean training error over the logged steps (the
    area under the error curve). Use sweep seeds different from the evaluation seeds so the
    choice is not tuned on the runs that are then reported.

    A run that diverges counts as never reaching the target, with mean error 1.

    Returns ``{variant: {"best_lr", "table": [{"lr", "steps_to_target", "mean_error",
    "reached", "diverged"}...], "records": {lr: [records]}}}``. ``keep_models``: as in
    :func:`run_seeds` (the models stay in ``cache``, e.g. for reuse by a later :func:`run_seeds`).
    """
    out = {}
    for name, overrides in variants.items():
        table, records = [], {}
        for lr in lrs:
            recs = run_seeds(base_config, {name: {**overrides, "lr": float(lr)}}, seeds, data=data,
                             cache=cache, train_fn=train_fn, on_run=on_run, diverged_ok=True,
                             keep_models=keep_models)[name]
            recs = [r.record for r in recs]
            records[float(lr)] = recs
            steps = [steps_to_target(r["steps"], target_error, window=window) for r in recs]
            curves = [error_curve(r["steps"], window=window)[1] for r in recs]
            mean_err = statistics.fmean(statistics.fmean(c) if c else 1.0 for c in curves)
            med = median_censored(steps)
            table.append({"lr": float(lr), "steps_to_target": med if math.isfinite(med) else None,
                          "mean_error": mean_err, "reached": sum(s is not None for s in steps),
                          "diverged": sum(bool(r.get("diverged")) for r in recs)})
        best = min(table, key=lambda row: (row["steps_to_target"] if row["steps_to_target"] is not None
                                           else math.inf, row["mean_error"]))
        out[name] = {"best_lr": best["lr"], "table": table, "records": records}
    return out


# ----------------------------------------------------------------------------- curves

def error_curve(steps_history: Sequence[Mapping], key: str = "train_top1_error",
                window: int = 1) -> tuple[list[int], list[float]]:
    """``(steps, errors)`` from a record's ``"steps"`` list, sorted by step.

    ``window > 1`` replaces each error by the mean of the last ``window`` logged values (a
    trailing moving average; the first entries average what is there). Non-finite or missing
    errors (a diverged run) count as 1.0, i.e. as never reaching any target.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    rows = sorted(steps_history, key=lambda r: r["step"])
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


def horizon(steps_history: Sequence[Mapping]) -> int | None:
    """The last logged step: what a censored steps-to-target is known to exceed."""
    return max((int(r["step"]) for r in steps_history), default=None)


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

__all__ += ["tuned_runs", "lr_sweep_table", "speedups_by_target", "speedup_table", "speedups_record"]


def tuned_runs(base_config, variants: Mapping[str, Mapping[str, Any]], lrs: Sequence[float],
               seeds: Sequence[int], *, sweep_seeds: Sequence[int], target_error: float,
               window: int = 1, data=None, cache: dict | None = None,
               train_fn: Callable | None = None) -> tuple[dict, dict[str, list[Run]]]:
    """Figure 1's protocol, "learning rates for each network chosen independently to make
    training as fast as possible": :func:`lr_sweep` of every variant over ``lrs`` with
    ``sweep_seeds``, then :func:`run_seeds` of each variant at its fastest rate with ``seeds``
    (use seeds apart from the sweep's). Returns ``(sweep, runs)``: the sweep's dict
    (``sweep[v]["best_lr"]``) and ``{variant: [Run per seed]}``. The two share ``cache``."""
    cache = {} if cache is None else cache
    sweep = lr_sweep(base_config, lrs, variants, target_error=target_error, seeds=sweep_seeds,
                     window=window, data=data, cache=cache, train_fn=train_fn)
    chosen = {v: {**variants[v], "lr": sweep[v]["best_lr"]} for v in variants}
    return sweep, run_seeds(base_config, chosen, seeds, data=data, cache=cache, train_fn=train_fn)


def lr_sweep_table(sweep: Mapping[str, Mapping], target_error: float, steps_per_epoch: float, *,
                   variant_header: str = "variant") -> str:
    """HTML table of an :func:`lr_sweep`: per variant and learning rate the median steps to
    ``target_error`` (and in epochs of ``steps_per_epoch`` steps), the mean training error over
    the run and the diverged runs; the chosen rate is ticked."""
    def steps(s):
        return "not reached" if s is None else f"{s:g} ({s / steps_per_epoch:.2f} epochs)"

    rows = [{"variant": v, "lr": f"{row['lr']:g}" + (" ✔" if row["lr"] == sweep[v]["best_lr"] else ""),
             "steps": steps(row["steps_to_target"]), "mean_error": f"{row['mean_error']:.3f}",
             "diverged": row["diverged"]}
            for v in sweep for row in sweep[v]["table"]]
    return html_table(rows, [
        ("variant", variant_header), ("lr", "learning rate"),
        ("steps", f"steps to {100 * target_error:g}% training error (median over sweep seeds)"),
        ("mean_error", "mean training error over the run"), ("diverged", "runs diverged")])


def speedups_by_target(runs: Mapping[str, Sequence], slow: str, fast: str, targets: Sequence[float],
                       *, window: int = 1, direction: str = "greater") -> dict[float, dict]:
    """The speed-up of variant ``fast`` over ``slow`` of ``runs`` (paired by seed) at each
    target training error: ``{target: {"<fast>_steps", "<slow>_steps" (steps to the target per
    seed, None = never), "speedup" (:func:`~alexnet_repro.judging.speedup`, censored runs bounded
    by their :func:`horizon`), "verdict" (:func:`~alexnet_repro.judging.ratio_verdict`)}}``."""
    out = {}
    for t in targets:
        steps = {v: [steps_to_target(r["steps"], t, window=window) for r in runs[v]] for v in (fast, slow)}
        ends = {v: [horizon(r["steps"]) for r in runs[v]] for v in (fast, slow)}
        sp = speedup(steps[slow], steps[fast], slow_horizons=ends[slow], fast_horizons=ends[fast])
        out[t] = {f"{fast}_steps": steps[fast], f"{slow}_steps": steps[slow], "speedup": sp,
                  "verdict": ratio_verdict(sp, direction)}
    return out


def _median_steps(steps: Sequence[int | None]) -> str:
    m = median_censored(steps)
    missed = sum(s is None for s in steps)
    return ((f"{m:g}" if math.isfinite(m) else "median not reached")
            + (f" ({missed} of {len(steps)} runs never reached it)" if missed else ""))


def speedup_table(by_target: Mapping[float, Mapping], slow: str, fast: str, *,
                  names: Mapping[str, str] | None = None) -> str:
    """HTML table of :func:`speedups_by_target`: per target the median steps of each variant
    (censored runs as +inf, and how many never got there), the speed-up and its verdict.
    ``names``: how the headers call the variants (default: their keys)."""
    names = {slow: slow, fast: fast, **(names or {})}
    rows = [{"target": f"{100 * t:g}%", "fast": _median_steps(b[f"{fast}_steps"]),
             "slow": _median_steps(b[f"{slow}_steps"]), "speedup": format_ratio(b["speedup"]),
             "verdict": b["verdict"]} for t, b in by_target.items()]
    return html_table(rows, [("target", "target training error"), ("fast", f"{names[fast]} steps (median)"),
                             ("slow", f"{names[slow]} steps (median)"),
                             ("speedup", f"speed-up {names[slow]}/{names[fast]}"),
                             ("verdict", f"verdict ({names[fast]} faster?)")])


def speedups_record(by_target: Mapping[float, Mapping]) -> dict[str, dict]:
    """:func:`speedups_by_target` for a chapter record (JSON): keys ``f"{target:g}"``, each with
    the per-seed steps, the ratios, their kinds, geometric mean, log spread and the verdict."""
    keep = ("ratios", "kinds", "geo_mean", "log_std")
    return {f"{t:g}": {**{k: v for k, v in b.items() if k.endswith("_steps")},
                       **{k: b["speedup"][k] for k in keep}, "verdict": b["verdict"]}
            for t, b in by_target.items()}


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


def paired_speedup(slow: Sequence[Mapping], fast: Sequence[Mapping], target: float, *,
                   window: int = 1) -> dict:
    """:func:`~alexnet_repro.judging.speedup` of the steps to ``target`` training error of paired
    runs (same seed order), censored runs bounded by their :func:`horizon`. The per-seed steps
    are in ``["pairs"][i]["slow"]`` and ``["fast"]`` (``None``: never reached)."""
    s = [steps_to_target(r["steps"], target, window=window) for r in slow]
    f = [steps_to_target(r["steps"], target, window=window) for r in fast]
    return speedup(s, f, slow_horizons=[horizon(r["steps"]) for r in slow],
                   fast_horizons=[horizon(r["steps"]) for r in fast])


def nearby_targets(target: float) -> list[float]:
    """``2 * target``, ``target`` and ``target / 2`` (those below 1, rounded to 4 places,
    without repeats), from the highest error down: how a speed-up depends on the target."""
    return sorted({round(t, 4) for t in (2 * target, target, target / 2) if t < 1}, reverse=True)


def paired_speedup_table(by_target: Mapping[float, Mapping], slow_label: str, fast_label: str) -> str:
    """HTML table of :func:`paired_speedup` results per target error: the per-seed steps of both
    sides ("—": never reached), the geometric-mean ratio and each seed's kind."""
    def steps(sp, side):
        return ", ".join("—" if p[side] is None else str(p[side]) for p in sp["pairs"])

    rows = [{"target": f"{100 * t:g}%", "fast": steps(sp, "fast"), "slow": steps(sp, "slow"),
             "ratio": "n/a" if sp["geo_mean"] is None else format(sp["geo_mean"], ".2f"),
             "kinds": ", ".join(sp["kinds"])} for t, sp in by_target.items()]
    return html_table(rows, [("target", "training error target"), ("fast", f"steps, {fast_label} (per seed)"),
                             ("slow", f"steps, {slow_label} (per seed)"), ("ratio", "ratio (geometric mean)"),
                             ("kinds", "kind per seed")])


# ----------------------------------------------------------------------------- final errors

FINAL_ERROR_KINDS = ("val", "ten_crop", "train")


def final_error(run, which: str = "val") -> float:
    """A run's top-1 error at the end of training: ``"val"`` (validation, centre patch),
    ``"ten_crop"`` (validation, the paper's ten patches averaged; needs ``ten_crop_eval``) or
    ``"train"`` (the last epoch's training error, on the augmented patches)."""
    rec = _record(run)
    if which == "train":
        return rec["history"][-1]["train_top1_error"]
    if which not in FINAL_ERROR_KINDS:
        raise ValueError(f"which must be one of {FINAL_ERROR_KINDS}, got {which!r}")
    return rec["final"]["val_top1_error" if which == "val" else "val_top1_error_ten_crop"]


def train_val_gap(run) -> float:
    """Validation error (centre patch) minus the last epoch's training error (as trained: on the
    augmented patches, dropout on), fractions: the augmentation chapter's measure of overfitting.
    Both come with every record (no extra evaluation of the training set needed)."""
    return final_error(run, "val") - final_error(run, "train")


def ten_crop_gain(run) -> float:
    """Centre-patch minus ten-patch validation error: what averaging ten patches saves."""
    return final_error(run, "val") - final_error(run, "ten_crop")


#: The per-run numbers :func:`final_errors` summarizes, by name.
FINAL_ERRORS: dict[str, Callable] = {
    "train": lambda r: final_error(r, "train"),
    "val": lambda r: final_error(r, "val"),
    "gap": train_val_gap,
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
    if not isinstance(run, Run) or run.result is None:
        raise ValueError("setting_facts needs a Run that kept its result (run_seeds with keep_models=True)")
    rec, data = run.record, run.result.data
    cfg = rec["config"]
    kw = cfg.get("model_kwargs") or {}
    return {"dataset": data.name, "train_images": len(data.train), "val_images": len(data.val),
            "classes": len(data.classes), "crop": rec["dataset"]["crop_size"],
            "parameters": rec["model"]["parameters"], "steps": rec["final"]["steps"],
            "epochs": cfg["epochs"], "batch_size": cfg["batch_size"], "lr": cfg["lr"],
            **{k: kw.get(k) for k in ("width", "init", "input_scale")}}


__all__ += ["final_value", "overfit_gap", "paired", "runs_digest", "setting_facts"]


def final_errors_table(table: Mapping[str, Mapping[str, Mapping]], columns: Sequence[tuple[str, str]], *,
                       unit: str = " %", digits: int = 1) -> str:
    """HTML table of :func:`final_errors`: one row per variant (first column, ``columns[0]``),
    cells the mean ± standard deviation over seeds in percent (``format_error_pct``)."""
    (first, _), keys = columns[0], [k for k, _ in columns[1:]]
    rows = [{first: v, **{k: format_error_pct(t[k], unit, digits=digits) for k in keys}} for v, t in table.items()]
    return html_table(rows, columns)


__all__ += ["FINAL_ERRORS", "final_error", "train_val_gap", "ten_crop_gain", "final_errors", "paired",
            "final_errors_table"]
