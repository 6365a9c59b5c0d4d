"""Shared fixtures: the book built once per test session under the `ci` profile."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def built_book():
    """Execute every chapter under `ci` and render the HTML; returns the html folder.

    Uses the runner's cache, so a second session with nothing changed only re-renders.
    """
    from alexnet_repro import runner

    index = runner.build_book("ci")
    return index.parent
