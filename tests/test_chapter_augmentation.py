"""Tests of alexnet_repro.chapters.augmentation against independent references: the paper's
numbers and the patch counts written out by hand, a PCA whose λ and p are chosen so that the
grey-level shifts are hand arithmetic, hand-built run records with hand-computed paired effects
and scipy's t interval, the setting sentence written out in full."""
from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pytest
import skimage.data
import torch
from scipy import stats

from alexnet_repro.analysis.sweeps import Run
from alexnet_repro.chapters import augmentation as aug
from alexnet_repro.common.text import duration_words
from alexnet_repro.data.augment import ten_crop_windows
from alexnet_repro.data.stats import PCA
from alexnet_repro.engine.config import TrainConfig

# ------------------------------------------------------------------------ the paper's numbers


def test_paper_numbers_are_the_papers_section_4_1():
    assert aug.paper_numbers() == {"stored": 256, "printed_crop": 224, "crop": 227, "alpha_std": 0.1,
                                   "test_patches": 10, "pca_claim": 1}


def test_photographs_are_the_scikit_image_pixels_channels_first():
    out = aug.photographs(["chelsea"])
    ref = skimage.data.chelsea()                    # (H, W, 3) uint8
    assert list(out) == ["chelsea"]
    img = out["chelsea"]
    assert img.dtype == torch.uint8 and tuple(img.shape) == (3, ref.shape[0], ref.shape[1])
    for c, y, x in [(0, 0, 0), (1, 10, 20), (2, ref.shape[0] - 1, ref.shape[1] - 1)]:
        assert int(img[c, y, x]) == int(ref[y, x, c])


def test_photo_index_falls_back_to_the_first_photograph():
    assert aug.photo_index(["astronaut", "chelsea", "coffee"], "chelsea") == 1
    assert aug.photo_index(["astronaut", "coffee"], "chelsea") == 0


# ------------------------------------------------------------------------ translations


COUNT = {"count_224": 2 * 32 ** 2, "exact_224": 2 * 33 ** 2, "count_227": 2 * 29 ** 2, "exact_227": 2 * 30 ** 2}


def test_translation_glue_formats_the_hand_counts():
    glued = aug.translation_glue(COUNT)
    assert glued == {"count_224": "2,048", "exact_224": "2,178", "count_227": "1,682", "exact_227": "1,800",
                     "paper_factor": "2,048", "span_224": 32, "positions_224": 33,
                     "formula_224": "(256 − 224)² × 2", "formula_227_exact": "(256 − 227 + 1)² × 2"}


def test_translation_table_has_one_row_per_patch_side():
    html = aug.translation_table(COUNT)
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.DOTALL)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.DOTALL) for r in rows]
    cells = [c for c in cells if c]
    assert cells == [["224", "2,048", "2,178"], ["227", "1,682", "1,800"]]
    assert "256×256" in html


# ------------------------------------------------------------------------ PCA lighting


@pytest.mark.parametrize("p1, kind", [([0.6, 0.6, 0.5], "one sign"), ([0.7, -0.1, 0.7], "mixed"),
                                       ([0.7, 0.0, 0.7], "mixed"), ([-0.5, -0.6, -0.6], "mixed")])
def test_p1_kind_says_brightness_only_when_every_coordinate_is_positive(p1, kind):
    text = aug.p1_kind(p1)
    assert text.startswith("all of one sign") == (kind == "one sign")
    assert text.startswith("of mixed signs") == (kind == "mixed")


def test_lighting_glue_is_hand_arithmetic_on_a_chosen_pca():
    s = 1 / math.sqrt(3)
    vectors = torch.tensor([[s, 1 / math.sqrt(2), 1 / math.sqrt(6)],
                            [s, -1 / math.sqrt(2), 1 / math.sqrt(6)],
                            [s, 0.0, -2 / math.sqrt(6)]], dtype=torch.float64)
    pca = PCA(torch.tensor([0.04, 0.01, 0.00], dtype=torch.float64), vectors)
    glued = aug.lighting_glue(pca, 0.1)
    # λ1 = 0.04 of 0.05: 80 %; 0.1·0.04·255 = 1.02; 0.1·0.04·255² = 260.1; 0.1·0.2·255 = 5.1
    assert glued == {"lambda1": "0.0400", "share1": "80%", "shift_levels": "1.0", "shift_levels_255": "260",
                     "shift_levels_sqrt": "5.1", "p1": "(+0.58, +0.58, +0.58)",
                     "p1_kind": "all of one sign: lighter or darker in every channel at once"}
    mixed = PCA(pca.eigenvalues, vectors[:, [1, 0, 2]])
    assert aug.lighting_glue(mixed, 0.1)["p1"] == "(+0.71, -0.71, +0.00)"
    assert aug.lighting_glue(mixed, 0.1)["p1_kind"].startswith("of mixed signs")


def test_lighting_settings_are_printed_sqrt_and_exaggerated():
    assert aug.lighting_settings(0.1) == [("paper", 0.1, "as printed: λ, σ = 0.1"),
                                          ("sqrt", 0.1, "√λ, σ = 0.1"),
                                          ("sqrt", 0.5, "√λ, σ = 0.5 (exaggerated)")]


# ------------------------------------------------------------------------ test-time patches


def test_window_glue_offsets_of_the_papers_windows():
    # 256 - 227 = 29: corners reach 29; the centre starts at round(29 / 2) = 14 (torchvision)
    assert aug.window_glue(ten_crop_windows(256, 227)) == {"centre_offset": 14, "corner_offset": 29}
    with pytest.raises(ValueError):
        aug.window_glue(ten_crop_windows(256, 227)[:5])


def test_window_table_says_yes_or_no_for_a_reflection():
    html = aug.window_table(ten_crop_windows(256, 227))
    assert html.count("<tr>") == 1 + 10
    assert html.count("<td>yes</td>") == 5 and html.count("<td>no</td>") == 5
    assert "True" not in html and "False" not in html and "reflected" in html


# ------------------------------------------------------------------------ the experiment

DATASET = {"name": "fashion-mnist", "train_images": 100, "val_images": 50, "image_size": 36, "crop_size": 32,
           "channels": 1}


def _run(variant, seed, *, val, ten, fit, train=0.5, wall=60.0, channels=1):
    record = {"variant": variant, "seed": seed, "dataset": {**DATASET, "channels": channels},
              "config": {"seed": seed, "profile": "ci"}, "profile": "ci", "wall_time_s": wall,
              "history": [{"epoch": 1, "train_top1_error": 0.9, "val_top1_error": 0.9},
                          {"epoch": 2, "train_top1_error": train, "val_top1_error": val}],
              "final": {"val_top1_error": val, "val_top1_error_ten_crop": ten, "val_images": 50,
                        "train_eval": {"top1_error": fit}}}
    return Run(record)


# per seed: (val, ten, fit) without augmentation, with the paper's, with crops and flips only
TRIPLES = {"none": [(0.30, 0.29, 0.05), (0.34, 0.32, 0.02), (0.28, 0.28, 0.06)],
           "paper": [(0.26, 0.24, 0.15), (0.30, 0.27, 0.12), (0.27, 0.24, 0.14)],
           "crop_flip": [(0.27, 0.25, 0.15), (0.32, 0.30, 0.12), (0.26, 0.25, 0.14)]}


def _runs(variants=("none", "paper"), channels=1):
    return {v: [_run(v, s, val=val, ten=ten, fit=fit, channels=channels)
                for s, (val, ten, fit) in enumerate(TRIPLES[v])] for v in variants}


CONFIG = TrainConfig(dataset="fashion-mnist", limit=100, val_limit=50, image_size=36, crop_size=32,
                     model="small_cnn", model_kwargs={"init": "kaiming"}, epochs=2, lr=0.05, profile="ci")
SETTING = ("ci profile: SmallCNN, init kaiming; fashion-mnist, 100 training / 50 validation images "
           "(drawn per seed) at 32 px; 2 epochs, lr 0.05; 3 seeds")


def test_experiment_glue_reads_the_setting_and_adds_the_minutes():
    runs = _runs()
    runs["paper"][0].record["wall_time_s"] = 150.0      # 5 runs of 60 s and one of 150 s: 450 s
    glued = aug.experiment_glue(runs, CONFIG, [0, 1, 2])
    assert glued == {"dataset": "fashion-mnist", "train": 100, "val": 50, "stored": 36, "crop": 32,
                     "model": "small_cnn", "epochs": 2, "seeds": 3, "runs": 6, "minutes": "7.5",
                     "dataset_text": "Fashion-MNIST", "model_text": "the book's four-layer CNN",
                     "seeds_text": "3 seeds", "epochs_text": "2 epochs"}
    one = aug.experiment_glue({"paper": runs["paper"][:1]}, TrainConfig(dataset="fashion-mnist", model="alexnet",
                                                                        epochs=1), [0])
    assert (one["seeds_text"], one["epochs_text"], one["model_text"]) == ("1 seed", "1 epoch", "AlexNet")


def test_final_error_glue_formats_percent_and_points():
    table = {v: {"train": {"mean": 0.5, "std": 0.02}, "train_eval": {"mean": 0.1, "std": 0.01},
                 "val": {"mean": 0.3, "std": 0.04}, "gap": {"mean": 0.2, "std": 0.03},
                 "ten_minus_centre": {"mean": -0.015, "std": 0.005}} for v in ("none", "paper")}
    table["paper"]["val"] = {"mean": 0.274, "std": None}
    glued = aug.final_error_glue(table)
    assert set(glued) == {f"{v}_{k}" for v in ("none", "paper")
                          for k in ("train", "train_eval", "val", "gap", "ten_minus_centre")}
    assert glued["none_train"] == "50.0 ± 2.0 %"
    assert glued["none_gap"] == "20.0 ± 3.0 points"        # a difference of two errors: points
    assert glued["paper_val"] == "27.4 %"                 # one seed: no spread
    assert glued["none_ten_minus_centre"] == "-1.5 ± 0.5 points"


def test_claim_setting_is_the_shared_sentence():
    assert aug.claim_setting(_runs(), CONFIG, [0, 1, 2]) == SETTING


def test_pca_setting_names_brightness_noise_on_one_channel_only():
    assert aug.pca_setting("S", 1) == "S; 1 channel: brightness noise"
    assert aug.pca_setting("S", 3) == "S"


def _t_interval(effects):
    x = np.asarray(effects, dtype=np.float64)
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return x.mean(), (x.mean() - half, x.mean() + half)


def test_judge_claims_are_the_hand_computed_paired_effects():
    claims = aug.judge_claims(_runs(), CONFIG, [0, 1, 2])
    assert [c["key"] for c in claims] == ["augmentation_overfitting", "augmentation_val_error", "ten_patch_test"]
    # gap = val - fit, in points; without minus with: (25-11, 32-18, 22-13) = (14, 14, 9)
    # validation error without minus with: (4, 4, 1); centre minus ten patches, augmented: (2, 3, 3)
    for claim, effects in zip(claims, ([14, 14, 9], [4, 4, 1], [2, 3, 3])):
        mean, (lo, hi) = _t_interval(effects)
        assert claim["effects"] == pytest.approx(effects, abs=1e-9)
        assert claim["estimate"] == pytest.approx(mean, abs=1e-9)
        assert claim["ci"] == pytest.approx([lo, hi], abs=1e-6)
        assert claim["outcome"] == ("same direction" if lo > 0 else "inconclusive")
    assert claims[0]["setting"] == claims[1]["setting"] == SETTING
    assert claims[2]["setting"] == SETTING + "; network trained with augmentation"


@pytest.mark.parametrize("channels, suffix", [(1, "; 1 channel: brightness noise"), (3, "")])
def test_judge_claims_add_the_pca_claim_when_crops_and_flips_ran(channels, suffix):
    claims = aug.judge_claims(_runs(("none", "crop_flip", "paper"), channels), CONFIG, [0, 1, 2])
    assert [c["key"] for c in claims][-1] == "pca_color" and len(claims) == 4
    # crop_flip minus paper validation error: (1, 2, -1) points
    mean, (lo, hi) = _t_interval([1, 2, -1])
    assert claims[-1]["estimate"] == pytest.approx(mean, abs=1e-9)
    assert claims[-1]["ci"] == pytest.approx([lo, hi], abs=1e-6)
    assert claims[-1]["setting"] == SETTING + suffix


def test_claims_glue_has_outcome_and_measured_per_claim_and_the_design():
    claims = aug.judge_claims(_runs(), CONFIG, [0, 1, 2])
    glued = aug.claims_glue(claims)
    assert set(glued) == {"design"} | {f"{k}_{f}" for k in ("augmentation_overfitting", "augmentation_val_error",
                                                              "ten_patch_test") for f in ("outcome", "measured")}
    assert glued["augmentation_val_error_outcome"] == claims[1]["outcome"]
    assert glued["ten_patch_test_measured"] == claims[2]["measured"]
    assert glued["design"].count("with 3 seeds") == 3


def test_augmentation_record_keeps_the_setting_runs_and_photo_pca():
    runs, table = _runs(), {"none": {"val": {"mean": 0.3}}}
    pca = PCA(torch.tensor([0.04, 0.01], dtype=torch.float64), torch.eye(2, dtype=torch.float64))
    config = SimpleNamespace(model="small_cnn", model_kwargs={"init": "kaiming"}, epochs=2)
    rec = aug.augmentation_record("ci", [], runs, config, (0, 1, 2), table, COUNT, ["chelsea"], pca)
    assert rec["kind"] == "chapter" and rec["chapter"] == "augmentation" and rec["profile"] == "ci"
    assert rec["dataset"] == DATASET and rec["crop_size"] == 32 and rec["model"] == "small_cnn"
    assert rec["model_kwargs"] == {"init": "kaiming"} and rec["epochs"] == 2 and rec["seeds"] == [0, 1, 2]
    assert rec["variants"] == table and rec["translation_counts"] == COUNT
    assert rec["runs"]["paper"][1] == {"seed": 1, "final": runs["paper"][1]["final"], "wall_time_s": 60.0}
    assert rec["photo_pca"] == {"photos": ["chelsea"], "eigenvalues": [0.04, 0.01],
                                "eigenvectors": [[1.0, 0.0], [0.0, 1.0]]}


@pytest.mark.parametrize("seconds, words", [(0, "under a minute"), (59.4, "under a minute"),
                                             (60, "about 1 minute"), (90, "about 2 minutes"),
                                             (5339, "about 89 minutes"), (5400, "about 1.5 hours")])
def test_about_says_a_duration_in_words(seconds, words):
    assert duration_words(seconds) == words


def test_try_glue_scales_the_training_time_only():
    # a 1200 s page of which 900 s trained 2 variants x 20 seeds on 400 images per run:
    # 3 variants: 1200 + 900 * 0.5 = 1650 s (28 min); 5 seeds: 1200 - 900 * 0.75 = 525 s (9 min);
    # 200 images: 1200 - 900 * 0.5 = 750 s (12.5 min, rounds to 12)
    glued = aug.try_glue(1200.0, 900.0, variants=2, seeds=20, limit=400, try_variants=3, try_seeds=5, try_limit=200)
    assert glued == {"try_variants": "about 28 minutes", "try_seeds": "about 9 minutes",
                     "try_limit": "about 12 minutes"}
    small = aug.try_glue(20.0, 5.0, variants=2, seeds=2, limit=100, try_variants=3, try_seeds=5, try_limit=200)
    assert set(small.values()) == {"under a minute"}                     # 22.5, 27.5 and 25 s
