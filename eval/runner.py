"""Runs an evaluation set against a target and computes the metrics.

Relevance is judged on evidence, not on passage ids: a retrieved passage is
relevant when it covers at least half of an evidence quote's characters (the
quote located by offsets in its source's text); evidence without a quote is
covered by any passage of its source. Each evidence item counts once: a
passage that only repeats evidence already covered higher up earns nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from tqdm import tqdm

from dossier.eval import metrics
from dossier.eval.sets import EvalItem, EvalSetError, locate_quote
from dossier.eval.targets import Target
from dossier.types import Answer, Mode, ScoredPassage

METRIC_KEYS = (
    "hit@1",
    "hit@5",
    "mrr@10",
    "ndcg@10",
    "recall@k",
    "answer_accuracy",
    "citation_accuracy",
    "citation_exactness",
    "abstention_precision",
    "abstention_recall",
    "latency_p50_ms",
    "latency_p95_ms",
    "n",
    "skipped",
)
PLOT_DEPTH = 20


@dataclass(frozen=True)
class Span:
    source_id: str
    start: int
    end: int

    def covered_by(self, source_id: str, start: int, end: int) -> bool:
        if source_id != self.source_id:
            return False
        overlap = min(end, self.end) - max(start, self.start)
        return overlap * 2 >= self.end - self.start

    def overlaps(self, source_id: str, start: int, end: int) -> bool:
        return source_id == self.source_id and min(end, self.end) > max(start, self.start)


@dataclass
class QuestionResult:
    id: str
    question: str
    answerable: bool
    expected: list[str]
    evidence: list[Span]
    skipped: str | None = None
    ranking: list[str] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)
    answer: str = ""
    abstained: bool = False
    answer_correct: bool | None = None
    citation_correct: bool | None = None
    citations: int = 0
    exact_citations: int = 0
    latency_ms: float = 0.0

    @property
    def relevance(self) -> dict[str, int]:
        return {f"evidence-{i}": 1 for i in range(len(self.evidence))}

    @property
    def failed(self) -> list[str]:
        """What went wrong, in words, for the terminal and the report."""
        problems = []
        if self.skipped:
            return problems
        if self.answerable:
            if not metrics.hit_at_k(self.ranking, self.relevance, 5):
                problems.append("no relevant passage in the top 5")
            if not self.answer_correct:
                problems.append("answer lacks " + " / ".join(repr(a) for a in self.expected))
            if self.abstained:
                problems.append("abstained on an answerable question")
        elif not self.abstained:
            problems.append("answered a question the sources do not answer")
        if self.exact_citations < self.citations:
            problems.append(f"{self.citations - self.exact_citations} inexact citation(s)")
        return problems

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "question": self.question,
            "answerable": self.answerable,
            "skipped": self.skipped,
            "expected": self.expected,
            "answer": self.answer,
            "abstained": self.abstained,
            "answer_correct": self.answer_correct,
            "citation_correct": self.citation_correct,
            "retrieved": self.retrieved[:10],
            "first_relevant_rank": next(
                (i + 1 for i, label in enumerate(self.ranking) if label.startswith("evidence-")),
                None,
            ),
            "latency_ms": round(self.latency_ms, 2),
            "failures": self.failed,
        }


def evidence_spans(item: EvalItem, target: Target) -> list[Span]:
    spans = []
    for evidence in item.evidence:
        document = target.document(evidence.source)
        if evidence.quote is None:
            spans.append(Span(evidence.source, 0, len(document.text)))
            continue
        found = locate_quote(document.text, evidence.quote)
        if found is None:
            raise EvalSetError(
                f"{item.id}: evidence quote not found in {evidence.source!r}: "
                f"{evidence.quote[:80]!r}"
            )
        spans.append(Span(evidence.source, *found))
    return spans


def label_ranking(passages: list[ScoredPassage], evidence: list[Span]) -> list[str]:
    """Name each retrieved passage after the evidence it newly covers, else after itself."""
    seen: set[int] = set()
    labels = []
    for passage in passages:
        new = [
            i
            for i, span in enumerate(evidence)
            if i not in seen and span.covered_by(passage.source_id, passage.start, passage.end)
        ]
        seen.update(new)
        labels.append(f"evidence-{new[0]}" if new else passage.id)
    return labels


def judge_answer(result: QuestionResult, answer: Answer, target: Target) -> None:
    result.answer, result.abstained = answer.answer, answer.abstained
    result.citations = len(answer.citations)
    result.exact_citations = sum(
        target.document(c.source_id).text[c.start : c.end] == c.quote for c in answer.citations
    )
    if result.answerable:
        result.answer_correct = not answer.abstained and metrics.answer_contains(
            answer.answer, result.expected
        )
        result.citation_correct = any(
            span.overlaps(c.source_id, c.start, c.end)
            for c in answer.citations
            for span in result.evidence
        )


def run_item(item: EvalItem, target: Target, *, mode: Mode, depth: int) -> QuestionResult:
    result = QuestionResult(item.id, item.question, item.answerable, list(item.answers), [])
    missing = sorted({e.source for e in item.evidence} - target.source_ids())
    if missing:
        result.skipped = f"source not in the index: {', '.join(missing)}"
        return result
    result.evidence = evidence_spans(item, target)
    passages = target.search(item.question, k=depth, mode=mode)
    result.retrieved = [p.id for p in passages]
    result.ranking = label_ranking(passages, result.evidence)
    started = time.perf_counter()
    answer = target.ask(item.question, mode=mode)
    result.latency_ms = (time.perf_counter() - started) * 1000
    judge_answer(result, answer, target)
    return result


def run(
    items: Iterable[EvalItem], target: Target, *, mode: Mode, k: int = 10, progress: bool = True
) -> list[QuestionResult]:
    items = list(items)
    depth = max(k, PLOT_DEPTH)
    return [
        run_item(item, target, mode=mode, depth=depth)
        for item in tqdm(items, desc=f"eval ({mode})", unit="q", disable=not progress)
    ]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def summarise(results: list[QuestionResult], *, k: int = 10) -> dict[str, float | int]:
    done = [r for r in results if not r.skipped]
    answerable = [r for r in done if r.answerable]
    unanswerable = [r for r in done if not r.answerable]
    abstained = [r for r in done if r.abstained]

    def retrieval(fn, cutoff: int) -> float:
        return _mean([fn(r.ranking, r.relevance, cutoff) for r in answerable])

    latencies = [r.latency_ms for r in done]
    return {
        "hit@1": retrieval(metrics.hit_at_k, 1),
        "hit@5": retrieval(metrics.hit_at_k, 5),
        "mrr@10": retrieval(metrics.mrr_at_k, 10),
        "ndcg@10": retrieval(metrics.ndcg_at_k, 10),
        "recall@k": retrieval(metrics.recall_at_k, k),
        "answer_accuracy": _mean([float(bool(r.answer_correct)) for r in answerable]),
        "citation_accuracy": _mean([float(bool(r.citation_correct)) for r in answerable]),
        "citation_exactness": _ratio(
            sum(r.exact_citations for r in done), sum(r.citations for r in done)
        )
        if any(r.citations for r in done)
        else 1.0,
        "abstention_precision": _ratio(sum(not r.answerable for r in abstained), len(abstained)),
        "abstention_recall": _ratio(sum(r.abstained for r in unanswerable), len(unanswerable)),
        "latency_p50_ms": round(metrics.percentile(latencies, 50), 2) if latencies else 0.0,
        "latency_p95_ms": round(metrics.percentile(latencies, 95), 2) if latencies else 0.0,
        "n": len(done),
        "skipped": len(results) - len(done),
    }


def hit_curve(results: list[QuestionResult], depth: int = PLOT_DEPTH) -> list[float]:
    """hit@k for k = 1…depth over answerable questions, for the report's plot."""
    answerable = [r for r in results if r.answerable and not r.skipped]
    return [
        _mean([metrics.hit_at_k(r.ranking, r.relevance, k) for r in answerable])
        for k in range(1, depth + 1)
    ]


def retrieval_curves(
    items: Iterable[EvalItem], target: Target, modes: Iterable[Mode], depth: int = PLOT_DEPTH
) -> dict[str, list[float]]:
    """hit@1…hit@depth per mode, retrieving only (the answers do not depend on the plot)."""
    items = [i for i in items if i.answerable]
    curves = {}
    for mode in modes:
        results = []
        for item in items:
            result = QuestionResult(item.id, item.question, True, list(item.answers), [])
            if {e.source for e in item.evidence} <= target.source_ids():
                result.evidence = evidence_spans(item, target)
                result.ranking = label_ranking(
                    target.search(item.question, k=depth, mode=mode), result.evidence
                )
                results.append(result)
        curves[mode] = hit_curve(results, depth)
    return curves
