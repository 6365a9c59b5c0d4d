"""Probes of trained networks: what a network sees (:func:`model_inputs`), how it does on a
split in evaluation mode (:func:`evaluate_split`), gradient norms per layer
(:func:`layer_grad_norms`), how much an LRN layer normalizes (:func:`lrn_share`) and dropout's
training-mode averages (:func:`train_mode_means`). Layer outputs come from the one forward-hook
helper, :func:`alexnet_repro.nn.model.activations`.
"""
from __future__ import annotations

import copy
from typing import Sequence

import numpy as np
import torch
from torch import nn

from alexnet_repro.common.html import html_table
from alexnet_repro.data.augment import center_crop, scaled_crop_size, subtract_mean
from alexnet_repro.data.batches import collate, iter_batches
from alexnet_repro.engine.evaluate import evaluate
from alexnet_repro.nn.introspect import activations, named_layers
from alexnet_repro.nn.layers import alpha_over_n
from alexnet_repro.nn.model import ACTIVATIONS, AlexNet, build_model

__all__ = ["model_inputs", "evaluate_split", "layer_grad_norms", "lrn_share", "train_mode_means"]


def _train_result(result):
    """The :class:`~alexnet_repro.engine.loop.TrainResult` of a sweep's ``Run`` (or the result itself)."""
    inner = getattr(result, "result", result)
    if inner is None:
        raise ValueError("this run kept no trained model (it diverged, or the sweep ran with "
                         "keep_models=False); run it with keep_models=True to probe it")
    return inner


def model_inputs(result, split: str = "val", n: int | None = None, *, seed: int = 0):
    """``(images, labels)`` as a :class:`~alexnet_repro.engine.loop.TrainResult`'s model sees them in
    evaluation (training mean image subtracted, centre crop): ``n`` images of ``split`` drawn
    with ``seed`` (``None`` = all, in order). ``result`` may also be a sweep's ``Run``."""
    result = _train_result(result)
    ds = getattr(result.data, split)
    idx = np.arange(len(ds)) if n is None or n >= len(ds) else \
        np.sort(np.random.default_rng(seed).choice(len(ds), size=n, replace=False))
    images, labels, _ = next(iter_batches(ds, [idx.tolist()]))
    x = center_crop(subtract_mean(images, result.mean_image), result.record["dataset"]["crop_size"])
    device = next(result.model.parameters()).device
    return x.to(device), torch.as_tensor(labels).to(device)


def evaluate_split(result, split: str = "train", *, model=None, batch_size: int = 256) -> dict:
    """Loss and errors of a :class:`~alexnet_repro.engine.loop.TrainResult`'s model on ``split``
    ("train" or "val") of its data, in evaluation mode: dropout at its test rule, no
    augmentation, centre crop, the training set's mean image subtracted, as the engine evaluates.

    The overfitting gap is ``val error - evaluate_split(result, "train") error``: the training
    error the engine logs is measured in training mode (dropout on) while the weights move, so it
    is not comparable with the validation error. ``model`` replaces ``result.model`` (e.g. a copy
    with another dropout convention). Returns :func:`alexnet_repro.engine.loop.evaluate`'s dict.
    ``result`` may also be a sweep's ``Run``.
    """
    result = _train_result(result)
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', got {split!r}")
    data = result.data
    net = result.model if model is None else model
    device = next(net.parameters()).device
    return evaluate(net, getattr(data, split), mean=result.mean_image,
                    crop_size=result.record["dataset"]["crop_size"], batch_size=batch_size,
                    device=device, num_classes=len(data.classes))


def layer_grad_norms(model, images, labels, layers: Sequence[str] | None = None) -> dict[str, float]:
    """L2 norm of the cross-entropy loss's gradient with respect to each layer's weight, for one
    batch (``{layer name: norm}``, conv and fc layers in order). The model's ``.grad`` fields
    are restored afterwards; its train/eval mode is left as it is."""


    named = [(n, m) for n, m in named_layers(model).items()
             if isinstance(m, (nn.Conv2d, nn.Linear)) and (layers is None or n in layers)]
    weights = [m.weight for _, m in named]
    loss = nn.functional.cross_entropy(model(images), labels)
    grads = torch.autograd.grad(loss, weights)
    return {n: float(g.norm()) for (n, _), g in zip(named, grads)}


def lrn_share(layer, x):
    """How much a local-response-normalization ``layer`` (``layers.LocalResponseNorm`` or
    ``torch.nn.LocalResponseNorm``) actually normalizes activations ``x`` (N, C, H, W): at every
    unit with ``x != 0``, the neighbours' term of the denominator relative to ``k``,
    ``(denominator - k) / k`` with ``denominator = (x / layer(x)) ** (1 / beta)``, i.e.
    ``alpha * sum(a_j^2) / k`` for the paper's formula (``alpha / n * sum`` for PyTorch's).
    Returns a 1-D float64 tensor (one value per non-zero unit). Near 0: the layer is the
    constant division by ``k ** beta``."""


    x = x.detach().double()
    with torch.no_grad():
        out = copy.deepcopy(layer).double()(x)
    nz = x != 0
    denominator = (x[nz] / out[nz]) ** (1.0 / layer.beta)
    return (denominator - layer.k) / layer.k


@torch.no_grad()
def train_mode_means(model: nn.Module, x: torch.Tensor, names, samples: int,
                     seed: int = 0) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """For each layer in ``names`` (short names, e.g. ``"fc7"``): the mean of its output over
    ``samples`` training-mode passes of ``x`` (fresh dropout masks each pass, float64 sums) and
    its evaluation-mode output. The global RNG is left as it was; the model's mode is restored.
    ``{name: (train_mean, eval_output)}``."""
    was_training = model.training
    try:
        model.eval()
        ev = activations(model, x, names)
        sums = {n: torch.zeros_like(v, dtype=torch.float64) for n, v in ev.items()}
        model.train()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for _ in range(samples):
                for n, v in activations(model, x, names).items():
                    sums[n] += v.double()
    finally:
        model.train(was_training)
    return {n: (sums[n] / samples, ev[n]) for n in ev}


# ----------------------------------------------------------------------------- saturation (§3.1)

__all__ += ["unit_derivative_curves", "mean_unit_derivative", "random_batch", "initial_model",
            "unit_derivative_table"]

def unit_derivative_curves(names: Sequence[str] = ("relu", "tanh"), lo: float = -4.0,
                           hi: float = 4.0, n: int = 801):
    """Each unit of ``names`` (keys of ``model.ACTIVATIONS``) and its derivative by autograd at
    ``n`` evenly spaced inputs from ``lo`` to ``hi``: ``(xs, {name: f'(xs)})`` as numpy arrays."""
    x = torch.linspace(lo, hi, n, requires_grad=True)
    derivs = {}
    for name in names:
        (g,) = torch.autograd.grad(ACTIVATIONS[name]()(x).sum(), x)
        derivs[name] = g.detach().numpy()
    return x.detach().numpy(), derivs


def mean_unit_derivative(models, x: torch.Tensor, activation: str,
                         layers: Sequence[str] = ("act1", "act2", "act3")) -> dict[str, float]:
    """How much gradient each activation layer passes on, on the images ``x``, in evaluation
    mode: for ``"relu"`` the share of active units (derivative 1, the rest 0), for ``"tanh"`` the
    mean derivative ``1 - tanh(z)^2`` over units and images. ``models``: one network or a list
    (e.g. the seeds of a sweep; the per-model values are then averaged). ``{layer: value}``."""
    if activation not in ("relu", "tanh"):
        raise ValueError(f"activation must be 'relu' or 'tanh', got {activation!r}")
    per_model = []
    for model in (models if isinstance(models, (list, tuple)) else [models]):
        outs = activations(model, x.to(next(model.parameters()).device), layers, eval_mode=True)
        per_model.append({k: float((o > 0).float().mean() if activation == "relu" else (1 - o ** 2).mean())
                          for k, o in outs.items()})
    if len(per_model) == 1:
        return per_model[0]
    return {k: float(np.mean([d[k] for d in per_model])) for k in per_model[0]}


def random_batch(dataset, n: int, *, mean_image: torch.Tensor | None = None, seed: int = 0):
    """``(images, labels)``: ``n`` items of ``dataset`` drawn without replacement by
    ``torch.randperm`` with a generator seeded ``seed``, in the drawn order, the training mean
    image subtracted when given (what the engine feeds a network, uncropped)."""
    idx = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))[:n]
    images, labels, _ = collate([dataset[int(i)] for i in idx])
    return subtract_mean(images, mean_image), labels


def initial_model(config, data, seed: int = 0) -> nn.Module:
    """The network ``config`` (a TrainConfig) describes, built for ``data`` as the engine builds
    it (its channels and classes, ``config.crop_size`` or the scaled crop as input size) and
    initialised after ``torch.manual_seed(seed)``: the weights a run with that seed starts from.
    The global RNG is left as it was."""
    crop = config.crop_size or scaled_crop_size(data.image_size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build_model(config.model, in_channels=data.channels, num_classes=len(data.classes),
                           input_size=crop, **config.model_kwargs)


def unit_derivative_table(at_init: dict, trained: dict | None = None) -> str:
    """HTML table of :func:`mean_unit_derivative` per layer for ``"relu"`` and ``"tanh"``
    (``{activation: {layer: value}}``): ReLU as % active, tanh's mean derivative; with
    ``trained``, the values at initialisation and after training side by side."""
    rows = [{"layer": k, "relu_init": f"{100 * at_init['relu'][k]:.0f}%",
             "tanh_init": f"{at_init['tanh'][k]:.3f}"} for k in at_init["relu"]]
    if trained is None:
        return html_table(rows, [("layer", "layer"), ("relu_init", "ReLU: units active (derivative 1)"),
                                 ("tanh_init", "tanh: mean derivative")])
    for row in rows:
        row.update(relu_trained=f"{100 * trained['relu'][row['layer']]:.0f}%",
                   tanh_trained=f"{trained['tanh'][row['layer']]:.3f}")
    return html_table(rows, [("layer", "layer"), ("relu_init", "ReLU active, init"),
                             ("relu_trained", "ReLU active, trained"),
                             ("tanh_init", "tanh mean derivative, init"),
                             ("tanh_trained", "tanh mean derivative, trained")])


def parameter_share(model: nn.Module, layers: Sequence[str]) -> float:
    """Percentage of ``model``'s parameters held by the named layers (short names, e.g.
    ``("fc6", "fc7")``). Works on a model built on the ``meta`` device (shapes only)."""
    named = named_layers(model)
    unknown = [n for n in layers if n not in named]
    if unknown:
        raise ValueError(f"no layer {unknown} in the model; its layers are {', '.join(named)}")
    part = sum(t.numel() for n in layers for t in named[n].parameters())
    return 100 * part / sum(t.numel() for t in model.parameters())


def output_shape(model: nn.Module, name: str, input_size: int | None = None) -> tuple[int, ...]:
    """The shape of layer ``name``'s output for one image ((C, H, W) or (features,)), from a
    forward pass of zeros of the model's ``input_size`` (or the given one), in evaluation mode."""
    size = input_size or getattr(model, "input_size", None)
    if size is None:
        raise ValueError("output_shape needs input_size for a model without an input_size attribute")
    param = next(model.parameters())
    x = torch.zeros(1, getattr(model, "in_channels", 3), size, size, device=param.device, dtype=param.dtype)
    return tuple(activations(model, x, [name], eval_mode=True)[name].shape[1:])


# ----------------------------------------------------------------------------- LRN (§3.3)

def first_layer_responses(image01: torch.Tensor, input_scales, *, seed: int = 0,
                          init: str = "paper") -> dict:
    """The ReLU responses of conv1 of an untrained AlexNet (``init``, weights drawn with
    ``seed``; the global RNG is left as it was) to one image ``image01`` ((C, S, S) in [0, 1])
    less its mean colour, multiplied by each of ``input_scales`` (255: raw 8-bit pixel values,
    as the paper's network saw them; 1: this library's scale). ``{scale: float64 (1, C', H', W')}``."""
    side = image01.shape[-1]
    centred = image01 - image01.mean(dim=(1, 2), keepdim=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = AlexNet(in_channels=image01.shape[0], input_size=side, init=init)
    conv1 = named_layers(net)["conv1"]
    with torch.no_grad():
        return {s: torch.relu(conv1(s * centred[None])).double() for s in input_scales}


def lrn_damping(layer, a: torch.Tensor) -> dict:
    """What the LRN ``layer`` does to activations ``a`` (1, C, H, W) beyond its constant
    division by ``k ** beta``. Returns (float64 tensors) the output ``b``; the damping ``damp``
    (``b / a * k ** beta`` where ``a > 0``, else 1: 1 = only the constant); ``chan``, the map
    with the largest mean; ``col_a`` and ``col_b`` (times ``k ** beta``), all maps at the
    position of the largest total response; and ``damp_median``/``damp_min`` over ``a > 0``."""
    a = a.detach().double()
    with torch.no_grad():
        b = copy.deepcopy(layer).double()(a)
    kb = layer.k ** layer.beta
    damp = torch.where(a > 0, b / a * kb, torch.ones_like(a))
    total = a[0].sum(0)
    y, x = torch.nonzero(total == total.max())[0]
    return {"b": b, "damp": damp, "chan": int(a.mean(dim=(0, 2, 3)).argmax()),
            "col_a": a[0, :, y, x], "col_b": b[0, :, y, x] * kb,
            "damp_median": torch.median(damp[a > 0]).item(), "damp_min": damp[a > 0].min().item()}


def damping_vs_gain(layers: dict, x: torch.Tensor, gains, quantiles=(0.05, 0.5, 0.95)) -> dict:
    """How much each LRN layer of ``layers`` (``{label: layer}``) damps ``x`` beyond ``k^-beta``
    as ``x`` is multiplied by a gain ``g``: the neighbours' term grows with ``g**2``, so a unit
    whose :func:`lrn_share` is ``s`` at gain 1 is damped by ``(1 + g**2 s) ** -beta``.
    ``{label: array (len(gains), len(quantiles))}`` at the ``quantiles`` of ``s`` (the damping
    falls as ``s`` grows: the first column is the least damped)."""
    qs = torch.tensor(quantiles, dtype=torch.float64)
    g2 = np.asarray(gains, dtype=float) ** 2
    return {label: (1.0 + np.outer(g2, lrn_share(layer, x).quantile(qs).numpy())) ** -layer.beta
            for label, layer in layers.items()}


#: The columns of :func:`compare_lrn`'s rows after ``gain`` and ``layer``.
LRN_COMPARISON = ("median share", "median output / printed", "largest |output - printed| / max(printed)")


def compare_lrn(layers: dict, printed, x: torch.Tensor, gains=(1.0,)) -> dict:
    """LRN implementations ``layers`` (``{label: layer}``) side by side on activations ``x``
    times each of ``gains``, in float64, against the layer as printed in the paper (``printed``).
    ``{(gain, label): row}`` (a table's rows, in order of gains then layers), each row with
    ``gain``, ``layer`` (the label) and the :data:`LRN_COMPARISON` columns: the median
    :func:`lrn_share`, the median ratio of its outputs to the printed layer's (units with
    ``x > 0``) and the largest absolute difference from the printed layer's outputs relative to
    their largest value."""
    rows = {}
    for g in gains:
        act = g * x.detach().double()
        with torch.no_grad():
            ref = copy.deepcopy(printed).double()(act)
            outs = {label: copy.deepcopy(layer).double()(act) for label, layer in layers.items()}
        nz = act > 0
        for label, out in outs.items():
            share, ratio, largest = LRN_COMPARISON
            rows[g, label] = {"gain": g, "layer": label, share: lrn_share(layers[label], act).median().item(),
                              ratio: (out[nz] / ref[nz]).median().item(),
                              largest: ((out - ref).abs().max() / ref.abs().max()).item()}
    return rows


def _lrn_readings_one(result, images: int, norms) -> dict:
    x, _ = model_inputs(result, "val", images)
    layers = named_layers(result.model)
    inputs = activations(result.model, x, list(norms), inputs=True, eval_mode=True)
    out = {"share": {}, "share_over_n": {}, "reading_diff": 0.0}
    for name in norms:
        layer, act = layers[name], inputs[name].double()
        alt = alpha_over_n(layer)
        out["share"][name] = lrn_share(layer, act).median().item()
        out["share_over_n"][name] = lrn_share(alt, act).median().item()
        with torch.no_grad():
            b1, b2 = copy.deepcopy(layer).double()(act), alt.double()(act)
        nz = b1 != 0
        out["reading_diff"] = max(out["reading_diff"], (b2[nz] / b1[nz] - 1).abs().max().item())
    twin = copy.deepcopy(result.model)
    for name in norms:
        named_layers(twin)[name].alpha = layers[name].alpha / layers[name].size
    out["swap_top1_points"] = 100 * (evaluate_split(result, "val", model=twin)["top1_error"]
                                     - result.record["final"]["val_top1_error"])
    return out


def lrn_readings(runs, images: int, norms=("norm1", "norm2")) -> dict:
    """The LRN layers ``norms`` inside trained networks (``runs``: a sweep's Runs, or
    TrainResults), probed on ``images`` validation images (:func:`model_inputs`) in evaluation
    mode: per run, each layer's median :func:`lrn_share` under its own alpha (``share``) and
    under the ``alpha / n`` reading (``share_over_n``, :func:`~alexnet_repro.nn.layers.alpha_over_n`),
    the largest relative difference between the two readings' outputs over the layers
    (``reading_diff``), and how far the validation top-1 error moves, in points, when the
    ``alpha / n`` reading is swapped into a copy of the network with the same weights
    (``swap_top1_points``). ``{"share": {norm: [per run]}, "share_over_n": {...},
    "reading_diff": [per run], "swap_top1_points": [per run]}``."""
    per_run = [_lrn_readings_one(_train_result(r), images, norms) for r in runs]
    return {"share": {n: [p["share"][n] for p in per_run] for n in norms},
            "share_over_n": {n: [p["share_over_n"][n] for p in per_run] for n in norms},
            "reading_diff": [p["reading_diff"] for p in per_run],
            "swap_top1_points": [p["swap_top1_points"] for p in per_run]}


__all__ += ["first_layer_responses", "lrn_damping", "damping_vs_gain", "LRN_COMPARISON",
            "compare_lrn", "lrn_readings"]


def gain_equivalence(result, images: int, norms=("norm1", "norm2")) -> dict:
    """What a normalization gain (``AlexNet(norm_gain=g)``, the run's) does, against inputs
    multiplied by ``g`` instead: both networks built afresh with the same initial weights (zero
    biases, the run's initialisation seeded 0), in float64 and evaluation mode, on ``images``
    validation images of ``result`` (:func:`model_inputs`). ``gain``; per LRN layer the median
    :func:`lrn_share` of each (``share_gain``, ``share_inputs``); ``max_rel_diff``, the largest
    difference between the layers' outputs (the scaled-input network's divided by ``g``)
    relative to their largest value; ``logit_ratio``, the scaled-input network's output standard
    deviation over the gain's (about ``g``: everything after the layers is ``g`` times larger)."""
    result = _train_result(result)
    kw = dict(result.model.config)
    gain = float(kw.get("norm_gain", 1.0))
    x, _ = model_inputs(result, "val", images)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        with_gain = AlexNet(**kw).double().eval()
    scaled = AlexNet(**{**kw, "norm_gain": 1.0, "input_scale": kw.get("input_scale", 1.0) * gain}).double().eval()
    scaled.load_state_dict(with_gain.state_dict())
    x = x.double().cpu()
    seen = {net: activations(net, x, list(norms), inputs=True) for net in (with_gain, scaled)}
    out, diff = {"gain": gain, "share_gain": {}, "share_inputs": {}}, 0.0
    for n in norms:
        mine, theirs = named_layers(with_gain)[n], named_layers(scaled)[n]
        out["share_gain"][n] = lrn_share(mine, seen[with_gain][n]).median().item()
        out["share_inputs"][n] = lrn_share(theirs, seen[scaled][n]).median().item()
        with torch.no_grad():
            b, b_scaled = mine(seen[with_gain][n]), theirs(seen[scaled][n])
        diff = max(diff, ((b_scaled / gain - b).abs().max() / b.abs().max()).item())
    with torch.no_grad():
        out["logit_ratio"] = (scaled(x).std() / with_gain(x).std()).item()
    return {**out, "max_rel_diff": diff}


__all__ += ["gain_equivalence"]
