"""Images in for the explorer and the chapters (``alexnet_repro.viz.pictures``): the photographs and
the paper's test-time cut, checked against hand-placed pixel boundaries."""
import html as html_lib
from pathlib import Path

import numpy as np
import pytest
import yaml

from alexnet_repro.bookrun.notebook import chapter_list
from alexnet_repro.viz import pictures

REPO = Path(__file__).resolve().parents[1]


def test_photograph_names_the_choices():
    img = pictures.photograph("chelsea")
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    with pytest.raises(ValueError, match="unknown photo 'cat'; choose one of chelsea, coffee"):
        pictures.photograph("cat", ("chelsea", "coffee"))


def test_paper_test_view_cuts_the_centre():
    # 256 × 512: black left half, white right half. Shorter side is already 256; the central
    # 256×256 square starts at column 128, its central 227×227 patch at 128 + 14 = 142
    # (torchvision rounds 14.5 to 14), so the white half starts at column 256 - 142 = 114.
    img = np.zeros((256, 512, 3), np.uint8)
    img[:, 256:] = 255
    x = pictures.paper_test_view(img, 227)
    assert tuple(x.shape) == (3, 227, 227)
    assert float(x[:, :, :114].max()) == 0.0 and float(x[:, :, 114:].min()) == 1.0
    # a constant photograph stays constant at any size: 51 / 255 = 0.2
    flat = pictures.paper_test_view(np.full((300, 400, 3), 51, np.uint8), 227)
    assert np.allclose(flat.numpy(), 0.2, atol=1e-6)


def test_chapter_list_follows_the_toc():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    pages = [e["file"].split("/")[-1] for e in toc["chapters"]]
    html = chapter_list({"dropout": "§4.2 & <more>"})
    assert html.startswith("<ol>") and html.count("<li>") == len(pages)
    positions = [html.index(f'href="{p}.html"') for p in pages]
    assert positions == sorted(positions)
    lines = (REPO / "book" / "dropout.md").read_text().splitlines()
    title = next(line[2:].strip() for line in lines if line.startswith("# "))
    assert (f'<a href="dropout.html">{html_lib.escape(title)}</a> &mdash; '
            '§4.2 &amp; &lt;more&gt;</li>') in html
