"""Retrieval and answer metrics, in plain Python and NumPy, matching trec_eval.

Conventions
-----------
* A **ranking** is one query's retrieved document ids, best first
  (``Sequence[str]``). Every metric takes a ranking, never scores: turn a
  scored run (``{doc_id: score}``) into a ranking with :func:`rank`, the one
  place where ties are broken.
* **qrels** for one query are ``{doc_id: relevance}`` with graded relevance
  (integers, normally >= 0). A document is *relevant* when its relevance is
  >= 1; unjudged documents count as 0. In nDCG the gain of a document is its
  relevance (relevance <= 0 gains nothing), as in trec_eval.
* A ranking must not repeat a document id (trec_eval refuses such runs too):
  :class:`ValueError`.

Tie-breaking (as trec_eval, verified against pytrec_eval)
---------------------------------------------------------
trec_eval ignores the order of a run file and sorts each query's documents by
score, descending, then by document id, **descending** (byte-wise ``strcmp``,
which for UTF-8 is Python's code-point order): between ``"d1"`` and ``"d2"``
with equal scores, ``"d2"`` ranks first. Scores are compared as C ``float``
(IEEE single precision): doubles that round to the same float32 value — e.g.
``0.1`` and ``0.10000000149``, or ``1e20`` and ``1e20 + 1e12`` — tie, and
``-0.0`` ties with ``0.0``. :func:`rank` does exactly this; NaN scores are
refused.

Metrics per query (k >= 1; a ranking shorter than k is simply shorter)
----------------------------------------------------------------------
* ``hit_at_k``    — 1.0 if a relevant document is in the top k (trec_eval ``success.k``).
* ``mrr_at_k``    — 1 / rank of the first relevant document in the top k, else 0
  (trec_eval ``recip_rank`` on the run cut at k; trec_eval's has no cutoff).
* ``recall_at_k`` — relevant documents in the top k / relevant documents judged;
  0.0 when none is judged relevant (trec_eval ``recall.k``).
* ``ndcg_at_k``   — DCG@k / ideal DCG@k, DCG = sum of rel_i / log2(i + 1) over
  ranks i = 1..k, the ideal ranking being the judged relevances sorted
  descending; 0.0 when nothing is judged relevant (trec_eval ``ndcg_cut.k``).

:func:`mean_at_k` averages a metric over the queries of the qrels; a query
absent from the rankings scores 0 (trec_eval ``-c``; pytrec_eval instead
reports only queries present in both run and qrels).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

Ranking = Sequence[str]
Qrels = Mapping[str, int]
Metric = Callable[[Ranking, Qrels, int], float]

__all__ = [
    "answer_contains",
    "hit_at_k",
    "mean_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "normalise_answer",
    "per_query",
    "percentile",
    "rank",
    "recall_at_k",
]


def rank(scores: Mapping[str, float]) -> list[str]:
    """Document ids of a scored run in trec_eval's order: score (as float32) desc, then id desc."""
    ids = list(scores)
    values = np.asarray([scores[d] for d in ids], dtype=np.float64)
    if np.isnan(values).any():
        bad = next(d for d, v in zip(ids, values, strict=True) if math.isnan(v))
        raise ValueError(f"score of {bad!r} is NaN")
    # float32 values are exactly representable as Python floats: comparing these is comparing
    # float32s. -0.0 == 0.0, so those tie as well.
    # Out of float32's range a score becomes ±inf or ±0, as in trec_eval.
    with np.errstate(over="ignore", under="ignore"):
        singles = values.astype(np.float32).tolist()
    order = sorted(range(len(ids)), key=lambda i: (singles[i], ids[i]), reverse=True)
    return [ids[i] for i in order]


def _check(ranking: Ranking, k: int) -> Sequence[str]:
    if isinstance(ranking, str | bytes):
        raise TypeError("a ranking is a sequence of document ids, not a string")
    if isinstance(ranking, Mapping):
        raise TypeError("a ranking is a sequence of document ids; rank a scored run with rank()")
    if not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if len(set(ranking)) != len(ranking):
        seen: set[str] = set()
        duplicate = next(d for d in ranking if d in seen or seen.add(d))
        raise ValueError(f"document {duplicate!r} appears twice in the ranking")
    return ranking[:k]


def hit_at_k(ranking: Ranking, qrels: Qrels, k: int) -> float:
    """1.0 if any of the top k documents is relevant (relevance >= 1), else 0.0."""
    return float(any(qrels.get(doc, 0) >= 1 for doc in _check(ranking, k)))


def mrr_at_k(ranking: Ranking, qrels: Qrels, k: int) -> float:
    """Reciprocal rank of the first relevant document within the top k, else 0.0."""
    for position, doc in enumerate(_check(ranking, k), start=1):
        if qrels.get(doc, 0) >= 1:
            return 1.0 / position
    return 0.0


def recall_at_k(ranking: Ranking, qrels: Qrels, k: int) -> float:
    """Share of the judged-relevant documents found in the top k (0.0 if none is relevant)."""
    top = _check(ranking, k)
    relevant = sum(1 for rel in qrels.values() if rel >= 1)
    if not relevant:
        return 0.0
    return sum(1 for doc in top if qrels.get(doc, 0) >= 1) / relevant


def _dcg(gains: Iterable[float]) -> float:
    return sum(g / math.log2(i + 1) for i, g in enumerate(gains, start=1) if g > 0)


def ndcg_at_k(ranking: Ranking, qrels: Qrels, k: int) -> float:
    """nDCG@k: gain = graded relevance, discount log2(rank + 1); trec_eval's ndcg_cut.k."""
    top = _check(ranking, k)
    ideal = _dcg(sorted((rel for rel in qrels.values() if rel > 0), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    return _dcg(qrels.get(doc, 0) for doc in top) / ideal


def per_query(
    metric: Metric, rankings: Mapping[str, Ranking], qrels: Mapping[str, Qrels], k: int
) -> dict[str, float]:
    """The metric for every query of the qrels; a query without a ranking gets an empty one."""
    return {q: metric(rankings.get(q, ()), judged, k) for q, judged in qrels.items()}


def mean_at_k(
    metric: Metric, rankings: Mapping[str, Ranking], qrels: Mapping[str, Qrels], k: int
) -> float:
    """Mean of the metric over the queries of the qrels (missing rankings score 0)."""
    if not qrels:
        raise ValueError("no queries to average over")
    values = per_query(metric, rankings, qrels, k)
    return sum(values.values()) / len(values)


_DIGIT_SEPARATOR = re.compile(r"(?<=\d)[.,'\u00a0\u202f](?=\d)")


def normalise_answer(text: str) -> str:
    """Text reduced for answer matching.

    NFKC, accents dropped, case-folded; separators inside numbers dropped
    ("2,724" and "2724", "5.2" and "52" become alike); every other punctuation
    or symbol character becomes a space; whitespace collapsed.
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _DIGIT_SEPARATOR.sub("", text)
    text = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    return " ".join(text.split())


def answer_contains(answer: str, expected: Iterable[str]) -> bool:
    """True if the answer contains one of the expected strings, as whole words.

    Both sides go through :func:`normalise_answer` (case, accents, punctuation
    and whitespace do not matter) and an expected string must match whole
    words: "2001" is in "completed in 2001." but not in "20012"; "Tokayev" is
    in "Tokayev's". Expected strings that normalise to nothing never match.
    """
    haystack = f" {normalise_answer(answer)} "
    for candidate in expected:
        needle = normalise_answer(candidate)
        if needle and f" {needle} " in haystack:
            return True
    return False


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (0 <= p <= 100), linear interpolation between order statistics.

    The same as ``numpy.percentile(values, p)`` (method "linear"); raises
    ValueError on an empty input or p out of range.
    """
    data = np.asarray(list(values), dtype=np.float64)
    if data.size == 0:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"p must be within [0, 100], got {p!r}")
    return float(np.percentile(data, p))
