"""`dossier serve` under attack and load, measured from outside the server process.

The server runs as the real command in a subprocess (tests/served.py), so its
resident memory is its own (/proc/PID/status) and its stderr is what an
operator's log would hold.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import selectors
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from dossier.settings import Settings

from conftest import ROOT
from served import ServeProcess

HEADER_TIMEOUT = 2.0
MAX_CONNECTIONS = 100
LOAD_SECONDS = float(os.environ.get("DOSSIER_LOAD_SECONDS", "60"))
LOAD_CLIENTS = 16
WARM_ANSWERS = 2 * Settings().max_questions_in_flight


@pytest.fixture(scope="module")
def served(article_settings: Settings) -> Iterator[ServeProcess]:
    with ServeProcess(
        article_settings,
        DOSSIER_HEADER_TIMEOUT=HEADER_TIMEOUT,
        DOSSIER_MAX_CONNECTIONS=MAX_CONNECTIONS,
    ) as server:
        server.wait_ready()  # loading the model holds the GIL: attack the server as it runs
        yield server


def _more_files(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


class HalfOpen:
    """Connections that start a request and never finish its headers (slowloris).

    Records when each was opened and when the server closed it, polling while
    it opens more, so a close is timed when it happens.
    """

    def __init__(self, port: int, server_pid: int | None = None) -> None:
        self.port = port
        self.fds = Path(f"/proc/{server_pid}/fd") if server_pid else None
        self.server_fds: list[int] = []
        self.selector = selectors.DefaultSelector()
        self.sockets: list[socket.socket | None] = []
        self.opened: list[float] = []
        self.closed: dict[int, float] = {}

    def open(self, count: int) -> None:
        for _ in range(count):
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            except ConnectionResetError:  # refused over the cap before connect() returned
                now = time.monotonic()
                self.closed[len(self.opened)] = now
                self.opened.append(now)
                self.sockets.append(None)
                continue
            self.opened.append(time.monotonic())
            sock.setblocking(False)
            with contextlib.suppress(OSError):  # closed by the server: what is checked
                sock.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
            self.selector.register(sock, selectors.EVENT_READ, len(self.sockets))
            self.sockets.append(sock)
            self.poll(0)

    def poll(self, timeout: float) -> None:
        if self.fds is not None:
            with contextlib.suppress(OSError):
                self.server_fds.append(len(list(self.fds.iterdir())))
        for key, _ in self.selector.select(timeout=timeout):
            try:
                data = key.fileobj.recv(4096)
            except (ConnectionResetError, BlockingIOError):
                data = b""
            if not data:
                self.closed[key.data] = time.monotonic()
                self.selector.unregister(key.fileobj)

    def wait(self, seconds: float, trickle: bool) -> None:
        """Waits for all to be closed, sending a header byte on each every 0.5 s if `trickle`."""
        deadline = time.monotonic() + seconds
        next_trickle = time.monotonic()
        while len(self.closed) < len(self.sockets) and time.monotonic() < deadline:
            if trickle and time.monotonic() >= next_trickle:
                for i, sock in enumerate(self.sockets):
                    if sock is not None and i not in self.closed:
                        with contextlib.suppress(OSError):
                            sock.send(b"X")
                next_trickle += 0.5
            self.poll(0.1)
        self.selector.close()
        for sock in self.sockets:
            if sock is not None:
                sock.close()

    def lifetimes(self) -> list[float]:
        return [self.closed[i] - self.opened[i] for i in sorted(self.closed)]


def test_half_open_connections_are_closed_quietly_within_the_header_timeout(
    served: ServeProcess,
) -> None:
    log_before = len(served.stderr)
    attack = HalfOpen(served.port)
    attack.open(80)
    # While they hang, the service still answers.
    assert httpx.get(f"{served.url}/healthz", timeout=5).status_code == 200
    attack.wait(HEADER_TIMEOUT + 3, trickle=True)
    assert len(attack.closed) == 80, f"{80 - len(attack.closed)} connections still open"
    lifetimes = attack.lifetimes()
    assert max(lifetimes) < HEADER_TIMEOUT + 1
    assert min(lifetimes) > HEADER_TIMEOUT - 0.5  # closed by the deadline, not at once
    assert len(served.stderr) - log_before < 2000, served.stderr[log_before:]


def test_connections_over_the_cap_are_closed_at_once(served: ServeProcess) -> None:
    """1,100 half-open connections (the issue's attack) against a cap of 100."""
    _more_files(1100 + 200)
    log_before = len(served.stderr)
    fds_before = len(list(Path(f"/proc/{served.process.pid}/fd").iterdir()))
    attack = HalfOpen(served.port, served.process.pid)
    attack.open(1100)
    attack.wait(HEADER_TIMEOUT + 3, trickle=False)
    assert len(attack.closed) == 1100, f"{1100 - len(attack.closed)} connections still open"
    lifetimes = attack.lifetimes()
    assert max(lifetimes) < HEADER_TIMEOUT + 1.5
    # The server holds its cap, never the 1,100 offered, however fast they come: its open file
    # descriptors say so. One over the cap is open for the instant between accept and close.
    assert max(attack.server_fds) <= fds_before + MAX_CONNECTIONS + 1, max(attack.server_fds)
    # Over the cap a connection is closed at once, not at the header deadline.
    assert sum(life < HEADER_TIMEOUT - 0.5 for life in lifetimes) >= 1100 / 2
    assert httpx.get(f"{served.url}/healthz", timeout=5).status_code == 200
    assert served.process.poll() is None
    log = served.stderr[log_before:]
    assert len(log) < 4000, log
    assert log.count("new ones closed at once") == 1, log  # the operator is told, once


def _questions() -> list[str]:
    lines = (ROOT / "eval" / "sets" / "article.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()][:40]


def test_sixteen_clients_get_answers_or_503_and_memory_stays_flat(
    article_settings: Settings,
) -> None:
    """16 clients ask without pause for LOAD_SECONDS (DOSSIER_LOAD_SECONDS, 60 in the issue).

    Every answer is a 200 or the documented 503 (clients wait its Retry-After);
    the server's resident memory after warm-up stays within 10% of where it was
    when warm-up ended. Warm-up is the first quarter of the run and at least
    WARM_ANSWERS answers (every slot used); on a slow machine the run goes on
    past LOAD_SECONDS until as many answers again were measured, but never past
    4 × LOAD_SECONDS.
    """
    questions = _questions()
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    with ServeProcess(article_settings) as server:
        server.wait_ready()
        started = time.monotonic()

        def client(n: int) -> None:
            with httpx.Client(base_url=server.url, timeout=120) as http:
                i = n
                while not stop.is_set():
                    question = questions[i % len(questions)]
                    i += LOAD_CLIENTS
                    try:
                        response = http.post("/ask", json={"question": question})
                    except httpx.HTTPError as exc:
                        with lock:
                            errors.append(f"{type(exc).__name__}: {exc}")
                        continue
                    with lock:
                        statuses[response.status_code] += 1
                    if response.status_code == 503:
                        stop.wait(min(float(response.headers["retry-after"]), 1.0))
                    elif response.status_code != 200:
                        with lock:
                            errors.append(f"{response.status_code}: {response.text[:200]}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(LOAD_CLIENTS)]
        for thread in threads:
            thread.start()
        baseline, peak, warm_answers = 0, 0, 0
        while True:
            elapsed = time.monotonic() - started
            rss = server.rss_kib()
            with lock:
                answered = statuses[200]
            if not warm_answers:
                baseline = rss
                if elapsed >= LOAD_SECONDS / 4 and answered >= WARM_ANSWERS:
                    warm_answers = answered
            else:
                peak = max(peak, rss)
            measured = answered - warm_answers if warm_answers else 0
            if elapsed >= 4 * LOAD_SECONDS or (
                elapsed >= LOAD_SECONDS and measured >= WARM_ANSWERS
            ):
                break
            time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join()
        log = server.stderr
    report = (
        f"{LOAD_CLIENTS} clients × {elapsed:.0f} s: {dict(statuses)}, "
        f"RSS after warm-up ({warm_answers} answers) {baseline / 1024:.0f} MiB, "
        f"peak after {peak / 1024:.0f} MiB ({peak / baseline - 1:+.1%})"
    )
    print(report)
    Path(os.environ.get("DOSSIER_LOAD_REPORT", os.devnull)).write_text(report + "\n")
    assert errors == [], errors[:5]
    assert set(statuses) <= {200, 503}
    assert peak, f"too few answers to measure after warm-up: {report}"
    assert peak / baseline - 1 < 0.10, report
    assert "Traceback" not in log


def test_the_benchmarks_load_generator_counts_answers_errors_and_its_own_cpu(
    served: ServeProcess,
) -> None:
    from dossier.eval.bench import ceiling
    from dossier.eval.loadgen import run

    questions = ["When was the Treaty of Friendship signed?", "Who leads Kazakhstan?", "   "]
    result = run(served.url, "/search", questions, clients=3, requests=9)
    # The blank query is refused with a 4xx, which the load generator counts as an error.
    assert len(result["latencies_ms"]) == 6 and len(result["errors"]) == 3
    assert all(e.startswith("HTTP 4") for e in result["errors"])
    assert result["cpu_s"] > 0 and result["wall_s"] > 0
    one = {"qps": 100.0, "server_cpu_ms": 7.0, "client_cpu_ms": 1.0}
    cores = os.cpu_count() or 1
    assert ceiling(one) == {"qps": round(cores * 125.0, 1), "ratio": round(cores * 1.25, 2)}


def test_the_benchmark_times_the_encoder_by_batch(article_settings: Settings) -> None:
    """What micro-batching can save: CPU per question, encoded 1, 8 and 32 at a time."""
    from dossier.eval.bench import batch_cpu
    from dossier.index.embed import load_embedder

    embedder = load_embedder(article_settings)
    sizes: list[int] = []

    def encode(texts: list[str]) -> np.ndarray:
        sizes.append(len(texts))
        return embedder.encode_queries(texts)

    questions = [f"What did the agreement of {1990 + i} establish?" for i in range(10)]
    figures = batch_cpu(encode, questions, rounds=1)
    assert list(figures) == [1, 8, 32] and all(ms > 0 for ms in figures.values())
    assert sizes == [8] + [1] * 10 + [8, 2] + [10]  # a warm-up, then each batch size
