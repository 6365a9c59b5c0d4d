"""The lrn_pooling chapter's untrained part: what local response normalization does at each size
of activity (the regime where it is the constant division by ``k**beta``, and the one where the
neighbours' term competes with ``k``), on a photograph's first-layer responses, and the
implementations of its two readings of alpha side by side.

* :func:`implementations` -- the LRN layers the chapter's comparison table sets side by side;
* :func:`photo_responses`, :func:`photo_glue` -- conv1's responses to a photograph at the
  paper's pixel scale and this library's, and the neighbours' term on them;
* :func:`damping_picture` -- the responses at the gain where LRN acts, before and after it;
* :func:`compare_readings` -- the printed formula against the alpha/n reading as the responses grow;
* :func:`gain_glue` -- the sentence on a normalization gain against inputs scaled by as much.

(Independent of :mod:`alexnet_repro.chapters.lrn_pooling`, the chapter's trained part.)
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
from torch import nn

from alexnet_repro.analysis import probes
from alexnet_repro.common.html import html_table
from alexnet_repro.data.augment import center_crop
from alexnet_repro.data.images import preprocess
from alexnet_repro.nn.layers import LocalResponseNorm
from alexnet_repro.quoted.paper import PAPER
from alexnet_repro.quoted.reimplementations import REIMPLEMENTATIONS
from alexnet_repro.viz import drawings, plots
from alexnet_repro.viz.pictures import example_images

__all__ = ["implementations", "photo_responses", "photo_glue", "damping_picture", "compare_readings", "gain_glue"]

_L = PAPER["lrn"]

def implementations(n: int = _L["n"], alpha: float = _L["alpha"], beta: float = _L["beta"],
                    k: float = _L["k"], caffe_k: float = REIMPLEMENTATIONS["caffe"]["lrn_k"]) -> dict[str, nn.Module]:
    """``{label: layer}`` of the LRN implementations compared on the same activations: this book's
    layer as printed, ``nn.LocalResponseNorm`` given ``alpha * n`` (the printed formula) and
    given ``alpha`` (the ``alpha / n`` reading), this book's layer with ``alpha / n``, and Caffe's
    ``bvlc_alexnet`` (the ``alpha / n`` reading with its own ``k``). The first is the printed
    formula every other is compared with."""
    return {
        "LocalResponseNorm(n, α, β, k) (this book, as printed)": LocalResponseNorm(n, alpha, beta, k),
        "nn.LocalResponseNorm(n, α·n, β, k)": nn.LocalResponseNorm(n, alpha * n, beta, k),
        "nn.LocalResponseNorm(n, α, β, k) (= the α/n reading)": nn.LocalResponseNorm(n, alpha, beta, k),
        "LocalResponseNorm(n, α/n, β, k)": LocalResponseNorm(n, alpha / n, beta, k),
        f"Caffe bvlc_alexnet: nn.LocalResponseNorm(n, α, β, k={caffe_k:g})":
            nn.LocalResponseNorm(n, alpha, beta, caffe_k),
    }



def photo_responses(photo: str, side: int = 227) -> dict[str, Any]:
    """The conv1 responses of an untrained network (the paper's init) to the scikit-image
    photograph ``photo``, cut as the paper cuts (shorter side to 256, central ``side`` pixels;
    227: conv1 tiles it exactly), at the paper's pixel scale (255) and this library's (1), and
    the printed LRN layer's neighbours' term on them (:func:`alexnet_repro.analysis.probes.lrn_share`).
    Keys: ``photo``, ``side``, ``x01``, ``act_paper``, ``printed`` and ``over_n`` (the layer as
    printed and under the alpha/n reading), ``share_paper``, ``gain_star`` (the gain at which the
    median term equals ``k``) and ``glue`` (:func:`photo_glue`)."""
    stored = PAPER["data"]["rescale_to"]
    image = example_images(photographs=[photo])[photo].expand(3, -1, -1)   # grey photographs as RGB
    x01 = center_crop(preprocess(image, stored), side)
    act_paper, act_ours = probes.first_layer_responses(x01, (255.0, 1.0)).values()
    n, alpha, beta, k = _L["n"], _L["alpha"], _L["beta"], _L["k"]
    printed, over_n = LocalResponseNorm(n, alpha, beta, k), LocalResponseNorm(n, alpha / n, beta, k)
    share_paper, share_ours = probes.lrn_share(printed, act_paper), probes.lrn_share(printed, act_ours)
    return {"photo": photo, "side": side, "x01": x01, "act_paper": act_paper, "printed": printed,
            "over_n": over_n, "share_paper": share_paper, "gain_star": math.sqrt(1.0 / share_paper.median().item()),
            "glue": photo_glue(photo, stored, act_paper, act_ours, share_paper, share_ours)}


def photo_glue(photo: str, stored: int, act_paper, act_ours, share_paper, share_ours) -> dict[str, Any]:
    """What the prose quotes of :func:`photo_responses`: the largest responses at both scales,
    the median (99th percentile, largest) neighbours' term in percent of ``k``, ``gain_star``,
    and the activity ``a_star`` at which a uniform window's term equals ``k`` (both readings)."""
    n, alpha, k = _L["n"], _L["alpha"], _L["k"]
    return {"photo": photo, "stored": stored, "init_std": PAPER["init"]["weight_std"],
            "paper_epochs": PAPER["training"]["epochs"], "share_paper_med": 100 * share_paper.median().item(),
            "share_paper_p99": 100 * share_paper.quantile(0.99).item(),
            "share_paper_max": 100 * share_paper.max().item(), "share_ours_med": 100 * share_ours.median().item(),
            "act_paper_max": act_paper.max().item(), "act_ours_max": act_ours.max().item(),
            "gain_star": math.sqrt(1.0 / share_paper.median().item()),
            "a_star": math.sqrt(k / (alpha * n)), "a_star_over_n": math.sqrt(k / (alpha / n * n))}


def damping_picture(resp: Mapping[str, Any]) -> dict[str, Any]:
    """Draw the photograph's responses times ``gain_star`` before and after the printed LRN
    layer, its damping map, and all maps at the most active position (two figures); returns
    ``chan`` (the map shown), ``damp_median`` and ``damp_min``
    (:func:`alexnet_repro.analysis.probes.lrn_damping`)."""
    gain, side = resp["gain_star"], resp["side"]
    a = gain * resp["act_paper"]
    d = probes.lrn_damping(resp["printed"], a)
    drawings.plot_lrn_maps(resp["x01"], a, d["b"], d["chan"], d["damp"], _L["k"], _L["beta"], gain,
                           f"{resp['photo']} ({side} × {side})")
    plots.plot_lrn_column(d["col_a"], d["col_b"])
    return {key: d[key] for key in ("chan", "damp_median", "damp_min")}


def compare_readings(resp: Mapping[str, Any], gains=None) -> dict[str, Any]:
    """The two readings of alpha on the photograph's responses (:func:`photo_responses`) as they
    grow (``sweep`` over ``gains``, by default 61 from 1 to 1000 on a log scale, and its axis label
    ``xlabel``: :func:`~alexnet_repro.analysis.probes.damping_vs_gain`) and the
    :func:`implementations` side by side at gains 1 and ``gain_star`` (``table``, HTML:
    :func:`~alexnet_repro.analysis.probes.compare_lrn`); ``glue``: the largest difference of
    ``nn.LocalResponseNorm(n, α·n, β, k)`` from the printed layer, and the median output ratios
    of the alpha/n reading at ``gain_star`` and of Caffe's at gain 1."""
    printed, act, star = resp["printed"], resp["act_paper"], resp["gain_star"]
    gains = np.logspace(0, 3, 61) if gains is None else gains
    sweep = probes.damping_vs_gain({
        "as printed: LocalResponseNorm(n, α, β, k) = nn.LocalResponseNorm(n, α·n, β, k)": printed,
        "α/n reading: LocalResponseNorm(n, α/n, β, k) = nn.LocalResponseNorm(n, α, β, k)": resp["over_n"]},
        act, gains)
    layers = implementations()
    torch_printed, _, over_n, caffe = list(layers)[1:]
    at = probes.compare_lrn(layers, printed, act, (1.0, star))
    _, ratio, largest = probes.LRN_COMPARISON
    columns = [(c, c) for c in ("gain", "layer", *probes.LRN_COMPARISON)]
    return {"gains": gains, "sweep": sweep, "table": html_table(list(at.values()), columns, float_format=".4g"),
            "xlabel": f"gain on the conv1 responses of {resp['photo']} (paper's init and pixel scale)",
            "glue": {"same_printed": max(at[g, torch_printed][largest] for g in (1.0, star)),
                     "over_n_ratio_star": at[star, over_n][ratio], "caffe_ratio_1": at[1.0, caffe][ratio]}}



def gain_glue(check: Mapping[str, Any] | None, images: int) -> dict[str, str]:
    """``gain_text``: the sentence on ``probes.gain_equivalence`` (``check``, on ``images``
    validation images): the normalization gain against inputs scaled by the same factor, at the
    same initial weights; empty where the regime has no gain (``check`` None)."""
    if check is None:
        return {"gain_text": ""}
    g, norms = check["gain"], list(check["share_gain"])

    def shares(key):
        return " and ".join(f"{100 * check[key][n]:.2g}%" for n in norms)
    return {"gain_text": (
        f"The gain does to the layers what inputs times {g:g} would, and nothing else, at the start of "
        f"training: on {images} validation images, with both networks at the same initial weights (zero "
        f"biases), the neighbours' term is a median {shares('share_gain')} of k in the two LRN layers with "
        f"the gain and {shares('share_inputs')} with the inputs scaled, and the layers' outputs agree to "
        f"{check['max_rel_diff']:.0e} of their largest value once divided by {g:g}. What the gain leaves out "
        f"is the rest: with the inputs scaled, the network's outputs start {check['logit_ratio']:.3g} times "
        "larger, with or without LRN.")}
