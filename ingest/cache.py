"""Keep what was fetched, so runs can revalidate (conditional GET) or work offline.

Layout: `<cache_dir>/<source_id>/body` (the raw bytes) and `record.json`
(the `FetchRecord`). Each file is written atomically (temp file, fsync,
`os.replace`), body first, and a body is trusted only when its sha256 matches
the record — so an interrupted run leaves either the old copy or the new one,
never a mix.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from dossier.types import FetchRecord

from .fetch import Fetched

log = logging.getLogger(__name__)

BODY = "body"
RECORD = "record.json"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


class Cache:
    """The fetch cache under `root` (normally `settings.cache_dir`)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, source_id: str) -> Path:
        return self.root / source_id

    def load(self, source_id: str) -> Fetched | None:
        """The cached copy of a source, or None when absent or damaged (damage is logged)."""
        folder = self.folder(source_id)
        record_path, body_path = folder / RECORD, folder / BODY
        if not record_path.is_file() or not body_path.is_file():
            return None
        try:
            record = FetchRecord.model_validate_json(record_path.read_bytes())
            body = body_path.read_bytes()
        except (OSError, ValidationError, ValueError) as exc:
            log.warning("%s: ignoring unreadable cache entry in %s: %s", source_id, folder, exc)
            return None
        if hashlib.sha256(body).hexdigest() != record.sha256:
            log.warning(
                "%s: ignoring cache entry in %s: body does not match its record", source_id, folder
            )
            return None
        return Fetched(body, record)

    def store(self, fetched: Fetched) -> None:
        """Save a fetch; a 304 only refreshes the record (the bytes are unchanged)."""
        record = fetched.record
        folder = self.folder(record.source_id)
        body_path = folder / BODY
        unchanged = record.origin == "http-304" and body_path.is_file()
        if not unchanged:
            atomic_write_bytes(body_path, fetched.body)
        atomic_write_text(folder / RECORD, record.model_dump_json(indent=2) + "\n")
