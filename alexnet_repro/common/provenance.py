"""Where a result comes from: the records of the book's folders (:func:`gather_records`) and what
each says about its provenance (:func:`provenance_of`: profile, dataset, hardware, date,
commit), the profiles of a table's measured rows (:func:`profiles_present`), and the words a
table shows where there is no value (:data:`NOT_MEASURED`, :data:`NOT_REPORTED`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping

from alexnet_repro.common.records import load_record
from alexnet_repro.common.text import plural

NOT_MEASURED = "not measured in this build"
NOT_REPORTED = "—"
#: Profiles whose numbers are results (``full``: GPU, paper scale; ``default``: small CPU runs).
RESULT_PROFILES = ("default", "full")

__all__ = ["NOT_MEASURED", "NOT_REPORTED", "RESULT_PROFILES", "gather_records", "records_list",
           "hardware_summary", "dataset_summary", "dataset_of", "provenance_of", "shown_path",
           "provenance_rows",
           "profiles_present"]


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




def records_list(records) -> list[dict]:
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
    return f"CPU: {cpu}" + (f", {plural(int(threads), 'thread')}" if threads else "")


def dataset_summary(ds: Mapping | None) -> str:
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


def dataset_of(record: Mapping, linked: Mapping[str, Mapping] | None = None) -> str:
    """The dataset a record was measured on, in words: the record's own ``dataset`` (a training
    record's dict, or a name), else its ``config["dataset"]`` (chapter records that keep their
    base configuration), else the dataset of the training record it names (``training_record``,
    looked up in ``linked``, ``{name: record}``: the record of that name or of a name that
    extends it, such as ``<name>_seed0``), else "none: no training" for a chapter record whose
    claims are all exact checks (counts on a built network), else "unknown"."""
    dataset = record.get("dataset")
    if isinstance(dataset, Mapping) and dataset:
        return dataset_summary(dataset)
    if dataset:
        return str(dataset)
    cfg = record.get("config")
    if isinstance(cfg, Mapping) and cfg.get("dataset"):
        return str(cfg["dataset"])
    run = record.get("training_record")
    if run:
        for name, other in (linked or {}).items():
            if (name == run or name.startswith(f"{run}_")) and other is not record:
                return dataset_of(other)
        return "unknown"
    exact_only = all((c or {}).get("unit") == "exact" for c in record.get("claims") or [])
    return "none: no training" if record.get("kind") == "chapter" and exact_only else "unknown"


def provenance_of(record: Mapping, linked: Mapping[str, Mapping] | None = None) -> dict:
    """``{"profile", "dataset", "hardware", "date", "commit"}`` of a training or chapter record.

    Training records (``train.train``) carry these at the top level; chapter records
    (``judging.chapter_record``) under ``"provenance"``; the dataset is :func:`dataset_of`
    (``linked``: the other records by name). Anything absent is "unknown".
    """
    prov = record.get("provenance") or {}
    profile = record.get("profile")
    if profile is None:
        profile = (record.get("config") or {}).get("profile")
    hw = record.get("hardware") or prov.get("hardware")
    when = record.get("finished") or prov.get("time") or record.get("started")
    commit = record.get("git_commit") or prov.get("git_commit")
    return {
        "profile": profile if profile is not None else "unknown",
        "dataset": dataset_of(record, linked),
        "hardware": hardware_summary(hw),
        "date": str(when)[:10] if when else "unknown",
        "commit": str(commit)[:10] if commit else "unknown",
    }



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



def shown_path(origin: str | Path, roots: Mapping[str, str | Path] | None = None) -> tuple[str, str]:
    """Where a record's file is, as a reader may see it: ``(label, path)`` with the path relative
    to the first folder of ``roots`` (``{label: folder}``, e.g. the build folder and the
    repository) that holds the file; a file under none of them shows its name only, with label
    "". Never an absolute path of the machine that built the page."""
    path = Path(origin).resolve()
    for label, root in (roots or {}).items():
        try:
            return label, path.relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            continue
    return "", path.name


def provenance_rows(records, roots: Mapping[str, str | Path] | None = None) -> list[dict]:
    """One row per record (``gather_records`` items or ``{name: record}``): its file
    (:func:`shown_path`: ``folder`` and ``file`` relative to it), kind, chapter and
    :func:`provenance_of` fields (a chapter record's dataset looked up in the records it names)."""
    items = records_list(records)
    linked = {item["name"]: item["record"] for item in items}
    rows = []
    for item in items:
        folder, file = shown_path(item["origin"], roots)
        rows.append({"folder": folder, "file": file, "kind": item["record"].get("kind", "?"),
                     "chapter": item["record"].get("chapter", NOT_REPORTED),
                     **provenance_of(item["record"], linked)})
    return rows
