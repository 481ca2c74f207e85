"""Run ingest over the whole source list: acquire, extract and split every source.

For each source, the bytes come from the first of: a hand-saved drop-in file
(`<manual_dir>/<id>/`), the local `path`, the cache (offline), or the network
(a conditional GET when a cached copy exists; if the fetch fails, the cached
copy is used and the report says so). One failing source never stops the
others: each gets a `SourceStatus` in the report, which is also written to
`<data_dir>/ingest-report.json`. Nothing is embedded or indexed here; the
caller hands `documents` and `passages` to the index.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dossier.languages import document_language
from dossier.settings import Settings
from dossier.types import Document, FailureKind, IngestReport, Passage, SourceSpec, SourceStatus

from .cache import Cache, atomic_write_text
from .corpus import load_sources, resolve_local_path
from .errors import SourceError
from .extract import extract
from .fetch import Fetched, Fetcher, FetchError
from .local import manual_file, read_file
from .lock import data_dir_lock
from .split import split_passages

log = logging.getLogger(__name__)

REPORT_NAME = "ingest-report.json"
_REFUSALS = {
    401: "the site asks for a login",
    403: "the site refuses scripts",
    451: "the site withholds it for legal reasons",
}


@dataclass
class IngestResult:
    """What one run produced: the report, and the usable documents with their passages."""

    report: IngestReport
    documents: list[Document]
    passages: list[Passage]


def run_ingest(settings: Settings, *, offline: bool = False, progress: bool = True) -> IngestResult:
    """Ingest every source of `settings.corpus`; raises `CorpusError` only for a bad source list.

    Sources are acquired (fetched, or read from disk or the cache) by a pool
    of `fetch_workers` threads, each fetch bounded by `source_deadline`, so a
    slow source holds up only itself; extraction and splitting then run in
    source order, and a source whose text repeats an earlier one's is
    reported as its duplicate instead of being indexed twice. Holds the
    data-dir lock for the run (raises `LockBusy` if another ingest keeps it).
    `offline` uses drop-in files, local paths and the cache only: the
    network is never touched.
    """
    specs = load_sources(settings.corpus)
    with data_dir_lock(settings.data_dir, settings.ingest_lock_wait):
        return _run(specs, settings, offline=offline, progress=progress)


def _run(
    specs: list[SourceSpec], settings: Settings, *, offline: bool, progress: bool
) -> IngestResult:
    started = datetime.now(UTC)
    cache = Cache(settings.cache_dir)
    log.info(
        "ingesting %d sources from %s%s",
        len(specs),
        settings.corpus,
        " (offline)" if offline else "",
    )
    fetcher = None if offline else Fetcher(settings)
    statuses: list[SourceStatus] = []
    documents: list[Document] = []
    all_passages: list[Passage] = []
    seen: dict[str, str] = {}  # sha256 of a document's text → the source indexed with it
    pool = ThreadPoolExecutor(max_workers=settings.fetch_workers, thread_name_prefix="acquire")
    try:
        with _progress_bar(progress) as bar:
            task = bar.add_task("ingest", total=len(specs))
            pending = [
                pool.submit(_acquire_outcome, spec, settings, cache, fetcher) for spec in specs
            ]
            for spec, future in zip(specs, pending, strict=True):
                bar.update(task, description=f"ingest {spec.id}")
                status, document, passages = process_source(spec, settings, future.result())
                if document is not None:
                    key = hashlib.sha256(document.text.encode("utf-8")).hexdigest()
                    kept = seen.setdefault(key, spec.id)
                    if kept != spec.id:
                        _mark_duplicate(status, kept)
                        document, passages = None, []
                statuses.append(status)
                if document is not None:
                    documents.append(document)
                    all_passages.extend(passages)
                bar.advance(task)
    finally:
        # Normally every task is done; on an interrupt, queued ones are dropped and
        # running ones end within their deadline.
        pool.shutdown(wait=True, cancel_futures=True)
        if fetcher is not None:
            fetcher.close()
    report = IngestReport(
        started_at=started, finished_at=datetime.now(UTC), offline=offline, sources=statuses
    )
    write_report(report, settings.data_dir / REPORT_NAME)
    return IngestResult(report, documents, all_passages)


def _mark_duplicate(status: SourceStatus, kept: str) -> None:
    status.ok = False
    status.failure = FailureKind.DUPLICATE
    status.duplicate_of = kept
    status.reason = (
        f"duplicate of {kept!r}: the extracted text is identical, so it is indexed once, "
        f"under {kept!r}"
    )
    status.passages = 0
    log.warning("%s: %s", status.source_id, status.reason)


def write_report(report: IngestReport, path: Path) -> None:
    """The report as indented JSON, written atomically."""
    atomic_write_text(path, report.model_dump_json(indent=2) + "\n")


Outcome = tuple[Fetched, str | None] | SourceError | Exception


def _acquire_outcome(
    spec: SourceSpec, settings: Settings, cache: Cache, fetcher: Fetcher | None
) -> Outcome:
    """`acquire`, with its failure returned rather than raised (it runs in a worker thread)."""
    try:
        return acquire(spec, settings, cache, fetcher)
    except Exception as exc:  # handed to process_source, which reports it
        if not isinstance(exc, SourceError):
            log.exception("%s: unexpected error", spec.id)
        return exc


def ingest_source(
    spec: SourceSpec, settings: Settings, cache: Cache, fetcher: Fetcher | None
) -> tuple[SourceStatus, Document | None, list[Passage]]:
    """One source end to end; failures are returned in the status, never raised.

    `fetcher` None means offline.
    """
    return process_source(spec, settings, _acquire_outcome(spec, settings, cache, fetcher))


def process_source(
    spec: SourceSpec, settings: Settings, outcome: Outcome
) -> tuple[SourceStatus, Document | None, list[Passage]]:
    """Extract and split an acquired source; every failure becomes the status's reason."""
    status = SourceStatus(source_id=spec.id, location=spec.location, title=spec.title, ok=False)
    try:
        if isinstance(outcome, Exception):
            raise outcome
        fetched, note = outcome
        _describe(status, fetched)
        document = extract(spec, fetched, settings)
        document.language = document_language(document.language, document.text)
        passages = split_passages(document, settings.passage_chars, settings.overlap_chars)
    except SourceError as exc:
        status.failure = exc.kind
        status.reason = _with_hint(spec, settings, exc)
        status.http_status = exc.http_status or status.http_status
        # The CLI's table shows this reason; `in_report` lets it skip the duplicate line.
        log.warning("%s: %s: %s", spec.id, exc.kind.value, status.reason, extra={"in_report": True})
        return status, None, []
    except Exception as exc:  # a bug on one source must not cost the others
        if exc is not outcome:
            log.exception("%s: unexpected error", spec.id)
        status.failure = FailureKind.UNPARSABLE
        status.reason = f"unexpected error: {type(exc).__name__}: {exc} (please report this)"
        return status, None, []
    status.ok = True
    status.reason = note
    status.title = document.title
    status.format = document.format
    status.chars = len(document.text)
    status.passages = len(passages)
    log.info(
        "%s: ok (%s, %s, %d chars, %d passages)",
        spec.id,
        fetched.record.origin,
        document.format,
        status.chars,
        status.passages,
    )
    return status, document, passages


def acquire(
    spec: SourceSpec, settings: Settings, cache: Cache, fetcher: Fetcher | None
) -> tuple[Fetched, str | None]:
    """The raw bytes of a source, and a note for the report when something is worth saying."""
    dropped = manual_file(settings.manual_dir, spec.id)
    if dropped is not None:
        log.info("%s: using the drop-in file %s", spec.id, dropped)
        return read_file(dropped, spec.id, "manual"), None
    if spec.path is not None:
        path = resolve_local_path(spec.path, Path(settings.corpus).resolve().parent)
        return read_file(path, spec.id, "file"), None

    cached, damage = cache.inspect(spec.id)
    if cached is not None and cached.record.url != spec.url:
        log.info(
            "%s: cached copy is of %s, not %s; ignoring it", spec.id, cached.record.url, spec.url
        )
        stale_url, cached = cached.record.url, None
    else:
        stale_url = None
    if fetcher is None:
        if cached is None:
            why = (
                f"the cache holds {stale_url}, but sources.toml now says {spec.url}"
                if stale_url
                else f"the cached copy is damaged ({damage})"
                if damage
                else "not in the cache"
            )
            raise SourceError(
                FailureKind.NOT_CACHED,
                f"{why}; run once online or drop a file in {settings.manual_dir / spec.id}/",
            )
        return Fetched(cached.body, cached.record.model_copy(update={"origin": "cache"})), None

    try:
        fetched = fetcher.fetch_source(spec, cached)
    except FetchError as exc:
        if cached is None:
            raise
        when = cached.record.fetched_at.strftime("%Y-%m-%d %H:%M UTC")
        log.warning("%s: fetch failed (%s); using the copy cached %s", spec.id, exc.reason, when)
        note = f"fetch failed ({exc.reason}); used the copy cached {when}"
        return Fetched(cached.body, cached.record.model_copy(update={"origin": "cache"})), note
    log.debug("%s: caching %d bytes", spec.id, fetched.record.size)
    cache.store(fetched)
    log.info(
        "%s: %s %s (%d bytes)",
        spec.id,
        "unchanged (304)" if fetched.record.origin == "http-304" else "fetched",
        fetched.record.final_url,
        fetched.record.size,
    )
    return fetched, None


def _describe(status: SourceStatus, fetched: Fetched) -> None:
    record = fetched.record
    status.origin = record.origin
    status.final_url = record.final_url
    status.http_status = record.status
    status.fetched_at = record.fetched_at


def _with_hint(spec: SourceSpec, settings: Settings, error: SourceError) -> str:
    """The failure reason, plus the way around it when there is a simple one."""
    folder = f"{settings.manual_dir / spec.id}/"
    if error.kind == FailureKind.HTTP and error.http_status in _REFUSALS:
        return (
            f"{error.reason}: {_REFUSALS[error.http_status]}; save the page or PDF from a "
            f"browser into {folder}"
        )
    if error.kind == FailureKind.HTTP and error.http_status == 429:
        return f"{error.reason}; try again later, or save the page or PDF into {folder}"
    if error.kind == FailureKind.DNS:
        # No cached copy exists here (it would have been used), so --offline cannot help.
        return (
            f"{error.reason}: check the host name in sources.toml and this machine's network "
            f"connection, or save the source from a browser into {folder}"
        )
    if error.kind == FailureKind.BLOCKED:
        return f"{error.reason}; or save the source from a browser into {folder}"
    if "password-protected" in error.reason:
        return f"{error.reason} in {folder}"
    if error.kind == FailureKind.EMPTY and spec.url is not None:
        return f"{error.reason} If the text shows in a browser, save it into {folder}"
    return error.reason


def _progress_bar(enabled: bool) -> Progress:
    """A progress bar on stderr (stdout may be piped JSON), invisible when disabled."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not enabled,
    )
