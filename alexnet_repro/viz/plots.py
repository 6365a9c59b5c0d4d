"""Figures shared by chapters. Each function draws from computed data and returns the Figure.

Curves and plots of numbers:
``plot_runs`` (learning curves of a sweep, median and range over seeds); ReLU vs tanh:
``plot_unit_derivatives``, ``plot_seed_curves``, ``plot_speedups``; LRN: ``plot_lrn_column``,
``plot_damping_vs_gain``; augmentation: ``plot_epoch_curves``; full training:
``plot_training_record``; results: ``forest_plot``. Drawings of the network and of images
(Figure 2 redrawn, receptive fields, crops, PCA lighting, kernels, neighbours) live in
:mod:`alexnet_repro.viz.drawings`.
"""
from __future__ import annotations

import math
import textwrap
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter, NullLocator

from alexnet_repro.analysis.run_metrics import error_curve
from alexnet_repro.analysis.judging import OUTCOME_COLOURS
from alexnet_repro.analysis.verdicts import DECISIVE, EFFECT_OUTCOMES



def plot_runs(runs: Mapping[str, Sequence[Mapping]], *, window: int = 1, target: float | None = None,
              title: str | None = None, key: str = "train_top1_error",
              train_label: str = "training top-1 error (training mode)"):
    """Learning curves of ``{variant: [Run or record per seed]}`` (:func:`~alexnet_repro.analysis.sweeps.run_seeds`): training top-1 error (training mode,
    every ``log_every`` steps, trailing mean over ``window`` points) against steps, and
    validation top-1 error against epochs; per variant the median over seeds as a line and the
    range (min to max) as a band. ``target``: a horizontal line on the training panel.
    ``key``/``train_label``: the step log's error on the training panel and its axis label
    (e.g. ``"eval_train_top1_error"``, evaluation mode). Returns the matplotlib figure."""
    fig, (ax_t, ax_v) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    for i, (variant, recs) in enumerate(runs.items()):
        color = f"C{i}"
        curves = [error_curve(r["steps"], key, window=window) for r in recs if r.get("steps")]
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
    ax_t.set(xlabel="step", ylabel=textwrap.fill(train_label, 24), ylim=(0, 1))
    ax_v.set(xlabel="epoch", ylabel="validation top-1 error", ylim=(0, 1))
    for ax in (ax_t, ax_v):
        ax.grid(alpha=0.3)
    # one legend for both panels, below them (inside, it hides the curves)
    fig.legend(*ax_t.get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=12.5)
    nseeds = {len(r) for r in runs.values()}
    fig.suptitle((title + " — " if title else "") + f"median and range over {'/'.join(map(str, sorted(nseeds)))} seeds",
                 fontsize=13)
    return fig


# ----------------------------------------------------------------------------- ReLU vs tanh (§3.1)


def plot_unit_derivatives(xs, derivs, init_norms, layers, grad_images: int):
    """Left: ReLU and tanh with their derivatives (``derivs[name]`` at ``xs``); right: the
    gradient norm per layer at initialisation (``init_norms[name][layer]``)."""
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax0.plot(xs, derivs["relu"], label="ReLU: $f'(x)$", color="C0")
    ax0.plot(xs, np.maximum(xs, 0), color="C0", alpha=0.3, label="ReLU: $f(x)$")
    ax0.plot(xs, derivs["tanh"], label="tanh: $f'(x)$", color="C1", ls="--")
    ax0.plot(xs, np.tanh(xs), color="C1", alpha=0.3, ls="--", label="tanh: $f(x)$")
    ax0.set(xlabel="input $x$", ylim=(-1.1, 2.9), title="units and their derivatives\n(autograd)")
    ax0.grid(alpha=0.3)
    ax0.legend(fontsize=11.5, ncol=2, loc="upper left")
    pos = np.arange(len(layers))
    ax1.bar(pos - 0.2, [init_norms["relu"][k] for k in layers], 0.4, label="ReLU", color="C0")
    ax1.bar(pos + 0.2, [init_norms["tanh"][k] for k in layers], 0.4, label="tanh", color="C1")
    ax1.set_xticks(pos, layers, rotation=45, ha="right", rotation_mode="anchor")
    ax1.set_yscale("log")
    ax1.set(ylabel="‖∂loss/∂W‖", title=f"gradient norm per layer at\ninitialisation ({grad_images} images)")
    ax1.grid(alpha=0.3, axis="y")
    ax1.legend(fontsize=11.5)
    fig.tight_layout()
    return fig


def plot_seed_curves(runs, best_lr, targets, target, steps_per_epoch: float, window: int, title: str):
    """The paper's Figure 1 redrawn: training error against epochs (log axis) of every seed
    (thin lines, each as long as its run: a run may stop at its target) and their median (thick,
    over the steps every seed of the variant still ran), per variant of ``runs``
    (``"relu"``/``"tanh"``), with the ``targets`` as dotted lines (``target`` thicker)."""
    fig, ax = plt.subplots(figsize=(8, 4.2))
    styles = {"relu": dict(color="C0", ls="-"), "tanh": dict(color="C1", ls="--")}
    for v in runs:
        curves = [error_curve(r["steps"], window=window) for r in runs[v]]
        for steps, errors in curves:
            ax.plot(np.array(steps) / steps_per_epoch, errors, alpha=0.25, lw=0.8, **styles[v])
        n = min(len(c[0]) for c in curves)
        ep = np.array(curves[0][0][:n]) / steps_per_epoch
        median = np.median(np.array([c[1][:n] for c in curves]), 0)
        ax.plot(ep, median, lw=2, label=f"{v} (lr {best_lr[v]:g}), median of {len(curves)} seeds", **styles[v])
    for t in targets:
        ax.axhline(t, color="k", lw=0.6 if t != target else 1.2, ls=":", alpha=0.6)
    ax.set_xscale("log")
    ax.set(xlabel="epochs (log scale)", ylabel="training error rate", ylim=(0, 1), title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    fig.tight_layout()
    return fig


_RATIO_TICKS = sorted({m * 10.0 ** e for e in range(-4, 5) for m in (1, 2, 5)})


def plot_speedups(by_target, paper_factor: float, paper_label: str, *, judged_at: float | None = None,
                  ylabel: str = "speed-up (tanh steps / ReLU steps)"):
    """The speed-up curve of :func:`alexnet_repro.analysis.run_metrics.speedups_by_target`: per target
    training error the geometric mean over seeds of the per-seed speed-ups (``exp`` of
    ``by_target[t]["result"]["estimate"]``) with its 95% interval (``exp`` of ``"ci"``); where
    runs are censored, dashed, the range of the interval over the censored values
    (``"ci_hull"``). Filled markers: the interval excludes 1× whatever the censored values are
    (an outcome in ``verdicts.EFFECT_OUTCOMES``); hollow: the direction is not settled. An
    infinite interval end (fewer than 2 seeds) is drawn to the axis' edge, as is a censored range
    beyond the intervals; a target with no estimate (both runs of a pair censored) gets no
    marker. A dashed line at the paper's factor, a circle around the target the chapter judges
    (``judged_at``)."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    shown = [(t, b["result"]) for t, b in by_target.items() if b["result"]["estimate"] is not None]
    finite = [v for _, r in shown for v in (*r["ci"], r["estimate"]) if math.isfinite(v)]
    lo_edge = min(finite + [0.0, math.log(paper_factor)]) - 0.1
    hi_edge = max(finite + [0.0, math.log(paper_factor)]) + 0.1
    for t, r in shown:
        est = r["estimate"]
        lo, hi = (min(max(v, lo_edge), hi_edge) for v in r["ci"])
        if r.get("n_censored") and r.get("ci_hull"):
            h_lo, h_hi = (math.exp(min(max(v, lo_edge), hi_edge)) for v in r["ci_hull"])
            ax.plot([100 * t] * 2, [h_lo, h_hi], color="grey", lw=0.8, ls="--",
                    label="interval's range with censored runs")
        settled = r["outcome"] in EFFECT_OUTCOMES
        ax.errorbar([100 * t], [math.exp(est)], yerr=[[math.exp(est) - math.exp(lo)], [math.exp(hi) - math.exp(est)]],
                    fmt="s", color="k", mfc="k" if settled else "white", capsize=3,
                    label="geometric mean, 95% interval")
        if judged_at is not None and t == judged_at:
            ax.plot([100 * t], [math.exp(est)], marker="o", ms=14, mfc="none", color="C3", ls="none",
                    label="the judged target")
    ax.axhline(1, color="k", lw=0.8)
    ax.axhline(paper_factor, color="C3", ls="--", lw=1, label=paper_label)
    ax.set_yscale("log")
    ax.set_ylim(math.exp(lo_edge), math.exp(hi_edge))
    ticks = [t for t in _RATIO_TICKS if lo_edge <= math.log(t) <= hi_edge]
    if len(ticks) > 9:
        ticks = [t for t in ticks if math.log10(t) == round(math.log10(t))]
    ax.set_yticks(ticks, [f"{t:g}\u00d7" for t in ticks])
    ax.minorticks_off()
    ax.invert_xaxis()
    ax.set(xlabel="target training error (%)", ylabel=textwrap.fill(ylabel, 22))
    ax.set_title("speed-up: geometric mean over seeds, 95% interval\n(hollow: direction not settled)", fontsize=13)
    ax.grid(alpha=0.3, which="both")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=10.5)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- LRN (§3.3)


def plot_lrn_column(col_a, col_b):
    """All kernel maps at one position before (``col_a``) and after LRN (``col_b``), each
    scaled to its largest value."""
    fig, ax = plt.subplots(figsize=(11, 3.4))
    idx = np.arange(len(col_a))
    ax.bar(idx - 0.2, (col_a / col_a.max()).numpy(), width=0.4, label="a / max a (before)")
    ax.bar(idx + 0.2, (col_b / col_b.max()).numpy(), width=0.4, label="b / max b (after LRN)")
    ax.set(xlabel="kernel map", ylabel="relative activity", ylim=(0, 1.4), yticks=[0, 0.25, 0.5, 0.75, 1],
           title=f"all {len(col_a)} maps at the position of the strongest total response, each scaled to its largest")
    ax.legend(fontsize=12.5, ncol=2, loc="upper right")   # above the bars (at most 1)
    fig.tight_layout()
    return fig


def plot_damping_vs_gain(gains, sweep, gain_star: float, xlabel: str):
    """Median (band: 5–95%) damping beyond ``k^-β`` against the gain on the responses, per
    implementation (``sweep[label]``: rows ``(q95, median, q5)`` per gain)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    for i, (label, d) in enumerate(sweep.items()):
        ax.plot(gains, d[:, 1], color=f"C{i}", label=label.split(":")[0])
        ax.fill_between(gains, d[:, 2], d[:, 0], color=f"C{i}", alpha=0.2, lw=0)
    ax.axvline(1.0, color="grey", lw=0.8)
    ax.axvline(gain_star, color="grey", lw=0.8, ls="--")
    ax.set(xscale="log", ylim=(0, 1.02), ylabel="damping beyond k^-β\n(median, 5–95%)",
           xlabel=textwrap.fill(xlabel, 48))
    ax.legend(fontsize=11)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- augmentation (§4.1)


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
        ax.set_title(title, fontsize=13)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("top-1 error")
    axes[1].legend(title="augment")
    fig.suptitle("Mean over seeds; the band spans the seeds' minimum and maximum", fontsize=13)
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
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    for ax, k, name in ((axes[0], "top1", "top-1"), (axes[1], "top5", "top-5")):
        for split, style in (("train", "--"), ("val", "-")):
            ys = [_pct(h.get(f"{split}_{k}_error")) for h in hist]
            if any(y is not None for y in ys):
                ax.plot(epochs_x, [np.nan if y is None else y for y in ys], style, marker="o", ms=3,
                        label=f"{'training (augmented, dropout on; epoch mean)' if split == 'train' else 'validation (centre crop, end of epoch)'}")
        if k == "top1" and record["steps"]:
            spe = max(1, math.ceil(ds["train_images"] / batch_size))
            ax.plot([s["step"] / spe for s in record["steps"]], [_pct(s["train_top1_error"]) for s in record["steps"]],
                    color="0.7", lw=0.8, zorder=0, label=f"training, every {log_every} steps")
        for d in record["lr_drops"]:   # upright along the line: drops a few epochs apart stay apart
            ax.axvline(d["epoch"], color="k", ls=":", lw=1)
            ax.text(d["epoch"], ax.get_ylim()[1], f"lr {d['lr']:g} ", rotation=90, ha="right", va="top",
                    fontsize=12.5)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{name} error (%)")
        ax.set_title(f"{name} error")
    # one legend below both panels (inside, the long labels cover the curves)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=12.5)
    return fig


FOREST_UNITS = {"points": "effect (points of error)", "log ratio": "ratio (\u00d7, log scale)"}
#: Effects (points of error) beyond this get a panel of their own, so that the small ones stay visible.
FOREST_LARGE = 10.0
#: The forest plot's width (inches; 680 px at 100 dpi, within the book's text column of about
#: 690-760 px at a 1280-px window, so that it is not scaled down) and its smallest font (points).
FOREST_WIDTH_IN, FOREST_FONT = 6.8, 10
_FOREST_LEFT_IN, _FOREST_RIGHT_IN, _FOREST_ROW_IN, _FOREST_WRAP = 2.4, 1.25, 0.52, 30


def forest_panels(rows, large: float = FOREST_LARGE) -> list[tuple[str, str, list]]:
    """The forest plot's panels, ``(unit, title, rows)``, each kept only if it has rows: effects
    in points within ``large`` of zero (estimate and the paper's value), effects in points beyond
    it, and speed-ups (log ratios, drawn as ratios on a log axis)."""
    def big(r):
        return any(v is not None and math.isfinite(v) and abs(v) > large
                   for v in (r.get("estimate"), r.get("paper")))
    points = [r for r in rows if r["unit"] == "points"]
    panels = [("points", f"Effects of up to {large:g} points", [r for r in points if not big(r)]),
              ("points", f"Effects over {large:g} points", [r for r in points if big(r)]),
              ("log ratio", "Ratios of steps to a target", [r for r in rows if r["unit"] == "log ratio"])]
    return [p for p in panels if p[2]]


def forest_limits(rows, unit: str, floor: float) -> tuple[float, float]:
    """A panel's x range (in effect units: log ratios for speed-ups): every estimate, paper value
    and zero, and the intervals as far as ``max(floor, 2 × the largest |estimate or paper|)``
    from zero (an interval reaching further is cut, and marked), padded by 8%; at least 2
    points (or a factor of 4) wide."""
    core = [0.0] + [v for r in rows for v in (r.get("estimate"), r.get("paper"))
                    if v is not None and math.isfinite(v)]
    cap = max(floor, 2 * max(abs(v) for v in core))
    ends = [min(max(v, -cap), cap) for r in rows for v in r["ci"] if not math.isnan(v)]
    lo, hi = min(core + ends), max(core + ends)
    least = 2.0 if unit == "points" else math.log(4.0)
    if hi - lo < least:
        mid = (hi + lo) / 2
        lo, hi = mid - least / 2, mid + least / 2
    pad = 0.08 * (hi - lo)
    return lo - pad, hi + pad


def forest_plot(rows, title: str | None = None, *, large: float = FOREST_LARGE):
    """Forest plot: one line per claim, its estimate and 95% interval, the paper's value as a red
    diamond where the claim is judged in size, zero as a dotted line; hollow markers are
    inconclusive outcomes, each row's outcome is written on its right.

    ``rows``: dicts with ``"title"`` (the claim in words; ``"label"`` if absent), ``"unit"``
    (``"points"``, or ``"log ratio"`` for log speed-ups) and the keys of a
    ``verdicts.replication`` result (``"estimate"``, ``"ci"``, ``"paper"``, ``"outcome"``).
    Panels one above the other (:func:`forest_panels`): points near zero, large effects in points,
    speed-ups, each with its own x range (:func:`forest_limits`); an interval cut at the panel's
    edge ends in an arrowhead; a row with no estimate (``None``) gets no error bar; a row with
    censored runs also shows, dashed, the union of its intervals over the censored values'
    range (``ci_hull``). :data:`FOREST_WIDTH_IN` wide, no font under :data:`FOREST_FONT` points.
    """
    for r in rows:
        if r.get("unit") not in FOREST_UNITS:
            raise ValueError(f"forest_plot: row {r.get('label')!r} has unit {r.get('unit')!r}; "
                             f"use one of {sorted(FOREST_UNITS)}")
    panels = forest_panels(rows, large) or [("points", "No judged claim", [])]
    head_in, panel_pad_in, foot_in = 0.95 if title else 0.6, 0.95, 0.15
    heights = [max(len(p[2]), 1) * _FOREST_ROW_IN + 0.2 for p in panels]
    total = head_in + sum(heights) + panel_pad_in * len(panels) + foot_in
    fig = plt.figure(figsize=(FOREST_WIDTH_IN, total))
    width = FOREST_WIDTH_IN - _FOREST_LEFT_IN - _FOREST_RIGHT_IN
    top = total - head_in
    for (unit, name, prs), h in zip(panels, heights):
        top -= 0.3 + h
        ax = fig.add_axes((_FOREST_LEFT_IN / FOREST_WIDTH_IN, top / total, width / FOREST_WIDTH_IN, h / total))
        floor = large if (unit == "points" and not name.startswith("Effects over")) else \
            (math.log(10.0) if unit == "log ratio" else 0.0)
        _forest_panel(ax, prs, unit, forest_limits(prs, unit, floor) if prs else (-1.0, 1.0))
        ax.set_title(name, fontsize=FOREST_FONT + 1, loc="left", x=-_FOREST_LEFT_IN / width + 0.01)
        top -= panel_pad_in - 0.3
    _forest_legend(fig, rows, total, title)
    return fig


def _forest_legend(fig, rows, total: float, title: str | None):
    items = [(Line2D([], [], marker="o", color="black", ms=6), "estimate and interval"),
             (Line2D([], [], marker="o", color="black", mfc="white", ms=6, ls="none"), "inconclusive")]
    if any(r.get("paper") is not None for r in rows):
        items.append((Line2D([], [], marker="D", color="#C44E52", ls="none", ms=6), "paper"))
    if any(r.get("n_censored") for r in rows):
        items.append((Line2D([], [], color="grey", ls="--"), "censored range"))
    if title:
        fig.suptitle(title, fontsize=FOREST_FONT + 2, y=1 - 0.12 / total, va="top")
    fig.legend([h for h, _ in items], [t for _, t in items], loc="upper center", ncol=len(items),
               fontsize=FOREST_FONT, frameon=False, bbox_to_anchor=(0.5, 1 - (0.5 if title else 0.1) / total),
               handlelength=1.6, columnspacing=1.0)


def _forest_row(ax, yy, r, lo_edge, hi_edge, show):
    """One claim's interval (cut at the panel's edges, arrowheads where cut), estimate and
    dashed censored range."""
    est = r["estimate"]
    lo, hi = r["ci"]
    clo, chi = min(max(lo, lo_edge), hi_edge), min(max(hi, lo_edge), hi_edge)
    if r.get("n_censored") and r.get("ci_hull"):
        h_lo, h_hi = (show(min(max(v, lo_edge), hi_edge)) for v in r["ci_hull"])
        ax.plot([h_lo, h_hi], [yy, yy], color="grey", lw=1, ls="--")
    ax.plot([show(clo), show(chi)], [yy, yy], color="black", lw=1.3)
    for end, cut, mark in ((clo, lo < lo_edge, "<"), (chi, hi > hi_edge, ">")):
        ax.plot([show(end)], [yy], marker=mark if cut else "|", color="black", ms=7 if cut else 8,
                ls="none")
    filled = r.get("outcome") in DECISIVE          # hollow: inconclusive or too few seeds
    ax.plot([show(est)], [yy], marker="o", color="black", mfc="black" if filled else "white", ms=6,
            ls="none")


def _forest_panel(ax, placed, unit, limits):
    ratio = unit == "log ratio"
    show = (lambda v: math.exp(v)) if ratio else (lambda v: v)
    lo_edge, hi_edge = limits
    n = len(placed)
    for i, r in enumerate(placed):
        yy = n - 1 - i
        if r["estimate"] is not None:
            _forest_row(ax, yy, r, lo_edge, hi_edge, show)
        if r.get("paper") is not None:
            ax.plot([show(min(max(r["paper"], lo_edge), hi_edge))], [yy], marker="D",
                    color="#C44E52", ls="none", ms=6)
        colour = OUTCOME_COLOURS.get(r.get("outcome"), "black")
        ax.text(1.04, yy, "\n".join(textwrap.wrap(str(r.get("outcome", "")), 12)), color=colour,
                transform=ax.get_yaxis_transform(), va="center", fontsize=FOREST_FONT)
    ax.axvline(show(0.0), color="grey", lw=0.8, ls=":")
    labels = [textwrap.fill(str(r.get("title") or r.get("label")), _FOREST_WRAP) for r in placed]
    ax.set_yticks(range(n - 1, -1, -1), labels, fontsize=FOREST_FONT)
    ax.set_ylim(-0.6, max(n, 1) - 0.4)
    ax.tick_params(axis="y", length=0)
    if ratio:
        ax.set_xscale("log")
        ax.set_xlim(show(lo_edge), show(hi_edge))
        ticks = [t for t in _RATIO_TICKS if show(lo_edge) <= t <= show(hi_edge)]
        if len(ticks) < 3:          # a narrow range: finer steps (0.7×, 1.5×, 3× ...)
            ticks = sorted(t for t in {m * 10.0 ** e for e in range(-4, 5) for m in (1, 1.5, 2, 3, 5, 7)}
                           if show(lo_edge) <= t <= show(hi_edge))
        if len(ticks) > 6:
            ticks = [t for t in ticks if math.isclose(math.log10(t), round(math.log10(t)))]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}\u00d7"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.set_xlim(lo_edge, hi_edge)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.tick_params(axis="x", labelsize=FOREST_FONT)
    ax.set_xlabel(FOREST_UNITS[unit], fontsize=FOREST_FONT)
    ax.grid(axis="x", alpha=0.25)
    ax.spines[["top", "right", "left"]].set_visible(False)


# ----------------------------------------------------------------------------- augmentation: the patches
