"""Keep what was fetched, so runs can revalidate (conditional GET) or work offline.

Layout: one file per source, `<cache_dir>/<source_id>/entry`, holding the
`FetchRecord` as one line of JSON, a newline, then the raw body. Body and
record are one file so they are replaced as one unit: written to a temp file,
fsynced, `os.replace`d, and the directory fsynced. A SIGKILL at any point
leaves the old entry or the new one, complete; and an entry is trusted only
when its body's sha256 matches its record.

Caches written before this layout (`body` and `record.json` side by side) are
still read, and converted on the next store.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from dossier.types import FetchRecord

from .fetch import Fetched

log = logging.getLogger(__name__)

ENTRY = "entry"
LEGACY_BODY = "body"
LEGACY_RECORD = "record.json"
_TEMP_PREFIX = f".{ENTRY}."


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def encode_entry(fetched: Fetched) -> bytes:
    """Record (one line of JSON: pydantic escapes newlines) + newline + body."""
    return fetched.record.model_dump_json().encode("utf-8") + b"\n" + fetched.body


def decode_entry(data: bytes) -> Fetched:
    """The inverse of `encode_entry`; ValueError when the entry is damaged."""
    head, newline, body = data.partition(b"\n")
    if not newline:
        raise ValueError("no record line")
    try:
        record = FetchRecord.model_validate_json(head)
    except ValidationError as exc:
        raise ValueError(f"unreadable record ({exc.error_count()} errors)") from exc
    return _verified(body, record)


def _verified(body: bytes, record: FetchRecord) -> Fetched:
    if len(body) != record.size or hashlib.sha256(body).hexdigest() != record.sha256:
        raise ValueError("body does not match its record's sha256")
    return Fetched(body, record)


class Cache:
    """The fetch cache under `root` (normally `settings.cache_dir`).

    Writers are serialised by the data-dir lock (`dossier.ingest.lock`); one
    source's entry is written by one thread at a time.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, source_id: str) -> Path:
        return self.root / source_id

    def entry_path(self, source_id: str) -> Path:
        return self.folder(source_id) / ENTRY

    def load(self, source_id: str) -> Fetched | None:
        """The cached copy of a source, or None when absent or damaged (damage is logged)."""
        return self.inspect(source_id)[0]

    def inspect(self, source_id: str) -> tuple[Fetched | None, str | None]:
        """The cached copy, or None and why: None when absent, a problem when damaged."""
        folder = self.folder(source_id)
        try:
            data = (folder / ENTRY).read_bytes()
        except FileNotFoundError:
            return self._load_legacy(source_id)
        except OSError as exc:
            return self._damaged(source_id, f"unreadable: {exc}")
        try:
            return decode_entry(data), None
        except ValueError as exc:
            return self._damaged(source_id, str(exc))

    def _load_legacy(self, source_id: str) -> tuple[Fetched | None, str | None]:
        folder = self.folder(source_id)
        record_path, body_path = folder / LEGACY_RECORD, folder / LEGACY_BODY
        if not record_path.is_file() or not body_path.is_file():
            return None, None
        try:
            record = FetchRecord.model_validate_json(record_path.read_bytes())
            return _verified(body_path.read_bytes(), record), None
        except (OSError, ValidationError, ValueError) as exc:
            return self._damaged(source_id, str(exc).splitlines()[0])

    def _damaged(self, source_id: str, problem: str) -> tuple[None, str]:
        log.warning(
            "%s: ignoring the damaged cache entry in %s: %s",
            source_id,
            self.folder(source_id),
            problem,
        )
        return None, problem

    def store(self, fetched: Fetched) -> None:
        """Save a fetch (body and record together, atomically); a 304 re-stamps the record."""
        source_id = fetched.record.source_id
        folder = self.folder(source_id)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(f"{_TEMP_PREFIX}*.tmp"):  # left by a killed run
            stale.unlink(missing_ok=True)
        atomic_write_bytes(folder / ENTRY, encode_entry(fetched))
        for legacy in (LEGACY_RECORD, LEGACY_BODY):  # the entry now supersedes them
            with contextlib.suppress(FileNotFoundError):
                (folder / legacy).unlink()
