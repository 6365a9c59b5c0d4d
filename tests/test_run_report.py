"""Tests of alexnet_repro.chapters.full_training (one training run read for the reader) against hand values."""
from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from alexnet_repro.analysis import judging
from alexnet_repro.chapters import full_training as run_report
from alexnet_repro.engine.config import TrainConfig


def _config(**changes):
    kw = {"dataset": "imagenet", "image_size": 256, "model_kwargs": {"width": 1.0, "init": "paper"},
          "epochs": 90, "profile": "full", **changes}
    return TrainConfig(**kw)


def _record(dataset="fashion-mnist"):
    return {
        "kind": "training", "profile": "ci", "torch": "2.2.0", "git_commit": "0123456789abcdef",
        "config": {"dataset": dataset, "model": "alexnet", "model_kwargs": {"width": 0.5, "towers": 2,
                   "init": "kaiming"}, "augment": "paper", "lr": 0.01, "schedule": "plateau",
                   "batch_size": 128, "epochs": 4, "profile": "ci"},
        "dataset": {"name": dataset, "train_images": 600, "val_images": 200, "classes": 10,
                    "image_size": 76, "crop_size": 67, "val_split": "official test set"},
        "model": {"parameters": 1234567},
        "hardware": {"device": "cpu", "cpu": "Some CPU", "torch_threads": 2},
        "wall_time_s": 120.0, "images_per_s": 55.25,
        "lr_drops": [{"epoch": 3, "lr": 0.001}],
        "final": {"epochs": 4, "steps": 20, "val_top1_error": 0.25, "val_top5_error": 0.05,
                  "val_top1_error_ten_crop": 0.2, "val_top5_error_ten_crop": 0.04, "val_images": 200},
        "history": [], "steps": [],
    }


def test_alexnet_knobs_fill_in_the_model_defaults():
    knobs = run_report.alexnet_knobs({"width": 0.5})
    assert knobs["width"] == 0.5 and knobs["towers"] == 1 and knobs["lrn"] is True   # AlexNet's defaults


@pytest.mark.parametrize("changes, expected", [
    ({}, False),                                              # ImageNet, 227-px crops of 256, width 1
    ({"image_size": 128}, True),                              # crops of round(128 × 227/256) = 114
    ({"model_kwargs": {"width": 0.5}}, True),
    ({"dataset": "cifar10"}, True),
    ({"image_size": 300, "crop_size": 227}, False),           # the crop, not the stored side, decides
])
def test_scaled_down(changes, expected):
    assert run_report.scaled_down(_config(**changes)) is expected


def test_scale_warning_says_what_differs():
    text = run_report.scale_warning(_config(dataset="fashion-mnist", image_size=76, limit=500,
                                            model_kwargs={"width": 0.125, "init": "kaiming"}, epochs=3,
                                            profile="ci"))
    assert "at 67×67 input instead of 227×227" in text       # round(76 × 227 / 256) = 67
    assert "multiplied by 0.125" in text and "(500 training images)" in text and "for 3 epochs" in text
    assert "-p train.model_kwargs.init=paper" in text and "1 tower)" in text
    paper_init = run_report.scale_warning(_config(model_kwargs={"width": 0.5, "init": "paper", "towers": 2}))
    assert "Gaussian" not in paper_init and "(all training images)" in paper_init and "2 towers)" in paper_init


def test_run_facts_and_paper_facts_by_hand():
    facts = run_report.run_facts(_record())
    assert facts["top1"] == pytest.approx(25.0) and facts["top1_ten"] == pytest.approx(20.0)
    assert facts["wall_min"] == pytest.approx(2.0) and facts["n_drops"] == 1 and facts["crop"] == 67
    assert facts["hardware"] == "CPU: Some CPU, 2 threads"
    paper = run_report.paper_facts()
    assert paper["paper_days"] == "5–6" and paper["paper_params_m"] == pytest.approx(60)   # "60 million parameters"
    assert paper["paper_train_m"] == pytest.approx(1.2) and paper["patches"] == 10 and paper["patch"] == 224


def test_settings_and_protocol_tables():
    html = run_report.settings_table(_record())
    assert "AlexNet, width ×0.5, 2 towers, init kaiming, 1,234,567 parameters" in html
    assert "0.01, schedule plateau; drops: after epoch 3 to 0.001" in html
    assert "<td>55.2 images/s</td>" in html and "<td>2.2.0 / 0123456789</td>" in html
    protocols = run_report.protocol_table(_record(), "run")
    assert "<td>single centre crop</td><td>25.0</td><td>5.0</td>" in protocols        # percent of 0.25, 0.05
    assert "softmax averaged</td><td>20.0</td><td>4.0</td>" in protocols


def test_d2l_comparison():
    text = run_report.d2l_comparison(_record())
    assert "accuracy of 0.884, i.e. 11.6% error" in text          # 100 − 88.4, by hand
    assert "This run: 25.00% centre-crop error on 200 images" in text and "widths ×0.5" in text
    other = run_report.d2l_comparison(_record("cifar10"))
    assert "not comparable with a run on `cifar10`" in other


def _seeded(top1, ten, top5=0.05):
    rec = _record()
    rec["final"] = {**rec["final"], "val_top1_error": top1, "val_top1_error_ten_crop": ten, "val_top5_error": top5}
    return rec


def test_headline_over_seeds_is_the_mean_with_its_t_interval():
    records = [_seeded(0.16, 0.15), _seeded(0.17, 0.15), _seeded(0.18, 0.16)]
    head = run_report.headline(records)
    # top-1 16, 17, 18 %: mean 17, sd 1, half-width t_{0.975, 2} / sqrt(3) = 4.3027 / 1.7321 = 2.4841
    assert head["top1"]["mean"] == pytest.approx(17.0)
    assert (head["top1"]["lo"], head["top1"]["hi"]) == pytest.approx((14.5159, 19.4841), abs=1e-3)
    facts = run_report.headline_facts(head, [0, 1, 2])
    assert facts["n_seeds"] == 3 and facts["seeds"] == "0, 1, 2" and facts["level"] == pytest.approx(95)
    assert facts["top1_ci"] == "14.52–19.48" and facts["top1_per_seed"] == "16.00, 17.00, 18.00"
    assert facts["top5"] == pytest.approx(5.0) and facts["top5_ci"] == "5.00–5.00"
    html = run_report.headline_table(head, [0, 1, 2])
    assert "seed 2" in html and "14.52–19.48" in html and "95% t-interval" in html
    one = run_report.headline_facts(run_report.headline([_seeded(0.2, 0.1)]), [7])
    assert one["top1"] == pytest.approx(20.0) and one["top1_ci"] == "not available (one seed)"


def test_ten_crop_claim_judges_each_seeds_paired_difference_with_a_t_interval():
    # differences centre - ten: 1, 2, 2 points; mean 5/3, sd sqrt(1/3), t-interval with df 2
    claim = judging.ten_crop_claim([_seeded(0.16, 0.15), _seeded(0.17, 0.15), _seeded(0.18, 0.16)])
    assert claim["key"] == "ten_patch_test" and claim["unit"] == "points" and claim["n"] == 3
    assert claim["effects"] == pytest.approx([1.0, 2.0, 2.0])
    half = stats.t.ppf(0.975, 2) * math.sqrt(1 / 3) / math.sqrt(3)
    assert half == pytest.approx(1.4342, abs=1e-4)                     # t_{0.975,2} = 4.3027 (table)
    assert claim["estimate"] == pytest.approx(5 / 3)
    assert claim["ci"] == pytest.approx([5 / 3 - half, 5 / 3 + half])
    assert claim["outcome"] == "same direction"                       # the paper gives no number
    assert "3 seeds" in claim["setting"] and "200 validation images" in claim["setting"]
    mixed = judging.ten_crop_claim([_seeded(0.16, 0.17), _seeded(0.17, 0.15)])   # -1 and +2 points
    assert mixed["outcome"] == "too few seeds to judge" and mixed["estimate"] == pytest.approx(0.5)
    worse = judging.ten_crop_claim([_seeded(0.16, 0.17), _seeded(0.16, 0.18), _seeded(0.15, 0.17)])
    assert worse["outcome"] == "opposite"                              # -1, -2, -2: the interval below 0
    # one run: its difference, but no interval from one seed: inconclusive by the rule
    single = judging.ten_crop_claim([_record()], setting="one run")
    assert single["estimate"] == pytest.approx(5.0) and single["n"] == 1
    assert single["outcome"] == "too few seeds to judge" and single["setting"] == "one run"
    unmeasured = _record()
    del unmeasured["final"]["val_top1_error_ten_crop"]
    none = judging.ten_crop_claim([unmeasured, _seeded(0.2, 0.1)])
    assert none["outcome"] == "too few seeds to judge" and none["n"] == 0 and none["values"]["measured"] is False
    with pytest.raises(ValueError, match="at least one training record"):
        judging.ten_crop_claim([])


def test_schedule_sentence_states_the_rule_with_its_epochs():
    released = run_report.schedule_sentence(TrainConfig(schedule="released", epochs=15, lr=0.01))
    assert "after epochs 4, 8, 13 of 15" in released and "25, 51, 79 of the 91" in released
    plateau = run_report.schedule_sentence(TrainConfig(schedule="plateau", plateau_patience=2))
    assert "not improved for 2 epochs" in plateau
    one = run_report.schedule_sentence(TrainConfig(schedule="plateau", plateau_patience=1))
    assert "not improved for 1 epoch, at most" in one
    assert "after epochs 3, 5" in run_report.schedule_sentence(TrainConfig(schedule="step:3,5"))


def _fashion_config(**changes):
    kw = {"dataset": "fashion-mnist", "limit": 600, "image_size": 76, "epochs": 4, "lr": 0.01,
          "profile": "ci", "schedule": "plateau", "plateau_patience": 1,
          "model_kwargs": {"width": 0.5, "towers": 2, "init": "kaiming"}, **changes}
    return TrainConfig(**kw)


def test_record_names_carry_the_dataset():
    config = _fashion_config(dataset="cifar10")
    assert run_report.run_name(config) == "full_training_cifar10"
    assert run_report.published_name(config) == "full_training_chapter_cifar10"


def test_chapter_facts_take_the_means_over_seeds_and_add_the_wall_times():
    first, second = _seeded(0.16, 0.15), _seeded(0.18, 0.15)
    second["wall_time_s"] = 60.0                                  # the first run's: 120 s
    records = [first, second]
    head = run_report.headline(records)
    facts = run_report.chapter_facts(_fashion_config(), first, records, head, [3, 4], 90.0)
    assert facts["top1"] == pytest.approx(17.0)                   # (16 + 18) / 2, not the first run's 16
    assert facts["top1_ten"] == pytest.approx(15.0)
    assert facts["wall_min"] == pytest.approx(2.0)               # the first run: 120 s
    assert facts["all_wall_min"] == pytest.approx(3.0)           # (120 + 60) s
    assert facts["chapter_min"] == pytest.approx(1.5)            # 90 s
    assert facts["width"] == 0.5 and facts["seeds"] == "3, 4" and facts["n_seeds"] == 2
    assert facts["run_name"] == "full_training_fashion-mnist" and facts["paper_epochs"] == 90
    assert "not improved for 1 epoch," in facts["rule"]
    assert facts["seeds_text"] == "2 seeds" and facts["drops_text"] == "1 time"
    assert facts["top5_note"] == run_report.top5_note(facts["classes"])


def test_ten_patch_claim_is_judged_with_the_shared_setting_sentence():
    records = [_seeded(0.16, 0.15), _seeded(0.17, 0.15), _seeded(0.18, 0.16)]
    claim = run_report.ten_patch_claim(_fashion_config(), records)
    assert claim["setting"] == ("ci profile: AlexNet width 0.5, init kaiming; fashion-mnist, 600 training / "
                                "200 validation images (drawn per seed) at 67 px; 4 epochs, lr 0.01; 3 seeds")
    assert claim["estimate"] == pytest.approx(5 / 3)            # differences 1, 2, 2 points
    facts = run_report.ten_patch_facts(claim)
    assert facts["ten_outcome"] == "same direction" and facts["ten_measured"] == claim["measured"]
    assert facts["design"].startswith("With 80% power") and "Ten test patches beat the centre crop" in facts["design"]
    assert "ten_patch_test" not in facts["design"]


def _bundle():
    """A data bundle of 3×8×8 images: validation classes 0, 0, 1 (the pixel value is the index)."""
    class Data:
        classes = ["shirt", "boot"]
        val = [(torch.full((3, 8, 8), float(i)), label) for i, label in enumerate([0, 0, 1])]
    return Data()


def test_trained_explorer_shows_one_centre_crop_per_class_less_the_mean_crop(monkeypatch):
    made = {}
    monkeypatch.setattr(run_report, "ActivationExplorer", lambda model, images, **kw: made.update(images=images, **kw))
    mean_image = torch.arange(3 * 8 * 8, dtype=torch.float32).view(3, 8, 8)
    run_report.trained_explorer("model", _bundle(), mean_image, 4, 2)
    assert list(made["images"]) == ["0: shirt", "2: boot"]       # the first image of each class
    assert made["images"]["2: boot"].shape == (3, 4, 4) and bool((made["images"]["2: boot"] == 2).all())
    x = torch.zeros(3, 4, 4)
    # centre window of 8 at 4: offset round((8 - 4) / 2) = 2, rows and columns 2..5
    assert torch.equal(made["preprocess"](x), -mean_image[:, 2:6, 2:6])
    assert made["input_size"] == 4 and made["layers"] == ("conv1", "conv2", "conv3", "conv4", "conv5")


def test_figure4_sees_the_images_as_the_network_did(monkeypatch):
    seen = {}
    monkeypatch.setattr(run_report, "figure4_neighbours",
                        lambda model, data, transform, **kw: seen.update(transform=transform, **kw) or "found")
    mean_image = torch.ones(3, 9, 9)
    assert run_report.figure4("model", _bundle(), mean_image, 4, n_queries=2, k=3, pool=None) == "found"
    assert (seen["n_queries"], seen["k"], seen["pool"]) == (2, 3, None)
    batch = torch.arange(2 * 3 * 9 * 9, dtype=torch.float32).view(2, 3, 9, 9)
    # 9 - 4 = 5, 5 / 2 = 2.5 rounds to 2 (torchvision's rounding, half to even): rows 2..5
    assert torch.equal(seen["transform"](batch), batch[:, :, 2:6, 2:6] - 1)
    assert torch.equal(run_report.network_view(batch, mean_image, 4), batch[:, :, 2:6, 2:6] - 1)


def test_figure4_facts_and_record_extra_by_hand():
    found = {"feature_dim": 64, "pool": 100, "same_class": 0.25}
    facts = run_report.figure4_facts(found, 6, 10)
    assert facts == {"feature_dim": 64, "paper_feature_dim": 4096, "n_neighbours": 6, "pool": 100,
                     "same_class_pct": 25.0, "chance_pct": 10.0}
    extra = run_report.record_extra(_fashion_config(), (0, 1), {"top1": "h"}, found, publish_dir=None,
                                    chapter_wall_s=12.5)
    assert extra == {"training_record": "full_training_fashion-mnist", "seeds": [0, 1], "headline": {"top1": "h"},
                     "published_to": None, "chapter_wall_s": 12.5, "feature_dim": 64, "neighbour_pool": 100,
                     "neighbours_same_class": 0.25, "scaled_down": True}


def test_top5_note_gives_the_chance_error_or_why_it_is_not_measured():
    ten = run_report.top5_note(10)
    assert "With 10 classes" in ten and "top-5 error of 50%" in ten        # 1 − 5/10
    assert "99.5% with 1,000 classes" in ten                               # 1 − 5/1000
    assert "top-5 error of 67%" in run_report.top5_note(15, paper_classes=200)   # 1 − 5/15
    assert "97.5% with 200 classes" in run_report.top5_note(15, paper_classes=200)
    assert run_report.top5_note(5).startswith("The top-5 error is not measured: with 5 classes")


def test_explorer_facts_count_the_buttons():
    class Explorer:
        image_names = ["0: shirt", "3: boot"]
    assert run_report.explorer_facts(Explorer()) == {"explorer_n": "2 validation images"}
    Explorer.image_names = ["0: shirt"]
    assert run_report.explorer_facts(Explorer()) == {"explorer_n": "1 validation image"}




def test_try_it_facts_time_a_rebuild_and_a_single_seed():
    records = [{"wall_time_s": 100.0}, {"wall_time_s": 140.0}]
    assert run_report.try_it_facts(records, 150.0) == {"try_same": "about 2 minutes",     # 150 s
                                                       "try_one": "about 2 minutes"}      # 100 s
    assert run_report.try_it_facts(records, 200.0)["try_one"] == "about 2 minutes"        # the first run's 100 s
    assert run_report.try_it_facts(records, 50.0)["try_one"] == "under a minute"           # never above the whole
