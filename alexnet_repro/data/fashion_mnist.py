"""Reading Fashion-MNIST's IDX files (gzip or not), as Debian's ``dataset-fashion-mnist`` and
torchvision's download store them. :mod:`alexnet_repro.data.registry` finds them and builds the dataset.
"""
from __future__ import annotations

import functools
import gzip
from pathlib import Path

import numpy as np


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (gzip or not), as used by MNIST/Fashion-MNIST, into a read-only numpy
    array. Kept in memory per process for the file's path, size and modification time: a
    chapter loads a subset for every run, and inflating the gzip took 10% of a small run."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError as err:
        raise _unreadable(path, err) from err
    return _read_idx(path, st.st_size, st.st_mtime_ns)


def _unreadable(path: Path, err: Exception) -> ValueError:
    return ValueError(f"cannot read IDX file {path}: {err}. Replace the file "
                      "(re-install or re-download the dataset).")


@functools.lru_cache(maxsize=8)
def _read_idx(path: Path, size: int, mtime_ns: int) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError) as err:
        raise _unreadable(path, err) from err
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (bad magic number); "
                         "replace the file (re-install or re-download the dataset).")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * k: 8 + 4 * k], "big") for k in range(ndim)]
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims))
    if len(data) - offset != expected:
        raise ValueError(f"{path} is truncated or corrupt: header says {dims} "
                         f"({expected} bytes), file has {len(data) - offset}; replace the file.")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


FMNIST_FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
                 "val": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def find_idx_dir(candidates: list[Path]) -> Path | None:
    for folder in candidates:
        if all(idx_file(folder, stem) for pair in FMNIST_FILES.values() for stem in pair):
            return folder
    return None


def idx_file(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None
