"""Sweeps: train variants of a base config over seeds (:func:`run_seeds`) or learning rates
(:func:`lr_sweep`, :func:`tuned_runs`). What the runs say (curves, steps to a target, speed-ups,
final errors) is read by :mod:`alexnet_repro.analysis.run_metrics`.

Everything trains through the one engine, :func:`alexnet_repro.engine.loop.train`. A sweep returns
:class:`Run` objects that carry both the record and the trained model (with its data and mean
image), so a chapter can probe the networks it trained. Verdicts on the runs live in
:mod:`alexnet_repro.analysis.judging`; figures of them in :mod:`alexnet_repro.viz.plots`.
"""
from __future__ import annotations

import atexit
import concurrent.futures
import copy
import dataclasses
import json
import math
import multiprocessing
import signal
import statistics
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Mapping, Sequence

import torch

from alexnet_repro.analysis.probes import evaluate_split
from alexnet_repro.analysis.run_metrics import (
    error_curve,
    median_censored,
    steps_to_target,
)
from alexnet_repro.common.errors import TrainingDiverged
from alexnet_repro.engine.loop import train
from alexnet_repro.engine.schedule import prefix_of_longer

__all__ = ["Run", "config_with", "run_seeds", "lr_sweep", "first_pass_epochs", "tune_rates", "tuned_runs", "shutdown_pools"]


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
    and, when the sweep kept it, the engine's ``result`` (:class:`~alexnet_repro.engine.loop.TrainResult`:
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


def run_seeds(base_config, variants: Mapping[str, Mapping[str, Any]], seeds: Iterable[int], *,
              data=None, cache: dict | None = None, train_fn: Callable | None = None,
              on_run: Callable | None = None, diverged_ok: bool = False,
              keep_models: bool = True, eval_train_split: bool = False,
              workers: int = 1) -> dict[str, list[Run]]:
    """Train every variant with every seed; return ``{variant: [Run per seed]}``.

    ``variants`` maps a name to overrides of ``base_config`` (see :func:`config_with`); the
    seed is set by ``seeds``. Runs come back in the order of ``seeds``; each :class:`Run` has
    the ``record`` (with the variant name under ``"variant"``) and, with ``keep_models``, the
    engine's ``result`` (trained model, data, mean image). ``keep_models=False`` drops the
    models as soon as each run is done (large networks).

    ``data``: a ``DataBundle`` passed to every run (load it once); ``None`` lets the engine load
    the dataset itself. ``cache``: a dict shared between calls (e.g. with :func:`lr_sweep`); a
    run whose config (the fields that change the result) is already in it is not trained again.
    ``train_fn`` replaces :func:`alexnet_repro.engine.loop.train` (tests; it may return a bare
    record); ``on_run(name, seed, record)`` is called after each run (progress).
    ``eval_train_split``: also store :func:`alexnet_repro.analysis.probes.evaluate_split` on the training
    set in ``record["final"]["train_eval"]`` (``loss``, ``top1_error``, ``top5_error``).
    ``diverged_ok``: a run whose loss blows up (:class:`alexnet_repro.engine.loop.TrainingDiverged`)
    comes back as a record ``{"kind": "training", "diverged": True, "error": message, "config",
    "seed", "steps": []}`` (it never reaches any target) instead of raising: what a
    learning-rate sweep needs.

    ``workers > 1`` (opt-in): train up to that many runs at once, each in a process of its own
    with one thread (``torch.set_num_threads(1)``); the runs, their order and ``on_run`` calls
    are the same, and each record equals that of the same run trained here with one thread (a
    different thread count changes float rounding, not what is computed; ``hardware``
    records ``torch_threads``). ``train_fn`` must then be picklable (a module-level function).
    """
    train_fn = train if train_fn is None else train_fn
    seeds = list(seeds)
    if not seeds:
        raise ValueError("run_seeds needs at least one seed")
    jobs = [(name, seed, config_with(base_config, overrides, seed=int(seed)))
            for name, overrides in variants.items() for seed in seeds]
    cached = set() if cache is None else set(cache)
    trained = (_train_in_pool([cfg for _, _, cfg in jobs if _config_key(cfg) not in cached], data, train_fn,
                              diverged_ok, eval_train_split, keep_models, workers) if workers > 1 else {})
    out: dict[str, list[Run]] = {name: [] for name in variants}
    for name, seed, cfg in jobs:
        key = _config_key(cfg)
        if cache is not None and key in cache:
            run = cache[key]
        else:
            run = trained[key] if key in trained else _train_one(cfg, data, train_fn, diverged_ok,
                                                                 eval_train_split)
            if not keep_models:
                run = Run(run.record)
            if cache is not None:
                cache[key] = run
        run = Run({**run.record, "variant": name}, run.result)
        out[name].append(run)
        if on_run is not None:
            on_run(name, seed, run.record)
    return out


def _train_in_pool(configs, data, train_fn, diverged_ok, eval_train_split, keep_models,
                   workers: int) -> dict[str, Run]:
    """``{config key: Run}`` of ``configs`` trained by ``workers`` one-thread processes."""
    unique = list({_config_key(c): c for c in configs}.values())
    if not unique:
        return {}
    args = [(cfg, data, train_fn, diverged_ok, eval_train_split, keep_models) for cfg in unique]
    try:
        runs = list(_pool(workers).map(_train_in_worker, args))
    except BrokenProcessPool:
        _POOLS.pop(workers, None)
        raise
    if data is not None:   # the workers send no copy of the data back: re-attach the caller's
        runs = [Run(r.record, dataclasses.replace(r.result, data=data)) if r.result is not None else r
                for r in runs]
    return {_config_key(c): r for c, r in zip(unique, runs)}


_POOLS: dict[int, concurrent.futures.ProcessPoolExecutor] = {}


def _pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """One pool of ``workers`` one-thread processes per Python session, kept between calls (a
    chapter calls :func:`run_seeds` several times; starting processes that import torch costs
    seconds each time). Shut down when the interpreter exits."""
    if workers not in _POOLS:
        ctx = multiprocessing.get_context("spawn")   # no fork of a threaded parent (OpenMP, notebooks)
        _POOLS[workers] = concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_one_thread,
                                                                 initargs=(ctx.Value("i", 0),))
        if len(_POOLS) == 1:
            atexit.register(shutdown_pools)
    return _POOLS[workers]


def shutdown_pools() -> None:
    """Stop the worker processes of :func:`run_seeds` (the book's runner calls it at the end of
    every chapter: a notebook kernel is stopped without running ``atexit``)."""
    for pool in _POOLS.values():
        pool.shutdown(cancel_futures=True)
    _POOLS.clear()


_QUIET = False   # in a pool worker: train without a progress bar (only the first worker shows one)


def _one_thread(started=None) -> None:
    global _QUIET
    torch.set_num_threads(1)
    if started is not None:   # the first worker to start keeps its progress bar: one bar, not interleaved ones
        with started.get_lock():
            started.value += 1
            _QUIET = started.value > 1
    # Ctrl-C (or a notebook kernel's interrupt at shutdown) reaches the whole process group: the
    # parent handles it; a worker would only print a KeyboardInterrupt traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _train_in_worker(args) -> Run:
    cfg, data, train_fn, diverged_ok, eval_train_split, keep_models = args
    if _QUIET and getattr(cfg, "progress", False):
        cfg = dataclasses.replace(cfg, progress=False)
    run = _train_one(cfg, data, train_fn, diverged_ok, eval_train_split)
    if not keep_models or run.result is None:
        return Run(run.record)
    return Run(run.record, dataclasses.replace(run.result, data=None) if data is not None else run.result)


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
             on_run: Callable | None = None, keep_models: bool = True, workers: int = 1,
             first_epochs: int | None = None, pick: str = "steps") -> dict:
    """For each variant, train with every learning rate in ``lrs`` and pick the fastest.

    The paper (Figure 1): "The learning rates for each network were chosen independently to
    make training as fast as possible." Fastest = fewest steps to reach ``target_error``
    (median over ``seeds``, censored runs counted as +inf); ties, and variants for which no lr
    reaches the target, are decided by the lower mean training error over the logged steps (the
    area under the error curve). Use sweep seeds different from the evaluation seeds so the
    choice is not tuned on the runs that are then reported.

    A run that diverges counts as never reaching the target, with mean error 1.

    ``pick="final_error"`` picks instead the rate with the lowest median final validation top-1
    error over ``seeds`` (a diverged run counts as 1; ``target_error`` may then be None), for a
    claim about the error a network ends at rather than the steps it takes.

    ``first_epochs``: every run first trains at most that many epochs; a variant none of whose
    rates reaches the target within them, or whose fastest median ties another rate's, is swept
    again to ``base_config.epochs``. The pick is the one full-length runs give: a rate whose
    median is not reached within ``first_epochs`` cannot beat one whose median is, and a median
    that is reached is the same; what it saves is the rates that never reach the target. Applied
    only where that holds: an odd number of ``seeds`` (a median is one run's steps), runs that
    stop at the target (``stop_at_error``, ``stop_window`` equal to ``target_error``, ``window``;
    a run that went on could diverge after reaching it) and a schedule that does not read the
    run's length (then a short run is not the start of a long one); never where ``first_epochs``
    is not below the epochs.

    Returns ``{variant: {"best_lr", "table": [{"lr", "steps_to_target", "mean_error",
    "reached", "diverged", "final_error"}...], "records": {lr: [records]}, "horizon_epochs",
    "pick"}}`` (the epochs the
    variant's sweep runs had; None when the config has none), plus ``"first_pass"`` (``{lr:
    [records]}`` of the shorter runs) for a variant swept again. ``keep_models``: as in
    :func:`run_seeds` (the models stay in ``cache``, e.g. for reuse by a later :func:`run_seeds`);
    ``workers``: as in :func:`run_seeds` (every variant and rate is trained in one call).
    """
    if pick not in _PICKS:
        raise ValueError(f"pick must be one of {', '.join(_PICKS)}; got {pick!r}")
    if pick != "steps" and first_epochs is not None:
        raise ValueError("first_epochs applies to pick='steps' only: a final error needs the whole run")

    def sweep(config, names):
        return _sweep(config, lrs, {name: variants[name] for name in names}, target_error=target_error,
                      seeds=seeds, window=window, data=data, cache=cache, train_fn=train_fn,
                      on_run=on_run, keep_models=keep_models, workers=workers, pick=pick)

    short = first_pass_epochs(base_config, first_epochs, seeds=seeds, target_error=target_error, window=window)
    out = sweep(base_config if short is None else config_with(base_config, epochs=short), list(variants))
    if short is not None:
        again = [name for name in variants if _unsettled(out[name]["table"])]
        if again:
            full = sweep(base_config, again)
            out.update({name: {**full[name], "first_pass": out[name]["records"]} for name in again})
    return out


def _unsettled(table: Sequence[Mapping]) -> bool:
    """Whether a first pass leaves the pick open: no rate reached the target, or two tie."""
    reached = [row["steps_to_target"] for row in table if row["steps_to_target"] is not None]
    return not reached or reached.count(min(reached)) > 1


def first_pass_epochs(base_config, first_epochs: int | None, *, seeds: Sequence[int],
                      target_error: float | None, window: int = 1) -> int | None:
    """The epochs of :func:`lr_sweep`'s first pass for ``base_config`` and ``first_epochs`` over
    ``seeds`` at ``target_error`` (trailing ``window``), or None when there is none: every
    condition under which :func:`lr_sweep` applies it, in one place."""
    if first_epochs is None:
        return None
    if int(first_epochs) < 1:
        raise ValueError(f"first_epochs must be at least 1 (or None: no first pass); got {first_epochs!r}")
    if int(first_epochs) >= base_config.epochs or not prefix_of_longer(base_config.schedule):
        return None
    if (len(seeds) % 2 == 0 or getattr(base_config, "stop_at_error", None) != target_error
            or getattr(base_config, "stop_window", 1) != window):
        return None
    return int(first_epochs)


def _sweep(config, lrs, variants, *, target_error, seeds, window, data, cache, train_fn, on_run,
           keep_models, workers, pick="steps") -> dict:
    """:func:`lr_sweep` at one length: every variant at every rate, then each variant's table."""
    grid = {(name, float(lr)): f"{name}@{float(lr)!r}" for name in variants for lr in lrs}
    trained = run_seeds(config, {label: {**variants[name], "lr": lr} for (name, lr), label in grid.items()},
                        seeds, data=data, cache=cache, train_fn=train_fn, on_run=on_run, diverged_ok=True,
                        keep_models=keep_models, workers=workers)
    out = {}
    for name in variants:
        table, records = [], {}
        for lr in lrs:
            recs = [r.record for r in trained[grid[(name, float(lr))]]]
            records[float(lr)] = recs
            steps = [None if target_error is None else steps_to_target(r["steps"], target_error, window=window)
                     for r in recs]
            curves = [error_curve(r["steps"], window=window)[1] for r in recs]
            mean_err = statistics.fmean(statistics.fmean(c) if c else 1.0 for c in curves)
            med = median_censored(steps)
            table.append({"lr": float(lr), "steps_to_target": med if math.isfinite(med) else None,
                          "mean_error": mean_err, "reached": sum(s is not None for s in steps),
                          "diverged": sum(bool(r.get("diverged")) for r in recs),
                          "final_error": statistics.median(_final_error(r) for r in recs)})
        out[name] = {"best_lr": _best(table, pick)["lr"], "table": table, "records": records,
                     "horizon_epochs": getattr(config, "epochs", None), "pick": pick}
    return out


#: How :func:`lr_sweep` can pick a rate.
_PICKS = ("steps", "final_error")


def _final_error(record: Mapping) -> float:
    """A run's final validation top-1 error (1 for a diverged run or one without it)."""
    value = (record.get("final") or {}).get("val_top1_error")
    return 1.0 if record.get("diverged") or value is None else float(value)


def _best(table: Sequence[Mapping], pick: str) -> Mapping:
    """The row of an :func:`lr_sweep` table its ``pick`` rule chooses."""
    if pick == "final_error":
        return min(table, key=lambda row: (row["final_error"], row["lr"]))
    return _fastest(table)


def _fastest(table: Sequence[Mapping]) -> Mapping:
    """The row of an :func:`lr_sweep` table with the fewest median steps to the target (ties and
    never-reached rows: the lower mean training error)."""
    return min(table, key=lambda row: (row["steps_to_target"] if row["steps_to_target"] is not None
                                       else math.inf, row["mean_error"]))


#: How many rates :func:`extend_at_edges` may add beyond each arm's grid.
MAX_EXTENSIONS = 2


def extend_at_edges(sweep: dict, base_config, variants: Mapping[str, Mapping[str, Any]], *,
                    target_error: float, seeds: Sequence[int], window: int = 1, data=None,
                    cache: dict | None = None, train_fn: Callable | None = None,
                    workers: int = 1, max_extensions: int = MAX_EXTENSIONS) -> dict:
    """The rule for a pick at the edge of the grid, the same for every arm, applied before the
    reported runs: while an arm's fastest rate is the lowest (highest) of the rates it tried,
    try the next rate beyond it at the grid's own ratio there (``lr**2 / neighbour``, three
    significant digits) on the same sweep ``seeds``, at most ``max_extensions`` times, and pick
    again. ``sweep[v]`` (from :func:`lr_sweep`) gains the new rows, ``"extended"`` (the rates
    added) and ``"edge"``: ``"low"``/``"high"`` when the pick still sits at an edge, else None.
    Returns ``sweep``, updated in place."""
    for name in variants:
        entry = sweep[name]
        entry["extended"] = []
        for _ in range(max_extensions + 1):
            rates = sorted(row["lr"] for row in entry["table"])
            best = entry["best_lr"]
            side = "low" if best == rates[0] else "high" if best == rates[-1] else None
            entry["edge"] = side if len(rates) > 1 else None
            if entry["edge"] is None or len(entry["extended"]) == max_extensions:
                break
            near, next_ = (rates[0], rates[1]) if side == "low" else (rates[-1], rates[-2])
            new = float(f"{near * near / next_:.3g}")
            more = _sweep(_at_epochs(base_config, entry.get("horizon_epochs")), [new],
                          {name: variants[name]}, target_error=target_error, seeds=seeds, window=window,
                          data=data, cache=cache, train_fn=train_fn, on_run=None, keep_models=True,
                          workers=workers, pick=entry.get("pick", "steps"))[name]
            entry["table"] = sorted(entry["table"] + more["table"], key=lambda row: row["lr"])
            entry["records"].update(more["records"])
            entry["extended"].append(new)
            entry["best_lr"] = _best(entry["table"], entry.get("pick", "steps"))["lr"]
    return sweep


def _at_epochs(config, epochs):
    """``config`` with ``epochs`` (unchanged when None or already so)."""
    if epochs is None or getattr(config, "epochs", None) == epochs:
        return config
    return config_with(config, epochs=epochs)


def tune_rates(base_config, variants: Mapping[str, Mapping[str, Any]], lrs: Sequence[float], *,
               sweep_seeds: Sequence[int], target_error: float | None = None, window: int = 1,
               pick: str = "steps", first_epochs: int | None = None, data=None, cache: dict | None = None,
               train_fn: Callable | None = None, workers: int = 1) -> dict:
    """Each variant's own rate: :func:`lr_sweep` over ``lrs`` on ``sweep_seeds`` (by ``pick``),
    then :func:`extend_at_edges` where a pick sits at the edge of the grid. Returns the sweep's
    dict (``sweep[v]["best_lr"]``)."""
    cache = {} if cache is None else cache
    sweep = lr_sweep(base_config, lrs, variants, target_error=target_error, seeds=sweep_seeds,
                     window=window, data=data, cache=cache, train_fn=train_fn, workers=workers,
                     first_epochs=first_epochs, pick=pick)
    return extend_at_edges(sweep, base_config, variants, target_error=target_error, seeds=sweep_seeds,
                           window=window, data=data, cache=cache, train_fn=train_fn, workers=workers)


def tuned_runs(base_config, variants: Mapping[str, Mapping[str, Any]], lrs: Sequence[float],
               seeds: Sequence[int], *, sweep_seeds: Sequence[int], target_error: float,
               window: int = 1, data=None, cache: dict | None = None,
               train_fn: Callable | None = None, workers: int = 1,
               first_epochs: int | None = None) -> tuple[dict, dict[str, list[Run]]]:
    """Figure 1's protocol, "learning rates for each network chosen independently to make
    training as fast as possible": :func:`tune_rates` (each variant's fastest rate, median over
    ``sweep_seeds``; ``first_epochs`` as in :func:`lr_sweep`), then :func:`run_seeds` of each
    variant at its rate with ``seeds`` (use seeds apart from the sweep's); ``workers`` as in
    :func:`run_seeds`. Returns ``(sweep, runs)``: the sweep's dict (``sweep[v]["best_lr"]``) and
    ``{variant: [Run per seed]}``. The two share ``cache``."""
    cache = {} if cache is None else cache
    sweep = tune_rates(base_config, variants, lrs, sweep_seeds=sweep_seeds, target_error=target_error,
                       window=window, first_epochs=first_epochs, data=data, cache=cache, train_fn=train_fn,
                       workers=workers)
    chosen = {v: {**variants[v], "lr": sweep[v]["best_lr"]} for v in variants}
    return sweep, run_seeds(base_config, chosen, seeds, data=data, cache=cache, train_fn=train_fn,
                            workers=workers)
