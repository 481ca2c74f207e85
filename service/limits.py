"""ASGI guards that keep one client from exhausting the service (see RELIABILITY.md).

Each is a plain ASGI middleware, so it works before routing and costs one
function call per request:

- `RequestGuard` reads the body under a size limit and a deadline before the
  app sees it, and turns an unexpected exception into a 500 that keeps the
  keep-alive connection usable;
- `QuestionLimiter` bounds the questions being answered at once and answers
  503 with `Retry-After` instead of queueing into minutes;
- `RateLimiter` is an optional token bucket per client IP (429 with `Retry-After`);
- `SecurityHeaders` sends CSP, nosniff and Referrer-Policy with the chat page.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections import deque
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# The chat page loads only its own script and stylesheet and talks only to this origin.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
QUESTION_PATHS = frozenset({"/ask", "/search", "/v1/chat/completions"})
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/", "/favicon.ico"})


async def send_error(
    scope: Scope,
    send: Send,
    status: int,
    message: str,
    *,
    code: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    close: bool = False,
) -> None:
    """A JSON error both plain clients (`detail`) and OpenAI clients (`error.message`) read."""
    payload: dict[str, object] = {"detail": message}
    if scope.get("path", "").startswith("/v1/"):
        kind = "invalid_request_error" if status < 500 else "server_error"
        payload["error"] = {"message": message, "type": kind, "param": None, "code": code}
    body = json.dumps(payload).encode()
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers),
    ]
    if close:
        raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


class RequestGuard:
    """Reads the request body under `max_bytes` and `timeout`, then hands it to the app.

    The body is counted as it streams, so a 200 MB upload costs at most
    `max_bytes` of memory: a declared `Content-Length` over the limit is refused
    before any of it is read. A body a little over the limit (up to 4×) is
    read and discarded so the 413 arrives cleanly and the connection stays
    usable; beyond that the 413 closes the connection. A body slower than
    `timeout` gets 408. An exception from the app becomes a logged 500 that
    leaves the keep-alive connection working for the client's next request.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.drain_bytes = 4 * max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        body = await self._read_body(scope, receive, tracked)
        if body is None:
            return
        try:
            await self.app(scope, _replay(body, receive), tracked)
        except Exception as exc:
            if started:
                raise
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            await send_error(
                scope,
                tracked,
                500,
                f"internal error ({type(exc).__name__}); the server log has the details",
            )

    def _too_large(self) -> str:
        return (
            f"the request body is over the {self.max_bytes}-byte limit "
            "(DOSSIER_MAX_BODY_BYTES); send a smaller body"
        )

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None once an error was sent or the client went away."""
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await send_error(scope, send, 400, "Content-Length is not a number", close=True)
                return None
            if length > self.drain_bytes:
                await send_error(scope, send, 413, self._too_large(), close=True)
                return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0))
            except TimeoutError:
                await send_error(
                    scope,
                    send,
                    408,
                    f"the request body did not arrive within {self.timeout:g} s "
                    "(DOSSIER_BODY_TIMEOUT)",
                    close=True,
                )
                return None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.drain_bytes:
                await send_error(scope, send, 413, self._too_large(), close=True)
                return None
            if size <= self.max_bytes:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        if size > self.max_bytes:
            await send_error(scope, send, 413, self._too_large())
            return None
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that yields the already-read body, then the real channel (disconnects)."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class QuestionLimiter:
    """At most `limit` questions answered at once; others wait up to `wait` seconds, then 503.

    Answering is CPU-bound, so queueing more work than the cores can do only
    makes every answer late and grows memory; a quick 503 with `Retry-After`
    lets clients back off or go elsewhere.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        wait: float,
        paths: frozenset[str] = QUESTION_PATHS,
    ) -> None:
        self.app = app
        self.limit = limit
        self.wait = wait
        self.paths = paths
        self.active = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") not in self.paths:
            await self.app(scope, receive, send)
            return
        if not await self._acquire():
            retry = max(1, math.ceil(self.wait))
            await send_error(
                scope,
                send,
                503,
                f"busy: {self.limit} questions are being answered "
                f"(DOSSIER_MAX_QUESTIONS_IN_FLIGHT); retry after {retry} s",
                code="overloaded",
                headers=[("Retry-After", str(retry))],
            )
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._release()

    async def _acquire(self) -> bool:
        if self.active < self.limit and not self.waiters:
            self.active += 1
            return True
        if self.wait <= 0:
            return False
        slot = asyncio.get_running_loop().create_future()
        self.waiters.append(slot)
        try:
            await asyncio.wait_for(asyncio.shield(slot), self.wait)
        except TimeoutError:
            if slot.done():  # handed over just as the wait ran out: keep it
                return True
            slot.cancel()
            return False
        except BaseException:
            if slot.done() and not slot.cancelled():
                self._release()
            slot.cancel()
            raise
        return True

    def _release(self) -> None:
        while self.waiters:
            slot = self.waiters.popleft()
            if not slot.done():
                slot.set_result(None)  # the slot passes to the longest waiter
                return
        self.active -= 1


class RateLimiter:
    """A token bucket per client IP: `burst` requests at once, then `per_minute` a minute.

    Health checks, the page and its static files are not counted. The table of
    buckets is pruned of full (idle) buckets, so it stays small.
    """

    MAX_CLIENTS = 10_000

    def __init__(self, app: ASGIApp, *, per_minute: float, burst: int) -> None:
        self.app = app
        self.rate = per_minute / 60
        self.burst = float(burst)
        self.buckets: dict[str, tuple[float, float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in UNLIMITED_PATHS or path.startswith("/static/"):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self._take(client, time.monotonic())
        if wait > 0:
            retry = max(1, math.ceil(wait))
            await send_error(
                scope,
                send,
                429,
                f"rate limited: over {self.rate * 60:g} requests a minute from {client} "
                f"(DOSSIER_RATE_LIMIT_PER_MINUTE); retry after {retry} s",
                code="rate_limit_exceeded",
                headers=[("Retry-After", str(retry))],
            )
            return
        await self.app(scope, receive, send)

    def _take(self, client: str, now: float) -> float:
        """0 when a request may go now, else the seconds until it may."""
        tokens, stamp = self.buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        if tokens >= 1:
            self.buckets[client] = (tokens - 1, now)
            if len(self.buckets) > self.MAX_CLIENTS:
                self._prune(now)
            return 0.0
        self.buckets[client] = (tokens, now)
        return (1 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        full = [
            key
            for key, (tokens, stamp) in self.buckets.items()
            if tokens + (now - stamp) * self.rate >= self.burst
        ]
        for key in full:
            del self.buckets[key]


class SecurityHeaders:
    """`nosniff` and `Referrer-Policy` on every response; a strict CSP on the page and its files.

    /docs is left without a CSP: FastAPI's Swagger page uses inline script.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
        if path == "/" or path.startswith("/static/"):
            extra.append((b"content-security-policy", PAGE_CSP.encode()))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {key.lower() for key, _ in message.get("headers", ())}
                missing = [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": [*message.get("headers", ()), *missing]}
            await send(message)

        await self.app(scope, receive, with_headers)
