"""What a chapter calls besides the science: the profile banner, gluing many values at once,
its training config from the ``train`` parameter, and the list of the book's chapters.

A chapter that trains keeps its settings in one parameters-cell dict, ``train`` (TrainConfig
field names; model knobs under ``model_kwargs``), and builds its base config in one call::

    base = train_config(train, profile=profile)
"""
from __future__ import annotations

import copy
import html
from typing import Any, Mapping

from IPython.display import HTML, display
from myst_nb import glue

from alexnet_repro.profiles import chapter_source, toc_pages
from alexnet_repro.train import TrainConfig


def profile_note(profile: str) -> None:
    """Display, at the top of a chapter, which profile built it (a warning under ``ci``)."""
    if profile == "ci":
        display(HTML(
            '<div class="admonition warning"><p class="admonition-title">Built under the '
            "<code>ci</code> profile</p><p>This page was executed with the tiny test profile: "
            "every number on it is a smoke-test value from a few hundred images and a few "
            "steps, not a result. Build with the <code>default</code> profile (CPU, minutes) "
            "or <code>full</code> (GPU, paper scale) for real numbers.</p></div>"
        ))
    elif profile != "full":
        display(HTML(
            f'<div class="admonition note"><p class="admonition-title">Profile '
            f"<code>{profile}</code></p><p>Executed with the <code>{profile}</code> profile: "
            "small-scale runs on a CPU. The <code>full</code> profile runs the paper's scale "
            "on a GPU.</p></div>"
        ))


def glue_all(values: Mapping[str, Any], prefix: str = "") -> None:
    """``glue(prefix + name, value, display=False)`` for every item: one call for many numbers
    that the chapter's prose quotes with ``{glue:text}`prefix_name```."""
    for name, value in values.items():
        glue(f"{prefix}{name}", value, display=False)


def train_config(train: Mapping[str, Any], **changes) -> TrainConfig:
    """The chapter's base :class:`TrainConfig` from its ``train`` parameter (a dict of
    TrainConfig fields), with ``changes`` (e.g. ``profile=profile``) on top. The dict is copied,
    so the chapter's ``train`` stays as the runner gave it."""
    settings = copy.deepcopy(dict(train))
    if "model_kwargs" in changes and "model_kwargs" in settings:
        changes["model_kwargs"] = {**settings["model_kwargs"], **changes["model_kwargs"]}
    return TrainConfig(**{**settings, **changes})


def chapter_list(covers: Mapping[str, str]) -> str:
    """HTML list of the book's pages in ``_toc.yml`` order (the root page aside): each page's
    title (the first ``# `` heading of ``book/<name>.md``, else its name) linked to its HTML
    page, followed by ``covers[name]`` (what it takes from the paper)."""
    items = []
    for name in toc_pages()[1:]:
        source = chapter_source(name)
        lines = source.read_text().splitlines() if source.exists() else []
        title = next((line[2:].strip() for line in lines if line.startswith("# ")), name)
        items.append(f'<li><a href="{html.escape(name)}.html">{html.escape(title)}</a> &mdash; '
                     f'{html.escape(covers.get(name, ""))}</li>')
    return "<ol>" + "".join(items) + "</ol>"
