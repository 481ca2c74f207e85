"""What the published index holds, read from its JSON files alone.

Listing the sources or checking a source id needs neither the embedding model
nor the search structures (FAISS, BM25), so the commands that only do that
answer at once, and say what is wrong before any model is loaded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from dossier.index.manifest import FILENAME as MANIFEST_FILE
from dossier.index.manifest import Manifest
from dossier.settings import Settings
from dossier.types import Document, IngestReport

CURRENT = "current"
DOCUMENTS_FILE = "documents.jsonl"
PASSAGES_FILE = "passages.jsonl"
REPORT_FILE = "report.json"


class CatalogError(Exception):
    """No readable published index; the message says what to do."""


@dataclass(frozen=True)
class Catalog:
    manifest: Manifest
    path: Path | None  # None for an index in a database
    documents: dict[str, Document]
    passage_counts: dict[str, int]
    report: IngestReport | None


def published_path(settings: Settings) -> Path:
    """The published index directory, or CatalogError saying how to get one."""
    data = settings.data_dir
    if not data.is_dir():
        raise CatalogError(
            f"data directory {data}/ does not exist; run `dossier ingest` "
            "or pass the right --data-dir (DOSSIER_DATA_DIR)"
        )
    link = data / CURRENT
    try:
        target = os.readlink(link)
    except FileNotFoundError:
        raise CatalogError(f"no index in {data}/ — run `dossier ingest`") from None
    except OSError as exc:
        raise CatalogError(
            f"{link} is not a link to an index ({exc}); re-run `dossier ingest`"
        ) from None
    path = (link.parent / target).resolve()
    if not (path / MANIFEST_FILE).is_file():
        raise CatalogError(f"{link} points at {target}, which is missing — run `dossier ingest`")
    return path


def read_catalog(settings: Settings) -> Catalog:
    """The published index's manifest, documents, passage counts and ingest report."""
    if settings.store != "local":
        from dossier.index.store import StoreError, open_store

        try:
            return open_store(settings).catalog()  # type: ignore[attr-defined]
        except StoreError as exc:
            raise CatalogError(str(exc)) from None
    path = published_path(settings)
    try:
        manifest = Manifest.model_validate_json((path / MANIFEST_FILE).read_text("utf-8"))
        with (path / DOCUMENTS_FILE).open(encoding="utf-8") as lines:
            documents = [Document.model_validate_json(line) for line in lines if line.strip()]
        counts: dict[str, int] = {}
        with (path / PASSAGES_FILE).open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    source_id = json.loads(line)["source_id"]
                    counts[source_id] = counts.get(source_id, 0) + 1
        report = None
        if (path / REPORT_FILE).is_file():
            report = IngestReport.model_validate_json((path / REPORT_FILE).read_text("utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise CatalogError(
            f"index at {path} is unreadable ({type(exc).__name__}); re-run `dossier ingest`"
        ) from exc
    return Catalog(
        manifest=manifest,
        path=path,
        documents={d.source_id: d for d in documents},
        passage_counts=counts,
        report=report,
    )
