"""What a chapter calls besides the science: the profile banner, gluing many values at once,
its training config from the ``train`` parameter, the list of the book's chapters, and a single
run trained in the build's own folder (:func:`train_in_build`), or one per seed
(:func:`train_seeds_in_build`).

A chapter that trains keeps its settings in one parameters-cell dict, ``train`` (TrainConfig
field names; model knobs under ``model_kwargs``), and builds its base config in one call::

    base = train_config(train, profile=profile)
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import html
import os
from pathlib import Path
from typing import Any, Mapping

import torch
from IPython.display import HTML, display
from myst_nb import glue

from alexnet_repro.analysis.sweeps import run_seeds
from alexnet_repro.bookrun.profiles import page_titles
from alexnet_repro.common.errors import ConfigError
from alexnet_repro.common.records import save_record
from alexnet_repro.engine.checkpoint import CHECKPOINT
from alexnet_repro.engine.config import THREADS_ENV, TrainConfig
from alexnet_repro.engine.devices import select_device
from alexnet_repro.engine.loop import RECORD, train


def profile_note(profile: str) -> None:
    """Display, at the top of a chapter, which profile built it (a warning under ``ci``)."""
    if profile == "ci":
        display(HTML(
            '<div class="admonition warning"><p class="admonition-title">Built under the '
            "<code>ci</code> profile</p><p>This page was executed with the tiny test profile: "
            "every number on it is a smoke-test value from a few hundred images and a few "
            "steps, not a result. Build with the <code>default</code> profile (CPU, minutes) "
            "or <code>full</code> (GPU, paper scale) for real numbers.</p></div>"
        ))
    elif profile != "full":
        display(HTML(
            f'<div class="admonition note"><p class="admonition-title">Profile '
            f"<code>{profile}</code></p><p>Executed with the <code>{profile}</code> profile: "
            "small-scale runs on a CPU. The <code>full</code> profile runs the paper's scale "
            "on a GPU.</p></div>"
        ))


def glue_all(values: Mapping[str, Any], prefix: str = "") -> None:
    """``glue(prefix + name, value, display=False)`` for every item: one call for many numbers
    that the chapter's prose quotes with ``{glue:text}`prefix_name```."""
    for name, value in values.items():
        if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
            value = value.item()   # numpy/torch scalars: myst-nb formats only plain numbers
        glue(f"{prefix}{name}", value, display=False)


def kernel_threads() -> int:
    """Set this kernel's torch thread count from ``ALEXNET_THREADS`` (``python -m alexnet_repro
    book --threads N``; default 1, at most the number of cores) and return it. A chapter calls it
    once, in its set-up, before it trains.

    One thread per process and one process per core is the fast path on a CPU: the book's
    networks are small, so per-operation overhead, not arithmetic, sets their speed, and two
    processes overlap it where two threads of one process cannot. A run's numbers depend on its
    thread count only through float rounding (the records say which: ``hardware.torch_threads``)."""
    text = os.environ.get(THREADS_ENV, "1")
    try:
        threads = int(text)
        if threads < 1:
            raise ValueError
    except ValueError:
        raise ConfigError(f"{THREADS_ENV}={text!r}: give a whole number of threads >= 1 "
                          "(e.g. --threads 1)") from None
    threads = min(threads, os.cpu_count() or 1)
    torch.set_num_threads(threads)
    return threads


def seed_workers(config: TrainConfig, threads: int) -> int:
    """How many runs of ``config`` a chapter trains at once (``sweeps.run_seeds(...,
    workers=...)``) when each uses ``threads`` threads: ``cores // threads`` on a CPU, one on a
    GPU (``config.device`` resolving to CUDA)."""
    if select_device(config.device).type != "cpu":
        return 1
    return max(1, (os.cpu_count() or 1) // threads)


def train_config(train: Mapping[str, Any], **changes) -> TrainConfig:
    """The chapter's base :class:`TrainConfig` from its ``train`` parameter (a dict of
    TrainConfig fields), with ``changes`` (e.g. ``profile=profile``) on top. The dict is copied,
    so the chapter's ``train`` stays as the runner gave it."""
    settings = copy.deepcopy(dict(train))
    if "model_kwargs" in changes and "model_kwargs" in settings:
        changes["model_kwargs"] = {**settings["model_kwargs"], **changes["model_kwargs"]}
    return TrainConfig(**{**settings, **changes})


def chapter_list(covers: Mapping[str, str]) -> str:
    """HTML list of the book's pages in ``_toc.yml`` order (the root page aside): each page's
    title (the first ``# `` heading of ``book/<name>.md``, else its name) linked to its HTML
    page, followed by ``covers[name]`` (what it takes from the paper)."""
    items = []
    for name, title in list(page_titles().items())[1:]:
        items.append(f'<li><a href="{html.escape(name)}.html">{html.escape(title)}</a> &mdash; '
                     f'{html.escape(covers.get(name, ""))}</li>')
    return "<ol>" + "".join(items) + "</ol>"


def train_in_build(config: TrainConfig, results_dir, name: str, *, chapter: str, publish_dir=None,
                   subdir: str = ""):
    """Train ``config`` for a chapter (one run, :func:`alexnet_repro.engine.loop.train`) and save its
    record as ``results_dir/name.json``, and in ``publish_dir`` too when given; returns the
    engine's ``TrainResult``.

    ``config.out_dir`` ``None`` means the build's own folder, ``<build>/runs/<profile>/<chapter>``
    (``/<subdir>`` when given) beside ``<build>/results/<profile>``: unless ``config.resume``,
    what an earlier build left there (checkpoint, record) is removed first, so the run starts
    afresh. A folder the reader chose is never emptied (the engine refuses to overwrite its checkpoint).
    """
    if config.out_dir is None:
        run_dir = Path(results_dir).parent.parent / "runs" / str(config.profile) / chapter / subdir
        config = dataclasses.replace(config, out_dir=str(run_dir))
        if not config.resume:
            for leftover in (run_dir / CHECKPOINT, run_dir / f"{RECORD}.json"):
                leftover.unlink(missing_ok=True)
    result = train(config)
    save_record(result.record, results_dir, name)
    if publish_dir:
        save_record(result.record, publish_dir, name)
    print(f"trained in {result.record['wall_time_s']:.0f} s; record {name} written to {results_dir}"
          + (f" and {publish_dir}" if publish_dir else ""))
    return result


def train_seeds_in_build(config: TrainConfig, seeds, results_dir, name: str, *, chapter: str,
                         publish_dir=None, workers: int = 1):
    """:func:`train_in_build` once per seed of ``seeds`` (``config`` with ``seed`` replaced);
    returns ``(records, first)``: every run's record, in the order of ``seeds``, and the first
    seed's whole ``TrainResult`` (model, data; the other runs' are let go to save memory).

    One seed: exactly :func:`train_in_build` (record ``name``, ``config.out_dir`` as given).
    Several: run ``k`` writes record ``name_seed<k>`` and lives in ``seed<k>/`` of the build's
    run folder, or of ``config.out_dir`` when the reader gave one, so that every run keeps its
    own checkpoint (and ``resume`` continues each of them). ``workers > 1`` (e.g.
    :func:`seed_workers`) trains that many seeds side by side, each in a one-thread process of
    the pool of :func:`alexnet_repro.analysis.sweeps.run_seeds`; the folders and records are the same."""
    seeds = list(seeds)
    if not seeds or len(set(seeds)) != len(seeds) or not all(isinstance(s, int) for s in seeds):
        raise ConfigError(f"seeds must be a list of distinct integers, e.g. [0, 1, 2]; got {seeds!r}")
    if len(seeds) == 1:
        first = train_in_build(dataclasses.replace(config, seed=seeds[0]), results_dir, name,
                               chapter=chapter, publish_dir=publish_dir)
        return [first.record], first
    one_seed = functools.partial(_seed_in_build, results_dir=str(results_dir), name=name, chapter=chapter,
                                 publish_dir=publish_dir, base_out=config.out_dir, keep_seed=seeds[0])
    runs = run_seeds(config, {name: {}}, seeds, train_fn=one_seed, workers=workers)[name]
    records = [{k: v for k, v in run.record.items() if k != "variant"} for run in runs]
    return records, runs[0].result


def _seed_in_build(config: TrainConfig, *, results_dir, name, chapter, publish_dir, base_out, keep_seed):
    """One seed of :func:`train_seeds_in_build` (module level: the pool's processes pickle it):
    the whole ``TrainResult`` for ``keep_seed``, the record alone for the others."""
    seed = config.seed
    out_dir = None if base_out is None else str(Path(base_out) / f"seed{seed}")
    result = train_in_build(dataclasses.replace(config, out_dir=out_dir), results_dir, f"{name}_seed{seed}",
                            chapter=chapter, publish_dir=publish_dir, subdir=f"seed{seed}")
    return result if seed == keep_seed else result.record
