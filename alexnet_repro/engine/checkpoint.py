"""Checkpoints: writing them safely, reading them safely, and the rules for resuming.

A checkpoint (``out_dir/checkpoint.pt``) holds only tensors and plain values (dicts, lists,
numbers, strings), so it is read with ``torch.load(weights_only=True)``: a file whose pickle
would run code is refused before anything in it runs. It is written atomically (a temporary
file, then a rename), so a failed write (disk full, folder not writable) leaves the previous
checkpoint as it was and stops with :class:`CheckpointWriteError`.

Resuming checks that nothing but ``RESUMABLE_CHANGES`` differs from the saved configuration,
that the data are the same (description and a fingerprint of the images) and that the run has
as many processes as the one that wrote the checkpoint; :class:`ResumeError` says what differs.
"""
from __future__ import annotations

import contextlib
import os
import random
import zipfile
from pathlib import Path

import numpy as np
import torch

CHECKPOINT = "checkpoint.pt"
CHECKPOINT_FORMAT = 2   # 1: numpy RNG state pickled as objects (cannot be read with weights_only)
# Config fields that may differ between an interrupted run and its resumption.
RESUMABLE_CHANGES = frozenset({
    "epochs", "resume", "progress", "device", "num_workers", "out_dir", "checkpoint_every_steps",
    "data_root", "download", "compile", "amp", "channels_last", "ten_crop_eval", "profile"})


class ResumeError(RuntimeError):
    """A checkpoint that cannot be read or resumed with the given configuration."""


class CheckpointWriteError(OSError):
    """A checkpoint could not be written; the previous one (if any) is intact."""


def save_checkpoint(state: dict, path: str | os.PathLike) -> None:
    """Write ``state`` to ``path`` atomically; an OSError becomes :class:`CheckpointWriteError`."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:   # a file object: write errors surface as OSError
            torch.save({"format": CHECKPOINT_FORMAT, **state}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as e:
        kept = f"the previous checkpoint {path} is intact" if path.exists() else "no checkpoint was kept"
        raise CheckpointWriteError(
            f"cannot write checkpoint {path} ({e.strerror or e}); training stopped and {kept}. "
            "Free disk space or make the folder writable, then continue with --resume "
            "(resume=True), or choose another out_dir.") from None
    finally:
        with contextlib.suppress(FileNotFoundError, OSError):
            os.unlink(tmp)


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a checkpoint (a file, or a run folder holding ``checkpoint.pt``), with clear errors."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; train first (python -m alexnet_repro train "
                                "--out DIR) and pass that DIR")
    if not zipfile.is_zipfile(path):
        raise ResumeError(f"checkpoint {path} cannot be read (not a torch.save file); it is damaged. "
                          "Delete it to start over.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling failure: unsafe or damaged
        first = str(e).strip().splitlines()[0][:200]
        if "weights only load failed" in str(e).lower():
            raise ResumeError(
                f"refused to load {path}: it holds objects other than tensors and plain values, and "
                "loading them could run code. A checkpoint of an older version of alexnet_repro "
                f"(format 1) is refused the same way: start that run again (delete {path}). "
                "Never load checkpoints from sources you do not trust.") from None
        raise ResumeError(f"checkpoint {path} cannot be read ({type(e).__name__}: {first}); it is "
                          "damaged. Delete it to start over.") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise ResumeError(f"{path} is not a checkpoint of this version of alexnet_repro (format "
                          f"{found!r}, expected {CHECKPOINT_FORMAT}); start the run again in another out_dir")
    state["path"] = str(path)
    return state


# ---------------------------------------------------------------- random state


def rng_state(aug_gen: torch.Generator | None, device: torch.device,
              light_gen: torch.Generator | None = None) -> dict:
    """Every random stream of this process, as tensors and plain values."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, py_state, py_gauss = random.getstate()
    state = {"torch": torch.get_rng_state(),
             "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                       "has_gauss": int(has_gauss), "gauss": float(gauss)},
             "python": [version, list(py_state), py_gauss],
             "augment": aug_gen.get_state() if aug_gen is not None else None,
             "lighting": light_gen.get_state() if light_gen is not None else None}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, aug_gen: torch.Generator | None, device: torch.device,
                  light_gen: torch.Generator | None = None) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["gauss"]))
    version, py_state, py_gauss = state["python"]
    random.setstate((version, tuple(py_state), py_gauss))
    if aug_gen is not None and state.get("augment") is not None:
        aug_gen.set_state(state["augment"])
    if light_gen is not None and state.get("lighting") is not None:   # checkpoints before 2026-12-06 lack it
        light_gen.set_state(state["lighting"])
    if device.type == "cuda" and state.get("cuda") is not None:
        torch.cuda.set_rng_state(state["cuda"], device)


# ---------------------------------------------------------------- resume rules


def check_resumable(saved: dict, config: dict, path: str) -> None:
    """Settings: only ``RESUMABLE_CHANGES`` may differ, and ``epochs`` may not shrink."""
    then = saved["config"]
    diffs = [f"{k}: checkpoint {then.get(k)!r}, now {v!r}" for k, v in config.items()
             if k not in RESUMABLE_CHANGES and then.get(k) != v]
    if diffs:
        raise ResumeError(f"cannot resume {path} with a different configuration:\n  " + "\n  ".join(diffs)
                          + "\nUse the original settings, or another out_dir for a new run.")
    if config["epochs"] < saved["epoch"]:
        raise ResumeError(f"{path} has already trained {saved['epoch']} epochs, more than "
                          f"epochs={config['epochs']}")


def check_same_run(saved: dict, data_description: dict, fingerprint: str | None, world: int) -> None:
    """The data (description without its place, and fingerprint) and the number of processes."""
    path, problems = saved["path"], []
    now, then = ({k: v for k, v in d.items() if k != "source"} for d in (data_description, saved["dataset"]))
    if now != then:
        changed = sorted(k for k in set(now) | set(then) if now.get(k) != then.get(k))
        problems.append("the dataset differs: " + ", ".join(
            f"{k}: checkpoint {then.get(k)!r}, now {now.get(k)!r}" for k in changed))
    old = saved.get("data_fingerprint")
    if old is not None and fingerprint is not None and old != fingerprint:
        problems.append(f"the images differ (fingerprint: checkpoint {old}, now {fingerprint}): the "
                        "files or arrays behind the same dataset settings have changed")
    if saved["world"] != world:
        problems.append(f"the checkpoint was written by {saved['world']} process(es), this run has "
                        f"{world}: resume with the same number (torchrun --nproc_per_node "
                        f"{saved['world']}), since data order and random streams depend on it")
    if problems:
        raise ResumeError(f"cannot resume {path}:\n  " + "\n  ".join(problems)
                          + "\nResume with the original data, or start a new run in another out_dir.")
