"""Results records: JSON files written by runs and chapters, read back by chapters.

A record is a JSON object. ``save_record`` writes ``results_dir/name.json`` atomically (a
temporary file in the same folder, then ``os.replace``), so a reader never sees half a file
and an error while writing leaves the previous record as it was. ``load_records`` reads every
``*.json`` of one or more folders. The provenance helpers (git commit and whether the tree had uncommitted
changes, hardware, torch version, time) are what every record carries.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "RecordError",
    "save_record",
    "load_record",
    "load_records",
    "git_commit",
    "git_dirty",
    "hardware",
    "torch_version",
    "now_iso",
    "provenance",
]

_PACKAGE_DIR = Path(__file__).resolve().parents[1]   # alexnet_repro/


class RecordError(ValueError):
    """A record that cannot be written (non-JSON value) or read (malformed file)."""


def _to_json(value: Any, where: str) -> Any:
    """Plain-JSON copy of ``value``; numpy / torch scalars and paths are converted.

    Non-finite floats are refused (JSON has no NaN): ``where`` names the offending key.
    """
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise RecordError(f"record key {k!r} at {where} is not a string")
            out[k] = _to_json(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [_to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise RecordError(
                f"record value at {where} is {value}: JSON has no NaN/inf; store None or a "
                "string instead")
        return float(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    # numpy and torch scalars (and 0-d arrays) expose .item(); 1-d arrays .tolist()
    if hasattr(value, "ndim") and getattr(value, "ndim") == 0 and hasattr(value, "item"):
        return _to_json(value.item(), where)
    if hasattr(value, "tolist"):
        return _to_json(value.tolist(), where)
    raise RecordError(
        f"record value at {where} has type {type(value).__name__}, which JSON cannot hold; "
        "convert it to a number, string, list or dict")


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_record(record: dict, results_dir: str | os.PathLike, name: str) -> Path:
    """Write ``record`` to ``results_dir/name.json`` atomically and return the path.

    The record is converted to JSON before anything is written: a value JSON cannot hold
    raises ``RecordError`` naming its key and leaves any earlier file untouched.
    """
    if not isinstance(record, dict):
        raise RecordError(f"a record is a dict, got {type(record).__name__}")
    if not name or "/" in name or os.sep in name or name.startswith("."):
        raise RecordError(f"record name {name!r} must be a plain file name without '/'")
    text = json.dumps(_to_json(record, name), indent=1, allow_nan=False) + "\n"
    path = Path(results_dir) / f"{name}.json"
    _atomic_write_text(path, text)
    return path


def load_record(path: str | os.PathLike) -> dict:
    """Read one record; a malformed file raises ``RecordError`` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"no record at {path}") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as e:
        raise RecordError(
            f"record file {path} is not valid JSON ({e.msg} at line {e.lineno}, column "
            f"{e.colno}); delete it and rerun what wrote it") from None
    if not isinstance(record, dict):
        raise RecordError(f"record file {path} holds a {type(record).__name__}, not an object")
    return record


def load_records(*dirs: str | os.PathLike, missing_ok: bool = False) -> dict[str, dict]:
    """Return ``{name: record}`` for every ``*.json`` in ``dirs`` (a later folder wins a name).

    A folder that does not exist raises ``FileNotFoundError`` unless ``missing_ok``.
    """
    out: dict[str, dict] = {}
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            if missing_ok:
                continue
            raise FileNotFoundError(
                f"results folder {d} does not exist; run the chapters (or the training) that "
                "write it first, or pass missing_ok=True")
        for path in sorted(d.glob("*.json")):
            out[path.stem] = load_record(path)
    return out


# ---------------------------------------------------------------- provenance


def git_commit(path: str | os.PathLike | None = None) -> str | None:
    """Commit hash of the git checkout holding ``path`` (default: this package), else None."""
    cwd = Path(path) if path is not None else _PACKAGE_DIR
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    if out.returncode != 0 or len(commit) != 40:
        return None
    return commit


# Untracked files count as uncommitted changes only where they can change a result.
_SOURCE_DIRS = ("alexnet_repro/", "book/")


def git_dirty(path: str | os.PathLike | None = None) -> bool | None:
    """Whether the git checkout holding ``path`` (default: this package) has uncommitted
    changes: a modified, staged or deleted tracked file, or an untracked file in the library or
    the book. None outside a git checkout."""
    cwd = Path(path) if path is not None else _PACKAGE_DIR
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                             cwd=cwd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    for line in out.stdout.splitlines():
        untracked, name = line.startswith("??"), line[3:].strip('"')
        if not untracked or name.startswith(_SOURCE_DIRS):
            return True
    return False


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def hardware(device: str | None = None) -> dict:
    """What the run ran on: CPU model and counts, GPU names, the device used."""
    import torch

    info = {
        "device": device,
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu_count": 0,
        "gpus": [],
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    if torch.cuda.is_available():
        info["gpu_count"] = torch.cuda.device_count()
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(info["gpu_count"])]
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        info["gpu_count"] = 1
        info["gpus"] = ["Apple MPS"]
    return info


def torch_version() -> str:
    import torch

    return torch.__version__


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def provenance(device: str | None = None) -> dict:
    """The provenance keys every record carries: hardware, torch, git_commit, git_dirty (the
    tree had uncommitted changes: the commit alone does not reproduce the record), time."""
    return {"hardware": hardware(device), "torch": torch_version(),
            "git_commit": git_commit(), "git_dirty": git_dirty(), "time": now_iso()}
