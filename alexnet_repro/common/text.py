"""Small helpers for the words a chapter builds around its numbers."""
from __future__ import annotations


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """``"1 seed"``, ``"5 seeds"``, ``"1 step"``; ``plural_form`` for irregular nouns
    (``plural(2, "process", "processes")``). Numbers of four digits or more get thousands commas."""
    word = noun if n == 1 else (plural_form or noun + "s")
    return f"{n:,} {word}"


def join_words(items) -> str:
    """``"a"``, ``"a and b"``, ``"a, b and c"``."""
    items = [str(i) for i in items]
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
