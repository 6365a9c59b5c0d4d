"""Prepared datasets: the shard format, a batch loader that decodes on the device, and small
datasets held on the device.

**Format** (written by :mod:`alexnet_repro.data.prepare`; one folder per prepared dataset)::

    meta.json                  dataset, classes, image size, JPEG quality, splits, skipped files
    stats.pt                   mean image (C,S,S), channel mean, RGB PCA of the training split
    train-00000.data           JPEG files back to back (the images at S×S, already preprocessed)
    train-00000.index.npy      int64 (n, 3): byte offset, byte length, label of each image
    ...                        val-00000.data / .index.npy likewise
    train-images.npy           (``kind="raw"`` datasets, e.g. CIFAR-10: uint8 (N, C, H, W))
    train-labels.npy

A plain data file + index pair rather than WebDataset tar shards: images are read by random
access through ``numpy.memmap``, so an epoch visits them in exactly the engine's seeded
permutation (the same order as the PIL folder path), resume mid-epoch is a step count, and DDP
ranks take every ``world``-th image of each global batch; tar shards are read sequentially and
shuffled at shard level plus a buffer, which gives neither. ``benchmarks/bench_input.py``
measures both readers (random mmap reads vs sequential tar reads) on the same bytes; and no
dependency is added.

**Loading.** :class:`PreparedImages` is a dataset like :class:`~alexnet_repro.data.registry.FolderImages`
(items ``(float (C,S,S) in [0,1], label)``, plus ``get_batch``), so the engine's DataLoader path
works unchanged; :meth:`PreparedImages.device_batches` decodes whole batches with
``torchvision.io.decode_jpeg`` on the target device (batched nvJPEG on CUDA with
torchvision >= 0.19, one call per image with older versions, CPU otherwise) while a thread
reads the next batch's bytes. :class:`DeviceImages` keeps a uint8 dataset on the device
and batches there. :func:`make_train_iterator` is the one call the engine needs.
"""
from __future__ import annotations

import importlib.metadata
import json
import queue
import threading
from pathlib import Path

import numpy as np
import torch

from alexnet_repro.data.batches import (
    DataBundle,
    TensorImages,
    balanced_subset,
    collate,
    epoch_batches,
)
from alexnet_repro.data.stats import PCA, TrainingStats

FORMAT = "alexnet-repro-shards-1"
META = "meta.json"
STATS = "stats.pt"
SPLITS = ("train", "val")
DEVICE_BYTES = 2 * 2**30   # small datasets up to this many uint8 bytes live on the device
DEVICE_INPUT = ("cuda",)   # device types whose data is batched on the device (no DataLoader)


class NotPrepared(FileNotFoundError):
    """A folder is not a prepared dataset; the message says how to make one."""


def _tv_version() -> tuple[int, int]:
    """torchvision's version from its package metadata (importing torchvision takes seconds,
    and only decoding needs it)."""
    try:
        text = importlib.metadata.version("torchvision")
    except importlib.metadata.PackageNotFoundError:
        import torchvision
        text = torchvision.__version__
    major, minor = text.split("+")[0].split(".")[:2]
    return int(major), int(minor)


BATCHED_CUDA_DECODE = _tv_version() >= (0, 19)   # decode_jpeg(list, device="cuda")


def shard_name(split: str, k: int) -> str:
    return f"{split}-{k:05d}"


def read_meta(root: str | Path) -> dict:
    path = Path(root) / META
    if not path.is_file() and (Path(root) / "plan.json").is_file():
        raise NotPrepared(f"{root} is only partly prepared; run the same `prepare` command again "
                          "to finish it (it resumes where it stopped).")
    if not path.is_file():
        raise NotPrepared(f"{root} is not a prepared dataset (no {META}). Make one with "
                          "`python -m alexnet_repro prepare imagenet SRC DST` (or imagenette/cifar10).")
    meta = json.loads(path.read_text())
    if meta.get("format") != FORMAT:
        raise NotPrepared(f"{path} has format {meta.get('format')!r}, this code reads {FORMAT!r}; "
                          "prepare the dataset again with this version.")
    if not meta.get("complete"):
        raise NotPrepared(f"{root} is only partly prepared; run the same `prepare` command again "
                          "to finish it (it resumes where it stopped).")
    return meta


def read_stats(root: str | Path) -> TrainingStats:
    d = torch.load(Path(root) / STATS, weights_only=True)
    return TrainingStats(d["mean_image"], d["channel_mean"], PCA(d["eigenvalues"], d["eigenvectors"]),
                         int(d["images"]))


# --------------------------------------------------------------------------- decoding

def decode_batch(blobs: list[torch.Tensor], device: torch.device | str = "cpu") -> torch.Tensor:
    """Decode JPEG byte tensors (uint8, 1-D) of equal-sized images to uint8 (N, C, H, W) on
    ``device``: batched nvJPEG on CUDA (torchvision >= 0.19; one call per image before), the
    CPU decoder otherwise."""
    from torchvision.io import decode_jpeg  # here: importing torchvision takes seconds
    device = torch.device(device)
    if device.type == "cuda":
        if BATCHED_CUDA_DECODE:
            return torch.stack(decode_jpeg(blobs, device=device))
        return torch.stack([decode_jpeg(b, device=device) for b in blobs])
    out = torch.stack([decode_jpeg(b) for b in blobs])
    return out if device.type == "cpu" else out.to(device)


# --------------------------------------------------------------------------- datasets

class PreparedImages(torch.utils.data.Dataset):
    """One split of a prepared (JPEG shard) dataset; ``indices`` selects a subset."""

    def __init__(self, root: str | Path, split: str, indices: np.ndarray | None = None):
        self.root, self.split = Path(root), split
        meta = read_meta(root)
        self.size, self.channels = int(meta["image_size"]), int(meta["channels"])
        rows, shard_of = [], []
        for k in range(meta["splits"][split]["shards"]):
            idx = np.load(self.root / f"{shard_name(split, k)}.index.npy")
            rows.append(idx)
            shard_of.append(np.full(len(idx), k, dtype=np.int64))
        table = np.concatenate(rows) if rows else np.zeros((0, 3), np.int64)
        shard = np.concatenate(shard_of) if shard_of else np.zeros(0, np.int64)
        keep = np.arange(len(table)) if indices is None else np.asarray(indices, dtype=np.int64)
        self.offset, self.length, self.shard = table[keep, 0], table[keep, 1], shard[keep]
        self.labels = torch.from_numpy(table[keep, 2].copy())
        self._maps: dict[int, np.memmap] = {}

    def __getstate__(self):   # DataLoader workers open their own memory maps
        return {**self.__dict__, "_maps": {}}

    def __len__(self) -> int:
        return len(self.labels)

    def jpeg(self, i: int) -> torch.Tensor:
        """The stored JPEG bytes of image ``i`` (uint8, 1-D)."""
        k = int(self.shard[i])
        if k not in self._maps:
            self._maps[k] = np.memmap(self.root / f"{shard_name(self.split, k)}.data", dtype=np.uint8, mode="r")
        o = int(self.offset[i])
        return torch.from_numpy(np.array(self._maps[k][o:o + int(self.length[i])]))

    def __getitem__(self, i: int):
        from torchvision.io import (
            decode_jpeg,  # here: importing torchvision takes seconds
        )
        return decode_jpeg(self.jpeg(i)).float() / 255.0, int(self.labels[i])

    def get_batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """Float (n, C, S, S) in [0, 1] and labels, decoded on the CPU (the DataLoader path)."""
        idx = [int(i) for i in indices]
        return decode_batch([self.jpeg(i) for i in idx]).float() / 255.0, self.labels[idx]

    def device_batches(self, batches: list[list[int]], device: torch.device | str, prefetch: int = 3):
        """Yield ``(float images (n, C, S, S) in [0, 1], labels)`` on ``device`` for each list of
        indices in ``batches``; a thread reads the bytes of the next ``prefetch`` batches."""
        device = torch.device(device)
        q: queue.Queue = queue.Queue(maxsize=max(1, prefetch))
        stop = threading.Event()

        def reader():
            try:
                for b in batches:
                    if stop.is_set():
                        return
                    q.put(([self.jpeg(int(i)) for i in b], self.labels[[int(i) for i in b]]))
            except BaseException as err:  # noqa: BLE001 - handed to the consumer and raised there
                q.put(err)
                return
            q.put(None)

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        try:
            while (item := q.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                blobs, labels = item
                images = decode_batch(blobs, device).float().div_(255.0)
                yield images, labels.to(device, non_blocking=True)
        finally:
            stop.set()
            while thread.is_alive():   # unblock a reader waiting on a full queue
                try:
                    q.get_nowait()
                except queue.Empty:
                    thread.join(0.01)


class DeviceImages(torch.utils.data.Dataset):
    """A uint8 (N, C, H, W) dataset moved to ``device`` once; batches are cut there (no
    DataLoader, no copies from the host). Same items and ``get_batch`` as ``TensorImages``."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, device: torch.device | str):
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError(f"expected uint8 images (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
        self.device = torch.device(device)
        self.images, self.labels = images.to(self.device), labels.long().to(self.device)
        self.size = int(images.shape[-1])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.images[i].float() / 255.0, int(self.labels[i])

    def get_batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.as_tensor(list(indices), dtype=torch.long, device=self.device)
        return self.images[idx].float() / 255.0, self.labels[idx]

    def device_batches(self, batches: list[list[int]], device=None, prefetch: int = 0):
        for b in batches:
            yield self.get_batch(b)


def on_device(dataset, device: torch.device | str, max_bytes: int = DEVICE_BYTES) -> DeviceImages | None:
    """``dataset`` as :class:`DeviceImages` when it is an in-memory uint8 dataset at its stored
    size of at most ``max_bytes`` (CIFAR-10, Fashion-MNIST); ``None`` otherwise."""
    if isinstance(dataset, DeviceImages):
        return dataset
    if not isinstance(dataset, TensorImages) or dataset.images.shape[-1] != dataset.size:
        return None
    if dataset.images.numel() > max_bytes:
        return None
    return DeviceImages(dataset.images, dataset.labels, device)


def device_input(dataset, device: torch.device | str) -> bool:
    """Whether the engine batches ``dataset`` on ``device`` itself (``device_batches``, no
    DataLoader): on CUDA, for :class:`DeviceImages` and :class:`PreparedImages`."""
    return torch.device(device).type in DEVICE_INPUT and hasattr(dataset, "device_batches")


def for_device(dataset, device: torch.device | str):
    """``dataset`` as the engine reads it on ``device``: moved there (:func:`on_device`) when it
    is a small uint8 dataset and ``device`` is one of ``DEVICE_INPUT``; else ``dataset`` itself."""
    if torch.device(device).type not in DEVICE_INPUT:
        return dataset
    return on_device(dataset, device) or dataset


# --------------------------------------------------------------------------- the engine's call

class TrainIterator:
    """This process's batches of one epoch from ``start_step`` on; ``len()`` = batches left;
    ``position`` = the step in the epoch the next batch is (the resume state with ``epoch``)."""

    def __init__(self, dataset, batches: list[list[int]], start_step: int, device, prefetch: int):
        self.dataset, self.batches, self.position = dataset, batches, start_step
        self.device, self.prefetch = torch.device(device), prefetch

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        if hasattr(self.dataset, "device_batches"):
            source = self.dataset.device_batches(self.batches, self.device, self.prefetch)
        else:   # any other dataset: items decoded here, in this process
            source = (collate([self.dataset[i] for i in b])[:2] for b in self.batches)
        for images, labels in source:
            self.position += 1
            yield images.to(self.device, non_blocking=True), labels.to(self.device, non_blocking=True)


def make_train_iterator(dataset, *, batch_size: int, seed: int, epoch: int, rank: int = 0,
                        world: int = 1, start_step: int = 0, device: torch.device | str = "cpu",
                        prefetch: int = 3) -> TrainIterator:
    """The engine's input for one epoch without a DataLoader.

    Inputs: ``dataset`` (a :class:`PreparedImages`, :class:`DeviceImages`, or any dataset of
    ``(image, label)`` items), the global ``batch_size``, the run's ``seed``, the 0-based
    ``epoch``, this process's ``rank`` of ``world``, and ``start_step`` (batches of this epoch
    already done: exact resume mid-epoch). Output: a :class:`TrainIterator` yielding
    ``(images float (n, C, S, S) in [0, 1] on device, labels on device)``, where each global batch
    of ``data.epoch_batches`` is split across ranks as ``batch[rank::world]`` (disjoint, covering).
    Feed the images to the engine's ``BatchAugment`` as now.
    """
    if not 0 <= rank < world:
        raise ValueError(f"rank {rank} is not in 0..{world - 1}")
    batches = epoch_batches(len(dataset), batch_size, seed, epoch, world)
    if not 0 <= start_step <= len(batches):
        raise ValueError(f"start_step {start_step} is outside the epoch's {len(batches)} batches")
    mine = [b[rank::world] for b in batches[start_step:]]
    return TrainIterator(dataset, mine, start_step, device, prefetch)


# --------------------------------------------------------------------------- as a DataBundle

def load_prepared(root: str | Path, *, limit: int | None = None, val_limit: int | None = None,
                  seed: int = 0, image_size: int | None = None) -> DataBundle:
    """A prepared folder as a :class:`~alexnet_repro.data.registry.DataBundle` (seeded class-balanced
    subsets as ``load_dataset``); ``bundle.prepared_stats`` holds the whole training split's
    mean image and PCA (an ``augment.TrainingStats``)."""
    if root is None:
        raise NotPrepared("dataset 'prepared' needs root=<folder made by `python -m alexnet_repro "
                          "prepare imagenet SRC DST`> (--data-root DST)")
    meta = read_meta(root)
    if image_size is not None and int(image_size) != int(meta["image_size"]):
        raise ValueError(f"{root} holds {meta['image_size']} px images; prepare it again to get "
                         f"{image_size} px, or leave image_size unset.")
    root = Path(root)
    splits = {}
    for split, n, split_seed in (("train", limit, seed), ("val", val_limit, seed + 1)):
        if meta["kind"] == "raw":
            images = torch.from_numpy(np.load(root / f"{split}-images.npy"))
            labels = torch.from_numpy(np.load(root / f"{split}-labels.npy")).long()
            keep = torch.from_numpy(balanced_subset(labels.numpy(), n, split_seed))
            splits[split] = TensorImages(images[keep], labels[keep])
        else:
            full = PreparedImages(root, split)
            splits[split] = PreparedImages(root, split, balanced_subset(full.labels.numpy(), n, split_seed))
    info = {"limit": limit, "val_limit": val_limit, "seed": seed, "prepared": str(root),
            "jpeg_quality": meta.get("quality")}
    bundle = DataBundle(meta["dataset"], splits["train"], splits["val"], list(meta["classes"]),
                        int(meta["channels"]), int(meta["image_size"]), meta["source"], info)
    bundle.prepared_stats = read_stats(root)   # the whole training split's, from `prepare`
    return bundle
