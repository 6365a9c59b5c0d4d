"""The one training loop of the project (paper §5): SGD with momentum and weight decay.

``train(TrainConfig(...))`` trains a model of ``model.py`` on a dataset of ``data.py`` with the
augmentation of ``augment.py``, and returns a :class:`TrainResult` whose ``record`` (also written
to ``out_dir/record.json``) holds the per-epoch history, training error every ``log_every``
steps, learning-rate drops and final centre-crop and ten-crop errors.

Learning rate: ``schedule="plateau"`` is the paper's rule automated (divide by 10 when the
validation top-1 error has not improved for ``plateau_patience`` epochs, at most
``max_lr_drops`` times); ``"fixed"``; ``"step:E1,E2"`` divides by 10 after epochs E1, E2.
PyTorch's SGD keeps its momentum buffer in gradient units (``v = m v + g + wd w``,
``w -= lr v``); with a constant learning rate this is the paper's update rule exactly.

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

import argparse
import contextlib
import dataclasses
import json
import math
import os
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from alexnet_repro import records
from alexnet_repro.paper import PAPER

_P = PAPER["training"]

AUGMENTS = ("none", "flip", "crop_flip", "paper")
AMP_MODES = ("auto", "bf16", "off")
BAD_IMAGE_MODES = ("skip", "fail")
CHECKPOINT = "checkpoint.pt"
RECORD = "record"
MEAN_IMAGES = 10_000       # the mean image and RGB PCA are estimated from at most this many
CHECKPOINT_FORMAT = 1
# Config fields that may differ between an interrupted run and its resumption.
RESUMABLE_CHANGES = frozenset({
    "epochs", "resume", "progress", "device", "num_workers", "out_dir", "checkpoint_every_steps",
    "data_root", "download", "compile", "amp", "channels_last", "ten_crop_eval", "profile"})


class ConfigError(ValueError):
    """A training configuration with an unknown key or an invalid value."""


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; the message says at which step and what to try."""


class ResumeError(RuntimeError):
    """A checkpoint that cannot be resumed with the given configuration."""


@dataclass
class TrainConfig:
    """Everything a training run depends on (JSON-serialisable; see the module docstring).

    ``image_size`` is the stored side the dataset is resized to (the paper's 256; ``None`` =
    the dataset's own). ``crop_size`` is the network input: random crops of it in training
    (``augment`` "crop_flip"/"paper"), the centre crop otherwise and in evaluation; ``None`` =
    ``round(image_size * 227 / 256)`` (the paper's 224-of-256 patches, which the layer
    arithmetic makes 227). ``log_every``: training error every that many steps (0 = per epoch
    only). ``amp``: "auto" = bf16 autocast on CUDA. ``channels_last``: None = on for CUDA.
    """
    dataset: str = "fashion-mnist"
    data_root: str | None = None
    limit: int | None = None
    val_limit: int | None = None
    image_size: int | None = None
    crop_size: int | None = None
    download: bool = False
    model: str = "alexnet"
    model_kwargs: dict = field(default_factory=dict)
    augment: str = "paper"
    epochs: int = _P["epochs"]
    batch_size: int = _P["batch_size"]
    lr: float = _P["lr_initial"]
    momentum: float = _P["momentum"]
    weight_decay: float = _P["weight_decay"]
    schedule: str = "plateau"
    plateau_patience: int = 1
    max_lr_drops: int = _P["lr_drops"]
    log_every: int = 0
    seed: int = 0
    device: str = "auto"
    out_dir: str | None = None
    resume: bool = False
    checkpoint_every_steps: int = 0
    amp: str = "auto"
    channels_last: bool | None = None
    compile: bool = False
    num_workers: int = 0
    on_bad_image: str = "skip"
    ten_crop_eval: bool = True
    progress: bool = True
    profile: str | None = None

    def __post_init__(self):
        if self.out_dir is not None:
            self.out_dir = os.fspath(self.out_dir)
        if self.data_root is not None:
            self.data_root = os.fspath(self.data_root)
        self.model_kwargs = dict(self.model_kwargs or {})
        problems = []

        def need(ok, msg):
            if not ok:
                problems.append(msg)

        need(self.augment in AUGMENTS, f"augment must be one of {AUGMENTS}, got {self.augment!r}")
        need(self.amp in AMP_MODES, f"amp must be one of {AMP_MODES}, got {self.amp!r}")
        need(self.on_bad_image in BAD_IMAGE_MODES,
             f"on_bad_image must be one of {BAD_IMAGE_MODES}, got {self.on_bad_image!r}")
        need(isinstance(self.epochs, int) and self.epochs >= 1, f"epochs must be >= 1, got {self.epochs!r}")
        need(isinstance(self.batch_size, int) and self.batch_size >= 1,
             f"batch_size must be >= 1, got {self.batch_size!r}")
        need(self.lr > 0 and math.isfinite(self.lr), f"lr must be a positive number, got {self.lr!r}")
        need(0 <= self.momentum < 1, f"momentum must be in [0, 1), got {self.momentum!r}")
        need(self.weight_decay >= 0, f"weight_decay must be >= 0, got {self.weight_decay!r}")
        need(self.plateau_patience >= 1, f"plateau_patience must be >= 1, got {self.plateau_patience!r}")
        need(self.max_lr_drops >= 0, f"max_lr_drops must be >= 0, got {self.max_lr_drops!r}")
        need(self.log_every >= 0, f"log_every must be >= 0, got {self.log_every!r}")
        need(self.checkpoint_every_steps >= 0,
             f"checkpoint_every_steps must be >= 0, got {self.checkpoint_every_steps!r}")
        need(self.num_workers >= 0, f"num_workers must be >= 0, got {self.num_workers!r}")
        for name in ("image_size", "crop_size", "limit", "val_limit"):
            v = getattr(self, name)
            need(v is None or (isinstance(v, int) and v >= 1), f"{name} must be None or >= 1, got {v!r}")
        if self.image_size and self.crop_size:
            need(self.crop_size <= self.image_size,
                 f"crop_size {self.crop_size} is larger than image_size {self.image_size}")
        reserved = {"num_classes", "in_channels", "input_size"} & set(self.model_kwargs)
        need(not reserved, f"model_kwargs may not set {sorted(reserved)}: they come from the dataset "
                           "(classes, channels) and crop_size")
        try:
            parse_schedule(self.schedule)
        except ConfigError as e:
            problems.append(str(e))
        if problems:
            raise ConfigError("invalid training configuration:\n  " + "\n  ".join(problems))

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """Build from a dict; unknown keys raise ``ConfigError`` listing the valid names."""
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(d) - set(names))
        if unknown:
            import difflib
            hints = [f"{k!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(k, names, 1))
                     else repr(k) for k in unknown]
            raise ConfigError(f"unknown training option(s) {', '.join(hints)}; valid names: "
                              f"{', '.join(names)}")
        return cls(**d)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, **changes) -> "TrainConfig":
        return TrainConfig.from_dict({**self.to_dict(), **changes})


@dataclass
class TrainResult:
    record: dict
    model: nn.Module
    data: Any   # data.DataBundle
    mean_image: torch.Tensor   # the training-set mean the run subtracted (engine_stats)


# ---------------------------------------------------------------- learning-rate schedule


def parse_schedule(schedule: str) -> tuple[str, tuple[int, ...]]:
    """``"plateau"`` | ``"fixed"`` | ``"step:E1,E2,..."`` -> (kind, epochs)."""
    if schedule in ("plateau", "fixed"):
        return schedule, ()
    if isinstance(schedule, str) and schedule.startswith("step:"):
        try:
            epochs = tuple(int(e) for e in schedule[5:].split(","))
        except ValueError:
            epochs = ()
        if epochs and all(e >= 1 for e in epochs) and list(epochs) == sorted(set(epochs)):
            return "step", epochs
    raise ConfigError(f"schedule must be 'plateau', 'fixed' or 'step:E1,E2,...' with increasing "
                      f"epochs >= 1, got {schedule!r}")


class LRSchedule:
    """The learning rate per epoch; ``end_epoch`` returns the new lr after a drop, else None."""

    def __init__(self, config: TrainConfig):
        self.kind, self.milestones = parse_schedule(config.schedule)
        self.lr = config.lr
        self.divisor = _P["lr_divisor"]
        self.patience, self.max_drops = config.plateau_patience, config.max_lr_drops
        self.best = math.inf
        self.bad_epochs = 0
        self.drops = 0

    def end_epoch(self, epoch: int, val_error: float) -> float | None:
        """Called after epoch ``epoch`` (1-based) with its validation top-1 error."""
        drop = False
        if self.kind == "step":
            drop = epoch in self.milestones
        elif self.kind == "plateau":
            if val_error < self.best:
                self.best, self.bad_epochs = val_error, 0
            else:
                self.bad_epochs += 1
                if self.bad_epochs >= self.patience and self.drops < self.max_drops:
                    drop, self.bad_epochs = True, 0
        if not drop:
            return None
        self.drops += 1
        self.lr /= self.divisor
        return self.lr

    def state_dict(self) -> dict:
        return {"lr": self.lr, "best": self.best, "bad_epochs": self.bad_epochs, "drops": self.drops}

    def load_state_dict(self, state: dict) -> None:
        self.lr, self.best = state["lr"], state["best"]
        self.bad_epochs, self.drops = state["bad_epochs"], state["drops"]


# ---------------------------------------------------------------- devices and processes


@dataclass
class _Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    owned: bool = False      # we initialised the process group (and destroy it)

    @property
    def main(self) -> bool:
        return self.rank == 0

    def all_reduce(self, t: torch.Tensor) -> torch.Tensor:
        if self.world > 1:
            torch.distributed.all_reduce(t)
        return t

    def gather(self, obj):
        if self.world == 1:
            return [obj]
        out = [None] * self.world
        torch.distributed.all_gather_object(out, obj)
        return out

    def barrier(self):
        if self.world > 1:
            torch.distributed.barrier()


def _setup_dist(device_pref: str) -> _Dist:
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        return _Dist(dist.get_rank(), dist.get_world_size(),
                     int(os.environ.get("LOCAL_RANK", dist.get_rank())))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return _Dist()
    local = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and device_pref in ("auto", "cuda")
    if use_cuda:
        torch.cuda.set_device(local)
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return _Dist(dist.get_rank(), dist.get_world_size(), local, owned=True)


def select_device(pref: str = "auto", local_rank: int = 0) -> torch.device:
    """``"auto"``: CUDA (this process's GPU) if present, else Apple MPS, else CPU."""
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank % torch.cuda.device_count())
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(pref)
    except RuntimeError:
        raise ConfigError(f"unknown device {pref!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {pref!r} asked for, but torch sees no CUDA GPU; use device='auto' or 'cpu'")
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", local_rank % torch.cuda.device_count())
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("device 'mps' asked for, but MPS is not available; use device='auto' or 'cpu'")
    return dev


def _amp_dtype(config: TrainConfig, device: torch.device):
    if config.amp == "bf16" or (config.amp == "auto" and device.type == "cuda"):
        return torch.bfloat16
    return None


# ---------------------------------------------------------------- data


class _Batches(torch.utils.data.Dataset):
    """Item k = the k-th batch (a list of indices) of ``dataset``, as (images, labels, bad)."""

    def __init__(self, dataset, batches: list[list[int]]):
        self.dataset, self.batches = dataset, batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, k):
        from alexnet_repro.data import collate
        idx = self.batches[k]
        if hasattr(self.dataset, "get_batch"):
            images, labels = self.dataset.get_batch(idx)
            return images, labels, []
        return collate([self.dataset[i] for i in idx])


def _loader(dataset, batches, num_workers: int, device: torch.device, seed: int):
    # An explicit generator: the loader must not draw from the global torch RNG (resume exactness).
    return torch.utils.data.DataLoader(
        _Batches(dataset, batches), batch_size=None, shuffle=False,
        num_workers=num_workers, pin_memory=device.type == "cuda",
        generator=torch.Generator().manual_seed(seed))


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int, world: int = 1) -> list[list[int]]:
    """Global batches of epoch ``epoch`` (0-based): a permutation of ``range(n)`` fixed by
    ``(seed, epoch)``, cut into ``batch_size`` pieces (the last may be smaller; with several
    processes it is dropped if it has fewer images than processes)."""
    perm = np.random.default_rng([seed, epoch]).permutation(n).tolist()
    out = [perm[i:i + batch_size] for i in range(0, n, batch_size)]
    if out and len(out[-1]) < world:
        out.pop()
    return out


def _check_bad(bad, on_bad_image: str, seen: set):
    for b in bad:
        if on_bad_image == "fail":
            from alexnet_repro.data import BadImageError
            raise BadImageError(
                f"cannot decode image {b.path} ({b.error}). Replace or delete the file, or set "
                "on_bad_image='skip' to count such images and go on.")
        seen.add(b.path)


# ---------------------------------------------------------------- steps and evaluation


class NonFiniteLoss(FloatingPointError):
    pass


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor,
               labels: torch.Tensor, *, amp_dtype=None, dist: _Dist | None = None,
               stop: bool = False) -> list[float]:
    """One SGD step on this process's part of a global batch.

    Returns ``[loss_sum, images, top1_correct, top5_correct, stop]`` summed over processes.
    The mean loss over the global batch is what is minimised. A NaN/inf loss raises
    ``NonFiniteLoss`` before any update.
    """
    dist = dist or _Dist()
    with torch.autocast(device_type=images.device.type, dtype=amp_dtype or torch.bfloat16,
                        enabled=amp_dtype is not None):
        logits = model(images)
    loss_sum = F.cross_entropy(logits.float(), labels, reduction="sum")
    top1, top5 = _correct(logits.detach(), labels)
    stats = torch.stack([loss_sum.detach(), torch.tensor(float(len(labels)), device=loss_sum.device),
                         top1, top5, torch.tensor(float(stop), device=loss_sum.device)])
    stats = dist.all_reduce(stats).tolist()
    if not math.isfinite(stats[0]):
        raise NonFiniteLoss(stats[0])
    optimizer.zero_grad(set_to_none=True)
    # DDP averages gradients over processes; scaling by world / n_global makes it the global mean.
    (loss_sum * (dist.world / stats[1])).backward()
    optimizer.step()
    return stats


def _correct(logits: torch.Tensor, labels: torch.Tensor):
    k = min(5, logits.shape[1])
    top = logits.topk(k, dim=1).indices
    hit = top == labels[:, None]
    return hit[:, 0].sum().float(), hit.any(1).sum().float()


def _to_device(images, labels, device):
    return images.to(device, non_blocking=True), labels.to(device, non_blocking=True)


@torch.no_grad()
def evaluate(model: nn.Module, dataset, *, mean: torch.Tensor, crop_size: int, batch_size: int = 128,
             device: torch.device | str = "cpu", ten_crop: bool = False, amp_dtype=None,
             channels_last: bool = False, num_workers: int = 0, on_bad_image: str = "skip",
             num_classes: int | None = None, progress: bool = False, desc: str = "eval",
             dist: _Dist | None = None) -> dict:
    """Loss and top-1/top-5 error of ``model`` on ``dataset``: centre crop, and (``ten_crop``)
    softmax averaged over the four corner and centre crops and their mirror images.

    Errors are fractions; top-5 is None with fewer than 6 classes (it would be 0 by construction
    with 5 or fewer). Images are mean-subtracted (``mean`` at stored size) before cropping.
    """
    from alexnet_repro.augment import center_crop, subtract_mean, ten_crop as ten_crops
    from tqdm.auto import tqdm

    dist = dist or _Dist()
    device = torch.device(device)
    was_training = model.training
    model.eval()
    n = len(dataset)
    mine = list(range(dist.rank, n, dist.world))
    batches = [mine[i:i + batch_size] for i in range(0, len(mine), batch_size)]
    mean = mean.to(device)
    # loss, n, top-1 and top-5 correct; the same for ten crops (MPS has no float64)
    sums = torch.zeros(7, dtype=torch.float32 if device.type == "mps" else torch.float64, device=device)
    seen: set = set()
    bar = tqdm(total=len(batches), desc=desc, disable=not (progress and dist.main), leave=False)
    autocast = torch.autocast(device_type=device.type, dtype=amp_dtype or torch.bfloat16,
                              enabled=amp_dtype is not None)
    try:
        for images, labels, bad in _loader(dataset, batches, num_workers, device, 0):
            _check_bad(bad, on_bad_image, seen)
            bar.update(1)
            if len(labels) == 0:
                continue
            images, labels = _to_device(images, labels, device)
            x = subtract_mean(images, mean)
            with autocast:
                crop = center_crop(x, crop_size)
                if channels_last:
                    crop = crop.contiguous(memory_format=torch.channels_last)
                logits = model(crop).float()
            c1, c5 = _correct(logits, labels)
            sums[0] += F.cross_entropy(logits, labels, reduction="sum")
            sums[1] += len(labels)
            sums[2] += c1
            sums[3] += c5
            if ten_crop:
                crops = ten_crops(x, crop_size)                  # (10, N, C, crop, crop)
                b = crops.shape[1]
                flat = crops.reshape(10 * b, *crops.shape[2:])
                if channels_last:
                    flat = flat.contiguous(memory_format=torch.channels_last)
                with autocast:
                    out = model(flat).float()
                prob = out.softmax(1).view(10, b, -1).mean(0)
                c1, c5 = _correct(prob, labels)
                sums[4] += F.nll_loss(prob.clamp_min(1e-30).log(), labels, reduction="sum")
                sums[5] += c1
                sums[6] += c5
    finally:
        bar.close()
        model.train(was_training)
    sums = dist.all_reduce(sums).tolist()
    bad_count = len(set().union(*dist.gather(seen)))
    k = num_classes if num_classes is not None else None
    count = sums[1]
    if count == 0:
        raise RuntimeError("no readable image in the evaluation set")
    top5_ok = k is None or k > 5
    out = {"loss": sums[0] / count, "top1_error": 1 - sums[2] / count,
           "top5_error": (1 - sums[3] / count) if top5_ok else None,
           "images": int(count), "bad_images": bad_count}
    if ten_crop:
        out.update({"loss_ten_crop": sums[4] / count, "top1_error_ten_crop": 1 - sums[5] / count,
                    "top5_error_ten_crop": (1 - sums[6] / count) if top5_ok else None})
    return out


# ---------------------------------------------------------------- checkpoints


def _atomic_torch_save(obj, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _rng_state(aug_gen: torch.Generator | None, device: torch.device) -> dict:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate(),
             "augment": aug_gen.get_state() if aug_gen is not None else None}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def _set_rng_state(state: dict, aug_gen: torch.Generator | None, device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])
    if aug_gen is not None and state.get("augment") is not None:
        aug_gen.set_state(state["augment"])
    if device.type == "cuda" and state.get("cuda") is not None:
        torch.cuda.set_rng_state(state["cuda"], device)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint (a file, or a run folder holding ``checkpoint.pt``), with clear errors."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; train first (python -m alexnet_repro train "
                                "--out DIR) and pass that DIR")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # noqa: BLE001 - any unpickling failure means a damaged file
        raise ResumeError(f"checkpoint {path} cannot be read ({type(e).__name__}: {e}); it is damaged. "
                          "Delete it to start over.") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ResumeError(f"{path} is not a checkpoint of this version of alexnet_repro.train")
    state["path"] = str(path)
    return state


def _check_resumable(saved: dict, config: TrainConfig, path: str) -> None:
    diffs = [f"{k}: checkpoint {saved.get(k)!r}, now {v!r}" for k, v in config.to_dict().items()
             if k not in RESUMABLE_CHANGES and saved.get(k) != v]
    if diffs:
        raise ResumeError(f"cannot resume {path} with a different configuration:\n  " + "\n  ".join(diffs)
                          + f"\nUse the original settings, or another out_dir for a new run.")
    if config.epochs < saved["_epochs_done"]:
        raise ResumeError(f"{path} has already trained {saved['_epochs_done']} epochs, more than "
                          f"epochs={config.epochs}")


# ---------------------------------------------------------------- Ctrl-C


class _InterruptFlag:
    """Turns the first SIGINT into a flag checked between steps; a second one interrupts at once."""

    def __init__(self):
        self.set = False
        self._old = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._old = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        self.set = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)


# ---------------------------------------------------------------- the loop


def _build_model(config: TrainConfig, channels: int, num_classes: int, crop: int) -> nn.Module:
    from alexnet_repro.model import build_model
    return build_model(config.model, in_channels=channels, num_classes=num_classes, input_size=crop,
                       **config.model_kwargs)


def _make_augment(config: TrainConfig, stored: int, crop: int, stats: dict, generator):
    from alexnet_repro.augment import PCA, make_batch_augment
    pca = PCA(stats["eigenvalues"], stats["eigenvectors"])
    return make_batch_augment(config.augment, stored, crop, pca=pca, mean=stats["mean_image"],
                              generator=generator)


def engine_stats(data):
    """The training-set statistics every run of the engine uses (``augment.TrainingStats``: mean
    image, per-channel mean, RGB PCA), from a seeded sample of at most ``MEAN_IMAGES`` images."""
    from alexnet_repro.augment import training_stats
    return training_stats(data, max_images=MEAN_IMAGES, seed=0, cache_dir=None)


def _training_stats(data) -> dict:
    st = engine_stats(data)
    return {"mean_image": st.mean_image, "eigenvalues": st.pca.eigenvalues,
            "eigenvectors": st.pca.eigenvectors, "images": st.images}


def _err(correct: float, n: float) -> float | None:
    return None if n == 0 else 1.0 - correct / n


def _new_acc() -> dict:
    return {"loss": 0.0, "n": 0.0, "c1": 0.0, "c5": 0.0}


def _add(acc: dict, stats: list[float]) -> None:
    acc["loss"] += stats[0]
    acc["n"] += stats[1]
    acc["c1"] += stats[2]
    acc["c5"] += stats[3]


def train(config: TrainConfig | dict, data=None) -> TrainResult:
    """Train as ``config`` says; ``data`` (a ``DataBundle``) overrides loading ``config.dataset``."""
    if isinstance(config, dict):
        config = TrainConfig.from_dict(config)
    dist = _setup_dist(config.device)
    try:
        return _train(config, data, dist)
    finally:
        if dist.owned:
            torch.distributed.destroy_process_group()


def _train(config: TrainConfig, data, dist: _Dist) -> TrainResult:
    from tqdm.auto import tqdm
    from alexnet_repro.augment import scaled_crop_size
    from alexnet_repro.data import load_dataset

    device = select_device(config.device, dist.local_rank)
    out_dir = Path(config.out_dir) if config.out_dir is not None else None
    ckpt_path = out_dir / CHECKPOINT if out_dir is not None else None
    saved = None
    if config.resume and ckpt_path is None:
        raise ConfigError("resume=True needs out_dir (the folder holding the checkpoint)")
    if ckpt_path is not None and ckpt_path.exists():
        if not config.resume:
            raise ResumeError(
                f"{out_dir} already holds a checkpoint of an earlier run. Pass resume=True "
                "(--resume) to continue it, or choose another out_dir (or delete that one).")
        saved = load_checkpoint(ckpt_path)
        _check_resumable({**saved["config"], "_epochs_done": saved["epoch"]}, config, str(ckpt_path))

    if data is None:
        data = load_dataset(config.dataset, config.data_root, limit=config.limit,
                            val_limit=config.val_limit, image_size=config.image_size, seed=config.seed,
                            download=config.download, on_bad_image=config.on_bad_image)
    stored = data.image_size
    crop = config.crop_size or scaled_crop_size(stored)
    if crop > stored:
        raise ConfigError(f"crop_size {crop} is larger than the stored image size {stored}; lower "
                          "crop_size or raise image_size")
    num_classes = len(data.classes)
    amp_dtype = _amp_dtype(config, device)
    channels_last = device.type == "cuda" if config.channels_last is None else config.channels_last
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True   # fastest kernels for the fixed input size

    torch.manual_seed(config.seed)
    raw = _build_model(config, data.channels, num_classes, crop).to(device)
    if channels_last:
        raw = raw.to(memory_format=torch.channels_last)
    if dist.rank > 0:   # distinct dropout draws per process; rank 0 keeps the 1-process stream
        torch.manual_seed(config.seed + 1_000_003 * dist.rank)
    aug_gen = torch.Generator().manual_seed(config.seed + 7_919 * dist.rank)
    optimizer = torch.optim.SGD(raw.parameters(), lr=config.lr, momentum=config.momentum,
                                weight_decay=config.weight_decay)
    schedule = LRSchedule(config)
    # Everything below is the run's state; a checkpoint holds all of it.
    st = {"epoch": 0, "step_in_epoch": 0, "global_step": 0, "history": [], "steps": [],
          "lr_drops": [], "bad": [], "acc": _new_acc(), "log_acc": _new_acc(),
          "started": records.now_iso(), "wall_time_s": 0.0, "train_time_s": 0.0,
          "train_images": 0.0, "epoch_train_time_s": 0.0, "resumes": []}
    if saved is not None:
        raw.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        schedule.load_state_dict(saved["schedule"])
        stats = saved["stats"]
        st.update(saved["state"])
        st["resumes"] = st["resumes"] + [{"epoch": st["epoch"], "step": st["global_step"],
                                          "time": records.now_iso()}]
        if saved["world"] == dist.world:
            _set_rng_state(saved["rng"][dist.rank], aug_gen, device)
        elif dist.main:
            print(f"note: the checkpoint was written by {saved['world']} processes and is resumed by "
                  f"{dist.world}: random streams restart from the seed", file=sys.stderr)
    else:
        stats = _training_stats(data)
    for g in optimizer.param_groups:
        g["lr"] = schedule.lr
    augment = _make_augment(config, stored, crop, stats, aug_gen)
    bad_seen = set(st["bad"])

    model = torch.compile(raw) if config.compile else raw
    eval_model = model
    if dist.world > 1:
        model = nn.parallel.DistributedDataParallel(
            model, **({"device_ids": [device.index]} if device.type == "cuda" else {}))

    session_start = time.perf_counter()
    wall_before = st["wall_time_s"]
    eval_kw = dict(mean=stats["mean_image"], crop_size=crop, batch_size=config.batch_size, device=device,
                   amp_dtype=amp_dtype, channels_last=channels_last, num_workers=config.num_workers,
                   on_bad_image=config.on_bad_image, num_classes=num_classes, progress=config.progress,
                   dist=dist)

    def save_checkpoint():
        if not all(torch.isfinite(p).all() for p in raw.parameters()):
            raise TrainingDiverged(
                f"the weights became NaN or infinite by step {st['global_step']} (epoch {st['epoch'] + 1}, "
                f"lr {schedule.lr:g}); training stopped without overwriting the last checkpoint. Try a "
                f"smaller lr (e.g. lr={schedule.lr / 10:g}) or amp='off'.")
        st["wall_time_s"] = wall_before + time.perf_counter() - session_start
        st["bad"] = sorted(bad_seen)
        if ckpt_path is None:
            return
        rngs = dist.gather(_rng_state(aug_gen, device))
        if dist.main:
            _atomic_torch_save({
                "format": CHECKPOINT_FORMAT, "config": config.to_dict(), "epoch": st["epoch"],
                "model": raw.state_dict(), "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(), "rng": rngs, "world": dist.world,
                "stats": stats, "state": st, "crop_size": crop, "num_classes": num_classes,
                "channels": data.channels, "image_size": stored, "dataset": data.describe()},
                ckpt_path)
        dist.barrier()

    def interrupted():
        save_checkpoint()
        where = (f"saved checkpoint {ckpt_path} (epoch {st['epoch']}, step {st['global_step']}); "
                 "continue with resume=True (--resume)" if ckpt_path is not None
                 else "nothing saved (out_dir=None)")
        return KeyboardInterrupt(f"training interrupted; {where}")

    with _InterruptFlag() as interrupt:
        while st["epoch"] < config.epochs:
            epoch = st["epoch"]
            batches = epoch_batches(len(data.train), config.batch_size, config.seed, epoch, dist.world)
            mine = [b[dist.rank::dist.world] for b in batches[st["step_in_epoch"]:]]
            raw.train()
            bar = tqdm(total=len(batches), initial=st["step_in_epoch"], leave=False,
                       desc=f"epoch {epoch + 1}/{config.epochs}",
                       disable=not (config.progress and dist.main))
            seg_start, train_before = time.perf_counter(), st["epoch_train_time_s"]
            for images, labels, bad in _loader(data.train, mine, config.num_workers, device,
                                               config.seed * 1009 + epoch):
                _check_bad(bad, config.on_bad_image, bad_seen)
                images, labels = _to_device(images, labels, device)
                if len(labels):
                    images = augment(images)
                else:   # every image of this share was bad: take part in the step with none
                    images = torch.zeros(0, data.channels, crop, crop, device=device)
                if channels_last:
                    images = images.contiguous(memory_format=torch.channels_last)
                try:
                    out = train_step(model, optimizer, images, labels, amp_dtype=amp_dtype, dist=dist,
                                     stop=interrupt.set)
                except NonFiniteLoss as e:
                    kept = (f"the last good checkpoint {ckpt_path} was kept" if ckpt_path and ckpt_path.exists()
                            else "no checkpoint had been written yet")
                    raise TrainingDiverged(
                        f"the training loss became {e.args[0]} at step {st['global_step'] + 1} (epoch "
                        f"{epoch + 1}, lr {schedule.lr:g}); training stopped before that update and "
                        f"{kept}. Try a smaller lr (e.g. lr={schedule.lr / 10:g}), amp='off', or check "
                        "the input data for NaN values.") from None
                st["step_in_epoch"] += 1
                st["global_step"] += 1
                _add(st["acc"], out)
                _add(st["log_acc"], out)
                st["epoch_train_time_s"] = train_before + time.perf_counter() - seg_start
                bar.update(1)
                if config.log_every and st["global_step"] % config.log_every == 0:
                    la = st["log_acc"]
                    st["steps"].append({"step": st["global_step"], "epoch": epoch + 1, "lr": schedule.lr,
                                        "images": int(la["n"]), "train_loss": la["loss"] / la["n"],
                                        "train_top1_error": _err(la["c1"], la["n"])})
                    st["log_acc"] = _new_acc()
                    bar.set_postfix(loss=f"{st['steps'][-1]['train_loss']:.3f}",
                                    err=f"{st['steps'][-1]['train_top1_error']:.3f}")
                if out[4] > 0:   # Ctrl-C in some process: every process stops after this step
                    raise interrupted()
                if config.checkpoint_every_steps and st["global_step"] % config.checkpoint_every_steps == 0:
                    save_checkpoint()
            bar.close()
            acc, train_time = st["acc"], st["epoch_train_time_s"]
            st["train_time_s"] += train_time
            st["train_images"] += acc["n"]
            t_eval = time.perf_counter()
            val = evaluate(eval_model, data.val, desc="validation", **eval_kw)
            entry = {
                "epoch": epoch + 1, "lr": schedule.lr, "steps": st["global_step"],
                "train_loss": acc["loss"] / acc["n"] if acc["n"] else None,
                "train_top1_error": _err(acc["c1"], acc["n"]),
                "train_top5_error": _err(acc["c5"], acc["n"]) if num_classes > 5 else None,
                "val_loss": val["loss"], "val_top1_error": val["top1_error"],
                "val_top5_error": val["top5_error"],
                "epoch_time_s": train_time + time.perf_counter() - t_eval,
                "train_images_per_s": acc["n"] / train_time if train_time > 0 else None}
            st["history"].append(entry)
            new_lr = schedule.end_epoch(epoch + 1, val["top1_error"])
            if new_lr is not None:
                st["lr_drops"].append({"epoch": epoch + 1, "lr": new_lr})
                for g in optimizer.param_groups:
                    g["lr"] = new_lr
            if config.progress and dist.main:
                tqdm.write(f"epoch {epoch + 1}/{config.epochs}: train loss {entry['train_loss']:.4f}, "
                           f"top-1 error {entry['train_top1_error']:.4f} | val loss {val['loss']:.4f}, "
                           f"top-1 error {val['top1_error']:.4f}"
                           + (f" | lr -> {new_lr:g}" if new_lr is not None else ""))
            st.update(epoch=epoch + 1, step_in_epoch=0, acc=_new_acc(), epoch_train_time_s=0.0)
            save_checkpoint()
            if interrupt.set:
                raise interrupted()

    final = evaluate(eval_model, data.val, ten_crop=config.ten_crop_eval, desc="final evaluation", **eval_kw)
    bad_all = sorted(set().union(*dist.gather(bad_seen)))
    history = st["history"]
    record = {
        "kind": "training", "config": config.to_dict(), "profile": config.profile,
        "dataset": {**data.describe(), "crop_size": crop, "key": data.key(),
                    "statistics_images": stats["images"]},
        "model": {"name": config.model, "parameters": sum(p.numel() for p in raw.parameters()),
                  **getattr(raw, "config", {})},
        "hardware": {**records.hardware(str(device)), "processes": dist.world},
        "torch": records.torch_version(), "git_commit": records.git_commit(),
        "seed": config.seed, "started": st["started"], "finished": records.now_iso(),
        "wall_time_s": wall_before + time.perf_counter() - session_start,
        "train_time_s": st["train_time_s"],
        "images_per_s": st["train_images"] / st["train_time_s"] if st["train_time_s"] else None,
        "history": history, "steps": st["steps"], "lr_drops": st["lr_drops"], "resumes": st["resumes"],
        "bad_images": len(bad_all) + final["bad_images"], "bad_image_paths": bad_all[:20],
        "final": {"epochs": st["epoch"], "steps": st["global_step"],
                  "train_top1_error": history[-1]["train_top1_error"] if history else None,
                  "train_top5_error": history[-1]["train_top5_error"] if history else None,
                  **{f"val_{k}": v for k, v in final.items() if k != "bad_images"}},
    }
    if out_dir is not None and dist.main:
        records.save_record(record, out_dir, RECORD)
    return TrainResult(record, raw, data, stats["mean_image"])


# ---------------------------------------------------------------- evaluation of a checkpoint


def evaluate_checkpoint(path: str | os.PathLike, *, device: str = "auto", data_root: str | None = None,
                        batch_size: int | None = None, ten_crop: bool = True,
                        progress: bool = False, data=None) -> dict:
    """Centre-crop (and ten-crop) validation errors of the model in a checkpoint.

    The dataset is rebuilt from the checkpoint's configuration (``data_root`` overrides where
    it is read from; ``data`` gives the ``DataBundle`` directly).
    """
    from alexnet_repro.data import load_dataset

    state = load_checkpoint(path)
    cfg = TrainConfig.from_dict(state["config"])
    dev = select_device(device)
    if data is None:
        data = load_dataset(cfg.dataset, data_root or cfg.data_root, limit=cfg.limit, val_limit=cfg.val_limit,
                            image_size=cfg.image_size, seed=cfg.seed, on_bad_image=cfg.on_bad_image)
    now, then = ({k: v for k, v in d.items() if k != "source"} for d in (data.describe(), state["dataset"]))
    if now != then:
        raise ResumeError(f"the dataset now loaded differs from the one {state['path']} was trained on:\n"
                          f"  now {now}\n  then {then}")
    model = _build_model(cfg, state["channels"], state["num_classes"], state["crop_size"])
    model.load_state_dict(state["model"])
    model.to(dev)
    result = evaluate(model, data.val, mean=state["stats"]["mean_image"], crop_size=state["crop_size"],
                      batch_size=batch_size or cfg.batch_size, device=dev, ten_crop=ten_crop,
                      amp_dtype=_amp_dtype(cfg, dev),
                      num_workers=cfg.num_workers, on_bad_image=cfg.on_bad_image,
                      num_classes=state["num_classes"], progress=progress)
    return {"checkpoint": state["path"], "epoch": state["epoch"], "steps": state["state"]["global_step"],
            **result}


# ---------------------------------------------------------------- command line

_MODEL_FLAGS = ("width", "activation", "lrn", "overlap_pool", "dropout", "towers", "init", "dropout_style")


def _parser() -> argparse.ArgumentParser:
    S = argparse.SUPPRESS     # only options given on the command line override the defaults
    p = argparse.ArgumentParser(
        prog="python -m alexnet_repro train", argument_default=S,
        description="Train a model with the project's one training engine. Every option "
                    "defaults to TrainConfig's default (the paper's settings where it has them). "
                    "Several GPUs: torchrun --nproc_per_node N -m alexnet_repro train ...",
    )
    d = p.add_argument_group("data")
    d.add_argument("--config", help="JSON file of TrainConfig fields; options given here override it")
    d.add_argument("--dataset", help="fashion-mnist | cifar10 | imagenette | imagenet | synthetic")
    d.add_argument("--data-root", dest="data_root", help="folder the dataset is read from")
    d.add_argument("--download", action="store_true", help="download the dataset if missing (needs internet)")
    d.add_argument("--limit", type=int, help="class-balanced subset of the training set")
    d.add_argument("--val-limit", dest="val_limit", type=int, help="subset of the validation set")
    d.add_argument("--image-size", dest="image_size", type=int, help="stored image side (the paper's 256)")
    d.add_argument("--crop-size", dest="crop_size", type=int,
                   help="network input side; None = round(image_size*227/256)")
    d.add_argument("--augment", help="none | flip | crop_flip | paper")
    d.add_argument("--on-bad-image", dest="on_bad_image", help="skip (count them) | fail")
    d.add_argument("--num-workers", dest="num_workers", type=int, help="data loading processes")
    m = p.add_argument_group("model")
    m.add_argument("--model", help="alexnet | small_cnn")
    m.add_argument("--width", type=float, help="width multiplier of every hidden layer")
    m.add_argument("--activation", help="relu | tanh")
    m.add_argument("--lrn", dest="lrn", action="store_true", help="local response normalization on")
    m.add_argument("--no-lrn", dest="lrn", action="store_false", help="local response normalization off")
    m.add_argument("--pool", choices=("overlap", "plain"), help="overlapping (3/2) or plain (2/2) pooling")
    m.add_argument("--dropout", type=float, help="drop probability of fc6/fc7")
    m.add_argument("--dropout-style", dest="dropout_style", help="paper | inverted")
    m.add_argument("--towers", type=int, help="1, or 2 for the paper's two-GPU connectivity")
    m.add_argument("--init", help="paper | kaiming")
    m.add_argument("--model-arg", dest="model_arg", action="append", metavar="KEY=VALUE",
                   help="any other model argument (VALUE as JSON, e.g. --model-arg width=0.5)")
    t = p.add_argument_group("optimisation")
    t.add_argument("--epochs", type=int)
    t.add_argument("--batch-size", dest="batch_size", type=int, help="global batch size")
    t.add_argument("--lr", type=float, help="initial learning rate")
    t.add_argument("--momentum", type=float)
    t.add_argument("--weight-decay", dest="weight_decay", type=float)
    t.add_argument("--schedule", help="plateau | fixed | step:E1,E2,...")
    t.add_argument("--plateau-patience", dest="plateau_patience", type=int)
    t.add_argument("--max-lr-drops", dest="max_lr_drops", type=int)
    t.add_argument("--seed", type=int)
    r = p.add_argument_group("run")
    r.add_argument("--out", dest="out_dir", help="run folder: checkpoint.pt and record.json")
    r.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    r.add_argument("--checkpoint-every-steps", dest="checkpoint_every_steps", type=int,
                   help="also checkpoint every N steps (0 = every epoch only)")
    r.add_argument("--log-every", dest="log_every", type=int, help="record training error every N steps")
    r.add_argument("--device", help="auto | cpu | cuda | cuda:N | mps")
    r.add_argument("--amp", help="auto (bf16 on CUDA) | bf16 | off")
    r.add_argument("--channels-last", dest="channels_last", action="store_true")
    r.add_argument("--no-channels-last", dest="channels_last", action="store_false")
    r.add_argument("--compile", action="store_true", help="torch.compile the model")
    r.add_argument("--no-ten-crop", dest="ten_crop_eval", action="store_false",
                   help="skip the final ten-crop evaluation")
    r.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    r.add_argument("--profile", help="book profile to record")
    defaults = TrainConfig().to_dict()
    for action in p._actions:   # show TrainConfig's defaults in --help
        if action.dest in defaults and action.help is not None and action.nargs != 0:
            action.help += f" (default: {defaults[action.dest]})"
        elif action.dest in defaults and action.nargs != 0:
            action.help = f"(default: {defaults[action.dest]})"
    return p


def config_from_args(argv: list[str]) -> TrainConfig:
    """The ``TrainConfig`` the ``train`` command line describes."""
    ns = vars(_parser().parse_args(argv))
    base = {}
    if "config" in ns:
        try:
            base = json.loads(Path(ns.pop("config")).read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise ConfigError(f"cannot read --config: {e}") from None
    model_kwargs = dict(base.get("model_kwargs", {}))
    for item in ns.pop("model_arg", []):
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--model-arg expects KEY=VALUE, got {item!r}")
        try:
            model_kwargs[key] = json.loads(value)
        except json.JSONDecodeError:
            model_kwargs[key] = value
    if "pool" in ns:
        model_kwargs["overlap_pool"] = ns.pop("pool") == "overlap"
    for k in _MODEL_FLAGS:
        if k in ns:
            model_kwargs[k] = ns.pop(k)
    return TrainConfig.from_dict({**base, **ns, "model_kwargs": model_kwargs})


def _evaluate_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m alexnet_repro evaluate",
                                description="Centre-crop and ten-crop validation errors of a checkpoint.")
    p.add_argument("--checkpoint", required=True, help="run folder (holding checkpoint.pt) or checkpoint file")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    p.add_argument("--data-root", help="read the dataset from here instead of the recorded place")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--no-ten-crop", dest="ten_crop", action="store_false")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    a = p.parse_args(argv)
    res = evaluate_checkpoint(a.checkpoint, device=a.device, data_root=a.data_root,
                              batch_size=a.batch_size, ten_crop=a.ten_crop, progress=not a.json)
    if a.json:
        print(json.dumps(res))
        return 0

    def pct(v):
        return "n/a (fewer than 6 classes)" if v is None else f"{100 * v:.2f}%"

    print(f"{res['checkpoint']}: epoch {res['epoch']}, step {res['steps']}, {res['images']} validation images")
    print(f"  centre crop: top-1 error {pct(res['top1_error'])}, top-5 error {pct(res['top5_error'])}")
    if a.ten_crop:
        print(f"  ten crops:   top-1 error {pct(res['top1_error_ten_crop'])}, "
              f"top-5 error {pct(res['top5_error_ten_crop'])}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``train ...`` or ``evaluate ...`` (argv[0]); see ``--help`` of each."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("train", "evaluate"):
        print("usage: python -m alexnet_repro {train,evaluate} [options]", file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    from alexnet_repro.data import BadImageError, DatasetNotFound
    try:
        if command == "evaluate":
            return _evaluate_main(rest)
        config = config_from_args(rest)
        result = train(config)
    except KeyboardInterrupt as e:
        print(f"\n{e or 'interrupted'}", file=sys.stderr)
        return 130
    except TrainingDiverged as e:
        print(f"error: {e}", file=sys.stderr)
        return 3
    except (ConfigError, ResumeError, DatasetNotFound, BadImageError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    rec, fin = result.record, result.record["final"]
    if int(os.environ.get("RANK", "0")) == 0:
        top5 = "" if fin["val_top5_error"] is None else f", top-5 {100 * fin['val_top5_error']:.2f}%"
        print(f"trained {fin['epochs']} epochs ({fin['steps']} steps, {rec['wall_time_s']:.1f} s): "
              f"validation top-1 error {100 * fin['val_top1_error']:.2f}%{top5} (centre crop)")
        if fin.get("val_top1_error_ten_crop") is not None:
            t5 = fin.get("val_top5_error_ten_crop")
            print(f"  ten crops: top-1 {100 * fin['val_top1_error_ten_crop']:.2f}%"
                  + ("" if t5 is None else f", top-5 {100 * t5:.2f}%"))
        if config.out_dir:
            print(f"record: {Path(config.out_dir) / (RECORD + '.json')}")
    return 0
