"""No unrestricted unpickling in the library, checked on the syntax tree of every module.

``torch.load`` unpickles: before PyTorch 2.6 its ``weights_only`` defaults to False, which runs
whatever code a crafted file holds, and the book supports PyTorch >= 2.2. So every call to it must
say ``weights_only=True`` itself. Nothing calls ``pickle.load``/``loads`` (CIFAR-10's reader uses
its own restricted unpickler), and ``numpy.load`` never allows pickles.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "alexnet_repro"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin for every import in the module (``import torch as t``,
    ``from torch import load``), so a renamed ``torch.load`` is still found."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[(a.asname or a.name).split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _dotted(func: ast.expr, aliases: dict[str, str]) -> str | None:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return None
    return ".".join([aliases.get(func.id, func.id), *reversed(parts)])


def _calls(path: Path):
    """(dotted name, call node) for each call in the module whose callee resolves to a dotted name."""
    tree = ast.parse(path.read_text(), filename=str(path))
    aliases = _aliases(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (name := _dotted(node.func, aliases)):
            yield name, node


def _keyword(call: ast.Call, name: str):
    """The constant passed as keyword ``name`` (``...`` when it is not a constant or ``**`` hides it)."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value.value if isinstance(kw.value, ast.Constant) else ...
        if kw.arg is None:
            return ...
    return None


TORCH_LOADS = [(p, n, c) for p in MODULES for n, c in _calls(p) if n in ("torch.load", "torch.serialization.load")]


def test_the_scan_finds_the_known_torch_loads():
    where = {p.relative_to(PACKAGE).as_posix() for p, _, _ in TORCH_LOADS}
    assert {"engine/checkpoint.py", "data/shards.py", "data/stats.py"} <= where, where
    assert "data/prepare.py" not in where        # its resume state is JSON (issue 25)


@pytest.mark.parametrize("path, name, call", TORCH_LOADS,
                         ids=[f"{p.relative_to(PACKAGE)}:{c.lineno}" for p, _, c in TORCH_LOADS])
def test_every_torch_load_passes_weights_only_true(path, name, call):
    assert _keyword(call, "weights_only") is True, (
        f"{path.relative_to(PACKAGE.parent)}:{call.lineno}: {name}(...) must pass weights_only=True "
        "explicitly (its default is False before PyTorch 2.6: a crafted file would run code)")


def test_no_unrestricted_pickle_or_numpy_pickle_loading():
    found = []
    for path in MODULES:
        for name, call in _calls(path):
            where = f"{path.relative_to(PACKAGE.parent)}:{call.lineno}: {name}"
            if name in ("pickle.load", "pickle.loads", "pickle.Unpickler", "_pickle.load", "_pickle.loads",
                        "dill.load", "dill.loads", "joblib.load", "pandas.read_pickle"):
                found.append(where)
            if name in ("numpy.load", "np.load") and _keyword(call, "allow_pickle") not in (None, False):
                found.append(f"{where}(allow_pickle=...)")
            if any(kw.arg == "weights_only" and not (isinstance(kw.value, ast.Constant) and kw.value.value is True)
                   for kw in call.keywords):       # e.g. a torch.hub or torch.jit loader told weights_only=False
                found.append(f"{where}(weights_only=...)")
    assert not found, "unrestricted unpickling: " + ", ".join(found)


def test_the_only_unpickler_is_cifar10s_restricted_one():
    subclasses = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any("Unpickler" in ast.unparse(b) for b in node.bases):
                methods = {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
                subclasses.append((path.relative_to(PACKAGE).as_posix(), node.name, "find_class" in methods))
    assert subclasses == [("data/cifar10.py", "_ArrayUnpickler", True)]
