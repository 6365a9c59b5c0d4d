"""The results tables: paper numbers, re-implementations and records, with provenance.

Expected values are computed by hand here (e.g. 100 - 56.522 = 43.478), never read back from
the code under test; records are built in temporary folders.
"""

import pytest

from alexnet_repro.analysis.judging import chapter_record, judge
from alexnet_repro.common import provenance
from alexnet_repro.common.records import save_record
from alexnet_repro.viz import results_render
from alexnet_repro.viz import results_rows as rt

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def training_record(profile="full", ten_crop=True, top5=0.2, gpus=("NVIDIA H200",)):
    final = {"epochs": 90, "steps": 1000, "val_loss": 1.7, "val_top1_error": 0.4125,
             "val_top5_error": top5, "val_images": 50000}
    if ten_crop:
        final.update({"val_top1_error_ten_crop": 0.4,
                      "val_top5_error_ten_crop": None if top5 is None else 0.19})
    return {
        "kind": "training", "profile": profile,
        "config": {"model": "alexnet", "model_kwargs": {}, "epochs": 90, "augment": "paper",
                   "batch_size": 128, "lr": 0.01, "profile": profile},
        "dataset": {"name": "imagenet", "train_images": 1281167, "val_images": 50000,
                    "classes": 1000, "image_size": 256, "crop_size": 227},
        "model": {"name": "alexnet", "width": 1.0, "towers": 1, "parameters": 62378344},
        "hardware": {"device": "cuda:0" if gpus else "cpu", "cpu": "Some CPU", "torch_threads": 16,
                     "gpus": list(gpus), "gpu_count": len(gpus), "processes": 1},
        "git_commit": COMMIT, "started": "2026-11-20T10:00:00+00:00",
        "finished": "2026-11-21T09:30:00+00:00", "final": final, "history": [],
    }


def test_accuracy_to_error_against_hand_computed_values():
    assert rt.error_from_accuracy_pct(56.522) == 43.478
    assert rt.error_from_accuracy_pct(79.066) == 20.934
    assert rt.error_from_accuracy_pct(57.1) == 42.9
    assert rt.error_from_accuracy_pct(80.2) == 19.8
    assert rt.error_from_accuracy_pct(None) is None
    with pytest.raises(ValueError):
        rt.error_from_accuracy_pct(156.0)


def test_reimplementation_rows_are_errors_with_centre_crop_protocol():
    rows = {r["model"]: r for r in rt.reimplementation_rows()}
    tv = rows["torchvision alexnet (IMAGENET1K_V1)"]
    assert (tv["top1_error_pct"], tv["top5_error_pct"]) == (43.478, 20.934)
    caffe = rows["Caffe bvlc_alexnet"]
    assert (caffe["top1_error_pct"], caffe["top5_error_pct"]) == (42.9, 19.8)
    assert tv["protocol"] == caffe["protocol"] == rt.CENTRE_CROP
    assert "LRN" in tv["differs"] and "PCA" in caffe["differs"]
    d2l = rows["d2l.ai AlexNet"]
    assert d2l["top1_error_pct"] == pytest.approx(11.6) and d2l["top5_error_pct"] is None
    assert "Fashion-MNIST" in d2l["dataset"]


def test_paper_rows_carry_the_ten_patch_protocol_and_the_printed_numbers():
    rows = rt.paper_rows()
    by = {(r["model"], r["dataset"]): r for r in rows}
    assert by[("AlexNet, 1 CNN", "ILSVRC-2010 test")]["top1_error_pct"] == 37.5
    assert by[("AlexNet, 1 CNN", "ILSVRC-2010 test")]["top5_error_pct"] == 17.0
    one = by[("AlexNet, 1 CNN", "ILSVRC-2012 validation")]
    assert (one["top1_error_pct"], one["top5_error_pct"]) == (40.7, 18.2)
    seven = by[("AlexNet, 7 CNNs* (averaged)", "ILSVRC-2012 test")]
    assert seven["top5_error_pct"] == 15.3 and seven["top1_error_pct"] is None
    assert all(r["protocol"].startswith(rt.TEN_PATCH) for r in rows)
    assert all(r["profile"] == "paper" for r in rows)


def test_tables_1_and_2_as_printed():
    t1 = rt.table1_rows()
    assert [(r["model"], r["top1_error_pct"], r["top5_error_pct"]) for r in t1] == [
        ("Sparse coding [2]", 47.1, 28.2), ("SIFT + FVs [24]", 45.7, 25.7), ("CNN", 37.5, 17.0)]
    t2 = rt.table2_rows()
    assert [r["test_top5_error_pct"] for r in t2] == [26.2, None, 16.4, None, 15.3]
    assert [r["val_top1_error_pct"] for r in t2] == [None, 40.7, 38.1, 39.0, 36.7]


def test_training_record_rows_carry_provenance_and_convert_fractions(tmp_path):
    save_record(training_record(), tmp_path / "results", "full_training_imagenet")
    rows = rt.training_rows(provenance.gather_records(tmp_path / "results"))
    assert len(rows) == 2
    centre, ten = rows
    assert centre["protocol"] == rt.CENTRE_CROP and ten["protocol"] == rt.TEN_PATCH
    assert centre["top1_error_pct"] == 41.25 and centre["top5_error_pct"] == 20.0
    assert ten["top1_error_pct"] == 40.0 and ten["top5_error_pct"] == 19.0
    for r in rows:
        assert r["profile"] == "full"
        assert r["hardware"] == "1× NVIDIA H200"
        assert r["date"] == "2026-11-21"
        assert r["commit"] == COMMIT[:10]
        assert r["source"].endswith("full_training_imagenet.json")
        assert "imagenet" in r["dataset"] and "50000 val" in r["dataset"]


def test_cpu_record_without_ten_crop_and_without_top5(tmp_path):
    rec = training_record(profile="default", ten_crop=False, top5=None, gpus=())
    rec["dataset"].update(name="fashion-mnist", classes=10, crop_size=85)
    rec["model"]["width"] = 0.25
    rows = rt.training_rows({"run": rec})
    assert len(rows) == 1
    r = rows[0]
    assert r["top5_error_pct"] is None
    assert r["hardware"] == "CPU: Some CPU, 16 threads"
    assert "fashion-mnist" in r["differs"] and "85×85" in r["differs"] and "×0.25" in r["differs"]


def test_no_record_gives_not_measured_never_a_number(tmp_path):
    rows = rt.comparison_rows(provenance.gather_records(tmp_path / "missing"))
    mine = [r for r in rows if r["kind"] == "this book"]
    assert len(mine) == 1
    assert mine[0]["top1_error_pct"] is None and mine[0]["top5_error_pct"] is None
    assert mine[0]["dataset"] == provenance.NOT_MEASURED and mine[0]["profile"] == provenance.NOT_MEASURED
    html = results_render.to_html(rows, results_render.COMPARISON_COLUMNS)
    assert provenance.NOT_MEASURED in html


def test_same_name_in_two_folders_is_kept_twice(tmp_path):
    save_record(training_record(profile="full"), tmp_path / "a", "run")
    save_record(training_record(profile="default"), tmp_path / "b", "run")
    items = provenance.gather_records(tmp_path / "a", tmp_path / "b", tmp_path / "nope")
    assert [i["record"]["profile"] for i in items] == ["full", "default"]
    assert {r["profile"] for r in rt.training_rows(items)} == {"full", "default"}
    # the very same record written to two folders (a published run) counts once
    save_record(training_record(profile="full"), tmp_path / "b", "published")
    items = provenance.gather_records(tmp_path / "a", tmp_path / "b")
    assert [i["name"] for i in items] == ["run", "run"]
    assert items[0]["origin"].endswith("a/run.json")


def lrn_claim(key="lrn", effects=(0.6, 0.9, 1.2)):
    row = judge("lrn", list(effects), dataset="cifar10", setting="CIFAR-10 subset")
    return {**row, "key": key}


def test_claims_grouped_under_the_paper_claims_with_provenance(tmp_path):
    rec = chapter_record("lrn_pooling", "default",
                         [lrn_claim(), lrn_claim("lrn_cifar10", (1.0, -1.0)),
                          lrn_claim("something_else", (-1.0, -1.1, -1.2))])
    save_record(rec, tmp_path, "lrn_pooling")
    rows = rt.claim_rows(provenance.gather_records(tmp_path))
    keys = [r["claim"] for r in rows]
    # one row per paper claim not measured, the measured ones in place, the unknown key last
    from alexnet_repro.quoted.paper import CLAIMS
    assert keys[-1] == "something_else"
    assert keys.count("lrn") == 1 and keys.count("lrn_cifar10") == 1
    assert keys.index("lrn_cifar10") == keys.index("lrn") + 1
    assert len(rows) == len(CLAIMS) + 2
    lrn = rows[keys.index("lrn")]
    # mean 0.9, sd 0.3, t(0.975, 2) = 4.303: [0.155, 1.645] above 0; the 1.4 is ImageNet's, not judged
    assert lrn["outcome"] == "same direction" and lrn["measured"].startswith("0.9")
    assert lrn["ci"] == pytest.approx([0.9 - 4.302653 * 0.3 / 3 ** 0.5, 0.9 + 4.302653 * 0.3 / 3 ** 0.5])
    assert rows[keys.index("lrn_cifar10")]["outcome"] == "too few seeds to judge"
    assert lrn["profile"] == "default" and lrn["chapter"] == "lrn_pooling"
    assert lrn["date"] != "unknown"
    pca = rows[keys.index("pca_color")]
    assert pca["measured"] == provenance.NOT_MEASURED and pca["outcome"] == provenance.NOT_MEASURED
    assert pca["statement"] == CLAIMS["pca_color"]["text"]


def test_training_records_do_not_count_as_claims(tmp_path):
    rows = rt.claim_rows({"run": training_record()})
    assert all(r["measured"] == provenance.NOT_MEASURED for r in rows)


def test_reading_note_numbers_are_traced_to_the_right_tables():
    rows = rt.reading_note_rows()
    by = {(r["note_row"], r["note_column"]): r for r in rows}
    top1 = by[("AlexNet", "top-1 error")]
    assert top1["note_value_pct"] == top1["paper_value_pct"] == 37.5
    assert "Table 1" in top1["table"] and "2010" in top1["what_it_is"]
    top5 = by[("AlexNet", "top-5 error")]
    assert top5["note_value_pct"] == top5["paper_value_pct"] == 15.3
    assert "Table 2" in top5["table"] and "seven" in top5["what_it_is"]
    assert by[("runner-up", "top-5 error")]["paper_value_pct"] == 26.2
    trad = by[("traditional methods", "top-1 error (≈)")]
    assert abs(trad["note_value_pct"] - trad["paper_value_pct"]) < 0.5   # "~47%" vs 47.1


def test_html_escapes_marks_ci_rows_and_shows_dashes():
    rows = [{"kind": "this book", "model": "<b>net</b>", "top1_error_pct": 43.478,
             "top5_error_pct": None, "profile": "ci"},
            {"kind": "this book", "model": "net", "top1_error_pct": 12.5, "top5_error_pct": 2.0,
             "profile": "default"}]
    out = results_render.to_html(rows, [("model", "Model"), ("top1_error_pct", "Top-1"),
                            ("top5_error_pct", "Top-5"), ("profile", "Profile")])
    assert "&lt;b&gt;net&lt;/b&gt;" in out and "<b>net" not in out
    assert "<td>43.478</td>" in out and "<td>12.5</td>" in out and "<td>2.0</td>" in out
    assert f"<td>{provenance.NOT_REPORTED}</td>" in out
    assert out.count("ci — not a result") == 1


def test_profile_banner():
    ci = results_render.profile_banner([{"kind": "this book", "profile": "ci"},
                            {"kind": "paper", "profile": "paper"}])
    assert "warning" in ci and "<code>ci</code>" in ci
    ok = results_render.profile_banner([{"kind": "this book", "profile": "full"}])
    assert "warning" not in ok and "<code>full</code>" in ok and "default" not in ok
    assert "No measurement" in results_render.profile_banner([{"kind": "paper", "profile": "paper"}])


def test_record_counts_by_hand(tmp_path):
    from alexnet_repro.quoted.paper import CLAIMS
    committed, build = tmp_path / "results", tmp_path / "build"
    save_record(training_record(profile="full"), committed, "gpu_run")
    save_record(training_record(profile="default"), build, "cpu_run")
    save_record(chapter_record("lrn_pooling", "default", [lrn_claim()]), build, "lrn_pooling")
    items = provenance.gather_records(committed, build)
    counts = rt.record_counts(items, committed)
    # 3 records, 1 of them committed, 2 training runs; of the paper's claims only "lrn" measured
    assert counts == {"n_records": 3, "n_committed": 1, "n_training": 2,
                      "n_claims": len(CLAIMS), "n_measured": 1,
                      "n_claims_unmeasured": len(CLAIMS) - 1, "profiles": "full, default"}
    assert rt.record_counts([], committed)["profiles"] == "none"


def test_quoted_and_headline_numbers_are_the_printed_ones():
    q = rt.quoted_numbers()
    # Table 1: 37.5 / 17.0 against sparse coding 47.1 / 28.2; Table 2: 40.7 / 18.2, 15.3, 26.2
    assert (q["t1_cnn_top1"], q["t1_cnn_top5"], q["t1_sc_top1"], q["t1_sc_top5"]) == \
        (37.5, 17.0, 47.1, 28.2)
    assert (q["t2_one_top1"], q["t2_one_top5"], q["t2_seven_test5"], q["t2_fv_test5"]) == \
        (40.7, 18.2, 15.3, 26.2)
    assert (q["patches"], q["patch"]) == (10, 224)
    # torchvision: 56.522 / 79.066 accuracy; 100 - 56.522 = 43.478, 43.478 - 40.7 = 2.778
    assert (q["tv_top1_err"], q["tv_top5_err"]) == (43.478, 20.934)
    assert q["tv_gap"] == pytest.approx(2.778)
    assert (q["caffe_top1_err"], q["caffe_top5_err"]) == (42.9, 19.8)
    h = rt.headline_numbers()
    assert (h["train_m"], h["classes"], h["params_m"], h["neurons"]) == (1.2, 1000, 60, 650000)
    assert (h["n_conv"], h["n_fc"], h["epochs"], h["days"]) == (5, 3, 90, "5–6")
    assert (h["2012_best"], h["2012_best_model"], h["2012_runner_up"]) == (15.3, "7 CNNs*", 26.2)
    assert (h["2010_top1"], h["2010_prev_top5"]) == (37.5, 28.2)


def test_provenance_table(tmp_path):
    assert results_render.provenance_table([], "results", "_build/x") == \
        "<p>No record found in <code>results</code> or <code>_build/x</code>.</p>"
    save_record(chapter_record("lrn_pooling", "default", [lrn_claim()]), tmp_path / "results" / "ci", "lrn_pooling")
    items = provenance.gather_records(tmp_path / "results" / "ci")
    html = results_render.provenance_table(items, "results", roots={"build folder": tmp_path},
                                           chapter_titles={"lrn_pooling": "Pooling"})
    assert str(tmp_path) not in html                                   # no path of the machine
    assert "<td>results/<wbr>ci/<wbr>lrn_pooling.json<br>" in html
    assert ">chapter record, build folder</span></td><td>Pooling</td><td>unknown</td><td>default; " in html
    assert html.count("<tr") == 2 and html.count("<th>") == 4
    # without roots, the file's name only
    assert "<td>lrn_pooling.json<br>" in results_render.provenance_table(items)
    one = {"device": "cpu", "cpu": "Some CPU", "torch_threads": 1}
    assert provenance.hardware_summary(one) == "CPU: Some CPU, 1 thread"


def test_dataset_is_named_for_every_kind_of_record():
    ds = {"name": "fashion-mnist", "train_images": 100, "val_images": 50, "classes": 10, "crop_size": 67}
    assert provenance.dataset_of({"kind": "training", "dataset": ds}) == \
        "fashion-mnist (100 train, 50 val, 10 classes, 67×67 input)"
    # chapter records that keep their base configuration
    assert provenance.dataset_of({"kind": "chapter", "config": {"dataset": "cifar10"}}) == "cifar10"
    # a chapter record that names its training records (seed suffixes)
    linked = {"full_training_fashion-mnist_seed0": {"kind": "training", "dataset": {"name": "fashion-mnist"}}}
    chapter = {"kind": "chapter", "training_record": "full_training_fashion-mnist"}
    assert provenance.dataset_of(chapter, linked) == "fashion-mnist"
    assert provenance.dataset_of(chapter, {}) == "unknown"
    # a chapter that trained nothing (the architecture's counts: exact checks only)
    assert provenance.dataset_of({"kind": "chapter", "claims": [{"unit": "exact"}]}) == "none: no training"
    assert provenance.dataset_of({"kind": "chapter", "claims": [{"unit": "points"}]}) == "unknown"
    assert provenance.dataset_of({"kind": "training"}) == "unknown"


def test_shown_path_is_relative_to_the_first_root_that_holds_it(tmp_path):
    build, repo = tmp_path / "build", tmp_path / "repo"
    roots = {"build folder": build, "repository": repo}
    assert provenance.shown_path(build / "results" / "ci" / "a.json", roots) == ("build folder", "results/ci/a.json")
    assert provenance.shown_path(repo / "results" / "b.json", roots) == ("repository", "results/b.json")
    assert provenance.shown_path(tmp_path / "elsewhere" / "c.json", roots) == ("", "c.json")


def _claim_row(**kw):
    base = {"claim": "lrn", "chapter": "lrn_pooling", "statement": "Response normalization reduces "
            "our top-1 and top-5 error rates by 1.4% and 1.2%.", "source": "paper §3.3",
            "paper": "1.4 points top-1 (ImageNet)", "metric": "top-1 error", "measured": "x",
            "setting": "Fashion-MNIST, 5 seeds", "unit": "points", "outcome": "inconclusive",
            "estimate": 0.5, "ci": [-5.85, 6.85], "mde": 8.2, "n": 2, "n_censored": 0,
            "paper_effect": 1.4, "paper_judged": False, "profile": "default", "hardware": "CPU",
            "date": "2026-01-02", "commit": "abc"}
    return {**base, **kw}


def test_estimate_text_in_the_claims_units():
    assert results_render.estimate_text(_claim_row(ci=[-5.86, 6.86])) == "0.5 [-5.9, 6.9] points"
    # exp(-0.3) = 0.7408, exp(-0.84) = 0.4317, exp(0.25) = 1.2840
    ratio = _claim_row(unit="log ratio", estimate=-0.3, ci=[-0.84, 0.25])
    assert results_render.estimate_text(ratio) == "0.74× [0.43×, 1.28×]"
    # an interval that does not exist (fewer than 3 seeds; null in a record) is not printed
    assert results_render.estimate_text(_claim_row(ci=[None, 2.0])) == "0.5 points from 2 seeds, no interval"
    exact = _claim_row(unit="exact", measured="60,965,224 (two towers)", estimate=60965224.0)
    assert results_render.estimate_text(exact) == "60,965,224 (two towers)"
    missing = _claim_row(measured=provenance.NOT_MEASURED, estimate=None)
    assert results_render.estimate_text(missing) == provenance.NOT_MEASURED


def test_claims_table_one_row_per_claim_details_one_click_away():
    rows = [_claim_row(), _claim_row(claim="ten_patch_test", chapter="augmentation"),
            _claim_row(claim="ten_patch_test", chapter="full_training", profile="ci"),
            _claim_row(claim="a_quote_without_title", statement="On the Fall 2009 ImageNet, top-1 error 67.4%.",
                       paper="as stated", measured=provenance.NOT_MEASURED, outcome=provenance.NOT_MEASURED,
                       estimate=None, chapter=provenance.NOT_REPORTED)]
    out = results_render.claims_table(rows, {"lrn_pooling": "Pooling"})
    assert out.count("<details>") == 4 and out.count("<th>") == 3        # three columns, no later work yet
    assert "Later work on these claims: not yet reviewed." in out
    assert "<td>Response normalization lowers the error (pixels in [0, 1])</td>" in out
    assert "<td>Ten test patches beat the centre crop (augmentation)</td>" in out
    assert "<td>Ten test patches beat the centre crop (full training)</td>" in out
    assert "<td>On the Fall 2009 ImageNet, top-1 error 67.4%</td>" in out
    # the outcome word only where judged; the unmeasured claim shows a dash and no number
    assert out.count(">inconclusive</strong>") == 3
    assert "<td>as stated</td><td>not measured in this build</td></tr>" in out
    assert '>inconclusive</strong><br>0.5 [-5.8, 6.8] points</td>' in out   # -5.85 is stored as -5.8499...
    # the details: the paper's words, power, seeds and the record with the chapter's title
    assert "The paper (§3.3)</strong>: “Response normalization reduces" in out
    assert "8.2 points" in out and "another setting, so only the direction is judged" in out
    assert "Seeds</strong>: 2</p>" in out and '<a href="lrn_pooling.html">Pooling</a>' in out
    assert out.count("background:#fff3cd") == 2                            # the ci row and its details
    later = results_render.claims_table([_claim_row(later_work_text="Confirmed by X (2014)")])
    assert "<th>Later work</th>" in later and "Confirmed by X (2014)" in later


def test_claim_titles_fall_back_to_the_first_sentence():
    from alexnet_repro.analysis.preregistration import TITLES
    assert rt.claim_title({"claim": "lrn"}) == TITLES["lrn"]
    long = {"claim": "x", "statement": "word " * 30 + ". Second."}
    title = rt.claim_title(long, limit=20)
    assert title.endswith("…") and len(title) <= 21 and "Second" not in title


def test_released_errors_are_the_reference_files_lines_beside_table2():
    import re
    from pathlib import Path
    cfg = (Path(__file__).resolve().parents[1] / "reference" / "alexnet-2012-source"
           / "layers_layer-params-145.cfg").read_text()
    lines = re.findall(r"#\s*logprob:\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)", cfg)
    killed = cfg.index("epoch 91: killed")
    after_kill = [m for m in re.finditer(r"#\s*logprob:\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)", cfg)
                  if m.start() > killed][0].groups()
    multiview = cfg[cfg.index("multiview test:"):]
    multi = re.search(r"logprob:\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)", multiview).groups()
    assert lines, "the reference file has no logprob lines"
    rows = rt.released_rows()
    assert rows[0]["top1_error_pct"] == 40.7 and rows[0]["top5_error_pct"] == 18.2     # Table 2, 1 CNN
    assert rows[1]["top1_error_pct"] == pytest.approx(100 * float(after_kill[1]))
    assert rows[1]["top5_error_pct"] == pytest.approx(100 * float(after_kill[2]))
    assert rows[1]["logprob"] == float(after_kill[0])
    assert rows[2]["top1_error_pct"] == pytest.approx(100 * float(multi[1]))
    assert rows[2]["top5_error_pct"] == pytest.approx(100 * float(multi[2]))
    # rounded to the paper's precision, the released line is the paper's one-CNN row
    assert round(rows[1]["top1_error_pct"], 1) == 40.7 and round(rows[1]["top5_error_pct"], 1) == 18.2
    html = results_render.to_html(rows, rt.RELEASED_COLUMNS, digits=4)
    assert "40.664" in html and "multiview" in html and "does not say" in html


def test_a_record_of_an_older_format_is_not_judged_and_says_so(tmp_path):
    # a chapter record written before the rule of issue 23 (no "format" key): its outcomes follow
    # the old rule, so the results page shows none of them and says why
    rec = chapter_record("lrn_pooling", "default", [lrn_claim()])
    assert rec["format"] == 2
    old = {k: v for k, v in rec.items() if k != "format"}
    old["claims"][0]["outcome"] = "no effect at this scale"          # an old outcome word
    save_record(old, tmp_path, "lrn_pooling")
    rows = rt.claim_rows(provenance.gather_records(tmp_path))
    lrn = next(r for r in rows if r["claim"] == "lrn")
    assert lrn["measured"] == rt.OLD_RECORD and "older rule" in rt.OLD_RECORD
    assert results_render.estimate_text(lrn) == rt.OLD_RECORD
    assert rt.judged_rows(rows) == []
    html = results_render.claims_table(rows)
    assert "run its chapter again" in html and "no effect at this scale" not in html
