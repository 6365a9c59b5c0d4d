"""The book runner: profiles, parameter validation, cache, failures, and the built HTML."""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from alexnet_repro.bookrun import notebook as chapter_helpers
from alexnet_repro.bookrun import profiles, runner
from alexnet_repro.bookrun import terminal as terminal_bars
from alexnet_repro.common.errors import ConfigError
from alexnet_repro.engine.config import TrainConfig

EXPECTED_ORDER = [
    "intro", "architecture", "relu_vs_tanh", "dropout", "lrn_pooling",
    "augmentation", "training_details", "results", "full_training",
]

CHAPTER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A test chapter

```{{code-cell}} ipython3
:tags: [parameters]
profile = "default"
results_dir = "_build/results/default"
{params}
```

```{{code-cell}} ipython3
print("steps", steps * 10)
{body}
```
"""


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A book folder with its own toc and profiles, so tests can add chapters of their own.

    ``write(name, body, profile_params, params)``: a chapter whose parameters cell holds
    ``params`` (besides profile and results_dir) and whose second cell prints ``steps * 10``
    and runs ``body``; the ``ci`` profile gives it ``profile_params``, ``default`` nothing.
    """
    (tmp_path / "book").mkdir()
    monkeypatch.setattr(profiles, "BOOK_DIR", tmp_path / "book")
    monkeypatch.setattr(profiles, "PROFILES_FILE", tmp_path / "book" / "profiles.yml")
    monkeypatch.setattr(profiles, "TOC_FILE", tmp_path / "_toc.yml")
    monkeypatch.setenv("ALEXNET_BUILD_DIR", str(tmp_path / "_build"))
    written = []

    def write(name, body="", profile_params=None, params="steps = 2"):
        (tmp_path / "book" / f"{name}.md").write_text(CHAPTER.format(body=body, params=params))
        written.append(name)
        toc = {"format": "jb-book", "root": f"book/{written[0]}",
               "chapters": [{"file": f"book/{n}"} for n in written[1:]]}
        (tmp_path / "_toc.yml").write_text(yaml.safe_dump(toc))
        every = {"ci": {name: profile_params or {}}, "default": {name: {}}}
        (tmp_path / "book" / "profiles.yml").write_text(yaml.safe_dump(every))
        return name

    return write


def outputs_text(path: Path) -> str:
    nb = json.loads(path.read_text())
    return "".join(
        "".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", [])
    )


# ------------------------------------------------------------------- the book's own sources

def test_toc_lists_every_chapter_in_the_papers_order():
    assert profiles.chapters() == EXPECTED_ORDER
    for name in EXPECTED_ORDER:
        assert profiles.chapter_source(name).exists(), f"book/{name}.md is missing"


def test_results_chapter_is_executed_after_all_the_others():
    order = runner.execution_order(EXPECTED_ORDER)
    assert order[-1] == "results" and sorted(order) == sorted(EXPECTED_ORDER)


def test_every_profile_names_only_declared_parameters():
    every = profiles.load_profiles()
    assert {"ci", "default", "full"} <= set(every)
    for profile in every:
        for chapter in EXPECTED_ORDER:
            profiles.resolve_parameters(chapter, profile)  # raises on an unknown name


def test_default_profile_equals_the_chapters_parameters_cells():
    defaults = profiles.load_profiles()["default"]
    for chapter in EXPECTED_ORDER:
        declared = profiles.declared_parameters(chapter)
        for name, value in (defaults.get(chapter) or {}).items():
            assert declared[name] == value, (
                f"{chapter}: parameters cell has {name}={declared[name]!r}, "
                f"profile default has {value!r}"
            )
        resolved = profiles.resolve_parameters(chapter, "default")  # dicts merged, e.g. train
        assert {k: v for k, v in resolved.items() if k not in profiles.RUNNER_PARAMETERS} == {
            k: v for k, v in declared.items() if k not in profiles.RUNNER_PARAMETERS}


def test_default_equal_to_the_cell_holds_for_a_train_dict(sandbox, tmp_path):
    chapter = sandbox("trainer", params=TRAIN_CELL)
    every = yaml.safe_load((tmp_path / "book" / "profiles.yml").read_text())
    declared = profiles.declared_parameters(chapter)
    every["default"][chapter] = {"train": declared["train"]}
    (tmp_path / "book" / "profiles.yml").write_text(yaml.safe_dump(every))
    assert profiles.resolve_parameters(chapter, "default")["train"] == declared["train"]
    every["default"][chapter] = {"train": {**declared["train"], "epochs": 9}}
    (tmp_path / "book" / "profiles.yml").write_text(yaml.safe_dump(every))
    assert profiles.resolve_parameters(chapter, "default")["train"] != declared["train"]


def test_placeholders_say_so_in_their_first_line():
    for chapter in EXPECTED_ORDER:
        text = profiles.chapter_source(chapter).read_text()
        body = text.split("---", 2)[2] if text.startswith("---") else text
        if "placeholder" in body.lower():
            first = next(line for line in body.splitlines() if line.strip())
            assert "placeholder" in first.lower() or "placeholder" in body.split("\n\n")[1].lower()


# ------------------------------------------------------------------------------ parameters

def test_parse_override_reads_yaml_values():
    assert profiles.parse_override("epochs=3") == ("epochs", 3)
    assert profiles.parse_override("lr=0.05") == ("lr", 0.05)
    assert profiles.parse_override("dataset=cifar10") == ("dataset", "cifar10")
    assert profiles.parse_override("seeds=[0, 1]") == ("seeds", [0, 1])
    with pytest.raises(profiles.BookError, match="name=value"):
        profiles.parse_override("epochs")


def test_mistyped_parameter_is_an_error_naming_the_closest_one(sandbox):
    chapter = sandbox("tiny")
    with pytest.raises(profiles.BookError) as info:
        profiles.resolve_parameters(chapter, "ci", {"stpes": 4})
    message = str(info.value)
    assert "'stpes'" in message and "did you mean 'steps'" in message


def test_mistyped_parameter_in_the_profiles_file_is_an_error(sandbox):
    chapter = sandbox("tiny", profile_params={"step": 4})
    with pytest.raises(profiles.BookError, match=r"profile 'ci'.*'step'.*did you mean 'steps'"):
        profiles.resolve_parameters(chapter, "ci")


def test_unknown_profile_is_an_error(sandbox):
    chapter = sandbox("tiny")
    with pytest.raises(profiles.BookError, match="unknown profile 'fast'.*ci, default"):
        profiles.resolve_parameters(chapter, "fast")


def test_cli_reports_a_mistyped_parameter_without_a_traceback(capsys):
    code = runner.main(["--chapter", "architecture", "--profile", "ci", "-p", "no_such_knob=1", "--no-html"])
    assert code == 1
    err = capsys.readouterr().err
    assert "unknown parameter 'no_such_knob'" in err and "Traceback" not in err


# ------------------------------------------------------------------- execution and the cache

@pytest.mark.slow
def test_execution_injects_parameters_and_caches(sandbox):
    chapter = sandbox("tiny", profile_params={"steps": 3})
    out = runner.execute_chapter(chapter, "ci")
    assert "steps 30" in outputs_text(out)  # the profile's value reached the code
    first = out.stat().st_mtime_ns
    assert runner.execute_chapter(chapter, "ci") == out
    assert out.stat().st_mtime_ns == first, "nothing changed, yet the chapter re-executed"
    runner.execute_chapter(chapter, "ci", {"steps": 5})
    assert "steps 50" in outputs_text(out)
    # on the page: the values used (folded), not the chapter's defaults
    cells = nbformat.read(out, as_version=4).cells
    tags = {t: c.metadata["tags"] for c in cells for t in ("parameters", "injected-parameters")
            if t in c.metadata.get("tags", [])}
    assert "remove-cell" in tags["parameters"] and "hide-input" in tags["injected-parameters"]


@pytest.mark.slow
def test_failing_cell_names_chapter_and_cell_and_keeps_the_notebook(sandbox):
    chapter = sandbox("broken", body='raise ValueError("loss is NaN at step 7")')
    with pytest.raises(runner.ChapterFailed) as info:
        runner.execute_chapter(chapter, "ci")
    message = str(info.value)
    assert "chapter 'broken'" in message and "cell 2" in message
    assert "loss is NaN at step 7" in message
    kept = runner.executed_path(chapter, "ci")
    assert kept.exists() and str(kept) in message
    assert runner.cached_key(kept) is None, "a failed execution must not count as cached"


# -------------------------------------------------------------------- the built book (ci)

@pytest.mark.slow
def test_built_book_has_every_chapter_and_the_layer_table(built_book):
    assert built_book.name == "ci" and (runner.REPO / "_build").resolve() not in built_book.parents
    for chapter in EXPECTED_ORDER[1:]:
        assert (built_book / "book" / f"{chapter}.html").exists()
    page = (built_book / "book" / "architecture.html").read_text()
    # The layer table, computed by the model: conv1's 55x55x96 map and conv5's 163-px field.
    assert re.search(r"conv1.{0,400}55", page, re.S) and "163" in page
    assert "Built under the" in page  # the ci banner


@pytest.mark.slow
def test_built_book_needs_no_cdn(built_book):
    for page in (built_book / "book").glob("*.html"):
        text = page.read_text()
        for url in re.findall(r'<script[^>]+src="([^"]+)"', text):
            assert not url.startswith(("http:", "https:", "//")), f"{page.name} loads {url}"


# ------------------------------------------------------- one config path: the `train` dict

TRAIN_CELL = ('steps = 2\n'
              'train = {"dataset": "fashion-mnist", "epochs": 2, "lr": 0.01, '
              '"model_kwargs": {"width": 0.5}}')


def test_profile_train_block_merges_into_the_chapters_train_dict(sandbox):
    chapter = sandbox("trainer", params=TRAIN_CELL,
                      profile_params={"train": {"epochs": 1, "model_kwargs": {"init": "kaiming"}}})
    params = profiles.resolve_parameters(chapter, "ci")
    assert params["train"] == {"dataset": "fashion-mnist", "epochs": 1, "lr": 0.01,
                               "model_kwargs": {"width": 0.5, "init": "kaiming"}}
    assert profiles.resolve_parameters(chapter, "default")["train"]["epochs"] == 2


def test_mistyped_train_key_in_a_profile_names_the_closest_field(sandbox):
    chapter = sandbox("trainer", params=TRAIN_CELL, profile_params={"train": {"epoch": 1}})
    with pytest.raises(profiles.BookError,
                       match=r"profile 'ci'.*'epoch' \(did you mean 'epochs'\?\)"):
        profiles.resolve_parameters(chapter, "ci")


def test_mistyped_train_key_in_the_parameters_cell_is_an_error(sandbox):
    chapter = sandbox("trainer", params='steps = 2\ntrain = {"batchsize": 8}')
    with pytest.raises(profiles.BookError, match=r"parameters cell.*did you mean 'batch_size'"):
        profiles.declared_parameters(chapter)


def test_a_computed_parameter_is_a_clear_error_not_a_traceback(sandbox):
    chapter = sandbox("trainer", params="steps = 2\nseeds = list(range(10))")
    with pytest.raises(profiles.BookError, match=r"'seeds' \(line 4 of its parameters cell\) must be a "
                                                 r"literal value.*'list\(range\(10\)\)'"):
        profiles.declared_parameters(chapter)


def test_overrides_reach_the_train_dict(sandbox):
    chapter = sandbox("trainer", params=TRAIN_CELL)
    params = profiles.resolve_parameters(
        chapter, "ci", {"epochs": 5, "train.lr": 0.1, "train.model_kwargs.width": 0.25, "steps": 3})
    assert params["steps"] == 3  # a top-level parameter stays top-level
    assert params["train"] == {"dataset": "fashion-mnist", "epochs": 5, "lr": 0.1,
                               "model_kwargs": {"width": 0.25}}
    for bad, hint in (("train.epoch", "epochs"), ("lrr", "lr"), ("stepz", "steps")):
        with pytest.raises(profiles.BookError, match=f"did you mean '{hint}'"):
            profiles.resolve_parameters(chapter, "ci", {bad: 1})


def test_a_chapter_without_train_keeps_its_own_names(sandbox):
    chapter = sandbox("tiny")
    with pytest.raises(profiles.BookError, match="unknown parameter 'epochs'"):
        profiles.resolve_parameters(chapter, "ci", {"epochs": 5})


def test_train_config_builds_the_base_config_in_one_call(sandbox):
    chapter = sandbox("trainer", params=TRAIN_CELL)
    train = profiles.resolve_parameters(chapter, "ci", {"epochs": 4})["train"]
    config = chapter_helpers.train_config(train, profile="ci", model_kwargs={"init": "kaiming"})
    assert isinstance(config, TrainConfig)
    assert (config.epochs, config.lr, config.profile) == (4, 0.01, "ci")
    assert config.model_kwargs == {"width": 0.5, "init": "kaiming"}
    assert train["model_kwargs"] == {"width": 0.5}, "the chapter's dict must not change"
    assert TrainConfig(**train).epochs == 4


def test_plan_routes_overrides_to_the_chapters_that_take_them(sandbox):
    sandbox("tiny")
    sandbox("trainer", params=TRAIN_CELL)
    plan = runner.plan_book("ci", ["tiny", "trainer"], {"epochs": 7, "steps": 4})
    assert plan["tiny"]["steps"] == 4 and "epochs" not in plan["tiny"]
    assert plan["trainer"]["train"]["epochs"] == 7 and plan["trainer"]["steps"] == 4
    with pytest.raises(profiles.BookError, match="did you mean 'epochs'"):
        runner.plan_book("ci", ["tiny", "trainer"], {"epoch": 7})


# -------------------------------------------------------------------- the GPU profile on CPU

def test_full_profile_without_cuda_stops_and_says_how_to_force(sandbox, monkeypatch, tmp_path):
    chapter = sandbox("trainer", params=TRAIN_CELL)
    every = yaml.safe_load((tmp_path / "book" / "profiles.yml").read_text())
    every["full"] = {chapter: {"train": {"dataset": "cifar10", "epochs": 40,
                                         "model_kwargs": {"width": 1.0}}}}
    (tmp_path / "book" / "profiles.yml").write_text(yaml.safe_dump(every))
    monkeypatch.setattr(runner.torch.cuda, "is_available", lambda: False)
    with pytest.raises(profiles.BookError) as info:
        runner.plan_book("full", [chapter])
    message = str(info.value)
    assert "trainer: cifar10, all images, 40 epochs, width 1.0" in message
    assert "-p device=cpu" in message and "--profile default" in message
    plan = runner.plan_book("full", [chapter], {"device": "cpu"})
    assert plan[chapter]["train"]["device"] == "cpu"
    assert runner.plan_book("ci", [chapter])  # a CPU profile needs no device


def test_real_full_profile_without_cuda_is_refused_by_the_cli(monkeypatch, capsys):
    monkeypatch.setattr(runner.torch.cuda, "is_available", lambda: False)
    code = runner.main(["--profile", "full", "--chapter", "relu_vs_tanh", "--no-html"])
    err = capsys.readouterr().err
    assert code == 1 and "relu_vs_tanh: cifar10" in err and "-p device=cpu" in err
    assert "Traceback" not in err


# ------------------------------------------------------------------------ did you mean

def test_unknown_chapter_and_profile_get_the_closest_name(capsys):
    assert runner.main(["--chapter", "dropuot", "--no-html"]) == 1
    assert "unknown chapter 'dropuot' (did you mean 'dropout'?)" in capsys.readouterr().err
    assert runner.main(["--profile", "defualt", "--chapter", "intro", "--no-html"]) == 1
    assert "unknown profile 'defualt' (did you mean 'default'?)" in capsys.readouterr().err


# ------------------------------------------------------------- chapter helpers, buttons

def test_glue_all_glues_each_value_with_the_prefix(monkeypatch):
    calls = []
    monkeypatch.setattr(chapter_helpers, "glue", lambda *a, **k: calls.append((a, k)))
    chapter_helpers.glue_all({"top1": 0.42, "n": 3}, prefix="rt_")
    assert calls == [(("rt_top1", 0.42), {"display": False}), (("rt_n", 3), {"display": False})]


def test_terminal_bar_writes_to_the_process_stderr_not_the_cell(monkeypatch):
    import io
    import sys

    import tqdm.auto

    terminal, cell = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", terminal)
    monkeypatch.setattr(sys, "stderr", cell)
    monkeypatch.setattr(sys, "stdout", cell)
    monkeypatch.setattr(tqdm.auto, "tqdm", tqdm.auto.tqdm)  # restored after the test
    terminal_bars.use_terminal_progress()
    for _ in tqdm.auto.tqdm(range(3), desc="bar-here"):
        pass
    tqdm.auto.tqdm.write("epoch 1/1")
    assert "bar-here" in terminal.getvalue() and "epoch 1/1" in terminal.getvalue()
    assert cell.getvalue() == ""


def test_one_setting_switches_repository_and_launch_buttons():
    config = yaml.safe_load((profiles.REPO / "_config.yml").read_text())
    assert config["repository"]["url"] == "", "the committed config keeps the buttons off"
    off = runner.staged_config(config)
    assert not off["html"]["use_repository_button"] and not off["html"]["use_issues_button"]
    assert off["launch_buttons"]["binderhub_url"] == "" == off["launch_buttons"]["colab_url"]
    config["repository"]["url"] = "https://github.com/someone/alexnet-repro"
    on = runner.staged_config(config)
    assert on["html"]["use_repository_button"] and on["html"]["use_issues_button"]
    assert on["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert on["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert on["repository"]["url"] == config["repository"]["url"]


@pytest.mark.slow
def test_a_run_is_quiet_shows_progress_and_builds_the_config_in_one_call(sandbox, capfd,
                                                                        monkeypatch):
    monkeypatch.delenv("PYTEST_CURRENT_TEST")  # else ipykernel skips its fd capture under pytest
    body = ("from tqdm.auto import tqdm\n"
            "from alexnet_repro.bookrun.notebook import train_config\n"
            "for _ in tqdm(range(3), desc='trainbar'):\n"
            "    pass\n"
            "import time; time.sleep(1)  # time to forward the bar, were it captured\n"
            "config = train_config(train, profile=profile)\n"
            "print('config', config.epochs, config.model_kwargs['width'], config.profile)")
    chapter = sandbox("trainer", body=body, params=TRAIN_CELL)
    runner.build_book("ci", [chapter], {"epochs": 3, "train.model_kwargs.width": 0.25}, html=False)
    out, err = capfd.readouterr()
    text = outputs_text(runner.executed_path(chapter, "ci"))
    assert "config 3 0.25 ci" in text  # the dict parameter reached the kernel, merged
    assert "[book] trainer: cell 1/2" in out and "[book] trainer: cell 2/2" in out
    assert "trainbar" in err and "trainbar" not in text  # the bar on the terminal, not the page
    assert "without encryption" not in out + err and "WARNING" not in out + err


def test_every_citation_is_in_the_bibliography_and_the_references_page_is_in_the_toc():
    bib = (profiles.BOOK_DIR / "references.bib").read_text()
    keys = set(re.findall(r"^@\w+\{([^,]+),", bib, re.M))
    assert {"krizhevsky2012", "cudaconvnet", "alexnet2012source", "torchvision2016",
            "jia2014caffe", "zhang2023d2l"} <= keys
    cited = set()
    for chapter in EXPECTED_ORDER:
        cited |= set(re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", profiles.chapter_source(chapter).read_text()))
    cited = {k.strip() for group in cited for k in group.split(",")}
    assert cited and cited <= keys, f"cited but not in references.bib: {cited - keys}"
    assert keys <= cited, f"in references.bib but cited nowhere: {keys - cited}"
    assert "references" in profiles.toc_pages() and "references" not in profiles.chapters()
    assert profiles.is_static("references")
    config = yaml.safe_load((profiles.REPO / "_config.yml").read_text())
    assert config["bibtex_bibfiles"] == ["book/references.bib"]


def test_binder_button_opens_the_chapters_source_and_no_button_links_a_missing_notebook():
    from alexnet_repro.bookrun import sphinx_ext

    binder = "https://mybinder.org/v2/gh/o/r/main?urlpath=tree/book/dropout"
    colab = "https://colab.research.google.com/github/o/r/blob/main/book/dropout.ipynb"
    context = {"header_buttons": [
        {"label": "download-buttons", "buttons": [{"text": "Binder", "url": "x.ipynb"}]},
        {"label": "launch-buttons", "buttons": [{"text": "Binder", "url": binder + ".ipynb"},
                                                {"text": "Colab", "url": colab}]}]}
    sphinx_ext._binder_opens_the_source(None, "book/dropout", "page.html", context, None)
    launch = context["header_buttons"][1]["buttons"]
    # Colab opens only .ipynb files, and the repository has none: no dead Colab link
    assert launch == [{"text": "Binder", "url": binder + ".md"}]
    assert context["header_buttons"][0]["buttons"][0]["url"] == "x.ipynb"
    assert (profiles.REPO / "book" / "dropout.md").exists()


def test_train_in_build_uses_the_builds_folder_and_saves_the_record(tmp_path, monkeypatch, capsys):
    from types import SimpleNamespace

    seen = []

    def fake_train(config):
        seen.append(config)
        return SimpleNamespace(record={"kind": "training", "wall_time_s": 3.0, "out_dir": config.out_dir})
    monkeypatch.setattr(chapter_helpers, "train", fake_train)
    results = tmp_path / "build" / "results" / "ci"
    run_dir = tmp_path / "build" / "runs" / "ci" / "full_training"
    run_dir.mkdir(parents=True)
    for name in ("checkpoint.pt", "record.json", "notes.txt"):
        (run_dir / name).write_text("an earlier build's")
    config = TrainConfig(profile="ci")
    result = chapter_helpers.train_in_build(config, results, "run_x", chapter="full_training",
                                            publish_dir=tmp_path / "pub")
    assert seen[0].out_dir == str(run_dir) and config.out_dir is None       # the caller's config unchanged
    assert not (run_dir / "checkpoint.pt").exists() and not (run_dir / "record.json").exists()
    assert (run_dir / "notes.txt").exists()                                   # only the run's own files go
    for where in (results, tmp_path / "pub"):
        assert json.loads((where / "run_x.json").read_text())["out_dir"] == str(run_dir)
    assert result.record["wall_time_s"] == 3.0 and "record run_x written to" in capsys.readouterr().out
    # resume keeps the checkpoint; a folder the reader chose is never emptied
    (run_dir / "checkpoint.pt").write_text("kept")
    chapter_helpers.train_in_build(TrainConfig(profile="ci", resume=True), results, "run_x", chapter="full_training")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "checkpoint.pt").write_text("kept")
    chapter_helpers.train_in_build(TrainConfig(profile="ci", out_dir=str(mine)), results, "run_y", chapter="c")
    assert (run_dir / "checkpoint.pt").read_text() == "kept" and (mine / "checkpoint.pt").read_text() == "kept"
    assert seen[-1].out_dir == str(mine)


def test_train_seeds_in_build_gives_every_seed_its_own_folder_and_record(tmp_path, monkeypatch, capsys):
    from types import SimpleNamespace

    seen = []

    def fake_train(config):
        seen.append(config)
        return SimpleNamespace(record={"kind": "training", "wall_time_s": 1.0, "seed": config.seed,
                                       "out_dir": config.out_dir}, model=f"model {config.seed}")
    monkeypatch.setattr(chapter_helpers, "train", fake_train)
    results = tmp_path / "build" / "results" / "ci"
    runs = tmp_path / "build" / "runs" / "ci" / "full_training"
    records, first = chapter_helpers.train_seeds_in_build(TrainConfig(profile="ci"), [3, 1], results, "ft",
                                                          chapter="full_training")
    assert [r["seed"] for r in records] == [3, 1] and first.model == "model 3"
    assert [c.out_dir for c in seen] == [str(runs / "seed3"), str(runs / "seed1")]
    assert sorted(p.name for p in results.iterdir()) == ["ft_seed1.json", "ft_seed3.json"]
    mine = tmp_path / "mine"
    chapter_helpers.train_seeds_in_build(TrainConfig(profile="ci", out_dir=str(mine)), [0, 1], results, "ft",
                                         chapter="full_training")
    assert [c.out_dir for c in seen[2:]] == [str(mine / "seed0"), str(mine / "seed1")]
    # one seed: the single run as before (its own name, the folder as given)
    records, first = chapter_helpers.train_seeds_in_build(TrainConfig(profile="ci", seed=5), [0], results, "one",
                                                          chapter="full_training")
    assert seen[-1].out_dir == str(runs) and seen[-1].seed == 0 and (results / "one.json").exists()
    for bad in ([], [1, 1], ["0"]):
        with pytest.raises(ConfigError, match="seeds must be a list of distinct integers"):
            chapter_helpers.train_seeds_in_build(TrainConfig(profile="ci"), bad, results, "x", chapter="c")


@pytest.mark.slow   # two spawned processes import torch
def test_train_seeds_in_build_side_by_side_gives_the_same_runs_as_one_after_another(tmp_path):
    """workers=2 trains the seeds in the sweeps' pool of one-thread processes: each seed keeps its
    own folder, checkpoint and record, and its numbers are those of the same seed trained here
    with one thread (the record of a one-thread run is the reference)."""
    import torch

    config = TrainConfig(dataset="synthetic", limit=32, val_limit=16, image_size=20, model="small_cnn",
                         epochs=1, batch_size=16, log_every=1, device="cpu", profile="ci",
                         ten_crop_eval=False, progress=False)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        alone, _ = chapter_helpers.train_seeds_in_build(config, [2, 4], tmp_path / "a" / "results" / "ci", "ft",
                                                        chapter="full_training")
    finally:
        torch.set_num_threads(threads)
    results = tmp_path / "b" / "results" / "ci"
    records, first = chapter_helpers.train_seeds_in_build(config, [2, 4], results, "ft", chapter="full_training",
                                                          workers=2)
    assert [r["seed"] for r in records] == [2, 4] and first.record["seed"] == 2 and first.model is not None
    assert sorted(p.name for p in results.iterdir()) == ["ft_seed2.json", "ft_seed4.json"]
    for k in (2, 4):
        assert (tmp_path / "b" / "runs" / "ci" / "full_training" / f"seed{k}" / "checkpoint.pt").exists()
    for a, b in zip(alone, records):
        assert b["final"]["val_top1_error"] == a["final"]["val_top1_error"]
        assert b["history"][-1]["train_loss"] == pytest.approx(a["history"][-1]["train_loss"], rel=1e-6)


def test_figure1_and_lrn_are_judged_in_both_regimes(built_book):
    """Issue 11: the ReLU chapter judges Figure 1 again in cuda-convnet's layers-18pct regime,
    the LRN chapter judges LRN again at a larger input scale (issue 24: times 45, each network at
    its own rate from the profile's grid); both land in the results."""
    results = built_book.parents[1] / "results" / "ci"   # <build>/html/ci -> <build>/results/ci
    relu = json.loads((results / "relu_vs_tanh.json").read_text())
    assert [c["key"] for c in relu["claims"]] == ["relu_speedup", "relu_speedup_cuda_convnet"]
    second = relu["second_regime"]["model_kwargs"]
    assert second == {"recipe": "cuda-convnet-18pct", "init": "recipe", "input_scale": 255.0}
    assert "init cuda-convnet-18pct, input scale 255" in relu["claims"][1]["setting"]
    lrn = json.loads((results / "lrn_pooling.json").read_text())
    assert [c["key"] for c in lrn["claims"]] == ["lrn", "overlap_pool", "overlap_pool_overfit", "lrn_second_regime"]
    cfg = lrn["second_regime"]["config"]
    assert cfg["model_kwargs"]["norm_gain"] == 45.0 and cfg["model_kwargs"]["input_scale"] == 1.0
    rates, sweep = lrn["second_regime"]["rates"], lrn["second_regime"]["sweep"]
    assert set(sweep) == {"LRN + overlapping pooling (paper)", "no LRN"}
    for arm, t in sweep.items():                     # each arm trained at its own pick of the ci grid
        assert rates[arm] == t["best_lr"] and {r["lr"] for r in t["table"]} >= {0.001, 0.003}
    assert {v for k, v in rates.items() if k != "no LRN"} == {rates["LRN + overlapping pooling (paper)"]}
    assert lrn["config"]["model_kwargs"]["input_scale"] == 1.0
    check = lrn["second_regime"]["gain_check"]       # the gain against inputs scaled by 45, same weights
    assert check["gain"] == 45.0 and check["max_rel_diff"] < 1e-12 and abs(check["logit_ratio"] - 45.0) < 1e-6
    page = (built_book / "book" / "results.html").read_text()
    assert "recipe cuda-convnet-18pct, init cuda-convnet-18pct, input scale 255" in page   # the rows' settings
    assert re.search(r"init kaiming, LRN on activities x45; fashion-mnist, \d+ training", page)
