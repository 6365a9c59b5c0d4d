"""The one training loop of the project (paper §5): SGD with momentum and weight decay.

``train(TrainConfig(...))`` trains a model of ``model.py`` on a dataset of ``data.py`` with the
augmentation of ``augment.py``, and returns a :class:`TrainResult` whose ``record`` (also written
to ``out_dir/record.json``) holds the per-epoch history, training error every ``log_every``
steps (and, every ``eval_train_every`` steps, in evaluation mode on a fixed draw of training
images), learning-rate drops and final centre-crop and ten-crop errors.

The loop, top to bottom: :func:`train` builds a run (:func:`_start`), then for each epoch trains
on its batches (:func:`_train_epoch`, one :func:`_step` per batch), validates and asks the
learning-rate schedule (:func:`_end_epoch`), and at the end evaluates and writes the record
(:func:`_finish`). Around it: ``sgd.py`` (the update rule), ``schedule.py`` (learning-rate
rules), ``checkpoint.py`` (checkpoints, RNG state, resume rules), ``evaluate.py`` (centre crop
and ten patches), ``distributed.py`` (devices, processes, Ctrl-C), ``cli.py`` (command line).

Runs are repeatable: model init, data order (a permutation per epoch from ``(seed, epoch)``),
dropout and augmentation all follow ``seed``. Checkpoints (``out_dir/checkpoint.pt``, written
atomically every epoch and every ``checkpoint_every_steps`` steps, and on Ctrl-C) hold
everything needed to continue: ``resume=True`` ends with the same numbers as an uninterrupted
run (on CPU, bit for bit).

Several GPUs: launch with ``torchrun --nproc_per_node N -m alexnet_repro train ...``.
``batch_size`` is the global batch: each step takes the same ``batch_size`` images as a
single process would and hands each process its share, and the loss is normalised by the
global count, so N processes compute the same updates as one (up to summation order) when
the model has no randomness of its own (dropout 0, ``augment="none"``): dropout masks and
augmentation draws come from per-process generators, so they differ with the world size.
Only rank 0 writes checkpoints and records.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

from alexnet_repro.common import records
from alexnet_repro.common.errors import ConfigError, TrainingDiverged
from alexnet_repro.data import shards
from alexnet_repro.data.augment import make_batch_augment, scaled_crop_size
from alexnet_repro.data.batches import check_bad, epoch_batches, iter_batches
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.data.stats import PCA, training_stats
from alexnet_repro.engine.checkpoint import (
    CHECKPOINT,
    ResumeError,
    check_resumable,
    check_same_run,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.engine.devices import (
    Dist,
    InterruptFlag,
    amp_dtype,
    keep_freed_memory,
    select_device,
    setup_dist,
)
from alexnet_repro.engine.evaluate import evaluate
from alexnet_repro.engine.schedule import Schedule, make_schedule
from alexnet_repro.engine.sgd import (
    NonFiniteLoss,
    add_counts,
    error_rate,
    make_optimizer,
    new_counts,
    train_step,
)
from alexnet_repro.nn.model import build_model

RECORD = "record"
LIGHTING_SEED_OFFSET = 104_729   # PCA lighting's stream: seed + this, apart from the crops' (seed)
MEAN_IMAGES = 10_000       # the mean image and RGB PCA are estimated from at most this many




@dataclass
class TrainResult:
    record: dict
    model: nn.Module
    data: Any   # data.DataBundle
    mean_image: torch.Tensor   # the training-set mean the run subtracted (engine_stats)


@dataclass
class Progress:
    """Where a run stands; a checkpoint holds all of it (as a dict)."""
    epoch: int = 0                 # epochs finished
    step_in_epoch: int = 0
    global_step: int = 0
    history: list = field(default_factory=list)     # one entry per epoch
    steps: list = field(default_factory=list)       # training error every log_every steps
    lr_drops: list = field(default_factory=list)
    bad: list = field(default_factory=list)         # paths of undecodable training images
    acc: dict = field(default_factory=new_counts)       # this epoch's sums
    log_acc: dict = field(default_factory=new_counts)   # sums since the last step log
    started: str = field(default_factory=records.now_iso)
    wall_time_s: float = 0.0
    train_time_s: float = 0.0
    train_images: float = 0.0
    epoch_train_time_s: float = 0.0
    resumes: list = field(default_factory=list)
    stopped_at_step: int | None = None              # config.stop_at_error reached here


@dataclass
class _Run:
    """Everything one training run works with (built by :func:`_start`)."""
    config: TrainConfig
    dist: Dist
    device: torch.device
    data: Any
    crop: int
    raw: nn.Module              # the model itself (saved in checkpoints)
    model: nn.Module            # what is trained: raw, compiled and/or wrapped in DDP
    eval_model: nn.Module
    optimizer: torch.optim.Optimizer
    schedule: Schedule
    aug_gen: torch.Generator
    augment: Any
    stats: dict
    progress: Progress
    ckpt_path: Path | None
    fingerprint: str | None
    amp_dtype: Any
    channels_last: bool
    bad_seen: set
    clock: tuple = (0.0, 0.0)   # (perf_counter at this session's start, wall time before it)
    train_set: Any = None       # data.train as read on the device (shards.for_device)
    val_set: Any = None
    light_gen: Any = None       # PCA lighting's own stream (crops and flips draw from aug_gen)
    held: list | None = None    # training images of the eval-mode error (config.eval_train_every)

    @property
    def num_classes(self) -> int:
        return len(self.data.classes)

    def eval_kw(self) -> dict:
        c = self.config
        return dict(mean=self.stats["mean_image"], crop_size=self.crop, batch_size=c.batch_size,
                    device=self.device, amp_dtype=self.amp_dtype, channels_last=self.channels_last,
                    num_workers=c.num_workers, on_bad_image=c.on_bad_image, num_classes=self.num_classes,
                    progress=c.progress, dist=self.dist)


# ---------------------------------------------------------------- the loop


def train(config: TrainConfig | dict, data=None) -> TrainResult:
    """Train as ``config`` says; ``data`` (a ``DataBundle``) overrides loading ``config.dataset``."""
    if isinstance(config, dict):
        config = TrainConfig.from_dict(config)
    dist = setup_dist(config.device)
    try:
        run = _start(config, data, dist)
        with InterruptFlag() as interrupt:
            while run.progress.epoch < config.epochs and run.progress.stopped_at_step is None:
                _train_epoch(run, interrupt)
                _end_epoch(run)
                if interrupt.set:
                    raise _interrupted(run)
        return _finish(run)
    finally:
        dist.close()


def _train_epoch(run: _Run, interrupt: InterruptFlag) -> None:
    """The SGD steps of the current epoch (from where a resumed run stopped)."""
    config, dist, st = run.config, run.dist, run.progress
    epoch = st.epoch
    batches = epoch_batches(len(run.data.train), config.batch_size, config.seed, epoch, dist.world)
    run.raw.train()
    bar = tqdm(total=len(batches), initial=st.step_in_epoch, leave=False,
               desc=f"epoch {epoch + 1}/{config.epochs}", disable=not (config.progress and dist.main))
    seg_start, train_before = time.perf_counter(), st.epoch_train_time_s
    for images, labels, bad in _epoch_input(run, batches):
        out = _step(run, images, labels, bad, stop=interrupt.set)
        st.epoch_train_time_s = train_before + time.perf_counter() - seg_start
        bar.update(1)
        _log_step(run, bar)
        if out[4] > 0:   # Ctrl-C in some process: every process stops after this step
            raise _interrupted(run)
        if config.checkpoint_every_steps and st.global_step % config.checkpoint_every_steps == 0:
            _save(run)
        if _reached(run):
            st.stopped_at_step = st.global_step
            break
    bar.close()


def _reached(run: _Run) -> bool:
    """Whether this step's log brought the trailing mean of the last ``stop_window`` logged
    training errors to ``stop_at_error`` (a diverged entry counts as 1.0), computed as
    ``analysis.run_metrics.error_curve`` computes it."""
    config, st = run.config, run.progress
    if config.stop_at_error is None or not st.steps or st.steps[-1]["step"] != st.global_step:
        return False
    raw = [float(e) if e is not None and math.isfinite(float(e)) else 1.0
           for e in (r.get("train_top1_error") for r in st.steps[-config.stop_window:])]
    return sum(raw) / len(raw) <= config.stop_at_error


def _epoch_input(run: _Run, batches: list[list[int]]):
    """``(images, labels, bad)`` of this process's share of the epoch's remaining ``batches``:
    batched on the device itself where it can (``shards.device_input``: small datasets held on
    a CUDA device, prepared shards decoded there), else through ``data.iter_batches``. Both
    give the same images in the same order, so checkpoints of one path resume on the other."""
    config, dist, st = run.config, run.dist, run.progress
    if shards.device_input(run.train_set, run.device):
        source = shards.make_train_iterator(run.train_set, batch_size=config.batch_size, seed=config.seed,
                                            epoch=st.epoch, rank=dist.rank, world=dist.world,
                                            start_step=st.step_in_epoch, device=run.device)
        return ((images, labels, []) for images, labels in source)
    mine = [b[dist.rank::dist.world] for b in batches[st.step_in_epoch:]]
    return iter_batches(run.train_set, mine, num_workers=config.num_workers,
                        pin_memory=run.device.type == "cuda", seed=config.seed * 1009 + st.epoch)


def _step(run: _Run, images, labels, bad, stop: bool) -> list[float]:
    """One SGD step on this batch; returns ``train_step``'s summed statistics."""
    config, st, device = run.config, run.progress, run.device
    check_bad(bad, config.on_bad_image, run.bad_seen)
    images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
    if len(labels):
        images = run.augment(images)
    else:   # every image of this share was bad: take part in the step with none
        images = torch.zeros(0, run.data.channels, run.crop, run.crop, device=device)
    if run.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    lr = run.schedule.step(st.global_step, st.epoch)
    for g in run.optimizer.param_groups:
        g["lr"] = lr
    try:
        out = train_step(run.model, run.optimizer, images, labels, amp_dtype=run.amp_dtype, dist=run.dist,
                         stop=stop)
    except NonFiniteLoss as e:
        kept = (f"the last good checkpoint {run.ckpt_path} was kept"
                if run.ckpt_path and run.ckpt_path.exists() else "no checkpoint had been written yet")
        raise TrainingDiverged(
            f"the training loss became {e.args[0]} at step {st.global_step + 1} (epoch {st.epoch + 1}, "
            f"lr {lr:g}); training stopped before that update and {kept}. Try a smaller lr (e.g. "
            f"lr={lr / 10:g}), amp='off', or check the input data for NaN values.") from None
    st.step_in_epoch += 1
    st.global_step += 1
    add_counts(st.acc, out)
    add_counts(st.log_acc, out)
    return out


def _log_step(run: _Run, bar) -> None:
    """Every ``log_every`` steps: the training error since the last log, in the record."""
    st, every = run.progress, run.config.log_every
    if not every or st.global_step % every:
        return
    la = st.log_acc
    st.steps.append({"step": st.global_step, "epoch": st.epoch + 1, "lr": run.schedule.lr,
                     "images": int(la["n"]), "train_loss": la["loss"] / la["n"],
                     "train_top1_error": error_rate(la["c1"], la["n"])})
    st.log_acc = new_counts()
    if run.config.eval_train_every and st.global_step % run.config.eval_train_every == 0:
        ev = evaluate(run.eval_model, run.train_set, desc="training images, eval mode", indices=run.held,
                      **{**run.eval_kw(), "progress": False})
        st.steps[-1].update(eval_train_top1_error=ev["top1_error"], eval_train_loss=ev["loss"])
    bar.set_postfix(loss=f"{st.steps[-1]['train_loss']:.3f}", err=f"{st.steps[-1]['train_top1_error']:.3f}")


def _end_epoch(run: _Run) -> None:
    """Validate, record the epoch, let the schedule react, checkpoint."""
    config, st = run.config, run.progress
    epoch = st.epoch + 1
    acc, train_time = st.acc, st.epoch_train_time_s
    st.train_time_s += train_time
    st.train_images += acc["n"]
    t_eval = time.perf_counter()
    val = evaluate(run.eval_model, run.val_set, desc="validation", **run.eval_kw())
    entry = {
        "epoch": epoch, "lr": run.schedule.lr, "steps": st.global_step,
        "train_loss": acc["loss"] / acc["n"] if acc["n"] else None,
        "train_top1_error": error_rate(acc["c1"], acc["n"]),
        "train_top5_error": error_rate(acc["c5"], acc["n"]) if run.num_classes > 5 else None,
        "val_loss": val["loss"], "val_top1_error": val["top1_error"], "val_top5_error": val["top5_error"],
        "epoch_time_s": train_time + time.perf_counter() - t_eval,
        "train_images_per_s": acc["n"] / train_time if train_time > 0 else None}
    st.history.append(entry)
    new_lr = run.schedule.end_epoch(epoch, val["top1_error"])
    if new_lr is not None:
        st.lr_drops.append({"epoch": epoch, "lr": new_lr})
        for g in run.optimizer.param_groups:
            g["lr"] = new_lr
    if config.progress and run.dist.main:
        tqdm.write(f"epoch {epoch}/{config.epochs}: train loss {entry['train_loss']:.4f}, top-1 error "
                   f"{entry['train_top1_error']:.4f} | val loss {val['loss']:.4f}, top-1 error "
                   f"{val['top1_error']:.4f}" + (f" | lr -> {new_lr:g}" if new_lr is not None else ""))
    st.epoch, st.step_in_epoch, st.acc, st.epoch_train_time_s = epoch, 0, new_counts(), 0.0
    _save(run)


def _finish(run: _Run) -> TrainResult:
    """Final evaluation (centre crop, ten patches) and the run's record."""
    config, dist, st, data = run.config, run.dist, run.progress, run.data
    final = evaluate(run.eval_model, run.val_set, ten_crop=config.ten_crop_eval, desc="final evaluation",
                     **run.eval_kw())
    bad_all = sorted(set().union(*dist.gather(run.bad_seen)))
    last = st.history[-1] if st.history else {}
    record = {
        "kind": "training", "config": config.to_dict(), "profile": config.profile,
        "dataset": {**data.describe(), "crop_size": run.crop, "key": data.key(),
                    "statistics_images": run.stats["images"]},
        "model": {"name": config.model, "parameters": sum(p.numel() for p in run.raw.parameters()),
                  **getattr(run.raw, "config", {})},
        "hardware": {**records.hardware(str(run.device)), "processes": dist.world},
        "torch": records.torch_version(), "git_commit": records.git_commit(),
        "git_dirty": records.git_dirty(),
        "seed": config.seed, "started": st.started, "finished": records.now_iso(),
        "wall_time_s": _wall_time(run), "train_time_s": st.train_time_s,
        "images_per_s": st.train_images / st.train_time_s if st.train_time_s else None,
        "history": st.history, "steps": st.steps, "lr_drops": st.lr_drops, "resumes": st.resumes,
        "bad_images": len(bad_all) + final["bad_images"], "bad_image_paths": bad_all[:20],
        "final": {"epochs": st.epoch, "steps": st.global_step, "stopped_at_step": st.stopped_at_step,
                  "train_top1_error": last.get("train_top1_error"),
                  "train_top5_error": last.get("train_top5_error"),
                  **{f"val_{k}": v for k, v in final.items() if k != "bad_images"}},
    }
    if config.out_dir is not None and dist.main:
        records.save_record(record, config.out_dir, RECORD)
    return TrainResult(record, run.raw, data, run.stats["mean_image"])


# ---------------------------------------------------------------- building a run


def _start(config: TrainConfig, data, dist: Dist) -> _Run:
    """Load data, build model, optimizer, schedule and augmentation; restore a checkpoint."""
    device = select_device(config.device, dist.local_rank)
    keep_freed_memory()
    saved = _open_checkpoint(config)
    data = data if data is not None else _load_data(config)
    crop = config.crop_size or scaled_crop_size(data.image_size)
    if crop > data.image_size:
        raise ConfigError(f"crop_size {crop} is larger than the stored image size {data.image_size}; "
                          "lower crop_size or raise image_size")
    fingerprint = data.fingerprint() if config.out_dir is not None else None
    if saved is not None:
        check_same_run(saved, data.describe(), fingerprint, dist.world)
    # channels-last is the faster layout on CPU too for every network the book trains (1.3-1.5x on
    # one thread, benchmarks/bench_engine.py); the numbers differ from NCHW only by rounding
    channels_last = True if config.channels_last is None else config.channels_last
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True   # fastest kernels for the fixed input size
    torch.manual_seed(config.seed)
    raw = build_model(config.model, in_channels=data.channels, num_classes=len(data.classes),
                      input_size=crop, **config.model_kwargs).to(device)
    if channels_last:
        raw = raw.to(memory_format=torch.channels_last)
    if dist.rank > 0:   # distinct dropout draws per process; rank 0 keeps the 1-process stream
        torch.manual_seed(config.seed + 1_000_003 * dist.rank)
    aug_gen = torch.Generator().manual_seed(config.seed + 7_919 * dist.rank)
    optimizer = make_optimizer(raw.parameters(), lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay)
    steps_per_epoch = len(epoch_batches(len(data.train), config.batch_size, config.seed, 0, dist.world))
    run = _Run(config, dist, device, data, crop, raw, raw, raw, optimizer,
               make_schedule(config, steps_per_epoch * config.epochs), aug_gen, None, {}, Progress(),
               Path(config.out_dir) / CHECKPOINT if config.out_dir is not None else None, fingerprint,
               amp_dtype(config.amp, device), channels_last, set())
    run.light_gen = torch.Generator().manual_seed(config.seed + 7_919 * dist.rank + LIGHTING_SEED_OFFSET)
    run.train_set, run.val_set = shards.for_device(data.train, device), shards.for_device(data.val, device)
    if config.eval_train_every:   # a fixed draw of training images (the same for every step)
        n = min(config.eval_train_images, len(data.train))
        draw = torch.randperm(len(data.train), generator=torch.Generator().manual_seed(config.seed))
        run.held = draw[:n].sort().values.tolist()
    _restore(run, saved)
    pca = PCA(run.stats["eigenvalues"], run.stats["eigenvectors"])
    run.augment = make_batch_augment(config.augment, data.image_size, crop, pca=pca,
                                     mean=run.stats["mean_image"], generator=aug_gen,
                                     lighting_generator=run.light_gen)
    run.bad_seen = set(run.progress.bad)
    run.model = run.eval_model = torch.compile(raw) if config.compile else raw
    if dist.world > 1:
        run.model = nn.parallel.DistributedDataParallel(
            run.eval_model, **({"device_ids": [device.index]} if device.type == "cuda" else {}))
    run.clock = (time.perf_counter(), run.progress.wall_time_s)
    return run


def _open_checkpoint(config: TrainConfig) -> dict | None:
    """The checkpoint to resume from (checked against ``config``), or None for a new run."""
    if config.out_dir is None:
        if config.resume:
            raise ConfigError("resume=True needs out_dir (the folder holding the checkpoint)")
        return None
    path = Path(config.out_dir) / CHECKPOINT
    if not path.exists():
        return None
    if not config.resume:
        raise ResumeError(f"{config.out_dir} already holds a checkpoint of an earlier run. Pass resume=True "
                          "(--resume) to continue it, or choose another out_dir (or delete that one).")
    saved = load_checkpoint(path)
    check_resumable(saved, config.to_dict(), str(path))
    return saved


def _load_data(config: TrainConfig):
    return load_dataset(config.dataset, config.data_root, limit=config.limit, val_limit=config.val_limit,
                        image_size=config.image_size, seed=config.seed, download=config.download,
                        on_bad_image=config.on_bad_image)


def _restore(run: _Run, saved: dict | None) -> None:
    """State of a new run (training statistics), or everything a checkpoint holds."""
    if saved is None:
        run.stats = _training_stats(run.data)
    else:
        run.raw.load_state_dict(saved["model"])
        run.optimizer.load_state_dict(saved["optimizer"])
        run.schedule.load_state_dict(saved["schedule"])
        run.stats = saved["stats"]
        run.progress = Progress(**saved["state"])
        run.progress.resumes = run.progress.resumes + [
            {"epoch": run.progress.epoch, "step": run.progress.global_step, "time": records.now_iso()}]
        set_rng_state(saved["rng"][run.dist.rank], run.aug_gen, run.device, run.light_gen)
    for g in run.optimizer.param_groups:
        g["lr"] = run.schedule.lr


# ---------------------------------------------------------------- checkpoints and Ctrl-C


def _wall_time(run: _Run) -> float:
    return run.clock[1] + time.perf_counter() - run.clock[0]


def _save(run: _Run) -> None:
    """Checkpoint the run (rank 0 writes; every process contributes its random state)."""
    st = run.progress
    if not all(torch.isfinite(p).all() for p in run.raw.parameters()):
        lr = run.schedule.lr
        raise TrainingDiverged(
            f"the weights became NaN or infinite by step {st.global_step} (epoch {st.epoch + 1}, "
            f"lr {lr:g}); training stopped without overwriting the last checkpoint. Try a "
            f"smaller lr (e.g. lr={lr / 10:g}) or amp='off'.")
    st.wall_time_s = _wall_time(run)
    st.bad = sorted(run.bad_seen)
    if run.ckpt_path is None:
        return
    rngs = run.dist.gather(rng_state(run.aug_gen, run.device, run.light_gen))
    if run.dist.main:
        save_checkpoint({
            "config": run.config.to_dict(), "epoch": st.epoch, "model": run.raw.state_dict(),
            "optimizer": run.optimizer.state_dict(), "schedule": run.schedule.state_dict(), "rng": rngs,
            "world": run.dist.world, "stats": run.stats, "state": dataclasses.asdict(st),
            "crop_size": run.crop, "num_classes": run.num_classes, "channels": run.data.channels,
            "image_size": run.data.image_size, "dataset": run.data.describe(),
            "data_fingerprint": run.fingerprint}, run.ckpt_path)
    run.dist.barrier()


def _interrupted(run: _Run) -> KeyboardInterrupt:
    _save(run)
    st = run.progress
    where = (f"saved checkpoint {run.ckpt_path} (epoch {st.epoch}, step {st.global_step}); continue with "
             "resume=True (--resume)" if run.ckpt_path is not None else "nothing saved (out_dir=None)")
    return KeyboardInterrupt(f"training interrupted; {where}")


# ---------------------------------------------------------------- steps, batches, statistics


def engine_stats(data):
    """The training-set statistics every run of the engine uses (``augment.TrainingStats``: mean
    image, per-channel mean, RGB PCA), from a seeded sample of at most ``MEAN_IMAGES`` images."""
    return training_stats(data, max_images=MEAN_IMAGES, seed=0, cache_dir=None)


def _training_stats(data) -> dict:
    st = engine_stats(data)
    return {"mean_image": st.mean_image, "eigenvalues": st.pca.eigenvalues,
            "eigenvectors": st.pca.eigenvectors, "images": st.images}
