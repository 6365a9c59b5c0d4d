"""Devices and processes: which device a run uses, mixed precision, several processes, Ctrl-C,
and the process's memory allocator.

Several GPUs: launch with ``torchrun --nproc_per_node N -m alexnet_repro train ...``;
:func:`setup_dist` joins the process group torchrun describes (NCCL on CUDA, gloo on CPU).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import threading
from dataclasses import dataclass

import torch

from alexnet_repro.common.errors import ConfigError


@dataclass
class Dist:
    """This process's place among the run's processes (one process: rank 0 of 1)."""
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

    def close(self):
        if self.owned:
            torch.distributed.destroy_process_group()


_ALLOCATOR_TUNED = False


def keep_freed_memory() -> bool:
    """Ask glibc's allocator (Linux) to keep freed memory for reuse instead of returning it to the
    system: blocks up to 64 MiB from the heap rather than fresh ``mmap`` pages, and up to 1 GiB
    of free heap kept. A training step on a CPU frees and allocates the same tensors every step;
    by default many come back as new pages, each zero-filled by the kernel on first touch: a run
    of the augmentation chapter's network took about 41,000 page faults by default and 70 with
    this. In an A/B of the engine on one thread, relu_vs_tanh's SmallCNN trained about 1.5 times
    faster with it; the other chapters' networks moved within the noise. Costs: the process
    holds up to 1 GiB it has freed. Idempotent; False where there is no glibc."""
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED:
        return True
    name = ctypes.util.find_library("c") if os.name == "posix" else None
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):   # no C library with mallopt (macOS)
        mallopt = None
    if mallopt is None:
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    _ALLOCATOR_TUNED = bool(mallopt(M_MMAP_THRESHOLD, 64 << 20)) and bool(mallopt(M_TRIM_THRESHOLD, 1 << 30))
    return _ALLOCATOR_TUNED


def setup_dist(device_pref: str) -> Dist:
    """Join the process group of a ``torchrun`` launch (WORLD_SIZE > 1), else one process."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return Dist(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", dist.get_rank())))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    local = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and device_pref in ("auto", "cuda")
    if use_cuda:
        torch.cuda.set_device(local)
    dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    return Dist(dist.get_rank(), dist.get_world_size(), local, owned=True)


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and mps.is_available()


def select_device(pref: str = "auto", local_rank: int = 0) -> torch.device:
    """``"auto"``: CUDA (this process's GPU) if present, else Apple MPS, else CPU."""
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank % torch.cuda.device_count())
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    try:
        dev = torch.device(pref)
    except RuntimeError:
        raise ConfigError(f"unknown device {pref!r}; use 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {pref!r} asked for, but torch sees no CUDA GPU; use device='auto' or 'cpu'")
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", local_rank % torch.cuda.device_count())
    if dev.type == "mps" and not _mps_available():
        raise ConfigError("device 'mps' asked for, but MPS is not available; use device='auto' or 'cpu'")
    return dev


def amp_dtype(amp: str, device: torch.device):
    """The autocast dtype of ``TrainConfig.amp`` on ``device`` ("auto" = bf16 on CUDA), or None."""
    if amp == "bf16" or (amp == "auto" and device.type == "cuda"):
        return torch.bfloat16
    return None


class InterruptFlag:
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
