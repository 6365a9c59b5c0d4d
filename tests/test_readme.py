"""Every command of README.md and benchmarks/README.md is tested.

The commands are read from the files' ```bash blocks when the tests run; each must have an entry
in ``COVERED`` (how it is tested), so a new documented command without a test fails
``test_every_documented_command_is_covered``, and an entry whose command left the README fails
``test_no_stale_entries``. Kinds:

- ``run``: run as written, in a temporary folder (relative paths land there), on generated data.
- ``substituted``: run with the substitutions the entry names (folders of generated data for
  /data/..., tiny sizes for a paper-scale run); the reason is in the entry.
- ``cli``: what a CPU can check of a command that needs a GPU, a large dataset or the whole
  book: argument parsing and parameter resolution through the same entry point, or a fast,
  clear failure.
- ``ci``: ``tools/build-book.sh`` and ``tools/test.sh`` themselves are CI's own commands (they
  set up the environment and run this suite: running them from here would recurse); here only
  their forwarding of arguments is checked.
"""
from __future__ import annotations

import contextlib
import io
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import make_jpeg_folder
from fakedata import make_cifar10_batches

from alexnet_repro.bookrun import runner

ROOT = Path(__file__).resolve().parents[1]
READMES = (ROOT / "README.md", ROOT / "benchmarks" / "README.md")
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def needs_fashion_mnist():
    if not FASHION_MNIST.is_dir():
        pytest.skip("needs dataset-fashion-mnist (apt-get install dataset-fashion-mnist)")


def documented_commands() -> list[tuple[str, str]]:
    """``(readme name, command)`` for every command line of every ```bash block."""
    found = []
    for readme in READMES:
        for block in re.findall(r"```bash\n(.*?)```", readme.read_text(), flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                command = re.sub(r"\s+#.*$", "", line).strip()
                if command and not command.startswith("#"):
                    found.append((readme.relative_to(ROOT).as_posix(), command))
    return found


# ---------------------------------------------------------------------------------- helpers

def run(argv: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run in ``cwd`` with this interpreter for ``python``/``.venv/bin/python``, this checkout importable."""
    if argv[0] in ("python", ".venv/bin/python"):
        argv = [sys.executable] + argv[1:]
    elif argv[0] == "torchrun":
        argv = [sys.executable, "-m", "torch.distributed.run"] + argv[1:]
    # scripts of the repository by their path in it; the command's own outputs land in cwd
    argv = [str(ROOT / a) if a.startswith("benchmarks/") else a for a in argv]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ALEXNET_BUILD_DIR": str(cwd / "_build")}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def ok(proc: subprocess.CompletedProcess) -> str:
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "Traceback" not in out, out[-4000:]
    return out


def book_plan(args: list[str], monkeypatch) -> dict:
    """What ``python -m alexnet_repro book ARGS`` would execute: the real argument parsing and
    ``plan_book`` (every name checked, the device check), with execution and rendering left out."""
    planned = {}

    def plan_only(profile, only=None, overrides=None, force=False, html=True):
        planned.update(runner.plan_book(profile, only, overrides))

    monkeypatch.setattr(runner, "build_book", plan_only)
    assert runner.main(args) == 0
    return planned


def book_args(command: str) -> list[str]:
    """The arguments ``tools/build-book.sh`` hands to ``python -m alexnet_repro book``."""
    script = (ROOT / "tools" / "build-book.sh").read_text().strip().splitlines()[-1]
    assert script.endswith('-m alexnet_repro book "$@"'), "build-book.sh no longer forwards its arguments"
    argv = shlex.split(command)
    return argv[argv.index("tools/build-book.sh") + 1:]


# -------------------------------------------------------------- stateful runs (shared folders)

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """README's training example, run as written in a fresh folder (runs/demo lands there)."""
    folder = tmp_path_factory.mktemp("demo")
    command = next(c for _, c in documented_commands() if "--out runs/demo" in c and "--dataset" in c)
    return folder, run(shlex.split(command), folder, timeout=600)


@pytest.fixture(scope="module")
def imagenet_prepared(tmp_path_factory):
    """A generated ImageNet folder, prepared by the README's command (paths substituted)."""
    folder = tmp_path_factory.mktemp("imagenet")
    src = make_jpeg_folder(folder / "imagenet", classes=("n001", "n002"), train_per_class=6, val_per_class=2)
    command = next(c for _, c in documented_commands() if c.startswith("python -m alexnet_repro prepare imagenet"))
    argv = [a.replace("/data/imagenet-256", str(folder / "imagenet-256")).replace("/data/imagenet", str(src))
            for a in shlex.split(command)]
    argv[argv.index("--workers") + 1] = "2"   # 16 spawned processes would take minutes on 2 cores
    return folder, run(argv, folder)


TINY_TRAIN = ["--epochs", "1", "--width", "0.0625", "--batch-size", "4", "--no-progress"]


# ------------------------------------------------------------------------------- the checks

def check_build_book_ci(command, tmp_path, monkeypatch):
    assert (ROOT / "tools" / "build-book.sh").is_file() and (ROOT / "tools" / "bootstrap.sh").is_file()
    assert book_args(command) == [] or book_args(command)[0].startswith("-")


def check_test_sh(command, tmp_path, monkeypatch):
    last = (ROOT / "tools" / "test.sh").read_text().strip().splitlines()[-1]
    assert last.endswith('-m pytest -ra "$@"'), "tools/test.sh no longer runs pytest with its arguments"


def check_book_chapter(command, tmp_path, monkeypatch):
    plan = book_plan(book_args(command), monkeypatch)
    assert "dropout" in plan and plan["dropout"]["seeds"] == [0, 1, 2]
    # the chapter keeps its training settings in its `train` dict: -p epochs=5 is routed there
    assert plan["dropout"]["train"]["epochs"] == 5


def check_book_list(command, tmp_path, monkeypatch):
    out = ok(run(shlex.split(command), tmp_path))
    assert all(f"{chapter}:" in out for chapter in runner.P.chapters())


def check_book_ci(command, tmp_path, monkeypatch):
    argv = shlex.split(command)
    plan = book_plan(argv[argv.index("book") + 1:], monkeypatch)
    assert list(plan) == runner.execution_order(runner.P.chapters())
    assert all(p["profile"] == "ci" for p in plan.values())


def check_book_full(command, tmp_path, monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("with CUDA this builds the paper-scale book (hours)")
    monkeypatch.setenv("ALEXNET_BUILD_DIR", str(tmp_path / "_build"))
    err = io.StringIO()
    with contextlib.redirect_stderr(err):   # the book CLI in this process: what the script runs
        code = runner.main(book_args(command))
    assert code == 1 and "-p device=cpu" in err.getvalue() and "CUDA" in err.getvalue(), err.getvalue()
    if "-p dataset=imagenet" in command:
        assert "full_training: imagenet, all images" in err.getvalue()
    assert not (tmp_path / "_build" / "executed").exists(), "a chapter ran although the profile stops"


def check_train_help(command, tmp_path, monkeypatch):
    out = ok(run(shlex.split(command), tmp_path))
    assert "--dataset" in out and "--resume" in out


def check_train_demo(command, tmp_path, monkeypatch, demo):
    needs_fashion_mnist()
    folder, proc = demo
    ok(proc)
    assert (folder / "runs" / "demo").is_dir() and any((folder / "runs" / "demo").iterdir())


def check_train_resume(command, tmp_path, monkeypatch, demo):
    needs_fashion_mnist()
    folder, proc = demo
    ok(proc)
    ok(run(shlex.split(command), folder, timeout=600))


def check_evaluate(command, tmp_path, monkeypatch, demo):
    needs_fashion_mnist()
    folder, proc = demo
    ok(proc)
    out = ok(run(shlex.split(command), folder, timeout=600))
    assert "crop" in out.lower()


def check_prepare_imagenet(command, tmp_path, monkeypatch, imagenet_prepared):
    folder, proc = imagenet_prepared
    out = ok(proc)
    assert "on disk" in out and (folder / "imagenet-256" / "meta.json").is_file()


def check_prepare_imagenette(command, tmp_path, monkeypatch):
    make_jpeg_folder(tmp_path / "data" / "imagenette2-320", classes=("n01440764", "n02102040"),
                     train_per_class=2, val_per_class=1)
    ok(run(shlex.split(command), tmp_path))
    assert (tmp_path / "data" / "imagenette-256" / "meta.json").is_file()


def check_prepare_cifar10(command, tmp_path, monkeypatch):
    make_cifar10_batches(tmp_path / "data", per_batch=4, test_images=4)
    ok(run(shlex.split(command), tmp_path))
    assert (tmp_path / "data" / "cifar10-prepared" / "train-images.npy").is_file()


def _prepared_train_argv(command, folder):
    return [a.replace("/data/imagenet-256", str(folder / "imagenet-256")) for a in shlex.split(command)] + TINY_TRAIN


def check_train_prepared(command, tmp_path, monkeypatch, imagenet_prepared):
    folder, proc = imagenet_prepared
    ok(proc)
    ok(run(_prepared_train_argv(command, folder), folder))
    assert any((folder / "runs" / "imagenet").iterdir())


def check_torchrun(command, tmp_path, monkeypatch, imagenet_prepared):
    folder, proc = imagenet_prepared
    ok(proc)
    argv = [a if a != "8" else "2" for a in _prepared_train_argv(command, folder)]
    argv = [a.replace("runs/imagenet", "runs/imagenet-torchrun") for a in argv]
    ok(run(argv, folder, timeout=600))
    assert any((folder / "runs" / "imagenet-torchrun").iterdir())


@pytest.fixture(scope="module")
def throughput(tmp_path_factory):
    """bench_throughput.py once with both documented options (--quick and --out, into tmp, never
    the repository's results/), cut to --rounds 1 --batch-size 2: the figures are not the point."""
    folder = tmp_path_factory.mktemp("throughput")
    argv = ["python", "benchmarks/bench_throughput.py", "--quick", "--out", str(folder / "results"),
            "--rounds", "1", "--batch-size", "2"]
    return folder, run(argv, folder, timeout=600)


def check_bench_throughput(command, tmp_path, monkeypatch, throughput):
    assert set(shlex.split(command)[2:]) - {"results/"} <= {"--quick", "--out"}, "a new option: test it"
    folder, proc = throughput
    out = proc.stdout + proc.stderr
    # exit code 1 is a missed speed goal (machine load decides it here); only a crash fails this
    assert proc.returncode in (0, 1) and "Traceback" not in out, out[-4000:]
    assert "PASS" in out or "FAIL" in out
    assert any((folder / "results").iterdir())


def check_bench_input(command, tmp_path, monkeypatch):
    proc = run(shlex.split(command) + ["--images", "16", "--repeats", "1"], tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode in (0, 1) and "Traceback" not in out, out[-4000:]
    assert (tmp_path / "input.json").is_file()


def check_bench_engine(command, tmp_path, monkeypatch):
    """One network only (the smallest), so that the run takes seconds; the speed goal is not the
    point here (exit 1 = a goal missed is accepted), a crash is."""
    proc = run(shlex.split(command) + ["--only", "relu_vs_tanh"], tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode in (0, 1) and "Traceback" not in out, out[-4000:]
    assert (tmp_path / "engine.json").is_file() and "relu_vs_tanh: engine/plain" in out


def check_lr_rules(command, tmp_path, monkeypatch):
    """Tiny sizes: the rules, seeds and the JSON are the point, not the figures."""
    needs_fashion_mnist()
    argv = shlex.split(command)
    for flag, value in (("--limit", "64"), ("--epochs", "2"), ("--seeds", "2"), ("--workers", "1")):
        if flag in argv:
            argv[argv.index(flag) + 1] = value
        else:
            argv += [flag, value]
    argv += ["--val-limit", "32"]
    out = ok(run(argv, tmp_path))
    import json
    data = json.loads((tmp_path / "lr_rules.json").read_text())
    assert set(data["rules"]) == {"plateau, patience 1", "plateau, patience 2", "released"}
    for rule in data["rules"].values():
        assert len(rule["errors_pct"]) == 2 and all(0 <= e <= 100 for e in rule["errors_pct"])
        assert rule["mean"] == sum(rule["errors_pct"]) / 2
    assert "released" in out and "top-1" in out


def check_figure1_pilots(command, tmp_path, monkeypatch):
    """Tiny sizes (64 images, 3 epochs of 2 steps, the first regime, one worker): the table's shape
    and what any training log must satisfy: a step count lies within the run, and a harder
    (lower) target is never reached before an easier one."""
    needs_fashion_mnist()
    argv = shlex.split(command) + ["--limit", "64", "--epochs", "3", "--regimes", "first", "--workers", "1"]
    out = ok(run(argv, tmp_path))
    import json
    data = json.loads((tmp_path / "pilots.json").read_text())
    first = data["first"]
    assert (first["steps_per_epoch"], first["epochs"]) == (2, 3) and "== regime first" in out
    assert set(first["table"]) == {"relu@0.01", "relu@0.03", "relu@0.1"}
    for per_target in first["table"].values():
        targets = sorted(per_target, key=float, reverse=True)          # easiest first
        for seed in range(3):
            steps = [per_target[t][seed] for t in targets]
            assert all(s is None or 1 <= s <= 6 for s in steps)
            reached = [s for s in steps if s is not None]
            assert reached == sorted(reached)                            # harder: no sooner
            assert steps[len(reached):] == [None] * (len(steps) - len(reached))   # once missed, always


def check_bias_pilots(command, tmp_path, monkeypatch):
    """Tiny sizes (64 images, 2 epochs of 2 steps: step 4 is logged, one setting): the line per
    setting and its JSON."""
    needs_fashion_mnist()
    argv = shlex.split(command) + ["--limit", "64", "--epochs", "2", "--inits", "paper", "--scales", "255",
                                   "--widths", "0.0625", "--workers", "1", "--json", "bias.json"]
    out = ok(run(argv, tmp_path))
    import json
    (row,) = json.loads((tmp_path / "bias.json").read_text())
    assert (row["init"], row["input_scale"], row["width"], row["lr"]) == ("paper", 255.0, 0.0625, 0.01)
    assert set(row["arms"]) == {"bias 0", "bias 1"}
    for arm in row["arms"].values():
        assert arm is None or all(e is not None and 0 <= e <= 100 for e in arm["early_pct"] + arm["val_pct"])
    assert "init paper, input x255, width 0.0625, lr 0.01: bias 0:" in out


def check_lrn_pilots(command, tmp_path, monkeypatch):
    """Tiny sizes (64 images, 1 epoch, one scale, one rate, one seed, one worker): one row per arm
    and rate, what any run satisfies (errors in 0-100, learned == every error below 45%, a share
    only for the LRN arm), the picks among the rates tried and the verdict line."""
    needs_fashion_mnist()
    argv = shlex.split(command) + ["--limit", "64", "--val-limit", "64", "--epochs", "1", "--scales", "255",
                                   "--lrs", "0.001", "--seeds", "500", "--workers", "1", "--probe-images", "16"]
    out = ok(run(argv, tmp_path))
    import json
    data = json.loads((tmp_path / "lrn.json").read_text())
    assert sorted((r["scale"], r["lr"], r["arm"]) for r in data["rows"]) == [(255.0, 0.001, "LRN"),
                                                                           (255.0, 0.001, "no LRN")]
    for row in data["rows"]:
        assert len(row["val_pct"]) == 1 and row["diverged"] == row["val_pct"].count(None)
        assert all(0 <= v <= 100 for v in row["val_pct"] if v is not None)
        assert row["learned"] == all(v is not None and v < 45 for v in row["val_pct"])
        assert (row["share_pct"] is None) == (row["arm"] == "no LRN" or row["diverged"] > 0)
        assert row["share_pct"] is None or row["share_pct"] >= 0
    (scale,) = data["scales"]
    assert scale["scale"] == 255.0 and scale["picks"] == {"LRN": 0.001, "no LRN": 0.001}
    learned = all(r["learned"] for r in data["rows"])
    share = next(r["share_pct"] for r in data["rows"] if r["arm"] == "LRN")
    assert scale["found"] == (learned and share is not None and share >= 1)
    assert scale["verdict"] == ("regime found" if scale["found"] else "no regime")
    assert "input x255, lr 0.001: LRN: val [" in out and f"== input x255: picks LRN 0.001, no LRN 0.001: " \
        f"{scale['verdict']}" in out
    # --gains (the chapter's second regime since d027cde): pixels in [0, 1], the LRN layers at gain 45,
    # where the neighbours' term is ~45^2 times what it is at gain 1 (about 0.005% of k there)
    argv[argv.index("--scales") + 1] = "1"
    out = ok(run(argv + ["--gains", "45"], tmp_path))
    data = json.loads((tmp_path / "lrn.json").read_text())
    assert {(r["scale"], r["gain"], r["arm"]) for r in data["rows"]} == {(1.0, 45.0, "LRN"), (1.0, 45.0, "no LRN")}
    lrn_row = next(r for r in data["rows"] if r["arm"] == "LRN")
    assert lrn_row["diverged"] == 0 and lrn_row["share_pct"] > 0.5
    assert data["scales"][0]["gain"] == 45.0 and "input x1, gain 45, lr 0.001: LRN: val [" in out


def check_power_pilots(command, tmp_path, monkeypatch):
    """The ci profile, one chapter (dropout), two pilot seeds: each claim's spread is the sample
    standard deviation of the effects in the chapter's record, and the seeds needed give 80% power
    by scipy's noncentral t while one seed fewer does not."""
    needs_fashion_mnist()
    from scipy import stats
    import numpy as np
    argv = shlex.split(command) + ["--profile", "ci", "--chapters", "dropout", "--seeds", "400", "401",
                                   "--build", str(tmp_path / "pilots")]
    out = ok(run(argv, tmp_path))
    import json
    data = json.loads((tmp_path / "power.json").read_text())
    record = json.loads((tmp_path / "pilots" / "results" / "ci" / "dropout.json").read_text())
    assert record["seeds"] == [400, 401] and data["seeds"] == [400, 401] and "== dropout" in out
    claims = {c["key"]: c for c in record["claims"] if c.get("unit") in ("points", "log ratio")}
    assert set(data["claims"]["dropout"]) <= set(claims) and data["claims"]["dropout"]
    checked = 0
    for key, row in data["claims"]["dropout"].items():
        effects = [e for e in claims[key]["effects"] if e is not None]
        assert row["n"] == len(effects) == 2
        assert row["sd"] == pytest.approx(float(np.std(effects, ddof=1)), abs=1e-12)

        def power(n):
            ncp = (row["margin"] - row["resolution"]) * math.sqrt(n) / row["sd"]
            return stats.nct.sf(stats.t.ppf(0.975, n - 1), n - 1, ncp)
        if row["seeds_needed"] is not None and row["sd"] > 0:
            assert power(row["seeds_needed"]) >= 0.8 - 1e-9
            assert row["seeds_needed"] == 3 or power(row["seeds_needed"] - 1) < 0.8
            checked += 1
    assert checked, "no claim's seeds were checked against scipy"


def check_gpu_check(command, tmp_path, monkeypatch):
    """Run end to end in its CPU mode by tests/test_gpu_check.py (about 2 minutes, slow): not
    repeated here. Checked: the script is there and names the test that runs it."""
    assert (ROOT / "benchmarks" / "gpu_check.sh").is_file()
    assert "gpu_check.sh" in (ROOT / "tests" / "test_gpu_check.py").read_text()


# command -> (kind, what is substituted or why it is not run as written, check, slow)
COVERED = {
    "bash tools/build-book.sh": ("ci", "CI's own command (set-up + default book, ~10 min); its "
                                 "argument forwarding is checked, the chapters run in test_book",
                                 check_build_book_ci, False),
    "bash tools/test.sh": ("ci", "CI's own command (runs this suite: would recurse)", check_test_sh, False),
    "bash tools/build-book.sh --chapter dropout -p epochs=5 -p seeds=[0,1,2]":
        ("cli", "executing dropout under 'default' takes minutes: the arguments are parsed and "
                "resolved by the book CLI (chapters run under ci in test_book)", check_book_chapter, False),
    ".venv/bin/python -m alexnet_repro book --list": ("run", "", check_book_list, False),
    ".venv/bin/python -m alexnet_repro book --profile ci":
        ("cli", "the whole ci build is test_book's built_book fixture (runner.build_book('ci')); "
                "here the CLI's plan of it", check_book_ci, False),
    "bash tools/build-book.sh --profile full":
        ("cli", "needs a CUDA GPU: without one it must stop at once, naming -p device=cpu; "
                "the full profile on CPU at tiny sizes is tests/test_full_profile.py", check_book_full, False),
    "bash tools/build-book.sh --profile full --chapter full_training -p dataset=imagenet -p data_root=/data/imagenet":
        ("cli", "needs a GPU and ILSVRC-2012: the fast, clear stop without CUDA", check_book_full, False),
    ".venv/bin/python -m alexnet_repro train --help": ("run", "", check_train_help, False),
    ".venv/bin/python -m alexnet_repro train --dataset fashion-mnist --limit 2000 --epochs 2 --out runs/demo":
        ("run", "", check_train_demo, True),
    ".venv/bin/python -m alexnet_repro train --out runs/demo --resume": ("run", "", check_train_resume, True),
    ".venv/bin/python -m alexnet_repro evaluate --checkpoint runs/demo": ("run", "", check_evaluate, True),
    "python -m alexnet_repro prepare imagenet /data/imagenet /data/imagenet-256 --workers 16":
        ("substituted", "/data/imagenet -> a generated ImageNet folder in tmp; --workers 2 (16 spawned "
                        "processes take minutes on a 2-core machine)", check_prepare_imagenet, False),
    "python -m alexnet_repro prepare imagenette data/imagenette2-320 data/imagenette-256":
        ("run", "on a generated imagenette2-320 folder", check_prepare_imagenette, False),
    "python -m alexnet_repro prepare cifar10 data data/cifar10-prepared":
        ("run", "on generated cifar-10-batches-py", check_prepare_cifar10, False),
    "python -m alexnet_repro train --dataset prepared --data-root /data/imagenet-256 --out runs/imagenet":
        ("substituted", "the prepared generated folder; paper-scale run cut to " + " ".join(TINY_TRAIN),
         check_train_prepared, True),
    "torchrun --nproc_per_node 8 -m alexnet_repro train --dataset prepared --data-root /data/imagenet-256 "
    "--out runs/imagenet":
        ("substituted", "2 processes (gloo on CPU) instead of 8 GPUs, the prepared generated folder, "
                        + " ".join(TINY_TRAIN), check_torchrun, True),
    "python benchmarks/bench_throughput.py --quick":
        ("substituted", "one run with --quick --out tmp --rounds 1 --batch-size 2 covers both "
                        "bench_throughput commands (the figures are not the point here)", check_bench_throughput, True),
    "python benchmarks/bench_throughput.py --out results/":
        ("substituted", "--out into tmp (never the repository's results/); the same run as --quick",
         check_bench_throughput, True),
    "python benchmarks/bench_engine.py --quick --json engine.json":
        ("substituted", "--only relu_vs_tanh (the smallest network)", check_bench_engine, True),
    "python benchmarks/bench_input.py --json input.json":
        ("substituted", "--images 16 --repeats 1", check_bench_input, True),
    "python benchmarks/lr_rules.py --json lr_rules.json":
        ("substituted", "--limit 64 --val-limit 32 --epochs 2 --seeds 2 --workers 1", check_lr_rules, True),
    "python benchmarks/figure1_pilots.py --json pilots.json":
        ("substituted", "--limit 64 --epochs 3 --regimes first --workers 1", check_figure1_pilots, True),
    "python benchmarks/bias_pilots.py":
        ("substituted", "--limit 64 --epochs 2, one setting, --workers 1, --json", check_bias_pilots, True),
    "python benchmarks/lrn_pilots.py --json lrn.json":
        ("substituted", "--limit 64 --val-limit 64 --epochs 1 --scales 255 --lrs 0.001 --seeds 500 --workers 1 "
                        "--probe-images 16", check_lrn_pilots, True),
    "python benchmarks/power_pilots.py --json power.json":
        ("substituted", "--profile ci --chapters dropout --seeds 400 401 (a build folder in tmp)",
         check_power_pilots, True),
    "benchmarks/gpu_check.sh gpu-check-out":
        ("cli", "run end to end in CPU mode by tests/test_gpu_check.py (slow)", check_gpu_check, False),
}


def _params():
    for readme, command in documented_commands():
        entry = COVERED.get(command)
        marks = [pytest.mark.slow] if entry and entry[3] else []
        yield pytest.param(command, marks=marks, id=f"{readme}:{command[:60]}")


def test_every_documented_command_is_covered():
    missing = [f"{readme}: {c}" for readme, c in documented_commands() if c not in COVERED]
    assert not missing, "documented commands without a test in tests/test_readme.py:\n" + "\n".join(missing)


def test_no_stale_entries():
    documented = {c for _, c in documented_commands()}
    assert not [c for c in COVERED if c not in documented]


@pytest.mark.parametrize("command", list(_params()))
def test_documented_command(command, tmp_path, monkeypatch, request):
    if command not in COVERED:
        pytest.fail(f"no test for {command!r}")
    kind, why, check, _ = COVERED[command]
    extra = {name: request.getfixturevalue(name) for name in ("demo", "imagenet_prepared", "throughput")
             if name in check.__code__.co_varnames[:check.__code__.co_argcount]}
    check(command, tmp_path, monkeypatch, **extra)
