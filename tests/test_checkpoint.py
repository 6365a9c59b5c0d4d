"""Checkpoints: safe loading (weights_only), failed writes, and what resume checks."""
import errno
import os
from dataclasses import replace

import numpy as np
import pytest
import torch

from alexnet_repro.data.registry import load_dataset
from alexnet_repro.engine import checkpoint as ckpt_mod
from alexnet_repro.engine.checkpoint import (
    CheckpointWriteError,
    ResumeError,
    check_same_run,
    load_checkpoint,
    rng_state,
    set_rng_state,
)
from alexnet_repro.engine.cli import main as cli_main
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.engine.evaluate import evaluate_checkpoint
from alexnet_repro.engine.loop import train

TINY = dict(dataset="synthetic", limit=64, val_limit=32, image_size=20, model="small_cnn",
            model_kwargs={"width": 0.25, "init": "kaiming"}, augment="none", epochs=1,
            batch_size=32, lr=0.02, progress=False, ten_crop_eval=False)


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny(**kw) -> TrainConfig:
    return TrainConfig.from_dict({**TINY, **kw})


class _RunsCode:
    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {self.target}",))


def test_a_checkpoint_whose_pickle_runs_code_is_refused_and_nothing_runs(tmp_path, capsys):
    target = tmp_path / "PWNED"
    evil = tmp_path / "evil"
    evil.mkdir()
    torch.save({"format": ckpt_mod.CHECKPOINT_FORMAT, "config": _RunsCode(target)}, evil / "checkpoint.pt")
    with pytest.raises(ResumeError, match="refused to load .*could run code"):
        load_checkpoint(evil)
    assert cli_main(["evaluate", "--checkpoint", str(evil)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: refused to load") and "Traceback" not in err
    with pytest.raises(ResumeError, match="refused"):
        train(tiny(out_dir=str(evil), resume=True))
    assert not target.exists()
    # the same pickle without weights_only would have run the command (the test can fail)
    torch.load(evil / "checkpoint.pt", weights_only=False)
    assert target.exists()


def test_old_format_checkpoint_is_refused_with_what_to_do(tmp_path):
    # format 1 pickled numpy's RNG state as numpy objects: not loadable with weights_only
    torch.save({"format": 1, "rng": [{"numpy": np.random.get_state()}]}, tmp_path / "checkpoint.pt")
    with pytest.raises(ResumeError, match=r"older version .*format 1.*start that run again"):
        load_checkpoint(tmp_path)
    torch.save({"format": 99}, tmp_path / "checkpoint.pt")
    with pytest.raises(ResumeError, match="format 99, expected 2"):
        load_checkpoint(tmp_path)


def test_checkpoints_hold_only_tensors_and_plain_values(tmp_path):
    train(tiny(out_dir=str(tmp_path)))
    state = torch.load(tmp_path / "checkpoint.pt", weights_only=True)   # raises on any other object
    assert state["format"] == 2 and state["data_fingerprint"]
    assert evaluate_checkpoint(tmp_path)["images"] == 32


def test_rng_state_round_trips_through_a_safe_checkpoint(tmp_path):
    gen = torch.Generator().manual_seed(5)
    state = rng_state(gen, torch.device("cpu"))
    torch.save(state, tmp_path / "rng.pt")
    expected = (torch.rand(3), np.random.rand(3), __import__("random").random(), torch.rand(2, generator=gen))
    set_rng_state(torch.load(tmp_path / "rng.pt", weights_only=True), gen, torch.device("cpu"))
    again = (torch.rand(3), np.random.rand(3), __import__("random").random(), torch.rand(2, generator=gen))
    assert torch.equal(expected[0], again[0]) and np.array_equal(expected[1], again[1])
    assert expected[2] == again[2] and torch.equal(expected[3], again[3])


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_a_failed_write_stops_clearly_and_keeps_the_previous_checkpoint(tmp_path, monkeypatch, capsys, error):
    out = tmp_path / "run"
    train(tiny(out_dir=str(out)))
    before = (out / "checkpoint.pt").read_bytes()

    def fail(*args, **kwargs):
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(ckpt_mod.torch, "save", fail)
    with pytest.raises(CheckpointWriteError, match=rf"{os.strerror(error)}.*previous checkpoint .* is intact"):
        train(tiny(out_dir=str(out), resume=True, epochs=2))
    assert (out / "checkpoint.pt").read_bytes() == before
    assert load_checkpoint(out)["epoch"] == 1
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []
    # the command line: one clear line, no traceback
    args = ["train", "--dataset", "synthetic", "--limit", "64", "--val-limit", "32", "--image-size", "20",
            "--model", "small_cnn", "--width", "0.25", "--epochs", "2", "--no-progress", "--out", str(out),
            "--resume"]
    assert cli_main(args) == 2
    err = capsys.readouterr().err
    assert "error: cannot write checkpoint" in err and "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_a_read_only_folder_stops_clearly(tmp_path):
    out = tmp_path / "run"
    train(tiny(out_dir=str(out)))
    out.chmod(0o555)
    try:
        with pytest.raises(CheckpointWriteError, match="previous checkpoint .* is intact"):
            train(tiny(out_dir=str(out), resume=True, epochs=2))
        assert load_checkpoint(out)["epoch"] == 1
    finally:
        out.chmod(0o755)


def test_resume_detects_other_data_and_another_world_size(tmp_path):
    out = tmp_path / "run"
    train(tiny(out_dir=str(out)))
    data = load_dataset("synthetic", limit=64, val_limit=32, image_size=20)
    other = replace(data, train=load_dataset("synthetic", limit=64, val_limit=32, image_size=20, seed=9).train)
    with pytest.raises(ResumeError, match=r"the images differ \(fingerprint"):
        train(tiny(out_dir=str(out), resume=True, epochs=2), data=other)
    fewer = load_dataset("synthetic", limit=48, val_limit=32, image_size=20)
    with pytest.raises(ResumeError, match="train_images: checkpoint 64, now 48"):
        train(tiny(out_dir=str(out), resume=True, epochs=2), data=fewer)
    saved = load_checkpoint(out)
    with pytest.raises(ResumeError, match=r"written by 1 process\(es\), this run has 2"):
        check_same_run(saved, data.describe(), data.fingerprint(), world=2)
    check_same_run(saved, data.describe(), data.fingerprint(), world=1)   # the same run: no error
    assert train(tiny(out_dir=str(out), resume=True, epochs=2)).record["final"]["epochs"] == 2
