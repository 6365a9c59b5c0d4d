"""The introduction's tables: the paper's two results tables as it prints them
(:func:`paper_tables`), what each chapter takes from the paper (:data:`COVERS`, for
``bookrun.notebook.chapter_list``) and the reading note's errors beside what the paper says
(:func:`reading_note_table`). The numbers the introduction's prose quotes come from
``viz.results_rows.headline_numbers``.
"""
from __future__ import annotations

from alexnet_repro.common.html import html_table
from alexnet_repro.quoted.paper import TABLE1, TABLE2
from alexnet_repro.quoted.reading_note import READING_NOTE_ERRORS
from alexnet_repro.viz.results_render import TABLE1_COLUMNS, TABLE2_COLUMNS, to_html
from alexnet_repro.viz.results_rows import table1_rows, table2_rows

__all__ = ["COVERS", "TABLE2_CAPTION", "READING_NOTE_COLUMNS", "paper_tables", "reading_note_table"]

#: What each chapter takes from the paper (the chapters themselves hold the rest).
COVERS = {
    "architecture": "§3.2, §3.5: the network, the two GPUs, the layer table, Figure 2",
    "relu_vs_tanh": "§3.1, Figure 1: ReLU against tanh",
    "dropout": "§4.2: dropout",
    "lrn_pooling": "§3.3, §3.4: local response normalization and overlapping pooling",
    "augmentation": "§4.1: crops, reflections, PCA colour augmentation, ten-patch testing",
    "training_details": "§3.2, §4.1, §5, §7: two GPUs against one, depth, PCA lighting, weight decay, initial biases",
    "results": "§6: every claim's outcome, interval and power next to the paper's numbers",
    "full_training": "§5: the training recipe, at the scale the hardware allows",
}

#: Table 2's caption in the introduction: its source and what the asterisk means.
TABLE2_CAPTION = TABLE2["source"] + "; * = pre-trained on ImageNet Fall 2011"

#: The columns of :func:`reading_note_table`: (key of ``READING_NOTE_ERRORS`` items, heading).
READING_NOTE_COLUMNS = [("note_says", "The note says"), ("paper_says", "The paper"),
                        ("topic", "Chapter")]


def paper_tables() -> tuple[str, str]:
    """The paper's Tables 1 and 2 as printed (HTML), each captioned with its source."""
    return (to_html(table1_rows(), TABLE1_COLUMNS, caption=TABLE1["source"]),
            to_html(table2_rows(), TABLE2_COLUMNS, caption=TABLE2_CAPTION))


def reading_note_table() -> str:
    """HTML table of the reading note's errors: what it says, what the paper says, and the
    chapter that discusses it."""
    return html_table(list(READING_NOTE_ERRORS.values()), READING_NOTE_COLUMNS)
