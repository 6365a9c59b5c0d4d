"""The floor plan, checked: the layer rule (import-linter's contracts in pyproject.toml), no import
cycle anywhere, no import tucked into a function, no re-exported names, size limits, and chapters
whose code cells only call the library."""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PKG = REPO / "alexnet_repro"
LINT = Path(sys.executable).with_name("lint-imports")
MODULE_LINES = 500
FUNCTION_LINES = 60
CHAPTER_CODE_LINES = 100
SUBPACKAGES = sorted(p.name for p in PKG.iterdir() if (p / "__init__.py").exists())


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT), str(root / "pyproject.toml"), "--no-cache"], cwd=root,
                          env=env, capture_output=True, text=True)


def library_files():
    return sorted(PKG.rglob("*.py"))


def test_the_layer_contracts_hold():
    out = lint_imports(REPO)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_every_subpackage_is_named_in_the_layers_contract():
    text = (REPO / "pyproject.toml").read_text()
    layers = re.search(r"layers = \[(.*?)\]", text, re.S).group(1)
    named = set(re.findall(r"[a-z_]+", layers))
    assert set(SUBPACKAGES) == named, f"sub-packages {SUBPACKAGES} vs contract {sorted(named)}"
    assert "ignore_imports" not in text


@pytest.mark.parametrize("planted, target", [
    ("from alexnet_repro.chapters import architecture  # planted upward import\n", "quoted/paper.py"),
    ("from alexnet_repro.nn import model  # planted: data must not import nn\n", "data/batches.py"),
    ("from alexnet_repro.chapters import dropout  # planted: chapters are independent\n",
     "chapters/architecture.py"),
])
def test_a_planted_forbidden_import_breaks_a_contract(tmp_path, planted, target):
    shutil.copytree(PKG, tmp_path / "alexnet_repro", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / "alexnet_repro" / target
    lines = path.read_text().splitlines(keepends=True)
    last_import = max(i for i, line in enumerate(lines) if line.startswith(("from ", "import ")))
    lines.insert(last_import + 1, planted)
    path.write_text("".join(lines))
    out = lint_imports(tmp_path)
    assert out.returncode != 0 and "BROKEN" in out.stdout.upper(), out.stdout + out.stderr


def import_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), i.e. the import cycles."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in edges.get(v, ()):
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_hand_made_cycle():
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set(), "c": {"b"}}) == []


def test_no_import_cycle_between_any_two_modules():
    graph = grimp.build_graph("alexnet_repro")   # imports inside functions included
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    assert import_cycles(edges) == []


def test_no_project_import_inside_a_function():
    found = []
    for path in library_files():
        if path.name == "__main__.py":   # the dispatcher imports only the command it runs
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("alexnet_repro"):
                        found.append(f"{path.relative_to(REPO)}:{inner.lineno}")
    assert found == []


def test_no_module_re_exports_another_modules_names():
    found = []
    for path in library_files():
        tree = ast.parse(path.read_text())
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("alexnet_repro"):
                found += [f"{path.relative_to(REPO)}: {a.name}" for a in node.names
                          if (a.asname or a.name) not in names]
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
                own = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))} | {
                    t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
                found += [f"{path.relative_to(REPO)}: __all__ lists {name}" for name in ast.literal_eval(node.value)
                          if name not in own]
    assert found == [], "imported but not used (a re-export), or listed in __all__ but defined elsewhere"


def test_each_subpackage_init_is_empty_or_a_docstring():
    for init in PKG.glob("*/__init__.py"):
        body = ast.parse(init.read_text()).body
        assert all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body), init


def body_lines(fn: ast.FunctionDef) -> int:
    body = fn.body
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        if len(body) == 1:
            return 0
        first = body[1]
    return fn.end_lineno - first.lineno + 1


def test_modules_and_functions_stay_small():
    long_modules = [f"{p.relative_to(REPO)}: {n}" for p in library_files()
                    if (n := len(p.read_text().splitlines())) > MODULE_LINES]
    long_functions = [f"{p.relative_to(REPO)}:{fn.name}: {body_lines(fn)}" for p in library_files()
                      for fn in ast.walk(ast.parse(p.read_text()))
                      if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and body_lines(fn) > FUNCTION_LINES]
    assert long_modules == [] and long_functions == []


def test_body_lines_counts_by_hand():
    fn = ast.parse('def f():\n    """doc\n    more"""\n    a = 1\n\n    return a\n').body[0]
    assert body_lines(fn) == 3   # a = 1, the blank line, return a


# --- chapters --------------------------------------------------------------------------------

CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(?P<body>.*?)^```\s*$", re.M | re.S)


def code_cells(markdown: str) -> list[tuple[list[str], str]]:
    """(tags, source) of every code cell of a MyST notebook."""
    cells = []
    for m in CELL.finditer(markdown):
        lines = m.group("body").splitlines()
        tags = []
        if lines and lines[0].strip() == "---":   # a YAML block of cell options (tags, mystnb: image alt)
            end = lines.index("---", 1)
            tags = list((yaml.safe_load("\n".join(lines[1:end])) or {}).get("tags", []))
            lines = lines[end + 1:]
        while lines and lines[0].startswith(":"):
            head = lines.pop(0)
            if head.startswith(":tags:"):
                tags = re.findall(r"[\w-]+", head.split(":", 2)[2])
        cells.append((tags, "\n".join(lines)))
    return cells


def chapters():
    toc = (REPO / "_toc.yml").read_text()
    return re.findall(r"book/(\w+)", toc)


def test_the_cell_reader_by_hand():
    md = "x\n```{code-cell} ipython3\n:tags: [remove-cell]\na = 1\n```\n\n```{code-cell} ipython3\nb = 2\n```\n"
    assert code_cells(md) == [(["remove-cell"], "a = 1"), ([], "b = 2")]
    yaml_cell = "```{code-cell} ipython3\n---\ntags: [remove-input]\nmystnb:\n  image:\n    alt: A curve\n---\nplt.show()\n```\n"
    assert code_cells(yaml_cell) == [(["remove-input"], "plt.show()")]


def chapter_problems(markdown: str) -> tuple[list[str], int]:
    """What breaks the chapter rules in a MyST notebook, and its code lines outside the parameters cell."""
    code, problems = 0, []
    for i, (tags, source) in enumerate(code_cells(markdown)):
        if "parameters" in tags:
            continue
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                problems.append(f"cell {i}: {type(node).__name__}")
            if isinstance(node, ast.JoinedStr):
                problems.append(f"cell {i}: f-string at line {node.lineno}")
        calls = [getattr(n.func, "id", "") for n in ast.walk(tree) if isinstance(n, ast.Call)]
        if calls.count("glue_all") > 1:
            problems.append(f"cell {i}: {calls.count('glue_all')} glue_all calls")
        if "save_record" in calls and "hide-input" not in tags:
            problems.append(f"cell {i}: the cell that saves the record is not collapsed (hide-input)")
        code += sum(1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#"))
    return problems, code


def test_the_chapter_rules_catch_planted_defects():
    cell = "```{{code-cell}} ipython3\n{tags}{body}\n```\n"
    good = cell.format(tags=":tags: [parameters]\n", body="x = 1") + cell.format(
        tags=":tags: [hide-input]\n", body="from m import save_record\nglue_all(f(x))\nsave_record(r, d, 'c')")
    assert chapter_problems(good) == ([], 3)
    for body, tags, expected in [
            ("def g():\n    pass", "", "FunctionDef"), ("h = lambda: 1", "", "Lambda"), ("class C:\n    pass", "", "ClassDef"),
            ("t = f'{x} seeds'", "", "f-string"), ("glue_all(a)\nglue_all(b)", "", "2 glue_all calls"),
            ("save_record(r, d, 'c')", ":tags: [remove-cell]\n", "not collapsed")]:
        problems, _ = chapter_problems(good + cell.format(tags=tags, body=body))
        assert len(problems) == 1 and expected in problems[0], (body, problems)


@pytest.mark.parametrize("chapter", chapters())
def test_a_chapter_only_calls_the_library(chapter):
    problems, code = chapter_problems((REPO / "book" / f"{chapter}.md").read_text())
    assert problems == []
    assert code <= CHAPTER_CODE_LINES, f"{chapter}: {code} code lines outside the parameters cell"
