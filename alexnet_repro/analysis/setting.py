"""The one sentence that says in what setting a claim was measured.

Every judged claim carries a ``setting`` string: the results chapter shows the rows of all the
chapters side by side, so they are written by this one function, in one order: profile, network,
data, training, tuning, seeds.
"""
from __future__ import annotations

from typing import Mapping

from alexnet_repro.common.text import plural

MODEL_NAMES = {"alexnet": "AlexNet", "small_cnn": "SmallCNN"}


def network_text(model: str, model_kwargs: Mapping) -> str:
    """``"AlexNet width 0.25, init paper, input scale 255"``: the network and the knobs that
    differ from its defaults (width, recipe, initialisation, input scale)."""
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
