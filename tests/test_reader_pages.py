"""The reader's pages in a real browser (Debian's chromium, headless, driven by Playwright).

Each check is a function of a loaded page that returns its problems (an empty list: none):
- :func:`too_wide`: the page is wider than the window (1280 px and 400 px), or an element of
  the article sticks out of the window without a box that scrolls around it;
- :func:`unboxed_wide_tables`: a table wider than the text column that is not inside a box that
  scrolls (the table itself or an ancestor up to the article, no wider than the column);
- :func:`text_for_machines`: the visible text (code blocks and hidden inputs left out) holds a
  number-noun template ("seed(s)"), a path object (``PosixPath``), a path of the build machine,
  a dict repr, a claim key, or a module name;
- :func:`outcome_not_on_first_screen`: an experiment chapter's first screen (1280 x 900,
  scrolled to the top) shows no outcome word inside the answer block (``.admonition.answer``).

Every check is first shown to catch a hand-made page with exactly its defect, and to pass a
clean hand-made page; then it runs on every chapter of the built book: the `ci` build (session
fixture ``built_book``) or the build named by ALEXNET_TEST_HTML (a folder holding index.html,
read, never written), as in tests/test_browser.py.

Needs chromium (``apt-get install -y chromium``) and the Python package playwright; never
``playwright install``. Missing either is a failure when CI is set, a skip otherwise.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import chapter_pages

from alexnet_repro.analysis.preregistration import CLAIM_TESTS
from alexnet_repro.analysis.verdicts import OUTCOMES

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 30_000
WIDE, PHONE, SCREEN_HEIGHT = 1280, 400, 900
#: Chapters that judge claims: their first screen must say the outcome.
EXPERIMENT_CHAPTERS = ("relu_vs_tanh", "dropout", "lrn_pooling", "augmentation",
                       "training_details", "full_training", "architecture")


# --------------------------------------------------------------------------- the checks

#: Selectors whose text is not reading text: code, hidden inputs, scripts, math markup.
NOT_READING_TEXT = ("pre, code, kbd, samp, script, style, template, textarea, .cell_input, "
                    "details.above-input, mjx-container, mjx-assistive-mml, .MathJax")

_WIDTH_JS = """(maxShown) => {
  const art = document.querySelector('article') || document.body;
  const out = [];
  const scrolls = (e) => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(e).overflowX);
  for (const e of art.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= innerWidth + 1) continue;
    let boxed = false;
    for (let a = e.parentElement; a; a = a.parentElement) { if (scrolls(a)) { boxed = true; break; } }
    if (boxed) continue;
    const within = [...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 1);
    if (within) continue;  // report the innermost element that sticks out
    out.push(`<${e.tagName.toLowerCase()}${e.className ? ' class="' + e.className + '"' : ''}> `
             + `reaches ${Math.round(r.right)} px: "${(e.innerText || '').trim().slice(0, 50)}"`);
    if (out.length >= maxShown) break;
  }
  return [document.documentElement.scrollWidth, innerWidth, out];
}"""


def too_wide(page) -> list[str]:
    """The document is wider than the window (its scrollWidth exceeds innerWidth), or an element
    of the article reaches past the window's right edge with no ancestor box that scrolls or
    clips it."""
    scroll_width, inner, elements = page.evaluate(_WIDTH_JS, 5)
    problems = []
    if scroll_width > inner:
        problems.append(f"the page is {scroll_width} px wide in a {inner} px window")
    problems += [f"{e} (window {inner} px)" for e in elements]
    return problems


_TABLES_JS = """() => {
  const out = [];
  for (const t of document.querySelectorAll('table')) {
    const art = t.closest('article, main') || document.body;
    const s = getComputedStyle(art);
    const column = art.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    const width = Math.max(t.getBoundingClientRect().width, t.scrollWidth);
    if (width <= column + 1) continue;
    let boxed = false;
    for (let e = t; e && e !== art; e = e.parentElement) {
      const o = getComputedStyle(e).overflowX;
      if ((o === 'auto' || o === 'scroll') && e.getBoundingClientRect().width <= column + 1) { boxed = true; break; }
    }
    if (!boxed) out.push(`a table ${Math.round(width)} px wide in a ${Math.round(column)} px column, `
                         + `in no box that scrolls: "${(t.innerText || '').trim().replace(/\\s+/g, ' ').slice(0, 60)}"`);
  }
  return out;
}"""


def unboxed_wide_tables(page) -> list[str]:
    """Tables wider than the text column (the content box of their article) that neither scroll
    themselves nor sit in an ancestor, up to the article, that scrolls sideways and is no wider
    than the column."""
    return page.evaluate(_TABLES_JS)


_TEXT_JS = """(skip) => {
  const art = document.querySelector('article') || document.body;
  const copy = art.cloneNode(true);
  copy.querySelectorAll(skip).forEach(e => e.remove());
  copy.style.position = 'absolute'; copy.style.left = '-100000px'; copy.style.top = '0';
  copy.style.width = art.getBoundingClientRect().width + 'px';
  document.body.appendChild(copy);
  const text = copy.innerText;
  copy.remove();
  return text;
}"""

#: Claim keys that read as internal names (those with an underscore), as whole words.
CLAIM_KEYS = sorted(k for k in CLAIM_TESTS if "_" in k)
_MACHINE_PATHS = [str(REPO), "/tmp/", "/home/", "/root/"]
TEXT_RULES: list[tuple[str, re.Pattern]] = [
    ('a number-noun template such as "seed(s)"', re.compile(r"(?<=[A-Za-z])\(s\)")),
    ("a path object (PosixPath)", re.compile(r"PosixPath|WindowsPath")),
    ("a path of the build machine",
     re.compile("|".join(re.escape(p) for p in _MACHINE_PATHS))),
    ("a dict repr", re.compile(r"""\{\s*['"][\w .-]*['"]\s*:\s""")),
    ("a claim key", re.compile(r"\b(?:" + "|".join(map(re.escape, CLAIM_KEYS)) + r")\b")),
    ("a module name of the library", re.compile(r"\balexnet_repro\b")),
]


def reading_text(page) -> str:
    """The article's text as the reader sees it, without code blocks, inputs and math markup."""
    return page.evaluate(_TEXT_JS, NOT_READING_TEXT)


def text_for_machines(page) -> list[str]:
    """Pieces of the reading text that were written for the machine, not the reader."""
    text = reading_text(page)
    problems = []
    for what, pattern in TEXT_RULES:
        for m in pattern.finditer(text):
            context = text[max(0, m.start() - 40): m.end() + 40].replace("\n", " ")
            problems.append(f'{what}: "…{context}…"')
    return problems


_FIRST_SCREEN_JS = """(words) => {
  const found = [];
  for (const block of document.querySelectorAll('.admonition.answer')) {
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const lower = n.data.toLowerCase();
      for (const w of words) {
        for (let i = lower.indexOf(w); i >= 0; i = lower.indexOf(w, i + 1)) {
          const range = document.createRange();
          range.setStart(n, i); range.setEnd(n, i + w.length);
          const r = range.getBoundingClientRect();
          const el = n.parentElement;
          const shown = r.width > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0
                        && r.right <= innerWidth && el.checkVisibility({visibilityProperty: true, opacityProperty: true});
          if (shown) found.push(w);
        }
      }
    }
  }
  return [document.querySelectorAll('.admonition.answer').length, found];
}"""


def outcome_not_on_first_screen(page) -> list[str]:
    """The first screen (the page scrolled to its top) shows no outcome word
    (:data:`alexnet_repro.analysis.verdicts.OUTCOMES`) inside an answer block."""
    page.evaluate("window.scrollTo(0, 0)")
    blocks, found = page.evaluate(_FIRST_SCREEN_JS, [w.lower() for w in OUTCOMES])
    if found:
        return []
    if not blocks:
        return ["no answer block (.admonition.answer) on the page"]
    size = page.viewport_size
    return [f"the answer block shows no outcome word ({', '.join(OUTCOMES)}) on the first "
            + f"screen ({size['width']}x{size['height']} px)"]


# --------------------------------------------------------------------------- browser

def images_without_alt(page) -> list[str]:
    """Every figure says what it shows: an image in the page's content without alt text."""
    # the activation explorer's pictures are ipywidgets Image views (no alt attribute in ipywidgets):
    # they are labelled by the explorer's own buttons and captions, so they are left out
    missing = page.eval_on_selector_all(
        "main img, article img", "els => els.filter(e => !(e.getAttribute('alt') || '').trim()"
        " && !e.closest('.jupyter-widgets')).map(e => e.src)")
    return [f"{page.url}: an image without alt text ({src[:60]})" for src in missing]


def load(browser, url, width=WIDE):
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": SCREEN_HEIGHT})
    page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
    page.evaluate("window.scrollTo(0, 0)")
    return page


# --------------------------------------------------------------------------- hand-made pages

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body {{ margin: 0; font: 16px sans-serif; }} article {{ padding: 0 16px; max-width: 700px; }}
td {{ padding: 2px 8px; white-space: nowrap; }} pre {{ overflow-x: auto; }}</style></head>
<body><article><h1>ReLU versus tanh</h1>{body}</article></body></html>"""

ANSWER = ('<div class="admonition answer"><p class="admonition-title">The claims and this '
          "book's answers</p><ul><li><strong>ReLU trains faster</strong>. <em>This book:</em> "
          "Reproduced: 5.1× (95% interval 3.9× to 6.6×), 5 seeds.</li></ul></div>")
CLEAN_BODY = (ANSWER + "<p>Five seeds of each network, one seed per run, trained for 30 epochs.</p>"
              '<div style="overflow-x:auto"><table><tr>' + "<td>wide cell of a wide table</td>" * 12
              + "</tr></table></div><table><tr><td>narrow</td><td>table</td></tr></table>"
              "<pre>runs = {'relu': 5}  # PosixPath('/tmp/x') relu_speedup seed(s)</pre>"
              "<p>The code <code>{'a': 1}</code> is code, not text.</p>"
              '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="A grey dot" width="10" height="10">')
DEFECTS = {
    "wide div": '<div style="width:2000px">a line that runs far past the window</div>',
    "unboxed table": "<table><tr>" + "<td>wide cell of a wide table</td>" * 12 + "</tr></table>",
    "seed(s)": "<p>Trained with 1 seed(s) per variant.</p>",
    "PosixPath": "<p>The record is PosixPath('/x').</p>",
    "machine path": f"<p>Saved to {REPO}/_build/records.json.</p>",
    "tmp path": "<p>Saved to /tmp/run/records.json.</p>",
    "dict repr": "<p>Settings: {'a': 1}</p>",
    "claim key": f"<p>The claim {CLAIM_KEYS[0]} is judged below.</p>",
    "module name": "<p>Computed by alexnet_repro.analysis.judging.</p>",
    "image without alt": '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10">',
}
CHECK_FOR = {"wide div": too_wide, "unboxed table": unboxed_wide_tables, "image without alt": images_without_alt}


def hand_made(tmp_path, name, body) -> str:
    path = tmp_path / f"{re.sub(r'[^a-z]+', '_', name)}.html"
    path.write_text(PAGE.format(body=body), encoding="utf-8")
    return path.as_uri()


def all_checks(page) -> list[str]:
    return too_wide(page) + unboxed_wide_tables(page) + text_for_machines(page) \
        + outcome_not_on_first_screen(page) + images_without_alt(page)


@pytest.mark.parametrize("width", [WIDE, PHONE])
def test_a_clean_hand_made_page_passes_every_check(browser, tmp_path, width):
    page = load(browser, hand_made(tmp_path, "clean", CLEAN_BODY), width)
    try:
        assert all_checks(page) == []
    finally:
        page.close()


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_check_reports_its_planted_defect(browser, tmp_path, defect):
    page = load(browser, hand_made(tmp_path, defect, ANSWER + DEFECTS[defect]), PHONE)
    try:
        check = CHECK_FOR.get(defect, text_for_machines)
        problems = check(page)
        assert problems, f"{check.__name__} missed the planted {defect}"
        others = [c for c in (too_wide, unboxed_wide_tables, text_for_machines, images_without_alt) if c is not check]
        if defect != "unboxed table":  # an unboxed wide table also widens the page: both right
            assert all(c(page) == [] for c in others), f"{defect}: other checks fired too"
    finally:
        page.close()


def test_the_wide_div_is_caught_at_both_widths(browser, tmp_path):
    url = hand_made(tmp_path, "wide", DEFECTS["wide div"])
    for width in (WIDE, PHONE):
        page = load(browser, url, width)
        try:
            assert any("2000 px" in p or "wide in a" in p for p in too_wide(page)), width
        finally:
            page.close()


def test_a_page_without_its_answer_block_is_reported(browser, tmp_path):
    page = load(browser, hand_made(tmp_path, "no answer", "<p>Reproduced, said nobody.</p>"))
    try:
        assert outcome_not_on_first_screen(page) == ["no answer block (.admonition.answer) on the page"]
    finally:
        page.close()


def test_an_answer_below_the_first_screen_is_reported(browser, tmp_path):
    page = load(browser, hand_made(tmp_path, "late answer", '<div style="height:1200px"></div>' + ANSWER))
    try:
        problems = outcome_not_on_first_screen(page)
        assert len(problems) == 1 and "no outcome word" in problems[0]
    finally:
        page.close()


def test_code_and_hidden_inputs_are_not_reading_text(browser, tmp_path):
    body = ('<div class="cell_input"><p>relu_speedup</p></div>'
            "<pre>seed(s)</pre><p>Plain <code>PosixPath</code> words.</p>")
    page = load(browser, hand_made(tmp_path, "code", body))
    try:
        text = reading_text(page)
        assert "Plain" in text and "words" in text
        assert text_for_machines(page) == []
    finally:
        page.close()


# --------------------------------------------------------------------------- the built book


def run_check(browser, server, pages, check, width=WIDE) -> list[str]:
    problems = []
    for rel in pages:
        page = load(browser, f"{server}/{rel}", width)
        try:
            problems += [f"{rel} at {width} px: {p}" for p in check(page)]
        finally:
            page.close()
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("width", [WIDE, PHONE])
def test_no_chapter_is_wider_than_the_window(html_root, server, browser, width):
    problems = run_check(browser, server, chapter_pages(html_root), too_wide, width)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("width", [WIDE, PHONE])
def test_every_wide_table_scrolls_in_its_own_box(html_root, server, browser, width):
    problems = run_check(browser, server, chapter_pages(html_root), unboxed_wide_tables, width)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_the_reading_text_has_nothing_written_for_the_machine(html_root, server, browser):
    problems = run_check(browser, server, chapter_pages(html_root), text_for_machines)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_every_figure_has_alt_text(html_root, server, browser):
    problems = run_check(browser, server, chapter_pages(html_root), images_without_alt)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_every_experiment_chapter_shows_its_outcome_on_the_first_screen(html_root, server, browser):
    pages = [p for p in chapter_pages(html_root) if Path(p).stem in EXPERIMENT_CHAPTERS]
    assert {Path(p).stem for p in pages} == set(EXPERIMENT_CHAPTERS), \
        f"experiment chapters missing from the build: {set(EXPERIMENT_CHAPTERS) - {Path(p).stem for p in pages}}"
    problems = run_check(browser, server, pages, outcome_not_on_first_screen)
    assert not problems, "\n".join(problems)
