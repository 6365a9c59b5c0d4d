"""The built book in a real browser: Debian's chromium, headless, driven by Playwright.

The HTML is the `ci` build (the session fixture `built_book`, in a temporary build folder), or
an existing build named by the environment variable ALEXNET_TEST_HTML (a folder holding
index.html, e.g. ``_build/html/default``: read, never written). It is served on 127.0.0.1 and
checked for:
- every chapter page loads with no JavaScript error, no console error, no failed local request,
  and its widgets render;
- no request leaves the machine (every request is routed; any host other than 127.0.0.1 or
  localhost is recorded, refused and fails the test);
- on the activation explorer, choosing another image and another layer changes the picture
  shown, to the picture the widget state holds for that (image, layer).
A screenshot of the explorer is written to pytest's temporary folder,
``<basetemp>/test-artifacts/explorer.png`` (e.g. ``/tmp/pytest-of-$USER/pytest-current/``), never
beside the HTML.

Needs chromium (``apt-get install -y chromium``) and the Python package playwright
(``pip install 'playwright>=1.45'``); never ``playwright install`` (no browser download).
Missing either is a failure when the CI environment variable is set, a skip otherwise.
"""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from conftest import chapter_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 30_000


# --------------------------------------------------------------------------- fixtures


def open_page(context, url):
    """Load ``url``; return (page, problems) with JS errors, console errors, failed requests."""
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
    page.on("console", lambda msg: msg.type == "error" and problems.append(
        f"console error: {msg.text} ({msg.location.get('url', '')})"))
    page.on("requestfailed", lambda req: problems.append(
        f"request failed: {req.url} ({req.failure})"))
    page.on("response", lambda resp: resp.status >= 400 and not resp.url.endswith(
        "/favicon.ico") and problems.append(f"HTTP {resp.status}: {resp.url}"))
    page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    # console errors for a missing favicon are the browser's, not the book's
    problems[:] = [p for p in problems if "favicon.ico" not in p]
    return page, problems


def widget_state(page) -> dict:
    script = page.locator('script[type="application/vnd.jupyter.widget-state+json"]')
    if script.count() == 0:
        return {}
    return json.loads(script.first.inner_text())["state"]


# --------------------------------------------------------------------------- tests

def test_every_chapter_loads_without_errors_and_renders_its_widgets(html_root, server, browser):
    pages = chapter_pages(html_root)
    report = {}
    for rel in pages:
        page, problems = open_page(browser, f"{server}/{rel}")
        views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
        if views:
            page.wait_for_selector(".jupyter-widgets.widget-container, .jupyter-widgets .widget-box,"
                                   " .widget-inline-hbox, .jupyter-widgets", timeout=TIMEOUT_MS)
            text = page.locator("body").inner_text()
            if "Error displaying widget" in text or "Model class" in text:
                problems.append("a widget failed to render: " + text[:200])
            rendered = page.evaluate(
                """() => [...document.querySelectorAll(
                      'script[type="application/vnd.jupyter.widget-view+json"]')]
                    .filter(s => s.parentElement.querySelector('.jupyter-widgets')).length""")
            if rendered != views:
                problems.append(f"{views - rendered} of {views} widget view(s) not rendered")
        if problems:
            report[rel] = problems
        page.close()
    assert not report, "pages with problems:\n" + json.dumps(report, indent=1)
    assert not browser.outside_requests, browser.outside_requests


def _find_explorer(html_root, server, browser):
    for rel in chapter_pages(html_root):
        page, problems = open_page(browser, f"{server}/{rel}")
        if page.locator(".alexnet-explorer").count():
            return rel, page, problems
        page.close()
    pytest.fail("no page of the built book displays an ActivationExplorer (.alexnet-explorer); "
                "the architecture chapter should show one")


def _ref(text):
    return text[len("IPY_MODEL_"):]


def _expected_picture_hashes(state, image_index, layer_index):
    """sha256 of the thumbnail and of the feature grid the state holds for (image, layer)."""
    (outer,) = [k for k, v in state.items()
                if "explorer-maps" in v["state"].get("_dom_classes", [])]
    panel = _ref(state[outer]["state"]["children"][image_index])
    left, inner = (_ref(c) for c in state[panel]["state"]["children"])
    thumb = [_ref(c) for c in state[left]["state"]["children"]
             if state[_ref(c)]["model_name"] == "ImageModel"][0]
    child = _ref(state[inner]["state"]["children"][layer_index])
    grid = [_ref(c) for c in state[child]["state"]["children"]
            if state[_ref(c)]["model_name"] == "ImageModel"][0]

    def digest(model_id):
        (buf,) = [b for b in state[model_id]["buffers"] if b["path"] == ["value"]]
        return hashlib.sha256(base64.b64decode(buf["data"])).hexdigest()

    return digest(thumb), digest(grid)


SHOWN_JS = """async (root) => {
    const imgs = [...root.querySelectorAll('.explorer-maps img')];
    const out = [];
    for (const img of imgs) {
        const buf = await (await fetch(img.src)).arrayBuffer();
        const h = await crypto.subtle.digest('SHA-256', buf);
        out.push([...new Uint8Array(h)].map(b => b.toString(16).padStart(2, '0')).join(''));
    }
    return {hashes: out, text: root.querySelector('.explorer-maps').innerText};
}"""


def test_explorer_switches_image_and_layer_in_static_html(html_root, server, browser, tmp_path_factory):
    rel, page, problems = _find_explorer(html_root, server, browser)
    assert not problems, problems
    explorer = page.locator(".alexnet-explorer").first
    explorer.scroll_into_view_if_needed()
    image_buttons = explorer.locator(".explorer-images button")
    layer_buttons = explorer.locator(".explorer-layers button")
    n_images, n_layers = image_buttons.count(), layer_buttons.count()
    assert n_images >= 2 and n_layers >= 2, (n_images, n_layers)
    state = widget_state(page)
    handle = explorer.element_handle()

    def shown():
        return page.evaluate(SHOWN_JS, handle)

    def wait_for(expected):
        """Poll until the pictures shown are ``expected`` (the <img> src is a blob URL: compare
        the bytes behind it); return what is shown then."""
        got = shown()
        for _ in range(100):
            if tuple(got["hashes"]) == expected:
                break
            page.wait_for_timeout(100)
            got = shown()
        return got

    start = shown()
    assert tuple(start["hashes"]) == _expected_picture_hashes(state, 0, 0), start
    assert layer_buttons.nth(0).inner_text().strip() in start["text"]

    # another image: the thumbnail and the feature maps change, the layer stays
    image_buttons.nth(1).click()
    want = _expected_picture_hashes(state, 1, 0)
    after_image = wait_for(want)
    assert tuple(after_image["hashes"]) == want
    assert after_image["hashes"][0] != start["hashes"][0]
    assert after_image["hashes"][1] != start["hashes"][1]

    # another layer: the feature maps change, the image stays
    last = n_layers - 1
    layer_buttons.nth(last).click()
    want = _expected_picture_hashes(state, 1, last)
    after_layer = wait_for(want)
    assert tuple(after_layer["hashes"]) == want
    assert after_layer["hashes"][0] == after_image["hashes"][0]
    assert after_layer["hashes"][1] != after_image["hashes"][1]
    assert layer_buttons.nth(last).inner_text().strip() in after_layer["text"]

    # back to the first image: it keeps the chosen layer (every inner Stack is linked)
    image_buttons.nth(0).click()
    want = _expected_picture_hashes(state, 0, last)
    assert tuple(wait_for(want)["hashes"]) == want

    artifacts = tmp_path_factory.getbasetemp() / "test-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    explorer.screenshot(path=str(artifacts / "explorer.png"))
    assert (artifacts / "explorer.png").stat().st_size > 10_000
    page.close()
    assert not browser.outside_requests, browser.outside_requests
