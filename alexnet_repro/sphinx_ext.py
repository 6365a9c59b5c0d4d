"""Sphinx extension of the book (listed in ``_config.yml``): fixes applied to every built page."""
from __future__ import annotations


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


def setup(app):
    """Sphinx extension hook: connects the page fixes."""
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
