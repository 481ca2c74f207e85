"""The PostgreSQL store on a real server: same results as the local store, versions, locks,
replicas, migrations and a read-only service role."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from dossier.index.postgres import schema
from dossier.index.postgres.store import PostgresStore
from dossier.index.store import IndexNotFoundError, StoreError, load_index, open_store
from dossier.service.app import create_app
from dossier.settings import Settings

from conftest import LiveServer, article_entry, run_cli, write_corpus
from pgserver import fresh_database

QUESTIONS = (
    "Which oil field is linked by pipeline to Novorossiysk?",
    "Baikonur cosmodrome lease",
    "Eurasian Economic Union members",
    "What happened in January 2022?",
)


def ingest(settings: Settings, corpus: Path, *extra: str) -> tuple[int, str]:
    return run_cli(
        "--store",
        settings.store,
        "ingest",
        "--data-dir",
        str(settings.data_dir),
        "--corpus",
        str(corpus),
        "--no-progress",
        *extra,
    )


@pytest.fixture
def pg_settings(pg_server: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", store=fresh_database(pg_server))


@pytest.fixture(scope="module")
def both(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Settings]:
    """The article indexed once in each store (locally with passage vectors, as the postgres
    store keeps them: rankings then compare one to one)."""
    root = tmp_path_factory.mktemp("both")
    corpus = write_corpus(root / "corpus", article_entry())
    out = {}
    for name, store in (("local", "local"), ("postgres", fresh_database(pg_server))):
        settings = Settings(
            data_dir=root / name, corpus=corpus, store=store, dense_vectors="passage"
        )
        with pytest.MonkeyPatch.context() as env:
            env.setenv("DOSSIER_DENSE_VECTORS", "passage")
            code, output = ingest(settings, corpus)
        assert code == 0, output
        out[name] = settings
    return out


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_postgres_ranks_like_the_local_store(both: dict[str, Settings], mode: str) -> None:
    local, remote = load_index(both["local"]), load_index(both["postgres"])
    assert remote.index_id != local.index_id and len(remote.passages) == len(local.passages)
    for question in QUESTIONS:
        mine = local.search(question, k=8, mode=mode)
        theirs = remote.search(question, k=8, mode=mode)
        assert [p.id for p in theirs] == [p.id for p in mine], question
        assert [p.score for p in theirs] == pytest.approx([p.score for p in mine], abs=1e-5)


def test_source_filter_and_answers_match(both: dict[str, Settings]) -> None:
    local, remote = load_index(both["local"]), load_index(both["postgres"])
    found = remote.search("pipeline", k=3, sources={"article"})
    assert [p.id for p in found] == [
        p.id for p in local.search("pipeline", k=3, sources={"article"})
    ]
    assert remote.search("pipeline", k=3, sources={"nothing-here"}) == []
    with LiveServer(create_app(both["postgres"])) as server:
        server.wait_ready()
        answer = httpx.post(f"{server.url}/ask", json={"question": QUESTIONS[0]}, timeout=60).json()
    assert not answer["abstained"]
    text = remote.documents["article"].text
    for citation in answer["citations"]:
        assert text[citation["start"] : citation["end"]] == citation["quote"]


def test_versions_switch_atomically_and_old_ones_are_dropped(
    pg_settings: Settings, tmp_path: Path
) -> None:
    corpus = write_corpus(tmp_path / "corpus", article_entry())
    settings = pg_settings.model_copy(update={"store_keep": 2})
    with pytest.raises(IndexNotFoundError):
        load_index(settings)
    ids = []
    for _ in range(3):
        code, output = ingest(settings, corpus)
        assert code == 0, output
        ids.append(open_store(settings).current_index_id())
    assert len(set(ids)) == 3 and ids == sorted(ids)
    with psycopg.connect(settings.store) as conn:
        conn.execute(f"SET search_path TO {settings.store_schema}")
        kept = [r[0] for r in conn.execute("SELECT index_id FROM dossier_versions ORDER BY vid")]
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (settings.store_schema,)
            )
        }
    assert kept == ids[1:]
    assert sum(t.startswith("dossier_passages_") for t in tables) == 2


def test_a_killed_ingest_leaves_the_previous_version_serving(
    pg_settings: Settings, tmp_path: Path
) -> None:
    corpus = write_corpus(tmp_path / "corpus", article_entry())
    code, output = ingest(pg_settings, corpus)
    assert code == 0, output
    before = open_store(pg_settings).current_index_id()
    bigger = corpus
    for delay in (2.0, 4.0, 6.0):
        process = subprocess.Popen(
            [sys.executable, "-m", "dossier.cli", "--store", pg_settings.store, "ingest",
             "--no-progress", "--corpus", str(bigger), "--data-dir", str(pg_settings.data_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        index = load_index(pg_settings)
        assert index.index_id in {before, open_store(pg_settings).current_index_id()}
        assert index.search("pipeline", k=1)
    # The next ingest publishes and clears whatever the killed ones left half-built.
    code, output = ingest(pg_settings, corpus)
    assert code == 0, output
    with psycopg.connect(pg_settings.store) as conn:
        conn.execute(f"SET search_path TO {pg_settings.store_schema}")
        states = [r[0] for r in conn.execute("SELECT state FROM dossier_versions")]
    assert "building" not in states


def test_a_second_ingest_waits_for_the_first(pg_settings: Settings) -> None:
    store = open_store(pg_settings)
    assert isinstance(store, PostgresStore)
    store.migrate()
    other = PostgresStore(pg_settings.model_copy())
    with store.lock(), pytest.raises(StoreError, match="another `dossier ingest`"):  # noqa: SIM117
        with other.lock(wait=False):
            pass
    with other.lock(wait=False):
        pass


def test_two_replicas_pick_up_a_new_version_without_failed_requests(
    pg_settings: Settings, tmp_path: Path
) -> None:
    corpus = write_corpus(tmp_path / "corpus", article_entry())
    code, output = ingest(pg_settings, corpus)
    assert code == 0, output
    first = open_store(pg_settings).current_index_id()
    failures: list[str] = []
    done = threading.Event()
    with (
        LiveServer(create_app(pg_settings)) as one,
        LiveServer(create_app(pg_settings.model_copy())) as two,
    ):
        one.wait_ready()
        two.wait_ready()

        def hammer(url: str) -> None:
            with httpx.Client(base_url=url, timeout=30) as http:
                while not done.is_set():
                    reply = http.post("/search", json={"query": "pipeline", "k": 3})
                    if reply.status_code != 200 or not reply.json()["passages"]:
                        failures.append(f"{url}: {reply.status_code} {reply.text[:200]}")

        workers = [threading.Thread(target=hammer, args=(s.url,)) for s in (one, two)]
        for worker in workers:
            worker.start()
        try:
            code, output = ingest(pg_settings, corpus)
            assert code == 0, output
            second = open_store(pg_settings).current_index_id()
            assert second != first
            deadline = time.monotonic() + 30
            seen: set[str] = set()
            while time.monotonic() < deadline and len(seen) < 2:
                for server in (one, two):
                    if httpx.get(f"{server.url}/readyz").json().get("index_id") == second:
                        seen.add(server.url)
                time.sleep(0.2)
        finally:
            done.set()
            for worker in workers:
                worker.join()
    assert seen == {one.url, two.url}
    assert failures == []


def test_migrations_are_recorded_once_and_a_read_only_role_can_serve(
    pg_settings: Settings, tmp_path: Path
) -> None:
    code, output = run_cli("--store", pg_settings.store, "db", "migrate")
    assert code == 0, output
    code, again = run_cli("--store", pg_settings.store, "db", "migrate")
    assert code == 0 and "up to date" in again
    with psycopg.connect(pg_settings.store) as conn:
        conn.execute(f"SET search_path TO {pg_settings.store_schema}")
        versions = [r[0] for r in conn.execute("SELECT version FROM dossier_schema")]
    assert versions == [m[0] for m in schema.MIGRATIONS]

    corpus = write_corpus(tmp_path / "corpus", article_entry())
    assert ingest(pg_settings, corpus)[0] == 0
    schema_name = pg_settings.store_schema
    with psycopg.connect(pg_settings.store, autocommit=True) as conn:
        conn.execute("CREATE ROLE dossier_reader LOGIN")
        conn.execute(f"GRANT USAGE ON SCHEMA {schema_name} TO dossier_reader")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema_name} TO dossier_reader")
    reader_url = pg_settings.store.replace("postgres@", "dossier_reader@")
    reader = pg_settings.model_copy(update={"store": reader_url})
    assert load_index(reader).search("pipeline", k=1)
    code, output = ingest(reader, corpus)
    assert code != 0 and "permission" in output.lower() and "Traceback" not in output


def test_a_wrong_database_url_is_one_clear_line(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", article_entry())
    code, output = run_cli(
        "--store", "postgresql://nobody:secret@127.0.0.1:1/none",
        "ingest", "--data-dir", str(tmp_path / "d"), "--corpus", str(corpus), "--no-progress",
    )  # fmt: skip
    assert code != 0 and "cannot connect" in output and "secret" not in output
    assert "Traceback" not in output
