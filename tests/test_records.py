"""Results records: round trip, atomic writes, clear errors, provenance."""
import json
import os
import subprocess

import numpy as np
import pytest
import torch

from alexnet_repro.common import records
from alexnet_repro.common.records import RecordError, load_records, save_record


def test_round_trip_and_conversion(tmp_path):
    rec = {"kind": "chapter", "claims": [{"name": "a", "value": 0.25}],
           "n": np.int64(3), "x": np.float32(0.5), "t": torch.tensor(2.5),
           "arr": np.arange(3), "path": tmp_path, "none": None}
    path = save_record(rec, tmp_path / "res", "relu")
    assert path == tmp_path / "res" / "relu.json"
    # read back with the json module, independent of load_records
    raw = json.loads(path.read_text())
    assert raw == {"kind": "chapter", "claims": [{"name": "a", "value": 0.25}], "n": 3,
                   "x": 0.5, "t": 2.5, "arr": [0, 1, 2], "path": str(tmp_path), "none": None}
    assert load_records(tmp_path / "res") == {"relu": raw}


def test_later_folder_wins_and_missing_folder(tmp_path):
    save_record({"v": 1}, tmp_path / "a", "r")
    save_record({"v": 2}, tmp_path / "b", "r")
    save_record({"v": 3}, tmp_path / "a", "s")
    assert load_records(tmp_path / "a", tmp_path / "b") == {"r": {"v": 2}, "s": {"v": 3}}
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_records(tmp_path / "nope")
    assert load_records(tmp_path / "nope", tmp_path / "b", missing_ok=True) == {"r": {"v": 2}}


def test_bad_value_leaves_old_file_untouched(tmp_path):
    save_record({"v": 1}, tmp_path, "r")
    before = (tmp_path / "r.json").read_bytes()
    with pytest.raises(RecordError, match=r"r\.metrics\.loss"):
        save_record({"metrics": {"loss": float("nan")}}, tmp_path, "r")
    with pytest.raises(RecordError, match="object"):
        save_record({"m": object()}, tmp_path, "r")
    assert (tmp_path / "r.json").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["r.json"]


def test_failure_during_write_leaves_no_partial_file(tmp_path, monkeypatch):
    save_record({"v": 1}, tmp_path, "r")
    before = (tmp_path / "r.json").read_bytes()

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(records.os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        save_record({"v": 2}, tmp_path, "r")
    monkeypatch.undo()
    assert (tmp_path / "r.json").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["r.json"]  # the temporary file is gone


def test_malformed_record_names_file(tmp_path):
    (tmp_path / "good.json").write_text('{"a": 1}')
    (tmp_path / "broken.json").write_text('{"a": 1,')
    with pytest.raises(RecordError, match="broken.json") as e:
        load_records(tmp_path)
    assert "not valid JSON" in str(e.value)
    (tmp_path / "broken.json").write_text("[1, 2]")
    with pytest.raises(RecordError, match="broken.json.*not an object"):
        load_records(tmp_path)


def test_bad_names_refused(tmp_path):
    for name in ["", "a/b", ".hidden"]:
        with pytest.raises(RecordError):
            save_record({}, tmp_path, name)
    with pytest.raises(RecordError, match="dict"):
        save_record([1], tmp_path, "x")


def test_provenance(tmp_path):
    # git commit equals what git itself says for this checkout (or None outside one)
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=os.path.dirname(records.__file__),
                         capture_output=True, text=True)
    expected = out.stdout.strip() if out.returncode == 0 else None
    assert records.git_commit() == expected
    assert records.git_commit(tmp_path) is None  # not a checkout
    hw = records.hardware("cpu")
    assert hw["device"] == "cpu" and hw["cpu_count"] == os.cpu_count()
    assert hw["gpu_count"] == len(hw["gpus"])
    assert records.torch_version() == torch.__version__
    p = records.provenance("cpu")
    assert set(p) == {"hardware", "torch", "git_commit", "git_dirty", "time"}
    assert p["time"].endswith("+00:00")


def test_git_dirty_notes_uncommitted_changes(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    assert records.git_dirty(tmp_path) is None  # not a checkout
    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "0")
    (tmp_path / "alexnet_repro").mkdir()
    (tmp_path / "alexnet_repro" / "lib.py").write_text("x = 1\n")
    git("add", "alexnet_repro/lib.py")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "1")
    assert records.git_dirty(tmp_path) is False
    (tmp_path / "notes.txt").write_text("scratch")          # untracked, outside the sources
    assert records.git_dirty(tmp_path) is False
    (tmp_path / "alexnet_repro" / "new.py").write_text("")  # untracked library file
    assert records.git_dirty(tmp_path) is True
    (tmp_path / "alexnet_repro" / "new.py").unlink()
    (tmp_path / "alexnet_repro" / "lib.py").write_text("x = 2\n")  # modified tracked file
    assert records.git_dirty(tmp_path) is True
