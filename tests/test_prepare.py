"""`prepare`: shards, labels, statistics, skipped files, resume (plain JSON state, exact), a
planted pickle refused, CIFAR-10, errors."""
from __future__ import annotations

import json
import os
import pickle
import shlex
import shutil

import numpy as np
import pytest
import torch

from alexnet_repro.__main__ import main as cli
from alexnet_repro.data import prepare
from alexnet_repro.data.images import load_image
from alexnet_repro.data.shards import (
    NotPrepared,
    PreparedImages,
    load_prepared,
    read_meta,
    read_stats,
)


def _good_files(folder, split):
    out = []
    for k, c in enumerate(sorted(p.name for p in (folder / split).iterdir())):
        for f in sorted((folder / split / c).iterdir()):
            if f.name != "corrupt.JPEG":
                out.append((f, k))
    return out


def test_prepare_folder_counts_labels_and_skips(jpeg_folder, prepared_folder):
    meta = read_meta(prepared_folder)
    assert meta["splits"]["train"] == {"images": 12, "shards": 3}      # 13 files, 1 corrupt, 5 a shard
    assert meta["splits"]["val"] == {"images": 6, "shards": 2}
    assert [s["path"] for s in meta["skipped"]] == [str(jpeg_folder / "train" / "n001" / "corrupt.JPEG")]
    assert meta["classes"] == ["n001", "n002", "n003"] and meta["quality"] == 95
    for split in ("train", "val"):
        ds = PreparedImages(prepared_folder, split)
        files = _good_files(jpeg_folder, split)
        assert ds.labels.tolist() == [k for _, k in files]
        for i, (f, _) in enumerate(files):   # stored = the reference preprocessing, up to JPEG loss
            ref = load_image(f, 256)
            got, _ = ds[i]
            assert got.shape == (3, 256, 256)
            assert (got - ref).abs().mean() < 3 / 255


def test_prepare_statistics_match_a_float64_reference(jpeg_folder, prepared_folder):
    pix = torch.stack([(load_image(f, 256) * 255).round() / 255 for f, _ in _good_files(jpeg_folder, "train")])
    x = pix.double().numpy()
    st = read_stats(prepared_folder)
    np.testing.assert_allclose(st.mean_image.numpy(), x.mean(0), atol=1e-6)
    np.testing.assert_allclose(st.channel_mean.numpy(), x.mean((0, 2, 3)), atol=1e-6)
    cov = np.cov(x.transpose(1, 0, 2, 3).reshape(3, -1))
    np.testing.assert_allclose(st.pca.covariance.numpy(), cov, atol=1e-9)
    assert st.images == 12


def test_prepare_resumes_after_interruption(jpeg_folder, prepared_folder, tmp_path, monkeypatch):
    real, calls = prepare._encode_chunk, []

    def flaky(task):
        calls.append(len(task[0]))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(prepare, "_encode_chunk", flaky)
    monkeypatch.setattr(prepare, "CHUNK", 5)            # one task per shard
    kw = dict(quality=95, shard_images=5, workers=1, progress=False)
    with pytest.raises(KeyboardInterrupt):
        prepare.prepare_folder("imagenet", jpeg_folder, tmp_path, **kw)
    with pytest.raises(NotPrepared, match="partly prepared"):
        read_meta(tmp_path)
    state = json.loads((tmp_path / "progress-train.json").read_text())   # plain JSON, no pickle
    assert state["done"] == 2 and state["images"] == 9 and not list(tmp_path.glob("progress-*.pt"))
    calls.clear()
    monkeypatch.setattr(prepare, "_encode_chunk", lambda t: (calls.append(len(t[0])), real(t))[1])
    prepare.prepare_folder("imagenet", jpeg_folder, tmp_path, **kw)
    assert calls == [3, 5, 1]   # train: 13 files in shards of 5, 5, 3; only the last redone. val: 5, 1
    # exactly the uninterrupted result: every shard, index, state and meta byte, every statistic bit
    names = sorted(p.name for p in prepared_folder.iterdir() if p.suffix in (".data", ".npy", ".json"))
    assert names == sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".data", ".npy", ".json"))
    for f in names:
        assert (tmp_path / f).read_bytes() == (prepared_folder / f).read_bytes(), f
    a = torch.load(tmp_path / "stats.pt", weights_only=True)
    b = torch.load(prepared_folder / "stats.pt", weights_only=True)
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(torch.as_tensor(a[k]), torch.as_tensor(b[k])), k


def test_moments_round_trip_exactly_through_json():
    m = prepare.Moments(3, 4)
    m.add(torch.randint(0, 256, (7, 3, 4, 4), dtype=torch.uint8))
    m.image[0, 0, :3] = torch.tensor([0.1, 1 / 3, 5e-324], dtype=torch.float64)   # awkward float64s
    m.sum_xx[0, 0] = 1e300
    back = prepare.Moments.from_json(json.loads(json.dumps(m.to_json())), 3, 4)
    for k, v in m.__dict__.items():
        assert torch.equal(back.__dict__[k], v) if isinstance(v, torch.Tensor) else back.__dict__[k] == v, k
    with pytest.raises(ValueError, match="'image' is not a \\(3, 4, 4\\) array"):
        prepare.Moments.from_json({**m.to_json(), "image": [[1.0]]}, 3, 4)


class _RunsCode:
    """A pickle that runs a shell command when it is loaded."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.system, (f"touch {shlex.quote(str(self.target))}",))


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("planted", ["torch.save as .json", "pickle as .json", "torch.save as old .pt"])
def test_a_planted_pickle_state_is_refused_and_never_runs(planted, jpeg_folder, prepared_folder, tmp_path,
                                                          capsys):
    dst, target = tmp_path / "prepared", tmp_path / "PWNED"
    shutil.copytree(prepared_folder, dst)
    name = "progress-train.pt" if "old" in planted else "progress-train.json"
    with open(dst / name, "wb") as fh:
        (torch.save if planted.startswith("torch") else pickle.dump)({"done": 0, "x": _RunsCode(target)}, fh)
    before = _snapshot(dst)
    with pytest.raises(prepare.PrepareError, match=f"{name}.*(pickle|torch.save).*delete the progress-"):
        prepare.prepare_folder("imagenet", jpeg_folder, dst, quality=95, shard_images=5, workers=1,
                               progress=False)
    assert cli(["prepare", "imagenet", str(jpeg_folder), str(dst), "--quality", "95", "--shard-images", "5",
                "--workers", "1", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "new DST" in err
    assert not target.exists()            # the code did not run
    assert _snapshot(dst) == before       # nothing already written was touched
    assert read_meta(dst)["complete"]
    # the planted file does run code when unpickled without restriction (so this test can fail)
    pickle.loads((dst / name).read_bytes()) if planted == "pickle as .json" else \
        torch.load(dst / name, weights_only=False)
    assert target.exists()


@pytest.mark.parametrize("change, message", [
    (lambda st: "not json {", "it is not JSON"),
    (lambda st: [1, 2], "does not say format"),
    (lambda st: {**st, "done": 99}, "'done' is not a shard count between 0 and 3"),
    (lambda st: {**st, "plan": {**st["plan"], "quality": 80}}, "other files, settings or split"),
    (lambda st: {**st, "bad": [{"path": 1}]}, "'bad' is not a list"),
    (lambda st: {**st, "moments": {**st["moments"], "sum_xx": [[1.0, 2.0]]}}, "'sum_xx' is not a \\(3, 3\\)"),
    (lambda st: {**st, "moments": {**st["moments"], "count": -1}}, "'count' is not a non-negative"),
])
def test_a_crafted_json_state_is_refused_with_a_message(change, message, jpeg_folder, prepared_folder,
                                                         tmp_path):
    dst = tmp_path / "prepared"
    shutil.copytree(prepared_folder, dst)
    state = change(json.loads((dst / "progress-train.json").read_text()))
    (dst / "progress-train.json").write_text(state if isinstance(state, str) else json.dumps(state))
    before = _snapshot(dst)
    with pytest.raises(prepare.PrepareError, match=f"progress-train.json is not a resume file .*{message}"):
        prepare.prepare_folder("imagenet", jpeg_folder, dst, quality=95, shard_images=5, workers=1,
                               progress=False)
    assert _snapshot(dst) == before


def test_prepare_refuses_other_settings_in_a_partial_folder(jpeg_folder, prepared_folder):
    with pytest.raises(prepare.PrepareError, match="other files or settings"):
        prepare.prepare_folder("imagenet", jpeg_folder, prepared_folder, quality=80, shard_images=5,
                               workers=1, progress=False)


def test_prepare_cli_errors_are_messages(tmp_path, capsys):
    assert cli(["prepare", "imagenet", str(tmp_path / "nowhere"), str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "missing folder" in err and "train/<class>" in err
    with pytest.raises(NotPrepared, match="prepare imagenet SRC DST"):
        load_prepared(tmp_path)


def test_prepare_cli_runs_and_prints_size(jpeg_folder, tmp_path, capsys):
    assert cli(["prepare", "imagenet", str(jpeg_folder), str(tmp_path), "--workers", "1",
                "--no-progress", "--shard-images", "100"]) == 0
    out = capsys.readouterr().out
    assert "on disk" in out and "skipped 1 unreadable" in out and "corrupt.JPEG" in out


def test_prepare_cifar10_is_lossless(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "src" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    data = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        x = rng.integers(0, 256, (4, 3072), dtype=np.uint8)
        y = rng.integers(0, 10, 4).tolist()
        data[name] = (x, y)
        with open(folder / name, "wb") as fh:
            pickle.dump({b"data": x, b"labels": y}, fh)
    prepare.prepare_cifar10(tmp_path / "src", tmp_path / "out", progress=False)
    b = load_prepared(tmp_path / "out")
    train_x = np.concatenate([data[f"data_batch_{i}"][0] for i in range(1, 6)]).reshape(-1, 3, 32, 32)
    assert len(b.train) == 20 and len(b.val) == 4 and b.classes[0] == "airplane"
    # balanced subsets keep sorted indices of all images here (limit None)
    assert np.array_equal(b.train.images.numpy(), train_x)
    np.testing.assert_allclose(b.prepared_stats.mean_image.numpy(), (train_x / 255.0).mean(0), atol=1e-6)
    assert json.loads((tmp_path / "out" / "meta.json").read_text())["kind"] == "raw"


def test_prepare_cifar10_missing_batches_is_an_error(tmp_path, capsys):
    assert cli(["prepare", "cifar10", str(tmp_path), str(tmp_path / "out")]) == 2
    assert "data_batch_1" in capsys.readouterr().err


def test_prepare_imagenette_names_classes(tmp_path):
    from conftest import make_jpeg_folder
    make_jpeg_folder(tmp_path / "imagenette2-320", classes=("n01440764", "n02102040"), train_per_class=1,
                     val_per_class=1)
    meta = prepare.prepare_folder("imagenette", tmp_path, tmp_path / "out", workers=1, progress=False)
    assert meta["classes"] == ["tench", "English springer"] and meta["wnids"] == ["n01440764", "n02102040"]
    assert meta["splits"]["train"]["images"] == 2 and len(meta["skipped"]) == 1
