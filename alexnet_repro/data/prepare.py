"""``python -m alexnet_repro prepare {imagenet,imagenette,cifar10} SRC DST``: preprocess a dataset
once, as the paper did (§2), into the shard format of :mod:`alexnet_repro.data.shards`.

Image folders (ImageNet, Imagenette: ``SRC/{train,val}/<class>/*.JPEG``): every image is decoded
with the reference path (``data.load_image``: shorter side to 256, central 256×256 crop, the
same pixels as ``data.FolderImages``), rounded to uint8 and stored as JPEG at ``--quality``
(default 90) in shards of ``--shard-images`` images. The training split's per-pixel mean image,
channel mean and RGB PCA (``augment.eig_pca`` of the pixel covariance) are accumulated in the
same pass from the uint8 pixels before JPEG encoding. Unreadable images are skipped and listed
in ``meta.json``. Each finished shard is committed (data, index, running sums) atomically, so an
interrupted run resumes at the first unfinished shard. The resume state (``progress-<split>.json``)
is plain JSON, the float64 running sums as lists of numbers (which round-trip exactly): nothing in
a prepared folder is unpickled, and a state file that is not such JSON is refused, not loaded.
CIFAR-10 (torchvision's
``cifar-10-batches-py`` pickles) is stored losslessly as uint8 arrays (``kind="raw"``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch
from torchvision.io import encode_jpeg

from alexnet_repro.data.cifar10 import CIFAR10_BATCHES, read_cifar10
from alexnet_repro.data.images import load_image, scan_folder
from alexnet_repro.data.registry import CIFAR10_CLASSES
from alexnet_repro.data.shards import FORMAT, META, STATS, shard_name
from alexnet_repro.data.stats import eig_pca

DATASETS = ("imagenet", "imagenette", "cifar10")
DEFAULT_QUALITY = 90
DEFAULT_SIZE = 256
DEFAULT_SHARD_IMAGES = 4096
CHUNK = 32                     # images per task handed to a worker process


class PrepareError(ValueError):
    """Bad input to ``prepare``; the message says what was wrong and what to do."""


# --------------------------------------------------------------------------- statistics

class Moments:
    """Running sums over uint8 (N, C, S, S) images (float64, on [0, 1]) for the mean image,
    channel mean and pixel covariance; ``merge``-able, saved with each committed shard."""

    def __init__(self, channels: int, size: int):
        self.image = torch.zeros(channels, size, size, dtype=torch.float64)
        self.sum_x = torch.zeros(channels, dtype=torch.float64)
        self.sum_xx = torch.zeros(channels, channels, dtype=torch.float64)
        self.count, self.pixels = 0, 0

    def add(self, images: torch.Tensor) -> None:
        x = images.to(torch.float64) / 255.0
        self.image += x.sum(0)
        flat = x.transpose(0, 1).reshape(x.shape[1], -1)
        self.sum_x += flat.sum(1)
        self.sum_xx += flat @ flat.T
        self.count += x.shape[0]
        self.pixels += flat.shape[1]

    def merge(self, other: "Moments") -> None:
        self.image += other.image
        self.sum_x += other.sum_x
        self.sum_xx += other.sum_xx
        self.count += other.count
        self.pixels += other.pixels

    def state(self) -> dict:
        return dict(self.__dict__)

    def to_json(self) -> dict:
        """Plain lists and ints (float64 values round-trip exactly through JSON's shortest repr)."""
        return {k: v.tolist() if isinstance(v, torch.Tensor) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, d: dict, channels: int, size: int) -> Moments:
        """Inverse of :meth:`to_json`; ``ValueError`` says which entry has the wrong kind or shape."""
        template = cls(channels, size)
        if not isinstance(d, dict) or set(d) != set(template.__dict__):
            raise ValueError(f"running sums must be an object with keys {sorted(template.__dict__)}")
        for key, empty in template.__dict__.items():
            if isinstance(empty, torch.Tensor):
                try:
                    value = torch.tensor(d[key], dtype=torch.float64)
                except (TypeError, ValueError, RuntimeError, OverflowError):
                    value = None
                if value is None or value.shape != empty.shape:
                    raise ValueError(f"running sum {key!r} is not a {tuple(empty.shape)} array of numbers")
            elif type(d[key]) is not int or d[key] < 0:
                raise ValueError(f"count {key!r} is not a non-negative integer")
            else:
                value = d[key]
            setattr(template, key, value)
        return template

    @classmethod
    def from_state(cls, d: dict) -> "Moments":
        m = cls.__new__(cls)
        m.__dict__.update(d)
        return m

    def result(self) -> dict:
        if self.count == 0:
            raise PrepareError("no readable training image: nothing to compute the mean and PCA from")
        mean = self.sum_x / self.pixels
        cov = (self.sum_xx - self.pixels * torch.outer(mean, mean)) / (self.pixels - 1)
        pca = eig_pca(cov)
        return {"mean_image": (self.image / self.count).float(), "channel_mean": mean.float(),
                "eigenvalues": pca.eigenvalues, "eigenvectors": pca.eigenvectors, "images": self.count}


# --------------------------------------------------------------------------- helpers

def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        write(fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _save_json(path: Path, obj) -> None:
    _atomic_write(path, lambda fh: fh.write(json.dumps(obj, indent=1).encode()))


def _encode_chunk(task):
    """Worker: (files, size, quality, with_stats) -> ([(jpeg bytes | None, error | None)], moments state)."""
    files, size, quality, with_stats = task
    out, pixels = [], []
    for path in files:
        try:
            img = (load_image(path, size) * 255.0).round_().to(torch.uint8)
        except Exception as err:  # noqa: BLE001 - any unreadable image is skipped and listed
            out.append((None, f"{type(err).__name__}: {err}"))
            continue
        out.append((encode_jpeg(img, quality=quality).numpy().tobytes(), None))
        pixels.append(img)
    moments = Moments(3, size)
    if with_stats and pixels:
        moments.add(torch.stack(pixels))
    return out, moments.state()


def disk_size(root: Path) -> int:
    return sum(f.stat().st_size for f in Path(root).iterdir() if f.is_file())


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024


# --------------------------------------------------------------------------- resume state

STATE_FORMAT = "alexnet-repro prepare progress, version 1"
_DELETE_HINT = ("delete the progress-*.json and progress-*.pt files in {dst} to prepare its splits again "
                "from their first shard (finished shards are rewritten with the same bytes), or give "
                "`prepare` a new DST. Nothing was loaded or written.")


def _state_path(dst: Path, split: str) -> Path:
    return dst / f"progress-{split}.json"


def _check_state(st, plan: dict, split: str, shards: int, size: int) -> dict:
    """A parsed state file -> the resume state (moments as :class:`Moments`); ``ValueError`` if wrong."""
    if not isinstance(st, dict) or st.get("format") != STATE_FORMAT:
        raise ValueError(f"it does not say format {STATE_FORMAT!r}")
    if st.get("plan") != plan or st.get("split") != split:
        raise ValueError("it was written for other files, settings or split")
    done, images, bad = st.get("done"), st.get("images"), st.get("bad")
    if type(done) is not int or not 0 <= done <= shards:
        raise ValueError(f"'done' is not a shard count between 0 and {shards}")
    if type(images) is not int or images < 0:
        raise ValueError("'images' is not a non-negative integer")
    if not isinstance(bad, list) or not all(
            isinstance(b, dict) and set(b) == {"path", "error"} and all(isinstance(v, str) for v in b.values())
            for b in bad):
        raise ValueError("'bad' is not a list of {path, error} strings")
    moments = Moments.from_json(st.get("moments"), 3, size)
    return {"done": done, "images": images, "bad": bad, "moments": moments}


def _read_state(dst: Path, plan: dict, split: str, shards: int, size: int) -> dict:
    """The split's resume state, fresh when there is none; :class:`PrepareError` for any file that
    is not this version's JSON (an old pickle state is never loaded: unpickling can run code)."""
    old, path = dst / f"progress-{split}.pt", _state_path(dst, split)
    if old.exists():
        raise PrepareError(f"{old} is a resume file in the old pickle format, which `prepare` no longer "
                           "reads (unpickling a file can run code); " + _DELETE_HINT.format(dst=dst))
    if not path.exists():
        return {"done": 0, "images": 0, "bad": [], "moments": Moments(3, size)}
    try:
        raw = path.read_bytes()
        if raw[:1] == b"\x80" or raw[:2] == b"PK":
            raise ValueError("it holds a pickle or a torch.save file, which `prepare` never loads")
        return _check_state(json.loads(raw.decode("utf-8")), plan, split, shards, size)
    except (OSError, ValueError, RecursionError) as err:
        what = str(err) if not isinstance(err, (json.JSONDecodeError, UnicodeDecodeError)) else "it is not JSON"
        raise PrepareError(f"{path} is not a resume file this version of `prepare` can read ({what}); "
                           + _DELETE_HINT.format(dst=dst)) from None


def _write_state(dst: Path, plan: dict, split: str, st: dict) -> None:
    obj = {"format": STATE_FORMAT, "plan": plan, "split": split, "done": st["done"], "images": st["images"],
           "bad": st["bad"], "moments": st["moments"].to_json()}
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    _atomic_write(_state_path(dst, split), lambda fh: fh.write(text.encode()))


# --------------------------------------------------------------------------- image folders

def _plan(src: Path, splits: dict, size: int, quality: int, shard_images: int) -> dict:
    digest = hashlib.sha256()
    for split, (files, labels, _) in splits.items():
        for f, y in zip(files, labels):
            digest.update(f"{split}\0{os.path.relpath(f, src)}\0{y}\n".encode())
    return {"files": digest.hexdigest(), "size": size, "quality": quality, "shard_images": shard_images}


def _n_shards(files: list, shard_images: int) -> int:
    return (len(files) + shard_images - 1) // shard_images


def _prepare_split(dst: Path, plan: dict, split: str, files: list, labels: list, st: dict,
                   workers: int, progress: bool) -> dict:
    """Encode ``split`` from the first unfinished shard of the resume state ``st`` (see :func:`_read_state`)."""
    from tqdm.auto import tqdm
    size, quality, shard_images = plan["size"], plan["quality"], plan["shard_images"]
    shards, with_stats, moments = _n_shards(files, shard_images), split == "train", st["moments"]
    bar = tqdm(total=len(files), initial=min(len(files), st["done"] * shard_images), unit="img",
               desc=f"prepare {split}", disable=not progress)
    # spawn, not fork: a forked child of a process whose torch thread pool is running can hang
    pool = get_context("spawn").Pool(workers, initializer=torch.set_num_threads, initargs=(1,)) if workers > 1 else None
    try:
        for k in range(st["done"], shards):
            lo, hi = k * shard_images, min(len(files), (k + 1) * shard_images)
            tasks = [(files[i:min(hi, i + CHUNK)], size, quality, with_stats) for i in range(lo, hi, CHUNK)]
            results = pool.imap(_encode_chunk, tasks) if pool else map(_encode_chunk, tasks)
            blobs, index, offset = [], [], 0
            for j, ((chunk, mstate), task) in enumerate(zip(results, tasks)):
                start = lo + j * CHUNK
                for path, (blob, err), y in zip(task[0], chunk, labels[start:start + len(chunk)]):
                    if blob is None:
                        st["bad"].append({"path": path, "error": err})
                        continue
                    blobs.append(blob)
                    index.append((offset, len(blob), y))
                    offset += len(blob)
                moments.merge(Moments.from_state(mstate))
                bar.update(len(chunk))
            name = shard_name(split, k)
            _atomic_write(dst / f"{name}.data", lambda fh: [fh.write(b) for b in blobs])
            _atomic_write(dst / f"{name}.index.npy",
                          lambda fh: np.save(fh, np.asarray(index, dtype=np.int64).reshape(-1, 3)))
            st.update(done=k + 1, images=st["images"] + len(blobs))
            _write_state(dst, plan, split, st)
    finally:
        bar.close()
        if pool:
            pool.terminate()
    return {"shards": shards, "images": st["images"], "bad": st["bad"], "moments": moments}


def prepare_folder(dataset: str, src, dst, *, size: int = DEFAULT_SIZE, quality: int = DEFAULT_QUALITY,
                   shard_images: int = DEFAULT_SHARD_IMAGES, workers: int = 1, progress: bool = True) -> dict:
    """Prepare an ImageNet-layout folder (``src/{train,val}/<class>/*``) into ``dst``; returns meta."""
    src, dst = Path(src), Path(dst)
    if dataset == "imagenette" and not (src / "train").is_dir() and (src / "imagenette2-320" / "train").is_dir():
        src = src / "imagenette2-320"
    missing = [str(src / s) for s in ("train", "val") if not (src / s).is_dir()]
    if missing:
        raise PrepareError(f"{dataset}: missing folder(s) {', '.join(missing)}; SRC must hold "
                           "train/<class>/*.JPEG and val/<class>/*.JPEG (val sorted into class folders).")
    if not 1 <= quality <= 100:
        raise PrepareError(f"--quality must be 1..100, got {quality}")
    splits = {s: scan_folder(src / s) for s in ("train", "val")}
    if splits["train"][2] != splits["val"][2]:
        raise PrepareError(f"{dataset}: the class folders of {src / 'val'} differ from {src / 'train'}")
    for s, (files, _, _) in splits.items():
        if not files:
            raise PrepareError(f"{dataset}: no image files under {src / s}/<class>/")
    plan = _plan(src, splits, size, quality, shard_images)
    dst.mkdir(parents=True, exist_ok=True)
    plan_path = dst / "plan.json"
    if plan_path.is_file() and json.loads(plan_path.read_text()) != plan:
        raise PrepareError(f"{dst} holds a partial preparation of other files or settings; choose "
                           "another DST, or delete it to start again.")
    states = {s: _read_state(dst, plan, s, _n_shards(files, shard_images), size)   # all refused before
              for s, (files, _, _) in splits.items()}                                # anything is written
    _save_json(plan_path, plan)
    t0 = time.perf_counter()
    done = {s: _prepare_split(dst, plan, s, files, labels, states[s], workers, progress)
            for s, (files, labels, _) in splits.items()}
    stats = done["train"]["moments"].result()
    _atomic_write(dst / STATS, lambda fh: torch.save(stats, fh))
    wnids = splits["train"][2]
    classes = wnids
    if dataset == "imagenette":
        import torchvision
        names = torchvision.datasets.Imagenette._WNID_TO_CLASS
        classes = [names[w][0] if w in names else w for w in wnids]
    meta = {"format": FORMAT, "kind": "jpeg", "dataset": dataset, "source": str(src), "classes": classes,
            "wnids": wnids, "channels": 3, "image_size": size, "quality": quality,
            "splits": {s: {"images": d["images"], "shards": d["shards"]} for s, d in done.items()},
            "skipped": [b for d in done.values() for b in d["bad"]], "complete": True}
    _save_json(dst / META, meta)
    _report(dst, meta, time.perf_counter() - t0)
    return meta


def _report(dst: Path, meta: dict, seconds: float) -> None:
    counts = ", ".join(f"{s} {d['images']} images" for s, d in meta["splits"].items())
    print(f"prepared {meta['dataset']} in {dst}: {counts}; {_fmt_bytes(disk_size(dst))} on disk "
          f"({seconds:.1f} s this run)")
    if meta["skipped"]:
        print(f"skipped {len(meta['skipped'])} unreadable image(s) (listed in {dst / META}):")
        for b in meta["skipped"][:10]:
            print(f"  {b['path']}: {b['error']}")


# --------------------------------------------------------------------------- cifar-10

def prepare_cifar10(src, dst, progress: bool = True) -> dict:
    """``src/cifar-10-batches-py`` (or that folder) -> raw uint8 arrays + statistics in ``dst``."""
    src, dst = Path(src), Path(dst)
    folder = src / "cifar-10-batches-py" if (src / "cifar-10-batches-py").is_dir() else src
    missing = [n for ns in CIFAR10_BATCHES.values() for n in ns if not (folder / n).is_file()]
    if missing:
        raise PrepareError(f"CIFAR-10 batches {', '.join(missing)} not found in {folder}; SRC must be the "
                           "folder holding cifar-10-batches-py (torchvision's layout).")
    t0 = time.perf_counter()
    dst.mkdir(parents=True, exist_ok=True)
    counts = {}
    try:
        arrays = read_cifar10(folder)
    except ValueError as err:
        raise PrepareError(str(err)) from err
    for split, (images, labels) in arrays.items():
        _atomic_write(dst / f"{split}-images.npy", lambda fh: np.save(fh, images))
        _atomic_write(dst / f"{split}-labels.npy", lambda fh: np.save(fh, labels))
        counts[split] = {"images": len(labels), "shards": 0}
        if split == "train":
            m = Moments(3, 32)
            for chunk in np.array_split(images, 10):
                m.add(torch.from_numpy(chunk))
            _atomic_write(dst / STATS, lambda fh: torch.save(m.result(), fh))
    meta = {"format": FORMAT, "kind": "raw", "dataset": "cifar10", "source": str(folder),
            "classes": list(CIFAR10_CLASSES), "channels": 3, "image_size": 32, "quality": None,
            "splits": counts, "skipped": [], "complete": True}
    _save_json(dst / META, meta)
    _report(dst, meta, time.perf_counter() - t0)
    return meta


# --------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m alexnet_repro prepare", description=__doc__.split("\n")[0])
    p.add_argument("dataset", choices=DATASETS)
    p.add_argument("src", help="the dataset's folder (train/ and val/ class folders; for cifar10 the "
                               "folder holding cifar-10-batches-py)")
    p.add_argument("dst", help="output folder (an interrupted run resumes when given the same DST)")
    p.add_argument("--size", type=int, default=DEFAULT_SIZE, help="stored side (default 256, the paper's)")
    p.add_argument("--quality", type=int, default=DEFAULT_QUALITY, help="JPEG quality (default 90)")
    p.add_argument("--shard-images", type=int, default=DEFAULT_SHARD_IMAGES, help="images per shard file")
    p.add_argument("--workers", type=int, default=min(8, os.cpu_count() or 1), help="decoding processes")
    p.add_argument("--no-progress", action="store_true")
    a = p.parse_args(argv)
    try:
        if a.dataset == "cifar10":
            prepare_cifar10(a.src, a.dst, progress=not a.no_progress)
        else:
            prepare_folder(a.dataset, a.src, a.dst, size=a.size, quality=a.quality,
                           shard_images=a.shard_images, workers=a.workers, progress=not a.no_progress)
    except PrepareError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted; finished shards are kept in {a.dst}: run the same command to resume",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
