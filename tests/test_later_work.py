"""What later work found (alexnet_repro.quoted.later_work): every judged claim has a list, every
entry is complete, empty lists and only they carry a reason, and the reader's sentence is built
from the entries as the chapters and the results page show it."""
from __future__ import annotations

import re

from alexnet_repro.analysis.preregistration import CLAIM_TESTS
from alexnet_repro.quoted import later_work
from alexnet_repro.quoted.later_work import LATER_WORK, NOTHING_FOUND, later_work_text

FIELDS = ("source", "locator", "url", "setting", "finding", "read")
#: The claims with at least one entry read in its source on 2026-12-06 (the issue asks for 8).
WITH_ENTRIES = 12


def test_every_claim_has_a_list():
    assert set(LATER_WORK) == set(CLAIM_TESTS)
    assert all(isinstance(entries, list) for entries in LATER_WORK.values())


def test_entries_have_every_field():
    for key, entries in LATER_WORK.items():
        for entry in entries:
            assert set(entry) == set(FIELDS), (key, entry)
            for field in FIELDS:
                assert isinstance(entry[field], str) and entry[field].strip(), (key, field)
            assert entry["url"].startswith("https://"), (key, entry["url"])
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["read"]), (key, entry["read"])


def test_findings_state_their_unit():
    """Accuracy (a fraction) and error (percent) point opposite ways: every finding says which."""
    for key, entries in LATER_WORK.items():
        for entry in entries:
            if any(ch.isdigit() for ch in entry["finding"]):
                assert re.search(r"accuracy|error|bias", entry["finding"]), (key, entry["finding"])


def test_nothing_found_exactly_for_empty_lists():
    empty = {key for key, entries in LATER_WORK.items() if not entries}
    assert set(NOTHING_FOUND) == empty
    assert all(reason.strip() for reason in NOTHING_FOUND.values())


def test_enough_claims_carry_later_work():
    with_entries = [key for key, entries in LATER_WORK.items() if entries]
    assert len(with_entries) == WITH_ENTRIES
    assert len(with_entries) >= 8


def test_text_of_one_entry(monkeypatch):
    entry = {"source": "Doe, Roe & Poe (2019), a benchmark", "locator": "README.md, table 'X', "
             "rows A and B; read in the transcription T", "url": "https://example.org",
             "setting": "a net at 64 px", "finding": "accuracy was 0.50 with A and 0.40 with B",
             "read": "2026-12-06"}
    monkeypatch.setattr(later_work, "LATER_WORK", {"claim": [entry], "other": []})
    monkeypatch.setattr(later_work, "NOTHING_FOUND", {"other": "no study was found."})
    assert later_work_text("claim") == ("Doe et al. 2019: accuracy was 0.50 with A and 0.40 "
                                        "with B (README.md, table 'X', rows A and B).")
    assert later_work_text("other") == "No study was found."


def test_text_of_two_authors_and_of_no_year(monkeypatch):
    two = {"source": "Doe & Roe (2015), a paper", "locator": "Table 3", "finding": "error 9%"}
    org = {"source": "Some model zoo, a readme", "locator": "readme.md", "finding": "biases 0.1"}
    monkeypatch.setattr(later_work, "LATER_WORK", {"claim": [two, org]})
    assert later_work_text("claim") == ("Doe & Roe 2015: error 9% (Table 3); "
                                        "Some model zoo: biases 0.1 (readme.md).")


def test_every_claim_has_a_sentence():
    for key in CLAIM_TESTS:
        text = later_work_text(key)
        assert text.endswith(".") and not text.endswith(".."), (key, text)
