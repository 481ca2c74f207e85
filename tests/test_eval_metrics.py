"""The metrics against trec_eval (via pytrec_eval) on random runs, and by hand on small cases."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest
import pytrec_eval

from dossier.eval import metrics
from dossier.eval.metrics import (
    answer_contains,
    hit_at_k,
    mean_at_k,
    mrr_at_k,
    ndcg_at_k,
    per_query,
    percentile,
    rank,
    recall_at_k,
    span_matches,
)

MEASURES = {
    "ndcg_cut.10",
    "recip_rank",
    "recall.5",
    "recall.10",
    "recall.100",
    "success.1",
    "success.5",
}
# Ids that sort differently as strings than as numbers, by case, by prefix, and outside ASCII.
POOL = [f"d{i}" for i in range(150)] + ["D1", "d1x", "a", "aa", "ab", "b", "Z", "é1", "ö", "文档"]


def random_case(seed: int, queries: int = 400) -> tuple[dict, dict]:
    """A run and graded qrels: ties, float32 near-ties, empty and short runs, nothing relevant."""
    rng = np.random.default_rng(seed)
    run: dict[str, dict[str, float]] = {}
    qrels: dict[str, dict[str, int]] = {}
    for q in range(queries):
        qid = f"q{q}"
        judged = rng.choice(POOL, size=int(rng.integers(1, 25)), replace=False)
        grades = rng.choice([0, 1, 2, 3], size=len(judged), p=[0.4, 0.3, 0.2, 0.1])
        if q % 10 == 0:
            grades[:] = 0  # judged, but nothing relevant
        qrels[qid] = {str(d): int(g) for d, g in zip(judged, grades, strict=True)}
        size = int(rng.choice([0, 1, 3, 4, 7, 9, 12, 30, 120, len(POOL)]))
        docs = [str(d) for d in rng.choice(POOL, size=size, replace=False)]
        style = q % 4
        if style == 0:  # a handful of distinct scores: many exact ties
            values = rng.integers(0, 4, size=size) / 4.0
        elif style == 1:  # continuous: no ties
            values = rng.normal(size=size) * 10
        elif style == 2:  # distinct as doubles, some equal once rounded to float32
            values = (
                0.5 + rng.integers(0, 3, size=size) * 1e-9 + rng.integers(0, 3, size=size) * 1e-3
            )
        else:  # all tied, negative
            values = np.full(size, -1.25)
        run[qid] = {d: float(v) for d, v in zip(docs, values, strict=True)}
    return run, qrels


def trec(run: dict, qrels: dict, measures: set[str] = MEASURES) -> dict[str, dict[str, float]]:
    return pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_match_trec_eval_on_random_runs(seed: int) -> None:
    run, qrels = random_case(seed)
    expected = trec(run, qrels)
    assert set(expected) == set(run)  # every query is judged, so trec_eval reports all of them
    checked = {"ties": 0, "no relevant retrieved": 0, "short": 0, "graded": 0}
    for qid, scores in run.items():
        ranking, judged, want = rank(scores), qrels[qid], expected[qid]
        assert ndcg_at_k(ranking, judged, 10) == pytest.approx(want["ndcg_cut_10"], abs=1e-12), qid
        assert mrr_at_k(ranking, judged, max(len(ranking), 1)) == pytest.approx(
            want["recip_rank"]
        ), qid
        for k in (5, 10, 100):
            assert recall_at_k(ranking, judged, k) == pytest.approx(want[f"recall_{k}"]), (qid, k)
        for k in (1, 5):
            assert hit_at_k(ranking, judged, k) == want[f"success_{k}"], (qid, k)
        checked["ties"] += len(set(scores.values())) < len(scores)
        checked["no relevant retrieved"] += not any(judged.get(d, 0) >= 1 for d in ranking)
        checked["short"] += len(ranking) < 10
        checked["graded"] += len({g for g in judged.values() if g > 0}) > 1
    assert min(checked.values()) >= 40, checked  # each situation occurs many times


@pytest.mark.parametrize("seed", [3, 4])
def test_mrr_at_10_is_recip_rank_of_the_run_cut_at_10(seed: int) -> None:
    run, qrels = random_case(seed)
    cut = {q: {d: scores[d] for d in rank(scores)[:10]} for q, scores in run.items()}
    expected = trec(cut, qrels, {"recip_rank"})
    for qid, scores in run.items():
        assert mrr_at_k(rank(scores), qrels[qid], 10) == pytest.approx(
            expected[qid]["recip_rank"]
        ), qid


def test_means_match_trec_eval() -> None:
    run, qrels = random_case(5)
    expected = trec(run, qrels)
    rankings = {q: rank(s) for q, s in run.items()}
    for metric, key, k in [
        (ndcg_at_k, "ndcg_cut_10", 10),
        (recall_at_k, "recall_100", 100),
        (hit_at_k, "success_5", 5),
    ]:
        want = sum(v[key] for v in expected.values()) / len(expected)
        assert mean_at_k(metric, rankings, qrels, k) == pytest.approx(want)


def test_the_random_runs_would_catch_the_other_tie_order() -> None:
    """Breaking ties by ascending id disagrees with trec_eval: the comparison above has teeth."""
    run, qrels = random_case(0)
    expected = trec(run, qrels)

    def ascending(scores: dict[str, float]) -> list[str]:
        return sorted(scores, key=lambda d: (-np.float32(scores[d]), d))

    def as_doubles(scores: dict[str, float]) -> list[str]:
        return sorted(scores, key=lambda d: (scores[d], d), reverse=True)

    for wrong in (ascending, as_doubles):
        differ = sum(
            ndcg_at_k(wrong(s), qrels[q], 10)
            != pytest.approx(expected[q]["ndcg_cut_10"], abs=1e-12)
            for q, s in run.items()
        )
        assert differ > 0, wrong.__name__


def test_tie_breaking_is_descending_document_id_like_trec_eval() -> None:
    scores = {"d1": 1.0, "d2": 1.0, "d10": 1.0, "a": 1.0, "B": 1.0, "x": 2.0, "y": 0.5}
    assert rank(scores) == ["x", "d2", "d10", "d1", "a", "B", "y"]
    # trec_eval agrees: whichever of a tied pair is judged relevant shows where it ranks.
    for relevant, position in [("d2", 2), ("d10", 3), ("d1", 4), ("a", 5), ("B", 6)]:
        got = trec({"q": scores}, {"q": {relevant: 1}}, {"recip_rank"})["q"]["recip_rank"]
        assert got == pytest.approx(1 / position)
        assert mrr_at_k(rank(scores), {relevant: 1}, 10) == pytest.approx(1 / position)


@pytest.mark.parametrize(
    ("scores", "order"),
    [
        ({"a": 0.1, "b": float(np.float32(0.1))}, ["b", "a"]),  # equal once in float32
        ({"a": 1.0 + 1e-9, "b": 1.0}, ["b", "a"]),
        ({"a": 1.0 + 2**-20, "b": 1.0}, ["a", "b"]),  # distinct in float32
        ({"a": 0.0, "b": -0.0}, ["b", "a"]),
        ({"a": 1e300, "b": 1e301}, ["b", "a"]),  # both inf in float32
        ({"a": -1e-50, "b": 0.0}, ["b", "a"]),  # both zero in float32
        ({"a": math.inf, "b": 1e38}, ["a", "b"]),
        ({"b": -5.0, "a": 3.0}, ["a", "b"]),
    ],
)
def test_scores_compare_as_float32_like_trec_eval(
    scores: dict[str, float], order: list[str]
) -> None:
    assert rank(scores) == order
    got = trec({"q": scores}, {"q": {order[0]: 1}}, {"recip_rank"})["q"]["recip_rank"]
    assert got == 1.0


def test_rank_refuses_nan_and_handles_empty() -> None:
    assert rank({}) == []
    with pytest.raises(ValueError, match="NaN"):
        rank({"a": 1.0, "b": math.nan})


# ---- hand-computed cases


def test_hand_computed_binary_case() -> None:
    ranking, qrels = ["a", "b", "c", "d"], {"c": 1, "d": 1, "e": 1, "a": 0}
    assert [hit_at_k(ranking, qrels, k) for k in (1, 2, 3, 4, 10)] == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert mrr_at_k(ranking, qrels, 2) == 0.0
    assert mrr_at_k(ranking, qrels, 3) == pytest.approx(1 / 3)
    assert mrr_at_k(ranking, qrels, 10) == pytest.approx(1 / 3)
    assert recall_at_k(ranking, qrels, 3) == pytest.approx(1 / 3)
    assert recall_at_k(ranking, qrels, 4) == pytest.approx(2 / 3)
    assert recall_at_k(ranking, qrels, 100) == pytest.approx(2 / 3)  # "e" was never retrieved
    dcg = 1 / math.log2(4) + 1 / math.log2(5)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranking, qrels, 10) == pytest.approx(dcg / ideal)


def test_hand_computed_graded_ndcg() -> None:
    ranking, qrels = ["a", "b", "c"], {"a": 1, "b": 0, "c": 3, "z": 2}
    dcg3 = 1 + 3 / math.log2(4)
    assert ndcg_at_k(ranking, qrels, 3) == pytest.approx(dcg3 / (3 + 2 / math.log2(3) + 1 / 2))
    assert ndcg_at_k(ranking, qrels, 1) == pytest.approx(1 / 3)  # ideal@1 is the grade-3 document
    assert ndcg_at_k(["c", "z", "a"], qrels, 3) == pytest.approx(1.0)
    # Grades are gains, not exponentials: 2^rel - 1 would give another value.
    assert ndcg_at_k(["z", "c"], qrels, 2) == pytest.approx(
        (2 + 3 / math.log2(3)) / (3 + 2 / math.log2(3))
    )


def test_negative_grades_gain_nothing_like_trec_eval() -> None:
    qrels = {"a": -1, "b": 2, "c": 1}
    want = trec({"q": {"a": 3.0, "b": 2.0, "c": 1.0}}, {"q": qrels}, {"ndcg_cut.3", "recall.3"})[
        "q"
    ]
    assert ndcg_at_k(["a", "b", "c"], qrels, 3) == pytest.approx(want["ndcg_cut_3"])
    assert recall_at_k(["a", "b", "c"], qrels, 3) == pytest.approx(want["recall_3"]) == 1.0


def test_nothing_relevant_and_nothing_retrieved_score_zero() -> None:
    for metric in (hit_at_k, mrr_at_k, recall_at_k, ndcg_at_k):
        assert metric(["a", "b"], {"a": 0, "b": 0}, 10) == 0.0
        assert metric(["a", "b"], {}, 10) == 0.0
        assert metric([], {"a": 2}, 10) == 0.0


def test_fewer_retrieved_than_k() -> None:
    ranking, qrels = ["x", "a"], {"a": 2, "b": 1}
    assert hit_at_k(ranking, qrels, 10) == 1.0
    assert mrr_at_k(ranking, qrels, 10) == 0.5
    assert recall_at_k(ranking, qrels, 10) == 0.5
    assert ndcg_at_k(ranking, qrels, 10) == pytest.approx(
        (2 / math.log2(3)) / (2 + 1 / math.log2(3))
    )


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        hit_at_k(["a", "b", "a"], {"a": 1}, 5)
    for k in (0, -1, 1.5):
        with pytest.raises(ValueError, match="positive integer"):
            ndcg_at_k(["a"], {"a": 1}, k)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rank"):
        recall_at_k({"a": 1.0}, {"a": 1}, 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        mrr_at_k("abc", {"a": 1}, 5)


def test_mean_over_queries_counts_missing_rankings_as_zero() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 1}}
    rankings = {"q1": ["a"], "q2": ["x", "b"], "unjudged": ["a"]}
    assert per_query(mrr_at_k, rankings, qrels, 10) == {"q1": 1.0, "q2": 0.5, "q3": 0.0}
    assert mean_at_k(mrr_at_k, rankings, qrels, 10) == pytest.approx(0.5)
    assert mean_at_k(hit_at_k, rankings, qrels, 1) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="no queries"):
        mean_at_k(hit_at_k, rankings, {}, 1)


# ---- answers and percentiles


@pytest.mark.parametrize(
    ("answer", "expected", "contained"),
    [
        ("The pipeline was completed in 2001.", ["2001"], True),
        ("It was COMPLETED in 2001", ["completed in 2001"], True),
        ("In 20012 nothing happened", ["2001"], False),
        ("Kassym-Jomart Tokayev's statement", ["tokayev"], True),
        ("Kassym Jomart  Tokayev", ["Kassym-Jomart Tokayev"], True),
        ("It covers 2,724 km².", ["2724"], True),
        ("nearly USD 5.2 billion in 2003", ["5.2 billion"], True),
        ("Trade reached $27 billion", ["27 billion", "26 billion"], True),
        ("the “new Kazakhstan.”", ['"new Kazakhstan"'], True),
        ("L'Ouzbékistan a lancé", ["Ouzbekistan"], True),
        ("Novorossiysk", ["Tengiz"], False),
        ("anything", [], False),
        ("anything", ["...", " "], False),
    ],
)
def test_answer_contains(answer: str, expected: list[str], contained: bool) -> None:
    assert answer_contains(answer, expected) is contained


@pytest.mark.parametrize(
    ("span", "expected", "matches"),
    [
        ("USD 5.2 billion", ["5.2 billion"], True),  # the span says more
        ("Tokayev", ["Kassym-Jomart Tokayev"], True),  # the span says less
        ("Nursultan Nazarbayev", ["Tokayev", "Tokaev"], False),
        ("one-third", ["-2.5%", "2.5"], False),
        ("2001", ["20012"], False),
        # thousands grouped by a space are one number: "000" is not "500 000"
        ("000", ["500 000"], False),
        ("500 000", ["500000"], True),
        ("2 724", ["2,724"], True),
    ],
)
def test_span_matches(span: str, expected: list[str], matches: bool) -> None:
    assert span_matches(span, expected) is matches


def test_percentile_matches_numpy_linear() -> None:
    rng = np.random.default_rng(7)
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0], 95) == 10.0
    assert percentile([1, 2, 3, 4, 5], 0) == 1 and percentile([1, 2, 3, 4, 5], 100) == 5
    for _ in range(50):
        values = rng.exponential(scale=100, size=int(rng.integers(1, 300)))
        for p in (50, 90, 95, 99):
            assert percentile(values.tolist(), p) == pytest.approx(float(np.percentile(values, p)))
    assert percentile(iter([3.0, 1.0, 2.0]), 50) == 2.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="within"):
        percentile([1.0], 101)


def test_module_has_no_runtime_dependency_on_pytrec_eval() -> None:
    tree = ast.parse(Path(metrics.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= {"__future__", "math", "re", "unicodedata", "collections.abc", "numpy"}, (
        imported
    )
