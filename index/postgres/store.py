"""Index versions in PostgreSQL: build, publish (one transaction), load, prune.

A build writes a new version (state `building`) with its own passages and
postings tables, indexes them, and marks it `ready`; `publish` then points
`dossier_current` at it in one transaction, under an advisory lock, so every
reader (any number of `dossier serve` processes, on any machine) sees the old
version or the new one, never a mix. A killed build leaves a `building`
version nobody reads; the next publish drops it. Versions older than the
newest `keep` are dropped after each publish.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

from dossier import __version__
from dossier.index.embed import Embedder
from dossier.index.fusion import Fusion
from dossier.index.lexical import LexicalConfig, LexicalIndex, Tokenizer
from dossier.index.manifest import FORMAT_VERSION, Manifest, text_key
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


class PostgresStore:
    """Dossier's index in a PostgreSQL database with pgvector."""

    kind = "postgres"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.store
        self.schema = settings.store_schema
        self.pool = pool_for(self.url, self.schema)
        self._migrated = False

    def __repr__(self) -> str:
        return f"PostgresStore({redact(self.url)})"

    def describe(self) -> str:
        return f"{redact(self.url)} (schema {self.schema})"

    # Schema --------------------------------------------------------------------

    def migrate(self) -> list[int]:
        """Apply missing migrations (needs a role that may create tables)."""
        with connection(self.pool) as conn:
            applied = schema.migrate(conn, self.schema)
        self._migrated = True
        return applied

    def _ensure_schema(self, *, write: bool) -> None:
        if self._migrated:
            return
        with connection(self.pool) as conn:
            version = schema.applied_version(conn)
        if version < schema.SCHEMA_VERSION:
            if not write:
                raise PostgresStoreError(
                    f"database {redact(self.url)} has schema {version}, this Dossier needs "
                    f"{schema.SCHEMA_VERSION}: run `dossier db migrate` (or `dossier ingest`)"
                )
            self.migrate()
        self._migrated = True

    # Locking -------------------------------------------------------------------

    @contextlib.contextmanager
    def ingest_lock(self, *, wait: bool = True) -> Iterator[None]:
        """Held for a whole ingest: a second ingest on the same database waits or refuses."""
        with connection(self.pool) as conn:
            if wait:
                conn.execute("SELECT pg_advisory_lock(%s)", (INGEST_LOCK,))
            else:
                got = conn.execute("SELECT pg_try_advisory_lock(%s)", (INGEST_LOCK,)).fetchone()
                if not got or not got[0]:
                    raise PostgresStoreError(
                        f"another `dossier ingest` is writing to {redact(self.url)}; "
                        "wait for it to finish"
                    )
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (INGEST_LOCK,))

    # Building ------------------------------------------------------------------

    def build(
        self,
        documents: Sequence[Document],
        passages: Sequence[Passage],
        vectors: np.ndarray,
        lexical: LexicalIndex,
        manifest: Manifest,
        *,
        report: IngestReport | None = None,
    ) -> str:
        """Write a complete, unpublished version; returns its index id."""
        self._ensure_schema(write=True)
        with connection(self.pool) as conn:
            with conn.transaction():
                (vid,) = conn.execute(
                    "INSERT INTO dossier_versions (index_id, state, dimension, lexical) "
                    "VALUES (%s, 'building', %s, %s) RETURNING vid",
                    (manifest.index_id, manifest.dimension, Jsonb(lexical_config(lexical))),
                ).fetchone()
                schema.create_version_tables(conn, vid, manifest.dimension)
            passages_table, postings_table = schema.version_tables(vid)
            with conn.transaction():
                with (
                    conn.cursor() as cursor,
                    cursor.copy(
                        f"COPY {passages_table} (row, passage, text_key, embedding) "
                        "FROM STDIN WITH (FORMAT BINARY)"
                    ) as copy,
                ):
                    copy.set_types(["int4", "jsonb", "text", "vector"])
                    for row, (passage, vector) in enumerate(zip(passages, vectors, strict=True)):
                        copy.write_row(
                            (row, Jsonb(passage.model_dump()), text_key(passage.text), vector)
                        )
                with (
                    conn.cursor() as cursor,
                    cursor.copy(
                        f"COPY {postings_table} (term, term_id, rows, scores) FROM STDIN"
                    ) as copy,
                ):
                    for term, term_id, rows, scores in _postings(lexical):
                        copy.write_row((term, term_id, rows, scores))
                for position, document in enumerate(documents):
                    conn.execute(
                        "INSERT INTO dossier_documents (vid, position, source_id, document) "
                        "VALUES (%s, %s, %s, %s)",
                        (
                            vid,
                            position,
                            document.source_id,
                            Jsonb(document.model_dump(mode="json")),
                        ),
                    )
            schema.index_version_tables(conn, vid, m=HNSW_M, ef_construction=HNSW_EF_CONSTRUCTION)
            conn.execute(f"ANALYZE {passages_table}")
            conn.execute(f"ANALYZE {postings_table}")
            conn.execute(
                "UPDATE dossier_versions SET state = 'ready', manifest = %s, report = %s "
                "WHERE vid = %s",
                (
                    Jsonb(json.loads(manifest.model_dump_json())),
                    Jsonb(json.loads(report.model_dump_json())) if report else None,
                    vid,
                ),
            )
        log.info("built index %s in %s", manifest.index_id, redact(self.url))
        return manifest.index_id

    # Publishing ----------------------------------------------------------------

    def publish(self, index_id: str) -> None:
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
        log.info("published index %s in %s", index_id, redact(self.url))
        self.prune()

    def prune(self) -> list[str]:
        """Drop ready versions beyond the newest `store_keep`, and builds nobody finishes."""
        keep = self.settings.store_keep
        dropped: list[str] = []
        with connection(self.pool) as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (schema.PUBLISH_LOCK,))
            current = conn.execute("SELECT vid FROM dossier_current").fetchone()
            current_vid = current[0] if current else None
            building_is_stale = conn.execute(
                "SELECT pg_try_advisory_lock(%s)", (INGEST_LOCK,)
            ).fetchone()[0]
            ready = conn.execute(
                "SELECT vid, index_id FROM dossier_versions WHERE state = 'ready' ORDER BY vid DESC"
            ).fetchall()
            doomed = [(v, i) for v, i in ready[keep:] if v != current_vid]
            if building_is_stale:
                doomed += conn.execute(
                    "SELECT vid, index_id FROM dossier_versions WHERE state = 'building'"
                ).fetchall()
                conn.execute("SELECT pg_advisory_unlock(%s)", (INGEST_LOCK,))
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

    def load(self, *, embedder: Embedder | None = None, index_id: str | None = None) -> Index:
        """The published version (or `index_id`), an `Index` whose searches run in the database."""
        from dossier.index.store import IndexCorruptError, IndexNotFoundError, check_model

        self._ensure_schema(write=False)
        with connection(self.pool) as conn:
            if index_id is None:
                row = conn.execute(
                    "SELECT v.vid, v.manifest, v.report, v.lexical FROM dossier_current c "
                    "JOIN dossier_versions v USING (vid)"
                ).fetchone()
            else:
                row = conn.execute(
                    "SELECT vid, manifest, report, lexical FROM dossier_versions "
                    "WHERE index_id = %s AND state = 'ready'",
                    (index_id,),
                ).fetchone()
            if row is None:
                raise IndexNotFoundError(
                    f"no index published in {redact(self.url)} — run `dossier ingest`"
                )
            vid, manifest_json, report_json, lexical_json = row
            manifest = Manifest.model_validate(manifest_json)
            check_model(manifest, embedder.name if embedder else self.settings.model)
            passages_table, postings_table = schema.version_tables(vid)
            documents = [
                Document.model_validate(d)
                for (d,) in conn.execute(
                    "SELECT document FROM dossier_documents WHERE vid = %s ORDER BY position",
                    (vid,),
                )
            ]
            passages = [
                Passage.model_validate(p)
                for (p,) in conn.execute(f"SELECT passage FROM {passages_table} ORDER BY row")
            ]
            vocabulary = dict(
                conn.execute(f"SELECT term, term_id FROM {postings_table}").fetchall()
            )
        if len(passages) != manifest.passage_count:
            raise IndexCorruptError(
                f"index {manifest.index_id}: {len(passages)} passages, "
                f"manifest says {manifest.passage_count}; re-run `dossier ingest`"
            )
        config = LexicalConfig(
            language=lexical_json["language"],
            method=lexical_json["method"],
            k1=lexical_json["k1"],
            b=lexical_json["b"],
        )
        tokenizer = Tokenizer(lexical_json["stemmer"], list(lexical_json["stopwords"]))
        return Index(
            manifest=manifest,
            documents={d.source_id: d for d in documents},
            passages=passages,
            dense=PgDenseIndex(
                self.pool,
                passages_table,
                dimension=manifest.dimension,
                size=len(passages),
                ef_search=self.settings.pg_ef_search,
            ),
            lexical=PgLexicalIndex(
                self.pool, postings_table, config, tokenizer, len(passages), vocabulary
            ),
            report=IngestReport.model_validate(report_json) if report_json else None,
            embedder=embedder,
            fusion=Fusion(weight=self.settings.hybrid_weight),
            device=self.settings.device,
            batch_size=self.settings.batch_size,
        )


def lexical_config(lexical: LexicalIndex) -> dict[str, Any]:
    return {
        "language": lexical.config.language,
        "method": lexical.config.method,
        "k1": lexical.config.k1,
        "b": lexical.config.b,
        "stemmer": lexical.tokenizer.stemmer,
        "stopwords": lexical.tokenizer.stopwords,
    }


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


def new_manifest(**fields: Any) -> Manifest:
    return Manifest(
        format_version=FORMAT_VERSION,
        dossier_version=__version__,
        created_at=datetime.now(UTC),
        **fields,
    )


__all__ = ["PostgresStore", "new_manifest"]
