"""The one HTML-table helper of the book: every table a chapter or the library shows is
:func:`html_table` of row dicts and ``(key, header)`` columns."""
from __future__ import annotations

import html
from typing import Any, Callable, Mapping, Sequence

__all__ = ["html_table"]


def _plain(key: str, row: Mapping[str, Any], float_format: str | None = None) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if float_format is not None and isinstance(value, float):
        return html.escape(format(value, float_format))
    return html.escape(str(value))


def html_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]], *,
               cell: Callable[[str, Mapping[str, Any]], str] | None = None,
               row_style: Callable[[Mapping[str, Any]], str] | None = None,
               caption: str | None = None, css_class: str | None = None, style: str = "",
               scroll: bool = False, float_format: str | None = None) -> str:
    """An HTML table: one ``<tr>`` per row of ``rows``, one column per ``(key, header)`` pair.

    Headers and ``caption`` are escaped. ``cell(key, row)`` returns a cell's HTML (the caller
    escapes what it puts in); the default shows ``row[key]`` escaped, empty when missing or
    ``None``, floats formatted with ``float_format`` (e.g. ``".4g"``) when given. ``row_style(row)`` gives an inline style for the row (``""`` for none).
    ``css_class``/``style`` go on the ``<table>``; ``scroll`` wraps it in a box that scrolls
    sideways (wide tables).
    """
    e = html.escape
    if cell is None:
        def cell(key, row):
            return _plain(key, row, float_format)
    attrs = (f' class="{e(css_class)}"' if css_class else "") + (f' style="{style}"' if style else "")
    out = [f"<table{attrs}>"]
    if caption:
        out.append(f"<caption>{e(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{e(h)}</th>" for _, h in columns) + "</tr></thead>")
    out.append("<tbody>")
    for r in rows:
        rs = row_style(r) if row_style is not None else ""
        out.append((f'<tr style="{rs}">' if rs else "<tr>")
                   + "".join(f"<td>{cell(key, r)}</td>" for key, _ in columns) + "</tr>")
    out += ["</tbody>", "</table>"]
    if scroll:
        out = ['<div style="overflow-x:auto">'] + out + ["</div>"]
    return "\n".join(out)
