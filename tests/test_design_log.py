"""The pre-registration log (alexnet_repro.analysis.design_log) against the repository: every judged
claim has its choices, every seed count matches the default profile, every commit exists in this
history with the date the log gives, and the appendix page has a section for every chapter."""
from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from alexnet_repro.analysis import design_log
from alexnet_repro.analysis.design_log import (CHOICES, DESIGN_LOG, OTHER_JUDGEMENTS, anchor,
                                               changed_after, chapter_of)
from alexnet_repro.analysis.preregistration import CLAIM_TESTS

REPO = Path(__file__).resolve().parents[1]
BOOK = REPO / "book"
#: The parameter of a chapter that holds a claim's seeds, where it is not ``seeds``.
SEED_PARAMETER = {"lrn_second_regime": "second_seeds"}


def all_entries():
    """(claim, chapter, entry) for every entry of the log and of the other judgements."""
    for key, entries in DESIGN_LOG.items():
        yield from ((key, chapter_of(key), e) for e in entries)
    for key, chapters in OTHER_JUDGEMENTS.items():
        for chapter, entries in chapters.items():
            yield from ((key, chapter, e) for e in entries)


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)


def chapter_parameters(chapter: str) -> dict:
    """The literal assignments of the chapter's cell tagged ``parameters`` (book/<chapter>.md)."""
    text = (BOOK / f"{chapter}.md").read_text()
    cell = re.search(r"```\{code-cell\}[^\n]*\n:tags: \[parameters\]\n(.*?)\n```", text, re.S)
    assert cell, f"book/{chapter}.md has no parameters cell"
    return {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(cell.group(1)).body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}


def default_seeds(chapter: str, name: str) -> list:
    """The seeds ``name`` of ``chapter`` under the default profile: book/profiles.yml's
    ``default`` block where it sets them, else the chapter's parameters cell (which the default
    profile equals)."""
    block = yaml.safe_load((BOOK / "profiles.yml").read_text())["default"].get(chapter) or {}
    return block[name] if name in block else chapter_parameters(chapter)[name]


def stated_seeds(value: str) -> int:
    m = re.match(r"(\d+) seeds\b", value)
    assert m, f"a seeds entry must start with '<n> seeds': {value!r}"
    return int(m.group(1))


def test_every_judged_claim_has_entries_and_no_other_key():
    assert set(DESIGN_LOG) == set(CLAIM_TESTS)
    assert all(DESIGN_LOG[k] for k in CLAIM_TESTS)


@pytest.mark.parametrize("key", sorted(CLAIM_TESTS))
def test_metric_and_seeds_for_every_claim_each_choice_once(key):
    choices = [e["choice"] for e in DESIGN_LOG[key]]
    assert {"metric", "seeds"} <= set(choices)
    assert len(choices) == len(set(choices)), f"{key}: a choice listed twice: {choices}"


def test_every_entry_is_well_formed():
    for key, chapter, e in all_entries():
        where = f"{key} ({chapter}) {e.get('choice')}"
        assert e["choice"] in CHOICES, where
        assert isinstance(e["value"], str) and e["value"].strip(), where
        assert re.fullmatch(r"[0-9a-f]{7,40}", e["commit"]), where
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", e["date"]), where
        assert isinstance(e["after_outcomes"], bool), where
        if e["after_outcomes"]:
            assert e.get("changed", "").strip() and e.get("why", "").strip(), where


def test_seed_counts_match_the_default_profile():
    checked = 0
    for key, chapter, e in all_entries():
        if e["choice"] != "seeds":
            continue
        seeds = default_seeds(chapter, SEED_PARAMETER.get(key, "seeds"))
        assert stated_seeds(e["value"]) == len(seeds), f"{key} ({chapter}): {e['value']!r} vs {seeds}"
        checked += 1
    assert checked == len(CLAIM_TESTS) + sum(len(c) for c in OTHER_JUDGEMENTS.values())


def test_every_commit_is_in_this_history_with_its_date():
    shallow = git("rev-parse", "--is-shallow-repository")
    assert shallow.returncode == 0, shallow.stderr
    assert shallow.stdout.strip() == "false", (
        "this clone is shallow: the design log names commits from the whole history; fetch it "
        "with `git fetch --unshallow` before running this test")
    dates = {}
    for key, chapter, e in all_entries():
        commit = e["commit"]
        if commit not in dates:
            exists = git("cat-file", "-e", f"{commit}^{{commit}}")
            assert exists.returncode == 0, f"{key} ({chapter}) {e['choice']}: no commit {commit}"
            dates[commit] = git("show", "-s", "--format=%ad", "--date=short", commit).stdout.strip()
        assert e["date"] == dates[commit], f"{key} {e['choice']}: {commit} is dated {dates[commit]}"


def test_changed_after_lists_flagged_choices_in_choices_order_once(monkeypatch):
    log = {"x": [
        {"choice": "data", "after_outcomes": True},
        {"choice": "metric", "after_outcomes": False},
        {"choice": "seeds", "after_outcomes": True},
        {"choice": "data", "after_outcomes": True},
        {"choice": "target", "after_outcomes": True},
        {"choice": "grid", "after_outcomes": False},
    ], "y": [{"choice": "metric", "after_outcomes": False}]}
    monkeypatch.setattr(design_log, "DESIGN_LOG", log)
    assert changed_after("x") == ["target", "seeds", "data"]
    assert changed_after("y") == []


def test_chapter_of_and_anchor():
    assert chapter_of("ten_patch_test") == "augmentation"
    assert chapter_of("pca_color") == "training_details"
    assert anchor("lrn_second_regime") == "how-made-lrn-pooling"
    assert anchor("relu_speedup") == "how-made-relu-vs-tanh"
    with pytest.raises(KeyError):
        chapter_of("no_such_claim")


def test_the_appendix_has_one_section_label_per_chapter():
    text = (BOOK / f"{design_log.SECTION}.md").read_text()
    for chapter in sorted({chapter_of(k) for k in CLAIM_TESTS} | {c for v in OTHER_JUDGEMENTS.values() for c in v}):
        labels = re.findall(rf"^\(how-made-{re.escape(chapter)}\)=$", text, re.M)
        assert len(labels) == 1, f"book/how_made.md: {len(labels)} labels for {chapter}"


def test_readings_and_margins_set_with_the_new_rule_are_logged_as_after_outcomes():
    # every claim whose paper number is read through words ("about", "roughly", "over") and
    # every claim judged in direction only (its equivalence margin is new) is flagged

    for key, spec in CLAIM_TESTS.items():
        words = spec["paper_effect"] is not None and len(spec["paper_effect"]) == 3
        assert ("reading" in design_log.changed_after(key)) == words, key
        if spec["size_in"] != "any":
            assert "margin" in design_log.changed_after(key), key


def test_each_chapters_seed_count_is_the_power_calculations():
    from alexnet_repro.analysis.preregistration import SEED_BUDGET, planned_seeds
    for chapter, parameter in SEED_BUDGET:
        assert len(default_seeds(chapter, parameter)) == planned_seeds(chapter, parameter), (chapter, parameter)
