"""Index versions in PostgreSQL: import a built index, publish it in one transaction, load it.

An index is built the same way for every store (`index/store.py`'s
`build_index` writes a complete directory). `PostgresStore.publish` imports
that directory as a new version — documents and passages as rows, vectors in
a pgvector column with an HNSW index, bm25s's BM25 weights as per-term
postings, any further files (sentence data, the ingest report) as artifacts —
then points `dossier_current` at it in one transaction under an advisory
lock, so every reader (any number of `dossier serve` processes, on any
machine) sees the old version or the new one, never a mix. A killed import
leaves a `building` version nobody reads; the next publish drops it, and
versions beyond the newest `store_keep` are dropped after each publish.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from dossier.index.catalog import REPORT_FILE, Catalog
from dossier.index.dense import FILENAME as DENSE_FILE
from dossier.index.dense import DenseIndex
from dossier.index.embed import Embedder
from dossier.index.lexical import CONFIG_FILE as LEXICAL_CONFIG_FILE
from dossier.index.lexical import DIRNAME as LEXICAL_DIR
from dossier.index.lexical import LexicalConfig, LexicalIndex, Tokenizer
from dossier.index.manifest import FILENAME as MANIFEST_FILE
from dossier.index.manifest import Manifest
from dossier.index.postgres import schema
from dossier.index.postgres.pool import PostgresStoreError, connection, pool_for, redact
from dossier.index.postgres.search import PgDenseIndex, PgLexicalIndex
from dossier.index.search import Index
from dossier.settings import Settings
from dossier.types import Document, IngestReport, Passage

log = logging.getLogger(__name__)

INGEST_LOCK = schema.PUBLISH_LOCK + 1
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
DOCUMENTS_FILE = "documents.jsonl"
PASSAGES_FILE = "passages.jsonl"
ROWS = frozenset({MANIFEST_FILE, DOCUMENTS_FILE, PASSAGES_FILE, DENSE_FILE, LEXICAL_DIR})


class PostgresStore:
    """Dossier's index versions in one schema of a PostgreSQL database with pgvector."""

    kind = "postgres"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.store
        self.schema = settings.store_schema
        self.pool = pool_for(self.url, self.schema)
        self._migrated = False

    def __repr__(self) -> str:
        return f"PostgresStore({self.describe()})"

    def describe(self) -> str:
        return f"{redact(self.url)} (schema {self.schema})"

    # Schema --------------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Apply missing migrations (needs a role that may create tables)."""
        try:
            with connection(self.pool) as conn:
                applied = schema.migrate(conn, self.schema)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise PostgresStoreError(
                f"{redact(self.url)}: permission denied creating Dossier's tables ({exc}); "
                "run `dossier db migrate` and `dossier ingest` with a role that owns the schema"
            ) from exc
        self._migrated = True
        return applied

    def _require_schema(self) -> None:
        if self._migrated:
            return
        with connection(self.pool) as conn:
            version = schema.applied_version(conn)
        if version < schema.SCHEMA_VERSION:
            raise PostgresStoreError(
                f"{self.describe()} has schema version {version}, this Dossier needs "
                f"{schema.SCHEMA_VERSION}: run `dossier db migrate` (or `dossier ingest`)"
            )
        self._migrated = True

    # Locking -------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, *, wait: bool = True) -> Iterator[None]:
        """Held for a whole ingest: a second ingest on the same store waits, or refuses."""
        with connection(self.pool) as conn:
            if wait:
                conn.execute("SELECT pg_advisory_lock(%s)", (INGEST_LOCK,))
            else:
                got = conn.execute("SELECT pg_try_advisory_lock(%s)", (INGEST_LOCK,)).fetchone()
                if not got or not got[0]:
                    raise PostgresStoreError(
                        f"another `dossier ingest` is writing to {self.describe()}; "
                        "wait for it to finish"
                    )
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (INGEST_LOCK,))

    # Publishing ----------------------------------------------------------------

    def publish(self, folder: Path) -> str:
        """Import the built index at `folder` as a new version and make it current."""
        index_id = self.write(folder)
        self.switch(index_id)
        shutil.rmtree(folder, ignore_errors=True)
        return index_id

    def write(self, folder: Path) -> str:
        """Import a complete index directory as a ready, unpublished version."""
        if not self._migrated:
            self.migrate()
        manifest = Manifest.model_validate_json((folder / MANIFEST_FILE).read_text("utf-8"))
        lexical = LexicalIndex.load(folder / LEXICAL_DIR)
        lexical_config = json.loads((folder / LEXICAL_DIR / LEXICAL_CONFIG_FILE).read_text())
        vectors = DenseIndex.load(folder / DENSE_FILE).vectors
        try:
            with connection(self.pool) as conn:
                vid = self._write(conn, folder, manifest, lexical, lexical_config, vectors)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise PostgresStoreError(
                f"{self.describe()}: permission denied writing an index ({exc}); "
                "ingest needs a role that may create tables in the schema"
            ) from exc
        log.info("imported index %s as version %d of %s", manifest.index_id, vid, self.describe())
        return manifest.index_id

    def _write(
        self,
        conn: psycopg.Connection,
        folder: Path,
        manifest: Manifest,
        lexical: LexicalIndex,
        lexical_config: dict,
        vectors: np.ndarray,
    ) -> int:
        with conn.transaction():
            (vid,) = conn.execute(
                "INSERT INTO dossier_versions (index_id, state, manifest, lexical) "
                "VALUES (%s, 'building', %s, %s) RETURNING vid",
                (
                    manifest.index_id,
                    Jsonb(json.loads(manifest.model_dump_json())),
                    Jsonb(lexical_config),
                ),
            ).fetchone()
            schema.create_version_tables(conn, vid, manifest.dimension)
        passages_table, postings_table = schema.version_tables(vid)
        with conn.transaction():
            with (
                conn.cursor() as cursor,
                cursor.copy(
                    f"COPY {passages_table} (row, id, source_id, start_at, end_at, page, passage,"
                    " embedding) FROM STDIN WITH (FORMAT BINARY)"
                ) as copy,
            ):
                copy.set_types(["int4", "text", "text", "int4", "int4", "int4", "jsonb", "vector"])
                for row, (passage, vector) in enumerate(
                    zip(_jsonl(folder / PASSAGES_FILE, Passage), vectors, strict=True)
                ):
                    copy.write_row(
                        (
                            row,
                            passage.id,
                            passage.source_id,
                            passage.start,
                            passage.end,
                            passage.page,
                            Jsonb(passage.model_dump(mode="json")),
                            vector,
                        )
                    )
            with (
                conn.cursor() as cursor,
                cursor.copy(
                    f"COPY {postings_table} (term, term_id, rows, scores) FROM STDIN"
                ) as copy,
            ):
                for posting in _postings(lexical):
                    copy.write_row(posting)
            with (
                conn.cursor() as cursor,
                cursor.copy(
                    "COPY dossier_documents (vid, position, source_id, title, url, language,"
                    " format, sha256, text, document) FROM STDIN"
                ) as copy,
            ):
                for position, d in enumerate(_jsonl(folder / DOCUMENTS_FILE, Document)):
                    copy.write_row(
                        (vid, position, d.source_id, d.title, d.url, d.language, d.format,
                         d.sha256, d.text, Jsonb(d.model_dump(mode="json")))
                    )  # fmt: skip
            for path in sorted(folder.rglob("*")):
                name = path.relative_to(folder).as_posix()
                if path.is_file() and name.split("/")[0] not in ROWS:
                    conn.execute(
                        "INSERT INTO dossier_artifacts (vid, name, content) VALUES (%s, %s, %s)",
                        (vid, name, path.read_bytes()),
                    )
        schema.index_version_tables(conn, vid, m=HNSW_M, ef_construction=HNSW_EF_CONSTRUCTION)
        conn.execute(f"ANALYZE {passages_table}")
        conn.execute(f"ANALYZE {postings_table}")
        conn.execute("UPDATE dossier_versions SET state = 'ready' WHERE vid = %s", (vid,))
        return vid

    def switch(self, index_id: str) -> None:
        """Point `current` at a ready version, in one transaction; then drop old versions."""
        with connection(self.pool) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (schema.PUBLISH_LOCK,))
            row = conn.execute(
                "SELECT vid, state FROM dossier_versions WHERE index_id = %s", (index_id,)
            ).fetchone()
            if row is None or row[1] != "ready":
                raise PostgresStoreError(f"index {index_id} is not a complete version")
            conn.execute(
                "INSERT INTO dossier_current (singleton, vid) VALUES (true, %s) "
                "ON CONFLICT (singleton) DO UPDATE SET vid = excluded.vid, switched_at = now()",
                (row[0],),
            )
        log.info("published index %s in %s", index_id, self.describe())
        self.prune()

    def prune(self) -> list[str]:
        """Drop ready versions beyond the newest `store_keep`, and imports nobody finishes."""
        dropped: list[str] = []
        with connection(self.pool) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (schema.PUBLISH_LOCK,))
            current = conn.execute("SELECT vid FROM dossier_current").fetchone()
            ready = conn.execute(
                "SELECT vid, index_id FROM dossier_versions WHERE state = 'ready' ORDER BY vid DESC"
            ).fetchall()
            doomed = [
                (v, i)
                for v, i in ready[self.settings.store_keep :]
                if current is None or v != current[0]
            ]
            # A `building` version older than the newest ready one was left by a killed import.
            newest = ready[0][0] if ready else 0
            doomed += conn.execute(
                "SELECT vid, index_id FROM dossier_versions WHERE state = 'building' AND vid < %s",
                (newest,),
            ).fetchall()
            for vid, index_id in doomed:
                schema.drop_version_tables(conn, vid)
                conn.execute("DELETE FROM dossier_versions WHERE vid = %s", (vid,))
                dropped.append(index_id)
        if dropped:
            log.info("dropped index versions %s", ", ".join(dropped))
        return dropped

    # Reading -------------------------------------------------------------------

    def current_index_id(self) -> str | None:
        """The published version's id: one indexed lookup, cheap enough per request."""
        try:
            with connection(self.pool) as conn:
                row = conn.execute(
                    "SELECT v.index_id FROM dossier_current c JOIN dossier_versions v USING (vid)"
                ).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
        return row[0] if row else None

    def _current(self, conn: psycopg.Connection) -> tuple[int, dict, dict]:
        """(vid, manifest, lexical settings) of the published version, or IndexNotFoundError."""
        from dossier.index.store import IndexNotFoundError

        row = conn.execute(
            "SELECT v.vid, v.manifest, v.lexical FROM dossier_current c "
            "JOIN dossier_versions v USING (vid)"
        ).fetchone()
        if row is None:
            raise IndexNotFoundError(
                f"no index published in {self.describe()} — run `dossier ingest`"
            )
        return row

    def load(self, *, embedder: Embedder | None = None) -> Index:
        """The published version as an `Index` whose searches run in the database."""
        from dossier.index.store import IndexNotFoundError, load_index

        try:
            self._require_schema()
        except PostgresStoreError as exc:
            raise IndexNotFoundError(f"{exc}") from None
        with connection(self.pool) as conn:
            vid, manifest_json, lexical_json = self._current(conn)
            manifest = Manifest.model_validate(manifest_json)
            passages_table, postings_table = schema.version_tables(vid)
            with tempfile.TemporaryDirectory(prefix="dossier-pg-") as tmp:
                folder = Path(tmp)
                (folder / MANIFEST_FILE).write_text(manifest.model_dump_json(), "utf-8")
                with (folder / DOCUMENTS_FILE).open("w", encoding="utf-8") as out:
                    for (document,) in conn.execute(
                        "SELECT document FROM dossier_documents WHERE vid = %s ORDER BY position",
                        (vid,),
                    ):
                        out.write(json.dumps(document) + "\n")
                with (folder / PASSAGES_FILE).open("w", encoding="utf-8") as out:
                    for (passage,) in conn.execute(
                        f"SELECT passage FROM {passages_table} ORDER BY row"
                    ):
                        out.write(json.dumps(passage) + "\n")
                for name, content in conn.execute(
                    "SELECT name, content FROM dossier_artifacts WHERE vid = %s", (vid,)
                ):
                    (folder / name).parent.mkdir(parents=True, exist_ok=True)
                    (folder / name).write_bytes(content)
                vocabulary = dict(conn.execute(f"SELECT term, term_id FROM {postings_table}"))
                size = manifest.passage_count
                lexical = PgLexicalIndex(
                    self.pool,
                    postings_table,
                    LexicalConfig(
                        language=lexical_json["language"],
                        method=lexical_json["method"],
                        k1=lexical_json["k1"],
                        b=lexical_json["b"],
                    ),
                    Tokenizer(lexical_json["stemmer"], list(lexical_json["stopwords"])),
                    size,
                    vocabulary,
                )
                lexical.analysers.update(  # each language's analyser (issue 12), when recorded
                    (name, Tokenizer(a["stemmer"], list(a["stopwords"])))
                    for name, a in lexical_json.get("analysers", {}).items()
                )
                dense = PgDenseIndex(
                    self.pool,
                    passages_table,
                    dimension=manifest.dimension,
                    size=size,
                    ef_search=self.settings.pg_ef_search,
                )
                return load_index(
                    self.settings, embedder=embedder, path=folder, dense=dense, lexical=lexical
                )

    def catalog(self) -> Catalog:
        """What `dossier sources` and the pre-flight checks need, without loading the index."""

        try:
            self._require_schema()
            with connection(self.pool) as conn:
                vid, manifest_json, _ = self._current(conn)
                passages_table, _ = schema.version_tables(vid)
                documents = [
                    Document.model_validate(d)
                    for (d,) in conn.execute(
                        "SELECT document FROM dossier_documents WHERE vid = %s ORDER BY position",
                        (vid,),
                    )
                ]
                counts = dict(
                    conn.execute(
                        f"SELECT source_id, count(*) FROM {passages_table} GROUP BY source_id"
                    ).fetchall()
                )
                report = conn.execute(
                    "SELECT content FROM dossier_artifacts WHERE vid = %s AND name = %s",
                    (vid, REPORT_FILE),
                ).fetchone()
        except psycopg.Error as exc:
            raise PostgresStoreError(f"{self.describe()}: {exc}") from exc
        return Catalog(
            manifest=Manifest.model_validate(manifest_json),
            path=None,
            documents={d.source_id: d for d in documents},
            passage_counts={k: int(v) for k, v in counts.items()},
            report=IngestReport.model_validate_json(report[0]) if report else None,
        )

    def size_bytes(self) -> int:
        """What the published version takes in the database, indexes included."""
        with connection(self.pool) as conn:
            row = conn.execute("SELECT vid FROM dossier_current").fetchone()
            if row is None:
                return 0
            tables = schema.version_tables(row[0])
            total = 0
            for table in tables:
                (size,) = conn.execute("SELECT pg_total_relation_size(%s)", (table,)).fetchone()
                total += int(size)
            (documents,) = conn.execute(
                "SELECT coalesce(sum(pg_column_size(d.*)), 0) FROM dossier_documents d "
                "WHERE vid = %s",
                (row[0],),
            ).fetchone()
            return total + int(documents)


def _jsonl(path: Path, kind: type[Document] | type[Passage]) -> Iterator:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield kind.model_validate_json(line)


def _postings(lexical: LexicalIndex) -> Iterator[tuple[str, int, bytes, bytes]]:
    """bm25s's precomputed BM25 matrix, one row per term: (term, id, rows int32, weights f32)."""
    retriever = lexical.retriever
    if retriever is None:
        return
    data = np.asarray(retriever.scores["data"], dtype="<f4")
    indices = np.asarray(retriever.scores["indices"], dtype="<i4")
    indptr = np.asarray(retriever.scores["indptr"])
    for term, term_id in retriever.vocab_dict.items():
        if term_id + 1 >= len(indptr):  # bm25s's placeholder for the empty token: no postings
            continue
        start, end = int(indptr[term_id]), int(indptr[term_id + 1])
        yield term, int(term_id), indices[start:end].tobytes(), data[start:end].tobytes()


__all__ = ["PostgresStore", "PostgresStoreError"]
