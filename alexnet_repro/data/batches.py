"""In-memory datasets and batches: the :class:`DataBundle` every loader returns, class-balanced
subsets, images held as uint8 tensors, the one batch iterator (:func:`iter_batches`) and the
engine's seeded order of batches in an epoch (:func:`epoch_batches`); corrupt images are counted
or refused (:func:`check_bad`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from alexnet_repro.data.images import BadImage, BadImageError

BAD_IMAGE_MODES = ("skip", "fail")
EAGER_RESIZE_BYTES = 512 * 2**20  # above this, images are kept at native size and resized per batch


@dataclass
class DataBundle:
    name: str
    train: torch.utils.data.Dataset
    val: torch.utils.data.Dataset
    classes: list[str]
    channels: int
    image_size: int
    source: str
    info: dict = field(default_factory=dict)   # how it was made (limit, seed, splits, notes)

    def describe(self) -> dict:
        """JSON-serialisable description (for records and cache keys)."""
        return {"name": self.name, "source": self.source, "classes": len(self.classes),
                "channels": self.channels, "image_size": self.image_size,
                "train_images": len(self.train), "val_images": len(self.val), **self.info}

    def key(self) -> str:
        """Short stable hash of :meth:`describe` (identifies dataset + subset + size)."""
        blob = json.dumps(self.describe(), sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def fingerprint(self) -> str | None:
        """Hash of the images themselves (arrays, or file names and sizes for image folders), so
        that a resumed run notices other data behind the same description; None if a split's
        dataset cannot say (e.g. a wrapper without ``fingerprint``)."""
        parts = [getattr(split, "fingerprint", lambda: None)() for split in (self.train, self.val)]
        if None in parts:
            return None
        return hashlib.sha256("".join(parts).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- helpers

def collate(batch: Sequence[Any]) -> tuple[torch.Tensor, torch.Tensor, list[BadImage]]:
    """Stack good items into ``(images, labels)``; return the dropped :class:`BadImage` items.

    If every item is bad, ``images`` and ``labels`` are empty tensors (size 0 along dim 0).
    """
    good = [item for item in batch if not isinstance(item, BadImage)]
    bad = [item for item in batch if isinstance(item, BadImage)]
    if not good:
        return torch.empty(0), torch.empty(0, dtype=torch.long), bad
    images = torch.stack([img for img, _ in good])
    labels = torch.tensor([int(lab) for _, lab in good], dtype=torch.long)
    return images, labels, bad


def iter_batches(dataset, batches: Sequence[Sequence[int]], *, num_workers: int = 0,
                 pin_memory: bool = False, seed: int = 0
                 ) -> Iterator[tuple[torch.Tensor, torch.Tensor, list[BadImage]]]:
    """The one batch iterator: ``(images, labels, bad)`` for each list of indices in ``batches``.

    Uses the dataset's vectorised ``get_batch`` where it has one, else :func:`collate` of its
    items (bad images dropped and returned). ``num_workers > 0`` loads in that many
    DataLoader processes, whose generator is seeded with ``seed`` so that loading never draws
    from the global torch RNG (resumed runs stay exact).
    """
    batches = _IndexBatches(dataset, batches)
    if num_workers == 0:
        return (batches[k] for k in range(len(batches)))
    return iter(torch.utils.data.DataLoader(
        batches, batch_size=None, shuffle=False, num_workers=num_workers, pin_memory=pin_memory,
        generator=torch.Generator().manual_seed(seed)))


class _IndexBatches(torch.utils.data.Dataset):
    """Item k = the k-th batch (a list of indices) of ``dataset``, as (images, labels, bad)."""

    def __init__(self, dataset, batches):
        self.dataset, self.batches = dataset, batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, k):
        idx = self.batches[k]
        if hasattr(self.dataset, "get_batch"):
            images, labels = self.dataset.get_batch(idx)
            return images, labels, []
        return collate([self.dataset[int(i)] for i in idx])


def epoch_batches(n: int, batch_size: int, seed: int, epoch: int, world: int = 1) -> list[list[int]]:
    """Global batches of epoch ``epoch`` (0-based): a permutation of ``range(n)`` fixed by
    ``(seed, epoch)``, cut into ``batch_size`` pieces (the last may be smaller; with several
    processes it is dropped if it has fewer images than processes)."""
    perm = np.random.default_rng([seed, epoch]).permutation(n).tolist()
    out = [perm[i:i + batch_size] for i in range(0, n, batch_size)]
    if out and len(out[-1]) < world:
        out.pop()
    return out


def check_bad(bad: Sequence[BadImage], on_bad_image: str, seen: set) -> None:
    """Add the paths of ``bad`` to ``seen``, or raise :class:`BadImageError` (``"fail"``)."""
    for b in bad:
        if on_bad_image == "fail":
            raise BadImageError(
                f"cannot decode image {b.path} ({b.error}). Replace or delete the file, or set "
                "on_bad_image='skip' to count such images and go on.")
        seen.add(b.path)


def _hash_tensors(*tensors: torch.Tensor) -> str:
    h = hashlib.sha256()
    for t in tensors:
        h.update(str((t.dtype, tuple(t.shape))).encode())
        h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def balanced_subset(labels: Sequence[int] | np.ndarray | torch.Tensor, n: int | None,
                    seed: int = 0) -> np.ndarray:
    """Sorted indices of a seeded subset of ``n`` items, as equal per class as possible.

    Each class gets ``n // K`` items (K = number of classes present); the ``n % K`` left over
    go to randomly chosen classes. ``None`` (or ``n >= len``) returns every index.
    """
    labels = np.asarray(labels)
    if n is None or n >= len(labels):
        return np.arange(len(labels))
    if n < 0:
        raise ValueError(f"a subset size must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    pools = {c: rng.permutation(np.flatnonzero(labels == c)) for c in classes}
    quota = {c: 0 for c in classes}
    remaining = n
    while remaining > 0:  # hand out items round-robin; classes that run out are skipped
        open_classes = [c for c in classes if quota[c] < len(pools[c])]
        share, extra = divmod(remaining, len(open_classes))
        lucky = set(rng.choice(open_classes, size=extra, replace=False).tolist()) if extra else set()
        for c in open_classes:
            take = min(share + (c in lucky), len(pools[c]) - quota[c])
            quota[c] += take
            remaining -= take
    return np.sort(np.concatenate([pools[c][:quota[c]] for c in classes]))


def resize_batch(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize a (N, C, H, W) batch to ``size``×``size`` (bilinear, antialiased); float in [0, 1]."""
    x = images.float().div_(255.0) if images.dtype == torch.uint8 else images.float()
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True,
                          align_corners=False).clamp_(0.0, 1.0)
    return x


def _to_uint8(x: torch.Tensor) -> torch.Tensor:
    return (x * 255.0).round_().clamp_(0, 255).to(torch.uint8)


class TensorImages(torch.utils.data.Dataset):
    """Images held in memory as uint8 (N, C, H, W); items resized to ``size`` on the fly if needed."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, size: int | None = None):
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError(f"expected uint8 images (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
        self.size = int(size or images.shape[-1])
        n_bytes = images.shape[0] * images.shape[1] * self.size ** 2
        if images.shape[-1] != self.size and n_bytes <= EAGER_RESIZE_BYTES:
            images = torch.cat([_to_uint8(resize_batch(chunk, self.size))
                                for chunk in images.split(4096)])
        self.images = images
        self.labels = labels.long()

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return resize_batch(self.images[i].unsqueeze(0), self.size)[0], int(self.labels[i])

    def get_batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        """Float (n, C, size, size) images in [0, 1] and their labels, in one vectorised step."""
        idx = torch.as_tensor(indices, dtype=torch.long)   # index_select: ~20x faster than images[idx] on a CPU
        return resize_batch(self.images.index_select(0, idx), self.size), self.labels.index_select(0, idx)

    def fingerprint(self) -> str:
        """Hash of the stored pixels, labels and output size."""
        return _hash_tensors(self.images, self.labels, torch.tensor([self.size]))
