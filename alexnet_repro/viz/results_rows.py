"""The results tables' rows: the paper's numbers (``paper.py``) next to what this book measured.

Three tables, each a list of row dicts that :func:`~alexnet_repro.viz.results_render.to_html` renders:

* :func:`comparison_rows` — whole-network error rates: the paper's single-CNN and ensemble
  results, later re-implementations (their accuracies converted to errors here), and every
  training record this book wrote. Every row names its dataset and split and its *test
  protocol* (ten patches vs centre crop), so that numbers measured differently are not read
  as comparable. Measured rows carry their provenance: profile, dataset, hardware, date, commit.
* :func:`claim_rows` — the paper's ablation claims (``paper.CLAIMS``), each with the
  measurements and outcomes the experiment chapters recorded (``judging.judge`` rows in
  ``{"kind": "chapter"}`` records), or :data:`NOT_MEASURED`.
* :func:`reading_note_rows` — what each number of the reading note's results table is.

Records are read from folders with :func:`~alexnet_repro.common.provenance.gather_records`, which keeps
records of the same name from different folders apart (the committed ``results/`` and this
build's ``results_dir``). Errors in records are fractions; everything shown here is in percent.

The records and their provenance live in :mod:`alexnet_repro.common.provenance`, the rendering in
:mod:`alexnet_repro.viz.results_render`.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping, Sequence

from alexnet_repro.analysis import verdicts
from alexnet_repro.analysis.judging import RECORD_FORMAT
from alexnet_repro.analysis.preregistration import TITLES
from alexnet_repro.common.provenance import (
    NOT_MEASURED,
    NOT_REPORTED,
    profiles_present,
    provenance_of,
    records_list,
)
from alexnet_repro.data.augment import scaled_crop_size
from alexnet_repro.quoted import paper, reading_note, reimplementations, released_2012

TEN_PATCH = f"{paper.PAPER['augmentation']['test_patches']} patches, softmax averaged"   # §4.1, told in the prose
CENTRE_CROP = "single centre crop"



# ----------------------------------------------------------------------------- numbers

def error_from_accuracy_pct(accuracy_pct: float | None) -> float | None:
    """Error rate (percent) from an accuracy (percent): ``100 - accuracy``, rounded to 10
    decimals so that 100 - 56.522 prints as 43.478, not 43.478000000000002."""
    if accuracy_pct is None:
        return None
    if not 0.0 <= accuracy_pct <= 100.0:
        raise ValueError(f"an accuracy in percent lies in [0, 100], got {accuracy_pct}")
    return round(100.0 - float(accuracy_pct), 10)


def _pct(fraction: float | None) -> float | None:
    """A fraction from a record as percent (None stays None)."""
    if fraction is None:
        return None
    f = float(fraction)
    if not math.isfinite(f):
        return None
    return round(100.0 * f, 10)



# ----------------------------------------------------------------------------- the paper

def table1_rows() -> list[dict]:
    """Table 1 as printed (ILSVRC-2010 test, percent error)."""
    return [{"model": r["model"], "top1_error_pct": r["top1_pct"], "top5_error_pct": r["top5_pct"],
             "source": paper.TABLE1["source"]} for r in paper.TABLE1["rows"]]


def table2_rows() -> list[dict]:
    """Table 2 as printed (ILSVRC-2012; None = "—" in the paper)."""
    return [{"model": r["model"], "val_top1_error_pct": r["val_top1_pct"],
             "val_top5_error_pct": r["val_top5_pct"], "test_top5_error_pct": r["test_top5_pct"],
             "pretrained_fall2011": r["pretrained_fall2011"], "source": paper.TABLE2["source"]}
            for r in paper.TABLE2["rows"]]


RELEASED_COLUMNS = [("what", "Line of layer-params-145.cfg"), ("top1_error_pct", "Top-1 error %"),
                    ("top5_error_pct", "Top-5 error %"), ("logprob", "logprob"),
                    ("says", "What the file says about it"), ("source", "Where")]


def released_rows() -> list[dict]:
    """The errors the released 2012 configuration records (``released_2012.RELEASED_2012``), beside the
    paper's one-CNN row of Table 2, with what the file says about them and no more: it names no
    image set and no test protocol for the first line; the second is labelled "multiview test"
    and follows a continued run."""
    t2 = _row(paper.TABLE2, "1 CNN")
    end, multi = released_2012.RELEASED_2012["errors"], released_2012.RELEASED_2012["errors_multiview"]
    return [
        {"what": "Table 2, 1 CNN (the paper)", "top1_error_pct": t2["val_top1_pct"],
         "top5_error_pct": t2["val_top5_pct"], "logprob": None,
         "says": "ILSVRC-2012 validation set, ten patches (§4.1)", "source": paper.TABLE2["source"]},
        {"what": "after 'epoch 91: killed'", "top1_error_pct": 100 * end["top1"],
         "top5_error_pct": 100 * end["top5"], "logprob": end["logprob"], "says": end["note"],
         "source": end["source"]},
        {"what": "'multiview test'", "top1_error_pct": 100 * multi["top1"],
         "top5_error_pct": 100 * multi["top5"], "logprob": multi["logprob"],
         "says": "a test with several views, after training was continued to epoch 135; the file "
                 "does not say which views or which images", "source": multi["source"]},
    ]


def _row(table: Mapping, model: str) -> Mapping:
    for r in table["rows"]:
        if r["model"] == model:
            return r
    raise KeyError(f"{model!r} is not a row of {table['source']}")


def _paper_provenance() -> dict:
    hw = paper.PAPER["training"]["hardware"]
    return {"profile": "paper", "hardware": hw, "date": "2012", "commit": NOT_REPORTED}


def paper_rows() -> list[dict]:
    """The paper's whole-network results that the comparison table sets measurements against."""
    t1, t2 = _row(paper.TABLE1, "CNN"), _row(paper.TABLE2, "1 CNN")
    five, seven = _row(paper.TABLE2, "5 CNNs"), _row(paper.TABLE2, "7 CNNs*")
    base = {"kind": "paper", **_paper_provenance()}
    imagenet = paper.PAPER["data"]
    return [
        {**base, "model": "AlexNet, 1 CNN", "dataset": "ILSVRC-2010 test",
         "protocol": TEN_PATCH, "top1_error_pct": t1["top1_pct"], "top5_error_pct": t1["top5_pct"],
         "source": paper.TABLE1["source"], "differs": "the paper's network"},
        {**base, "model": "AlexNet, 1 CNN", "dataset": "ILSVRC-2012 validation",
         "protocol": TEN_PATCH, "top1_error_pct": t2["val_top1_pct"],
         "top5_error_pct": t2["val_top5_pct"], "source": paper.TABLE2["source"],
         "differs": "the paper's network"},
        {**base, "model": "AlexNet, 5 CNNs (averaged)", "dataset": "ILSVRC-2012 validation",
         "protocol": TEN_PATCH + ", then over the networks",
         "top1_error_pct": five["val_top1_pct"], "top5_error_pct": five["val_top5_pct"],
         "source": paper.TABLE2["source"], "differs": "ensemble of five networks"},
        {**base, "model": "AlexNet, 7 CNNs* (averaged)", "dataset": "ILSVRC-2012 test",
         "protocol": TEN_PATCH + ", then over the networks",
         "top1_error_pct": None, "top5_error_pct": seven["test_top5_pct"],
         "source": paper.TABLE2["source"],
         "differs": "ensemble: the five networks above and two with a sixth convolutional layer, "
                    "pre-trained on the whole ImageNet Fall 2011 release (about "
                    f"{imagenet['imagenet_images'] // 1_000_000}M images, "
                    f"{imagenet['imagenet_categories'] // 1000}K categories), then fine-tuned"},
    ]


def reimplementation_rows() -> list[dict]:
    """torchvision, Caffe (ImageNet) and d2l.ai (Fashion-MNIST), accuracies turned into errors."""
    tv, caffe, d2l = (reimplementations.REIMPLEMENTATIONS[k] for k in ("torchvision", "caffe", "d2l"))
    base = {"kind": "re-implementation", "profile": "published", "hardware": NOT_REPORTED,
            "date": NOT_REPORTED, "commit": NOT_REPORTED}
    return [
        {**base, "model": "torchvision alexnet (IMAGENET1K_V1)", "dataset": "ILSVRC-2012 validation",
         "protocol": CENTRE_CROP, "top1_error_pct": error_from_accuracy_pct(tv["top1_acc_pct"]),
         "top5_error_pct": error_from_accuracy_pct(tv["top5_acc_pct"]), "source": tv["source"],
         "differs": tv["differences"]},
        {**base, "model": "Caffe bvlc_alexnet", "dataset": "ILSVRC-2012 validation",
         "protocol": CENTRE_CROP, "top1_error_pct": error_from_accuracy_pct(caffe["top1_acc_pct"]),
         "top5_error_pct": error_from_accuracy_pct(caffe["top5_acc_pct"]), "source": caffe["source"],
         "differs": caffe["differences"]},
        {**base, "model": "d2l.ai AlexNet", "dataset": f"{d2l['dataset']}, test set",
         "protocol": "whole image (no crop)",
         "top1_error_pct": error_from_accuracy_pct(100.0 * d2l["test_acc"]), "top5_error_pct": None,
         "source": d2l["source"],
         "differs": f"{d2l['epochs']} epochs, batch {d2l['batch_size']}, lr {d2l['lr']}; "
                    + d2l["differences"]},
    ]


# ----------------------------------------------------------------------------- measurements

def _model_summary(record: Mapping) -> str:
    m = record.get("model") or {}
    cfg = record.get("config") or {}
    name = m.get("name") or cfg.get("model") or "model"
    bits = [str(name)]
    width = m.get("width", (cfg.get("model_kwargs") or {}).get("width"))
    if width is not None and float(width) != 1.0:
        bits.append(f"width ×{width:g}")
    towers = m.get("towers")
    if towers:
        bits.append(f"{towers} tower{'s' if towers != 1 else ''}")
    if m.get("parameters"):
        bits.append(f"{m['parameters'] / 1e6:.3g}M parameters")
    return ", ".join(bits)


def _differs(record: Mapping) -> str:
    """What this run does differently from the paper, read from its record."""
    p = paper.PAPER
    cfg = record.get("config") or {}
    ds = record.get("dataset") or {}
    m = record.get("model") or {}
    out = []
    if ds.get("name") and ds.get("name") != "imagenet":
        out.append(f"dataset {ds['name']}, not ILSVRC")
    if ds.get("train_images") is not None and ds.get("name") == "imagenet" \
            and ds["train_images"] < p["data"]["ilsvrc_train_images"]:
        out.append(f"{ds['train_images']} training images")
    crop = ds.get("crop_size")
    paper_input = scaled_crop_size(p["data"]["rescale_to"])
    if crop and crop != paper_input:
        out.append(f"input {crop}×{crop} (paper: {p['augmentation']['crop']}, by the layer "
                   f"arithmetic {paper_input})")
    width = m.get("width", (cfg.get("model_kwargs") or {}).get("width"))
    if width is not None and float(width) != 1.0:
        out.append(f"every hidden width ×{width:g}")
    if m.get("towers") == 1:
        out.append("one tower (paper: two GPUs)")
    final = record.get("final") or {}
    epochs = final.get("epochs", cfg.get("epochs"))
    if epochs is not None and epochs != p["training"]["epochs"]:
        out.append(f"{epochs} epochs (paper: about {p['training']['epochs']})")
    if cfg.get("augment") and cfg["augment"] != "paper":
        out.append(f"augmentation {cfg['augment']!r}")
    if cfg.get("batch_size") and cfg["batch_size"] != p["training"]["batch_size"]:
        out.append(f"batch {cfg['batch_size']}")
    if cfg.get("lr") and cfg["lr"] != p["training"]["lr_initial"]:
        out.append(f"lr {cfg['lr']:g}")
    return "; ".join(out) if out else "none recorded"


def training_rows(records) -> list[dict]:
    """Rows for every ``{"kind": "training"}`` record: centre crop and, when measured, ten-crop."""
    rows = []
    for item in records_list(records):
        rec = item["record"]
        if rec.get("kind") != "training":
            continue
        final = rec.get("final") or {}
        prov = provenance_of(rec)
        base = {"kind": "this book", "model": _model_summary(rec),
                "dataset": prov["dataset"] + " — validation split", "source": item["origin"],
                "differs": _differs(rec), "record": item["name"],
                **{k: prov[k] for k in ("profile", "hardware", "date", "commit")}}
        rows.append({**base, "protocol": CENTRE_CROP,
                     "top1_error_pct": _pct(final.get("val_top1_error")),
                     "top5_error_pct": _pct(final.get("val_top5_error"))})
        if final.get("val_top1_error_ten_crop") is not None:
            rows.append({**base, "protocol": TEN_PATCH,
                         "top1_error_pct": _pct(final.get("val_top1_error_ten_crop")),
                         "top5_error_pct": _pct(final.get("val_top5_error_ten_crop"))})
    return rows


def comparison_rows(records=()) -> list[dict]:
    """The paper, the re-implementations, then this book's training records (see module doc).
    With no training record, one row says :data:`NOT_MEASURED`."""
    measured = training_rows(records)
    if not measured:
        measured = [{"kind": "this book", "model": "AlexNet (the full-training chapter)",
                     "dataset": NOT_MEASURED, "protocol": NOT_MEASURED, "top1_error_pct": None,
                     "top5_error_pct": None, "source": NOT_MEASURED, "differs": NOT_MEASURED,
                     "profile": NOT_MEASURED, "hardware": NOT_MEASURED, "date": NOT_MEASURED,
                     "commit": NOT_MEASURED}]
    return paper_rows() + reimplementation_rows() + measured


# ----------------------------------------------------------------------------- claims

def _claim_key(measured_key: str) -> str | None:
    """The ``paper.CLAIMS`` key a measured claim belongs to: the same key, or one it extends
    (``"lrn_cifar10"`` belongs to ``"lrn"``)."""
    if measured_key in paper.CLAIMS:
        return measured_key
    for key in paper.CLAIMS:
        if measured_key.startswith(key + "_") or measured_key.startswith(key + ":"):
            return key
    return None


def claim_rows(records=()) -> list[dict]:
    """One row per measured claim found in chapter records, grouped under the paper's claims in
    the order of ``paper.CLAIMS``; a claim nobody measured gets one row with :data:`NOT_MEASURED`.
    Measured claims whose key is not one of the paper's come last, under their own statement."""
    measured: dict[str, list[dict]] = {k: [] for k in paper.CLAIMS}
    other: list[dict] = []
    for item in records_list(records):
        rec = item["record"]
        if rec.get("kind") != "chapter":
            continue
        prov = provenance_of(rec)
        old = rec.get("format", 1) < RECORD_FORMAT
        for c in rec.get("claims") or []:
            row = {"claim": c.get("key", "?"), "chapter": rec.get("chapter", item["name"]),
                   "record": item["origin"], **{k: c.get(k) for k in _CLAIM_KEYS},
                   **{k: prov[k] for k in ("profile", "hardware", "date", "commit")}}
            if old:
                row.update(measured=OLD_RECORD, outcome=NOT_MEASURED, estimate=None)
            key = _claim_key(str(c.get("key", "")))
            (measured[key] if key is not None else other).append(row)
    rows = []
    for key, spec in paper.CLAIMS.items():
        if measured[key]:
            rows += measured[key]
        else:
            rows.append({"claim": key, "statement": spec["text"], "source": spec["source"],
                         "paper": "as stated", "measured": NOT_MEASURED, "outcome": NOT_MEASURED,
                         "setting": "", "chapter": NOT_REPORTED, "record": NOT_REPORTED,
                         "values": {}, "profile": NOT_REPORTED, "hardware": NOT_REPORTED,
                         "date": NOT_REPORTED, "commit": NOT_REPORTED})
    return rows + other


#: What a claim row of the results chapter keeps from a chapter's claim (``judging.judge``).
_CLAIM_KEYS = ("statement", "source", "paper", "metric", "measured", "setting", "unit", "direction",
               "outcome", "estimate", "ci", "ci_hull", "pi", "mde", "margin", "seeds_needed", "n",
               "n_censored", "paper_effect", "paper_judged", "changed_after", "design_anchor",
               "later_work", "later_work_text", "values", "power")
#: What the claims table says of a claim whose record was written by an older version of the
#: book (before ``judging.RECORD_FORMAT``): its outcome followed an older rule.
OLD_RECORD = "recorded by an older version of the book under an older rule: run its chapter again"


def claim_title(row: Mapping, *, limit: int = 80) -> str:
    """A claim in a few words: its title (``preregistration.TITLES``), else the first sentence
    of its statement, cut at a word before ``limit`` characters."""
    title = TITLES.get(str(row.get("claim", row.get("key", ""))))
    if title:
        return title
    text = str(row.get("statement") or row.get("claim") or "").strip()
    first = text.split(". ")[0].rstrip(".")
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return first


def claim_titles(rows: Sequence[Mapping]) -> list[str]:
    """:func:`claim_title` of each row; a title two rows share (one claim measured by two
    chapters) ends with the chapter that measured it, in words ("(full training)")."""
    titles = [claim_title(r) for r in rows]
    return [f"{t} ({str(r.get('chapter', '')).replace('_', ' ')})"
            if titles.count(t) > 1 and r.get("chapter") not in (None, NOT_REPORTED) else t
            for t, r in zip(titles, rows)]


def judged_rows(rows: Sequence[Mapping]) -> list[dict]:
    """The measured claim rows judged over seeds (not exact checks, not unmeasured), as rows of
    ``plots.forest_plot``: ``label`` is the claim key, ``title`` the claim in words
    (:func:`claim_titles`), ``paper`` the paper's effect where it is judged in size, else None
    (drawn only where judged: a number from another setting is not a target here)."""
    out = []
    for r, title in zip(rows, claim_titles(rows)):
        if (r.get("unit") not in ("points", "log ratio")
                or r.get("outcome") in (None, NOT_MEASURED, *verdicts.NOT_JUDGED)):
            continue
        out.append({**r, "label": r["claim"], "title": title, "ci": _bounds(r["ci"]),
                    "ci_hull": _bounds(r.get("ci_hull") or r["ci"]),
                    "paper": r.get("paper_effect") if r.get("paper_judged") else None})
    return out


def _bounds(pair) -> tuple[float, float]:
    """An interval as saved in a record (an unbounded end is stored as null) as numbers."""
    lo, hi = pair
    return (-math.inf if lo is None else float(lo), math.inf if hi is None else float(hi))


def outcome_summary(rows: Sequence[Mapping], all_rows: Sequence[Mapping] = ()) -> dict:
    """Counts for the results chapter's prose over the judged rows (:func:`judged_rows`):
    ``n_judged``, ``n_decisive`` and one count per outcome word, plus the sentence on
    multiplicity; from ``all_rows`` (every claim row), the claims not judged (``n_not_judged``,
    and ``n_<outcome>`` for each of ``verdicts.NOT_JUDGED``)."""
    outcomes = [r["outcome"] for r in rows]
    k = len(outcomes)
    out = {"n_judged": k, "n_decisive": sum(o in verdicts.DECISIVE for o in outcomes),
           "multiplicity": "No claim was judged over seeds." if not k else (
               f"Each of the {k} claims is judged on its own at the 95% level, with no adjustment "
               "for their number. Claims measured on the same networks share their runs, so their "
               "outcomes are not independent, and one decisive outcome among many is weaker "
               "evidence than its interval alone suggests.")}
    out.update({f"n_{o.replace(' ', '_')}": outcomes.count(o) for o in verdicts.OUTCOMES})
    skipped = [r.get("outcome") for r in all_rows if r.get("outcome") in verdicts.NOT_JUDGED]
    out.update({f"n_{o.replace(' ', '_')}": skipped.count(o) for o in verdicts.NOT_JUDGED})
    out["n_not_judged"] = len(skipped)
    return out


# ----------------------------------------------------------------------------- the reading note

def reading_note_rows() -> list[dict]:
    """What each number of the reading note's results table is, according to the paper."""
    note = reading_note.READING_NOTE["results_table"]
    t1cnn, sparse = _row(paper.TABLE1, "CNN"), _row(paper.TABLE1, "Sparse coding [2]")
    seven, fv = _row(paper.TABLE2, "7 CNNs*"), _row(paper.TABLE2, "SIFT + FVs [7]")
    return [
        {"note_row": "AlexNet", "note_column": "top-1 error", "note_value_pct": note["top1_pct"],
         "paper_value_pct": t1cnn["top1_pct"], "table": paper.TABLE1["source"],
         "what_it_is": "one CNN, ILSVRC-2010 test set, ten-patch testing — not ILSVRC-2012"},
        {"note_row": "AlexNet", "note_column": "top-5 error", "note_value_pct": note["top5_pct"],
         "paper_value_pct": seven["test_top5_pct"], "table": paper.TABLE2["source"],
         "what_it_is": "an ensemble of seven CNNs, two pre-trained on ImageNet Fall 2011, "
                       "ILSVRC-2012 test set; the same network's top-5 on ILSVRC-2010 is "
                       f"{t1cnn['top5_pct']}% (Table 1)"},
        {"note_row": "runner-up", "note_column": "top-5 error",
         "note_value_pct": note["runner_up_top5_pct"], "paper_value_pct": fv["test_top5_pct"],
         "table": paper.TABLE2["source"],
         "what_it_is": "SIFT + Fisher vectors [7], the second-best ILSVRC-2012 entry, test set"},
        {"note_row": "traditional methods", "note_column": "top-1 error (≈)",
         "note_value_pct": note["traditional_top1_pct"], "paper_value_pct": sparse["top1_pct"],
         "table": paper.TABLE1["source"],
         "what_it_is": "sparse coding [2], ILSVRC-2010 test set (the best ILSVRC-2010 entry)"},
        {"note_row": "traditional methods", "note_column": "top-5 error (≈)",
         "note_value_pct": note["traditional_top5_pct"], "paper_value_pct": sparse["top5_pct"],
         "table": paper.TABLE1["source"],
         "what_it_is": "sparse coding [2], ILSVRC-2010 test set"},
    ]



# ----------------------------------------------------------------------------- quoted in prose

def record_counts(records, committed_dir) -> dict:
    """What the results chapter says about the records it read (``gather_records`` items):
    ``n_records``, ``n_committed`` (those in ``committed_dir``), ``n_training`` (training runs),
    ``n_claims`` (the paper's), ``n_measured`` / ``n_claims_unmeasured`` (claim rows with and
    without a measurement) and ``profiles`` (of the measured rows, or "none")."""
    comparison, claims = comparison_rows(records), claim_rows(records)
    measured = [c for c in claims if c["measured"] != NOT_MEASURED]
    return {
        "n_records": len(records),
        "n_committed": sum(Path(r["origin"]).parent == Path(committed_dir) for r in records),
        "n_training": len({r["record"] for r in training_rows(records)}),
        "n_claims": len(paper.CLAIMS),
        "n_measured": len(measured),
        "n_claims_unmeasured": len(claims) - len(measured),
        "profiles": ", ".join(profiles_present(comparison + claims)) or "none",
    }


def quoted_numbers() -> dict:
    """The published numbers the results chapter quotes: Tables 1 and 2 (``t1_*``, ``t2_*``),
    the test patches, the reading note's table, and the re-implementations' errors (percent)
    with torchvision's top-1 gap to the paper's single network (``tv_gap``)."""
    t1cnn, sparse = _row(paper.TABLE1, "CNN"), _row(paper.TABLE1, "Sparse coding [2]")
    one = _row(paper.TABLE2, "1 CNN")
    tv, caffe = reimplementations.REIMPLEMENTATIONS["torchvision"], reimplementations.REIMPLEMENTATIONS["caffe"]
    note = reading_note.READING_NOTE["results_table"]
    return {
        "t1_cnn_top1": t1cnn["top1_pct"], "t1_cnn_top5": t1cnn["top5_pct"],
        "t1_sc_top1": sparse["top1_pct"], "t1_sc_top5": sparse["top5_pct"],
        "t2_one_top1": one["val_top1_pct"], "t2_one_top5": one["val_top5_pct"],
        "t2_seven_test5": _row(paper.TABLE2, "7 CNNs*")["test_top5_pct"],
        "t2_fv_test5": _row(paper.TABLE2, "SIFT + FVs [7]")["test_top5_pct"],
        "patches": paper.PAPER["augmentation"]["test_patches"],
        "patch": paper.PAPER["augmentation"]["crop"],
        "note_top1": note["top1_pct"], "note_top5": note["top5_pct"],
        "tv_top1_acc": tv["top1_acc_pct"], "tv_top5_acc": tv["top5_acc_pct"],
        "tv_top1_err": error_from_accuracy_pct(tv["top1_acc_pct"]),
        "tv_top5_err": error_from_accuracy_pct(tv["top5_acc_pct"]),
        "caffe_top1_err": error_from_accuracy_pct(caffe["top1_acc_pct"]),
        "caffe_top5_err": error_from_accuracy_pct(caffe["top5_acc_pct"]),
        "tv_gap": error_from_accuracy_pct(tv["top1_acc_pct"]) - one["val_top1_pct"],
    }


def headline_numbers() -> dict:
    """The paper in numbers, as the introduction quotes it: data, network and training facts
    (§2, §3.5, §5), Table 1's network and the best earlier method (``2010_*``), the best
    ILSVRC-2012 test entry of Table 2 and the runner-up (``2012_*``), and the reading note's
    results-table numbers."""
    data, arch, train = (paper.PAPER[k] for k in ("data", "architecture", "training"))
    t1cnn, sparse = _row(paper.TABLE1, "CNN"), _row(paper.TABLE1, "Sparse coding [2]")
    best = min((r for r in paper.TABLE2["rows"] if r["test_top5_pct"] is not None),
               key=lambda r: r["test_top5_pct"])
    note = reading_note.READING_NOTE["results_table"]
    return {
        "train_m": data["ilsvrc_train_images"] / 1e6, "classes": data["ilsvrc_classes"],
        "params_m": arch["parameters"] // 10**6, "neurons": arch["neurons"],
        "n_conv": len(arch["conv_kernels"]), "n_fc": len(arch["fc_neurons"]),
        "2010_top1": t1cnn["top1_pct"], "2010_top5": t1cnn["top5_pct"],
        "2010_prev_top1": sparse["top1_pct"], "2010_prev_top5": sparse["top5_pct"],
        "2012_best": best["test_top5_pct"], "2012_best_model": best["model"],
        "2012_runner_up": _row(paper.TABLE2, "SIFT + FVs [7]")["test_top5_pct"],
        "days": "{}–{}".format(*train["days"]), "epochs": train["epochs"],
        "gpus": train["hardware"],
        "note_top1": note["top1_pct"], "note_top5": note["top5_pct"],
    }
