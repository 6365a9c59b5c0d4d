"""The configuration of a training run: :class:`TrainConfig`, a dataclass of plain values (saved
in every checkpoint and record), checked when it is made. ``alexnet_repro.engine.loop`` trains one.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import os
from dataclasses import dataclass, field

from alexnet_repro.common.errors import ConfigError
from alexnet_repro.data.augment import AUGMENTS
from alexnet_repro.data.batches import BAD_IMAGE_MODES
from alexnet_repro.engine.schedule import parse_schedule
from alexnet_repro.quoted.paper import PAPER

_P = PAPER["training"]
AMP_MODES = ("auto", "bf16", "off")
#: Environment variable with the number of threads of each training process of a book build
#: (``python -m alexnet_repro book --threads N``; read by ``bookrun.notebook.kernel_threads``).
THREADS_ENV = "ALEXNET_THREADS"


@dataclass
class TrainConfig:
    """Everything a training run depends on (JSON-serialisable; see the module docstring).

    ``image_size`` is the stored side the dataset is resized to (the paper's 256; ``None`` =
    the dataset's own). ``crop_size`` is the network input: random crops of it in training
    (``augment`` "crop_flip"/"paper"), the centre crop otherwise and in evaluation; ``None`` =
    ``round(image_size * 227 / 256)`` (the paper's 224-of-256 patches, which the layer
    arithmetic makes 227). ``log_every``: training error every that many steps (0 = per epoch
    only), measured on the training batches as trained (dropout on). ``eval_train_every``
    (a multiple of ``log_every``; 0 = never): every that many steps also the top-1 error and
    loss in evaluation mode (dropout off, centre crop) on ``eval_train_images`` training images
    fixed for the run, in that step's log entry as ``eval_train_top1_error``/``eval_train_loss``.
    ``stop_at_error`` (None = never): the run stops, after validating, at the first logged step
    where the mean of the last ``stop_window`` logged training errors is at most this (a
    steps-to-target measurement needs nothing after it; the record's ``final.stopped_at_step``).
    ``amp``: "auto" = bf16 autocast on CUDA. ``channels_last``: None = on (the
    faster layout on CPU too for the book's networks).
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
    eval_train_every: int = 0
    eval_train_images: int = 256
    stop_at_error: float | None = None
    stop_window: int = 1
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
        need(self.eval_train_every >= 0 and (self.eval_train_every == 0 or (
            self.log_every > 0 and self.eval_train_every % self.log_every == 0)),
            f"eval_train_every must be 0 or a multiple of log_every ({self.log_every}), got "
            f"{self.eval_train_every!r}: the eval-mode error is stored in the step log")
        need(self.stop_at_error is None or (0 <= self.stop_at_error <= 1 and self.log_every > 0),
             f"stop_at_error must be None or a training error in [0, 1] with log_every > 0, got "
             f"{self.stop_at_error!r} (log_every {self.log_every})")
        need(isinstance(self.stop_window, int) and self.stop_window >= 1,
             f"stop_window must be >= 1, got {self.stop_window!r}")
        need(self.eval_train_images >= 1, f"eval_train_images must be >= 1, got {self.eval_train_images!r}")
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
            hints = [f"{k!r} (did you mean {m[0]!r}?)" if (m := difflib.get_close_matches(k, names, 1))
                     else repr(k) for k in unknown]
            raise ConfigError(f"unknown training option(s) {', '.join(hints)}; valid names: "
                              f"{', '.join(names)}")
        return cls(**d)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def replace(self, **changes) -> "TrainConfig":
        return TrainConfig.from_dict({**self.to_dict(), **changes})
