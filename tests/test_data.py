"""Tests of alexnet_repro.data.registry against independent references (torchvision's IDX reader,
numpy bilinear interpolation, hand-made image folders)."""
from __future__ import annotations

import gzip
import os
import pickle
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from alexnet_repro.data import batches as data_batches
from alexnet_repro.data import registry as data
from alexnet_repro.data.batches import balanced_subset, collate
from alexnet_repro.data.fashion_mnist import read_idx
from alexnet_repro.data.images import BadImage, BadImageError
from alexnet_repro.data.registry import DatasetNotFound, load_dataset

FMNIST = data.FASHION_MNIST_DEBIAN
needs_fmnist = pytest.mark.skipif(
    not (FMNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"Fashion-MNIST IDX files not in {FMNIST} (apt-get install dataset-fashion-mnist)")


# ------------------------------------------------------------------ fashion-mnist

@needs_fmnist
def test_fashion_mnist_matches_torchvision_reader(tmp_path):
    from torchvision.datasets.mnist import read_image_file, read_label_file
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        with gzip.open(FMNIST / f"{stem}.gz") as src, open(raw / stem, "wb") as dst:
            shutil.copyfileobj(src, dst)
    ref_images = read_image_file(str(raw / "t10k-images-idx3-ubyte"))
    ref_labels = read_label_file(str(raw / "t10k-labels-idx1-ubyte"))

    bundle = load_dataset("fashion-mnist")
    assert bundle.channels == 1 and bundle.image_size == 28 and len(bundle.classes) == 10
    assert len(bundle.train) == 60000 and len(bundle.val) == 10000
    assert "t10k" in bundle.describe()["val_split"]
    # the official splits have exactly 6000 / 1000 images per class
    assert np.bincount(bundle.train.labels.numpy()).tolist() == [6000] * 10
    assert torch.equal(bundle.val.labels, ref_labels.long())
    for i in (0, 1234, 9999):
        img, label = bundle.val[i]
        assert img.shape == (1, 28, 28) and img.dtype == torch.float32
        assert label == int(ref_labels[i])
        assert torch.allclose(img[0], ref_images[i].float() / 255.0, atol=1e-7)


@needs_fmnist
def test_fashion_mnist_torchvision_root_layout(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for f in FMNIST.glob("*-ubyte.gz"):
        with gzip.open(f) as src, open(raw / f.name[:-3], "wb") as dst:
            shutil.copyfileobj(src, dst)
    a = load_dataset("fashion-mnist", root=tmp_path, limit=50, val_limit=20)
    b = load_dataset("fashion-mnist", limit=50, val_limit=20)
    assert a.source == str(raw)
    assert torch.equal(a.train.images, b.train.images) and torch.equal(a.val.labels, b.val.labels)


@needs_fmnist
def test_seeded_subset_is_deterministic_and_balanced():
    a = load_dataset("fashion-mnist", limit=1003, val_limit=200, seed=3)
    b = load_dataset("fashion-mnist", limit=1003, val_limit=200, seed=3)
    c = load_dataset("fashion-mnist", limit=1003, val_limit=200, seed=4)
    assert len(a.train) == 1003 and len(a.val) == 200
    assert torch.equal(a.train.images, b.train.images) and torch.equal(a.val.images, b.val.images)
    assert not torch.equal(a.train.images, c.train.images)
    counts = np.bincount(a.train.labels.numpy(), minlength=10)
    assert counts.sum() == 1003 and counts.max() - counts.min() <= 1
    assert np.bincount(a.val.labels.numpy()).tolist() == [20] * 10


def _bilinear_numpy(img: np.ndarray, size: int) -> np.ndarray:
    """Separable bilinear interpolation with half-pixel centres, edges clamped (upsampling)."""
    h, w = img.shape
    ys = np.clip((np.arange(size) + 0.5) * h / size - 0.5, 0, h - 1)
    xs = np.clip((np.arange(size) + 0.5) * w / size - 0.5, 0, w - 1)
    rows = np.stack([np.interp(xs, np.arange(w), r) for r in img])
    return np.stack([np.interp(ys, np.arange(h), c) for c in rows.T]).T


@needs_fmnist
def test_image_size_resizes_bilinearly(monkeypatch):
    native = load_dataset("fashion-mnist", limit=10, val_limit=10)
    big = load_dataset("fashion-mnist", limit=10, val_limit=10, image_size=56)
    assert big.image_size == 56 and big.train[0][0].shape == (1, 56, 56)
    for i in range(3):
        ref = _bilinear_numpy(native.train[i][0][0].double().numpy(), 56)
        np.testing.assert_allclose(big.train[i][0][0].numpy(), ref, atol=0.5 / 255 + 1e-6)
    # above the memory budget the images stay native and are resized per item/batch
    monkeypatch.setattr(data_batches, "EAGER_RESIZE_BYTES", 0)
    lazy = load_dataset("fashion-mnist", limit=10, val_limit=10, image_size=56)
    assert lazy.train.images.shape[-1] == 28
    for i in range(3):
        ref = _bilinear_numpy(native.train[i][0][0].double().numpy(), 56)
        np.testing.assert_allclose(lazy.train[i][0][0].numpy(), ref, atol=1e-5)
    xb, yb = lazy.train.get_batch([0, 1, 2])
    assert xb.shape == (3, 1, 56, 56) and yb.tolist() == lazy.train.labels[:3].tolist()


def test_missing_fashion_mnist_names_path_and_fix(tmp_path):
    with pytest.raises(DatasetNotFound) as err:
        load_dataset("fashion-mnist", root=tmp_path / "nowhere")
    msg = str(err.value)
    assert str(tmp_path / "nowhere") in msg
    assert "apt-get install dataset-fashion-mnist" in msg and "download=True" in msg


def test_corrupt_idx_file_is_named(tmp_path):
    bad = tmp_path / "x-idx3-ubyte"
    bad.write_bytes(b"\x00\x00\x08\x03" + (5).to_bytes(4, "big") + (2).to_bytes(4, "big") * 2 + b"\x01" * 7)
    with pytest.raises(ValueError, match="truncated or corrupt") as err:
        read_idx(bad)
    assert str(bad) in str(err.value)


def test_idx_file_kept_in_memory_is_read_again_when_the_file_changes(tmp_path):
    path = tmp_path / "x-idx1-ubyte"

    def write(values):
        path.write_bytes(b"\x00\x00\x08\x01" + len(values).to_bytes(4, "big") + bytes(values))

    write([1, 2, 3])
    assert read_idx(path).tolist() == [1, 2, 3]
    assert read_idx(path) is read_idx(path)        # kept: the same array, not read again
    write([7, 8, 9, 10])
    assert read_idx(path).tolist() == [7, 8, 9, 10]
    with pytest.raises(ValueError):                 # kept arrays cannot be changed by a caller
        read_idx(path)[0] = 0


def test_missing_cifar10_names_path_and_fix(tmp_path):
    with pytest.raises(DatasetNotFound) as err:
        load_dataset("cifar10", root=tmp_path)
    assert str(tmp_path / "cifar-10-batches-py") in str(err.value) and "download=True" in str(err.value)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="Did you mean 'fashion-mnist'"):
        load_dataset("fashion_mnist")
    with pytest.raises(ValueError, match="on_bad_image"):
        load_dataset("synthetic", on_bad_image="ignore")
    with pytest.raises(ValueError, match="synthetic"):
        load_dataset("fashion-mnist", channels=3)


# ------------------------------------------------------------------ subsets and collate

def test_balanced_subset_with_a_short_class():
    labels = np.array([0] * 100 + [1] * 100 + [2] * 5)
    keep = balanced_subset(labels, 60, seed=0)
    counts = np.bincount(labels[keep])
    assert counts.tolist() == [28, 27, 5] or counts.tolist() == [27, 28, 5]
    assert len(set(keep.tolist())) == 60 and np.all(np.diff(keep) > 0)
    assert np.array_equal(balanced_subset(labels, 60, seed=0), keep)
    assert len(balanced_subset(labels, None)) == len(labels)


def test_collate_drops_bad_images():
    good = (torch.zeros(3, 4, 4), 2)
    bad = BadImage("/x/broken.jpg", "OSError: truncated")
    images, labels, dropped = collate([good, bad, good])
    assert images.shape == (2, 3, 4, 4) and labels.tolist() == [2, 2] and dropped == [bad]
    images, labels, dropped = collate([bad])
    assert images.shape[0] == 0 and labels.shape[0] == 0 and len(dropped) == 1


# ------------------------------------------------------------------ synthetic

def test_synthetic_is_deterministic_and_sized():
    a = load_dataset("synthetic", limit=40, val_limit=20, image_size=20, channels=1, num_classes=4, seed=7)
    b = load_dataset("synthetic", limit=40, val_limit=20, image_size=20, channels=1, num_classes=4, seed=7)
    c = load_dataset("synthetic", limit=40, val_limit=20, image_size=20, channels=1, num_classes=4, seed=8)
    assert (a.channels, a.image_size, len(a.classes), len(a.train), len(a.val)) == (1, 20, 4, 40, 20)
    x, y = a.train[5]
    assert x.shape == (1, 20, 20) and 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert torch.equal(x, b.train[5][0]) and y == b.train[5][1]
    assert not torch.equal(x, c.train[5][0])
    assert not torch.equal(a.train[5][0], a.val[5][0])
    assert np.bincount(a.train.labels.numpy()).tolist() == [10] * 4
    with pytest.raises(IndexError):
        a.train[40]


def test_synthetic_is_learnable():
    """A linear classifier on Fourier magnitudes beats chance (10%) by far on held-out images."""
    bundle = load_dataset("synthetic", limit=600, val_limit=200, image_size=16, seed=0)

    def features(ds):
        x, y = ds.get_batch(range(len(ds)))
        f = torch.fft.rfft2(x - x.mean((2, 3), keepdim=True)).abs().flatten(1)
        return f / f.norm(dim=1, keepdim=True), y

    xtr, ytr = features(bundle.train)
    xva, yva = features(bundle.val)
    torch.manual_seed(0)
    clf = torch.nn.Linear(xtr.shape[1], 10)
    opt = torch.optim.Adam(clf.parameters(), lr=0.05)
    for _ in range(200):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(clf(xtr), ytr).backward()
        opt.step()
    accuracy = (clf(xva).argmax(1) == yva).float().mean().item()
    assert accuracy > 0.6


# ------------------------------------------------------------------ image folders

def _striped(width: int, height: int) -> Image.Image:
    """Blue | red | green vertical bands: quarter, half, quarter of the width."""
    a = np.zeros((height, width, 3), np.uint8)
    a[:, : width // 4] = (0, 0, 255)
    a[:, width // 4: 3 * width // 4] = (255, 0, 0)
    a[:, 3 * width // 4:] = (0, 255, 0)
    return Image.fromarray(a)


def _make_folder(root, corrupt: bool = True):
    for split in ("train", "val"):
        for k, wnid in enumerate(("n01", "n02")):
            d = root / split / wnid
            d.mkdir(parents=True)
            for j in range(3):
                _striped(128, 64).save(d / f"img{j}.JPEG", quality=95)
    broken = root / "train" / "n02" / "broken.JPEG"
    if corrupt:
        buf = (root / "train" / "n02" / "img0.JPEG").read_bytes()
        broken.write_bytes(buf[: len(buf) // 3])   # truncated JPEG
    (root / "train" / "n01" / "notes.txt").write_text("not an image")
    return broken


def test_folder_dataset_preprocesses_and_counts_bad_images(tmp_path):
    broken = _make_folder(tmp_path)
    bundle = load_dataset("imagenet", root=tmp_path, image_size=32)
    assert bundle.classes == ["n01", "n02"] and bundle.channels == 3 and bundle.image_size == 32
    assert len(bundle.train) == 7 and len(bundle.val) == 6
    items = [bundle.train[i] for i in range(len(bundle.train))]
    bad = [it for it in items if isinstance(it, BadImage)]
    assert len(bad) == 1 and bad[0].path == str(broken) and bad[0].error
    img, label = next(it for it in items if not isinstance(it, BadImage))
    # 128×64 -> shorter side 32 -> 64×32 -> central 32×32 = the red middle band
    assert img.shape == (3, 32, 32)
    interior = img[:, :, 2:-2]
    assert interior[0].min() > 0.9 and interior[1:].max() < 0.1
    images, labels, dropped = collate(items)
    assert images.shape == (6, 3, 32, 32) and labels.tolist() == [0, 0, 0, 1, 1, 1] and len(dropped) == 1


def test_folder_dataset_fail_mode_names_the_file(tmp_path):
    broken = _make_folder(tmp_path)
    bundle = load_dataset("imagenet", root=tmp_path, image_size=32, on_bad_image="fail")
    index = bundle.train.files.index(str(broken))
    with pytest.raises(BadImageError) as err:
        bundle.train[index]
    assert str(broken) in str(err.value) and "on_bad_image='skip'" in str(err.value)


def test_folder_dataset_subset_is_balanced(tmp_path):
    _make_folder(tmp_path, corrupt=False)
    bundle = load_dataset("imagenet", root=tmp_path, limit=4, val_limit=2, image_size=16)
    assert np.bincount(bundle.train.labels.numpy()).tolist() == [2, 2]
    assert np.bincount(bundle.val.labels.numpy()).tolist() == [1, 1]


def test_missing_imagenet_names_layout(tmp_path):
    with pytest.raises(DatasetNotFound) as err:
        load_dataset("imagenet", root=tmp_path / "ilsvrc")
    msg = str(err.value)
    assert str(tmp_path / "ilsvrc" / "train") in msg and "image-net.org" in msg
    with pytest.raises(DatasetNotFound, match="root="):
        load_dataset("imagenet")
    with pytest.raises(DatasetNotFound) as err:
        load_dataset("imagenette", root=tmp_path)
    assert str(tmp_path / "imagenette2-320") in str(err.value) and "download=True" in str(err.value)


# ------------------------------------------------------------------ registry and batches

def test_a_registered_dataset_is_loadable_and_listed(monkeypatch):
    def load_tiny(root, *, limit, val_limit, image_size, seed, download, on_bad_image):
        images = torch.arange(4 * 8 * 8, dtype=torch.uint8).reshape(4, 1, 8, 8)
        split = data_batches.TensorImages(images, torch.tensor([0, 1, 0, 1]), image_size)
        return data_batches.DataBundle("tiny", split, split, ["a", "b"], 1, split.size, "test", {})

    monkeypatch.setitem(data.REGISTRY, "tiny", data.DatasetEntry(load_tiny, "four 8-px test images", 8))
    bundle = load_dataset("tiny", image_size=8)
    assert len(bundle.train) == 4 and bundle.classes == ["a", "b"]
    assert "tiny: four 8-px test images" in data.describe_datasets()
    with pytest.raises(ValueError, match=r"Did you mean 'tiny'\?.*\n.*fashion-mnist: "):
        load_dataset("tinyy")


def test_iter_batches_matches_item_by_item_reading():
    bundle = load_dataset("synthetic", limit=10, val_limit=2, image_size=8, seed=1)
    batches = [[3, 1, 4], [0, 9], [5]]
    got = list(data_batches.iter_batches(bundle.train, batches))
    for (x, y, bad), idx in zip(got, batches):
        assert torch.equal(x, torch.stack([bundle.train[i][0] for i in idx]))
        assert y.tolist() == [bundle.train[i][1] for i in idx] and bad == []
    # a dataset without get_batch goes through collate; bad items are returned, not stacked
    items = [(torch.full((1, 2, 2), float(i)), i) for i in range(4)] + [BadImage("/x.jpg", "broken")]
    (x, y, bad), = data_batches.iter_batches(items, [[4, 2, 0]])
    assert y.tolist() == [2, 0] and x[:, 0, 0, 0].tolist() == [2.0, 0.0] and bad[0].path == "/x.jpg"
    workers = list(data_batches.iter_batches(bundle.train, batches, num_workers=1))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(got, workers))


def test_fingerprint_changes_with_the_images_not_with_the_folder(tmp_path):
    a = load_dataset("synthetic", limit=10, val_limit=2, image_size=8, seed=1)
    assert a.fingerprint() == load_dataset("synthetic", limit=10, val_limit=2, image_size=8, seed=1).fingerprint()
    assert a.fingerprint() != load_dataset("synthetic", limit=10, val_limit=2, image_size=8, seed=2).fingerprint()
    imgs = torch.zeros(3, 1, 4, 4, dtype=torch.uint8)
    one = data_batches.TensorImages(imgs, torch.tensor([0, 1, 2]))
    imgs2 = imgs.clone()
    imgs2[1, 0, 2, 2] = 1
    assert one.fingerprint() != data_batches.TensorImages(imgs2, torch.tensor([0, 1, 2])).fingerprint()


# --------------------------------------------------------------------------- cifar-10 batches

@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_cifar10_reads_generated_batches_in_torchvision_layout(tmp_path, protocol):
    from fakedata import CIFAR10_LABEL_NAMES, make_cifar10_batches
    written = make_cifar10_batches(tmp_path, per_batch=7, test_images=5, seed=3, protocol=protocol)
    b = load_dataset("cifar10", root=tmp_path)
    assert len(b.train) == 35 and len(b.val) == 5 and b.classes == CIFAR10_LABEL_NAMES
    assert b.train.images.dtype == torch.uint8 and tuple(b.train.images.shape) == (35, 3, 32, 32)
    raw = np.concatenate([written[f"data_batch_{i}"][0] for i in range(1, 6)])
    labels = sum((written[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    # independent reading: row k holds the R, G, B planes, each 32 rows of 32 bytes
    k, c, y, x = 11, 2, 5, 30
    assert b.train.images[k, c, y, x] == raw[k, c * 1024 + y * 32 + x]
    assert np.array_equal(b.train.images.numpy(), raw.reshape(-1, 3, 32, 32))
    assert b.train.labels.tolist() == labels and b.val.labels.tolist() == written["test_batch"][1]


def test_cifar10_agrees_with_torchvision_reading(tmp_path, monkeypatch):
    torchvision = pytest.importorskip("torchvision")
    from fakedata import make_cifar10_batches
    make_cifar10_batches(tmp_path, per_batch=4, test_images=6, seed=1)
    # torchvision refuses files whose md5 differs from the real ones; here it reads ours anyway
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *a, **k: True)
    tv = torchvision.datasets.CIFAR10(str(tmp_path), train=False, download=False)
    ours = load_dataset("cifar10", root=tmp_path)
    assert np.array_equal(ours.val.images.permute(0, 2, 3, 1).numpy(), tv.data)
    assert ours.val.labels.tolist() == list(tv.targets)


def test_cifar10_batch_that_would_run_code_is_refused(tmp_path):
    from fakedata import make_cifar10_batches
    make_cifar10_batches(tmp_path, per_batch=2, test_images=2)
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    with open(tmp_path / "cifar-10-batches-py" / "data_batch_3", "wb") as fh:
        pickle.dump({"data": Evil(), "labels": [0]}, fh)
    with pytest.raises(ValueError, match="data_batch_3") as err:
        load_dataset("cifar10", root=tmp_path)
    assert "re-download" in str(err.value) and not marker.exists()


def test_cifar10_missing_batch_is_named(tmp_path):
    from fakedata import make_cifar10_batches
    make_cifar10_batches(tmp_path, per_batch=2, test_images=2)
    (tmp_path / "cifar-10-batches-py" / "test_batch").unlink()
    with pytest.raises(DatasetNotFound, match="missing test_batch") as err:
        load_dataset("cifar10", root=tmp_path)
    assert "download=True" in str(err.value)
