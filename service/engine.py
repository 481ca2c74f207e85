"""The question-answering engine behind both the HTTP API and the CLI.

It owns the loaded index and model, and notices when `dossier ingest`
publishes a new index, so a running service picks it up without a restart
while a failed ingest leaves it serving the old one.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import faiss
import numpy as np

from dossier.index.catalog import CatalogError, read_catalog
from dossier.index.embed import Embedder, EmbedderError
from dossier.index.store import (
    Index,
    IndexLoadError,
    StoreError,
    current_index_id,
    load_index,
    published_embedder,
)
from dossier.service.answer import Answerability, Reader, compose, load_reader
from dossier.service.answer.answerability import model_file
from dossier.service.answer.reader import READER_FEATURE, ReaderError, reader_path
from dossier.service.batching import MicroBatcher
from dossier.service.cache import QueryCache
from dossier.service.rerank import pool_size, rerank
from dossier.service.schemas import (
    Examples,
    PassageContext,
    SearchResponse,
    SourceInfo,
    SourceRef,
    SpanContext,
    TextSpan,
)
from dossier.service.sources import (
    UnknownSourceError,
    check_sources,
    hide_paths,
    source_infos,
)
from dossier.service.sources import public_url as _public_url
from dossier.settings import Settings
from dossier.types import Answer, Document, Mode, ScoredPassage

log = logging.getLogger(__name__)


class EngineError(Exception):
    """An error the caller made or can fix; `status` is the HTTP status to answer with."""

    status = 400


class NotReadyError(EngineError):
    status = 503


class NotFoundError(EngineError):
    status = 404


class Engine:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # One search per request thread: FAISS's OpenMP team would spin a second core on each
        # scan for no gain (SciFact's sentence scan: 12.5 ms wall, 24.8 CPU; alone 10.6, 10.7).
        faiss.omp_set_num_threads(1)
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._embedder: Embedder | None = None
        # (the index's embedding model, the answerability file for it, the model read from it)
        self._answerability: tuple[str | None, Path, Answerability] | None = None
        self._reader: tuple[Path | None, Reader | None] | None = None  # (its path, the reader)
        self.load_error: str | None = None
        self._model_error: str | None = None
        # The query path (issue 8): questions encoded in batches, answers cached per index.
        self.cache = QueryCache(settings.query_cache_size)
        self._batcher: MicroBatcher | None = None
        self._batcher_model: object | None = None
        self._batcher_lock = threading.Lock()
        self._examples: tuple[str, Examples] | None = None  # (index id, the examples made for it)

    # Loading -----------------------------------------------------------------

    def load(self) -> None:
        """Load the model and the current index; remember why if that fails."""
        try:
            index = self.index
            try:  # the reader is loaded now, not on the first /ask; /readyz says why it cannot
                reader = self.reader_for(self.answerability_for(index))
                if reader is not None and self.settings.reader_shares_encoder:
                    reader.share_lower(index.embedder.model)
            except NotReadyError as exc:
                self.load_error = str(exc)
                log.error("%s", exc)
        except EngineError as exc:
            log.warning("not ready: %s", exc)
        except Exception as exc:  # whatever it is, /readyz must say it instead of "loading"
            self.load_error = f"loading failed ({type(exc).__name__}: {exc})"
            log.exception("not ready")

    @property
    def ready(self) -> bool:
        return self._index is not None

    @property
    def index_id(self) -> str | None:
        return self._index.manifest.index_id if self._index else None

    @property
    def index(self) -> Index:
        """The index being served, switching to a newly published one when there is one."""
        try:
            published = current_index_id(self.settings)
        except StoreError as exc:  # a database store that cannot be reached
            raise NotReadyError(str(exc)) from exc
        index = self._index
        if index is not None and (published is None or published == index.manifest.index_id):
            return index
        with self._lock:
            if self._index is not None and published == self._index.manifest.index_id:
                return self._index
            if self._model_error is not None:  # a broken model stays broken until a restart
                raise NotReadyError(self._model_error)
            try:
                embedder = published_embedder(self.settings, queries=True)  # the index's encoder
                loaded = load_index(self.settings, embedder=embedder)
            except EmbedderError as exc:
                self._model_error = self.load_error = " ".join(str(exc).split())
                raise NotReadyError(self._model_error) from exc
            except IndexLoadError as exc:
                self.load_error = str(exc)
                if self._index is not None:
                    log.error(
                        "new index %s failed to load, keeping %s: %s", published, self.index_id, exc
                    )
                    return self._index
                raise NotReadyError(str(exc)) from exc
            log.info(
                "serving index %s (%d passages)", loaded.manifest.index_id, len(loaded.passages)
            )
            self._index, self._embedder, self.load_error = loaded, embedder, None
            self.cache.clear()  # entries are keyed by index id; free the old index's
            return loaded

    @property
    def embedder(self) -> Embedder:
        _ = self.index
        assert self._embedder is not None
        return self._embedder

    # Queries -----------------------------------------------------------------

    def _check_sources(self, index: Index, sources: Iterable[str] | None) -> set[str] | None:
        try:
            return check_sources(index.documents, index.report, sources)
        except UnknownSourceError as exc:
            raise EngineError(str(exc)) from None

    @property
    def batcher(self) -> MicroBatcher:
        """Encodes the questions of concurrent requests together (one per embedder)."""
        embedder = self.embedder
        with self._batcher_lock:
            if self._batcher is None or self._batcher_model is not embedder.model:
                if self._batcher is not None:
                    self._batcher.close()
                self._batcher = MicroBatcher(
                    embedder.encode_queries,
                    max_batch=self.settings.batch_max,
                    max_wait=self.settings.batch_wait_ms / 1000,
                    inline=getattr(embedder.model, "any_thread", False),
                    lanes=getattr(embedder.model, "lanes", 1),
                )
                self._batcher_model = embedder.model
            return self._batcher

    def query_vector(self, query: str, mode: Mode) -> np.ndarray | None:
        """The query's vector, encoded once per request (None when no vector is needed)."""
        if mode == "lexical" or not query.strip():
            return None
        return self.batcher.encode(query)

    def _rerank_reader(self, index: Index, mode: Mode) -> Reader | None:
        """The reader of `rerank`'s second look: the index's, unless `rerank_pool` is 0 or
        the words alone were asked for (lexical mode)."""
        if not self.settings.rerank_pool or mode == "lexical":
            return None
        return self.reader_for(self.answerability_for(index))

    def search(
        self, query: str, *, k: int = 5, mode: Mode | None = None, sources: list[str] | None = None
    ) -> SearchResponse:
        index = self.index
        mode = mode or self.settings.mode
        key = ("search", index.index_id, query, k, mode, _sources_key(sources))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        started = time.perf_counter()
        wanted = self._check_sources(index, sources)
        second_look = self._rerank_reader(index, mode)
        if second_look is not None:  # its pass beside the encoder's
            second_look.prefetch(query)
        try:
            passages = index.search(
                query,
                k=pool_size(second_look, k, self.settings.rerank_pool),
                mode=mode,
                sources=wanted,
                query_vector=self.query_vector(query, mode),
            )
        except StoreError as exc:
            raise NotReadyError(str(exc)) from exc
        passages = rerank(query, passages, index, second_look, k)
        response = SearchResponse(
            query=query, mode=mode, passages=passages, timings={"retrieve_ms": _ms(started)}
        )
        self.cache.put(key, response)
        return response

    def ask(
        self,
        question: str,
        *,
        k: int = 5,
        mode: Mode | None = None,
        sources: list[str] | None = None,
        context: str | None = None,
    ) -> Answer:
        """Answer `question`; `context` (an earlier turn it refers to) helps retrieval only.

        Sentences are always scored against the question itself, so a follow-up
        such as "When was it completed?" picks the sentence that says when.
        """
        index = self.index  # one snapshot for retrieval and composing, whatever reloads meanwhile
        key = ("ask", index.index_id, question, context, k, mode, _sources_key(sources))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        started = time.perf_counter()
        mode = mode or self.settings.mode
        allowed = self._check_sources(index, sources)
        query = f"{context} {question}" if context else question
        # An acronym the sources only write in full ("CSTO") finds their words lexically, and
        # the reader reads those words (it knows "EEU" less well than what it stands for). The
        # encoder reads the question as asked: spelled out, "CSTO" drew other treaties nearer.
        store = index.sentences
        spelled = store.spelled_out(question) if store else {}
        read_as = store.written_out(question) if store else question
        reader = self.reader_for(self.answerability_for(index))
        if reader is not None:  # its pass beside the encoder's (a tower sharing it waits)
            reader.prefetch(read_as)
        # The question is encoded once, in one forward pass with concurrent questions, and
        # shared by retrieval and the answer step.
        question_vector = self.batcher.encode(question)
        query_vector = self.batcher.encode(query) if context else question_vector
        # Its language likewise: detected once, for BM25 and for the answer step (BM25 detects
        # its own when it searches more than the question).
        language = index.question_languages([question])[0]
        second_look = self._rerank_reader(index, mode)
        try:
            passages = index.search(
                " ".join([query, *spelled.values()]),
                k=pool_size(second_look, k, self.settings.rerank_pool),
                mode=mode,
                sources=allowed,
                query_vector=query_vector,
                language=None if context or spelled else language,
            )
        except StoreError as exc:
            raise NotReadyError(str(exc)) from exc
        # Sentences are read against the question itself, as the answer step reads them.
        passages = rerank(question, passages, index, second_look, k)
        retrieve_ms = _ms(started)
        answer = self._compose(
            index, question, question_vector, passages, started, retrieve_ms, language=language
        )
        self.cache.put(key, answer)
        return answer

    def answer(
        self,
        question: str,
        passages: list[ScoredPassage],
        *,
        started: float | None = None,
        retrieve_ms: float = 0.0,
    ) -> Answer:
        """Compose an answer from passages the caller already retrieved."""
        index = self.index
        started = time.perf_counter() if started is None else started
        vector = index.embedder.encode_query(question)
        return self._compose(index, question, vector, passages, started, retrieve_ms)

    @property
    def answerability(self) -> Answerability:
        """The answerability model for the served index (see `answerability_for`)."""
        return self.answerability_for(self.index)

    def answerability_for(self, index: Index) -> Answerability:
        """The settings' answerability model, else the one fitted for the index's embedding
        model (its cosines are on that model's scale); loaded once per file."""
        cached = self._answerability
        if cached is not None and cached[0] == index.manifest.model:  # asked 3 times per /ask
            return cached[2]
        path = self.settings.answer_model or model_file(index.manifest.model)
        model = cached[2] if cached is not None and cached[1] == path else Answerability.load(path)
        self._answerability = (index.manifest.model, path, model)
        return model

    @property
    def reader(self) -> Reader | None:
        """The reader for the served index (see `reader_for`)."""
        return self.reader_for(self.answerability)

    def reader_for(self, model: Answerability) -> Reader | None:
        """The `reader` setting's cross-encoder: `auto` loads the shipped one exactly when the
        answerability model has a reader coefficient (an index of another embedding model
        whose file has none gets none)."""
        path = reader_path(self.settings.reader, READER_FEATURE in model.features)
        cached = self._reader
        if cached is not None and cached[0] == path:  # per question: no path resolving
            return cached[1]
        try:
            reader = load_reader(
                path,
                device=self.settings.device,
                threads=self.settings.reader_threads or 1,  # as the encoder's question passes
                batch_max=self.settings.batch_max,
                sharing=self.settings.reader_shares_encoder,
            )
        except ReaderError as exc:
            raise NotReadyError(f"{exc} (the `reader` setting, DOSSIER_READER)") from exc
        self._reader = (path, reader)
        return reader

    def _compose(
        self,
        index: Index,
        question: str,
        question_vector: np.ndarray,
        passages: list[ScoredPassage],
        started: float,
        retrieve_ms: float,
        *,
        language: str | None = None,
    ) -> Answer:
        composing = time.perf_counter()
        if language is None:
            language = index.question_languages([question])[0]
        model = self.answerability_for(index)
        reader = self.reader_for(model)
        if reader is not None and self.settings.reader_shares_encoder:
            reader.share_lower(index.embedder.model)  # once per encoder; False: it cannot
        composed = compose(
            question,
            question_vector,
            passages,
            index,
            model,
            max_sentences=self.settings.answer_sentences,
            reader=reader,
            reader_candidates=self.settings.reader_candidates,
            language=language or self.settings.lexical_language,
            threshold=self.settings.answer_threshold,
        )
        for citation in composed.citations:  # a quote is kept in its own language: say which
            citation.language = citation.language or index.documents[citation.source_id].language
        return Answer(
            answer=composed.text,
            abstained=composed.abstained,
            citations=composed.citations,
            passages=[*passages, *composed.also_cited],
            answer_span=composed.answer_span,
            confidence=composed.score,
            timings={
                "retrieve_ms": retrieve_ms,
                "answer_ms": _ms(composing),
                "total_ms": _ms(started),
            },
        )

    # Browsing ----------------------------------------------------------------

    def sources(self) -> list[SourceInfo]:
        """Listed from the loaded index, or from the published one's JSON files while the
        model cannot load: the sources and why some failed stay visible."""
        try:
            index = self.index
        except NotReadyError:
            try:
                catalog = read_catalog(self.settings)
            except CatalogError:
                raise NotReadyError(self.load_error or "no index loaded") from None
            return source_infos(catalog.documents, catalog.passage_counts, catalog.report)
        counts: dict[str, int] = {}
        for passage in index.passages:
            counts[passage.source_id] = counts.get(passage.source_id, 0) + 1
        return source_infos(index.documents, counts, index.report)

    def source(self, source_id: str) -> SourceInfo:
        for info in self.sources():
            if info.id == source_id:
                return info
        raise NotFoundError(f"no source with id {source_id!r}; GET /sources lists them")

    def document(self, source_id: str) -> Document:
        """The extracted text every offset of that source indexes into."""
        document = self.index.documents.get(source_id)
        if document is None:
            raise NotFoundError(f"no indexed source with id {source_id!r}; GET /sources lists them")
        return document

    def passage(self, passage_id: str, *, before: int = 1, after: int = 1) -> PassageContext:
        index = self.index
        try:
            passage = index.passage(passage_id)
        except KeyError:
            raise NotFoundError(
                f"no passage with id {passage_id!r}; "
                "ids look like '<source id>:0003' (POST /search returns them)"
            ) from None
        neighbours = index.neighbours(passage_id, before=before, after=after)
        document = index.documents[passage.source_id]
        start = min([passage.start, *(p.start for p in neighbours)])
        end = max([passage.end, *(p.end for p in neighbours)])
        return PassageContext(
            passage=passage,
            source=SourceRef(id=document.source_id, title=document.title, url=document.url),
            before=[p for p in neighbours if p.start < passage.start],
            after=[p for p in neighbours if p.start > passage.start],
            context=TextSpan(start=start, end=end, text=document.text[start:end]),
            section=document.section_at(passage.start),
        )

    def span(self, source_id: str, start: int, end: int, *, around: int = 700) -> SpanContext:
        """Characters `start`–`end` of a source in their paragraph, for a citation or a link.

        The context reaches out to the paragraph's blank lines, but at most
        `around` characters each side (then to a word boundary).
        """
        document = self.document(source_id)
        text = document.text
        if not 0 <= start < end <= len(text):
            raise EngineError(
                f"span {start}-{end} is not inside source {source_id!r}, which has "
                f"{len(text)} characters; give 0 <= start < end <= {len(text)}"
            )
        lo = max(text.rfind("\n\n", 0, start) + 2, start - around, 0)
        if lo > 0 and text[lo - 1] != "\n":
            space = text.find(" ", lo, start)
            lo = space + 1 if space != -1 else lo
        hi = text.find("\n\n", end)
        hi = min(len(text) if hi == -1 else hi, end + around)
        if hi < len(text) and text[hi] != "\n":
            space = text.rfind(" ", end, hi)
            hi = space if space != -1 else hi
        return SpanContext(
            source=SourceRef(
                id=document.source_id, title=document.title, url=_public_url(document.url)
            ),
            start=start,
            end=end,
            quote=text[start:end],
            section=document.section_at(start),
            page=document.page_at(start),
            context=TextSpan(start=lo, end=hi, text=text[lo:hi]),
        )

    def examples(self, limit: int = 3) -> Examples:
        """The configured example questions, else ones made from the sources' headings.

        Made ones are "What about <heading>?" for headings spread over the
        sources, skipping generic ones such as "References" and ones whose words
        the text does not use again. Each candidate is asked once per index
        (the answer is cached like any question) and only those the sources
        answer are offered: an example that abstains would mislead.
        """
        if self.settings.example_questions:
            return Examples(questions=self.settings.example_questions[:limit])
        index = self.index
        cached = self._examples
        if cached is not None and cached[0] == index.index_id:
            return cached[1]
        headings = list(
            dict.fromkeys(
                heading
                for document in index.documents.values()
                for _, heading in document.headings()
                if heading.casefold() not in _GENERIC_HEADINGS
                and len(heading) >= 4
                and _discussed(heading, document.text.casefold())
            )
        )
        step = max(1.0, len(headings) / (3 * limit))  # a spread of candidates, a few per slot
        candidates = [f"What about {_mid_sentence(headings[int(i * step)])}?" for i in range(
            min(len(headings), 3 * limit))]  # fmt: skip
        answered: list[str] = []
        for question in candidates:
            if len(answered) == limit:
                break
            with contextlib.suppress(EngineError):
                if not self.ask(question).abstained:
                    answered.append(question)
        examples = Examples(questions=answered)
        self._examples = (index.index_id, examples)
        return examples


_GENERIC_HEADINGS = frozenset(
    "introduction conclusion conclusions summary abstract references bibliography notes "
    "contents sources footnotes acknowledgements appendix".split()
) | {"see also", "further reading", "you may also like", "table of contents", "read more"}


# Server paths are cut from failure reasons in `sources.hide_paths`; kept here for callers.
_hide_paths = hide_paths


def _discussed(heading: str, text: str) -> bool:
    """Every word of the heading (roughly stemmed by a prefix) occurs again in the text."""
    words = [w for w in re.findall(r"[^\W\d_]{3,}", heading.casefold()) if w not in {"the", "and"}]
    return bool(words) and all(text.count(w[: max(3, len(w) - 3)]) >= 2 for w in words)


def _mid_sentence(heading: str) -> str:
    """ "The EEU" reads "the EEU" inside a question; other capitals are kept."""
    first, _, rest = heading.partition(" ")
    return f"{first.lower()} {rest}" if rest and first in {"The", "A", "An"} else heading


def _sources_key(sources: list[str] | None) -> tuple[str, ...] | None:
    return None if sources is None else tuple(sorted(set(sources)))


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


__all__ = ["Engine", "EngineError", "NotFoundError", "NotReadyError"]
