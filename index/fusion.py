"""Hybrid fusion of a dense and a lexical ranking, in plain NumPy.

Two methods:

- `convex` (default): over the union of both candidate lists, each list's
  scores are normalised per query (`minmax` by default, `zscore` as an
  option) and combined as ``weight * dense + (1 - weight) * lexical``.
  A candidate missing from one list gets its exact score from a lookup when
  the caller has one (the index does), otherwise the lowest score that list
  returned (it ranked below all of them, so that is an upper bound).
- `rrf`: reciprocal rank fusion, ``weight / (rrf_k + dense rank) +
  (1 - weight) / (rrf_k + lexical rank)`` with 1-based ranks; a list that
  does not hold a candidate adds nothing. At weight 0.5 it ranks as classic RRF.

Across languages, BM25 can only match names and numbers, so a caller may pass
`lexical_scale`: per row, a factor on the lexical list's share (below 1 for a
passage in another language than the question; see `Fusion.cross_language`).

Ties are broken by the lower row, so results are deterministic. The defaults
below are module constants so they can be tuned (SciFact's train split) and
changed in one place; `Fusion` bundles one configuration of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dossier.index.hits import Hits

FusionMethod = Literal["convex", "rrf"]
Normalisation = Literal["minmax", "zscore"]

FUSION_METHODS: tuple[str, ...] = ("convex", "rrf")
NORMALISATIONS: tuple[str, ...] = ("minmax", "zscore")
DEFAULT_FUSION: FusionMethod = "convex"
DEFAULT_NORMALISATION: Normalisation = "minmax"
DEFAULT_RRF_K = 60
DEFAULT_WEIGHT = 0.5  # of the dense list; `Settings.hybrid_weight` defaults to the same
# The lexical share of a passage in another language than the question, as a fraction of
# its share otherwise, per embedding model: the better the model matches across languages,
# the less BM25's names-and-numbers matches should count. Chosen on XQuAD's tuning questions
# (those outside the fixed 300-question subsets, German directions): bench/multilingual.py
# --tune. README "Languages" has the table.
DEFAULT_CROSS_LANGUAGE = 0.75  # all-MiniLM-L6-v2, and any model not tuned
CROSS_LANGUAGE_BY_MODEL = {"intfloat/multilingual-e5-small": 0.2}
MIN_CANDIDATES = 100
CANDIDATE_FACTOR = 4

Lookup = Callable[[np.ndarray], np.ndarray]


def candidate_count(k: int, candidates: int | None = None) -> int:
    """How many candidates each list contributes: `candidates`, else max(100, 4k)."""
    if candidates is not None:
        if candidates < 1:
            raise ValueError(f"candidates must be at least 1, got {candidates}")
        return max(candidates, k)
    return max(MIN_CANDIDATES, CANDIDATE_FACTOR * k)


def normalise(scores: np.ndarray, method: Normalisation = DEFAULT_NORMALISATION) -> np.ndarray:
    """Per-query normalisation of one list's scores.

    `minmax` maps to [0, 1]; when all scores are equal, a positive score counts
    as 1 and anything else as 0 (no spread, so only presence of evidence counts).
    `zscore` subtracts the mean and divides by the standard deviation (0 when
    there is no spread).
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0:
        return scores
    if method == "minmax":
        low, high = float(scores.min()), float(scores.max())
        if high - low <= 1e-12:
            return (scores > 0).astype(np.float64)
        return (scores - low) / (high - low)
    if method == "zscore":
        std = float(scores.std())
        if std <= 1e-12:
            return np.zeros_like(scores)
        return (scores - float(scores.mean())) / std
    raise ValueError(f"unknown normalisation {method!r}; choose one of {', '.join(NORMALISATIONS)}")


def _fill(rows: np.ndarray, hits: Hits, lookup: Lookup | None) -> np.ndarray:
    """`hits`' scores aligned with `rows`; missing ones from `lookup` or the list's minimum."""
    out = np.full(rows.shape[0], np.nan, dtype=np.float64)
    if len(hits):
        position = np.searchsorted(rows, hits.rows)
        out[position] = hits.scores
    missing = np.isnan(out)
    if missing.any():
        if lookup is not None:
            out[missing] = np.asarray(lookup(rows[missing]), dtype=np.float64)
        else:
            out[missing] = float(hits.scores.min()) if len(hits) else 0.0
    return out


def convex(
    dense: Hits,
    lexical: Hits,
    *,
    weight: float,
    normalisation: Normalisation = DEFAULT_NORMALISATION,
    dense_lookup: Lookup | None = None,
    lexical_lookup: Lookup | None = None,
    lexical_scale: Lookup | None = None,
) -> Hits:
    """Convex combination of normalised scores over the union of both lists, ranked."""
    rows = np.union1d(dense.rows, lexical.rows).astype(np.int64)
    if rows.size == 0:
        return Hits.empty()
    d = normalise(_fill(rows, dense, dense_lookup), normalisation)
    lex = normalise(_fill(rows, lexical, lexical_lookup), normalisation)
    if lexical_scale is not None:
        lex = lex * np.asarray(lexical_scale(rows), dtype=np.float64)
    return Hits.ranked(rows, weight * d + (1.0 - weight) * lex)


def rrf(
    dense: Hits,
    lexical: Hits,
    *,
    weight: float,
    rrf_k: int = DEFAULT_RRF_K,
    lexical_scale: Lookup | None = None,
) -> Hits:
    """Weighted reciprocal rank fusion over the union of both lists, ranked."""
    rows = np.union1d(dense.rows, lexical.rows).astype(np.int64)
    if rows.size == 0:
        return Hits.empty()
    fused = np.zeros(rows.shape[0], dtype=np.float64)
    for hits, share in ((dense, weight), (lexical, 1.0 - weight)):
        if len(hits):
            ranks = np.arange(1, len(hits) + 1, dtype=np.float64)
            part = share / (rrf_k + ranks)
            if lexical_scale is not None and hits is lexical:
                part = part * np.asarray(lexical_scale(hits.rows), dtype=np.float64)
            np.add.at(fused, np.searchsorted(rows, hits.rows), part)
    return Hits.ranked(rows, fused)


def fuse(
    dense: Hits,
    lexical: Hits,
    *,
    k: int,
    weight: float,
    method: FusionMethod = DEFAULT_FUSION,
    normalisation: Normalisation = DEFAULT_NORMALISATION,
    rrf_k: int = DEFAULT_RRF_K,
    dense_lookup: Lookup | None = None,
    lexical_lookup: Lookup | None = None,
    lexical_scale: Lookup | None = None,
) -> Hits:
    """The `k` best rows of the fused ranking of two candidate lists.

    `lexical_scale(rows)` gives a factor per row on the lexical list's share.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be within [0, 1], got {weight}")
    if method == "convex":
        fused = convex(
            dense,
            lexical,
            weight=weight,
            normalisation=normalisation,
            dense_lookup=dense_lookup,
            lexical_lookup=lexical_lookup,
            lexical_scale=lexical_scale,
        )
    elif method == "rrf":
        fused = rrf(dense, lexical, weight=weight, rrf_k=rrf_k, lexical_scale=lexical_scale)
    else:
        raise ValueError(
            f"unknown fusion method {method!r}; choose one of {', '.join(FUSION_METHODS)}"
        )
    return fused.head(k)


@dataclass(frozen=True)
class Fusion:
    """One hybrid fusion configuration: how `Index.rank` combines its two lists.

    `weight` is the dense list's share; `candidates` is how many rows each list
    contributes (None: max(100, 4k), see `candidate_count`); `normalisation`
    applies to `convex` only and `rrf_k` to `rrf` only. `cross_language`
    scales the lexical share of a passage whose language is not the
    question's (1: no change). Use `dataclasses.replace` for variants.
    """

    method: FusionMethod = DEFAULT_FUSION
    normalisation: Normalisation = DEFAULT_NORMALISATION
    weight: float = DEFAULT_WEIGHT
    candidates: int | None = None
    rrf_k: int = DEFAULT_RRF_K
    cross_language: float = DEFAULT_CROSS_LANGUAGE

    def __post_init__(self) -> None:
        if self.method not in FUSION_METHODS:
            raise ValueError(
                f"unknown fusion method {self.method!r}; choose one of {', '.join(FUSION_METHODS)}"
            )
        if self.normalisation not in NORMALISATIONS:
            raise ValueError(
                f"unknown normalisation {self.normalisation!r}; "
                f"choose one of {', '.join(NORMALISATIONS)}"
            )
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"weight must be within [0, 1], got {self.weight}")
        if self.candidates is not None and self.candidates < 1:
            raise ValueError(f"candidates must be at least 1, got {self.candidates}")
        if not 0.0 <= self.cross_language <= 1.0:
            raise ValueError(f"cross_language must be within [0, 1], got {self.cross_language}")

    def candidate_count(self, k: int) -> int:
        """How many candidates each list contributes for the `k` best."""
        return candidate_count(k, self.candidates)

    def fuse(
        self,
        dense: Hits,
        lexical: Hits,
        *,
        k: int,
        dense_lookup: Lookup | None = None,
        lexical_lookup: Lookup | None = None,
        lexical_scale: Lookup | None = None,
    ) -> Hits:
        """`fuse` with this configuration."""
        return fuse(
            dense,
            lexical,
            k=k,
            weight=self.weight,
            method=self.method,
            normalisation=self.normalisation,
            rrf_k=self.rrf_k,
            dense_lookup=dense_lookup,
            lexical_lookup=lexical_lookup,
            lexical_scale=lexical_scale,
        )


__all__ = [
    "CANDIDATE_FACTOR",
    "CROSS_LANGUAGE_BY_MODEL",
    "DEFAULT_CROSS_LANGUAGE",
    "DEFAULT_FUSION",
    "DEFAULT_NORMALISATION",
    "DEFAULT_RRF_K",
    "DEFAULT_WEIGHT",
    "FUSION_METHODS",
    "MIN_CANDIDATES",
    "NORMALISATIONS",
    "Fusion",
    "FusionMethod",
    "Normalisation",
    "candidate_count",
    "convex",
    "fuse",
    "normalise",
    "rrf",
]
