"""Dense retrieval: a FAISS inner-product index over unit vectors (cosine similarity)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from dossier.index.hits import Hits

FILENAME = "dense.faiss"


def query_matrix(queries: np.ndarray, dimension: int) -> np.ndarray:
    """Query vectors as a C-contiguous float32 (n, dimension) array, or a ValueError."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    if queries.ndim == 1:
        queries = queries[None, :]
    if queries.shape[1] != dimension:
        raise ValueError(f"query vectors have {queries.shape[1]} dimensions, the index {dimension}")
    return queries


class DenseIndex:
    """Exact cosine search over passage vectors; row i is passage i."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index
        self._vectors: np.ndarray | None = None

    @classmethod
    def build(cls, vectors: np.ndarray) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"expected a 2-D array of vectors, got shape {vectors.shape}")
        index = faiss.IndexFlatIP(int(vectors.shape[1]))
        if vectors.shape[0]:
            index.add(vectors)
        dense = cls(index)
        dense._vectors = vectors
        return dense

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @property
    def dimension(self) -> int:
        return int(self.index.d)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    @property
    def vectors(self) -> np.ndarray:
        """All stored vectors, (size, dimension) float32 (read back from FAISS once)."""
        if self._vectors is None:
            if self.size:
                self._vectors = self.index.reconstruct_n(0, self.size)
            else:
                self._vectors = np.zeros((0, self.dimension), dtype=np.float32)
        return self._vectors

    def scores_for(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact cosine of one query vector with the given rows."""
        return self.vectors[np.asarray(rows, dtype=np.int64)] @ np.asarray(query, dtype=np.float32)

    def search(
        self, queries: np.ndarray, n: int, *, allowed: np.ndarray | None = None
    ) -> list[Hits]:
        """The `n` most similar rows for each query vector, optionally among `allowed` rows only."""
        queries = query_matrix(queries, self.dimension)
        available = self.size if allowed is None else int(allowed.shape[0])
        n = min(n, available)
        if n <= 0 or queries.shape[0] == 0:
            return [Hits.empty() for _ in range(queries.shape[0])]
        if allowed is None or available == self.size:
            scores, rows = self.index.search(queries, n)
        else:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            scores, rows = self.index.search(
                queries, n, params=faiss.SearchParameters(sel=selector)
            )
        out = []
        for row_list, score_list in zip(rows, scores, strict=True):
            found = row_list >= 0
            out.append(Hits.ranked(row_list[found], score_list[found]))
        return out


__all__ = ["FILENAME", "DenseIndex", "query_matrix"]
