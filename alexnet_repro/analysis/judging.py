"""Claims: how a chapter turns per-seed measurements into the rows it judges and records.

Every measured claim goes through one rule, :func:`alexnet_repro.analysis.verdicts.replication` (the
direction on the interval of the mean paired effect, the size against the interval for one new
run, equivalence, the smallest effect the design could detect). What is judged is in
:data:`alexnet_repro.analysis.preregistration.CLAIM_TESTS` (metric, unit, direction, the paper's
effect and the dataset it belongs to), and when each choice was made in
:mod:`alexnet_repro.analysis.design_log`; targets and seeds are the chapter's parameters
(``book/profiles.yml``).
A chapter only supplies the per-seed effects and the setting:

* :func:`judge` -- per-seed paired effects (points of error) -> a claim row;
* :func:`judge_speedup` -- per-seed steps-to-target of two arms -> a claim row on log speed-ups
  (censored runs and the logging resolution handled by ``speedups.log_speedups``);
* :func:`exact_claim` -- a count or a size checked exactly (the architecture's facts);
* :func:`claims_table`, :func:`chapter_record`, :func:`design_sentence` -- what the page shows
  and saves (:func:`near_line`: how close an interval ends to zero, which the design sentence
  reports when an outcome could change with float rounding).

Descriptive helpers (:func:`summarize`, :func:`format_pm`, :func:`pm_cells`, :func:`means`,
:func:`format_error_pct`) summarise values that are shown but not judged.
"""
from __future__ import annotations

import html
import math
import statistics
from typing import Any, Mapping, Sequence

from alexnet_repro.analysis import design_log, speedups, verdicts
from alexnet_repro.analysis.preregistration import (
    CLAIM_TESTS,
    READINGS,
    SMALLEST_EFFECT_POINTS,
    TITLES,
    power_plan,
)
from alexnet_repro.analysis.verdicts import OUTCOMES
from alexnet_repro.common.html import html_table
from alexnet_repro.common.provenance import provenance_of
from alexnet_repro.common.records import provenance
from alexnet_repro.common.text import plural
from alexnet_repro.quoted.later_work import LATER_WORK, later_work_text

#: How the book colours each outcome.
OUTCOME_COLOURS = {
    verdicts.OUTCOME_REPRODUCED: "#1a7f37", verdicts.OUTCOME_SAME_DIRECTION: "#1a7f37",
    verdicts.OUTCOME_SMALLER: "#5a6f00", verdicts.OUTCOME_LARGER: "#5a6f00",
    verdicts.OUTCOME_NOT_AS_LARGE: "#1f4e9c", verdicts.OUTCOME_NEGLIGIBLE: "#1f4e9c",
    verdicts.OUTCOME_OPPOSITE: "#b3261e", verdicts.OUTCOME_INCONCLUSIVE: "#8a6100",
    verdicts.OUTCOME_TOO_FEW: "#6e7781", verdicts.OUTCOME_NOT_TESTABLE: "#6e7781",
    verdicts.OUTCOME_NOT_AT_SCALE: "#6e7781",
}
#: Version of the chapter records :func:`chapter_record` writes. 2: claims judged by the rule of
#: issue 23 (prediction interval, equivalence, too few seeds); records without a version are 1.
RECORD_FORMAT = 2
#: Unit of the rows :func:`exact_claim` makes (not effects over seeds: no interval, no forest plot).
EXACT = "exact"
#: An interval whose end nearest zero lies closer to zero than this share of its half-width is
#: "on the line": float rounding alone (one thread or two per run, another machine) can move
#: its outcome between "inconclusive" and a direction.
NEAR_LINE = 0.1

__all__ = ["OUTCOME_COLOURS", "EXACT", "RECORD_FORMAT", "POINTS_BOUNDS", "paper_claim", "summarize", "format_pm", "pm_cells", "means", "format_error_pct",
           "points", "paper_effect", "judge", "judge_speedup", "exact_claim", "not_testable", "claims_table",
           "chapter_record", "design_sentence", "near_line", "json_safe", "changed_note"]


# ----------------------------------------------------------------------------- descriptive

def summarize(values: Sequence[float]) -> dict:
    """``n``, ``mean``, ``std`` (sample, ddof=1; ``None`` for one value), ``median``, ``min``,
    ``max`` of finite ``values``."""
    vals = [float(v) for v in values]
    if not vals:
        return {"n": 0, "mean": None, "std": None, "median": None, "min": None, "max": None}
    if not all(math.isfinite(v) for v in vals):
        raise ValueError(f"summarize needs finite values, got {vals}")
    return {"n": len(vals), "mean": statistics.fmean(vals),
            "std": statistics.stdev(vals) if len(vals) > 1 else None,
            "median": statistics.median(vals), "min": min(vals), "max": max(vals)}


def format_pm(mean: float | None, spread: float | None, n: int | None = None, *, digits: int = 2,
              unit: str = "") -> str:
    """``"3.10 ± 0.40 (5 seeds)"``; ``"3.10 (1 seed, spread unknown)"``; ``"n/a"``."""
    if mean is None:
        return "n/a"
    text = f"{mean:.{digits}f}"
    if spread is not None:
        text += f" ± {spread:.{digits}f}"
    text += unit
    if n is not None:
        text += f" ({n} seed{'s' if n != 1 else ''}{', spread unknown' if spread is None else ''})"
    return text


def pm_cells(values: Mapping[str, Sequence[float]], *, digits: int = 2) -> dict[str, str]:
    """``{column: "mean ± std (n seeds)"}`` for each ``{column: [value per seed]}``."""
    cells = {}
    for column, vals in values.items():
        s = summarize(vals)
        cells[column] = format_pm(s["mean"], s["std"], s["n"], digits=digits)
    return cells


def means(values: Mapping[str, Sequence[float]]) -> dict[str, float | None]:
    """``{name: mean over seeds}`` of ``{name: [value per seed]}``."""
    return {name: summarize(vals)["mean"] for name, vals in values.items()}


def format_error_pct(summary: Mapping, unit: str = " %", *, digits: int = 1) -> str:
    """A :func:`summarize` of errors (fractions) as percent: ``"12.3 ± 1.0 %"``."""
    mean, std = summary["mean"], summary["std"]
    return format_pm(None if mean is None else 100 * mean, None if std is None else 100 * std,
                     unit=unit, digits=digits)


def points(fractions: Sequence[float]) -> list[float]:
    """Differences of error rates (fractions) as points of error (x 100)."""
    return [100.0 * float(f) for f in fractions]


# ----------------------------------------------------------------------------- judged claims

def _spec(key: str) -> Mapping[str, Any]:
    if key not in CLAIM_TESTS:
        raise ValueError(f"claim {key!r} has no entry in paper.CLAIM_TESTS: its metric, unit, "
                         f"direction and the paper's effect must be fixed there before it is judged "
                         f"(known: {', '.join(CLAIM_TESTS)})")
    return CLAIM_TESTS[key]


def paper_effect(key: str) -> float | None:
    """The paper's effect for claim ``key`` in the claim's units (``log`` of a factor for log
    ratios), whatever the setting, as one number (for "about 2", 2); ``None`` when the paper
    gives no number."""
    pe = _spec(key)["paper_effect"]
    if pe is None:
        return None
    return math.log(pe[1]) if pe[0] == "log" else float(pe[1])


def paper_claim(key: str) -> float | tuple | None:
    """The paper's effect for ``key`` as ``verdicts.replication`` judges it, in the claim's units:
    a number, ``(lo, hi)`` for "about"/"roughly" or ``(lo, None)`` for "over" (``READINGS``)."""
    pe = _spec(key)["paper_effect"]
    if pe is None:
        return None
    scale, value, words = (*pe, None) if len(pe) == 2 else pe
    if words is None:
        return paper_effect(key)
    if words not in READINGS:
        raise ValueError(f"claim {key!r}: unknown reading {words!r} of the paper's number "
                         f"(known: {', '.join(READINGS)})")
    tol = READINGS[words]
    if words == "over":
        ends = (value, None)
    elif scale == "log":
        ends = (value / tol, value * tol)
    else:
        ends = (value * (1 - tol), value * (1 + tol))
    return tuple(None if v is None else (math.log(v) if scale == "log" else float(v)) for v in ends)


#: Values a difference of two error rates can take, in points.
POINTS_BOUNDS = (-100.0, 100.0)


def size_judged(key: str, dataset: str, target: float | None = None) -> bool:
    """Whether the paper's number for ``key`` is judged in size on ``dataset`` (its
    ``size_in``: ``"any"``, or the dataset the paper measured it on) at ``target``: a claim the
    paper read at a target (``size_target``, e.g. Figure 1's 25% training error) is judged in
    size only at that same target."""
    spec = _spec(key)
    where = spec["size_in"]
    if "size_target" in spec and (target is None or not math.isclose(target, spec["size_target"])):
        return False
    return where is not None and (where == "any" or where == dataset)


def judge(key: str, effects: Sequence[float | None], *, dataset: str, setting: str,
          resolution: float | Sequence[float] = 0.0, censored: Sequence[str | None] | None = None,
          values: Mapping[str, Any] | None = None, level: float = 0.95, target: float | None = None) -> dict:
    """The claim row of ``key`` judged on per-seed paired ``effects`` (in the unit of
    ``paper.CLAIM_TESTS[key]``: points of error, or log ratios), measured on ``dataset``.

    The paper's effect (:func:`paper_claim`) is compared in size only where
    ``size_judged(key, dataset, target)``; elsewhere it is shown beside ours
    (``paper_elsewhere``) and serves as the margin of the equivalence test; a claim without a
    paper number has ``SMALLEST_EFFECT_POINTS`` as its margin. Differences of error rates are
    bounded by ±100 points. The row holds the ``verdicts.replication`` result under ``"result"``
    and, at the top level, ``outcome``, ``estimate``, ``ci``, ``pi``, ``mde``, ``n``, ``unit``,
    ``paper_effect`` (in units, one number, or None), ``paper_judged``, ``margin`` and
    ``seeds_needed``."""
    spec = _spec(key)
    p = paper_effect(key)
    judged = p is not None and size_judged(key, dataset, target)
    margin = None if judged else (p if p is not None else
                                  SMALLEST_EFFECT_POINTS if spec["unit"] == "points" else None)
    result = verdicts.replication(effects, direction=spec["direction"],
                                  paper=paper_claim(key) if judged else None,
                                  margin=margin, margin_from_paper=p is not None, level=level,
                                  resolution=resolution, censored=censored,
                                  bounds=POINTS_BOUNDS if spec["unit"] == "points" else None)
    measured = verdicts.format_replication(result, unit=spec["unit"],
                                           paper_elsewhere=None if judged else p)
    return {"key": key, "statement": spec["text"], "source": spec["source"],
            "paper": spec["paper_text"], "metric": spec["metric"], "measured": measured,
            "setting": setting, "unit": spec["unit"], "direction": spec["direction"],
            "outcome": result["outcome"], "estimate": result["estimate"], "ci": list(result["ci"]),
            "ci_hull": list(result["ci_hull"]), "pi": list(result["pi"]), "mde": result["mde"],
            "margin": result["margin"], "seeds_needed": result["seeds_needed"], "n": result["n"],
            "changed_after": design_log.changed_after(key), "design_anchor": design_log.anchor(key),
            "later_work": [dict(e) for e in LATER_WORK.get(key, [])],
            "later_work_text": later_work_text(key) if key in LATER_WORK else "",
            "n_censored": result["n_censored"], "paper_effect": p, "paper_judged": judged,
            "effects": [None if e is None else float(e) for e in effects],
            "result": {k: (list(v) if isinstance(v, tuple) else v) for k, v in result.items()},
            "values": dict(values or {})}


def judge_speedup(key: str, slow_steps: Sequence[int | None], fast_steps: Sequence[int | None], *,
                  slow_horizons: Sequence[int | None], fast_horizons: Sequence[int | None],
                  resolution_steps: float, dataset: str, setting: str,
                  values: Mapping[str, Any] | None = None, level: float = 0.95,
                  target: float | None = None) -> dict:
    """:func:`judge` of the per-seed log speed-ups ``log(slow / fast)`` of paired runs
    (``speedups.log_speedups``: censored runs bounded by their horizons, step counts known to
    ``± resolution_steps``, e.g. the logging interval)."""
    ls = speedups.log_speedups(slow_steps, fast_steps, slow_horizons=slow_horizons,
                               fast_horizons=fast_horizons, resolution_steps=resolution_steps)
    row = judge(key, ls["effects"], dataset=dataset, setting=setting, resolution=ls["resolution"],
                censored=ls["censored"], level=level, target=target,
                values={"slow_steps": list(slow_steps), "fast_steps": list(fast_steps),
                        "resolution_steps": resolution_steps, **dict(values or {})})
    return row


def not_testable(key: str, effects: Sequence[float | None], *, reason: str, dataset: str,
                 setting: str, values: Mapping[str, Any] | None = None,
                 outcome: str = verdicts.OUTCOME_NOT_TESTABLE) -> dict:
    """The row of a claim that is not judged (``outcome`` one of ``verdicts.NOT_JUDGED``): "not
    testable on this dataset" where the data cannot exercise its mechanism (PCA lighting on grey
    images), "not testable at this scale" where the mechanism cannot act or the networks do not
    learn at the book's scale (biases of 1 from the paper's start, LRN);
    ``reason`` says why (computed by the caller from the data or from runs). What the arms
    measured is kept as a description (``estimate``, ``ci`` and ``measured`` say "as it acts
    here"), not judged; the results page leaves it out of the forest plot."""
    if outcome not in verdicts.NOT_JUDGED:
        raise ValueError(f"outcome must be one of {sorted(verdicts.NOT_JUDGED)}, got {outcome!r}")
    row = judge(key, effects, dataset=dataset, setting=setting, values=values)
    return {**row, "outcome": outcome, "reason": reason, "paper_judged": False,
            "measured": f"not judged: {reason}. As it acts here: {row['measured']}"}


def exact_claim(key: str, measured_value: float, paper_value: float, *, statement: str, source: str,
                paper: str, measured: str, setting: str = "", tolerance: float = 0.0) -> dict:
    """A fact checked exactly (a parameter count, a map size): "reproduced" when
    ``|measured - paper| <= tolerance``, else "larger than the paper" / "smaller than the paper".
    No seeds, no interval (unit :data:`EXACT`): not an effect, so it is not in the forest plot
    nor in the count of outcomes chance could give."""
    diff = float(measured_value) - float(paper_value)
    outcome = (verdicts.OUTCOME_REPRODUCED if abs(diff) <= tolerance else
               verdicts.OUTCOME_LARGER if diff > 0 else verdicts.OUTCOME_SMALLER)
    return {"key": key, "statement": statement, "source": source, "paper": paper,
            "metric": "exact check", "measured": measured, "setting": setting, "unit": EXACT,
            "direction": None, "outcome": outcome, "estimate": float(measured_value),
            "ci": [float(measured_value)] * 2, "ci_hull": [float(measured_value)] * 2, "mde": 0.0,
            "n": 1, "n_censored": 0, "paper_effect": float(paper_value), "paper_judged": True,
            "effects": [float(measured_value)], "result": {}, "tolerance": tolerance, "values": {}}


# ----------------------------------------------------------------------------- showing them

def _mde_text(row: Mapping) -> str:
    if row["unit"] == EXACT:
        return "exact"
    mde = row["mde"]
    if mde is None or not math.isfinite(mde):
        return "n/a"
    return f"{math.exp(mde):.2f}×" if row["unit"] == "log ratio" else f"{mde:.2f} points"


def power_text(row: Mapping) -> str:
    """The power calculation behind a claim row's seeds (``row["power"]``:
    ``preregistration.power_plan``), in words; empty where there was none."""
    plan = row.get("power")
    if not plan:
        return ""
    size = (f"{math.exp(plan['margin']):.2f}×" if row.get("unit") == "log ratio"
            else f"{plan['margin']:.1f} points")
    seeds = plan["pilot_seeds"]
    pilots = f"{len(seeds)} pilot seeds kept apart ({seeds[0]}-{seeds[-1]})" if seeds else "pilot seeds"
    needed = plan["seeds_needed"]
    if needed is not None and needed <= plan["budget"]:
        runs = f"; this build runs {plural(row['n'], 'seed')}" if row.get("n") else ""
        return (f"Seeds planned on {pilots}: at their spread, {plural(needed, 'seed')} detect an effect "
                f"of {size} with 80% power{runs}.")
    need = "more than 1,000" if needed is None else f"{needed:,}"
    return (f"Seeds planned on {pilots}: at their spread, detecting an effect of {size} with 80% power "
            f"would take {need} seeds, more than the {plan['budget']} the build can afford. This design "
            "cannot be expected to detect an effect of that size; the smallest it can detect is given above.")


def claims_table(rows: Sequence[Mapping], fmt: str = "html") -> str:
    """The claims table: the paper's statement (with source) and number; this run's estimate
    with its 95% interval, the smallest effect the design could detect (MDE), the number of
    seeds and the setting; the outcome. ``fmt``: ``"html"`` or ``"markdown"``."""
    header = ("Paper's claim", "Paper", "This run: estimate [95% CI]", "Could detect ≥", "Outcome")
    if fmt == "markdown":
        def cell(t):
            return str(t).replace("|", "\\|").replace("\n", " ")
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for r in rows:
            meas = r["measured"] + (f" — {r['setting']}" if r.get("setting") else "")
            lines.append("| " + " | ".join(cell(x) for x in (
                f"{r['statement']} ({r['source']})", r["paper"], meas, _mde_text(r),
                f"**{r['outcome']}**")) + " |")
        return "\n".join(lines) + "\n"
    if fmt != "html":
        raise ValueError(f"fmt must be 'html' or 'markdown', got {fmt!r}")
    e = html.escape

    def cell_html(key, r):
        if key == "statement":
            return f'{e(r["statement"])}<br><small>{e(r["source"])}</small>'
        if key == "measured":
            n = "" if r["unit"] == EXACT else f' ({r["n"]} seed{"s" if r["n"] != 1 else ""})'
            setting = f'<br><small>{e(r["setting"])}</small>' if r.get("setting") else ""
            metric = f'<br><small>metric: {e(r["metric"])}</small>' if r.get("metric") else ""
            return f'{e(str(r["measured"]))}{n}{setting}{metric}'
        if key == "mde":
            plan = power_text(r)
            return e(_mde_text(r)) + (f"<br><small>{e(plan)}</small>" if plan else "")
        if key == "outcome":
            color = OUTCOME_COLOURS.get(r["outcome"], "inherit")
            note = changed_note(r)
            return f'<strong style="color:{color}">{e(r["outcome"])}</strong>' + (f"<br><small>{note}</small>" if note else "")
        return e(str(r[key]))

    return html_table(rows, list(zip(("statement", "paper", "measured", "mde", "outcome"), header)),
                      cell=cell_html, css_class="claims-table")


def changed_note(claim: Mapping) -> str:
    """HTML: "Changed after outcomes were seen: seeds, epochs", linked to the section of the
    appendix that tells why (``claim["changed_after"]``, ``claim["design_anchor"]``); empty when
    nothing of the claim's design was changed after outcomes were seen."""
    changed = claim.get("changed_after") or []
    if not changed:
        return ""
    anchor = claim.get("design_anchor")
    what = html.escape(", ".join(changed))
    link = f' (<a href="how_made.html#{html.escape(anchor)}">why</a>)' if anchor else ""
    return f'<span class="changed-after">Changed after outcomes were seen: {what}{link}.</span>'


def _title(row: Mapping) -> str:
    """A claim in a few words for the reader (``TITLES``), its key where it has none."""
    return TITLES.get(row["key"], row["key"])


def design_sentence(rows: Sequence[Mapping]) -> str:
    """What the chapter's design could detect, one clause per judged claim (its MDE at 80%
    power beside the paper's effect; claims not judged, ``verdicts.NOT_JUDGED``, are left out):
    for the chapter's prose."""
    rows = [r for r in rows if r.get("outcome") not in verdicts.NOT_JUDGED]   # shown, not judged
    parts = []
    for r in rows:
        if r["unit"] == EXACT:
            continue
        paper = r.get("paper_effect")
        show = (lambda v: f"{math.exp(v):.2f}×") if r["unit"] == "log ratio" else (lambda v: f"{v:.2f} points")
        where = "" if paper is None else (f"; the paper reports {show(paper)}" if r.get("paper_judged")
                                          else f"; the paper reports {show(paper)} in its own setting")
        parts.append(f"{_title(r)}: {_mde_text(r)} with {plural(r['n'], 'seed')}{where}")
    if not parts:
        return "No claim of this chapter is judged over seeds."
    share = lambda d: f"{100 * d:.0f}%" if d >= 0.005 else "less than 1%"   # noqa: E731
    on_line = [f"{_title(r)} (its interval ends {share(d)} of its half-width from zero)"
               for r, d in ((r, near_line(r)) for r in rows) if d is not None and d < NEAR_LINE]
    line = ("" if not on_line else
            f" On the line: {', '.join(on_line)}. Float rounding alone (one thread or two per run, "
            f"another machine) can move such an outcome between \"inconclusive\" and a direction; "
            f"its estimate and interval, not its outcome, are what this run settles.")
    return ("With 80% power at the 95% level, this design detects effects of at least: "
            + "; ".join(parts) + "." + line)


def near_line(row: Mapping) -> float | None:
    """How far the end of a judged row's interval nearest zero lies from zero (inside or
    outside), as a share of the interval's half-width; None for exact rows and rows without a
    finite interval. Only the zero line is measured (the direction), not the paper's value."""
    if row["unit"] == EXACT or not row.get("ci"):
        return None
    lo, hi = row["ci"]
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return None
    return min(abs(lo), abs(hi)) / ((hi - lo) / 2)


def chapter_record(chapter: str, profile: str, claims: Sequence[Mapping],
                   extra: Mapping[str, Any] | None = None) -> dict:
    """The record a chapter saves with :func:`alexnet_repro.common.records.save_record`:
    ``{"kind": "chapter", "chapter", "profile", "claims", ...extra, "provenance"}``. Under the
    default profile each claim gains ``"power"``: the power calculation that set its seeds
    (``preregistration.power_plan``; None where there was none).
    The profile is in the record so that a ``ci`` number cannot pass for a real one. The claims
    go through :func:`json_safe` (an infinite interval end or MDE is stored as ``None``)."""
    for c in claims:
        if c.get("outcome") not in OUTCOMES:
            raise ValueError(f"claim {c.get('key')!r} has no valid outcome: {c.get('outcome')!r} "
                             f"(judge it with judging.judge, judge_speedup or exact_claim)")
    reserved = {"kind", "format", "chapter", "profile", "claims", "provenance"}
    clash = sorted(reserved & set(extra or {}))
    if clash:
        raise ValueError(f"extra may not set {', '.join(clash)}")
    planned = [{**c, "power": power_plan(chapter, c["key"]) if profile == "default" else None} for c in claims]
    return {"kind": "chapter", "format": RECORD_FORMAT, "chapter": chapter, "profile": profile,
            "claims": [json_safe(c) for c in planned], **dict(extra or {}), "provenance": provenance()}


def json_safe(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, tuples as lists) with every non-finite float as
    ``None``: a record is JSON, which has no inf, and an interval or MDE is infinite when fewer
    than 2 seeds count or a pair's steps are unknown (both runs censored)."""
    if isinstance(value, Mapping):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def ten_crop_claim(records, *, setting: str | None = None) -> dict:
    """The ten-patch claim (``paper.CLAIM_TESTS["ten_patch_test"]``) over the runs of several
    seeds (one training record each): :func:`alexnet_repro.analysis.judging.judge` of the per-seed
    :func:`ten_patch_effects`, measured on the first record's dataset. One run gives one effect
    and the rule calls that "inconclusive" (no interval from one seed); runs that did not
    measure the ten patches give no effect and "inconclusive" too (``values["measured"]`` is
    False). ``setting``: the text the claims table shows (default: dataset, profile, seeds)."""
    records = list(records)
    if not records:
        raise ValueError("ten_crop_claim needs at least one training record (one per seed)")
    effects = ten_patch_effects(records)
    prov = provenance_of(records[0])
    n_val = (records[0].get("final") or {}).get("val_images")
    if setting is None:
        setting = (f"{prov['dataset']}, profile {prov['profile']}, {len(records)} "
                   f"seed{'s' if len(records) != 1 else ''}, {n_val} validation images each")
    return judge("ten_patch_test", effects or [], dataset=records[0]["dataset"]["name"], setting=setting,
                 values={"measured": effects is not None, "val_images": n_val,
                         "seeds": [r.get("seed", (r.get("config") or {}).get("seed")) for r in records]})


def ten_patch_effects(records) -> list[float] | None:
    """Per run (seed): centre-crop minus ten-patch top-1 validation error, in points (both
    measured by the same run on the same images: a paired difference). ``None`` when a run did
    not measure the ten patches (``ten_crop_eval`` off)."""
    pairs = [((r.get("final") or {}).get("val_top1_error"), (r.get("final") or {}).get("val_top1_error_ten_crop"))
             for r in records]
    if any(c is None or t is None for c, t in pairs):
        return None
    return points([c - t for c, t in pairs])
