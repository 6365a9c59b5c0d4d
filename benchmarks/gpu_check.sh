#!/usr/bin/env bash
# The prepared GPU check: every CUDA code path of the project, its speed, and ~2 minutes of
# training, in at most 8 minutes on one H100/H200, writing every figure as JSON to OUTDIR.
#
#   benchmarks/gpu_check.sh OUTDIR          (PYTHON=/path/to/python to choose the interpreter)
#
# Needs only PyTorch (>= 2.2), torchvision and this repository. On a machine without CUDA it
# runs end to end in a CPU mode that skips (and says so) what needs a GPU, with tiny sizes.
# Steps (each under its own time limit, 110+170+60+130 s at most, plus the optional chapter only
# while 80 s are left; a failing step is recorded and the rest still run):
#   1. env.json         torch/torchvision/GPU
#   2. cuda_tests.json  pytest -m cuda (bf16, channels_last, compile, LRN, DDP 1 process, GPU loader)
#   3. throughput/      bench_throughput.py on CUDA (bf16/channels_last/compile off and on)
#   4. input.json       bench_input.py (GPU decode + augmentation vs two-tower bf16 training)
#   5. train.json       the engine on generated ImageNet-layout data at 227 px (two towers), reading
#                       the shards through its device path (nvJPEG decode on the GPU)
#   6. chapter.json     the final chapter under the ci profile, if papermill is installed
#   summary.json        the headline figures and each step's status
set -u
OUT=${1:?usage: benchmarks/gpu_check.sh OUTDIR}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONWARNINGS=ignore::DeprecationWarning
START=$(date +%s)
CUDA=$("$PY" -c "import torch; print(int(torch.cuda.is_available()))") || { echo "error: $PY cannot import torch"; exit 2; }
if [ "$CUDA" = 1 ]; then MODE=cuda; else MODE=cpu; echo "NOTE: no CUDA device: CPU mode, tiny sizes; CUDA tests and GPU benchmarks are skipped"; fi
: > "$OUT/steps.jsonl"

step() {   # step NAME LIMIT_S COMMAND...: run, time, record status
  local name=$1 limit=$2; shift 2
  local t0=$(date +%s) rc
  echo "== $name (limit ${limit}s)"
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1; rc=$?
  tail -n 15 "$OUT/$name.log"
  echo "{\"step\": \"$name\", \"rc\": $rc, \"seconds\": $(( $(date +%s) - t0 )), \"timed_out\": $([ $rc = 124 ] && echo true || echo false)}" >> "$OUT/steps.jsonl"
}
skip() { echo "== $1: SKIPPED ($2)"; echo "{\"step\": \"$1\", \"skipped\": \"$2\"}" >> "$OUT/steps.jsonl"; }

"$PY" - "$OUT/env.json" "$MODE" <<'PY'
import json, sys, torch, torchvision
gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
json.dump({"mode": sys.argv[2], "torch": torch.__version__, "torchvision": torchvision.__version__,
           "gpu": gpu, "cuda": torch.version.cuda, "cpus": __import__("os").cpu_count()}, open(sys.argv[1], "w"), indent=1)
print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, GPU {gpu}")
PY

step cuda_tests 110 "$PY" -m pytest -q -m cuda -p no:cacheprovider tests/test_cuda.py tests/test_shards.py --junitxml="$OUT/cuda_tests.xml"
"$PY" - "$OUT" <<'PY'
import json, sys, xml.etree.ElementTree as ET
out = sys.argv[1]
try:
    cases = ET.parse(f"{out}/cuda_tests.xml").getroot().iter("testcase")
except (OSError, ET.ParseError):
    cases = []
res = {}
for c in cases:
    kind = next((ch.tag for ch in c if ch.tag in ("failure", "error", "skipped")), "passed")
    res[f"{c.get('classname')}::{c.get('name')}"] = kind
json.dump(res, open(f"{out}/cuda_tests.json", "w"), indent=1)
print({k: sum(v == k for v in res.values()) for k in ("passed", "failed", "error", "skipped")})
PY

if [ "$MODE" = cuda ]; then
  step throughput 170 "$PY" benchmarks/bench_throughput.py --quick --out "$OUT/throughput"
else
  skip throughput "no CUDA device: run 'python benchmarks/bench_throughput.py --quick' for the CPU figures"
fi

if [ "$MODE" = cuda ]; then
  step input 60 "$PY" benchmarks/bench_input.py --images 256 --repeats 2 --json "$OUT/input.json"
else
  step input 120 "$PY" benchmarks/bench_input.py --images 16 --repeats 1 --json "$OUT/input.json"
fi

step train 130 "$PY" - "$OUT" "$MODE" <<'PY'
"""The engine on generated ImageNet-layout data: one epoch to measure, then about 75 s more.
On CUDA the engine reads the prepared shards through its device path (batched nvJPEG decode
and augmentation on the GPU, no DataLoader); on a CPU through the DataLoader path."""
import json, math, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, "benchmarks")
from bench_input import make_images
from alexnet_repro.data import shards
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.data.prepare import prepare_folder
from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.engine.loop import train
out, mode = Path(sys.argv[1]), sys.argv[2]
gpu = mode == "cuda"
with tempfile.TemporaryDirectory() as tmp:
    t0 = time.perf_counter()
    make_images(Path(tmp) / "src", 4096 if gpu else 24, classes=8, distinct=512 if gpu else None)
    prepare_folder("imagenet", Path(tmp) / "src", Path(tmp) / "prep", size=256 if gpu else 80,
                   workers=8 if gpu else 1, progress=False)
    prep_s = time.perf_counter() - t0
    base = dict(dataset="prepared", data_root=str(Path(tmp) / "prep"), model="alexnet", augment="paper",
                batch_size=128 if gpu else 8, num_workers=0, progress=False, lr=0.01,
                model_kwargs={"towers": 2} if gpu else {"towers": 2, "width": 0.25},
                crop_size=None if gpu else 71, ten_crop_eval=gpu)
    data = load_dataset("prepared", base["data_root"])
    path = "device" if shards.device_input(shards.for_device(data.train, "cuda" if gpu else "cpu"),
                                           "cuda" if gpu else "cpu") else "dataloader"
    first = train(TrainConfig(**base, epochs=1), data=data).record      # no out_dir: no checkpoint writes
    rate = first["images_per_s"]
    epochs = max(1, math.ceil(75 * rate / first["dataset"]["train_images"])) if gpu else 1
    rec = train(TrainConfig(**base, epochs=epochs), data=data).record
summary = {"prepare_s": prep_s, "input_path": path, "crop_size": rec["dataset"]["crop_size"], "epochs": epochs,
           "train_images_per_s": rec["images_per_s"], "wall_time_s": rec["wall_time_s"],
           "first_epoch_images_per_s": rate, "final": rec["final"], "hardware": rec["hardware"],
           "history": rec["history"]}
json.dump(summary, open(out / "train.json", "w"), indent=1, default=str)
print(f"trained {epochs} epochs at crop {summary['crop_size']}: {rec['images_per_s']:.0f} images/s "
      f"(engine {path} path over prepared shards), {rec['wall_time_s']:.0f} s")
PY

if ! "$PY" -c "import papermill" 2>/dev/null; then
  skip chapter "papermill is not installed (optional)"
elif [ "$MODE" != cuda ]; then
  skip chapter "no CUDA device (the CPU book build covers the chapter)"
elif [ $(( $(date +%s) - START )) -gt 400 ]; then
  skip chapter "less than 80 s left of the 8-minute budget"
else
  step chapter 60 "$PY" -m alexnet_repro book --profile ci --chapter full_training
fi

"$PY" - "$OUT" "$START" <<'PY'
import json, sys, time
from pathlib import Path
out, start = Path(sys.argv[1]), int(sys.argv[2])
def load(name):
    p = out / name
    return json.loads(p.read_text()) if p.is_file() else None
steps = [json.loads(l) for l in (out / "steps.jsonl").read_text().splitlines() if l.strip()]
s = {"env": load("env.json"), "steps": steps, "total_seconds": int(time.time()) - start}
thr = load("throughput/bench_throughput.json")
if thr:
    s["two_tower_images_per_s"] = {r["model"]: r["images_per_s"] for r in thr["models"] if "2 towers" in r["model"]}
    best = max(s["two_tower_images_per_s"].values())
    s["two_tower_best_images_per_s"] = best
    s["hours_for_90_imagenet_epochs_at_best"] = 90 * 1_281_167 / best / 3600
    s["goal_40k_images_per_s"] = best >= 40_000
    # the two-tower nets with LRN are judged on CUDA only under torch.compile (the fused normalization)
    s["efficiency_goals"] = {g["goal"]: {"ratio": round(g["ratio"], 3), "pass": g["pass"]} for g in thr["goals"]}
inp = load("input.json")
if inp:
    s["input"] = {k: v for k, v in inp.items() if isinstance(v, (int, float, bool))}
tr = load("train.json")
if tr:
    s["train"] = {k: tr.get(k) for k in ("epochs", "crop_size", "train_images_per_s", "wall_time_s", "input_path")}
tests = load("cuda_tests.json") or {}
s["cuda_tests"] = {k: sum(v == k for v in tests.values()) for k in ("passed", "failure", "error", "skipped")}
s["failed_steps"] = [x["step"] for x in steps if x.get("rc", 0) != 0]
(out / "summary.json").write_text(json.dumps(s, indent=1))
print(json.dumps({k: v for k, v in s.items() if k not in ("steps", "env")}, indent=1))
PY
echo "gpu_check: figures in $OUT (summary.json); $(( $(date +%s) - START )) s"
