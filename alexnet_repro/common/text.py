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


#: Datasets by the name their authors give them (the registry's names are lowercase keys).
DATASET_NAMES = {"fashion-mnist": "Fashion-MNIST", "cifar10": "CIFAR-10", "imagenet": "ImageNet",
                 "imagenette": "Imagenette", "synthetic": "generated images"}


def dataset_name(name: str) -> str:
    """``"fashion-mnist"`` -> ``"Fashion-MNIST"``; an unknown name as it is."""
    return DATASET_NAMES.get(name, name)


def duration_words(seconds: float) -> str:
    """A duration in words for a reader: ``"under a minute"``, ``"about 4 minutes"``,
    ``"about 1.5 hours"``."""
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {plural(minutes, 'minute')}"
    return f"about {seconds / 3600:.1f} hours"
