"""CIFAR-10's python-pickle batches (``cifar-10-batches-py``), read without torchvision.

torchvision's ``CIFAR10(download=False)`` checks the md5 sums of the batches, so it refuses any
other files in the same layout (e.g. generated ones in tests); this reader takes the layout as it
is, and unpickles only arrays and plain values, so a batch file cannot execute code.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

CIFAR10_BATCHES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "val": ["test_batch"]}


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays only: a batch file cannot run code."""
    ALLOWED = {(core, name) for core in ("numpy.core.multiarray", "numpy._core.multiarray")
               for name in ("_reconstruct", "scalar")}
    ALLOWED |= {(core, "_frombuffer") for core in ("numpy.core.numeric", "numpy._core.numeric")}
    ALLOWED |= {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} (only arrays are expected)")
        return super().find_class(module, name)


def read_cifar10_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """One ``cifar-10-batches-py`` pickle -> (uint8 images (N, 3, 32, 32), int64 labels (N,)).

    Reads the python-pickle layout of cifar-10-python.tar.gz (a dict with ``data`` (N, 3072) uint8,
    rows R, G, B planes of 32×32, and ``labels``) without torchvision's md5 check, and without
    executing anything the file might hold (only arrays and plain values are unpickled).
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            entry = _ArrayUnpickler(fh, encoding="latin1").load()
        entry = {(k.decode() if isinstance(k, bytes) else k): v for k, v in entry.items()}
        images = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(entry["labels"], dtype=np.int64)
    except Exception as err:  # noqa: BLE001 - any unreadable batch is one clear error
        raise ValueError(f"cannot read CIFAR-10 batch {path} ({type(err).__name__}: {err}); replace "
                         "it (re-download cifar-10-python.tar.gz).") from err
    if labels.shape != (len(images),):
        raise ValueError(f"CIFAR-10 batch {path} has {len(images)} images but {labels.size} labels; replace it.")
    return images, labels


def read_cifar10(folder: str | Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"train": (images, labels), "val": ...}`` from a ``cifar-10-batches-py`` folder
    (data_batch_1..5 and test_batch); images uint8 (N, 3, 32, 32), labels int64."""
    out = {}
    for split, names in CIFAR10_BATCHES.items():
        parts = [read_cifar10_batch(Path(folder) / n) for n in names]
        out[split] = (np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts]))
    return out


def read_cifar10_classes(folder: str | Path) -> list[str] | None:
    """The ``label_names`` of ``folder/batches.meta``, or None when that file is absent."""
    path = Path(folder) / "batches.meta"
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            meta = _ArrayUnpickler(fh, encoding="latin1").load()
        meta = {(k.decode() if isinstance(k, bytes) else k): v for k, v in meta.items()}
        return [n.decode() if isinstance(n, bytes) else str(n) for n in meta["label_names"]]
    except Exception as err:  # noqa: BLE001
        raise ValueError(f"cannot read CIFAR-10 class names from {path} ({type(err).__name__}: {err}); "
                         "replace it (re-download cifar-10-python.tar.gz).") from err
