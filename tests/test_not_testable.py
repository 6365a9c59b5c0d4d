"""PCA lighting judged only where the data can exercise it (issue 24): the decision comes from the
pixel-colour covariance of the data, checked on generated grey and colour images against numpy's
eigenvalues; the claim row and the results page say so instead of judging."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from alexnet_repro.analysis import judging
from alexnet_repro.analysis.preregistration import COLOUR_MIN_SHARE
from alexnet_repro.chapters import training_details as td
from alexnet_repro.data.stats import colour_share, rgb_pca
from alexnet_repro.viz import results_rows as rt
from alexnet_repro.viz.answer import answer_sentence


def _images(kind, n=40, size=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    if kind == "colour":
        return torch.rand(n, 3, size, size, generator=g)
    grey = torch.rand(n, 1, size, size, generator=g)
    return grey if kind == "one channel" else grey.repeat(1, 3, 1, 1)


@pytest.mark.parametrize("kind, testable", [("colour", True), ("grey as RGB", False), ("one channel", False)])
def test_the_decision_comes_from_the_second_eigenvalue(kind, testable):
    images = _images(kind)
    pixels = images.double().transpose(0, 1).reshape(images.shape[1], -1).numpy()
    lam = np.sort(np.linalg.eigvalsh(np.atleast_2d(np.cov(pixels))))[::-1]     # independent: numpy
    expected = lam[1] / lam[0] if len(lam) > 1 else 0.0
    share = colour_share(rgb_pca(images))
    assert share == pytest.approx(expected, abs=1e-9)
    result = td.colour_test(rgb_pca(images))
    assert result["testable"] is testable and (result["reason"] == "") is testable
    assert (share >= COLOUR_MIN_SHARE) is testable
    if kind == "one channel":
        assert result["reason"].startswith("the images are grey (one channel)")


def test_an_untestable_claim_is_not_judged_and_says_why():
    colour = td.colour_test(rgb_pca(_images("grey as RGB")))
    effects = {k: [1.0, 1.2, 0.8, 1.1] for k in td.CLAIM_KEYS}
    rows = td.claims(effects, dataset="fashion-mnist", setting="s", colour=colour)
    pca = next(r for r in rows if r["key"] == "pca_color")
    assert pca["outcome"] == "not testable on this dataset" and pca["reason"] == colour["reason"]
    assert pca["measured"].startswith("not judged: ") and pca["paper_judged"] is False
    assert all(r["outcome"] == "same direction" for r in rows if r["key"] != "pca_color")
    # the first screen says why, with no number judged; the forest plot leaves it out
    assert answer_sentence(pca).startswith("Not testable on this dataset: the pixel colours vary along one axis")
    judged = rt.judged_rows([{**r, "claim": r["key"]} for r in rows])
    assert "pca_color" not in [r["label"] for r in judged] and len(judged) == 4
    # on colour images it is judged as usual
    colour_rows = td.claims(effects, dataset="fashion-mnist", setting="s",
                            colour=td.colour_test(rgb_pca(_images("colour"))))
    assert next(r for r in colour_rows if r["key"] == "pca_color")["outcome"] == "same direction"
    assert judging.not_testable("pca_color", [1.0, 2.0, 3.0], reason="r", dataset="d", setting="s")["reason"] == "r"


def test_the_chapter_sentence_says_why_and_describes_without_judging():
    colour = td.colour_test(rgb_pca(_images("one channel")))
    effects = {k: [1.0, 1.2, 0.8, 1.1] for k in td.CLAIM_KEYS}
    rows = td.claims(effects, dataset="fashion-mnist", setting="s", colour=colour)
    text = td.pca_sentence(next(r for r in rows if r["key"] == "pca_color"))
    assert text.startswith("Not testable on this dataset: the images are grey (one channel), so PCA lighting")
    assert "shown, not judged" in text and "1.0 [" in text          # mean of 1.0, 1.2, 0.8, 1.1 points
