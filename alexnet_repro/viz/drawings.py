"""Pictures of the network and of images: the paper's Figure 2 redrawn from a built model,
layer bars and receptive fields, and the image figures of the chapters (preprocessing, PCA
lighting, crops and the ten patches, LRN on a photograph, conv1 kernels, Figure 4's neighbours).

Chapters call these through :mod:`alexnet_repro.viz.plots`, the one figures module they import;
this file holds the drawings made of images and boxes, figures.py the curves and plots of numbers.
"""
from __future__ import annotations

import textwrap
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import FancyArrowPatch, Rectangle

from alexnet_repro.data.augment import PCALighting
from alexnet_repro.nn.introspect import layer_table, named_layers
from alexnet_repro.viz.pictures import kernel_grid

WEIGHT_KINDS = ("conv", "fc")


TOWER_COLOURS = ("#4C72B0", "#DD8452")

# Figures are shown scaled to the book's text column, 688 px wide: a font of f pt on a figure W
# inches wide shows at f * 688 / (72 * W) px, and 8 pt (10.67 px) needs f >= 1.117 * W. The
# widths below are capped so that the sizes written next to them stay readable
# (tests/test_style.py checks every size against the widest figure it can land on).

#: The image figures (preprocessing, PCA lighting, crops): their widest, and the size of their
#: titles and labels (points).
IMAGES_MAX_IN, IMAGE_TITLE_PT = 12, 14
#: Figure 4's neighbours: the widest the grid gets, and its titles' size (points).
NEIGHBOURS_MAX_IN, NEIGHBOUR_TITLE_PT = 9.1, 10.5
#: Figure 2 redrawn: inches per column (input and each conv/fc layer), the widest it gets, and
#: its layer boxes' width in columns.
ARCH_COLUMN_IN, ARCH_MAX_IN, ARCH_BOX = 1.0, 9.3, 0.6


def _weight_rows(rows):
    return [r for r in rows if r["kind"] in WEIGHT_KINDS]


def _after(rows, name):
    """Kinds of the non-activation layers between ``name`` and the next weight layer."""
    names = [r["name"] for r in rows]
    out = []
    for r in rows[names.index(name) + 1:]:
        if r["kind"] in WEIGHT_KINDS:
            break
        if r["kind"] in ("lrn", "maxpool", "avgpool", "dropout"):
            out.append(r)
    return out


def _op_label(ops):
    labels = []
    for r in ops:
        if r["kind"] == "lrn":
            labels.append("LRN")
        elif r["kind"] in ("maxpool", "avgpool"):   # two short lines: one column is 76 px wide as shown
            labels.append(f"{'max' if r['kind'] == 'maxpool' else 'avg'}-pool {r['kernel']}\nstride {r['stride']}")
        elif r["kind"] == "dropout":
            labels.append("dropout")
    return "\n".join(labels)


def _arch_box(ax, x, y, h, colour, text):
    """One layer's box (:data:`ARCH_BOX` wide) centred at (x, y), with ``text`` inside."""
    w = ARCH_BOX
    ax.add_patch(Rectangle((x - w / 2, y - h / 2), w, h, facecolor=colour, alpha=0.25,
                           edgecolor=colour, lw=1.5))
    ax.text(x, y, text, ha="center", va="center", fontsize=10.5)


def _arch_column(r, towers: int, single: bool, first_side: int):
    """Text and box height of one conv/fc layer's box: its output per tower."""
    if r["kind"] == "conv":
        c, h, w = r["out_shape"]
        return f"{h}\u00d7{w}\n\u00d7{c // towers}", 0.35 + 0.55 * (h / first_side)
    (c,) = r["out_shape"]
    return f"{c if single else c // towers}", 0.45


def _arch_arrows(ax, i, pairs):
    """Arrows from column ``i - 1`` to column ``i``: solid within a tower, dashed across."""
    for a, b in pairs:
        style = "-" if a == b else (0, (3, 2))
        ax.add_patch(FancyArrowPatch((i - 1 + ARCH_BOX / 2 + 0.01, a), (i - ARCH_BOX / 2 - 0.01, b), arrowstyle="-|>",
                                     mutation_scale=9, lw=1.0, color="black", linestyle=style))


def plot_architecture(model, input_size: int | None = None, title: str | None = None):
    """The paper's Figure 2 redrawn from ``model``: one box per conv/fc layer and tower, labelled
    with its output shape per tower; lines show which layers take input from both towers
    (grouped convolutions see only their own tower)."""
    rows = layer_table(model, input_size)
    size = input_size or model.input_size
    layers = named_layers(model)
    towers = getattr(model, "towers", 1)
    weights = _weight_rows(rows)
    n = len(weights) + 1
    fig, ax = plt.subplots(figsize=(min(ARCH_MAX_IN, ARCH_COLUMN_IN * n + 0.3), 4.2 if towers == 2 else 2.9))
    ax.set_xlim(-0.4, n - 0.6)
    ys = (0.75, -0.75) if towers == 2 else (0.0,)
    ax.set_ylim(-2.2 if towers == 2 else -1.65, 1.75 if towers == 2 else 1.2)
    ax.axis("off")
    label_dy = 0.62 if towers == 2 else 0.6
    # the input spans both towers; its side on lines of its own (the box is narrow)
    _arch_box(ax, 0, 0, 2.2 if towers == 2 else 1.0, "grey",
              f"{size}\n\u00d7{size}\n\u00d7{model.in_channels}")
    ax.text(0, ys[0] + label_dy, "input", ha="center", fontsize=11.5, weight="bold")
    prev_single, prev_is_input = True, True
    for i, r in enumerate(weights, start=1):
        single = r["name"] == weights[-1]["name"] and towers == 2   # fc8: one softmax layer
        per, height = _arch_column(r, towers, single, rows[0]["out_shape"][1])
        tower_ys = (0.0,) if single else ys
        for t, y in enumerate(tower_ys):
            _arch_box(ax, i, y, height if not single else 0.6,
                      "grey" if single else TOWER_COLOURS[t], per)
        ax.text(i, (ys[0] if not single else 0.0) + label_dy
                + (0.25 if single and towers == 2 else 0), r["name"], ha="center", fontsize=11.5,
                weight="bold")
        # connections from the previous column: a grouped conv sees only its own tower
        if prev_is_input:
            pairs = [(y, y) for y in tower_ys]
        else:
            srcs = (0.0,) if prev_single else ys
            crosses = towers == 2 and (r["kind"] == "fc" or layers[r["name"]].groups == 1)
            pairs = [(a, b) for a in srcs for b in tower_ys] if crosses else list(zip(srcs, tower_ys))
        _arch_arrows(ax, i, pairs)
        ops = _after(rows, r["name"])
        if ops:
            ax.text(i + 0.5, (ys[-1] - 0.65) if towers == 2 else -0.85, _op_label(ops),
                    ha="center", va="top", fontsize=10.5, color="dimgrey")
        prev_single, prev_is_input = single, False
    default_title = ("AlexNet, two towers: output shape per tower; dashed = input from both towers"
                     if towers == 2 else "AlexNet, one tower: output shape of each layer")
    ax.set_title(title or default_title, fontsize=12)
    fig.tight_layout()
    return fig


def plot_layer_bars(tables: dict, key: str = "params", title: str | None = None, log: bool = False):
    """Grouped bars of ``key`` ("params" or "macs") per conv/fc layer, one group member per
    labelled layer table in ``tables`` ({label: rows}). Each bar is annotated with its share of
    its table's total, in % (the sign is left to the title: "61%62%" crowds two bars)."""

    labels = list(tables)
    names = [r["name"] for r in _weight_rows(next(iter(tables.values())))]
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    width = 0.8 / len(labels)
    x = np.arange(len(names))
    for j, label in enumerate(labels):
        rows = {r["name"]: r for r in _weight_rows(tables[label])}
        vals = np.array([rows[n][key] for n in names], dtype=float)
        total = vals.sum()
        bars = ax.bar(x + (j - (len(labels) - 1) / 2) * width, vals / 1e6, width, label=label,
                      color=TOWER_COLOURS[j % len(TOWER_COLOURS)])
        for b, v in zip(bars, vals):
            ax.annotate(f"{100 * v / total:.0f}", (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, names)
    ax.set_ylabel({"params": "parameters (millions)", "macs": "multiply-adds (millions)"}
                  .get(key, key))
    if log:
        ax.set_yscale("log")
    ax.set_title(title or {"params": "Parameters per layer; above the bars: % of the model's total",
                           "macs": "Multiply-adds per image and layer; above the bars: % of the total"}.get(key, key),
                 fontsize=12)
    if len(labels) > 1:
        ax.legend(fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def plot_receptive_fields(rows, image=None, input_size: int | None = None):
    """Receptive-field side per conv/pool layer; with ``image`` ((H, W, 3) array of the input
    size), also the field of each conv layer's central unit drawn on it."""
    spatial = [r for r in rows if r["rf"] is not None and r["kind"] in ("conv", "maxpool", "avgpool")]
    size = input_size or (image.shape[0] if image is not None else None)
    ncols = 2 if image is not None else 1
    fig, axes = plt.subplots(1, ncols, figsize=(10 if ncols == 2 else 6, 4.2),
                             gridspec_kw={"width_ratios": [1.4, 1]} if ncols == 2 else None)
    ax = axes[0] if ncols == 2 else axes
    names = [r["name"] for r in spatial]
    ax.plot(names, [r["rf"] for r in spatial], "o-", color=TOWER_COLOURS[0], label="receptive field")
    ax.plot(names, [r["jump"] for r in spatial], "s--", color=TOWER_COLOURS[1], label="jump (input stride)")
    for i, r in enumerate(spatial):
        ax.annotate(str(r["rf"]), (i, r["rf"]), textcoords="offset points", xytext=(0, 5),
                    ha="center", fontsize=11.5)
    if size:
        ax.axhline(size, color="grey", lw=0.8, ls=":")
        ax.text(0, size, f" input side {size}", va="bottom", fontsize=11.5, color="grey")
    ax.set_ylabel("input pixels")
    ax.set_title("Receptive-field growth", fontsize=13)
    ax.tick_params(axis="x", rotation=45, labelsize=12)
    # below the input-side line, above the curves' left half
    ax.legend(fontsize=12, loc="upper left", bbox_to_anchor=(0.0, 0.9))
    ax.spines[["top", "right"]].set_visible(False)
    if image is not None:
        ax2 = axes[1]
        ax2.imshow(image)
        convs = [r for r in spatial if r["kind"] == "conv"]
        cmap = plt.get_cmap("viridis")
        for k, r in enumerate(convs):
            centre = (r["out_shape"][1] - 1) // 2
            start = r["rf_offset"] + centre * r["jump"]
            ax2.add_patch(Rectangle((start - 0.5, start - 0.5), r["rf"], r["rf"], fill=False,
                                    lw=1.6, edgecolor=cmap(k / max(1, len(convs) - 1)),
                                    label=f"{r['name']}: {r['rf']}\u00d7{r['rf']}"))
        pad = max(0, -min(r["rf_offset"] + (r["out_shape"][1] - 1) // 2 * r["jump"] for r in convs))
        ax2.set_xlim(-pad - 1, image.shape[1] + pad)
        ax2.set_ylim(image.shape[0] + pad, -pad - 1)
        ax2.set_title("Field of the central unit", fontsize=13)
        ax2.legend(fontsize=11.5, loc="lower left", bbox_to_anchor=(1.0, 0.0))
        ax2.axis("off")
    fig.tight_layout()
    return fig


def plot_lrn_maps(image01, a, b, chan: int, damp, k: float, beta: float, gain: float, image_title: str):
    """One image (``image01``, (C, H, W) in [0, 1]), one kernel map ``chan`` of the conv1
    responses ``a`` (times ``gain``) before and after LRN (``b``), and the damping map ``damp``."""
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    axes[0].imshow(image01.permute(1, 2, 0).numpy())
    axes[0].set_title(image_title)
    im = axes[1].imshow(a[0, chan].numpy(), cmap="magma")
    axes[1].set_title(f"map {chan}: a (× {gain:.0f})")
    fig.colorbar(im, ax=axes[1], fraction=0.046)
    im = axes[2].imshow((b[0, chan] * k ** beta).numpy(), cmap="magma")
    axes[2].set_title(f"map {chan}: b · k^β after LRN")
    fig.colorbar(im, ax=axes[2], fraction=0.046)
    im = axes[3].imshow(damp[0, chan].numpy(), cmap="viridis", vmin=0, vmax=1)
    axes[3].set_title("damping (k / (k + α Σa²))^β")
    fig.colorbar(im, ax=axes[3], fraction=0.046)
    for ax in axes:
        ax.set_xticks([]), ax.set_yticks([])
    fig.tight_layout()
    return fig


def show_image(ax, img, title=None):
    """Display a (C, H, W) image in [0, 1] (values outside are clipped), titled in
    :data:`IMAGE_TITLE_PT` points (its figure at most :data:`IMAGES_MAX_IN` wide)."""
    ax.imshow(img.permute(1, 2, 0).clamp(0, 1).numpy(), cmap="gray" if img.shape[0] == 1 else None)
    ax.set_xticks([]), ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=IMAGE_TITLE_PT)


def plot_preprocessing(originals, images, mean_image, stored: int):
    """Top: the ``originals`` ({name: uint8 (C, H, W)}) with the central square that survives
    the preprocessing; bottom: the preprocessed ``images``, the mean image and its channel means."""
    fig, axes = plt.subplots(2, len(originals) + 1, figsize=(min(IMAGES_MAX_IN, 2.4 * (len(originals) + 1)), 5.4))
    for k, (name, img) in enumerate(originals.items()):
        h, w = img.shape[1:]
        show_image(axes[0, k], img.float() / 255, f"{name}: {w}×{h}")
        s = min(h, w)   # the central square that survives the preprocessing
        axes[0, k].add_patch(Rectangle(((w - s) / 2, (h - s) / 2), s, s, fill=False, ec="yellow", lw=2))
        show_image(axes[1, k], images[k], f"{stored}×{stored}")
    show_image(axes[1, -1], mean_image, "mean image")
    show_image(axes[0, -1], mean_image.mean((1, 2), keepdim=True).expand_as(mean_image), "per-channel mean")
    fig.suptitle("Top: originals, the central square in yellow. Bottom: after preprocessing.",
                 fontsize=IMAGE_TITLE_PT)
    fig.tight_layout()
    return fig


def plot_pca_lighting(image, pca, settings, generator, draws: int = 6):
    """``draws`` independent PCA-lighting draws of ``image`` per ``(mode, std, label)`` setting."""
    fig, axes = plt.subplots(len(settings), draws + 1, figsize=(IMAGES_MAX_IN, 1.9 * len(settings)))
    for r, (mode, std, label) in enumerate(settings):
        light = PCALighting(pca, std=std, mode=mode, generator=generator)
        show_image(axes[r, 0], image, "original" if r == 0 else None)
        # on two lines where long: the row is 1.9 in high
        axes[r, 0].set_ylabel(textwrap.fill(label, 13), fontsize=IMAGE_TITLE_PT)
        for k in range(1, draws + 1):
            show_image(axes[r, k], light(image))
    fig.suptitle(f"{axes.shape[1] - 1} independent draws of α per row", fontsize=IMAGE_TITLE_PT)
    fig.tight_layout()
    return fig


def plot_kernels(conv1_weight):
    """The first layer's kernels (``conv1.weight``) on one common scale, mid-grey = 0."""
    conv1 = conv1_weight.detach().cpu()
    grid, _ = kernel_grid(conv1)
    fig, ax = plt.subplots(figsize=(min(12, 0.5 + grid.shape[1] / 40), min(8, 0.5 + grid.shape[0] / 40)))
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, interpolation="nearest")
    ax.set_title(f"conv1: {conv1.shape[0]} kernels of {conv1.shape[2]}×{conv1.shape[3]}×{conv1.shape[1]}")
    ax.axis("off")
    return fig


def plot_random_crops(image, patches, draws, crop: int):
    """The windows of random crops drawn on ``image`` (yellow; red when reflected) and the
    ``patches`` beside it (in rows of four), titled with their (top, left) offsets. ``draws``:
    the ``top``, ``left`` and ``flip`` tensors of :attr:`augment.BatchAugment.last_draw`."""
    n = len(patches)
    fig = plt.figure(figsize=(IMAGES_MAX_IN, 4.8))
    ax0 = fig.add_axes([0.0, 0.05, 0.3, 0.85])
    show_image(ax0, image, f"{_count_word(n)} random {crop}×{crop} windows")
    for t, l, f in zip(draws["top"], draws["left"], draws["flip"]):
        ax0.add_patch(Rectangle((int(l), int(t)), crop, crop, fill=False, ec="red" if f else "yellow", lw=1))
    for k in range(n):
        ax = fig.add_axes([0.33 + 0.168 * (k % 4), 0.55 - 0.44 * (k // 4), 0.15, 0.34])
        title = f"({int(draws['top'][k])},{int(draws['left'][k])})" + (" ↔" if draws["flip"][k] else "")
        show_image(ax, patches[k], title)
    fig.text(0.33, 0.01, "Patches (top, left) of the windows; ↔ = reflected (red windows).",
             fontsize=IMAGE_TITLE_PT)
    return fig


def _count_word(n: int) -> str:
    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight")
    return words[n] if n < len(words) else str(n)


def plot_ten_crops(image, windows, patches):
    """The five test windows of ``augment.ten_crop_windows`` drawn on ``image`` and the ten
    ``patches`` (``augment.ten_crop`` of the image, in the same order), named after the windows."""
    fig = plt.figure(figsize=(IMAGES_MAX_IN, 4.6))
    ax0 = fig.add_axes([0.0, 0.1, 0.25, 0.8])
    show_image(ax0, image, "the five windows\n(and their reflections)")
    for w, colour in zip(windows[:5], ["tab:red", "tab:orange", "tab:green", "tab:blue", "white"]):
        ax0.add_patch(Rectangle((w["left"], w["top"]), w["size"], w["size"], fill=False, ec=colour, lw=1.5))
    for k, w in enumerate(windows):   # a column 1.8 in wide: "bottom-right ↔" needs 1.45 in
        ax = fig.add_axes([0.265 + 0.148 * (k % 5), 0.52 - 0.5 * (k // 5), 0.138, 0.4])
        show_image(ax, patches[k], w["name"] + (" ↔" if w["flipped"] else ""))
    return fig


# ----------------------------------------------------------------------------- full training: Figure 4


def plot_neighbours(data, found: dict):
    """The paper's Figure 4 (right) for a :func:`features.figure4_neighbours` result ``found`` on
    its ``data`` (a ``DataBundle``): each query, then its neighbours with class and distance."""
    return neighbour_figure(
        [data.val[i][0] for i in found["queries"]],
        [[data.train[int(found["pool_idx"][j])][0] for j in row] for row in found["idx"]],
        query_labels=found["query_labels"], neighbour_labels=found["neighbour_labels"],
        distances=found["dist"])


def _short_label(label, chars: int = 14) -> str:
    """A class name short enough for a cell of the neighbours' grid: up to its first comma
    (ImageNet's synonyms), cut to ``chars`` characters."""
    text = str(label).split(",")[0].strip()
    return text if len(text) <= chars else text[:chars - 1].rstrip() + "\u2026"


def _to_hwc(img: torch.Tensor) -> np.ndarray:
    arr = img.detach().float().cpu().clamp(0, 1).numpy()
    if arr.shape[0] == 1:
        return arr[0]
    return arr.transpose(1, 2, 0)


def neighbour_figure(query_images: Sequence[torch.Tensor], neighbour_images: Sequence[Sequence[torch.Tensor]],
                     *, query_labels: Sequence[str] | None = None,
                     neighbour_labels: Sequence[Sequence[str]] | None = None,
                     distances=None, cell: float = 1.3):
    """Figure 4 (right) layout: one row per query, the query in the first column (framed),
    its neighbours to the right, nearest first. Images are (C, H, W) tensors in [0, 1]. Cells
    are ``cell`` inches wide, less where the grid would be wider than :data:`NEIGHBOURS_MAX_IN`;
    class names are cut to fit them (:func:`_short_label`)."""
    import matplotlib.pyplot as plt

    rows = len(query_images)
    cols = 1 + max(len(r) for r in neighbour_images)
    cell = min(cell, NEIGHBOURS_MAX_IN / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(min(NEIGHBOURS_MAX_IN, cell * cols), cell * rows * 1.15),
                             squeeze=False)
    chars = max(6, round(14 * cell / 1.3))   # a title's characters in one cell
    for r in range(rows):
        cmap = "gray" if query_images[r].shape[0] == 1 else None
        ax = axes[r][0]
        ax.imshow(_to_hwc(query_images[r]), cmap=cmap, vmin=0, vmax=1)
        title = "query" + (f"\n{_short_label(query_labels[r], chars)}" if query_labels is not None else "")
        ax.set_title(title, fontsize=NEIGHBOUR_TITLE_PT)
        for spine in ax.spines.values():
            spine.set_edgecolor("tab:red")
            spine.set_linewidth(2)
        ax.set_xticks([])
        ax.set_yticks([])
        for c in range(1, cols):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c - 1 >= len(neighbour_images[r]):
                ax.axis("off")
                continue
            img = neighbour_images[r][c - 1]
            ax.imshow(_to_hwc(img), cmap="gray" if img.shape[0] == 1 else None, vmin=0, vmax=1)
            parts = []
            if neighbour_labels is not None:
                parts.append(_short_label(neighbour_labels[r][c - 1], chars))
            if distances is not None:
                parts.append(f"d={float(distances[r][c - 1]):.3g}")
            ax.set_title("\n".join(parts), fontsize=NEIGHBOUR_TITLE_PT)
    fig.tight_layout()
    return fig
