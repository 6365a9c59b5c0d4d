"""The training engine against a plain loop, on the networks the default book trains (issue 12).

For each network and batch size of the ``default`` profile, in one run and interleaved
(plain, engine, fast; repeated ``--repeats`` times, the median kept), images/s of:

(a) **plain**: the loop a tutorial writes: the same model, ``torch.optim.SGD`` with momentum
    and weight decay, batches sliced from an in-memory float tensor at the network's input
    size, no augmentation, ``torch.set_num_threads(<cores>)`` (the goals' reference); the same
    loop on one thread is measured too and printed alongside: on a shared, loaded machine
    several OpenMP threads can be much slower than one, which flatters every ratio to (a).
    It runs in a process of its own that never runs the engine, so that nothing the engine
    sets for its process (the allocator's settings, ``distributed.keep_freed_memory``) helps it;
(b) **engine**: ``train.train(TrainConfig(...))`` exactly as the chapter calls it (its
    augmentation, logging, validation), counting the record's training time only
    (``images_per_s``: training images / training seconds, as the chapter reports it);
(c) **fast**: the engine's fastest path for that experiment: the chapter trains several seeds
    (and variants), so ``sweeps.run_seeds(..., workers=<cores>)`` trains that many seeds at
    once in single-thread worker processes; figure = all seeds' training images / the longest
    training time of the concurrent runs (the engine's clock, as in (b)); the JSON also has the
    figure over the sweep's wall time (process start-up, statistics, validation included).

Each figure trains ``IMAGES[network]`` images (a quarter with ``--quick``): one to three seconds
per measurement on a 2-core machine, long enough that the first steps (oneDNN choosing its
kernels for a new shape) do not set the figure; a chapter's run trains 20 epochs.

Data: generated uint8 images of the chapter's channels and stored size (the speed of these
networks does not depend on the pixel values), so no dataset is needed. Last lines, one per
network: ``<network>: engine/plain <b/a>, fast/plain <c/a>``, then in brackets the same on one
thread and fast/plain taken apart: (c) / (b on one thread), how well the seeds run side by side,
times (b)/(a) on one thread, the engine's speed per core, over (a) / (a on one thread), how well
the plain loop uses its threads. When the plain loop scales well over the cores, only a faster
engine per core can raise fast/plain. The last figure bounds the one lever left untried for that,
training several seeds in one step (``torch.func`` ``vmap`` over stacked weights, or grouped
convolutions): such a step does the arithmetic of one network on a batch ``ENSEMBLE`` times
larger, and no batched or grouped kernel does it faster than a dense one, so the plain loop's
gain per image from that larger batch (one thread, channels-last) is the most it could add.
Exit status 1 when engine/plain < 0.95 on any network. fast/plain >= 2.0 was a goal until the
floor-plan issue retired it on 2 cores: there, even the ensembling ceiling printed above cannot
lift every network to it, so fast/plain is printed as information (INFO).

    python benchmarks/bench_engine.py [--quick] [--repeats N] [--json OUT.json] [--only NAME]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from alexnet_repro.analysis import sweeps  # noqa: E402  (after the path above: runs from a checkout)
from alexnet_repro.data.batches import DataBundle, TensorImages  # noqa: E402
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.engine.loop import train  # noqa: E402
from alexnet_repro.nn.model import build_model  # noqa: E402

ENGINE_GOAL = 0.95
RETIRED_FAST_GOAL = 2.0   # printed for information only (retired on 2 cores: see the docstring)
ENSEMBLE = 8   # seeds per step in the ensembling ceiling (the chapters train 5 to 20 seeds)

# The networks of the default profile (book/profiles.yml and the chapters' parameters cells):
# (chapter, model, model_kwargs, channels, stored size, crop size, batch size, engine settings).
NETWORKS = {
    "relu_vs_tanh": dict(model="small_cnn", model_kwargs={"width": 0.5, "init": "kaiming", "activation": "relu"},
                         channels=1, image_size=28, crop_size=28, batch_size=32,
                         engine=dict(augment="none", weight_decay=0.0, schedule="fixed", log_every=4,
                                     ten_crop_eval=False)),
    "dropout": dict(model="alexnet", model_kwargs={"width": 0.25, "init": "kaiming", "dropout": 0.5},
                    channels=1, image_size=67, crop_size=67, batch_size=32,
                    engine=dict(augment="none", schedule="fixed", log_every=4, ten_crop_eval=False)),
    "lrn_pooling": dict(model="alexnet", model_kwargs={"width": 0.125, "init": "kaiming", "dropout": 0.5,
                                                       "lrn": True, "overlap_pool": True},
                        channels=1, image_size=67, crop_size=67, batch_size=32,
                        engine=dict(augment="none", schedule="fixed", log_every=4, ten_crop_eval=False)),
    "augmentation": dict(model="small_cnn", model_kwargs={"init": "kaiming"},
                         channels=1, image_size=36, crop_size=32, batch_size=32,
                         engine=dict(augment="paper", lr=0.05, schedule="step:20", ten_crop_eval=True)),
    "full_training": dict(model="alexnet", model_kwargs={"width": 0.25, "towers": 2, "init": "kaiming"},
                          channels=1, image_size=76, crop_size=67, batch_size=128,
                          engine=dict(augment="paper", schedule="plateau", log_every=10, ten_crop_eval=True)),
}


# images per measurement (multiples of the batch sizes)
IMAGES = {"relu_vs_tanh": 8192, "dropout": 4096, "lrn_pooling": 8192, "augmentation": 4096, "full_training": 6144}


def bundle(net: dict, n: int, val: int = 64) -> DataBundle:
    g = torch.Generator().manual_seed(0)
    size, c = net["image_size"], net["channels"]
    images = torch.randint(0, 256, (n + val, c, size, size), dtype=torch.uint8, generator=g)
    labels = torch.arange(n + val) % 10
    return DataBundle("generated", TensorImages(images[:n], labels[:n]), TensorImages(images[n:], labels[n:]),
                      [str(k) for k in range(10)], c, size, "generated")


def plain(name: str, steps: int, threads: int | None = None, seeds: int = 1,
          channels_last: bool = False) -> float:
    """(a) images/s of a tutorial loop (after 3 warm-up steps), on ``threads`` (all cores).
    ``seeds`` > 1 trains one network on batches that many times larger (``steps`` / ``seeds``
    steps, the same images): the most that training that many seeds in one step (``vmap``
    ensembling, grouped convolutions) could gain per core, since such a step does the same
    arithmetic as this one and no grouped or batched kernel does it faster than one dense
    kernel on the whole batch. ``channels_last``: the engine's layout instead of NCHW."""
    net = NETWORKS[name]
    torch.set_num_threads(threads or os.cpu_count() or 1)
    torch.manual_seed(0)
    b, crop = net["batch_size"] * seeds, net["crop_size"]
    steps = max(steps // seeds, 4)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = build_model(net["model"], in_channels=net["channels"], num_classes=10, input_size=crop,
                        **net["model_kwargs"]).to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(b * 8, net["channels"], crop, crop).contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (b * 8,))
    model.train()
    t0 = 0.0
    for i in range(steps + 3):
        if i == 3:
            t0 = time.perf_counter()
        k = (i % 8) * b
        loss = F.cross_entropy(model(x[k:k + b]), y[k:k + b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return steps * b / (time.perf_counter() - t0)


def config(net: dict, n: int, epochs: int, seed: int = 0) -> TrainConfig:
    return TrainConfig(dataset="synthetic", limit=n, model=net["model"], model_kwargs=net["model_kwargs"],
                       image_size=net["image_size"], crop_size=net["crop_size"], batch_size=net["batch_size"],
                       epochs=epochs, seed=seed, progress=False, device="cpu", **net["engine"])


def engine(net: dict, data: DataBundle, epochs: int, threads: int | None = None) -> float:
    """(b) the engine's own figure: training images / training seconds, on ``threads`` (all cores)."""
    torch.set_num_threads(threads or os.cpu_count() or 1)
    return train(config(net, len(data.train), epochs), data=data).record["images_per_s"]


def fast(net: dict, data: DataBundle, epochs: int, workers: int) -> tuple[float, float]:
    """(c) ``workers`` seeds at once in single-thread processes (``run_seeds(workers=...)``):
    all seeds' training images / the longest training time of the concurrent runs (the
    engine's own clock, as in (b)); and the same images / wall time of the whole sweep."""
    t0 = time.perf_counter()
    runs = sweeps.run_seeds(config(net, len(data.train), epochs), {"v": {}}, range(workers), data=data,
                            keep_models=False, workers=workers)["v"]
    wall = time.perf_counter() - t0
    images = len(data.train) * epochs * len(runs)
    return images / max(r.record["train_time_s"] for r in runs), images / wall


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer images and one repeat (about a minute or two)")
    p.add_argument("--repeats", type=int, default=None, help="interleaved repeats (median kept); default 3, quick 1")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="seeds at once in (c)")
    p.add_argument("--only", action="append", choices=tuple(NETWORKS), help="only this network (repeatable)")
    p.add_argument("--json", help="write every figure here")
    args = p.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    # (a) in a process of its own (see the module's text), started once
    reference = concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    names = args.only or list(NETWORKS)
    figures = ("plain", "plain_1_thread", "engine", "engine_1_thread", "fast", "fast_wall", "ensemble_ceiling")
    res: dict = {name: {k: [] for k in figures} for name in names}
    for rep in range(repeats):
        for name in names:
            net = NETWORKS[name]
            imgs = IMAGES[name] // (4 if args.quick else 1)
            steps = imgs // net["batch_size"]
            data = bundle(net, imgs)
            a = reference.submit(plain, name, steps).result()
            a1 = reference.submit(plain, name, steps, 1).result()
            # the ceiling of ensembling ENSEMBLE seeds per step, in the engine's layout, one thread
            one = reference.submit(plain, name, steps, 1, 1, True).result()
            many = reference.submit(plain, name, steps, 1, ENSEMBLE, True).result()
            b = engine(net, data, 1)
            b1 = engine(net, data, 1, threads=1)
            c, c_wall = fast(net, data, 1, args.workers)
            for k, v in (("plain", a), ("plain_1_thread", a1), ("engine", b), ("engine_1_thread", b1),
                         ("fast", c), ("fast_wall", c_wall), ("ensemble_ceiling", many / one)):
                res[name][k].append(v)
            print(f"[{rep + 1}/{repeats}] {name}: plain {a:.0f} (1 thread: {a1:.0f}), engine {b:.0f} "
                  f"(1 thread: {b1:.0f}), fast {c:.0f} "
                  f"(wall, start-up included: {c_wall:.0f}) images/s; {ENSEMBLE}x batch on 1 thread: "
                  f"x{many / one:.2f} per image", flush=True)
    out = {"cores": os.cpu_count(), "torch": torch.__version__, "workers": args.workers, "repeats": repeats,
           "loadavg": os.getloadavg(), "networks": {}}
    failed = False
    lines = []
    for name in names:
        med = {k: statistics.median(v) for k, v in res[name].items()}
        e, f = med["engine"] / med["plain"], med["fast"] / med["plain"]
        out["networks"][name] = {**{(k if k == "ensemble_ceiling" else f"{k}_images_per_s"): v
                                    for k, v in med.items()}, "all": res[name],
                                 "engine_over_plain": e, "fast_over_plain": f}
        ok = e >= ENGINE_GOAL
        failed |= not ok
        e1, f1 = med["engine_1_thread"] / med["plain_1_thread"], med["fast"] / med["plain_1_thread"]
        # fast/plain = (workers' scaling) x (engine per core) / (plain's scaling over its threads)
        scaling, threads = med["fast"] / med["engine_1_thread"], med["plain"] / med["plain_1_thread"]
        out["networks"][name].update(engine_over_plain_1_thread=e1, fast_over_plain_1_thread=f1,
                                     workers_scaling=scaling, plain_threads_scaling=threads)
        ceiling = med["ensemble_ceiling"]
        lines.append(f"{name}: engine/plain {e:.2f}" + ("" if ok else "  FAIL") +
                     f", fast/plain {f:.2f} (INFO: retired goal {RETIRED_FAST_GOAL})" +
                     f"   (both on 1 thread: engine/plain {e1:.2f}; fast/plain-1-thread {f1:.2f}; "
                     f"fast/plain = {scaling:.2f} workers' scaling x {e1:.2f} per core / {threads:.2f} "
                     f"plain's thread scaling; ensembling {ENSEMBLE} seeds per step could "
                     f"raise fast/plain at most to {f * ceiling:.2f}, x{ceiling:.2f})")
    reference.shutdown()
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    print(f"goal: engine/plain >= {ENGINE_GOAL} (fast/plain >= {RETIRED_FAST_GOAL} retired: information); "
          f"load average {out['loadavg']}")
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
