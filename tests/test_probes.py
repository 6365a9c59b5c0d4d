"""Tests of alexnet_repro.analysis.probes (and of the trained models a sweep's runs carry) against
independent references: plain forward passes, float64 loops over the formula, Monte-Carlo bounds."""
from __future__ import annotations

import math
from collections import OrderedDict

import pytest
import torch
from conftest import tiny_alexnet_setup
from torch import nn

from alexnet_repro.analysis import probes, sweeps
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.nn.layers import Dropout, LocalResponseNorm
from alexnet_repro.nn.model import build_model


@pytest.fixture(scope="module")
def tiny_run():
    data, cfg = tiny_alexnet_setup()
    runs = sweeps.run_seeds(cfg, {"a": {}}, [0], data=data, eval_train_split=True)
    return cfg, data, runs["a"][0]


def _reference_errors(model, data, split):
    # independent of train.evaluate: plain forward passes on (image - mean image), eval mode
    ds = getattr(data, split)
    xs = torch.stack([ds[i][0] for i in range(len(ds))])
    ys = torch.tensor([ds[i][1] for i in range(len(ds))])
    mean = torch.stack([data.train[i][0] for i in range(len(data.train))]).double().mean(0).float()
    model.eval()
    with torch.no_grad():
        logits = model(xs - mean)
    loss = nn.functional.cross_entropy(logits.double(), ys).item()
    return loss, (logits.argmax(1) != ys).double().mean().item()


def test_evaluate_split_matches_plain_forward_passes(tiny_run):
    cfg, data, run = tiny_run
    result, record = run.result, run.record
    for split in ("train", "val"):
        ev = probes.evaluate_split(result, split)
        loss, err = _reference_errors(result.model, data, split)
        assert ev["images"] == len(getattr(data, split))
        assert ev["top1_error"] == pytest.approx(err, abs=1e-9)
        assert ev["loss"] == pytest.approx(loss, rel=1e-4)
    assert record["final"]["train_eval"]["top1_error"] == pytest.approx(
        _reference_errors(result.model, data, "train")[1], abs=1e-9)
    # the engine's own validation figure agrees too
    assert record["final"]["val_top1_error"] == pytest.approx(probes.evaluate_split(result, "val")["top1_error"])
    with pytest.raises(ValueError):
        probes.evaluate_split(result, "test")


def test_train_mode_means_linear_after_dropout_matches_test_rule():
    torch.manual_seed(0)
    net = nn.Sequential(OrderedDict([("fc1", nn.Linear(3, 8)), ("act1", nn.ReLU()),
                                     ("drop1", Dropout(0.5, "paper")), ("fc2", nn.Linear(8, 2))]))
    x = torch.randn(4, 3)
    state = torch.get_rng_state()
    out = probes.train_mode_means(net, x, ["drop1", "fc2"], samples=4000, seed=3)
    assert torch.equal(torch.get_rng_state(), state)         # global RNG untouched
    h = torch.relu(net[0](x)).double()
    mc_drop, ev_drop = out["drop1"]
    assert torch.allclose(ev_drop.double(), 0.5 * h, atol=1e-6)
    # E[mask * h] = 0.5 h; 6 standard errors of a Bernoulli(0.5) mean
    assert torch.all((mc_drop - 0.5 * h).abs() <= 6 * h * 0.5 / math.sqrt(4000) + 1e-6)
    # fc2 is linear: its training-mode mean equals its test output up to Monte-Carlo error
    w = net[3].weight.double()
    se = 6 * torch.sqrt((h ** 2 * 0.25) @ (w.T ** 2) / 4000) + 1e-6
    mc_fc, ev_fc = out["fc2"]
    assert torch.all((mc_fc - ev_fc.double()).abs() <= se)


def test_model_inputs_give_the_evaluated_error(tiny_run):
    cfg, data, run = tiny_run
    result, record = run.result, run.record
    x, y = probes.model_inputs(result, "val")
    result.model.eval()
    with torch.no_grad():
        err = (result.model(x).argmax(1) != y).double().mean().item()
    assert err == pytest.approx(record["final"]["val_top1_error"], abs=1e-9)
    xs, ys = probes.model_inputs(result, "train", 5, seed=1)
    assert xs.shape == (5, 1, 67, 67) and len(ys) == 5


def test_lrn_share_matches_a_float64_loop_over_the_formula():
    torch.manual_seed(0)
    a = torch.relu(torch.randn(2, 7, 3, 3, dtype=torch.float64) * 80)
    n, alpha, beta, k = 5, 1e-4, 0.75, 2.0
    ref = []
    N = a.shape[1]
    for b in range(2):
        for i in range(N):
            for y in range(3):
                for x in range(3):
                    if a[b, i, y, x] == 0:
                        continue
                    s = sum(a[b, j, y, x].item() ** 2 for j in range(max(0, i - n // 2), min(N - 1, i + n // 2) + 1))
                    ref.append(alpha * s / k)
    ref = torch.tensor(ref, dtype=torch.float64)
    got = probes.lrn_share(LocalResponseNorm(n, alpha, beta, k), a)
    assert torch.allclose(got, ref, rtol=1e-9, atol=1e-12)
    # torch's layer divides alpha by n: its share is one n-th of the paper formula's
    got_torch = probes.lrn_share(nn.LocalResponseNorm(n, alpha, beta, k), a)
    assert torch.allclose(got_torch, ref / n, rtol=1e-6, atol=1e-12)


def test_sweep_runs_carry_the_trained_model_and_can_drop_it(tiny_run):
    cfg, data, run = tiny_run
    assert run.model is run.result.model and run.result.data is data
    assert run["variant"] == run.variant == "a" and run.seed == 0 and run["final"] is run.record["final"]
    x, y = probes.model_inputs(run.result, "val")
    run.model.eval()
    with torch.no_grad():
        err = (run.model(x).argmax(1) != y).double().mean().item()
    assert err == pytest.approx(run["final"]["val_top1_error"], abs=1e-9)
    light = sweeps.run_seeds(cfg, {"b": {}}, [0], data=data, keep_models=False)["b"][0]
    assert light.result is None and light["final"]["val_top1_error"] == pytest.approx(
        run["final"]["val_top1_error"], abs=1e-9)          # same config and seed, same run
    with pytest.raises(ValueError, match="keep_models"):
        light.model
    with pytest.raises(ValueError, match="keep_models"):
        probes.model_inputs(light)
    # probes take the run itself as well as its TrainResult
    assert torch.equal(probes.model_inputs(run, "train", 3)[0], probes.model_inputs(run.result, "train", 3)[0])
    assert probes.evaluate_split(run, "val") == probes.evaluate_split(run.result, "val")


# ----------------------------------------------------------------------------- saturation (§3.1)

def test_unit_derivative_curves_match_the_closed_forms():
    xs, d = probes.unit_derivative_curves(("relu", "tanh"), lo=-3.0, hi=3.0, n=61)
    assert len(xs) == 61 and xs[0] == -3.0 and xs[-1] == 3.0
    for x, r, t in zip(xs, d["relu"], d["tanh"]):
        assert r == (1.0 if x > 0 else 0.0)
        assert t == pytest.approx(1 - math.tanh(float(x)) ** 2, abs=1e-6)


def test_mean_unit_derivative_against_a_float64_hand_pass():
    x = torch.rand(5, 1, 12, 12) - 0.5
    for act in ("relu", "tanh"):
        nets = []
        for seed in (0, 1):
            torch.manual_seed(seed)
            nets.append(build_model("small_cnn", activation=act, in_channels=1, input_size=12,
                                    width=0.25, init="kaiming"))
        want = []
        for net in nets:   # by hand, in float64: conv -> unit -> pool, layer after layer
            f = net.features.double()
            h, vals = x.double(), {}
            with torch.no_grad():
                for i in (1, 2, 3):
                    z = getattr(f, f"conv{i}")(h)
                    vals[f"act{i}"] = float((z > 0).double().mean()) if act == "relu" else \
                        float((1 - torch.tanh(z) ** 2).mean())
                    h = getattr(f, f"pool{i}")(torch.relu(z) if act == "relu" else torch.tanh(z))
            f.float()
            want.append(vals)
        nets[0].train()
        got = probes.mean_unit_derivative(nets[0], x, act)
        assert nets[0].training                       # mode restored
        assert list(got) == ["act1", "act2", "act3"]
        for k in got:
            assert got[k] == pytest.approx(want[0][k], abs=1e-5)
        both = probes.mean_unit_derivative(nets, x, act)
        for k in both:
            assert both[k] == pytest.approx((want[0][k] + want[1][k]) / 2, abs=1e-5)
    with pytest.raises(ValueError, match="relu' or 'tanh"):
        probes.mean_unit_derivative(nets[0], x, "sigmoid")


def test_random_batch_draws_distinct_items_and_subtracts_the_mean():
    # item i is an image filled with i, labelled i: the label says which image came back
    dataset = [(torch.full((1, 2, 2), float(i)), i) for i in range(10)]
    mean = torch.full((1, 2, 2), 0.5)
    images, labels = probes.random_batch(dataset, 4, mean_image=mean, seed=3)
    assert images.shape == (4, 1, 2, 2) and labels.dtype == torch.long
    assert len(set(labels.tolist())) == 4 and set(labels.tolist()) <= set(range(10))
    for img, lab in zip(images, labels):
        assert torch.equal(img, torch.full((1, 2, 2), lab.item() - 0.5))
    again, _ = probes.random_batch(dataset, 4, mean_image=mean, seed=3)
    assert torch.equal(again, images)                 # seeded
    _, every = probes.random_batch(dataset, 50, seed=0)
    assert sorted(every.tolist()) == list(range(10))  # n above the size: every item once


def test_initial_model_is_the_seeded_build_and_leaves_the_rng_alone():
    data = load_dataset("synthetic", limit=8, val_limit=4, image_size=20, seed=0, channels=1)
    cfg = TrainConfig(dataset="synthetic", crop_size=16, model="small_cnn",
                      model_kwargs={"width": 0.25, "activation": "tanh", "init": "kaiming"})
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    net = probes.initial_model(cfg, data, seed=5)
    assert torch.equal(torch.rand(3), before)         # global RNG as it was
    torch.manual_seed(5)
    ref = build_model("small_cnn", in_channels=1, num_classes=len(data.classes), input_size=16,
                      width=0.25, activation="tanh", init="kaiming")
    assert net.input_size == 16 and isinstance(net.features.act1, nn.Tanh)
    for (n, p), (_, q) in zip(net.named_parameters(), ref.named_parameters()):
        assert torch.equal(p, q), n


def test_unit_derivative_table_shows_percent_active_and_mean_derivative():
    init = {"relu": {"act1": 0.5, "act2": 0.25}, "tanh": {"act1": 0.75, "act2": 0.5}}
    trained = {"relu": {"act1": 0.125, "act2": 1.0}, "tanh": {"act1": 0.0625, "act2": 0.2}}
    html = probes.unit_derivative_table(init)
    assert "<td>act1</td>\n" not in html and "<td>act1</td><td>50%</td><td>0.750</td>" in html
    html = probes.unit_derivative_table(init, trained)
    assert "<td>act1</td><td>50%</td><td>12%</td><td>0.750</td><td>0.062</td>" in html
    assert "<td>act2</td><td>25%</td><td>100%</td><td>0.500</td><td>0.200</td>" in html


def test_parameter_share_by_hand_count():
    net = nn.Sequential(OrderedDict([("fc6", nn.Linear(4, 3)), ("act", nn.ReLU()), ("fc7", nn.Linear(3, 2))]))
    # fc6: 4*3 + 3 = 15 parameters, fc7: 3*2 + 2 = 8
    assert probes.parameter_share(net, ["fc6"]) == pytest.approx(100 * 15 / 23)
    assert probes.parameter_share(net, ["fc6", "fc7"]) == pytest.approx(100.0)
    with torch.device("meta"):
        meta = nn.Sequential(OrderedDict([("fc6", nn.Linear(4, 3)), ("fc7", nn.Linear(3, 2))]))
    assert probes.parameter_share(meta, ["fc7"]) == pytest.approx(100 * 8 / 23)
    with pytest.raises(ValueError, match="fc8"):
        probes.parameter_share(net, ["fc8"])


def test_output_shape_by_conv_arithmetic():
    net = nn.Sequential(OrderedDict([("conv1", nn.Conv2d(3, 4, 3, stride=2)), ("pool1", nn.MaxPool2d(2)),
                                     ("flat", nn.Flatten()), ("fc", nn.Linear(16, 5))]))
    # (9 - 3) / 2 + 1 = 4, pooled by 2 -> 2
    assert probes.output_shape(net, "conv1", input_size=9) == (4, 4, 4)
    assert probes.output_shape(net, "pool1", input_size=9) == (4, 2, 2)
    assert probes.output_shape(net, "fc", input_size=9) == (5,)
    with pytest.raises(ValueError, match="input_size"):
        probes.output_shape(net, "fc")
