"""The results chapter's numbers and tables that are not rows of ``viz.results_rows``: the
numbers its opening prose quotes in one dict (:func:`overview_facts`: the records read, the
published numbers, and the errors noted in the authors' released configuration,
:func:`released_facts`), its sentences on the records and the outcomes (:func:`records_sentence`,
:func:`outcomes_sentence`), the paper's Tables 1 and 2 with their captions (:func:`table1_html`,
:func:`table2_html`), and the claims and provenance tables with chapters named by their titles
(:func:`claims_html`, :func:`provenance_html`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

from alexnet_repro.analysis.verdicts import NOT_JUDGED, OUTCOMES
from alexnet_repro.bookrun.profiles import REPO, page_titles
from alexnet_repro.bookrun.runner import build_root
from alexnet_repro.common.text import join_words, plural
from alexnet_repro.quoted.paper import TABLE1, TABLE2
from alexnet_repro.viz.results_render import (
    TABLE1_COLUMNS,
    TABLE2_COLUMNS,
    claims_table,
    provenance_table,
    to_html,
)
from alexnet_repro.viz.results_rows import (
    quoted_numbers,
    record_counts,
    released_rows,
    table1_rows,
    table2_rows,
)

__all__ = ["TABLE2_CAPTION", "released_facts", "overview_facts", "table1_html", "table2_html",
           "records_sentence", "outcomes_sentence", "prose_facts", "claims_html",
           "provenance_html"]

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


def records_sentence(counts: Mapping) -> str:
    """What the build read, in words, from ``results_rows.record_counts``: "This build read 9
    records, none of them committed to the repository: 2 training runs and the claims of 7
    chapters, 18 of the paper's claims measured, from the profile ci." """
    n, committed = counts["n_records"], counts["n_committed"]
    if not n:
        return "This build found no record: no claim was measured."
    kept = "none of them" if not committed else f"{committed} of them" if committed < n else "all"
    profiles = [p.strip() for p in str(counts["profiles"]).split(",") if p.strip() not in ("", "none")]
    where = (f", from the profile{'s' if len(profiles) > 1 else ''} {join_words(profiles)}"
             if profiles else "")
    return (f"This build read {plural(n, 'record')}, {kept} committed to the repository: "
            f"{plural(counts['n_training'], 'training run')} and "
            f"{plural(counts['n_measured'], 'measured claim')}{where}.")


def outcomes_sentence(counts: Mapping, summary: Mapping) -> str:
    """The outcomes in words: how many of the paper's claims have no measurement, how many claims
    were judged over seeds and, by outcome, only the outcomes that occur ("18 claims were judged
    over seeds: 2 same direction and 16 inconclusive."), and how many were not judged, by why
    (``summary``'s ``n_not_judged``: ":func:`outcome_summary`" with every row)."""
    missing = counts["n_claims_unmeasured"]
    head = (f"Of the paper's {plural(counts['n_claims'], 'claim')}, "
            + ("every one has a measurement in this build. " if not missing else
               f"{missing} {'has' if missing == 1 else 'have'} no measurement in this build. "))
    judged = summary["n_judged"]
    keys = {o: "n_" + o.replace(" ", "_") for o in OUTCOMES}
    skipped = summary.get("n_not_judged", 0)
    tail = ("" if not skipped else
            f" {plural(skipped, 'more claim')} {'was' if skipped == 1 else 'were'} not judged: "
            + join_words([f"{summary[keys[o]]} {o}" for o in OUTCOMES if o in NOT_JUDGED and summary.get(keys[o])])
            + ".")
    if not judged:
        return head + "No claim was judged over seeds." + tail
    parts = [f"{summary[keys[o]]} {o}" for o in OUTCOMES if o not in NOT_JUDGED and summary.get(keys[o])]
    verb = "was" if judged == 1 else "were"
    return head + f"{plural(judged, 'claim')} {verb} judged over seeds: {join_words(parts)}." + tail


def prose_facts(counts: Mapping, summary: Mapping) -> dict:
    """The two sentences the chapter glues: ``records_text`` and ``outcomes_text``."""
    return {"records_text": records_sentence(counts), "outcomes_text": outcomes_sentence(counts, summary)}


def claims_html(claims: Sequence[Mapping]) -> str:
    """The claims table (``viz.results_render.claims_table``), chapters named by their titles."""
    return claims_table(claims, page_titles())


def provenance_html(records, committed_dir, results_dir, *, build: str | Path | None = None) -> str:
    """The provenance table: each record's file relative to the build folder (``build``, by
    default the book's) or to the repository, and its chapter by title."""
    roots = {"build folder": Path(build) if build is not None else build_root(), "repository": REPO}
    return provenance_table(records, committed_dir, results_dir, roots=roots,
                            chapter_titles=page_titles())
