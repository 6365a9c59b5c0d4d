"""Shared fixtures: a temporary build folder for the whole session, the book built once per
session under the `ci` profile (in a temporary folder of its own), one torch thread for tiny
models, a tiny AlexNet set-up, generated image folders."""
from __future__ import annotations

import functools
import os
import shutil
import signal
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
import torch


@pytest.fixture
def one_thread():
    """Tiny models on one torch thread (extra threads only contend on a shared machine)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


class SigintAfter(torch.utils.data.Dataset):
    """Wraps a dataset; sends SIGINT to this process when serving the n-th training batch (a
    batch of ``batch_size`` items through ``get_batch``): an interruption at a known step."""

    def __init__(self, base, n, batch_size):
        self.base, self.n, self.batch_size, self.calls = base, n, batch_size, 0

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        return self.base[i]

    def get_batch(self, idx):
        if len(idx) == self.batch_size:
            self.calls += 1
            if self.calls == self.n:
                os.kill(os.getpid(), signal.SIGINT)
        return self.base.get_batch(idx)


def tiny_alexnet_setup():
    """A synthetic one-channel dataset at 67 px and a one-epoch config of a narrow AlexNet with
    dropout: ``(data, config)``, for tests that need a trained network in seconds."""
    from alexnet_repro.data.registry import load_dataset
    from alexnet_repro.engine.config import TrainConfig

    data = load_dataset("synthetic", limit=48, val_limit=24, image_size=67, seed=0, channels=1)
    cfg = TrainConfig(dataset="synthetic", image_size=67, crop_size=67, model="alexnet",
                      model_kwargs={"width": 0.0625, "init": "kaiming", "dropout": 0.5},
                      augment="none", epochs=1, batch_size=16, device="cpu", progress=False,
                      ten_crop_eval=False, schedule="fixed")
    return data, cfg


@pytest.fixture(scope="session", autouse=True)
def scratch_build_dir(tmp_path_factory):
    """Every test runs with ALEXNET_BUILD_DIR in a temporary folder: nothing the suite executes
    or renders lands in the repository's ``_build`` (the reader's book). A test that builds sets
    its own folder on top of this one."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ALEXNET_BUILD_DIR", str(tmp_path_factory.mktemp("scratch-build")))
        yield


def build_ci_book(build_dir, only=None):
    """``runner.build_book("ci", only)`` with ``build_dir`` as the build folder; returns the
    path of the book's index.html (``<build_dir>/html/ci/index.html``)."""
    from alexnet_repro.bookrun import runner

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ALEXNET_BUILD_DIR", str(build_dir))
        return runner.build_book("ci", only)


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """Every chapter executed under `ci` and rendered, in a temporary build folder (never the
    repository's ``_build``); returns the html folder, ``<build>/html/ci``."""
    return build_ci_book(tmp_path_factory.mktemp("build")).parent


def make_jpeg_folder(root, classes=("n001", "n002", "n003"), train_per_class=4, val_per_class=2, seed=0):
    """An ImageNet-layout folder of generated JPEGs (varied non-square sizes, smooth content with
    texture) plus one corrupt file ``train/<first class>/corrupt.JPEG``; returns ``root``."""
    from pathlib import Path

    import numpy as np
    from PIL import Image

    root, rng = Path(root), np.random.default_rng(seed)
    for split, n in (("train", train_per_class), ("val", val_per_class)):
        for c in classes:
            folder = root / split / c
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                h, w = (int(v) for v in rng.integers(200, 340, 2))
                y, x = np.mgrid[0:h, 0:w] / max(h, w)
                f = rng.uniform(1, 4, 3)
                img = np.stack([0.5 + 0.4 * np.sin(2 * np.pi * (f[k] * x + (k + 1) * y)) for k in range(3)], -1)
                img = img + rng.normal(0, 0.02, img.shape)
                Image.fromarray((img.clip(0, 1) * 255).astype(np.uint8)).save(folder / f"img{i}.JPEG", quality=95)
    (root / "train" / classes[0] / "corrupt.JPEG").write_bytes(b"\xff\xd8 this is not a JPEG")
    return root


@pytest.fixture(scope="session")
def jpeg_folder(tmp_path_factory):
    return make_jpeg_folder(tmp_path_factory.mktemp("jpegs"))


@pytest.fixture(scope="session")
def prepared_folder(jpeg_folder, tmp_path_factory):
    """``jpeg_folder`` prepared once (quality 95, 5 images per shard, in this process)."""
    from alexnet_repro.data.prepare import prepare_folder

    dst = tmp_path_factory.mktemp("prepared")
    prepare_folder("imagenet", jpeg_folder, dst, quality=95, shard_images=5, workers=1, progress=False)
    return dst


# --- the built book, served on the loopback for the browser tests (test_browser, test_reader_pages)

@pytest.fixture(scope="module")
def html_root(request) -> Path:
    """The built HTML: ALEXNET_TEST_HTML (a folder holding index.html) or the `ci` build of
    `built_book`."""
    given = os.environ.get("ALEXNET_TEST_HTML")
    root = Path(given) if given else request.getfixturevalue("built_book")
    if not (root / "index.html").exists():
        pytest.fail(f"no built book at {root} (index.html missing); build one with "
                    f"`python -m alexnet_repro book --profile ci` (it lands in _build/html/ci)")
    return root


@pytest.fixture(scope="module")
def server(html_root):
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(Quiet, directory=str(html_root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


# --- Debian's chromium, driven by playwright, for the browser tests

REPO = Path(__file__).resolve().parents[1]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
INSTALL = ("apt-get install -y chromium && pip install 'playwright>=1.45' "
           "(do not run `playwright install`: the test drives Debian's chromium)")


def require_browser():
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright")
    if not Path(CHROMIUM).exists():
        missing.append(f"chromium ({CHROMIUM})")
    if missing:
        message = f"browser test needs {' and '.join(missing)}; install with: {INSTALL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A fresh chromium profile; every request routed: non-local ones refused and recorded."""
    require_browser()
    from playwright.sync_api import sync_playwright

    outside: list[str] = []

    def route(r):
        url = r.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            outside.append(url)
            r.abort()
        else:
            r.continue_()

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 1000})
        context.route("**/*", route)
        context.outside_requests = outside
        yield context
        context.close()
    assert not outside, f"requests left the machine: {outside}"


def chapter_pages(html_root: Path) -> list[str]:
    """Relative URLs of every chapter of _toc.yml that the build has."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]] + [e["file"] for part in toc.get("parts", [toc])
                             for e in part.get("chapters", [])]
    pages = [f"{f}.html" for f in files if (html_root / f"{f}.html").exists()]
    assert pages, f"no chapter page of _toc.yml in {html_root}"
    return pages
