"""The introduction's and the results chapter's modules (``alexnet_repro.chapters.intro`` and
``.results``): their tables and the numbers their prose quotes, against the paper's printed values
(Tables 1 and 2), the released ``layers-145.cfg`` line read by hand and hand counts."""
from __future__ import annotations

import re

from alexnet_repro.bookrun.profiles import toc_pages
from alexnet_repro.chapters import intro, results
from alexnet_repro.quoted.paper import CLAIMS
from alexnet_repro.quoted.reading_note import READING_NOTE_ERRORS


def _body_rows(html: str) -> list[list[str]]:
    """The cells of every body row of an HTML table."""
    body = html.split("<tbody>", 1)[1]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def test_intro_paper_tables_are_the_papers_as_printed():
    table1, table2 = intro.paper_tables()
    assert "<caption>paper Table 1 (§6, ILSVRC-2010 test set)</caption>" in table1
    # Table 1 of the paper: sparse coding 47.1 / 28.2, SIFT + FVs 45.7 / 25.7, CNN 37.5 / 17.0
    assert _body_rows(table1) == [["Sparse coding [2]", "47.1", "28.2"], ["SIFT + FVs [24]", "45.7", "25.7"],
                                  ["CNN", "37.5", "17.0"]]
    assert "<caption>paper Table 2 (§6, ILSVRC-2012); * = pre-trained on ImageNet Fall 2011</caption>" in table2
    rows = _body_rows(table2)
    assert rows[1] == ["1 CNN", "40.7", "18.2", "—", "no"]          # Table 2: no test number for 1 CNN
    assert ["7 CNNs*", "36.7", "15.4", "15.3", "yes"] in rows


def test_intro_covers_every_chapter_of_the_toc_once():
    chapters = toc_pages()[1:]                                      # the root page is the introduction
    assert len(chapters) == 10 and sorted(intro.COVERS) == sorted(chapters)
    assert all(text.startswith("§") for name, text in intro.COVERS.items()
               if name not in ("how_made", "references"))


def test_intro_reading_note_table_has_one_row_per_error():
    rows = _body_rows(intro.reading_note_table())
    assert len(rows) == len(READING_NOTE_ERRORS) and all(len(r) == 3 for r in rows)
    # the input-size error comes first; chapters by their titles, linked
    assert rows[0][2] == '<a href="architecture.html">The architecture</a>'
    assert "<th>The note says</th><th>The paper</th><th>Chapter</th>" in intro.reading_note_table()
    bias = [r for r in rows if r[0].startswith("biases of conv2")][0]
    assert bias[1] == intro.bias_paper_says()


def test_intro_bias_row_is_the_papers_section_5():
    # §5: "the second, fourth, and fifth convolutional layers, as well as ... the fully-connected
    # hidden layers, with the constant 1"; the rest (conv1, conv3, the output layer fc8) 0
    text = intro.bias_paper_says()
    assert text.startswith("Biases of 1 in conv2, conv4, conv5 and in the fully-connected hidden "
                           "layers (fc6 and fc7); 0 in conv1, conv3 and fc8, the output layer included (paper §5).")
    assert "Only" not in text
    made_up = intro.bias_paper_says({"bias_one": ("conv1", "fc6"), "bias_zero": ("fc8",), "source": "s"})
    assert made_up.startswith("Biases of 1 in conv1 and in the fully-connected hidden layers (fc6); 0 in fc8")


def test_results_sentences_by_hand():
    counts = {"n_records": 9, "n_committed": 0, "n_training": 2, "n_measured": 18, "n_claims": 11,
              "n_claims_unmeasured": 2, "profiles": "ci"}
    assert results.records_sentence(counts) == ("This build read 9 records, none of them committed to the "
                                                "repository: 2 training runs and 18 measured claims, from the profile ci.")
    one = {**counts, "n_records": 1, "n_committed": 1, "n_training": 1, "n_measured": 1, "profiles": "full, default"}
    assert results.records_sentence(one) == ("This build read 1 record, all committed to the repository: "
                                             "1 training run and 1 measured claim, from the profiles full and default.")
    assert results.records_sentence({**counts, "n_records": 0}).startswith("This build found no record")
    summary = {"n_judged": 18, "n_same_direction": 2, "n_inconclusive": 16, "n_reproduced": 0}
    assert results.outcomes_sentence(counts, summary) == (
        "Of the paper's 11 claims, 2 have no measurement in this build. 18 claims were judged over "
        "seeds: 2 same direction and 16 inconclusive.")
    assert results.outcomes_sentence({**counts, "n_claims_unmeasured": 1}, {"n_judged": 1, "n_opposite": 1}) == (
        "Of the paper's 11 claims, 1 has no measurement in this build. 1 claim was judged over seeds: 1 opposite.")
    assert results.outcomes_sentence({**counts, "n_claims_unmeasured": 0}, {"n_judged": 0}).endswith(
        "every one has a measurement in this build. No claim was judged over seeds.")
    skipped = {**summary, "n_not_judged": 3, "n_not_testable_on_this_dataset": 1, "n_not_testable_at_this_scale": 2}
    assert results.outcomes_sentence(counts, skipped).endswith(
        "18 claims were judged over seeds: 2 same direction and 16 inconclusive. 3 more claims were not "
        "judged: 1 not testable on this dataset and 2 not testable at this scale.")


def test_results_released_facts_are_the_cfg_line_to_four_digits():
    # 'logprob: 1.741473, 0.406640, 0.182100' and the multiview line 0.402500, 0.179940
    assert results.released_facts() == {"rel_top1": "40.66", "rel_top5": "18.21",
                                        "rel_multi_top1": "40.25", "rel_multi_top5": "17.99"}
    rows = [{}, {"top1_error_pct": 12.34567, "top5_error_pct": 5.0},
            {"top1_error_pct": 100.0, "top5_error_pct": 0.0123456}]
    assert results.released_facts(rows) == {"rel_top1": "12.35", "rel_top5": "5", "rel_multi_top1": "100",
                                            "rel_multi_top5": "0.01235"}


def test_results_overview_facts_without_records():
    facts = results.overview_facts([], "results")
    assert facts["n_records"] == 0 and facts["n_committed"] == 0 and facts["n_training"] == 0
    assert facts["n_claims"] == len(CLAIMS) and facts["profiles"] == "none"
    assert facts["t1_cnn_top1"] == 37.5 and facts["t2_one_top5"] == 18.2      # Tables 1 and 2
    assert facts["rel_top1"] == "40.66" and facts["patches"] == 10
    assert len(facts) == 7 + 19 + 4          # record counts, quoted numbers, released errors: no clash


def test_results_tables_carry_their_captions():
    assert "<caption>paper Table 1 (§6, ILSVRC-2010 test set)</caption>" in results.table1_html()
    assert "<caption>paper Table 2 (§6, ILSVRC-2012); — = not reported</caption>" in results.table2_html()
    assert _body_rows(results.table1_html())[2] == ["CNN", "37.5", "17.0"]
