"""The results tables rendered: :func:`to_html` (every results table of the book, one row dict
per row; ``ci`` rows shaded, outcomes coloured), the column sets of the results chapter's tables,
:func:`profile_banner` (where the measured numbers come from) and :func:`provenance_table` (the
records a build read).
"""
from __future__ import annotations

import html
from typing import Any, Iterable, Mapping, Sequence

from alexnet_repro.analysis.judging import OUTCOME_COLOURS
from alexnet_repro.common.html import html_table
from alexnet_repro.common.provenance import (
    NOT_MEASURED,
    NOT_REPORTED,
    RESULT_PROFILES,
    profiles_present,
    provenance_rows,
)

__all__ = ["to_html", "profile_banner", "provenance_table", "COMPARISON_COLUMNS", "CLAIM_COLUMNS",
           "READING_NOTE_COLUMNS", "TABLE1_COLUMNS", "TABLE2_COLUMNS", "PROVENANCE_COLUMNS"]

COMPARISON_COLUMNS = [
    ("kind", "Kind"), ("model", "Model"), ("dataset", "Dataset and split"),
    ("protocol", "Test protocol"), ("top1_error_pct", "Top-1 error %"),
    ("top5_error_pct", "Top-5 error %"), ("differs", "Differs from the paper"),
    ("profile", "Profile"), ("hardware", "Hardware"), ("date", "Date"), ("commit", "Commit"),
]
CLAIM_COLUMNS = [
    ("statement", "The paper's claim"), ("source", "Where"), ("paper", "Paper's number (setting)"),
    ("measured", "Measured: estimate [95% CI] (MDE; paper)"), ("n", "Seeds"),
    ("outcome", "Outcome"), ("setting", "Setting"), ("chapter", "Chapter"),
    ("profile", "Profile"), ("hardware", "Hardware"), ("date", "Date"), ("commit", "Commit"),
]
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
PROVENANCE_COLUMNS = [("file", "Record"), ("kind", "Kind"), ("chapter", "Chapter"),
                      ("profile", "Profile"), ("dataset", "Dataset"), ("hardware", "Hardware"),
                      ("date", "Date"), ("commit", "Commit")]

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
                "that only show the code runs; they say nothing about the paper. Look at the "
                "profile column of every row.</p></div>")
    meaning = {"default": "small CPU runs (subsets, reduced width, small inputs)",
               "full": "paper-scale runs on a GPU"}
    parts = "; ".join(f"<code>{e(str(p))}</code>: {meaning[p]}" for p in present)
    return ('<div class="admonition note"><p class="admonition-title">Where the measured '
            f"numbers come from</p><p>Measured rows come from these profiles: {parts}. The "
            "dataset and hardware of every row are in its columns.</p></div>")



def provenance_table(records, *dirs) -> str:
    """The table of the records a build read (:func:`~alexnet_repro.common.provenance.provenance_rows`),
    or a sentence naming the folders ``dirs`` that held none."""
    rows = provenance_rows(records)
    if rows:
        return to_html(rows, PROVENANCE_COLUMNS)
    where = " or ".join(f"<code>{html.escape(str(d))}</code>" for d in dirs)
    return f"<p>No record found in {where}.</p>"
