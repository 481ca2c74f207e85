"""The chat page, end to end in Debian's headless Chromium driven by Playwright."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import ROOT, LiveServer

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed; scripts/setup --test installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


def ask(page: Page, question: str) -> None:
    page.fill("#question", question)
    page.keyboard.press("Enter")


def test_ask_click_citation_and_see_the_quote(browser: Browser, live: LiveServer) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    offline_requests: list[str] = []
    page.on(
        "request", lambda r: None if r.url.startswith(live.url) else offline_requests.append(r.url)
    )
    page.goto(live.url)
    question = "Which oil field is linked by pipeline to Novorossiysk?"
    ask(page, question)
    first = page.locator(".turn").nth(0)
    expect(first.locator(".cite").first).to_be_visible(timeout=60_000)
    expected = httpx.post(f"{live.url}/ask", json={"question": question}, timeout=60).json()
    tengiz = next(c for c in expected["citations"] if "Tengiz" in c["quote"])

    first.locator(f".cite[data-n='{tengiz['n']}']").click()
    panel = page.locator("#passage-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("mark")).to_have_text(tengiz["quote"])
    expect(panel.locator("#panel-title")).to_have_text(tengiz["title"])
    assert "Tengiz" in panel.locator("#panel-text").inner_text()

    ask(page, "Who won the 2018 FIFA World Cup?")
    second = page.locator(".turn").nth(1)
    expect(second).to_have_class("turn abstained", timeout=60_000)
    expect(second.locator(".badge")).to_have_text("not in the sources")
    expect(page.locator(".turn")).to_have_count(2)
    expect(first.locator(".question")).to_have_text(question)
    ARTIFACTS.mkdir(exist_ok=True)
    first.locator(f".cite[data-n='{tengiz['n']}']").click()
    page.screenshot(path=str(ARTIFACTS / "chat-page.png"), full_page=True)
    assert offline_requests == [], "the page must load nothing from outside the server"
    page.close()


def test_usable_on_a_phone_sized_screen(browser: Browser, live: LiveServer) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(live.url)
    expect(page.locator("#question")).to_be_visible()
    expect(page.locator("#ask-button")).to_be_in_viewport()
    ask(page, "When was the Caspian pipeline completed?")
    expect(page.locator(".cite").first).to_be_visible(timeout=60_000)
    page.locator(".cite").first.tap()
    panel = page.locator("#passage-panel")
    expect(panel.locator("mark")).to_be_visible()
    box = panel.bounding_box()
    assert box is not None and box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-page-phone.png"))
    page.close()
