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
    s = answer_sentence(row(outcome="no effect as large as the paper's", n_censored=2))
    assert s == ("No effect as large as the paper's: +0.8 points (95% interval -0.2 to +1.9), 10 seeds (2 censored), "
                 "at default profile: AlexNet at width 0.25; Fashion-MNIST, 2,000 training images; "
                 "the paper: 1.4 points top-1 (ImageNet).")
    assert answer_sentence(row(n=1)).count("1 seed,") == 1


def test_the_block_escapes_and_lists_each_claim_with_later_work():
    block = answer_block([row(statement="a < b", later_work_text="no gain (VGG)"), row(key="overlap_pool")])
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


def test_a_size_judged_row_gives_the_interval_for_one_new_run():
    judged = row(outcome="reproduced", ci=[0.5, 1.2], pi=[-0.4, 2.1], paper_judged=True)
    assert effect_text(judged) == ("+0.8 points (95% interval +0.5 to +1.2); one new run is expected "
                                   "between -0.4 and +2.1")
    assert "one new run" not in effect_text(row(pi=[-0.4, 2.1], paper_judged=False))
    # too few seeds: the interval does not exist (stored as null) and is not printed
    assert effect_text(row(ci=[None, None], n=2)) == "+0.8 points (no interval)"


def test_a_choice_changed_after_outcomes_is_flagged_with_a_link():
    block = answer_block([row(changed_after=["seeds", "epochs"], design_anchor="how-made-lrn-pooling"),
                          row(key="overlap_pool", changed_after=[])])
    assert block.count("Changed after outcomes were seen") == 1
    assert "Changed after outcomes were seen: seeds, epochs" in block
    assert '<a href="how_made.html#how-made-lrn-pooling">why</a>' in block
