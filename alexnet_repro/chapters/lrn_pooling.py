"""The lrn_pooling chapter's experiment: the LRN implementations it compares, the network
variants it trains in two regimes, its four judged claims and the descriptive comparisons beside them.

* :func:`implementations` -- the LRN layers the chapter's comparison table sets side by side;
* :func:`variants` -- the paper's network, without LRN, with plain 2x2 pooling and with LRN
  under the ``alpha / n`` reading (``sweeps.run_seeds`` variants);
* :func:`paired_effects` -- per-seed paired differences in points of error (seed ``i`` of both
  arms shares its initial weights, data order and drawn subset);
* :func:`claims` -- the claims ``lrn``, ``overlap_pool`` and ``overlap_pool_overfit`` judged by
  :func:`alexnet_repro.analysis.judging.judge` (the metric of each is fixed in ``paper.CLAIM_TESTS``);
* :func:`described` -- what is shown but not judged (top-5 differences, the two readings of
  alpha), as means with 95% t-intervals (:func:`alexnet_repro.analysis.verdicts.mean_interval`);
* :func:`interval_text`, :func:`probe_sentences` -- the sentences the chapter's prose quotes;
* :func:`second_regime`, :func:`regime_claim` -- LRN with and without in a second regime
  (by default the paper's raw pixel values, issue 11), judged as the claim ``lrn_second_regime``.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from torch import nn

from alexnet_repro.analysis import judging, sweeps, verdicts
from alexnet_repro.analysis import run_metrics as readings
from alexnet_repro.engine.schedule import parse_schedule
from alexnet_repro.nn.layers import LocalResponseNorm
from alexnet_repro.quoted.paper import PAPER
from alexnet_repro.quoted.reimplementations import REIMPLEMENTATIONS

__all__ = ["PAPER_NET", "NO_LRN", "PLAIN", "ALPHA_N", "METRICS", "implementations", "variants",
           "paired_effects", "claims", "described", "interval_text", "probe_sentences", "lr_text",
           "second_regime", "regime_claim", "scale_text", "FIRST", "RELEASED", "NORM1_BEFORE",
           "WITHIN_MAP", "released_differences", "difference_row", "pct_text"]

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
    "validation top-1 error, %": lambda r: 100 * readings.final_value(r, "val_top1_error"),
    "validation top-5 error, %": lambda r: 100 * readings.final_value(r, "val_top5_error"),
    "training top-1 error (evaluation mode), %": lambda r: 100 * readings.final_value(r, "train_eval.top1_error"),
    "gap (validation - training), points": readings.overfit_gap,
}
_TOP1, _TOP5, _FIT, _GAP = METRICS.values()
#: Paired differences: name -> (variant without the paper's choice, metric); each is that
#: variant's value minus the paper's network's, so positive means the paper's choice helps
#: (for "reading": positive if the printed formula ends lower than the alpha/n reading).
_EFFECTS = {"lrn_top1": (NO_LRN, _TOP1), "lrn_top5": (NO_LRN, _TOP5), "ov_top1": (PLAIN, _TOP1),
            "ov_top5": (PLAIN, _TOP5), "ov_gap": (PLAIN, _GAP), "reading": (ALPHA_N, _TOP1)}


def implementations(n: int = _L["n"], alpha: float = _L["alpha"], beta: float = _L["beta"],
                    k: float = _L["k"], caffe_k: float = REIMPLEMENTATIONS["caffe"]["lrn_k"]) -> dict[str, nn.Module]:
    """``{label: layer}`` of the LRN implementations compared on the same activations: this book's
    layer as printed, ``nn.LocalResponseNorm`` given ``alpha * n`` (the printed formula) and
    given ``alpha`` (the ``alpha / n`` reading), this book's layer with ``alpha / n``, and Caffe's
    ``bvlc_alexnet`` (the ``alpha / n`` reading with its own ``k``). The first is the printed
    formula every other is compared with."""
    return {
        "LocalResponseNorm(n, α, β, k) (this book, as printed)": LocalResponseNorm(n, alpha, beta, k),
        "nn.LocalResponseNorm(n, α·n, β, k)": nn.LocalResponseNorm(n, alpha * n, beta, k),
        "nn.LocalResponseNorm(n, α, β, k) (= the α/n reading)": nn.LocalResponseNorm(n, alpha, beta, k),
        "LocalResponseNorm(n, α/n, β, k)": LocalResponseNorm(n, alpha / n, beta, k),
        f"Caffe bvlc_alexnet: nn.LocalResponseNorm(n, α, β, k={caffe_k:g})": nn.LocalResponseNorm(n, alpha, beta, caffe_k),
    }


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
    return {name: readings.paired(runs, other, PAPER_NET, fn) for name, (other, fn) in _EFFECTS.items()
            if other in runs}


def claims(effects: Mapping[str, Sequence[float]], *, dataset: str, setting: str,
           values: Mapping[str, Any] | None = None) -> list[dict]:
    """The chapter's judged claim rows (:func:`alexnet_repro.analysis.judging.judge`, top-1 only, as
    pre-registered): ``lrn`` on ``effects["lrn_top1"]``, ``overlap_pool`` on ``ov_top1`` and
    ``overlap_pool_overfit`` on ``ov_gap``. The top-5 differences go into the rows' ``values``
    (shown, not judged); ``values`` adds to the ``lrn`` row (e.g. the probes' readings)."""
    row = dict(dataset=dataset, setting=setting)
    return [judging.judge("lrn", effects["lrn_top1"], **row,
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


def interval_text(interval: Mapping[str, Any], digits: int = 2) -> str:
    """``"0.40 [−0.85, 1.65]"`` for a :func:`~alexnet_repro.analysis.verdicts.mean_interval` (the mean
    alone, ``"0.40 (one seed, no interval)"``, when it has a single value)."""
    mean = f"{interval['mean']:.{digits}f}"
    if interval["lo"] is None:
        return f"{mean} (one seed, no interval)"
    return f"{mean} [{interval['lo']:.{digits}f}, {interval['hi']:.{digits}f}]"


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


def probe_sentences(probe: Mapping[str, Any]) -> dict[str, str]:
    """The sentences the chapter writes from the LRN probes of its trained networks (``probe``:
    ``probes.lrn_readings``): ``regime`` (is LRN more than the constant division by ``k**beta``
    in them?) and ``reading_close`` (do the two readings of alpha compute nearly the same
    function there?)."""
    largest = 100 * max(max(v) for v in probe["share"].values())
    diff = max(probe["reading_diff"])
    regime = (f"In these networks LRN is, to within {largest:.2g}% of k, the constant division by k^β."
              if largest < 1 else
              f"Here the neighbours' term is no longer negligible (up to a median {pct_text(largest)}% of k).")
    close = ("At these activation sizes the two readings compute almost the same function "
             f"(outputs within {diff:.1e})." if diff < 1e-3 else "")
    return {"regime": regime, "reading_close": close}


def second_regime(base_config, regime: Mapping[str, Any]):
    """``(config, variants)`` of the chapter's second regime: ``base_config`` with the
    ``regime``'s ``input_scale`` (and ``init``, if given) in ``model_kwargs`` and its ``lr``, and
    the variants it trains: the paper's network, the one without LRN and the paper's network
    with each of the released configuration's normalization choices (:data:`RELEASED`)."""
    unknown = sorted(set(regime) - {"input_scale", "init", "lr"})
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)} in the second regime; "
                         "known: input_scale, init, lr")
    model = {k: regime[k] for k in ("input_scale", "init") if k in regime}
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
        diffs = readings.paired(runs, name, PAPER_NET, _TOP1)
        out[name] = {**verdicts.replication(diffs, direction="greater"), "values": diffs}
    return out


def difference_row(name: str, result: Mapping[str, Any]) -> dict[str, str]:
    """A table row for a :func:`released_differences` entry: ``choice``, ``difference`` (mean
    [95% interval], points) and ``mde``. No label: these are described, not judged, and with
    five seeds an interval can sit at the edge of zero (a label there would flip between
    machines; the two default builds of issue 11 showed one such case)."""
    est, (lo, hi), mde = result["estimate"], result["ci"], result["mde"]
    return {"choice": name, "difference": f"{est:+.2f} [{lo:+.2f}, {hi:+.2f}]", "mde": f"{mde:.2f}"}


def regime_claim(runs: Mapping[str, Sequence], *, dataset: str, setting: str,
                 values: Mapping[str, Any] | None = None) -> dict:
    """The claim ``lrn_second_regime``: validation top-1 error without LRN minus with, per seed, in
    the second regime's ``runs`` (:func:`second_regime`); top-5 differences go in ``values``."""
    effects = paired_effects(runs)
    return judging.judge("lrn_second_regime", effects["lrn_top1"], dataset=dataset, setting=setting,
                         values={"top5_points": list(effects["lrn_top5"]), **dict(values or {})})


def scale_text(input_scale: float) -> str:
    """How the prose names an input scale: 1 (this library's pixels) and 255 (the paper's)."""
    named = {1.0: "pixels as fractions of full intensity (the scale where the neighbours' term is negligible)",
             255.0: "raw 8-bit pixel values, as the paper's network saw them"}
    return named.get(float(input_scale), f"pixels multiplied by {input_scale:g}")


def pct_text(x: float) -> str:
    """A percentage as the prose writes it: two significant digits below 10, whole numbers above."""
    return f"{x:.2g}" if abs(x) < 10 else f"{x:.0f}"
