"""Claims judged through verdicts.replication against paper.CLAIM_TESTS: values checked against
hand computations and scipy's t quantiles, not against the code's own output."""
from __future__ import annotations

import math

import pytest
from scipy import stats

from alexnet_repro.analysis import judging, verdicts
from alexnet_repro.analysis.preregistration import CLAIM_TESTS
from alexnet_repro.analysis.verdicts import OUTCOMES
from alexnet_repro.common import provenance
from alexnet_repro.common.records import load_record, save_record
from alexnet_repro.quoted.paper import CLAIMS
from alexnet_repro.viz import results_rows as rt


def _t_interval(xs, level=0.95):
    n = len(xs)
    mean = sum(xs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def test_every_pre_registered_claim_is_complete():
    for key, spec in CLAIM_TESTS.items():
        assert spec["unit"] in ("points", "log ratio") and spec["direction"] in ("greater", "less"), key
        assert spec["text"] and spec["source"] and spec["metric"] and spec["paper_text"], key
        assert (spec["paper_effect"] is None) == (spec["size_in"] is None), key
    # the paper's numbers as the paper prints them: 6x, 2x, 1.4 and 0.4 points
    assert judging.paper_effect("relu_speedup") == pytest.approx(math.log(6))
    assert judging.paper_effect("dropout_iterations") == pytest.approx(math.log(2))
    assert judging.paper_effect("lrn") == CLAIMS["lrn"]["top1_reduction_pct"] == 1.4
    assert judging.paper_effect("overlap_pool") == 0.4
    assert judging.paper_effect("augmentation_overfitting") is None


def test_judge_points_interval_outcome_and_mde_against_scipy():
    effects = [2.0, 3.0, 4.0, 3.5, 2.5]                    # points, on the paper's side (greater)
    row = judging.judge("augmentation_overfitting", effects, dataset="fashion-mnist", setting="here")
    mean, lo, hi = _t_interval(effects)
    assert row["estimate"] == pytest.approx(mean) and row["ci"] == pytest.approx([lo, hi])
    assert row["n"] == 5 and row["outcome"] == "same direction"     # no paper number: direction only
    sd = math.sqrt(sum((x - mean) ** 2 for x in effects) / 4)
    crit = stats.t.ppf(0.975, 4)
    # MDE: the effect detected with 80% power = ncp * sd / sqrt(n), ncp from the noncentral t
    mde = row["mde"]
    power = stats.nct.sf(crit, 4, mde / (sd / math.sqrt(5)))
    assert power == pytest.approx(0.8, abs=1e-4)
    assert row["paper_effect"] is None and row["paper_judged"] is False
    assert "[" in row["measured"] and row["measured"].startswith(f"{mean:.1f}")


def test_judge_compares_the_paper_size_only_in_its_own_setting():
    effects = [1.2, 1.5, 1.3, 1.6, 1.4]                    # contains LRN's 1.4 points
    on_fmnist = judging.judge("lrn", effects, dataset="fashion-mnist", setting="")
    assert on_fmnist["outcome"] == "same direction" and on_fmnist["paper_judged"] is False
    assert "other setting, not judged" in on_fmnist["measured"]
    on_imagenet = judging.judge("lrn", effects, dataset="imagenet", setting="")
    assert on_imagenet["outcome"] == "reproduced" and on_imagenet["paper_judged"] is True
    smaller = judging.judge("lrn", [0.3, 0.4, 0.35, 0.45, 0.4], dataset="imagenet", setting="")
    assert smaller["outcome"] == "smaller than the paper"
    # an interval around zero whose 90% version lies inside +-1.4 (paper judged)
    none = judging.judge("lrn", [0.1, -0.1, 0.05, -0.05, 0.0], dataset="imagenet", setting="")
    assert none["outcome"] == "no effect as large as the paper's"
    # on Fashion-MNIST the paper's 1.4 (ImageNet) is still the margin of the equivalence test
    elsewhere = judging.judge("lrn", [0.1, -0.1, 0.05, -0.05, 0.0], dataset="fashion-mnist", setting="")
    assert elsewhere["outcome"] == "no effect as large as the paper's" and elsewhere["margin"] == 1.4
    # a claim without a paper number: the declared 1 point
    plain = judging.judge("dropout_test_scale", [0.1, -0.1, 0.05, -0.05, 0.0], dataset="fashion-mnist", setting="")
    assert plain["outcome"] == "no effect as large as the smallest that matters" and plain["margin"] == 1.0
    assert judging.judge("lrn", [-1.0, -1.2, -0.9], dataset="fashion-mnist", setting="")["outcome"] == "opposite"
    with pytest.raises(ValueError, match="CLAIM_TESTS"):
        judging.judge("no_such_claim", [1.0, 2.0], dataset="x", setting="")


def test_judge_speedup_log_ratios_resolution_and_censoring():
    # steps: slow 60, 80, 100; fast 20, 20, 25: ratios 3, 4, 4 (log), logged every 5 steps
    row = judging.judge_speedup("relu_speedup", [60, 80, 100], [20, 20, 25], slow_horizons=[200] * 3,
                                fast_horizons=[200] * 3, resolution_steps=5, dataset="cifar10", setting="", target=0.25)
    logs = [math.log(3), math.log(4), math.log(4)]
    mean, lo, hi = _t_interval(logs)
    # the resolution widens each end by the mean over pairs of the largest log deviation
    res = [max(math.log((s + 5) / s) + math.log(f / (f - 5)), math.log(s / (s - 5)) + math.log((f + 5) / f))
           for s, f in ((60, 20), (80, 20), (100, 25))]
    r = sum(res) / 3
    assert row["ci"] == pytest.approx([lo - r, hi + r]) and row["estimate"] == pytest.approx(mean)
    assert row["unit"] == "log ratio" and row["paper_judged"] is True      # CIFAR-10: the 6x is judged
    assert lo - r > 0 and lo - r <= math.log(6) <= hi + r      # by hand: [0.55, 2.03] holds log 6 = 1.79
    assert row["outcome"] == "reproduced"
    assert row["values"]["slow_steps"] == [60, 80, 100]
    # zero spread is never certainty: identical ratios still have an interval of width 2r
    flat = judging.judge_speedup("relu_speedup", [40, 40], [20, 20], slow_horizons=[99, 99],
                                 fast_horizons=[99, 99], resolution_steps=5, dataset="fashion-mnist", setting="")
    assert flat["ci"][1] - flat["ci"][0] > 0.4
    # both runs of a pair censored: no bound at all, inconclusive
    unknown = judging.judge_speedup("relu_speedup", [None, 60], [None, 20], slow_horizons=[99, 99],
                                    fast_horizons=[99, 99], resolution_steps=1, dataset="cifar10", setting="")
    assert unknown["outcome"] == "too few seeds to judge" and unknown["estimate"] is None


def test_exact_claim_outcomes_by_hand():
    assert judging.exact_claim("k", 60_965_224, 60_000_000, statement="s", source="src", paper="60M",
                               measured="m", tolerance=3_000_000)["outcome"] == "reproduced"
    big = judging.exact_claim("k", 290_400, 253_440, statement="s", source="src", paper="p", measured="m")
    assert big["outcome"] == "larger than the paper" and big["unit"] == judging.EXACT
    assert judging.exact_claim("k", 54.25, 55, statement="s", source="src", paper="p",
                               measured="m")["outcome"] == "smaller than the paper"


def test_claims_table_design_sentence_and_record(tmp_path):
    rows = [judging.judge("lrn", [1.0, 2.0, 1.5], dataset="fashion-mnist", setting="<set> | x"),
            judging.exact_claim("parameters", 10, 10, statement="s", source="src", paper="10", measured="10")]
    h = judging.claims_table(rows)
    assert h.count("<tr>") == 3 and "&lt;set&gt;" in h and "<set>" not in h
    assert "same direction" in h and "(3 seeds)" in h and "exact" in h
    md = judging.claims_table(rows, fmt="markdown")
    assert len(md.strip().splitlines()) == 4 and "\\|" in md
    with pytest.raises(ValueError):
        judging.claims_table(rows, fmt="latex")
    sentence = judging.design_sentence(rows)
    assert f"Response normalization lowers the error (pixels in [0, 1]): {rows[0]['mde']:.2f} points with 3 seeds" in sentence
    assert "lrn:" not in sentence   # claims are named in words, not by their keys
    assert "1.40 points in its own setting" in sentence and "parameters" not in sentence
    rec = judging.chapter_record("lrn_pooling", "ci", rows, {"x": 1})
    assert rec["profile"] == "ci" and rec["claims"][0]["outcome"] in OUTCOMES
    back = load_record(save_record(rec, tmp_path, "lrn_pooling"))
    assert back["claims"][0]["ci"] == pytest.approx(rows[0]["ci"])
    with pytest.raises(ValueError, match="outcome"):
        judging.chapter_record("x", "ci", [dict(rows[0], outcome="consistent")])
    with pytest.raises(ValueError, match="profile"):
        judging.chapter_record("x", "ci", [], {"profile": "full"})


def test_an_interval_ending_at_zero_is_reported_on_the_line():
    """near_line: the end of the t-interval nearest zero over its half-width (scipy's t quantile
    as the reference); the design sentence names the claims under judging.NEAR_LINE."""
    base = [-1.0, 0.5, -2.0, 0.0, -1.5]
    mean, lo, hi = _t_interval(base)
    half = (hi - lo) / 2
    shifted = [x - hi + 0.05 * half for x in base]      # moved so the upper end is 5% of half above 0
    row = judging.judge("augmentation_val_error", shifted, dataset="fashion-mnist", setting="")
    assert row["ci"][1] == pytest.approx(0.05 * half)
    assert judging.near_line(row) == pytest.approx(0.05)
    far = judging.judge("augmentation_val_error", [x - hi - 2 * half for x in base], dataset="fashion-mnist",
                        setting="")
    assert judging.near_line(far) == pytest.approx(2.0)
    sentence = judging.design_sentence([row, far])
    assert ("On the line: Crops and flips lower the held-out error (its interval ends 5% of its half-width "
            "from zero)") in sentence
    assert sentence.count("held-out error (") == 1 and "augmentation_val_error" not in sentence
    assert "On the line" not in judging.design_sentence([far])
    exact = judging.exact_claim("parameters", 10, 10, statement="s", source="src", paper="10", measured="10")
    assert judging.near_line(exact) is None


def test_results_rows_forest_rows_and_outcome_counts(tmp_path):
    lrn = judging.judge("lrn", [1.0, 2.0, 1.5], dataset="fashion-mnist", setting="")
    flat = judging.judge("overlap_pool", [0.5, -0.5, 0.1], dataset="fashion-mnist", setting="")
    exact = judging.exact_claim("parameters", 10, 10, statement="s", source="src", paper="10", measured="10")
    save_record(judging.chapter_record("lrn_pooling", "default", [lrn, flat, exact]), tmp_path, "lrn_pooling")
    rows = rt.claim_rows(provenance.gather_records(tmp_path / "none", tmp_path))
    measured = [r for r in rows if r.get("chapter") == "lrn_pooling"]
    assert {r["claim"] for r in measured} == {"lrn", "overlap_pool", "parameters"}
    judged = rt.judged_rows(rows)
    assert [r["label"] for r in judged] == ["lrn", "overlap_pool"]          # exact checks are not effects
    assert all(r["paper"] is None for r in judged)                          # ImageNet numbers: not targets here
    summary = rt.outcome_summary(judged)
    assert summary["n_judged"] == 2 and summary["n_same_direction"] == 1 and summary["n_inconclusive"] == 1
    assert summary["n_decisive"] == 1
    # an unbounded end is saved as null (JSON has no infinity) and read back as one
    one = judging.judge("lrn", [1.0], dataset="fashion-mnist", setting="")
    save_record(judging.chapter_record("dropout", "default", [one]), tmp_path, "dropout")
    back = [r for r in rt.judged_rows(rt.claim_rows(provenance.gather_records(tmp_path))) if r["chapter"] == "dropout"]
    assert back[0]["ci"] == (-math.inf, math.inf) and back[0]["outcome"] == "too few seeds to judge"
    assert summary["multiplicity"].startswith("Each of the 2 claims is judged on its own at the 95% "
                                              "level, with no adjustment for their number.")
    # a claim not judged: out of the forest rows and of the judged counts, counted apart
    scale = judging.not_testable("bias_init", [1.0, 2.0, 3.0], reason="r", dataset="fashion-mnist", setting="",
                                 outcome="not testable at this scale")
    grey = judging.not_testable("pca_color", [1.0, 2.0, 3.0], reason="g", dataset="fashion-mnist", setting="")
    save_record(judging.chapter_record("training_details", "default", [scale, grey, lrn]), tmp_path,
                "training_details")
    rows = rt.claim_rows(provenance.gather_records(tmp_path / "none", tmp_path))
    judged = rt.judged_rows(rows)
    assert sorted(r["label"] for r in judged if r["chapter"] == "training_details") == ["lrn"]
    summary = rt.outcome_summary(judged, rows)
    assert (summary["n_not_judged"], summary["n_not_testable_at_this_scale"],
            summary["n_not_testable_on_this_dataset"]) == (2, 1, 1)
    assert "not testable at this scale" not in verdicts.DECISIVE
    with pytest.raises(ValueError, match="outcome must be one of"):
        judging.not_testable("lrn", [1.0], reason="r", dataset="d", setting="", outcome="reproduced")


def test_size_is_judged_only_on_the_papers_dataset_and_at_its_target():
    """Figure 1's 6x belongs to CIFAR-10 at 25% training error: judged in size only there."""
    from alexnet_repro.analysis.judging import size_judged
    assert size_judged("relu_speedup", "cifar10", 0.25)
    assert not size_judged("relu_speedup", "cifar10", 0.30)       # another target: direction only
    assert not size_judged("relu_speedup", "cifar10", None)
    assert not size_judged("relu_speedup", "fashion-mnist", 0.25)  # another dataset
    assert size_judged("dropout_iterations", "fashion-mnist")     # stated of dropout, no target
    assert not size_judged("dropout_overfitting", "cifar10")       # no number in the paper


def test_seeds_follow_the_pilots_power_within_the_budget(monkeypatch):
    from alexnet_repro.analysis import preregistration as pre
    pilots = {"commit": "abc1234", "date": "2026-12-06", "claims": {
        "dropout": {"dropout_overfitting": {"sd": 4.0, "n": 4, "margin": 1.0, "resolution": 0.0, "seeds_needed": 128},
                    "dropout_test_scale": {"sd": 0.5, "n": 4, "margin": 1.0, "resolution": 0.0, "seeds_needed": 4}},
        "relu_vs_tanh": {"relu_speedup": {"sd": 0.3, "n": 4, "margin": math.log(6), "resolution": 0.0,
                                          "seeds_needed": 3}},
        "lrn_pooling": {"lrn_second_regime": {"sd": 1.0, "n": 4, "margin": 1.4, "resolution": 0.0,
                                              "seeds_needed": None}}}}
    monkeypatch.setattr(pre, "POWER_PILOTS", pilots)
    # the most any claim needs, capped by the budget (5), never fewer than 3
    assert pre.planned_seeds("dropout") == 5 and pre.planned_seeds("relu_vs_tanh") == 3
    assert pre.planned_seeds("lrn_pooling", "second_seeds") == 5 and pre.planned_seeds("lrn_pooling") == 10
    assert pre.planned_seeds("augmentation") == 20                      # not planned: its budget
    plan = pre.power_plan("relu_vs_tanh", "relu_speedup")
    assert (plan["planned"], plan["budget"], plan["pilot_seeds"]) == (3, 5, [400, 401, 402, 403])
    assert pre.power_plan("augmentation", "augmentation_overfitting") is None
    row = {"unit": "log ratio", "power": plan, "n": 3}
    assert judging.power_text(row) == ("Seeds planned on 4 pilot seeds kept apart (400-403): at their spread, "
                                       "3 seeds detect an effect of 6.00× with 80% power; this build runs 3 seeds.")
    over = judging.power_text({"unit": "points", "power": pre.power_plan("dropout", "dropout_overfitting")})
    assert "would take 128 seeds, more than the 5 the build can afford" in over and "1.0 points" in over
    none = judging.power_text({"unit": "points", "power": pre.power_plan("lrn_pooling", "lrn_second_regime")})
    assert "would take more than 1,000 seeds" in none
    assert judging.power_text({"unit": "points"}) == ""
    # a default-profile record carries each claim's plan; other profiles none
    claim = {"key": "relu_speedup", "outcome": "inconclusive"}
    assert judging.chapter_record("relu_vs_tanh", "default", [claim])["claims"][0]["power"]["planned"] == 3
    assert judging.chapter_record("relu_vs_tanh", "ci", [claim])["claims"][0]["power"] is None
