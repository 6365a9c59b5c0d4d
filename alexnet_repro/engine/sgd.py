"""One SGD step of the paper's update rule (§5) on a global batch, and its running counts.

PyTorch's SGD keeps its momentum buffer in gradient units (``v = m v + g + wd w``,
``w -= lr v``); with a constant learning rate this is the paper's update rule exactly.
"""
from __future__ import annotations

import inspect
import math

import torch
import torch.nn.functional as F
from torch import nn

from alexnet_repro.engine.devices import Dist
from alexnet_repro.engine.evaluate import correct_counts


def make_optimizer(params, *, lr: float, momentum: float, weight_decay: float) -> torch.optim.SGD:
    """The engine's optimizer: PyTorch's SGD (the paper's rule, above), ``fused``: the whole
    update in one pass over each parameter, the same arithmetic (on a CPU the step alone took a
    third of the time of one kernel per operation, for the dropout network's parameters;
    PyTorch chooses it by itself for no device). Where this PyTorch has no fused SGD for the
    parameters' device (a CPU before torch 2.4), ``foreach``: one multi-tensor kernel per
    operation."""
    params = list(params)
    kind = "fused" if _fused_sgd_for(params) else "foreach"
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, **{kind: True})


def _fused_sgd_for(params: list) -> bool:
    """Whether this PyTorch has a fused SGD kernel for every parameter's device (its own check
    runs only at the first step, too late to choose)."""
    try:
        from torch.utils._foreach_utils import _get_fused_kernels_supported_devices
        devices = set(_get_fused_kernels_supported_devices())
    except ImportError:
        return False
    return "fused" in inspect.signature(torch.optim.SGD).parameters and all(
        p.device.type in devices and torch.is_floating_point(p) for p in params)


class NonFiniteLoss(FloatingPointError):
    """The loss of a step was NaN or infinite (raised before any update)."""


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, images: torch.Tensor,
               labels: torch.Tensor, *, amp_dtype=None, dist: Dist | None = None,
               stop: bool = False) -> list[float]:
    """One SGD step on this process's part of a global batch.

    Returns ``[loss_sum, images, top1_correct, top5_correct, stop]`` summed over processes.
    The mean loss over the global batch is what is minimised. A NaN/inf loss raises
    ``NonFiniteLoss`` before any update.
    """
    dist = dist or Dist()
    with torch.autocast(device_type=images.device.type, dtype=amp_dtype or torch.bfloat16,
                        enabled=amp_dtype is not None):
        logits = model(images)
    loss_sum = F.cross_entropy(logits.float(), labels, reduction="sum")
    top1, top5 = correct_counts(logits.detach(), labels)
    stats = torch.stack([loss_sum.detach(), torch.tensor(float(len(labels)), device=loss_sum.device),
                         top1, top5, torch.tensor(float(stop), device=loss_sum.device)])
    stats = dist.all_reduce(stats).tolist()
    if not math.isfinite(stats[0]):
        raise NonFiniteLoss(stats[0])
    optimizer.zero_grad(set_to_none=True)
    # DDP averages gradients over processes; scaling by world / n_global makes it the global mean.
    (loss_sum * (dist.world / stats[1])).backward()
    optimizer.step()
    return stats


def error_rate(correct: float, n: float) -> float | None:
    return None if n == 0 else 1.0 - correct / n


def new_counts() -> dict:
    return {"loss": 0.0, "n": 0.0, "c1": 0.0, "c5": 0.0}


def add_counts(acc: dict, stats: list[float]) -> None:
    acc["loss"] += stats[0]
    acc["n"] += stats[1]
    acc["c1"] += stats[2]
    acc["c5"] += stats[3]
