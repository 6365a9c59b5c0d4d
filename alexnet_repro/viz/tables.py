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

from alexnet_repro.common.html import html_table
from alexnet_repro.data.stats import PCA


def pca_table(pca: PCA) -> str:
    """HTML table of a pixel PCA: per component ``i``, ``λᵢ``, its share of the variance and the
    eigenvector's coordinates (one column per channel, R G B for three channels)."""
    lam, p = pca.eigenvalues, pca.eigenvectors
    names = "RGB" if len(lam) == 3 else [f"c{c}" for c in range(len(lam))]
    rows = [{"i": i + 1, "lam": f"{lam[i]:.4f}", "share": f"{lam[i] / lam.sum():.1%}",
             **{c: f"{v:+.3f}" for c, v in zip(names, p[:, i])}} for i in range(len(lam))]
    heads = [f"pᵢ {names[0]}"] + list(names[1:])
    return html_table(rows, [("i", "i"), ("lam", "λᵢ (pixels in [0, 1])"),
                             ("share", "share of variance")] + list(zip(names, heads)))


def layer_table_html(rows: list[dict], names=None) -> str:
    """An HTML table of ``layer_table`` rows (optionally only the layers in ``names``)."""
    cols = [("name", "layer"), ("kind", "kind"), ("kernel", "kernel"), ("stride", "stride"),
            ("padding", "pad"), ("groups", "groups"), ("out_shape", "output (H×W×C)"),
            ("params", "parameters"), ("macs", "multiply-adds"), ("rf", "receptive field"),
            ("jump", "jump")]

    def fmt(key, row):
        v = row[key]
        if v is None:
            return "all" if key == "rf" else "&ndash;"
        if key == "out_shape":
            return "&times;".join(str(d) for d in (v[1:] + v[:1] if len(v) == 3 else v))
        if isinstance(v, int) and key in ("params", "macs"):
            return f"{v:,}"
        return str(v)

    return html_table([r for r in rows if names is None or r["name"] in names], cols, cell=fmt,
                      css_class="layer-table")
