"""Figure 1 at the paper's difficulty (issue 24): how hard a regime's judged target is for the
ReLU network (:func:`difficulty`, :func:`difficulty_text`), where the target comes from
(:func:`target_text`: the paper's 25%, the targets fixed from pilot seeds, or a value given to a
build) and how soon the paper's own 25% is reached here (:func:`paper_target_text`).

A regime is the relu_vs_tanh chapter's (``chapters.relu_vs_tanh.tuned``): ``runs`` (``{"relu":
[...], "tanh": [...]}``, each run's ``"steps"`` log), ``target`` and ``config`` (its horizon in
``epochs``, ``batch_size`` and ``dataset``).
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Mapping

from alexnet_repro.analysis import run_metrics
from alexnet_repro.analysis.preregistration import FIGURE1_DIFFICULTY, FIGURE1_PILOT_SEEDS, FIGURE1_TARGETS
from alexnet_repro.common.text import dataset_name
from alexnet_repro.quoted.paper import CLAIMS

#: The paper's measurement (Figure 1).
PAPER_CLAIM = CLAIMS["relu_speedup"]


def difficulty(regime: Mapping, *, steps_per_epoch: int, window: int) -> dict:
    """How hard the regime's judged target is for the ReLU network (the issue's yardstick for
    Figure 1's 25% on CIFAR-10): ReLU's steps to it per reported seed (``relu_steps``, None =
    never), their range in steps and epochs, the runs' horizon in steps and its ratio to ReLU's
    median (``horizon_ratio``; None where most runs never reached it), whether every seed that
    reached it needed at least ``preregistration.FIGURE1_DIFFICULTY``'s epochs and steps
    (``hard_enough``; a seed that never reached it is counted in ``missed``, not as easy) and
    whether the horizon is at least the paper's factor times that median (``long_enough``: a tanh
    network that much slower is seen uncensored)."""
    rule, spe = FIGURE1_DIFFICULTY, steps_per_epoch
    relu = [run_metrics.steps_to_target(r["steps"], regime["target"], window=window)
            for r in regime["runs"]["relu"]]
    horizon = regime["config"].epochs * spe
    median = statistics.median([math.inf if s is None else s for s in relu])
    median = None if math.isinf(median) else median         # most runs never reached it
    reached = [s for s in relu if s is not None]
    least = max(rule["min_steps"], rule["min_epochs"] * spe)
    return {"relu_steps": relu, "steps_per_epoch": spe, "horizon_steps": horizon,
            "min_steps": min(reached, default=None), "max_steps": max(reached, default=None),
            "missed": len(relu) - len(reached), "median_steps": median,
            "horizon_ratio": None if median is None else horizon / median,
            "hard_enough": all(s >= least for s in reached),
            "long_enough": median is not None and horizon / median >= PAPER_CLAIM["factor"]}


def _epochs_range(lo: int, hi: int, spe: int) -> str:
    """``"2.6 to 3.7 epochs (414 to 588 steps"`` (one value when both ends agree)."""
    if lo == hi:
        return f"{lo / spe:.1f} epochs ({lo:,} steps"
    return f"{lo / spe:.1f} to {hi / spe:.1f} epochs ({lo:,} to {hi:,} steps"


def difficulty_text(regime: Mapping, *, steps_per_epoch: int, window: int) -> str:
    """:func:`difficulty` in a reader's words, next to the paper's."""
    d = difficulty(regime, steps_per_epoch=steps_per_epoch, window=window)
    rule, c = FIGURE1_DIFFICULTY, PAPER_CLAIM
    spe, pct = d["steps_per_epoch"], f"{100 * regime['target']:g}%"
    if d["min_steps"] is None:
        return f"No reported ReLU run reached {pct} within its {d['horizon_steps']:,} steps."
    reach = (f"The ReLU network reached {pct} after {_epochs_range(d['min_steps'], d['max_steps'], spe)} "
             f"of {regime['config'].batch_size} images)")
    reach += f"; {d['missed']} of its runs never did" if d["missed"] else " in every seed"
    paper = (f"; in the paper, ReLU reached {c['target_train_error_pct']:g}% on {c['dataset']} after "
             f"{c['relu_epochs_read']} epochs of its {c['train_images']:,} images (read off Figure 1).")
    hard = ("" if d["hard_enough"] else
            f" In some seed it took less than {rule['min_epochs']} epochs or {rule['min_steps']} steps, "
            "so the target is easier here than the paper's was.")
    stop = f" The runs stop there or at {d['horizon_steps']:,} steps"
    long = (f"{stop}, {d['horizon_ratio']:.1f} times ReLU's median: a tanh network {c['factor']} times "
            "slower would reach it before the horizon." if d["long_enough"] else
            f"{stop}; most ReLU runs never reached it." if d["horizon_ratio"] is None else
            f"{stop}, only {d['horizon_ratio']:.1f} times ReLU's median: a tanh network {c['factor']} "
            "times slower could be censored.")
    return reach + paper + hard + long


def target_text(regime: Mapping, which: str) -> str:
    """Where the regime's judged target comes from (``which``: "first" or "second"): the paper's
    own 25% on its dataset, the target fixed from pilot seeds (``FIGURE1_TARGETS``), or a value
    given to this build that is neither."""
    c, pct = PAPER_CLAIM, f"{100 * regime['target']:g}%"
    fixed = FIGURE1_TARGETS.get(regime["config"].dataset, {}).get(which)
    if fixed is not None and math.isclose(regime["target"], fixed):
        rule = FIGURE1_DIFFICULTY
        return (f"The judged target, {pct} training error, was fixed before the runs below, from ReLU runs on "
                f"{len(FIGURE1_PILOT_SEEDS)} pilot seeds kept apart from every seed on this page: of a list of "
                f"candidate errors, the easiest that ReLU, at every rate of the grid, took at least "
                f"{rule['min_epochs']} epochs and {rule['min_steps']} steps to reach in every pilot seed.")
    if math.isclose(100 * regime["target"], c["target_train_error_pct"]):
        return f"The judged target is the paper's own, {pct} training error."
    where = "" if fixed is None else f", not the {100 * fixed:g}% fixed from pilot seeds"
    return f"The judged target, {pct} training error, is a value given to this build{where}."


def paper_target_text(regime: Mapping, *, steps_per_epoch: int, window: int) -> str:
    """How soon the ReLU runs here reach the paper's 25% (median over the reported seeds, from
    their logs), where the judged target is lower; else nothing."""
    c = PAPER_CLAIM
    paper = c["target_train_error_pct"] / 100
    if regime["target"] >= paper:
        return ""
    steps = [run_metrics.steps_to_target(r["steps"], paper, window=window) for r in regime["runs"]["relu"]]
    median = statistics.median([math.inf if s is None else s for s in steps])
    return (f"The paper's {c['target_train_error_pct']:g}% is a point its ReLU network reached after several "
            f"epochs; on {dataset_name(regime['config'].dataset)} the same network here reaches it after a median "
            f"{median / steps_per_epoch:.2f} epochs, before training has settled into its pace.")
