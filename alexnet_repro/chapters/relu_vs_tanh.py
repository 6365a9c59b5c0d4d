"""The relu_vs_tanh chapter's experiment (the paper's Figure 1): the same four-layer CNN built with
ReLU and with tanh units, each trained at its own fastest learning rate, and the number of steps
each needs to reach a training error, compared per seed.

* :func:`set_up` -- the chapter's :class:`Study`: its base config, the seed-0 data bundle of the
  probes, the judged target and the curve's targets, how many runs train at once;
* :func:`probe_at_init` -- the argument at initialisation: the units' derivatives, the gradient
  norms and mean derivatives of both networks on one real batch;
* :func:`tuned` -- Figure 1's protocol in one regime (a learning-rate sweep per network, then the
  reported seeds at the chosen rates); :func:`speedups` -- the speed-up curve over targets;
  :func:`judge` -- the claim at the judged target, with its :func:`setting`;
* :func:`trained_derivatives` -- the saturation after training;
* :func:`chapter_record` -- the record the chapter saves;
* ``*_glue`` -- the values the chapter's prose quotes (``glue_all(..., prefix="rt_")``), with the
  sentences whose words depend on a result (``analysis.figure1``'s, :func:`paper_judged_text`,
  :func:`design_text`); :func:`answer_html` -- the answer shown under the title;
  :func:`try_glue` -- what each "Try it" command costs, from this run's wall time.
"""
from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alexnet_repro.analysis import figure1, judging, probes, run_metrics, sweeps, verdicts
from alexnet_repro.analysis.setting import setting_text
from alexnet_repro.bookrun.notebook import seed_workers, train_config
from alexnet_repro.common.text import dataset_name, duration_words, join_words, plural
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.engine.loop import engine_stats
from alexnet_repro.nn.introspect import weight_layers_text
from alexnet_repro.quoted.paper import CLAIMS, PAPER
from alexnet_repro.quoted.reading_note import READING_NOTE_ERRORS
from alexnet_repro.viz.answer import answer_block

#: The two networks: the same model, ReLU or tanh units (``sweeps.run_seeds`` variants).
VARIANTS = {act: {"model_kwargs": {"activation": act}} for act in ("relu", "tanh")}
#: The paper's measurement (Figure 1).
PAPER_CLAIM = CLAIMS["relu_speedup"]
#: How the chapter's prose names each initialisation of the first regime.
INIT_TEXT = {"kaiming": "He-normal weights with each activation's gain, zero biases",
             "paper": f"the paper's N(0, {PAPER['init']['weight_std']:g}²) weights, zero biases"}


@dataclass
class Study:
    """What every step of the chapter shares: ``base`` (the TrainConfig of every run, less its
    activation and learning rate), ``data`` (the seed-0 bundle of the probes; the reported runs
    draw their own subsets), the judged ``target`` training error and the curve's ``targets``
    (descending, the judged one included), the trailing ``window`` of the error curves, how many
    runs train at once (``workers``), the epochs of the sweeps' first pass (``sweep_epochs``,
    ``sweeps.lr_sweep``'s ``first_epochs``; None: none) and when the chapter started
    (``time.perf_counter``)."""
    profile: str
    base: Any
    data: Any
    target: float
    targets: list[float]
    window: int
    workers: int = 1
    sweep_epochs: int | None = None
    started: float = field(default_factory=time.perf_counter)

    @property
    def n_train(self) -> int:
        return len(self.data.train)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n_train / self.base.batch_size)


# ------------------------------------------------------------------------------ small words

def times(v: float | None) -> str:
    """A log speed-up as a factor, e.g. ``"1.09×"``; ``"n/a"`` for None."""
    return "n/a" if v is None else f"{math.exp(v):.2f}×"


def interval_text(ci: Sequence[float | None]) -> str:
    """A log interval as factors: ``"[0.12×, 9.14×]"``."""
    return f"[{times(ci[0])}, {times(ci[1])}]"


def judged_target(target_error: float | None) -> float:
    """The judged training error: ``target_error``, or the paper's (25%) when None."""
    if target_error is None:
        return PAPER_CLAIM["target_train_error_pct"] / 100
    return float(target_error)


def curve_targets(targets: Sequence[float], target: float) -> list[float]:
    """The targets of the curve, the judged one added, each once, from the highest error down;
    targets below the judged one are left out (the runs stop once they reach the judged one)."""
    return sorted({float(t) for t in targets if float(t) >= target} | {target}, reverse=True)


def paper_judged_text(claim: Mapping, dataset: str) -> str:
    """Whether the paper's factor is judged in size on ``dataset`` or only its direction."""
    if claim["paper_judged"]:
        return f"the size is judged too ({dataset})"
    return f"only the direction is judged ({dataset})"


def design_text(claim: Mapping) -> str:
    """What the design could detect, for a reader (no claim key): ``"With 5 seeds, this design
    detects a speed-up of at least 2.07× (80% power, 95% level); the paper reports 6.00× in its
    own setting."``, plus a warning when the interval ends close to 1× (``judging.near_line``)."""
    mde = claim.get("mde")
    size = "n/a" if mde is None or not math.isfinite(mde) else times(mde)
    paper = claim.get("paper_effect")
    where = "" if paper is None else (f"; the paper reports {times(paper)}"
                                      + ("" if claim.get("paper_judged") else " in its own setting"))
    text = (f"With {plural(claim['n'], 'seed')}, this design detects a speed-up of at least {size} "
            f"(80% power, 95% level){where}.")
    near = judging.near_line(claim)
    if near is not None and near < judging.NEAR_LINE:
        text += (" The interval ends close to 1×: float rounding alone (another thread count or "
                 "machine) could move this outcome between \"inconclusive\" and a direction; the "
                 "estimate and its interval are what this run settles.")
    return text


#: How the answer block names each initialisation (by its resolved name).
INIT_WORDS = {"kaiming": "He initialisation", "paper": "the paper's N(0, 0.01²) initialisation"}


def reader_setting(study: Study, regime: Mapping) -> str:
    """The regime's scale in a reader's words, for the answer block: ``"default profile:
    four-layer CNN at width 0.5, He initialisation; fashion-mnist, 5,000 training images per
    seed, read at 14% training error"``; a recipe regime is named as cuda-convnet's set-up."""
    base, kw = regime["config"], regime["model_kwargs"]
    init = resolved_init(regime)
    how = (f"cuda-convnet's layers-{kw['recipe'].removeprefix('cuda-convnet-')} set-up (its initialisation, "
           f"normalizations and pools, inputs times {kw.get('input_scale', 1.0):g})" if kw.get("recipe")
           else INIT_WORDS.get(init, f"initialisation {init}"))
    return (f"{base.profile or 'default'} profile: four-layer CNN at width {base.model_kwargs['width']:g}, {how}; "
            f"{base.dataset}, {plural(study.n_train, 'training image')} per seed, read at "
            f"{100 * regime['target']:g}% training error")


def answer_html(study: Study, claims: Sequence[Mapping], regimes: Sequence[Mapping]) -> str:
    """The answer block shown under the chapter's title (``viz.answer.answer_block``), each
    claim with its regime's :func:`reader_setting` (the judged rows are not changed)."""
    return answer_block([{**c, "setting": reader_setting(study, r)} for c, r in zip(claims, regimes)])


def try_glue(record: Mapping) -> dict:
    """What the "Try it" commands are measured against: this page's wall time on the machine that
    built it (``record``'s), in words (``try_same``)."""
    return {"try_same": duration_words(record["wall_time_s"])}


def paper_label() -> str:
    """The legend of the paper's factor in the speed-up figure: ``"paper: 6× at 25% on CIFAR-10"``."""
    c = PAPER_CLAIM
    return f"paper: {c['factor']}× at {c['target_train_error_pct']:g}% on {c['dataset']}"


def curves_title(study: Study) -> str:
    """The title of the first regime's training curves."""
    return (f"{study.base.dataset}: four-layer CNN, ReLU vs tanh "
            f"(paper's Figure 1: {PAPER_CLAIM['dataset']})")


def second_title(study: Study, regime: Mapping) -> str:
    """The title of the second regime's training curves."""
    recipe = regime["model_kwargs"].get("recipe", "book")
    return f"{study.base.dataset}: the same comparison in cuda-convnet's regime ({recipe})"


# ------------------------------------------------------------------------------ the experiment

def set_up(train: Mapping[str, Any], profile: str, threads: int, *, target_error: float | None,
           targets: Sequence[float], window: int, sweep_epochs: int | None = None) -> Study:
    """The chapter's :class:`Study` from its parameters: the seed-0 bundle of ``train``'s
    dataset, the base config (the whole image as input, no crop), the judged target
    (:func:`judged_target`) and the curve's targets (:func:`curve_targets`); runs of ``threads``
    threads each, ``seed_workers`` of them at once; sweep runs first ``sweep_epochs`` long."""
    started = time.perf_counter()
    data = load_dataset(train["dataset"], train["data_root"], limit=train["limit"],
                        val_limit=train["val_limit"], seed=0)
    base = train_config(train, profile=profile, crop_size=data.image_size)
    target = judged_target(target_error)
    return Study(profile=profile, base=base, data=data, target=target,
                 targets=curve_targets(targets, target), window=window,
                 workers=seed_workers(base, threads), sweep_epochs=sweep_epochs, started=started)


def probe_at_init(study: Study, grad_images: int) -> dict:
    """Both networks at initialisation (seed 0: the same weights up to the init gain): the units'
    derivatives on [-4, 4] (``xs``, ``derivs``), and on ``grad_images`` real training images
    (mean image subtracted; ``images``, ``labels``) each layer's gradient norm (``init_norms``)
    and mean unit derivative (``mean_deriv``), and the layers in one line (``arch``)."""
    xs, derivs = probes.unit_derivative_curves(tuple(VARIANTS))
    images, labels = probes.random_batch(study.data.train, grad_images,
                                         mean_image=engine_stats(study.data).mean_image)
    nets = {v: probes.initial_model(sweeps.config_with(study.base, o), study.data, seed=0)
            for v, o in VARIANTS.items()}
    return {"xs": xs, "derivs": derivs, "images": images, "labels": labels, "grad_images": grad_images,
            "init_norms": {v: probes.layer_grad_norms(net, images, labels) for v, net in nets.items()},
            "mean_deriv": {v: probes.mean_unit_derivative(net, images, v) for v, net in nets.items()},
            "arch": weight_layers_text(nets["relu"])}


def tuned(study: Study, lrs: Sequence[float], seeds: Sequence[int], sweep_seeds: Sequence[int], *,
          model_kwargs: Mapping[str, Any] | None = None, target: float | None = None) -> dict:
    """Figure 1's protocol in one regime (``model_kwargs`` on top of the base's; None: the base),
    judged at ``target`` (None: the study's): every network tried at every rate of ``lrs`` on
    ``sweep_seeds``, then trained with ``seeds`` at the rate that reached the target in the fewest
    steps. Each seed draws its own subset; every run stops once it reaches the target (the engine's
    ``stop_at_error`` over the study's window), or at the horizon of ``epochs``.
    Returns the regime: ``config``, ``model_kwargs``, ``target``, ``lrs``, ``seeds``,
    ``sweep_seeds``, ``sweep`` (``sweeps.tuned_runs``), ``runs`` (``{variant: [Run per seed]}``)
    and ``best_lr``."""
    target = study.target if target is None else float(target)
    changes = {"stop_at_error": target, "stop_window": study.window}
    if model_kwargs is not None:
        changes["model_kwargs"] = dict(model_kwargs)
    config = sweeps.config_with(study.base, changes)
    sweep, runs = sweeps.tuned_runs(config, VARIANTS, lrs, seeds, sweep_seeds=sweep_seeds,
                                    target_error=target, window=study.window, workers=study.workers,
                                    first_epochs=study.sweep_epochs)
    return {"config": config, "model_kwargs": dict(model_kwargs or {}), "target": target, "lrs": list(lrs),
            "seeds": list(seeds), "sweep_seeds": list(sweep_seeds), "sweep": sweep, "runs": runs,
            "best_lr": {v: sweep[v]["best_lr"] for v in VARIANTS}}


def speedups(study: Study, regime: Mapping, targets: Sequence[float] | None = None) -> dict[float, dict]:
    """The speed-up of ReLU over tanh (tanh's steps over ReLU's, per seed) at each of ``targets``
    (None: the regime's judged target alone; ``run_metrics.speedups_by_target``; crossings known
    to ``log_every`` steps)."""
    targets = [regime["target"]] if targets is None else targets
    return run_metrics.speedups_by_target(regime["runs"], "tanh", "relu", targets, window=study.window,
                                       resolution_steps=study.base.log_every)


def resolved_init(regime: Mapping) -> str:
    """The initialisation the regime's networks were built with, by name (``"recipe"`` resolved
    to the recipe's own, e.g. ``"cuda-convnet-18pct"``)."""
    return regime["runs"]["relu"][0].model.config["init"]


def setting(study: Study, regime: Mapping) -> str:
    """The claim's setting (``analysis.setting.setting_text``): the regime's network with its
    initialisation by name, the subset, the epochs, both tuned rates, the seeds and the target."""
    config = sweeps.config_with(regime["config"], {"model_kwargs": {"init": resolved_init(regime)}})
    best = regime["best_lr"]
    return setting_text(config, train_images=study.n_train, seeds=len(regime["seeds"]),
                        lr=f"lr ReLU {best['relu']:g} / tanh {best['tanh']:g}",
                        target=f"target {100 * regime['target']:g}% training error")


def judge(study: Study, key: str, regime: Mapping, at_target: Mapping) -> dict:
    """The claim ``key`` judged on the per-seed speed-ups at the regime's judged target
    (``at_target``: one entry of :func:`speedups`), censored runs bounded by their horizons; the
    record's ``values`` keep both networks' steps per seed, the horizons and the epoch's steps."""
    return judging.judge_speedup(
        key, at_target["tanh_steps"], at_target["relu_steps"], slow_horizons=at_target["tanh_horizons"],
        fast_horizons=at_target["relu_horizons"], resolution_steps=study.base.log_every,
        dataset=study.base.dataset, setting=setting(study, regime), target=regime["target"],
        values={"slow_horizons": list(at_target["tanh_horizons"]),
                "fast_horizons": list(at_target["relu_horizons"]), "steps_per_epoch": study.steps_per_epoch})


def curve_ends(by_target: Mapping[float, Mapping], target: float) -> tuple[tuple, tuple]:
    """The lowest and the highest speed-up along the curve, each as ``(target, result)``
    (targets without an estimate left out; none: the judged target's)."""
    curve = [(t, b["result"]) for t, b in by_target.items() if b["result"]["estimate"] is not None]
    judged = (target, by_target[target]["result"])
    return (min(curve, key=lambda c: c[1]["estimate"], default=judged),
            max(curve, key=lambda c: c[1]["estimate"], default=judged))


def trained_derivatives(regime: Mapping, images) -> dict[str, dict[str, float]]:
    """Each network's mean unit derivative per layer after training, on ``images``, averaged
    over the regime's reported seeds (``probes.mean_unit_derivative``)."""
    return {v: probes.mean_unit_derivative([run.model for run in regime["runs"][v]], images, v)
            for v in VARIANTS}


# ------------------------------------------------------------------------------ the record

def chapter_record(study: Study, claims: Sequence[Mapping], probe: Mapping, first: Mapping,
                   by_target: Mapping[float, Mapping], trained: Mapping, second: Mapping,
                   second_at: Mapping[float, Mapping]) -> dict:
    """The chapter's record (``judging.chapter_record``): the claims, the data, both regimes'
    sweeps, rates and speed-ups (``first`` and ``second``: :func:`tuned`; ``by_target`` and
    ``second_at``: their :func:`speedups`), the probes at initialisation and after training, the
    parameters and the wall time since :func:`set_up`."""
    base = study.base
    return judging.chapter_record("relu_vs_tanh", study.profile, claims, {
        "dataset": study.data.describe(), "n_train": study.n_train, "seeds": list(first["seeds"]),
        "sweep_seeds": list(first["sweep_seeds"]), "best_lr": first["best_lr"],
        "lr_sweep": {v: first["sweep"][v]["table"] for v in VARIANTS},
        "lr_edges": _edges(first), "rate_sensitivity": sensitivity(first),
        "speedup_by_target": run_metrics.speedups_record(by_target), "judged_target": study.target,
        "difficulty": figure1.difficulty(first, **_reading(study)),
        "second_regime": {"model_kwargs": dict(second["model_kwargs"]), "lrs": list(second["lrs"]),
                          "judged_target": second["target"], "difficulty": figure1.difficulty(second, **_reading(study)),
                          "best_lr": second["best_lr"],
                          "lr_sweep": {v: second["sweep"][v]["table"] for v in VARIANTS},
                          "lr_edges": _edges(second), "rate_sensitivity": sensitivity(second),
                          "speedup_at_target": run_metrics.speedups_record(second_at)},
        "grad_norms_at_init": probe["init_norms"], "mean_derivative_at_init": probe["mean_deriv"],
        "mean_derivative_trained": trained,
        "parameters": {"limit": base.limit, "width": base.model_kwargs["width"],
                       "init": base.model_kwargs["init"], "epochs": base.epochs,
                       "batch_size": base.batch_size, "lrs": list(first["lrs"]), "log_every": base.log_every,
                       "window": study.window, "workers": study.workers},
        "wall_time_s": time.perf_counter() - study.started,
    })


def _edges(regime: Mapping) -> dict:
    """Per network, the rates the edge rule added and the edge its pick still sits at (or None)."""
    return {v: {"extended": regime["sweep"][v].get("extended", []), "edge": regime["sweep"][v].get("edge")}
            for v in VARIANTS}


def sensitivity(regime: Mapping) -> list[dict]:
    """The speed-up at each network's picked rate and its neighbours, read from the sweep runs
    (``run_metrics.rate_sensitivity``, tanh's steps over ReLU's)."""
    return run_metrics.rate_sensitivity(regime["sweep"], "tanh", "relu")


def sensitivity_html(regime: Mapping) -> str:
    """:func:`sensitivity` as a table, tanh's rates down and ReLU's across."""
    return run_metrics.rate_sensitivity_table(sensitivity(regime), names={"slow": "tanh", "fast": "ReLU"})


_NET_NAMES = {"relu": "ReLU", "tanh": "tanh"}


def tuning_glue(regime: Mapping, prefix: str = "") -> dict:
    """How the rates were picked in one regime: the sweep seeds, what the edge rule did
    (``edge_text``), the range of speed-ups at the neighbouring rates (``sens_text``) and which
    network was swept again in full (``first_pass_text``), each key after ``prefix``."""
    parts = []
    for v in VARIANTS:
        added, edge = regime["sweep"][v].get("extended", []), regime["sweep"][v].get("edge")
        if added:
            parts.append(f"{_NET_NAMES[v]}'s pick sat at the edge of the grid, so "
                         f"{join_words([f'{lr:g}' for lr in added])} {'was' if len(added) == 1 else 'were'} "
                         "tried as well")
        if edge:
            parts.append(f"{_NET_NAMES[v]}'s pick still sits at the {edge} edge after "
                         f"{plural(len(added), 'added rate')}: its best rate may lie beyond the grid")
    edge_text = ("No network's pick sat at the edge of the grid." if not parts else
                 "; ".join(parts) + ".")
    span = run_metrics.sensitivity_range(sensitivity(regime))
    sens_text = ("At the rates next to the picks, no pair of networks reached the target in the sweep."
                 if span is None else
                 f"Read from the sweep runs, where both reached the target in them, the speed-up at the picks and their neighbouring rates "
                 f"ranges from {span[0]:.2f}× to {span[1]:.2f}×.")
    return {f"{prefix}edge_text": edge_text[:1].upper() + edge_text[1:], f"{prefix}sens_text": sens_text,
            f"{prefix}n_sweep": len(regime["sweep_seeds"]), f"{prefix}first_pass_text": first_pass_text(regime)}


def sweep_rule_text(study: Study, regime: Mapping) -> str:
    """The sweeps' first pass (``study.sweep_epochs``) in words, and what it did in ``regime``."""
    h = sweeps.first_pass_epochs(regime["config"], study.sweep_epochs, seeds=regime["sweep_seeds"], target_error=regime["target"], window=study.window)
    if h is None:
        return "Every sweep run may train as long as the reported runs."
    return (f"Sweep runs first train for at most {plural(h, 'epoch')}; a network none of whose rates "
            "reaches the target by then is swept again to the full horizon. This picks the rates "
            f"full-length sweeps would pick, since a rate that has not reached the target within "
            f"{plural(h, 'epoch')} cannot beat one that has, and it spares the runs that never get "
            f"there. {first_pass_text(regime)}")


def first_pass_text(regime: Mapping) -> str:
    """Which network, if any, had to be swept again to the full horizon in one regime."""
    full, sweep = regime["config"].epochs, regime["sweep"]
    again = join_words([_NET_NAMES[v] for v in VARIANTS if "first_pass" in sweep[v]])
    short = {sweep[v].get("horizon_epochs") for v in VARIANTS} - {None, full}
    if again:
        return (f"{again[:1].upper() + again[1:]} reached the target at no rate within the first pass, "
                f"so {'they were' if ' and ' in again else 'it was'} swept again over {plural(full, 'epoch')}.")
    if short:
        return f"Both networks' picks reached the target within the sweep's first {plural(min(short), 'epoch')}."
    return "This regime's sweep runs could train as long as the reported runs."


# ------------------------------------------------------------------------------ what the prose quotes

def paper_glue(target_error: float | None) -> dict:
    """The paper's factor, target and dataset, and the judged target in percent."""
    return {"paper_factor": PAPER_CLAIM["factor"], "paper_target_pct": f"{PAPER_CLAIM['target_train_error_pct']:g}",
            "paper_dataset": PAPER_CLAIM["dataset"], "target_pct": f"{100 * judged_target(target_error):g}"}


def probe_glue(study: Study, probe: Mapping) -> dict:
    """The argument's numbers (:func:`probe_at_init`): tanh's derivative at 2, the mean
    derivatives of the first and third layers, ``conv1``'s gradient ratio ReLU/tanh."""
    xs, derivs, md = probe["xs"], probe["derivs"], probe["mean_deriv"]
    ratio = probe["init_norms"]["relu"]["conv1"] / probe["init_norms"]["tanh"]["conv1"]
    return {"x_probe": "2", "tanh_deriv_at2": f"{float(np.interp(2.0, xs, derivs['tanh'])):.3f}",
            "tanh_mean_deriv_act1": f"{md['tanh']['act1']:.2f}", "tanh_mean_deriv_act3": f"{md['tanh']['act3']:.2f}",
            "relu_active_act1": f"{100 * md['relu']['act1']:.0f}",
            "relu_active_act3": f"{100 * md['relu']['act3']:.0f}",
            "grad_ratio_conv1": f"{ratio:.2f}", "grad_conv1_word": "larger" if ratio > 1 else "smaller",
            "grad_images": probe["grad_images"], "init_text": INIT_TEXT[study.base.model_kwargs["init"]],
            "arch": probe["arch"]}


def experiment_glue(study: Study, regime: Mapping) -> dict:
    """The experiment's design (the first regime, :func:`tuned`): data, training, rates tried and
    kept, the logging and its window, the work in networks and images, the horizon, and how hard
    the judged target was (``analysis.figure1``)."""
    base, lrs = study.base, regime["lrs"]
    epochs_text = plural(base.epochs, "epoch")
    return {"dataset_text": dataset_name(base.dataset), "n_train": study.n_train,
            "epochs_text": epochs_text,
            "steps_per_epoch": study.steps_per_epoch, "batch": base.batch_size, "momentum": base.momentum,
            "lrs": ", ".join(f"{lr:g}" for lr in lrs), "n_sweep_seeds": len(regime["sweep_seeds"]),
            "n_seeds": len(regime["seeds"]), "best_lr_relu": f"{regime['best_lr']['relu']:g}",
            "best_lr_tanh": f"{regime['best_lr']['tanh']:g}", "width": base.model_kwargs["width"],
            "log_every": base.log_every, "window": study.window,
            "sweep_seeds_text": plural(len(regime["sweep_seeds"]), "seed"),
            "log_every_text": plural(base.log_every, "step"),
            "window_text": plural(study.window, "logged point"),
            "window_images": study.window * base.log_every * base.batch_size,
            "n_runs": len(trained_runs(regime)), "work_images": f"{trained_images(regime):,}", "horizon_steps": f"{base.epochs * study.steps_per_epoch:,}",
            "difficulty_text": figure1.difficulty_text(regime, **_reading(study)),
            "target_text": figure1.target_text(regime, "first"),
            "paper_target_text": figure1.paper_target_text(regime, **_reading(study))}


def _reading(study: Study) -> dict:
    """How the study reads its runs' logs, as ``analysis.figure1`` takes it."""
    return {"steps_per_epoch": study.steps_per_epoch, "window": study.window}


def trained_runs(regime: Mapping) -> list[Mapping]:
    """The records of every run the regime trained: the sweep's (every rate tried, the edge
    rule's included, and a first pass that had to be run again in full) and the reported seeds'."""
    runs = [r for v in VARIANTS for key in ("records", "first_pass")
            for recs in regime["sweep"][v].get(key, {}).values() for r in recs]
    return runs + [r.record if hasattr(r, "record") else r for v in VARIANTS for r in regime["runs"][v]]


def trained_images(regime: Mapping) -> int:
    """Training images the regime's runs went through (:func:`trained_runs`; each stops at the
    target or its horizon), summed from their step logs (every step logged: ``log_every`` 1)."""
    return sum(int(step.get("images", 0)) for r in trained_runs(regime) for step in r["steps"])


def speedup_glue(study: Study, claim: Mapping, by_target: Mapping[float, Mapping]) -> dict:
    """The judged speed-up (``claim``: :func:`judge`) with its interval, censoring and design,
    and the curve (:func:`speedups`): its targets and its lowest and highest factor."""
    low, high = curve_ends(by_target, study.target)
    return {"outcome": claim["outcome"], "estimate": times(claim["estimate"]), "ci": interval_text(claim["ci"]),
            "n_claim": claim["n"], "n_claim_text": plural(claim["n"], "seed"), "n_censored": claim["n_censored"],
            "design": design_text(claim),
            "paper_judged": paper_judged_text(claim, study.base.dataset),
            "censor_spans": join_words([f"{math.exp(s):g}" for s in verdicts.CENSOR_SPANS_LOG]),
            "targets": ", ".join(f"{100 * t:g}%" for t in study.targets),
            "low": times(low[1]["estimate"]), "low_at": f"{100 * low[0]:g}", "low_ci": interval_text(low[1]["ci"]),
            "high": times(high[1]["estimate"]), "high_at": f"{100 * high[0]:g}",
            "high_ci": interval_text(high[1]["ci"])}


def saturation_glue(trained: Mapping[str, Mapping[str, float]]) -> dict:
    """After training (:func:`trained_derivatives`): tanh's lowest mean derivative and its layer,
    the lowest and highest share of active ReLUs in percent."""
    tanh_d, relu_d = trained["tanh"], trained["relu"]
    return {"tanh_trained_min": f"{min(tanh_d.values()):.2f}", "tanh_trained_min_layer": min(tanh_d, key=tanh_d.get),
            "relu_trained_min": f"{100 * min(relu_d.values()):.0f}",
            "relu_trained_max": f"{100 * max(relu_d.values()):.0f}"}


def second_glue(study: Study, regime: Mapping, claim: Mapping) -> dict:
    """The second regime (:func:`tuned` with its ``model_kwargs``) and its judged ``claim``."""
    kw = regime["model_kwargs"]
    return {"second_recipe": kw.get("recipe", "book"), "second_init": resolved_init(regime),
            "second_scale": f"{kw.get('input_scale', 1.0):g}",
            "second_lrs": ", ".join(f"{lr:g}" for lr in regime["lrs"]),
            "second_lr_relu": f"{regime['best_lr']['relu']:g}", "second_lr_tanh": f"{regime['best_lr']['tanh']:g}",
            "second_target_pct": f"{100 * regime['target']:g}",
            "second_difficulty_text": figure1.difficulty_text(regime, **_reading(study)),
            "second_target_text": figure1.target_text(regime, "second"),
            "second_outcome": claim["outcome"], "second_estimate": times(claim["estimate"]),
            "second_ci": interval_text(claim["ci"]), "second_n_censored": claim["n_censored"],
            "second_design": design_text(claim)}


def note_glue() -> dict:
    """What the reading note says of ReLU's speed-up, and what the paper measured."""
    note = READING_NOTE_ERRORS["relu_six_times"]
    return {"note_says": note["note_says"], "note_paper_says": note["paper_says"]}


def wall_glue(record: Mapping) -> dict:
    """The chapter's wall time in minutes, from its record."""
    return {"wall_min": f"{record['wall_time_s'] / 60:.1f}"}
