"""`dossier serve --workers N`: several server processes on one port, supervised.

The real command runs in a subprocess; its workers are found as its child
processes in /proc and killed from outside, as an operator or the kernel's
OOM killer would.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from dossier.service.server import Supervisor
from dossier.settings import Settings

from served import ServeProcess


def workers_of(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in children}


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def served(article_settings: Settings) -> Iterator[ServeProcess]:
    with ServeProcess(article_settings, DOSSIER_WORKERS=2) as server:
        server.wait_ready()
        yield server


def test_two_workers_answer_and_a_killed_worker_is_replaced(served: ServeProcess) -> None:
    workers = workers_of(served.process.pid)
    assert len(workers) == 2
    question = {"question": "When was the Treaty of Friendship signed?"}
    for _ in range(4):
        response = httpx.post(f"{served.url}/ask", json=question, timeout=60)
        assert response.status_code == 200 and response.json()["citations"]

    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: len(workers_of(served.process.pid) - {victim}) == 2)
    replacement = (workers_of(served.process.pid) - workers).pop()
    assert "starting another" in served.stderr
    # Every request is answered meanwhile: the surviving worker takes them, then both do.
    for _ in range(6):
        response = httpx.post(f"{served.url}/ask", json=question, timeout=60)
        assert response.status_code == 200
    assert Path(f"/proc/{replacement}").exists()


def test_sigterm_stops_every_worker(article_settings: Settings) -> None:
    with ServeProcess(article_settings, DOSSIER_WORKERS=2) as server:
        server.wait_ready()
        workers = workers_of(server.process.pid)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(30) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_workers_that_cannot_start_stop_the_server_with_an_error() -> None:
    pid = os.fork()
    if pid == 0:  # a fresh process, so the supervisor's signal handlers stay out of pytest's
        code = 0
        try:
            Supervisor(lambda: sys.exit(3), workers=2).run()
        except SystemExit as exc:
            code = int(exc.code or 0)
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1
