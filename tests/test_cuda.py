"""CUDA code paths (bf16 autocast, channels_last, torch.compile, the LRN layer, the engine on a
GPU) and DDP with one process. Marked ``cuda``: skipped without a CUDA device except the gloo
DDP test, which also runs on a CPU. ``benchmarks/gpu_check.sh`` runs all of them on a GPU."""
from __future__ import annotations

import socket

import pytest
import torch

from alexnet_repro.engine.config import TrainConfig
from alexnet_repro.engine.loop import train
from alexnet_repro.engine.sgd import train_step
from alexnet_repro.nn.layers import LocalResponseNorm
from alexnet_repro.nn.model import build_model

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
pytestmark = pytest.mark.cuda


def _batch(n=8, size=227, device="cuda", seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, size, size, generator=g).to(device), torch.randint(0, 10, (n,), generator=g).to(device)


def _model(device, seed=0, towers=2):
    torch.manual_seed(seed)
    return build_model("alexnet", num_classes=10, towers=towers, init="kaiming").to(device)


@needs_cuda
def test_lrn_on_cuda_matches_a_float64_formula():
    x = torch.randn(2, 8, 5, 5, dtype=torch.float64)
    n, alpha, beta, k = 5, 1e-2, 0.75, 2.0
    ref = torch.empty_like(x)
    for i in range(8):   # the paper's formula, channel by channel, clipped window
        lo, hi = max(0, i - n // 2), min(7, i + n // 2)
        ref[:, i] = x[:, i] / (k + alpha * (x[:, lo:hi + 1] ** 2).sum(1)) ** beta
    xg = x.float().cuda().requires_grad_()
    out = LocalResponseNorm(n, alpha, beta, k)(xg)
    torch.testing.assert_close(out.double().cpu(), ref, rtol=1e-5, atol=1e-6)
    out.sum().backward()
    xr = x.clone().requires_grad_()
    LocalResponseNorm(n, alpha, beta, k)(xr).sum().backward()
    torch.testing.assert_close(xg.grad.double().cpu(), xr.grad, rtol=1e-4, atol=1e-5)


@needs_cuda
def test_channels_last_and_compile_give_the_same_outputs():
    x, _ = _batch()
    model = _model("cuda").eval()
    with torch.no_grad():
        ref = model(x)
        cl = model.to(memory_format=torch.channels_last)(x.contiguous(memory_format=torch.channels_last))
        comp = torch.compile(model)(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(cl, ref, rtol=1e-3, atol=1e-3)
    torch.testing.assert_close(comp, ref, rtol=1e-3, atol=1e-3)


@needs_cuda
def test_bf16_autocast_step_is_close_to_fp32():
    x, y = _batch()
    losses = {}
    for amp in (None, torch.bfloat16):
        model = _model("cuda")
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        losses[amp] = train_step(model, opt, x, y, amp_dtype=amp)[0] / len(y)
        assert all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in model.parameters())
    assert abs(losses[torch.bfloat16] - losses[None]) < 0.05 * abs(losses[None]) + 1e-3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("backend", ["gloo", pytest.param("nccl", marks=needs_cuda)])
def test_ddp_with_one_process_equals_a_plain_step(backend):
    import torch.distributed as dist
    device = "cuda" if backend == "nccl" else "cpu"
    x, y = _batch(4, device=device)
    plain = _model(device)
    train_step(plain, torch.optim.SGD(plain.parameters(), lr=0.01), x, y)
    dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1)
    try:
        raw = _model(device)
        ddp = torch.nn.parallel.DistributedDataParallel(raw, **({"device_ids": [0]} if device == "cuda" else {}))
        train_step(ddp, torch.optim.SGD(raw.parameters(), lr=0.01), x, y)
    finally:
        dist.destroy_process_group()
    for a, b in zip(plain.parameters(), raw.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


@needs_cuda
@pytest.mark.parametrize("compile", [False, True])
def test_the_engine_trains_on_cuda(tmp_path, compile):
    cfg = TrainConfig(dataset="synthetic", limit=64, val_limit=32, image_size=80, crop_size=71, model="alexnet",
                      model_kwargs={"width": 0.25, "init": "kaiming"}, epochs=1, batch_size=16, device="cuda",
                      compile=compile, progress=False, out_dir=str(tmp_path))
    rec = train(cfg).record
    assert rec["hardware"]["device"].startswith("cuda") and rec["final"]["steps"] == 4
    assert rec["config"]["amp"] == "auto" and rec["final"]["val_top1_error"] is not None
