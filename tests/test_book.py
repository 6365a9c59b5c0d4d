"""The book runner: profiles, parameter validation, cache, failures, and the built HTML."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from alexnet_repro import profiles, runner

EXPECTED_ORDER = [
    "intro", "architecture", "relu_vs_tanh", "dropout", "lrn_pooling",
    "augmentation", "results", "full_training",
]

CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A test chapter

```{{code-cell}} ipython3
:tags: [parameters]
profile = "default"
results_dir = "_build/results/default"
steps = 2
```

```{{code-cell}} ipython3
print("steps", steps * 10)
{body}
```
"""


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A book folder with its own profiles, so tests can add chapters of their own."""
    (tmp_path / "book").mkdir()
    monkeypatch.setattr(profiles, "BOOK_DIR", tmp_path / "book")
    monkeypatch.setattr(profiles, "PROFILES_FILE", tmp_path / "book" / "profiles.yml")
    monkeypatch.setenv("ALEXNET_BUILD_DIR", str(tmp_path / "_build"))

    def write(name, body="", profile_params=None):
        (tmp_path / "book" / f"{name}.md").write_text(CHAPTER.format(body=body))
        profiles = {"ci": {name: profile_params or {}}, "default": {name: {}}}
        (tmp_path / "book" / "profiles.yml").write_text(yaml.safe_dump(profiles))
        return name

    return write


def outputs_text(path: Path) -> str:
    nb = json.loads(path.read_text())
    return "".join(
        "".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", [])
    )


# ------------------------------------------------------------------- the book's own sources

def test_toc_lists_every_chapter_in_the_papers_order():
    assert profiles.chapters() == EXPECTED_ORDER
    for name in EXPECTED_ORDER:
        assert profiles.chapter_source(name).exists(), f"book/{name}.md is missing"


def test_results_chapter_is_executed_after_all_the_others():
    order = runner.execution_order(EXPECTED_ORDER)
    assert order[-1] == "results" and sorted(order) == sorted(EXPECTED_ORDER)


def test_every_profile_names_only_declared_parameters():
    every = profiles.load_profiles()
    assert {"ci", "default", "full"} <= set(every)
    for profile in every:
        for chapter in EXPECTED_ORDER:
            profiles.resolve_parameters(chapter, profile)  # raises on an unknown name


def test_default_profile_equals_the_chapters_parameters_cells():
    defaults = profiles.load_profiles()["default"]
    for chapter in EXPECTED_ORDER:
        declared = profiles.declared_parameters(chapter)
        for name, value in (defaults.get(chapter) or {}).items():
            assert declared[name] == value, (
                f"{chapter}: parameters cell has {name}={declared[name]!r}, "
                f"profile default has {value!r}"
            )


def test_placeholders_say_so_in_their_first_line():
    for chapter in EXPECTED_ORDER:
        text = profiles.chapter_source(chapter).read_text()
        body = text.split("---", 2)[2] if text.startswith("---") else text
        if "placeholder" in body.lower():
            first = next(line for line in body.splitlines() if line.strip())
            assert "placeholder" in first.lower() or "placeholder" in body.split("\n\n")[1].lower()


# ------------------------------------------------------------------------------ parameters

def test_parse_override_reads_yaml_values():
    assert profiles.parse_override("epochs=3") == ("epochs", 3)
    assert profiles.parse_override("lr=0.05") == ("lr", 0.05)
    assert profiles.parse_override("dataset=cifar10") == ("dataset", "cifar10")
    assert profiles.parse_override("seeds=[0, 1]") == ("seeds", [0, 1])
    with pytest.raises(profiles.BookError, match="name=value"):
        profiles.parse_override("epochs")


def test_mistyped_parameter_is_an_error_naming_the_closest_one(sandbox):
    chapter = sandbox("tiny")
    with pytest.raises(profiles.BookError) as info:
        profiles.resolve_parameters(chapter, "ci", {"stpes": 4})
    message = str(info.value)
    assert "'stpes'" in message and "did you mean 'steps'" in message


def test_mistyped_parameter_in_the_profiles_file_is_an_error(sandbox):
    chapter = sandbox("tiny", profile_params={"step": 4})
    with pytest.raises(profiles.BookError, match=r"profile 'ci'.*'step'.*did you mean 'steps'"):
        profiles.resolve_parameters(chapter, "ci")


def test_unknown_profile_is_an_error(sandbox):
    chapter = sandbox("tiny")
    with pytest.raises(profiles.BookError, match="unknown profile 'fast'.*ci, default"):
        profiles.resolve_parameters(chapter, "fast")


def test_cli_reports_a_mistyped_parameter_without_a_traceback(capsys):
    code = runner.main(["--chapter", "architecture", "--profile", "ci", "-p", "no_such_knob=1", "--no-html"])
    assert code == 1
    err = capsys.readouterr().err
    assert "unknown parameter 'no_such_knob'" in err and "Traceback" not in err


# ------------------------------------------------------------------- execution and the cache

@pytest.mark.slow
def test_execution_injects_parameters_and_caches(sandbox):
    chapter = sandbox("tiny", profile_params={"steps": 3})
    out = runner.execute_chapter(chapter, "ci")
    assert "steps 30" in outputs_text(out)  # the profile's value reached the code
    first = out.stat().st_mtime_ns
    assert runner.execute_chapter(chapter, "ci") == out
    assert out.stat().st_mtime_ns == first, "nothing changed, yet the chapter re-executed"
    runner.execute_chapter(chapter, "ci", {"steps": 5})
    assert "steps 50" in outputs_text(out)
    # on the page: the values used (folded), not the chapter's defaults
    cells = nbformat.read(out, as_version=4).cells
    tags = {t: c.metadata["tags"] for c in cells for t in ("parameters", "injected-parameters")
            if t in c.metadata.get("tags", [])}
    assert "remove-cell" in tags["parameters"] and "hide-input" in tags["injected-parameters"]


@pytest.mark.slow
def test_failing_cell_names_chapter_and_cell_and_keeps_the_notebook(sandbox):
    chapter = sandbox("broken", body='raise ValueError("loss is NaN at step 7")')
    with pytest.raises(runner.ChapterFailed) as info:
        runner.execute_chapter(chapter, "ci")
    message = str(info.value)
    assert "chapter 'broken'" in message and "cell 2" in message
    assert "loss is NaN at step 7" in message
    kept = runner.executed_path(chapter, "ci")
    assert kept.exists() and str(kept) in message
    assert runner.cached_key(kept) is None, "a failed execution must not count as cached"


# -------------------------------------------------------------------- the built book (ci)

@pytest.mark.slow
def test_built_book_has_every_chapter_and_the_layer_table(built_book):
    for chapter in EXPECTED_ORDER[1:]:
        assert (built_book / "book" / f"{chapter}.html").exists()
    page = (built_book / "book" / "architecture.html").read_text()
    # The layer table, computed by the model: conv1's 55x55x96 map and conv5's 163-px field.
    assert re.search(r"conv1.{0,400}55", page, re.S) and "163" in page
    assert "Built under the" in page  # the ci banner


@pytest.mark.slow
def test_built_book_needs_no_cdn(built_book):
    for page in (built_book / "book").glob("*.html"):
        text = page.read_text()
        for url in re.findall(r'<script[^>]+src="([^"]+)"', text):
            assert not url.startswith(("http:", "https:", "//")), f"{page.name} loads {url}"
