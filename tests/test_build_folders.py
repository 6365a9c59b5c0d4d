"""Issue 25: the reader's build is never overwritten.

Each profile renders into its own folder, ``<build>/html/<profile>/`` (staged in
``<build>/stage/<profile>/``): the README's two commands in that order (``bash
tools/build-book.sh``, the `default` book, then ``bash tools/test.sh``, whose ``built_book``
fixture builds `ci`) leave the reader's book as it was. The profile's HTML folder is replaced
only after a successful render, so a failed render keeps the previous book; and the test suite
itself builds into temporary folders only.
"""
from __future__ import annotations

import hashlib
import subprocess
import types
from pathlib import Path

import pytest
from conftest import build_ci_book

from alexnet_repro.bookrun import runner
from alexnet_repro.bookrun.profiles import BookError

MARKER = "the reader's own file, left in the book's folder\n"


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def build(tmp_path, monkeypatch) -> Path:
    """A scratch build folder (ALEXNET_BUILD_DIR)."""
    monkeypatch.setenv("ALEXNET_BUILD_DIR", str(tmp_path / "_build"))
    return tmp_path / "_build"


def fake_book(folder: Path, text: str) -> None:
    """What a render leaves: an index.html and a page."""
    (folder / "book").mkdir(parents=True)
    (folder / "index.html").write_text(text)
    (folder / "book" / "intro.html").write_text(text)


def fake_jupyter_book(monkeypatch, returncode: int = 0, text: str = "new book") -> list:
    """Stand in for the jupyter-book subprocess of ``runner.run_jupyter_book``: on success it
    writes a book into ``<stage>/_build/html`` as the real one does; returns the calls."""
    calls = []

    def run(command, cwd, **kwargs):
        calls.append(command)
        assert Path(command[0]).name == "jupyter-book" and command[1] == "build"
        if returncode == 0:
            fake_book(Path(cwd) / "_build" / "html", text)
        return subprocess.CompletedProcess(command, returncode, "", "WARNING: a broken reference")

    monkeypatch.setattr(runner, "subprocess", types.SimpleNamespace(
        run=run, CompletedProcess=subprocess.CompletedProcess))
    return calls


def test_each_profile_has_its_own_html_and_stage_folder(build):
    assert runner.html_dir("default") == build.resolve() / "html" / "default"
    assert runner.html_dir("ci") == build.resolve() / "html" / "ci"
    assert runner.stage_dir("ci") == build.resolve() / "stage" / "ci"
    assert runner.stage_dir("default") != runner.stage_dir("ci")


def test_the_suite_never_builds_into_the_repository():
    """conftest's session-wide ALEXNET_BUILD_DIR: whatever a test runs lands in a temporary folder."""
    repo_build = (runner.REPO / "_build").resolve()
    assert runner.build_root() != repo_build and repo_build not in runner.build_root().parents


def test_a_successful_render_replaces_only_its_own_profiles_book(build, monkeypatch, capsys):
    fake_book(build / "html" / "ci", "old ci book")
    (build / "html" / "ci" / "stale.html").write_text("a page the new build no longer has")
    fake_book(build / "html" / "default", "the reader's book")
    (build / "html" / "default" / "MARKER").write_text(MARKER)
    before = tree_digest(build / "html" / "default")
    calls = fake_jupyter_book(monkeypatch)
    index = runner.build_html("ci", [])
    assert len(calls) == 1 and Path(calls[0][2]) == runner.stage_dir("ci")
    assert index == runner.html_dir("ci") / "index.html" and index.read_text() == "new book"
    assert not (build / "html" / "ci" / "stale.html").exists()   # replaced, not merged
    assert tree_digest(build / "html" / "default") == before
    assert sorted(p.name for p in (build / "html").iterdir()) == ["ci", "default"]  # nothing set aside is left
    assert not (build / "stage" / "default").exists()


def test_a_failed_render_keeps_the_previous_book(build, monkeypatch):
    fake_book(build / "html" / "ci", "the previous ci book")
    (build / "html" / "ci" / "MARKER").write_text(MARKER)
    before = tree_digest(build / "html" / "ci")
    fake_jupyter_book(monkeypatch, returncode=1)
    with pytest.raises(BookError, match=r"(?s)jupyter-book failed.*'ci' is left as it was.*broken reference"):
        runner.build_html("ci", [])
    assert tree_digest(build / "html" / "ci") == before
    assert sorted(p.name for p in (build / "html").iterdir()) == ["ci"]


def test_a_failed_move_puts_the_previous_book_back(tmp_path, monkeypatch):
    new, target = tmp_path / "stage" / "html", tmp_path / "html" / "ci"
    fake_book(new, "new book")
    fake_book(target, "previous book")

    def broken_move(src, dst):
        Path(dst).mkdir()          # a partial copy, then the disk is full
        raise OSError("No space left on device")

    monkeypatch.setattr(runner.shutil, "move", broken_move)
    with pytest.raises(OSError, match="No space"):
        runner.replace_folder(new, target)
    assert (target / "index.html").read_text() == "previous book"
    assert sorted(p.name for p in target.parent.iterdir()) == ["ci"]


@pytest.mark.slow
def test_the_readers_book_survives_the_test_suites_build(build, capsys):
    """The README's two commands in order, on a scratch build folder: the reader's `default`
    book (``bash tools/build-book.sh``: ``python -m alexnet_repro book``, here cut to the root
    chapter), a file of the reader's in it, then the suite's ``built_book`` machinery
    (``runner.build_book("ci")``, cut to the root chapter) into the same build folder."""
    assert runner.main(["--chapter", "intro"]) == 0
    default = build.resolve() / "html" / "default"
    assert f"[book] built: {default / 'index.html'}" in capsys.readouterr().out
    (default / "MARKER").write_text(MARKER)
    before = tree_digest(default)

    index = build_ci_book(build, only=["intro"])
    assert index == build.resolve() / "html" / "ci" / "index.html" and index.exists()
    assert "Built under the" in (index.parent / "book" / "intro.html").read_text()   # the ci banner
    assert tree_digest(default) == before and (default / "MARKER").read_text() == MARKER
    assert "Built under the" not in (default / "book" / "intro.html").read_text()
    assert sorted(p.name for p in (build / "html").iterdir()) == ["ci", "default"]
    assert sorted(p.name for p in (build / "stage").iterdir()) == ["ci", "default"]
