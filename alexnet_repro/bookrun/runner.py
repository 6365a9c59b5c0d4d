"""The book runner: papermill execution of the chapters with a cache, and the jupyter-book build.

``python -m alexnet_repro book --profile default`` executes every chapter listed in ``_toc.yml``
with papermill under one named profile of ``book/profiles.yml`` (parameters: see
:mod:`alexnet_repro.bookrun.profiles`), writes the executed notebooks to ``_build/executed/<profile>/``
(never into ``book/``) and renders them with jupyter-book (its own execution off, warnings as
errors) to ``_build/html/<profile>/``: one HTML book per profile, so building one never touches
another's, and a failed render leaves the profile's previous book in place. While a chapter
runs, the terminal shows which cell of how many runs and the engine's progress bars
(:func:`alexnet_repro.bookrun.terminal.use_terminal_progress`). The widget
and MathJax JavaScript is served by the book itself (``tools/web``), so the pages work offline.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import torch
import yaml
from jupyter_client.manager import AsyncKernelManager
from traitlets import CaselessStrEnum

from alexnet_repro.bookrun import profiles as P
from alexnet_repro.bookrun.profiles import DEFAULT_PROFILE, BookError
from alexnet_repro.engine.config import THREADS_ENV

REPO = P.REPO
WEB = REPO / "tools" / "web"
WEB_ASSETS = WEB / "node_modules"
WIDGET_SHIM = WEB / "widgets-shim.js"
BIBLIOGRAPHY = "references.bib"  # in book/, listed in _config.yml's bibtex_bibfiles
# Chapters that read the records written by the other chapters: executed after all of them,
# and their cache key covers those records.
RECORD_READERS = ("results",)
# Profiles sized for a GPU: without CUDA they stop unless the device is given (-p device=cpu).
GPU_PROFILES = ("full",)
# Each chapter's kernel: before its first cell, the engine's bars are pointed at the kernel's
# own stderr, and that stays the terminal's (ipykernel would otherwise forward what is written
# to file descriptors 1 and 2 into the page).
KERNEL_ARGUMENTS = [
    "--IPKernelApp.exec_lines=__import__('alexnet_repro.bookrun.terminal').bookrun.terminal.use_terminal_progress()",
    "--IPKernelApp.capture_fd_output=False",
]


class ChapterFailed(BookError):
    """A chapter raised while papermill executed it."""


#: Appended to every chapter when it runs (and removed from the executed copy): the worker
#: processes of ``sweeps.run_seeds`` stop with the chapter, not with a killed kernel.
CLEANUP_CELL = "from alexnet_repro.analysis.sweeps import shutdown_pools\nshutdown_pools()"


class _KernelManager(AsyncKernelManager):
    """Kernels talk to the runner over local IPC sockets, not unencrypted TCP (whose kernel
    prints a warning on every start); TCP only where IPC does not exist (Windows)."""
    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc" if os.name == "posix" else "tcp",
                                config=True)


# --------------------------------------------------------------------------------------- paths

def build_root() -> Path:
    """Where executed notebooks, records and HTML go (``ALEXNET_BUILD_DIR`` overrides)."""
    return Path(os.environ.get("ALEXNET_BUILD_DIR", REPO / "_build")).resolve()


def html_dir(profile: str) -> Path:
    """The HTML book of one profile, ``<build>/html/<profile>/`` (``index.html`` inside)."""
    return build_root() / "html" / profile


def stage_dir(profile: str) -> Path:
    """Where one profile's book is assembled and rendered, ``<build>/stage/<profile>/``."""
    return build_root() / "stage" / profile


def results_dir(profile: str) -> Path:
    return build_root() / "results" / profile


def executed_path(chapter: str, profile: str) -> Path:
    return build_root() / "executed" / profile / f"{chapter}.ipynb"


def execution_order(selected: list[str]) -> list[str]:
    """Chapters in toc order, those that read records last."""
    return [c for c in selected if c not in RECORD_READERS] + [
        c for c in selected if c in RECORD_READERS
    ]


# --------------------------------------------------------------------------------------- cache

def library_digest() -> str:
    """Hash of the library's source, so a change in the code re-executes the chapters."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "alexnet_repro").rglob("*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def records_digest(profile: str, exclude: str) -> str:
    digest = hashlib.sha256()
    for folder in (results_dir(profile), REPO / "results"):
        for path in sorted(folder.glob("*.json")) if folder.exists() else []:
            if path.stem != exclude:
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def dataset_fingerprint(params: dict) -> str | None:
    """Fingerprint of the data a chapter reads (its ``dataset``/``data_root``, or those of its
    ``train`` dict), part of the cache key. HOOK: returns None until the data module offers a
    fingerprint of a dataset's files or arrays; then call it here."""
    return None


def cache_key(chapter: str, params: dict) -> str:
    """Source, parameters, library code, torch version, data fingerprint (and, for chapters
    that read records, those records): a change in any re-executes the chapter."""
    digest = hashlib.sha256()
    digest.update(P.chapter_source(chapter).read_bytes())
    digest.update(json.dumps(params, sort_keys=True, default=str).encode())
    digest.update(library_digest().encode())
    digest.update(f"torch {torch.__version__}".encode())
    digest.update(f"threads {os.environ.get(THREADS_ENV, '1')}".encode())
    digest.update(f"data {dataset_fingerprint(params)}".encode())
    if chapter in RECORD_READERS:
        digest.update(records_digest(params["profile"], exclude=chapter).encode())
    return digest.hexdigest()


def cached_key(path: Path) -> str | None:
    try:
        nb = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    meta = nb.get("metadata", {}).get("alexnet_repro", {})
    return meta.get("cache_key") if meta.get("status") == "ok" else None


def executed_ok(chapter: str, profile: str) -> bool:
    return cached_key(executed_path(chapter, profile)) is not None


# ------------------------------------------------------------------------------------ execute

def _cell_counter(chapter: str, nb):
    """An nbclient hook that prints ``[book] chapter: cell k/n`` as each code cell starts."""
    total = sum(1 for c in nb.cells if c.cell_type == "code" and c.source.strip() and c.source != CLEANUP_CELL)
    done = [0]

    def on_cell_execute(cell, cell_index):
        if "injected-parameters" in cell.metadata.get("tags", []) or cell.source == CLEANUP_CELL:
            return
        done[0] += 1
        print(f"[book] {chapter}: cell {done[0]}/{total}", flush=True)

    return on_cell_execute


def execute_chapter(chapter: str, profile: str = DEFAULT_PROFILE, overrides: dict | None = None,
                    force: bool = False, params: dict | None = None) -> Path:
    """Execute one chapter with papermill; return the executed notebook's path.

    ``params`` (already resolved) or else the profile with ``overrides``. Skipped when an
    executed copy with the same cache key exists. A failing cell raises :class:`ChapterFailed`
    naming the chapter and the cell; the executed notebook is kept.
    """
    import nbformat  # noqa: PLC0415 -- papermill and nbformat are slow to import: only here
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if params is None:
        params = P.resolve_parameters(chapter, profile, overrides, str(results_dir(profile)))
    out = executed_path(chapter, profile)
    key = cache_key(chapter, params)
    if not force and out.exists() and cached_key(out) == key:
        print(f"[book] {chapter}: up to date ({out.relative_to(build_root().parent)})", flush=True)
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(params["results_dir"]).mkdir(parents=True, exist_ok=True)
    print(f"[book] {chapter}: executing under profile {profile!r} ...", flush=True)
    started, error = time.perf_counter(), None
    source = P.read_chapter(chapter)
    # a last cell stops the pool of training processes (sweeps.run_seeds) before the kernel goes
    source.cells.append(nbformat.v4.new_code_cell(CLEANUP_CELL, metadata={"tags": ["remove-cell"]}))
    try:
        papermill.execute_notebook(
            source, str(out), parameters=params, cwd=str(REPO), kernel_name="python3",
            language="python", progress_bar=False, kernel_manager_class=_KernelManager,
            extra_arguments=list(KERNEL_ARGUMENTS),
            on_cell_execute=_cell_counter(chapter, source),
        )
    except PapermillExecutionError as exc:
        error = exc
    elapsed = time.perf_counter() - started
    nb = nbformat.read(out, as_version=4)
    nb.metadata.get("papermill", {}).pop("input_path", None)  # may hold the whole notebook
    nb.cells = [c for c in nb.cells if c.get("source") != CLEANUP_CELL]
    _fold_parameter_cells(nb)
    nb.metadata["alexnet_repro"] = {
        "chapter": chapter, "profile": profile, "parameters": params, "cache_key": key,
        "execution_s": round(elapsed, 2), "status": "failed" if error else "ok",
    }
    nbformat.write(nb, out)
    if error is not None:
        raise _failure(chapter, profile, nb, error, out) from None
    print(f"[book] {chapter}: done in {elapsed:.1f} s", flush=True)
    return out


def _failure(chapter: str, profile: str, nb, error, out: Path) -> ChapterFailed:
    cell = next(
        (c for c in nb.cells if c.get("metadata", {}).get("papermill", {}).get("exception")), None)
    code_cells = [c for c in nb.cells if c.cell_type == "code"
                  and "injected-parameters" not in c.metadata.get("tags", [])]
    where = (  # numbered as in the chapter's source: the reader's view, from 1
        f"code cell {code_cells.index(cell) + 1}" if cell in code_cells else f"cell {error.cell_index}")
    first_line = (cell.source.strip().splitlines() or [""])[0] if cell is not None else ""
    return ChapterFailed(
        f"chapter {chapter!r} failed in {where} ({first_line[:80]!r}) under profile "
        f"{profile!r}: {error.ename}: {error.evalue}\n"
        f"The executed notebook is kept for inspection: {out}")


def _fold_parameter_cells(nb) -> None:
    """On the page, the values a chapter ran with matter, not its defaults: papermill's injected
    cell (the values used) is folded behind a "show" toggle and the defaults cell is dropped."""
    tags_of = [c.metadata.get("tags", []) for c in nb.cells]   # the two cells have tags already
    if not any("injected-parameters" in t for t in tags_of):
        return
    for tags in tags_of:
        extra = ("remove-cell" if "parameters" in tags
                 else "hide-input" if "injected-parameters" in tags else None)
        if extra and extra not in tags:
            tags.append(extra)


# -------------------------------------------------------------------------- the GPU profile

def _what_it_trains(params: dict) -> str | None:
    settings = {**params, **params.get(P.TRAIN, {})}
    if "dataset" not in settings:
        return None
    width = settings.get("width", settings.get("model_kwargs", {}).get("width"))
    parts = [settings["dataset"],
             "all images" if settings.get("limit") is None else f"{settings['limit']} images"]
    parts += [f"{settings['epochs']} epochs"] if "epochs" in settings else []
    parts += [f"width {width}"] if width is not None else []
    parts += [f"{settings['image_size']}-px images"] if settings.get("image_size") else []
    return ", ".join(str(p) for p in parts)


def check_device(profile: str, plan: dict[str, dict], overrides: dict) -> None:
    """A GPU profile on a machine without CUDA stops, saying what it would run and how to force
    it, unless the device was given (``-p device=cpu``)."""
    if profile not in GPU_PROFILES or torch.cuda.is_available():
        return
    if "device" in overrides or f"{P.TRAIN}.device" in overrides:
        return
    runs = {c: _what_it_trains(p) for c, p in plan.items()}
    runs = {c: text for c, text in runs.items() if text}
    if runs:
        lines = "\n".join(f"  {c}: {text}" for c, text in runs.items())
        raise BookError(
            f"profile {profile!r} trains at the paper's scale and is meant for a CUDA GPU, but "
            f"this machine has none (torch.cuda.is_available() is False). It would run:\n{lines}\n"
            "On a CPU that takes days. For a CPU build use --profile default; to run this "
            f"profile on the CPU anyway, give the device: -p device=cpu")


# -------------------------------------------------------------------------------------- render

def stage_web_assets(static: Path) -> None:
    """Copy the offline widget and MathJax JavaScript into the book's static folder."""
    manager = WEB_ASSETS / "@jupyter-widgets" / "html-manager" / "dist"
    requirejs = WEB_ASSETS / "requirejs" / "require.js"
    mathjax = WEB_ASSETS / "mathjax" / "es5"
    if not (manager / "embed-amd.js").exists() or not requirejs.exists() or not mathjax.exists():
        raise BookError(
            f"the offline widget/MathJax JavaScript is missing under {WEB_ASSETS}. "
            f"Install it with: npm ci --prefix {WEB} "
            "(the README's build command does this for you)"
        )
    static.mkdir(parents=True, exist_ok=True)
    shutil.copy2(WIDGET_SHIM, static / "widgets-shim.js")
    shutil.copy2(requirejs, static / "require.js")
    for item in manager.iterdir():
        if item.suffix in (".woff", ".woff2", ".ttf", ".eot", ".svg") or item.name == "embed-amd.js":
            shutil.copy2(item, static / item.name)
    target = static / "mathjax"
    for sub in ("output/chtml/fonts/woff-v2", "input/tex/extensions", "ui", "a11y"):
        shutil.copytree(mathjax / sub, target / sub, dirs_exist_ok=True)
    shutil.copy2(mathjax / "tex-chtml.js", target / "tex-chtml.js")


BINDER = "https://mybinder.org"
COLAB = "https://colab.research.google.com"


def staged_config(config: dict) -> dict:
    """``_config.yml`` as the build uses it: ``repository.url`` is the one switch for the
    repository, issues and launch (Binder from environment.yml; Colab, whose button
    ``sphinx_ext`` drops while the chapters have no .ipynb) buttons; empty = off."""
    config = copy.deepcopy(config)
    url = ((config.get("repository") or {}).get("url") or "").strip()
    html, launch = config.setdefault("html", {}), config.setdefault("launch_buttons", {})
    html["use_repository_button"] = html["use_issues_button"] = bool(url)
    launch["binderhub_url"] = BINDER if url else ""
    launch["colab_url"] = COLAB if url else ""
    return config


def _stage_toc(stage: Path, pages: list[str]) -> None:
    toc = yaml.safe_load(P.TOC_FILE.read_text())
    for part in toc.get("parts", [toc]):
        part["chapters"] = [e for e in part.get("chapters", []) if Path(e["file"]).name in pages]
        if not part["chapters"]:
            del part["chapters"]  # jupyter-book refuses an empty list
    (stage / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))


def build_html(profile: str, available: list[str]) -> Path:
    """Render the executed notebooks of ``available`` chapters (and the static pages) in
    :func:`stage_dir`; only once that succeeded, replace :func:`html_dir` of ``profile`` (a failed
    render leaves the previous book as it was; other profiles' are never touched)."""
    import nbformat  # noqa: PLC0415 -- slow to import; only needed when rendering

    stage = stage_dir(profile)
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "book").mkdir(parents=True)
    config = staged_config(yaml.safe_load((REPO / "_config.yml").read_text()))
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    static = [page for page in P.toc_pages() if P.is_static(page)]
    _stage_toc(stage, static + list(available))
    for page in static:
        shutil.copy2(P.chapter_source(page), stage / "book" / f"{page}.md")
    if (P.BOOK_DIR / BIBLIOGRAPHY).exists():
        shutil.copy2(P.BOOK_DIR / BIBLIOGRAPHY, stage / "book" / BIBLIOGRAPHY)
    for chapter in available:
        nb = nbformat.read(executed_path(chapter, profile), as_version=4)
        nbformat.write(nb, stage / "book" / f"{chapter}.ipynb")
    stage_web_assets(stage / "_web")
    started = time.perf_counter()
    print(f"[book] rendering {len(available)} chapter(s) with jupyter-book ...", flush=True)
    proc = run_jupyter_book(stage)
    if proc.returncode != 0:
        raise BookError(
            "jupyter-book failed (warnings are errors); the previous HTML of profile "
            f"{profile!r} is left as it was:\n" + (proc.stdout + proc.stderr)[-6000:]
        )
    out = html_dir(profile)
    replace_folder(stage / "_build" / "html", out)
    print(f"[book] rendered in {time.perf_counter() - started:.1f} s", flush=True)
    return out / "index.html"


def run_jupyter_book(stage: Path) -> subprocess.CompletedProcess:
    """jupyter-book on the staged book; its HTML goes to ``stage/_build/html``."""
    command = [
        str(Path(sys.executable).with_name("jupyter-book")), "build", str(stage),
        "--path-output", str(stage), "--warningiserror", "--keep-going", "--all", "-q",
    ]
    return subprocess.run(command, check=False, cwd=stage, capture_output=True, text=True)


def replace_folder(new: Path, target: Path) -> None:
    """Move folder ``new`` to ``target``; the old ``target`` is set aside, put back if that fails."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.rename(old)
    try:
        shutil.move(str(new), str(target))
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        if old.exists():
            old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)


# ------------------------------------------------------------------------------------ the book

def _select(known: list[str], only: list[str] | None) -> list[str]:
    selected = list(only or known)
    for name in selected:
        if name not in known:
            raise BookError(f"unknown chapter {name!r}{P.did_you_mean(name, known)}. "
                            f"Chapters: {', '.join(known)}")
    return selected


def plan_book(profile: str, only: list[str] | None = None, overrides: dict | None = None,
              root_needed: bool = True) -> dict[str, dict]:
    """``{chapter: parameters}`` in execution order, every name validated, before anything runs.

    ``overrides`` apply to the selected chapters that take them (see :mod:`profiles`); a name
    none of them takes is an error (``device`` excepted: it forces a GPU profile onto the CPU).
    """
    known = P.chapters()
    selected = _select(known, only)
    P.check_profile(profile, P.load_profiles())
    overrides = dict(overrides or {})
    if root_needed and known[0] not in selected and not executed_ok(known[0], profile):
        selected.insert(0, known[0])  # the book needs its root page
    declared = {c: P.declared_parameters(c) for c in selected}
    for name in overrides:
        if name != "device" and not any(P.accepts(d, name) for d in declared.values()):
            names = set().union(*declared.values())
            if any(P.TRAIN in d for d in declared.values()):
                names |= set(P.TRAIN_FIELDS)
            P.check_names([name], names, f"chapters {', '.join(selected)}")
    plan = {}
    for chapter in execution_order(selected):
        own = {k: v for k, v in overrides.items() if P.accepts(declared[chapter], k)}
        plan[chapter] = P.resolve_parameters(chapter, profile, own, str(results_dir(profile)))
    check_device(profile, plan, overrides)
    return plan


def build_book(profile: str = DEFAULT_PROFILE, only: list[str] | None = None,
               overrides: dict | None = None, force: bool = False, html: bool = True) -> Path | None:
    """Execute chapters (all, or ``only``) under ``profile`` and render the HTML book; returns
    its ``index.html`` (in ``<build>/html/<profile>/``), or None with ``html=False``.

    Parameters as :func:`plan_book` resolves them. Chapters not selected are rendered from
    their last executed copy when there is one.
    """
    for chapter, params in plan_book(profile, only, overrides).items():
        execute_chapter(chapter, profile, force=force, params=params)
    if not html:
        return None
    return build_html(profile, [c for c in P.chapters() if executed_ok(c, profile)])


# ----------------------------------------------------------------------------------------- cli

def _list() -> None:
    profiles = P.load_profiles()
    for chapter in P.chapters():
        print(f"{chapter}:")
        for name, value in P.declared_parameters(chapter).items():
            per = {p: profiles[p].get(chapter, {}).get(name) for p in profiles
                   if name in (profiles[p].get(chapter) or {})}
            print(f"    {name} = {value!r}" + (f"   {per}" if per else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m alexnet_repro book",
        description="Execute the book's chapters with papermill under a profile and build the HTML.",
    )
    parser.add_argument("--profile", default=DEFAULT_PROFILE,
                        help=f"parameter set from book/profiles.yml (default: {DEFAULT_PROFILE})")
    parser.add_argument("--chapter", action="append", dest="chapters", metavar="NAME",
                        help="execute only this chapter (repeatable); others keep their last build")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                        help="override a chapter parameter, e.g. -p epochs=3 or -p train.lr=0.01; "
                             "-p device=cpu runs a GPU profile on the CPU")
    parser.add_argument("--force", action="store_true", help="re-execute even when cached")
    parser.add_argument("--no-html", action="store_true", help="execute only, do not render")
    parser.add_argument("--list", action="store_true", help="list chapters and their parameters")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="threads per training process (default 1: one process per core "
                             "trains a seed; 2 on a 2-core machine: one process, two threads)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            print(f"error: --threads must be 1 or more, got {args.threads}", file=sys.stderr)
            return 1
        os.environ[THREADS_ENV] = str(args.threads)
    try:
        if args.list:
            _list()
            return 0
        overrides = dict(P.parse_override(text) for text in args.param)
        index = build_book(args.profile, args.chapters, overrides, args.force, not args.no_html)
    except BookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if index is not None:
        print(f"[book] built: {index}")
    return 0
