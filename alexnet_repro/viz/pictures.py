"""Images in and pictures out, for the activation explorer (:mod:`alexnet_repro.viz.explorer`) and
the figures.

Images in: :func:`to_float_image` (arrays, tensors, PIL images -> float C×H×W in [0, 1]),
:func:`network_view` (the square crop the network sees), :func:`example_images` and
:func:`photograph` (photographs shipped with scikit-image), :func:`paper_test_view` (the paper's
test-time cut of a photograph).

Pictures out: :func:`feature_grid_png` (feature maps as an indexed PNG grid, each tile labelled
with its channel), :func:`kernel_grid` (a conv layer's kernels as one image, the paper's
Figure 3), :func:`png_bytes`, :func:`jpeg_bytes`.
"""
from __future__ import annotations

import io
import math
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from alexnet_repro.data.augment import center_crop
from alexnet_repro.data.images import preprocess
from alexnet_repro.quoted.paper import PAPER

# Feature-map grid geometry (pixels).
TILE = 96          # a map is enlarged by an integer factor to at most TILE × TILE
GAP = 4            # space between tiles
LABEL_H = 12       # space above each tile for its channel label
# Palette of the feature-map PNGs (8-bit indexed): map values use LEVELS viridis colours,
# index 0 = the map's own minimum, LEVELS - 1 = its own maximum.
LEVELS = 250
BACKGROUND = LEVELS      # palette index of the background (white)
INK = LEVELS + 1         # palette index of the label text (dark grey)

# conv1 kernel grid (Figure 3)
KERNEL_SCALE = 4   # each kernel pixel shown as KERNEL_SCALE × KERNEL_SCALE
KERNEL_GAP = 2

PHOTOGRAPHS = ("chelsea", "astronaut", "coffee", "rocket")


# --------------------------------------------------------------------------- images in

def to_float_image(image, name: str = "image") -> torch.Tensor:
    """Return ``image`` as a float32 tensor C×H×W in [0, 1].

    Accepts a NumPy array or tensor H×W or H×W×C of dtype uint8 (C = 1, 3 or 4; alpha dropped),
    a float tensor/array C×H×W with values in [0, 1] (the library's convention), or a PIL image.
    """
    try:
        from PIL import Image as PILImage
        if isinstance(image, PILImage.Image):
            image = np.asarray(image.convert("RGB"))
    except ImportError:  # pragma: no cover - pillow is a dependency
        pass
    if isinstance(image, np.ndarray):
        t = torch.from_numpy(np.array(image))  # a copy: the caller keeps its array
    elif isinstance(image, torch.Tensor):
        t = image.detach().cpu()
    else:
        raise TypeError(f"{name}: expected a NumPy array, a torch tensor or a PIL image, "
                        f"got {type(image).__name__}")
    if t.dtype == torch.uint8:
        if t.ndim == 2:
            t = t[:, :, None]
        if t.ndim != 3 or t.shape[2] not in (1, 3, 4):
            raise ValueError(f"{name}: a uint8 image must be H×W or H×W×C with C in (1, 3, 4), "
                             f"got shape {tuple(t.shape)}")
        t = t[:, :, :3].permute(2, 0, 1).float() / 255.0
    elif t.is_floating_point():
        if t.ndim == 2:
            t = t[None]
        if t.ndim != 3 or t.shape[0] not in (1, 3):
            raise ValueError(f"{name}: a float image must be C×H×W with C in (1, 3) (the library's "
                             f"convention), got shape {tuple(t.shape)}; pass H×W×C images as uint8")
        lo, hi = float(t.min()), float(t.max())
        if lo < 0.0 or hi > 1.0:
            raise ValueError(f"{name}: float image values must lie in [0, 1], found [{lo:.3g}, "
                             f"{hi:.3g}]; pass the image before mean subtraction/normalisation "
                             f"and give that step as `preprocess=`")
        t = t.float()
    else:
        raise TypeError(f"{name}: unsupported dtype {t.dtype}; use uint8 (H×W×C) or float (C×H×W)")
    if min(t.shape[1:]) < 2:
        raise ValueError(f"{name}: image of size {tuple(t.shape[1:])} is too small")
    return t


def network_view(image: torch.Tensor, channels: int, size: int) -> torch.Tensor:
    """The image as the network sees it: central square crop, resized to ``size``, and converted
    to ``channels`` channels (grey repeated to RGB; RGB to grey by ITU-R 601 luma)."""
    c, h, w = image.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    x = image[:, top:top + s, left:left + s]
    if s != size:
        x = F.interpolate(x[None], size=(size, size), mode="bilinear", align_corners=False,
                          antialias=s > size)[0].clamp(0, 1)
    if c == channels:
        return x
    if c == 1:
        return x.expand(channels, -1, -1).clone()
    if channels == 1:
        luma = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)
        return (x * luma).sum(0, keepdim=True)
    raise ValueError(f"cannot convert a {c}-channel image for a network with {channels} input "
                     f"channels; pass images with {channels} channels")


def example_images(bundle=None, count: int = 2,
                   photographs: Sequence[str] = PHOTOGRAPHS) -> dict[str, torch.Tensor]:
    """Real photographs shipped with scikit-image, plus the first ``count`` validation images of a
    ``data.DataBundle`` (named by class), as float tensors C×H×W in [0, 1]."""
    import skimage.data

    out: dict[str, torch.Tensor] = {}
    for name in photographs:
        loader = getattr(skimage.data, name, None)
        if loader is None:
            raise ValueError(f"skimage.data has no photograph {name!r}; try one of "
                             f"{', '.join(PHOTOGRAPHS)}")
        out[name] = to_float_image(loader(), name)
    if bundle is not None:
        for i in range(min(count, len(bundle.val))):
            item = bundle.val[i]
            if not isinstance(item, tuple):  # a BadImage
                continue
            x, label = item
            out[f"{bundle.name} {i}: {bundle.classes[label]}"] = to_float_image(x)
    return out


def photograph(name: str, choices: Sequence[str] = PHOTOGRAPHS) -> np.ndarray:
    """The photograph ``name`` shipped with scikit-image (uint8 H×W×3); a name not in
    ``choices`` is an error that lists them."""
    import skimage.data

    if name not in choices:
        raise ValueError(f"unknown photo {name!r}; choose one of {', '.join(choices)}")
    return getattr(skimage.data, name)()


def paper_test_view(image: np.ndarray, crop: int,
                    stored: int = PAPER["data"]["rescale_to"]) -> torch.Tensor:
    """The paper's test-time input from a uint8 H×W×C photograph: the shorter side rescaled to
    ``stored``, the central ``stored``×``stored`` square, then its central ``crop``×``crop``
    patch; float C×H×W in [0, 1]."""
    return center_crop(preprocess(torch.from_numpy(image).permute(2, 0, 1), stored), crop)


# --------------------------------------------------------------------------- pictures

def _palette() -> list[int]:
    from matplotlib import colormaps

    rgb = (colormaps["viridis"](np.linspace(0, 1, LEVELS))[:, :3] * 255).round().astype(np.uint8)
    pal = np.zeros((256, 3), np.uint8)
    pal[:LEVELS] = rgb
    pal[BACKGROUND] = (255, 255, 255)
    pal[INK] = (40, 40, 40)
    return pal.reshape(-1).tolist()


def quantize(maps: torch.Tensor) -> np.ndarray:
    """Palette indices of feature maps (k×h×w): each map scaled from its own minimum (index 0)
    to its own maximum (index LEVELS - 1); a constant map is all 0."""
    m = maps.float()
    lo = m.flatten(1).amin(1).view(-1, 1, 1)
    span = (m.flatten(1).amax(1).view(-1, 1, 1) - lo).clamp(min=1e-12)
    return torch.round((m - lo) / span * (LEVELS - 1)).to(torch.uint8).numpy()


def grid_boxes(k: int, h: int, w: int) -> tuple[list[tuple[int, int, int, int]], int, int, int]:
    """Tile boxes (x0, y0, x1, y1) of a grid of ``k`` maps of size h×w, the enlargement factor,
    and the grid's width and height."""
    scale = max(1, TILE // max(h, w))
    th, tw = h * scale, w * scale
    cols = math.ceil(math.sqrt(k))
    rows = math.ceil(k / cols)
    boxes = []
    for i in range(k):
        r, c = divmod(i, cols)
        x0 = GAP + c * (tw + GAP)
        y0 = GAP + LABEL_H + r * (th + LABEL_H + GAP)
        boxes.append((x0, y0, x0 + tw, y0 + th))
    width = GAP + cols * (tw + GAP)
    height = GAP + rows * (th + LABEL_H + GAP)
    return boxes, scale, width, height


def feature_grid_png(maps: torch.Tensor, channels: Sequence[int]) -> bytes:
    """An indexed PNG of the maps (k×h×w) in a grid, each tile labelled 'ch N'."""
    from PIL import Image, ImageDraw, ImageFont

    k, h, w = maps.shape
    boxes, scale, width, height = grid_boxes(k, h, w)
    canvas = np.full((height, width), BACKGROUND, np.uint8)
    q = quantize(maps)
    for (x0, y0, x1, y1), tile in zip(boxes, q):
        canvas[y0:y1, x0:x1] = np.kron(tile, np.ones((scale, scale), np.uint8))
    img = Image.fromarray(canvas)   # "L"; putpalette makes it "P" with these indices
    img.putpalette(_palette())
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    for (x0, y0, _, _), ch in zip(boxes, channels):
        draw.text((x0, y0 - LABEL_H), f"ch {ch}", fill=INK, font=font)
    return png_bytes(img)


def kernel_grid(weight: torch.Tensor) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The kernels of a conv layer (out × in × kh × kw) as one image grid (H×W×3 or H×W uint8),
    one tile per kernel, all kernels on one common scale (mid-grey = 0), and the tile boxes."""
    n, cin, kh, kw = weight.shape
    wt = weight.detach().float().cpu()
    if cin not in (1, 3):
        wt = wt.mean(1, keepdim=True)
        cin = 1
    peak = float(wt.abs().max()) or 1.0
    tiles = ((wt / peak * 0.5 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)
    cols = 16 if n % 16 == 0 and n >= 32 else math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    th, tw = kh * KERNEL_SCALE, kw * KERNEL_SCALE
    height = KERNEL_GAP + rows * (th + KERNEL_GAP)
    width = KERNEL_GAP + cols * (tw + KERNEL_GAP)
    canvas = np.full((height, width, cin), 255, np.uint8)
    boxes = []
    up = np.ones((KERNEL_SCALE, KERNEL_SCALE, 1), np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        x0, y0 = KERNEL_GAP + c * (tw + KERNEL_GAP), KERNEL_GAP + r * (th + KERNEL_GAP)
        canvas[y0:y0 + th, x0:x0 + tw] = np.kron(tiles[i].permute(1, 2, 0).numpy(), up)
        boxes.append((x0, y0, x0 + tw, y0 + th))
    return (canvas[:, :, 0] if cin == 1 else canvas), boxes


def png_bytes(img) -> bytes:
    """A PIL image as PNG bytes (optimized)."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def jpeg_bytes(x: torch.Tensor, size: int) -> bytes:
    """A float image C×H×W in [0, 1] as a ``size``×``size`` JPEG (quality 85)."""
    from PIL import Image

    arr = (x.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    img = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
    img = img.resize((size, size), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()
