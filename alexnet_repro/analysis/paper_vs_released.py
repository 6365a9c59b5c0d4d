"""The paper's text against the configuration that produced its numbers (the released 2012 source).

:func:`differences` lists every point where ``layers-145.cfg`` / ``layer-params-145.cfg``
(``paper.RELEASED_2012``) differ from the printed paper (``paper.PAPER``), each with both sources
and, where it can be computed, what the difference amounts to (computed here, never typed).
The two networks are ``model.AlexNet(recipe="paper")`` and ``AlexNet(recipe="released-2012")``.
"""
from __future__ import annotations

from alexnet_repro.nn.introspect import count_parameters, named_layers
from alexnet_repro.nn.model import AlexNet
from alexnet_repro.quoted.paper import PAPER
from alexnet_repro.quoted.released_2012 import RELEASED_2012

_NET, _CM, _WM = RELEASED_2012["network"], RELEASED_2012["cross_map_norm"], RELEASED_2012["within_map_norm"]
_CFG = "layers-145.cfg"
_PARAMS = "layer-params-145.cfg"


def _row(aspect, paper, paper_source, released, released_source, computed=""):
    return {"aspect": aspect, "paper": paper, "paper_source": paper_source, "released": released,
            "released_source": released_source, "computed": computed}


def parameter_counts(towers: int = 2) -> dict[str, int]:
    """Parameters of both recipes at full size (the within-map normalization has none)."""
    return {recipe: count_parameters(AlexNet(towers=towers, recipe=recipe))
            for recipe in ("paper", "released-2012")}


def init_stds(recipe: str) -> dict[str, float]:
    """Each learned layer's initial weight standard deviation under ``recipe``, as built."""
    net = AlexNet(towers=2, width=0.25, input_size=67, recipe=recipe)   # small: stds do not depend on width
    return {name: float(m.weight.detach().std()) for name, m in named_layers(net).items() if hasattr(m, "weight")}


def differences() -> list[dict]:
    """Rows ``{aspect, paper, paper_source, released, released_source, computed}``."""
    lrn, init, train = PAPER["lrn"], PAPER["init"], PAPER["training"]
    alpha_released = _CM["scale"] / _CM["size"]
    sched = RELEASED_2012["schedule"]
    drops = ", ".join(f"{e} ({note})" if note != "all layers" else str(e) for e, _, note in sched["steps"])
    counts = parameter_counts()
    conv3_std = _NET["conv"]["conv3"]["init_w"]
    return [
        _row("Order in layer 1", "ReLU, then response normalization", "§3.3, §3.5",
             "conv1 linear → rnorm1 → max-pool with the ReLU", f"{_CFG} [conv1a], [rnorm1a], [pool1a]",
             "normalization sees signed inputs in the released net; trained both ways in the "
             "LRN chapter's second regime"),
        _row("Layer 2 normalization", "one cross-map normalization", "§3.3, §3.5",
             f"cross-map, then within-map over {_WM['size']}×{_WM['size']} (scale {_WM['scale']:g}, "
             f"pow {_WM['pow']:g})", f"{_CFG} [cnorm2a]; {_PARAMS} [cnorm2a]",
             f"per-term coefficient {_WM['scale'] / _WM['size'] ** 2:.2e} (scale / size²); trained with "
             "and without in the LRN chapter's second regime"),
        _row("α of the cross-map normalization", f"α = {lrn['alpha']:g} on the sum of squares", "§3.3",
             f"scale = {_CM['scale']:g} divided by size = {_CM['size']} (layer.py)",
             f"{_PARAMS} [rnorm1a]", f"α per term {alpha_released:.1e}: {lrn['alpha'] / alpha_released:g}× smaller; "
             "trained both ways in the LRN chapter's second regime"),
        _row("Weight init of conv3–conv5", f"N(0, {init['weight_std']:g}²) in every layer", "§5",
             f"N(0, {conv3_std:g}²)", f"{_CFG} [conv3a] … [conv5b] initW",
             f"{conv3_std / init['weight_std']:g}× the paper's standard deviation; not trained here: at the book's "
             f"widths the paper's N(0, {init['weight_std']:g}²) stays at chance within the CPU budget "
             "(the LRN chapter's check)"),
        _row("fc6 and fc7", "4096 units each (2048 per GPU)", "§3.5, Figure 2",
             "two halves of 2048 units per GPU, each reading both GPUs", f"{_CFG} [fc2048a], [fc2048ba]",
             f"same function; parameters {counts['paper']:,} (paper) vs {counts['released-2012']:,} (released)"),
        _row("Learning-rate schedule", f"÷{train['lr_divisor']} when the validation error stops improving, "
             f"{train['lr_drops']} times, about {train['epochs']} epochs", "§5",
             f"{sched['eps_w_initial']:g} → ÷10 at epochs {drops}; killed at {sched['killed_at_epoch']}",
             f"{_PARAMS} notes", f"{len(sched['steps'])} changes, conv1 frozen from epoch "
             f"{next(e for e, lr, note in sched['steps'] if lr == 0.0)}"),
        _row("Bias learning rate", "one learning rate for all parameters", "§5",
             f"epsB = {RELEASED_2012['learning']['eps_b']:g} for every layer but conv1",
             f"{_PARAMS} epsB", f"{RELEASED_2012['learning']['eps_b'] / sched['eps_w_initial']:g}× the initial "
             "weight learning rate"),
        _row("Colour noise (PCA lighting)", f"α ~ N(0, {PAPER['augmentation']['pca_alpha_std']:g}) per image, "
             "every epoch", "§4.1", f"{sched['color_noise']:g}, then the image ÷ (1 + {sched['color_noise']:g}); "
             "switched off at epoch 67", "convdata.py; layer-params notes", ""),
        _row("Crops and flips", "a random patch and reflection per image", "§4.1",
             f"one crop position and one flip per chunk of {RELEASED_2012['data_provider']['crop_chunk']} images",
             "convdata.py", ""),
    ]
