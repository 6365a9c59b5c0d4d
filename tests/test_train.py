"""The training engine: SGD rule, schedule, metrics, records, resume, Ctrl-C, NaN, bad images,
several processes, and the command line."""
import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.transforms as T
from conftest import SigintAfter
from torch import nn

from alexnet_repro.analysis.run_metrics import steps_to_target
from alexnet_repro.common.errors import ConfigError, TrainingDiverged
from alexnet_repro.data.images import BadImage, BadImageError
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.engine import checkpoint
from alexnet_repro.engine import cli as engine
from alexnet_repro.engine import sgd
from alexnet_repro.engine.checkpoint import ResumeError
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.engine.evaluate import evaluate
from alexnet_repro.engine.loop import train
from alexnet_repro.engine.schedule import make_schedule as LRSchedule
from alexnet_repro.engine.sgd import make_optimizer, train_step

REPO = Path(__file__).resolve().parents[1]
FMNIST = Path("/usr/share/datasets/fashion-mnist")

# A tiny, fast configuration: SmallCNN on 36-px synthetic images (32-px crops), 8 steps per epoch.
TINY = dict(dataset="synthetic", limit=256, val_limit=64, image_size=36, model="small_cnn",
            model_kwargs={"width": 0.25, "init": "kaiming"}, augment="crop_flip", epochs=3,
            batch_size=32, lr=0.02, log_every=2, progress=False, ten_crop_eval=True)
TIME_KEYS = {"epoch_time_s", "train_images_per_s"}
ONE_THREAD = {"OMP_NUM_THREADS": "1"}   # tiny models: extra threads only contend on a shared machine


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny(**kw) -> TrainConfig:
    return TrainConfig.from_dict({**TINY, **kw})


def metrics(record: dict) -> dict:
    """Everything in a record that must not depend on interruptions or wall-clock time."""
    return {"history": [{k: v for k, v in h.items() if k not in TIME_KEYS} for h in record["history"]],
            "steps": record["steps"], "final": record["final"], "lr_drops": record["lr_drops"],
            "bad_images": record["bad_images"]}


def assert_same_metrics(a: dict, b: dict, tol: float = 1e-6):
    ma, mb = metrics(a), metrics(b)
    fa, fb = _flatten(ma), _flatten(mb)
    assert fa.keys() == fb.keys()
    for k in fa:
        if isinstance(fa[k], float) and isinstance(fb[k], float):
            assert fa[k] == pytest.approx(fb[k], rel=tol, abs=tol), k
        else:
            assert fa[k] == fb[k], k


def _flatten(x, prefix=""):
    if isinstance(x, dict):
        return {k2: v2 for k, v in x.items() for k2, v2 in _flatten(v, f"{prefix}.{k}").items()}
    if isinstance(x, list):
        return {k2: v2 for i, v in enumerate(x) for k2, v2 in _flatten(v, f"{prefix}[{i}]").items()}
    return {prefix: x}


# ---------------------------------------------------------------- configuration


def test_unknown_and_invalid_options_are_named():
    with pytest.raises(ConfigError) as e:
        TrainConfig.from_dict({"epochs": 2, "learning_rate": 0.1})
    msg = str(e.value)
    assert "learning_rate" in msg and "valid names" in msg and "lr" in msg and "batch_size" in msg
    with pytest.raises(ConfigError, match="augment must be one of"):
        TrainConfig(augment="jitter")
    with pytest.raises(ConfigError, match="schedule"):
        TrainConfig(schedule="step:30,10")
    with pytest.raises(ConfigError, match="model_kwargs may not set"):
        TrainConfig(model_kwargs={"num_classes": 3})
    with pytest.raises(ConfigError, match="lr must be"):
        TrainConfig(lr=-1.0)
    json.dumps(TrainConfig().to_dict())   # JSON-serialisable


def test_command_line_options_map_to_config(tmp_path):
    cfg = engine.config_from_args([
        "--dataset", "fashion-mnist", "--limit", "2000", "--epochs", "2", "--batch-size", "128",
        "--lr", "0.01", "--model", "alexnet", "--width", "0.25", "--image-size", "76",
        "--activation", "relu", "--no-lrn", "--pool", "plain", "--dropout", "0.5", "--augment", "paper",
        "--device", "auto", "--out", str(tmp_path), "--resume", "--model-arg", "towers=2"])
    assert cfg.model_kwargs == {"width": 0.25, "activation": "relu", "lrn": False,
                                "overlap_pool": False, "dropout": 0.5, "towers": 2}
    assert (cfg.limit, cfg.epochs, cfg.image_size, cfg.resume, cfg.out_dir) == (2000, 2, 76, True, str(tmp_path))
    assert cfg.momentum == 0.9 and cfg.weight_decay == 0.0005   # untouched: the paper's defaults
    (tmp_path / "c.json").write_text(json.dumps({"epochs": 5, "seeed": 1}))
    with pytest.raises(ConfigError, match="seeed.*did you mean 'seed'"):
        engine.config_from_args(["--config", str(tmp_path / "c.json")])
    with pytest.raises(SystemExit):
        engine.config_from_args(["--learning-rate", "0.1"])


# ---------------------------------------------------------------- the update rule and the schedule


@pytest.mark.parametrize("fused", [True, False])
def test_sgd_step_is_the_papers_update_rule(fused, monkeypatch):
    """train_step with the engine's optimizer (sgd.make_optimizer) on softmax regression equals
    the paper's rule computed by hand in float64:
    v <- 0.9 v - 0.0005 eps w - eps dL/dw ; w <- w + v (constant eps). Both the fused optimizer
    (torch >= 2.4 on a CPU) and the fallback (one kernel per operation, older torch)."""
    if not fused:
        monkeypatch.setattr(sgd, "_fused_sgd_for", lambda params: False)
    elif torch_version() < (2, 4):
        pytest.skip("no fused SGD for CPU parameters before torch 2.4")
    g = torch.Generator().manual_seed(1)
    n, d, k, eps = 16, 5, 4, 0.1
    x = torch.randn(n, d, generator=g)
    y = torch.randint(0, k, (n,), generator=g)
    model = nn.Linear(d, k)
    opt = make_optimizer(model.parameters(), lr=eps, momentum=0.9, weight_decay=0.0005)
    assert bool(opt.defaults.get("fused")) is fused and bool(opt.defaults.get("foreach")) is not fused
    W = model.weight.detach().double().clone()
    b = model.bias.detach().double().clone()
    vW, vb = torch.zeros_like(W), torch.zeros_like(b)
    X, Y = x.double(), torch.nn.functional.one_hot(y, k).double()
    for _ in range(5):
        logits = X @ W.T + b
        p = torch.exp(logits - logits.max(1, keepdim=True).values)
        p = p / p.sum(1, keepdim=True)
        loss_sum = -(Y * torch.log(p)).sum().item()
        gW, gb = (p - Y).T @ X / n, (p - Y).sum(0) / n
        vW = 0.9 * vW - 0.0005 * eps * W - eps * gW
        vb = 0.9 * vb - 0.0005 * eps * b - eps * gb
        W, b = W + vW, b + vb
        stats = train_step(model, opt, x, y)
        assert stats[0] == pytest.approx(loss_sum, rel=1e-5)
        assert stats[1] == n
    assert torch.allclose(model.weight.double(), W, atol=1e-6)
    assert torch.allclose(model.bias.double(), b, atol=1e-6)


def torch_version() -> tuple[int, int]:
    return tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2])


def test_the_engine_keeps_freed_memory_for_reuse():
    """train.train sets the process's allocator to keep freed memory (distributed.keep_freed_memory):
    the tensors a step frees come back from the heap at the next step instead of as fresh pages
    from the system, each of which faults on first touch. Counted with getrusage's minor page
    faults over a second run of the augmentation chapter's network (SmallCNN, 32-px crops, batch
    32), in child processes with the setting and with it replaced by a no-op."""
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc's allocator only")
    code = ("import resource, sys, torch\n"
            "from alexnet_repro.engine import loop as tr\n"
            "from alexnet_repro.engine.config import TrainConfig\n"
            "if sys.argv[1] == 'off': tr.keep_freed_memory = lambda: False\n"
            "torch.set_num_threads(1)\n"
            "cfg = TrainConfig(dataset='synthetic', limit=512, val_limit=64, image_size=36, crop_size=32,\n"
            "                     model='small_cnn', model_kwargs={'init': 'kaiming'}, augment='paper', epochs=1,\n"
            "                     batch_size=32, progress=False, ten_crop_eval=False)\n"
            "tr.train(cfg)\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
            "tr.train(cfg)\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n")
    faults = {how: int(subprocess.run([sys.executable, "-c", code, how], capture_output=True, text=True,
                                      check=True, cwd=REPO, env={**os.environ, **ONE_THREAD}).stdout)
              for how in ("off", "on")}
    # without the setting a run here usually faults about 40,000 times and with it under a
    # hundred; one CI run on this machine gave 2,014 against 1,093 (cause not found: glibc's
    # dynamic thresholds, or a kernel backing fresh memory with huge pages, 2 MB a fault, would
    # do it): with that few faults without the setting there is nothing to compare
    if faults["off"] < 10_000:
        pytest.skip(f"{faults['off']} page faults without the setting: nothing to compare")
    assert faults["on"] < faults["off"] / 20, faults


def test_every_run_sets_the_allocator(monkeypatch):
    """The wiring the page-fault test above needs a normal kernel to see: train.train sets the
    allocator (distributed.keep_freed_memory) once per run, before its first step."""
    from alexnet_repro.engine import loop as tr
    calls = []
    monkeypatch.setattr(tr, "keep_freed_memory", lambda: calls.append("set"))
    monkeypatch.setattr(tr, "make_optimizer", lambda *a, **k: calls.append("optimizer") or make_optimizer(*a, **k))
    tr.train(TrainConfig(dataset="synthetic", limit=32, val_limit=16, image_size=36, crop_size=32, model="small_cnn",
                         epochs=1, batch_size=16, progress=False, ten_crop_eval=False))
    assert calls == ["set", "optimizer"]


def test_plateau_schedule_divides_by_ten_when_validation_error_stalls():
    s = LRSchedule(TrainConfig(lr=0.01, schedule="plateau", plateau_patience=1, max_lr_drops=3))
    errors = [0.5, 0.4, 0.45, 0.3, 0.3, 0.3, 0.3, 0.2]
    lrs = [s.end_epoch(e, err) for e, err in enumerate(errors, 1)]
    # no improvement after epochs 3, 5, 6 (0.45 > 0.4; 0.3 == best); 7 would be a 4th drop
    assert [e for e, lr in enumerate(lrs, 1) if lr is not None] == [3, 5, 6]
    assert [lr for lr in lrs if lr is not None] == pytest.approx([1e-3, 1e-4, 1e-5])
    s2 = LRSchedule(TrainConfig(lr=0.01, schedule="plateau", plateau_patience=2))
    drops = [e for e, err in enumerate([0.5, 0.6, 0.4, 0.5, 0.5, 0.5], 1) if s2.end_epoch(e, err)]
    assert drops == [5]
    s3 = LRSchedule(TrainConfig(lr=0.1, schedule="step:2,4"))
    assert [e for e in range(1, 7) if s3.end_epoch(e, 0.5)] == [2, 4] and s3.lr == pytest.approx(1e-3)
    s4 = LRSchedule(TrainConfig(lr=0.1, schedule="fixed"))
    assert not any(s4.end_epoch(e, 0.9) for e in range(1, 10))


def test_released_schedule_drops_at_the_released_runs_fractions_of_the_run():
    from alexnet_repro.engine.schedule import released_drop_epochs
    # layers-145: weights' lr / 10 after epochs 25, 51 and 79 of 91. By hand:
    # 90 epochs: 24.73, 50.44, 78.13 -> 25, 50, 78; 15: 4.12, 8.41, 13.02 -> 4, 8, 13;
    # 3: 0.82, 1.68, 2.60 -> 1, 2, (3 is the last epoch: no drop after it); 2: 0.55, 1.12 -> 1
    assert released_drop_epochs(91) == (25, 51, 79)
    assert released_drop_epochs(90) == (25, 50, 78)
    assert released_drop_epochs(15) == (4, 8, 13)
    assert released_drop_epochs(3) == (1, 2)
    assert released_drop_epochs(2) == (1,) and released_drop_epochs(1) == ()
    s = LRSchedule(TrainConfig(lr=0.01, schedule="released", epochs=15, max_lr_drops=0))
    lrs = {e: s.end_epoch(e, 0.5) for e in range(1, 16)}   # a flat validation error changes nothing
    assert [e for e, lr in lrs.items() if lr is not None] == [4, 8, 13]
    assert [lrs[e] for e in (4, 8, 13)] == pytest.approx([1e-3, 1e-4, 1e-5])
    rec = train(tiny(epochs=3, lr=0.05, schedule="released", ten_crop_eval=False)).record
    assert [d["epoch"] for d in rec["lr_drops"]] == [1, 2]
    assert [h["lr"] for h in rec["history"]] == pytest.approx([0.05, 0.005, 0.0005])


def test_cosine_schedule_sets_every_steps_lr_from_the_formula():
    s = LRSchedule(TrainConfig(lr=0.1, schedule="cosine"), 10)
    assert [s.step(k, 0) for k in range(11)] == pytest.approx(
        [0.05 * (1 + math.cos(math.pi * k / 10)) for k in range(11)])
    assert s.end_epoch(1, 0.5) is None and s.lr == pytest.approx(0.0, abs=1e-12)
    # in the engine (8 steps per epoch): step k runs with lr(k) and is logged after it
    rec = train(tiny(epochs=2, schedule="cosine", log_every=1, ten_crop_eval=False)).record
    assert [st["lr"] for st in rec["steps"]] == pytest.approx(
        [0.01 * (1 + math.cos(math.pi * k / 16)) for k in range(16)])


def test_a_run_stops_at_the_first_step_its_trailing_mean_error_reaches_the_target(tmp_path):
    full = train(tiny(epochs=3, log_every=1, ten_crop_eval=False)).record
    errors = np.array([st["train_top1_error"] for st in full["steps"]], dtype=np.float64)
    window = 3
    trailing = [errors[max(0, i - window + 1): i + 1].mean() for i in range(len(errors))]
    target = float(np.median(trailing[8:16]))             # a value the run reaches in its second epoch
    expected = 1 + next(i for i, e in enumerate(trailing) if e <= target)
    assert expected <= 16                                   # well before the run's 24 steps
    cfg = tiny(epochs=3, log_every=1, ten_crop_eval=False, stop_at_error=target, stop_window=window,
               out_dir=str(tmp_path / "run"))
    rec = train(cfg).record
    assert rec["final"]["stopped_at_step"] == rec["final"]["steps"] == expected
    assert steps_to_target(full["steps"], target, window=window) == expected   # the analysis reads the same step
    assert rec["steps"] == full["steps"][:expected]        # the same steps up to the stop, none after
    assert len(rec["history"]) == rec["final"]["epochs"] == -(-expected // 8)   # its epoch validated
    assert full["final"]["stopped_at_step"] is None and full["final"]["steps"] == 24
    again = train(replace(cfg, resume=True)).record         # resuming a stopped run trains nothing more
    assert again["final"]["steps"] == expected and again["steps"] == rec["steps"]
    with pytest.raises(ConfigError, match="stop_at_error"):
        tiny(stop_at_error=0.5, log_every=0)
    with pytest.raises(ConfigError, match="stop_window"):
        tiny(stop_window=0)


# ---------------------------------------------------------------- metrics


class _LinearProbe(nn.Module):
    def __init__(self, c, size, k):
        super().__init__()
        torch.manual_seed(3)
        self.fc = nn.Linear(c * size * size, k)

    def forward(self, x):
        return self.fc(x.flatten(1))


def _np_errors(logits: np.ndarray, labels: np.ndarray):
    order = np.argsort(-logits, axis=1)
    top1 = np.mean(order[:, 0] != labels)
    top5 = np.mean([lab not in row[:5] for row, lab in zip(order, labels)])
    return top1, top5


def test_evaluate_centre_and_ten_crop_against_numpy_and_torchvision():
    bundle = load_dataset("synthetic", limit=8, val_limit=40, image_size=20, num_classes=12)
    crop, mean = 16, torch.rand(3, 20, 20)
    model = _LinearProbe(3, crop, 12).eval()
    res = evaluate(model, bundle.val, mean=mean, crop_size=crop, batch_size=16, ten_crop=True, num_classes=12)
    images = torch.stack([bundle.val[i][0] for i in range(40)])
    labels = np.array([bundle.val[i][1] for i in range(40)])
    with torch.no_grad():
        centre = model(T.CenterCrop(crop)(images - mean)).double().numpy()
        # torchvision's TenCrop: 4 corners + centre, then the same of the flipped image
        tens = torch.stack([torch.stack(T.TenCrop(crop)(im - mean)) for im in images])  # (N, 10, C, h, w)
        ten_logits = model(tens.flatten(0, 1)).double().numpy().reshape(40, 10, 12)
    e1, e5 = _np_errors(centre, labels)
    assert res["top1_error"] == pytest.approx(e1) and res["top5_error"] == pytest.approx(e5)
    logp = centre - centre.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    assert res["loss"] == pytest.approx(-logp[np.arange(40), labels].mean(), rel=1e-5)
    prob = np.exp(ten_logits - ten_logits.max(2, keepdims=True))
    prob = (prob / prob.sum(2, keepdims=True)).mean(1)
    t1, t5 = _np_errors(prob, labels)
    assert res["top1_error_ten_crop"] == pytest.approx(t1) and res["top5_error_ten_crop"] == pytest.approx(t5)
    assert res["images"] == 40 and 0 < e1 < 1


def test_top5_is_none_with_few_classes():
    bundle = load_dataset("synthetic", limit=8, val_limit=8, image_size=8, num_classes=4)
    res = evaluate(_LinearProbe(3, 8, 4), bundle.val, mean=torch.zeros(3, 8, 8), crop_size=8, num_classes=4)
    assert res["top5_error"] is None and 0 <= res["top1_error"] <= 1


# ---------------------------------------------------------------- training, records, repeatability


def test_training_learns_and_writes_a_complete_record(tmp_path):
    res = train(tiny(epochs=4, out_dir=str(tmp_path / "run"), augment="none", lr=0.05, profile="ci"))
    rec = res.record
    on_disk = json.loads((tmp_path / "run" / "record.json").read_text())
    assert on_disk == json.loads(json.dumps(rec))
    for key in ("kind", "config", "profile", "dataset", "hardware", "torch", "git_commit", "seed",
                "started", "finished", "wall_time_s", "images_per_s", "history", "steps", "lr_drops",
                "bad_images", "final"):
        assert key in rec, key
    assert rec["kind"] == "training" and rec["profile"] == "ci" and rec["torch"] == torch.__version__
    assert rec["dataset"]["crop_size"] == 32 and rec["dataset"]["image_size"] == 36
    h = rec["history"]
    assert [e["epoch"] for e in h] == [1, 2, 3, 4]
    # chance is 0.9 for 10 classes; a few epochs of SGD must do far better
    assert rec["final"]["val_top1_error"] < 0.7 and h[-1]["train_loss"] < h[0]["train_loss"]
    # the step log covers every step: its image-weighted mean is the epoch's training error
    assert len(rec["steps"]) == 4 * 8 // 2 and all(s["images"] == 64 for s in rec["steps"])
    for e in h:
        mine = [s for s in rec["steps"] if s["epoch"] == e["epoch"]]
        assert np.mean([s["train_top1_error"] for s in mine]) == pytest.approx(e["train_top1_error"])
        assert np.mean([s["train_loss"] for s in mine]) == pytest.approx(e["train_loss"])
    for v in _flatten(rec["final"]).values():
        assert v is None or isinstance(v, int) or 0 <= v < 10
    assert rec["final"]["val_images"] == 64


def test_same_seed_same_run_other_seed_other_run():
    a = train(tiny(epochs=1, augment="paper")).record
    b = train(tiny(epochs=1, augment="paper")).record
    c = train(tiny(epochs=1, augment="paper", seed=1)).record
    assert metrics(a) == metrics(b)
    assert metrics(a)["steps"] != metrics(c)["steps"]


# ---------------------------------------------------------------- interruption and resume


def test_ctrl_c_saves_a_checkpoint_and_resume_gives_the_same_run(tmp_path):
    cfg = tiny(epochs=2, augment="paper", out_dir=str(tmp_path / "ref"))
    ref = train(cfg).record
    data = load_dataset("synthetic", limit=256, val_limit=64, image_size=36, seed=0)
    interrupted = replace(data, train=SigintAfter(data.train, 11, 32))
    run = cfg.replace(out_dir=str(tmp_path / "cut"))
    with pytest.raises(KeyboardInterrupt, match="step 11"):
        train(run, data=interrupted)
    assert not (tmp_path / "cut" / "record.json").exists()
    state = checkpoint.load_checkpoint(tmp_path / "cut")
    assert (state["epoch"], state["state"]["global_step"]) == (1, 11)
    with pytest.raises(ResumeError, match="resume=True"):
        train(run)                                   # never silently overwrites a run
    with pytest.raises(ResumeError, match="lr: checkpoint 0.02, now 0.1"):
        train(run.replace(resume=True, lr=0.1))
    resumed = train(run.replace(resume=True)).record
    assert resumed["resumes"][0]["step"] == 11
    assert_same_metrics(resumed, ref, tol=0)
    # resuming a finished run trains nothing and reports the same numbers
    again = train(run.replace(resume=True)).record
    assert_same_metrics(again, ref, tol=0)


def test_damaged_checkpoint_is_named(tmp_path):
    (tmp_path / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ResumeError, match=r"checkpoint.pt cannot be read.*damaged"):
        train(tiny(out_dir=str(tmp_path), resume=True))
    with pytest.raises(ConfigError, match="needs out_dir"):
        train(tiny(resume=True))


def _cli(args, **kw):
    env = {**os.environ, "PYTHONPATH": str(REPO), **ONE_THREAD}
    return subprocess.Popen([sys.executable, "-m", "alexnet_repro", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


CLI_TINY = ["--dataset", "synthetic", "--limit", "256", "--val-limit", "64", "--image-size", "36",
            "--model", "small_cnn", "--width", "0.25", "--init", "kaiming", "--augment", "paper",
            "--batch-size", "32", "--lr", "0.02", "--log-every", "2", "--no-progress"]


def _kill_after_checkpoint(out: Path, args, sig) -> subprocess.Popen:
    proc = _cli(["train", *args, "--out", str(out)])
    ckpt, deadline = out / "checkpoint.pt", time.time() + 120
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(sig)
    proc.communicate(timeout=120)
    return proc


@pytest.mark.slow
def test_killed_and_interrupted_subprocess_resume_to_the_same_result(tmp_path):
    args = [*CLI_TINY, "--epochs", "6", "--checkpoint-every-steps", "3"]
    ref = train(engine.config_from_args([*args, "--out", str(tmp_path / "ref")])).record
    for name, sig, code in (("kill", signal.SIGKILL, -signal.SIGKILL), ("int", signal.SIGINT, 130)):
        out = tmp_path / name
        proc = _kill_after_checkpoint(out, args, sig)
        assert proc.returncode == code, (name, proc.returncode)
        assert (out / "checkpoint.pt").exists() and not (out / "record.json").exists()
        done = _cli(["train", *args, "--out", str(out), "--resume"])
        stdout, stderr = done.communicate(timeout=300)
        assert done.returncode == 0, stderr
        resumed = json.loads((out / "record.json").read_text())
        assert 0 < resumed["resumes"][0]["step"] < 48
        assert_same_metrics(resumed, ref)


def test_nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path):
    cfg = tiny(epochs=3, lr=1e4, out_dir=str(tmp_path), checkpoint_every_steps=1, augment="none",
               model_kwargs={"width": 0.25, "init": "kaiming"})
    with pytest.raises(TrainingDiverged) as e:
        train(cfg)
    msg = str(e.value)
    assert "step" in msg and "lr 10000" in msg and "smaller lr" in msg
    state = checkpoint.load_checkpoint(tmp_path)
    assert all(torch.isfinite(v).all() for v in state["model"].values())
    step = int(msg.split("step ")[1].split()[0])
    assert state["state"]["global_step"] == step - 1 or "weights became" in msg


# ---------------------------------------------------------------- bad images


class _WithBad(torch.utils.data.Dataset):
    def __init__(self, base, bad):
        self.base, self.bad = base, set(bad)

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        return BadImage(f"/data/img{i}.jpg", "truncated") if i in self.bad else self.base[i]


def test_bad_images_are_counted_or_fail_with_the_path():
    data = load_dataset("synthetic", limit=128, val_limit=32, image_size=36)
    bundle = replace(data, train=_WithBad(data.train, [3, 50]), val=_WithBad(data.val, [7]))
    rec = train(tiny(epochs=1), data=bundle).record
    assert rec["bad_images"] == 3
    assert rec["final"]["val_images"] == 31 and rec["history"][0]["train_loss"] > 0
    with pytest.raises(BadImageError, match=r"/data/img(3|50)\.jpg"):
        train(tiny(epochs=1, on_bad_image="fail"), data=bundle)


# ---------------------------------------------------------------- several processes


@pytest.mark.slow
def test_two_processes_equal_one_on_the_same_global_batch(tmp_path):
    """torchrun with 2 CPU processes (gloo) gives the one-process run: dropout 0 and no
    augmentation, so the model has no per-process randomness (see train.py's docstring)."""
    args = ["--dataset", "synthetic", "--limit", "200", "--val-limit", "50", "--image-size", "32",
            "--crop-size", "32", "--model", "small_cnn", "--width", "0.25", "--init", "kaiming",
            "--augment", "none", "--batch-size", "32", "--epochs", "2", "--lr", "0.05",
            "--log-every", "1", "--no-progress", "--schedule", "fixed"]
    ref = train(engine.config_from_args([*args, "--out", str(tmp_path / "one")])).record
    env = {**os.environ, "PYTHONPATH": str(REPO), **ONE_THREAD}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc_per_node", "2", "-m", "alexnet_repro", "train", *args,
                           "--out", str(tmp_path / "two")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    two = json.loads((tmp_path / "two" / "record.json").read_text())
    assert two["hardware"]["processes"] == 2 and ref["hardware"]["processes"] == 1
    assert_same_metrics(two, ref, tol=1e-4)


# ---------------------------------------------------------------- command line


def test_cli_train_and_evaluate(tmp_path, capsys):
    out = tmp_path / "run"
    assert engine.main(["train", *CLI_TINY, "--epochs", "1", "--out", str(out)]) == 0
    rec = json.loads((out / "record.json").read_text())
    assert engine.main(["evaluate", "--checkpoint", str(out), "--json"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    fin = rec["final"]
    assert res["top1_error"] == pytest.approx(fin["val_top1_error"])
    assert res["top5_error_ten_crop"] == pytest.approx(fin["val_top5_error_ten_crop"])
    assert engine.main(["evaluate", "--checkpoint", str(out)]) == 0
    text = capsys.readouterr().out
    assert "centre crop: top-1 error" in text and "ten crops" in text
    assert engine.main(["train", *CLI_TINY, "--epochs", "1", "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert engine.main(["evaluate", "--checkpoint", str(tmp_path / "none")]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert engine.main(["train", "--dataset", "fashion-mnist", "--data-root", str(tmp_path),
                        "--epochs", "1"]) == 2
    assert "Fashion-MNIST not found" in capsys.readouterr().err


@pytest.mark.skipif(not FMNIST.is_dir(), reason=f"Fashion-MNIST not installed at {FMNIST} "
                    "(apt-get install dataset-fashion-mnist)")
def test_fashion_mnist_smoke(tmp_path):
    rec = train(TrainConfig(dataset="fashion-mnist", limit=256, val_limit=100, image_size=36,
                            model="small_cnn", model_kwargs={"width": 0.25, "init": "kaiming"},
                            augment="paper", epochs=1, batch_size=64, progress=False,
                            out_dir=str(tmp_path))).record
    assert rec["dataset"]["name"] == "fashion-mnist" and rec["dataset"]["channels"] == 1
    assert rec["final"]["val_images"] == 100 and math.isfinite(rec["final"]["val_loss"])
