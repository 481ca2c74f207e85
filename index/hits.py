"""A ranked list of passage rows with their scores, and deterministic top-n selection.

Rows are positions in the index's passage list. Every ranking in this package
orders by score, highest first, and breaks ties by the lower row, so the same
query over the same index always gives the same list.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Hits:
    """Rows (int64) and their scores (float64), best first."""

    rows: np.ndarray
    scores: np.ndarray

    def __post_init__(self) -> None:
        if self.rows.shape != self.scores.shape or self.rows.ndim != 1:
            raise ValueError("rows and scores must be 1-D arrays of the same length")

    def __len__(self) -> int:
        return int(self.rows.shape[0])

    @classmethod
    def empty(cls) -> Hits:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))

    @classmethod
    def ranked(cls, rows: np.ndarray, scores: np.ndarray) -> Hits:
        """Sort any rows/scores pairs: score descending, then row ascending."""
        rows = np.asarray(rows, dtype=np.int64)
        scores = np.asarray(scores, dtype=np.float64)
        order = np.lexsort((rows, -scores))
        return cls(rows[order], scores[order])

    def head(self, n: int) -> Hits:
        return Hits(self.rows[:n], self.scores[:n])


def top_n(scores: np.ndarray, n: int, *, rows: np.ndarray | None = None) -> Hits:
    """The `n` best of `scores` (aligned with `rows`, default 0..len-1), ties to the lower row.

    Exact and deterministic even when several scores tie at the cut.
    """
    scores = np.asarray(scores, dtype=np.float64)
    rows = (
        np.arange(scores.shape[0], dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
    )
    if n <= 0 or scores.shape[0] == 0:
        return Hits.empty()
    if n < scores.shape[0]:
        cut = np.partition(scores, scores.shape[0] - n)[scores.shape[0] - n]
        keep = np.flatnonzero(scores >= cut)
        rows, scores = rows[keep], scores[keep]
    return Hits.ranked(rows, scores).head(n)


__all__ = ["Hits", "top_n"]
