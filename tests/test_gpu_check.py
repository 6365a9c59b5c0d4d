"""benchmarks/gpu_check.sh runs end to end; without CUDA in its CPU mode, saying what it skipped."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_gpu_check_runs_and_writes_json(tmp_path):
    proc = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), str(tmp_path)],
                          env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["failed_steps"] == []
    assert summary["input"]["prepared_images_per_s_per_core"] > 0 and summary["train"]["epochs"] >= 1
    assert summary["cuda_tests"]["failure"] == summary["cuda_tests"]["error"] == 0
    # the training step reads the shards through the engine's device path on CUDA
    assert summary["train"]["input_path"] == ("device" if torch.cuda.is_available() else "dataloader")
    steps = {s["step"]: s for s in summary["steps"]}
    if not torch.cuda.is_available():
        assert "no CUDA device" in steps["throughput"]["skipped"]
        assert "CPU mode" in proc.stdout
        assert summary["cuda_tests"]["passed"] >= 1          # the gloo DDP test runs on a CPU
