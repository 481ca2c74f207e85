"""Tune the answer step's sentence weights, margin and abstention rules.

    python bench/answer_tuning.py --data-dir DATA [--set eval/sets/article.jsonl]

Maximises the share of questions handled right (answered with the expected
fact, or abstained on when unanswerable) among settings whose abstention
recall is at least MIN_ABSTENTION_RECALL. Tunes on the odd-numbered questions
of the set and reports the even-numbered ones beside them, so the figures
printed for "held out" were not tuned on. Features are computed once per
question (the expensive part); the grid then only re-weights them.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dossier.eval.metrics import answer_contains
from dossier.eval.sets import EvalItem, load_set
from dossier.service.answer import (
    Weights,
    candidate_sentences,
    features,
    scores,
    stems,
    uncovered,
)
from dossier.service.engine import Engine
from dossier.settings import Settings

MIN_ABSTENTION_RECALL = 0.75


@dataclass
class Case:
    item: EvalItem
    table: np.ndarray
    holds_answer: np.ndarray  # per sentence: contains one of the expected answers
    coverage: float  # share of the question's content stems in the retrieved passages
    names_missing: bool  # a number the question names is in none of them


def prepare(engine: Engine, items: list[EvalItem]) -> list[Case]:
    index = engine.index
    cases = []
    for item in items:
        passages = engine.search(item.question, k=5).passages
        sentences = candidate_sentences(passages, index.documents)
        question_vector = engine.embedder.encode_query(item.question)
        table = features(item.question, question_vector, sentences, engine.embedder)
        holds = np.array([answer_contains(s.text, item.answers) for s in sentences], dtype=bool)
        asked, found = stems(item.question), stems(" ".join(p.text for p in passages))
        coverage = len(asked & found) / len(asked) if asked else 1.0
        missing = uncovered(item.question, passages, min_coverage=0.0) is not None
        cases.append(Case(item, table, holds, coverage, missing))
    return cases


def judge(
    cases: list[Case], weights: Weights, thresholds: np.ndarray, margin: float, min_coverage: float
) -> dict[str, np.ndarray]:
    """Figures for each threshold at once, choosing sentences exactly as `select` does."""
    correct = np.zeros(len(thresholds))
    refused = np.zeros(len(thresholds))
    abstained = np.zeros(len(thresholds))
    answerable = sum(c.item.answerable for c in cases)
    for case in cases:
        values = scores(case.table, weights)
        if values.size == 0 or case.names_missing or case.coverage < min_coverage:
            abstained += 1
            refused += not case.item.answerable
            continue
        order = np.argsort(-values, kind="stable")[:3]
        top = values[order]
        answers = thresholds <= top[0]
        abstained += ~answers
        if not case.item.answerable:
            refused += ~answers
            continue
        floor = np.maximum(thresholds[:, None], top[0] - margin)
        chosen = top[None, :] >= floor
        correct += answers & (chosen & case.holds_answer[order][None, :]).any(axis=1)
    unanswerable = len(cases) - answerable
    return {
        "answer_accuracy": correct / max(answerable, 1),
        "abstention_recall": refused / max(unanswerable, 1),
        "abstention_precision": np.divide(
            refused, abstained, out=np.zeros_like(refused), where=abstained > 0
        ),
        "handled": (correct + refused) / len(cases),
    }


def at(figures: dict[str, np.ndarray], i: int) -> dict[str, float]:
    return {k: round(float(v[i]), 3) for k, v in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--set", type=Path, default=Path("eval/sets/article.jsonl"))
    args = parser.parse_args()
    engine = Engine(Settings(data_dir=args.data_dir))
    items = load_set(args.set)
    odd = [i for n, i in enumerate(items) if n % 2 == 0]
    even = [i for n, i in enumerate(items) if n % 2 == 1]
    tune, held_out = prepare(engine, odd), prepare(engine, even)

    thresholds = np.round(np.arange(0.2, 0.8001, 0.01), 3)
    grid = itertools.product(
        [0.4, 0.55, 0.7],  # meaning
        [0.0, 0.15, 0.3],  # sentence
        [0.1, 0.2, 0.3, 0.45],  # words
        [0.0, 0.1, 0.2],  # rank
        [0.0, 0.05, 0.1, 0.2],  # kind
        [0.05, 0.1, 0.15],  # margin
        [0.3, 0.35, 0.4, 0.45, 0.5],  # min_coverage
    )
    best = None
    for *values, margin, coverage in grid:
        weights = Weights(*values)
        figures = judge(tune, weights, thresholds, margin, coverage)
        allowed = figures["abstention_recall"] >= MIN_ABSTENTION_RECALL
        if not allowed.any():
            continue
        handled = np.where(allowed, figures["handled"], -1.0)
        i = int(np.argmax(handled))
        key = (float(handled[i]), float(figures["answer_accuracy"][i]))
        if best is None or key > best[0]:
            best = (key, weights, i, margin, coverage, figures)
    assert best is not None
    _, weights, i, margin, coverage, figures = best
    threshold = float(thresholds[i])
    print(f"chosen on {len(tune)} odd-numbered questions:")
    print(f"  {weights}")
    print(f"  abstain_below={threshold}, answer_margin={margin}, min_coverage={coverage}")
    print("  tuning (odd):   ", at(figures, i))
    print("  held out (even):", at(judge(held_out, weights, thresholds, margin, coverage), i))
    s = Settings()
    print(
        f"current defaults ({Weights()}, {s.abstain_below}, {s.answer_margin}, {s.min_coverage}):"
    )
    threshold_i = int(np.argmin(abs(thresholds - s.abstain_below)))
    for name, cases in (("odd", tune), ("even", held_out)):
        figures = judge(cases, Weights(), thresholds, s.answer_margin, s.min_coverage)
        print(f"  {name}:", at(figures, threshold_i))


if __name__ == "__main__":
    main()
