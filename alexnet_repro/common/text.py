"""Small helpers for the words a chapter builds around its numbers."""
from __future__ import annotations

from typing import Any, Mapping, Sequence


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


def seeds_text(seeds: Sequence[int]) -> str:
    """``"seed 0"``, ``"seeds 0 and 1"``, ``"seeds 0, 1 and 2"``."""
    return f"{'seed' if len(seeds) == 1 else 'seeds'} {join_words(seeds)}"


def pct_text(x: float) -> str:
    """A percentage as the prose writes it: two significant digits below 10, whole numbers above."""
    return f"{x:.2g}" if abs(x) < 10 else f"{x:.0f}"


def interval_text(interval: Mapping[str, Any], digits: int = 2) -> str:
    """``"0.40 [−0.85, 1.65]"`` for a :func:`~alexnet_repro.analysis.verdicts.mean_interval` (the mean
    alone, ``"0.40 (one seed, no interval)"``, when it has a single value)."""
    mean = f"{interval['mean']:.{digits}f}"
    if interval["lo"] is None:
        return f"{mean} (one seed, no interval)"
    return f"{mean} [{interval['lo']:.{digits}f}, {interval['hi']:.{digits}f}]"
