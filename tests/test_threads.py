"""--threads: how many training processes a chapter runs at once and with how many threads."""
from __future__ import annotations

import os

import pytest
import torch

from alexnet_repro.bookrun import runner
from alexnet_repro.bookrun.notebook import kernel_threads, seed_workers
from alexnet_repro.common.errors import ConfigError
from alexnet_repro.engine.config import THREADS_ENV, TrainConfig


@pytest.fixture
def keep_threads(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.delenv(THREADS_ENV, raising=False)
    yield monkeypatch
    torch.set_num_threads(before)


def test_one_thread_per_process_one_process_per_core_by_default(keep_threads):
    cores = os.cpu_count() or 1
    assert kernel_threads() == 1 and torch.get_num_threads() == 1
    assert seed_workers(TrainConfig(device="cpu"), 1) == cores


def test_threads_set_the_kernel_and_divide_the_cores(keep_threads):
    cores = os.cpu_count() or 1
    keep_threads.setenv(THREADS_ENV, "2")
    threads = kernel_threads()
    assert threads == torch.get_num_threads() == min(2, cores)
    assert seed_workers(TrainConfig(device="cpu"), threads) == max(1, cores // 2)
    keep_threads.setenv(THREADS_ENV, str(10 * cores))        # more threads than cores: one process
    assert seed_workers(TrainConfig(device="cpu"), kernel_threads()) == 1


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_a_bad_thread_count_is_a_clear_error(keep_threads, bad):
    keep_threads.setenv(THREADS_ENV, bad)
    with pytest.raises(ConfigError, match="whole number of threads"):
        kernel_threads()


def test_the_book_cli_passes_threads_to_the_chapters_and_rejects_zero(keep_threads, capsys):
    seen = {}
    keep_threads.setattr(runner, "build_book", lambda *a, **k: seen.setdefault("env", os.environ.get(THREADS_ENV)))
    assert runner.main(["--threads", "2", "--no-html"]) == 0
    assert seen["env"] == "2"
    assert runner.main(["--threads", "0"]) == 1
    assert "--threads must be 1 or more" in capsys.readouterr().err


def test_the_thread_count_is_part_of_a_chapters_cache_key(keep_threads):
    params = {"profile": "ci", "results_dir": "x"}
    keep_threads.setenv(THREADS_ENV, "1")
    one = runner.cache_key("dropout", params)
    keep_threads.setenv(THREADS_ENV, "2")
    assert runner.cache_key("dropout", params) != one
