"""The results tables: the paper's numbers (``paper.py``) next to what this book measured (records).

Three tables, each a list of row dicts that :func:`to_html` renders:

* :func:`comparison_rows` — whole-network error rates: the paper's single-CNN and ensemble
  results, later re-implementations (their accuracies converted to errors here), and every
  training record this book wrote. Every row names its dataset and split and its *test
  protocol* (ten patches vs centre crop), so that numbers measured differently are not read
  as comparable. Measured rows carry their provenance: profile, dataset, hardware, date, commit.
* :func:`claim_rows` — the paper's ablation claims (``paper.CLAIMS``), each with the
  measurements and verdicts the experiment chapters recorded (``judging.claim`` rows in
  ``{"kind": "chapter"}`` records), or :data:`NOT_MEASURED`.
* :func:`reading_note_rows` — what each number of the reading note's results table is.

Records are read from folders with :func:`gather_records`, which keeps records of the same name
from different folders apart (the committed ``results/`` and this build's ``results_dir``).
Errors in records are fractions; everything shown here is in percent.
"""
from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from alexnet_repro import paper
from alexnet_repro.augment import scaled_crop_size
from alexnet_repro.records import load_record
from alexnet_repro.tables import html_table
from alexnet_repro.judging import VERDICT_COLOURS, claim, format_pm, verdict

NOT_MEASURED = "not measured in this build"
NOT_REPORTED = "—"
#: Profiles whose numbers are results (``full``: GPU, paper scale; ``default``: small CPU runs).
RESULT_PROFILES = ("default", "full")

TEN_PATCH = (f"{paper.PAPER['augmentation']['test_patches']} patches (corners, centre and "
             "their mirror images), softmax averaged")
CENTRE_CROP = "single centre crop"

__all__ = [
    "NOT_MEASURED", "NOT_REPORTED", "TEN_PATCH", "CENTRE_CROP",
    "error_from_accuracy_pct", "gather_records", "provenance_of", "hardware_summary",
    "table1_rows", "table2_rows", "paper_rows", "reimplementation_rows", "training_rows",
    "comparison_rows", "claim_rows", "ten_crop_claim", "reading_note_rows", "profiles_present",
    "profile_banner", "to_html", "COMPARISON_COLUMNS", "CLAIM_COLUMNS", "READING_NOTE_COLUMNS",
]


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


# ----------------------------------------------------------------------------- records

def gather_records(*dirs: str | Path) -> list[dict]:
    """Every record of every folder that exists, as ``{"name", "origin", "record"}`` items.

    Unlike ``records.load_records`` a name present in two folders gives two items (``origin``
    is the file's path), so a committed GPU record is not hidden by a build's record of the same
    name; a record identical to one already read (a run that wrote its record to both folders)
    is kept once, with its first origin. Missing folders are skipped.
    """
    out, seen = [], set()
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.json")):
            record = load_record(path)
            fingerprint = json.dumps(record, sort_keys=True)
            if fingerprint in seen:
                continue
            seen.add(fingerprint)
            out.append({"name": path.stem, "origin": str(path), "record": record})
    return out


def _records_list(records) -> list[dict]:
    """Accept ``gather_records`` items, a ``{name: record}`` dict or a list of records."""
    if isinstance(records, Mapping):
        return [{"name": k, "origin": k, "record": v} for k, v in records.items()]
    items = []
    for i, r in enumerate(records):
        if isinstance(r, Mapping) and "record" in r and isinstance(r["record"], Mapping):
            items.append(dict(r))
        else:
            items.append({"name": str(i), "origin": str(i), "record": r})
    return items


def hardware_summary(hw: Mapping | None) -> str:
    """``"1× NVIDIA H200"``, ``"CPU: <model>, 2 threads"`` or ``"unknown"``."""
    if not hw:
        return "unknown"
    gpus = list(hw.get("gpus") or [])
    device = str(hw.get("device") or "")
    if gpus and not device.startswith("cpu"):
        names = {}
        for g in gpus:
            names[g] = names.get(g, 0) + 1
        text = ", ".join(f"{n}× {g}" for g, n in names.items())
        if hw.get("processes") and int(hw["processes"]) > 1:
            text += f" ({hw['processes']} processes)"
        return text
    cpu = hw.get("cpu") or "unknown CPU"
    threads = hw.get("torch_threads") or hw.get("cpu_count")
    return f"CPU: {cpu}" + (f", {threads} threads" if threads else "")


def _dataset_summary(ds: Mapping | None) -> str:
    if not ds:
        return "unknown"
    parts = [str(ds.get("name", "?"))]
    counts = []
    if ds.get("train_images") is not None:
        counts.append(f"{ds['train_images']} train")
    if ds.get("val_images") is not None:
        counts.append(f"{ds['val_images']} val")
    if ds.get("classes") is not None:
        counts.append(f"{ds['classes']} classes")
    size = ds.get("crop_size") or ds.get("image_size")
    if size:
        counts.append(f"{size}×{size} input")
    if counts:
        parts.append("(" + ", ".join(counts) + ")")
    return " ".join(parts)


def provenance_of(record: Mapping) -> dict:
    """``{"profile", "dataset", "hardware", "date", "commit"}`` of a training or chapter record.

    Training records (``train.train``) carry these at the top level; chapter records
    (``judging.chapter_record``) under ``"provenance"``. Anything absent is "unknown".
    """
    prov = record.get("provenance") or {}
    profile = record.get("profile")
    if profile is None:
        profile = (record.get("config") or {}).get("profile")
    hw = record.get("hardware") or prov.get("hardware")
    when = record.get("finished") or prov.get("time") or record.get("started")
    commit = record.get("git_commit") or prov.get("git_commit")
    dataset = record.get("dataset")
    return {
        "profile": profile if profile is not None else "unknown",
        "dataset": _dataset_summary(dataset) if isinstance(dataset, Mapping)
        else (str(dataset) if dataset else "unknown"),
        "hardware": hardware_summary(hw),
        "date": str(when)[:10] if when else "unknown",
        "commit": str(commit)[:10] if commit else "unknown",
    }


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
    tv, caffe, d2l = (paper.REIMPLEMENTATIONS[k] for k in ("torchvision", "caffe", "d2l"))
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
    for item in _records_list(records):
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
        measured = [{"kind": "this book", "model": "AlexNet (book/full_training.md)",
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
    for item in _records_list(records):
        rec = item["record"]
        if rec.get("kind") != "chapter":
            continue
        prov = provenance_of(rec)
        for c in rec.get("claims") or []:
            row = {"claim": c.get("key", "?"), "statement": c.get("statement", ""),
                   "source": c.get("source", ""), "paper": c.get("paper", ""),
                   "measured": c.get("measured", ""), "verdict": c.get("verdict", ""),
                   "setting": c.get("setting", ""), "chapter": rec.get("chapter", item["name"]),
                   "record": item["origin"], "values": c.get("values") or {},
                   **{k: prov[k] for k in ("profile", "hardware", "date", "commit")}}
            key = _claim_key(str(c.get("key", "")))
            (measured[key] if key is not None else other).append(row)
    rows = []
    for key, spec in paper.CLAIMS.items():
        if measured[key]:
            rows += measured[key]
        else:
            rows.append({"claim": key, "statement": spec["text"], "source": spec["source"],
                         "paper": "as stated", "measured": NOT_MEASURED, "verdict": NOT_MEASURED,
                         "setting": "", "chapter": NOT_REPORTED, "record": NOT_REPORTED,
                         "values": {}, "profile": NOT_REPORTED, "hardware": NOT_REPORTED,
                         "date": NOT_REPORTED, "commit": NOT_REPORTED})
    return rows + other


def ten_crop_claim(record: Mapping, z: float = 1.96) -> dict:
    """The ten-patch test claim (``paper.CLAIMS["ten_patch_test"]``) measured by one training run.

    Estimate: centre-crop top-1 error minus ten-patch top-1 error (percentage points; the paper
    implies a gain, i.e. a positive difference, without giving a number). Spread: ``z`` times
    the standard error of a difference of two *independent* proportions over the ``n``
    validation images, ``sqrt((e1 (1-e1) + e2 (1-e2)) / n)``. Both errors are measured on the
    same images and are positively correlated, so this overstates the uncertainty of the paired
    difference: a "consistent" verdict is conservative. The verdict is
    ``judging.verdict(estimate, spread, "greater")``.
    """
    spec = paper.CLAIMS["ten_patch_test"]
    final = record.get("final") or {}
    centre, ten = final.get("val_top1_error"), final.get("val_top1_error_ten_crop")
    n = final.get("val_images")
    prov = provenance_of(record)
    setting = f"{prov['dataset']}, profile {prov['profile']}"
    if centre is None or ten is None or not n:
        return claim("ten_patch_test", statement=spec["text"], source=spec["source"],
                     paper="no number given", measured=NOT_MEASURED,
                     verdict=verdict(None, None, "greater"), setting=setting)
    estimate = 100.0 * (centre - ten)
    spread = 100.0 * z * math.sqrt((centre * (1 - centre) + ten * (1 - ten)) / n)
    text = (f"centre-crop minus ten-patch top-1 error: {format_pm(estimate, spread, digits=2)} "
            f"points (±{z:g} standard errors over {n} validation images)")
    return claim("ten_patch_test", statement=spec["text"], source=spec["source"],
                 paper="no number given (every result in Tables 1 and 2 uses the ten patches)",
                 measured=text, verdict=verdict(estimate, spread, "greater"), setting=setting,
                 values={"centre_top1_error": centre, "ten_crop_top1_error": ten, "n": n,
                         "difference_pct": estimate, "spread_pct": spread, "z": z})


# ----------------------------------------------------------------------------- the reading note

def reading_note_rows() -> list[dict]:
    """What each number of the reading note's results table is, according to the paper."""
    note = paper.READING_NOTE["results_table"]
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


# ----------------------------------------------------------------------------- profiles

def profiles_present(rows: Iterable[Mapping]) -> list[str]:
    """The profiles of the measured rows (rows of kind "this book" or with a chapter)."""
    seen = []
    for r in rows:
        if r.get("kind") in ("paper", "re-implementation"):
            continue
        p = r.get("profile")
        if p in (None, NOT_MEASURED, NOT_REPORTED):
            continue
        if p not in seen:
            seen.append(p)
    return seen


def profile_banner(rows: Iterable[Mapping]) -> str:
    """HTML that says which profiles the measured numbers come from; a warning when any of them
    is not a result profile (``ci``: smoke tests on a few hundred images)."""
    present = profiles_present(list(rows))
    e = html.escape
    if not present:
        return ('<div class="admonition note"><p class="admonition-title">No measurement yet</p>'
                f"<p>No record of this book is present: every measured cell reads "
                f"“{e(NOT_MEASURED)}”.</p></div>")
    odd = [p for p in present if p not in RESULT_PROFILES]
    listed = ", ".join(f"<code>{e(str(p))}</code>" for p in present)
    if odd:
        bad = ", ".join(f"<code>{e(str(p))}</code>" for p in odd)
        return ('<div class="admonition warning"><p class="admonition-title">Not results: '
                f"rows from profile {bad}</p><p>Measured rows come from the profiles {listed}. "
                f"Rows marked {bad} are smoke-test values (a few hundred images, a few steps) "
                "that only show the code runs; they say nothing about the paper. Look at the "
                "profile column of every row.</p></div>")
    meaning = {"default": "small CPU runs (subsets, reduced width, small inputs)",
               "full": "paper-scale runs on a GPU"}
    parts = "; ".join(f"<code>{e(str(p))}</code>: {meaning[p]}" for p in present)
    return ('<div class="admonition note"><p class="admonition-title">Where the measured '
            f"numbers come from</p><p>Measured rows come from these profiles: {parts}. The "
            "dataset and hardware of every row are in its columns.</p></div>")


# ----------------------------------------------------------------------------- rendering

COMPARISON_COLUMNS = [
    ("kind", "Kind"), ("model", "Model"), ("dataset", "Dataset and split"),
    ("protocol", "Test protocol"), ("top1_error_pct", "Top-1 error %"),
    ("top5_error_pct", "Top-5 error %"), ("differs", "Differs from the paper"),
    ("profile", "Profile"), ("hardware", "Hardware"), ("date", "Date"), ("commit", "Commit"),
]
CLAIM_COLUMNS = [
    ("statement", "The paper's claim"), ("source", "Where"), ("paper", "Paper's number"),
    ("measured", "Measured"),
    ("setting", "Setting"), ("verdict", "Verdict"), ("chapter", "Chapter"),
    ("profile", "Profile"), ("hardware", "Hardware"), ("date", "Date"), ("commit", "Commit"),
]
READING_NOTE_COLUMNS = [
    ("note_row", "Note's row"), ("note_column", "Note's column"),
    ("note_value_pct", "Note says %"), ("paper_value_pct", "Paper %"), ("table", "Paper table"),
    ("what_it_is", "What the number is"),
]

_VERDICT_COLOURS = {**VERDICT_COLOURS, NOT_MEASURED: "#6e7781"}


def _cell(key: str, value: Any, digits: int) -> str:
    if value is None:
        return NOT_REPORTED
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if key.endswith("_pct"):   # up to `digits` decimals, at least one: 39.0, 43.478
            text = f"{value:.{digits}f}".rstrip("0")
            return text + "0" if text.endswith(".") else text
        return f"{value:g}"
    return str(value)


def to_html(rows: Sequence[Mapping], columns: Sequence[tuple[str, str]], *,
            caption: str | None = None, digits: int = 3, css_class: str = "results-table") -> str:
    """An HTML table of ``rows`` with ``columns`` (``(key, header)`` pairs), values escaped.

    Percentages (keys ending in ``_pct``) show up to ``digits`` decimals; None shows "—".
    Rows whose profile is ``ci`` are shaded and tagged, verdicts coloured. Tables of more than
    six columns get a minimum width and scroll sideways.
    """
    # wide tables scroll sideways in the page instead of squeezing every column
    wide = f" min-width:{7 * len(columns)}em;" if len(columns) > 6 else ""

    def cell(key, r):
        text = html.escape(_cell(key, r.get(key), digits))
        if key == "profile" and r.get("profile") == "ci":
            return "<strong>ci — not a result</strong>"
        if key == "verdict" and r.get(key) in _VERDICT_COLOURS:
            return f'<strong style="color:{_VERDICT_COLOURS[r[key]]}">{text}</strong>'
        return text

    return html_table(rows, columns, cell=cell, caption=caption, css_class=css_class,
                      style=f"font-size:0.8em;{wide}", scroll=True,
                      row_style=lambda r: "background:#fff3cd" if r.get("profile") == "ci" else "")
