"""Statistics of a training set that the paper's preprocessing needs (§2, §4.1): the mean image and
the RGB covariance's principal components (:class:`PCA`, :func:`rgb_pca`, :func:`training_stats`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from alexnet_repro.data.batches import iter_batches

# --------------------------------------------------------------------------- PCA and mean

@dataclass
class PCA:
    """Eigen-decomposition of the C×C pixel covariance: ``eigenvalues`` (C,) descending,
    ``eigenvectors`` (C, C) with eigenvector ``i`` in column ``i`` (float64)."""
    eigenvalues: torch.Tensor
    eigenvectors: torch.Tensor

    @property
    def covariance(self) -> torch.Tensor:
        p, lam = self.eigenvectors, self.eigenvalues
        return (p * lam) @ p.T


def pixel_covariance(images: torch.Tensor) -> torch.Tensor:
    """C×C covariance (float64) of the pixels of (N, C, H, W) or (C, H, W) images."""
    x = images if images.ndim == 4 else images.unsqueeze(0)
    pixels = x.to(torch.float64).transpose(0, 1).reshape(x.shape[1], -1)
    return torch.cov(pixels).reshape(x.shape[1], x.shape[1])  # (1, 1) for one channel


def eig_pca(covariance: torch.Tensor) -> PCA:
    """PCA of a covariance matrix: eigenvalues descending; each eigenvector's largest
    component made positive (a fixed sign, so results are reproducible)."""
    cov = torch.as_tensor(covariance, dtype=torch.float64)
    cov = cov.reshape(1, 1) if cov.ndim < 2 else cov
    lam, p = torch.linalg.eigh(cov)
    order = torch.argsort(lam, descending=True)
    lam, p = lam[order].clamp(min=0.0), p[:, order]
    sign = torch.sign(p.gather(0, p.abs().argmax(0, keepdim=True)))
    return PCA(lam, p * sign)


def colour_share(pca: PCA) -> float:
    """How much of the pixels' variation lies off their main axis: the second eigenvalue of the
    pixel-colour covariance over the first. 0 for one channel, for three equal channels (grey
    images stored as RGB: the covariance has rank 1) and for images without any variation; about
    0.09 for ImageNet (the paper's eigenvalues as published by fb.resnet.torch: 0.0188 / 0.2175)."""
    lam = [float(v) for v in pca.eigenvalues]
    if len(lam) < 2 or lam[0] <= 0:
        return 0.0
    return max(lam[1], 0.0) / lam[0]


def rgb_pca(images: torch.Tensor) -> PCA:
    """PCA of the pixel colours of ``images`` (N, C, H, W) or (C, H, W) in [0, 1]."""
    return eig_pca(pixel_covariance(images))


@dataclass
class TrainingStats:
    """What augmentation needs from the training set."""
    mean_image: torch.Tensor    # (C, S, S) float32, per-pixel mean (the paper's)
    channel_mean: torch.Tensor  # (C,) float32
    pca: PCA
    images: int                 # how many training images the estimates used


def _batches(dataset, indices: np.ndarray, batch: int = 128):
    chunks = [indices[start:start + batch] for start in range(0, len(indices), batch)]
    for x, _, _ in iter_batches(dataset, chunks):
        if x.numel():
            yield x


def training_stats(bundle, *, max_images: int | None = 10000, seed: int = 0,
                   cache_dir: str | os.PathLike | None = ".cache/stats") -> TrainingStats:
    """Mean image, per-channel mean and pixel PCA of ``bundle.train`` (bad images skipped).

    Uses a seeded sample of ``max_images`` (``None`` = all). Cached in ``cache_dir`` under the
    bundle's :meth:`~alexnet_repro.data.registry.DataBundle.key` (``None`` = no cache).
    """
    n = len(bundle.train)
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / f"{bundle.name}-{bundle.key()}-{max_images}-{seed}.pt"
        if path.is_file():
            try:
                d = torch.load(path, weights_only=True)
                return TrainingStats(d["mean_image"], d["channel_mean"],
                                     PCA(d["eigenvalues"], d["eigenvectors"]), int(d["images"]))
            except Exception:  # noqa: BLE001 - a corrupt cache is recomputed, not fatal
                pass
    indices = np.arange(n)
    if max_images is not None and max_images < n:
        indices = np.sort(np.random.default_rng(seed).choice(n, size=max_images, replace=False))
    c, s = bundle.channels, bundle.image_size
    total_img = torch.zeros(c, s, s, dtype=torch.float64)
    sum_x = torch.zeros(c, dtype=torch.float64)
    sum_xx = torch.zeros(c, c, dtype=torch.float64)
    count = pixels = 0
    for x in _batches(bundle.train, indices):
        x = x.to(torch.float64)
        total_img += x.sum(0)
        flat = x.transpose(0, 1).reshape(c, -1)
        sum_x += flat.sum(1)
        sum_xx += flat @ flat.T
        count += x.shape[0]
        pixels += flat.shape[1]
    if count == 0:
        raise ValueError(f"no readable training images in {bundle.name} ({bundle.source}) to compute the mean and PCA from")
    mean = sum_x / pixels
    cov = (sum_xx - pixels * torch.outer(mean, mean)) / (pixels - 1)
    stats = TrainingStats((total_img / count).float(), mean.float(), eig_pca(cov), count)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save({"mean_image": stats.mean_image, "channel_mean": stats.channel_mean,
                    "eigenvalues": stats.pca.eigenvalues, "eigenvectors": stats.pca.eigenvectors,
                    "images": count}, tmp)
        os.replace(tmp, path)
    return stats
