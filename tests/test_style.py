"""The book's furniture: figure text readable at display size, and the stylesheet served.

Figures are shown scaled to the text column: 688 px wide on a 1280 px window (the article's
content box under sphinx-book-theme, measured with the secondary sidebar shown; narrower
windows scale figures further, but the reader zooms there). A font of f pt in a figure W
inches wide shows at f * 688 / (72 * W) px; it must be at least 8 pt = 8 * 96 / 72 px. The
sizes are read from the repository's ``matplotlibrc`` and the figure widths and explicit font
sizes from the source of ``alexnet_repro/viz`` (ast), without drawing anything.
"""
from __future__ import annotations

import ast
import operator
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import pytest
from matplotlib.font_manager import FontProperties

REPO = Path(__file__).resolve().parents[1]
RC_FILE = REPO / "matplotlibrc"
VIZ = REPO / "alexnet_repro" / "viz"
COLUMN_PX = 688
MIN_PX = 8 * 96 / 72
#: rc keys of text that figures draw at the default size.
TEXT_KEYS = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize",
             "ytick.labelsize", "legend.fontsize", "legend.title_fontsize",
             "figure.titlesize", "figure.labelsize")


def shown_px(points: float, width_in: float) -> float:
    """Pixels a ``points`` font shows at in a figure ``width_in`` inches wide, scaled to the column."""
    return points * COLUMN_PX / (72 * width_in)


def rc_sizes(path: Path = RC_FILE) -> dict[str, float]:
    """Text sizes of the rc file in points (relative sizes such as "medium" resolved against
    its ``font.size``)."""
    rc = matplotlib.rc_params_from_file(str(path), use_default_template=True)
    base = float(rc["font.size"])
    sizes = {}
    for key in TEXT_KEYS:
        value = rc[key]
        sizes[key] = base if key == "font.size" else _points(value, base)
    return sizes


def _points(value, base: float) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return FontProperties(size=value).get_size_in_points() * base / matplotlib.rcParams["font.size"]


# ----------------------------------------------------------------- figure widths in the source

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def module_constants(tree: ast.Module) -> dict[str, object]:
    """Module-level names bound to literals (``A = 6.8``, ``A, B = 6.8, 10``)."""
    names = {}
    for stmt in tree.body:
        if not isinstance(stmt, ast.Assign):
            continue
        for target in stmt.targets:
            pairs = ([(target, stmt.value)] if isinstance(target, ast.Name) else
                     list(zip(target.elts, stmt.value.elts))
                     if isinstance(target, ast.Tuple) and isinstance(stmt.value, ast.Tuple) else [])
            for name, value in pairs:
                if isinstance(name, ast.Name) and isinstance(value, ast.Constant):
                    names[name.id] = value.value
    return names


def upper_bound(node: ast.AST, names: dict | None = None) -> float | None:
    """An upper bound of a (positive) width expression, or None when the source does not bound
    it (it depends on data): numbers, + and * of bounded operands, - and / by a number, ``a if c else b`` (the larger),
    ``min(...)`` (the smallest bounded argument), ``max(...)`` (all arguments bounded)."""
    names = names or {}
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name) and isinstance(names.get(node.id), (int, float)):
        return float(names[node.id])
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = upper_bound(node.left, names), upper_bound(node.right, names)
        exact_right = isinstance(node.right, ast.Constant) or (
            isinstance(node.right, ast.Name) and node.right.id in names)
        if isinstance(node.op, (ast.Sub, ast.Div)) and not exact_right:
            return None  # a bound of a difference or quotient needs the right side exactly
        return None if left is None or right is None else _OPS[type(node.op)](left, right)
    if isinstance(node, ast.IfExp):
        a, b = upper_bound(node.body, names), upper_bound(node.orelse, names)
        return None if a is None or b is None else max(a, b)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
        bounds = [upper_bound(a, names) for a in node.args]
        if node.func.id == "min":
            known = [b for b in bounds if b is not None]
            return min(known) if known else None
        return None if None in bounds or not bounds else max(bounds)
    return None


def figure_sites(folder: Path = VIZ) -> list[dict]:
    """Every ``figsize=`` in alexnet_repro/viz: file, line, enclosing function, width bound."""
    sites = []
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        names = module_constants(tree)
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Call):
                    for kw in node.keywords:
                        if kw.arg == "figsize" and isinstance(kw.value, ast.Tuple):
                            sites.append({"where": f"{path.name}:{node.lineno}", "file": path.name,
                                          "function": func.name, "width": upper_bound(kw.value.elts[0], names),
                                          "source": ast.unparse(kw.value.elts[0])})
    return sites


def _called_names(func: ast.AST) -> set[str]:
    return {n.func.id if isinstance(n.func, ast.Name) else n.func.attr
            for n in ast.walk(func) if isinstance(n, ast.Call)
            and isinstance(n.func, (ast.Name, ast.Attribute))}


def _reach(name: str, own: dict, callers: dict, seen: set) -> list[float]:
    """Widths of the figures a function draws, or of those its callers draw."""
    if own[name]:
        return own[name]
    found = []
    for caller in callers[name] - seen:
        found += _reach(caller, own, callers, seen | {name})
    return found


def explicit_font_sizes(folder: Path = VIZ) -> list[dict]:
    """Every ``fontsize=``/``size=`` number or name (or module constant) written in a call in
    alexnet_repro/viz, with the widest figure it can land on: its function's own figures, else
    those of the functions of its module that call it (directly or through others), else the
    widest figure of its module."""
    sites = figure_sites(folder)
    out = []
    for path in sorted(folder.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        names = module_constants(tree)
        funcs = {f.name: f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))}
        own = {name: [s["width"] for s in sites if s["file"] == path.name and s["function"] == name
                      and s["width"] is not None] for name in funcs}
        callers = {name: {c for c, f in funcs.items() if c != name and name in _called_names(f)}
                   for name in funcs}
        module_widths = [w for ws in own.values() for w in ws]

        for name, func in funcs.items():
            widths = _reach(name, own, callers, set())
            width = max(widths or module_widths or [0.0])
            figure = (f"a {width:g} in figure" if own[name] else
                      f"a {width:g} in figure (of its callers)" if widths else
                      f"the widest figure of {path.name}, {width:g} in")
            for node in ast.walk(func):
                if not isinstance(node, ast.Call):
                    continue
                for kw in node.keywords:
                    if kw.arg not in ("fontsize", "size"):
                        continue
                    value = (kw.value.value if isinstance(kw.value, ast.Constant) else
                             names.get(kw.value.id) if isinstance(kw.value, ast.Name) else None)
                    if isinstance(value, (int, float, str)):
                        out.append({"where": f"{path.name}:{node.lineno}", "function": name,
                                    "size": value, "width": width, "figure": figure})
    return out


# ----------------------------------------------------------------------------- the tests

def test_the_rc_file_sets_every_text_size():
    text = RC_FILE.read_text()
    for key in TEXT_KEYS:
        assert f"\n{key}:" in "\n" + text, f"matplotlibrc does not set {key}"


def test_default_sized_text_is_readable_on_the_widest_figure():
    sizes = rc_sizes()
    smallest_key = min(sizes, key=sizes.get)
    bounded = [s for s in figure_sites() if s["width"] is not None]
    widest = max(bounded, key=lambda s: s["width"])
    px = shown_px(sizes[smallest_key], widest["width"])
    assert px >= MIN_PX, (
        f"{smallest_key} = {sizes[smallest_key]:g} pt shows at {px:.1f} px (< {MIN_PX:.1f} px = 8 pt) "
        f"on the widest figure, {widest['width']:g} in ({widest['where']})")


def test_every_figure_width_is_bounded_in_the_source():
    """A width that grows with the data (``cell * cols``) has no upper bound: wrap it in
    ``min(LIMIT, ...)`` so the text check above covers it."""
    unbounded = [f"{s['where']} ({s['function']}): figsize width {s['source']}"
                 for s in figure_sites() if s["width"] is None]
    assert not unbounded, "figure widths with no upper bound in the source:\n" + "\n".join(unbounded)


def small_explicit_sizes(folder: Path = VIZ) -> list[str]:
    base = rc_sizes()["font.size"]
    return [f"{x['where']} ({x['function']}): {x['size']!r} on {x['figure']}"
            for x in explicit_font_sizes(folder)
            if x["width"] and shown_px(_points(x["size"], base), x["width"]) < MIN_PX]


def test_the_font_check_finds_a_planted_small_legend(tmp_path):
    (tmp_path / "figs.py").write_text(
        "WIDTH, SMALL = 12, 7\n"
        "def _label(ax):\n    ax.text(0, 0, 'x', fontsize=SMALL)\n"
        "def wide(plt):\n    fig, ax = plt.subplots(figsize=(WIDTH, 3))\n    _label(ax)\n"
        "    ax.legend(fontsize=8)\n    ax.set_title('t', fontsize=16)\n"
        "def narrow(plt):\n    fig, ax = plt.subplots(figsize=(5, 3))\n    ax.legend(fontsize=9)\n")
    found = small_explicit_sizes(tmp_path)
    assert [f.split(":")[1].split(" ")[0] for f in found] == ["3", "7"], found
    assert "of its callers" in found[0]


def test_explicit_font_sizes_are_readable_at_display_size():
    """``fontsize=8`` in a call overrides matplotlibrc: on an 11 in figure it shows at 6.9 px."""
    small = small_explicit_sizes()
    assert not small, "figure text smaller than 8 pt as displayed:\n" + "\n".join(small)


def test_matplotlib_started_in_the_repository_reads_its_rc_file():
    """The book's kernels run with the repository as working directory (papermill ``cwd``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MATPLOTLIBRC", "MPLCONFIGDIR")}
    code = ("import matplotlib, os; print(os.path.abspath(matplotlib.matplotlib_fname())); "
            "print(matplotlib.rcParams['font.size']); print(matplotlib.rcParams['legend.fontsize'])")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert Path(out[0]) == RC_FILE
    assert float(out[1]) == rc_sizes()["font.size"]
    assert out[2] == "medium"


def test_the_runner_executes_chapters_in_the_repository():
    source = (REPO / "alexnet_repro" / "bookrun" / "runner.py").read_text()
    assert "cwd=str(REPO)" in source, "papermill must start the kernels in the repository (matplotlibrc)"


def test_upper_bound_of_width_expressions():
    def bound(src):
        return upper_bound(ast.parse(src, mode="eval").body)

    assert bound("11") == 11
    assert bound("10 if ncols == 2 else 6") == 10
    assert bound("min(12, 0.5 + grid.shape[1] / 40)") == 12
    assert bound("2.4 * 5") == 12
    assert bound("cell * cols") is None
    assert bound("1.25 * n + 0.3") is None
    assert bound("max(3, n)") is None
    assert upper_bound(ast.parse("W - 1", mode="eval").body, {"W": 6.8}) == pytest.approx(5.8)
    assert module_constants(ast.parse("A, B = 6.8, 10\nC = 'x'\ndef f():\n    D = 1")) == \
        {"A": 6.8, "B": 10, "C": "x"}


def test_shown_px_of_a_known_case():
    # 15 pt on a 13 in figure scaled to 688 px: 15 * 688 / 936 = 11.03 px
    assert shown_px(15, 13) == pytest.approx(11.026, abs=1e-3)


def test_rc_sizes_resolve_relative_names(tmp_path):
    rc = tmp_path / "matplotlibrc"
    rc.write_text("font.size: 10\nlegend.fontsize: small\naxes.titlesize: large\n")
    sizes = rc_sizes(rc)
    assert sizes["font.size"] == 10
    assert sizes["legend.fontsize"] == pytest.approx(8.33, abs=0.01)  # small = 1/1.2
    assert sizes["axes.titlesize"] == pytest.approx(12.0)              # large = 1.2


# ---------------------------------------------------------------------- the book's stylesheet

def test_the_extension_serves_and_links_the_stylesheet():
    from alexnet_repro.bookrun import sphinx_ext

    css = sphinx_ext.STATIC / sphinx_ext.STYLESHEET
    assert css.is_file()
    calls = {"css": [], "connect": []}
    app = SimpleNamespace(add_css_file=lambda name, **kw: calls["css"].append(name),
                          connect=lambda event, fn, **kw: calls["connect"].append((event, fn)))
    sphinx_ext.setup(app)
    assert calls["css"] == [sphinx_ext.STYLESHEET]
    handler = dict(calls["connect"])["config-inited"]
    config = SimpleNamespace(html_static_path=["_web"])
    handler(app, config)
    assert config.html_static_path == ["_web", str(sphinx_ext.STATIC)]


def test_the_stylesheet_boxes_tables_and_darkens_outputs():
    css = (REPO / "alexnet_repro" / "bookrun" / "static" / "book.css").read_text()
    assert css.count("{") == css.count("}")
    table_rule = css[css.index(".bd-article table {"):]
    table_rule = table_rule[: table_rule.index("}")]
    for decl in ("display: block", "overflow-x: auto", "max-width: 100%"):
        assert decl in table_rule
    assert 'html[data-theme="dark"]' in css and "div.admonition.answer" in css
    assert "--jp-widgets-color" in css
