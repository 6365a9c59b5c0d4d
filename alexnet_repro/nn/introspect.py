"""Reading a built network: its named layers, the activations of a forward pass (the one
forward-hook helper), output sizes, the layer table (shapes, parameters, multiply-adds, receptive
fields) and the parameter count.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping
from fractions import Fraction

import torch
from torch import nn

from alexnet_repro.nn.layers import Dropout, LocalResponseNorm


def conv_output_size(n: int, kernel: int, stride: int = 1, padding: int = 0) -> Fraction:
    """``(n + 2 padding - kernel) / stride + 1`` as an exact fraction (not rounded).

    A convolution tiles its input exactly when this is an integer; frameworks floor it.
    """
    return Fraction(n + 2 * padding - kernel, stride) + 1


def _pair(v) -> int:
    if isinstance(v, (tuple, list)):
        if len(set(v)) != 1:
            raise ValueError(f"only square kernels/strides are supported, got {v}")
        return int(v[0])
    return int(v)


def _spatial_out(module: nn.Module, h: int) -> int:
    """Output height of ``module`` for input height ``h`` (square maps); ``h`` for other layers."""
    if isinstance(module, nn.Conv2d):
        k, s, p = _pair(module.kernel_size), _pair(module.stride), _pair(module.padding)
        d = _pair(module.dilation)
        return (h + 2 * p - d * (k - 1) - 1) // s + 1
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        k, s, p = _pair(module.kernel_size), _pair(module.stride), _pair(module.padding)
        if h + 2 * p < k:
            return 0
        if module.ceil_mode:
            out = -(-(h + 2 * p - k) // s) + 1
            if (out - 1) * s >= h + p:       # last window must start inside the input
                out -= 1
            return out
        return (h + 2 * p - k) // s + 1
    return h


def named_layers(model: nn.Module) -> "OrderedDict[str, nn.Module]":
    """Leaf modules by their short name ("conv1", "act1", ..., "fc8"), in definition order."""
    out = OrderedDict()
    for full, m in model.named_modules():
        if full and not any(True for _ in m.children()):
            out[full.rsplit(".", 1)[-1]] = m
    return out


@torch.no_grad()
def activations(model: nn.Module, x: torch.Tensor, layers=None, *, inputs: bool = False,
                eval_mode: bool = False) -> "OrderedDict[str, torch.Tensor]":
    """The one forward-hook helper: run ``model(x)`` once, without gradients, and return what
    each layer produced (``inputs=True``: the first input it received), detached, in execution
    order.

    ``layers``: ``None`` = every leaf module by its short name (:func:`named_layers`); a sequence
    of short names (an unknown name raises ``ValueError`` listing the model's layers); or a
    mapping ``{name: module}`` of modules the caller resolved itself. A layer that does not run
    is absent from the result; one that runs more than once in the pass raises ``RuntimeError``
    (its output would be ambiguous). ``eval_mode``: run in evaluation mode and restore the
    model's mode afterwards; otherwise the mode is left as it is.
    """
    if layers is None or not isinstance(layers, Mapping):
        known = named_layers(model)
        if layers is not None:
            missing = [n for n in layers if n not in known]
            if missing:
                raise ValueError(f"no layer(s) {missing} in the model; it has {', '.join(known)}")
            known = OrderedDict((n, known[n]) for n in layers)
        layers = known
    out: "OrderedDict[str, torch.Tensor]" = OrderedDict()

    def keep(name, value):
        if name in out:
            raise RuntimeError(f"layer {name!r} ran more than once in one forward pass; hook a "
                               "layer that runs once (name it explicitly)")
        out[name] = value.detach() if isinstance(value, torch.Tensor) else value

    if inputs:
        handles = [m.register_forward_pre_hook(lambda _m, args, n=n: keep(n, args[0]))
                   for n, m in layers.items()]
    else:
        handles = [m.register_forward_hook(lambda _m, _i, o, n=n: keep(n, o))
                   for n, m in layers.items()]
    was_training = model.training
    try:
        if eval_mode:
            model.eval()
        model(x)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return out


def layer_outputs(model: nn.Module, x: torch.Tensor, names=None) -> "OrderedDict[str, torch.Tensor]":
    """Run ``model`` on ``x`` and return the output of each named layer (all leaves by default),
    in execution order. The model's train/eval mode is left as it is."""
    return activations(model, x, names)


def _kind(m: nn.Module) -> str:
    kinds = [(nn.Conv2d, "conv"), (nn.Linear, "fc"), (nn.ReLU, "relu"), (nn.Tanh, "tanh"),
             (LocalResponseNorm, "lrn"), (nn.MaxPool2d, "maxpool"), (nn.AvgPool2d, "avgpool"),
             (Dropout, "dropout"), (nn.Dropout, "dropout")]
    return next((k for t, k in kinds if isinstance(m, t)), type(m).__name__)


def layer_table(model: nn.Module, input_size: int | None = None) -> list[dict]:
    """One row per layer, computed from ``model`` (shapes from a real forward pass).

    Keys: ``name``, ``kind``, ``kernel``, ``stride``, ``padding``, ``groups``, ``out_shape``
    ((C, H, W) or (features,)), ``params`` (the layer's own), ``macs`` (multiply-adds per image,
    conv and fc only), ``rf`` (receptive field side in input pixels; None for fc layers, which
    see the whole image), ``jump`` (input pixels between neighbouring outputs), ``rf_offset``
    (input coordinate of the first pixel of output unit 0's field; negative = in the padding).
    """
    size = input_size or getattr(model, "input_size", None)
    if size is None:
        raise ValueError("layer_table needs input_size for a model without an input_size attribute")
    channels = getattr(model, "in_channels", 3)
    layers = named_layers(model)
    shapes = {name: tuple(o.shape[1:]) for name, o in
              activations(model, torch.zeros(1, channels, size, size), layers, eval_mode=True).items()}

    rows, rf, jump, offset = [], 1, 1, 0
    for name, out in shapes.items():
        m = layers[name]
        row = dict(name=name, kind=_kind(m), kernel=None, stride=None, padding=None, groups=None,
                   out_shape=out, params=sum(p.numel() for p in m.parameters(recurse=False)), macs=0)
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            k, s, p = _pair(m.kernel_size), _pair(m.stride), _pair(m.padding)
            row.update(kernel=k, stride=s, padding=p)
            if rf is not None:
                offset, rf, jump = offset - p * jump, rf + (k - 1) * jump, jump * s
            if isinstance(m, nn.Conv2d):
                row["groups"] = m.groups
                row["macs"] = math.prod(out) * (m.in_channels // m.groups) * k * k
        elif isinstance(m, nn.Linear):
            row["macs"] = m.in_features * m.out_features
            rf = jump = offset = None
        row.update(rf=rf, jump=jump, rf_offset=offset)
        rows.append(row)
    return rows


def count_parameters(model: nn.Module) -> int:
    """Number of learned parameters (weights and biases)."""
    return sum(p.numel() for p in model.parameters())


def weight_layers_text(model: nn.Module) -> str:
    """The learned layers in one line, e.g. ``"conv1 32×5×5, conv2 32×5×5, conv3 64×5×5,
    fc4 → 10"``: each convolution's output channels and kernel, each linear layer's outputs."""
    parts = []
    for name, m in named_layers(model).items():
        if isinstance(m, nn.Conv2d):
            parts.append(f"{name} {m.out_channels}×{m.kernel_size[0]}×{m.kernel_size[1]}")
        elif isinstance(m, nn.Linear):
            parts.append(f"{name} → {m.out_features}")
    return ", ".join(parts)
