"""The first-screen answer block, on hand-made claim rows."""
from __future__ import annotations

import math

from alexnet_repro.analysis.preregistration import CLAIM_TESTS, TITLES
from alexnet_repro.viz.answer import answer_block, answer_sentence, effect_text


def row(**kw):
    base = dict(key="lrn", unit="points", estimate=0.84, ci=[-0.21, 1.9], n=10, n_censored=0, outcome="inconclusive",
                paper="1.4 points top-1 (ImageNet)", source="paper §3.3", statement="LRN helps.",
                setting="default profile: AlexNet width 0.25; fashion-mnist, 2,000 training images; 20 epochs; 10 seeds")
    return {**base, **kw}


def test_every_claim_has_a_title():
    assert set(CLAIM_TESTS) <= set(TITLES)


def test_points_and_ratios_in_words():
    assert effect_text(row()) == "+0.8 points (95% interval -0.2 to +1.9)"
    speed = row(unit="log ratio", estimate=math.log(1.5), ci=[math.log(1.25), math.log(2.0)])
    assert effect_text(speed) == "1.50× (95% interval 1.25× to 2.00×)"


def test_the_sentence_names_outcome_seeds_scale_and_the_paper():
    s = answer_sentence(row(outcome="no effect at this scale", n_censored=2))
    assert s == ("No effect at this scale: +0.8 points (95% interval -0.2 to +1.9), 10 seeds (2 censored), "
                 "at default profile: AlexNet at width 0.25; Fashion-MNIST, 2,000 training images; "
                 "the paper: 1.4 points top-1 (ImageNet).")
    assert answer_sentence(row(n=1)).count("1 seed,") == 1


def test_the_block_escapes_and_lists_each_claim_with_later_work():
    block = answer_block([row(statement="a < b"), row(key="overlap_pool")], later_work={"lrn": "no gain (VGG)"})
    assert block.count("<li>") == 2 and "a &lt; b" in block
    assert TITLES["lrn"] in block and TITLES["overlap_pool"] in block
    assert block.count("Later work:") == 1 and "no gain (VGG)" in block
    assert "The paper (§3.3):" in block and "(paper §3.3)" not in block


def test_the_scale_reads_in_words():
    from alexnet_repro.viz.answer import scale_text
    assert scale_text("ci profile: AlexNet width 0.125, init kaiming; fashion-mnist, 100 training images; 2 epochs") == (
        "ci profile: AlexNet at width 0.125, He initialisation; Fashion-MNIST, 100 training images")
    assert scale_text("x: SmallCNN, init paper; cifar10, 5 training images") == (
        "x: four-layer CNN, the paper's N(0, 0.01²) initialisation; CIFAR-10, 5 training images")
    assert scale_text("x: AlexNet at width 0.5; y") == "x: AlexNet at width 0.5; y"   # already in words
