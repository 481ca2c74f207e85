"""What the chat page's citation view reads: section headings, spans in context, examples."""

from __future__ import annotations

import httpx
import pytest

from dossier.service.engine import Engine
from dossier.settings import Settings
from dossier.types import Document, PageSpan

from conftest import LiveServer

TEXT = (
    "A Report on Things\n\n"
    "II) Politics\n\n"
    "The first paragraph says something. It has two sentences.\n\n"
    "Short line that ends like a sentence.\n\n"
    "2. Trade and energy\n\n"
    "Oil flows through the pipeline, completed in 2001.\n\n"
    "lowercase note\n\n"
    "Major agreements:\n\n"
    "Treaty of Friendship (1992)\n\n"
    "The last paragraph."
)


def doc(text: str = TEXT, **extra: object) -> Document:
    return Document(
        source_id="s", text=text, format="text", sha256="0", title="A Report on Things", **extra
    )


def test_headings_are_short_lines_alone_that_do_not_end_like_sentences() -> None:
    assert [h for _, h in doc().headings()] == ["Politics", "Trade and energy", "Major agreements"]


@pytest.mark.parametrize(
    ("needle", "section"),
    [
        ("A Report", None),  # the title is not a section
        ("The first paragraph", "Politics"),
        ("Short line", "Politics"),
        ("Oil flows", "Trade and energy"),
        ("completed in 2001", "Trade and energy"),
        ("lowercase note", "Trade and energy"),
        ("The last paragraph", "Major agreements"),
    ],
)
def test_section_at_is_the_nearest_heading_before(needle: str, section: str | None) -> None:
    assert doc().section_at(TEXT.index(needle)) == section


def test_section_at_the_heading_itself_and_without_headings() -> None:
    assert doc().section_at(TEXT.index("2. Trade")) == "Trade and energy"
    assert doc("One long paragraph of text, and nothing else.").section_at(10) is None


def test_page_and_section_of_pdf_text() -> None:
    # PDF extraction: pages joined by a blank line, a heading right above its paragraph.
    page1 = (
        "Summary of findings\nThe first page holds a long line of text that wraps here\nand more."
    )
    page2 = "Results\nThe second page starts its long paragraph with this line of text\nto the end."
    text = f"{page1}\n\n{page2}"
    start2 = len(page1) + 2
    pages = [
        PageSpan(page=1, start=0, end=len(page1)),
        PageSpan(page=2, start=start2, end=len(text)),
    ]
    document = doc(text, pages=pages)
    offset = text.index("second page")
    assert document.page_at(offset) == 2
    assert document.section_at(offset) == "Results"
    assert document.section_at(text.index("first page")) == "Summary of findings"


def test_hard_wrapped_paragraphs_are_not_headings() -> None:
    text = (
        "Intro\n\nThe first line of a paragraph wrapped by hand at a fixed width\n"
        "and the line after it, about as long as the first one is.\n\n"
        "Another paragraph that wraps at the same width as the one\n"
        "before it, so its first line is no heading either.\n"
    )
    assert [h for _, h in doc(text).headings()] == ["Intro"]


def test_span_in_context_with_section(client: httpx.Client, live: LiveServer) -> None:
    document = live.app.state.engine.index.documents["article"]
    start = document.text.index("Tengiz")
    end = start + len("Tengiz")
    body = client.get("/sources/article/span", params={"start": start, "end": end}).json()
    assert body["quote"] == "Tengiz"
    assert body["source"]["title"].startswith("Russia–Kazakhstan")
    assert body["section"] == document.section_at(start)
    assert body["section"] and body["section"][0].isupper()
    assert body["page"] is None
    context = body["context"]
    assert document.text[context["start"] : context["end"]] == context["text"]
    assert context["start"] <= start and end <= context["end"]
    assert context["text"][start - context["start"] : end - context["start"]] == "Tengiz"
    assert len(context["text"]) <= 2 * 700 + len("Tengiz")
    assert "\n\n" not in context["text"].strip()  # one paragraph, not the whole text


def test_span_errors_say_what_to_fix(client: httpx.Client, live: LiveServer) -> None:
    size = len(live.app.state.engine.index.documents["article"].text)
    response = client.get("/sources/article/span", params={"start": 10, "end": size + 5})
    assert response.status_code == 400
    assert f"has {size} characters" in response.json()["detail"]
    response = client.get("/sources/article/span", params={"start": 20, "end": 10})
    assert response.status_code == 400
    response = client.get("/sources/nope/span", params={"start": 0, "end": 5})
    assert response.status_code == 404
    assert "GET /sources" in response.json()["detail"]
    assert client.get("/sources/article/span", params={"start": -1, "end": 5}).status_code == 422


def test_passage_context_names_its_section(client: httpx.Client, live: LiveServer) -> None:
    body = client.get("/passages/article:0003").json()
    document = live.app.state.engine.index.documents["article"]
    assert body["section"] == document.section_at(body["passage"]["start"])


def test_examples_come_from_headings_and_are_answered(client: httpx.Client) -> None:
    """Only examples the sources answer are offered."""
    questions = client.get("/examples").json()["questions"]
    assert 1 <= len(questions) <= 3
    assert all(q.startswith("What about ") for q in questions)
    assert not any("Introduction" in q or "References" in q for q in questions)
    for question in questions:
        assert client.post("/ask", json={"question": question}).json()["abstained"] is False


def test_configured_examples_win(article_settings: Settings) -> None:
    settings = article_settings.model_copy(update={"example_questions": ["Who?", "What?"]})
    assert Engine(settings).examples().questions == ["Who?", "What?"]
