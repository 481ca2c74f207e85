"""The service under abuse: body and conversation limits, backpressure, rate limits, headers.

Servers here are real uvicorn servers on 127.0.0.1 built by `server_config`
(what `dossier serve` runs), sharing the session's loaded engine.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser

import httpx
import pytest
import uvicorn

from dossier.service.app import create_app
from dossier.service.engine import _hide_paths
from dossier.service.limits import QuestionLimiter
from dossier.service.server import server_config
from dossier.settings import Settings

from conftest import ROOT, LiveServer

MiB = 2**20
ASK = {"question": "Which oil field is linked by pipeline to Novorossiysk?"}


class GuardedServer(LiveServer):
    """The app with `settings`, served with the configuration `dossier serve` uses."""

    def __init__(self, settings: Settings, engine: object) -> None:
        self.app = create_app(settings, engine=engine)
        config = server_config(self.app, settings, port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)


@pytest.fixture(scope="module")
def guarded(live: LiveServer, article_settings: Settings) -> Iterator[GuardedServer]:
    """Default limits, except short deadlines so the timeout tests are quick."""
    settings = article_settings.model_copy(update={"header_timeout": 1.5, "body_timeout": 1.5})
    with GuardedServer(settings, live.app.state.engine) as server:
        yield server


def raw_request(port: int, head: bytes, body: bytes = b"", *, timeout: float = 10) -> bytes:
    """Sends bytes on a fresh socket and returns everything the server answers before closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head + body)
        return _read_response(sock)


def _read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def port_of(server: LiveServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


# --- request bodies -------------------------------------------------------------------------


def test_default_body_limit_is_one_mib() -> None:
    assert Settings().max_body_bytes == MiB


def test_declared_content_length_over_the_limit_is_refused_before_reading(
    guarded: GuardedServer,
) -> None:
    started = time.monotonic()
    head = (
        b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 200000000\r\n\r\n"
    )
    answer = raw_request(port_of(guarded), head, b'{"question": "')
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"1048576-byte limit" in answer
    assert b"DOSSIER_MAX_BODY_BYTES" in answer
    assert time.monotonic() - started < 2  # answered without waiting for 200 MB


def test_streamed_body_over_the_limit_is_cut_off_while_streaming(guarded: GuardedServer) -> None:
    """A chunked body (no length given) far over the limit: 413 before the client stops."""
    with socket.create_connection(("127.0.0.1", port_of(guarded)), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 65536
        sent = 0
        try:
            while sent < 200 * MiB:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        else:
            pytest.fail("the server read 200 MB of a body over its 1 MiB limit")
        # The server stopped reading at 4 MiB (1 MiB limit, up to 4× drained for a clean 413).
        assert sent < 16 * MiB


def test_body_a_little_over_the_limit_gets_413_and_the_connection_stays_usable(
    guarded: GuardedServer,
) -> None:
    with httpx.Client(base_url=guarded.url, timeout=30) as http:
        big = http.post("/ask", json={"question": "x" * (MiB + 10)})
        assert big.status_code == 413
        assert "DOSSIER_MAX_BODY_BYTES" in big.json()["detail"]
        chat = http.post(
            "/v1/chat/completions",
            json={"messages": [{"role": "user", "content": "y" * (2 * MiB)}]},
        )
        assert chat.status_code == 413
        assert "1048576-byte limit" in chat.json()["error"]["message"]
        port = _local_port(chat)
        ok = http.post("/ask", json=ASK)
        assert ok.status_code == 200
        assert _local_port(ok) == port  # the same keep-alive connection


def test_a_body_just_under_the_limit_is_read(guarded: GuardedServer) -> None:
    padding = "p" * (MiB - 200)
    response = httpx.post(f"{guarded.url}/ask", json={**ASK, "padding": padding}, timeout=30)
    assert response.status_code == 422  # read and validated: the unknown field is named
    assert "padding" in response.json()["detail"]


def test_a_slow_body_gets_408_within_the_body_timeout(guarded: GuardedServer) -> None:
    with socket.create_connection(("127.0.0.1", port_of(guarded)), timeout=10) as sock:
        sock.sendall(
            b"POST /ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"question"'
        )
        started = time.monotonic()
        answer = _read_response(sock)
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"DOSSIER_BODY_TIMEOUT" in answer
    assert 1.0 < waited < 4


# --- the chat conversation ------------------------------------------------------------------


def _local_port(response: httpx.Response) -> int:
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


def chat(http: httpx.Client, messages: list[dict]) -> httpx.Response:
    return http.post("/v1/chat/completions", json={"model": "dossier", "messages": messages})


def test_each_message_and_the_whole_conversation_are_capped(client: httpx.Client) -> None:
    limits = Settings()
    question = {"role": "user", "content": "Which oil field is linked to Novorossiysk?"}
    long_turn = {"role": "user", "content": "w " * (limits.max_message_chars // 2 + 1)}
    one = chat(client, [long_turn, {"role": "assistant", "content": "ok"}, question])
    assert one.status_code == 400
    assert "messages[0]" in one.json()["error"]["message"]
    assert "DOSSIER_MAX_MESSAGE_CHARS" in one.json()["error"]["message"]
    assert one.json()["error"]["code"] == "message_too_long"

    turns = limits.max_conversation_chars // limits.max_message_chars + 1
    under = {"role": "user", "content": "v" * (limits.max_message_chars - 10)}
    total = chat(client, [under] * turns + [question])
    assert total.status_code == 400
    assert "DOSSIER_MAX_CONVERSATION_CHARS" in total.json()["error"]["message"]

    many = chat(client, [{"role": "user", "content": "hi"}] * (limits.max_messages + 1))
    assert many.status_code == 400
    assert "DOSSIER_MAX_MESSAGES" in many.json()["error"]["message"]

    fine = chat(client, [under, {"role": "assistant", "content": "ok"}, question])
    assert fine.status_code == 200, fine.text


MALFORMED_CONTENT = [
    [{"type": "text", "text": 123}],
    [{"type": "text", "text": None}],
    [{"type": "text", "text": ["a"]}],
    [{"type": "text", "text": {"a": 1}}],
    [{"text": "no type"}],
    [None],
    [["text"]],
    [7],
    [{"type": 5, "text": "x"}],
    {"type": "text", "text": "a dict, not a list"},
    123,
    True,
]


def test_malformed_content_gets_a_4xx_and_the_connection_keeps_working(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        port = _local_port(http.get("/v1/models"))
        for content in MALFORMED_CONTENT:
            bad = chat(http, [{"role": "user", "content": content}])
            assert 400 <= bad.status_code < 500, (content, bad.text)
            assert "content" in bad.json()["error"]["message"], content
            after = http.get("/v1/models")
            assert after.status_code == 200
            assert _local_port(after) == _local_port(bad) == port  # one connection throughout
        part = {"type": "text", "text": ASK["question"]}
        good = chat(http, [{"role": "user", "content": [part]}])
        assert good.status_code == 200, good.text
        assert "Tengiz" in good.json()["choices"][0]["message"]["content"]
        assert _local_port(good) == port


def test_an_error_inside_the_app_is_a_500_that_keeps_the_connection(
    live: LiveServer, article_settings: Settings
) -> None:
    """A bug must not cost the client its connection: the 500 is sent and the next request works."""

    class Broken:
        settings = article_settings
        ready = True

        def ask(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("a bug")

        def __getattr__(self, name: str) -> object:
            return getattr(live.app.state.engine, name)

    with (
        GuardedServer(article_settings, Broken()) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        broken = http.post("/ask", json=ASK)
        assert broken.status_code == 500
        assert "RuntimeError" in broken.json()["detail"]
        port = _local_port(broken)
        after = http.get("/healthz")
        assert after.status_code == 200
        assert _local_port(after) == port


# --- backpressure ---------------------------------------------------------------------------


def test_questions_beyond_the_limit_get_a_quick_503_with_retry_after() -> None:
    """Two slots, a long wait in each: the third question is refused within `wait`, not queued."""
    release = asyncio.Event()
    entered = 0

    async def slow_app(scope: dict, receive: object, send: object) -> None:
        nonlocal entered
        entered += 1
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limiter = QuestionLimiter(slow_app, limit=2, wait=0.3)

    async def call() -> tuple[int, dict[bytes, bytes], float]:
        sent: list[dict] = []

        async def send(message: dict) -> None:
            sent.append(message)

        async def receive() -> dict:
            return {"type": "http.request", "body": b"", "more_body": False}

        started = time.monotonic()
        await limiter({"type": "http", "path": "/ask", "headers": []}, receive, send)
        return sent[0]["status"], dict(sent[0]["headers"]), time.monotonic() - started

    async def scenario() -> list[tuple[int, dict[bytes, bytes], float]]:
        first = [asyncio.create_task(call()) for _ in range(2)]
        await asyncio.sleep(0.05)
        refused = await call()
        queued = asyncio.create_task(call())  # waits for a slot, gets one when one frees
        await asyncio.sleep(0.05)
        release.set()
        return [*(await asyncio.gather(*first)), refused, await queued]

    results = asyncio.run(scenario())
    statuses = [status for status, _, _ in results]
    assert statuses == [200, 200, 503, 200]
    _, headers, waited = results[2]
    assert headers[b"retry-after"] == b"1"
    assert 0.25 < waited < 1.0
    assert entered == 3
    assert limiter.active == 0 and not limiter.waiters


def test_concurrent_questions_over_the_limit_are_shed_with_503(
    live: LiveServer, article_settings: Settings
) -> None:
    settings = article_settings.model_copy(
        update={"max_questions_in_flight": 1, "question_wait": 0.0}
    )
    with GuardedServer(settings, live.app.state.engine) as server:

        def ask(_: int) -> httpx.Response:
            return httpx.post(f"{server.url}/ask", json=ASK, timeout=60)

        with ThreadPoolExecutor(12) as pool:
            responses = list(pool.map(ask, range(24)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 503}, statuses
    assert 200 in statuses and 503 in statuses, statuses
    shed = next(r for r in responses if r.status_code == 503)
    assert shed.headers["retry-after"] == "1"
    assert "DOSSIER_MAX_QUESTIONS_IN_FLIGHT" in shed.json()["detail"]


# --- rate limiting --------------------------------------------------------------------------


def test_rate_limiting_is_off_by_default(client: httpx.Client) -> None:
    assert Settings().rate_limit_per_minute == 0
    statuses = {client.get("/sources").status_code for _ in range(60)}
    assert statuses == {200}


def test_rate_limit_answers_429_with_retry_after(
    live: LiveServer, article_settings: Settings
) -> None:
    settings = article_settings.model_copy(
        update={"rate_limit_per_minute": 30, "rate_limit_burst": 3}
    )
    with (
        GuardedServer(settings, live.app.state.engine) as server,
        httpx.Client(base_url=server.url, timeout=60) as http,
    ):
        statuses = [http.get("/sources").status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        limited = http.post("/ask", json=ASK)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "2"  # one token every 2 s at 30 a minute
        assert "rate limited" in limited.json()["detail"]
        assert http.get("/healthz").status_code == 200  # health checks are never limited
        assert http.get("/").status_code == 200
        time.sleep(2.1)
        assert http.post("/ask", json=ASK).status_code == 200


# --- the page, its headers, and what /sources shows -----------------------------------------


def test_page_and_static_files_send_security_headers(client: httpx.Client) -> None:
    for path in ("/", "/static/app.js", "/static/style.css"):
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert client.get("/sources").headers["x-content-type-options"] == "nosniff"


def test_head_of_the_page_works(client: httpx.Client) -> None:
    head = client.head("/")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in head.headers


def test_the_page_has_no_inline_script() -> None:
    """The CSP allows only scripts from files: an inline script or handler would not run."""

    class Scripts(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.problems: list[str] = []
            self.in_script = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names = dict(attrs)
            self.problems += [f"{tag} {name}=" for name in names if name.startswith("on")]
            if tag == "script":
                self.in_script = True
                if not names.get("src"):
                    self.problems.append("script without src")
            if any((v or "").strip().lower().startswith("javascript:") for v in names.values()):
                self.problems.append(f"javascript: URL in {tag}")

        def handle_endtag(self, tag: str) -> None:
            self.in_script = self.in_script and tag != "script"

        def handle_data(self, data: str) -> None:
            if self.in_script and data.strip():
                self.problems.append("inline script text")

    page = Scripts()
    page.feed((ROOT / "service" / "static" / "index.html").read_text(encoding="utf-8"))
    assert page.problems == []


def test_sources_show_no_server_paths(client: httpx.Client) -> None:
    sources = client.get("/sources").json()
    article = next(s for s in sources if s["id"] == "article")
    assert article["file"] == "article.txt"
    assert article["url"] is None
    text = client.get("/sources").text
    assert str(ROOT) not in text
    assert "/tmp" not in text and "pytest-" not in text


def test_failure_reasons_name_files_not_paths() -> None:
    reason = "file /srv/dossier/corpus/missing.pdf does not exist"
    assert _hide_paths(reason) == "file missing.pdf does not exist"
    web = "HTTP 404 from https://example.org/a/b/c.html"
    assert _hide_paths(web) == web


def test_undecodable_chat_body_gets_an_openai_shaped_400(client: httpx.Client) -> None:
    response = client.post(
        "/v1/chat/completions", content=b",\xff", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]
