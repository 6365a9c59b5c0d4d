"""``sweeps.run_seeds(..., workers=N)``: seeds trained at once in one-thread processes give the
same records as the engine trained here (bit for bit at one thread; to rounding otherwise)."""
from __future__ import annotations

import math

import pytest
import torch

from alexnet_repro.analysis import sweeps
from alexnet_repro.data.registry import load_dataset
from alexnet_repro.engine.config import TrainConfig

BASE = TrainConfig(dataset="synthetic", limit=64, val_limit=32, image_size=36, model="small_cnn",
                   model_kwargs={"width": 0.25, "init": "kaiming"}, augment="paper", epochs=2,
                   batch_size=16, lr=0.02, log_every=1, progress=False, ten_crop_eval=True)
VARIANTS = {"relu": {}, "tanh": {"model_kwargs": {"activation": "tanh"}}}
TIMES = {"epoch_time_s", "train_images_per_s"}


def _numbers(rec: dict) -> dict:
    return {"history": [{k: v for k, v in h.items() if k not in TIMES} for h in rec["history"]],
            "steps": rec["steps"], "final": rec["final"], "variant": rec["variant"], "seed": rec["seed"]}


def _here(data, threads: int):
    n = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return sweeps.run_seeds(BASE, VARIANTS, [0, 1], data=data, eval_train_split=True)
    finally:
        torch.set_num_threads(n)


@pytest.fixture(scope="module")
def data():
    return load_dataset("synthetic", limit=64, val_limit=32, image_size=36, seed=0)


@pytest.fixture(scope="module")
def pooled(data):
    calls = []
    runs = sweeps.run_seeds(BASE, VARIANTS, [0, 1], data=data, eval_train_split=True, workers=2,
                            on_run=lambda name, seed, rec: calls.append((name, seed)))
    return runs, calls


def test_workers_give_the_one_thread_engines_records_bit_for_bit(data, pooled):
    runs, calls = pooled
    assert calls == [("relu", 0), ("relu", 1), ("tanh", 0), ("tanh", 1)]   # same order as in-process
    here = _here(data, 1)
    for name in VARIANTS:
        for a, b in zip(runs[name], here[name]):
            assert a.record["hardware"]["torch_threads"] == 1
            assert _numbers(a.record) == _numbers(b.record)
            assert a.result.data is data                                   # the caller's bundle
            for p, q in zip(a.model.parameters(), b.model.parameters()):
                assert torch.equal(p, q)


def test_workers_match_the_default_thread_count_to_rounding(data, pooled):
    runs, _ = pooled
    here = _here(data, 2)
    for name in VARIANTS:
        for a, b in zip(runs[name], here[name]):
            la = [s["train_loss"] for s in a.record["steps"]]
            lb = [s["train_loss"] for s in b.record["steps"]]
            assert all(math.isclose(x, y, rel_tol=1e-4) for x, y in zip(la, lb)), (la, lb)
            assert math.isclose(a.record["final"]["val_loss"], b.record["final"]["val_loss"], rel_tol=1e-4)


def test_cached_runs_are_not_trained_again(data, pooled):
    runs, _ = pooled
    cache: dict = {}
    first = sweeps.run_seeds(BASE, {"relu": {}}, [0], data=data, cache=cache, workers=2)
    again = sweeps.run_seeds(BASE, {"relu": {}}, [0], data=data, cache=cache, workers=2,
                             train_fn=_must_not_train)
    assert _numbers(again["relu"][0].record) == _numbers(first["relu"][0].record)
    assert first["relu"][0].record["steps"] == runs["relu"][0].record["steps"]


def _must_not_train(*args):
    raise AssertionError("a cached run was trained again")
