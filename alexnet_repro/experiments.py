"""Experiments shared by the ablation chapters: seed sweeps, steps-to-target, speed-up ratios,
learning-rate sweeps, and the verdict that compares a measured effect with the paper's claim.

Everything trains through the one engine, :func:`alexnet_repro.train.train`.

Verdict rule (:func:`verdict`)
------------------------------
A claim of the paper has a *direction*: "ReLU trains faster" means a speed-up ratio above 1,
"LRN reduces the error" means an error difference (without - with) above 0. Given a measured
``estimate`` (the mean over seeds), its ``spread`` (a half-width, by default the standard
deviation over seeds) and the value ``null`` meaning "no effect" (0 for differences, 1 for
ratios; ratios are compared on a log scale, see :func:`ratio_verdict`):

* ``spread`` unknown (``None``/NaN, e.g. a single seed) -> ``"inconclusive at this scale"``;
* ``[estimate - spread, estimate + spread]`` lies entirely on the paper's side of ``null``
  (strictly) -> ``"consistent"``;
* it lies entirely on the other side (strictly) -> ``"not consistent"``;
* otherwise (the interval touches or contains ``null``) -> ``"inconclusive at this scale"``.

A zero spread from two or more seeds (identical results) is a known spread: the sign of
``estimate - null`` decides, and ``estimate == null`` is inconclusive. The verdict judges the
*direction* of the claim at this scale, not its size: the claims table shows the paper's number
next to the measured one so the reader compares magnitudes.

Censoring (:func:`steps_to_target`, :func:`speedup`)
----------------------------------------------------
A run that never reaches the target error within its training budget is *censored*: its
steps-to-target is only known to exceed the last logged step (its ``horizon``). A speed-up ratio
``slow / fast`` is then a lower bound (slow run censored), an upper bound (fast run censored) or
unknown (both). :func:`ratio_verdict` only lets bounds through when they cannot change the answer:
"consistent" with "greater" claims may rest on lower bounds, "not consistent" on upper bounds;
any other censored pair makes the verdict inconclusive.
"""
from __future__ import annotations

import copy
import dataclasses
import html
import json
import math
import statistics
from typing import Any, Callable, Iterable, Mapping, Sequence

CONSISTENT = "consistent"
NOT_CONSISTENT = "not consistent"
INCONCLUSIVE = "inconclusive at this scale"
VERDICTS = (CONSISTENT, NOT_CONSISTENT, INCONCLUSIVE)
DIRECTIONS = ("greater", "less")

__all__ = [
    "CONSISTENT", "NOT_CONSISTENT", "INCONCLUSIVE", "VERDICTS",
    "config_with", "config_key", "run_seeds", "lr_sweep",
    "error_curve", "steps_to_target", "horizon", "summarize", "speedup",
    "verdict", "samples_verdict", "ratio_verdict",
    "layer_grad_norms", "claim", "claims_table", "chapter_record", "format_pm", "format_ratio",
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


#: Config fields that do not change what a run computes (left out of :func:`config_key`).
_NOT_IN_KEY = ("progress", "out_dir", "resume", "num_workers", "checkpoint_every_steps")


def config_key(config) -> str:
    """A canonical JSON string of the config's fields that change the result (cache key)."""
    d = {k: v for k, v in dataclasses.asdict(config).items() if k not in _NOT_IN_KEY}
    return json.dumps(d, sort_keys=True, default=str)


def run_seeds(base_config, variants: Mapping[str, Mapping[str, Any]], seeds: Iterable[int], *,
              data=None, cache: dict | None = None, train_fn: Callable | None = None,
              on_run: Callable | None = None, diverged_ok: bool = False) -> dict[str, list[dict]]:
    """Train every variant with every seed; return ``{variant: [record per seed]}``.

    ``variants`` maps a name to overrides of ``base_config`` (see :func:`config_with`); the
    seed is set by ``seeds``. Records come back in the order of ``seeds``; the variant name is
    stored in each record under ``"variant"``.

    ``data``: a ``DataBundle`` passed to every run (load it once); ``None`` lets the engine load
    the dataset itself. ``cache``: a dict shared between calls (e.g. with :func:`lr_sweep`); a
    run whose :func:`config_key` is already in it is not trained again. ``train_fn`` replaces
    :func:`alexnet_repro.train.train` (tests); ``on_run(name, seed, record)`` is called after
    each run (progress). ``diverged_ok``: a run whose loss blows up
    (:class:`alexnet_repro.train.TrainingDiverged`) comes back as a record
    ``{"kind": "training", "diverged": True, "error": message, "config", "seed", "steps": []}``
    (it never reaches any target) instead of raising: what a learning-rate sweep needs.
    """
    from alexnet_repro.train import TrainingDiverged
    if train_fn is None:
        from alexnet_repro.train import train as train_fn
    seeds = list(seeds)
    if not seeds:
        raise ValueError("run_seeds needs at least one seed")
    out: dict[str, list[dict]] = {}
    for name, overrides in variants.items():
        out[name] = []
        for seed in seeds:
            cfg = config_with(base_config, overrides, seed=int(seed))
            key = config_key(cfg)
            if cache is not None and key in cache:
                record = cache[key]
            else:
                try:
                    result = train_fn(cfg, data) if data is not None else train_fn(cfg)
                    record = result.record if hasattr(result, "record") else result
                except TrainingDiverged as e:
                    if not diverged_ok:
                        raise
                    record = {"kind": "training", "diverged": True, "error": str(e),
                              "config": dataclasses.asdict(cfg), "seed": int(seed), "steps": [],
                              "history": []}
                if cache is not None:
                    cache[key] = record
            record = {**record, "variant": name}
            out[name].append(record)
            if on_run is not None:
                on_run(name, seed, record)
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


def summarize(values: Sequence[float]) -> dict:
    """``n``, ``mean``, ``std`` (sample, ddof=1; ``None`` for one value), ``median``, ``min``,
    ``max`` of finite ``values``."""
    vals = [float(v) for v in values]
    if not vals:
        return {"n": 0, "mean": None, "std": None, "median": None, "min": None, "max": None}
    if not all(math.isfinite(v) for v in vals):
        raise ValueError(f"summarize needs finite values, got {vals}")
    return {"n": len(vals), "mean": statistics.fmean(vals),
            "std": statistics.stdev(vals) if len(vals) > 1 else None,
            "median": statistics.median(vals), "min": min(vals), "max": max(vals)}


def speedup(slow: Sequence[int | None], fast: Sequence[int | None], *,
            slow_horizons: Sequence[int | None] | None = None,
            fast_horizons: Sequence[int | None] | None = None) -> dict:
    """Speed-up ``slow / fast`` from steps-to-target of paired runs (same seed in both lists).

    ``slow[i]``/``fast[i]``: steps to reach the target (``None`` = never reached, censored at
    ``*_horizons[i]``, the run's last logged step). Per pair:

    * both reached: ``ratio = slow / fast``, kind ``"exact"``;
    * slow censored: ``ratio = slow_horizon / fast``, kind ``"lower"`` (true ratio is larger);
    * fast censored: ``ratio = slow / fast_horizon``, kind ``"upper"`` (true ratio is smaller);
    * both censored: ``ratio = None``, kind ``"unknown"``.

    Returns ``{"pairs": [{"seed_index", "slow", "fast", "ratio", "kind"}...], "ratios",
    "kinds", "n", "n_exact", "geo_mean", "log_std", "mean", "std", "median_ratio",
    "ratio_of_medians"}``. ``geo_mean = exp(mean(log r))`` and ``log_std`` (std of ``log r``,
    ddof=1) summarise the ratios on the log scale the verdict uses; ``mean``/``std`` are the
    plain mean and std of the ratios; ``ratio_of_medians = median(slow) / median(fast)`` with
    censored runs counted as +inf (so it is ``None`` when half or more of a side is censored).
    Summaries use the bound values of censored pairs and ignore unknown pairs.
    """
    if len(slow) != len(fast):
        raise ValueError(f"paired runs needed: {len(slow)} slow vs {len(fast)} fast")
    n = len(slow)
    sh = list(slow_horizons) if slow_horizons is not None else [None] * n
    fh = list(fast_horizons) if fast_horizons is not None else [None] * n
    pairs = []
    for i, (s, f) in enumerate(zip(slow, fast)):
        if s is not None and f is not None:
            if f <= 0:
                raise ValueError(f"steps-to-target must be positive, got fast={f}")
            ratio, kind = s / f, "exact"
        elif s is None and f is not None:
            ratio, kind = (sh[i] / f if sh[i] else None), "lower"
        elif s is not None and f is None:
            ratio, kind = (s / fh[i] if fh[i] else None), "upper"
        else:
            ratio, kind = None, "unknown"
        if ratio is None:
            kind = "unknown"
        pairs.append({"seed_index": i, "slow": s, "fast": f, "ratio": ratio, "kind": kind})
    known = [p["ratio"] for p in pairs if p["ratio"] is not None and p["ratio"] > 0]
    logs = [math.log(r) for r in known]
    plain = summarize(known)
    out = {"pairs": pairs, "ratios": [p["ratio"] for p in pairs], "kinds": [p["kind"] for p in pairs],
           "n": n, "n_exact": sum(p["kind"] == "exact" for p in pairs),
           "geo_mean": math.exp(statistics.fmean(logs)) if logs else None,
           "log_std": statistics.stdev(logs) if len(logs) > 1 else None,
           "mean": plain["mean"], "std": plain["std"], "median_ratio": plain["median"],
           "ratio_of_medians": None}
    med_s, med_f = _median_inf(slow), _median_inf(fast)
    if med_s is not None and med_f is not None and math.isfinite(med_s) and math.isfinite(med_f) and med_f > 0:
        out["ratio_of_medians"] = med_s / med_f
    return out


def _median_inf(values):
    vals = [math.inf if v is None else float(v) for v in values]
    return statistics.median(vals) if vals else None


# ----------------------------------------------------------------------------- verdicts

def verdict(estimate: float | None, spread: float | None, direction: str, null: float = 0.0) -> str:
    """``"consistent"`` / ``"not consistent"`` / ``"inconclusive at this scale"`` (module doc).

    ``direction``: ``"greater"`` if the paper says the effect is above ``null``, ``"less"`` if
    below. ``spread``: a half-width (e.g. the std over seeds); ``None`` or NaN = unknown.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if estimate is None or not math.isfinite(estimate):
        return INCONCLUSIVE
    if spread is None or not math.isfinite(spread):
        return INCONCLUSIVE
    if spread < 0:
        raise ValueError(f"spread is a half-width and cannot be negative, got {spread}")
    lo, hi = estimate - spread, estimate + spread
    above, below = lo > null, hi < null
    if not (above or below):
        return INCONCLUSIVE
    return CONSISTENT if above == (direction == "greater") else NOT_CONSISTENT


def samples_verdict(samples: Sequence[float], direction: str, null: float = 0.0) -> dict:
    """:func:`verdict` on ``mean ± std`` of per-seed ``samples`` (e.g. paired differences).
    Returns :func:`summarize`'s dict plus ``"verdict"``."""
    s = summarize(samples)
    return {**s, "verdict": verdict(s["mean"], s["std"], direction, null)}


def ratio_verdict(sp: Mapping, direction: str = "greater") -> str:
    """Verdict for a :func:`speedup` result against ``null = 1`` on the log scale:
    ``verdict(log geo_mean, log_std, direction, 0)``, with censoring handled as in the module
    doc (bounds may only support the answer they cannot overturn)."""
    if sp.get("geo_mean") is None:
        return INCONCLUSIVE
    v = verdict(math.log(sp["geo_mean"]), sp.get("log_std"), direction, 0.0)
    kinds = set(sp["kinds"]) - {"exact"}
    if not kinds:
        return v
    if "unknown" in kinds:
        return INCONCLUSIVE
    # a lower bound can only move the truth up, an upper bound only down
    supports_up, supports_down = kinds == {"lower"}, kinds == {"upper"}
    if v == CONSISTENT and ((direction == "greater" and supports_up) or (direction == "less" and supports_down)):
        return v
    if v == NOT_CONSISTENT and ((direction == "greater" and supports_down) or (direction == "less" and supports_up)):
        return v
    return INCONCLUSIVE


# ----------------------------------------------------------------------------- learning rates

def lr_sweep(base_config, lrs: Sequence[float], variants: Mapping[str, Mapping[str, Any]], *,
             target_error: float, seeds: Sequence[int] = (0,), window: int = 1, data=None,
             cache: dict | None = None, train_fn: Callable | None = None,
             on_run: Callable | None = None) -> dict:
    """For each variant, train with every learning rate in ``lrs`` and pick the fastest.

    The paper (Figure 1): "The learning rates for each network were chosen independently to
    make training as fast as possible." Fastest = fewest steps to reach ``target_error``
    (median over ``seeds``, censored runs counted as +inf); ties, and variants for which no lr
    reaches the target, are decided by the lower mean training error over the logged steps (the
    area under the error curve). Use sweep seeds different from the evaluation seeds so the
    choice is not tuned on the runs that are then reported.

    A run that diverges counts as never reaching the target, with mean error 1.

    Returns ``{variant: {"best_lr", "table": [{"lr", "steps_to_target", "mean_error",
    "reached", "diverged"}...], "records": {lr: [records]}}}``.
    """
    out = {}
    for name, overrides in variants.items():
        table, records = [], {}
        for lr in lrs:
            recs = run_seeds(base_config, {name: {**overrides, "lr": float(lr)}}, seeds, data=data,
                             cache=cache, train_fn=train_fn, on_run=on_run, diverged_ok=True)[name]
            records[float(lr)] = recs
            steps = [steps_to_target(r["steps"], target_error, window=window) for r in recs]
            curves = [error_curve(r["steps"], window=window)[1] for r in recs]
            mean_err = statistics.fmean(statistics.fmean(c) if c else 1.0 for c in curves)
            med = _median_inf(steps)
            table.append({"lr": float(lr), "steps_to_target": med if math.isfinite(med) else None,
                          "mean_error": mean_err, "reached": sum(s is not None for s in steps),
                          "diverged": sum(bool(r.get("diverged")) for r in recs)})
        best = min(table, key=lambda row: (row["steps_to_target"] if row["steps_to_target"] is not None
                                           else math.inf, row["mean_error"]))
        out[name] = {"best_lr": best["lr"], "table": table, "records": records}
    return out


# ----------------------------------------------------------------------------- gradients

def layer_grad_norms(model, images, labels, layers: Sequence[str] | None = None) -> dict[str, float]:
    """L2 norm of the cross-entropy loss's gradient with respect to each layer's weight, for one
    batch (``{layer name: norm}``, conv and fc layers in order). The model's ``.grad`` fields
    are restored afterwards; its train/eval mode is left as it is."""
    import torch
    from torch import nn

    from alexnet_repro.model import named_layers

    named = [(n, m) for n, m in named_layers(model).items()
             if isinstance(m, (nn.Conv2d, nn.Linear)) and (layers is None or n in layers)]
    weights = [m.weight for _, m in named]
    loss = nn.functional.cross_entropy(model(images), labels)
    grads = torch.autograd.grad(loss, weights)
    return {n: float(g.norm()) for (n, _), g in zip(named, grads)}


# ----------------------------------------------------------------------------- claims

def format_pm(mean: float | None, spread: float | None, n: int | None = None, *, digits: int = 2,
              unit: str = "") -> str:
    """``"3.10 ± 0.40× (5 seeds)"``; ``"3.10× (1 seed, spread unknown)"``; ``"n/a"``."""
    if mean is None:
        return "n/a"
    text = f"{mean:.{digits}f}"
    if spread is not None:
        text += f" ± {spread:.{digits}f}"
    text += unit
    if n is not None:
        text += f" ({n} seed{'s' if n != 1 else ''}{', spread unknown' if spread is None else ''})"
    return text


def format_ratio(sp: Mapping | None, *, digits: int = 2, unit: str = "×") -> str:
    """A :func:`speedup` result as text: geometric mean and multiplicative spread over seeds,
    ``"3.10× (×/÷ 1.25, 3 seeds)"``; censored pairs are named (``"≥"`` when every non-exact
    pair is a lower bound, ``"≤"`` for upper bounds; ``"2 of 3 seeds"`` when a pair has no ratio
    because both runs were censored), ``"n/a"`` when no pair has a ratio."""
    if sp is None or sp.get("geo_mean") is None:
        return "n/a (target not reached)"
    kinds = [k for k in sp["kinds"] if k != "exact"]
    prefix = "≥ " if kinds and set(kinds) == {"lower"} else "≤ " if kinds and set(kinds) == {"upper"} else ""
    text = f"{prefix}{sp['geo_mean']:.{digits}f}{unit}"
    n = sp["n"]
    known = sum(r is not None for r in sp["ratios"])
    parts = []
    if sp.get("log_std") is not None:
        parts.append(f"×/÷ {math.exp(sp['log_std']):.{digits}f}")
    seeds = f"{known} of {n} seeds" if known != n else f"{n} seed{'s' if n != 1 else ''}"
    parts.append(seeds + (", spread unknown" if sp.get("log_std") is None else ""))
    if kinds:
        parts.append(f"{len(kinds)} censored")
    return text + " (" + ", ".join(parts) + ")"


def claim(key: str, *, statement: str, source: str, paper: str, measured: str, verdict: str,
          setting: str = "", values: Mapping[str, Any] | None = None) -> dict:
    """One row of a chapter's claims table (and of its record).

    ``statement``/``source``/``paper``: the paper's claim, where it is and its number, as text
    (from :mod:`alexnet_repro.paper`). ``measured``: this run's number as text (e.g. from
    :func:`format_pm`). ``verdict``: from :func:`verdict`. ``setting``: what this run measured on.
    ``values``: the raw numbers (kept in the record for the results chapter).
    """
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    return {"key": key, "statement": statement, "source": source, "paper": paper,
            "measured": measured, "verdict": verdict, "setting": setting,
            "values": dict(values or {})}


_VERDICT_STYLE = {CONSISTENT: "#1a7f37", NOT_CONSISTENT: "#b3261e", INCONCLUSIVE: "#8a6100"}


def claims_table(rows: Sequence[Mapping], fmt: str = "html") -> str:
    """The claims table: the paper's statement (with source) and number, this run's measurement
    (and setting), the verdict. ``fmt``: ``"html"`` (for ``IPython.display.HTML``) or
    ``"markdown"``."""
    header = ("Paper's claim", "Paper", "This run", "Verdict")
    if fmt == "markdown":
        def cell(t):
            return str(t).replace("|", "\\|").replace("\n", " ")
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for r in rows:
            stmt = f"{r['statement']} ({r['source']})"
            meas = r["measured"] + (f" — {r['setting']}" if r.get("setting") else "")
            lines.append("| " + " | ".join(cell(x) for x in (stmt, r["paper"], meas, f"**{r['verdict']}**")) + " |")
        return "\n".join(lines) + "\n"
    if fmt != "html":
        raise ValueError(f"fmt must be 'html' or 'markdown', got {fmt!r}")
    e = html.escape
    out = ['<table class="claims-table">', "<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in header)
           + "</tr></thead>", "<tbody>"]
    for r in rows:
        color = _VERDICT_STYLE.get(r["verdict"], "inherit")
        setting = f'<br><small>{e(r["setting"])}</small>' if r.get("setting") else ""
        out.append(
            "<tr>"
            f'<td>{e(r["statement"])}<br><small>{e(r["source"])}</small></td>'
            f'<td>{e(str(r["paper"]))}</td>'
            f'<td>{e(str(r["measured"]))}{setting}</td>'
            f'<td><strong style="color:{color}">{e(r["verdict"])}</strong></td>'
            "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def chapter_record(chapter: str, profile: str, claims: Sequence[Mapping],
                   extra: Mapping[str, Any] | None = None) -> dict:
    """The record a chapter saves with :func:`alexnet_repro.records.save_record`:
    ``{"kind": "chapter", "chapter", "profile", "claims", ...extra, "provenance"}``.
    The profile is in the record so that a ``ci`` number cannot pass for a real one."""
    from alexnet_repro.records import provenance

    for c in claims:
        if c.get("verdict") not in VERDICTS:
            raise ValueError(f"claim {c.get('key')!r} has no valid verdict: {c.get('verdict')!r}")
    reserved = {"kind", "chapter", "profile", "claims", "provenance"}
    clash = sorted(reserved & set(extra or {}))
    if clash:
        raise ValueError(f"extra may not set {', '.join(clash)}")
    return {"kind": "chapter", "chapter": chapter, "profile": profile,
            "claims": [dict(c) for c in claims], **dict(extra or {}), "provenance": provenance()}


# ----------------------------------------------------------------------------- evaluating a trained model
# (appended by the dropout / LRN chapters' helper)

def evaluate_split(result, split: str = "train", *, model=None, batch_size: int = 256) -> dict:
    """Loss and errors of a :class:`~alexnet_repro.train.TrainResult`'s model on ``split``
    ("train" or "val") of its data, in evaluation mode: dropout at its test rule, no
    augmentation, centre crop, the training set's mean image subtracted, as the engine evaluates.

    The overfitting gap is ``val error - evaluate_split(result, "train") error``: the training
    error the engine logs is measured in training mode (dropout on) while the weights move, so it
    is not comparable with the validation error. ``model`` replaces ``result.model`` (e.g. a copy
    with another dropout convention). Returns :func:`alexnet_repro.train.evaluate`'s dict.
    """
    from alexnet_repro.train import evaluate

    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    data = result.data
    net = result.model if model is None else model
    device = next(net.parameters()).device
    return evaluate(net, getattr(data, split), mean=result.mean_image,
                    crop_size=result.record["dataset"]["crop_size"], batch_size=batch_size,
                    device=device, num_classes=len(data.classes))


def train_keeping(results: dict | None = None, *, train_fn: Callable | None = None,
                  eval_train_split: bool = True) -> Callable:
    """A ``train_fn`` for :func:`run_seeds` that keeps what the record alone does not.

    Each run's :class:`~alexnet_repro.train.TrainResult` is stored in ``results`` under
    :func:`config_key` of its config (look it up with
    ``results[config_key(TrainConfig.from_dict(record["config"]))]``); with
    ``eval_train_split`` the record also gets ``record["final"]["train_eval"]``:
    :func:`evaluate_split` on the training set (``loss``, ``top1_error``, ``top5_error``).
    """
    def run(config, data=None):
        nonlocal train_fn
        if train_fn is None:
            from alexnet_repro.train import train as train_fn
        result = train_fn(config, data) if data is not None else train_fn(config)
        if eval_train_split:
            ev = evaluate_split(result, "train")
            result.record["final"]["train_eval"] = {k: ev[k] for k in ("loss", "top1_error", "top5_error")}
        if results is not None:
            results[config_key(config)] = result
        return result
    return run


def variant_summary(runs: Mapping[str, Sequence[Mapping]],
                    metrics: Mapping[str, Callable[[Mapping], float | None]]) -> list[dict]:
    """Per variant of ``runs`` (``{variant: [record per seed]}``, as from :func:`run_seeds`) and
    per metric (``{label: function(record) -> number}``), :func:`summarize` of the seeds' values
    (``None`` values, e.g. a censored steps-to-target, are counted in ``missing``).
    Returns ``[{"variant", "metric", "values", "missing", **summarize(...)}...]``."""
    rows = []
    for variant, recs in runs.items():
        for label, fn in metrics.items():
            vals = [fn(r) for r in recs]
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
    cell = {(r["variant"], r["metric"]): r for r in rows}
    e = html.escape

    def fmt(r):
        if r["mean"] is None:
            return "n/a"
        std = None if r["std"] is None else r["std"] * scale
        text = format_pm(r["mean"] * scale, std, digits=digits)
        if r["missing"]:
            text += f" ({r['n']} of {r['n'] + r['missing']})"
        return text

    head = "<th>variant</th>" + "".join(f"<th>{e(m)}</th>" for m in metrics)
    body = "".join("<tr><td>" + e(v) + "</td>" + "".join(
        f"<td>{e(fmt(cell[(v, m)]))}</td>" if (v, m) in cell else "<td></td>" for m in metrics)
        + "</tr>" for v in variants)
    return f'<table class="summary-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def plot_runs(runs: Mapping[str, Sequence[Mapping]], *, window: int = 1, target: float | None = None,
              title: str | None = None):
    """Learning curves of ``{variant: [record per seed]}``: training top-1 error (training mode,
    every ``log_every`` steps, trailing mean over ``window`` points) against steps, and
    validation top-1 error against epochs; per variant the median over seeds as a line and the
    range (min to max) as a band. ``target``: a horizontal line on the training panel.
    Returns the matplotlib figure."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (ax_t, ax_v) = plt.subplots(1, 2, figsize=(11, 3.8))
    for i, (variant, recs) in enumerate(runs.items()):
        color = f"C{i}"
        curves = [error_curve(r["steps"], window=window) for r in recs if r.get("steps")]
        if curves:
            n = min(len(c[0]) for c in curves)
            steps = np.array(curves[0][0][:n])
            errs = np.array([c[1][:n] for c in curves])
            ax_t.plot(steps, np.median(errs, 0), color=color, label=variant)
            ax_t.fill_between(steps, errs.min(0), errs.max(0), color=color, alpha=0.2, lw=0)
        n = min(len(r["history"]) for r in recs)
        epochs = np.arange(1, n + 1)
        val = np.array([[h["val_top1_error"] for h in r["history"][:n]] for r in recs])
        ax_v.plot(epochs, np.median(val, 0), color=color, label=variant)
        ax_v.fill_between(epochs, val.min(0), val.max(0), color=color, alpha=0.2, lw=0)
    if target is not None:
        ax_t.axhline(target, color="k", lw=0.8, ls="--", label=f"target {target:g}")
    ax_t.set(xlabel="step", ylabel="training top-1 error (training mode)", ylim=(0, 1))
    ax_v.set(xlabel="epoch", ylabel="validation top-1 error", ylim=(0, 1))
    for ax in (ax_t, ax_v):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    nseeds = {len(r) for r in runs.values()}
    fig.suptitle((title + " — " if title else "") + f"median and range over {'/'.join(map(str, sorted(nseeds)))} seeds",
                 fontsize=10)
    fig.tight_layout()
    return fig


def model_inputs(result, split: str = "val", n: int | None = None, *, seed: int = 0):
    """``(images, labels)`` as a :class:`~alexnet_repro.train.TrainResult`'s model sees them in
    evaluation (training mean image subtracted, centre crop): ``n`` images of ``split`` drawn
    with ``seed`` (``None`` = all, in order)."""
    import numpy as np
    import torch

    from alexnet_repro.augment import center_crop, subtract_mean
    from alexnet_repro.data import collate

    ds = getattr(result.data, split)
    idx = np.arange(len(ds)) if n is None or n >= len(ds) else \
        np.sort(np.random.default_rng(seed).choice(len(ds), size=n, replace=False))
    if hasattr(ds, "get_batch"):
        images, labels = ds.get_batch(idx)
    else:
        images, labels, _ = collate([ds[int(i)] for i in idx])
    x = center_crop(subtract_mean(images, result.mean_image), result.record["dataset"]["crop_size"])
    device = next(result.model.parameters()).device
    return x.to(device), torch.as_tensor(labels).to(device)


def lrn_share(layer, x):
    """How much a local-response-normalization ``layer`` (``layers.LocalResponseNorm`` or
    ``torch.nn.LocalResponseNorm``) actually normalizes activations ``x`` (N, C, H, W): at every
    unit with ``x != 0``, the neighbours' term of the denominator relative to ``k``,
    ``(denominator - k) / k`` with ``denominator = (x / layer(x)) ** (1 / beta)``, i.e.
    ``alpha * sum(a_j^2) / k`` for the paper's formula (``alpha / n * sum`` for PyTorch's).
    Returns a 1-D float64 tensor (one value per non-zero unit). Near 0: the layer is the
    constant division by ``k ** beta``."""
    import copy

    import torch

    x = x.detach().double()
    with torch.no_grad():
        out = copy.deepcopy(layer).double()(x)
    nz = x != 0
    denominator = (x[nz] / out[nz]) ** (1.0 / layer.beta)
    return (denominator - layer.k) / layer.k
