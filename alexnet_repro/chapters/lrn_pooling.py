"""The lrn_pooling chapter's experiment: the network variants it trains in two regimes, its four
judged claims and the descriptive comparisons beside them (what LRN does to an untrained network's
responses is :mod:`alexnet_repro.chapters.lrn_pooling_regimes`).

* :func:`variants` (``sweeps.run_seeds`` variants), :func:`paired_effects` (per-seed paired
  differences in points; seed ``i`` of every arm shares its weights, data order and subset);
* :func:`claims` -- ``lrn``, ``overlap_pool`` and ``overlap_pool_overfit`` judged (metrics in
  ``CLAIM_TESTS``); LRN only where :func:`lrn_test` finds it acting and both arms learning;
* :func:`described` -- what is shown but not judged, as means with 95% t-intervals;
  :func:`probe_sentences` and :func:`lrn_sentence` -- the sentences the prose quotes;
* :func:`second_regime`, :func:`tune_second`, :func:`at_rates`, :func:`regime_claim` -- LRN in a
  second regime (by default each LRN layer at gain 45, each network at its own rate), ``lrn_second_regime``;
* the chapter's steps: :func:`train_first`, :func:`judge_first`, :func:`train_second`,
  :func:`judge_second`, :func:`second_glue`, :func:`chapter_record`.
"""
from __future__ import annotations

import math
import time
from typing import Any, Mapping, Sequence

import numpy as np

from alexnet_repro.analysis import judging, probes, run_metrics, sweeps, verdicts
from alexnet_repro.analysis.preregistration import LRN_MIN_SHARE, chance_error_pct, learned_below_pct
from alexnet_repro.analysis.setting import init_text, lr_text, scale_text, setting_text
from alexnet_repro.common.html import html_table
from alexnet_repro.common.text import dataset_name, duration_words, interval_text, join_words, pct_text, plural, seeds_text
from alexnet_repro.nn.introspect import layer_table
from alexnet_repro.quoted.paper import CLAIMS, PAPER
from alexnet_repro.quoted.reimplementations import REIMPLEMENTATIONS

__all__ = ["PAPER_NET", "NO_LRN", "PLAIN", "ALPHA_N", "METRICS", "variants",
           "paired_effects", "claims", "described", "probe_sentences",
           "second_regime", "regime_claim", "FIRST", "RELEASED", "NORM1_BEFORE",
           "WITHIN_MAP", "released_differences", "difference_row", "paper_glue",
           "train_first", "training_glue", "setting_of", "judge_first", "judged_glue", "runs_title", "compare_text",
           "summary_html", "at_rates", "rates_text", "tune_second", "tuning_glue", "train_second", "judge_second",
           "second_glue", "released_table", "chapter_record", "try_glue"]

_L, _POOL = PAPER["lrn"], PAPER["pooling"]
PAPER_NET = "LRN + overlapping pooling (paper)"
NO_LRN = "no LRN"
PLAIN = f"plain pooling (z = {_POOL['non_overlapping_z']})"
ALPHA_N = "LRN, α/n reading"
NORM1_BEFORE = "norm1 before the ReLU (released)"
WITHIN_MAP = "+ within-map norm2 (released)"
#: The variants of the first regime (the alpha/n reading is trained in the second, where it acts).
FIRST = (PAPER_NET, NO_LRN, PLAIN)
#: The released configuration's normalization choices, one at a time on the paper's network:
#: name -> model_kwargs (measured in the second regime, where the normalizer acts).
RELEASED = {ALPHA_N: {"lrn_alpha": _L["alpha"] / _L["n"]}, NORM1_BEFORE: {"norm1_before_act": True},
            WITHIN_MAP: {"within_map_norm": True}}

#: Per-run numbers of the chapter's summary table (labels are its columns), all in percent.
METRICS = {
    "validation top-1 error, %": lambda r: 100 * run_metrics.final_value(r, "val_top1_error"),
    "validation top-5 error, %": lambda r: 100 * run_metrics.final_value(r, "val_top5_error"),
    "training top-1 error (evaluation mode), %": lambda r: 100 * run_metrics.final_value(r, "train_eval.top1_error"),
    "gap (validation - training), points": run_metrics.overfit_gap,
}
_TOP1, _TOP5, _FIT, _GAP = METRICS.values()
#: Paired differences: name -> (variant without the paper's choice, metric); each is that
#: variant's value minus the paper's network's, so positive means the paper's choice helps
#: (for "reading": positive if the printed formula ends lower than the alpha/n reading).
_EFFECTS = {"lrn_top1": (NO_LRN, _TOP1), "lrn_top5": (NO_LRN, _TOP5), "ov_top1": (PLAIN, _TOP1),
            "ov_top5": (PLAIN, _TOP5), "ov_gap": (PLAIN, _GAP), "reading": (ALPHA_N, _TOP1)}


def variants(alpha_over_n: float = _L["alpha"] / _L["n"]) -> dict[str, dict[str, Any]]:
    """Four networks (``sweeps.run_seeds`` variants): the paper's (LRN, overlapping 3x3/2
    pooling), without LRN, with plain 2x2/2 pooling, and with LRN under the ``alpha / n``
    reading (``lrn_alpha``). The chapter's first regime trains :data:`FIRST` of them."""
    return {PAPER_NET: {"model_kwargs": {"lrn": True, "overlap_pool": True}},
            NO_LRN: {"model_kwargs": {"lrn": False, "overlap_pool": True}},
            PLAIN: {"model_kwargs": {"lrn": True, "overlap_pool": False}},
            ALPHA_N: {"model_kwargs": {"lrn": True, "overlap_pool": True, "lrn_alpha": alpha_over_n}}}


def paired_effects(runs: Mapping[str, Sequence]) -> dict[str, list[float]]:
    """Per-seed paired differences in points of error, ``{name: [per seed]}``: ``lrn_top1``,
    ``lrn_top5`` (no LRN minus the paper's network), ``ov_top1``, ``ov_top5``, ``ov_gap`` (plain
    pooling minus the paper's; the gap is :func:`~alexnet_repro.analysis.run_metrics.overfit_gap`, training
    error in evaluation mode) and ``reading`` (alpha/n reading minus the printed formula); an
    effect whose variant ``runs`` lacks is left out."""
    return {name: run_metrics.paired(runs, other, PAPER_NET, fn) for name, (other, fn) in _EFFECTS.items()
            if other in runs}


_ORDINAL = {"norm1": "first", "norm2": "second"}   # the LRN layers (``probes.lrn_readings``' keys) in words


def lrn_test(runs: Mapping[str, Sequence], probe: Mapping[str, Any]) -> dict:
    """Whether LRN's claim can be judged on ``runs`` with ``probe`` (``probes.lrn_readings``): the
    neighbours' term at least ``LRN_MIN_SHARE`` of k in an LRN layer (median over units, mean over
    networks), every run below ``learned_below_pct``. ``{"testable", "share", "learned", "reason"}``."""
    share = {layer: float(np.mean(v)) for layer, v in probe["share"].items()}
    classes = runs[PAPER_NET][0]["dataset"]["classes"]
    chance, limit = chance_error_pct(classes), learned_below_pct(classes)
    learned = {arm: [_TOP1(r) < limit for r in runs[arm]] for arm in (PAPER_NET, NO_LRN)}
    acts = max(share.values()) >= LRN_MIN_SHARE
    reasons = []
    if not acts:
        reasons.append(
            "the neighbours' term is a median " + " and ".join(
                f"{100 * v:.1e}% of k in the {_ORDINAL.get(layer, layer)} LRN layer" for layer, v in share.items())
            + f" (it must reach {100 * LRN_MIN_SHARE:g}% to act), so the layer is a constant division, which the "
            "next layer's weights absorb")
    stuck = [f"{len(ok) - sum(ok)} of the {len(ok)} runs {'with' if arm == PAPER_NET else 'without'} LRN"
             for arm, ok in learned.items() if not all(ok)]
    if stuck:
        reasons.append(f"{join_words(stuck)} ended at {limit:.0f}% validation error or more "
                       f"(chance {chance:.0f}%): the comparison measures whether the network trains, not what "
                       "the normalization adds")
    return {"testable": not reasons, "share": share, "learned": learned, "reason": "; ".join(reasons)}


def _lrn_row(key: str, effects: Mapping[str, Sequence[float]], test: Mapping[str, Any] | None, **row) -> dict:
    """An LRN claim's row: judged, or "not testable at this scale" where ``test`` says so."""
    if test is not None and not test["testable"]:
        return judging.not_testable(key, effects["lrn_top1"], reason=test["reason"],
                                    outcome=verdicts.OUTCOME_NOT_AT_SCALE, **row)
    return judging.judge(key, effects["lrn_top1"], **row)


def lrn_sentence(row: Mapping[str, Any]) -> str:
    """The prose on an LRN claim's row: its change and outcome, or why it is not judged."""
    if row.get("reason"):
        plain = verdicts.format_replication(row["result"], unit="points")
        return (f"Not testable at this scale: {row['reason']}. Removing LRN changes the validation top-1 "
                f"error here by {plain} points: shown, not judged.")
    return (f"Removing it changes the validation top-1 error, in points, by {row['measured']} (mean of the "
            f"per-seed differences [95% interval], positive: LRN helps): “{row['outcome']}”.")


def claims(effects: Mapping[str, Sequence[float]], *, dataset: str, setting: str,
           values: Mapping[str, Any] | None = None, test: Mapping[str, Any] | None = None) -> list[dict]:
    """The chapter's judged claim rows (:func:`alexnet_repro.analysis.judging.judge`, top-1 only, as
    pre-registered): ``lrn`` on ``effects["lrn_top1"]`` (not judged where ``test``,
    :func:`lrn_test`, says so), ``overlap_pool`` on ``ov_top1`` and ``overlap_pool_overfit`` on
    ``ov_gap``. The top-5 differences go into the rows' ``values`` (shown, not judged);
    ``values`` adds to the ``lrn`` row (e.g. the probes' readings)."""
    row = dict(dataset=dataset, setting=setting)
    return [_lrn_row("lrn", effects, test, **row,
                     values={"top5_points": list(effects["lrn_top5"]), **dict(values or {})}),
            judging.judge("overlap_pool", effects["ov_top1"], **row,
                          values={"top5_points": list(effects["ov_top5"])}),
            judging.judge("overlap_pool_overfit", effects["ov_gap"], **row)]


def described(effects: Mapping[str, Sequence[float]], swap_points: Sequence[float]) -> dict[str, dict]:
    """Means with 95% t-intervals (:func:`alexnet_repro.analysis.verdicts.mean_interval`) of what the
    chapter shows without judging: ``lrn_top5``, ``ov_top5``, ``reading`` (trained under the
    alpha/n reading minus the printed formula) and ``swap`` (the alpha/n reading swapped into
    the trained networks, same weights; ``probes.lrn_readings``' ``swap_top1_points``); a key
    ``effects`` lacks is left out."""
    out = {k: verdicts.mean_interval(effects[k]) for k in ("lrn_top5", "ov_top5", "reading") if k in effects}
    out["swap"] = verdicts.mean_interval(swap_points)
    return out


def probe_sentences(probe: Mapping[str, Any]) -> dict[str, str]:
    """The sentences the chapter writes from the LRN probes of its trained networks (``probe``:
    ``probes.lrn_readings``): ``regime`` (is LRN more than the constant division by ``k**beta``
    in them? the share :func:`lrn_test` reads, against ``LRN_MIN_SHARE``) and ``reading_close`` (do the two readings of alpha compute nearly the same
    function there?)."""
    largest = 100 * max(float(np.mean(v)) for v in probe["share"].values())   # as lrn_test reads it
    diff = max(probe["reading_diff"])
    regime = (f"In these networks LRN is, to within {largest:.2g}% of k, the constant division by k^β."
              if largest < 100 * LRN_MIN_SHARE else
              f"Here the neighbours' term is no longer negligible (a median {pct_text(largest)}% of k, "
              "mean over the networks, in the LRN layer where it is largest).")
    close = ("At these activation sizes the two readings compute almost the same function "
             f"(outputs within {diff:.1e})." if diff < 1e-3 else "")
    return {"regime": regime, "reading_close": close}


def second_regime(base_config, regime: Mapping[str, Any]):
    """``(config, variants)`` of the chapter's second regime: ``base_config`` with the
    ``regime``'s ``input_scale``, ``init`` and ``norm_gain`` (those given) in ``model_kwargs`` and
    its ``lr`` (or none, where its ``lrs`` are tuned per network: :func:`at_rates`), and the
    variants it trains: the paper's network, the one without LRN and the paper's network with
    each of the released configuration's normalization choices (:data:`RELEASED`)."""
    unknown = sorted(set(regime) - {"input_scale", "init", "norm_gain", "lr", "lrs"})
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)} in the second regime; "
                         "known: input_scale, init, norm_gain, lr, lrs")
    model = {k: regime[k] for k in ("input_scale", "init", "norm_gain") if k in regime}
    config = sweeps.config_with(base_config, {"model_kwargs": model, "lr": float(regime.get("lr", base_config.lr))})
    both = variants()
    paper = both[PAPER_NET]["model_kwargs"]
    return config, {PAPER_NET: both[PAPER_NET], NO_LRN: both[NO_LRN],
                    **{name: {"model_kwargs": {**paper, **kw}} for name, kw in RELEASED.items()}}


def released_differences(runs: Mapping[str, Sequence]) -> dict[str, dict]:
    """Each released normalization choice against the paper's text, in ``runs`` (the second
    regime's): per seed, validation top-1 error with the released choice minus without, in
    points (positive: the text's choice ends lower), summarised by
    :func:`alexnet_repro.analysis.verdicts.replication` (mean, 95% interval, MDE; not a claim of the
    paper, so described rather than judged). ``{name: replication result + "values"}``."""
    out = {}
    for name in RELEASED:
        diffs = run_metrics.paired(runs, name, PAPER_NET, _TOP1)
        out[name] = {**verdicts.replication(diffs, direction="greater"), "values": diffs}
    return out


def difference_row(name: str, result: Mapping[str, Any]) -> dict[str, str]:
    """A table row for a :func:`released_differences` entry: ``choice``, ``difference`` (mean
    [95% interval], points) and ``mde``. No label: these are described, not judged, and with
    five seeds an interval can sit at the edge of zero (a label there would flip between
    machines; the two default builds of issue 11 showed one such case)."""
    est, (lo, hi), mde = result["estimate"], result["ci"], result["mde"]
    if not (math.isfinite(lo) and math.isfinite(hi)):     # fewer than 3 seeds: no interval
        return {"choice": name, "difference": f"{est:+.2f} (no interval from {result['n']} seeds)", "mde": "n/a"}
    return {"choice": name, "difference": f"{est:+.2f} [{lo:+.2f}, {hi:+.2f}]", "mde": f"{mde:.2f}"}


def regime_claim(runs: Mapping[str, Sequence], *, dataset: str, setting: str,
                 values: Mapping[str, Any] | None = None, test: Mapping[str, Any] | None = None) -> dict:
    """The claim ``lrn_second_regime``: validation top-1 error without LRN minus with, per seed, in
    the second regime's ``runs`` (:func:`second_regime`), not judged where ``test``
    (:func:`lrn_test`) says so; top-5 differences go in ``values``."""
    effects = paired_effects(runs)
    return _lrn_row("lrn_second_regime", effects, test, dataset=dataset, setting=setting,
                    values={"top5_points": list(effects["lrn_top5"]), **dict(values or {})})


def try_glue(chapter_seconds: float, train_seconds: float, n_seeds: int, try_seeds: int) -> dict[str, str]:
    """What the "Try it" commands cost on the machine that built the page: ``try_same`` for a
    change that keeps every run's length (``chapter_seconds``, this page's time), ``try_seeds`` for
    ``try_seeds`` seeds in the first regime instead of ``n_seeds`` (its training time,
    ``train_seconds``, scales with the number of seeds; the rest of the page does not)."""
    return {"try_same": duration_words(chapter_seconds),
            "try_seeds": duration_words(chapter_seconds + train_seconds * (try_seeds / n_seeds - 1))}


# ----------------------------------------------------------------------------- the chapter's steps

def paper_glue() -> dict[str, Any]:
    """The paper's numbers the prose quotes (§3.3's constants and effects, §3.4's pooling,
    Caffe's ``k``), by glue name (without the chapter's ``lp_`` prefix)."""
    n, alpha, beta, k = _L["n"], _L["alpha"], _L["beta"], _L["k"]
    cl, co = CLAIMS["lrn"], CLAIMS["overlap_pool"]
    return {"k": k, "n": n, "alpha": alpha, "beta": beta, "kbeta": k ** beta, "inv_kbeta": k ** -beta,
            "alpha_n": alpha / n, "caffe_k": REIMPLEMENTATIONS["caffe"]["lrn_k"], "top1": cl["top1_reduction_pct"],
            "top5": cl["top5_reduction_pct"], "cifar_without": cl["cifar10_four_layer_test_error_without_pct"],
            "cifar_with": cl["cifar10_four_layer_test_error_with_pct"], "ov_top1": co["top1_reduction_pct"],
            "ov_top5": co["top5_reduction_pct"], "z": _POOL["z"], "s": _POOL["s"],
            "z_plain": _POOL["non_overlapping_z"], "s_plain": _POOL["non_overlapping_s"],
            "after": " and ".join(_L["after"]), "pool_after": ", ".join(_POOL["after"])}


def train_first(base, seeds: Sequence[int], *, workers: int = 1) -> dict[str, Any]:
    """Train the first regime's variants (:data:`FIRST`) with every seed
    (``sweeps.run_seeds``, training error measured in evaluation mode too) and check that plain
    pooling yields maps of the same sizes. Keys: ``config``, ``seeds``, ``runs``,
    ``train_seconds``, ``pool_sizes`` (after each pooling layer) and ``facts``
    (:func:`~alexnet_repro.analysis.run_metrics.setting_facts`)."""
    t0 = time.perf_counter()
    runs = sweeps.run_seeds(base, {v: variants()[v] for v in FIRST}, seeds, eval_train_split=True,
                            workers=workers)
    seconds = time.perf_counter() - t0
    sizes = {v: [r["out_shape"][-1] for r in layer_table(runs[v][0].model) if r["kind"] == "maxpool"]
             for v in (PAPER_NET, PLAIN)}
    if sizes[PAPER_NET] != sizes[PLAIN]:
        raise RuntimeError(f"plain pooling changed the map sizes: {sizes}")
    return {"config": base, "seeds": list(seeds), "runs": runs, "train_seconds": seconds,
            "pool_sizes": sizes[PAPER_NET], "facts": run_metrics.setting_facts(runs[PAPER_NET][0])}


def training_glue(first: Mapping[str, Any], second_seeds: Sequence[int]) -> dict[str, Any]:
    """What the prose quotes of :func:`train_first`: its ``facts``, the seed counts of both
    regimes, the training time, the learning rate in words and the pooled map sizes; in words
    (``*_text``): the seeds, epochs and steps with their nouns, the initialization and the dataset."""
    config, facts = first["config"], first["facts"]
    return {**facts, "n_seeds": len(first["seeds"]), "n_second_seeds": len(second_seeds),
            "train_seconds": first["train_seconds"], "lr_text": lr_text(config.lr, config.schedule),
            "pool_sizes": " → ".join(map(str, first["pool_sizes"])),
            "seeds_text": plural(len(first["seeds"]), "seed"), "second_seeds_text": plural(len(second_seeds), "seed"),
            "epochs_text": plural(facts["epochs"], "epoch"), "steps_text": plural(facts["steps"], "step"),
            "init_text": init_text(facts["init"]), "dataset_text": dataset_name(facts["dataset"])}


def setting_of(config, facts: Mapping[str, Any], n_seeds: int, lr: str | None = None) -> str:
    """A claim row's ``setting`` (:func:`alexnet_repro.analysis.setting.setting_text`), with the
    learning rate in words (``lr``, or :func:`lr_text`: the schedule matters here)."""
    return setting_text(config, train_images=facts["train_images"], val_images=facts["val_images"],
                        crop=facts["crop"], seeds=n_seeds, lr=lr or lr_text(config.lr, config.schedule))


def judge_first(first: Mapping[str, Any], probe_images: int) -> dict[str, Any]:
    """The first regime judged: ``effects`` (:func:`paired_effects`), ``probe`` (the LRN layers
    inside the paper's trained networks, on ``probe_images`` validation images:
    ``probes.lrn_readings``), ``shown`` (:func:`described`), ``claims`` (:func:`claims`, the
    probe's readings in the ``lrn`` row) and ``glue`` (:func:`judged_glue`)."""
    config, facts, runs = first["config"], first["facts"], first["runs"]
    effects = paired_effects(runs)                    # points, per seed; positive: the paper's choice helps
    probe = probes.lrn_readings(runs[PAPER_NET], probe_images)
    shown = described(effects, probe["swap_top1_points"])
    test = lrn_test(runs, probe)
    rows = claims(effects, dataset=config.dataset, setting=setting_of(config, facts, len(first["seeds"])), values={
        "lrn_share_median": probe["share"], "lrn_share_median_alpha_over_n": probe["share_over_n"],
        "alpha_over_n_swap_top1_points": probe["swap_top1_points"]}, test=test)
    return {"effects": effects, "probe": probe, "shown": shown, "claims": rows, "test": test,
            "glue": judged_glue(rows, shown, probe, runs, probe_images)}


def judged_glue(rows: Sequence[Mapping], shown: Mapping[str, Mapping], probe: Mapping[str, Any],
                runs: Mapping[str, Sequence], probe_images: int) -> dict[str, Any]:
    """What the prose quotes of the judged first regime: each claim's ``measured`` and
    ``outcome``, the described intervals (``<name>_ci``), the design sentence, the probe's
    sentences and shares (mean over runs, in percent of ``k``) and the training fit with and
    without LRN (mean training top-1 error in evaluation mode, %)."""
    fit = {v: np.mean([_FIT(r) for r in runs[v]]) for v in (PAPER_NET, NO_LRN)}
    return {**{f"{r['key']}_{f}": r[f] for r in rows for f in ("measured", "outcome")},
            "lrn_sentence": lrn_sentence(rows[0]), "min_share_pct": f"{100 * LRN_MIN_SHARE:g}",
            "learns_pct": f"{learned_below_pct(runs[PAPER_NET][0]['dataset']['classes']):g}",
            "chance_pct": f"{chance_error_pct(runs[PAPER_NET][0]['dataset']['classes']):g}",
            **{f"{k}_ci": interval_text(v) for k, v in shown.items()}, "design": judging.design_sentence(rows),
            **probe_sentences(probe), "reading_diff": max(probe["reading_diff"]),
            "probe_images": probe_images, "fit_lrn": fit[PAPER_NET], "fit_nolrn": fit[NO_LRN],
            **{f"trained_{nm}": 100 * np.mean(v) for nm, v in probe["share"].items()},
            **{f"trained_{nm}_over_n": 100 * np.mean(v) for nm, v in probe["share_over_n"].items()}}


def runs_title(facts: Mapping[str, Any], input_scale: float | None = None, norm_gain: float = 1.0) -> str:
    """The title of a regime's learning curves: ``"AlexNet, width 0.125, Fashion-MNIST"``,
    preceded by ``"input scale 255: "`` when ``input_scale`` is given (``"input scale 1, LRN at
    gain 45: "`` with a ``norm_gain``)."""
    title = f"AlexNet, width {facts['width']:g}, {dataset_name(facts['dataset'])}"
    gain = f", LRN at gain {norm_gain:g}" if norm_gain != 1 else ""
    return title if input_scale is None else f"input scale {input_scale:g}{gain}: {title}"


def summary_html(runs: Mapping[str, Sequence]) -> str:
    """The summary table of a regime's runs: :data:`METRICS` per variant over seeds."""
    return run_metrics.summary_table(run_metrics.variant_summary(runs, METRICS), digits=2)


def at_rates(regime_variants: Mapping[str, Mapping], sweep: Mapping[str, Mapping] | None) -> dict[str, dict]:
    """The second regime's variants at their tuned rates (``sweep``: ``sweeps.tune_rates`` of the
    paper's network and the one without LRN): each of those two at its own pick, the released
    choices (the paper's network changed) at the paper's network's; unchanged where ``sweep`` is None."""
    if sweep is None:
        return dict(regime_variants)
    own = {v: sweep[v]["best_lr"] for v in (PAPER_NET, NO_LRN)}
    return {v: {**kw, "lr": own.get(v, own[PAPER_NET])} for v, kw in regime_variants.items()}


def rates_text(second: Mapping[str, Any]) -> str:
    """The second regime's learning rates in words (:func:`lr_text`), both where they differ."""
    config, kw = second["config"], second.get("variants", {})
    p, q = (kw.get(v, {}).get("lr", config.lr) for v in (PAPER_NET, NO_LRN))
    text = lr_text(p, config.schedule)
    return text if p == q else text.replace(f"learning rate {p:g}", f"learning rates {p:g} with LRN and {q:g} without", 1)


def tune_second(config, regime_variants: Mapping[str, Mapping], lrs: Sequence[float] | None,
                sweep_seeds: Sequence[int], *, workers: int = 1) -> dict | None:
    """The paper's network and the one without LRN each at its own rate of ``lrs`` (``sweeps.tune_rates``
    by final error, on ``sweep_seeds``); None where the regime gives one rate (no ``lrs``)."""
    if not lrs:
        return None
    arms = {v: regime_variants[v] for v in (PAPER_NET, NO_LRN)}
    return sweeps.tune_rates(config, arms, lrs, sweep_seeds=sweep_seeds, pick="final_error", workers=workers)


def tuning_glue(tuning: Mapping[str, Mapping] | None) -> dict[str, str]:
    """How :func:`tune_second` picked the rates, and the difference at the picks' neighbours."""
    if tuning is None:
        return {"tuning_text": "Both networks train at the one rate the regime gives; it was not tuned per network."}
    arms = {PAPER_NET: "with LRN", NO_LRN: "without LRN"}
    grid = ", ".join(f"{row['lr']:g}" for row in tuning[PAPER_NET]["table"] if row["lr"] not in tuning[PAPER_NET]["extended"])
    seeds = sorted({r["seed"] for recs in tuning[PAPER_NET]["records"].values() for r in recs})
    more = [f" {arms[v][0].upper() + arms[v][1:]}, the edge rule added {join_words([f'{lr:g}' for lr in t['extended']])}"
            + (f" and the pick still sits at the {t['edge']} edge." if t.get("edge") else ".")
            for v, t in tuning.items() if t.get("extended")]
    points = [c["points"] for c in run_metrics.error_sensitivity(tuning, NO_LRN, PAPER_NET)]
    return {"tuning_text": (
        f"Each network's rate is the one of {grid} with the lowest median final validation error over sweep "
        f"{seeds_text(seeds)} (not reported): {tuning[PAPER_NET]['best_lr']:g} with LRN and "
        f"{tuning[NO_LRN]['best_lr']:g} without.{''.join(more)} At the picks and the rates next to them, the sweep "
        f"runs put the difference (without LRN minus with) between {min(points):+.1f} and {max(points):+.1f} points.")}


def train_second(config, regime_variants: Mapping[str, Mapping], seeds: Sequence[int], *,
                 workers: int = 1, tuning: Mapping | None = None) -> dict[str, Any]:
    """Train the second regime (``regime_variants`` at :func:`at_rates`) with every ``seeds``. Keys:
    ``config``, ``variants``, ``seeds``, ``runs``, ``facts``, ``tuning`` (:func:`tune_second`)."""
    runs = sweeps.run_seeds(config, regime_variants, seeds, eval_train_split=True, workers=workers)
    return {"config": config, "variants": dict(regime_variants), "seeds": list(seeds), "runs": runs,
            "facts": run_metrics.setting_facts(runs[PAPER_NET][0]), "tuning": tuning}


def judge_second(second: Mapping[str, Any], probe_images: int) -> dict[str, Any]:
    """:func:`train_second`'s result with the LRN ``probe`` of its paper networks, the judged
    ``claim`` (:func:`regime_claim`) and the ``released`` choices (:func:`released_differences`)."""
    config, runs = second["config"], second["runs"]
    probe = probes.lrn_readings(runs[PAPER_NET], probe_images)
    setting = setting_of(config, second["facts"], len(second["seeds"]), lr=rates_text(second))
    test = lrn_test(runs, probe)
    claim = regime_claim(runs, dataset=config.dataset, setting=setting, values={
        "lrn_share_median": probe["share"], "alpha_over_n_swap_top1_points": probe["swap_top1_points"]}, test=test)
    return {**second, "probe": probe, "claim": claim, "test": test, "released": released_differences(runs)}


def compare_text(first_row: Mapping[str, Any] | None, second_row: Mapping[str, Any]) -> str:
    """What the two regimes' LRN outcomes say together (of the claim only where both were judged)."""
    judged = [r is not None and r["outcome"] not in verdicts.NOT_JUDGED for r in (first_row, second_row)]
    if judged == [False, True]:
        return ("Only this regime judges the claim; the first shows what the layer does where it is a "
                "constant division.")
    if not all(judged):
        return ("With the claim not judged in at least one of them, the two regimes show what the scale of "
                "the activities does to the layer, not to the claim.")
    return ("The two regimes differ in the activities the layer meets and in how the rates were set, so the difference "
            "between the two outcomes is what the scale of the activities, at rates suited to it, does to the claim.")


def second_glue(second: Mapping[str, Any], facts: Mapping[str, Any],
                first_row: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the prose quotes of the second regime (:func:`judge_second`), beside the first's
    ``facts`` and LRN row (``first_row``): how it differs from the first (its input scale, or its
    normalization gain), the setting, the claim, the mean final errors with and without LRN, how
    many runs of each learned (the gate's reading), the probe's shares and :func:`compare_text`."""
    sf, config, claim, probe = second["facts"], second["config"], second["claim"], second["probe"]
    errors = {v: [_TOP1(r) for r in second["runs"][v]] for v in (PAPER_NET, NO_LRN)}
    gain = float(config.model_kwargs.get("norm_gain", 1.0))
    intro = (f"The experiment above feeds {scale_text(facts['input_scale'])}; this one feeds "
             f"{scale_text(sf['input_scale'])}." if gain == 1 else
             f"This experiment feeds the same pixels as the one above, but each normalization layer works on "
             f"its input multiplied by {gain:g} and divides its output by {gain:g} again: the layer meets the "
             f"activities that pixels times {gain:g} would give it, while the rest of the network keeps the "
             "scale at which it trains.")
    learned = {v: f"{sum(ok)} of {len(ok)}" for v, ok in second["test"]["learned"].items()}
    return {"second_intro": intro, "second_scale": sf["input_scale"],
            "second_init": init_text(sf["init"]), "second_lr": rates_text(second),
            "second_measured": claim["measured"], "second_outcome": claim["outcome"],
            "second_sentence": lrn_sentence(claim), "compare_text": compare_text(first_row, claim),
            "second_lrn": float(np.mean(errors[PAPER_NET])), "second_nolrn": float(np.mean(errors[NO_LRN])),
            "second_learned_lrn": learned[PAPER_NET], "second_learned_nolrn": learned[NO_LRN],
            "second_design": judging.design_sentence([claim]),
            "second_regime": probe_sentences(probe)["regime"],
            **{f"second_{nm}": pct_text(100 * np.mean(v)) for nm, v in probe["share"].items()}}


def released_table(released: Mapping[str, Mapping]) -> str:
    """HTML table of :func:`released_differences` (rows: :func:`difference_row`)."""
    return html_table([difference_row(k, v) for k, v in released.items()], [
        ("choice", "released choice"), ("difference", "difference, points [95% interval]"), ("mde", "MDE, points")])


def chapter_record(profile: str, claim_rows: Sequence[Mapping], photo_share, first: Mapping[str, Any],
                   judged: Mapping[str, Any], second: Mapping[str, Any], seconds: float,
                   gain_check: Mapping[str, Any] | None = None) -> dict:
    """The chapter's record (:func:`alexnet_repro.analysis.judging.chapter_record`): its claims,
    both regimes' configs, seeds and runs (digests), the described intervals, the photograph's
    neighbours' term (``photo_share``, fractions of ``k``: median and 99th percentile, in %),
    the released choices, each regime's :func:`lrn_test` (``lrn_test``), the second regime's
    ``gain_check`` (``probes.gain_equivalence``, where it has a gain) and the chapter's time in
    ``seconds``."""
    return judging.chapter_record("lrn_pooling", profile, claim_rows, {
        "runs": run_metrics.runs_digest(first["runs"]), "config": first["config"].to_dict(),
        "seeds": list(first["seeds"]), "second_seeds": list(second["seeds"]),
        "described": {k: {x: v[x] for x in ("n", "mean", "lo", "hi", "values")} for k, v in judged["shown"].items()},
        "lrn_test": judged.get("test"),
        "photo_lrn_share_pct": {"median": 100 * photo_share.median().item(),
                                "p99": 100 * photo_share.quantile(0.99).item()},
        "second_regime": {"config": second["config"].to_dict(), "runs": run_metrics.runs_digest(second["runs"]),
                          "released_differences": judging.json_safe(second["released"]),
                          "lrn_share_median": second["probe"]["share"], "lrn_test": second.get("test"),
                          "rates": {v: kw.get("lr", second["config"].lr) for v, kw in second.get("variants", {}).items()},
                          "sweep": {v: {k: t[k] for k in ("best_lr", "table", "extended", "edge")}
                                    for v, t in (second.get("tuning") or {}).items()},
                          "gain_check": None if gain_check is None else judging.json_safe(gain_check)},
        "chapter_seconds": seconds})
