"""The chat page, end to end in Debian's headless Chromium driven by Playwright.

Every page a test opens fails the test on any uncaught error or console error
(a test that kills the server allows exactly the browser's own "connection
refused" lines). Accessibility is checked with axe-core (tests/browser, pinned,
installed by `scripts/setup --test`) run inside the page.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from pydantic import SecretStr
from test_languages import french_page

from dossier.service.app import create_app
from dossier.settings import Settings

from conftest import ROOT, LiveServer, article_entry, run_cli, write_corpus
from sites import Site, make_pdf

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
REFUSED = re.compile(r"net::ERR_CONNECTION_REFUSED")
TENGIZ = "Which oil field is linked by pipeline to Novorossiysk?"
PDF_TITLE = "Pipeline operations review"
PDF_PAGES = [
    "Pipeline operations review\n\nThis review covers the operation of the export pipeline "
    "over the last ten years, with the volumes carried and the incidents recorded.",
    "Throughput\n\nThe pipeline carried sixty million tonnes of crude oil in its busiest year. "
    "Most of the oil came from fields in the west of the country.",
    "Maintenance\n\nPumping stations were overhauled twice during the decade under review.",
]


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed; scripts/setup --test installs it")
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing; scripts/setup --test installs axe-core with npm ci")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def corpus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The article, a local three-page PDF, and a web source that failed (offline, uncached)."""
    root = tmp_path_factory.mktemp("chat-page")
    pdf = root / "corpus" / "review.pdf"
    pdf.parent.mkdir(parents=True)
    pdf.write_bytes(make_pdf(PDF_PAGES, title=PDF_TITLE))
    corpus = write_corpus(
        root / "corpus",
        article_entry()
        + f'\n[[source]]\nid = "review"\npath = "{pdf}"\ntitle = "{PDF_TITLE}"\n'
        + '\n[[source]]\nid = "unfetched"\nurl = "http://127.0.0.1:9/report.html"\n'
        + 'title = "A report that was never fetched"\n',
    )
    code, output = run_cli(
        "ingest", "--offline", "--data-dir", str(root / "data"), "--corpus", str(corpus)
    )
    assert code == 3, output  # some sources failed: exactly what the page must show
    with LiveServer(create_app(Settings(data_dir=root / "data", corpus=corpus))) as server:
        server.wait_ready()
        yield server


class Watched:
    """A page that records page errors and console errors."""

    def __init__(self, page: Page, allow: tuple[re.Pattern[str], ...]) -> None:
        self.page = page
        self.errors: list[str] = []
        self.allow = allow
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("console", self._console)

    def _console(self, message) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self.allow):
            self.errors.append(f"console error: {message.text}")


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Opens pages in fresh contexts (own storage) with axe loaded; fails on page errors."""
    watched: list[Watched] = []

    def opener(size: str, allow: tuple[re.Pattern[str], ...] = ()) -> Page:
        context = browser.new_context(**SIZES[size])
        # An init script is not subject to the page's Content-Security-Policy, as an
        # inline <script> tag would be.
        context.add_init_script(path=str(AXE))
        page = context.new_page()
        watched.append(Watched(page, allow))
        return page

    yield opener
    errors = [e for w in watched for e in w.errors]
    for w in watched:
        w.page.context.close()
    assert errors == [], "the page logged errors"


# --- helpers ---------------------------------------------------------------------------------


def ask(page: Page, question: str) -> None:
    page.fill("#question", question)
    page.keyboard.press("Enter")


def wait_for_answer(page: Page, turn: int) -> None:
    answer = page.locator(".turn").nth(turn).locator(".answer")
    expect(answer).not_to_have_class(re.compile("pending"), timeout=120_000)
    expect(answer).to_have_class("answer")


def axe_problems(page: Page) -> list[str]:
    """Serious and critical axe-core violations (WCAG 2.0–2.2 A/AA and best practice)."""
    violations = page.evaluate(
        """async () => {
            const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];
            const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact,
                nodes: v.nodes.map((n) => n.target.join(" ") + " — " + n.failureSummary),
            }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][:3]}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]


def newest_answer_clear_of_the_bar(page: Page) -> None:
    """The newest answer is on screen above the fixed input bar (its top, when it is taller)."""
    check = """() => {
        const answer = [...document.querySelectorAll(".turn .answer")].pop();
        const box = answer.getBoundingClientRect();
        const barTop = document.getElementById("bar").getBoundingClientRect().top;
        const whole = box.top >= 0 && box.bottom <= barTop + 0.5;
        const topShown = box.height > barTop && box.top >= 0 && box.top <= barTop - 60;
        return whole || topShown;
    }"""
    # Polled from here: `wait_for_function` polls inside the page with an eval, which the
    # page's CSP refuses as soon as the first check is false.
    deadline = time.monotonic() + 5
    while not page.evaluate(check):
        if time.monotonic() > deadline:
            where = page.evaluate(
                """() => ({answer: [...document.querySelectorAll(".turn .answer")].pop()
                            .getBoundingClientRect().toJSON(),
                           bar: document.getElementById("bar").getBoundingClientRect().toJSON()})"""
            )
            raise AssertionError(f"the newest answer is hidden: {where}")
        page.wait_for_timeout(50)


def focus_in_dialog(page: Page) -> bool:
    return page.evaluate("() => !!document.activeElement.closest('#passage-panel')")


def small_targets(page: Page) -> list[str]:
    """Visible buttons and links in answers or the dialog smaller than 24×24 CSS px."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
                "button, .answer a, #passage-panel a, #source-list a")]
            .filter((e) => e.offsetParent !== null || e.closest("dialog[open]"))
            .map((e) => [e, e.getBoundingClientRect()])
            .filter(([e, r]) => r.width > 0 && (r.width < 24 || r.height < 24))
            .map(([e, r]) => `${e.className || e.id || e.tagName} ${r.width}x${r.height}`)"""
    )


def expected_answer(server: LiveServer, question: str) -> dict:
    return httpx.post(f"{server.url}/ask", json={"question": question}, timeout=120).json()


# --- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_empty_page_lists_sources_with_status_and_examples(
    size: str, open_page: Callable[..., Page], corpus_server: LiveServer
) -> None:
    page = open_page(size)
    page.goto(corpus_server.url)
    sources = page.locator("#source-list .source")
    expect(sources).to_have_count(3)
    expect(page.locator("#sources-summary")).to_contain_text("2 of 3 ingested")
    article = sources.filter(has_text="Russia–Kazakhstan relations")
    expect(article.locator(".status")).to_have_text("ingested")
    expect(article.locator(".source-detail")).to_contain_text("passages")
    expect(sources.filter(has_text=PDF_TITLE).locator(".source-detail")).to_contain_text("3 pages")
    failed = sources.filter(has_text="A report that was never fetched")
    expect(failed.locator(".status")).to_have_text("failed")
    reason = httpx.get(f"{corpus_server.url}/sources/unfetched").json()["reason"]
    assert reason
    expect(failed.locator(".source-detail")).to_have_text(reason)

    examples = page.locator("#example-list button")
    served = httpx.get(f"{corpus_server.url}/examples").json()["questions"]
    assert served
    expect(examples).to_have_count(len(served))
    expect(examples.first).to_have_text(served[0])
    assert axe_problems(page) == []
    assert small_targets(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"chat-page-empty-{size}.png"))

    # An example question is asked when chosen.
    examples.first.click()
    expect(page.locator(".turn .question")).to_have_text(served[0])
    expect(page.locator("#intro")).to_be_hidden()
    wait_for_answer(page, 0)

    # The sources fold away after the first question; the header's button brings them back.
    toggle = page.get_by_role("button", name="Sources")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(page.locator("#intro")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(sources).to_have_count(3)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_conversation_answers_stay_in_view_and_citations_open_a_dialog(
    size: str, open_page: Callable[..., Page], live: LiveServer
) -> None:
    page = open_page(size)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(live.url) else outside.append(r.url))
    asks: list[str] = []
    page.on("request", lambda r: asks.append(r.url) if r.url.endswith("/ask") else None)
    page.goto(live.url)
    expect(page.locator("#source-list .source")).to_have_count(1)

    # First question: it shows progress while waiting, and a second Enter sends nothing.
    page.evaluate(
        """() => {
            window.sawProgress = false;
            new MutationObserver(() => {
                const pending = document.querySelector(".answer.pending[role=status]");
                if (pending && pending.textContent.includes("Searching")) window.sawProgress = true;
            }).observe(document.body, { subtree: true, childList: true, attributes: true });
        }"""
    )
    page.fill("#question", TENGIZ)
    page.evaluate(
        """() => {
            const input = document.getElementById("question");
            for (let i = 0; i < 3; i++) {
                input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
            }
        }"""
    )
    page.keyboard.press("Enter")
    page.locator("#ask-form").evaluate("form => form.requestSubmit()")
    wait_for_answer(page, 0)
    assert page.evaluate("window.sawProgress") is True
    page.wait_for_timeout(300)
    assert len(asks) == 1, asks
    expect(page.locator("#question")).to_have_value("")
    newest_answer_clear_of_the_bar(page)

    for turn, question in enumerate(
        [
            "When was the Caspian pipeline completed?",
            "Who won the 2018 FIFA World Cup?",
            "What is the Baikonur Cosmodrome used for?",
        ],
        start=1,
    ):
        ask(page, question)
        wait_for_answer(page, turn)
        newest_answer_clear_of_the_bar(page)
    assert len(asks) == 4
    expect(page.locator(".turn").nth(2)).to_have_class("turn abstained")
    expect(page.locator(".turn").nth(2).locator(".badge")).to_have_text("Not in the sources")
    assert axe_problems(page) == []
    if size == "phone":
        assert small_targets(page) == []
        box = page.locator(".cite").first.bounding_box()
        assert box and box["width"] >= 24 and box["height"] >= 24, box

    # The first answer's sources: each source's title once, however many citations it has.
    expected = expected_answer(live, TENGIZ)
    first = page.locator(".turn").nth(0)
    titles = {c["title"] for c in expected["citations"]}
    expect(first.locator(".cited-title")).to_have_count(len(titles))
    expect(first.locator(".quote-link")).to_have_count(len(expected["citations"]))

    tengiz = next(c for c in expected["citations"] if "Tengiz" in c["quote"])
    marker = first.locator(f".cite[data-n='{tengiz['n']}']")
    marker.scroll_into_view_if_needed()
    marker.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    expect(dialog).to_have_accessible_name(tengiz["title"])
    expect(dialog.locator("mark")).to_have_text(tengiz["quote"])
    document = live.app.state.engine.index.documents["article"]
    section = document.section_at(tengiz["start"])
    assert section
    expect(dialog.locator("#panel-where")).to_have_text(f"Section “{section}”")
    text = dialog.inner_text()
    assert text.count(tengiz["title"]) == 1
    assert "characters" not in text
    context = dialog.locator("#panel-text").inner_text()
    assert len(context) > len(tengiz["quote"]) + 100  # the quote in context, not alone
    assert focus_in_dialog(page)
    assert page.evaluate("location.hash") == (
        f"#cite={tengiz['source_id']}:{tengiz['start']}-{tengiz['end']}"
    )
    if size == "desktop":
        panel, bar = dialog.bounding_box(), page.locator("#bar").bounding_box()
        assert panel and bar and panel["y"] + panel["height"] <= bar["y"] + 0.5, (panel, bar)
        expect(page.locator("#ask-button")).to_be_in_viewport()
        expect(page.locator("#question")).to_be_in_viewport()
    else:
        box = dialog.bounding_box()
        assert box is not None and box["width"] <= 390
        assert small_targets(page) == []
    assert axe_problems(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"chat-page-dialog-{size}.png"))

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(marker).to_be_focused()
    # The dialog's "close" event, whose handler clears the link, is queued after the
    # browser has hidden the dialog and given the focus back: wait for it (polled from here,
    # as in `newest_answer_clear_of_the_bar`).
    expect(page).to_have_url(re.compile(r"^[^#]*#?$"), timeout=5000)
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["viewport"]["width"]
    assert outside == [], "the page must load nothing from outside the server"
    page.screenshot(path=str(ARTIFACTS / f"chat-page-{size}.png"))


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_cite_link_opens_the_span_with_its_section_or_page(
    size: str, open_page: Callable[..., Page], corpus_server: LiveServer
) -> None:
    engine = corpus_server.app.state.engine
    article = engine.index.documents["article"]
    start = article.text.index("This was completed in 2001.")
    end = start + len("This was completed in 2001.")
    page = open_page(size)
    page.goto(f"{corpus_server.url}/#cite=article:{start}-{end}")
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("mark")).to_have_text(article.text[start:end])
    expect(dialog).to_have_accessible_name(article.title)
    expect(dialog.locator("#panel-where")).to_have_text(f"Section “{article.section_at(start)}”")
    expect(dialog.locator("#panel-kicker")).to_have_text("Linked passage")
    assert "Tengiz" in dialog.locator("#panel-text").inner_text()  # the sentence before it
    assert focus_in_dialog(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#question")).to_be_focused()

    # A PDF span says its page; changing the fragment opens the new span.
    review = engine.index.documents["review"]
    start = review.text.index("sixty million tonnes")
    end = start + len("sixty million tonnes of crude oil")
    page.evaluate(f"location.hash = '#cite=review:{start}-{end}'")
    expect(dialog.locator("mark")).to_have_text("sixty million tonnes of crude oil")
    expect(dialog).to_have_accessible_name(PDF_TITLE)
    expect(dialog.locator("#panel-where")).to_have_text("Page 2 · Section “Throughput”")
    assert "characters" not in dialog.inner_text()


def test_a_broken_cite_link_says_so(open_page: Callable[..., Page], live: LiveServer) -> None:
    page = open_page("desktop", allow=(re.compile(r"status of 40[04]"),))
    page.goto(f"{live.url}/#cite=article:5-999999999")
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#panel-title")).to_have_text("The passage could not be loaded")
    expect(dialog.locator("#panel-status")).to_contain_text("characters")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def serve_on(app, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    return server, thread


def test_server_down_keeps_the_question_and_offers_retry(
    open_page: Callable[..., Page], live: LiveServer, article_settings: Settings
) -> None:
    engine = live.app.state.engine
    with LiveServer(create_app(article_settings, engine=engine)) as own:
        own.wait_ready()
        port = int(own.url.rsplit(":", 1)[1])
        page = open_page("desktop", allow=(REFUSED,))
        page.goto(own.url)
        ask(page, TENGIZ)
        wait_for_answer(page, 0)
    # The server is gone now.
    question = "When was the Caspian pipeline completed?"
    ask(page, question)
    failed = page.locator(".turn").nth(1).locator(".answer")
    expect(failed).to_have_class("answer error", timeout=30_000)
    expect(failed).to_contain_text("could not be reached")
    expect(failed).not_to_contain_text("Failed to fetch")
    expect(page.locator("#question")).to_have_value(question)
    retry = failed.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    newest_answer_clear_of_the_bar(page)

    # A citation clicked now says it cannot load; nothing throws.
    page.locator(".turn").nth(0).locator(".cite").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator("#panel-title")).to_have_text("The passage could not be loaded")
    expect(dialog.locator("#panel-status")).to_contain_text("could not be reached")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Back up on the same port: Retry answers in place and empties the box.
    server, thread = serve_on(create_app(article_settings, engine=engine), port)
    try:
        retry.click()
        wait_for_answer(page, 1)
        expect(page.locator(".turn")).to_have_count(2)
        expect(page.locator(".turn").nth(1).locator(".cite").first).to_be_visible()
        expect(page.locator("#question")).to_have_value("")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_the_api_key_is_asked_once(
    open_page: Callable[..., Page], live: LiveServer, article_settings: Settings
) -> None:
    settings = article_settings.model_copy(update={"api_key": SecretStr("s3cret-key")})
    with LiveServer(create_app(settings, engine=live.app.state.engine)) as guarded:
        guarded.wait_ready(headers={"Authorization": "Bearer s3cret-key"})
        page = open_page("desktop", allow=(re.compile(r"status of 401"),))
        prompts: list[str] = []

        def answer(dialog) -> None:
            prompts.append(dialog.message)
            dialog.accept("s3cret-key")

        page.on("dialog", answer)
        page.goto(guarded.url)
        expect(page.locator("#source-list .source")).to_have_count(1)
        ask(page, TENGIZ)
        wait_for_answer(page, 0)
        expect(page.locator(".turn .cite").first).to_be_visible()
        assert len(prompts) == 1, prompts
        assert page.evaluate("localStorage.getItem('dossier-api-key')") == "s3cret-key"


def test_a_french_quote_is_shown_as_it_is_and_says_its_language(
    open_page: Callable[..., Page], tmp_path: Path
) -> None:
    # Issue 12: an English question answered from a French page served on the loopback
    # site; the chat page shows the quote in French, unchanged, and says it is French.
    with Site() as site:
        site.static("/fr/aktaou-jazz.html", french_page(), "text/html; charset=utf-8")
        corpus = write_corpus(
            tmp_path / "corpus",
            article_entry()
            + f'\n[[source]]\nid = "aktau-jazz"\nurl = "{site.url("/fr/aktaou-jazz.html")}"\n',
        )
        code, output = run_cli(
            "ingest", "--data-dir", str(tmp_path / "data"), "--corpus", str(corpus), "--no-progress"
        )
        assert code == 0, output
    settings = Settings(data_dir=tmp_path / "data", corpus=corpus)
    with LiveServer(create_app(settings)) as server:
        server.wait_ready()
        question = "How many visitors did the Aktau jazz festival attract in 2023?"
        expected = expected_answer(server, question)
        french = [c for c in expected["citations"] if c["language"] == "fr"]
        assert french and not expected["abstained"], expected
        page = open_page("desktop")
        page.goto(server.url)
        ask(page, question)
        wait_for_answer(page, 0)
        turn = page.locator(".turn").nth(0)
        link = turn.locator(f".quote-link[data-n='{french[0]['n']}']")
        expect(link.locator(".quote-language")).to_have_text("in French")
        assert "12 000 visiteurs" in link.locator(".quote-text").inner_text()
        # English quotes say nothing of their language.
        for c in expected["citations"]:
            if c["language"] == "en":
                other = turn.locator(f".quote-link[data-n='{c['n']}'] .quote-language")
                expect(other).to_have_count(0)
        # Opened, the French quote is marked exactly as the source holds it.
        link.click()
        dialog = page.get_by_role("dialog")
        expect(dialog.locator("mark")).to_have_text(french[0]["quote"])
        text = server.app.state.engine.index.documents["aktau-jazz"].text
        assert text[french[0]["start"] : french[0]["end"]] == french[0]["quote"]
        assert axe_problems(page) == []
