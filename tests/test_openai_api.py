"""The OpenAI-compatible API, driven by the official `openai` client against a real server."""

from __future__ import annotations

import json
import re
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


# --- annotations, meta-requests and follow-ups (issue 10) -----------------------------------


def check_annotations(content: str, notes: list, citations: list[dict], base: str) -> None:
    """Every [n] marker of the answer has a url_citation spanning exactly that marker."""
    by_n = {c["n"]: c for c in citations}
    answer_part = content.split("\n\n**Sources**")[0]
    markers = {(m.start(), m.end()) for m in re.finditer(r"\[\d+\]", answer_part)}
    assert markers, content
    assert {(a.url_citation.start_index, a.url_citation.end_index) for a in notes} == markers
    for note in notes:
        assert note.type == "url_citation"
        cited = note.url_citation
        marker = content[cited.start_index : cited.end_index]
        c = by_n[int(marker.strip("[]"))]
        assert cited.title.startswith(c["title"] or c["source_id"])
    for start, end in markers:
        c = by_n[int(content[start:end].strip("[]"))]
        urls = [a.url_citation.url for a in notes if a.url_citation.start_index == start]
        # The article is a local file: its link is the chat page's view of the quote.
        assert f"{base}/#cite={c['source_id']}:{c['start']}-{c['end']}" in urls


def test_annotations_mark_every_citation_marker(oai: openai.OpenAI, live: LiveServer) -> None:
    completion = oai.chat.completions.create(
        model="dossier", messages=[{"role": "user", "content": PIPELINE}]
    )
    message = completion.choices[0].message
    assert message.annotations, "the official client parses message.annotations"
    check_annotations(
        message.content, message.annotations, completion.model_extra["citations"], live.url
    )
    assert f"({live.url}/#cite=article:" in message.content  # the Markdown list links there too


def test_streamed_annotations_equal_the_whole_ones(oai: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": PIPELINE}]
    whole = oai.chat.completions.create(model="dossier", messages=messages).choices[0].message
    chunks = list(oai.chat.completions.create(model="dossier", messages=messages, stream=True))
    streamed = [
        note
        for chunk in chunks
        for note in ((chunk.choices[0].delta.model_extra or {}).get("annotations") or [])
    ]
    assert streamed == [a.model_dump() for a in whole.annotations]
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    for note in streamed:
        cited = note["url_citation"]
        assert re.fullmatch(r"\[\d+\]", content[cited["start_index"] : cited["end_index"]])


@pytest.fixture(scope="module")
def public(article_settings: Settings) -> Iterator[LiveServer]:
    settings = Settings(data_dir=article_settings.data_dir, public_url="https://dossier.example/")
    with LiveServer(create_app(settings)) as server:
        server.wait_ready()
        yield server


def test_public_url_is_the_base_of_dossier_links(public: LiveServer) -> None:
    client = openai.OpenAI(base_url=f"{public.url}/v1", api_key="unused", max_retries=0)
    message = (
        client.chat.completions.create(
            model="dossier", messages=[{"role": "user", "content": PIPELINE}]
        )
        .choices[0]
        .message
    )
    urls = {a.url_citation.url for a in message.annotations}
    assert urls and all(u.startswith("https://dossier.example/#cite=article:") for u in urls)


TITLE_TASK = """### Task:
Generate a concise, 3-5 word title with an emoji summarizing the chat history.
### Guidelines:
- The title should clearly represent the main theme or subject of the conversation.
### Output:
JSON format: { "title": "your concise title here" }
### Chat History:
<chat_history>
USER: Which pipeline carries Kazakh oil to the Black Sea?
ASSISTANT: The agreement provided for the construction of an oil pipeline connecting the Tengiz field (Kazakhstan) to the port of Novorossiysk on the Black Sea. [1]
</chat_history>"""  # noqa: E501

TAGS_TASK = """### Task:
Generate 1-3 broad tags categorizing the main themes of the chat history, along with 1-3 more specific subtopic tags.
### Output:
JSON format: { "tags": ["tag1", "tag2", "tag3"] }
### Chat History:
<chat_history>
USER: Which pipeline carries Kazakh oil to the Black Sea?
ASSISTANT: The Tengiz field (Kazakhstan) to the port of Novorossiysk. [1]
</chat_history>"""  # noqa: E501

FOLLOW_UPS_TASK = """### Task:
Suggest 3-5 relevant follow-up questions or prompts that the user might naturally ask next in this conversation as a **user**, based on the chat history, to help continue or deepen the discussion.
### Output:
JSON format: { "follow_ups": ["Question 1?", "Question 2?", "Question 3?"] }
### Chat History:
<chat_history>
USER: Which pipeline carries Kazakh oil to the Black Sea?
ASSISTANT: The agreement provided for the construction of an oil pipeline connecting the Tengiz field (Kazakhstan) to the port of Novorossiysk on the Black Sea. [1]
</chat_history>"""  # noqa: E501

LIBRECHAT_TITLE = (
    "Please generate a concise, 5-word-or-less title for the conversation, using its same "
    "language, with no punctuation. Apply title case conventions appropriate for the language."
    '\n||>User:\n"Which pipeline carries Kazakh oil to the Black Sea?"\n||>Response:\n'
    '"The Tengiz field to the port of Novorossiysk. [1]"\n\n||>Title:'
)


def ask_once(oai: openai.OpenAI, text: str):
    return oai.chat.completions.create(
        model="dossier", messages=[{"role": "user", "content": text}]
    )


def test_frontend_meta_requests_are_answered_not_searched(oai: openai.OpenAI) -> None:
    title = ask_once(oai, TITLE_TASK)
    parsed = json.loads(title.choices[0].message.content)
    assert 2 <= len(parsed["title"].split()) <= 5
    assert {"Pipeline", "Kazakh", "Oil"} <= set(parsed["title"].split())
    assert title.model_extra["meta_request"] == "title" and not title.choices[0].message.annotations

    tags = json.loads(ask_once(oai, TAGS_TASK).choices[0].message.content)["tags"]
    assert 1 <= len(tags) <= 3 and "Pipeline" in tags

    follow_ups = json.loads(ask_once(oai, FOLLOW_UPS_TASK).choices[0].message.content)
    assert follow_ups["follow_ups"], follow_ups
    assert all(q.endswith("?") for q in follow_ups["follow_ups"])
    assert any("Novorossiysk" in q or "Tengiz" in q for q in follow_ups["follow_ups"])

    plain = ask_once(oai, LIBRECHAT_TITLE).choices[0].message.content
    assert "{" not in plain and "Pipeline" in plain and len(plain.split()) <= 5

    queries = ask_once(
        oai,
        "### Task:\nAnalyze the chat history to determine the necessity of generating search "
        'queries.\n### Output:\nStrictly return in JSON format:\n{\n  "queries": ["query1"]\n}\n'
        "### Chat History:\n<chat_history>\nUSER: Tengiz?\n</chat_history>",
    )
    assert json.loads(queries.choices[0].message.content) == {"queries": []}


def test_meta_requests_stream_too(oai: openai.OpenAI) -> None:
    chunks = list(
        oai.chat.completions.create(
            model="dossier", messages=[{"role": "user", "content": TITLE_TASK}], stream=True
        )
    )
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert json.loads(content)["title"]


def test_follow_up_with_its_own_focus_is_asked_alone(oai: openai.OpenAI) -> None:
    first = oai.chat.completions.create(
        model="dossier", messages=[{"role": "user", "content": PIPELINE}]
    )
    alone = ask_once(oai, "What about Baikonur?")
    follow_up = oai.chat.completions.create(
        model="dossier",
        messages=[
            {"role": "user", "content": PIPELINE},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": "What about Baikonur?"},
        ],
    )
    assert not follow_up.model_extra["abstained"], follow_up.choices[0].message.content
    assert "Baikonur" in follow_up.choices[0].message.content
    assert follow_up.model_extra["citations"] == alone.model_extra["citations"]
