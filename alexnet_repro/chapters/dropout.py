"""The dropout chapter (Section 4.2): the Monte-Carlo check of the dropout conventions, the two
networks it trains (no dropout, and dropout with the paper's ``p``), the readings of its three
claims and the judged claim rows.

The maths of the conventions (where the ``1/(1-p)`` factor goes) lives in
:mod:`alexnet_repro.nn.dropout`, the layer in :mod:`alexnet_repro.nn.layers`. Here:

* :func:`paper_facts`, :func:`convention_check`, :func:`conventions_glue`,
  :func:`conventions_table` -- what the paper and the reading note say, and the check of every
  convention against its expectation worked out by hand;
* :func:`variants`, :func:`train_both`, :func:`experiment_glue`, :func:`curves_figure`,
  :func:`summary_html` -- the experiment (seed ``i`` of both arms shares its images, data order
  and initial weights; only the masks differ);
* :func:`overfitting`, :func:`iterations`, :func:`rule_readings` -- per-seed paired readings of the
  three claims, with their glue and tables (:func:`temperature_sentence` is the one sentence
  whose words depend on a result);
* :func:`claims`, :func:`claims_glue`, :func:`dropout_record` -- the judged rows (setting by
  :func:`alexnet_repro.analysis.setting.setting_text`) and the chapter record;
* :func:`design_text`, :func:`answer_html`, :func:`try_glue` -- for the reader: what the design
  could detect, the answer shown under the title, what each "Try it" command costs.
"""
from __future__ import annotations

import math
import time
from typing import Any, Mapping, Sequence

import torch

from alexnet_repro.analysis import judging, run_metrics, verdicts
from alexnet_repro.analysis.preregistration import TITLES
from alexnet_repro.analysis.probes import (
    evaluate_split,
    model_inputs,
    output_shape,
    parameter_share,
    train_mode_means,
)
from alexnet_repro.analysis.setting import setting_text
from alexnet_repro.analysis.sweeps import run_seeds
from alexnet_repro.common.html import html_table
from alexnet_repro.common.text import duration_words, join_words, plural
from alexnet_repro.nn.dropout import eval_over_train, monte_carlo_mean, with_test_factor
from alexnet_repro.nn.layers import CONVENTIONS, Dropout
from alexnet_repro.nn.model import AlexNet
from alexnet_repro.quoted.paper import CLAIMS, PAPER
from alexnet_repro.quoted.reading_note import READING_NOTE_ERRORS
from alexnet_repro.viz.answer import answer_block
from alexnet_repro.viz.plots import plot_runs

#: The arm without dropout (the other is :func:`dropout_label`).
NO = "no dropout (p = 0)"
#: The step log's training error in evaluation mode (masks off; ``eval_train_every``).
EVAL = "eval_train_top1_error"
#: The dropout layers whose test output is compared with its training average.
DROP_LAYERS = ("drop6", "drop7")
#: The chapter stops when a Monte-Carlo mean is this many standard errors off its expectation.
MAX_Z = 6
#: How the prose and the answer block name each initialisation.
INIT_WORDS = {"kaiming": "He initialisation", "paper": "the paper's initialisation"}


# ------------------------------------------------------------------------ what the paper says

def paper_facts() -> dict[str, Any]:
    """Section 4.2's numbers and the reading note's formula, for the chapter's prose: ``p`` (drop
    probability), ``keep`` (``1 - p``), ``test_scale``, ``layers`` ("fc6 and fc7"), ``factor``
    (the claimed iterations factor) and ``note_says``."""
    P = PAPER["dropout"]
    return {"p": P["p_drop"], "keep": 1 - P["p_drop"], "test_scale": P["test_scale"],
            "layers": " and ".join(P["layers"]), "factor": CLAIMS["dropout"]["iterations_factor"],
            "note_says": READING_NOTE_ERRORS["dropout_formula"]["note_says"]}


# ------------------------------------------------------------------------ two conventions, one expectation

def convention_check(p: float, units: int, samples: int, *, seed: int = 0, mc_seed: int = 1,
                     high: float = 3.0) -> list[dict]:
    """The Monte-Carlo check of every convention of :data:`CONVENTIONS` with the library's own
    layer: ``units`` activations drawn uniformly in ``[0, high)`` (float64, non-negative like
    ReLU outputs; generator seeded with ``seed``), each dropped ``samples`` times (seed
    ``mc_seed``). One row per convention: its ``s_train``/``s_test``, the analytic and measured
    training mean over ``x``, the largest deviation of a unit's Monte-Carlo mean from
    ``(1-p) s_train x`` in standard errors ``s_train x sqrt(p(1-p)/samples)``, and the test
    output over the measured training mean (1 for a consistent convention)."""
    gen = torch.Generator().manual_seed(seed)
    x = high * torch.rand(units, generator=gen, dtype=torch.float64)
    rows = []
    for name, conv in CONVENTIONS.items():
        s_train, s_test = conv.scales(p)
        mc = monte_carlo_mean(x, p, name, samples, seed=mc_seed)       # training-mode average
        expected = (1 - p) * s_train * x                                  # E[m] s_train x
        stderr = s_train * x * math.sqrt(p * (1 - p) / samples)
        at_test = Dropout(p, name).eval()(x)
        rows.append({"convention": name, "s_train": s_train, "s_test": s_test,
                     "train mean / x (analytic)": (1 - p) * s_train,
                     "train mean / x (Monte Carlo)": (mc.sum() / x.sum()).item(),
                     "largest |MC - analytic| / stderr": ((mc - expected).abs() / stderr).max().item(),
                     "test / train mean": (at_test.sum() / mc.sum()).item()})
    return rows


def conventions_table(rows: Sequence[Mapping]) -> str:
    """HTML table of :func:`convention_check`'s rows, one column per key (4 significant digits)."""
    return html_table(rows, [(c, c) for c in rows[0]], float_format=".4g")


def conventions_glue(rows: Sequence[Mapping], p: float, units: int, samples: int,
                     max_allowed: int = MAX_Z) -> dict[str, Any]:
    """The glue of the convention check: its size, the largest deviation in standard errors
    (``mc_maxz``; ``ValueError`` when it reaches ``max_allowed``), the measured test / training
    ratio of each convention (``ratio_<name>``) and the exact ones of the two mixtures."""
    max_z = max(r["largest |MC - analytic| / stderr"] for r in rows)
    if not max_z < max_allowed:
        raise ValueError(f"Monte-Carlo mean {max_z:.1f} standard errors off the analytic expectation")
    return {"mc_units": units, "mc_samples": samples, "mc_max_allowed": max_allowed, "mc_maxz": max_z,
            **{f"ratio_{r['convention']}": r["test / train mean"] for r in rows},
            "note_exact": eval_over_train(p, "note"), "unscaled_exact": eval_over_train(p, "unscaled")}


# ------------------------------------------------------------------------ the experiment

def dropout_label(p: float) -> str:
    """The name of the arm with dropout ``p``."""
    return f"dropout p = {p:g}"


def variants(p: float) -> dict[str, dict]:
    """The two networks (``run_seeds`` variants): dropout 0 and dropout ``p`` in fc6 and fc7."""
    return {NO: {"model_kwargs": {"dropout": 0.0}}, dropout_label(p): {"model_kwargs": {"dropout": p}}}


def train_both(base, p: float, seeds: Sequence[int], *, workers: int = 1, data=None) -> tuple[dict, float]:
    """Train both :func:`variants` of ``base`` with every seed (training split evaluated after
    training: the overfitting gap), ``workers`` runs at once. No shared data by default: each
    seed draws its own images, which both arms share. Returns ``(runs, seconds)``."""
    t0 = time.perf_counter()
    runs = run_seeds(base, variants(p), seeds, data=data, eval_train_split=True, workers=workers)
    return runs, time.perf_counter() - t0


def experiment_glue(base, runs: Mapping[str, Sequence], train_seconds: float, *, window: int,
                    target: float) -> dict[str, Any]:
    """The experiment's numbers for the prose: data, network, training (read from the first run
    without dropout and from ``base``), ``images_seen``, the training images seen by all runs
    (``nan`` without a ``limit``), and how convergence is read (``window``, ``target_pct``)."""
    rec0 = runs[NO][0]
    n_seeds = len(runs[NO])
    seen = n_seeds * len(runs) * base.limit * base.epochs if base.limit else float("nan")
    ds = rec0["dataset"]
    return {"dataset": ds["name"], "train_images": ds["train_images"], "val_images": ds["val_images"],
            "crop": ds["crop_size"], "width": base.model_kwargs["width"], "params": rec0["model"]["parameters"],
            "epochs": base.epochs, "steps": rec0["final"]["steps"], "batch": base.batch_size, "lr": base.lr,
            "init": base.model_kwargs["init"], "n_seeds": n_seeds, "train_seconds": train_seconds,
            "init_text": INIT_WORDS.get(base.model_kwargs["init"], f"initialisation {base.model_kwargs['init']}"),
            "n_seeds_text": plural(n_seeds, "seed"), "window_points": plural(window, "point"),
            "eval_every_text": plural(base.eval_train_every, "step"),
            "window": window, "eval_every": base.eval_train_every, "eval_images": base.eval_train_images,
            "images_seen": seen, "target_pct": 100 * target}


def curves_figure(runs: Mapping[str, Sequence], base, *, window: int, target: float):
    """The learning curves of both arms: training error in evaluation mode (``window``-point
    trailing mean, ``target`` marked) and validation error. Returns the figure."""
    title = f"AlexNet, width {base.model_kwargs['width']:g}, {runs[NO][0]['dataset']['name']}"
    return plot_runs(runs, window=window, target=target, key=EVAL,
                     train_label="training top-1 error (evaluation mode)", title=title)


def summary_html(runs: Mapping[str, Sequence]) -> str:
    """Mean ± std over the seeds of each arm's final errors, gap and losses (HTML)."""
    return run_metrics.summary_table(run_metrics.variant_summary(runs, run_metrics.overfitting_metrics()), digits=2)


# ------------------------------------------------------------------------ overfitting, iterations

def overfitting(runs: Mapping[str, Sequence], p: float) -> dict[str, Any]:
    """The overfitting claim's readings, per seed: the gap (validation minus training error in
    evaluation mode, points) without dropout (``gap_no``) and with it (``gap_yes``), the claim's
    effects ``gap_no - gap_yes``, and the validation error without minus with dropout
    (``val_diff``, points) with its t-interval ``val_ci`` (context, not a claim)."""
    yes = dropout_label(p)
    gap_no, gap_yes = ([run_metrics.overfit_gap(r) for r in runs[k]] for k in (NO, yes))
    val_diff = run_metrics.paired(runs, NO, yes, lambda r: 100 * r["final"]["val_top1_error"])
    return {"gap_no": gap_no, "gap_yes": gap_yes, "effects": [a - b for a, b in zip(gap_no, gap_yes)],
            "val_diff": val_diff, "val_ci": verdicts.mean_interval(val_diff)}


def overfitting_glue(over: Mapping[str, Any], runs: Mapping[str, Sequence]) -> dict[str, Any]:
    """The glue of :func:`overfitting` (mean gaps, the validation difference with its interval)
    and where dropout acts: the share (%) of the parameters in the paper's dropout layers, in the
    paper's network (built on the ``meta`` device) and in the trained one (the first run without
    dropout), and the side of the trained one's last feature map (``pool5``)."""
    model = runs[NO][0].model
    layers = PAPER["dropout"]["layers"]
    with torch.device("meta"):          # the paper's network, shapes only
        paper_net = AlexNet()
    ci = over["val_ci"]
    return {"gap_no": judging.means({"x": over["gap_no"]})["x"], "gap_yes": judging.means({"x": over["gap_yes"]})["x"],
            "val_diff": ci["mean"], "val_lo": ci["lo"], "val_hi": ci["hi"],
            "fc_share_paper": parameter_share(paper_net, layers), "fc_share_here": parameter_share(model, layers),
            "side": output_shape(model, "pool5")[-1], "side_text": plural(output_shape(model, "pool5")[-1], "pixel")}


def iterations(runs: Mapping[str, Sequence], p: float, *, target: float, targets: Sequence[float],
               window: int, resolution_steps: float) -> dict[str, Any]:
    """The iterations claim's readings: per seed the first step at which the ``window``-point
    trailing mean of the training error in evaluation mode is ``<= target`` with dropout
    (``steps_yes``) and without (``steps_no``; ``None``: never), each run's last measured step
    (``ends_yes``, ``ends_no``), and the speed-up at each of ``targets`` (``by_target``)."""
    yes = dropout_label(p)
    steps_yes, steps_no = ([run_metrics.steps_to_target(r["steps"], target, key=EVAL, window=window)
                            for r in runs[k]] for k in (yes, NO))
    ends_yes, ends_no = ([run_metrics.horizon(r["steps"], EVAL) for r in runs[k]] for k in (yes, NO))
    by_target = run_metrics.speedups_by_target(runs, yes, NO, targets, window=window, key=EVAL,
                                            resolution_steps=resolution_steps)
    return {"steps_yes": steps_yes, "steps_no": steps_no, "ends_yes": ends_yes, "ends_no": ends_no,
            "by_target": by_target}


def speedup_html(by_target: Mapping[float, Mapping], p: float, judged_at: float) -> str:
    """HTML table of the speed-up curve of :func:`iterations` (``p = 0`` over ``p``)."""
    return run_metrics.speedup_table(by_target, dropout_label(p), NO, names={dropout_label(p): f"p = {p:g}", NO: "p = 0"},
                                  judged_at=judged_at)


# ------------------------------------------------------------------------ the test-time rule

def rule_factors(p: float, test_scale: float) -> dict[str, float]:
    """The three test-time rules the chapter compares on trained networks, as the factor by which
    the next layer's test input differs from its training average: the paper's rule (1), the
    reading note's double scaling (``eval_over_train(p, "note")``) and no test-time scaling
    (``eval_over_train(p, "unscaled")``). Keys are the table's column labels."""
    return {f"paper's rule (×{test_scale:g})": 1.0,
            f"reading note (×{test_scale:g} twice)": eval_over_train(p, "note"),
            "not scaled at test": eval_over_train(p, "unscaled")}


def evaluate_with_factors(runs, factors: dict[str, float], split: str = "val") -> tuple[dict, dict]:
    """Each run (a sweep's ``Run`` with its model) evaluated on ``split`` with every dropout layer
    handing on ``factor`` times its correct test output (:func:`with_test_factor`; factor 1: the
    model as trained). Returns ``(top-1 errors in %, losses)``, each ``{name: [value per run]}``."""
    errors = {name: [] for name in factors}
    losses = {name: [] for name in factors}
    for run in runs:
        for name, factor in factors.items():
            net = run.model if factor == 1.0 else with_test_factor(run.model, factor)
            ev = evaluate_split(run, split, model=net)
            errors[name].append(100 * ev["top1_error"])
            losses[name].append(ev["loss"])
    return errors, losses


def measured_eval_over_train(runs, layers, images: int, passes: int) -> dict[str, list[float]]:
    """Per dropout layer (short names, e.g. ``"drop6"``) and per run: the summed test-time output
    over the summed mean of ``passes`` training-mode outputs (fresh masks each pass,
    :func:`~alexnet_repro.analysis.probes.train_mode_means`) on ``images`` validation images. 1 in
    expectation when the layer's input is deterministic; ``{layer: [ratio per run]}``."""
    out = {layer: [] for layer in layers}
    for run in runs:
        x_val, _ = model_inputs(run, "val", images)
        for layer, (mc, ev) in train_mode_means(run.model, x_val, list(layers), passes).items():
            out[layer].append((ev.double().sum() / mc.sum()).item())
    return out


def rule_readings(runs: Mapping[str, Sequence], p: float, test_scale: float, *, images: int,
              passes: int) -> dict[str, Any]:
    """The test-time rule on the networks trained with dropout ``p``: the :func:`rule_factors`
    (``factors``), each run's validation top-1 error (%) and cross-entropy under each rule
    (``errors``, ``losses``), the claim's effects (error without test-time scaling minus with the
    paper's rule, points) and each dropout layer's test output over its training average
    (``expect``, :func:`measured_eval_over_train` on ``images`` images, ``passes`` passes)."""
    trained = runs[dropout_label(p)]
    factors = rule_factors(p, test_scale)
    rule, _, unscaled = factors
    errors, losses = evaluate_with_factors(trained, factors)
    return {"factors": factors, "errors": errors, "losses": losses,
            "effects": [a - b for a, b in zip(errors[unscaled], errors[rule])],
            "expect": measured_eval_over_train(trained, DROP_LAYERS, images, passes)}


def temperature_sentence(loss_twice: float, loss_rule: float) -> str:
    """The sentence for a cross-entropy that the reading note's double scaling lowers (an
    over-confident network's scores shrunk, like a softmax temperature above 1); ``""`` else."""
    if loss_twice < loss_rule:
        return ("Halving twice gives a lower cross-entropy than the rule here: a network that "
                "overfits is over-confident, and shrinking its class scores acts like a softmax "
                "temperature above 1.")
    return ""


def rule_glue(rule: Mapping[str, Any], images: int, passes: int) -> dict[str, Any]:
    """The glue of :func:`rule_readings`: mean error and loss under each rule, the
    :func:`temperature_sentence`, the mean test / training ratio of drop6 and drop7."""
    rule_name, twice, unscaled = rule["factors"]
    mm, ml, me = (judging.means(rule[k]) for k in ("errors", "losses", "expect"))
    return {"err_paper": mm[rule_name], "err_note": mm[twice], "err_unscaled": mm[unscaled],
            "loss_paper": ml[rule_name], "loss_note": ml[twice], "loss_unscaled": ml[unscaled],
            "temperature": temperature_sentence(ml[twice], ml[rule_name]),
            "exp6": me["drop6"], "exp7": me["drop7"], "mc_images": images, "mc_passes": passes}


def rule_html(rule: Mapping[str, Any], p: float) -> str:
    """HTML table of :func:`rule_readings`: validation error and cross-entropy (mean ± std over the
    seeds) under each rule."""
    rows = [{"label": "validation top-1 error, %", **judging.pm_cells(rule["errors"], digits=2)},
            {"label": "validation cross-entropy", **judging.pm_cells(rule["losses"], digits=3)}]
    return html_table(rows, [("label", f"networks trained with dropout p = {p:g}")] + [(k, k) for k in rule["factors"]])


# ------------------------------------------------------------------------ claims and record

def claims(base, runs: Mapping[str, Sequence], over: Mapping, iters: Mapping, rule: Mapping, *,
           target: float, window: int) -> list[dict]:
    """The three judged claim rows: ``dropout_overfitting`` (effects of :func:`overfitting`),
    ``dropout_iterations`` (the steps of :func:`iterations`, known to ``± eval_train_every``
    steps) and ``dropout_test_scale`` (effects of :func:`rule_readings`). Their setting is
    :func:`setting_text` of ``base`` with the drawn images of the first run; the iterations row
    names its ``target``."""
    ds = runs[NO][0]["dataset"]
    name = ds["name"]
    sizes = {"train_images": ds["train_images"], "val_images": ds["val_images"], "crop": ds["crop_size"],
             "seeds": len(runs[NO])}
    setting = setting_text(base, **sizes)
    at_target = setting_text(base, **sizes, target=f"target {100 * target:g}% training error (evaluation mode)")
    return [
        judging.judge("dropout_overfitting", over["effects"], dataset=name, setting=setting,
                      values={"gap_no_dropout": over["gap_no"], "gap_dropout": over["gap_yes"],
                              "val_error_difference": over["val_diff"]}),
        judging.judge_speedup("dropout_iterations", iters["steps_yes"], iters["steps_no"],
                              slow_horizons=iters["ends_yes"], fast_horizons=iters["ends_no"],
                              resolution_steps=base.eval_train_every, dataset=name, setting=at_target,
                              values={"target": target, "window": window, "key": EVAL,
                                      "eval_train_images": base.eval_train_images}),
        judging.judge("dropout_test_scale", rule["effects"], dataset=name, setting=setting,
                      values={"errors_pct": rule["errors"], "losses": rule["losses"],
                              "test_over_train_mean": rule["expect"]}),
    ]


def claim_text(claim: Mapping) -> str:
    """One claim row as ``"estimate [lo, hi] (MDE x; paper y)"`` in its units (the paper's number
    marked as of another setting where it is not judged)."""
    return verdicts.format_replication(claim["result"], unit=claim["unit"],
                                       paper_elsewhere=None if claim["paper_judged"] else claim["paper_effect"])


def claims_glue(rows: Sequence[Mapping]) -> dict[str, str]:
    """Outcome and :func:`claim_text` of the three :func:`claims` (``over_``, ``iter_``,
    ``scale_``) and the design sentence."""
    out = {}
    for short, row in zip(("over", "iter", "scale"), rows):
        out[f"{short}_outcome"], out[f"{short}_text"] = row["outcome"], claim_text(row)
    return {**out, "design": design_text(rows)}


#: What each judged effect is, in the design sentence.
EFFECT_WORDS = {"dropout_overfitting": "a narrowing of the overfitting gap",
                "dropout_iterations": "a factor in the steps to converge",
                "dropout_test_scale": "a cost in error of skipping the test-time scaling"}


def _size(v: float | None, unit: str) -> str:
    if v is None or not math.isfinite(v):
        return "n/a"
    return f"{math.exp(v):.2f}×" if unit == "log ratio" else f"{v:.1f} points"


def design_text(rows: Sequence[Mapping]) -> str:
    """What the design could detect, for a reader (no claim keys): ``"With 5 seeds, this design
    detects, with 80% power at the 95% level, a narrowing of the overfitting gap of at least 3.1
    points, ... (the paper: 2.00×) ..."``, plus a warning for each interval that ends close to
    zero (``judging.near_line``)."""
    parts = []
    for r in rows:
        paper = r.get("paper_effect")
        said = "" if paper is None else f" (the paper: {_size(paper, r['unit'])})"
        parts.append(f"{EFFECT_WORDS.get(r['key'], r['key'])} of at least {_size(r.get('mde'), r['unit'])}{said}")
    seeds = plural(max(r["n"] for r in rows), "seed") if rows else "no seeds"
    text = f"With {seeds}, this design detects, with 80% power at the 95% level, {join_words(parts)}."
    near = [f"“{TITLES.get(r['key'], r['key'])}”" for r in rows
            if (d := judging.near_line(r)) is not None and d < judging.NEAR_LINE]
    if near:
        text += (f" On the line: the interval of {join_words(near)} ends close to zero, so float rounding "
                 "alone (another thread count or machine) could move that outcome between \"inconclusive\" "
                 "and a direction; the estimate and interval are what this run settles.")
    return text


def reader_setting(base, runs: Mapping[str, Sequence]) -> str:
    """The experiment's scale in a reader's words, for the answer block: ``"default profile:
    AlexNet at width 0.25, He initialisation; fashion-mnist, 500 training and 300 validation
    images per seed at 67 px"`` (sizes as drawn by the first run without dropout)."""
    ds, init = runs[NO][0]["dataset"], base.model_kwargs.get("init", "kaiming")
    return (f"{base.profile or 'default'} profile: AlexNet at width {base.model_kwargs['width']:g}, "
            f"{INIT_WORDS.get(init, f'initialisation {init}')}; {ds['name']}, {ds['train_images']:,} training "
            f"and {ds['val_images']:,} validation images per seed at {ds['crop_size']} px")


def answer_html(rows: Sequence[Mapping], base, runs: Mapping[str, Sequence]) -> str:
    """The answer block shown under the chapter's title (``viz.answer.answer_block``), each claim
    with the :func:`reader_setting` (the judged rows are not changed)."""
    setting = reader_setting(base, runs)
    return answer_block([{**r, "setting": setting} for r in rows])


def try_glue(record: Mapping, *, limit: int) -> dict[str, str]:
    """What the "Try it" commands cost on the machine that built the page (``record``'s
    ``chapter_seconds``): ``try_same`` for a change that keeps the runs' size, ``try_limit`` for
    ``limit`` training images instead of the record's (time grows in proportion)."""
    seconds, own = record["chapter_seconds"], record["config"]["limit"]
    return {"try_same": duration_words(seconds), "try_limit": duration_words(seconds * limit / own if own else seconds)}


def dropout_record(profile: str, rows: Sequence[Mapping], runs: Mapping[str, Sequence], *,
                   conventions: Sequence[Mapping], base, seeds: Sequence[int],
                   by_target: Mapping, seconds: float) -> dict:
    """The chapter record: the claims, the runs' digest, the convention check, the configuration,
    the seeds, the speed-up curve and the chapter's wall time."""
    return judging.chapter_record("dropout", profile, rows, {
        "runs": run_metrics.runs_digest(runs), "conventions": list(conventions), "config": base.to_dict(),
        "seeds": list(seeds), "speedups": run_metrics.speedups_record(by_target), "chapter_seconds": seconds})
