"""The network of the paper (§3.5, Figure 2), its ablation knobs, the small CNN of Figure 1,
and a layer table computed from a model.

Layers are named as in the paper: ``conv1`` ... ``conv5``, ``fc6`` ... ``fc8``; the layers in
between are ``act<i>`` (ReLU or tanh), ``norm<i>`` (LRN), ``pool<i>`` and ``drop<i>``.
``named_layers(model)`` maps these short names to modules (for hooks).
"""
from __future__ import annotations

import inspect
import math
from collections import OrderedDict

import torch
from torch import nn

from alexnet_repro.nn.introspect import _spatial_out, named_layers
from alexnet_repro.nn.layers import CONVENTIONS as DROPOUT_CONVENTIONS
from alexnet_repro.nn.layers import Dropout, LocalResponseNorm, WithinMapNorm
from alexnet_repro.quoted.paper import PAPER
from alexnet_repro.quoted.released_2012 import RELEASED_2012, RELEASED_CIFAR

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh}
#: "recipe": the recipe's own initialisation; "paper": N(0, 0.01^2) weights and the paper's
#: biases (§5); "released-2012": layers-145.cfg's per-layer standard deviations and biases;
#: "cuda-convnet-18pct": layers-18pct.cfg's; "kaiming": He-normal weights, zero biases.
INITS = ("recipe", "paper", "released-2012", "cuda-convnet-18pct", "kaiming")
#: AlexNet as the paper prints it, or as the authors' released layers-145.cfg ran it.
ALEXNET_RECIPES = ("paper", "released-2012")
SMALL_CNN_RECIPES = ("book", "cuda-convnet-18pct")


def _check_feature_size(features: nn.Sequential, input_size: int, model_name: str) -> int:
    """Spatial size after ``features``; a clear ValueError if a feature map vanishes."""
    def walk(n):
        h = n
        for name, m in features.named_children():
            h = _spatial_out(m, h)
            if h < 1:
                return None, name
        return h, None

    h, where = walk(input_size)
    if h is None:
        smallest = next((n for n in range(1, 4097) if walk(n)[0] is not None), None)
        raise ValueError(
            f"input_size={input_size} is too small for {model_name}: the feature map vanishes at "
            f"layer {where!r}. Use input_size >= {smallest} (the paper's AlexNet uses 227).")
    return h


def _scaled(channels: int, width: float, multiple: int) -> int:
    """``channels * width`` rounded to a positive multiple of ``multiple``."""
    return max(multiple, int(round(channels * width / multiple)) * multiple)


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(map(repr, choices))}")


class AlexNet(nn.Module):
    """AlexNet as in the paper (§3.5, Figure 2), with knobs for its ablations.

    conv1 96x11x11/4, conv2 256x5x5 pad 2, conv3 384x3x3 pad 1, conv4 384x3x3 pad 1,
    conv5 256x3x3 pad 1, fc6 4096, fc7 4096, fc8 ``num_classes``. The activation follows every
    hidden layer; LRN follows the activations of conv1 and conv2; max-pooling follows conv1,
    conv2 and conv5; dropout follows fc6 and fc7 (their outputs, §4.2).

    Args:
        towers: 1 (one column) or 2 (the paper's two-GPU connectivity: conv2, conv4, conv5 are
            grouped convolutions that see only their own tower's maps, LRN normalizes within a
            tower; conv3 and the fc layers see both).
        activation: "relu" (§3.1) or "tanh".
        lrn: local response normalization after conv1 and conv2 (§3.3).
        lrn_alpha: the LRN layers' alpha; ``None`` = the paper's printed 1e-4, used as printed
            (``alpha * sum of a^2``). ``1e-4 / 5`` is the reading of the authors' cuda-convnet
            code and of Caffe, which divide alpha by the window size n.
        norm_gain: every normalization layer computes as if its input were ``norm_gain`` times
            larger and divides its output by ``norm_gain`` again: ``a / (k + alpha * g**2 * sum
            a**2) ** beta``, so the cross-map alpha and the within-map scale are multiplied by
            ``g**2`` and nothing else changes. 1 is the paper's layer. With zero biases and a
            positively homogeneous activation, inputs times ``g`` give every normalization layer
            the same function at initialization, while the rest of the network keeps its scale.
        overlap_pool: pooling z=3, s=2 (§3.4) if True, else z=2, s=2.
        dropout: drop probability in fc6/fc7 (0 turns it off).
        dropout_convention: where dropout's scale goes (``dropout.CONVENTIONS``): "paper" (zero
            with probability p in training, multiply by 1-p at test, §4.2), "inverted"
            (nn.Dropout's rule), or the mixed rules "note" and "unscaled".
        width: multiplier for every hidden width (conv channels and fc6/fc7), for small CPU runs.
        kernel_scale: five multipliers of conv1-conv5's kernel counts on top of ``width`` (None:
            all 1). ``towers=1, kernel_scale=(0.5, 0.5, 0.5, 0.5, 1)`` is §3.2's one-GPU net: half
            the kernels of the two-tower net in each conv layer but conv5 (its footnote).
        remove_conv: "conv3" or "conv4" to leave out that middle layer and its activation (§7's
            depth ablation); the next conv reads the previous one's maps. Other names are kept.
        norm1_before_act, within_map_norm: one part of the released layout on its own (None: the
            recipe's): normalize conv1's linear output and apply the activation after pool1; add
            the within-map normalization ``wnorm2`` after ``norm2`` (both need ``lrn=True``).
        bias_one: True sets biases 1 in the paper's layers (conv2, conv4, conv5, fc6, fc7) and 0
            elsewhere, False sets every bias 0, whatever ``init``; None keeps ``init``'s biases.
        input_size: side of the square input (227 makes conv1 tile it: 55x55 outputs).
        init: "paper" (weights N(0, 0.01^2); biases 1 in conv2, conv4, conv5, fc6, fc7, else 0,
            §5) or "kaiming" (He-normal weights, zero biases; trains faster from scratch).
        input_scale: the input is multiplied by this first. The paper's network saw raw pixel
            values (0-255, less the mean); this library's images are in [0, 1], so 255 gives the
            paper's scale, which its N(0, 0.01^2) initialization and LRN constants assume.
        recipe: "paper" (the network as the paper's text describes it) or "released-2012" (as the
            authors' layers-145.cfg ran it, ``paper.RELEASED_2012``): layer 1 normalizes conv1's
            *linear* output, then pools, then applies the activation (``conv1, norm1, pool1,
            act1``); layer 2 adds a within-map normalization ``wnorm2`` after ``norm2``; the
            cross-map normalization uses alpha = scale / size = 2e-5 per term (k = 2); weights
            N(0, 0.01^2) in conv1, conv2 and the fc layers but N(0, 0.03^2) in conv3-conv5. The
            released fc6/fc7 are two halves of 2048 units that each read both towers: the same
            function and parameter count as one layer of 4096. Every other knob works on both.
    """

    def __init__(self, num_classes: int = 1000, in_channels: int = 3, towers: int = 1,
                 activation: str = "relu", lrn: bool = True, overlap_pool: bool = True,
                 dropout: float = 0.5, width: float = 1.0, input_size: int = 227,
                 init: str = "recipe", dropout_convention: str = "paper", input_scale: float = 1.0,
                 lrn_alpha: float | None = None, norm_gain: float = 1.0, recipe: str = "paper", kernel_scale=None,
                 remove_conv: str | None = None, bias_one: bool | None = None,
                 norm1_before_act: bool | None = None, within_map_norm: bool | None = None):
        super().__init__()
        _check_choice("towers", towers, (1, 2))
        _check_choice("recipe", recipe, ALEXNET_RECIPES)
        _check_choice("activation", activation, tuple(ACTIVATIONS))
        _check_choice("init", init, INITS)
        _check_choice("dropout_convention", dropout_convention, tuple(DROPOUT_CONVENTIONS))
        if not width > 0:
            raise ValueError(f"width must be > 0; got {width!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout!r}")
        if lrn_alpha is not None and not lrn_alpha >= 0:
            raise ValueError(f"lrn_alpha must be >= 0 (or None for the paper's {PAPER['lrn']['alpha']:g}); "
                             f"got {lrn_alpha!r}")
        if not (isinstance(norm_gain, (int, float)) and math.isfinite(norm_gain) and norm_gain > 0):
            raise ValueError(f"norm_gain must be a positive number (1 is the paper's layer); got {norm_gain!r}")
        scale = (1.0,) * 5 if kernel_scale is None else tuple(kernel_scale)
        if len(scale) != 5 or not all(isinstance(x, (int, float)) and x > 0 for x in scale):
            raise ValueError(f"kernel_scale must be five positive numbers (conv1-conv5); got {kernel_scale!r}")
        _check_choice("remove_conv", remove_conv, (None, "conv3", "conv4"))
        init = recipe if init == "recipe" else init
        self.config = dict(num_classes=num_classes, in_channels=in_channels, towers=towers,
                           activation=activation, lrn=lrn, lrn_alpha=lrn_alpha, norm_gain=norm_gain, overlap_pool=overlap_pool,
                           dropout=dropout, width=width, input_size=input_size, init=init,
                           dropout_convention=dropout_convention, input_scale=input_scale,
                           recipe=recipe, kernel_scale=kernel_scale, remove_conv=remove_conv,
                           bias_one=bias_one, norm1_before_act=norm1_before_act,
                           within_map_norm=within_map_norm)
        self.input_size, self.in_channels, self.towers = input_size, in_channels, towers
        self.recipe = recipe
        self.input_scale = float(input_scale)
        arch = PAPER["architecture"]
        c5 = _scaled(arch["conv_kernels"][4], width * scale[4], towers)
        f6, f7 = (_scaled(f, width, 1) for f in arch["fc_neurons"][:2])
        act = ACTIVATIONS[activation]
        released = recipe == "released-2012"
        layout = (released if norm1_before_act is None else bool(norm1_before_act),
                  released if within_map_norm is None else bool(within_map_norm))
        layers = _alexnet_features(in_channels, towers, [width * x for x in scale], act, lrn, lrn_alpha,
                                   overlap_pool, recipe, remove_conv, layout, float(norm_gain))
        self.features = nn.Sequential(OrderedDict(layers))
        side = _check_feature_size(self.features, input_size, "AlexNet")

        def drop():
            return Dropout(dropout, dropout_convention)

        self.classifier = nn.Sequential(OrderedDict([
            ("fc6", nn.Linear(c5 * side * side, f6)), ("act6", act()), ("drop6", drop()),
            ("fc7", nn.Linear(f6, f7)), ("act7", act()), ("drop7", drop()),
            ("fc8", nn.Linear(f7, num_classes)),
        ]))
        _initialise(self, init, activation)
        if bias_one is not None:   # after the weights: the same draws whichever biases are set
            for name, m in named_layers(self).items():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.constant_(m.bias, 1.0 if bias_one and name in PAPER["init"]["bias_one"] else 0.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.in_channels, self.input_size, "AlexNet")
        if self.input_scale != 1.0:
            x = x * self.input_scale
        return self.classifier(torch.flatten(self.features(x), 1))


def _norm_alpha(lrn_alpha: float | None, released: bool) -> float:
    """The cross-map normalization's per-term alpha: as given, else the recipe's (the released
    layer divides its configured scale by the window size, cuda-convnet's layer.py)."""
    if lrn_alpha is not None:
        return float(lrn_alpha)
    cm = RELEASED_2012["cross_map_norm"]
    return cm["scale"] / cm["size"] if released else PAPER["lrn"]["alpha"]


def _alexnet_features(in_channels: int, towers: int, widths, act, lrn: bool, lrn_alpha: float | None,
                      overlap_pool: bool, recipe: str, remove: str | None = None,
                      layout: tuple[bool, bool] = (False, False), gain: float = 1.0) -> list:
    """The named layers of AlexNet's five convolutional stages, in the order they run (conv layer
    ``i`` with ``widths[i]`` of the paper's kernels; without ``remove`` and its activation;
    ``layout``: (normalize conv1 before its activation, add layer 2's within-map normalization);
    ``gain``: the normalizations' ``norm_gain``, their alpha and scale times ``gain**2``).
    Paddings are not printed in the paper: these keep the map sizes of Figure 2."""
    arch, pool, lrn_c = PAPER["architecture"], PAPER["pooling"], PAPER["lrn"]
    c1, c2, c3, c4, c5 = (_scaled(c, w, towers) for c, w in zip(arch["conv_kernels"], widths))
    k1, k2, k3, k4, k5 = arch["conv_kernel_size"]
    pool_z, pool_s = ((pool["z"], pool["s"]) if overlap_pool
                      else (pool["non_overlapping_z"], pool["non_overlapping_s"]))
    g, released = towers, recipe == "released-2012"
    alpha, (before, within) = _norm_alpha(lrn_alpha, released) * gain ** 2, layout

    def norm():
        return LocalResponseNorm(lrn_c["n"], alpha, lrn_c["beta"], lrn_c["k"], groups=g)

    layers = [("conv1", nn.Conv2d(in_channels, c1, k1, stride=arch["conv1_stride"]))]
    if before:  # layers-145: conv1 is linear, rnorm1 normalizes it, pool1 applies the ReLU
        layers += [("norm1", norm())] if lrn else []
        layers += [("pool1", nn.MaxPool2d(pool_z, pool_s)), ("act1", act())]
    else:
        layers += [("act1", act())] + ([("norm1", norm())] if lrn else [])
        layers += [("pool1", nn.MaxPool2d(pool_z, pool_s))]
    layers += [("conv2", nn.Conv2d(c1, c2, k2, padding=k2 // 2, groups=g)), ("act2", act())]
    if lrn:
        layers.append(("norm2", norm()))
        if within:
            wm = RELEASED_2012["within_map_norm"]
            layers.append(("wnorm2", WithinMapNorm(wm["size"], wm["scale"] * gain ** 2, wm["pow"], wm["min_div"])))
    layers.append(("pool2", nn.MaxPool2d(pool_z, pool_s)))
    prev = c2                   # conv3 reads both towers; conv4 and conv5 only their own
    for i, (c, k, groups) in enumerate(((c3, k3, 1), (c4, k4, g), (c5, k5, g)), start=3):
        if f"conv{i}" != remove:
            layers += [(f"conv{i}", nn.Conv2d(prev, c, k, padding=k // 2, groups=groups)), (f"act{i}", act())]
            prev = c
    return layers + [("pool5", nn.MaxPool2d(pool_z, pool_s))]


class SmallCNN(nn.Module):
    """A four-layer CNN for the CIFAR-10 experiment of Figure 1 (ReLU vs tanh).

    The paper does not list this net's layers; this one follows cuda-convnet's CIFAR-10
    ``layers-18pct`` configuration, whose author is the paper's first author: conv1 32x5x5 pad 2,
    max-pool 3/2; conv2 32x5x5 pad 2, avg-pool 3/2; conv3 64x5x5 pad 2, avg-pool 3/2; ``fc4``
    to ``num_classes``. Pools round up (``ceil_mode``) as cuda-convnet does: 32 -> 16 -> 8 -> 4.
    Activation after each conv; no dropout. ``width`` scales the conv channels.

    ``recipe="book"``: optional LRN (the paper's cross-map constants) after pool1 and pool2 when
    ``lrn=True``; ``init`` "paper" gives N(0, 0.01^2) weights and zero biases.
    ``recipe="cuda-convnet-18pct"``: as ``layers-18pct.cfg`` ran it (``paper.RELEASED_CIFAR``):
    the within-map normalization ``norm1``/``norm2`` (size 3, scale 5e-5 / 9 per term) after pool1
    and pool2 unless ``lrn=False``, and its initialisation (conv1 N(0, 1e-4^2), the others
    N(0, 0.01^2), zero biases); the file's net sees raw pixels less the mean (``input_scale=255``).
    """

    def __init__(self, activation: str = "relu", in_channels: int = 3, num_classes: int = 10,
                 width: float = 1.0, lrn: bool | None = None, input_size: int = 32,
                 init: str = "recipe", recipe: str = "book", input_scale: float = 1.0):
        super().__init__()
        _check_choice("activation", activation, tuple(ACTIVATIONS))
        _check_choice("init", init, INITS)
        _check_choice("recipe", recipe, SMALL_CNN_RECIPES)
        if not width > 0:
            raise ValueError(f"width must be > 0; got {width!r}")
        released = recipe == "cuda-convnet-18pct"
        lrn = released if lrn is None else bool(lrn)
        if init == "recipe":
            init = "cuda-convnet-18pct" if released else "paper"
        self.config = dict(activation=activation, in_channels=in_channels,
                           num_classes=num_classes, width=width, lrn=lrn,
                           input_size=input_size, init=init, recipe=recipe, input_scale=input_scale)
        self.input_size, self.in_channels, self.recipe = input_size, in_channels, recipe
        self.input_scale = float(input_scale)
        c1, c2, c3 = (_scaled(c, width, 1) for c in RELEASED_CIFAR["18pct"]["conv_filters"])
        act = ACTIVATIONS[activation]

        def norm():
            if released:
                wm = RELEASED_CIFAR["18pct"]["within_map_norm"]
                return WithinMapNorm(wm["size"], wm["scale"], wm["pow"])
            lrn_c = PAPER["lrn"]
            return LocalResponseNorm(lrn_c["n"], lrn_c["alpha"], lrn_c["beta"], lrn_c["k"])

        layers = [("conv1", nn.Conv2d(in_channels, c1, 5, padding=2)), ("act1", act()),
                  ("pool1", nn.MaxPool2d(3, 2, ceil_mode=True))]
        if lrn:
            layers.append(("norm1", norm()))
        layers += [("conv2", nn.Conv2d(c1, c2, 5, padding=2)), ("act2", act()),
                   ("pool2", nn.AvgPool2d(3, 2, ceil_mode=True))]
        if lrn:
            layers.append(("norm2", norm()))
        layers += [("conv3", nn.Conv2d(c2, c3, 5, padding=2)), ("act3", act()),
                   ("pool3", nn.AvgPool2d(3, 2, ceil_mode=True))]
        self.features = nn.Sequential(OrderedDict(layers))
        side = _check_feature_size(self.features, input_size, "SmallCNN")
        self.classifier = nn.Sequential(OrderedDict([("fc4", nn.Linear(c3 * side * side, num_classes))]))
        _initialise(self, init, activation, bias_one=())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.in_channels, self.input_size, "SmallCNN")
        if self.input_scale != 1.0:
            x = x * self.input_scale
        return self.classifier(torch.flatten(self.features(x), 1))


MODELS = {"alexnet": AlexNet, "small_cnn": SmallCNN}


def build_model(name: str, **kwargs) -> nn.Module:
    """``AlexNet(**kwargs)`` for "alexnet", ``SmallCNN(**kwargs)`` for "small_cnn"."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(map(repr, MODELS))}")
    cls = MODELS[name]
    accepted = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ValueError(f"unknown argument(s) {', '.join(unknown)} for model {name!r}; "
                         f"it accepts {', '.join(accepted)}")
    return cls(**kwargs)


def _check_input(x: torch.Tensor, channels: int, size: int, model_name: str) -> None:
    if x.dim() != 4 or x.shape[1] != channels or x.shape[2] != size or x.shape[3] != size:
        raise ValueError(f"{model_name} was built for inputs (N, {channels}, {size}, {size}); got "
                         f"{tuple(x.shape)}. Resize the images or build the model with "
                         f"in_channels=/input_size= matching them.")


#: Weight standard deviation per layer of each fixed initialisation, and the biases set to 1.
_INIT_STD = {
    "paper": {},  # every layer: PAPER["init"]["weight_std"]
    "released-2012": {**{name: v["init_w"] for name, v in RELEASED_2012["network"]["conv"].items()},
                      **{name: v["init_w"] for name, v in RELEASED_2012["network"]["fc"].items()}},
    "cuda-convnet-18pct": dict(zip(("conv1", "conv2", "conv3", "fc4"), RELEASED_CIFAR["18pct"]["init_w"])),
}


def _initialise(model: nn.Module, init: str, activation: str, bias_one=None) -> None:
    """Fixed Gaussian weights (``_INIT_STD``) with biases 1 in ``bias_one`` (default: the paper's
    conv2, conv4, conv5, fc6, fc7 — the same five in layers-145.cfg) and 0 elsewhere; or He-normal
    weights and zero biases for "kaiming"."""
    if init == "kaiming":
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, nonlinearity=activation)
                nn.init.zeros_(m.bias)
        return
    bias_one = PAPER["init"]["bias_one"] if bias_one is None else bias_one
    stds = _INIT_STD[init]
    for name, m in named_layers(model).items():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, stds.get(name, PAPER["init"]["weight_std"]))
            nn.init.constant_(m.bias, 1.0 if name in bias_one else 0.0)
