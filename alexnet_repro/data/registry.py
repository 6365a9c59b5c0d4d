"""Datasets by name, seeded class-balanced subsets, resizing, and clear errors.

``load_dataset(name, ...)`` returns a :class:`DataBundle` whose ``train``/``val`` items are
``(float32 tensor C×H×W in [0, 1], int label)``, or a :class:`BadImage` for an image that could
not be decoded (``on_bad_image="skip"``). In-memory datasets also offer
``get_batch(indices) -> (images, labels)``, a vectorised path for the training engine.

Names: the registry ``REGISTRY`` (name -> loader, one-line description, native image side);
``DATASETS`` is its list of names. Adding a dataset is one loader function (the signature of
:func:`_load_synthetic`) and one registry line. ``iter_batches`` is the one batch iterator;
``epoch_batches`` the engine's seeded order of batches in an epoch.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from alexnet_repro.data.batches import (
    BAD_IMAGE_MODES,
    DataBundle,
    TensorImages,
    _hash_tensors,
    balanced_subset,
)

from alexnet_repro.data.cifar10 import (
    CIFAR10_BATCHES,
    read_cifar10,
    read_cifar10_classes,
)
from alexnet_repro.data.fashion_mnist import (
    FMNIST_FILES,
    find_idx_dir,
    idx_file,
    read_idx,
)
from alexnet_repro.data.images import (
    IMAGE_EXTENSIONS,
    PAPER_STORED_SIZE,
    FolderImages,
    scan_folder,
)
from alexnet_repro.data.shards import load_prepared

FASHION_MNIST_DEBIAN = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck"]
DEFAULT_ROOT = "data"            # torchvision root used when downloading with no root given


class DatasetNotFound(FileNotFoundError):
    """A dataset is not where it was looked for; the message names the paths and the fix."""


# --------------------------------------------------------------------------- fashion-mnist

def _fashion_mnist(root, download: bool) -> tuple[dict, str]:
    if root is not None:
        candidates = [Path(root), Path(root) / "FashionMNIST" / "raw"]
    else:
        candidates = [FASHION_MNIST_DEBIAN, Path(DEFAULT_ROOT) / "FashionMNIST" / "raw"]
    folder = find_idx_dir(candidates)
    if folder is None and download:
        import torchvision
        tv_root = Path(root) if root is not None else Path(DEFAULT_ROOT)
        for train in (True, False):
            torchvision.datasets.FashionMNIST(str(tv_root), train=train, download=True)
        folder = find_idx_dir([tv_root / "FashionMNIST" / "raw"])
    if folder is None:
        looked = "\n  ".join(str(c) for c in candidates)
        raise DatasetNotFound(
            "Fashion-MNIST not found. Looked for train-images-idx3-ubyte[.gz], "
            "train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] in:\n  "
            f"{looked}\nFix: `sudo apt-get install dataset-fashion-mnist` (installs {FASHION_MNIST_DEBIAN}), "
            "or with internet: load_dataset('fashion-mnist', root='data', download=True), i.e. "
            "`python -c \"import torchvision; torchvision.datasets.FashionMNIST('data', download=True)\"` "
            "and pass root='data'.")
    arrays = {}
    for split, (img_stem, lab_stem) in FMNIST_FILES.items():
        images = read_idx(idx_file(folder, img_stem))
        labels = read_idx(idx_file(folder, lab_stem))
        if images.ndim != 3 or labels.shape != (images.shape[0],):
            raise ValueError(f"Fashion-MNIST files in {folder} do not match: images "
                             f"{images.shape}, labels {labels.shape}; replace them.")
        arrays[split] = (torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64)))
    return arrays, str(folder)


# --------------------------------------------------------------------------- cifar10

def _cifar10(root, download: bool) -> tuple[dict, str]:
    tv_root = Path(root) if root is not None else Path(DEFAULT_ROOT)
    folder = tv_root / "cifar-10-batches-py"
    missing = [n for names in CIFAR10_BATCHES.values() for n in names if not (folder / n).is_file()]
    if missing and download:
        import torchvision  # only the download needs it
        torchvision.datasets.CIFAR10(str(tv_root), train=True, download=True)
        missing = [n for names in CIFAR10_BATCHES.values() for n in names if not (folder / n).is_file()]
    if missing:
        raise DatasetNotFound(
            f"CIFAR-10 not found in {folder} (missing {', '.join(missing)}).\nFix (needs internet): "
            f"load_dataset('cifar10', root='{tv_root}', download=True), i.e. "
            f"`python -c \"import torchvision; torchvision.datasets.CIFAR10('{tv_root}', download=True)\"`; "
            f"or extract cifar-10-python.tar.gz into {tv_root}.")
    arrays = {split: (torch.from_numpy(x), torch.from_numpy(y)) for split, (x, y) in read_cifar10(folder).items()}
    return arrays, str(folder)


# --------------------------------------------------------------------------- image folders

def _folder_dataset(name: str, base: Path, size: int, limit, val_limit, seed, on_bad_image, how_to: str):
    missing = [str(base / s) for s in ("train", "val") if not (base / s).is_dir()]
    if missing:
        raise DatasetNotFound(
            f"{name} not found: missing folder(s) {', '.join(missing)}. Expected layout: "
            f"{base}/train/<wnid>/*.JPEG and {base}/val/<wnid>/*.JPEG (val sorted into class folders).\n"
            f"Fix: {how_to}")
    out, classes = {}, None
    for split, n, split_seed in (("train", limit, seed), ("val", val_limit, seed + 1)):
        files, labels, split_classes = scan_folder(base / split)
        if not files:
            raise DatasetNotFound(f"{name}: no image files ({', '.join(IMAGE_EXTENSIONS)}) under "
                                  f"{base / split}/<class>/. Fix: {how_to}")
        if classes is None:
            classes = split_classes
        elif split_classes != classes:
            raise ValueError(f"{name}: class folders of {base / 'val'} differ from {base / 'train'}; "
                             "both splits need the same class folders.")
        keep = balanced_subset(labels, n, split_seed)
        out[split] = FolderImages([files[i] for i in keep], [labels[i] for i in keep], size, on_bad_image)
    return out["train"], out["val"], classes


# --------------------------------------------------------------------------- synthetic

class SyntheticImages(torch.utils.data.Dataset):
    """Deterministic generated images: class ``c`` is a grating with a class-specific frequency and
    orientation per channel, at a random phase, plus noise. Learnable; item ``i`` has label ``i % K``.
    """

    def __init__(self, n: int, size: int, channels: int, num_classes: int, seed: int, split: str):
        self.n, self.size, self.channels, self.num_classes = n, size, channels, num_classes
        self.seed, self.split_id = seed, {"train": 0, "val": 1}[split]
        g = torch.Generator().manual_seed(seed)
        self.freq = 1.0 + 3.0 * torch.rand(num_classes, channels, generator=g)      # cycles per image
        self.angle = torch.pi * torch.rand(num_classes, channels, generator=g)
        self.labels = torch.arange(n) % num_classes
        coords = torch.arange(size, dtype=torch.float32) / size
        self._yy, self._xx = torch.meshgrid(coords, coords, indexing="ij")

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int):
        if not 0 <= i < self.n:
            raise IndexError(f"index {i} out of range for {self.n} synthetic images")
        state = np.random.SeedSequence([self.seed, self.split_id, i]).generate_state(1)[0]
        g = torch.Generator().manual_seed(int(state))
        c = int(self.labels[i])
        phase = 2 * torch.pi * torch.rand(self.channels, 1, 1, generator=g)
        f, a = self.freq[c].view(-1, 1, 1), self.angle[c].view(-1, 1, 1)
        wave = torch.sin(2 * torch.pi * f * (self._xx * torch.cos(a) + self._yy * torch.sin(a)) + phase)
        noise = torch.randn(self.channels, self.size, self.size, generator=g)
        return (0.5 + 0.3 * wave + 0.1 * noise).clamp_(0.0, 1.0), c

    def get_batch(self, indices) -> tuple[torch.Tensor, torch.Tensor]:
        items = [self[int(i)] for i in indices]
        return torch.stack([x for x, _ in items]), torch.tensor([y for _, y in items])

    def fingerprint(self) -> str:
        """Hash of everything the images are generated from."""
        shape = torch.tensor([self.n, self.size, self.channels, self.num_classes, self.seed, self.split_id])
        return _hash_tensors(shape, self.freq, self.angle)


# --------------------------------------------------------------------------- the registry

def _load_synthetic(root, *, limit, val_limit, image_size, seed, download, on_bad_image,
                    channels=None, num_classes=None) -> DataBundle:
    size, ch, k = int(image_size or 32), int(channels or 3), int(num_classes or 10)
    n_train, n_val = (1024 if limit is None else limit), (256 if val_limit is None else val_limit)
    train = SyntheticImages(n_train, size, ch, k, seed, "train")
    val = SyntheticImages(n_val, size, ch, k, seed, "val")
    return DataBundle("synthetic", train, val, [f"class {i}" for i in range(k)], ch, size, "generated",
                      {"limit": limit, "val_limit": val_limit, "seed": seed,
                       "note": "generated gratings, class = frequency and orientation"})


def _arrays_bundle(name, arrays, source, classes, *, limit, val_limit, image_size, seed, val_split):
    size = int(image_size or arrays["train"][0].shape[-1])
    splits = {}
    for split, n, split_seed in (("train", limit, seed), ("val", val_limit, seed + 1)):
        images, labels = arrays[split]
        keep = torch.from_numpy(balanced_subset(labels.numpy(), n, split_seed))
        splits[split] = TensorImages(images[keep], labels[keep], size)
    return DataBundle(name, splits["train"], splits["val"], list(classes), int(arrays["train"][0].shape[1]),
                      size, source, {"limit": limit, "val_limit": val_limit, "seed": seed,
                                     "val_split": val_split})


def _load_fashion_mnist(root, *, limit, val_limit, image_size, seed, download, on_bad_image) -> DataBundle:
    arrays, source = _fashion_mnist(root, download)
    return _arrays_bundle("fashion-mnist", arrays, source, FASHION_MNIST_CLASSES, limit=limit,
                          val_limit=val_limit, image_size=image_size, seed=seed,
                          val_split="official test set (t10k)")


def _load_cifar10(root, *, limit, val_limit, image_size, seed, download, on_bad_image) -> DataBundle:
    arrays, source = _cifar10(root, download)
    classes = read_cifar10_classes(source) or CIFAR10_CLASSES
    return _arrays_bundle("cifar10", arrays, source, classes, limit=limit, val_limit=val_limit,
                          image_size=image_size, seed=seed, val_split="official test batch")


def _load_imagenette(root, *, limit, val_limit, image_size, seed, download, on_bad_image) -> DataBundle:
    import torchvision  # heavy; only this loader needs it
    size = int(image_size or PAPER_STORED_SIZE)
    tv_root = Path(root) if root is not None else Path(DEFAULT_ROOT)
    base = tv_root / "imagenette2-320"
    if download and not (base / "train").is_dir():
        for split in ("train", "val"):
            torchvision.datasets.Imagenette(str(tv_root), split=split, size="320px", download=True)
    how_to = (f"with internet: load_dataset('imagenette', root='{tv_root}', download=True), i.e. "
              f"`python -c \"import torchvision; torchvision.datasets.Imagenette('{tv_root}', "
              "size='320px', download=True)\"`.")
    train, val, wnids = _folder_dataset("imagenette", base, size, limit, val_limit, seed, on_bad_image, how_to)
    names = torchvision.datasets.Imagenette._WNID_TO_CLASS
    classes = [names[w][0] if w in names else w for w in wnids]
    return DataBundle("imagenette", train, val, classes, 3, size, str(base),
                      {"limit": limit, "val_limit": val_limit, "seed": seed, "val_split": "official val"})


def _load_imagenet(root, *, limit, val_limit, image_size, seed, download, on_bad_image) -> DataBundle:
    if root is None:
        raise DatasetNotFound(
            "ImageNet (ILSVRC-2012) needs root=<folder> holding train/<wnid>/*.JPEG and "
            "val/<wnid>/*.JPEG. Download the archives from https://image-net.org (registration "
            "needed) and sort val into class folders (e.g. with the valprep.sh script).")
    base, size = Path(root), int(image_size or PAPER_STORED_SIZE)
    how_to = ("download ILSVRC2012_img_train.tar / ILSVRC2012_img_val.tar from https://image-net.org, "
              f"extract to {base}/train/<wnid>/ and {base}/val/<wnid>/ (sort val by its ground truth).")
    train, val, wnids = _folder_dataset("imagenet", base, size, limit, val_limit, seed, on_bad_image, how_to)
    return DataBundle("imagenet", train, val, wnids, 3, size, str(base),
                      {"limit": limit, "val_limit": val_limit, "seed": seed,
                       "val_split": "ILSVRC-2012 validation set"})


def _load_prepared(root, *, limit, val_limit, image_size, seed, download, on_bad_image) -> DataBundle:
    # shards builds on this module (DataBundle, TensorImages), so it is imported here, not at the top
    return load_prepared(root, limit=limit, val_limit=val_limit, seed=seed, image_size=image_size)


@dataclass(frozen=True)
class DatasetEntry:
    load: Callable[..., DataBundle]   # (root, *, limit, val_limit, image_size, seed, download, on_bad_image)
    about: str                        # one line: what it is and how to get it
    native_size: int | None           # stored side with image_size=None


REGISTRY: dict[str, DatasetEntry] = {
    "fashion-mnist": DatasetEntry(_load_fashion_mnist, "28-px grey clothing, 10 classes; offline "
                                  "(apt-get install dataset-fashion-mnist) or --download", 28),
    "cifar10": DatasetEntry(_load_cifar10, "32-px colour, 10 classes; --download (internet)", 32),
    "imagenette": DatasetEntry(_load_imagenette, "10 ImageNet classes, JPEG folders; --download "
                               "(internet)", PAPER_STORED_SIZE),
    "imagenet": DatasetEntry(_load_imagenet, "ILSVRC-2012, 1000 classes; --data-root DIR with "
                             "train/<wnid>/ and val/<wnid>/ (from image-net.org)", PAPER_STORED_SIZE),
    "synthetic": DatasetEntry(_load_synthetic, "generated gratings, seeded; no files needed", 32),
    "prepared": DatasetEntry(_load_prepared, "a folder made by `python -m alexnet_repro prepare` "
                             "(JPEG shards at 256 px, or CIFAR-10 as stored); --data-root DIR", None),
}
DATASETS = tuple(REGISTRY)


def describe_datasets() -> str:
    """One line per registered dataset (CLI help, error messages)."""
    return "\n".join(f"  {name}: {entry.about}" for name, entry in REGISTRY.items())


def load_dataset(name: str, root: str | os.PathLike | None = None, *, limit: int | None = None,
                 val_limit: int | None = None, image_size: int | None = None, seed: int = 0,
                 download: bool = False, on_bad_image: str = "skip",
                 channels: int | None = None, num_classes: int | None = None) -> DataBundle:
    """Load a dataset of ``REGISTRY`` by name into a :class:`DataBundle`.

    ``limit``/``val_limit``: seeded class-balanced subsets (``None`` = all; for ``synthetic``
    the number of images, default 1024/256). ``image_size``: stored side length (default:
    native; 256 for image folders; 32 for synthetic). ``channels``/``num_classes``: for
    ``synthetic`` only. ``download=True`` fetches through torchvision when the files are missing.
    """
    if name not in REGISTRY:
        close = difflib.get_close_matches(str(name), list(REGISTRY), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown dataset {name!r}.{hint} Choose one of:\n{describe_datasets()}")
    if on_bad_image not in BAD_IMAGE_MODES:
        raise ValueError(f"on_bad_image must be one of {BAD_IMAGE_MODES}, got {on_bad_image!r}")
    if image_size is not None and int(image_size) < 1:
        raise ValueError(f"image_size must be a positive number of pixels, got {image_size}")
    extra = {k: v for k, v in (("channels", channels), ("num_classes", num_classes)) if v is not None}
    if name != "synthetic" and extra:
        raise ValueError(f"channels/num_classes can only be chosen for 'synthetic', not {name!r}")
    return REGISTRY[name].load(root, limit=limit, val_limit=val_limit, image_size=image_size, seed=seed,
                               download=download, on_bad_image=on_bad_image, **extra)
