"""Shared fixtures: the real article indexed once per session, and real servers on loopback."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from dossier.cli import app as cli_app
from dossier.settings import Settings

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The tests' web servers listen on 127.0.0.1, which ingest refuses by default (SSRF
# guard); the tests of that guard turn it back off in their own Settings.
os.environ["DOSSIER_ALLOW_PRIVATE_NETWORKS"] = "true"
ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "corpus" / "article.txt"


def write_corpus(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sources.toml"
    path.write_text(body, encoding="utf-8")
    return path


def article_entry(source_id: str = "article") -> str:
    return (
        f'[[source]]\nid = "{source_id}"\npath = "{ARTICLE}"\n'
        'title = "Russia–Kazakhstan relations since the collapse of the Soviet Union"\n'
        'author = "Felix Klein; Louan Renard"\n'
        'language = "en"\n'
    )


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="session")
def article_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A data dir holding an index of the real article, built by `dossier ingest`."""
    root = tmp_path_factory.mktemp("article")
    corpus = write_corpus(root / "corpus", article_entry())
    code, output = run_cli(
        "ingest", "--data-dir", str(root / "data"), "--corpus", str(corpus), "--no-progress"
    )
    assert code == 0, output
    return Settings(data_dir=root / "data", corpus=corpus)


class LiveServer:
    """A real uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self, app) -> None:
        self.app = app
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def wait_ready(self, headers: dict[str, str] | None = None) -> None:
        deadline = time.monotonic() + 120
        while httpx.get(f"{self.url}/readyz", headers=headers).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(httpx.get(f"{self.url}/readyz").text)
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextmanager
def serving(settings: Settings) -> Iterator[LiveServer]:
    """The service over `settings`' index, on loopback, ready to answer."""
    from dossier.service.app import create_app

    with LiveServer(create_app(settings)) as server:
        server.wait_ready()
        yield server


@pytest.fixture(scope="session")
def live(article_settings: Settings) -> Iterator[LiveServer]:
    """The service over the article index, ready to answer."""
    with serving(article_settings) as server:
        yield server


@pytest.fixture(scope="session")
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=60) as http:
        yield http


# --- ingest: loopback web server (tests/sites.py) -------------------------------------------
# Owned by the ingest tests. A fresh server per test module, so request counts
# (retries, 304s, "server not contacted") are not disturbed by other modules.


@pytest.fixture(scope="module")
def site() -> Iterator[object]:
    """The generated test site of tests/sites.py, served on 127.0.0.1."""
    from sites import standard_site

    with standard_site() as server:
        yield server


# --- end ingest -----------------------------------------------------------------------------


# --- PostgreSQL store -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A real PostgreSQL with pgvector: DOSSIER_TEST_DATABASE_URL's, else one started here."""
    given = os.environ.get("DOSSIER_TEST_DATABASE_URL")
    if given:
        yield given
        return
    from pgserver import local_postgres

    with local_postgres() as url:
        yield url
        from dossier.index.postgres.pool import close_pools

        close_pools()


@pytest.fixture(scope="session")
def pg_article_settings(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The article indexed by `dossier --store postgresql://… ingest` into a fresh database."""
    from pgserver import fresh_database

    root = tmp_path_factory.mktemp("pg-article")
    corpus = write_corpus(root / "corpus", article_entry())
    url = fresh_database(pg_server)
    code, output = run_cli(
        "--store", url, "ingest", "--data-dir", str(root / "data"), "--corpus", str(corpus),
        "--no-progress",
    )  # fmt: skip
    assert code == 0, output
    return Settings(data_dir=root / "data", corpus=corpus, store=url)


@pytest.fixture(scope="module", params=["local", "postgres"])
def store_settings(request: pytest.FixtureRequest) -> Settings:
    """The article's index in each store: the API and CLI suites run against both."""
    name = "article_settings" if request.param == "local" else "pg_article_settings"
    return request.getfixturevalue(name)


def build_tiny_cross_encoder(folder: Path, words: set[str]) -> Path:
    """A CrossEncoder directory with a two-layer random BERT over `words` (seeded)."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *sorted(words)]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    BertTokenizerFast(str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=256,
        num_labels=1,
    )
    torch.manual_seed(0)
    BertForSequenceClassification(config).save_pretrained(folder)
    return folder
