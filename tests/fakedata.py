"""Generated datasets in the real on-disk layouts, for tests that must not download anything.

``make_cifar10_batches``: ``cifar-10-batches-py`` as in cifar-10-python.tar.gz (the files
torchvision reads): ``data_batch_1..5`` and ``test_batch``, each a pickled dict with ``data``
(N × 3072 uint8: the R, G and B planes of a 32×32 image, row by row), ``labels``, ``batch_label``
and ``filenames``, plus ``batches.meta`` with ``label_names``. The ImageNet-style folder of JPEGs
is ``conftest.make_jpeg_folder``.
"""
from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

CIFAR10_LABEL_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def make_cifar10_batches(root, per_batch: int = 20, test_images: int = 20, seed: int = 0,
                         protocol: int = 2) -> dict:
    """Write ``root/cifar-10-batches-py``; return ``{file name: (data (N, 3072) uint8, labels list)}``.

    Labels cycle through the 10 classes (so class-balanced subsets exist); each class has its own
    colour plus noise, so a network can learn them.
    ``protocol=2`` with str keys is what the original (Python 2) files load as with
    ``encoding="latin1"``, which is how torchvision reads them.
    """
    folder = Path(root) / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng, written = np.random.default_rng(seed), {}
    colours = np.repeat(rng.integers(40, 216, (10, 3)), 1024, axis=1)   # a colour per class: learnable
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for k, name in enumerate(names):
        n = test_images if name == "test_batch" else per_batch
        labels = [int(v) for v in (np.arange(n) + k) % 10]
        noise = rng.integers(-40, 41, (n, 3072))
        data = np.clip(colours[labels] + noise, 0, 255).astype(np.uint8)
        entry = {"batch_label": f"generated batch {k}", "labels": labels, "data": data,
                 "filenames": [f"img_{k}_{i}.png" for i in range(n)]}
        with open(folder / name, "wb") as fh:
            pickle.dump(entry, fh, protocol=protocol)
        written[name] = (data, labels)
    meta = {"label_names": CIFAR10_LABEL_NAMES, "num_cases_per_batch": per_batch, "num_vis": 3072}
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump(meta, fh, protocol=protocol)
    return written
