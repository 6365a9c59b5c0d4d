"""Pilot runs that fix Figure 1's judged target in each regime of the relu_vs_tanh chapter,
on pilot seeds kept apart from the chapter's sweep seeds (100-102) and reported seeds (0-4).

The ReLU network is trained at every rate of the regime's grid for ``--epochs`` epochs without
stopping; for each candidate target the script prints, per rate, the steps (and epochs) each
pilot seed needs to reach it (trailing mean over the chapter's window). The target is then the
easiest candidate that ReLU, at every rate of the grid, took at least two epochs and 300 steps
to reach in every pilot seed (``preregistration.FIGURE1_DIFFICULTY``); the runs' horizon is at
least six times ReLU's median steps there at its fastest rate (so that a 6x slower tanh is seen
uncensored).

    python benchmarks/figure1_pilots.py --json pilots.json     # about 5 minutes on 2 cores

Not part of the book's build: its output is summarised in the design log
(``analysis/design_log.py``, relu_vs_tanh's target and epochs).
"""
from __future__ import annotations

import argparse
import json
import statistics

from alexnet_repro.analysis import sweeps
from alexnet_repro.analysis.preregistration import FIGURE1_PILOT_SEEDS
from alexnet_repro.analysis.run_metrics import steps_to_target
from alexnet_repro.engine.config import TrainConfig

PILOT_SEEDS = list(FIGURE1_PILOT_SEEDS)
BASE = dict(dataset="fashion-mnist", limit=5000, val_limit=256, model="small_cnn",
            model_kwargs={"width": 0.5, "init": "kaiming"}, augment="none", weight_decay=0.0,
            schedule="fixed", batch_size=32, log_every=1, ten_crop_eval=False, progress=False)
REGIMES = {
    "first": ({}, [0.01, 0.03, 0.1]),
    "second": ({"recipe": "cuda-convnet-18pct", "init": "recipe", "input_scale": 255.0},
               [0.001, 0.003, 0.01, 0.03, 0.1]),
}
CANDIDATES = [0.25, 0.2, 0.18, 0.16, 0.15, 0.14, 0.13, 0.12, 0.11, 0.10, 0.09, 0.08, 0.07, 0.06, 0.05]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--limit", type=int, default=BASE["limit"], help="training images per run")
    ap.add_argument("--window", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--regimes", nargs="+", default=list(REGIMES))
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    out = {}
    for name in args.regimes:
        kw, lrs = REGIMES[name]
        base = TrainConfig.from_dict({**BASE, "epochs": args.epochs, "limit": args.limit,
                                      "model_kwargs": {**BASE["model_kwargs"], **kw, "activation": "relu"}})
        variants = {f"relu@{lr:g}": {"lr": lr} for lr in lrs}
        runs = sweeps.run_seeds(base, variants, PILOT_SEEDS, keep_models=False, diverged_ok=True,
                                workers=args.workers)
        spe = -(-args.limit // BASE["batch_size"])
        table = {}
        for v, recs in runs.items():
            table[v] = {}
            for t in CANDIDATES:
                steps = [steps_to_target(r["steps"], t, window=args.window) for r in recs]
                table[v][t] = steps
        out[name] = {"steps_per_epoch": spe, "epochs": args.epochs, "table": table}
        print(f"== regime {name} (steps per epoch {spe}, {args.epochs} epochs, seeds {PILOT_SEEDS})")
        for t in CANDIDATES:
            cells = []
            for v in variants:
                s = table[v][t]
                med = statistics.median([x if x is not None else float("inf") for x in s])
                cells.append(f"{v}: {s} (median {med / spe:.2f} ep)")
            print(f"  target {t:.2f}: " + " | ".join(cells))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
