"""The book runner: profiles, papermill execution with a cache, and the jupyter-book build.

``python -m alexnet_repro book --profile default`` executes every chapter listed in ``_toc.yml``
with papermill under one named profile of ``book/profiles.yml``, writes the executed notebooks to
``_build/executed/<profile>/`` (never into ``book/``) and renders them to ``_build/html`` with
jupyter-book (its own execution off, warnings as errors). The widget and MathJax JavaScript is
served by the book itself (``tools/web``), so the pages work offline.
"""
from __future__ import annotations

import argparse
import ast
import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
BOOK_DIR = REPO / "book"
PROFILES_FILE = BOOK_DIR / "profiles.yml"
WEB_ASSETS = REPO / "tools" / "web" / "node_modules"
DEFAULT_PROFILE = "default"
# Chapters that read the records written by the other chapters: executed after all of them,
# and their cache key covers those records.
RECORD_READERS = ("results",)
# Parameters every chapter declares; the runner sets them.
RUNNER_PARAMETERS = ("profile", "results_dir")


class BookError(Exception):
    """A problem with the book's sources, parameters or build, worded for the reader."""


class ChapterFailed(BookError):
    """A chapter raised while papermill executed it."""


# --------------------------------------------------------------------------------------- paths

def build_root() -> Path:
    """Where executed notebooks, records and HTML go (``ALEXNET_BUILD_DIR`` overrides)."""
    return Path(os.environ.get("ALEXNET_BUILD_DIR", REPO / "_build")).resolve()


def results_dir(profile: str) -> Path:
    return build_root() / "results" / profile


def executed_path(chapter: str, profile: str) -> Path:
    return build_root() / "executed" / profile / f"{chapter}.ipynb"


def html_dir() -> Path:
    return build_root() / "html"


def chapter_source(chapter: str) -> Path:
    return BOOK_DIR / f"{chapter}.md"


# ------------------------------------------------------------------------------ chapters, toc

def chapters() -> list[str]:
    """Chapter names (file stems in ``book/``) in the order of ``_toc.yml``."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    names = [toc["root"]]
    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        names += [entry["file"] for entry in part.get("chapters", [])]
    return [Path(name).name for name in names]


def execution_order(selected: list[str]) -> list[str]:
    """Chapters in toc order, those that read records last."""
    return [c for c in selected if c not in RECORD_READERS] + [
        c for c in selected if c in RECORD_READERS
    ]


def read_chapter(chapter: str):
    """The chapter as an nbformat notebook (jupytext MyST), ready for papermill."""
    import jupytext

    path = chapter_source(chapter)
    if not path.exists():
        raise BookError(
            f"unknown chapter {chapter!r}: {path} does not exist. Chapters: {', '.join(chapters())}"
        )
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
            values[node.targets[0].id] = ast.literal_eval(node.value)
    missing = [name for name in RUNNER_PARAMETERS if name not in values]
    if missing:
        raise BookError(f"chapter {chapter!r}: its parameters cell must assign {missing}")
    return values


# ------------------------------------------------------------------------------------ profiles

def load_profiles() -> dict:
    profiles = yaml.safe_load(PROFILES_FILE.read_text()) or {}
    for name, chapter_sets in profiles.items():
        if not isinstance(chapter_sets, dict):
            raise BookError(f"{PROFILES_FILE}: profile {name!r} must map chapter names to parameters")
    return profiles


def check_names(given: dict, known: dict, where: str) -> None:
    """Raise a clear error for any parameter name the chapter does not declare."""
    unknown = [name for name in given if name not in known]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, list(known), n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise BookError(
            f"{where}: unknown parameter {', '.join(hints)}. "
            f"The chapter's parameters are: {', '.join(sorted(known))}"
        )


def resolve_parameters(chapter: str, profile: str, overrides: dict | None = None) -> dict:
    """The chapter's parameters under ``profile`` with ``overrides`` applied, validated."""
    profiles = load_profiles()
    if profile not in profiles:
        raise BookError(
            f"unknown profile {profile!r}; {PROFILES_FILE} defines: "
            f"{', '.join(profiles)}"
        )
    declared = declared_parameters(chapter)
    from_profile = dict(profiles[profile].get(chapter) or {})
    check_names(from_profile, declared, f"{PROFILES_FILE.name}, profile {profile!r}, chapter {chapter!r}")
    overrides = dict(overrides or {})
    check_names(overrides, declared, f"chapter {chapter!r}")
    params = {**declared, **from_profile, **overrides}
    params["profile"] = profile
    params["results_dir"] = str(results_dir(profile))
    return params


def parse_override(text: str) -> tuple[str, object]:
    """``name=value`` with the value read as YAML (numbers, booleans, lists, null)."""
    if "=" not in text:
        raise BookError(f"parameter {text!r} must look like name=value, e.g. -p epochs=3")
    name, value = text.split("=", 1)
    return name.strip(), yaml.safe_load(value)


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


def cache_key(chapter: str, params: dict) -> str:
    digest = hashlib.sha256()
    digest.update(chapter_source(chapter).read_bytes())
    digest.update(json.dumps(params, sort_keys=True, default=str).encode())
    digest.update(library_digest().encode())
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


# ------------------------------------------------------------------------------------ execute

def execute_chapter(
    chapter: str, profile: str = DEFAULT_PROFILE, overrides: dict | None = None, force: bool = False
) -> Path:
    """Execute one chapter with papermill; return the executed notebook's path.

    Skipped when an executed copy with the same cache key exists. A failing cell raises
    :class:`ChapterFailed` naming the chapter and the cell; the executed notebook is kept.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    params = resolve_parameters(chapter, profile, overrides)
    out = executed_path(chapter, profile)
    key = cache_key(chapter, params)
    if not force and out.exists() and cached_key(out) == key:
        print(f"[book] {chapter}: up to date ({out.relative_to(build_root().parent)})", flush=True)
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(params["results_dir"]).mkdir(parents=True, exist_ok=True)
    print(f"[book] {chapter}: executing under profile {profile!r} ...", flush=True)
    started = time.perf_counter()
    error = None
    try:
        papermill.execute_notebook(
            read_chapter(chapter),
            str(out),
            parameters=params,
            cwd=str(REPO),
            kernel_name="python3",
            language="python",
            progress_bar=False,
        )
    except PapermillExecutionError as exc:
        error = exc
    elapsed = time.perf_counter() - started
    nb = nbformat.read(out, as_version=4)
    nb.metadata.get("papermill", {}).pop("input_path", None)  # may hold the whole notebook
    _fold_parameter_cells(nb)
    nb.metadata["alexnet_repro"] = {
        "chapter": chapter,
        "profile": profile,
        "parameters": params,
        "cache_key": key,
        "execution_s": round(elapsed, 2),
        "status": "failed" if error else "ok",
    }
    nbformat.write(nb, out)
    if error is not None:
        cell = next(
            (c for c in nb.cells if c.get("metadata", {}).get("papermill", {}).get("exception")),
            None,
        )
        code_cells = [
            c for c in nb.cells
            if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
        ]
        where = (  # numbered as in the chapter's source: the reader's view, from 1
            f"code cell {code_cells.index(cell) + 1}" if cell in code_cells
            else f"cell {error.cell_index}"
        )
        first_line = (cell.source.strip().splitlines() or [""])[0] if cell is not None else ""
        raise ChapterFailed(
            f"chapter {chapter!r} failed in {where} ({first_line[:80]!r}) under profile "
            f"{profile!r}: {error.ename}: {error.evalue}\n"
            f"The executed notebook is kept for inspection: {out}"
        ) from None
    print(f"[book] {chapter}: done in {elapsed:.1f} s", flush=True)
    return out


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


# -------------------------------------------------------------------------------------- render

WIDGET_SHIM = """// Written by alexnet_repro.book: embed-amd.js and its icon fonts are served next to this file,
// not from a CDN; tell the widget manager and require.js (loaded after this file) where.
var __widgets_here__ = new URL('.', document.currentScript.src).href;
window.__jupyter_widgets_assets_path__ = __widgets_here__;
// ipywidgets typesets labels with MathJax 2's MathJax.Hub.Queue; the book loads MathJax 3,
// which has no Hub: give every MathJax object (MathJax 3 replaces the config object when it
// starts) a Hub.Queue that typesets with MathJax 3 instead of throwing.
(function () {
  var current = window.MathJax;
  function withHub(mj) {
    if (mj && typeof mj === 'object' && !mj.Hub) {
      mj.Hub = {Queue: function (job) {
        var element = job && job[2];
        if (element && current && current.typesetPromise) {
          current.typesetPromise([element]).catch(function () {});
        }
      }};
    }
    return mj;
  }
  Object.defineProperty(window, 'MathJax', {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); }
  });
  withHub(current);
})();
// The bundled widget modules take their font paths from their require.js address.
var require = {paths: {
  '@jupyter-widgets/html-manager/dist': __widgets_here__.replace(/\\/$/, ''),
  '@jupyter-widgets': __widgets_here__.replace(/\\/$/, '')
}};
"""


def stage_web_assets(static: Path) -> None:
    """Copy the offline widget and MathJax JavaScript into the book's static folder."""
    manager = WEB_ASSETS / "@jupyter-widgets" / "html-manager" / "dist"
    requirejs = WEB_ASSETS / "requirejs" / "require.js"
    mathjax = WEB_ASSETS / "mathjax" / "es5"
    if not (manager / "embed-amd.js").exists() or not requirejs.exists() or not mathjax.exists():
        raise BookError(
            f"the offline widget/MathJax JavaScript is missing under {WEB_ASSETS}. "
            f"Install it with: npm ci --prefix {WEB_ASSETS.parent} "
            "(the README's build command does this for you)"
        )
    static.mkdir(parents=True, exist_ok=True)
    (static / "widgets-shim.js").write_text(WIDGET_SHIM)
    shutil.copy2(requirejs, static / "require.js")
    for item in manager.iterdir():
        if item.suffix in (".woff", ".woff2", ".ttf", ".eot", ".svg") or item.name == "embed-amd.js":
            shutil.copy2(item, static / item.name)
    target = static / "mathjax"
    for sub in ("output/chtml/fonts/woff-v2", "input/tex/extensions", "ui", "a11y"):
        shutil.copytree(mathjax / sub, target / sub, dirs_exist_ok=True)
    shutil.copy2(mathjax / "tex-chtml.js", target / "tex-chtml.js")


def build_html(profile: str, available: list[str]) -> Path:
    """Render the executed notebooks of ``available`` chapters to ``_build/html``."""
    import nbformat

    stage = build_root() / "stage"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "book").mkdir(parents=True)
    shutil.copy2(REPO / "_config.yml", stage / "_config.yml")
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    for part in toc.get("parts", [toc]):
        part["chapters"] = [
            e for e in part.get("chapters", []) if Path(e["file"]).name in available
        ]
        if not part["chapters"]:
            del part["chapters"]  # jupyter-book refuses an empty list
    (stage / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    for chapter in available:
        nb = nbformat.read(executed_path(chapter, profile), as_version=4)
        nbformat.write(nb, stage / "book" / f"{chapter}.ipynb")
    stage_web_assets(stage / "_web")
    out = build_root()
    shutil.rmtree(out / "html", ignore_errors=True)
    command = [
        str(Path(sys.executable).with_name("jupyter-book")), "build", str(stage),
        "--path-output", str(stage), "--warningiserror", "--keep-going", "--all", "-q",
    ]
    started = time.perf_counter()
    print(f"[book] rendering {len(available)} chapter(s) with jupyter-book ...", flush=True)
    proc = subprocess.run(command, cwd=stage, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BookError(
            "jupyter-book failed (warnings are errors):\n" + (proc.stdout + proc.stderr)[-6000:]
        )
    shutil.move(str(stage / "_build" / "html"), str(out / "html"))
    print(f"[book] rendered in {time.perf_counter() - started:.1f} s", flush=True)
    return out / "html" / "index.html"


def build_book(
    profile: str = DEFAULT_PROFILE,
    only: list[str] | None = None,
    overrides: dict | None = None,
    force: bool = False,
    html: bool = True,
) -> Path | None:
    """Execute chapters (all, or ``only``) under ``profile`` and render the HTML book.

    ``overrides`` apply to the selected chapters; a name none of them declares is an error.
    Chapters not selected are rendered from their last executed copy when there is one.
    """
    known = chapters()
    selected = list(only or known)
    for name in selected:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            raise BookError(
                f"unknown chapter {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
                + f". Chapters: {', '.join(known)}"
            )
    overrides = dict(overrides or {})
    if overrides:
        declared = set().union(*(declared_parameters(c) for c in selected))
        check_names(overrides, dict.fromkeys(declared), f"chapters {', '.join(selected)}")
    root = known[0]
    if root not in selected and not executed_ok(root, profile):
        selected.insert(0, root)  # the book needs its root page
    for chapter in execution_order(selected):
        own = {k: v for k, v in overrides.items() if k in declared_parameters(chapter)}
        execute_chapter(chapter, profile, own, force=force)
    if not html:
        return None
    available = [c for c in known if executed_ok(c, profile)]
    return build_html(profile, available)


def executed_ok(chapter: str, profile: str) -> bool:
    return cached_key(executed_path(chapter, profile)) is not None


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated script entries: Sphinx 7.4 writes sphinx-thebe's and sphinx-togglebutton's
    inline scripts twice, and the second copy is a JavaScript error (a redeclared ``const``)."""
    seen, kept = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {}) or {}
        key = (getattr(script, "filename", None) or None,
               tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app):
    """Sphinx extension hook (listed in ``_config.yml``): fixes applied to every built page."""
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def profile_note(profile: str) -> None:
    """Display, at the top of a chapter, which profile built it (a warning under ``ci``)."""
    from IPython.display import HTML, display

    if profile == "ci":
        display(HTML(
            '<div class="admonition warning"><p class="admonition-title">Built under the '
            "<code>ci</code> profile</p><p>This page was executed with the tiny test profile: "
            "every number on it is a smoke-test value from a few hundred images and a few "
            "steps, not a result. Build with the <code>default</code> profile (CPU, minutes) "
            "or <code>full</code> (GPU, paper scale) for real numbers.</p></div>"
        ))
    elif profile != "full":
        display(HTML(
            f'<div class="admonition note"><p class="admonition-title">Profile '
            f"<code>{profile}</code></p><p>Executed with the <code>{profile}</code> profile: "
            "small-scale runs on a CPU. The <code>full</code> profile runs the paper's scale "
            "on a GPU.</p></div>"
        ))


# ----------------------------------------------------------------------------------------- cli

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
                        help="override a chapter parameter, e.g. -p epochs=3")
    parser.add_argument("--force", action="store_true", help="re-execute even when cached")
    parser.add_argument("--no-html", action="store_true", help="execute only, do not render")
    parser.add_argument("--list", action="store_true", help="list chapters and their parameters")
    args = parser.parse_args(argv)
    try:
        if args.list:
            profiles = load_profiles()
            for chapter in chapters():
                print(f"{chapter}:")
                for name, value in declared_parameters(chapter).items():
                    per = {p: profiles[p].get(chapter, {}).get(name) for p in profiles
                           if name in (profiles[p].get(chapter) or {})}
                    print(f"    {name} = {value!r}" + (f"   {per}" if per else ""))
            return 0
        overrides = dict(parse_override(text) for text in args.param)
        index = build_book(args.profile, args.chapters, overrides, args.force, not args.no_html)
    except BookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if index is not None:
        print(f"[book] built: {index}")
    return 0
