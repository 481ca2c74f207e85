"""A loaded index: passages, documents, and dense, lexical and hybrid search over them.

`Index.search` answers one query with `ScoredPassage`s. The batch methods
(`encode_queries`, `dense_scores`, `lexical_scores`, `rank`) answer many
queries at once with row ids and scores, for benchmarks: queries are encoded
in one batch, FAISS searches them in one call, and the lexical scores of each
query are computed once and reused for fusion. How hybrid fuses the two lists
is one `Fusion` value: the index's own (from settings), or one passed per call.

Languages: each passage carries its document's language. A query's language
is detected (among the index's languages and English, see
`dossier.languages.detect`) unless the caller gives it; BM25 analyses the
query for that language, and hybrid fusion scales down the lexical share of
passages in other languages (`Fusion.cross_language`). An index without any
language information (e.g. a benchmark corpus) skips all of this.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import get_args

import numpy as np

from dossier.index.dense import Dense
from dossier.index.embed import Embedder, get_embedder
from dossier.index.fusion import Fusion
from dossier.index.hits import Hits
from dossier.index.lexical import LexicalIndex
from dossier.index.manifest import Manifest
from dossier.index.sentences import SentenceStore
from dossier.languages import detect
from dossier.lexicon import LEXICONS
from dossier.types import Document, IngestReport, Mode, Passage, ScoredPassage

MODES: tuple[str, ...] = get_args(Mode)
ANALYST_LANGUAGE = "en"  # questions may always be in English, whatever the corpus holds


PHRASES = 4096  # phrase vectors an index keeps (`Index.phrase_vectors`)


class Index:
    """Everything one published index holds, in memory, ready to search.

    Row i of the dense and lexical indexes is `passages[i]`. `fusion` is the
    hybrid configuration searches use unless they pass their own (default: `Fusion()`).
    """

    def __init__(
        self,
        *,
        manifest: Manifest,
        documents: dict[str, Document],
        passages: list[Passage],
        dense: Dense,
        lexical: LexicalIndex,
        report: IngestReport | None = None,
        sentences: SentenceStore | None = None,
        embedder: Embedder | None = None,
        embedder_loader: Callable[[], Embedder] | None = None,
        fusion: Fusion | None = None,
        device: str = "cpu",
        batch_size: int = 64,
        path: Path | None = None,
    ) -> None:
        if not dense.size == lexical.size == len(passages):
            raise ValueError(
                f"{len(passages)} passages but {dense.size} vectors and {lexical.size} BM25 rows"
            )
        self.manifest = manifest
        self.documents = documents
        self.passages = passages
        self.dense = dense
        self.lexical = lexical
        self.report = report
        self.sentences = sentences
        self.fusion = Fusion() if fusion is None else fusion
        self.path = path
        self._embedder = embedder
        self._embedder_loader = embedder_loader
        self._device = device
        self._batch_size = batch_size
        self._row: dict[str, int] = {p.id: i for i, p in enumerate(passages)}
        if len(self._row) != len(passages):
            raise ValueError("passage ids are not unique")
        by_source: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            by_source.setdefault(p.source_id, []).append(i)
        self._source_order: dict[str, list[int]] = {
            source: sorted(rows, key=lambda r: (passages[r].start, passages[r].end, r))
            for source, rows in by_source.items()
        }
        self._position: dict[int, int] = {
            row: position
            for rows in self._source_order.values()
            for position, row in enumerate(rows)
        }
        self._source_rows: dict[str, np.ndarray] = {
            source: np.array(sorted(rows), dtype=np.int64) for source, rows in by_source.items()
        }
        self.languages: list[str] = sorted({p.language for p in passages if p.language})
        code = {language: i for i, language in enumerate(self.languages)}
        self._language_rows = np.array(
            [code.get(p.language, -1) if p.language else -1 for p in passages], dtype=np.int64
        )
        self._phrases: OrderedDict[str, np.ndarray] = OrderedDict()  # `phrase_vectors`
        self._phrases_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"Index({self.manifest.index_id!r}, {len(self.passages)} passages, "
            f"{len(self.documents)} documents, model={self.manifest.model!r})"
        )

    # Browsing -------------------------------------------------------------------

    @property
    def index_id(self) -> str:
        return self.manifest.index_id

    @property
    def source_ids(self) -> list[str]:
        """Ids of the indexed documents, in index order."""
        return list(self.documents)

    def passage(self, passage_id: str) -> Passage:
        """The passage with that id; KeyError if there is none."""
        return self.passages[self._row[passage_id]]

    def row(self, passage_id: str) -> int:
        return self._row[passage_id]

    def neighbours(self, passage_id: str, before: int = 1, after: int = 1) -> list[Passage]:
        """Up to `before` passages preceding and `after` following it in the same source."""
        row = self._row[passage_id]
        rows = self._source_order[self.passages[row].source_id]
        at = self._position[row]
        chosen = rows[max(0, at - max(0, before)) : at] + rows[at + 1 : at + 1 + max(0, after)]
        return [self.passages[r] for r in chosen]

    # Searching ------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        """The embedder for queries: the one given at load, else one for the manifest's encoder."""
        if self._embedder is None:
            if self._embedder_loader is not None:
                self._embedder = self._embedder_loader()
            else:
                self._embedder = get_embedder(
                    self.manifest.model,
                    device=self._device,
                    batch_size=self._batch_size,
                    encoder=self.manifest.encoder.get("backend", "torch"),
                )
        return self._embedder

    def allowed_rows(self, sources: Iterable[str] | None) -> np.ndarray | None:
        """Rows of the given sources (sorted), or None for no restriction."""
        if sources is None:
            return None
        parts = [self._source_rows[s] for s in set(sources) if s in self._source_rows]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.sort(np.concatenate(parts))

    def question_languages(self, queries: Sequence[str]) -> list[str | None]:
        """Each query's language, among the index's and English; None when the index has none."""
        if not self.languages:
            return [None] * len(queries)
        expected = [*self.languages, ANALYST_LANGUAGE]
        return [detect(q, expected=expected, favoured=LEXICONS) for q in queries]

    def lexical_scale(self, language: str | None, fusion: Fusion) -> Callable | None:
        """Per-row factors on the lexical share for a query in `language` (None: none)."""
        if language is None or fusion.cross_language == 1.0 or not self.languages:
            return None
        own = self.languages.index(language) if language in self.languages else -2
        languages = self._language_rows

        def scale(rows: np.ndarray) -> np.ndarray:
            found = languages[np.asarray(rows, dtype=np.int64)]
            other = (found != own) & (found >= 0)
            return np.where(other, fusion.cross_language, 1.0)

        return scale

    def encode_queries(self, queries: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """All queries as unit vectors, in one batched call."""
        return self.embedder.encode_queries(list(queries), progress=progress)

    def phrase_vectors(self, phrases: Sequence[str]) -> np.ndarray:
        """Short texts of the index (what a figure counts: "bilateral agreements") as unit
        vectors, encoded as documents are; the new ones in one pass, and kept (the latest
        PHRASES), since the same sentences come back question after question."""
        with self._phrases_lock:
            known = {p: self._phrases[p] for p in phrases if p in self._phrases}
        new = list(dict.fromkeys(p for p in phrases if p not in known))
        if new:
            vectors = self.embedder.encode(new)
            with self._phrases_lock:
                for phrase, vector in zip(new, vectors, strict=True):
                    known[phrase] = self._phrases[phrase] = vector
                    self._phrases.move_to_end(phrase)
                while len(self._phrases) > PHRASES:
                    self._phrases.popitem(last=False)
        if not phrases:
            return np.zeros((0, self.dense.dimension), dtype=np.float32)
        return np.stack([known[p] for p in phrases])

    def dense_scores(
        self,
        queries: Sequence[str] | np.ndarray,
        n: int,
        *,
        sources: Iterable[str] | None = None,
    ) -> list[Hits]:
        """Each query's `n` nearest rows by cosine (texts, or vectors from `encode_queries`)."""
        if not isinstance(queries, np.ndarray):
            queries = self.encode_queries(queries)
        return self.dense.search(queries, n, allowed=self.allowed_rows(sources))

    def lexical_scores(
        self,
        queries: Sequence[str],
        n: int,
        *,
        sources: Iterable[str] | None = None,
        languages: Sequence[str | None] | None = None,
    ) -> list[Hits]:
        """For each query, its `n` best rows by BM25 (only rows sharing a word with it)."""
        queries = list(queries)
        languages = self.question_languages(queries) if languages is None else languages
        return self.lexical.search(
            queries, n, allowed=self.allowed_rows(sources), languages=list(languages)
        )

    def rank(
        self,
        queries: Sequence[str],
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        sources: Iterable[str] | None = None,
        fusion: Fusion | None = None,
        query_vectors: np.ndarray | None = None,
        languages: Sequence[str | None] | None = None,
    ) -> list[Hits]:
        """The `k` best rows for each query (none for a blank query).

        Hybrid fuses with `fusion`, else the index's own (`self.fusion`). Pass
        `query_vectors` (from `encode_queries`) to skip encoding, e.g. when
        trying many fusion settings over the same queries, and `languages`
        (one per query) to skip detecting them.
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        queries = list(queries)
        if query_vectors is not None and len(query_vectors) != len(queries):
            raise ValueError(f"{len(query_vectors)} query vectors for {len(queries)} queries")
        if languages is not None and len(languages) != len(queries):
            raise ValueError(f"{len(languages)} languages for {len(queries)} queries")
        live = [i for i, q in enumerate(queries) if q.strip()]
        out = [Hits.empty() for _ in queries]
        if not live:
            return out
        texts = [queries[i] for i in live]
        allowed = self.allowed_rows(sources)
        if mode != "dense":
            langs = (
                self.question_languages(texts)
                if languages is None
                else [languages[i] for i in live]
            )
        if mode == "lexical":
            found = self.lexical.search(texts, k, allowed=allowed, languages=langs)
        else:
            vectors = self.encode_queries(texts) if query_vectors is None else query_vectors[live]
            if mode == "dense":
                found = self.dense.search(vectors, k, allowed=allowed)
            else:
                fusion = self.fusion if fusion is None else fusion
                found = self._hybrid(
                    texts, vectors, k=k, allowed=allowed, fusion=fusion, languages=langs
                )
        for i, hits in zip(live, found, strict=True):
            out[i] = hits
        return out

    def _hybrid(
        self,
        queries: list[str],
        vectors: np.ndarray,
        *,
        k: int,
        allowed: np.ndarray | None,
        fusion: Fusion,
        languages: list[str | None],
    ) -> list[Hits]:
        n = fusion.candidate_count(k)
        dense_lists = self.dense.search(vectors, n, allowed=allowed)
        out = []
        for vector, ids, dense, language in zip(
            vectors, self.lexical.query_ids(queries, languages), dense_lists, languages, strict=True
        ):
            full = self.lexical.score_ids(ids)  # once: top-n and exact lookups share it
            lexical = self.lexical.hits(full, n, allowed=allowed)
            out.append(
                fusion.fuse(
                    dense,
                    lexical,
                    k=k,
                    dense_lookup=lambda rows, v=vector: self.dense.scores_for(v, rows),
                    lexical_lookup=lambda rows, f=full: f[rows],
                    lexical_scale=self.lexical_scale(language, fusion),
                )
            )
        return out

    def scored(self, hits: Hits) -> list[ScoredPassage]:
        return [
            ScoredPassage(**self.passages[int(row)].model_dump(), score=float(score))
            for row, score in zip(hits.rows, hits.scores, strict=True)
        ]

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        sources: set[str] | None = None,
        fusion: Fusion | None = None,
        query_vector: np.ndarray | None = None,
        language: str | None = None,
    ) -> list[ScoredPassage]:
        """The `k` best passages, best first, optionally from `sources` only.

        `language` is the query's (detected when None).

        Scores: cosine similarity (dense), BM25 (lexical), fused score (hybrid,
        with `fusion`, else the index's own).
        A blank query, or a lexical query of stop words and unknown words only,
        finds nothing. Pass `query_vector` (from `embedder.encode_query`) when the
        caller has already encoded the query, e.g. to share it with the answer step.
        """
        vectors = None if query_vector is None else np.asarray(query_vector)[None, :]
        ranked = self.rank(
            [query],
            k=k,
            mode=mode,
            sources=sources,
            fusion=fusion,
            query_vectors=vectors,
            languages=None if language is None else [language],
        )
        return self.scored(ranked[0])

    def search_batch(
        self,
        queries: Sequence[str],
        *,
        k: int = 5,
        mode: Mode = "hybrid",
        sources: Iterable[str] | None = None,
        fusion: Fusion | None = None,
        languages: Sequence[str | None] | None = None,
    ) -> list[list[ScoredPassage]]:
        """`search` for many queries at once."""
        ranked = self.rank(
            queries, k=k, mode=mode, sources=sources, fusion=fusion, languages=languages
        )
        return [self.scored(hits) for hits in ranked]


__all__ = ["MODES", "Index"]
