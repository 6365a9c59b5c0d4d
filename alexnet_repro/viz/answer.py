"""The first screen of a chapter: each claim the chapter judges, the paper's words and this
book's answer in one sentence, built from the claim rows computed in this run.

A chapter glues :func:`answer_block` under a name and shows it right under its title with
``{glue:} <name>`` (myst-nb pastes values glued later in the notebook), so the answer comes
first although the experiment runs below it.
"""
from __future__ import annotations

import html
import math
import re
from typing import Mapping, Sequence

from alexnet_repro.analysis.judging import changed_note
from alexnet_repro.analysis.preregistration import TITLES
from alexnet_repro.common.text import DATASET_NAMES, dataset_name

#: Outcome words as they start a sentence.
_CAPITAL = {"same direction": "Same direction"}


def _ratio(v: float) -> str:
    if math.isinf(v):
        return "∞×" if v > 0 else "0×"
    return f"{math.exp(v):.2f}×"


def effect_text(claim: Mapping) -> str:
    """The estimate and its 95% interval in the claim's units: ``"1.35× (95% interval 1.10× to
    1.66×)"`` for a speed-up, ``"+0.8 points (95% interval -0.2 to +1.8)"`` for points of error."""
    est, (lo, hi) = claim["estimate"], _finite(claim["ci"])
    if est is None:
        return "no estimate (too few runs reached the target)"
    if claim["unit"] == "exact":
        return claim.get("measured", f"{est:g}")
    ratio = claim["unit"] == "log ratio"
    show = _ratio if ratio else (lambda v: f"{v:+.1f}")
    if lo is None or hi is None:
        return f"{show(est)}{'' if ratio else ' points'} (no interval)"
    text = f"{show(est)}{'' if ratio else ' points'} (95% interval {show(lo)} to {show(hi)})"
    pi = _finite(claim.get("pi") or (None, None))
    if claim.get("paper_judged") and None not in pi:
        text += f"; one new run is expected between {show(pi[0])} and {show(pi[1])}"
    return text


def _finite(pair) -> tuple:
    """An interval with an end that does not exist (infinite, or null in a record) as None."""
    return tuple(None if v is None or not math.isfinite(v) else v for v in pair)


#: How a setting's machine words read in a sentence.
_READER_WORDS = {"init kaiming": "He initialisation", "init paper": "the paper's N(0, 0.01²) initialisation",
                 "init released-2012": "the released configuration's initialisation",
                 "SmallCNN": "four-layer CNN"}


def scale_text(setting: str) -> str:
    """The first two parts of a setting sentence (profile and network; dataset and images), in a
    reader's words: ``"default profile: AlexNet at width 0.125, He initialisation; Fashion-MNIST,
    1,000 training images"``."""
    text = "; ".join(part.strip() for part in setting.split(";")[:2])
    for machine, reader in _READER_WORDS.items():
        text = text.replace(machine, reader)
    text = re.sub(r"(?<!\bat) width ", " at width ", text)
    for key in DATASET_NAMES:
        text = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w-])", dataset_name(key), text)
    return text


def answer_sentence(claim: Mapping) -> str:
    """``"Inconclusive: 0.74× (95% interval 0.43× to 1.28×), 5 seeds, at default profile: ...;
    the paper: 6× at 25% training error (CIFAR-10, four-layer CNN)."``"""
    outcome = claim["outcome"]
    word = _CAPITAL.get(outcome, outcome[:1].upper() + outcome[1:])
    if claim.get("reason"):                               # not testable: why, and no number judged
        return f"{word}: {claim['reason']}; the paper: {claim['paper']}."
    runs = "" if claim["unit"] == "exact" else f", {claim['n']} seed{'s' if claim['n'] != 1 else ''}"
    censored = f" ({claim['n_censored']} censored)" if claim.get("n_censored") else ""
    where = f", at {scale_text(claim['setting'])}" if claim.get("setting") else ""
    return f"{word}: {effect_text(claim)}{runs}{censored}{where}; the paper: {claim['paper']}."


def _section(source: str) -> str:
    """``"paper §3.3"`` -> ``"§3.3"`` (the sentence already says "the paper")."""
    return source[len("paper "):] if source.startswith("paper ") else source


def answer_block(claims: Sequence[Mapping]) -> str:
    """An HTML block, one item per claim: its title, the paper's words with their section,
    :func:`answer_sentence`, :func:`changed_note` and, where the row carries it, what later
    controlled work found (``later_work_text``)."""
    items = []
    for c in claims:
        later = c.get("later_work_text")
        note = changed_note(c)
        items.append(
            f'<li><strong>{html.escape(TITLES.get(c["key"], c["key"]))}</strong>. '
            f'<em>The paper ({html.escape(_section(c["source"]))}):</em> “{html.escape(c["statement"])}” '
            f'<em>This book:</em> {html.escape(answer_sentence(c))}'
            + (f" {note}" if note else "")
            + (f" <em>Later work:</em> {html.escape(later)}" if later else "") + "</li>")
    return ('<div class="admonition answer"><p class="admonition-title">The claims and this book\'s answers'
            '</p><ul class="answer-list">' + "".join(items) + "</ul></div>")
