"""The prepared-shard loader against the PIL folder path; resume; DDP sharding; device datasets."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from conftest import SigintAfter
from PIL import Image

from alexnet_repro.data.augment import make_batch_augment
from alexnet_repro.data.batches import TensorImages, collate, epoch_batches
from alexnet_repro.data.images import FolderImages
from alexnet_repro.data.shards import (
    DeviceImages,
    PreparedImages,
    decode_batch,
    load_prepared,
    make_train_iterator,
    on_device,
)
from alexnet_repro.data.stats import PCA

cuda = pytest.mark.cuda
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
PCA3 = PCA(torch.tensor([0.02, 0.005, 0.001], dtype=torch.float64), torch.eye(3, dtype=torch.float64))


def _reference(jpeg_folder, split="train"):
    """The PIL folder dataset over the same (good) files, in the same order."""
    files, labels = [], []
    for k, c in enumerate(sorted(p.name for p in (jpeg_folder / split).iterdir())):
        for f in sorted((jpeg_folder / split / c).iterdir()):
            if f.name != "corrupt.JPEG":
                files.append(str(f))
                labels.append(k)
    return FolderImages(files, labels, 256)


def test_decoder_matches_pil_on_the_stored_bytes(prepared_folder):
    ds = PreparedImages(prepared_folder, "train")
    for i in range(len(ds)):
        pil = torch.from_numpy(np.array(Image.open(io.BytesIO(ds.jpeg(i).numpy().tobytes())).convert("RGB")))
        ours = decode_batch([ds.jpeg(i)])[0]
        assert (ours.int() - pil.permute(2, 0, 1).int()).abs().max() <= 2   # decoder tolerance (IDCT)


@pytest.mark.parametrize("seed,epoch", [(0, 0), (3, 1)])
def test_shards_and_pil_folder_give_the_same_batches(jpeg_folder, prepared_folder, seed, epoch):
    ref, ds = _reference(jpeg_folder), PreparedImages(prepared_folder, "train")
    mean = torch.full((3, 256, 256), 0.5)
    aug_ref = make_batch_augment("paper", 256, 227, pca=PCA3, mean=mean, generator=torch.Generator().manual_seed(seed))
    aug_new = make_batch_augment("paper", 256, 227, pca=PCA3, mean=mean, generator=torch.Generator().manual_seed(seed))
    it = make_train_iterator(ds, batch_size=5, seed=seed, epoch=epoch)
    batches = epoch_batches(len(ref), 5, seed, epoch)
    assert len(it) == len(batches) == 3
    for b, (x_new, y_new) in zip(batches, it):
        x_ref, y_ref, bad = collate([ref[i] for i in b])
        assert not bad and torch.equal(y_ref, y_new)
        assert (x_new - x_ref).abs().mean() < 3 / 255            # same pixels up to JPEG loss (q95)
        out_ref, out_new = aug_ref(x_ref), aug_new(x_new)
        for k in ("top", "left", "flip", "alpha"):                 # same crops, flips, lighting
            assert torch.equal(aug_ref.last_draw[k], aug_new.last_draw[k])
        assert out_new.shape == (len(b), 3, 227, 227)
        assert (out_new - out_ref).abs().mean() < 3 / 255
        ten_ref, ten_new = aug_ref.eval(x_ref, ten=True), aug_new.eval(x_new, ten=True)
        assert ten_new.shape == (10, len(b), 3, 227, 227) and (ten_new - ten_ref).abs().mean() < 3 / 255


def test_epochs_reshuffle_with_the_seed(prepared_folder):
    ds = PreparedImages(prepared_folder, "train")
    order = lambda seed, epoch: make_train_iterator(ds, batch_size=4, seed=seed, epoch=epoch).batches
    assert order(0, 0) == order(0, 0)
    assert order(0, 0) != order(0, 1) and order(0, 0) != order(1, 0)
    assert sorted(sum(order(0, 1), [])) == list(range(len(ds)))


def test_resume_mid_epoch_gives_exactly_the_rest(prepared_folder):
    ds = PreparedImages(prepared_folder, "train")
    full = list(make_train_iterator(ds, batch_size=4, seed=5, epoch=2))
    it = make_train_iterator(ds, batch_size=4, seed=5, epoch=2, start_step=1)
    assert it.position == 1 and len(it) == 2
    rest = list(it)
    assert it.position == 3
    for (xa, ya), (xb, yb) in zip(full[1:], rest):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)
    with pytest.raises(ValueError, match="outside the epoch"):
        make_train_iterator(ds, batch_size=4, seed=5, epoch=2, start_step=4)


@pytest.mark.parametrize("world", [2, 3])
def test_ranks_are_disjoint_and_cover_each_global_batch(prepared_folder, world):
    ds = PreparedImages(prepared_folder, "train")
    its = [make_train_iterator(ds, batch_size=5, seed=1, epoch=0, rank=r, world=world) for r in range(world)]
    glob = epoch_batches(len(ds), 5, 1, 0, world)
    for step, g in enumerate(glob):
        parts = [it.batches[step] for it in its]
        assert sorted(sum(parts, [])) == sorted(g)                        # covering
        assert len(set(sum(parts, []))) == len(g)                         # disjoint
    for it in its:
        for b, (_, y) in zip(it.batches, it):
            assert torch.equal(y, ds.labels[b])


def test_subsets_and_bundle(prepared_folder):
    b = load_prepared(prepared_folder, limit=6, val_limit=3)
    assert len(b.train) == 6 and len(b.val) == 3
    assert np.bincount(b.train.labels.numpy()).tolist() == [2, 2, 2]      # class-balanced
    assert b.image_size == 256 and b.channels == 3 and b.prepared_stats.images == 12
    x, y = b.train.get_batch([0, 5])
    assert x.shape == (2, 3, 256, 256) and x.dtype == torch.float32 and y.tolist() == b.train.labels[[0, 5]].tolist()
    with pytest.raises(ValueError, match="256 px"):
        load_prepared(prepared_folder, image_size=128)
    from alexnet_repro.data.registry import load_dataset
    with pytest.raises(FileNotFoundError, match="--data-root DST"):
        load_dataset("prepared")


def test_device_images_match_tensor_images():
    g = torch.Generator().manual_seed(0)
    images, labels = torch.randint(0, 256, (10, 1, 28, 28), dtype=torch.uint8, generator=g), torch.arange(10) % 3
    ref = TensorImages(images, labels)
    dev = on_device(ref, "cpu")
    assert isinstance(dev, DeviceImages)
    x, y = dev.get_batch([3, 1, 4])
    xr, yr = ref.get_batch([3, 1, 4])
    assert torch.equal(x, xr) and torch.equal(y, yr)
    got = list(make_train_iterator(dev, batch_size=4, seed=0, epoch=0))
    assert sum(len(y) for _, y in got) == 10
    assert on_device(ref, "cpu", max_bytes=100) is None                          # too large: no


@cuda
@needs_cuda
def test_gpu_decode_matches_cpu_decode(prepared_folder):
    ds = PreparedImages(prepared_folder, "train")
    blobs = [ds.jpeg(i) for i in range(len(ds))]
    gpu = decode_batch(blobs, "cuda")
    assert gpu.device.type == "cuda" and gpu.shape == (len(ds), 3, 256, 256)
    assert (gpu.cpu().int() - decode_batch(blobs).int()).abs().float().mean() < 1.0   # nvJPEG vs libjpeg


@cuda
@needs_cuda
def test_gpu_loader_and_device_images(prepared_folder):
    ds = PreparedImages(prepared_folder, "train")
    cpu = list(make_train_iterator(ds, batch_size=4, seed=0, epoch=0))
    gpu = list(make_train_iterator(ds, batch_size=4, seed=0, epoch=0, device="cuda"))
    for (xc, yc), (xg, yg) in zip(cpu, gpu):
        assert xg.is_cuda and torch.equal(yc, yg.cpu()) and (xg.cpu() - xc).abs().mean() < 2 / 255
    aug = make_batch_augment("paper", 256, 227, pca=PCA3, mean=torch.zeros(3, 256, 256, device="cuda"),
                             generator=torch.Generator().manual_seed(0))
    assert aug(gpu[0][0]).is_cuda
    dev = DeviceImages(torch.zeros(6, 3, 32, 32, dtype=torch.uint8), torch.arange(6), "cuda")
    x, y = dev.get_batch([0, 2])
    assert x.is_cuda and y.is_cuda


def test_the_engine_trains_on_a_prepared_folder(prepared_folder):
    """`load_dataset("prepared", root)` plugs the shards into the unchanged engine (DataLoader path)."""
    from alexnet_repro.data.registry import load_dataset
    from alexnet_repro.engine.config import TrainConfig
    from alexnet_repro.engine.loop import train

    bundle = load_dataset("prepared", prepared_folder)
    assert isinstance(bundle.train, PreparedImages)
    cfg = TrainConfig(dataset="prepared", data_root=str(prepared_folder), model="small_cnn", epochs=1,
                      batch_size=6, image_size=None, crop_size=64, device="cpu", progress=False,
                      ten_crop_eval=True, lr=0.01, num_workers=1)   # a worker process opens its own maps
    rec = train(cfg).record
    assert rec["final"]["steps"] == 2 and rec["dataset"]["train_images"] == 12
    assert rec["final"]["val_top1_error_ten_crop"] is not None


# --------------------------------------------------------------------------- the engine's device path
# On CUDA the engine batches DeviceImages / PreparedImages on the device (shards.device_input);
# DEVICE_INPUT = ("cpu",) makes a CPU take the same path, so its wiring is tested here on a CPU
# against the DataLoader path (same images, same order: the same numbers, bit for bit).

_TIMES = {"epoch_time_s", "train_images_per_s"}


def _metrics(rec: dict) -> dict:
    return {"history": [{k: v for k, v in h.items() if k not in _TIMES} for h in rec["history"]],
            "steps": rec["steps"], "final": rec["final"], "lr_drops": rec["lr_drops"]}


def _toy_bundle(n=96, val=32, size=36):
    from alexnet_repro.data.batches import DataBundle
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(n + val) % 4
    images = torch.randint(0, 200, (n + val, 3, size, size), dtype=torch.uint8, generator=g)
    images[labels % 3 == 0] //= 2   # something to learn
    return DataBundle("toy", TensorImages(images[:n], labels[:n]), TensorImages(images[n:], labels[n:]),
                      list("abcd"), 3, size, "generated")


def _toy_config(**kw):
    from alexnet_repro.engine.config import TrainConfig
    return TrainConfig(**{**dict(dataset="synthetic", model="small_cnn", model_kwargs={"width": 0.25},
                                 augment="paper", epochs=2, batch_size=16, lr=0.02, log_every=2,
                                 progress=False, ten_crop_eval=True, device="cpu"), **kw})


@pytest.fixture
def device_path_spy(monkeypatch):
    """Counts the engine's device-path calls: training iterators, and ``device_batches`` calls
    (one per training iterator and one per evaluation)."""
    from alexnet_repro.data import shards
    calls = {"train": 0, "eval": 0}
    make = shards.make_train_iterator

    def spy_make(*a, **kw):
        calls["train"] += 1
        return make(*a, **kw)

    def spy_batches(cls):
        orig = cls.device_batches

        def wrapped(self, batches, device, *a, **kw):
            calls["eval"] += 1
            return orig(self, batches, device, *a, **kw)
        monkeypatch.setattr(cls, "device_batches", wrapped)

    monkeypatch.setattr(shards, "make_train_iterator", spy_make)
    spy_batches(DeviceImages)
    spy_batches(PreparedImages)
    return calls


def test_device_path_gives_the_loader_paths_run_bit_for_bit(monkeypatch, device_path_spy):
    from alexnet_repro.data import shards
    from alexnet_repro.engine.loop import train
    data = _toy_bundle()
    ref = train(_toy_config(), data=data).record
    assert device_path_spy == {"train": 0, "eval": 0}            # CPU: the DataLoader path
    monkeypatch.setattr(shards, "DEVICE_INPUT", ("cpu",))
    dev = train(_toy_config(), data=data).record
    # 2 epochs of training iterators; 2 validations + the final evaluation
    assert device_path_spy == {"train": 2, "eval": 5}
    assert _metrics(dev) == _metrics(ref)
    assert dev["dataset"] == ref["dataset"]


def test_device_path_over_prepared_shards_equals_the_loader_path(monkeypatch, device_path_spy, prepared_folder):
    from alexnet_repro.data import shards
    from alexnet_repro.engine.loop import train
    bundle = load_prepared(prepared_folder)
    cfg = _toy_config(crop_size=64, batch_size=6, epochs=1, augment="crop_flip", log_every=1)
    ref = train(cfg, data=bundle).record
    monkeypatch.setattr(shards, "DEVICE_INPUT", ("cpu",))
    dev = train(cfg, data=bundle).record
    assert device_path_spy == {"train": 1, "eval": 3}
    assert _metrics(dev) == _metrics(ref) and dev["final"]["steps"] == 2


def test_a_run_cut_on_the_loader_path_resumes_mid_epoch_on_the_device_path(monkeypatch, tmp_path,
                                                                            device_path_spy):
    import dataclasses

    from alexnet_repro.data import shards
    from alexnet_repro.engine.loop import train
    data = _toy_bundle()
    ref = train(_toy_config(), data=data).record
    cut = dataclasses.replace(data, train=SigintAfter(data.train, 9, 16))   # step 9 of 12: epoch 2
    cfg = _toy_config(out_dir=str(tmp_path))
    with pytest.raises(KeyboardInterrupt, match="step 9"):
        train(cfg, data=cut)
    monkeypatch.setattr(shards, "DEVICE_INPUT", ("cpu",))
    resumed = train(cfg.replace(resume=True), data=data).record
    assert device_path_spy["train"] == 1                          # only the rest of epoch 2
    assert resumed["resumes"][0]["step"] == 9
    assert _metrics(resumed) == _metrics(ref)


@cuda
@needs_cuda
def test_the_engine_trains_from_device_images_on_cuda(monkeypatch, device_path_spy):
    """CUDA: the small dataset is moved to the GPU and batched there; the same run through the
    DataLoader path (DEVICE_INPUT emptied) gives the same numbers up to GPU rounding."""
    from alexnet_repro.data import shards
    from alexnet_repro.engine.loop import train
    data = _toy_bundle()
    cfg = _toy_config(device="cuda", amp="off", channels_last=False)
    dev = train(cfg, data=data).record
    assert device_path_spy == {"train": 2, "eval": 5}
    monkeypatch.setattr(shards, "DEVICE_INPUT", ())
    ref = train(cfg, data=data).record
    assert device_path_spy == {"train": 2, "eval": 5}           # unchanged: the loader path
    a, b = _metrics(dev), _metrics(ref)
    np.testing.assert_allclose([s["train_loss"] for s in a["steps"]], [s["train_loss"] for s in b["steps"]],
                               rtol=1e-3)
    np.testing.assert_allclose(a["final"]["val_loss"], b["final"]["val_loss"], rtol=1e-3)


@cuda
@needs_cuda
def test_the_engine_decodes_prepared_shards_on_cuda(device_path_spy, prepared_folder):
    from alexnet_repro.engine.loop import train
    cfg = _toy_config(device="cuda", crop_size=64, batch_size=6, epochs=1, log_every=1)
    rec = train(cfg, data=load_prepared(prepared_folder)).record
    assert device_path_spy == {"train": 1, "eval": 3}
    assert rec["final"]["steps"] == 2 and rec["hardware"]["device"].startswith("cuda")
    assert rec["final"]["val_top1_error_ten_crop"] is not None
