"""The command line as a user runs it: ``python -m alexnet_repro train|evaluate`` in a subprocess."""
import dataclasses
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from alexnet_repro.data.registry import DATASETS
from alexnet_repro.engine.cli import MODEL_FLAGS, _parser, config_from_args
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.nn.model import AlexNet

REPO = Path(__file__).resolve().parents[1]
FMNIST = Path("/usr/share/datasets/fashion-mnist")
SMALL = ["--dataset", "synthetic", "--image-size", "20", "--model", "small_cnn", "--width", "0.25",
         "--init", "kaiming", "--batch-size", "32", "--no-progress"]


def run_cli(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "alexnet_repro", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_every_option_maps_to_a_real_setting():
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    model_args = set(inspect.signature(AlexNet.__init__).parameters) - {"self"}
    for action in _parser()._actions:
        dest = action.dest
        if dest in ("help", "config", "model_arg"):
            continue
        if dest == "pool":
            assert "overlap_pool" in model_args
        elif dest in MODEL_FLAGS:
            assert MODEL_FLAGS[dest] in model_args, dest
        else:
            assert dest in fields, dest
    cfg = config_from_args(["--dropout-style", "inverted", "--model", "small_cnn"])
    assert cfg.model_kwargs == {"dropout_convention": "inverted"}
    help_text = _parser().format_help()
    assert all(name in help_text for name in DATASETS)


def test_limit_bounds_validation_and_alexnet_gets_images_it_can_take(tmp_path):
    cfg = config_from_args(["--dataset", "fashion-mnist", "--limit", "2000", "--epochs", "2",
                            "--out", str(tmp_path)])
    assert (cfg.limit, cfg.val_limit, cfg.image_size) == (2000, 500, 76)
    assert cfg.model == "alexnet" and cfg.model_kwargs == {"width": 0.25, "init": "kaiming"}
    # given values win; with --image-size nothing is chosen; a large-image dataset is left alone
    cfg = config_from_args(["--dataset", "fashion-mnist", "--limit", "100", "--val-limit", "7", "--width", "0.5"])
    assert (cfg.val_limit, cfg.image_size, cfg.model_kwargs) == (7, 76, {"width": 0.5, "init": "kaiming"})
    cfg = config_from_args(["--dataset", "fashion-mnist", "--image-size", "100"])
    assert (cfg.image_size, cfg.model_kwargs) == (100, {})
    cfg = config_from_args(["--dataset", "imagenette"])
    assert cfg.image_size is None and cfg.model_kwargs == {} and cfg.val_limit is None


def test_train_resume_with_saved_settings_and_evaluate(tmp_path):
    done = run_cli("train", *SMALL, "--limit", "128", "--epochs", "1", "--out", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "also limits the validation set to 32 images" in done.stderr
    assert "validation top-1 error" in done.stdout and "32 images" in done.stdout
    first = json.loads((tmp_path / "run" / "record.json").read_text())
    # the README's resume command: only --out and --resume (and a new number of epochs)
    done = run_cli("train", "--out", "run", "--resume", "--epochs", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "resuming the run in run with its saved settings; changed: epochs=2" in done.stderr
    rec = json.loads((tmp_path / "run" / "record.json").read_text())
    assert rec["final"]["epochs"] == 2 and rec["resumes"][0]["epoch"] == 1
    assert {**first["config"], "epochs": 2, "resume": True} == rec["config"]
    done = run_cli("train", "--out", "run", "--resume", "--lr", "0.5", cwd=tmp_path)
    assert done.returncode == 2 and "lr: checkpoint 0.01, now 0.5" in done.stderr
    assert "Traceback" not in done.stderr
    done = run_cli("evaluate", "--checkpoint", "run", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["top1_error"] == pytest.approx(rec["final"]["val_top1_error"])


def test_dropout_style_trains_alexnet(tmp_path):
    done = run_cli("train", "--dataset", "synthetic", "--limit", "32", "--val-limit", "16", "--image-size", "76",
                   "--width", "0.1", "--dropout-style", "inverted", "--epochs", "1", "--batch-size", "16",
                   "--no-ten-crop", "--no-progress", "--out", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rec = json.loads((tmp_path / "run" / "record.json").read_text())
    assert rec["config"]["model_kwargs"]["dropout_convention"] == "inverted"


def test_bad_input_is_one_clear_line(tmp_path):
    done = run_cli("train", "--dataset", "mnist", cwd=tmp_path)
    assert done.returncode == 2 and "invalid choice: 'mnist'" in done.stderr and "fashion-mnist" in done.stderr
    done = run_cli("train", *SMALL, "--limit", "32", "--model-arg", "towers=2", cwd=tmp_path)
    assert done.returncode == 2 and "error: unknown argument(s) towers" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not FMNIST.is_dir(), reason=f"Fashion-MNIST not installed at {FMNIST}")
def test_readme_demo_command_runs_on_fashion_mnist(tmp_path):
    """README's demo with a smaller --limit (the same code path; the README's 2000 takes ~a minute)."""
    done = run_cli("train", "--dataset", "fashion-mnist", "--limit", "200", "--epochs", "1", "--out",
                   "runs/demo", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "resized to" not in done.stderr and "too small for AlexNet: training with image_size=76" in done.stderr
    rec = json.loads((tmp_path / "runs" / "demo" / "record.json").read_text())
    assert rec["dataset"]["val_images"] == 50 and rec["dataset"]["crop_size"] == 67
