"""The GPU profile on the CPU: every chapter executed with the ``full`` profile's own parameters,
except for sizes (taken from the ``ci`` profile, or the small fallbacks below), with the device
forced to the CPU (``-p device=cpu``) and on generated data in the real layouts: CIFAR-10 batches
as torchvision stores them and an ImageNet folder of JPEGs. So the code only a GPU run reaches
(CIFAR-10 and ImageNet loading, 256-px storage with 227-px crops, paper init, DataLoader
workers, checkpoints, publishing records) runs here. Everything is written under tmp: the build,
the run folder and the publishing folder; the repository's ``results/`` is checked untouched.

The overrides are derived from ``book/profiles.yml`` when the test runs, so they follow the
chapters: a size parameter is overridden wherever the chapter keeps it (a top-level parameter,
a key of its ``train`` dict, or a model argument), through the runner's own override routing.
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from conftest import make_jpeg_folder
from fakedata import make_cifar10_batches

from alexnet_repro.bookrun import profiles as P
from alexnet_repro.bookrun import runner

# Parameters that only set how much is run (and the thresholds tuned for such tiny runs): their
# `ci` value replaces the `full` one wherever the chapter has the parameter.
SIZES = ("limit", "val_limit", "epochs", "width", "batch_size", "seeds", "second_seeds", "sweep_seeds", "lrs",
         "log_every", "window", "probe_images", "grad_images", "mc_units", "mc_samples", "mc_images",
         "mc_passes", "n_queries", "n_neighbours", "explorer_images", "targets", "target_error",
         "target_train_error", "early_step", "early_window")
# Where `ci` does not have the parameter (or the chapter uses another model there): still small,
# but not zero, so that the path runs (worker processes, checkpoints within an epoch).
FALLBACK = {"width": 0.0625, "num_workers": 2, "checkpoint_every_steps": 1}
# The ci profile's subsets are sized for 32- to 76-px images; at the paper's 227-px crops these
# caps keep each training chapter within about a minute on 2 cores.
CAPS = {"limit": 40, "val_limit": 20}
# Parameters naming folders: redirected to generated data or into tmp.
FOLDERS = ("data_root", "out_dir", "publish_dir", "committed_dir")


def _find(params: dict, name: str):
    """(override name, value) of ``name`` where the resolved ``params`` keep it, or None."""
    train = params.get(P.TRAIN, {})
    for key, where in ((name, params), (f"{P.TRAIN}.{name}", train),
                       (f"{P.TRAIN}.model_kwargs.{name}", train.get("model_kwargs", {}))):
        if name in where:
            return key, where[name]
    return None


def _routed(name: str, params: dict) -> str:
    """The override name for a parameter that lives at top level or in the ``train`` dict."""
    found = _find(params, name)
    return found[0] if found else name


def tiny_overrides(chapter: str, folders: dict) -> dict:
    """The overrides that make ``full`` tiny for ``chapter``, from the two profiles as resolved."""
    full = P.resolve_parameters(chapter, "full")
    ci = P.resolve_parameters(chapter, "ci")
    out = {"device": "cpu"}
    for name in SIZES:
        here, there = _find(full, name), _find(ci, name)
        if here is not None and (there is not None or name in FALLBACK):
            value = there[1] if there is not None else FALLBACK[name]
            out[here[0]] = min(value, CAPS[name]) if name in CAPS and value is not None else value
    for name in ("num_workers", "checkpoint_every_steps"):
        here = _find(full, name)
        if here is not None and here[1]:   # 0 stays 0: only a path `full` takes is kept
            out[here[0]] = FALLBACK[name]
    if _find(full, "width") is None and isinstance(full.get("model_kwargs"), dict) \
            and full.get("model", "alexnet") == "alexnet":   # the paper's network at full width
        out["model_kwargs"] = {**full["model_kwargs"], "width": FALLBACK["width"]}
    dataset = (_find(full, "dataset") or (None, None))[1]
    for name in FOLDERS:
        if _find(full, name) is None:
            continue
        if name == "data_root":
            if dataset in folders:
                out[_routed(name, full)] = str(folders[dataset])
        else:
            out[_routed(name, full)] = str(folders[name])
    return out


def same_as_ci(chapter: str, overrides: dict) -> bool:
    """Whether ``full`` runs ``chapter`` exactly as ``ci`` does (nothing but the device overridden)."""
    drop = ("profile", "results_dir")
    full = {k: v for k, v in P.resolve_parameters(chapter, "full").items() if k not in drop}
    ci = {k: v for k, v in P.resolve_parameters(chapter, "ci").items() if k not in drop}
    return full == ci and set(overrides) == {"device"}


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")) if folder.exists() else []:
        digest.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def generated(tmp_path, monkeypatch):
    """Generated CIFAR-10 and ImageNet data, tmp folders for a build, a run and publishing."""
    monkeypatch.setenv("ALEXNET_BUILD_DIR", str(tmp_path / "_build"))
    make_cifar10_batches(tmp_path / "cifar", per_batch=40, test_images=100)
    imagenet = make_jpeg_folder(tmp_path / "imagenet", classes=("n001", "n002", "n003", "n004"),
                                train_per_class=6, val_per_class=3)
    publish = tmp_path / "published"
    publish.mkdir()
    return {"cifar10": tmp_path / "cifar", "imagenet": imagenet, "out_dir": tmp_path / "run",
            "publish_dir": publish, "committed_dir": publish}


def test_tiny_overrides_keep_the_full_profile_otherwise(tmp_path):
    """Only sizes, folders and the device change; geometry, init, datasets, workers stay `full`'s."""
    folders = {"cifar10": tmp_path / "c", "imagenet": tmp_path / "i", "out_dir": tmp_path / "r",
               "publish_dir": tmp_path / "p", "committed_dir": tmp_path / "p"}
    allowed = set(SIZES) | set(FALLBACK) | set(FOLDERS) | {"device", "model_kwargs"}
    full_profile = P.load_profiles()["full"]
    for chapter in P.chapters():
        over = tiny_overrides(chapter, folders)
        assert {name.split(".")[-1] for name in over} <= allowed, chapter
        plan = runner.plan_book("full", [chapter], over, root_needed=False)[chapter]
        settings = {**plan, **plan.get(P.TRAIN, {})}
        for name in ("dataset", "image_size", "crop_size", "init", "input_scale", "augment"):
            if name in (full_profile.get(chapter) or {}):
                assert settings[name] == full_profile[chapter][name], (chapter, name)
        if (full_profile.get(chapter) or {}).get("num_workers"):
            assert settings["num_workers"] > 0, chapter


@pytest.mark.slow
def test_every_chapter_runs_the_full_profile_on_cpu(generated, capsys):
    repo_results = runner.REPO / "results"
    before = _tree_digest(repo_results)
    timings = {}
    for chapter in runner.execution_order(P.chapters()):
        over = tiny_overrides(chapter, generated)
        if same_as_ci(chapter, over):
            continue   # nothing only `full` reaches: test_book executes it under ci
        params = runner.plan_book("full", [chapter], over, root_needed=False)[chapter]
        started = time.perf_counter()
        runner.execute_chapter(chapter, "full", force=True, params=params)
        timings[chapter] = round(time.perf_counter() - started, 1)
    with capsys.disabled():
        print(f"\nfull profile on CPU, seconds per chapter: {timings}")
    assert _tree_digest(repo_results) == before, "a chapter wrote into the repository's results/"
    published = sorted(p.name for p in generated["publish_dir"].iterdir())
    assert published, "full_training published nothing into its publish_dir"
    assert any(generated["out_dir"].iterdir()), "full_training wrote no checkpoint into its out_dir"
    assert {"relu_vs_tanh", "dropout", "lrn_pooling", "augmentation", "full_training"} <= set(timings)
