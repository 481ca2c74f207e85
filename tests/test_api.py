"""The HTTP API over the real article index, through a real server on loopback,
with the index in each store (local files and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from dossier.settings import Settings

from conftest import LiveServer, serving


@pytest.fixture(scope="module")
def live(store_settings: Settings) -> Iterator[LiveServer]:
    with serving(store_settings) as server:
        yield server


@pytest.fixture(scope="module")
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        yield http


def document_text(live: LiveServer, source_id: str) -> str:
    return live.app.state.engine.index.documents[source_id].text


def test_answers_with_exact_citations(client: httpx.Client, live: LiveServer) -> None:
    response = client.post(
        "/ask", json={"question": "Which oil field is linked by pipeline to Novorossiysk?"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "answer",
        "abstained",
        "citations",
        "passages",
        "timings",
        "answer_span",
        "confidence",
    }
    assert 0 <= body["confidence"] <= 1
    assert body["abstained"] is False
    assert "Tengiz" in body["answer"]
    assert "[1]" in body["answer"]
    assert len(body["answer"].split(". ")) <= 4
    text = document_text(live, "article")
    tengiz = [c for c in body["citations"] if "Tengiz" in c["quote"]]
    assert tengiz, body["citations"]
    for citation in body["citations"]:
        assert set(citation) == {
            "n",
            "source_id",
            "title",
            "url",
            "passage_id",
            "quote",
            "start",
            "end",
            "page",
            "language",
        }
        assert citation["language"] == "en"  # the article's declared language
        assert text[citation["start"] : citation["end"]] == citation["quote"]
        assert citation["page"] is None
        assert citation["title"].startswith("Russia–Kazakhstan")
        assert f"[{citation['n']}]" in body["answer"]
    cited = {c["passage_id"] for c in body["citations"]}
    returned = {p["id"]: p for p in body["passages"]}
    assert cited <= set(returned)
    for passage in body["passages"]:
        assert text[passage["start"] : passage["end"]] == passage["text"]
    assert body["timings"]["total_ms"] > 0


def test_abstains_when_the_sources_do_not_answer(client: httpx.Client) -> None:
    body = client.post("/ask", json={"question": "Who won the 2018 FIFA World Cup?"}).json()
    assert body["abstained"] is True
    assert body["citations"] == []
    assert "do not cover" in body["answer"]


def test_search_ranks_passages_with_offsets(client: httpx.Client, live: LiveServer) -> None:
    body = client.post("/search", json={"query": "nuclear power plant uranium", "k": 3}).json()
    passages = body["passages"]
    assert 1 <= len(passages) <= 3
    assert "nuclear power plant" in passages[0]["text"]
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True)
    text = document_text(live, "article")
    assert all(text[p["start"] : p["end"]] == p["text"] for p in passages)
    for mode in ("dense", "lexical", "hybrid"):
        ranked = client.post(
            "/search", json={"query": "agreement to build a nuclear plant", "k": 2, "mode": mode}
        ).json()
        assert ranked["mode"] == mode
        assert "nuclear power plant" in ranked["passages"][0]["text"], mode
    lexical = client.post("/search", json={"query": "Baikonur", "mode": "lexical"}).json()
    assert "Baikonur" in lexical["passages"][0]["text"]


def test_sources_and_passages(client: httpx.Client) -> None:
    sources = client.get("/sources").json()
    assert [s["id"] for s in sources] == ["article"]
    article = client.get("/sources/article").json()
    assert article["status"] == "ok" and article["passages"] > 5 and article["format"] == "text"
    context = client.get("/passages/article:0003").json()
    assert context["passage"]["id"] == "article:0003"
    assert [p["id"] for p in context["before"]] == ["article:0002"]
    assert [p["id"] for p in context["after"]] == ["article:0004"]
    span = context["context"]
    assert span["start"] <= context["passage"]["start"] and span["end"] >= context["passage"]["end"]
    assert context["passage"]["text"] in span["text"]


def test_health_and_docs(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["index_id"]
    assert "swagger" in client.get("/docs").text.lower()
    assert "/ask" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"question": ""}, 422, "question: must not be empty"),
        ({"question": "   \n\t "}, 422, "question: must not be empty"),
        ({"question": "x" * 2001}, 422, "question: String should have at most 2000 characters"),
        ({"question": "Tengiz?", "k": 0}, 422, "k: Input should be greater than or equal to 1"),
        ({"question": "Tengiz?", "k": 51}, 422, "k: Input should be less than or equal to 50"),
        ({"question": "Tengiz?", "k": "many"}, 422, "k: Input should be a valid integer"),
        (
            {"question": "Tengiz?", "mode": "fuzzy"},
            422,
            "mode: Input should be 'hybrid', 'dense' or 'lexical'",
        ),
        (
            {"question": "Tengiz?", "sources": ["nope"]},
            400,
            "unknown source id(s): nope; known ids: article",
        ),
        ({"question": "Tengiz?", "sources": []}, 422, "sources: List should have at least 1 item"),
        ({"qestion": "Tengiz?"}, 422, "qestion: unknown field"),
        ({}, 422, "question: required"),
        (["Tengiz?"], 422, "Input should be a valid dictionary"),
    ],
)
def test_bad_requests_say_what_to_fix(
    client: httpx.Client, body: object, status: int, says: str
) -> None:
    response = client.post("/ask", json=body)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]


def test_malformed_and_missing_bodies(client: httpx.Client) -> None:
    bad_json = client.post(
        "/ask", content=b'{"question": "Tengiz?",', headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert "not valid JSON" in bad_json.json()["detail"]
    empty = client.post("/ask", content=b"", headers={"Content-Type": "application/json"})
    assert empty.status_code == 422
    assert "body is missing" in empty.json()["detail"]
    search = client.post("/search", json={"query": " "})
    assert search.status_code == 422 and "query: must not be empty" in search.json()["detail"]


def test_unknown_things_are_404(client: httpx.Client) -> None:
    for path, says in [
        ("/passages/article:9999", "no passage with id 'article:9999'"),
        ("/passages/nonsense", "no passage with id"),
        ("/sources/nope", "no source with id 'nope'"),
        ("/nowhere", "no route /nowhere"),
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert says in response.json()["detail"]
    assert client.get("/ask").status_code == 405
    assert client.get("/passages/article:0001", params={"before": 99}).status_code == 422
