"""Every experiment chapter ends with "Try it": two or three commands that each change one
parameter. Each command's parameters are run here under the tiny `ci` profile, so a reader who
pastes one gets a chapter that runs (names valid, values accepted)."""
from __future__ import annotations

import re

import pytest

from alexnet_repro.bookrun import runner
from alexnet_repro.bookrun.profiles import BOOK_DIR, parse_override

EXPERIMENT_CHAPTERS = ["architecture", "relu_vs_tanh", "dropout", "lrn_pooling", "augmentation",
                       "training_details", "full_training"]
SECTION = re.compile(r"^## Try it\s*$(?P<body>.*?)(?=^## |\Z)", re.M | re.S)
COMMAND = re.compile(r"bash tools/build-book\.sh --chapter (?P<chapter>\w+)(?P<params>(?: -p [^\s`]+)+)")


def try_commands(markdown: str) -> list[tuple[str, list[str]]]:
    """(chapter, ["name=value", ...]) of every command in the page's "Try it" section."""
    section = SECTION.search(markdown)
    if section is None:
        return []
    return [(m.group("chapter"), m.group("params").split(" -p ")[1:]) for m in COMMAND.finditer(section.group("body"))]


def test_the_command_reader_by_hand():
    md = ("# T\n\n## Try it\n\n```bash\nbash tools/build-book.sh --chapter dropout -p epochs=5\n```\n"
          "and `bash tools/build-book.sh --chapter dropout -p seeds=[0,1] -p train.lr=0.1`\n\n## After\n"
          "bash tools/build-book.sh --chapter dropout -p not=this\n")
    assert try_commands(md) == [("dropout", ["epochs=5"]), ("dropout", ["seeds=[0,1]", "train.lr=0.1"])]
    assert try_commands("# no section\n") == []


@pytest.mark.parametrize("chapter", EXPERIMENT_CHAPTERS)
def test_every_experiment_chapter_ends_with_two_or_three_commands_of_its_own(chapter):
    text = (BOOK_DIR / f"{chapter}.md").read_text()
    commands = try_commands(text)
    assert 2 <= len(commands) <= 3, f"{chapter}: {len(commands)} Try-it commands"
    assert all(c == chapter for c, _ in commands)
    last = max(m.start() for m in re.finditer(r"^## ", text, re.M))
    assert text.startswith("## Try it", last), f"{chapter}: Try it is not the last section"


@pytest.mark.slow
@pytest.mark.parametrize("chapter", EXPERIMENT_CHAPTERS)
def test_each_try_it_command_runs_under_ci(chapter, tmp_path, monkeypatch):
    monkeypatch.setenv("ALEXNET_BUILD_DIR", str(tmp_path))
    for _, params in try_commands((BOOK_DIR / f"{chapter}.md").read_text()):
        overrides = dict(parse_override(p) for p in params)
        executed = runner.execute_chapter(chapter, "ci", overrides, force=True)
        assert executed.exists()
