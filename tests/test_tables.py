"""Tests of alexnet_repro.common.html.html_table, the one HTML-table helper, against hand-written HTML."""
from __future__ import annotations

from alexnet_repro.common.html import html_table


def test_html_table_escapes_and_lays_out_rows_by_columns():
    rows = [{"a": "<x>", "b": 1}, {"a": "y", "b": None}]
    out = html_table(rows, [("b", "B & co"), ("a", "A")], caption="c<1>", css_class="t")
    assert out.splitlines() == [
        '<table class="t">', "<caption>c&lt;1&gt;</caption>",
        "<thead><tr><th>B &amp; co</th><th>A</th></tr></thead>", "<tbody>",
        "<tr><td>1</td><td>&lt;x&gt;</td></tr>", "<tr><td></td><td>y</td></tr>",
        "</tbody>", "</table>"]


def test_html_table_cell_row_style_and_scroll():
    out = html_table([{"v": 2}, {"v": 3}], [("v", "v")], cell=lambda k, r: f"<b>{r[k] * 10}</b>",
                     row_style=lambda r: "color:red" if r["v"] == 3 else "", style="width:1em",
                     scroll=True)
    lines = out.splitlines()
    assert lines[0] == '<div style="overflow-x:auto">' and lines[-1] == "</div>"
    assert lines[1] == '<table style="width:1em">'
    assert "<tr><td><b>20</b></td></tr>" in lines
    assert '<tr style="color:red"><td><b>30</b></td></tr>' in lines
