"""The one sentence that says in what setting a claim was measured, and the words for a run's
learning rate, input scale and initialization that the chapters' prose uses beside it.

Every judged claim carries a ``setting`` string: the results chapter shows the rows of all the
chapters side by side, so they are written by this one function, in one order: profile, network,
data, training, tuning, seeds.
"""
from __future__ import annotations

from typing import Mapping

from alexnet_repro.common.text import plural
from alexnet_repro.engine.schedule import parse_schedule
from alexnet_repro.quoted.paper import PAPER

MODEL_NAMES = {"alexnet": "AlexNet", "small_cnn": "SmallCNN"}


def network_text(model: str, model_kwargs: Mapping) -> str:
    """``"AlexNet width 0.25, init paper, input scale 255"``: the network and the knobs that
    differ from its defaults (width, recipe, initialisation, input scale, normalization gain)."""
    parts = [MODEL_NAMES.get(model, model)]
    kw = dict(model_kwargs or {})
    if kw.get("width", 1.0) != 1.0:
        parts[0] += f" width {kw['width']:g}"
    if kw.get("recipe") not in (None, "paper", "book"):
        parts.append(f"recipe {kw['recipe']}")
    if kw.get("init") is not None:
        parts.append(f"init {kw['init']}")
    if kw.get("input_scale", 1.0) != 1.0:
        parts.append(f"input scale {kw['input_scale']:g}")
    if kw.get("norm_gain", 1.0) != 1.0:
        parts.append(f"LRN on activities x{kw['norm_gain']:g}")
    return ", ".join(parts)


def setting_text(config, *, train_images: int, seeds: int, val_images: int | None = None,
                 crop: int | None = None, lr: str | None = None, target: str | None = None) -> str:
    """The setting of a claim measured with runs of ``config`` (a ``TrainConfig``): e.g.
    ``"default profile: AlexNet width 0.25, init kaiming; fashion-mnist, 2,000 training / 256
    validation images (drawn per seed) at 59 px; 20 epochs, lr 0.01; 10 seeds"``.

    ``lr`` replaces the plain learning rate when a chapter tuned one per arm (``"lr ReLU 0.03 /
    tanh 0.01"``); ``target`` names a target the claim is read at (``"target 25% training
    error"``)."""
    data = f"{config.dataset}, {plural(train_images, 'training image')}"
    if val_images is not None:
        data = f"{config.dataset}, {train_images:,} training / {plural(val_images, 'validation image')}"
    data += " (drawn per seed)" if config.limit is not None else ""
    if crop is not None:
        data += f" at {crop} px"
    training = [plural(config.epochs, "epoch"), lr if lr is not None else f"lr {config.lr:g}"]
    if target:
        training.append(target)
    return (f"{config.profile or 'default'} profile: {network_text(config.model, config.model_kwargs)}; "
            f"{data}; {', '.join(training)}; {plural(seeds, 'seed')}")


def lr_text(lr: float, schedule: str) -> str:
    """How the prose names a run's learning rate: ``"constant learning rate 0.01"``, or
    ``"learning rate 0.01, divided by 10 after epochs 15"`` for ``"step:15"``, else the rule's name."""
    name, epochs = parse_schedule(schedule)
    if name == "fixed":
        return f"constant learning rate {lr:g}"
    if name == "step":
        return (f"learning rate {lr:g}, divided by 10 after epoch{'s' if len(epochs) > 1 else ''} "
                + ", ".join(map(str, epochs)))
    return f"learning rate {lr:g}, schedule {schedule!r}"


def scale_text(input_scale: float) -> str:
    """How the prose names an input scale: 1 (this library's pixels) and 255 (the paper's)."""
    named = {1.0: "pixels as fractions of full intensity (the scale where the neighbours' term is negligible)",
             255.0: "raw 8-bit pixel values, as the paper's network saw them"}
    return named.get(float(input_scale), f"pixels multiplied by {input_scale:g}")


def init_text(init: str | None) -> str:
    """How the prose names an initialization: ``"kaiming"`` is He-normal weights, ``"paper"`` the
    paper's N(0, 0.01²) weights with its biases; any other name as it is."""
    named = {"kaiming": "He-normal",
             "paper": f"the paper's N(0, {PAPER['init']['weight_std']:g}²) weights and biases"}
    return named.get(init, str(init))
