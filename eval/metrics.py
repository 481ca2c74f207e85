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

Answers: three-way grades, selective answering, NoAns F1
-------------------------------------------------------
* :func:`grade` — every question is ``correct``, ``incorrect`` or
  ``not_attempted`` (SimpleQA's three grades). An abstention on an answerable
  question is *not attempted*; an answer to an unanswerable question is
  *incorrect*; an abstention on an unanswerable question is *correct* (it is
  the right response, and it is not an attempt).
* :func:`precision_when_answering` — correct attempts / attempts (SimpleQA's
  "correct given attempted"), attempts on unanswerable questions counting as
  incorrect.
* :func:`squad_f1` and :func:`noans_f1` — the official SQuAD 2.0 script's
  token F1 and its ``NoAns_f1``: the mean F1 over the questions with no
  answer, where an empty prediction (an abstention) scores 1 and any other
  scores 0. So NoAns F1 equals NoAns exact match, and equals abstention recall;
  it is *not* the F1 of a binary answer/no-answer classifier (that is
  :func:`f1`, reported as ``abstention_f1``).
* :func:`risk_coverage` — the attempted answers ordered by confidence, most
  confident first; one point per distinct confidence (a threshold cannot split
  tied answers): coverage = answers kept / all questions, risk = incorrect kept
  / answers kept. :func:`aurc` is the area under that curve.
* :func:`paired_bootstrap` — confidence intervals for the difference of a
  ratio metric between two runs over the same questions.
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
    "CORRECT",
    "GRADES",
    "INCORRECT",
    "NOT_ATTEMPTED",
    "answer_contains",
    "aurc",
    "f1",
    "grade",
    "hit_at_k",
    "mean_at_k",
    "mrr_at_k",
    "ndcg_at_k",
    "noans_f1",
    "normalise_answer",
    "paired_bootstrap",
    "per_query",
    "percentile",
    "precision_when_answering",
    "rank",
    "recall_at_k",
    "risk_coverage",
    "squad_f1",
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
# Thousands grouped by a plain space ("711 988", as French and Spanish write them).
_SPACED_GROUPS = re.compile(r"\b\d{1,3}(?: \d{3})+\b")


def normalise_answer(text: str) -> str:
    """Text reduced for answer matching.

    NFKC, accents dropped, case-folded; separators inside numbers dropped
    ("2,724", "2 724" and "2724", "5.2" and "52" become alike, so "000" is not
    "500 000"); every other punctuation or symbol character becomes a space;
    whitespace collapsed.
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    text = _SPACED_GROUPS.sub(lambda m: m.group().replace(" ", ""), text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _DIGIT_SEPARATOR.sub("", text)
    text = "".join(" " if unicodedata.category(c)[0] in "PSZC" else c for c in text)
    return " ".join(text.split())


def span_matches(span: str, expected: Iterable[str]) -> bool:
    """True if a short answer is one of the expected strings, give or take words around
    it: "USD 5.2 billion" is "5.2 billion", "Tokayev" is "Kassym-Jomart Tokayev"."""
    return any(
        answer_contains(span, [candidate]) or answer_contains(candidate, [span])
        for candidate in expected
    )


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


# ---- answers: three-way grading, selective answering

CORRECT, INCORRECT, NOT_ATTEMPTED = "correct", "incorrect", "not_attempted"
GRADES = (CORRECT, INCORRECT, NOT_ATTEMPTED)


def grade(*, answerable: bool, attempted: bool, right: bool) -> str:
    """One question's grade; `right` is whether an attempted answer holds the expected answer."""
    if not answerable:
        return INCORRECT if attempted else CORRECT
    if not attempted:
        return NOT_ATTEMPTED
    return CORRECT if right else INCORRECT


def precision_when_answering(grades: Iterable[str], attempted: Iterable[bool]) -> float:
    """Correct answers among the attempted ones (0.0 when nothing was attempted)."""
    pairs = [(g, a) for g, a in zip(grades, attempted, strict=True) if a]
    return sum(g == CORRECT for g, _ in pairs) / len(pairs) if pairs else 0.0


def f1(precision: float, recall: float) -> float:
    """Harmonic mean; 0.0 when both are 0."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


_SQUAD_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_SQUAD_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _squad_tokens(text: str) -> list[str]:
    """SQuAD 2.0's normalize_answer then split: lower, no punctuation, no articles."""
    text = "".join(c for c in text.lower() if c not in _SQUAD_PUNCTUATION)
    return " ".join(_SQUAD_ARTICLES.sub(" ", text).split()).split()


def squad_f1(gold: str, prediction: str) -> float:
    """Token F1 as SQuAD 2.0's official compute_f1: an empty side scores 1 only if both are."""
    gold_tokens, predicted = _squad_tokens(gold), _squad_tokens(prediction)
    if not gold_tokens or not predicted:
        return float(gold_tokens == predicted)
    common = 0
    remaining = list(gold_tokens)
    for token in predicted:
        if token in remaining:
            remaining.remove(token)
            common += 1
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def noans_f1(predictions: Iterable[str]) -> float:
    """SQuAD 2.0 NoAns_f1: mean F1 against the empty answer over the no-answer questions.

    `predictions` are the texts given for the unanswerable questions, "" for an
    abstention. Raises ValueError when there are none.
    """
    values = [squad_f1("", p) for p in predictions]
    if not values:
        raise ValueError("no unanswerable questions")
    return sum(values) / len(values)


def risk_coverage(
    confidences: Sequence[float], incorrect: Sequence[bool], total: int
) -> list[tuple[float, float, float]]:
    """(confidence threshold, coverage, risk) for the attempted answers, most confident first.

    `confidences` and `incorrect` describe the attempted answers only; `total`
    counts every question (coverage is over all of them). Answers with equal
    confidence enter together. Coverage never decreases along the list.
    """
    if len(confidences) != len(incorrect):
        raise ValueError("one confidence per attempted answer")
    if total < len(confidences):
        raise ValueError("more attempted answers than questions")
    if any(math.isnan(c) for c in confidences):
        raise ValueError("a confidence is NaN")
    order = sorted(range(len(confidences)), key=lambda i: -confidences[i])
    points: list[tuple[float, float, float]] = []
    wrong = 0
    for position, i in enumerate(order):
        kept = position + 1
        wrong += bool(incorrect[i])
        last = position + 1 == len(order)
        if last or confidences[order[position + 1]] != confidences[i]:
            points.append((float(confidences[i]), kept / total, wrong / kept))
    return points


def aurc(points: Sequence[tuple[float, float, float]]) -> float:
    """Area under the risk–coverage curve (step-wise, from coverage 0); lower is better."""
    area, previous = 0.0, 0.0
    for _, coverage, risk in points:
        area += (coverage - previous) * risk
        previous = coverage
    return area


def paired_bootstrap(
    a: tuple[Sequence[float], Sequence[float]],
    b: tuple[Sequence[float], Sequence[float]],
    *,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, float | None]:
    """Paired bootstrap of a ratio metric, sum(numerator) / sum(denominator), for runs A and B.

    Both runs give per-question (numerator, denominator) vectors over the same
    questions, in the same order. Each resample draws questions with
    replacement, the same draw for A and B. Returns the point estimates, their
    difference (B - A) and its percentile interval; resamples whose denominator
    is 0 are left out (`None` when none is left).
    """
    num_a, den_a, num_b, den_b = (np.asarray(v, dtype=np.float64) for v in (*a, *b))
    n = num_a.size
    if not n or any(v.size != n for v in (den_a, num_b, den_b)):
        raise ValueError("both runs need the same, non-empty list of questions")
    if resamples < 1 or not 0 < confidence < 1:
        raise ValueError("resamples must be >= 1 and confidence within (0, 1)")

    def ratio(num: np.ndarray, den: np.ndarray) -> float | None:
        total = den.sum()
        return float(num.sum() / total) if total else None

    point_a, point_b = ratio(num_a, den_a), ratio(num_b, den_b)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        diffs = counts @ num_b / (counts @ den_b) - counts @ num_a / (counts @ den_a)
    diffs = diffs[np.isfinite(diffs)]
    tail = (1 - confidence) / 2 * 100
    low, high = (
        (float(np.percentile(diffs, tail)), float(np.percentile(diffs, 100 - tail)))
        if diffs.size
        else (None, None)
    )
    return {
        "a": point_a,
        "b": point_b,
        "diff": None if point_a is None or point_b is None else point_b - point_a,
        "low": low,
        "high": high,
        "resamples": int(diffs.size),
    }
