"""Chapters and their parameters: the table of contents, ``book/profiles.yml`` and overrides.

A chapter declares its parameters in its one code cell tagged ``parameters``; a profile of
``book/profiles.yml`` gives values for some of them, and ``-p name=value`` overrides win over
both. A chapter that trains can keep its training settings in one dict parameter named ``train``
whose keys are :class:`alexnet_repro.engine.loop.TrainConfig` fields (model knobs under
``model_kwargs``): a profile's ``train`` block is merged key by key into the chapter's (and its
``model_kwargs`` likewise), and ``-p epochs=5`` (when the chapter has no top-level ``epochs``) or
``-p train.epochs=5`` / ``-p train.model_kwargs.width=0.5`` set one key of it. Every name is
checked; a typo is an error that names the closest valid name.
"""
from __future__ import annotations

import ast
import dataclasses
import difflib
from pathlib import Path

import yaml

from alexnet_repro.engine.config import TrainConfig

REPO = Path(__file__).resolve().parents[2]
BOOK_DIR = REPO / "book"
PROFILES_FILE = BOOK_DIR / "profiles.yml"
TOC_FILE = REPO / "_toc.yml"
DEFAULT_PROFILE = "default"
# Parameters every chapter declares; the runner sets them.
RUNNER_PARAMETERS = ("profile", "results_dir")
# The dict parameter that holds a chapter's TrainConfig fields.
TRAIN = "train"
TRAIN_FIELDS = tuple(f.name for f in dataclasses.fields(TrainConfig))


class BookError(Exception):
    """A problem with the book's sources, parameters or build, worded for the reader."""


def did_you_mean(name: str, valid) -> str:
    """`` (did you mean 'x'?)`` for the closest valid name, or nothing."""
    close = difflib.get_close_matches(str(name), [str(v) for v in valid], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ------------------------------------------------------------------------------ chapters, toc

def chapter_source(chapter: str) -> Path:
    return BOOK_DIR / f"{chapter}.md"


def toc_pages() -> list[str]:
    """Every page of ``_toc.yml`` (file stems in ``book/``), in order."""
    toc = yaml.safe_load(TOC_FILE.read_text())
    names = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        names += [entry["file"] for entry in part.get("chapters", [])]
    return [Path(name).name for name in names]


def page_titles() -> dict[str, str]:
    """``{page: title}`` for every page of ``_toc.yml``: the first ``# `` heading of
    ``book/<page>.md``, else the page's name."""
    out = {}
    for name in toc_pages():
        source = chapter_source(name)
        lines = source.read_text().splitlines() if source.exists() else []
        out[name] = next((line[2:].strip() for line in lines if line.startswith("# ")), name)
    return out


def is_static(page: str) -> bool:
    """A page without code cells (e.g. the references): rendered as it is, never executed."""
    path = chapter_source(page)
    return path.exists() and "{code-cell}" not in path.read_text()


def chapters() -> list[str]:
    """The executed chapters (pages with code), in the order of ``_toc.yml``."""
    return [page for page in toc_pages() if not is_static(page)]


def read_chapter(chapter: str):
    """The chapter as an nbformat notebook (jupytext MyST), ready for papermill."""
    import jupytext  # noqa: PLC0415 -- slow to import; only needed when a chapter is read

    path = chapter_source(chapter)
    if not path.exists():
        known = chapters() if TOC_FILE.exists() else []
        raise BookError(f"unknown chapter {chapter!r}{did_you_mean(chapter, known)}: {path} "
                        f"does not exist. Chapters: {', '.join(known)}")
    nb = jupytext.read(path, fmt="md:myst")
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.setdefault("language_info", {"name": "python"})
    return nb


def declared_parameters(chapter: str) -> dict:
    """Names and default values assigned in the chapter's cell tagged ``parameters``."""
    nb = read_chapter(chapter)
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise BookError(
            f"chapter {chapter!r} must have exactly one code cell tagged 'parameters' "
            f"(found {len(cells)}); add ':tags: [parameters]' to its first code cell"
        )
    values = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
            node.targets[0], ast.Name
        ):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise BookError(
                    f"chapter {chapter!r}: parameter {node.targets[0].id!r} (line {node.lineno} of its "
                    f"parameters cell) must be a literal value (numbers, strings, lists, dicts, None), "
                    f"not {ast.get_source_segment(cells[0].source, node.value)!r}: papermill and the "
                    "profiles replace it; compute derived values in a later cell") from None
    missing = [name for name in RUNNER_PARAMETERS if name not in values]
    if missing:
        raise BookError(f"chapter {chapter!r}: its parameters cell must assign {missing}")
    if TRAIN in values:
        check_train(values[TRAIN], f"chapter {chapter!r}, parameters cell")
    return values


# ------------------------------------------------------------------------------------ profiles

def load_profiles() -> dict:
    profiles = yaml.safe_load(PROFILES_FILE.read_text()) or {}
    for name, chapter_sets in profiles.items():
        if not isinstance(chapter_sets, dict):
            raise BookError(f"{PROFILES_FILE}: profile {name!r} must map chapter names to parameters")
    return profiles


def check_profile(profile: str, profiles: dict) -> None:
    if profile not in profiles:
        raise BookError(f"unknown profile {profile!r}{did_you_mean(profile, profiles)}; "
                        f"{PROFILES_FILE} defines: {', '.join(profiles)}")


def check_names(given, known, where: str) -> None:
    """Raise a clear error for any parameter name the chapter does not declare."""
    unknown = [name for name in given if name not in known]
    if unknown:
        hints = ", ".join(f"{name!r}{did_you_mean(name, known)}" for name in unknown)
        raise BookError(f"{where}: unknown parameter {hints}. "
                        f"The chapter's parameters are: {', '.join(sorted(known))}")


def check_train(train, where: str) -> None:
    """``train`` must be a dict of TrainConfig fields; ``model_kwargs`` a dict."""
    if not isinstance(train, dict):
        raise BookError(f"{where}: '{TRAIN}' must be a dict of TrainConfig fields, "
                        f"got {type(train).__name__}")
    unknown = [name for name in train if name not in TRAIN_FIELDS]
    if unknown:
        hints = ", ".join(f"{name!r}{did_you_mean(name, TRAIN_FIELDS)}" for name in unknown)
        raise BookError(f"{where}: unknown training setting {hints} in '{TRAIN}'. "
                        f"TrainConfig's fields are: {', '.join(TRAIN_FIELDS)}")
    if not isinstance(train.get("model_kwargs", {}), dict):
        raise BookError(f"{where}: '{TRAIN}.model_kwargs' must be a dict of model arguments")


def merge_train(base: dict, more: dict) -> dict:
    """``base`` with the keys of ``more``; ``model_kwargs`` merged key by key too."""
    merged = {**base, **more}
    if "model_kwargs" in base and "model_kwargs" in more:
        merged["model_kwargs"] = {**base["model_kwargs"], **more["model_kwargs"]}
    return merged


def accepts(declared: dict, name: str) -> bool:
    """Whether an override ``name`` (maybe ``train.x`` or a bare TrainConfig field) fits."""
    head = name.split(".", 1)[0]
    if "." in name:
        return head == TRAIN and TRAIN in declared
    return name in declared or (TRAIN in declared and name in TRAIN_FIELDS)


def route_overrides(declared: dict, overrides: dict, where: str) -> tuple[dict, dict]:
    """Split overrides into (top-level parameters, keys of the ``train`` dict)."""
    top, train = {}, {}
    for name, value in overrides.items():
        if name in declared:
            top[name] = value
        elif TRAIN in declared and (name in TRAIN_FIELDS or name.startswith(TRAIN + ".")):
            path = name.split(".")[1:] if "." in name else [name]
            if len(path) == 2 and path[0] == "model_kwargs":
                train.setdefault("model_kwargs", {})[path[1]] = value
            elif len(path) == 1:
                train[path[0]] = value
            else:
                raise BookError(f"{where}: {name!r} is too deep; use train.FIELD=VALUE or "
                                "train.model_kwargs.NAME=VALUE")
        else:
            known = list(declared) + (list(TRAIN_FIELDS) if TRAIN in declared else [])
            check_names([name], known, where)
    if train:
        check_train(train, f"{where}, -p")
    return top, train


def resolve_parameters(chapter: str, profile: str, overrides: dict | None = None,
                       results_dir: str | None = None) -> dict:
    """The chapter's parameters under ``profile`` with ``overrides`` applied, validated."""
    profiles = load_profiles()
    check_profile(profile, profiles)
    declared = declared_parameters(chapter)
    from_profile = dict(profiles[profile].get(chapter) or {})
    where = f"{PROFILES_FILE.name}, profile {profile!r}, chapter {chapter!r}"
    check_names(from_profile, declared, where)
    top, train = route_overrides(declared, dict(overrides or {}), f"chapter {chapter!r}")
    params = {**declared, **from_profile, **top}
    if TRAIN in declared:
        if TRAIN in from_profile:
            check_train(from_profile[TRAIN], where)
            params[TRAIN] = merge_train(declared[TRAIN], from_profile[TRAIN])
        if TRAIN in top:
            check_train(top[TRAIN], f"chapter {chapter!r}, -p {TRAIN}=...")
        params[TRAIN] = merge_train(params[TRAIN], train)
    params["profile"] = profile
    if results_dir is not None:
        params["results_dir"] = results_dir
    return params


def parse_override(text: str) -> tuple[str, object]:
    """``name=value`` with the value read as YAML (numbers, booleans, lists, null)."""
    if "=" not in text:
        raise BookError(f"parameter {text!r} must look like name=value, e.g. -p epochs=3")
    name, value = text.split("=", 1)
    return name.strip(), yaml.safe_load(value)
