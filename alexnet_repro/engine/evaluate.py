"""Evaluation (paper §4.1, §6): top-1 and top-5 error on the centre crop and on ten patches.

``evaluate(model, dataset, ...)`` is the one evaluation of the project (the training loop's
per-epoch validation and final evaluation, and the chapters, use it); ``evaluate_checkpoint``
rebuilds a trained model and its data from a checkpoint and evaluates it.
"""
from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from alexnet_repro.data import shards
from alexnet_repro.data.augment import center_crop, subtract_mean
from alexnet_repro.data.augment import ten_crop as ten_crops
from alexnet_repro.data.batches import check_bad, iter_batches
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.engine.checkpoint import ResumeError, load_checkpoint
from alexnet_repro.engine.devices import Dist, amp_dtype, select_device
from alexnet_repro.nn.model import build_model


def correct_counts(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Number of top-1 and top-5 hits (top-k with k = min(5, classes))."""
    k = min(5, logits.shape[1])
    hit = logits.topk(k, dim=1).indices == labels[:, None]
    return hit[:, 0].sum().float(), hit.any(1).sum().float()


def _autocast(device: torch.device, dtype):
    return torch.autocast(device_type=device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None)


def _forward(model, x, autocast, channels_last):
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with autocast:
        return model(x).float()


def _add_batch(sums, model, x, labels, crop_size, ten_crop, autocast, channels_last):
    """Add one batch's loss and hits (centre crop; ten crops) to ``sums``."""
    logits = _forward(model, center_crop(x, crop_size), autocast, channels_last)
    c1, c5 = correct_counts(logits, labels)
    sums[0] += F.cross_entropy(logits, labels, reduction="sum")
    sums[1] += len(labels)
    sums[2] += c1
    sums[3] += c5
    if ten_crop:
        crops = ten_crops(x, crop_size)                  # (10, N, C, crop, crop)
        b = crops.shape[1]
        out = _forward(model, crops.reshape(10 * b, *crops.shape[2:]), autocast, channels_last)
        prob = out.softmax(1).view(10, b, -1).mean(0)
        c1, c5 = correct_counts(prob, labels)
        sums[4] += F.nll_loss(prob.clamp_min(1e-30).log(), labels, reduction="sum")
        sums[5] += c1
        sums[6] += c5


def _errors(sums: list, ten_crop: bool, num_classes: int | None, bad_count: int) -> dict:
    count = sums[1]
    if count == 0:
        raise RuntimeError("no readable image in the evaluation set")
    top5_ok = num_classes is None or num_classes > 5
    out = {"loss": sums[0] / count, "top1_error": 1 - sums[2] / count,
           "top5_error": (1 - sums[3] / count) if top5_ok else None,
           "images": int(count), "bad_images": bad_count}
    if ten_crop:
        out.update({"loss_ten_crop": sums[4] / count, "top1_error_ten_crop": 1 - sums[5] / count,
                    "top5_error_ten_crop": (1 - sums[6] / count) if top5_ok else None})
    return out


@torch.no_grad()
def evaluate(model: nn.Module, dataset, *, mean: torch.Tensor, crop_size: int, batch_size: int = 128,
             device: torch.device | str = "cpu", ten_crop: bool = False, amp_dtype=None,
             channels_last: bool = False, num_workers: int = 0, on_bad_image: str = "skip",
             num_classes: int | None = None, progress: bool = False, desc: str = "eval",
             dist: Dist | None = None, indices=None) -> dict:
    """Loss and top-1/top-5 error of ``model`` on ``dataset``: centre crop, and (``ten_crop``)
    softmax averaged over the four corner and centre crops and their mirror images.

    Errors are fractions; top-5 is None with fewer than 6 classes (it would be 0 by construction
    with 5 or fewer). Images are mean-subtracted (``mean`` at stored size) before cropping.
    With several processes each evaluates its share and the sums are added up. ``indices``:
    evaluate only those items of ``dataset`` (default: all).
    """
    dist = dist or Dist()
    device = torch.device(device)
    was_training = model.training
    model.eval()
    items = range(len(dataset)) if indices is None else [int(i) for i in indices]
    mine = list(items[dist.rank::dist.world])
    batches = [mine[i:i + batch_size] for i in range(0, len(mine), batch_size)]
    mean = mean.to(device)
    # loss, n, top-1 and top-5 correct; the same for ten crops (MPS has no float64)
    sums = torch.zeros(7, dtype=torch.float32 if device.type == "mps" else torch.float64, device=device)
    seen: set = set()
    bar = tqdm(total=len(batches), desc=desc, disable=not (progress and dist.main), leave=False)
    autocast = _autocast(device, amp_dtype)
    try:
        if shards.device_input(dataset, device):   # batched on the device itself (no DataLoader)
            source = ((images, labels, []) for images, labels in dataset.device_batches(batches, device))
        else:
            source = iter_batches(dataset, batches, num_workers=num_workers, pin_memory=device.type == "cuda",
                                  seed=0)
        for images, labels, bad in source:
            check_bad(bad, on_bad_image, seen)
            bar.update(1)
            if len(labels) == 0:
                continue
            images = images.to(device, non_blocking=True)
            labels = labels.to(device, non_blocking=True)
            _add_batch(sums, model, subtract_mean(images, mean), labels, crop_size, ten_crop, autocast,
                       channels_last)
    finally:
        bar.close()
        model.train(was_training)
    sums = dist.all_reduce(sums).tolist()
    return _errors(sums, ten_crop, num_classes, len(set().union(*dist.gather(seen))))


def evaluate_checkpoint(path: str | os.PathLike, *, device: str = "auto", data_root: str | None = None,
                        batch_size: int | None = None, ten_crop: bool = True,
                        progress: bool = False, data=None) -> dict:
    """Centre-crop (and ten-crop) validation errors of the model in a checkpoint.

    The dataset is rebuilt from the checkpoint's configuration (``data_root`` overrides where
    it is read from; ``data`` gives the ``DataBundle`` directly).
    """
    state = load_checkpoint(path)
    cfg = state["config"]
    dev = select_device(device)
    if data is None:
        data = load_dataset(cfg["dataset"], data_root or cfg["data_root"], limit=cfg["limit"],
                            val_limit=cfg["val_limit"], image_size=cfg["image_size"], seed=cfg["seed"],
                            on_bad_image=cfg["on_bad_image"])
    now, then = ({k: v for k, v in d.items() if k != "source"} for d in (data.describe(), state["dataset"]))
    if now != then:
        raise ResumeError(f"the dataset now loaded differs from the one {state['path']} was trained on:\n"
                          f"  now {now}\n  then {then}")
    model = build_model(cfg["model"], in_channels=state["channels"], num_classes=state["num_classes"],
                        input_size=state["crop_size"], **cfg["model_kwargs"])
    model.load_state_dict(state["model"])
    model.to(dev)
    result = evaluate(model, shards.for_device(data.val, dev), mean=state["stats"]["mean_image"], crop_size=state["crop_size"],
                      batch_size=batch_size or cfg["batch_size"], device=dev, ten_crop=ten_crop,
                      amp_dtype=amp_dtype(cfg["amp"], dev), num_workers=cfg["num_workers"],
                      on_bad_image=cfg["on_bad_image"], num_classes=state["num_classes"], progress=progress)
    return {"checkpoint": state["path"], "epoch": state["epoch"], "steps": state["state"]["global_step"],
            **result}
