"""The results tables rendered: :func:`to_html` (every results table of the book, one row dict
per row; ``ci`` rows shaded, outcomes coloured), the column sets of the results chapter's tables,
:func:`claims_table` (one row per claim, its details one click away), :func:`profile_banner`
(where the measured numbers come from) and :func:`provenance_table` (the records a build read).
"""
from __future__ import annotations

import html
import math
from typing import Any, Iterable, Mapping, Sequence

from alexnet_repro.analysis.judging import OUTCOME_COLOURS, changed_note, power_text
from alexnet_repro.common.html import html_table
from alexnet_repro.common.provenance import (
    NOT_MEASURED,
    NOT_REPORTED,
    RESULT_PROFILES,
    profiles_present,
    provenance_rows,
)
from alexnet_repro.viz.results_rows import OLD_RECORD, claim_titles

__all__ = ["to_html", "profile_banner", "provenance_table", "claims_table", "estimate_text",
           "claim_details", "COMPARISON_COLUMNS", "CLAIM_COLUMNS", "NOT_REVIEWED",
           "READING_NOTE_COLUMNS", "TABLE1_COLUMNS", "TABLE2_COLUMNS", "PROVENANCE_COLUMNS"]

COMPARISON_COLUMNS = [
    ("kind", "Kind"), ("model", "Model"), ("dataset", "Dataset and split"),
    ("protocol", "Test protocol"), ("top1_error_pct", "Top-1 error %"),
    ("top5_error_pct", "Top-5 error %"), ("differs", "Differs from the paper"),
]   # profile, hardware, date and commit of this book's rows: the provenance table
#: The claims table's columns (:func:`claims_table`): three, so that it fits a phone; the
#: outcome heads this book's cell. A "Later work" column joins them when a row carries
#: ``later_work_text``.
CLAIM_COLUMNS = [("title", "Claim"), ("paper", "The paper"),
                 ("book", "This book: outcome, estimate [95% interval]")]
#: What the claims table says of later work while no row carries it.
NOT_REVIEWED = "not yet reviewed"
READING_NOTE_COLUMNS = [
    ("note_row", "Note's row"), ("note_column", "Note's column"),
    ("note_value_pct", "Note says %"), ("paper_value_pct", "Paper %"), ("table", "Paper table"),
    ("what_it_is", "What the number is"),
]

TABLE1_COLUMNS = [("model", "Model"), ("top1_error_pct", "Top-1 error %"),
                  ("top5_error_pct", "Top-5 error %")]
TABLE2_COLUMNS = [("model", "Model"), ("val_top1_error_pct", "Top-1 (val) %"),
                  ("val_top5_error_pct", "Top-5 (val) %"),
                  ("test_top5_error_pct", "Top-5 (test) %"),
                  ("pretrained_fall2011", "Pre-trained on Fall 2011")]
PROVENANCE_COLUMNS = [("file", "Record"), ("chapter", "Chapter"), ("dataset", "Dataset"),
                      ("run", "Profile, hardware, date, commit")]

_OUTCOME_COLOURS = {**OUTCOME_COLOURS, NOT_MEASURED: "#6e7781"}


def _cell(key: str, value: Any, digits: int) -> str:
    if value is None:
        return NOT_REPORTED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if key.endswith("_pct"):   # up to `digits` decimals, at least one: 39.0, 43.478
            text = f"{value:.{digits}f}".rstrip("0")
            return text + "0" if text.endswith(".") else text
        return f"{value:g}"
    return str(value)


def to_html(rows: Sequence[Mapping], columns: Sequence[tuple[str, str]], *,
            caption: str | None = None, digits: int = 3, css_class: str = "results-table") -> str:
    """An HTML table of ``rows`` with ``columns`` (``(key, header)`` pairs), values escaped.

    Percentages (keys ending in ``_pct``) show up to ``digits`` decimals; None shows "—".
    Rows whose profile is ``ci`` are shaded and tagged, outcomes coloured. Tables of more than
    six columns get a minimum width and scroll sideways.
    """
    # wide tables scroll sideways in the page instead of squeezing every column
    wide = f" min-width:{7 * len(columns)}em;" if len(columns) > 6 else ""

    def cell(key, r):
        text = html.escape(_cell(key, r.get(key), digits))
        if key == "profile" and r.get("profile") == "ci":
            return "<strong>ci — not a result</strong>"
        if key == "outcome" and r.get(key) in _OUTCOME_COLOURS:
            return f'<strong style="color:{_OUTCOME_COLOURS[r[key]]}">{text}</strong>'
        return text

    return html_table(rows, columns, cell=cell, caption=caption, css_class=css_class,
                      style=f"font-size:0.8em;{wide}", scroll=True,
                      row_style=lambda r: "background:#fff3cd" if r.get("profile") == "ci" else "")


def profile_banner(rows: Iterable[Mapping]) -> str:
    """HTML that says which profiles the measured numbers come from; a warning when any of them
    is not a result profile (``ci``: smoke tests on a few hundred images)."""
    present = profiles_present(list(rows))
    e = html.escape
    if not present:
        return ('<div class="admonition note"><p class="admonition-title">No measurement yet</p>'
                f"<p>No record of this book is present: every measured cell reads "
                f"“{e(NOT_MEASURED)}”.</p></div>")
    odd = [p for p in present if p not in RESULT_PROFILES]
    listed = ", ".join(f"<code>{e(str(p))}</code>" for p in present)
    if odd:
        bad = ", ".join(f"<code>{e(str(p))}</code>" for p in odd)
        return ('<div class="admonition warning"><p class="admonition-title">Not results: '
                f"rows from profile {bad}</p><p>Measured rows come from the profiles {listed}. "
                f"Rows marked {bad} are smoke-test values (a few hundred images, a few steps) "
                "that only show the code runs; they say nothing about the paper. They are shaded "
                "yellow; the provenance table at the end of the page gives every record's "
                "profile.</p></div>")
    meaning = {"default": "small CPU runs (subsets, reduced width, small inputs)",
               "full": "paper-scale runs on a GPU"}
    parts = "; ".join(f"<code>{e(str(p))}</code>: {meaning[p]}" for p in present)
    return ('<div class="admonition note"><p class="admonition-title">Where the measured '
            f"numbers come from</p><p>Measured rows come from these profiles: {parts}. The "
            "dataset, hardware, date and commit of every record are in the provenance table at "
            "the end of the page.</p></div>")



def provenance_table(records, *dirs, roots: Mapping[str, Any] | None = None,
                     chapter_titles: Mapping[str, str] | None = None) -> str:
    """The table of the records a build read (:func:`~alexnet_repro.common.provenance.provenance_rows`),
    four columns: the file relative to the folder of ``roots`` that holds it (``{label: folder}``)
    with its kind and that folder's label under it; its chapter by title (``chapter_titles``);
    its dataset; its profile, hardware, date and commit. ``ci`` rows shaded. With no record, a
    sentence naming the folders ``dirs`` that held none."""
    rows = provenance_rows(records, roots)
    if not rows:
        where = " or ".join(f"<code>{html.escape(str(d))}</code>" for d in dirs)
        return f"<p>No record found in {where}.</p>"
    titles, e = chapter_titles or {}, html.escape
    shown = [{**r, "chapter": titles.get(r["chapter"], r["chapter"]),
              "what": f"{r['kind']} record" + (f", {r['folder']}" if r["folder"] else ""),
              "run": f"{r['profile']}; {r['hardware']}; {r['date']}; commit {r['commit']}"} for r in rows]

    def cell(key, r):
        if key == "file":       # a long path may break after each slash
            return (e(r["file"]).replace("/", "/<wbr>")
                    + f'<br><span style="font-size:0.9em;opacity:0.75">{e(r["what"])}</span>')
        return e(str(r[key]))

    return html_table(shown, PROVENANCE_COLUMNS, cell=cell, css_class="results-table",
                      style="font-size:0.8em", scroll=True,
                      row_style=lambda r: "background:#fff3cd" if r.get("profile") == "ci" else "")


# ----------------------------------------------------------------------------- the claims table

def _show(value: float, ratio: bool) -> str:
    """One end of an interval in a claim's units: points to one decimal, ratios as ``1.23×``."""
    if math.isinf(value):
        return ("\u221e" if value > 0 else ("0" if ratio else "-\u221e")) + ("\u00d7" if ratio else "")
    return f"{math.exp(value):.2f}\u00d7" if ratio else f"{value:.1f}"


def estimate_text(row: Mapping) -> str:
    """This book's number for one claim row (``results_rows.claim_rows``): the estimate and its
    95% interval in the claim's units ("0.5 [-5.9, 6.9] points", "0.74× [0.43×, 1.28×]"), the
    measured value of an exact check as its chapter wrote it, or :data:`NOT_MEASURED`."""
    unit = row.get("unit")
    if row.get("measured") == OLD_RECORD:
        return OLD_RECORD
    if row.get("measured") in (None, NOT_MEASURED) or row.get("estimate") is None:
        return NOT_MEASURED
    if unit not in ("points", "log ratio"):
        return str(row["measured"])
    ratio = unit == "log ratio"
    suffix = "" if ratio else " points"
    lo, hi = (-math.inf if v is None else float(v) for v in (row.get("ci") or (None, None)))
    if math.isinf(lo) or math.isinf(hi):
        return f"{_show(float(row['estimate']), ratio)}{suffix} from {row.get('n')} seeds, no interval"
    text = f"{_show(float(row['estimate']), ratio)} [{_show(lo, ratio)}, {_show(hi, ratio)}]{suffix}"
    pi = row.get("pi") or (None, None)
    if row.get("paper_judged") and None not in pi:
        text += f"; one new run: [{_show(float(pi[0]), ratio)}, {_show(float(pi[1]), ratio)}]"
    return text


def _paper_short(row: Mapping, limit: int = 60) -> str:
    """The paper's number for the table ("as stated" where the claim's words hold it, "—" where
    there is none), a long text cut before its parenthesis (the whole text is in the details)."""
    text = str(row.get("paper") or "")
    if not text:
        return NOT_REPORTED
    return text.split(" (")[0] if len(text) > limit and " (" in text else text


def _power(row: Mapping) -> str:
    """What a judged row's interval can tell: its MDE, and how the paper's effect is used."""
    unit, paper = row.get("unit"), row.get("paper_effect")
    if unit not in ("points", "log ratio"):
        return "Checked exactly: one count, no seeds and no interval."
    ratio = unit == "log ratio"
    mde = row.get("mde")
    text = ("" if mde is None else "The smallest effect this design detects with 80% power is "
            f"{_show(float(mde), ratio)}{'' if ratio else ' points'}. ")
    text += _seeds_needed(row, ratio)
    if paper is None:
        return text + ("The paper gives no number here, so only the direction is judged; 1 point "
                       "of error is the smallest effect that matters.")
    effect = f"{_show(float(paper), ratio)}{'' if ratio else ' points'}"
    if row.get("paper_judged"):
        return text + (f"The paper's effect, {effect}, is compared in size with the interval in "
                       "which one new run is expected.")
    return text + (f"The paper's {effect} was measured in another setting, so only the "
                   "direction is judged.")


def _seeds_needed(row: Mapping, ratio: bool) -> str:
    """How the claim's seeds were planned (``judging.power_text``, from pilot seeds); where they
    were not, how many seeds would detect its margin at this spread, or that none affordable would."""
    planned = power_text(row)
    if planned:
        return planned + " "
    margin, needed, n = row.get("margin"), row.get("seeds_needed"), row.get("n")
    if margin is None or not n or n < 3:
        return ""
    size = f"{_show(float(margin), ratio)}{'' if ratio else ' points'}"
    if needed is None:
        return (f"At the spread of these runs, no number of seeds up to 1,000 would detect an "
                f"effect of {size}: the design cannot detect that size. ")
    more = "" if needed <= n else f" (this build used {n})"
    return f"At the spread of these runs, {needed} seeds would detect {size} with 80% power{more}. "


def claim_details(row: Mapping, chapter_titles: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """The details of one claim row, as (label, HTML) pairs: the paper's words and section, the
    paper's number in full, what was measured, the setting, the power, the seeds and where the
    record comes from. Values are escaped here."""
    e = html.escape
    source = str(row.get("source") or "").removeprefix("paper ")
    out = [(f"The paper ({source})" if source else "The paper",
            f"\u201c{e(str(row.get('statement') or ''))}\u201d")]
    paper = str(row.get("paper") or "")
    if paper and paper != "as stated" and paper != _paper_short(row):
        out.append(("The paper's number", e(paper)))
    if row.get("measured") in (None, NOT_MEASURED):
        return out + [("This book", e(NOT_MEASURED))]
    if row.get("metric") and row.get("unit") in ("points", "log ratio"):
        out.append(("Measured", e(str(row["metric"]))))
    if row.get("setting"):
        out.append(("Setting", e(str(row["setting"]))))
    out.append(("Power", e(_power(row))))
    n, censored = row.get("n"), row.get("n_censored")
    if n and row.get("unit") in ("points", "log ratio"):
        seeds = f"{n}" + (f"; {censored} of {n} runs did not reach the target (censored)"
                          if censored else "")
        out.append(("Seeds", e(seeds)))
    chapter = str(row.get("chapter") or "")
    title = (chapter_titles or {}).get(chapter, chapter.replace("_", " "))
    link = f'<a href="{e(chapter)}.html">{e(title)}</a>' if chapter and chapter != NOT_REPORTED else e(title)
    out.append(("Record", f"{link}; profile {e(str(row.get('profile')))}, {e(str(row.get('hardware')))}, "
                          f"{e(str(row.get('date')))}, commit {e(str(row.get('commit')))}"))
    return out


def _outcome_cell(row: Mapping) -> str:
    outcome = row.get("outcome")
    if outcome in (None, NOT_MEASURED) or row.get("measured") in (None, NOT_MEASURED):
        return NOT_REPORTED
    colour = _OUTCOME_COLOURS.get(outcome, "inherit")
    return f'<strong style="color:{colour}">{html.escape(str(outcome))}</strong>'


def claims_table(rows: Sequence[Mapping], chapter_titles: Mapping[str, str] | None = None) -> str:
    """The claims table: one row per claim row of ``results_rows.claim_rows`` (its title, the
    paper's number, and this book's cell: the outcome word where the claim is judged, above
    :func:`estimate_text`), each followed by a row with its :func:`claim_details` in a closed
    ``<details>``. Three columns, the width of the text at a phone's width too; "Later work" is
    a fourth when a row carries ``later_work_text``, else the caption says :data:`NOT_REVIEWED`. ``ci``
    rows are shaded."""
    e = html.escape
    columns = list(CLAIM_COLUMNS) + ([("later", "Later work")] if any(r.get("later_work_text") for r in rows)
                                     else [])
    out = ['<div style="overflow-x:auto"><table class="results-table claims-table" '
           'style="width:100%;font-size:0.85em">']
    if len(columns) == len(CLAIM_COLUMNS):
        out.append(f"<caption>Later work on these claims: {e(NOT_REVIEWED)}.</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{e(h)}</th>" for _, h in columns) + "</tr></thead><tbody>")
    for r, title in zip(rows, claim_titles(rows)):
        shade = ' style="background:#fff3cd"' if r.get("profile") == "ci" else ""
        outcome = _outcome_cell(r)
        note = changed_note(r) if outcome != NOT_REPORTED else ""
        cells = {"title": e(title), "paper": e(_paper_short(r)),
                 "book": (outcome + "<br>" if outcome != NOT_REPORTED else "") + e(estimate_text(r))
                 + (f'<br><small>{note}</small>' if note else ""),
                 "later": f'<small>{e(str(r.get("later_work_text") or NOT_REVIEWED))}</small>'}
        out.append(f"<tr{shade}>" + "".join(f"<td>{cells[k]}</td>" for k, _ in columns) + "</tr>")
        body = "".join(f'<p style="margin:0.3em 0"><strong>{e(label)}</strong>: {text}</p>'
                       for label, text in claim_details(r, chapter_titles))
        out.append(f'<tr{shade}><td colspan="{len(columns)}" style="border-top:none;padding-top:0">'
                   '<details><summary style="font-size:0.9em;opacity:0.8">details</summary>'
                   f"{body}</details></td></tr>")
    out.append("</tbody></table></div>")
    return "\n".join(out)
