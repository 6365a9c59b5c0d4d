"""Pilot runs that search for a regime where the lrn_pooling chapter's claim on local response
normalization (paper §3.3) can be judged, on pilot seeds kept apart from every seed the book
reports (0-19), sweeps (100-102) or pilots elsewhere (200-202, 300-301, 400-403).

The chapter's network with LRN and without (``lrn_pooling.variants``: the paper's network and
``no LRN``) is trained at its default size (its ``train`` dict, dropout as its base adds it) at
every input scale and learning rate of the grid, on every pilot seed. Per setting and arm it
prints the final validation top-1 errors, whether every seed learned (below
``preregistration.learned_below_pct``: half the chance error) and, for the LRN arm, the
neighbours' term in percent of k as the chapter measures it (``probes.lrn_readings`` on
``probe_images`` validation images: median over units, mean over networks, the LRN layer where
it is largest). Each arm's rate is then chosen on its own, as Figure 1's "rates chosen
independently per network": per scale, the rate with the lowest median final error over the
seeds. A scale has a regime where, at those picks, every run of both arms learned and the term
is at least ``preregistration.LRN_MIN_SHARE`` of k (``lrn_pooling.lrn_test``, the chapter's own
test).

    python benchmarks/lrn_pilots.py --json lrn.json       # about 3 minutes on 2 cores

``--gains`` trains at normalization gains instead (``AlexNet(norm_gain=g)``: each LRN layer works
on its input times g and divides by g again, the rest of the network at the input scale given),
as the chapter's second regime does since d027cde; that design came from

    python benchmarks/lrn_pilots.py --scales 1 --gains 32 45 64 --lrs 0.003 0.01 0.03 --seeds 510 511 512 513 514

Not part of the book's build.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics

from alexnet_repro.analysis import probes, sweeps
from alexnet_repro.analysis.preregistration import learned_below_pct
from alexnet_repro.chapters import lrn_pooling as lp
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.quoted.paper import PAPER

PILOT_SEEDS = [500, 501]
#: The chapter's default ``train`` dict (book/lrn_pooling.md), with the dropout its base adds.
BASE = {"dataset": "fashion-mnist", "limit": 1000, "val_limit": 1000, "image_size": 67, "crop_size": 67,
        "model": "alexnet", "model_kwargs": {"width": 0.125, "init": "kaiming", "input_scale": 1.0,
                                             "dropout": PAPER["dropout"]["p_drop"]},
        "augment": "none", "epochs": 20, "batch_size": 32, "lr": 0.01, "schedule": "step:15", "log_every": 4,
        "num_workers": 0, "ten_crop_eval": False, "progress": False}
PROBE_IMAGES = 256            # the chapter's probe_images
#: The rates tried at each input scale unless --lrs is given (else DEFAULT_LRS).
SCALE_LRS = {255.0: [0.0001, 0.0003, 0.001, 0.003], 1.0: [0.003, 0.01, 0.03, 0.1]}
DEFAULT_LRS = [0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03]
#: The two arms: this script's name -> the chapter's variant.
ARMS = {"LRN": lp.PAPER_NET, "no LRN": lp.NO_LRN}


def base_config(args) -> TrainConfig:
    """The chapter's base config at the sizes ``args`` give (the step at three quarters, as 15 of 20)."""
    return TrainConfig.from_dict({**BASE, "limit": args.limit, "val_limit": args.val_limit, "epochs": args.epochs,
                                  "schedule": f"step:{max(1, round(args.epochs * 0.75))}",
                                  "model_kwargs": {**BASE["model_kwargs"], "width": args.width}})


def train_setting(base, scale: float, lr: float, args, gain: float = 1.0) -> dict:
    """Both arms at input ``scale`` and rate ``lr`` on every seed (the config as the chapter's
    ``second_regime`` builds it); the LRN arm's trained networks probed as the chapter probes
    them. ``{arm: {"runs": [records], "probe": lrn_readings or None}}`` (models dropped)."""
    config, _ = lp.second_regime(base, {"input_scale": scale, "norm_gain": gain, "lr": lr})
    runs = sweeps.run_seeds(config, {arm: lp.variants()[name] for arm, name in ARMS.items()}, args.seeds,
                            keep_models=True, diverged_ok=True, workers=args.workers)
    out = {}
    for arm, recs in runs.items():
        ok = not any(r.get("diverged") for r in recs)
        probe = probes.lrn_readings(recs, args.probe_images) if arm == "LRN" and ok else None
        out[arm] = {"runs": [sweeps.Run(r.record) for r in recs], "probe": probe}
    return out


def val_pcts(recs) -> list:
    """Each run's final validation top-1 error in percent (None: diverged)."""
    return [None if r.get("diverged") else 100 * r["final"]["val_top1_error"] for r in recs]


def share_pct(recs, probe) -> float | None:
    """The neighbours' term in percent of k, as the chapter's ``lrn_pooling.lrn_test`` reads the
    ``probe`` of the LRN arm's runs ``recs`` (None: no probe, a run diverged). Only the share is
    read here, so the LRN arm stands in for both of the test's arms."""
    if probe is None:
        return None
    return 100 * max(lp.lrn_test({lp.PAPER_NET: recs, lp.NO_LRN: recs}, probe)["share"].values())


def median_error(row) -> float:
    """The median final error over seeds (a diverged run counts as infinite)."""
    return statistics.median([math.inf if v is None else v for v in row["val_pct"]])


def verdict(scale: float, rows: list, trained: dict) -> dict:
    """Per arm the rate of lowest median final error, and at those picks the chapter's
    ``lrn_test`` (every run learned, the LRN layer acts): ``{"scale", "picks", "found",
    "verdict", "reason"}``."""
    picks = {arm: min((r for r in rows if r["arm"] == arm), key=median_error)["lr"] for arm in ARMS}
    at = {arm: trained[picks[arm]][arm] for arm in ARMS}
    diverged = [arm for arm in ARMS if any(r.get("diverged") for r in at[arm]["runs"])]
    if diverged:
        found, reason = False, " and ".join(f"the {a} arm" for a in diverged) + " diverged in a seed at its pick"
    else:
        test = lp.lrn_test({name: at[arm]["runs"] for arm, name in ARMS.items()}, at["LRN"]["probe"])
        found, reason = test["testable"], test["reason"]
    return {"scale": scale, "picks": picks, "found": found, "verdict": "regime found" if found else "no regime",
            "reason": reason}


def arm_row(scale: float, lr: float, arm: str, got: dict) -> dict:
    """One JSON row: an arm at one scale and rate."""
    vals, recs = val_pcts(got["runs"]), got["runs"]
    limit = next((learned_below_pct(r["dataset"]["classes"]) for r in recs if not r.get("diverged")), None)
    return {"scale": scale, "lr": lr, "arm": arm, "val_pct": vals,
            "learned": limit is not None and all(v is not None and v < limit for v in vals),
            "share_pct": share_pct(recs, got["probe"]) if arm == "LRN" else None,
            "diverged": sum(1 for r in recs if r.get("diverged"))}


def row_text(row: dict) -> str:
    """An arm's cell of a setting's printed line."""
    vals = ", ".join("diverged" if v is None else f"{v:.1f}" for v in row["val_pct"])
    share = "" if row["share_pct"] is None else f", share {row['share_pct']:.2g}% of k"
    return (f"{row['arm']}: val [{vals}]%, {'learned' if row['learned'] else 'not learned'}{share}"
            + (f", {row['diverged']} diverged" if row["diverged"] else ""))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", nargs="+", type=float, default=[255.0, 1.0], help="input_scale values")
    ap.add_argument("--gains", nargs="+", type=float, default=[1.0],
                    help="normalization gains (norm_gain) tried at every scale; 1 is the paper's layer")
    ap.add_argument("--lrs", nargs="+", type=float, default=None,
                    help=f"rates tried at every scale (default per scale: {SCALE_LRS}, else {DEFAULT_LRS})")
    ap.add_argument("--seeds", nargs="+", type=int, default=PILOT_SEEDS)
    ap.add_argument("--epochs", type=int, default=BASE["epochs"])
    ap.add_argument("--limit", type=int, default=BASE["limit"], help="training images per run")
    ap.add_argument("--val-limit", type=int, default=BASE["val_limit"], help="validation images per run")
    ap.add_argument("--width", type=float, default=BASE["model_kwargs"]["width"])
    ap.add_argument("--probe-images", type=int, default=PROBE_IMAGES)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    base, out = base_config(args), {"rows": [], "scales": []}
    for scale, gain in [(s, g) for s in args.scales for g in args.gains]:
        rows, trained, where = [], {}, f"input x{scale:g}" + (f", gain {gain:g}" if gain != 1 else "")
        for lr in args.lrs or SCALE_LRS.get(scale, DEFAULT_LRS):
            trained[lr] = train_setting(base, scale, lr, args, gain)
            cells = []
            for arm, got in trained[lr].items():
                rows.append({**arm_row(scale, lr, arm, got), "gain": gain})
                cells.append(row_text(rows[-1]))
            print(f"{where}, lr {lr:g}: " + " | ".join(cells), flush=True)
        out["rows"] += rows
        out["scales"].append({**verdict(scale, rows, trained), "gain": gain})
        v = out["scales"][-1]
        print(f"== {where}: picks " + ", ".join(f"{a} {lr:g}" for a, lr in v["picks"].items())
              + f": {v['verdict']}" + (f" ({v['reason']})" if v["reason"] else ""), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
