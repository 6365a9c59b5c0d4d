"""Figures shared by chapters. Each function draws from computed data and returns the Figure.

Architecture figures (computed from a model by ``model.layer_table``):
``plot_architecture`` (the paper's Figure 2, redrawn), ``plot_layer_bars`` (parameters or
multiply-adds per layer), ``plot_receptive_fields``.

Results: ``forest_plot`` (every claim's effect with its interval and the paper's value, grouped
by chapter).
"""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, Rectangle
from matplotlib.ticker import FuncFormatter

from alexnet_repro.model import layer_table, named_layers

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
    import numpy as np

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
