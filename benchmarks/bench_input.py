"""Images/s of each ImageNet input path, measured in one run and printed as ratios.

* the PIL folder path (``data.FolderImages``: decode a full-size JPEG, shorter side to 256, centre
  crop) against the prepared shards decoded with ``torchvision.io.decode_jpeg``
  (``shards.PreparedImages``), both in one process on one thread: images/s per CPU core;
* how the shard bytes are read: random-order ``numpy.memmap`` reads (the format's) against
  sequential reads of the same JPEGs from a WebDataset-style tar (``tarfile``);
* on CUDA: the GPU path (batched nvJPEG decode + the engine's ``BatchAugment`` on the device)
  against the two-tower model's bf16 + channels_last training images/s (``train.train_step``).

Goals (PASS/FAIL): prepared >= 3x the PIL path per core; on CUDA, input >= 1.2x training.

    python benchmarks/bench_input.py [--images 96] [--device auto] [--json out.json]

The images are generated (ImageNet-like sizes around 500x375 with texture) and prepared in a
temporary folder first; nothing is downloaded.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from alexnet_repro.data.augment import make_batch_augment
from alexnet_repro.data.batches import collate
from alexnet_repro.data.images import FolderImages
from alexnet_repro.data.prepare import prepare_folder
from alexnet_repro.data.shards import (
    BATCHED_CUDA_DECODE,
    PreparedImages,
    make_train_iterator,
)
from alexnet_repro.data.stats import PCA
from alexnet_repro.engine.devices import select_device
from alexnet_repro.engine.sgd import train_step
from alexnet_repro.nn.model import build_model

CPU_GOAL = 3.0    # prepared shards / PIL folder path, images/s per core
GPU_GOAL = 1.2    # GPU input path / two-tower bf16 training images/s


def make_images(root: Path, n: int, classes: int = 4, seed: int = 0, distinct: int | None = None) -> None:
    """``n`` ImageNet-like JPEGs (quality 90, about 500x375, gradients plus texture) in class folders;
    with ``distinct``, only that many are generated and the rest are copies of them (faster)."""
    import shutil

    from PIL import Image
    rng = np.random.default_rng(seed)
    for split, count in (("train", n), ("val", classes)):
        made = []
        for i in range(count):
            folder = root / split / f"n{i % classes:08d}"
            folder.mkdir(parents=True, exist_ok=True)
            if distinct is not None and i >= distinct:
                shutil.copyfile(made[i % distinct], folder / f"{i}.JPEG")
                continue
            made.append(folder / f"{i}.JPEG")
            h, w = (375, 500) if i % 3 else (500, 375)
            y, x = np.mgrid[0:h, 0:w] / 500.0
            f = rng.uniform(1, 6, 3)
            img = np.stack([0.5 + 0.35 * np.sin(2 * np.pi * (f[k] * x + (k + 1) * y)) for k in range(3)], -1)
            img = (img + rng.normal(0, 0.05, img.shape)).clip(0, 1)
            Image.fromarray((img * 255).astype(np.uint8)).save(folder / f"{i}.JPEG", quality=90)


def rate(fn, images: int, repeats: int) -> float:
    """Images/s of ``fn()`` (which handles ``images`` images), best of ``repeats``."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return images / best


def cpu_paths(src: Path, dst: Path, repeats: int) -> dict:
    files = sorted(str(f) for f in (src / "train").rglob("*.JPEG"))
    pil = FolderImages(files, [0] * len(files), 256)
    shards = PreparedImages(dst, "train")
    idx = list(range(len(files)))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        pil_rate = rate(lambda: collate([pil[i] for i in idx]), len(idx), repeats)
        shard_rate = rate(lambda: [shards.get_batch(idx[k:k + 32]) for k in range(0, len(idx), 32)], len(idx), repeats)
    finally:
        torch.set_num_threads(threads)
    # readers: random-order memmap reads vs sequential reads of a tar holding the same JPEGs
    tar_path = dst.parent / "shard.tar"
    with tarfile.open(tar_path, "w") as tar:
        for i in idx:
            blob = shards.jpeg(i).numpy().tobytes()
            info = tarfile.TarInfo(f"{i:08d}.jpg")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    order = np.random.default_rng(0).permutation(len(idx)).tolist()

    def read_tar():
        with tarfile.open(tar_path) as tar:
            return [tar.extractfile(m).read() for m in tar if m.isfile()]

    return {"pil_folder_images_per_s_per_core": pil_rate, "prepared_images_per_s_per_core": shard_rate,
            "ratio_prepared_vs_pil": shard_rate / pil_rate,
            "read_memmap_random_images_per_s": rate(lambda: [shards.jpeg(i) for i in order], len(idx), repeats),
            "read_tar_sequential_images_per_s": rate(read_tar, len(idx), repeats),
            "mean_jpeg_bytes_prepared": float(shards.length.mean()),
            "mean_jpeg_bytes_source": float(np.mean([Path(f).stat().st_size for f in files]))}


def gpu_paths(dst: Path, device: torch.device, batch: int, steps: int) -> dict:
    shards = PreparedImages(dst, "train")
    pca = PCA(torch.tensor([0.02, 0.005, 0.001], dtype=torch.float64), torch.eye(3, dtype=torch.float64))
    aug = make_batch_augment("paper", 256, 227, pca=pca, mean=torch.zeros(3, 256, 256, device=device),
                             generator=torch.Generator().manual_seed(0))
    reps = max(1, batch // len(shards) + 1)
    big = PreparedImages(dst, "train", np.tile(np.arange(len(shards)), reps * steps))   # enough batches

    def input_epoch():
        n = 0
        for x, y in make_train_iterator(big, batch_size=batch, seed=0, epoch=0, device=device):
            aug(x)
            n += len(y)
        torch.cuda.synchronize(device)
        return n
    input_epoch()                               # warm-up (nvJPEG handles, kernels)
    t = time.perf_counter()
    n = input_epoch()
    input_rate = n / (time.perf_counter() - t)
    torch.manual_seed(0)
    model = build_model("alexnet", towers=2).to(device).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    x = torch.rand(batch, 3, 227, 227, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 1000, (batch,), device=device)
    for _ in range(3):
        train_step(model, opt, x, y, amp_dtype=torch.bfloat16)
    torch.cuda.synchronize(device)
    t = time.perf_counter()
    for _ in range(steps):
        train_step(model, opt, x, y, amp_dtype=torch.bfloat16)
    torch.cuda.synchronize(device)
    train_rate = batch * steps / (time.perf_counter() - t)
    return {"gpu_input_images_per_s": input_rate, "two_tower_bf16_train_images_per_s": train_rate,
            "ratio_input_vs_training": input_rate / train_rate, "batched_nvjpeg": BATCHED_CUDA_DECODE,
            "batch_size": batch}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--images", type=int, default=96, help="generated training images (default 96)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="auto")
    p.add_argument("--batch-size", type=int, default=256, help="GPU path batch (default 256)")
    p.add_argument("--steps", type=int, default=20, help="timed GPU training steps")
    p.add_argument("--json", help="write the figures to this JSON file")
    a = p.parse_args(argv)
    device = select_device(a.device)
    print(f"device {device}, torch {torch.__version__}, {a.images} generated images")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "src", Path(tmp) / "prepared"
        make_images(src, a.images)
        prepare_folder("imagenet", src, dst, quality=90, workers=1, progress=False)
        out = {"device": str(device), "torch": torch.__version__, "images": a.images, **cpu_paths(src, dst, a.repeats)}
        if device.type == "cuda":
            out.update(gpu_paths(dst, device, a.batch_size, a.steps))
    ok = out["ratio_prepared_vs_pil"] >= CPU_GOAL
    print(f"\nper CPU core: PIL folder path {out['pil_folder_images_per_s_per_core']:.0f} images/s, prepared "
          f"shards {out['prepared_images_per_s_per_core']:.0f} images/s: ratio {out['ratio_prepared_vs_pil']:.2f} "
          f"(goal >= {CPU_GOAL}) {'PASS' if ok else 'FAIL'}")
    print(f"reading JPEG bytes: memmap, random order {out['read_memmap_random_images_per_s']:.0f} images/s; "
          f"tar, sequential {out['read_tar_sequential_images_per_s']:.0f} images/s")
    out["cpu_goal_pass"] = ok
    if "gpu_input_images_per_s" in out:
        gpu_ok = out["ratio_input_vs_training"] >= GPU_GOAL
        out["gpu_goal_pass"] = gpu_ok
        print(f"GPU: input (nvJPEG decode + augmentation) {out['gpu_input_images_per_s']:.0f} images/s, two-tower "
              f"bf16 training {out['two_tower_bf16_train_images_per_s']:.0f} images/s: ratio "
              f"{out['ratio_input_vs_training']:.2f} (goal >= {GPU_GOAL}) {'PASS' if gpu_ok else 'FAIL'}")
        ok = ok and gpu_ok
    else:
        print("GPU paths skipped: no CUDA device")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
