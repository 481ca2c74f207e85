"""Runs an evaluation set against a target and computes the metrics.

Relevance is judged on evidence, not on passage ids: a retrieved passage is
relevant when it covers at least half of an evidence quote's characters (the
quote located by offsets in its source's text); evidence without a quote is
covered by any passage of its source. Each evidence item counts once: a
passage that only repeats evidence already covered higher up earns nothing.

Every metric but the latencies and ``abstention_f1`` is a ratio of two sums
over questions; each question records its share (numerator, denominator) in
:meth:`QuestionResult.contributions`, so the summary and the paired bootstrap
of ``dossier eval --compare`` compute the same thing from the same figures.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from tqdm import tqdm

from dossier.eval import metrics
from dossier.eval.sets import CATEGORIES, EvalItem, EvalSetError, locate_quote
from dossier.eval.targets import Target
from dossier.types import Answer, Mode, ScoredPassage

PLOT_DEPTH = 20
SHOWN_PASSAGES = 5


def ratio_metric_keys(k: int = 10) -> tuple[str, ...]:
    """The ratio metrics, in report order; the recall depth is named."""
    return (
        "hit@1",
        "hit@5",
        "mrr@10",
        "ndcg@10",
        f"recall@{k}",
        "answer_accuracy",
        "precision_when_answering",
        "false_refusal_rate",
        "abstention_precision",
        "abstention_recall",
        "noans_f1",
        "coverage",
        "overall_accuracy",
        "citation_accuracy",
        "citation_exactness",
        "span_accuracy",
        "span_exactness",
    )


def metric_keys(k: int = 10) -> tuple[str, ...]:
    """Every key of the summary, in order (the JSON's top-level metrics)."""
    return (
        *ratio_metric_keys(k),
        "abstention_f1",
        "aurc",
        "latency_p50_ms",
        "latency_p95_ms",
        "n",
        "answerable",
        "unanswerable",
        "correct",
        "incorrect",
        "not_attempted",
        "skipped",
    )


METRIC_KEYS = metric_keys(10)
# Lower is better for these; every other metric is better higher.
LOWER_IS_BETTER = frozenset({"false_refusal_rate", "aurc", "latency_p50_ms", "latency_p95_ms"})


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
    expected: list[list[str]]
    evidence: list[Span]
    split: str | None = None
    category: str | None = None
    skipped: str | None = None
    ranking: list[str] = field(default_factory=list)
    retrieved: list[ScoredPassage] = field(default_factory=list)
    answer: str = ""
    abstained: bool = False
    answer_correct: bool | None = None
    citation_correct: bool | None = None
    citations: int = 0
    exact_citations: int = 0
    span: str | None = None  # the answer's `answer_span` text, if it gave one
    span_correct: bool | None = None  # it is one of the expected answers (answered right)
    span_exact: bool | None = None  # it is the document's text at its offsets
    confidence: float = 0.0
    confidence_source: str = "top passage score"
    latency_ms: float = 0.0

    @property
    def relevance(self) -> dict[str, int]:
        return {f"evidence-{i}": 1 for i in range(len(self.evidence))}

    @property
    def attempted(self) -> bool:
        return not self.abstained

    @property
    def grade(self) -> str:
        """correct / incorrect / not_attempted (see :func:`dossier.eval.metrics.grade`)."""
        return metrics.grade(
            answerable=self.answerable, attempted=self.attempted, right=bool(self.answer_correct)
        )

    def contributions(self, k: int = 10) -> dict[str, tuple[float, float]]:
        """This question's (numerator, denominator) in every ratio metric."""
        answerable, unanswerable = float(self.answerable), float(not self.answerable)

        def ranked(fn: metrics.Metric, cutoff: int) -> tuple[float, float]:
            if not self.answerable:
                return (0.0, 0.0)
            return (fn(self.ranking, self.relevance, cutoff), 1.0)

        correct = float(self.grade == metrics.CORRECT)
        return {
            "hit@1": ranked(metrics.hit_at_k, 1),
            "hit@5": ranked(metrics.hit_at_k, 5),
            "mrr@10": ranked(metrics.mrr_at_k, 10),
            "ndcg@10": ranked(metrics.ndcg_at_k, 10),
            f"recall@{k}": ranked(metrics.recall_at_k, k),
            "answer_accuracy": (correct * answerable, answerable),
            "precision_when_answering": (correct * self.attempted, float(self.attempted)),
            "false_refusal_rate": (float(self.abstained) * answerable, answerable),
            "abstention_precision": (unanswerable * self.abstained, float(self.abstained)),
            "abstention_recall": (unanswerable * self.abstained, unanswerable),
            "noans_f1": (
                unanswerable * metrics.squad_f1("", "" if self.abstained else self.answer),
                unanswerable,
            ),
            "coverage": (float(self.attempted), 1.0),
            "overall_accuracy": (correct, 1.0),
            "citation_accuracy": (float(bool(self.citation_correct)) * answerable, answerable),
            "citation_exactness": (float(self.exact_citations), float(self.citations)),
            "span_accuracy": (float(bool(self.span_correct)), float(self.span_correct is not None)),
            "span_exactness": (float(bool(self.span_exact)), float(self.span is not None)),
        }

    @property
    def failed(self) -> list[str]:
        """What went wrong, in words, for the terminal and the report."""
        problems = []
        if self.skipped:
            return problems
        if self.answerable:
            if not metrics.hit_at_k(self.ranking, self.relevance, 5):
                problems.append("no relevant passage in the top 5")
            if self.abstained:
                problems.append("abstained on an answerable question")
            elif not self.answer_correct:
                problems.append("answer lacks " + describe_expected(self.expected))
        elif not self.abstained:
            problems.append("answered a question the sources do not answer")
        if self.exact_citations < self.citations:
            problems.append(f"{self.citations - self.exact_citations} inexact citation(s)")
        if self.span_correct is False:
            problems.append(f"answer_span {self.span!r} is not " + describe_expected(self.expected))
        if self.span_exact is False:
            problems.append("answer_span's offsets do not hold its text")
        return problems

    def passages_json(self, *, with_text: bool) -> list[dict]:
        """The top retrieved passages, marked relevant or not (with their text for failures)."""
        shown = []
        for passage, label in zip(
            self.retrieved[:SHOWN_PASSAGES], self.ranking[:SHOWN_PASSAGES], strict=False
        ):
            row: dict = {
                "id": passage.id,
                "score": round(passage.score, 4),
                "relevant": label.startswith("evidence-"),
            }
            if with_text:
                row["text"] = passage.text
            shown.append(row)
        return shown

    def as_json(self, k: int = 10) -> dict:
        failures = self.failed
        return {
            "id": self.id,
            "question": self.question,
            "split": self.split,
            "category": self.category,
            "answerable": self.answerable,
            "skipped": self.skipped,
            "expected": self.expected,
            "answer": self.answer,
            "abstained": self.abstained,
            "grade": None if self.skipped else self.grade,
            "answer_correct": self.answer_correct,
            "citation_correct": self.citation_correct,
            "citations": self.citations,
            "exact_citations": self.exact_citations,
            "answer_span": self.span,
            "span_correct": self.span_correct,
            "confidence": self.confidence,
            "confidence_source": self.confidence_source,
            "first_relevant_rank": next(
                (i + 1 for i, label in enumerate(self.ranking) if label.startswith("evidence-")),
                None,
            ),
            "retrieved": self.passages_json(with_text=bool(failures)),
            "latency_ms": round(self.latency_ms, 2),
            "failures": failures,
            "metrics": {}
            if self.skipped
            else {name: list(pair) for name, pair in self.contributions(k).items()},
        }


def describe_expected(groups: list[list[str]]) -> str:
    """'a' / 'b' for one group; ('a' / 'b') and ('c') when every part must be there."""
    parts = [" / ".join(repr(a) for a in group) for group in groups]
    return parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)


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


def answer_confidence(answer: Answer) -> tuple[float, str]:
    """The answer's own confidence when it gives one, else its best passage's retrieval score."""
    if answer.confidence is not None:
        return float(answer.confidence), "answer confidence"
    return (answer.passages[0].score if answer.passages else 0.0), "top passage score"


def judge_answer(result: QuestionResult, answer: Answer, target: Target) -> None:
    result.answer, result.abstained = answer.answer, answer.abstained
    result.confidence, result.confidence_source = answer_confidence(answer)
    result.citations = len(answer.citations)
    result.exact_citations = sum(
        target.document(c.source_id).text[c.start : c.end] == c.quote for c in answer.citations
    )
    span = answer.answer_span
    if span is not None:
        result.span = span.text
        result.span_exact = target.document(span.source_id).text[span.start : span.end] == span.text
    if result.answerable:
        result.answer_correct = not answer.abstained and all(
            metrics.answer_contains(answer.answer, group) for group in result.expected
        )
        if span is not None and result.answer_correct:  # is the short answer the right one?
            result.span_correct = any(
                metrics.span_matches(span.text, group) for group in result.expected
            )
        result.citation_correct = any(
            span.overlaps(c.source_id, c.start, c.end)
            for c in answer.citations
            for span in result.evidence
        )


def new_result(item: EvalItem) -> QuestionResult:
    return QuestionResult(
        item.id,
        item.question,
        item.answerable,
        item.expected_groups,
        [],
        split=item.split,
        category=item.category,
    )


def run_item(item: EvalItem, target: Target, *, mode: Mode, depth: int) -> QuestionResult:
    result = new_result(item)
    missing = sorted({e.source for e in item.evidence} - target.source_ids())
    if missing:
        result.skipped = f"source not in the index: {', '.join(missing)}"
        return result
    result.evidence = evidence_spans(item, target)
    passages = target.search(item.question, k=depth, mode=mode)
    result.retrieved = passages
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


def _ratio(pairs: Iterable[tuple[float, float]]) -> float:
    numerator = denominator = 0.0
    for num, den in pairs:
        numerator, denominator = numerator + num, denominator + den
    return numerator / denominator if denominator else 0.0


def risk_coverage(results: list[QuestionResult]) -> list[tuple[float, float, float]]:
    """The risk–coverage curve of the attempted answers (see metrics.risk_coverage)."""
    done = [r for r in results if not r.skipped]
    attempted = [r for r in done if r.attempted]
    return metrics.risk_coverage(
        [r.confidence for r in attempted],
        [r.grade == metrics.INCORRECT for r in attempted],
        len(done),
    )


def summarise(results: list[QuestionResult], *, k: int = 10) -> dict[str, float | int]:
    done = [r for r in results if not r.skipped]
    shares = [r.contributions(k) for r in done]
    summary: dict[str, float | int] = {
        name: _ratio(s[name] for s in shares) for name in ratio_metric_keys(k)
    }
    if not any(r.citations for r in done):
        summary["citation_exactness"] = 1.0  # nothing cited, nothing inexact
    summary["abstention_f1"] = metrics.f1(
        float(summary["abstention_precision"]), float(summary["abstention_recall"])
    )
    summary["aurc"] = metrics.aurc(risk_coverage(results))
    latencies = [r.latency_ms for r in done]
    summary["latency_p50_ms"] = round(metrics.percentile(latencies, 50), 2) if latencies else 0.0
    summary["latency_p95_ms"] = round(metrics.percentile(latencies, 95), 2) if latencies else 0.0
    grades = [r.grade for r in done]
    summary.update(
        n=len(done),
        answerable=sum(r.answerable for r in done),
        unanswerable=sum(not r.answerable for r in done),
        correct=grades.count(metrics.CORRECT),
        incorrect=grades.count(metrics.INCORRECT),
        not_attempted=grades.count(metrics.NOT_ATTEMPTED),
        skipped=len(results) - len(done),
    )
    assert tuple(summary) == metric_keys(k)
    return summary


def by_category(results: list[QuestionResult]) -> dict[str, dict[str, int | float]]:
    """Three-way grades per category (and per split when the set has splits)."""
    done = [r for r in results if not r.skipped]
    known = [c for c in CATEGORIES if any(r.category == c for r in done)]
    others = sorted({r.category or "(none)" for r in done} - set(known))
    table = {}
    for category in [*known, *others]:
        group = [r for r in done if (r.category or "(none)") == category]
        grades = [r.grade for r in group]
        table[category] = {
            "n": len(group),
            "correct": grades.count(metrics.CORRECT),
            "incorrect": grades.count(metrics.INCORRECT),
            "not_attempted": grades.count(metrics.NOT_ATTEMPTED),
            "accuracy": grades.count(metrics.CORRECT) / len(group),
        }
    return table


def hit_curve(results: list[QuestionResult], depth: int = PLOT_DEPTH) -> list[float]:
    """hit@k for k = 1…depth over answerable questions, for the report's plot."""
    answerable = [r for r in results if r.answerable and not r.skipped]
    return [
        _ratio((metrics.hit_at_k(r.ranking, r.relevance, k), 1.0) for r in answerable)
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
            result = new_result(item)
            if {e.source for e in item.evidence} <= target.source_ids():
                result.evidence = evidence_spans(item, target)
                result.ranking = label_ranking(
                    target.search(item.question, k=depth, mode=mode), result.evidence
                )
                results.append(result)
        curves[mode] = hit_curve(results, depth)
    return curves
