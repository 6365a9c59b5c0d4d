"""The relu_vs_tanh chapter module: its set-up, probes, tuned runs, speed-ups, claim and record, and
every value and sentence its prose quotes, on hand-made runs (step logs written here) or tiny
synthetic networks, each against values counted by hand, a float64 formula or plain autograd."""
from __future__ import annotations

import math
import os
import statistics
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import nn

from alexnet_repro.analysis import figure1, sweeps
from alexnet_repro.chapters import relu_vs_tanh as rvt
from alexnet_repro.common.text import duration_words
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.nn.model import build_model
from alexnet_repro.quoted.reading_note import READING_NOTE_ERRORS

SECOND = {"recipe": "cuda-convnet-18pct", "init": "recipe", "input_scale": 255.0}


class FakeRun(dict):
    """A run record that also carries a ``model`` (only its ``config`` is read)."""

    def __init__(self, steps, init="kaiming"):
        super().__init__(steps=steps, config={"log_every": 1}, final={"steps": len(steps)})
        self.model = SimpleNamespace(config={"init": init})


def _steps(drops, last=40, high=0.9):
    """A step log (every step up to ``last``) whose training error starts at ``high`` and falls
    to ``error`` at ``step`` for each ``(step, error)`` of ``drops``; step None: never."""
    out = []
    for s in range(1, last + 1):
        err = high
        for at, e in drops:
            if at is not None and s >= at:
                err = e
        out.append({"step": s, "train_top1_error": err, "images": 32})
    return out


def _base(**changes):
    settings = {"dataset": "fashion-mnist", "limit": 192, "val_limit": 64, "model": "small_cnn",
                "model_kwargs": {"width": 0.25, "init": "kaiming"}, "augment": "none", "weight_decay": 0.0,
                "schedule": "fixed", "epochs": 1, "batch_size": 32, "log_every": 1, "ten_crop_eval": False,
                "device": "cpu", "profile": "ci"}
    return TrainConfig(**{**settings, **changes})


def _study(n_train=192, target=0.25, targets=(0.5, 0.25), **changes):
    data = SimpleNamespace(train=list(range(n_train)), describe=lambda: {"name": "fake", "train_images": n_train})
    return rvt.Study(profile="ci", base=_base(**changes), data=data, target=target, targets=list(targets),
                     window=1, workers=2)


def _regime(relu_drops, tanh_drops, *, model_kwargs=None, init="kaiming", best=(0.1, 0.03), last=40,
            target=0.25):
    base = _base()
    config = base if model_kwargs is None else sweeps.config_with(base, {"model_kwargs": dict(model_kwargs)})
    runs = {"relu": [FakeRun(_steps(d, last), init) for d in relu_drops],
            "tanh": [FakeRun(_steps(d, last), init) for d in tanh_drops]}
    # one sweep run per network, stopped at 10 (ReLU) and 30 (tanh) steps
    sweep = {v: {"best_lr": lr, "table": [{"lr": lr, "variant": v, "steps_to_target": steps}],
                 "records": {lr: [FakeRun(_steps([(steps, 0.2)], steps), init)]}}
             for v, lr, steps in zip(("relu", "tanh"), best, (10, 30))}
    return {"config": config, "model_kwargs": dict(model_kwargs or {}), "target": target, "lrs": [0.03, 0.1],
            "seeds": list(range(len(relu_drops))), "sweep_seeds": [100], "sweep": sweep, "runs": runs,
            "best_lr": {"relu": best[0], "tanh": best[1]}}


def _read(study):
    return {"steps_per_epoch": study.steps_per_epoch, "window": study.window}


# ------------------------------------------------------------------------------ small words

def test_times_and_interval_text_write_log_factors_as_factors():
    assert rvt.times(math.log(1.09)) == "1.09×"
    assert rvt.times(0.0) == "1.00×"
    assert rvt.times(None) == "n/a"
    assert rvt.interval_text([math.log(0.5), math.log(4.0)]) == "[0.50×, 4.00×]"
    assert rvt.interval_text([None, math.log(9.14)]) == "[n/a, 9.14×]"


def test_judged_target_defaults_to_the_papers_25_percent_and_the_curve_includes_it():
    assert rvt.judged_target(None) == 0.25
    assert rvt.judged_target(0.8) == 0.8
    # the runs stop at the judged target, so a harder one (0.25 below 0.3) is left out
    assert rvt.curve_targets([0.5, 0.25, 0.4], 0.3) == [0.5, 0.4, 0.3]
    assert rvt.curve_targets([0.85, 0.8], 0.8) == [0.85, 0.8]     # the judged one only once


def test_difficulty_counts_relus_steps_and_the_horizon_against_the_rule(monkeypatch):
    monkeypatch.setitem(figure1.FIGURE1_DIFFICULTY, "min_steps", 10)
    study = _study(n_train=192, target=0.25)                     # 6 steps per epoch
    regime = _regime([[(14, 0.2)], [(13, 0.2)], [(20, 0.2)]], [[(30, 0.2)]] * 3)
    regime["config"] = _base(epochs=20)                         # horizon 120 steps
    d = figure1.difficulty(regime, **_read(study))
    assert (d["relu_steps"], d["min_steps"], d["max_steps"], d["median_steps"]) == ([14, 13, 20], 13, 20, 14)
    assert d["horizon_steps"] == 120 and d["horizon_ratio"] == pytest.approx(120 / 14)
    assert d["hard_enough"] and d["long_enough"]                # 13 >= max(10, 2 x 6); 8.57 >= 6
    assert figure1.difficulty_text(regime, **_read(study)) == (
        "The ReLU network reached 25% after 2.2 to 3.3 epochs (13 to 20 steps of 32 images) in every seed; "
        "in the paper, ReLU reached 25% on CIFAR-10 after roughly 5 to 6 epochs of its 50,000 images (read "
        "off Figure 1). The runs stop there or at 120 steps, 8.6 times ReLU's median: a tanh network 6 "
        "times slower would reach it before the horizon.")
    # a seed at 11 steps (< 2 epochs of 6), one never (median 20 of [11, 20, inf]): 120 / 20 = 6.0 still
    regime = _regime([[(11, 0.2)], [(None, 0.2)], [(20, 0.2)]], [[(30, 0.2)]] * 3)
    regime["config"] = _base(epochs=20)
    d = figure1.difficulty(regime, **_read(study))
    assert not d["hard_enough"] and d["long_enough"] and d["median_steps"] == 20 and d["missed"] == 1
    text = figure1.difficulty_text(regime, **_read(study))
    assert "; 1 of its runs never did;" in text and "so the target is easier here than the paper's was." in text
    # a run that never reached it is not an easy one: [14, never, 20] is hard enough
    regime = _regime([[(14, 0.2)], [(None, 0.2)], [(20, 0.2)]], [[(30, 0.2)]] * 3)
    regime["config"] = _base(epochs=20)
    d = figure1.difficulty(regime, **_read(study))
    assert d["hard_enough"] and d["missed"] == 1 and "easier" not in figure1.difficulty_text(regime, **_read(study))
    # one seed only: one value, not a range
    one = _regime([[(14, 0.2)]], [[(30, 0.2)]])
    assert figure1.difficulty_text(one, **_read(study)).startswith("The ReLU network reached 25% after 2.3 epochs (14 steps of "
                                                      "32 images) in every seed;")
    regime["config"] = _base(epochs=19)                         # 114 / 20 = 5.7 < 6
    assert not figure1.difficulty(regime, **_read(study))["long_enough"]
    assert "only 5.7 times ReLU's median: a tanh network 6 times slower could be censored." in \
        figure1.difficulty_text(regime, **_read(study))
    # two of three never: no median (a record holds no infinity)
    regime = _regime([[(11, 0.2)], [(None, 0.2)], [(None, 0.2)]], [[(30, 0.2)]] * 3)
    d = figure1.difficulty(regime, **_read(study))
    assert (d["median_steps"], d["horizon_ratio"], d["long_enough"]) == (None, None, False)
    assert figure1.difficulty_text(regime, **_read(study)).endswith(
        "; 2 of its runs never did; in the paper, ReLU reached 25% on CIFAR-10 after roughly 5 to 6 epochs of its "
        "50,000 images (read off Figure 1). In some seed it took less than 2 epochs or 10 steps, so the "
        "target is easier here than the paper's was. The runs stop there or at 6 steps; most ReLU runs never "
        "reached it.")


def test_target_text_says_where_the_judged_target_comes_from():
    study = _study(n_train=192, target=0.14)                    # fashion-mnist
    fixed = _regime([[(14, 0.1)]], [[(30, 0.1)]], target=0.14)
    assert figure1.target_text(fixed, "first").startswith(
        "The judged target, 14% training error, was fixed before the runs below, from ReLU runs on 3 pilot seeds")
    assert figure1.target_text(fixed, "second") == (
        "The judged target, 14% training error, is a value given to this build, not the 18% fixed from pilot seeds.")
    assert figure1.target_text(_regime([[(14, 0.1)]], [[(30, 0.1)]], target=0.25), "first") == \
        "The judged target is the paper's own, 25% training error."
    # the ReLU runs cross the paper's 25% at steps 3 and 5 (error 0.2 from there): median 4 of 6 per epoch
    runs = _regime([[(3, 0.2), (14, 0.1)], [(5, 0.2), (20, 0.1)]], [[(30, 0.1)]] * 2, target=0.14)
    assert figure1.paper_target_text(runs, **_read(study)) == (
        "The paper's 25% is a point its ReLU network reached after several epochs; on Fashion-MNIST the same "
        "network here reaches it after a median 0.67 epochs, before training has settled into its pace.")
    assert figure1.paper_target_text(_regime([[(3, 0.2)]], [[(5, 0.2)]], target=0.25), **_read(study)) == ""


def test_the_default_profile_judges_at_the_targets_fixed_from_pilot_seeds():
    import yaml
    from pathlib import Path
    from alexnet_repro.analysis.preregistration import FIGURE1_TARGETS
    block = yaml.safe_load((Path(rvt.__file__).parents[2] / "book" / "profiles.yml").read_text())["default"]
    chapter = block["relu_vs_tanh"]
    fixed = FIGURE1_TARGETS[chapter["train"]["dataset"]]
    assert (chapter["target_error"], chapter["second_target_error"]) == (fixed["first"], fixed["second"])


def test_paper_judged_text_follows_the_claims_flag():
    assert rvt.paper_judged_text({"paper_judged": True}, "cifar10") == "the size is judged too (cifar10)"
    assert rvt.paper_judged_text({"paper_judged": False}, "fashion-mnist") == \
        "only the direction is judged (fashion-mnist)"


def test_titles_and_the_papers_label():
    study = _study()
    assert rvt.paper_label() == "paper: 6× at 25% on CIFAR-10"
    assert rvt.curves_title(study) == "fashion-mnist: four-layer CNN, ReLU vs tanh (paper's Figure 1: CIFAR-10)"
    assert rvt.second_title(study, {"model_kwargs": SECOND}) == \
        "fashion-mnist: the same comparison in cuda-convnet's regime (cuda-convnet-18pct)"
    assert rvt.second_title(study, {"model_kwargs": {}}).endswith("regime (book)")


def test_paper_glue():
    assert rvt.paper_glue(None) == {"paper_factor": 6, "paper_target_pct": "25", "paper_dataset": "CIFAR-10",
                                    "target_pct": "25"}
    assert rvt.paper_glue(0.8)["target_pct"] == "80"


# ------------------------------------------------------------------------------ on a tiny synthetic network

@pytest.fixture(scope="module")
def synthetic_study():
    train = {"dataset": "synthetic", "data_root": None, "limit": 20, "val_limit": 8, "model": "small_cnn",
             "model_kwargs": {"width": 0.25, "init": "kaiming"}, "augment": "none", "weight_decay": 0.0,
             "schedule": "fixed", "epochs": 1, "batch_size": 8, "log_every": 1, "ten_crop_eval": False,
             "device": "cpu", "progress": False}
    return rvt.set_up(train, "ci", 1, target_error=0.8, targets=[0.9], window=1)


def test_set_up_builds_the_base_config_data_targets_and_workers(synthetic_study):
    s = synthetic_study
    assert len(s.data.train) == 20 and s.n_train == 20
    assert s.base.crop_size == s.data.image_size == 32             # the whole image, no crop
    assert s.base.profile == "ci" and s.base.lr == TrainConfig.lr   # the rate is set per run
    assert s.target == 0.8 and s.targets == [0.9, 0.8]
    assert s.steps_per_epoch == 3                                   # ceil(20 / 8)
    assert s.workers == max(1, (os.cpu_count() or 1) // 1)


def test_probe_at_init_against_plain_autograd(synthetic_study):
    s = synthetic_study
    probe = rvt.probe_at_init(s, 6)
    images, labels = probe["images"], probe["labels"]
    assert images.shape == (6, s.data.channels, 32, 32) and labels.shape == (6,)
    at2 = float(np.interp(2.0, probe["xs"], probe["derivs"]["tanh"]))
    assert at2 == pytest.approx(1 - math.tanh(2.0) ** 2, abs=1e-3)
    for act in ("relu", "tanh"):
        torch.manual_seed(0)
        net = build_model("small_cnn", in_channels=s.data.channels, num_classes=len(s.data.classes), input_size=32,
                          width=0.25, init="kaiming", activation=act)
        with torch.no_grad():
            z1 = net.features.conv1(images).double()
        ref_deriv = (z1 > 0).double().mean() if act == "relu" else (1 - torch.tanh(z1) ** 2).mean()
        assert probe["mean_deriv"][act]["act1"] == pytest.approx(float(ref_deriv), rel=1e-5)
        loss = nn.functional.cross_entropy(net(images), labels)
        (g,) = torch.autograd.grad(loss, net.features.conv1.weight)
        assert probe["init_norms"][act]["conv1"] == pytest.approx(float(g.norm()), rel=1e-5)
    assert probe["arch"].startswith("conv1 8×5×5") and probe["arch"].endswith("→ 10")


@pytest.fixture(scope="module")
def tiny_regimes(synthetic_study):
    first = rvt.tuned(synthetic_study, [0.01, 0.1], [0], [100])
    second = rvt.tuned(synthetic_study, [0.001], [0], [100], model_kwargs=SECOND)
    return first, second


def test_tuned_trains_each_network_at_its_chosen_rate_in_its_regime(synthetic_study, tiny_regimes):
    first, second = tiny_regimes
    assert first["model_kwargs"] == {} and first["target"] == synthetic_study.target == 0.8
    # every run stops at the target, read over the study's window; nothing else of the base changes
    assert (first["config"].stop_at_error, first["config"].stop_window) == (0.8, synthetic_study.window)
    assert first["config"].replace(stop_at_error=None) == synthetic_study.base
    assert (first["lrs"], first["seeds"], first["sweep_seeds"]) == ([0.01, 0.1], [0], [100])
    for regime, scale in ((first, 1.0), (second, 255.0)):
        for v in ("relu", "tanh"):
            # the pick is one of the rates tried: the grid's, or one the edge rule added
            tried = [row["lr"] for row in regime["sweep"][v]["table"]]
            assert regime["best_lr"][v] in tried
            assert tried == sorted(regime["lrs"] + regime["sweep"][v]["extended"])
            (run,) = regime["runs"][v]
            assert run["config"]["lr"] == regime["best_lr"][v] and run["seed"] == 0
            assert run["config"]["model_kwargs"]["activation"] == v
            assert run.model.config["input_scale"] == scale
    assert second["model_kwargs"] == SECOND and second["best_lr"] == {"relu": 0.001, "tanh": 0.001}
    assert rvt.resolved_init(first) == "kaiming"
    assert rvt.resolved_init(second) == "cuda-convnet-18pct"       # "recipe", resolved


def test_trained_derivatives_average_the_seeds_networks(synthetic_study, tiny_regimes):
    first, _ = tiny_regimes
    images = rvt.probe_at_init(synthetic_study, 5)["images"]
    trained = rvt.trained_derivatives(first, images)
    for act in ("relu", "tanh"):
        net = first["runs"][act][0].model.eval()
        with torch.no_grad():
            z1 = net.features.conv1(images).double()
        ref = (z1 > 0).double().mean() if act == "relu" else (1 - torch.tanh(z1) ** 2).mean()
        assert trained[act]["act1"] == pytest.approx(float(ref), rel=1e-5)
        assert set(trained[act]) == {"act1", "act2", "act3"}


# ------------------------------------------------------------------------------ on hand-made runs

def test_speedups_judge_and_setting_on_hand_made_runs():
    study = _study(target=0.25, targets=(0.5, 0.25))
    # error 0.9 -> 0.4 at the first step given -> 0.2 at the second: 50% is crossed at a, 25% at b
    relu = [[(2, 0.4), (5, 0.2)], [(2, 0.4), (4, 0.2)], [(3, 0.4), (6, 0.2)]]
    tanh = [[(4, 0.4), (20, 0.2)], [(2, 0.4), (12, 0.2)], [(9, 0.4), (18, 0.2)]]
    regime = _regime(relu, tanh, model_kwargs=SECOND, init="cuda-convnet-18pct", best=(0.1, 0.001))
    by_target = rvt.speedups(study, regime, study.targets)
    assert by_target[0.25]["relu_steps"] == [5, 4, 6] and by_target[0.25]["tanh_steps"] == [20, 12, 18]
    assert by_target[0.5]["tanh_steps"] == [4, 2, 9]
    claim = rvt.judge(study, "relu_speedup_cuda_convnet", regime, by_target[0.25])
    assert claim["key"] == "relu_speedup_cuda_convnet" and claim["n"] == 3 and claim["n_censored"] == 0
    assert claim["estimate"] == pytest.approx(statistics.fmean([math.log(4), math.log(3), math.log(3)]))
    assert claim["setting"] == ("ci profile: SmallCNN width 0.25, recipe cuda-convnet-18pct, init "
                                "cuda-convnet-18pct, input scale 255; fashion-mnist, 192 training images "
                                "(drawn per seed); 1 epoch, lr ReLU 0.1 / tanh 0.001, target 25% training "
                                "error; 3 seeds")
    first = _regime(relu, tanh)
    assert rvt.setting(study, first) == ("ci profile: SmallCNN width 0.25, init kaiming; fashion-mnist, 192 "
                                         "training images (drawn per seed); 1 epoch, lr ReLU 0.1 / tanh 0.03, "
                                         "target 25% training error; 3 seeds")


def _result(estimate, lo=None, hi=None):
    return {"result": {"estimate": estimate, "ci": [lo, hi]}}


def test_curve_ends_skip_targets_without_an_estimate():
    by_target = {0.5: _result(0.3), 0.4: _result(None), 0.3: _result(-0.2), 0.25: _result(0.9)}
    (lo_t, lo_r), (hi_t, hi_r) = rvt.curve_ends(by_target, 0.25)
    assert (lo_t, lo_r["estimate"]) == (0.3, -0.2) and (hi_t, hi_r["estimate"]) == (0.25, 0.9)
    none = {0.5: _result(None), 0.25: _result(None)}
    (lo_t, _), (hi_t, _) = rvt.curve_ends(none, 0.25)
    assert lo_t == hi_t == 0.25


def _claim(**changes):
    claim = {"key": "relu_speedup", "outcome": "inconclusive", "estimate": math.log(1.04),
             "ci": [math.log(0.12), math.log(9.14)], "n": 3, "n_censored": 2, "paper_judged": False,
             "unit": "log ratio", "paper_effect": math.log(6), "mde": math.log(13.88)}
    return {**claim, **changes}


def test_speedup_glue_on_a_hand_made_claim_and_curve():
    study = _study(target=0.8, targets=(0.85, 0.8))
    by_target = {0.85: _result(math.log(0.65), math.log(0.08), math.log(5.34)),
                 0.8: _result(math.log(1.04), math.log(0.12), math.log(9.14))}
    g = rvt.speedup_glue(study, _claim(), by_target)
    assert {k: g[k] for k in ("outcome", "estimate", "ci", "n_claim", "n_censored", "paper_judged",
                              "censor_spans", "targets")} == {
        "outcome": "inconclusive", "estimate": "1.04×", "ci": "[0.12×, 9.14×]", "n_claim": 3, "n_censored": 2,
        "paper_judged": "only the direction is judged (fashion-mnist)", "censor_spans": "10 and 100", "targets": "85%, 80%"}
    assert (g["low"], g["low_at"], g["low_ci"]) == ("0.65×", "85", "[0.08×, 5.34×]")
    assert (g["high"], g["high_at"], g["high_ci"]) == ("1.04×", "80", "[0.12×, 9.14×]")
    assert g["n_claim_text"] == "3 seeds"
    assert g["design"] == ("With 3 seeds, this design detects a speed-up of at least 13.88× (80% power, 95% level); "
                           "the paper reports 6.00× in its own setting.")


def test_probe_glue_on_hand_values():
    xs = np.linspace(-4, 4, 801)
    probe = {"xs": xs, "derivs": {"tanh": 1 - np.tanh(xs) ** 2}, "grad_images": 32, "arch": "conv1 8×5×5",
             "init_norms": {"relu": {"conv1": 3.0}, "tanh": {"conv1": 2.0}},
             "mean_deriv": {"relu": {"act1": 0.456, "act3": 0.5}, "tanh": {"act1": 0.861, "act3": 0.749}}}
    g = rvt.probe_glue(_study(), probe)
    assert g == {"x_probe": "2", "tanh_deriv_at2": "0.071", "tanh_mean_deriv_act1": "0.86",
                 "tanh_mean_deriv_act3": "0.75", "relu_active_act1": "46", "relu_active_act3": "50",
                 "grad_ratio_conv1": "1.50", "grad_conv1_word": "larger", "grad_images": 32,
                 "init_text": "He-normal weights with each activation's gain, zero biases", "arch": "conv1 8×5×5"}
    probe["init_norms"] = {"relu": {"conv1": 1.0}, "tanh": {"conv1": 3.0}}
    paper = _study(model_kwargs={"width": 0.25, "init": "paper"})
    g = rvt.probe_glue(paper, probe)
    assert (g["grad_ratio_conv1"], g["grad_conv1_word"]) == ("0.33", "smaller")
    assert g["init_text"] == "the paper's N(0, 0.01²) weights, zero biases"


def test_experiment_glue_counts_the_design_and_the_runs_trained():
    study = _study(n_train=192, target=0.25)
    regime = _regime([[(2, 0.2)], [(None, 0.2)], [(4, 0.2)]], [[(5, 0.2)], [(None, 0.2)], [(3, 0.2)]])
    g = rvt.experiment_glue(study, regime)
    assert {k: v for k, v in g.items() if k not in ("difficulty_text", "target_text", "paper_target_text")} == {
        "dataset_text": "Fashion-MNIST", "n_train": 192, "epochs_text": "1 epoch",
        "steps_per_epoch": 6,
        "batch": 32, "momentum": 0.9, "lrs": "0.03, 0.1", "n_sweep_seeds": 1, "n_seeds": 3,
        "best_lr_relu": "0.1", "best_lr_tanh": "0.03", "width": 0.25, "log_every": 1, "window": 1,
        "sweep_seeds_text": "1 seed", "log_every_text": "1 step", "window_text": "1 logged point",
        "window_images": 32, "horizon_steps": "6",
        # two sweep runs (stopped at 10 and 30 steps) and six reported ones of 40 steps, batches of 32
        "n_runs": 8, "work_images": f"{(10 + 30 + 6 * 40) * 32:,}"}
    assert g["difficulty_text"] == figure1.difficulty_text(regime, **_read(study))
    two = _study(n_train=192, target=0.25, epochs=2)
    g = rvt.experiment_glue(two, _regime([[(2, 0.2)], [(9, 0.2)]], [[(5, 0.2)], [(3, 0.2)]], last=12))
    assert (g["epochs_text"], g["n_runs"], g["work_images"], g["horizon_steps"]) == (
        "2 epochs", 6, f"{(10 + 30 + 4 * 12) * 32:,}", "12")


def test_saturation_glue_reads_the_extremes():
    g = rvt.saturation_glue({"tanh": {"act1": 0.8, "act2": 0.5, "act3": 0.6},
                             "relu": {"act1": 0.22, "act2": 0.46, "act3": 0.3}})
    assert g == {"tanh_trained_min": "0.50", "tanh_trained_min_layer": "act2", "relu_trained_min": "22",
                 "relu_trained_max": "46"}


def test_second_glue_names_the_regime_and_its_claim():
    regime = _regime([[(2, 0.15)]], [[(5, 0.15)]], model_kwargs=SECOND, init="cuda-convnet-18pct",
                     best=(0.1, 0.001), target=0.18)
    regime["lrs"] = [0.001, 0.003, 0.1]
    study = _study()
    g = rvt.second_glue(study, regime, _claim(key="relu_speedup_cuda_convnet", estimate=math.log(1.44),
                                              ci=[math.log(0.03), math.log(62.94)], mde=math.log(118.63)))
    assert {k: v for k, v in g.items()
            if k not in ("second_design", "second_difficulty_text", "second_target_text")} == {
        "second_recipe": "cuda-convnet-18pct", "second_init": "cuda-convnet-18pct", "second_scale": "255",
        "second_lrs": "0.001, 0.003, 0.1", "second_lr_relu": "0.1", "second_lr_tanh": "0.001",
        "second_target_pct": "18",
        "second_outcome": "inconclusive", "second_estimate": "1.44×", "second_ci": "[0.03×, 62.94×]",
        "second_n_censored": 2}
    assert g["second_difficulty_text"] == figure1.difficulty_text(regime, **_read(study))
    assert g["second_difficulty_text"].startswith("The ReLU network reached 18% after 0.3 epochs (2 steps")
    assert g["second_target_text"] == figure1.target_text(regime, "second")
    assert g["second_target_text"].startswith("The judged target, 18% training error, was fixed before the runs")
    assert "at least 118.63×" in g["second_design"] and "relu_speedup" not in g["second_design"]
    plain = rvt.second_glue(study, _regime([[(2, 0.2)]], [[(5, 0.2)]], model_kwargs={}), _claim())
    assert (plain["second_recipe"], plain["second_scale"], plain["second_init"]) == ("book", "1", "kaiming")


def test_note_glue_quotes_the_reading_note():
    g = rvt.note_glue()
    assert g == {"note_says": READING_NOTE_ERRORS["relu_six_times"]["note_says"],
                 "note_paper_says": READING_NOTE_ERRORS["relu_six_times"]["paper_says"]}
    assert "6x" in g["note_says"]


def test_chapter_record_holds_both_regimes_the_probes_and_the_parameters():
    study = _study(target=0.25, targets=(0.5, 0.25))
    relu, tanh = [[(2, 0.4), (5, 0.2)]] * 2, [[(4, 0.4), (20, 0.2)], [(3, 0.4), (10, 0.2)]]
    first = _regime(relu, tanh)
    second = _regime(relu, tanh, model_kwargs=SECOND, init="cuda-convnet-18pct", best=(0.1, 0.001))
    by_target, second_at = rvt.speedups(study, first, study.targets), rvt.speedups(study, second, [0.25])
    claims = [rvt.judge(study, "relu_speedup", first, by_target[0.25])]
    probe = {"init_norms": {"relu": {"conv1": 1.0}}, "mean_deriv": {"relu": {"act1": 0.5}}}
    rec = rvt.chapter_record(study, claims, probe, first, by_target, {"relu": {"act1": 0.4}}, second, second_at)
    assert (rec["kind"], rec["chapter"], rec["profile"]) == ("chapter", "relu_vs_tanh", "ci")
    assert [c["key"] for c in rec["claims"]] == ["relu_speedup"]
    assert rec["dataset"] == {"name": "fake", "train_images": 192} and rec["n_train"] == 192
    assert (rec["seeds"], rec["sweep_seeds"], rec["judged_target"]) == ([0, 1], [100], 0.25)
    assert rec["best_lr"] == {"relu": 0.1, "tanh": 0.03}
    assert rec["lr_sweep"] == {"relu": [{"lr": 0.1, "variant": "relu", "steps_to_target": 10}],
                               "tanh": [{"lr": 0.03, "variant": "tanh", "steps_to_target": 30}]}
    # one rate each: the picks' own cell, 30 / 10 steps
    assert rec["rate_sensitivity"] == [{"slow_lr": 0.03, "fast_lr": 0.1, "ratio": 3.0, "bound": None,
                                        "picked": True}]
    assert rec["lr_edges"] == {"relu": {"extended": [], "edge": None}, "tanh": {"extended": [], "edge": None}}
    assert list(rec["speedup_by_target"]) == ["0.5", "0.25"]
    assert rec["speedup_by_target"]["0.25"]["tanh_steps"] == [20, 10]
    assert rec["speedup_by_target"]["0.25"]["estimate"] == pytest.approx((math.log(4) + math.log(2)) / 2)
    assert rec["difficulty"]["relu_steps"] == [5, 5] and rec["difficulty"]["horizon_steps"] == 6
    sr = rec["second_regime"]
    assert sr["judged_target"] == 0.25 and sr["difficulty"]["median_steps"] == 5
    assert sr["model_kwargs"] == SECOND and sr["lrs"] == [0.03, 0.1] and sr["best_lr"] == {"relu": 0.1, "tanh": 0.001}
    assert list(sr["speedup_at_target"]) == ["0.25"]
    assert sr["lr_sweep"]["tanh"] == [{"lr": 0.001, "variant": "tanh", "steps_to_target": 30}]
    assert rec["grad_norms_at_init"] == {"relu": {"conv1": 1.0}}
    assert rec["mean_derivative_at_init"] == {"relu": {"act1": 0.5}}
    assert rec["mean_derivative_trained"] == {"relu": {"act1": 0.4}}
    assert rec["parameters"] == {"limit": 192, "width": 0.25, "init": "kaiming", "epochs": 1, "batch_size": 32,
                                 "lrs": [0.03, 0.1], "log_every": 1, "window": 1, "workers": 2}
    assert 0 <= rec["wall_time_s"] < 60 and "provenance" in rec


def test_wall_glue_in_minutes():
    assert rvt.wall_glue({"wall_time_s": 90.0}) == {"wall_min": "1.5"}
    assert rvt.wall_glue({"wall_time_s": 2.0}) == {"wall_min": "0.0"}


def test_design_text_speaks_to_a_reader():
    one = rvt.design_text(_claim(n=1, paper_judged=True, mde=math.log(2.5)))
    assert one == ("With 1 seed, this design detects a speed-up of at least 2.50× (80% power, 95% level); "
                   "the paper reports 6.00×.")
    assert rvt.design_text(_claim(mde=None, paper_effect=None)).endswith("at least n/a (80% power, 95% level).")
    # an interval [0.98x, 3x]: its end nearest 1x lies 0.02 / 0.55 of its half-width away in log terms
    near = _claim(ci=[math.log(0.98), math.log(3.0)])
    assert "close to 1×" in rvt.design_text(near) and "close to 1×" not in rvt.design_text(_claim())


def test_answer_html_lists_each_claim_in_words():
    claim = {**_claim(), "statement": "ReLUs learn six times faster.", "source": "paper §3.1",
             "paper": "6× at 25% training error (CIFAR-10, four-layer CNN)",
             "setting": "ci profile: small CNN; fashion-mnist, 192 training images; 1 epoch"}
    study = _study()
    first, second = _regime([[(2, 0.2)]], [[(5, 0.2)]]), _regime([[(2, 0.2)]], [[(5, 0.2)]], model_kwargs=SECOND,
                                                                      init="cuda-convnet-18pct")
    block = rvt.answer_html(study, [claim, {**claim, "key": "relu_speedup_cuda_convnet"}], [first, second])
    assert block.count("<li>") == 2 and "Inconclusive: 1.04× (95% interval 0.12× to 9.14×), 3 seeds" in block
    assert ("at ci profile: four-layer CNN at width 0.25, He initialisation; Fashion-MNIST, 192 training images "
            "per seed, read at 25% training error; the paper: 6×") in block
    assert ("four-layer CNN at width 0.25, cuda-convnet&#x27;s layers-18pct set-up (its initialisation, normalizations and "
            "pools, inputs times 255); Fashion-MNIST") in block
    assert "ReLUs train faster than tanh units" in block and "relu_speedup" not in block


def test_about_and_try_glue_in_words():
    assert [duration_words(s) for s in (5, 59, 60, 150, 89 * 60, 90 * 60, 3 * 3600)] == [
        "under a minute", "under a minute", "about 1 minute", "about 2 minutes", "about 89 minutes",
        "about 1.5 hours", "about 3.0 hours"]
    assert rvt.try_glue({"wall_time_s": 300.0}) == {"try_same": "about 5 minutes"}
    assert rvt.try_glue({"wall_time_s": 20.0}) == {"try_same": "under a minute"}


def test_tuning_glue_says_what_the_edge_rule_did_and_the_range_at_the_neighbours():
    regime = _regime([[(2, 0.2)]], [[(5, 0.2)]])
    regime["sweep"]["relu"].update(
        table=[{"lr": 0.01, "steps_to_target": 40}, {"lr": 0.03, "steps_to_target": 20},
               {"lr": 0.1, "steps_to_target": 25}, {"lr": 0.333, "steps_to_target": None}],
        best_lr=0.03, extended=[], edge=None)
    regime["sweep"]["tanh"].update(
        table=[{"lr": 0.001, "steps_to_target": 200}, {"lr": 0.00333, "steps_to_target": 90},
               {"lr": 0.01, "steps_to_target": 120}],
        best_lr=0.00333, extended=[0.00333], edge=None)
    g = rvt.tuning_glue(regime, "x_")
    assert g["x_edge_text"] == "Tanh's pick sat at the edge of the grid, so 0.00333 was tried as well."
    # tanh 90..200 steps over ReLU 20..40 steps: lowest 90 / 40 = 2.25, highest 200 / 20 = 10
    assert g["x_sens_text"].endswith("ranges from 2.25× to 10.00×.")
    regime["sweep"]["tanh"].update(edge="low", extended=[0.00333, 0.00111])
    assert "; tanh's pick still sits at the low edge after 2 added rates: its best rate may lie beyond the grid." \
        in rvt.tuning_glue(regime)["edge_text"]
    html = rvt.sensitivity_html(regime)
    assert html.count("(picked)") == 1 and "4.50× (picked)" in html      # 90 / 20


def test_the_sweeps_first_pass_in_words():
    regime = _regime([[(2, 0.2)]], [[(5, 0.2)]])
    regime["config"] = sweeps.config_with(regime["config"], epochs=24, stop_at_error=regime["target"], stop_window=1)
    full = 24
    # no first pass recorded: the sweep runs could train as long as the reported runs
    assert rvt.first_pass_text(regime) == "This regime's sweep runs could train as long as the reported runs."
    for v in ("relu", "tanh"):
        regime["sweep"][v]["horizon_epochs"] = 6
    assert rvt.first_pass_text(regime) == "Both networks' picks reached the target within the sweep's first 6 epochs."
    regime["sweep"]["tanh"].update(horizon_epochs=full, first_pass={0.03: []})
    assert rvt.first_pass_text(regime) == (
        f"Tanh reached the target at no rate within the first pass, so it was swept again over {full} epochs.")
    study = SimpleNamespace(sweep_epochs=6, window=1)
    text = rvt.sweep_rule_text(study, regime)
    assert text.startswith("Sweep runs first train for at most 6 epochs;") and text.endswith(f"over {full} epochs.")
    study.sweep_epochs = full                       # not shorter than the horizon: no first pass
    assert rvt.sweep_rule_text(study, regime) == "Every sweep run may train as long as the reported runs."
    # nor with an even number of sweep seeds, which lr_sweep would not shorten either
    study.sweep_epochs = 6
    assert rvt.sweep_rule_text(study, {**regime, "sweep_seeds": [100, 101]}) == \
        "Every sweep run may train as long as the reported runs."
