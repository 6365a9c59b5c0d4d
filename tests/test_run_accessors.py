"""Tests of the small readers of sweep runs (run_metrics.final_value, overfit_gap, paired, runs_digest,
setting_facts) and of the effect helpers of judging (format_summary, effect_values, effect_claim),
against hand values."""
from __future__ import annotations

import math

import pytest

from alexnet_repro.analysis import run_metrics, sweeps
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.engine.config import TrainConfig


def _rec(seed, val, train=None, **more):
    final = {"val_top1_error": val, "steps": 3}
    if train is not None:
        final["train_eval"] = {"top1_error": train}
    return {"seed": seed, "final": final, "wall_time_s": 1.5, "steps": [], **more}


def test_final_value_and_overfit_gap_by_hand():
    run = sweeps.Run(_rec(0, 0.25, train=0.125))
    assert run_metrics.final_value(run, "val_top1_error") == 0.25
    assert run_metrics.final_value(run.record, "train_eval.top1_error") == 0.125
    assert run_metrics.overfit_gap(run) == pytest.approx(12.5)
    with pytest.raises(KeyError, match="eval_train_split"):
        run_metrics.final_value(_rec(0, 0.25), "train_eval.top1_error")


def _aug_rec(seed, trained, train_eval, val, ten):
    return {"seed": seed, "history": [{"train_top1_error": 0.9}, {"train_top1_error": trained}],
            "final": {"val_top1_error": val, "val_top1_error_ten_crop": ten,
                      "train_eval": {"top1_error": train_eval}}}


def test_final_errors_gap_uses_the_centre_crop_training_error_not_the_augmented_one():
    # the augmented net: 30% error on its random training patches, 5% on the centre patches
    runs = {"none": [_aug_rec(0, 0.00, 0.00, 0.40, 0.38), _aug_rec(1, 0.02, 0.01, 0.50, 0.46)],
            "paper": [_aug_rec(0, 0.30, 0.05, 0.35, 0.30), _aug_rec(1, 0.30, 0.15, 0.45, 0.44)]}
    r = runs["paper"][0]
    assert run_metrics.final_error(r, "train") == 0.30 and run_metrics.final_error(r, "train_eval") == 0.05
    assert run_metrics.final_error(r, "ten_crop") == 0.30 and run_metrics.final_error(r) == 0.35
    assert run_metrics.ten_crop_gain(r) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="which must be one of"):
        run_metrics.final_error(r, "test")
    table = run_metrics.final_errors(runs)
    # gaps val - train_eval: none 0.40, 0.49; paper 0.30, 0.30 (not 0.05, 0.15 from the patches)
    assert table["none"]["gap"]["mean"] == pytest.approx(0.445)
    assert table["paper"]["gap"]["mean"] == pytest.approx(0.30) and table["paper"]["gap"]["std"] == pytest.approx(0.0)
    assert table["paper"]["train_eval"]["mean"] == pytest.approx(0.10)
    assert table["paper"]["ten_minus_centre"]["mean"] == pytest.approx(-0.03)          # (-0.05 - 0.01) / 2
    # the chapter's effect: per seed, gap without augmentation minus with, in points
    assert run_metrics.paired(runs, "none", "paper", run_metrics.overfit_gap) == pytest.approx([10.0, 19.0])
    with pytest.raises(KeyError, match="eval_train_split"):
        run_metrics.final_error({"final": {"val_top1_error": 0.3}}, "train_eval")


def test_paired_differences_by_hand_and_seed_check():
    runs = {"a": [_rec(0, 0.5), _rec(1, 0.4)], "b": [_rec(0, 0.25), _rec(1, 0.5)]}
    diffs = run_metrics.paired(runs, "a", "b", lambda r: 100 * r["final"]["val_top1_error"])
    assert diffs == pytest.approx([25.0, -10.0])
    with pytest.raises(ValueError, match="different seeds"):
        run_metrics.paired({"a": runs["a"], "b": runs["b"][::-1]}, "a", "b", lambda r: 0.0)


def test_runs_digest_keeps_seed_final_and_time_only():
    runs = {"a": [sweeps.Run(_rec(3, 0.5, extra="dropped"))]}
    assert run_metrics.runs_digest(runs) == {"a": [{"seed": 3, "final": {"val_top1_error": 0.5, "steps": 3},
                                                "wall_time_s": 1.5}]}


def test_setting_facts_of_a_real_run_by_hand_count():
    data = load_dataset("synthetic", limit=40, val_limit=20, image_size=36, seed=0, channels=1)
    cfg = TrainConfig(dataset="synthetic", image_size=36, crop_size=32, model="small_cnn",
                      model_kwargs={"width": 0.5}, augment="none", epochs=2, batch_size=16,
                      lr=0.02, device="cpu", progress=False, ten_crop_eval=False, schedule="fixed")
    run = sweeps.run_seeds(cfg, {"v": {}}, [0], data=data)["v"][0]
    facts = run_metrics.setting_facts(run)
    params = sum(p.numel() for p in run.model.parameters())
    assert facts == {"dataset": "synthetic", "train_images": 40, "val_images": 20, "classes": len(data.classes),
                     "crop": 32, "parameters": params, "steps": 2 * math.ceil(40 / 16), "epochs": 2,
                     "batch_size": 16, "lr": 0.02, "width": 0.5, "init": None, "input_scale": None}
    with pytest.raises(ValueError, match="keep_models"):
        run_metrics.setting_facts(sweeps.Run(run.record))


