"""Which learning-rate rule gives the final chapter a headline that holds (issue 13)?

Pre-registered before the run (nothing here is chosen from its results):
- network and data: the final chapter's default settings (AlexNet width 0.25, two towers,
  76-px Fashion-MNIST with the paper's augmentation, batch 128, lr 0.01), shortened to
  ``--limit`` training images and ``--epochs`` epochs so that the comparison fits in minutes;
- rules: ``plateau`` with patience 1 (the old default, which dropped the rate at epochs
  11/13/14 on one machine and 5/8/10 on another), ``plateau`` with patience 2, and
  ``released`` (the drops of the authors' 2012 run, scaled to the run's length);
- seeds 0..``--seeds``-1, the same for every rule (paired), each drawing its own subset;
- metrics: the final centre-crop validation top-1 error per seed -> mean with a 95% t-interval
  and the standard deviation over seeds (the spread a reader sees between two builds), and
  the epochs at which each run dropped its rate (a rule that reacts to noise drops at
  different epochs from seed to seed);
- decision: the rule with the smallest spread over seeds, unless its mean error is worse than
  another rule's by more than that rule's interval half-width.

    python benchmarks/lr_rules.py [--limit 4000] [--epochs 12] [--seeds 3] [--workers 2] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alexnet_repro.analysis import sweeps  # noqa: E402
from alexnet_repro.analysis.verdicts import mean_interval  # noqa: E402
from alexnet_repro.engine.config import TrainConfig  # noqa: E402

RULES = {"plateau, patience 1": {"schedule": "plateau", "plateau_patience": 1},
         "plateau, patience 2": {"schedule": "plateau", "plateau_patience": 2},
         "released": {"schedule": "released"}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=4000)
    ap.add_argument("--val-limit", type=int, default=2000)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    base = TrainConfig(dataset="fashion-mnist", limit=args.limit, val_limit=args.val_limit, image_size=76,
                       model="alexnet", model_kwargs={"width": 0.25, "towers": 2, "init": "kaiming"},
                       augment="paper", epochs=args.epochs, batch_size=128, lr=0.01, log_every=10,
                       ten_crop_eval=False, device="cpu", progress=False)
    start = time.perf_counter()
    runs = sweeps.run_seeds(base, RULES, range(args.seeds), keep_models=False, workers=args.workers)
    out = {"settings": {"limit": args.limit, "val_limit": args.val_limit, "epochs": args.epochs,
                        "seeds": args.seeds}, "wall_s": time.perf_counter() - start, "rules": {}}
    for rule, rs in runs.items():
        errs = [100 * r.record["final"]["val_top1_error"] for r in rs]
        ci = mean_interval(errs)
        drops = [[d["epoch"] for d in r.record.get("lr_drops", [])] for r in rs]
        out["rules"][rule] = {"errors_pct": errs, "mean": ci["mean"], "lo": ci["lo"], "hi": ci["hi"],
                              "sd": statistics.stdev(errs) if len(errs) > 1 else None, "drop_epochs": drops}
        print(f"{rule:22s} top-1 {ci['mean']:.2f}% [{ci['lo']:.2f}, {ci['hi']:.2f}]  sd {out['rules'][rule]['sd']:.2f}"
              f"  per seed {', '.join(f'{e:.2f}' for e in errs)}  drops at epochs {drops}")
    print(f"wall {out['wall_s']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
