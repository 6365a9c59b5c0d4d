"""Figures shared by chapters. Each function draws from computed data and returns the Figure.

Architecture figures (computed from a model by ``model.layer_table``):
``plot_architecture`` (the paper's Figure 2, redrawn), ``plot_layer_bars`` (parameters or
multiply-adds per layer), ``plot_receptive_fields``.

Experiment figures, one per figure of a chapter: ``plot_runs`` (learning curves of a sweep,
median and range over seeds); ReLU vs tanh: ``plot_unit_derivatives``, ``plot_seed_curves``,
``plot_speedups``; LRN: ``plot_lrn_maps``, ``plot_lrn_column``, ``plot_damping_vs_gain``;
augmentation: ``plot_preprocessing``, ``plot_pca_lighting``, ``plot_epoch_curves``; full training:
``plot_training_record``, ``plot_kernels``.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

from alexnet_repro.augment import PCALighting
from alexnet_repro.features import neighbour_figure
from alexnet_repro.model import layer_table, named_layers
from alexnet_repro.sweeps import error_curve
from alexnet_repro.widgets import kernel_grid

WEIGHT_KINDS = ("conv", "fc")
TOWER_COLOURS = ("#4C72B0", "#DD8452")


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
        elif r["kind"] in ("maxpool", "avgpool"):
            labels.append(f"{'max' if r['kind'] == 'maxpool' else 'avg'}-pool {r['kernel']}/{r['stride']}")
        elif r["kind"] == "dropout":
            labels.append("dropout")
    return "\n".join(labels)


def _arch_box(ax, x, y, h, colour, text):
    """One layer's box (width 0.5) centred at (x, y), with ``text`` inside."""
    w = 0.5
    ax.add_patch(Rectangle((x - w / 2, y - h / 2), w, h, facecolor=colour, alpha=0.25,
                           edgecolor=colour, lw=1.5))
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5)


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
        ax.add_patch(FancyArrowPatch((i - 1 + 0.26, a), (i - 0.26, b), arrowstyle="-|>",
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
    fig, ax = plt.subplots(figsize=(1.25 * n + 0.3, 4.0 if towers == 2 else 2.6))
    ax.set_xlim(-0.35, n - 0.65)
    ys = (0.75, -0.75) if towers == 2 else (0.0,)
    ax.set_ylim(-1.9 if towers == 2 else -1.3, 1.75 if towers == 2 else 1.2)
    ax.axis("off")
    label_dy = 0.62 if towers == 2 else 0.6
    # the input spans both towers
    _arch_box(ax, 0, 0, 2.2 if towers == 2 else 1.0, "grey",
              f"{size}\u00d7{size}\n\u00d7{model.in_channels}")
    ax.text(0, ys[0] + label_dy, "input", ha="center", fontsize=10, weight="bold")
    prev_single, prev_is_input = True, True
    for i, r in enumerate(weights, start=1):
        single = r["name"] == weights[-1]["name"] and towers == 2   # fc8: one softmax layer
        per, height = _arch_column(r, towers, single, rows[0]["out_shape"][1])
        tower_ys = (0.0,) if single else ys
        for t, y in enumerate(tower_ys):
            _arch_box(ax, i, y, height if not single else 0.6,
                      "grey" if single else TOWER_COLOURS[t], per)
        ax.text(i, (ys[0] if not single else 0.0) + label_dy
                + (0.25 if single and towers == 2 else 0), r["name"], ha="center", fontsize=10,
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
            ax.text(i + 0.5, (ys[-1] - 0.75) if towers == 2 else -0.95, _op_label(ops),
                    ha="center", va="top", fontsize=8, color="dimgrey")
        prev_single, prev_is_input = single, False
    default_title = ("AlexNet, two towers: output shape per tower; dashed = input from both towers"
                     if towers == 2 else "AlexNet, one tower: output shape of each layer")
    ax.set_title(title or default_title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_layer_bars(tables: dict, key: str = "params", title: str | None = None, log: bool = False):
    """Grouped bars of ``key`` ("params" or "macs") per conv/fc layer, one group member per
    labelled layer table in ``tables`` ({label: rows}). Each bar is annotated with its share."""

    labels = list(tables)
    names = [r["name"] for r in _weight_rows(next(iter(tables.values())))]
    fig, ax = plt.subplots(figsize=(8, 3.4))
    width = 0.8 / len(labels)
    x = np.arange(len(names))
    for j, label in enumerate(labels):
        rows = {r["name"]: r for r in _weight_rows(tables[label])}
        vals = np.array([rows[n][key] for n in names], dtype=float)
        total = vals.sum()
        bars = ax.bar(x + (j - (len(labels) - 1) / 2) * width, vals / 1e6, width, label=label,
                      color=TOWER_COLOURS[j % len(TOWER_COLOURS)])
        for b, v in zip(bars, vals):
            ax.annotate(f"{100 * v / total:.0f}%", (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, names)
    ax.set_ylabel({"params": "parameters (millions)", "macs": "multiply-adds per image (millions)"}
                  .get(key, key))
    if log:
        ax.set_yscale("log")
    ax.set_title(title or {"params": "Parameters per layer (share of the model's total)",
                           "macs": "Multiply-adds per layer (share of the model's total)"}.get(key, key),
                 fontsize=10)
    if len(labels) > 1:
        ax.legend(fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def plot_receptive_fields(rows, image=None, input_size: int | None = None):
    """Receptive-field side per conv/pool layer; with ``image`` ((H, W, 3) array of the input
    size), also the field of each conv layer's central unit drawn on it."""
    spatial = [r for r in rows if r["rf"] is not None and r["kind"] in ("conv", "maxpool", "avgpool")]
    size = input_size or (image.shape[0] if image is not None else None)
    ncols = 2 if image is not None else 1
    fig, axes = plt.subplots(1, ncols, figsize=(10 if ncols == 2 else 6, 3.8),
                             gridspec_kw={"width_ratios": [1.4, 1]} if ncols == 2 else None)
    ax = axes[0] if ncols == 2 else axes
    names = [r["name"] for r in spatial]
    ax.plot(names, [r["rf"] for r in spatial], "o-", color=TOWER_COLOURS[0], label="receptive field")
    ax.plot(names, [r["jump"] for r in spatial], "s--", color=TOWER_COLOURS[1], label="jump (stride in input pixels)")
    for i, r in enumerate(spatial):
        ax.annotate(str(r["rf"]), (i, r["rf"]), textcoords="offset points", xytext=(0, 5),
                    ha="center", fontsize=7)
    if size:
        ax.axhline(size, color="grey", lw=0.8, ls=":")
        ax.text(0, size, f" input side {size}", va="bottom", fontsize=7, color="grey")
    ax.set_ylabel("input pixels")
    ax.set_title("Receptive-field growth", fontsize=10)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    ax.legend(fontsize=8)
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
        ax2.set_title("Field of the central unit", fontsize=10)
        ax2.legend(fontsize=7, loc="lower left", bbox_to_anchor=(1.0, 0.0))
        ax2.axis("off")
    fig.tight_layout()
    return fig


def plot_runs(runs: Mapping[str, Sequence[Mapping]], *, window: int = 1, target: float | None = None,
              title: str | None = None):
    """Learning curves of ``{variant: [Run or record per seed]}`` (:func:`~alexnet_repro.sweeps.run_seeds`): training top-1 error (training mode,
    every ``log_every`` steps, trailing mean over ``window`` points) against steps, and
    validation top-1 error against epochs; per variant the median over seeds as a line and the
    range (min to max) as a band. ``target``: a horizontal line on the training panel.
    Returns the matplotlib figure."""
    fig, (ax_t, ax_v) = plt.subplots(1, 2, figsize=(11, 3.8))
    for i, (variant, recs) in enumerate(runs.items()):
        color = f"C{i}"
        curves = [error_curve(r["steps"], window=window) for r in recs if r.get("steps")]
        if curves:
            n = min(len(c[0]) for c in curves)
            steps = np.array(curves[0][0][:n])
            errs = np.array([c[1][:n] for c in curves])
            ax_t.plot(steps, np.median(errs, 0), color=color, label=variant)
            ax_t.fill_between(steps, errs.min(0), errs.max(0), color=color, alpha=0.2, lw=0)
        n = min(len(r["history"]) for r in recs)
        epochs = np.arange(1, n + 1)
        val = np.array([[h["val_top1_error"] for h in r["history"][:n]] for r in recs])
        ax_v.plot(epochs, np.median(val, 0), color=color, label=variant)
        ax_v.fill_between(epochs, val.min(0), val.max(0), color=color, alpha=0.2, lw=0)
    if target is not None:
        ax_t.axhline(target, color="k", lw=0.8, ls="--", label=f"target {target:g}")
    ax_t.set(xlabel="step", ylabel="training top-1 error (training mode)", ylim=(0, 1))
    ax_v.set(xlabel="epoch", ylabel="validation top-1 error", ylim=(0, 1))
    for ax in (ax_t, ax_v):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    nseeds = {len(r) for r in runs.values()}
    fig.suptitle((title + " — " if title else "") + f"median and range over {'/'.join(map(str, sorted(nseeds)))} seeds",
                 fontsize=10)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- ReLU vs tanh (§3.1)

def plot_unit_derivatives(xs, derivs, init_norms, layers, grad_images: int):
    """Left: ReLU and tanh with their derivatives (``derivs[name]`` at ``xs``); right: the
    gradient norm per layer at initialisation (``init_norms[name][layer]``)."""
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax0.plot(xs, derivs["relu"], label="ReLU: $f'(x)$", color="C0")
    ax0.plot(xs, derivs["tanh"], label="tanh: $f'(x) = 1 - \\tanh^2 x$", color="C1", ls="--")
    ax0.plot(xs, np.maximum(xs, 0), color="C0", alpha=0.3, label="ReLU: $f(x)$")
    ax0.plot(xs, np.tanh(xs), color="C1", alpha=0.3, ls="--", label="tanh: $f(x)$")
    ax0.set(xlabel="input $x$", ylim=(-1.1, 2.1), title="units and their derivatives (autograd)")
    ax0.grid(alpha=0.3)
    ax0.legend(fontsize=8)
    pos = np.arange(len(layers))
    ax1.bar(pos - 0.2, [init_norms["relu"][k] for k in layers], 0.4, label="ReLU", color="C0")
    ax1.bar(pos + 0.2, [init_norms["tanh"][k] for k in layers], 0.4, label="tanh", color="C1")
    ax1.set_xticks(pos, layers)
    ax1.set_yscale("log")
    ax1.set(ylabel="‖∂loss/∂W‖", title=f"gradient norm per layer at initialisation ({grad_images} images)")
    ax1.grid(alpha=0.3, axis="y")
    ax1.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_seed_curves(runs, best_lr, targets, target, steps_per_epoch: float, window: int, title: str):
    """The paper's Figure 1 redrawn: training error against epochs (log axis) of every seed
    (thin lines) and their median, per variant of ``runs`` (``"relu"``/``"tanh"``), with the
    ``targets`` as dotted lines (``target`` thicker)."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    styles = {"relu": dict(color="C0", ls="-"), "tanh": dict(color="C1", ls="--")}
    for v in runs:
        curves = [error_curve(r["steps"], window=window) for r in runs[v]]
        n = min(len(c[0]) for c in curves)
        ep = np.array(curves[0][0][:n]) / steps_per_epoch
        errs = np.array([c[1][:n] for c in curves])
        for e in errs:
            ax.plot(ep, e, alpha=0.25, lw=0.8, **styles[v])
        ax.plot(ep, np.median(errs, 0), lw=2, label=f"{v} (lr {best_lr[v]:g}), median of {len(errs)} seeds",
                **styles[v])
    for t in targets:
        ax.axhline(t, color="k", lw=0.6 if t != target else 1.2, ls=":", alpha=0.6)
    ax.set_xscale("log")
    ax.set(xlabel="epochs (log scale)", ylabel="training error rate", ylim=(0, 1), title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_speedups(by_target, targets, paper_factor: float, paper_label: str):
    """Speed-up (slow steps / fast steps) per seed pair at each target error (▲ lower bound,
    ▼ upper bound) and the geometric mean ×/÷ spread; ``by_target[t]["speedup"]`` is
    :func:`alexnet_repro.judging.speedup`'s dict. A dashed line at the paper's factor."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for t in targets:
        sp = by_target[t]["speedup"]
        for p in sp["pairs"]:
            if p["ratio"] is not None:
                marker = {"exact": "o", "lower": "^", "upper": "v"}[p["kind"]]
                ax.scatter(100 * t, p["ratio"], marker=marker, color="C2", alpha=0.5, s=20)
        if sp["geo_mean"] is not None:
            f = math.exp(sp["log_std"]) if sp["log_std"] is not None else 1.0
            ax.errorbar(100 * t, sp["geo_mean"], yerr=[[sp["geo_mean"] - sp["geo_mean"] / f],
                                                       [sp["geo_mean"] * f - sp["geo_mean"]]],
                        fmt="s", color="k", capsize=3)
    ax.axhline(1, color="k", lw=0.8)
    ax.axhline(paper_factor, color="C3", ls="--", lw=1, label=paper_label)
    ax.set_yscale("log")
    ticks = [0.125, 0.25, 0.5, 1, 2, 4, 8, 16]
    lo, hi = ax.get_ylim()
    ax.set_yticks([t for t in ticks if lo <= t <= hi], [f"{t:g}" for t in ticks if lo <= t <= hi])
    ax.minorticks_off()
    ax.invert_xaxis()
    ax.set(xlabel="target training error (%)", ylabel="speed-up (tanh steps / ReLU steps)",
           title="speed-up per seed (▲ lower bound, ▼ upper bound) and geometric mean ×/÷ spread")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- LRN (§3.3)

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


def plot_lrn_column(col_a, col_b):
    """All kernel maps at one position before (``col_a``) and after LRN (``col_b``), each
    scaled to its largest value."""
    fig, ax = plt.subplots(figsize=(11, 2.8))
    idx = np.arange(len(col_a))
    ax.bar(idx - 0.2, (col_a / col_a.max()).numpy(), width=0.4, label="a / max a (before)")
    ax.bar(idx + 0.2, (col_b / col_b.max()).numpy(), width=0.4, label="b / max b (after LRN)")
    ax.set(xlabel="kernel map", ylabel="relative activity",
           title=f"all {len(col_a)} maps at the position of the strongest total response, each scaled to its largest")
    ax.legend(fontsize=8)
    return fig


def plot_damping_vs_gain(gains, sweep, gain_star: float, xlabel: str):
    """Median (band: 5–95%) damping beyond ``k^-β`` against the gain on the responses, per
    implementation (``sweep[label]``: rows ``(q95, median, q5)`` per gain)."""
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    for i, (label, d) in enumerate(sweep.items()):
        ax.plot(gains, d[:, 1], color=f"C{i}", label=label.split(":")[0])
        ax.fill_between(gains, d[:, 2], d[:, 0], color=f"C{i}", alpha=0.2, lw=0)
    ax.axvline(1.0, color="grey", lw=0.8)
    ax.axvline(gain_star, color="grey", lw=0.8, ls="--")
    ax.set(xscale="log", ylim=(0, 1.02), ylabel="damping beyond k^-β (median, 5–95%)", xlabel=xlabel)
    ax.legend(fontsize=8)
    return fig


# ----------------------------------------------------------------------------- augmentation (§4.1)

def show_image(ax, img, title=None):
    """Display a (C, H, W) image in [0, 1] (values outside are clipped)."""
    ax.imshow(img.permute(1, 2, 0).clamp(0, 1).numpy(), cmap="gray" if img.shape[0] == 1 else None)
    ax.set_xticks([]), ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)


def plot_preprocessing(originals, images, mean_image, stored: int):
    """Top: the ``originals`` ({name: uint8 (C, H, W)}) with the central square that survives
    the preprocessing; bottom: the preprocessed ``images``, the mean image and its channel means."""
    fig, axes = plt.subplots(2, len(originals) + 1, figsize=(2.4 * (len(originals) + 1), 5))
    for k, (name, img) in enumerate(originals.items()):
        h, w = img.shape[1:]
        show_image(axes[0, k], img.float() / 255, f"{name}: {w}×{h}")
        s = min(h, w)   # the central square that survives the preprocessing
        axes[0, k].add_patch(Rectangle(((w - s) / 2, (h - s) / 2), s, s, fill=False, ec="yellow", lw=2))
        show_image(axes[1, k], images[k], f"{stored}×{stored}")
    show_image(axes[1, -1], mean_image, "mean image")
    show_image(axes[0, -1], mean_image.mean((1, 2), keepdim=True).expand_as(mean_image), "per-channel mean")
    fig.suptitle("Top: originals, the central square in yellow. Bottom: after preprocessing.", fontsize=10)
    fig.tight_layout()
    return fig


def plot_pca_lighting(image, pca, settings, generator, draws: int = 6):
    """``draws`` independent PCA-lighting draws of ``image`` per ``(mode, std, label)`` setting."""
    fig, axes = plt.subplots(len(settings), draws + 1, figsize=(12, 1.9 * len(settings)))
    for r, (mode, std, label) in enumerate(settings):
        light = PCALighting(pca, std=std, mode=mode, generator=generator)
        show_image(axes[r, 0], image, "original" if r == 0 else None)
        axes[r, 0].set_ylabel(label, fontsize=8)
        for k in range(1, draws + 1):
            show_image(axes[r, k], light(image))
    fig.suptitle(f"{axes.shape[1] - 1} independent draws of α per row", fontsize=10)
    fig.tight_layout()
    return fig


def plot_epoch_curves(runs, colours):
    """Training and validation top-1 error per epoch of ``{variant: [Run or record per seed]}``:
    mean over seeds, band from the seeds' minimum to maximum."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    for v, rs in runs.items():
        ep = np.array([h["epoch"] for h in rs[0]["history"]])
        for ax, key in zip(axes, ("train_top1_error", "val_top1_error")):
            curves = np.array([[h[key] for h in r["history"]] for r in rs])
            ax.plot(ep, curves.mean(0), color=colours.get(v), label=v)
            if len(rs) > 1:
                ax.fill_between(ep, curves.min(0), curves.max(0), color=colours.get(v), alpha=0.2, lw=0)
    for ax, title in zip(axes, ("training error (on the training patches)", "validation error (centre patch)")):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("top-1 error")
    axes[1].legend(title="augment")
    fig.suptitle("Mean over seeds; the band spans the seeds' minimum and maximum", fontsize=9)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- full training (§5)

def _pct(v):
    return None if v is None else 100.0 * v


def plot_training_record(record, batch_size: int, log_every: int):
    """Top-1 and top-5 error (%) per epoch of one training ``record``, training and validation,
    the logged training steps on the top-1 panel and the learning-rate drops as dotted lines."""
    hist, ds = record["history"], record["dataset"]
    epochs_x = [h["epoch"] for h in hist]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, k, name in ((axes[0], "top1", "top-1"), (axes[1], "top5", "top-5")):
        for split, style in (("train", "--"), ("val", "-")):
            ys = [_pct(h.get(f"{split}_{k}_error")) for h in hist]
            if any(y is not None for y in ys):
                ax.plot(epochs_x, [np.nan if y is None else y for y in ys], style, marker="o", ms=3,
                        label=f"{'training (augmented, dropout on; mean over the epoch)' if split == 'train' else 'validation (centre crop, end of epoch)'}")
        if k == "top1" and record["steps"]:
            spe = max(1, math.ceil(ds["train_images"] / batch_size))
            ax.plot([s["step"] / spe for s in record["steps"]], [_pct(s["train_top1_error"]) for s in record["steps"]],
                    color="0.7", lw=0.8, zorder=0, label=f"training, every {log_every} steps")
        for d in record["lr_drops"]:
            ax.axvline(d["epoch"], color="k", ls=":", lw=1)
            ax.text(d["epoch"], ax.get_ylim()[1], f" lr {d['lr']:g}", va="top", fontsize=8)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{name} error (%)")
        ax.set_title(f"{name} error")
        ax.legend(fontsize=8)
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


FOREST_UNITS = {"points": "effect (points of error)", "log ratio": "speed-up (\u00d7, log scale)"}


def forest_plot(rows, title: str | None = None):
    """Forest plot: one line per claim, its estimate and interval, the paper's value as a red
    diamond where the claim has one, rows grouped by chapter (in order of first appearance).

    ``rows``: dicts with ``"chapter"``, ``"label"``, ``"unit"`` (``"points"``, or ``"log ratio"``
    for log speed-ups, drawn as ratios on a log axis) and the keys of a
    ``verdicts.replication`` result (``"estimate"``, ``"ci"``, ``"paper"``, ``"outcome"``). One
    panel per unit present; an infinite interval end is drawn to the panel's edge; a row with
    no estimate (``None``) gets no error bar; a row with censored runs also shows, dashed, the
    union of its intervals over the censored values' range (``ci_hull``). Each row's label ends with its outcome;
    hollow markers are inconclusive outcomes.
    """
    for r in rows:
        if r.get("unit") not in FOREST_UNITS:
            raise ValueError(f"forest_plot: row {r.get('label')!r} has unit {r.get('unit')!r}; "
                             f"use one of {sorted(FOREST_UNITS)}")
    chapters = list(dict.fromkeys(r["chapter"] for r in rows))
    placed, y, ticks = [], 0, []
    for chapter in chapters:
        ticks.append((y, chapter, True))
        y -= 1
        for r in (r for r in rows if r["chapter"] == chapter):
            placed.append((y, r))
            ticks.append((y, f"{r['label']}: {r.get('outcome', '')}", False))
            y -= 1
        y -= 0.5
    units = [u for u in FOREST_UNITS if any(r["unit"] == u for r in rows)] or ["points"]
    fig, axes = plt.subplots(1, len(units), sharey=True, squeeze=False,
                             figsize=(4.5 * len(units) + 3, 0.32 * (len(placed) + len(chapters)) + 1.4))
    for ax, unit in zip(axes[0], units):
        _forest_panel(ax, [(yy, r) for yy, r in placed if r["unit"] == unit], unit)
    axes[0][0].set_yticks([t[0] for t in ticks], [t[1] for t in ticks], fontsize=8)
    for label, (_, _, bold) in zip(axes[0][0].get_yticklabels(), ticks):
        label.set_fontweight("bold" if bold else "normal")
    axes[0][0].set_ylim(y + 0.5, 0.8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _forest_panel(ax, placed, unit):
    ratio = unit == "log ratio"
    show = (lambda v: math.exp(v)) if ratio else (lambda v: v)
    finite = [v for _, r in placed for v in (*r["ci"], r["estimate"], r["paper"])
              if v is not None and math.isfinite(v)] or [0.0]
    lo_edge, hi_edge = min(finite + [0.0]), max(finite + [0.0])
    pad = 0.1 * (hi_edge - lo_edge or 1.0)
    lo_edge, hi_edge = lo_edge - pad, hi_edge + pad
    for yy, r in placed:
        if r["estimate"] is not None:
            lo, hi = (min(max(v, lo_edge), hi_edge) for v in r["ci"])
            est = r["estimate"]
            filled = r.get("outcome") != "inconclusive"
            if r.get("n_censored") and r.get("ci_hull"):
                h_lo, h_hi = (show(min(max(v, lo_edge), hi_edge)) for v in r["ci_hull"])
                ax.plot([h_lo, h_hi], [yy, yy], color="grey", lw=0.8, ls="--",
                        label="range with censored runs")
            ax.errorbar([show(est)], [yy], xerr=[[show(est) - show(lo)], [show(hi) - show(est)]],
                        fmt="o", color="black", mfc="black" if filled else "white", ms=5, capsize=3)
        if r["paper"] is not None:
            ax.plot([show(r["paper"])], [yy], marker="D", color="#C44E52", ls="none", ms=6,
                    label="paper")
    ax.axvline(show(0.0), color="grey", lw=0.8, ls=":")
    if ratio:
        ax.set_xscale("log")
        times = FuncFormatter(lambda v, _: f"{v:g}\u00d7")
        ax.xaxis.set_major_formatter(times)
        ax.xaxis.set_minor_formatter(times)
        ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlim(show(lo_edge), show(hi_edge))
    ax.set_xlabel(FOREST_UNITS[unit], fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        unique = dict(zip(labels, handles))
        ax.legend(unique.values(), unique.keys(), fontsize=7, loc="lower right")


# ----------------------------------------------------------------------------- augmentation: the patches

def plot_random_crops(image, patches, draws, crop: int):
    """The windows of random crops drawn on ``image`` (yellow; red when reflected) and the
    ``patches`` beside it, titled with their (top, left) offsets. ``draws``: the ``top``,
    ``left`` and ``flip`` tensors of :attr:`augment.BatchAugment.last_draw`."""
    n = len(patches)
    fig = plt.figure(figsize=(12, 3.6))
    ax0 = fig.add_axes([0.0, 0.05, 0.3, 0.85])
    show_image(ax0, image, f"{_count_word(n)} random {crop}×{crop} windows")
    for t, l, f in zip(draws["top"], draws["left"], draws["flip"]):
        ax0.add_patch(Rectangle((int(l), int(t)), crop, crop, fill=False, ec="red" if f else "yellow", lw=1))
    for k in range(n):
        ax = fig.add_axes([0.31 + 0.086 * (k % 8), 0.3, 0.082, 0.4])
        title = f"({int(draws['top'][k])},{int(draws['left'][k])})" + (" ↔" if draws["flip"][k] else "")
        show_image(ax, patches[k], title)
    fig.text(0.31, 0.15, "Patches (top, left) of the windows; ↔ = reflected (red windows).", fontsize=9)
    return fig


def _count_word(n: int) -> str:
    words = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight")
    return words[n] if n < len(words) else str(n)


def plot_ten_crops(image, windows, patches):
    """The five test windows of ``augment.ten_crop_windows`` drawn on ``image`` and the ten
    ``patches`` (``augment.ten_crop`` of the image, in the same order), named after the windows."""
    fig = plt.figure(figsize=(12, 4.6))
    ax0 = fig.add_axes([0.0, 0.1, 0.28, 0.8])
    show_image(ax0, image, "the five windows (and their reflections)")
    for w, colour in zip(windows[:5], ["tab:red", "tab:orange", "tab:green", "tab:blue", "white"]):
        ax0.add_patch(Rectangle((w["left"], w["top"]), w["size"], w["size"], fill=False, ec=colour, lw=1.5))
    for k, w in enumerate(windows):
        ax = fig.add_axes([0.3 + 0.14 * (k % 5), 0.52 - 0.5 * (k // 5), 0.13, 0.4])
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
