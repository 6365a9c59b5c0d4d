"""The training_details chapter's experiment: the paper's network and five variants that each
undo one of its choices, the per-seed paired effects of the five claims they test, and the
judged claim rows.

* :func:`variants` -- the paper's choices (two towers, five conv layers, weight decay 0.0005,
  biases 1 in conv2, conv4, conv5, fc6, fc7, PCA lighting) and one variant per claim
  (``sweeps.run_seeds`` variants);
* :func:`early_error` -- a run's training error early in training (trailing mean of the logged
  training errors ending at a step fixed in advance);
* :func:`paired_effects` -- per-seed paired differences in points of error, oriented so that
  positive means the paper's choice helps (seed ``i`` of every arm shares its drawn subset and
  data order, and its initial weights wherever the shapes agree);
* :func:`claims` -- ``two_gpu``, ``depth``, ``weight_decay_train``, ``bias_init`` and
  ``pca_color`` judged by :func:`alexnet_repro.analysis.judging.judge` (metrics fixed in
  ``paper.CLAIM_TESTS``).

What the notebook calls, in its order: :func:`intro_glue` (the claims as quoted), :func:`train_variants`
(the six networks, every seed), :func:`setting_glue` (what the prose says of the setting and the
networks), :func:`figure_title` and :func:`summary_table` (the curves and the table),
:func:`judged_claims` (the claim rows, their setting from
:func:`alexnet_repro.analysis.setting.setting_text`), :func:`claims_glue` (what the prose says of
them) and :func:`chapter_record` (what the chapter saves).
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from alexnet_repro.analysis import judging, run_metrics, sweeps, verdicts
from alexnet_repro.analysis.preregistration import (CLAIM_TESTS, COLOUR_MIN_SHARE, chance_error_pct,
                                                    learned_below_pct)
from alexnet_repro.analysis.setting import setting_text
from alexnet_repro.common.text import duration_words, plural
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.data.stats import colour_share
from alexnet_repro.engine.loop import engine_stats
from alexnet_repro.nn.introspect import count_parameters, weight_layers_text
from alexnet_repro.quoted.paper import PAPER

__all__ = ["PAPER_NET", "ONE_TOWER", "NO_WD", "BIAS_ZERO", "BIAS_ONE", "NO_LIGHTING", "HALF_KERNELS", "CLAIM_KEYS",
           "without", "variants", "early_error", "metrics", "paired_effects", "claims", "paper_regime", "PAPER_START",
           "bias_runs", "bias_test", "bias_regime", "regime_text", "regime_sentence", "bias_note",
           "bias_sentence", "intro_glue", "train_variants", "bias_texts", "grey_note", "setting_glue", "figure_title",
           "summary_table", "judged_claims", "claims_glue", "chapter_record", "try_it_facts"]

PAPER_NET = "paper's choices"
ONE_TOWER = "one tower, half the kernels"
NO_WD = "weight decay 0"
BIAS_ZERO = "biases 0"
BIAS_ONE = "biases 1 (the paper's)"
NO_LIGHTING = "no PCA lighting"
#: conv1-conv5 kernel counts of §3.2's one-GPU net against the two-GPU net (footnote: conv5 kept).
HALF_KERNELS = (0.5, 0.5, 0.5, 0.5, 1.0)
#: The judged claims, in the chapter's order.
CLAIM_KEYS = ("two_gpu", "depth", "weight_decay_train", "bias_init", "pca_color")


def without(layer: str) -> str:
    """The name of the variant without conv layer ``layer``."""
    return f"without {layer}"


def variants(removed_layer: str = "conv4", base_bias_one: bool = True) -> dict[str, dict[str, Any]]:
    """The six networks the chapter trains (``sweeps.run_seeds`` variants): the paper's choices
    (``towers=2``, ``augment="paper"``, weight decay ``PAPER["training"]``'s, biases
    ``bias_one=base_bias_one``) and five copies that change one thing each: one tower with
    :data:`HALF_KERNELS`, without ``removed_layer`` ("conv3" or "conv4"), weight decay 0, the
    other biases (:data:`BIAS_ZERO` every bias 0, or :data:`BIAS_ONE` the paper's 1s when the
    base has zeros), and random crops and flips without PCA lighting (``augment="crop_flip"``)."""
    if removed_layer not in ("conv3", "conv4"):
        raise ValueError(f"removed_layer must be 'conv3' or 'conv4' (a middle layer, §7); got {removed_layer!r}")
    paper = {"augment": "paper", "weight_decay": PAPER["training"]["weight_decay"],
             "model_kwargs": {"towers": 2, "bias_one": bool(base_bias_one)}}

    def change(**fields):
        kw = {**paper["model_kwargs"], **fields.pop("model_kwargs", {})}
        return {**paper, **fields, "model_kwargs": kw}

    return {PAPER_NET: change(),
            ONE_TOWER: change(model_kwargs={"towers": 1, "kernel_scale": HALF_KERNELS}),
            without(removed_layer): change(model_kwargs={"remove_conv": removed_layer}),
            NO_WD: change(weight_decay=0.0),
            BIAS_ZERO if base_bias_one else BIAS_ONE: change(model_kwargs={"bias_one": not base_bias_one}),
            NO_LIGHTING: change(augment="crop_flip")}


def early_error(run: Mapping, step: int, window: int) -> float:
    """The training top-1 error (a fraction; on the batches as trained, dropout on) early in
    training: the error over the images of the last ``window`` logged entries up to and including
    ``step`` (each entry covers the steps since the previous one; weighted by its ``images``). A
    missing or non-finite error (a diverged run) counts as 1. ``step`` must be a logged step,
    with ``window`` logged entries ending there."""
    logged = sorted((r for r in run["steps"] if "train_top1_error" in r), key=lambda r: int(r["step"]))
    if step not in {int(r["step"]) for r in logged}:
        raise ValueError(f"step {step} is not a logged step of this run (logged: "
                         f"{[int(r['step']) for r in logged][:8]}...); make it a multiple of log_every "
                         "within the run")
    upto = [r for r in logged if int(r["step"]) <= step]
    if len(upto) < window:
        raise ValueError(f"only {len(upto)} logged entries up to step {step}, fewer than window={window}")
    def err(r):
        e = r["train_top1_error"]
        return float(e) if e is not None and math.isfinite(float(e)) else 1.0
    n = [float(r.get("images", 1)) for r in upto[-window:]]
    return sum(w * err(r) for w, r in zip(n, upto[-window:])) / sum(n)


def metrics(step: int, window: int) -> dict[str, Callable[[Mapping], float]]:
    """Per-run numbers (percent) of the chapter's summary table, labels as its columns: final
    validation top-1 error, final training top-1 error in evaluation mode (needs
    ``run_seeds(..., eval_train_split=True)``) and :func:`early_error` at ``step``."""
    return {"validation top-1 error, %": lambda r: 100 * run_metrics.final_value(r, "val_top1_error"),
            "training top-1 error (evaluation mode), %":
                lambda r: 100 * run_metrics.final_value(r, "train_eval.top1_error"),
            f"training error at step {step} (as trained), %": lambda r: 100 * early_error(r, step, window)}


def paired_effects(runs: Mapping[str, Sequence], *, removed_layer: str, step: int,
                   window: int) -> dict[str, list[float]]:
    """Per-seed paired differences in points of error, keyed by claim (each the variant without
    the paper's choice minus the paper's network, so positive means the choice helps):
    ``two_gpu`` and ``depth`` and ``pca_color`` on the final validation top-1 error,
    ``weight_decay_train`` on the final training top-1 error in evaluation mode, ``bias_init``
    on :func:`early_error` at ``step`` (biases 0 minus biases 1, whichever arm is the base)."""
    val, fit, early = metrics(step, window).values()
    which = {"two_gpu": (ONE_TOWER, val), "depth": (without(removed_layer), val),
             "weight_decay_train": (NO_WD, fit), "pca_color": (NO_LIGHTING, val)}
    out = {key: run_metrics.paired(runs, other, PAPER_NET, fn) for key, (other, fn) in which.items()}
    zero, one = (PAPER_NET, BIAS_ONE) if BIAS_ONE in runs else (BIAS_ZERO, PAPER_NET)
    out["bias_init"] = run_metrics.paired(runs, zero, one, early)
    return {key: out[key] for key in CLAIM_KEYS}


def claims(effects: Mapping[str, Sequence[float]], *, dataset: str, setting: str,
           values: Mapping[str, Mapping[str, Any]] | None = None,
           colour: Mapping[str, Any] | None = None, bias: Mapping[str, Any] | None = None) -> list[dict]:
    """The chapter's judged claim rows (:func:`alexnet_repro.analysis.judging.judge`), one per key of
    :data:`CLAIM_KEYS` on ``effects[key]`` (points); ``values[key]`` goes into that row.
    ``colour`` (:func:`colour_test` of the training data): where PCA lighting cannot act on
    colour, ``pca_color`` is "not testable on this dataset"; ``bias`` (:func:`bias_test` of the
    runs under the paper's initialisation): where they do not learn, ``bias_init`` is "not
    testable at this scale" (both through ``judging.not_testable``)."""
    values = values or {}
    untestable = {"pca_color": (colour, verdicts.OUTCOME_NOT_TESTABLE),
                  "bias_init": (bias, verdicts.OUTCOME_NOT_AT_SCALE)}
    rows = []
    for key in CLAIM_KEYS:
        kwargs = {"dataset": dataset, "setting": setting, "values": values.get(key)}
        test, outcome = untestable.get(key, (None, None))
        if test is not None and not test["testable"]:
            rows.append(judging.not_testable(key, effects[key], reason=test["reason"], outcome=outcome, **kwargs))
        else:
            rows.append(judging.judge(key, effects[key], **kwargs))
    return rows


def paper_regime(config) -> bool:
    """Whether ``config``'s runs start as the paper's did: its N(0, 0.01²) weights (``init``
    "paper", or the released configuration's "released-2012") on raw pixel values (input scale 255)."""
    kw = config.model_kwargs
    return kw.get("init") in ("paper", "released-2012") and float(kw.get("input_scale", 1.0)) == 255.0


def bias_runs(base, regime: Mapping[str, Any], seeds: Sequence[int], *, workers: int = 1) -> dict[str, list]:
    """The paper's network (:func:`variants`' base) with every bias 0 and with the paper's biases
    of 1, in ``regime`` (TrainConfig fields on top of ``base``, model knobs merged: e.g. the
    paper's initialisation, input scale and rate), one run per seed of ``seeds`` each
    (``{BIAS_ZERO: [...], BIAS_ONE: [...]}``; models not kept)."""
    config = sweeps.config_with(base, regime)
    arms = {BIAS_ZERO: variants("conv4", True)[BIAS_ZERO], BIAS_ONE: variants("conv4", False)[BIAS_ONE]}
    return sweeps.run_seeds(config, arms, seeds, keep_models=False, diverged_ok=True, workers=workers)


#: How a reason of :func:`bias_test` begins (the chapter's prose, which has said so, drops it).
PAPER_START = "under the paper's N(0, 0.01²) weights on raw pixel values"


def bias_test(runs: Mapping[str, Sequence]) -> dict:
    """Whether the claim on biases of 1 can be judged in the regime of ``runs`` (:func:`bias_runs`
    on probe seeds, or the chapter's own two bias arms): only where both arms learn, every run
    ending with a validation top-1 error below ``preregistration.learned_below_pct`` (a diverged
    run has not learned). ``{"testable", "errors": {arm: [percent
    per seed, None if diverged]}, "limit": percent, "reason"}``; ``reason`` says, in words, why
    not ("" if testable)."""
    classes = next(r["dataset"]["classes"] for recs in runs.values() for r in recs if "dataset" in r)
    chance, limit = chance_error_pct(classes), learned_below_pct(classes)
    errors = {arm: [None if r.get("diverged") else 100 * run_metrics.final_value(r, "val_top1_error")
                    for r in recs] for arm, recs in runs.items()}
    stuck = [arm for arm, errs in errors.items() if not all(e is not None and e < limit for e in errs)]
    listed = "; ".join(f"with {arm}, {', '.join('diverged' if e is None else f'{e:.1f}%' for e in errs)}"
                       for arm, errs in errors.items())
    where = (f"{PAPER_START} the final validation errors were {listed} (chance {chance:.0f}%; learning "
             f"means below {limit:g}% in every seed)")
    reason = ("" if not stuck else
              f"{where}: neither network learned, so neither bias can show what it does to learning at "
              "this network's size and training length" if len(stuck) == len(errors) else
              f"{where}: only one network learned, which measures whether it trains, not how fast it starts")
    return {"testable": not stuck, "errors": errors, "limit": limit, "reason": reason}


def bias_regime(base, regime: Mapping[str, Any], probe_seeds: Sequence[int], seeds: Sequence[int], *,
                workers: int = 1) -> dict:
    """The claim on biases of 1 in the paper's regime (its initialisation on raw pixels, where its
    argument applies). Where ``base`` already is that regime (:func:`paper_regime`), the chapter's
    own arms judge it: ``{"test": None, "probe": None, "runs": None}``. Otherwise :func:`bias_runs`
    in ``regime`` on ``probe_seeds`` (kept apart from ``seeds``) and :func:`bias_test` of them;
    where both arms learned, the pair is trained again on ``seeds`` (``runs``) and judges the
    claim; else ``runs`` is None and the claim is not judged at this scale."""
    if paper_regime(base):
        return {"test": None, "probe": None, "runs": None, "regime": dict(regime)}
    probe = bias_runs(base, regime, probe_seeds, workers=workers)
    test = bias_test(probe)
    runs = bias_runs(base, regime, seeds, workers=workers) if test["testable"] else None
    return {"test": test, "probe": probe, "runs": runs, "regime": dict(regime)}


def colour_test(pca) -> dict:
    """Whether PCA lighting can test a claim about colour on data whose pixel-colour PCA is
    ``pca`` (``data.stats.PCA``, e.g. the engine's training statistics): the second eigenvalue
    at least ``COLOUR_MIN_SHARE`` of the first. ``{"testable", "share", "channels",
    "eigenvalues", "reason"}``; ``reason`` says, in words, why it is not testable ("" if it is)."""
    share, channels = colour_share(pca), len(pca.eigenvalues)
    testable = share >= COLOUR_MIN_SHARE
    grey = ("the images are grey (one channel)" if channels == 1 else
            f"the pixel colours vary along one axis only (second eigenvalue {share:.1g} of the first)")
    reason = "" if testable else (f"{grey}, so PCA lighting can only change each image's brightness, "
                                  "and the claim is about colour")
    return {"testable": testable, "share": share, "channels": channels,
            "eigenvalues": [float(v) for v in pca.eigenvalues], "reason": reason}


def regime_text(init: str | None, input_scale: float | None) -> str:
    """How the prose names the runs' regime: the input scale and the weight initialization (the
    biases are set by the variants, :func:`variants`)."""
    scale = 1.0 if input_scale is None else float(input_scale)
    pixels = ("pixels as fractions of full intensity, in [0, 1], less the mean image" if scale == 1.0 else
              f"pixels multiplied by {scale:g} (raw 8-bit values for 255), less the mean image")
    weights = {"kaiming": "He-normal weights (kaiming)",
               "paper": f"the paper's N(0, {PAPER['init']['weight_std']:g}²) weights"}.get(init, f"{init} weights")
    return f"{pixels}; {weights}"


def regime_sentence(init: str | None, input_scale: float | None) -> str:
    """The prose's sentence on the regime: the paper's (its N(0, 0.01^2) weights on raw pixel
    values, ``init="paper"``, ``input_scale=255``) or not, with :func:`regime_text`."""
    text = regime_text(init, input_scale)
    if init == "paper" and input_scale is not None and float(input_scale) == 255.0:
        return f"The regime is the paper's: {text}."
    return (f"The regime is not the paper's: {text}, where the paper fed raw pixel values to a network "
            f"initialised with N(0, {PAPER['init']['weight_std']:g}²) weights.")


def bias_note(base_bias_one: bool, val_base: float, val_bias_arm: float) -> str:
    """Why the base network has the biases it has, for the prose: nothing when they are the
    paper's; otherwise whether the paper's biases of 1 ended with a higher mean validation error
    (``val_bias_arm``, percent) than the base's zeros (``val_base``) in these runs."""
    if base_bias_one:
        return ""
    if val_bias_arm > val_base:
        return ("The base network keeps He initialisation's zero biases: in this regime the paper's biases "
                "of 1 weigh on the whole run, not only its start, as the final errors above show.")
    return ("The base network keeps He initialisation's zero biases; here the paper's biases of 1 did not "
            "end behind on average.")


def intro_glue(removed_layer: str, step: int, window: int) -> dict[str, Any]:
    """What the introduction quotes: each claim's text and paper number (``<key>_text``,
    ``<key>_paper``, from ``CLAIM_TESTS``), the paper's weight decay (``wd``) and layers with
    biases of 1 (``bias_one``), and the chapter's fixed choices (``removed``, ``early_step``,
    ``early_window``)."""
    return {**{f"{k}_text": CLAIM_TESTS[k]["text"] for k in CLAIM_KEYS},
            **{f"{k}_paper": CLAIM_TESTS[k]["paper_text"] for k in CLAIM_KEYS},
            "wd": PAPER["training"]["weight_decay"], "bias_one": ", ".join(PAPER["init"]["bias_one"]),
            "removed": removed_layer, "early_step": step, "early_window": window}


def train_variants(base, variants_: Mapping[str, Mapping[str, Any]], seeds: Sequence[int], *,
                   workers: int = 1) -> tuple[dict[str, list], float]:
    """Train every network of ``variants_`` (:func:`variants`) with every seed
    (:func:`alexnet_repro.analysis.sweeps.run_seeds`, also evaluating each on its training
    images); returns ``(runs, seconds)``. No shared data: each seed draws its own subset, the same
    for every network."""
    start = time.perf_counter()
    runs = sweeps.run_seeds(base, variants_, seeds, eval_train_split=True, workers=workers)
    return runs, time.perf_counter() - start


def bias_texts(base_bias_one: bool) -> dict[str, str]:
    """How the prose names the base network's initial biases (``base_biases``) and those of its
    twin (``bias_variant``)."""
    ones = ", ".join(PAPER["init"]["bias_one"])
    if base_bias_one:
        return {"base_biases": f"biases 1 in {ones} and 0 elsewhere",
                "bias_variant": "biases 0 (every bias; the same weights)"}
    return {"base_biases": "every bias 0 (He initialisation's; the paper's biases are a variant, see below)",
            "bias_variant": f"biases 1 in {ones} (the paper's; the same weights)"}


def grey_note(in_channels: int) -> str:
    """The prose's note on PCA lighting with grey images (one channel: one component), else nothing."""
    if in_channels == 1:
        return ("The images here are grey, so the lighting noise has a single component: it changes "
                "the brightness of the whole image, not its colours.")
    return ""


def setting_glue(runs: Mapping[str, Sequence], *, removed_layer: str, base_bias_one: bool, n_seeds: int,
                 train_seconds: float) -> dict[str, Any]:
    """What the prose says of the setting (``run_metrics.setting_facts`` of the paper's network's
    first run) and of the networks: seeds and runs, the regime, the layers and parameters of the
    two-tower, one-tower and shallower nets, mean wall time of a run of the first two, the biases
    (:func:`bias_texts`) and :func:`grey_note`."""
    facts = run_metrics.setting_facts(runs[PAPER_NET][0])
    shallow = without(removed_layer)
    nets = {v: runs[v][0].model for v in (PAPER_NET, ONE_TOWER, shallow)}
    return {**facts, "n_seeds": n_seeds, "train_seconds": train_seconds, "n_runs": n_seeds * len(runs),
            "regime": regime_text(facts["init"], facts["input_scale"]),
            "regime_sentence": regime_sentence(facts["init"], facts["input_scale"]),
            "layers_two": weight_layers_text(nets[PAPER_NET]), "layers_one": weight_layers_text(nets[ONE_TOWER]),
            "params_two": count_parameters(nets[PAPER_NET]), "params_one": count_parameters(nets[ONE_TOWER]),
            "params_shallow": count_parameters(nets[shallow]),
            "wall_two": np.mean([r["wall_time_s"] for r in runs[PAPER_NET]]),
            "wall_one": np.mean([r["wall_time_s"] for r in runs[ONE_TOWER]]),
            **bias_texts(base_bias_one), "grey_note": grey_note(nets[PAPER_NET].in_channels)}


def figure_title(facts: Mapping[str, Any]) -> str:
    """The curves' title: ``"AlexNet, width 0.125, fashion-mnist"``."""
    return f"AlexNet, width {facts['width']:g}, {facts['dataset']}"


def summary_table(runs: Mapping[str, Sequence], step: int, window: int) -> str:
    """HTML table of the six networks' :func:`metrics` (mean ± standard deviation over seeds)."""
    return run_metrics.summary_table(run_metrics.variant_summary(runs, metrics(step, window)), digits=2)


def judged_claims(runs: Mapping[str, Sequence], config, facts: Mapping[str, Any], *, removed_layer: str,
                  step: int, window: int, pca=None, bias: Mapping[str, Any] | None = None) -> list[dict]:
    """The claim rows (:func:`claims` on :func:`paired_effects`) for runs of ``config``, ``facts``
    from :func:`setting_glue`: their setting from ``setting_text``, their values the parameter
    counts of the nets compared, the removed layer, the early-error step and window, and
    :func:`colour_test` of ``pca`` (default: :func:`training_pca` of ``config``). ``bias``
    (:func:`bias_regime`): where it trained the pair in the paper's regime, ``bias_init`` is
    judged on those runs (and their setting); where its probe did not learn, the claim is not
    judged and the chapter's own bias arms are described."""
    effects = paired_effects(runs, removed_layer=removed_layer, step=step, window=window)
    setting = setting_text(config, train_images=facts["train_images"], seeds=facts["n_seeds"],
                           val_images=facts["val_images"], crop=facts["crop"])
    colour = colour_test(training_pca(config) if pca is None else pca)
    values = {"two_gpu": {"parameters_two_towers": facts["params_two"], "parameters_one_tower": facts["params_one"]},
              "depth": {"removed_layer": removed_layer, "parameters_without": facts["params_shallow"]},
              "bias_init": {"step": step, "window": window}, "pca_color": {"colour": colour}}
    test = None if bias is None else bias["test"]
    if test is not None:
        values["bias_init"].update(regime=bias["regime"], probe_errors=test["errors"])
    elif bias is not None and paper_regime(config):     # the chapter's own arms start as the paper's
        zero, one = (PAPER_NET, BIAS_ONE) if BIAS_ONE in runs else (BIAS_ZERO, PAPER_NET)
        test = bias_test({BIAS_ZERO: runs[zero], BIAS_ONE: runs[one]})
        values["bias_init"].update(own_errors=test["errors"])
    rows = claims(effects, dataset=config.dataset, setting=setting, values=values, colour=colour, bias=test)
    if bias is not None and bias["runs"] is not None:
        early = metrics(step, window)[f"training error at step {step} (as trained), %"]
        paper_setting = setting_text(sweeps.config_with(config, bias["regime"]), train_images=facts["train_images"],
                                     seeds=facts["n_seeds"], val_images=facts["val_images"], crop=facts["crop"])
        i = CLAIM_KEYS.index("bias_init")
        rows[i] = judging.judge("bias_init", run_metrics.paired(bias["runs"], BIAS_ZERO, BIAS_ONE, early),
                                dataset=config.dataset, setting=paper_setting, values=values["bias_init"])
    return rows


def training_pca(config):
    """The pixel-colour PCA that the engine's PCA lighting uses (``engine_stats``) for the seed-0
    subset of ``config``'s training data."""
    data = load_dataset(config.dataset, config.data_root, limit=config.limit, val_limit=config.val_limit,
                        image_size=config.image_size, seed=0)
    return engine_stats(data).pca


def claims_glue(rows: Sequence[Mapping], runs: Mapping[str, Sequence], *, base_bias_one: bool, step: int,
                window: int) -> dict[str, Any]:
    """What the prose says of the judged ``rows``: each claim's ``<key>_measured`` and
    ``<key>_outcome``, the design sentence, the mean final validation top-1 error (percent) of the
    base network (``val_base``) and of its twin with the other biases (``val_bias_arm``), and
    :func:`bias_note` on them."""
    val = metrics(step, window)["validation top-1 error, %"]
    bias_arm = BIAS_ZERO if base_bias_one else BIAS_ONE
    val_base = np.mean([val(r) for r in runs[PAPER_NET]])
    val_bias_arm = np.mean([val(r) for r in runs[bias_arm]])
    return {**{f"{r['key']}_{f}": r[f] for r in rows for f in ("measured", "outcome")},
            "design": judging.design_sentence(rows), "val_base": val_base, "val_bias_arm": val_bias_arm,
            "bias_note": bias_note(base_bias_one, val_base, val_bias_arm),
            "bias_sentence": bias_sentence(next(r for r in rows if r["key"] == "bias_init"), step, window),
            "pca_sentence": pca_sentence(next(r for r in rows if r["key"] == "pca_color"))}


def bias_sentence(row: Mapping, step: int, window: int) -> str:
    """The prose on biases of 1: its judged outcome (saying so where it was judged from the paper's
    start, :func:`bias_regime`), or, where the paper's start does not train at this scale
    (:func:`bias_test`), why, with what the biases did in the chapter's own regime as a
    description."""
    where = (f"training error at step {step} (on the batches as trained, over the last {window} logged "
             "entries), biases 0 minus biases 1")
    values = row.get("values") or {}
    probe = values.get("probe_errors")
    if row.get("reason"):
        if probe:
            n = len(next(iter(probe.values())))
            return (f"Not testable at this scale. The paper's argument is about its own start, N(0, 0.01²) "
                    f"weights on raw pixel values, where a bias of 1 is large against a unit's other inputs. "
                    f"Trained that way at this chapter's size and length, on {plural(n, 'seed')} kept apart, "
                    f"{row['reason'].removeprefix(PAPER_START + ' ')}. In this chapter's own regime the two networks start from the same "
                    f"weights, and their {where}, is "
                    f"{verdicts.format_replication(row['result'], unit='points')} points: shown, not judged.")
        return (f"Not testable at this scale: in this chapter's runs, which start as the paper's did, "
                f"{row['reason']}.")
    start = ("From the paper's start (N(0, 0.01²) weights on raw pixel values), where both networks learned "
             "on the probe seeds, the" if probe else "The")
    return (f"{start} networks with every bias 0 and with the paper's biases of 1 start from the same "
            f"weights. Their {where}, is {row['measured']} points: {row['outcome']}.")


def pca_sentence(row: Mapping) -> str:
    """The prose on PCA lighting: its judged outcome, or, where the data cannot test it
    (``judging.not_testable``), why, with what removing the lighting did here as a description."""
    plain = verdicts.format_replication(row["result"], unit="points")
    if row.get("reason"):
        return (f"Not testable on this dataset: {row['reason']}. What removing the lighting does here "
                f"(a brightness jitter) is shown, not judged: the validation top-1 error changes by "
                f"{plain} points. The full profile, on colour images, judges the claim.")
    return (f"Without it (crops and reflections only) the validation top-1 error changes by "
            f"{row['measured']} points (paper: {row['paper']}): {row['outcome']}.")


def chapter_record(profile: str, rows: Sequence[Mapping], runs: Mapping[str, Sequence], config,
                   variants_: Mapping[str, Any], *, seeds: Sequence[int], removed_layer: str, step: int,
                   window: int, seconds: float, bias: Mapping[str, Any] | None = None) -> dict:
    """The record the chapter saves (:func:`alexnet_repro.analysis.judging.chapter_record`): the
    claim rows, the runs' digest, the base config, the seeds, the variants, the fixed choices,
    the biases' regime (:func:`bias_regime`: its test and the digests of its probe and judged
    runs) and the chapter's wall time."""
    return judging.chapter_record("training_details", profile, rows, {
        "runs": run_metrics.runs_digest(runs), "config": config.to_dict(), "seeds": list(seeds),
        "variants": variants_, "removed_layer": removed_layer, "early_step": step, "early_window": window,
        "bias_regime": None if bias is None else {
            "regime": bias["regime"], "test": bias["test"],
            **{k: None if bias[k] is None else run_metrics.runs_digest(bias[k]) for k in ("probe", "runs")}},
        "chapter_seconds": seconds})


def try_it_facts(seconds: float) -> dict[str, str]:
    """What the Try-it section quotes: the time one rebuild of the chapter takes, from this
    build's ``seconds`` (each command changes one choice, not the number of runs or their length)."""
    return {"try_cost": duration_words(seconds)}
