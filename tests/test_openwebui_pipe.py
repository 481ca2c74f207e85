"""The Open WebUI Pipe shipped in integrations/, run against a live Dossier.

Open WebUI itself does not run here: the test loads the file as Open WebUI does
(a plain module), calls its `pipe` with an event emitter that collects the
events, and checks them against Dossier's own citations.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
import sys
from types import ModuleType
from typing import Any

import httpx
import pytest

from conftest import ROOT, LiveServer

PIPE_FILE = ROOT / "integrations" / "openwebui" / "dossier_pipe.py"
QUESTION = "Which oil field is linked by pipeline to Novorossiysk?"


@pytest.fixture(scope="module")
def module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dossier_pipe", PIPE_FILE)
    assert spec and spec.loader
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    assert "open_webui" not in sys.modules
    return loaded


def run(pipe: Any, body: dict, **kwargs: Any) -> tuple[str, list[dict]]:
    events: list[dict] = []

    async def emitter(event: dict) -> None:
        events.append(event)

    content = asyncio.run(pipe.pipe(body, __event_emitter__=emitter, **kwargs))
    return content, events


def test_pipe_turns_citations_into_open_webui_sources(
    module: ModuleType, live: LiveServer, client: httpx.Client
) -> None:
    pipe = module.Pipe()
    pipe.valves.DOSSIER_URL = live.url
    body = {"model": "dossier.dossier", "messages": [{"role": "user", "content": QUESTION}]}
    content, events = run(pipe, body)
    ask = client.post("/ask", json={"question": QUESTION}).json()
    assert content == ask["answer"]  # the source list is left to Open WebUI's citations
    sources = [e["data"] for e in events if e["type"] == "source"]
    assert len(sources) == len(ask["citations"]) > 0
    for data, citation in zip(sources, ask["citations"], strict=True):
        assert data["document"] == [citation["quote"]]
        assert data["source"]["name"] == f"[{citation['n']}] {citation['title']}"
        link = f"{live.url}/#cite={citation['source_id']}:{citation['start']}-{citation['end']}"
        assert data["source"]["url"] == link  # the article is local: Dossier's passage view
        assert data["metadata"][0]["source"] == link
    statuses = [e["data"] for e in events if e["type"] == "status"]
    assert statuses[0]["done"] is False and statuses[-1]["done"] is True
    # The link opens the chat page, which reads the #cite fragment.
    page = httpx.get(sources[0]["source"]["url"].split("#")[0])
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]


def test_pipe_passes_open_webui_tasks_through(module: ModuleType, live: LiveServer) -> None:
    pipe = module.Pipe()
    pipe.valves.DOSSIER_URL = live.url
    prompt = (
        "### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat "
        'history.\n### Output:\nJSON format: { "title": "your concise title here" }\n'
        f"### Chat History:\n<chat_history>\nUSER: {QUESTION}\n</chat_history>"
    )
    body = {"messages": [{"role": "user", "content": prompt}]}
    content, events = run(pipe, body, __task__="title_generation")
    assert "Novorossiysk" in json.loads(content)["title"]
    assert events == []


def test_pipe_explains_an_unreachable_dossier(module: ModuleType) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pipe = module.Pipe()
    pipe.valves.DOSSIER_URL = f"http://127.0.0.1:{port}"
    content, events = run(pipe, {"messages": [{"role": "user", "content": QUESTION}]})
    assert "not reachable" in content and "DOSSIER_URL" in content
    assert events[-1]["data"]["done"] is True
