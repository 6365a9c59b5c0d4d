"""The results chapter's numbers and tables that are not rows of ``viz.results_rows``: the
numbers its opening prose quotes in one dict (:func:`overview_facts`: the records read, the
published numbers, and the errors noted in the authors' released configuration,
:func:`released_facts`), and the paper's Tables 1 and 2 with their captions
(:func:`table1_html`, :func:`table2_html`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

from alexnet_repro.quoted.paper import TABLE1, TABLE2
from alexnet_repro.viz.results_render import TABLE1_COLUMNS, TABLE2_COLUMNS, to_html
from alexnet_repro.viz.results_rows import (
    quoted_numbers,
    record_counts,
    released_rows,
    table1_rows,
    table2_rows,
)

__all__ = ["TABLE2_CAPTION", "released_facts", "overview_facts", "table1_html", "table2_html"]

#: Table 2's caption in the results chapter: its source and what a dash means.
TABLE2_CAPTION = TABLE2["source"] + "; — = not reported"


def released_facts(rows: Sequence[Mapping] | None = None) -> dict:
    """The errors the released ``layers-145.cfg`` notes (``rows``: ``viz.results_rows.released_rows``;
    the first row is the paper's, then the line after "epoch 91: killed", then the "multiview
    test" line), percent to four significant digits as the prose quotes them."""
    rows = released_rows() if rows is None else rows
    end, multi = rows[1], rows[2]
    return {"rel_top1": f"{end['top1_error_pct']:.4g}", "rel_top5": f"{end['top5_error_pct']:.4g}",
            "rel_multi_top1": f"{multi['top1_error_pct']:.4g}",
            "rel_multi_top5": f"{multi['top5_error_pct']:.4g}"}


def overview_facts(records, committed_dir) -> dict:
    """Everything the chapter's prose quotes before its claims, by name: what the records say
    (``record_counts``), the paper's and the re-implementations' numbers (``quoted_numbers``)
    and :func:`released_facts`. The three sets of names are disjoint."""
    counts, quoted, released = record_counts(records, committed_dir), quoted_numbers(), released_facts()
    clash = (set(counts) & set(quoted)) | ((set(counts) | set(quoted)) & set(released))
    if clash:
        raise ValueError(f"the results chapter's numbers share names: {sorted(clash)}")
    return {**counts, **quoted, **released}


def table1_html() -> str:
    """The paper's Table 1 as printed (HTML), captioned with its source."""
    return to_html(table1_rows(), TABLE1_COLUMNS, caption=TABLE1["source"])


def table2_html() -> str:
    """The paper's Table 2 as printed (HTML), captioned with its source; "—" = not reported."""
    return to_html(table2_rows(), TABLE2_COLUMNS, caption=TABLE2_CAPTION)
