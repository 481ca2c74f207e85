"""How `dossier serve` runs uvicorn: with deadlines, a connection cap, a quiet log, workers.

uvicorn's h11 protocol has no deadline for a request's headers or body (a
client sending a byte now and then keeps its connection forever, and 1,000 of
them exhaust the file limit), so `GuardedH11Protocol` adds both, and
`CappedListener` closes connections over `max_connections` as they are
accepted. `RepeatFilter` keeps a client that sends junk from turning the log
into a flood. `Supervisor` runs
several server processes on one socket, since one Python process answers one
question's Python at a time whatever the number of cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import resource
import signal
import socket
import struct
import time
from collections.abc import Callable
from typing import Any, ClassVar

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from dossier.settings import Settings

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024
FD_RESERVE = 64  # file descriptors kept for the index, the model and logs


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline and a body deadline.

    The header clock starts when the connection opens (or, on a kept-alive
    connection, with the next request's first byte); the body clock when the
    headers are complete. When either runs out the connection is closed, with
    no log line. `RequestGuard` answers a slow body with 408 first; this is the
    backstop for bodies the app never reads.
    """

    header_timeout: ClassVar[float] = 10.0
    body_timeout: ClassVar[float] = 30.0

    _timer: asyncio.TimerHandle | None = None
    _phase: object = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # asyncio sets TCP_NODELAY only on sockets it creates; on the socket `--workers` shares,
        # a kept-alive response's second write waited ~40 ms for the client's delayed ACK.
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        """Keep the deadline for the phase the client is in: sending headers, a body, or neither."""
        if self.transport.is_closing():
            return
        phase = self.conn.their_state
        if phase is self._phase and self._timer is not None:
            return
        self._disarm()
        timeout = {h11.IDLE: self.header_timeout, h11.SEND_BODY: self.body_timeout + 1}.get(phase)
        if timeout is not None:
            self._phase = phase
            self._timer = self.loop.call_later(timeout, self._expire, phase)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._phase = None, None

    def _expire(self, phase: object) -> None:
        self._timer, self._phase = None, None
        if self.conn.their_state is phase and not self.transport.is_closing():
            self.transport.close()


def guarded_protocol(settings: Settings) -> type[GuardedH11Protocol]:
    return type(
        "GuardedH11Protocol",
        (GuardedH11Protocol,),
        {"header_timeout": settings.header_timeout, "body_timeout": settings.body_timeout},
    )


class CappedListener(socket.socket):
    """A listening socket that closes, as it accepts them, connections over its cap.

    asyncio accepts up to `backlog` connections a wakeup and builds their
    protocols later, so a cap the protocol checks lets a burst of accepted
    sockets, each an open file, pile up beyond it first. Here the count is of
    the sockets handed out and not yet closed, checked before another is.
    """

    def __init__(self, listening: socket.socket, cap: int) -> None:
        super().__init__(listening.family, listening.type, listening.proto, listening.detach())
        self.cap = cap
        self.live: set[socket.socket] = set()
        self.refused, self.warned = 0, -60.0

    def accept(self) -> tuple[socket.socket, Any]:
        while True:  # BlockingIOError once none are waiting: asyncio stops accepting there
            conn, address = super().accept()
            if len(self.live) >= self.cap:
                self.live = {s for s in self.live if s.fileno() != -1}
            if len(self.live) < self.cap:
                self.live.add(conn)
                return conn, address
            self.refused += 1
            if time.monotonic() - self.warned >= 60:  # a line a minute, however hard the flood
                log.warning(
                    "%d connections open (max_connections): %d new ones closed at once",
                    self.cap,
                    self.refused,
                )
                self.refused, self.warned = 0, time.monotonic()
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()  # reset: no TIME_WAIT left behind for each one refused


class RepeatFilter(logging.Filter):
    """Lets the same message through `burst` times a minute, then counts the rest.

    A client sending malformed requests in a loop gets one warning a request
    from uvicorn; this keeps the log readable without hiding that it happens.
    """

    def __init__(self, burst: int = 10, window: float = 60.0) -> None:
        super().__init__()
        self.burst, self.window = burst, window
        self.seen: dict[str, tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{record.msg}"
        now = time.monotonic()
        start, count = self.seen.get(key, (now, 0))
        if now - start > self.window:
            if count > self.burst:
                record.msg = f"{record.msg} (and {count - self.burst} more in the last minute)"
            start, count = now, 0
        self.seen[key] = (start, count + 1)
        if len(self.seen) > 1000:
            self.seen.clear()
        return count < self.burst


def raise_fd_limit() -> int:
    """Raise the soft open-file limit to the hard one; return the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


def connection_cap(settings: Settings) -> int:
    """`max_connections`, lowered so that many connections stay within the open-file limit."""
    return max(8, min(settings.max_connections, raise_fd_limit() - FD_RESERVE))


def listen(config: uvicorn.Config, settings: Settings) -> CappedListener:
    """The socket `dossier serve` accepts on, bound once and shared by every worker."""
    return CappedListener(config.bind_socket(), connection_cap(settings))


def server_config(app: ASGIApp, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration `dossier serve` uses (tests build their servers from it too)."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "http": guarded_protocol(settings),
        "timeout_keep_alive": settings.keep_alive_timeout,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "limit_concurrency": connection_cap(settings),
        "timeout_graceful_shutdown": 10,
        "log_level": "info",
    }
    return uvicorn.Config(app, **(options | overrides))


def quiet_logs() -> None:
    """Rate-limit repeated warnings from uvicorn and asyncio (bad requests, accept errors)."""
    for name in ("uvicorn.error", "asyncio"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RepeatFilter) for f in logger.filters):
            logger.addFilter(RepeatFilter())


def cap_malloc_arenas(arenas: int = 2) -> None:
    """Few glibc malloc arenas, so memory freed by one worker thread serves the next.

    By default each thread that answers a question may get an arena of its own
    (up to 8 per core) that keeps its peak allocation; under sustained load
    resident memory then climbs and is not given back.
    """
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to tune
        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX


def serve(make_app: Callable[[], ASGIApp], settings: Settings) -> None:
    """Run the server: in this process, or in `settings.workers` processes sharing one socket."""
    if settings.workers == 1:
        _run(make_app(), settings)
        return
    config = server_config(make_app, settings)  # configures uvicorn's loggers
    sock = listen(config, settings)  # bound once here, so every worker accepts on the same port
    Supervisor(lambda: _run(make_app(), settings, sock), settings.workers).run()


def _run(app: ASGIApp, settings: Settings, sock: CappedListener | None = None) -> None:
    cap_malloc_arenas()
    config = server_config(app, settings)
    quiet_logs()
    uvicorn.Server(config).run(sockets=[sock or listen(config, settings)])


class Supervisor:
    """Pre-forked workers: started, replaced when one dies, stopped together.

    Each worker is forked before anything loads (no thread, model or index yet
    in this process), then builds its own app, so workers share nothing but the
    listening socket. SIGTERM or SIGINT is passed on to every worker and the
    supervisor waits for them to finish their requests. A worker that dies on
    its own is replaced, unless workers keep dying within seconds of starting,
    which means they cannot start: then everything stops with an error.
    """

    QUICK_DEATH_S = 5.0
    MAX_QUICK_DEATHS = 5

    def __init__(self, target: Callable[[], None], workers: int) -> None:
        self.target = target
        self.workers = workers
        self.started: dict[int, float] = {}  # pid -> when it started
        self.stopping = False

    def run(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        for _ in range(self.workers):
            self._spawn()
        quick_deaths, status = 0, 0
        while self.started:
            try:
                pid, wait_status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            started = self.started.pop(pid, None)
            if started is None or self.stopping:
                continue
            code = os.waitstatus_to_exitcode(wait_status)
            quick = time.monotonic() - started < self.QUICK_DEATH_S
            quick_deaths = quick_deaths + 1 if quick else 0
            if quick_deaths >= self.MAX_QUICK_DEATHS:
                log.error("workers keep exiting as they start (last: %s); stopping", code)
                status = 1
                self._stop()
                continue
            log.warning("worker %d exited (%s); starting another", pid, code)
            self._spawn()
        if status:
            raise SystemExit(status)

    def _spawn(self) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, signal.SIG_DFL)
            code = 0
            try:
                self.target()
            except BaseException:  # the worker's only way out is its exit code
                log.exception("worker %d failed", os.getpid())
                code = 1
            finally:
                logging.shutdown()
                os._exit(code)
        self.started[pid] = time.monotonic()

    def _stop(self, *_: object) -> None:
        self.stopping = True
        for pid in list(self.started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
