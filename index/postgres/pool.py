"""Connections to the store's database: one pool per (URL, schema) and process.

Every connection works in one PostgreSQL schema (`DOSSIER_STORE_SCHEMA`,
default `dossier`): several Dossier corpora, or a benchmark's indexes, can
share a database without seeing each other's versions. pgvector's `vector`
type is registered on each connection once the extension exists.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator

import psycopg
from pgvector.psycopg import register_vector
from psycopg_pool import ConnectionPool, PoolTimeout

from dossier.index.store import StoreError


class PostgresStoreError(StoreError):
    """The database cannot be used; the message says what to do."""


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://…"
    host, port, db = info.get("host", ""), info.get("port", ""), info.get("dbname", "")
    user = info.get("user")
    return f"postgresql://{user + '@' if user else ''}{host}{':' + str(port) if port else ''}/{db}"


SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_pools: dict[tuple[str, str], ConnectionPool] = {}
_pools_lock = threading.Lock()


@contextlib.contextmanager
def connection(pool: ConnectionPool) -> Iterator[psycopg.Connection]:
    """A pooled connection that knows pgvector's type (once the extension exists).

    A lost or unreachable server becomes a PostgresStoreError, which the service
    answers as 503 (not ready) rather than 500.
    """
    try:
        with pool.connection() as conn:
            if conn.adapters.types.get("vector") is None:
                with contextlib.suppress(psycopg.ProgrammingError):
                    register_vector(conn)
            yield conn
    except (psycopg.OperationalError, PoolTimeout) as exc:
        raise PostgresStoreError(
            f"the index database is unavailable ({' '.join(str(exc).split())})"
        ) from exc


def pool_for(url: str, schema: str, *, max_size: int = 8) -> ConnectionPool:
    """One connection pool per database URL, schema and process."""
    if not SCHEMA_NAME.match(schema):
        raise PostgresStoreError(
            f"store schema {schema!r} is not a plain lowercase SQL name (letters, digits, _)"
        )
    with _pools_lock:
        pool = _pools.get((url, schema))
        if pool is None:
            pool = ConnectionPool(
                url,
                min_size=1,
                max_size=max_size,
                kwargs={"autocommit": True, "options": f"-c search_path={schema},public"},
                open=False,
                name="dossier",
            )
            try:
                pool.open(wait=True, timeout=10)
            except Exception as exc:
                pool.close()
                raise PostgresStoreError(
                    f"cannot connect to {redact(url)} ({exc}); check DOSSIER_STORE and that "
                    "the server is up"
                ) from exc
            _pools[(url, schema)] = pool
        return pool


def close_pools() -> None:
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()


__all__ = ["PostgresStoreError", "close_pools", "connection", "pool_for", "redact"]
