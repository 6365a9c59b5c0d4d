"""The set-up files agree with each other: one source of truth for what gets installed."""
from __future__ import annotations

import re
from pathlib import Path

import tomllib
import yaml

REPO = Path(__file__).resolve().parents[1]


def normalise(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower().replace("_", "-")


def test_environment_yml_installs_exactly_the_pyproject_requirements():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["test"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_block = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = [r for r in pip_block if not r.startswith("-e")]
    assert sorted(map(normalise, listed)) == sorted(map(normalise, wanted)), (
        "environment.yml's pip list drifted from pyproject.toml (dependencies + [test])"
    )
    assert "-e ." in pip_block, "environment.yml must install the project itself"


def test_environment_python_satisfies_requires_python():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    minimum = tuple(int(x) for x in re.search(r">=\s*([\d.]+)", project["requires-python"]).group(1).split("."))
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    version = tuple(int(x) for x in python.split("=")[1].split("."))
    assert version >= minimum


def test_ci_runs_the_readme_test_command():
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "bash tools/test.sh" in readme and "bash tools/build-book.sh" in readme
    commands = [line for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    assert commands[-1].strip() == "exec bash tools/test.sh"


def test_jupyter_book_is_the_sphinx_line():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    jb = next(d for d in deps if d.startswith("jupyter-book"))
    assert "<2" in jb, "jupyter-book 2.x cannot build offline nor render widgets"


def test_architecture_lists_every_module():
    """ARCHITECTURE.md maps every module of the library (a new module without a row fails)."""
    root = Path(__file__).resolve().parents[1]
    text = (root / "ARCHITECTURE.md").read_text()
    package = root / "alexnet_repro"
    modules = sorted(p.relative_to(package).as_posix() for p in package.rglob("*.py") if p.name != "__init__.py")
    chapters_row = next(line for line in text.splitlines() if line.startswith("| `chapters/<chapter>.py`"))
    missing = [m for m in modules if (Path(m).stem not in chapters_row if m.startswith("chapters/")
                                      else f"`{m}`" not in text and f"{m} " not in text)]
    assert not missing, f"ARCHITECTURE.md has no row for {missing}"


def test_words_for_readers_by_hand():
    from alexnet_repro.common.text import dataset_name, duration_words, join_words, plural
    assert [plural(1, "seed"), plural(5, "seed"), plural(2, "process", "processes"), plural(1200, "step")] == [
        "1 seed", "5 seeds", "2 processes", "1,200 steps"]
    assert [duration_words(s) for s in (59, 60, 150, 89 * 60, 90 * 60)] == [
        "under a minute", "about 1 minute", "about 2 minutes", "about 89 minutes", "about 1.5 hours"]
    assert dataset_name("fashion-mnist") == "Fashion-MNIST" and dataset_name("mine") == "mine"
    assert [join_words(["a"]), join_words(["a", "b"]), join_words(["a", "b", "c"])] == ["a", "a and b", "a, b and c"]
