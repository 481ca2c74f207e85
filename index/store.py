"""Index directories on disk, and the atomic switch between them.

Layout under the data directory::

    current -> indexes/<index_id>      the published index (a symlink)
    indexes/<index_id>/
        manifest.json                   written last: a directory without it is not an index
        documents.jsonl                 one Document per line, full text
        passages.jsonl                  one Passage per line, row order
        dense.faiss                     FAISS IndexFlatIP over unit vectors
        lexical/                        bm25s index and its tokeniser settings
        sentences.jsonl                 each sentence: offsets, stems, mentions (sentences.py)
        sentence_vectors.npy            their vectors, alone and read after the one before
        report.json                     the IngestReport, when one was given
    indexes/<index_id>.tmp-<pid>/       a build in progress (or killed)

A build writes everything into the `.tmp-<pid>` directory and renames it to
its final name only when complete; `publish` then swaps `current` with
`os.replace`, so readers see the old index or the new one, never a mix, and a
failed or killed build leaves the previous index published.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import secrets
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dossier import __version__
from dossier.index import encoders
from dossier.index.catalog import (
    CURRENT,
    DOCUMENTS_FILE,
    PASSAGES_FILE,
    REPORT_FILE,
    Catalog,
    CatalogError,
    read_catalog,
)
from dossier.index.dense import FILENAME as DENSE_FILE
from dossier.index.dense import BestSentenceIndex, Dense, DenseIndex
from dossier.index.embed import Embedder, canonical_model_name, load_embedder
from dossier.index.encoders import EncoderSpec, Later, Pooled, spec_from_manifest
from dossier.index.fusion import CROSS_LANGUAGE_BY_MODEL, DEFAULT_CROSS_LANGUAGE, Fusion
from dossier.index.lexical import DIRNAME as LEXICAL_DIR
from dossier.index.lexical import LexicalConfig, LexicalIndex
from dossier.index.manifest import FILENAME as MANIFEST_FILE
from dossier.index.manifest import FORMAT_VERSION, Manifest, corpus_fingerprint, text_key
from dossier.index.search import Index
from dossier.index.sentences import (
    POOLED,
    POOLED_RESIDUAL,
    SEPARATE,
    PoolingPlan,
    SentenceInfo,
    SentenceStore,
    build_sentences,
    plan_pooling,
    plan_sentences,
    pooled_vectors,
)
from dossier.settings import Settings
from dossier.types import Document, IngestReport, Passage

log = logging.getLogger(__name__)

LOCK_FILE = ".publish.lock"
TMP_PATTERN = re.compile(r"^(?P<id>.+)\.tmp-(?P<pid>\d+)$")
ID_PATTERN = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{8}$")


LOCAL = "local"


# Errors ------------------------------------------------------------------------------


class IndexLoadError(Exception):
    """An index cannot be loaded; the message says what to do."""


class IndexNotFoundError(IndexLoadError):
    """No index has been published (or the published one is gone)."""


class IndexModelMismatchError(IndexLoadError):
    """The index was built with another embedding model than the one configured."""


class StoreError(IndexLoadError):
    """The store (e.g. its database) cannot be reached or used; the message says what to do."""


class IndexEncoderMismatchError(IndexModelMismatchError):
    """The index's vectors come from another encoder (backend or quantisation) than the queries'."""


class IndexCorruptError(IndexLoadError):
    """The index directory is incomplete, unreadable or of an unknown format."""


# Building ----------------------------------------------------------------------------


def new_index_id() -> str:
    """UTC build time to the microsecond, then random hex: ids sort in build order."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(4)}"


def _check_inputs(documents: Sequence[Document], passages: Sequence[Passage]) -> None:
    if not passages:
        raise ValueError("no passages to index")
    by_id = {d.source_id: d for d in documents}
    if len(by_id) != len(documents):
        raise ValueError("two documents share a source_id")
    seen: set[str] = set()
    for p in passages:
        if p.id in seen:
            raise ValueError(f"passage id {p.id!r} occurs twice")
        seen.add(p.id)
        document = by_id.get(p.source_id)
        if document is None:
            raise ValueError(
                f"passage {p.id!r} belongs to source {p.source_id!r}, which has no document"
            )
        if document.text[p.start : p.end] != p.text:
            raise ValueError(
                f"passage {p.id!r}: text differs from its document's text[{p.start}:{p.end}]"
            )


# What a passage's dense score is (the manifest's `dense.scored_by`).
BEST_SENTENCE, PASSAGE = "best sentence", "passage"


def best_sentence(settings: Settings, with_sentences: bool, method: str) -> bool:
    """Whether an index built so finds passages by their best sentence: its sentence vectors
    must be their own (separate), and the postgres store keeps passage vectors (pgvector)."""
    return (
        with_sentences
        and method == SEPARATE
        and settings.dense_vectors == "sentence"
        and settings.store == LOCAL
    )


def scored_by(manifest: Manifest) -> str:
    return str(manifest.dense.get("scored_by", PASSAGE))


def best_sentence_index(sentences: SentenceStore, passages: Sequence[Passage]) -> BestSentenceIndex:
    """Dense search over the sentence vectors, each passage scored by the sentences it
    overlaps."""
    members = [
        np.asarray(sentences.rows_overlapping(p.source_id, p.start, p.end), dtype=np.int64)
        for p in passages
    ]
    return BestSentenceIndex(sentences.vectors, members)


def _same_model(reuse: Index, embedder: Embedder) -> bool:
    """The previous index's vectors came from the encoder at hand."""
    return (
        index_spec(reuse.manifest) == embedder.spec and reuse.dense.dimension == embedder.dimension
    )


def _reusable(reuse: Index | None, embedder: Embedder) -> dict[str, np.ndarray]:
    """Vectors of the previous index by passage-text sha256, when made by the same encoder."""
    if reuse is None:
        return {}
    if index_spec(reuse.manifest) != embedder.spec or reuse.dense.dimension != embedder.dimension:
        log.info(
            "previous index used encoder %s: embedding every passage",
            index_spec(reuse.manifest).describe(),
        )
        return {}
    vectors = reuse.dense.vectors
    return {text_key(p.text): vectors[i] for i, p in enumerate(reuse.passages)}


def embed_passages(
    passages: Sequence[Passage],
    embedder: Embedder,
    *,
    reuse: Index | None = None,
    progress: bool = False,
    pooling: PoolingPlan | Future[PoolingPlan] | None = None,
    pooled: list[Pooled | None] | None = None,
    timings: dict[str, float] | None = None,
) -> tuple[np.ndarray, int, int]:
    """Vectors for the passages, reusing unchanged ones; returns (vectors, embedded, reused).

    With `pooling` (and an encoder that `pools`), the passages encoded also give the
    sentence vectors the plan asks of them, appended to `pooled` (None for a passage
    not encoded). The plan may still be being made in another thread (a `Future`): the
    forward passes start meanwhile.
    """
    known = _reusable(reuse, embedder)
    keys = [text_key(p.text) for p in passages]
    vectors = np.zeros((len(passages), embedder.dimension), dtype=np.float32)
    todo: dict[str, list[int]] = {}
    reused = 0
    for row, key in enumerate(keys):
        if key in known:
            vectors[row] = known[key]
            reused += 1
        else:
            todo.setdefault(key, []).append(row)
    if pooled is not None:
        pooled[:] = [None] * len(passages)
    if todo and pooling is not None and pooled is not None:
        texts = [passages[rows[0]].text for rows in todo.values()]
        planned: Future[PoolingPlan] = pooling if isinstance(pooling, Future) else Future()
        if not isinstance(pooling, Future):
            planned.set_result(pooling)
        ranges = Later(planned, lambda plan: [plan.ranges[rows[0]] for rows in todo.values()])
        fresh, parts = embedder.encode_pooled(texts, ranges, progress=progress, timings=timings)
        plan = planned.result()
        for vector, part, rows in zip(fresh, parts, todo.values(), strict=True):
            vectors[rows] = vector
            pooled[rows[0]] = part
            at = {entry: k for k, entry in enumerate(plan.ranges[rows[0]])}
            for row in rows[1:]:  # the same text again (a duplicated source): the same pass
                picks = np.array([at.get(e, -1) for e in plan.ranges[row]], dtype=np.int64)
                pooled[row] = Pooled(part.sums[picks], np.where(picks >= 0, part.counts[picks], 0))
    elif todo:
        texts = [passages[rows[0]].text for rows in todo.values()]
        fresh = embedder.encode(texts, progress=progress)
        for vector, rows in zip(fresh, todo.values(), strict=True):
            vectors[rows] = vector
    embedded = len(passages) - reused
    log.info("embedded %d passages, reused %d", embedded, reused)
    return vectors, embedded, reused


def _with_languages(documents: list[Document], passages: list[Passage]) -> list[Passage]:
    """Passages carry their document's language (when the splitter did not set it)."""
    language = {d.source_id: d.language for d in documents}
    return [
        p
        if p.language or not language[p.source_id]
        else p.model_copy(update={"language": language[p.source_id]})
        for p in passages
    ]


def _write_jsonl(path: Path, items: Sequence[Document] | Sequence[Passage]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(item.model_dump_json())
            out.write("\n")


def _fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _plan(
    documents: list[Document],
    passages: list[Passage],
    language: str,
    method: str,
    timings: dict[str, float] | None,
) -> tuple[list[SentenceInfo], PoolingPlan | None]:
    """The sentences of the documents and, for pooled vectors, which passage pools which."""
    infos = plan_sentences(documents, language=language, timings=timings)
    return infos, plan_pooling(infos, passages) if method == POOLED else None


def _in_background(function: Callable[..., Any], *args: Any) -> Future[Any]:
    """`function(*args)` in a daemon thread (an interrupted ingest does not wait for it)."""
    future: Future[Any] = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(function(*args))
        except BaseException as exc:  # handed to whoever waits for the result
            future.set_exception(exc)

    threading.Thread(target=run, name="dossier-sentences", daemon=True).start()
    return future


def _chain(done: Future[Any], target: Future[Any], convert: Callable[[Any], Any]) -> None:
    """Complete `target` with `convert` of `done`'s result, or with its exception."""
    exception = done.exception()
    if exception is not None:
        target.set_exception(exception)
    else:
        target.set_result(convert(done.result()))


@contextlib.contextmanager
def _timed(timings: dict[str, float] | None, stage: str) -> Iterator[None]:
    """Add the seconds the block takes to `timings[stage]` (when timings are kept)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        if timings is not None:
            timings[stage] = timings.get(stage, 0.0) + time.perf_counter() - started


def build_index(
    documents: Sequence[Document],
    passages: Sequence[Passage],
    *,
    embedder: Embedder,
    settings: Settings,
    report: IngestReport | None = None,
    splitter: dict[str, Any] | None = None,
    reuse: Index | None = None,
    progress: bool = True,
    lexical: LexicalConfig | None = None,
    with_sentences: bool = True,
    timings: dict[str, float] | None = None,
) -> Path:
    """Write a complete index directory and return its path (not yet published).

    `with_sentences=False` builds a retrieval-only index (benchmarks): no
    per-sentence data, so no answer step, at a fraction of the embedding cost.
    `timings`, when given, gets the seconds of each stage (`dossier bench`'s
    ingest breakdown).

    Everything goes into `indexes/<id>.tmp-<pid>/` first and is renamed to
    `indexes/<id>/` only once complete: an exception or a kill leaves no final
    directory. Vectors of passages whose text is unchanged since `reuse` (same
    model) are copied, not recomputed; the manifest counts `embedded`/`reused`.
    """
    documents, passages = list(documents), list(passages)
    with _timed(timings, "check"):
        _check_inputs(documents, passages)
        passages = _with_languages(documents, passages)
    root = settings.indexes_dir
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp(root)
    index_id = new_index_id()
    final = root / index_id
    tmp = root / f"{index_id}.tmp-{os.getpid()}"
    tmp.mkdir()
    try:
        with _timed(timings, "persist"):
            _write_jsonl(tmp / DOCUMENTS_FILE, documents)
            _write_jsonl(tmp / PASSAGES_FILE, passages)
            if report is not None:
                (tmp / REPORT_FILE).write_text(report.model_dump_json(indent=1), encoding="utf-8")

        infos = pooling = None
        pooled: list[Pooled | None] = []
        method = POOLED if settings.sentence_vectors == POOLED and embedder.pools else SEPARATE
        planned: Future[tuple[list[SentenceInfo], PoolingPlan | None]] | None = None
        if with_sentences:
            # Splitting and annotating sentences is single-threaded Python: it runs beside
            # the encoder's forward passes (which release the GIL), not before them.
            planned = _in_background(
                _plan, documents, passages, settings.lexical_language, method, timings
            )
        pooling_plan: Future[PoolingPlan] | None = None
        if planned is not None and method == POOLED:
            pooling_plan = Future()
            planned.add_done_callback(lambda done: _chain(done, pooling_plan, lambda r: r[1]))
        # Pooling needs each passage's forward pass: a previous index whose sentence vectors
        # were made another way lends no passage vectors either.
        lender = (
            reuse
            if pooling_plan is None or reuse is None or sentence_method(reuse.manifest) == POOLED
            else None
        )
        # Passages found by their best sentence need no vectors of their own.
        by_sentence = best_sentence(settings, with_sentences, method)
        vectors = None
        embedded = reused = 0
        if not by_sentence:
            if lender is not None and not isinstance(lender.dense, DenseIndex):
                lender = None  # it kept no passage vectors
            with _timed(timings, "passage_encode"):
                vectors, embedded, reused = embed_passages(
                    passages,
                    embedder,
                    reuse=lender,
                    progress=progress,
                    pooling=pooling_plan,
                    pooled=pooled,
                    timings=timings,
                )
        if planned is not None:
            with _timed(timings, "sentence_wait"):
                infos, pooling = planned.result()
        if vectors is not None:
            with _timed(timings, "dense_index"):
                DenseIndex.build(vectors).save(tmp / DENSE_FILE)
        with _timed(timings, "bm25"):
            lexical_index = LexicalIndex.build(
                [p.text for p in passages],
                lexical or LexicalConfig(language=settings.lexical_language),
                [p.language for p in passages],
            )
            lexical_index.save(tmp / LEXICAL_DIR)
        sentence_count = 0
        sentence_vectors: dict[str, Any] = {}
        if infos is not None:
            with _timed(timings, "sentences"):  # the vectors no passage's forward pass gave
                from_passages = (
                    pooled_vectors(
                        pooling,
                        pooled,
                        infos,
                        embedder.dimension,
                        passage_vectors=vectors,
                        residual=POOLED_RESIDUAL,
                    )
                    if pooling is not None
                    else None
                )
                sentences, encoded, copied = build_sentences(
                    documents,
                    embedder,
                    language=settings.lexical_language,
                    reuse=reuse.sentences
                    if reuse is not None
                    and _same_model(reuse, embedder)
                    and sentence_method(reuse.manifest) == method
                    else None,
                    progress=progress,
                    timings=timings,
                    infos=infos,
                    pooled=from_passages,
                )
            with _timed(timings, "persist"):
                sentences.save(tmp)
            sentence_count = len(sentences)
            sentence_vectors = {
                "method": method,
                "pooled": 0
                if from_passages is None
                else int((~np.isnan(from_passages[0][:, 0])).sum())
                + int((~np.isnan(from_passages[1][:, 0])).sum()),
                "encoded": encoded,
                "reused": copied,
            }
            if method == POOLED:
                sentence_vectors["residual"] = POOLED_RESIDUAL

        manifest = Manifest(
            format_version=FORMAT_VERSION,
            index_id=index_id,
            dossier_version=__version__,
            created_at=datetime.now(UTC),
            model=embedder.name,
            dimension=embedder.dimension,
            encoder=embedder.spec.model_dump(),
            passage_count=len(passages),
            document_count=len(documents),
            source_ids=[d.source_id for d in documents],
            corpus_fingerprint=corpus_fingerprint(documents, splitter),
            splitter=splitter or {},
            lexical=lexical_index.settings(),
            dense={
                # best sentence: built from the sentence vectors when the index is loaded
                "faiss": "IndexScalarQuantizer(fp16)" if by_sentence else "IndexFlatIP",
                "similarity": "cosine",
                "normalized": True,
                "scored_by": BEST_SENTENCE if by_sentence else PASSAGE,
            },
            languages=dict(Counter(d.language for d in documents if d.language).most_common()),
            embedded=embedded,
            reused=reused,
            has_report=report is not None,
            sentence_count=sentence_count,
            has_sentences=with_sentences,
            sentence_vectors=sentence_vectors,
        )
        with _timed(timings, "persist"):
            (tmp / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=1), encoding="utf-8")
            _fsync_tree(tmp)
            os.rename(tmp, final)
            _fsync_dir(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info(
        "built index %s: %d passages (%s)",
        index_id,
        len(passages),
        "scored by their best sentence"
        if by_sentence
        else f"{embedded} vectors embedded, {reused} reused",
    )
    return final


# Publishing --------------------------------------------------------------------------


def _current_link(settings: Settings) -> Path:
    return settings.data_dir / CURRENT


def current_index_id(settings: Settings) -> str | None:
    """The id of the published index (a readlink: cheap enough to call per request)."""
    if settings.store != LOCAL:
        return open_store(settings).current_index_id()
    try:
        return Path(os.readlink(_current_link(settings))).name
    except OSError:
        return None


def current_index_path(settings: Settings) -> Path | None:
    """The directory `current` points at, or None when nothing is published."""
    index_id = current_index_id(settings)
    return settings.indexes_dir / index_id if index_id else None


@contextlib.contextmanager
def _publish_lock(data_dir: Path) -> Iterator[None]:
    with (data_dir / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def publish(settings: Settings, path: Path) -> None:
    """Make the index at `path` the current one, atomically, then prune old indexes.

    `current` is replaced by a new symlink through `os.replace`, so a reader
    sees either the previous index or this one. Kept afterwards: this index,
    the previous one, builds still running, and indexes built after this one.
    """
    path = Path(path)
    if settings.store != LOCAL:
        open_store(settings).publish(path)
        return
    root = settings.indexes_dir
    if path.parent.resolve() != root.resolve():
        raise ValueError(f"{path} is not an index directory under {root}")
    if not (path / MANIFEST_FILE).is_file():
        raise ValueError(f"{path} is not a complete index (no {MANIFEST_FILE})")
    link = _current_link(settings)
    with _publish_lock(settings.data_dir):
        previous = current_index_id(settings)
        if link.exists() and not link.is_symlink():
            raise RuntimeError(f"{link} is not a symlink; move it away and publish again")
        tmp_link = settings.data_dir / f".{CURRENT}.tmp-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp_link.unlink()
        os.symlink(Path(root.name) / path.name, tmp_link)
        os.replace(tmp_link, link)
        _fsync_dir(settings.data_dir)
        log.info("published index %s (previous: %s)", path.name, previous)
        prune(settings, keep={path.name} | ({previous} if previous else set()))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_tmp(root: Path) -> None:
    """Remove build directories left by processes that no longer run."""
    for entry in root.iterdir():
        match = TMP_PATTERN.match(entry.name)
        if match and entry.is_dir() and not _pid_alive(int(match["pid"])):
            log.info("removing %s, left by a build that did not finish", entry.name)
            shutil.rmtree(entry, ignore_errors=True)


def prune(settings: Settings, keep: set[str]) -> list[str]:
    """Delete index directories older than those in `keep`, and stale build directories.

    Index ids start with their UTC build time, so "older" is "sorts lower". A
    finished index newer than every kept one is left alone: another process
    may be about to publish it. Returns the names removed.
    """
    root = settings.indexes_dir
    removed: list[str] = []
    if not root.is_dir():
        return removed
    newest_kept = max(keep) if keep else ""
    for entry in sorted(root.iterdir()):
        if entry.name in keep or not entry.is_dir() or entry.is_symlink():
            continue
        match = TMP_PATTERN.match(entry.name)
        if match:
            if _pid_alive(int(match["pid"])):
                continue  # a build in progress, maybe this process's own
        elif not ((entry / MANIFEST_FILE).is_file() or ID_PATTERN.match(entry.name)):
            continue  # not ours: leave it alone
        elif entry.name > newest_kept:
            continue  # built after the published one, not yet published
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry.name)
    if removed:
        log.info("pruned %s", ", ".join(removed))
    for stale in settings.data_dir.glob(f".{CURRENT}.tmp-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            stale.unlink(missing_ok=True)
    return removed


# Loading -----------------------------------------------------------------------------


def _resolve(settings: Settings, path: Path | None) -> Path:
    if path is not None:
        path = Path(path)
        if not path.is_dir():
            raise IndexNotFoundError(f"no index at {path} — run `dossier ingest`")
        return path
    link = _current_link(settings)
    try:
        target = os.readlink(link)
    except FileNotFoundError:
        raise IndexNotFoundError(
            f"no index in {settings.data_dir}/ — run `dossier ingest`"
        ) from None
    except OSError as exc:
        raise IndexCorruptError(
            f"{link} is not a symlink to an index ({exc}); re-run `dossier ingest`"
        ) from exc
    resolved = (link.parent / target).resolve()
    if not resolved.is_dir():
        raise IndexNotFoundError(
            f"{link} points at {target}, which is missing — run `dossier ingest`"
        )
    return resolved


def read_manifest(path: Path) -> Manifest:
    try:
        manifest = Manifest.model_validate_json((path / MANIFEST_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(
            f"{path} has no {MANIFEST_FILE}: not a complete index; re-run `dossier ingest`"
        ) from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"{path / MANIFEST_FILE} is unreadable ({exc}); re-run `dossier ingest`"
        ) from exc
    if manifest.format_version > FORMAT_VERSION:
        raise IndexCorruptError(
            f"index {manifest.index_id} has format {manifest.format_version}, this Dossier reads "
            f"up to {FORMAT_VERSION}; upgrade Dossier or re-run `dossier ingest`"
        )
    return manifest


def cross_language_weight(settings: Settings, model: str) -> float:
    """The settings' cross-language factor, else the one tuned for the index's model."""
    if settings.cross_language_weight is not None:
        return settings.cross_language_weight
    return CROSS_LANGUAGE_BY_MODEL.get(canonical_model_name(model), DEFAULT_CROSS_LANGUAGE)


def served_model(settings: Settings, path: Path | None = None) -> str:
    """The model queries must be embedded with: the settings' when set, else the index's.

    Ingest may pick the multilingual model by itself (see `choose_model`), so
    unless the settings name a model, the published index's manifest says which.
    """
    if settings.model_chosen:
        return settings.model
    try:
        if path is None and settings.store != LOCAL:
            return open_store(settings).catalog().manifest.model
        return read_manifest(_resolve(settings, path)).model
    except Exception:  # no index (yet), or a store that cannot say: the settings' model
        return settings.model


def check_model(manifest: Manifest, model: str, dimension: int | None = None) -> None:
    """Raise IndexModelMismatchError unless the index's vectors come from `model`."""
    same = canonical_model_name(manifest.model) == canonical_model_name(model)
    if not same or (dimension is not None and dimension != manifest.dimension):
        theirs = f"{model} ({dimension} dims)" if dimension is not None else model
        raise IndexModelMismatchError(
            f"index built with model {manifest.model} ({manifest.dimension} dims) but settings say "
            f"{theirs}; re-run `dossier ingest` or set DOSSIER_MODEL={manifest.model}"
        )


def index_spec(manifest: Manifest) -> EncoderSpec:
    """The encoder that made the index's vectors."""
    return spec_from_manifest(manifest.encoder, canonical_model_name(manifest.model))


def sentence_method(manifest: Manifest) -> str:
    """How the index's sentence vectors were made (older indexes: each encoded on its own).

    Pooled vectors made with another passage residual than today's (POOLED_RESIDUAL; none
    before it was recorded) are another method: not reused, and served with a warning.
    """
    method = str(manifest.sentence_vectors.get("method", SEPARATE))
    residual = manifest.sentence_vectors.get("residual", 0.0)
    if method == POOLED and residual != POOLED_RESIDUAL:
        return f"{POOLED} (residual {residual})"
    return method


_told: set[str] = set()


def _check_sentence_method(manifest: Manifest, settings: Settings) -> None:
    """Say (once per index) when its sentence vectors were made another way than the
    settings make them: they are served as they are, but the answerability model is
    fitted on one way's cosines, so abstentions may be miscalibrated until a re-ingest."""
    try:
        pools = bool(getattr(encoders.backend(index_spec(manifest).backend), "POOLS", False))
    except encoders.EncoderUnavailable:
        return
    method = sentence_method(manifest)
    wanted = settings.sentence_vectors if pools else SEPARATE
    if method != wanted and manifest.index_id not in _told:
        _told.add(manifest.index_id)
        log.warning(
            "index %s holds sentence vectors made %s, the settings say %s "
            "(DOSSIER_SENTENCE_VECTORS); answers use them as they are: re-run `dossier ingest` "
            "to rebuild them",
            manifest.index_id,
            method,
            wanted,
        )


def check_encoder(manifest: Manifest, embedder: Embedder) -> None:
    """Raise IndexEncoderMismatchError unless `embedder` makes the vectors the index holds."""
    theirs = index_spec(manifest)
    if embedder.spec != theirs:
        other = (
            f", or set DOSSIER_ENCODER={theirs.backend}"
            if theirs.backend != embedder.spec.backend
            else ""  # the same backend made them another way (an older export): only re-embed
        )
        raise IndexEncoderMismatchError(
            f"index {manifest.index_id} was built with encoder {theirs.describe()}, but queries "
            f"would be encoded with {embedder.spec.describe()}; their vectors are not comparable: "
            f"re-run `dossier ingest` to re-embed{other}"
        )


def index_embedder(settings: Settings, manifest: Manifest) -> Embedder:
    """The embedder to query this index with.

    `DOSSIER_ENCODER=auto` follows the index (an index built with torch keeps
    being queried with torch until the next ingest); an explicit backend must
    match it.
    """
    theirs = index_spec(manifest)
    choice = theirs.backend if settings.encoder == encoders.AUTO else settings.encoder
    model = settings.model if settings.model_chosen else manifest.model  # ingest may choose it
    embedder = load_embedder(settings, model, encoder=choice)  # EmbedderError: model is broken
    check_encoder(manifest, embedder)
    return embedder


def published_embedder(settings: Settings, *, queries: bool = False) -> Embedder:
    """The settings' model on the encoder the published index needs, loaded before the index
    so that a broken model is reported as such (EmbedderError), not as a mismatch;
    `queries`: to encode questions (`EncoderOptions`). IndexLoadError when no readable index
    is published."""
    if settings.store == LOCAL:
        manifest = read_manifest(_resolve(settings, None))
    else:
        try:
            manifest = open_store(settings).catalog().manifest
        except CatalogError as exc:
            raise IndexNotFoundError(str(exc)) from exc
    theirs = index_spec(manifest)
    choice = theirs.backend if settings.encoder == encoders.AUTO else settings.encoder
    model = settings.model if settings.model_chosen else manifest.model  # ingest may choose it
    return load_embedder(settings, model, encoder=choice, queries=queries)


def _read_jsonl(path: Path, kind: type[Document] | type[Passage]) -> list[Any]:
    with path.open(encoding="utf-8") as lines:
        return [kind.model_validate_json(line) for line in lines if line.strip()]


def _inconsistent(manifest: Manifest, folder: Path, problems: list[str]) -> None:
    if problems:
        raise IndexCorruptError(
            f"index {manifest.index_id} at {folder} is inconsistent ({'; '.join(problems)}); "
            "re-run `dossier ingest`"
        )


def load_index(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    path: Path | None = None,
    dense: Dense | None = None,
    lexical: LexicalIndex | None = None,
) -> Index:
    """Load the published index (or the one at `path`) into memory.

    A store other than the local one loads its own way (and hands back
    `dense` and `lexical` components that search in it, with `path` holding
    the rest of the index). Raises IndexNotFoundError,
    IndexModelMismatchError or IndexCorruptError (all IndexLoadError) with a
    message that says what to do.
    """
    if path is None and settings.store != LOCAL:
        return open_store(settings).load(embedder=embedder)
    folder = _resolve(settings, path)
    manifest = read_manifest(folder)
    if embedder is not None:
        check_model(manifest, embedder.name, embedder.dimension)
        check_encoder(manifest, embedder)
    else:
        if settings.model_chosen:  # else the index's own model is used (ingest may choose it)
            check_model(manifest, settings.model)
        theirs = index_spec(manifest)
        if settings.encoder not in (encoders.AUTO, theirs.backend):
            raise IndexEncoderMismatchError(
                f"index {manifest.index_id} was built with encoder {theirs.describe()}, but "
                f"DOSSIER_ENCODER={settings.encoder}; their vectors are not comparable: re-run "
                f"`dossier ingest` to re-embed, or set DOSSIER_ENCODER={theirs.backend} (or auto)"
            )
    try:
        documents = _read_jsonl(folder / DOCUMENTS_FILE, Document)
        passages = _read_jsonl(folder / PASSAGES_FILE, Passage)
        report = None
        if (folder / REPORT_FILE).is_file():
            report = IngestReport.model_validate_json((folder / REPORT_FILE).read_text("utf-8"))
        if dense is None and scored_by(manifest) != BEST_SENTENCE:
            dense = DenseIndex.load(folder / DENSE_FILE)
        lexical = lexical or LexicalIndex.load(folder / LEXICAL_DIR)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise IndexCorruptError(
            f"index {manifest.index_id} at {folder} is unreadable ({type(exc).__name__}: {exc}); "
            "re-run `dossier ingest`"
        ) from exc
    problems = []
    if len(passages) != manifest.passage_count:
        problems.append(f"{len(passages)} passages, manifest says {manifest.passage_count}")
    if len(documents) != manifest.document_count:
        problems.append(f"{len(documents)} documents, manifest says {manifest.document_count}")
    if lexical.size != len(passages):
        problems.append(f"{lexical.size} BM25 rows")
    by_source = {d.source_id: d for d in documents}
    if any(p.source_id not in by_source for p in passages):
        problems.append("passages of sources without a document")
    _inconsistent(manifest, folder, problems)
    if lexical.config.language != settings.lexical_language:
        log.warning(
            "index %s was tokenised for %s, settings say %s: queries use the index's (%s)",
            manifest.index_id,
            lexical.config.language,
            settings.lexical_language,
            lexical.config.language,
        )
    if SentenceStore.exists(folder):
        _check_sentence_method(manifest, settings)
        try:
            sentences = SentenceStore.load(folder, by_source)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(
                f"index {manifest.index_id} at {folder}: sentence data unreadable ({exc}); "
                "re-run `dossier ingest`"
            ) from exc
    elif not manifest.has_sentences:  # a retrieval-only index (benchmarks): nothing to answer with
        sentences = None
    else:  # an index built before sentences were stored: compute them once, in memory
        log.warning("index %s has no sentence data: computing it now", manifest.index_id)
        sentences, _, _ = build_sentences(
            documents,
            embedder or load_embedder(settings),
            language=settings.lexical_language,
        )
    if dense is None:  # passages found by their best sentence
        if sentences is None:
            _inconsistent(manifest, folder, ["passages scored by sentences, but no sentence data"])
        dense = best_sentence_index(sentences, passages)
    if dense.size != len(passages) or dense.dimension != manifest.dimension:
        _inconsistent(manifest, folder, [f"{dense.size} vectors of {dense.dimension} dims"])
    try:
        return Index(
            manifest=manifest,
            documents=by_source,
            passages=passages,
            dense=dense,
            lexical=lexical,
            report=report,
            sentences=sentences,
            embedder=embedder,
            embedder_loader=lambda: index_embedder(settings, manifest),
            fusion=Fusion(
                weight=settings.hybrid_weight,
                cross_language=cross_language_weight(settings, manifest.model),
            ),
            device=settings.device,
            batch_size=settings.batch_size,
            path=folder,
        )
    except ValueError as exc:
        raise IndexCorruptError(
            f"index {manifest.index_id} at {folder}: {exc}; re-run `dossier ingest`"
        ) from exc


# Stores ------------------------------------------------------------------------------


class Store(Protocol):
    """Where published indexes live: the local data dir, or a database.

    Every store publishes a complete index directory written by
    `build_index`, serves the current version to `load`, and says which
    version is current cheaply enough to ask per request.
    """

    def describe(self) -> str: ...

    def current_index_id(self) -> str | None: ...

    def publish(self, folder: Path) -> str: ...

    def load(self, *, embedder: Embedder | None = None) -> Index: ...

    def lock(self, *, wait: bool = True) -> contextlib.AbstractContextManager[None]: ...

    def size_bytes(self) -> int: ...

    def catalog(self) -> Catalog: ...


class LocalStore:
    """Index directories under the data dir, `current` a symlink switched atomically."""

    kind = LOCAL

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def describe(self) -> str:
        return str(self.settings.indexes_dir)

    def current_index_id(self) -> str | None:
        return current_index_id(self.settings)

    def publish(self, folder: Path) -> str:
        publish(self.settings, folder)
        return Path(folder).name

    def load(self, *, embedder: Embedder | None = None) -> Index:
        return load_index(self.settings, embedder=embedder)

    @contextlib.contextmanager
    def lock(self, *, wait: bool = True) -> Iterator[None]:
        """Publishing is serialised by `publish` itself; ingest holds the data-dir lock."""
        yield

    def catalog(self) -> Catalog:
        return read_catalog(self.settings)

    def size_bytes(self) -> int:
        path = current_index_path(self.settings)
        if path is None:
            return 0
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def open_store(settings: Settings) -> Store:
    """The store `settings.store` names: `local`, or a postgresql:// URL."""
    if settings.store == LOCAL:
        return LocalStore(settings)
    from dossier.index.postgres.store import PostgresStore

    return PostgresStore(settings)


__all__ = [
    "CURRENT",
    "LOCAL",
    "Index",
    "IndexCorruptError",
    "IndexEncoderMismatchError",
    "IndexLoadError",
    "IndexModelMismatchError",
    "IndexNotFoundError",
    "LocalStore",
    "Store",
    "StoreError",
    "build_index",
    "check_encoder",
    "current_index_id",
    "current_index_path",
    "embed_passages",
    "index_embedder",
    "load_index",
    "new_index_id",
    "open_store",
    "prune",
    "publish",
    "published_embedder",
    "read_manifest",
    "sentence_method",
    "served_model",
]
