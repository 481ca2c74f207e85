"""Dense and lexical retrieval computed in PostgreSQL, behind the local indexes' interfaces.

`PgDenseIndex` and `PgLexicalIndex` answer the same calls as `DenseIndex` and
`LexicalIndex`, so `Index` (and with it hybrid fusion, the service and eval)
runs unchanged on either store:

- dense: pgvector's HNSW index over unit vectors, inner product (= cosine),
  with `hnsw.ef_search` raised to at least twice the candidates asked for; a
  source filter small enough to score exactly is scored exactly.
- lexical: the very BM25 weights bm25s computed at ingest (same tokenizer,
  stemmer, stop words, k1 and b), stored per term as packed arrays; a query
  fetches its terms' postings and sums them in NumPy, exactly as bm25s does,
  so lexical scores equal the local store's.
"""

from __future__ import annotations

import numpy as np
from psycopg_pool import ConnectionPool

from dossier.index.dense import query_matrix
from dossier.index.hits import Hits
from dossier.index.lexical import LexicalConfig, LexicalIndex, Tokenizer
from dossier.index.postgres.pool import connection

EXACT_FILTER_ROWS = 5_000  # a source filter this small is scored exactly, without HNSW


class PgDenseIndex:
    """Cosine search over one version's `embedding` column."""

    def __init__(
        self, pool: ConnectionPool, table: str, *, dimension: int, size: int, ef_search: int
    ) -> None:
        self.pool = pool
        self.table = table
        self._dimension = dimension
        self._size = size
        self.ef_search = ef_search
        self._vectors: np.ndarray | None = None

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def size(self) -> int:
        return self._size

    @property
    def vectors(self) -> np.ndarray:
        """All vectors in row order; read once, for re-using them in the next build."""
        if self._vectors is None:
            out = np.zeros((self._size, self._dimension), dtype=np.float32)
            with connection(self.pool) as conn:
                for row, vector in conn.execute(f"SELECT row, embedding FROM {self.table}"):
                    out[row] = as_array(vector)
            self._vectors = out
        return self._vectors

    def scores_for(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact cosine of one query vector with the given rows, computed in the database."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return np.zeros(0, dtype=np.float32)
        with connection(self.pool) as conn:
            found = dict(
                conn.execute(
                    f"SELECT row, -(embedding <#> %s) FROM {self.table} WHERE row = ANY(%s)",
                    (np.asarray(query, dtype=np.float32), rows.tolist()),
                ).fetchall()
            )
        return np.array([found[int(r)] for r in rows], dtype=np.float32)

    def search(
        self, queries: np.ndarray, n: int, *, allowed: np.ndarray | None = None
    ) -> list[Hits]:
        queries = query_matrix(queries, self._dimension)
        available = self._size if allowed is None else int(allowed.shape[0])
        n = min(n, available)
        if n <= 0 or queries.shape[0] == 0:
            return [Hits.empty() for _ in range(queries.shape[0])]
        if allowed is not None and available <= EXACT_FILTER_ROWS:
            return [self._exact(query, allowed, n) for query in queries]
        out = []
        with connection(self.pool) as conn, conn.transaction():
            conn.execute(f"SET LOCAL hnsw.ef_search = {max(2 * n, self.ef_search, 40)}")
            if allowed is not None:
                conn.execute("SET LOCAL hnsw.iterative_scan = strict_order")
            for query in queries:
                if allowed is None:
                    rows = conn.execute(
                        f"SELECT row, -(embedding <#> %s) FROM {self.table} "
                        "ORDER BY embedding <#> %s LIMIT %s",
                        (query, query, n),
                    ).fetchall()
                else:
                    rows = conn.execute(
                        f"SELECT row, -(embedding <#> %s) FROM {self.table} "
                        "WHERE row = ANY(%s) ORDER BY embedding <#> %s LIMIT %s",
                        (query, allowed.tolist(), query, n),
                    ).fetchall()
                out.append(_hits(rows))
        return out

    def _exact(self, query: np.ndarray, allowed: np.ndarray, n: int) -> Hits:
        scores = self.scores_for(query, allowed)
        order = np.lexsort((allowed, -scores))[:n]
        return Hits(np.asarray(allowed, np.int64)[order], scores[order].astype(np.float64))


def as_array(vector: object) -> np.ndarray:
    """A pgvector value as float32, whichever way the driver handed it over."""
    if hasattr(vector, "to_numpy"):
        return np.asarray(vector.to_numpy(), dtype=np.float32)
    if isinstance(vector, str):
        return np.array(vector.strip("[]").split(","), dtype=np.float32)
    return np.asarray(vector, dtype=np.float32)


def _hits(rows: list[tuple[int, float]]) -> Hits:
    if not rows:
        return Hits.empty()
    ids, scores = zip(*rows, strict=True)
    return Hits.ranked(np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float64))


class PgLexicalIndex(LexicalIndex):
    """BM25 from postings stored in the database; tokenising is `LexicalIndex`'s own."""

    def __init__(
        self,
        pool: ConnectionPool,
        table: str,
        config: LexicalConfig,
        tokenizer: Tokenizer,
        size: int,
        vocabulary: dict[str, int],
    ) -> None:
        super().__init__(None, config, tokenizer, size)
        self.pool = pool
        self.table = table
        self.vocabulary = vocabulary
        # Postings are looked up by term, the table's primary key: `term_id` has no
        # index, and filtering on it scans the whole vocabulary (~10 ms a query).
        self.terms = {term_id: term for term, term_id in vocabulary.items()}

    def query_ids(
        self, queries: list[str], languages: list[str | None] | None = None
    ) -> list[np.ndarray]:
        vocab = self.vocabulary
        return [
            np.array([vocab[t] for t in tokens if t and t in vocab], dtype=np.int64)
            for tokens in self.tokens(queries, languages)
        ]

    def score_ids(self, ids: np.ndarray) -> np.ndarray:
        """Sum of each query term's stored BM25 weights, in query order, like bm25s (float32)."""
        scores = np.zeros(self.size, dtype=np.float32)
        if ids.size == 0:
            return scores.astype(np.float64)
        with connection(self.pool) as conn:
            postings = {
                term_id: (rows, weights)
                for term_id, rows, weights in conn.execute(
                    f"SELECT term_id, rows, scores FROM {self.table} WHERE term = ANY(%s)",
                    ([self.terms[i] for i in sorted(set(ids.tolist()))],),
                )
            }
        for term_id in ids.tolist():
            rows, weights = postings[term_id]
            np.add.at(scores, np.frombuffer(rows, dtype="<i4"), np.frombuffer(weights, dtype="<f4"))
        return scores.astype(np.float64)


__all__ = ["EXACT_FILTER_ROWS", "PgDenseIndex", "PgLexicalIndex"]
