"""Pilot runs behind the book's seed counts (issue 23): each chapter that judges claims over seeds
is executed under a profile with its seeds replaced by pilot seeds that no chapter reports, into a
build folder of its own. From the records it reads, per claim, the spread of the per-seed effects
(their standard deviation) and, at that spread, how many seeds detect the claim's margin (the
paper's effect, or the smallest effect that matters) with 80% power
(``verdicts.seeds_for_power``: a two-sided 95% t-interval, noncentral t).

    python benchmarks/power_pilots.py --json power.json     # about 12 minutes on 2 cores

Not part of the book's build: the spreads it found are copied, with the commit that ran them,
into ``analysis/preregistration.py`` (``POWER_PILOTS``), which sets each chapter's seeds.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from alexnet_repro.analysis.preregistration import POWER_PILOT_SEEDS
from alexnet_repro.analysis.verdicts import NOT_JUDGED, seeds_for_power

#: Which parameters of each chapter hold the seeds its claims are judged on.
CHAPTER_SEEDS = {"relu_vs_tanh": ["seeds"], "dropout": ["seeds"], "lrn_pooling": ["seeds", "second_seeds"],
                 "augmentation": ["seeds"], "training_details": ["seeds"], "full_training": ["seeds"]}


def spreads(record: dict) -> dict:
    """Per claim judged over seeds in one chapter's record: its pilot effects' standard
    deviation, their number, the margin, the resolution and the seeds needed at that spread."""
    out: dict = {}
    for claim in record.get("claims") or []:
        effects = [e for e in claim.get("effects") or [] if e is not None]
        if claim.get("unit") not in ("points", "log ratio") or len(effects) < 2 or claim.get("margin") is None:
            continue
        sd = statistics.stdev(effects)
        margin = abs(float(claim["margin"]))
        resolution = float((claim.get("result") or {}).get("resolution") or 0.0)
        out[claim["key"]] = {"n": len(effects), "sd": sd, "margin": margin,
                             "resolution": resolution, "unit": claim["unit"],
                             "testable": claim.get("outcome") not in NOT_JUDGED,
                             "seeds_needed": seeds_for_power(margin, sd, resolution=resolution)}
    return out


def run_chapter(chapter: str, profile: str, seeds: list[int], build: Path) -> dict:
    """Execute one chapter with its seed parameters set to ``seeds``; return its record."""
    argv = [sys.executable, "-m", "alexnet_repro", "book", "--profile", profile, "--chapter", chapter,
            "--no-html", "--force"]
    for name in CHAPTER_SEEDS[chapter]:
        argv += ["-p", f"{name}={json.dumps(seeds)}"]
    subprocess.run(argv, check=True, env={**os.environ, "ALEXNET_BUILD_DIR": str(build)},
                   stdout=subprocess.DEVNULL)
    return json.loads((build / "results" / profile / f"{chapter}.json").read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="default")
    ap.add_argument("--seeds", type=int, nargs="+", default=list(POWER_PILOT_SEEDS))
    ap.add_argument("--chapters", nargs="+", default=list(CHAPTER_SEEDS), choices=list(CHAPTER_SEEDS))
    ap.add_argument("--build", default=None, help="build folder for the pilot runs (default: a new temporary one)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    build = Path(args.build or tempfile.mkdtemp(prefix="power-pilots-"))
    table = {}
    for chapter in args.chapters:
        print(f"== {chapter} on pilot seeds {args.seeds}", flush=True)
        table[chapter] = spreads(run_chapter(chapter, args.profile, args.seeds, build))
    for chapter, key, row in ((c, k, r) for c, rows in table.items() for k, r in rows.items()):
        need = "more than 1,000" if row["seeds_needed"] is None else row["seeds_needed"]
        print(f"{chapter:>16} {key:<28} sd {row['sd']:.3f} ({row['unit']}, {row['n']} seeds), "
              f"margin {row['margin']:.3f}: {need} seeds for 80% power"
              + ("" if row["testable"] else " (not testable in this pilot)"))
    if args.json:
        Path(args.json).write_text(json.dumps({"profile": args.profile, "seeds": args.seeds, "claims": table},
                                              indent=1))


if __name__ == "__main__":
    main()
