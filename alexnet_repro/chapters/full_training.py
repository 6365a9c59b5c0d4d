"""One training run read for the reader (the full-training chapter): how far its settings are
from the paper's scale, its settings table, the numbers the prose quotes, its test protocols
table and the comparison with d2l.ai's AlexNet on Fashion-MNIST; and the same run repeated over
seeds: the headline errors as a mean with its t-interval (:func:`headline`), their table, the
paired ten-patch claim (:func:`ten_crop_claim`, judged by :func:`alexnet_repro.analysis.judging.judge`;
the augmentation chapter judges its own with it too) and the sentence that states the
learning-rate rule (:func:`schedule_sentence`).

Everything here reads a :class:`~alexnet_repro.engine.loop.TrainConfig` (before the run) or the run's
record (after it); the paper's numbers come from :mod:`alexnet_repro.quoted.paper`.
"""
from __future__ import annotations

import functools
import html
import inspect
from typing import Mapping

import torch

from alexnet_repro.analysis.features import class_examples, figure4_neighbours
from alexnet_repro.analysis.judging import design_sentence, ten_crop_claim
from alexnet_repro.analysis.setting import setting_text
from alexnet_repro.analysis.verdicts import mean_interval
from alexnet_repro.common.html import html_table
from alexnet_repro.common.provenance import hardware_summary, provenance_of
from alexnet_repro.common.text import duration_words, plural
from alexnet_repro.data.augment import center_crop, scaled_crop_size, subtract_mean
from alexnet_repro.engine.schedule import (
    RELEASED_DROPS,
    RELEASED_EPOCHS,
    parse_schedule,
    released_drop_epochs,
)
from alexnet_repro.nn.model import AlexNet
from alexnet_repro.quoted.paper import PAPER
from alexnet_repro.quoted.reimplementations import REIMPLEMENTATIONS
from alexnet_repro.viz.explorer import ActivationExplorer
from alexnet_repro.viz.results_render import to_html
from alexnet_repro.viz.results_rows import error_from_accuracy_pct, training_rows

PAPER_WIDTH = 1.0
PAPER_INPUT = scaled_crop_size(PAPER["data"]["rescale_to"])   # 224-of-256 patches, 227 by the layer arithmetic
_ALEXNET_DEFAULTS = {k: p.default for k, p in inspect.signature(AlexNet).parameters.items()
                     if p.default is not inspect.Parameter.empty}


def alexnet_knobs(model_kwargs: Mapping) -> dict:
    """AlexNet's keyword arguments as the run built it: its defaults with ``model_kwargs`` on top."""
    return {**_ALEXNET_DEFAULTS, **dict(model_kwargs or {})}


def _crop(config) -> int | None:
    if config.crop_size:
        return config.crop_size
    return scaled_crop_size(config.image_size) if config.image_size else None


def scaled_down(config) -> bool:
    """Whether ``config`` trains something other than the paper's network at the paper's scale:
    a width other than 1, an input other than 227 pixels, or a dataset other than ImageNet."""
    width = alexnet_knobs(config.model_kwargs)["width"]
    return width != PAPER_WIDTH or _crop(config) != PAPER_INPUT or config.dataset != "imagenet"


def scale_warning(config) -> str:
    """The warning banner (HTML) of a scaled-down run: what it trains instead of the paper's run."""
    knobs, crop, e = alexnet_knobs(config.model_kwargs), _crop(config), html.escape
    init, towers = knobs["init"], knobs["towers"]
    limit = "all" if config.limit is None else config.limit
    init_note = (f" instead of the paper's Gaussian weights with standard deviation "
                 f"{PAPER['init']['weight_std']:g} (chosen so that a small network learns within "
                 "minutes; the <code>full</code> profile uses the paper's; try "
                 "<code>-p train.model_kwargs.init=paper</code>)") if init != "paper" else ""
    return ('<div class="admonition warning"><p class="admonition-title">A scaled-down network</p>'
            f"<p><strong>This build does not train the paper's network at the paper's scale.</strong> "
            f"Profile <code>{e(str(config.profile))}</code> trains on <code>{e(config.dataset)}</code> "
            f"({limit} training images), at {crop}×{crop} input instead of {PAPER_INPUT}×{PAPER_INPUT}, "
            f"with every hidden width multiplied by {knobs['width']:g}, initialisation "
            f"<code>{e(str(init))}</code>{init_note}, for {config.epochs} epochs. The layer structure "
            f"(kernel sizes, strides, LRN, overlapping pooling, dropout, {towers} "
            f"tower{'s' if towers != 1 else ''}) is the paper's; the numbers below are those of this "
            "smaller network on this dataset, not ImageNet results. Build with "
            "<code>--profile full</code> on a GPU for the paper-scale run.</p></div>")


def paper_facts() -> dict:
    """The paper's numbers that the full-training chapter quotes, by name (values of ``PAPER``)."""
    t, a, d, aug = PAPER["training"], PAPER["architecture"], PAPER["data"], PAPER["augmentation"]
    return {"paper_crop": aug["crop"], "paper_epochs": t["epochs"], "paper_drops": t["lr_drops"],
            "paper_days": "–".join(str(x) for x in t["days"]), "lr_divisor": t["lr_divisor"],
            "paper_classes": d["ilsvrc_classes"], "paper_conv1": a["conv_kernels"][0],
            "patches": aug["test_patches"], "patch": aug["crop"], "paper_hardware": t["hardware"],
            "paper_params_m": a["parameters"] / 1e6, "paper_train_m": d["ilsvrc_train_images"] / 1e6}


def _pct(v):
    return None if v is None else 100.0 * v


def run_facts(record: Mapping) -> dict:
    """The numbers of a training record that the prose quotes, by name: dataset and its sizes,
    parameters, epochs, steps, wall time (minutes), throughput, hardware, final top-1 errors
    (percent, centre crop and ten patches) and the number of learning-rate drops."""
    final, ds = record["final"], record["dataset"]
    return {"dataset": ds["name"], "train_images": ds["train_images"], "val_images": ds["val_images"],
            "classes": ds["classes"], "stored": ds["image_size"], "crop": ds["crop_size"],
            "params": record["model"]["parameters"], "epochs": final["epochs"], "steps": final["steps"],
            "wall_min": record["wall_time_s"] / 60, "images_per_s": record["images_per_s"],
            "hardware": hardware_summary(record["hardware"]), "top1": _pct(final["val_top1_error"]),
            "top1_ten": _pct(final["val_top1_error_ten_crop"]), "n_drops": len(record["lr_drops"])}


def settings_table(record: Mapping) -> str:
    """HTML table of what a training run was (dataset, model, schedule, speed, provenance)."""
    cfg, final, ds = record["config"], record["final"], record["dataset"]
    knobs = alexnet_knobs(cfg.get("model_kwargs"))
    drops = ", ".join(f"after epoch {d['epoch']} to {d['lr']:g}" for d in record["lr_drops"]) or "none"
    rows = [
        ("dataset", provenance_of(record)["dataset"]),
        ("validation split", ds.get("val_split", "—")),
        ("model", f"AlexNet, width ×{knobs['width']:g}, {plural(knobs['towers'], 'tower')}, init {knobs['init']}, "
                  f"{record['model']['parameters']:,} parameters"),
        ("augmentation", cfg["augment"]),
        ("epochs / steps", f"{final['epochs']} / {final['steps']}"),
        ("learning rate", f"{cfg['lr']:g}, schedule {cfg['schedule']}; drops: {drops}"),
        ("training throughput", f"{record['images_per_s']:.1f} images/s"),
        ("wall time", f"{record['wall_time_s']:.1f} s"),
        ("hardware", hardware_summary(record["hardware"])),
        ("torch / commit", f"{record['torch']} / {(record.get('git_commit') or 'unknown')[:10]}"),
        ("profile", str(record["profile"])),
    ]
    return html_table([{"what": k, "value": v} for k, v in rows], [("what", "setting"), ("value", "value")])


def protocol_table(record: Mapping, name: str) -> str:
    """HTML table of the run's final errors, one row per test protocol (centre crop, ten patches)."""
    return to_html(training_rows({name: record}), [
        ("protocol", "Test protocol"), ("top1_error_pct", "Top-1 error %"), ("top5_error_pct", "Top-5 error %"),
        ("dataset", "Dataset"), ("profile", "Profile")], digits=2)


def d2l_comparison(record: Mapping) -> str:
    """Markdown: the run's centre-crop error next to d2l.ai's AlexNet on Fashion-MNIST and what
    differs; for another dataset, a note that the two are not comparable."""
    d2l, cfg, ds, final = REIMPLEMENTATIONS["d2l"], record["config"], record["dataset"], record["final"]
    if cfg["dataset"] != "fashion-mnist":
        return (f"*The d2l.ai reference ({d2l['dataset']}) is not comparable with a run on "
                f"`{cfg['dataset']}`; it is shown in the results chapter.*")
    knobs = alexnet_knobs(cfg.get("model_kwargs"))
    d2l_err = error_from_accuracy_pct(100 * d2l["test_acc"])
    crop = ds["crop_size"]
    return (f"**Against d2l.ai.** *Dive into Deep Learning* trains an AlexNet on "
            f"{d2l['dataset']} for {d2l['epochs']} epochs (batch {d2l['batch_size']}, lr "
            f"{d2l['lr']:g}) and reports a test accuracy of {d2l['test_acc']:.3f}, i.e. "
            f"{d2l_err:.1f}% error. This run: {_pct(final['val_top1_error']):.2f}% centre-crop error on "
            f"{ds['val_images']} images of the same test set. What differs: this run saw "
            f"{ds['train_images']} training images (d2l: the whole training set) for "
            f"{final['epochs']} epochs at {crop}×{crop}, with widths ×{knobs['width']:g}, the paper's LRN, "
            f"overlapping pooling, {plural(knobs['towers'], 'tower')}, momentum and augmentation; d2l's network "
            f"differs from the paper as follows: {d2l['differences']}.")


# ----------------------------------------------------------------------------- over seeds

#: The headline errors: record key of ``final`` -> (short name, what it is).
HEADLINE = {"val_top1_error": ("top1", "top-1, centre crop"),
            "val_top5_error": ("top5", "top-5, centre crop"),
            "val_top1_error_ten_crop": ("top1_ten", "top-1, ten patches")}


def headline(records, level: float = 0.95) -> dict:
    """``{short name: verdicts.mean_interval of the percent errors over the runs}`` for each
    :data:`HEADLINE` error every record measured (one record per seed)."""
    out = {}
    for key, (short, _) in HEADLINE.items():
        values = [(r.get("final") or {}).get(key) for r in records]
        if values and all(v is not None for v in values):
            out[short] = mean_interval([100.0 * v for v in values], level)
    return out


def _interval_text(m) -> str:
    if m is None:
        return "not measured"
    if m["half_width"] is None:
        return "not available (one seed)"
    return f"{m['lo']:.2f}–{m['hi']:.2f}"


def headline_facts(head: Mapping, seeds) -> dict:
    """What the prose quotes of :func:`headline`, by name: ``n_seeds``, ``seeds``, ``level``
    (percent) and for each error ``<name>`` (mean, percent; NaN when not measured),
    ``<name>_ci`` (the interval as text, or why there is none) and ``<name>_per_seed``."""
    level = next(iter(head.values()))["level"] if head else 0.95
    out = {"n_seeds": len(seeds), "seeds": ", ".join(str(s) for s in seeds), "level": 100 * level}
    for short, _ in HEADLINE.values():
        m = head.get(short)
        out[short] = m["mean"] if m else float("nan")
        out[f"{short}_ci"] = _interval_text(m)
        out[f"{short}_per_seed"] = ", ".join(f"{v:.2f}" for v in m["values"]) if m else "not measured"
    return out


def headline_table(head: Mapping, seeds) -> str:
    """HTML table: one row per headline error, its value for each seed, the mean and the
    t-interval (percent)."""
    rows = []
    for short, what in HEADLINE.values():
        if short in head:
            m = head[short]
            rows.append({"what": what, **{f"s{i}": f"{v:.2f}" for i, v in enumerate(m["values"])},
                         "mean": f"{m['mean']:.2f}", "ci": _interval_text(m)})
    level = next(iter(head.values()))["level"] if head else 0.95
    columns = ([("what", "Error %")] + [(f"s{i}", f"seed {s}") for i, s in enumerate(seeds)]
               + [("mean", "mean"), ("ci", f"{100 * level:g}% t-interval")])
    return html_table(rows, columns)


def schedule_sentence(config) -> str:
    """One sentence (Markdown) that states the run's learning-rate rule with its numbers."""
    name, epochs = parse_schedule(config.schedule)
    div = PAPER["training"]["lr_divisor"]
    if name == "released":
        drops = released_drop_epochs(config.epochs)
        where = ", ".join(str(e) for e in drops) or "none (the run is too short)"
        ending = "s" if len(drops) > 1 else ""
        return (f"The learning rate starts at {config.lr:g} and is divided by {div} after epoch{ending} {where} "
                f"of {config.epochs}, whatever the validation error does: the authors' released "
                f"configuration (layers-145) divided it after epochs "
                f"{', '.join(str(e) for e in RELEASED_DROPS)} of the {RELEASED_EPOCHS} it ran, and this "
                f"run drops it at the same fractions of its length.")
    if name == "plateau":
        return (f"The learning rate starts at {config.lr:g} and is divided by {div} whenever the "
                f"validation error has not improved for {plural(config.plateau_patience, 'epoch')}, at most "
                f"{config.max_lr_drops} times: the paper's rule made automatic.")
    if name == "step":
        return (f"The learning rate starts at {config.lr:g} and is divided by {div} after epochs "
                f"{', '.join(str(e) for e in epochs)}.")
    return f"The learning rate starts at {config.lr:g} and follows the {name} schedule."


# ----------------------------------------------------------------------------- the chapter's cells

#: The layers the trained network's activation explorer offers.
EXPLORER_LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5")


def run_name(config) -> str:
    """The name of the chapter's training record(s): ``full_training_<dataset>`` (``_seed<k>``
    appended per seed when there are several)."""
    return f"full_training_{config.dataset}"


def published_name(config) -> str:
    """The name the chapter's own record is published under (``publish_dir``), so that the
    results chapter counts it once: ``full_training_chapter_<dataset>``."""
    return f"full_training_chapter_{config.dataset}"


def chapter_facts(config, record: Mapping, records, head: Mapping, seeds,
                  chapter_wall_s: float) -> dict:
    """Everything the prose quotes about the runs, by name: the first seed's run's numbers
    (:func:`run_facts` of ``record``), the paper's (:func:`paper_facts`), the headline over seeds
    (:func:`headline_facts`, which replaces the first run's ``top1``/``top1_ten`` by the means),
    the width, the learning-rate rule (:func:`schedule_sentence`), the runs' wall time added up
    and the chapter's own (minutes), the record name (:func:`run_name`), the seeds and the
    first run's learning-rate drops in words (``seeds_text``, ``drops_text``) and
    :func:`top5_note`."""
    facts = run_facts(record)
    return {**facts, **paper_facts(), **headline_facts(head, seeds),
            "width": alexnet_knobs(config.model_kwargs)["width"], "rule": schedule_sentence(config),
            "all_wall_min": sum(r["wall_time_s"] for r in records) / 60,
            "chapter_min": chapter_wall_s / 60, "run_name": run_name(config),
            "seeds_text": plural(len(seeds), "seed"), "drops_text": plural(facts["n_drops"], "time"),
            "top5_note": top5_note(facts["classes"])}


def top5_note(classes: int, paper_classes: int = PAPER["data"]["ilsvrc_classes"]) -> str:
    """What the top-5 error means with ``classes`` classes, against the paper's ``paper_classes``:
    the top-5 error of guessing at random (1 − 5 / classes), or why it is not measured (five
    guesses or more cover every class)."""
    if classes <= 5:
        return (f"The top-5 error is not measured: with {plural(classes, 'class', 'classes')}, five guesses "
                "cover every class.")
    return (f"With {plural(classes, 'class', 'classes')} the top-5 error is a much easier test than with the "
            f"paper's {paper_classes:,}: guessing at random already gives a top-5 error of "
            f"{100 * (1 - 5 / classes):.0f}%, against {100 * (1 - 5 / paper_classes):.1f}% with "
            f"{paper_classes:,} classes.")


def explorer_facts(explorer) -> dict:
    """What the explorer's text says of its buttons: how many images (one per class) it offers."""
    return {"explorer_n": plural(len(explorer.image_names), "validation image")}


def try_it_facts(records, chapter_wall_s: float) -> dict:
    """What the Try-it section quotes, from this build's times: a rebuild that trains as many runs
    as this one (``try_same``: the chapter's wall time) and one that trains a single seed
    (``try_one``: the first run's own wall time, the seeds having trained side by side or in turn)."""
    return {"try_same": duration_words(chapter_wall_s),
            "try_one": duration_words(min(chapter_wall_s, records[0]["wall_time_s"]))}


def ten_patch_claim(config, records) -> dict:
    """The ten-patch claim over the seeds' runs (:func:`~alexnet_repro.analysis.judging.ten_crop_claim`),
    its setting written by :func:`~alexnet_repro.analysis.setting.setting_text` from ``config``
    and the sizes the first run measured."""
    ds = records[0]["dataset"]
    val = (records[0].get("final") or {}).get("val_images", ds["val_images"])
    setting = setting_text(config, train_images=ds["train_images"], seeds=len(records),
                           val_images=val, crop=ds["crop_size"])
    return ten_crop_claim(records, setting=setting)


def ten_patch_facts(claim: Mapping) -> dict:
    """What the prose quotes of the ten-patch claim: its measurement, its outcome and what the
    design could detect (:func:`~alexnet_repro.analysis.judging.design_sentence`)."""
    return {"ten_measured": claim["measured"], "ten_outcome": claim["outcome"],
            "design": design_sentence([claim])}


def trained_explorer(model, data, mean_image: torch.Tensor, crop: int, n_images: int):
    """The activation explorer of the trained network: the first validation image of each of
    ``n_images`` classes (labelled ``"<index>: <class>"``), centre-cropped to ``crop`` and less
    the crop of the training mean image, as the network saw them at test time."""
    mean_crop = center_crop(mean_image[None], crop)[0]
    picked = {f"{i}: {data.classes[data.val[i][1]]}": center_crop(data.val[i][0][None], crop)[0]
              for i in class_examples(data.val, n_images)}
    return ActivationExplorer(model, picked, layers=EXPLORER_LAYERS, top_k=8, input_size=crop,
                              preprocess=functools.partial(torch.sub, other=mean_crop),
                              kernel_layer=None, title="Trained network: strongest feature maps")


def network_view(batch: torch.Tensor, mean_image: torch.Tensor, crop: int) -> torch.Tensor:
    """What the trained network sees of a batch of stored images: less the mean image, then the
    central ``crop``×``crop`` patch."""
    return center_crop(subtract_mean(batch, mean_image), crop)


def figure4(model, data, mean_image: torch.Tensor, crop: int, **options) -> dict:
    """The paper's Figure 4 experiment on the trained run
    (:func:`~alexnet_repro.analysis.features.figure4_neighbours`, ``options``: ``n_queries``,
    ``k``, ``pool``, ``num_workers``), every image seen through :func:`network_view`."""
    view = functools.partial(network_view, mean_image=mean_image, crop=crop)
    return figure4_neighbours(model, data, transform=view, **options)


def figure4_facts(found: Mapping, n_neighbours: int, n_classes: int) -> dict:
    """What the prose quotes of Figure 4: the feature dimension (ours and the paper's fc7
    width), the neighbours per query, the pool searched, and the share of neighbours of their
    query's class against chance (percent)."""
    return {"feature_dim": found["feature_dim"],
            "paper_feature_dim": PAPER["architecture"]["fc_neurons"][1],
            "n_neighbours": n_neighbours, "pool": found["pool"],
            "same_class_pct": 100 * found["same_class"], "chance_pct": 100 / n_classes}


def record_extra(config, seeds, head: Mapping, found: Mapping, *, publish_dir,
                 chapter_wall_s: float) -> dict:
    """What the chapter's record keeps besides its claim: the training record's name, the seeds,
    the headline, where it was published, the chapter's wall time, Figure 4's numbers and
    whether the run was scaled down (:func:`scaled_down`)."""
    return {"training_record": run_name(config), "seeds": list(seeds), "headline": head,
            "published_to": publish_dir, "chapter_wall_s": chapter_wall_s,
            "feature_dim": found["feature_dim"], "neighbour_pool": found["pool"],
            "neighbours_same_class": found["same_class"], "scaled_down": scaled_down(config)}
