"""The OpenAI-compatible API, driven by the official `openai` client against a real server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from dossier.service.app import create_app
from dossier.service.openai_api import ChatMessage, conversation_question
from dossier.settings import Settings

from conftest import LiveServer

PIPELINE = "Which pipeline carries Kazakh oil to the Black Sea?"


@pytest.fixture(scope="module")
def oai(live: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key="unused", max_retries=0)


def test_lists_the_dossier_model(oai: openai.OpenAI) -> None:
    assert [m.id for m in oai.models.list()] == ["dossier"]


def test_completion_carries_answer_sources_and_citations(
    oai: openai.OpenAI, client: httpx.Client
) -> None:
    question = "Which oil field is linked by pipeline to Novorossiysk?"
    completion = oai.chat.completions.create(
        model="dossier", messages=[{"role": "user", "content": question}], temperature=0.2
    )
    content = completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    ask = client.post("/ask", json={"question": question}).json()
    assert content.startswith(ask["answer"])
    assert "**Sources**" in content and "Tengiz" in content
    citations = completion.model_extra["citations"]
    assert citations == ask["citations"]
    assert any("Tengiz" in c["quote"] for c in citations)


def stream_events(live: LiveServer, body: dict) -> Iterator[str]:
    with httpx.stream("POST", f"{live.url}/v1/chat/completions", json=body, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line:
                assert line.startswith("data: "), line
                yield line.removeprefix("data: ")


def test_streaming_keeps_the_citations(oai: openai.OpenAI, live: LiveServer) -> None:
    messages = [{"role": "user", "content": PIPELINE}]
    whole = oai.chat.completions.create(model="dossier", messages=messages)
    chunks = list(oai.chat.completions.create(model="dossier", messages=messages, stream=True))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"] == whole.model_extra["citations"]
    assert whole.model_extra["citations"], "the pipeline question must be answered"
    assert all("citations" not in c.model_extra for c in chunks[:-1])
    # On the wire: OpenAI's chunk format, the citations just before [DONE].
    events = list(stream_events(live, {"model": "dossier", "messages": messages, "stream": True}))
    assert events[-1] == "[DONE]"
    last = json.loads(events[-2])
    assert last["object"] == "chat.completion.chunk"
    assert last["citations"] == whole.model_extra["citations"]


def test_follow_up_resolves_what_it_refers_to(oai: openai.OpenAI, client: httpx.Client) -> None:
    first = oai.chat.completions.create(
        model="dossier", messages=[{"role": "user", "content": PIPELINE}]
    )
    follow_up = oai.chat.completions.create(
        model="dossier",
        messages=[
            {"role": "user", "content": PIPELINE},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": "When was it completed?"},
        ],
    )
    content = follow_up.choices[0].message.content
    assert "2001" in content
    pipeline_passages = {c["passage_id"] for c in first.model_extra["citations"]}
    assert pipeline_passages & {c["passage_id"] for c in follow_up.model_extra["citations"]}


def test_only_a_turn_that_refers_back_brings_the_previous_one() -> None:
    def turns(*texts: str) -> list[ChatMessage]:
        return [ChatMessage(role="user", content=t) for t in texts]

    assert conversation_question(turns(PIPELINE, "When was it completed?")) == (
        "When was it completed?",
        PIPELINE,
    )
    assert conversation_question(turns(PIPELINE, "Why?")) == ("Why?", PIPELINE)
    standalone = "Which alliance did Kazakhstan call on in January 2022?"
    assert conversation_question(turns(PIPELINE, standalone)) == (standalone, None)
    parts = [ChatMessage(role="user", content=[{"type": "text", "text": "When was it built?"}])]
    assert conversation_question(parts) == ("When was it built?", None)


def test_chat_errors_in_openai_shape(oai: openai.OpenAI, live: LiveServer) -> None:
    with pytest.raises(openai.NotFoundError, match="use 'dossier'"):
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="user message"):
        oai.chat.completions.create(
            model="dossier", messages=[{"role": "system", "content": "be brief"}]
        )
    response = httpx.post(
        f"{live.url}/v1/chat/completions", json={"model": "dossier", "messages": []}
    )
    assert response.status_code == 422
    assert "messages" in response.json()["error"]["message"]


@pytest.fixture(scope="module")
def locked(article_settings: Settings) -> Iterator[LiveServer]:
    settings = Settings(
        data_dir=article_settings.data_dir,
        api_key="s3cret-key",
        cors_origins=["http://frontend.example"],
    )
    with LiveServer(create_app(settings)) as server:
        server.wait_ready()
        yield server


def test_api_key_is_required_outside_health_checks(locked: LiveServer) -> None:
    for path in ("/healthz", "/readyz", "/"):
        assert httpx.get(f"{locked.url}{path}").status_code == 200, path
    for path in ("/sources", "/v1/models", "/openapi.json"):
        missing = httpx.get(f"{locked.url}{path}")
        assert missing.status_code == 401, path
        assert "missing API key" in missing.json()["detail"]
    wrong = httpx.post(
        f"{locked.url}/ask", json={"question": "Tengiz?"}, headers={"Authorization": "Bearer wrong"}
    )
    assert wrong.status_code == 401 and "invalid API key" in wrong.json()["detail"]
    with pytest.raises(openai.AuthenticationError, match="invalid API key"):
        openai.OpenAI(base_url=f"{locked.url}/v1", api_key="wrong", max_retries=0).models.list()
    good = openai.OpenAI(base_url=f"{locked.url}/v1", api_key="s3cret-key", max_retries=0)
    assert [m.id for m in good.models.list()] == ["dossier"]


def test_cors_preflight_for_configured_origins(locked: LiveServer) -> None:
    preflight = httpx.options(
        f"{locked.url}/v1/chat/completions",
        headers={
            "Origin": "http://frontend.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://frontend.example"
    other = httpx.options(
        f"{locked.url}/v1/models",
        headers={"Origin": "http://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in other.headers
