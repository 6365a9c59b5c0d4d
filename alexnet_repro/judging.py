"""Judging claims with the current verdict rule: how a chapter compares a measured effect with the paper's
claim (sign rule below, to be replaced by :func:`alexnet_repro.verdicts.replication`, issue 10), the
summaries and speed-up ratios it rests on, and the claims a chapter records.

Verdict rule (:func:`verdict`)
------------------------------
A claim of the paper has a *direction*: "ReLU trains faster" means a speed-up ratio above 1,
"LRN reduces the error" means an error difference (without - with) above 0. Given a measured
``estimate`` (the mean over seeds), its ``spread`` (a half-width, by default the standard
deviation over seeds) and the value ``null`` meaning "no effect" (0 for differences, 1 for
ratios; ratios are compared on a log scale, see :func:`ratio_verdict`):

* ``spread`` unknown (``None``/NaN, e.g. a single seed) -> ``"inconclusive at this scale"``;
* ``[estimate - spread, estimate + spread]`` lies entirely on the paper's side of ``null``
  (strictly) -> ``"consistent"``;
* it lies entirely on the other side (strictly) -> ``"not consistent"``;
* otherwise (the interval touches or contains ``null``) -> ``"inconclusive at this scale"``.

A zero spread from two or more seeds (identical results) is a known spread: the sign of
``estimate - null`` decides, and ``estimate == null`` is inconclusive. The verdict judges the
*direction* of the claim at this scale, not its size: the claims table shows the paper's number
next to the measured one so the reader compares magnitudes.

Censoring (:func:`steps_to_target`, :func:`speedup`)
----------------------------------------------------
A run that never reaches the target error within its training budget is *censored*: its
steps-to-target is only known to exceed the last logged step (its ``horizon``). A speed-up ratio
``slow / fast`` is then a lower bound (slow run censored), an upper bound (fast run censored) or
unknown (both). :func:`ratio_verdict` only lets bounds through when they cannot change the answer:
"consistent" with "greater" claims may rest on lower bounds, "not consistent" on upper bounds;
any other censored pair makes the verdict inconclusive.
"""
from __future__ import annotations

import html
import math
import statistics
from typing import Any, Mapping, Sequence

from alexnet_repro.paper import CLAIMS
from alexnet_repro.records import provenance
from alexnet_repro.tables import html_table

CONSISTENT = "consistent"
NOT_CONSISTENT = "not consistent"
INCONCLUSIVE = "inconclusive at this scale"
VERDICTS = (CONSISTENT, NOT_CONSISTENT, INCONCLUSIVE)
DIRECTIONS = ("greater", "less")

#: How the book colours each verdict.
VERDICT_COLOURS = {CONSISTENT: "#1a7f37", NOT_CONSISTENT: "#b3261e", INCONCLUSIVE: "#8a6100"}

__all__ = [
    "CONSISTENT", "NOT_CONSISTENT", "INCONCLUSIVE", "VERDICTS", "DIRECTIONS", "VERDICT_COLOURS",
    "summarize", "speedup", "median_censored", "verdict", "samples_verdict", "ratio_verdict",
    "format_pm", "format_ratio", "claim", "claims_table", "chapter_record",
]


# ----------------------------------------------------------------------------- summaries

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


def speedup(slow: Sequence[int | None], fast: Sequence[int | None], *,
            slow_horizons: Sequence[int | None] | None = None,
            fast_horizons: Sequence[int | None] | None = None) -> dict:
    """Speed-up ``slow / fast`` from steps-to-target of paired runs (same seed in both lists).

    ``slow[i]``/``fast[i]``: steps to reach the target (``None`` = never reached, censored at
    ``*_horizons[i]``, the run's last logged step). Per pair:

    * both reached: ``ratio = slow / fast``, kind ``"exact"``;
    * slow censored: ``ratio = slow_horizon / fast``, kind ``"lower"`` (true ratio is larger);
    * fast censored: ``ratio = slow / fast_horizon``, kind ``"upper"`` (true ratio is smaller);
    * both censored: ``ratio = None``, kind ``"unknown"``.

    Returns ``{"pairs": [{"seed_index", "slow", "fast", "ratio", "kind"}...], "ratios",
    "kinds", "n", "n_exact", "geo_mean", "log_std", "mean", "std", "median_ratio",
    "ratio_of_medians"}``. ``geo_mean = exp(mean(log r))`` and ``log_std`` (std of ``log r``,
    ddof=1) summarise the ratios on the log scale the verdict uses; ``mean``/``std`` are the
    plain mean and std of the ratios; ``ratio_of_medians = median(slow) / median(fast)`` with
    censored runs counted as +inf (so it is ``None`` when half or more of a side is censored).
    Summaries use the bound values of censored pairs and ignore unknown pairs.
    """
    if len(slow) != len(fast):
        raise ValueError(f"paired runs needed: {len(slow)} slow vs {len(fast)} fast")
    n = len(slow)
    sh = list(slow_horizons) if slow_horizons is not None else [None] * n
    fh = list(fast_horizons) if fast_horizons is not None else [None] * n
    pairs = []
    for i, (s, f) in enumerate(zip(slow, fast)):
        if s is not None and f is not None:
            if f <= 0:
                raise ValueError(f"steps-to-target must be positive, got fast={f}")
            ratio, kind = s / f, "exact"
        elif s is None and f is not None:
            ratio, kind = (sh[i] / f if sh[i] else None), "lower"
        elif s is not None and f is None:
            ratio, kind = (s / fh[i] if fh[i] else None), "upper"
        else:
            ratio, kind = None, "unknown"
        if ratio is None:
            kind = "unknown"
        pairs.append({"seed_index": i, "slow": s, "fast": f, "ratio": ratio, "kind": kind})
    known = [p["ratio"] for p in pairs if p["ratio"] is not None and p["ratio"] > 0]
    logs = [math.log(r) for r in known]
    plain = summarize(known)
    out = {"pairs": pairs, "ratios": [p["ratio"] for p in pairs], "kinds": [p["kind"] for p in pairs],
           "n": n, "n_exact": sum(p["kind"] == "exact" for p in pairs),
           "geo_mean": math.exp(statistics.fmean(logs)) if logs else None,
           "log_std": statistics.stdev(logs) if len(logs) > 1 else None,
           "mean": plain["mean"], "std": plain["std"], "median_ratio": plain["median"],
           "ratio_of_medians": None}
    med_s, med_f = median_censored(slow), median_censored(fast)
    if med_s is not None and med_f is not None and math.isfinite(med_s) and math.isfinite(med_f) and med_f > 0:
        out["ratio_of_medians"] = med_s / med_f
    return out


def median_censored(values):
    """Median of steps-to-target with censored runs (``None``) counted as +inf."""
    vals = [math.inf if v is None else float(v) for v in values]
    return statistics.median(vals) if vals else None


# ----------------------------------------------------------------------------- verdicts

def verdict(estimate: float | None, spread: float | None, direction: str, null: float = 0.0) -> str:
    """``"consistent"`` / ``"not consistent"`` / ``"inconclusive at this scale"`` (module doc).

    ``direction``: ``"greater"`` if the paper says the effect is above ``null``, ``"less"`` if
    below. ``spread``: a half-width (e.g. the std over seeds); ``None`` or NaN = unknown.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    if estimate is None or not math.isfinite(estimate):
        return INCONCLUSIVE
    if spread is None or not math.isfinite(spread):
        return INCONCLUSIVE
    if spread < 0:
        raise ValueError(f"spread is a half-width and cannot be negative, got {spread}")
    lo, hi = estimate - spread, estimate + spread
    above, below = lo > null, hi < null
    if not (above or below):
        return INCONCLUSIVE
    return CONSISTENT if above == (direction == "greater") else NOT_CONSISTENT


def samples_verdict(samples: Sequence[float], direction: str, null: float = 0.0) -> dict:
    """:func:`verdict` on ``mean ± std`` of per-seed ``samples`` (e.g. paired differences).
    Returns :func:`summarize`'s dict plus ``"verdict"``."""
    s = summarize(samples)
    return {**s, "verdict": verdict(s["mean"], s["std"], direction, null)}


def ratio_verdict(sp: Mapping, direction: str = "greater") -> str:
    """Verdict for a :func:`speedup` result against ``null = 1`` on the log scale:
    ``verdict(log geo_mean, log_std, direction, 0)``, with censoring handled as in the module
    doc (bounds may only support the answer they cannot overturn)."""
    if sp.get("geo_mean") is None:
        return INCONCLUSIVE
    v = verdict(math.log(sp["geo_mean"]), sp.get("log_std"), direction, 0.0)
    kinds = set(sp["kinds"]) - {"exact"}
    if not kinds:
        return v
    if "unknown" in kinds:
        return INCONCLUSIVE
    # a lower bound can only move the truth up, an upper bound only down
    supports_up, supports_down = kinds == {"lower"}, kinds == {"upper"}
    if v == CONSISTENT and ((direction == "greater" and supports_up) or (direction == "less" and supports_down)):
        return v
    if v == NOT_CONSISTENT and ((direction == "greater" and supports_down) or (direction == "less" and supports_up)):
        return v
    return INCONCLUSIVE


# ----------------------------------------------------------------------------- claims

def format_pm(mean: float | None, spread: float | None, n: int | None = None, *, digits: int = 2,
              unit: str = "") -> str:
    """``"3.10 ± 0.40× (5 seeds)"``; ``"3.10× (1 seed, spread unknown)"``; ``"n/a"``."""
    if mean is None:
        return "n/a"
    text = f"{mean:.{digits}f}"
    if spread is not None:
        text += f" ± {spread:.{digits}f}"
    text += unit
    if n is not None:
        text += f" ({n} seed{'s' if n != 1 else ''}{', spread unknown' if spread is None else ''})"
    return text


def format_ratio(sp: Mapping | None, *, digits: int = 2, unit: str = "×") -> str:
    """A :func:`speedup` result as text: geometric mean and multiplicative spread over seeds,
    ``"3.10× (×/÷ 1.25, 3 seeds)"``; censored pairs are named (``"≥"`` when every non-exact
    pair is a lower bound, ``"≤"`` for upper bounds; ``"2 of 3 seeds"`` when a pair has no ratio
    because both runs were censored), ``"n/a"`` when no pair has a ratio."""
    if sp is None or sp.get("geo_mean") is None:
        return "n/a (target not reached)"
    kinds = [k for k in sp["kinds"] if k != "exact"]
    prefix = "≥ " if kinds and set(kinds) == {"lower"} else "≤ " if kinds and set(kinds) == {"upper"} else ""
    text = f"{prefix}{sp['geo_mean']:.{digits}f}{unit}"
    n = sp["n"]
    known = sum(r is not None for r in sp["ratios"])
    parts = []
    if sp.get("log_std") is not None:
        parts.append(f"×/÷ {math.exp(sp['log_std']):.{digits}f}")
    seeds = f"{known} of {n} seeds" if known != n else f"{n} seed{'s' if n != 1 else ''}"
    parts.append(seeds + (", spread unknown" if sp.get("log_std") is None else ""))
    if kinds:
        parts.append(f"{len(kinds)} censored")
    return text + " (" + ", ".join(parts) + ")"


def claim(key: str, *, statement: str, source: str, paper: str, measured: str, verdict: str,
          setting: str = "", values: Mapping[str, Any] | None = None) -> dict:
    """One row of a chapter's claims table (and of its record).

    ``statement``/``source``/``paper``: the paper's claim, where it is and its number, as text
    (from :mod:`alexnet_repro.paper`). ``measured``: this run's number as text (e.g. from
    :func:`format_pm`). ``verdict``: from :func:`verdict`. ``setting``: what this run measured on.
    ``values``: the raw numbers (kept in the record for the results chapter).
    """
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    return {"key": key, "statement": statement, "source": source, "paper": paper,
            "measured": measured, "verdict": verdict, "setting": setting,
            "values": dict(values or {})}


def claims_table(rows: Sequence[Mapping], fmt: str = "html") -> str:
    """The claims table: the paper's statement (with source) and number, this run's measurement
    (and setting), the verdict. ``fmt``: ``"html"`` (for ``IPython.display.HTML``) or
    ``"markdown"``."""
    header = ("Paper's claim", "Paper", "This run", "Verdict")
    if fmt == "markdown":
        def cell(t):
            return str(t).replace("|", "\\|").replace("\n", " ")
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for r in rows:
            stmt = f"{r['statement']} ({r['source']})"
            meas = r["measured"] + (f" — {r['setting']}" if r.get("setting") else "")
            lines.append("| " + " | ".join(cell(x) for x in (stmt, r["paper"], meas, f"**{r['verdict']}**")) + " |")
        return "\n".join(lines) + "\n"
    if fmt != "html":
        raise ValueError(f"fmt must be 'html' or 'markdown', got {fmt!r}")
    e = html.escape

    def cell_html(key, r):
        if key == "statement":
            return f'{e(r["statement"])}<br><small>{e(r["source"])}</small>'
        if key == "measured":
            setting = f'<br><small>{e(r["setting"])}</small>' if r.get("setting") else ""
            return f'{e(str(r["measured"]))}{setting}'
        if key == "verdict":
            color = VERDICT_COLOURS.get(r["verdict"], "inherit")
            return f'<strong style="color:{color}">{e(r["verdict"])}</strong>'
        return e(str(r[key]))

    return html_table(rows, list(zip(("statement", "paper", "measured", "verdict"), header)),
                      cell=cell_html, css_class="claims-table")


def chapter_record(chapter: str, profile: str, claims: Sequence[Mapping],
                   extra: Mapping[str, Any] | None = None) -> dict:
    """The record a chapter saves with :func:`alexnet_repro.records.save_record`:
    ``{"kind": "chapter", "chapter", "profile", "claims", ...extra, "provenance"}``.
    The profile is in the record so that a ``ci`` number cannot pass for a real one."""
    for c in claims:
        if c.get("verdict") not in VERDICTS:
            raise ValueError(f"claim {c.get('key')!r} has no valid verdict: {c.get('verdict')!r}")
    reserved = {"kind", "chapter", "profile", "claims", "provenance"}
    clash = sorted(reserved & set(extra or {}))
    if clash:
        raise ValueError(f"extra may not set {', '.join(clash)}")
    return {"kind": "chapter", "chapter": chapter, "profile": profile,
            "claims": [dict(c) for c in claims], **dict(extra or {}), "provenance": provenance()}


# ----------------------------------------------------------------------------- speed-ups over targets

__all__ += ["verdict_counts", "speedup_overview", "speedup_claim"]


def verdict_counts(verdicts) -> dict[str, int]:
    """How many of ``verdicts`` are each of :data:`VERDICTS` (``{verdict: count}``, zeros kept)."""
    verdicts = list(verdicts)
    for v in verdicts:
        if v not in VERDICTS:
            raise ValueError(f"not a verdict: {v!r}; verdicts are {VERDICTS}")
    return {v: verdicts.count(v) for v in VERDICTS}


def speedup_overview(by_target: Mapping[float, Mapping], target: float) -> dict[str, Any]:
    """What a chapter's prose says about speed-ups measured at several target errors
    (``{target: {"speedup": speedup(...), "verdict": ...}}``, in the order to report): at
    ``target`` the ratio (:func:`format_ratio`), its verdict and the ratio of medians
    (``main_ratio``, ``main_verdict``, ``main_rom``); the targets as percentages (``targets``);
    the smallest and largest geometric mean and where (``min_ratio``, ``min_ratio_at``,
    ``max_ratio``, ``max_ratio_at``; ``"n/a"`` when no target has one); the number of targets
    and of each verdict (``n_targets``, ``n_consistent``, ``n_not_consistent``,
    ``n_inconclusive``). Values are text or ints, ready for ``chapter.glue_all``."""
    main = by_target[target]["speedup"]
    rom = main["ratio_of_medians"]
    out = {"main_ratio": format_ratio(main), "main_verdict": by_target[target]["verdict"],
           "main_rom": "n/a" if rom is None else f"{rom:.2f}",
           "targets": ", ".join(f"{100 * t:g}%" for t in by_target)}
    known = {t: b["speedup"]["geo_mean"] for t, b in by_target.items() if b["speedup"]["geo_mean"] is not None}
    for end, pick in (("min", min), ("max", max)):
        at = pick(known, key=known.get) if known else None
        out[f"{end}_ratio"] = "n/a" if at is None else f"{known[at]:.2f}"
        out[f"{end}_ratio_at"] = "n/a" if at is None else f"{100 * at:g}"
    counts = verdict_counts(b["verdict"] for b in by_target.values())
    out.update(n_targets=len(by_target), n_consistent=counts[CONSISTENT],
               n_not_consistent=counts[NOT_CONSISTENT], n_inconclusive=counts[INCONCLUSIVE])
    return out


def speedup_claim(key: str, entry: Mapping[str, Any], target: float, *, statement: str, source: str,
                  paper: str, setting: str = "", detail: bool = True) -> dict:
    """The :func:`claim` row of a speed-up measured at ``target`` (``entry``: that target's
    ``{"speedup": speedup(...), "verdict", "<variant>_steps": [...]}``, as from
    ``readings.speedups_by_target``): measured as :func:`format_ratio`; values ``target_error``,
    ``geo_mean``, ``log_std``, ``ratios``, and with ``detail`` also ``kinds``,
    ``ratio_of_medians`` and each variant's per-seed steps."""
    sp = entry["speedup"]
    values = {"target_error": target, **{k: sp[k] for k in ("geo_mean", "log_std", "ratios")}}
    if detail:
        values.update({k: sp[k] for k in ("kinds", "ratio_of_medians")})
        values.update({k: v for k, v in entry.items() if k.endswith("_steps")})
    return claim(key, statement=statement, source=source, paper=paper, measured=format_ratio(sp),
                 verdict=entry["verdict"], setting=setting, values=values)


# ----------------------------------------------------------------------------- paired comparisons

def paired_verdict(a: Sequence[float], b: Sequence[float], direction: str = "greater",
                   null: float = 0.0) -> dict:
    """:func:`samples_verdict` of the per-seed differences ``a[i] - b[i]`` of paired runs (the
    same seed on both sides): is ``a`` greater (``direction="greater"``) than ``b``?"""
    if len(a) != len(b):
        raise ValueError(f"paired values needed: {len(a)} against {len(b)}")
    return samples_verdict([x - y for x, y in zip(a, b)], direction, null)


def pm_cells(values: Mapping[str, Sequence[float]], *, digits: int = 2) -> dict[str, str]:
    """``{column: "mean ± std (n seeds)"}`` (:func:`format_pm` of :func:`summarize`) for each
    ``{column: [value per seed]}``: one row of a table of per-seed results."""
    cells = {}
    for column, vals in values.items():
        s = summarize(vals)
        cells[column] = format_pm(s["mean"], s["std"], s["n"], digits=digits)
    return cells


def means(values: Mapping[str, Sequence[float]]) -> dict[str, float | None]:
    """``{name: mean over seeds}`` (:func:`summarize`'s ``mean``) of ``{name: [value per seed]}``."""
    return {name: summarize(vals)["mean"] for name, vals in values.items()}


# ----------------------------------------------------------------------------- effects for the prose

def format_summary(s: Mapping, *, digits: int = 2, unit: str = "") -> str:
    """:func:`format_pm` of a :func:`summarize` (or :func:`samples_verdict`) dict:
    ``"2.50 ± 6.36 points (2 seeds)"``."""
    return format_pm(s["mean"], s["std"], s["n"], digits=digits, unit=unit)


def effect_values(effects: Mapping[str, Mapping]) -> dict[str, Any]:
    """The numbers a chapter's prose quotes for each :func:`samples_verdict` (or
    :func:`summarize`) result in ``effects`` (``{name: result}``): ``d_<name>`` (mean),
    ``d_<name>_std`` (standard deviation; NaN when unknown, e.g. one seed) and, where the result
    has one, ``v_<name>`` (the verdict), ready for ``chapter.glue_all``."""
    out: dict[str, Any] = {}
    for name, s in effects.items():
        out[f"d_{name}"] = s["mean"]
        out[f"d_{name}_std"] = s["std"] if s["std"] is not None else float("nan")
        if "verdict" in s:
            out[f"v_{name}"] = s["verdict"]
    return out


def effect_claim(key: str, effects: Mapping[str, Mapping], *, measured: str, paper: str,
                 setting: str = "", statement: str, source: str, verdict_on: str | None = None,
                 values: Mapping[str, Any] | None = None, digits: int = 2, unit: str = " points") -> dict:
    """A :func:`claim` whose measurement is one or more :func:`samples_verdict` results
    (``effects``: ``{name: result}``). ``measured`` is a template in which ``{name}`` becomes
    :func:`format_summary` of that effect; the verdict is that of ``effects[verdict_on]`` (the
    first effect by default); the claim's values are the effects, then ``values``."""
    if not effects:
        raise ValueError(f"claim {key!r}: effect_claim needs at least one effect")
    on = next(iter(effects)) if verdict_on is None else verdict_on
    if on not in effects:
        raise ValueError(f"claim {key!r}: verdict_on={on!r} is not one of the effects {list(effects)}")
    texts = {name: format_summary(s, digits=digits, unit=unit) for name, s in effects.items()}
    return claim(key, statement=statement, source=source, paper=paper, measured=measured.format(**texts),
                 verdict=effects[on]["verdict"], setting=setting, values={**effects, **(values or {})})


__all__ += ["format_summary", "effect_values", "effect_claim"]


# ----------------------------------------------------------------------------- errors in percent

def format_error_pct(summary: Mapping, unit: str = " %", *, digits: int = 1) -> str:
    """A :func:`summarize` of errors (fractions) as percent: ``"12.3 ± 1.0 %"``; with
    ``unit=" points"`` for differences of errors; ``"n/a"`` with no value."""
    mean, std = summary["mean"], summary["std"]
    return format_pm(None if mean is None else 100 * mean, None if std is None else 100 * std,
                     unit=unit, digits=digits)


def difference_claim(key: str, samples: Sequence[float], *, measured: str, setting: str,
                     statement: str | None = None, source: str | None = None, paper: str = "no number",
                     direction: str = "greater") -> dict:
    """A :func:`claim` judged by :func:`samples_verdict` on per-seed differences of errors
    (fractions; e.g. ``readings.paired``). ``measured`` is a text in which ``{effect}`` becomes the
    mean ± std of the differences in percentage points. ``statement``/``source`` default to the
    paper's claim ``CLAIMS[key]``. The verdict's numbers go into the claim's ``values``."""
    d = samples_verdict(samples, direction)
    if statement is None or source is None:
        if key not in CLAIMS:
            raise ValueError(f"claim {key!r} is not in paper.CLAIMS: give its statement and source")
        statement = CLAIMS[key]["text"] if statement is None else statement
        source = CLAIMS[key]["source"] if source is None else source
    return claim(key, statement=statement, source=source, paper=paper,
                 measured=measured.format(effect=format_error_pct(d, " points")),
                 verdict=d["verdict"], setting=setting, values=d)


__all__ += ["format_error_pct", "difference_claim"]
