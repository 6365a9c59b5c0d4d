"""HTML tables of lower layers' objects: the layer table of a built network and the PCA of the
training set's RGB pixels (both through :func:`alexnet_repro.common.html.html_table`).
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
