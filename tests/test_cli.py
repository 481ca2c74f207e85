"""The `dossier` command end to end: exit statuses, JSON output, and interrupted ingests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dossier.index.store import current_index_id, load_index
from dossier.service.app import create_app
from dossier.settings import Settings

from conftest import ARTICLE, LiveServer, article_entry, run_cli, serving, write_corpus


def refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone.html"


def test_ingest_exit_status_tells_all_some_and_none(tmp_path: Path) -> None:
    data = tmp_path / "data"
    unreachable = f'[[source]]\nid = "unreachable"\nurl = "{refused_url()}"\ntitle = "Gone"\n'
    some = write_corpus(tmp_path / "some", article_entry() + unreachable)
    code, output = run_cli(
        "ingest", "--data-dir", str(data), "--corpus", str(some), "--no-progress"
    )
    assert code == 3, output
    report = json.loads((data / "ingest-report.json").read_text())
    by_id = {s["source_id"]: s for s in report["sources"]}
    assert by_id["article"]["ok"] and by_id["article"]["passages"] > 5
    assert not by_id["unreachable"]["ok"] and by_id["unreachable"]["failure"] == "refused"
    published = current_index_id(Settings(data_dir=data))
    assert published

    none = write_corpus(tmp_path / "none", unreachable)
    code, output = run_cli(
        "ingest", "--data-dir", str(data), "--corpus", str(none), "--no-progress"
    )
    assert code == 4, output
    assert "no source could be used" in output
    assert current_index_id(Settings(data_dir=data)) == published

    code, output = run_cli(
        "ingest",
        "--data-dir",
        str(data),
        "--corpus",
        str(write_corpus(tmp_path / "all", article_entry())),
    )
    assert code == 0, output


def test_cli_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    code, output = run_cli(
        "ingest", "--data-dir", str(tmp_path), "--corpus", str(tmp_path / "missing.toml")
    )
    assert code == 1 and "missing.toml" in output and "Traceback" not in output
    code, output = run_cli("ask", "Tengiz?", "--data-dir", str(tmp_path / "empty"))
    assert code == 1 and "dossier ingest" in output and "Traceback" not in output
    code, output = run_cli("ask", "   ", "--data-dir", str(tmp_path))
    assert code == 2 and "empty" in output
    code, output = run_cli("search", "Tengiz", "--mode", "fuzzy", "--data-dir", str(tmp_path))
    assert code == 2 and "--mode must be hybrid, dense or lexical" in output
    code, output = run_cli("ask", "Tengiz?", "-k", "0")
    assert code == 2


@pytest.fixture(scope="module")
def store_client(store_settings: Settings) -> Iterator[httpx.Client]:
    with serving(store_settings) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def test_ask_and_search_json_match_the_api(
    store_settings: Settings, store_client: httpx.Client
) -> None:
    """In each store, the CLI prints exactly what the API answers."""
    where = ("--store", store_settings.store)
    data = ("--data-dir", str(store_settings.data_dir))
    question = "Which oil field is linked by pipeline to Novorossiysk?"
    code, output = run_cli(*where, "ask", question, "--json", *data)
    assert code == 0, output
    cli, api = json.loads(output), store_client.post("/ask", json={"question": question}).json()
    for body in (cli, api):
        body.pop("timings")
    assert cli == api
    code, output = run_cli(*where, "search", "Baikonur", "--json", "-k", "3", *data)
    assert code == 0
    assert (
        json.loads(output)["passages"]
        == store_client.post("/search", json={"query": "Baikonur", "k": 3}).json()["passages"]
    )
    code, output = run_cli(*where, "sources", "--json", *data)
    assert [s["id"] for s in json.loads(output)] == ["article"]


def long_source(folder: Path) -> str:
    """A local text source long enough that embedding it takes seconds.

    Every paragraph is marked with its chapter, so no passage repeats the article's text
    (an ingest copies the vectors of unchanged passages from the index it replaces).
    """
    paragraphs = ARTICLE.read_text(encoding="utf-8").split("\n\n")
    chapters = ("\n\n".join(f"{p} ({i})" for p in paragraphs) for i in range(25))
    path = folder / "long.txt"
    path.write_text("\n\n".join(f"Chapter {i}.\n\n{c}" for i, c in enumerate(chapters)), "utf-8")
    return f'[[source]]\nid = "long"\npath = "{path}"\ntitle = "Long"\n'


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_ingest_leaves_the_previous_index_serving(
    tmp_path: Path, sig: signal.Signals
) -> None:
    data = tmp_path / "data"
    corpus = write_corpus(tmp_path / "one", article_entry())
    assert (
        run_cli("ingest", "--data-dir", str(data), "--corpus", str(corpus), "--no-progress")[0] == 0
    )
    settings = Settings(data_dir=data)
    before = current_index_id(settings)

    with LiveServer(create_app(settings)) as server:
        server.wait_ready()
        bigger = write_corpus(tmp_path / "two", article_entry() + long_source(tmp_path))
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dossier.cli",
                "ingest",
                "--data-dir",
                str(data),
                "--corpus",
                str(bigger),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COLUMNS": "200"},
            # As from a terminal: a shell without job control starts a background job (this
            # suite, say) with SIGINT ignored, and a child inherits that, so Python would never
            # raise KeyboardInterrupt in it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        deadline = time.monotonic() + 120
        while not list((data / "indexes").glob(f"*.tmp-{process.pid}")):  # its own build
            assert process.poll() is None, "ingest finished before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(sig)
        output = process.communicate(timeout=60)[0].decode()
        assert process.returncode != 0, output
        if sig == signal.SIGINT:
            assert "previous index is still the one served" in output

        assert current_index_id(settings) == before
        assert load_index(settings).manifest.index_id == before
        assert httpx.get(f"{server.url}/readyz").json()["index_id"] == before
        answer = httpx.post(
            f"{server.url}/ask",
            json={"question": "Which oil field is linked by pipeline to Novorossiysk?"},
            timeout=60,
        )
        assert answer.status_code == 200
        assert {c["source_id"] for c in answer.json()["citations"]} == {"article"}
