"""Sphinx extension of the book (listed in ``_config.yml``): fixes applied to every built page,
and the book's stylesheet (:data:`STATIC`/``book.css``: tables that scroll in their own box,
nothing wider than the window, HTML outputs and widgets readable in dark mode)."""
from __future__ import annotations

from pathlib import Path

#: The folder of the book's own static files, served under ``_static/`` next to the theme's.
STATIC = Path(__file__).with_name("static")
#: The book's stylesheet in :data:`STATIC`, linked from every page after the theme's.
STYLESHEET = "book.css"


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated script entries: Sphinx 7.4 writes sphinx-thebe's and sphinx-togglebutton's
    inline scripts twice, and the second copy is a JavaScript error (a redeclared ``const``)."""
    seen, kept = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {}) or {}
        key = (getattr(script, "filename", None) or None,
               tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def _binder_opens_the_source(app, pagename, templatename, context, doctree) -> None:
    """The Binder button opens the chapter's MyST source (``book/X.md``, a notebook there through
    jupytext, which environment.yml installs): the repository holds no ``book/X.ipynb``, the path
    the theme links to because the pages are built from executed notebooks. Colab opens only
    ``.ipynb`` files from GitHub, and there is none to open, so its button (a dead link) is
    dropped; the Binder button stays."""
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        kept = []
        for button in group.get("buttons", []):
            url = button.get("url", "")
            if button.get("text") == "Binder" and url.endswith(".ipynb"):
                button["url"] = url[: -len(".ipynb")] + ".md"
            if button.get("text") == "Colab" and url.endswith(".ipynb"):
                continue
            kept.append(button)
        group["buttons"] = kept


def _add_static(app, config) -> None:
    """Serve :data:`STATIC` with the book (after ``html_static_path`` of ``_config.yml``)."""
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app):
    """Sphinx extension hook: connects the page fixes and adds the book's stylesheet."""
    app.connect("config-inited", _add_static)
    app.add_css_file(STYLESHEET)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    # after sphinx-book-theme's launch buttons (priority 501)
    app.connect("html-page-context", _binder_opens_the_source, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
