"""Progress on the terminal while the book runner executes a chapter.

The runner starts each chapter's kernel with :func:`use_terminal_progress` (a kernel start-up
line, before the first cell) and with ipykernel's file-descriptor capture off, so the engine's
``tqdm.auto`` bars and ``tqdm.write`` lines go to the terminal that runs
``python -m alexnet_repro book`` and stay out of the page. In Jupyter nothing changes: the bars
are notebook widgets. Kept apart from :mod:`alexnet_repro.bookrun.notebook` so that a kernel starts
without importing torch.
"""
from __future__ import annotations

import sys

import tqdm.auto
import tqdm.autonotebook
import tqdm.std


class TerminalBar(tqdm.std.tqdm):
    """A text progress bar on the kernel's own stderr, which is the terminal that started
    ``python -m alexnet_repro book``: progress shows there and stays out of the page."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("file", sys.__stderr__)
        if not getattr(sys.__stderr__, "isatty", lambda: False)():
            kwargs.setdefault("mininterval", 10.0)  # a log file, not a terminal: fewer lines
        super().__init__(*args, **kwargs)

    @classmethod
    def write(cls, s, file=None, end="\n", nolock=False):
        return super().write(s, file=file or sys.__stderr__, end=end, nolock=nolock)


def use_terminal_progress() -> None:
    """Make ``tqdm.auto.tqdm`` (the engine's bars) a :class:`TerminalBar`."""
    tqdm.auto.tqdm = TerminalBar
    tqdm.autonotebook.tqdm = TerminalBar
