"""The paper's data augmentation (§4.1) and test-time protocol.

Training (on images already rescaled to ``stored``×``stored``, 256 in the paper):
subtract the training set's mean image, take a random ``crop``×``crop`` patch, flip it
horizontally with probability 1/2, and add "fancy PCA" lighting: ``p @ (alpha * lam)`` to every
pixel, ``p``/``lam`` the eigenvectors/eigenvalues of the C×C covariance of training pixels and
``alpha ~ N(0, 0.1²)`` drawn per image. Test: the centre patch, or ten patches (four corners and
the centre, and their horizontal flips) whose softmax outputs are averaged.

Conventions (stated, because the paper leaves them open):

* Pixels are in [0, 1], so ``lam`` is a variance on that scale. The paper's formula adds
  ``alpha * lam`` (not ``alpha * sqrt(lam)``); it is not scale-free, and on a 0-255 scale the
  same formula would shift colours by hundreds of levels. ``lighting="paper"`` applies it on [0, 1];
  ``lighting="sqrt"`` uses ``sqrt(lam)`` (noise covariance = 0.1² × pixel covariance).
* The mean is the per-pixel mean image (as the paper), subtracted before cropping; a (C,)
  per-channel mean works the same way.
* One-channel data: the 1×1 "PCA" is the pixel variance, so the lighting becomes brightness noise.
* Ten-crop order: ``[tl, tr, bl, br, centre]`` then the horizontal flip of each, in that order
  (torchvision's ``TenCrop`` yields the same ten patches in another order).
"""
from __future__ import annotations

import torch

from alexnet_repro.data.stats import PCA
from alexnet_repro.quoted.paper import PAPER

AUGMENTS = ("none", "flip", "crop_flip", "paper")
LIGHTING_MODES = ("paper", "sqrt")
PAPER_STORED = PAPER["data"]["rescale_to"]                 # 256
PAPER_CROP_PRINTED = PAPER["augmentation"]["crop"]         # 224, as printed
PAPER_CROP_ARITHMETIC = 227                                # what conv1's arithmetic needs (see model)
PCA_ALPHA_STD = PAPER["augmentation"]["pca_alpha_std"]     # 0.1
TEN_CROP_NAMES = ("top-left", "top-right", "bottom-left", "bottom-right", "centre")


# --------------------------------------------------------------------------- counting

def translation_count(stored: int, crop: int, *, flips: bool = True, exact: bool = False) -> int:
    """Number of distinct training patches per image.

    ``exact=False`` is the paper's count, ``(stored - crop)² × 2`` (2048 for 256/224);
    ``exact=True`` counts every crop position, ``(stored - crop + 1)² × 2``.
    """
    if not 0 < crop <= stored:
        raise ValueError(f"crop ({crop}) must be between 1 and the stored size ({stored})")
    side = stored - crop + (1 if exact else 0)
    return side * side * (2 if flips else 1)


def scaled_crop_size(stored: int, paper_stored: int = PAPER_STORED, paper_crop: int = PAPER_CROP_ARITHMETIC) -> int:
    """Crop side keeping the paper's crop/stored ratio: ``round(stored × 227/256)``."""
    return max(1, int(round(stored * paper_crop / paper_stored)))


def subtract_mean(images: torch.Tensor, mean: torch.Tensor | None) -> torch.Tensor:
    """``images - mean``; ``mean`` is a (C, H, W) mean image or a (C,) per-channel mean."""
    if mean is None:
        return images
    mean = mean.to(images.device, images.dtype)
    return images - (mean.view(-1, 1, 1) if mean.ndim == 1 else mean)


# --------------------------------------------------------------------------- lighting

def lighting_shift(pca: PCA, alpha: torch.Tensor, mode: str = "paper") -> torch.Tensor:
    """Colour shift ``p @ (alpha * lam)`` for alphas (..., C); ``mode="sqrt"`` uses sqrt(lam)."""
    if mode not in LIGHTING_MODES:
        raise ValueError(f"lighting mode must be one of {LIGHTING_MODES}, got {mode!r}")
    lam = pca.eigenvalues if mode == "paper" else pca.eigenvalues.sqrt()
    return (alpha.to(torch.float64) * lam) @ pca.eigenvectors.T


class PCALighting(torch.nn.Module):
    """Per-image fancy PCA: add ``p @ (alpha * lam)`` to every pixel, ``alpha ~ N(0, std²)``."""

    def __init__(self, pca: PCA, std: float = PCA_ALPHA_STD, mode: str = "paper",
                 generator: torch.Generator | None = None):
        super().__init__()
        lighting_shift(pca, torch.zeros(len(pca.eigenvalues)), mode)  # validates mode
        self.pca, self.std, self.mode, self.generator = pca, std, mode, generator

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        c = len(self.pca.eigenvalues)
        if img.shape[-3] != c:
            raise ValueError(f"PCA is for {c} channels, image has {img.shape[-3]}")
        alpha = torch.randn(c, generator=self.generator) * self.std
        return img + lighting_shift(self.pca, alpha, self.mode).to(img.dtype).view(-1, 1, 1)


# --------------------------------------------------------------------------- per-image path

def _transforms():
    """torchvision.transforms, imported when the per-image path is used (importing torchvision
    takes seconds; the engine's batched path does without it)."""
    import torchvision.transforms
    return torchvision.transforms


class PaperAugment:
    """Per-image training transform with torchvision: mean subtraction, RandomCrop,
    RandomHorizontalFlip, PCA lighting. Input: a preprocessed (C, stored, stored) image.
    ``eval_center`` / ``eval_ten`` give CenterCrop / TenCrop of the mean-subtracted image."""

    def __init__(self, crop: int, *, pca: PCA | None = None, mean: torch.Tensor | None = None,
                 random_crop: bool = True, flip: bool = True, lighting_std: float = PCA_ALPHA_STD,
                 lighting: str = "paper"):
        self.crop, self.mean = crop, mean
        T = _transforms()
        steps = [T.RandomCrop(crop) if random_crop else T.CenterCrop(crop)]
        if flip:
            steps.append(T.RandomHorizontalFlip(0.5))
        if pca is not None:
            steps.append(PCALighting(pca, lighting_std, lighting))
        self.transform = T.Compose(steps)

    def __call__(self, img: torch.Tensor) -> torch.Tensor:
        return self.transform(subtract_mean(img, self.mean))

    def eval_center(self, img: torch.Tensor) -> torch.Tensor:
        return _transforms().CenterCrop(self.crop)(subtract_mean(img, self.mean))

    def eval_ten(self, img: torch.Tensor) -> torch.Tensor:
        """torchvision ``TenCrop`` patches stacked (10, C, crop, crop), in torchvision's order."""
        return torch.stack(_transforms().TenCrop(self.crop)(subtract_mean(img, self.mean)))


# --------------------------------------------------------------------------- batched path

def _corners(crop: int, h: int, w: int) -> list[tuple[int, int]]:
    """``(top, left)`` of the five ``crop``×``crop`` windows of an ``h``×``w`` image, in
    :data:`TEN_CROP_NAMES` order (the corners, then the centre with torchvision's rounding,
    ``round((h - crop) / 2)``); a ValueError when ``crop`` does not fit."""
    if not 0 < crop <= min(h, w):
        raise ValueError(f"crop ({crop}) must be between 1 and the image size ({h}x{w})")
    far_h, far_w = h - crop, w - crop
    return [(0, 0), (0, far_w), (far_h, 0), (far_h, far_w), (int(round(far_h / 2.0)), int(round(far_w / 2.0)))]


def center_crop(batch: torch.Tensor, crop: int) -> torch.Tensor:
    """Central ``crop``×``crop`` patch of (..., H, W), with torchvision's rounding (slicing, so
    the engine does not import torchvision)."""
    top, left = _corners(crop, *batch.shape[-2:])[4]
    return batch[..., top:top + crop, left:left + crop]


def ten_crop(batch: torch.Tensor, crop: int) -> torch.Tensor:
    """(10, N, C, crop, crop): corners and centre (:data:`TEN_CROP_NAMES`), then their flips
    (torchvision's ``five_crop`` patches, cut by slicing)."""
    five = [batch[..., top:top + crop, left:left + crop] for top, left in _corners(crop, *batch.shape[-2:])]
    return torch.stack(five + [p.flip(-1) for p in five])


def ten_crop_windows(size: int, crop: int) -> list[dict]:
    """The ten test windows of :func:`ten_crop` on a ``size``×``size`` image:
    ``{"name", "top", "left", "size", "flipped"}``, in the same order."""
    return [{"name": name, "top": top, "left": left, "size": crop, "flipped": flipped}
            for flipped in (False, True) for name, (top, left) in zip(TEN_CROP_NAMES, _corners(crop, size, size))]


class BatchAugment:
    """Augmentation of a whole (N, C, S, S) batch on its own device.

    Draws (from ``generator``, on the CPU, so a seed gives the same batch on any device) a crop
    offset per image uniform over ``0..S-crop`` and a flip with probability 1/2, and (from
    ``lighting_generator``, its own stream, when given) PCA alphas ``N(0, lighting_std²)``. Same
    distribution as :class:`PaperAugment`. With its own stream, lighting leaves the crops and
    flips of a seed as they are without it, so "lighting" and "no lighting" arms stay paired.
    """

    def __init__(self, crop: int, *, random_crop: bool = True, flip: bool = True,
                 pca: PCA | None = None, mean: torch.Tensor | None = None,
                 lighting_std: float = PCA_ALPHA_STD, lighting: str = "paper",
                 generator: torch.Generator | None = None, lighting_generator: torch.Generator | None = None):
        if pca is not None:
            lighting_shift(pca, torch.zeros(len(pca.eigenvalues)), lighting)  # validates mode
        self.crop, self.random_crop, self.flip, self.pca = crop, random_crop, flip, pca
        self.mean, self.lighting_std, self.lighting, self.generator = mean, lighting_std, lighting, generator
        self.lighting_generator = lighting_generator
        self.last_draw: dict = {}   # offsets, flips and alphas of the last call (for tests and figures)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float() / 255.0 if x.dtype == torch.uint8 else x
        n, c, h, w = x.shape
        if self.crop > min(h, w):
            raise ValueError(f"crop {self.crop} is larger than the images ({h}×{w})")
        x = subtract_mean(x, self.mean)
        g = self.generator
        if self.random_crop:
            top = torch.randint(0, h - self.crop + 1, (n,), generator=g)
            left = torch.randint(0, w - self.crop + 1, (n,), generator=g)
        else:
            centre_top, centre_left = _corners(self.crop, h, w)[4]   # center_crop's window
            top, left = torch.full((n,), centre_top), torch.full((n,), centre_left)
        flips = (torch.rand(n, generator=g) < 0.5) if self.flip else torch.zeros(n, dtype=torch.bool)
        dev = x.device
        if not self.random_crop and not self.flip:   # one centre patch for all: a slice, not two gathers
            out = center_crop(x, self.crop)
        else:
            ar = torch.arange(self.crop)
            rows = top[:, None] + ar
            cols = torch.where(flips[:, None], left[:, None] + self.crop - 1 - ar, left[:, None] + ar)
            rows = rows.to(dev)[:, None, :, None].expand(n, c, self.crop, w)
            out = x.gather(2, rows)
            cols = cols.to(dev)[:, None, None, :].expand(n, c, self.crop, self.crop)
            out = out.gather(3, cols)
        self.last_draw = {"top": top, "left": left, "flip": flips}
        if self.pca is not None and self.lighting_std > 0:
            if len(self.pca.eigenvalues) != c:
                raise ValueError(f"PCA is for {len(self.pca.eigenvalues)} channels, images have {c}")
            light = self.lighting_generator if self.lighting_generator is not None else g
            alpha = torch.randn(n, c, generator=light) * self.lighting_std
            shift = lighting_shift(self.pca, alpha, self.lighting).to(dev, out.dtype)
            out = out + shift[:, :, None, None]
            self.last_draw["alpha"] = alpha
        return out

    def eval(self, x: torch.Tensor, ten: bool = False) -> torch.Tensor:
        """Mean-subtracted centre crop (N, C, crop, crop), or ten crops (10, N, C, crop, crop)."""
        x = subtract_mean(x.float() / 255.0 if x.dtype == torch.uint8 else x, self.mean)
        return ten_crop(x, self.crop) if ten else center_crop(x, self.crop)


def make_batch_augment(name: str, stored_size: int, crop_size: int, *, pca: PCA | None = None,
                       mean: torch.Tensor | None = None, generator: torch.Generator | None = None,
                       lighting_std: float = PCA_ALPHA_STD, lighting: str = "paper",
                       lighting_generator: torch.Generator | None = None) -> BatchAugment:
    """Batched augmentation by the engine's ``augment`` name.

    ``"none"``: centre crop; ``"flip"``: centre crop + flips; ``"crop_flip"``: random crops +
    flips; ``"paper"``: random crops + flips + PCA lighting (needs ``pca``). Mean subtraction
    whenever ``mean`` is given. Evaluation: ``.eval(x)`` / ``.eval(x, ten=True)``. The engine
    passes a ``lighting_generator`` of its own, so that ``"crop_flip"`` and ``"paper"`` draw the
    same crops and flips for a seed.
    """
    if name not in AUGMENTS:
        raise ValueError(f"unknown augment {name!r}; choose one of {', '.join(AUGMENTS)}")
    if not 0 < crop_size <= stored_size:
        raise ValueError(f"crop_size ({crop_size}) must be between 1 and stored_size ({stored_size})")
    if name == "paper" and pca is None:
        raise ValueError("augment='paper' needs the training pixels' PCA: pass "
                         "pca=training_stats(bundle).pca (alexnet_repro.data.augment.training_stats)")
    return BatchAugment(crop_size, random_crop=name in ("crop_flip", "paper"), flip=name != "none",
                        pca=pca if name == "paper" else None, mean=mean, lighting_std=lighting_std,
                        lighting=lighting, generator=generator, lighting_generator=lighting_generator)


# --------------------------------------------------------------------------- the chapter's numbers

def translation_counts(stored: int, crops) -> dict[str, int]:
    """:func:`translation_count` of a ``stored`` image for each crop side in ``crops``, the
    paper's way and exactly: ``{"count_224": ..., "exact_224": ..., "count_227": ...}``."""
    return {f"{kind}_{crop}": translation_count(stored, crop, exact=kind == "exact")
            for crop in crops for kind in ("count", "exact")}


def check_variants(variants, required=("none", "paper")) -> None:
    """A clear error unless ``variants`` are names of :data:`AUGMENTS` that include ``required``."""
    unknown = sorted(set(variants) - set(AUGMENTS))
    if unknown or not set(required) <= set(variants):
        raise ValueError(f"variants must include {' and '.join(map(repr, required))} and may add "
                         f"{AUGMENTS}; got {list(variants)}" + (f" (unknown: {unknown})" if unknown else ""))


def lighting_scale(pca: PCA, std: float = PCA_ALPHA_STD) -> dict:
    """How large the paper's PCA lighting is along the first component, for pixels in [0, 1]:
    ``lambda1`` and its ``share`` of the variance; one standard deviation ``std`` of the shift
    in grey levels of a byte image, as printed (``levels``: ``std·λ₁·255``), with the formula
    applied to pixels measured in levels (``levels_255``: ``std·λ₁·255²``), and with ``√λ``
    (``levels_sqrt``: ``std·√λ₁·255``). Floats."""
    lam = pca.eigenvalues
    return {"lambda1": float(lam[0]), "share": float(lam[0] / lam.sum()),
            "levels": float(std * lam[0] * 255), "levels_255": float(std * lam[0] * 255 ** 2),
            "levels_sqrt": float(std * lam[0].sqrt() * 255)}
