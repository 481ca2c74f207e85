"""Sources read from disk: `path` entries of the corpus and hand-saved drop-in files.

A drop-in (`<manual_dir>/<source_id>/<any file>`) is how a user gets past a
site that refuses scripts: save the page or PDF from a browser and it is
used instead of fetching. The format is decided later from the bytes and the
file name (see `dossier.ingest.sniff.detect_format`).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from dossier.types import FailureKind, FetchRecord

from .errors import SourceError
from .fetch import Fetched

_CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".html": "text/html",
    ".htm": "text/html",
    ".xhtml": "application/xhtml+xml",
    ".txt": "text/plain",
    ".md": "text/markdown",
}
_IGNORED_SUFFIXES = (".tmp", ".part", ".crdownload", ".download", "~")


def manual_file(manual_dir: Path, source_id: str) -> Path | None:
    """The drop-in file for a source: the only one, or the newest when there are several.

    Hidden files and unfinished browser downloads are ignored.
    """
    folder = Path(manual_dir) / source_id
    if not folder.is_dir():
        return None
    candidates = [
        entry
        for entry in folder.iterdir()
        if entry.is_file()
        and not entry.name.startswith(".")
        and not entry.name.lower().endswith(_IGNORED_SUFFIXES)
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda entry: (entry.stat().st_mtime_ns, entry.name))


def read_file(path: Path, source_id: str, origin: Literal["file", "manual"]) -> Fetched:
    """A local file as if it had been fetched; a missing file is a MISSING_FILE failure."""
    path = Path(path)
    try:
        body = path.read_bytes()
        stat = path.stat()
    except FileNotFoundError as exc:
        raise SourceError(FailureKind.MISSING_FILE, f"file {path} does not exist") from exc
    except IsADirectoryError as exc:
        raise SourceError(FailureKind.MISSING_FILE, f"{path} is a folder, not a file") from exc
    except OSError as exc:
        raise SourceError(
            FailureKind.MISSING_FILE, f"cannot read {path}: {exc.strerror or exc}"
        ) from exc
    location = str(path.resolve())
    return Fetched(
        body,
        FetchRecord(
            source_id=source_id,
            url=location,
            final_url=location,
            fetched_at=datetime.fromtimestamp(stat.st_mtime, UTC),
            sha256=hashlib.sha256(body).hexdigest(),
            size=len(body),
            content_type=_CONTENT_TYPES.get(path.suffix.lower()),
            origin=origin,
        ),
    )
