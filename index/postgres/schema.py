"""The database schema, as numbered migrations applied in order and recorded.

Shared tables hold what every version needs to find its rows; each index
version gets its own passages and postings tables (`passages_<vid>`,
`postings_<vid>`), so its HNSW index holds only its own vectors and dropping a
version is one `DROP TABLE`. A migration is applied once, under an advisory
lock, inside a transaction: two processes starting together cannot both run it.
"""

from __future__ import annotations

import logging

import psycopg

log = logging.getLogger(__name__)

# Any 64-bit constants distinct from other applications' locks on the same database.
MIGRATION_LOCK = 0x646F7373_69657201
PUBLISH_LOCK = 0x646F7373_69657202

MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (
        1,
        "versions, current pointer, documents",
        """
        CREATE EXTENSION IF NOT EXISTS vector SCHEMA public;
        CREATE TABLE dossier_versions (
            vid         bigserial PRIMARY KEY,
            index_id    text UNIQUE NOT NULL,
            state       text NOT NULL CHECK (state IN ('building', 'ready')),
            manifest    jsonb NOT NULL,
            lexical     jsonb NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE dossier_current (
            singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            vid         bigint NOT NULL REFERENCES dossier_versions (vid),
            switched_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE dossier_documents (
            vid         bigint NOT NULL REFERENCES dossier_versions (vid) ON DELETE CASCADE,
            position    integer NOT NULL,
            source_id   text NOT NULL,
            title       text,
            url         text,
            language    text,
            format      text NOT NULL,
            sha256      text NOT NULL,
            text        text NOT NULL,
            document    jsonb NOT NULL,
            PRIMARY KEY (vid, position),
            UNIQUE (vid, source_id)
        );
        CREATE TABLE dossier_artifacts (
            vid         bigint NOT NULL REFERENCES dossier_versions (vid) ON DELETE CASCADE,
            name        text NOT NULL,
            content     bytea NOT NULL,
            PRIMARY KEY (vid, name)
        );
        """,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


def applied_version(conn: psycopg.Connection) -> int:
    """The newest migration applied to this database (0 for none)."""
    exists = conn.execute("SELECT to_regclass('dossier_schema') IS NOT NULL").fetchone()
    # (resolved through search_path: the store's own schema first)
    if not exists or not exists[0]:
        return 0
    row = conn.execute("SELECT max(version) FROM dossier_schema").fetchone()
    return int(row[0] or 0) if row else 0


def migrate(conn: psycopg.Connection, schema: str) -> list[int]:
    """Apply the migrations this schema lacks; returns the versions applied."""
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS dossier_schema ("
            " version integer PRIMARY KEY, description text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        current = applied_version(conn)
        for version, description, sql in MIGRATIONS:
            if version <= current:
                continue
            log.info("applying schema migration %d: %s", version, description)
            conn.execute(sql)
            conn.execute(
                "INSERT INTO dossier_schema (version, description) VALUES (%s, %s)",
                (version, description),
            )
            applied.append(version)
    return applied


def version_tables(vid: int) -> tuple[str, str]:
    """The per-version table names (passages, postings)."""
    return f"dossier_passages_{int(vid)}", f"dossier_postings_{int(vid)}"


def create_version_tables(conn: psycopg.Connection, vid: int, dimension: int) -> None:
    passages, postings = version_tables(vid)
    conn.execute(
        f"""
        CREATE TABLE {passages} (
            row         integer PRIMARY KEY,
            id          text UNIQUE NOT NULL,
            source_id   text NOT NULL,
            start_at    integer NOT NULL,
            end_at      integer NOT NULL,
            page        integer,
            passage     jsonb NOT NULL,
            embedding   vector({int(dimension)}) NOT NULL
        );
        CREATE TABLE {postings} (
            term        text PRIMARY KEY,
            term_id     integer NOT NULL,
            rows        bytea NOT NULL,
            scores      bytea NOT NULL
        )
        """
    )


def index_version_tables(
    conn: psycopg.Connection, vid: int, *, m: int, ef_construction: int
) -> None:
    """The HNSW index, built after the rows are in (much faster than row by row)."""
    passages, _ = version_tables(vid)
    # The graph must fit in maintenance memory or the build slows down many times over.
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET max_parallel_maintenance_workers = 2")
    conn.execute(
        f"CREATE INDEX {passages}_hnsw ON {passages} USING hnsw (embedding vector_ip_ops) "
        f"WITH (m = {int(m)}, ef_construction = {int(ef_construction)})"
    )


def drop_version_tables(conn: psycopg.Connection, vid: int) -> None:
    for table in version_tables(vid):
        conn.execute(f"DROP TABLE IF EXISTS {table}")


__all__ = [
    "MIGRATIONS",
    "PUBLISH_LOCK",
    "SCHEMA_VERSION",
    "applied_version",
    "create_version_tables",
    "drop_version_tables",
    "index_version_tables",
    "migrate",
    "version_tables",
]
