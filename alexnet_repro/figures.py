"""Figures shared by chapters. Each function draws from computed data and returns the Figure.

Architecture figures (computed from a model by ``model.layer_table``):
``plot_architecture`` (the paper's Figure 2, redrawn), ``plot_layer_bars`` (parameters or
multiply-adds per layer), ``plot_receptive_fields``.

Experiment figures: ``plot_runs`` (learning curves of a sweep, median and range over seeds).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, Rectangle

from alexnet_repro.model import layer_table, named_layers
from alexnet_repro.sweeps import error_curve

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

    def box(x, y, h, label, colour, shape):
        w = 0.5
        ax.add_patch(Rectangle((x - w / 2, y - h / 2), w, h, facecolor=colour, alpha=0.25,
                               edgecolor=colour, lw=1.5))
        ax.text(x, y, shape, ha="center", va="center", fontsize=8.5)
        return (x - w / 2, x + w / 2)

    # the input spans both towers
    ch = model.in_channels
    box(0, 0, 2.2 if towers == 2 else 1.0, "input", "grey", f"{size}\u00d7{size}\n\u00d7{ch}")
    ax.text(0, ys[0] + (0.62 if towers == 2 else 0.6), "input", ha="center", fontsize=10, weight="bold")
    prev_single, prev_is_input = True, True
    for i, r in enumerate(weights, start=1):
        m = layers[r["name"]]
        single = r["name"] == weights[-1]["name"] and towers == 2   # fc8: one softmax layer
        if r["kind"] == "conv":
            c, h, w = r["out_shape"]
            per = f"{h}\u00d7{w}\n\u00d7{c // towers}"
            height = 0.35 + 0.55 * (h / rows[0]["out_shape"][1])
        else:
            (c,) = r["out_shape"]
            per = f"{c if single else c // towers}"
            height = 0.45
        tower_ys = (0.0,) if single else ys
        for t, y in enumerate(tower_ys):
            box(i, y, height if not single else 0.6, r["name"],
                "grey" if single else TOWER_COLOURS[t], per)
        ax.text(i, (ys[0] if not single else 0.0) + (0.62 if towers == 2 else 0.6) + (0.25 if single and towers == 2 else 0),
                r["name"], ha="center", fontsize=10, weight="bold")
        # connections from the previous column: a grouped conv sees only its own tower
        if prev_is_input:
            pairs = [(y, y) for y in tower_ys]
        else:
            srcs = (0.0,) if prev_single else ys
            crosses = towers == 2 and (r["kind"] == "fc" or m.groups == 1)
            pairs = [(a, b) for a in srcs for b in tower_ys] if crosses else list(zip(srcs, tower_ys))
        for a, b in pairs:
            style = "-" if a == b else (0, (3, 2))
            ax.add_patch(FancyArrowPatch((i - 1 + 0.26, a), (i - 0.26, b), arrowstyle="-|>",
                                         mutation_scale=9, lw=1.0, color="black", linestyle=style))
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
