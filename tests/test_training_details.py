"""Tests of the training_details chapter's model knobs (AlexNet ``kernel_scale``, ``remove_conv``,
``bias_one``) and of alexnet_repro.chapters.training_details (variants, early error, paired effects,
claims) against independent references: conv widths and parameter counts counted by hand,
hand-built records with hand-computed differences, scipy's t interval."""
from __future__ import annotations

import math
import time
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from alexnet_repro.analysis import judging
from alexnet_repro.analysis.sweeps import Run
from alexnet_repro.chapters import training_details as td
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.nn.introspect import count_parameters, named_layers
from alexnet_repro.nn.model import AlexNet

SMALL = dict(num_classes=10, in_channels=1, width=0.125, input_size=67, init="kaiming")


def _conv_widths(model):
    return [m.out_channels for m in named_layers(model).values() if isinstance(m, nn.Conv2d)]


def _conv(out, inp, k, groups=1):
    """Parameters of a conv layer by hand: out x (in / groups) x k x k weights and out biases."""
    return out * (inp // groups) * k * k + out


# By hand, width 0.125 and 67-pixel grey inputs: maps 67 -> conv1 15 -> pool1 7 -> conv2 7 -> pool2 3
# -> conv3..5 3 -> pool5 1, so fc6 reads conv5's maps at 1 x 1; fc6 and fc7 have 4096 / 8 = 512 units.
_FC = (32 * 512 + 512) + (512 * 512 + 512) + (512 * 10 + 10)


def test_one_tower_with_half_kernels_matches_a_hand_count():
    two = AlexNet(towers=2, **SMALL)
    one = AlexNet(towers=1, kernel_scale=td.HALF_KERNELS, **SMALL)
    assert _conv_widths(two) == [12, 32, 48, 48, 32]             # 96, 256, 384, 384, 256 / 8
    assert _conv_widths(one) == [6, 16, 24, 24, 32]              # half of each but conv5 (the footnote)
    assert count_parameters(two) == (_conv(12, 1, 11) + _conv(32, 12, 5, 2) + _conv(48, 32, 3)
                                     + _conv(48, 48, 3, 2) + _conv(32, 48, 3, 2) + _FC) == 322_210
    assert count_parameters(one) == (_conv(6, 1, 11) + _conv(16, 6, 5) + _conv(24, 16, 3)
                                     + _conv(24, 24, 3) + _conv(32, 24, 3) + _FC) == 303_462
    assert all(m.groups == 1 for m in named_layers(one).values() if isinstance(m, nn.Conv2d))


def test_half_kernels_at_the_papers_width_give_the_one_gpu_net_of_section_3_2():
    one = AlexNet(towers=1, kernel_scale=td.HALF_KERNELS, num_classes=10, init="kaiming")
    assert _conv_widths(one) == [48, 128, 192, 192, 256]


@pytest.mark.parametrize("removed, convs, params", [
    ("conv4", ["conv1", "conv2", "conv3", "conv5"],
     _conv(12, 1, 11) + _conv(32, 12, 5, 2) + _conv(48, 32, 3) + _conv(32, 48, 3, 2) + _FC),
    ("conv3", ["conv1", "conv2", "conv4", "conv5"],
     _conv(12, 1, 11) + _conv(32, 12, 5, 2) + _conv(48, 32, 3, 2) + _conv(32, 48, 3, 2) + _FC),
])
def test_removing_a_middle_layer_drops_it_and_its_relu_and_keeps_the_other_names(removed, convs, params):
    net = AlexNet(towers=2, remove_conv=removed, **SMALL)
    names = list(named_layers(net))
    assert removed not in names and f"act{removed[-1]}" not in names
    assert [n for n in names if n.startswith("conv")] == convs
    assert {"norm1", "norm2", "pool1", "pool2", "pool5", "fc6", "fc7", "fc8"} <= set(names)
    assert count_parameters(net) == params
    assert net(torch.zeros(2, 1, 67, 67)).shape == (2, 10)


def test_bias_one_sets_the_papers_biases_whatever_the_init_and_keeps_the_weights():
    nets = {}
    for init, bias_one in (("kaiming", True), ("kaiming", False), ("paper", False)):
        torch.manual_seed(3)
        nets[init, bias_one] = AlexNet(towers=2, **{**SMALL, "init": init}, bias_one=bias_one)
    ones = {"conv2", "conv4", "conv5", "fc6", "fc7"}                 # the paper's §5
    for (init, bias_one), net in nets.items():
        for name, m in named_layers(net).items():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                want = 1.0 if bias_one and name in ones else 0.0
                assert torch.all(m.bias == want), (init, bias_one, name)
    a, b = (named_layers(nets["kaiming", v]) for v in (True, False))
    for name in ("conv1", "conv3", "fc8"):
        assert torch.equal(a[name].weight, b[name].weight)        # same draws, only the biases differ
    torch.manual_seed(3)
    default = AlexNet(towers=2, **{**SMALL, "init": "paper"})     # bias_one=None: the init's own 1s
    assert torch.all(named_layers(default)["conv2"].bias == 1.0)


def test_bad_knobs_are_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="kernel_scale must be five positive numbers"):
        AlexNet(kernel_scale=(0.5, 0.5), **SMALL)
    with pytest.raises(ValueError, match="remove_conv"):
        AlexNet(remove_conv="conv2", **SMALL)
    with pytest.raises(ValueError, match="removed_layer"):
        td.variants("conv5")


@pytest.mark.parametrize("base_bias_one", [True, False])
def test_each_variant_changes_exactly_one_thing_from_the_papers_choices(base_bias_one):
    vs = td.variants("conv4", base_bias_one)
    base = vs[td.PAPER_NET]
    assert base["augment"] == "paper" and base["weight_decay"] == 0.0005
    assert base["model_kwargs"] == {"towers": 2, "bias_one": base_bias_one}
    flat_base = {**{k: v for k, v in base.items() if k != "model_kwargs"}, **base["model_kwargs"]}
    changed = {}
    for name, v in vs.items():
        flat = {**{k: x for k, x in v.items() if k != "model_kwargs"}, **v["model_kwargs"]}
        changed[name] = {k: flat.get(k) for k in set(flat) | set(flat_base) if flat.get(k) != flat_base.get(k)}
    bias_arm = td.BIAS_ZERO if base_bias_one else td.BIAS_ONE
    assert changed == {td.PAPER_NET: {}, td.ONE_TOWER: {"towers": 1, "kernel_scale": td.HALF_KERNELS},
                       "without conv4": {"remove_conv": "conv4"}, td.NO_WD: {"weight_decay": 0.0},
                       bias_arm: {"bias_one": not base_bias_one}, td.NO_LIGHTING: {"augment": "crop_flip"}}


def _steps(*entries):
    return [{"step": s, "images": n, "train_top1_error": e} for s, n, e in entries]


def test_early_error_is_the_image_weighted_error_of_the_last_entries_ending_at_the_step():
    run = {"steps": _steps((4, 128, 0.9), (8, 128, 0.7), (12, 64, 0.4), (16, 128, 0.1))}
    assert td.early_error(run, 12, 2) == pytest.approx((128 * 0.7 + 64 * 0.4) / 192)   # 0.6
    assert td.early_error(run, 8, 1) == pytest.approx(0.7)
    diverged = {"steps": _steps((4, 128, 0.5), (8, 128, float("nan")))}
    assert td.early_error(diverged, 8, 2) == pytest.approx(0.75)                        # nan counts as 1
    with pytest.raises(ValueError, match="not a logged step"):
        td.early_error(run, 10, 1)
    with pytest.raises(ValueError, match="fewer than window"):
        td.early_error(run, 8, 3)


def _run(seed, val, fit, early):
    return {"seed": seed, "final": {"val_top1_error": val, "train_eval": {"top1_error": fit}},
            "steps": _steps((4, 32, 1.0), (8, 32, early))}


@pytest.mark.parametrize("base_bias_one", [True, False])
def test_paired_effects_are_the_variant_minus_the_papers_network_in_points(base_bias_one):
    base = [_run(0, 0.30, 0.10, 0.80), _run(1, 0.32, 0.12, 0.70)]
    other_bias = td.BIAS_ZERO if base_bias_one else td.BIAS_ONE
    runs = {td.PAPER_NET: base,
            td.ONE_TOWER: [_run(0, 0.35, 0.10, 0.80), _run(1, 0.33, 0.12, 0.70)],
            "without conv3": [_run(0, 0.28, 0.10, 0.80), _run(1, 0.36, 0.12, 0.70)],
            td.NO_WD: [_run(0, 0.30, 0.15, 0.80), _run(1, 0.32, 0.11, 0.70)],
            other_bias: [_run(0, 0.30, 0.10, 0.90), _run(1, 0.32, 0.12, 0.60)],
            td.NO_LIGHTING: [_run(0, 0.31, 0.10, 0.80), _run(1, 0.30, 0.12, 0.70)]}
    eff = td.paired_effects(runs, removed_layer="conv3", step=8, window=1)
    assert list(eff) == list(td.CLAIM_KEYS)
    expected = {"two_gpu": [5.0, 1.0], "depth": [-2.0, 4.0], "weight_decay_train": [5.0, -1.0],
                "pca_color": [1.0, -2.0],
                # biases 0 minus biases 1, whichever arm is the base
                "bias_init": [10.0, -10.0] if base_bias_one else [-10.0, 10.0]}
    for key, want in expected.items():
        assert eff[key] == pytest.approx(want), key


def test_claims_judge_each_key_with_the_t_interval_of_its_effects():
    effects = {k: [1.0 + i, 2.0 + i, 4.0 + i] for i, k in enumerate(td.CLAIM_KEYS)}
    rows = td.claims(effects, dataset="fashion-mnist", setting="test", values={"depth": {"removed_layer": "conv4"}})
    assert [r["key"] for r in rows] == list(td.CLAIM_KEYS)
    for r in rows:
        x = np.array(effects[r["key"]])
        lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=x.std(ddof=1) / math.sqrt(len(x)))
        assert r["estimate"] == pytest.approx(x.mean())
        assert r["ci"] == pytest.approx([lo, hi])
        assert r["unit"] == "points" and not r["paper_judged"]           # not ImageNet: not judged in size
    assert rows[1]["values"] == {"removed_layer": "conv4"}
    assert [r["paper_effect"] for r in rows] == [1.7, 2.0, None, None, 1.0]


def test_regime_text_names_the_input_scale_and_the_init():
    assert "[0, 1]" in td.regime_text("kaiming", 1.0) and "He-normal" in td.regime_text("kaiming", 1.0)
    assert "255" in td.regime_text("paper", 255.0) and "0.01" in td.regime_text("paper", 255.0)
    assert td.regime_sentence("paper", 255.0).startswith("The regime is the paper's")
    assert td.regime_sentence("kaiming", 1.0).startswith("The regime is not the paper's")


def test_intro_glue_quotes_the_papers_decay_and_biases_and_the_fixed_choices():
    g = td.intro_glue("conv3", 64, 4)
    assert set(g) == ({f"{k}_{f}" for k in ("two_gpu", "depth", "weight_decay_train", "bias_init", "pca_color")
                       for f in ("text", "paper")} | {"wd", "bias_one", "removed", "early_step", "early_window"})
    assert g["wd"] == 0.0005                                         # §5
    assert g["bias_one"] == "conv2, conv4, conv5, fc6, fc7"          # §5
    assert (g["removed"], g["early_step"], g["early_window"]) == ("conv3", 64, 4)
    assert all(isinstance(g[f"{k}_text"], str) and g[f"{k}_text"] for k in td.CLAIM_KEYS)


def test_train_variants_trains_every_variant_with_the_training_split_evaluated_and_times_it(monkeypatch):
    calls = []

    def fake_run_seeds(base, variants, seeds, **kw):
        calls.append((base, variants, list(seeds), kw))
        time.sleep(0.05)
        return {v: [] for v in variants}

    monkeypatch.setattr(td.sweeps, "run_seeds", fake_run_seeds)
    vs = td.variants("conv4", False)
    runs, seconds = td.train_variants("base", vs, [10, 11], workers=3)
    assert calls == [("base", vs, [10, 11], {"eval_train_split": True, "workers": 3})]
    assert list(runs) == list(vs)
    assert 0.05 <= seconds < 5


def test_bias_texts_and_grey_note_follow_the_base_biases_and_the_channels():
    assert td.bias_texts(True) == {"base_biases": "biases 1 in conv2, conv4, conv5, fc6, fc7 and 0 elsewhere",
                                   "bias_variant": "biases 0 (every bias; the same weights)"}
    zero = td.bias_texts(False)
    assert zero["base_biases"].startswith("every bias 0")
    assert zero["bias_variant"] == "biases 1 in conv2, conv4, conv5, fc6, fc7 (the paper's; the same weights)"
    assert "single component" in td.grey_note(1)
    assert td.grey_note(3) == ""


def _trained(variant, seed, wall, model=None):
    rec = {"variant": variant, "seed": seed, "wall_time_s": wall, "dataset": {"crop_size": 67},
           "model": {"parameters": 322_210}, "final": {"steps": 264},
           "config": {"epochs": 12, "batch_size": 32, "lr": 0.02,
                      "model_kwargs": {"width": 0.125, "init": "kaiming", "input_scale": 1.0}}}
    data = SimpleNamespace(name="fashion-mnist", train=range(700), val=range(500), classes=list(range(10)))
    return Run(rec, None if model is None else SimpleNamespace(model=model, data=data))


def test_setting_glue_counts_the_networks_and_averages_the_wall_times_by_hand():
    nets = {td.PAPER_NET: AlexNet(towers=2, **SMALL),
            td.ONE_TOWER: AlexNet(towers=1, kernel_scale=td.HALF_KERNELS, **SMALL),
            "without conv4": AlexNet(towers=2, remove_conv="conv4", **SMALL)}
    walls = {td.PAPER_NET: (10.0, 14.0), td.ONE_TOWER: (9.0, 10.0)}
    runs = {v: [_trained(v, s, walls.get(v, (1.0, 1.0))[i], nets.get(v) if i == 0 else None)
                for i, s in enumerate((10, 11))]
            for v in td.variants("conv4", False)}
    g = td.setting_glue(runs, removed_layer="conv4", base_bias_one=False, n_seeds=2, train_seconds=7.5)
    assert {k: g[k] for k in ("dataset", "train_images", "val_images", "classes", "crop", "epochs", "width")} == {
        "dataset": "fashion-mnist", "train_images": 700, "val_images": 500, "classes": 10, "crop": 67,
        "epochs": 12, "width": 0.125}
    assert (g["n_seeds"], g["n_runs"], g["train_seconds"]) == (2, 12, 7.5)
    assert (g["params_two"], g["params_one"]) == (322_210, 303_462)      # the hand counts above
    assert g["params_shallow"] == (_conv(12, 1, 11) + _conv(32, 12, 5, 2) + _conv(48, 32, 3)
                                   + _conv(32, 48, 3, 2) + _FC)
    assert g["layers_two"] == ("conv1 12×11×11, conv2 32×5×5, conv3 48×3×3, conv4 48×3×3, conv5 32×3×3, "
                               "fc6 → 512, fc7 → 512, fc8 → 10")
    assert g["layers_one"].startswith("conv1 6×11×11, conv2 16×5×5, conv3 24×3×3, conv4 24×3×3, conv5 32×3×3")
    assert (g["wall_two"], g["wall_one"]) == (pytest.approx(12.0), pytest.approx(9.5))
    assert g["regime_sentence"].startswith("The regime is not the paper's") and "[0, 1]" in g["regime"]
    assert g["base_biases"].startswith("every bias 0") and "single component" in g["grey_note"]
    assert td.figure_title(g) == "AlexNet, width 0.125, fashion-mnist"


def _six(base_bias_one):
    """Records of the six networks, two seeds, as in the paired-effects test above."""
    other = td.BIAS_ZERO if base_bias_one else td.BIAS_ONE
    return {td.PAPER_NET: [_run(0, 0.30, 0.10, 0.80), _run(1, 0.32, 0.12, 0.70)],
            td.ONE_TOWER: [_run(0, 0.35, 0.10, 0.80), _run(1, 0.33, 0.12, 0.70)],
            "without conv4": [_run(0, 0.28, 0.10, 0.80), _run(1, 0.36, 0.12, 0.70)],
            td.NO_WD: [_run(0, 0.30, 0.15, 0.80), _run(1, 0.32, 0.11, 0.70)],
            other: [_run(0, 0.36, 0.10, 0.90), _run(1, 0.40, 0.12, 0.60)],
            td.NO_LIGHTING: [_run(0, 0.31, 0.10, 0.80), _run(1, 0.30, 0.12, 0.70)]}


def test_summary_table_shows_each_networks_mean_and_sample_std_in_percent():
    table = td.summary_table(_six(False), 8, 1)
    # paper's network: validation 30 and 32 % -> 31.00 ± 1.41 (sample std sqrt(2)); early error 80, 70 -> 75.00 ± 7.07
    assert "31.00 ± 1.41" in table and "75.00 ± 7.07" in table and "training error at step 8" in table
    assert all(v in table for v in ("one tower, half the kernels", "without conv4", "no PCA lighting"))


_CONFIG = dict(dataset="fashion-mnist", limit=700, val_limit=500, epochs=12, lr=0.02, model="alexnet",
               model_kwargs={"width": 0.125, "init": "kaiming", "input_scale": 1.0}, profile="ci")
_FACTS = {"train_images": 700, "val_images": 500, "crop": 67, "n_seeds": 2,
          "params_two": 322_210, "params_one": 303_462, "params_shallow": 301_000}


def test_judged_claims_carry_the_shared_setting_the_paired_means_and_the_values():
    rows = td.judged_claims(_six(False), TrainConfig(**_CONFIG), _FACTS, removed_layer="conv4", step=8, window=1)
    assert [r["key"] for r in rows] == list(td.CLAIM_KEYS)
    assert {r["setting"] for r in rows} == {"ci profile: AlexNet width 0.125, init kaiming; fashion-mnist, 700 "
                                            "training / 500 validation images (drawn per seed) at 67 px; "
                                            "12 epochs, lr 0.02; 2 seeds"}
    # hand means of the per-seed differences, points: one tower (5, 1), without conv4 (-2, 4), no decay on the
    # training error (5, -1), biases 0 minus 1 early (80 - 90, 70 - 60), no lighting (1, -2)
    est = {r["key"]: r["estimate"] for r in rows}
    assert est == pytest.approx({"two_gpu": 3.0, "depth": 1.0, "weight_decay_train": 2.0, "bias_init": 0.0,
                                 "pca_color": -0.5})
    values = {r["key"]: r.get("values") for r in rows}
    assert values["two_gpu"] == {"parameters_two_towers": 322_210, "parameters_one_tower": 303_462}
    assert values["depth"] == {"removed_layer": "conv4", "parameters_without": 301_000}
    assert values["bias_init"] == {"step": 8, "window": 1}


@pytest.mark.parametrize("base_bias_one", [True, False])
def test_claims_glue_averages_the_validation_errors_of_the_base_and_its_bias_twin(base_bias_one):
    runs = _six(base_bias_one)
    rows = td.judged_claims(runs, TrainConfig(**_CONFIG), _FACTS, removed_layer="conv4", step=8, window=1)
    g = td.claims_glue(rows, runs, base_bias_one=base_bias_one, step=8, window=1)
    assert g["val_base"] == pytest.approx(31.0) and g["val_bias_arm"] == pytest.approx(38.0)   # (36 + 40) / 2
    for r in rows:
        assert (g[f"{r['key']}_measured"], g[f"{r['key']}_outcome"]) == (r["measured"], r["outcome"])
    assert g["design"] == judging.design_sentence(rows)
    if base_bias_one:
        assert g["bias_note"] == ""
    else:
        assert "weigh on the whole run" in g["bias_note"]         # the paper's biases ended behind: 38 > 31


def test_chapter_record_keeps_the_claims_the_runs_digest_and_the_fixed_choices():
    runs, config = _six(False), TrainConfig(**_CONFIG)
    for v, recs in runs.items():
        for r in recs:
            r["wall_time_s"] = 2.0
    rows = td.judged_claims(runs, config, _FACTS, removed_layer="conv4", step=8, window=1)
    vs = td.variants("conv4", False)
    rec = td.chapter_record("ci", rows, runs, config, vs, seeds=(0, 1), removed_layer="conv4", step=8, window=1,
                            seconds=3.5)
    assert list(rec) == ["kind", "format", "chapter", "profile", "claims", "runs", "config", "seeds", "variants",
                         "removed_layer", "early_step", "early_window", "bias_regime", "chapter_seconds", "provenance"]
    assert (rec["kind"], rec["chapter"], rec["profile"]) == ("chapter", "training_details", "ci")
    assert [c["key"] for c in rec["claims"]] == list(td.CLAIM_KEYS)
    assert rec["runs"][td.PAPER_NET] == [
        {"seed": 0, "final": {"val_top1_error": 0.30, "train_eval": {"top1_error": 0.10}}, "wall_time_s": 2.0},
        {"seed": 1, "final": {"val_top1_error": 0.32, "train_eval": {"top1_error": 0.12}}, "wall_time_s": 2.0}]
    assert rec["config"]["limit"] == 700 and rec["config"]["profile"] == "ci"
    assert (rec["seeds"], rec["variants"], rec["removed_layer"]) == ([0, 1], vs, "conv4")
    assert (rec["early_step"], rec["early_window"], rec["chapter_seconds"]) == (8, 1, 3.5)


def test_bias_note_tells_what_the_base_biases_did_without_the_design_history():
    assert td.bias_note(True, 30.0, 40.0) == ""
    behind = td.bias_note(False, 30.0, 40.0)
    assert "weigh on the whole run" in behind
    assert "did not end behind" in td.bias_note(False, 40.0, 30.0)
    for note in (behind, td.bias_note(False, 40.0, 30.0)):
        assert "trial" not in note and "before these runs" not in note


@pytest.mark.parametrize("seconds, words", [
    (0.4, "under a minute"), (44, "under a minute"), (95, "about 2 minutes"), (30 * 60 + 20, "about 30 minutes"),
    (5 * 3600, "about 5.0 hours")])
def test_try_it_cost_in_words(seconds, words):
    assert td.try_it_facts(seconds) == {"try_cost": words}


# ------------------------------------------------------------------------------ biases in the paper's regime

def _probe_run(seed, val, classes=10):
    return {**_run(seed, val, 0.1, 0.8), "dataset": {"classes": classes}}


def test_bias_test_judges_only_where_both_arms_learn_below_half_of_chance():
    # chance with 10 classes: 90%; half of it 45%
    both = {td.BIAS_ZERO: [_probe_run(0, 0.30), _probe_run(1, 0.44)], td.BIAS_ONE: [_probe_run(0, 0.20), _probe_run(1, 0.40)]}
    t = td.bias_test(both)
    assert t["testable"] and t["reason"] == "" and t["limit"] == pytest.approx(45.0)
    assert t["errors"][td.BIAS_ZERO] == pytest.approx([30.0, 44.0])
    neither = {td.BIAS_ZERO: [_probe_run(0, 0.90), _probe_run(1, 0.90)], td.BIAS_ONE: [_probe_run(0, 0.90), _probe_run(1, 0.46)]}
    t = td.bias_test(neither)
    assert not t["testable"] and "neither network learned" in t["reason"]
    assert "with biases 1 (the paper's), 90.0%, 46.0%" in t["reason"] and "chance 90%" in t["reason"]
    one = {td.BIAS_ZERO: [_probe_run(0, 0.30), _probe_run(1, 0.40)], td.BIAS_ONE: [_probe_run(0, 0.90), _probe_run(1, 0.90)]}
    t = td.bias_test(one)
    assert not t["testable"] and "only one network learned" in t["reason"]
    # two classes: chance 50%, half 25%
    assert not td.bias_test({td.BIAS_ZERO: [_probe_run(0, 0.30, 2)], td.BIAS_ONE: [_probe_run(0, 0.2, 2)]})["testable"]


def test_paper_regime_is_the_papers_init_on_raw_pixels():
    assert td.paper_regime(TrainConfig(model_kwargs={"init": "paper", "input_scale": 255.0}))
    assert td.paper_regime(TrainConfig(model_kwargs={"init": "released-2012", "input_scale": 255}))
    assert not td.paper_regime(TrainConfig(model_kwargs={"init": "paper", "input_scale": 1.0}))
    assert not td.paper_regime(TrainConfig(model_kwargs={"init": "kaiming", "input_scale": 255.0}))


def test_bias_regime_probes_first_and_trains_the_pair_only_where_both_learn(monkeypatch):
    calls = []

    def fake_run_seeds(config, arms, seeds, **kw):
        calls.append((config, arms, list(seeds)))
        val = 0.3 if learn else 0.9
        return {arm: [_probe_run(s, val) for s in seeds] for arm in arms}

    monkeypatch.setattr(td.sweeps, "run_seeds", fake_run_seeds)
    base = TrainConfig(**_CONFIG)
    regime = {"model_kwargs": {"init": "paper", "input_scale": 255.0}, "lr": 0.01}
    learn = False
    out = td.bias_regime(base, regime, [300, 301], [10, 11, 12])
    assert [c[2] for c in calls] == [[300, 301]] and out["runs"] is None and not out["test"]["testable"]
    config, arms, _ = calls[0]
    assert (config.model_kwargs["init"], config.model_kwargs["input_scale"], config.lr) == ("paper", 255.0, 0.01)
    assert config.model_kwargs["width"] == 0.125                       # the chapter's size kept
    assert {a: (o["model_kwargs"]["bias_one"], o["model_kwargs"]["towers"], o["augment"], o["weight_decay"])
            for a, o in arms.items()} == {td.BIAS_ZERO: (False, 2, "paper", 0.0005),
                                          td.BIAS_ONE: (True, 2, "paper", 0.0005)}
    calls.clear()
    learn = True
    out = td.bias_regime(base, regime, [300, 301], [10, 11, 12])
    assert [c[2] for c in calls] == [[300, 301], [10, 11, 12]] and out["test"]["testable"]
    assert [r["seed"] for r in out["runs"][td.BIAS_ONE]] == [10, 11, 12]
    calls.clear()
    paper_base = TrainConfig(**{**_CONFIG, "model_kwargs": {"width": 0.125, "init": "paper", "input_scale": 255.0}})
    assert td.bias_regime(paper_base, regime, [300], [10])["test"] is None and calls == []   # its own arms judge


def test_judged_claims_do_not_judge_the_biases_where_the_papers_regime_does_not_learn():
    stuck = {td.BIAS_ZERO: [_probe_run(0, 0.9)], td.BIAS_ONE: [_probe_run(0, 0.9)]}
    test = td.bias_test(stuck)
    bias = {"test": test, "probe": stuck, "runs": None, "regime": {"lr": 0.01}}
    rows = td.judged_claims(_six(False), TrainConfig(**_CONFIG), _FACTS, removed_layer="conv4", step=8, window=1,
                            bias=bias)
    row = next(r for r in rows if r["key"] == "bias_init")
    assert row["outcome"] == "not testable at this scale" and row["reason"] == test["reason"]
    assert row["estimate"] == pytest.approx(0.0)                      # the chapter's arms, described: (-10 + 10) / 2
    assert row["values"]["probe_errors"] == {td.BIAS_ZERO: [90.0], td.BIAS_ONE: [90.0]}
    sentence = td.bias_sentence(row, 8, 1)
    assert sentence.startswith("Not testable at this scale.") and test["reason"].startswith(td.PAPER_START)
    assert "kept apart, the final validation errors were with biases 0, 90.0%" in sentence   # said once
    assert sentence.count("raw pixel values") == 1
    assert "shown, not judged" in sentence


def test_judged_claims_judge_the_biases_on_the_pair_trained_in_the_papers_regime():
    # biases 0 early error 80, 70 %; biases 1: 60, 65 % -> differences 20, 5 -> mean 12.5 points
    pair = {td.BIAS_ZERO: [_run(0, 0.3, 0.1, 0.80), _run(1, 0.3, 0.1, 0.70)],
            td.BIAS_ONE: [_run(0, 0.3, 0.1, 0.60), _run(1, 0.3, 0.1, 0.65)]}
    regime = {"model_kwargs": {"init": "paper", "input_scale": 255.0}, "lr": 0.01}
    bias = {"test": {"testable": True, "errors": {}, "limit": 45.0, "reason": ""}, "probe": {}, "runs": pair,
            "regime": regime}
    rows = td.judged_claims(_six(False), TrainConfig(**_CONFIG), _FACTS, removed_layer="conv4", step=8, window=1,
                            bias=bias)
    row = next(r for r in rows if r["key"] == "bias_init")
    assert row["estimate"] == pytest.approx(12.5) and row["effects"] == pytest.approx([20.0, 5.0])
    assert "init paper, input scale 255" in row["setting"] and "lr 0.01" in row["setting"]
    assert td.bias_sentence(row, 8, 1).endswith(f"is {row['measured']} points: {row['outcome']}.")


def test_judged_claims_check_the_chapters_own_bias_arms_where_it_starts_as_the_paper():
    runs = _six(True)                      # the base has the paper's biases; its twin every bias 0
    for recs in runs.values():
        for r in recs:
            r["dataset"] = {"classes": 10}
    paper = TrainConfig(**{**_CONFIG, "model_kwargs": {"width": 0.125, "init": "paper", "input_scale": 255.0}})
    bias = {"test": None, "probe": None, "runs": None, "regime": {}}
    rows = td.judged_claims(runs, paper, _FACTS, removed_layer="conv4", step=8, window=1, bias=bias)
    row = next(r for r in rows if r["key"] == "bias_init")
    # validation errors 30-40%: both learned (below 45%), so the claim is judged on the chapter's arms
    assert row["outcome"] != "not testable at this scale" and row["estimate"] == pytest.approx(0.0)
    assert row["values"]["own_errors"][td.BIAS_ZERO] == pytest.approx([36.0, 40.0])
    for r in runs[td.BIAS_ZERO]:
        r["final"]["val_top1_error"] = 0.9                               # the twin never learns
    rows = td.judged_claims(runs, paper, _FACTS, removed_layer="conv4", step=8, window=1, bias=bias)
    row = next(r for r in rows if r["key"] == "bias_init")
    assert row["outcome"] == "not testable at this scale" and "only one network learned" in row["reason"]
    assert td.bias_sentence(row, 8, 1).startswith("Not testable at this scale: in this chapter's runs")
