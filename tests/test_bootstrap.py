"""tools/bootstrap.sh: the test set-up includes the book's, so running the book after the tests
installs nothing again, and a book-only set-up is upgraded (not skipped) by the test command."""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _fake_venv(tmp_path: Path, marker: str) -> tuple[Path, Path]:
    venv, calls = tmp_path / "venv", tmp_path / "calls.txt"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n')   # records every call, installs nothing
    python.chmod(0o755)
    (venv / ".alexnet-setup").write_text(marker + "\n")
    return venv, calls


def _bootstrap(mode: str, venv: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "ALEXNET_VENV": str(venv)}
    return subprocess.run(["bash", str(ROOT / "tools" / "bootstrap.sh"), mode], env=env, text=True,
                          capture_output=True, timeout=120)


def _project_hash() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]


def test_book_after_tests_installs_nothing(tmp_path):
    venv, calls = _fake_venv(tmp_path, _project_hash() + "[test]")
    done = _bootstrap("book", venv)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(venv)
    assert "installing the project" not in done.stderr and not calls.exists()
    assert (venv / ".alexnet-setup").read_text().strip() == _project_hash() + "[test]"


def test_tests_after_book_install_the_test_tools(tmp_path):
    venv, calls = _fake_venv(tmp_path, _project_hash())
    done = _bootstrap("test", venv)
    assert done.returncode == 0, done.stderr
    assert "installing the project" in done.stderr
    assert "-m pip install" in calls.read_text() and "[test]" in calls.read_text()
    assert (venv / ".alexnet-setup").read_text().strip() == _project_hash() + "[test]"


def test_a_changed_project_is_installed_again_by_the_book(tmp_path):
    venv, calls = _fake_venv(tmp_path, "0123456789abcdef[test]")     # another pyproject.toml
    done = _bootstrap("book", venv)
    assert done.returncode == 0, done.stderr
    assert "installing the project" in done.stderr and "-m pip install" in calls.read_text()
