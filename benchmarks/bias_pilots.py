"""Pilot runs for the claim on biases of 1 (paper §5) under the paper's initialisation: which
size and input scale of the training_details chapter's AlexNet trains from N(0, 0.01²) weights
(``init="paper"``, the text's) or from the released configuration's (``"released-2012"``: 0.03 in
conv3-conv5), with every bias 0 and with the paper's biases of 1, on pilot seeds kept apart from
the chapter's seeds (10-19).

For each setting it prints, per arm, the training error at the chapter's early step (trailing
mean over its window, as the claim reads it) and the final validation error of each pilot seed.
A setting is usable for the claim only where both arms learn (final validation error below half
the chance level in every seed).

    python benchmarks/bias_pilots.py                      # about 3 minutes on 2 cores

Not part of the book's build; its output is summarised in the design log.
"""
from __future__ import annotations

import argparse
import itertools
import json

from alexnet_repro.analysis import sweeps
from alexnet_repro.engine.config import TrainConfig

PILOT_SEEDS = [300, 301]
BASE = dict(dataset="fashion-mnist", limit=700, val_limit=500, image_size=76, crop_size=67, model="alexnet",
            augment="paper", weight_decay=0.0005, epochs=12, batch_size=32, lr=0.01, schedule="step:9",
            log_every=4, ten_crop_eval=False, progress=False)


def early(run, step=64, window=4):
    """The training error over the last ``window`` logged entries up to ``step`` (None: none logged)."""
    rows = [r for r in run["steps"] if r["step"] <= step][-window:]
    if not rows:
        return None
    return sum(r["train_top1_error"] * r["images"] for r in rows) / sum(r["images"] for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inits", nargs="+", default=["paper", "released-2012"])
    ap.add_argument("--scales", nargs="+", type=float, default=[1.0, 255.0])
    ap.add_argument("--widths", nargs="+", type=float, default=[0.125, 0.25])
    ap.add_argument("--lrs", nargs="+", type=float, default=[0.01])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=BASE["limit"], help="training images per run")
    ap.add_argument("--epochs", type=int, default=BASE["epochs"])
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    out = []
    for init, scale, width, lr in itertools.product(args.inits, args.scales, args.widths, args.lrs):
        base = TrainConfig.from_dict({**BASE, "lr": lr, "limit": args.limit, "epochs": args.epochs,
                                      "schedule": f"step:{max(1, round(args.epochs * 0.75))}", "model_kwargs": {
            "width": width, "init": init, "input_scale": scale, "towers": 2}})
        variants = {f"bias {int(b)}": {"model_kwargs": {"bias_one": b}} for b in (False, True)}
        runs = sweeps.run_seeds(base, variants, PILOT_SEEDS, keep_models=False, diverged_ok=True,
                                workers=args.workers)
        cells, row = [], {"init": init, "input_scale": scale, "width": width, "lr": lr, "arms": {}}
        for v, recs in runs.items():
            if any(r.get("diverged") for r in recs):
                cells.append(f"{v}: diverged")
                row["arms"][v] = None
                continue
            row["arms"][v] = {"early_pct": [None if early(r) is None else round(100 * early(r), 1) for r in recs],
                              "val_pct": [round(100 * r["final"]["val_top1_error"], 1) for r in recs]}
            cells.append(f"{v}: early {row['arms'][v]['early_pct']} val {row['arms'][v]['val_pct']}")
        out.append(row)
        print(f"init {init}, input x{scale:g}, width {width:g}, lr {lr:g}: " + " | ".join(cells), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
