"""Answer metrics by hand: three-way grades, precision when answering, SQuAD 2.0's NoAns F1,
the risk–coverage curve and the paired bootstrap of `dossier eval --compare`."""

from __future__ import annotations

import collections
import itertools
import re
import string

import numpy as np
import pytest

from dossier.eval import metrics
from dossier.eval.metrics import (
    CORRECT,
    INCORRECT,
    NOT_ATTEMPTED,
    aurc,
    grade,
    noans_f1,
    paired_bootstrap,
    precision_when_answering,
    risk_coverage,
    squad_f1,
)

# ---- the official SQuAD 2.0 evaluation script's functions, verbatim in substance
# (evaluate-v2.0.py: normalize_answer, get_tokens, compute_f1; NoAns_f1 is the mean of
# compute_f1 over the questions whose gold answer list is [""]).


def official_normalize_answer(s: str) -> str:
    def remove_articles(text: str) -> str:
        return re.sub(re.compile(r"\b(a|an|the)\b", re.UNICODE), " ", text)

    def white_space_fix(text: str) -> str:
        return " ".join(text.split())

    def remove_punc(text: str) -> str:
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def official_get_tokens(s: str) -> list[str]:
    return official_normalize_answer(s).split() if s else []


def official_compute_f1(a_gold: str, a_pred: str) -> float:
    gold_toks, pred_toks = official_get_tokens(a_gold), official_get_tokens(a_pred)
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


def test_three_way_grades() -> None:
    assert grade(answerable=True, attempted=True, right=True) == CORRECT
    assert grade(answerable=True, attempted=True, right=False) == INCORRECT
    assert grade(answerable=True, attempted=False, right=False) == NOT_ATTEMPTED
    # An answer to a question the sources do not answer is wrong whatever it says;
    # abstaining there is the right response.
    assert grade(answerable=False, attempted=True, right=True) == INCORRECT
    assert grade(answerable=False, attempted=False, right=False) == CORRECT


def test_precision_when_answering_by_hand() -> None:
    # 4 answerable: right, wrong, abstained, right; 3 unanswerable: answered, abstained, abstained
    cases = [(True, True, True), (True, True, False), (True, False, False), (True, True, True)]
    cases += [(False, True, False), (False, False, False), (False, False, False)]
    grades = [grade(answerable=a, attempted=t, right=r) for a, t, r in cases]
    attempted = [t for _, t, _ in cases]
    assert grades.count(CORRECT) == 4 and grades.count(INCORRECT) == 2
    assert grades.count(NOT_ATTEMPTED) == 1
    assert precision_when_answering(grades, attempted) == pytest.approx(2 / 4)
    assert precision_when_answering([NOT_ATTEMPTED], [False]) == 0.0


def test_squad_f1_matches_the_official_script() -> None:
    pairs = [
        ("", ""),
        ("", "Something"),
        ("The Tengiz field", ""),
        ("the Tengiz field", "Tengiz"),
        ("Tengiz field", "the field of Tengiz, in Kazakhstan."),
        ("a b a", "a a a b"),
        ("Kassym-Jomart Tokayev", "Kassym Jomart Tokayev"),
        ("2,724 km²", "2724 km²"),
        ("An apple", "the"),
    ]
    rng = np.random.default_rng(3)
    vocabulary = ["the", "a", "an", "Oil", "oil,", "field", "Tengiz", "pipe-line", "2001", "."]
    for _ in range(300):
        pairs.append(
            tuple(" ".join(rng.choice(vocabulary, size=int(rng.integers(0, 6)))) for _ in range(2))
        )
    for gold, prediction in pairs:
        assert squad_f1(gold, prediction) == pytest.approx(official_compute_f1(gold, prediction)), (
            gold,
            prediction,
        )


def test_noans_f1_is_the_official_mean_over_no_answer_questions() -> None:
    # Three unanswerable questions: two abstentions (empty predictions), one answer.
    predictions = ["", "The capital is Astana.", ""]
    assert noans_f1(predictions) == pytest.approx(2 / 3)
    official = sum(official_compute_f1("", p) for p in predictions) / len(predictions)
    assert noans_f1(predictions) == pytest.approx(official)
    # A prediction that normalises to nothing counts as no answer, as in the script.
    assert noans_f1(["the ."]) == 1.0
    with pytest.raises(ValueError, match="no unanswerable"):
        noans_f1([])


def test_f1_of_abstention() -> None:
    assert metrics.f1(0.5, 1.0) == pytest.approx(2 / 3)
    assert metrics.f1(0.0, 0.0) == 0.0


def test_risk_coverage_by_hand() -> None:
    # 5 questions; 4 attempted with confidences 0.9 (right), 0.7 (wrong), 0.7 (right), 0.2 (wrong)
    points = risk_coverage([0.9, 0.7, 0.2, 0.7], [False, True, True, False], total=5)
    # the two answers at 0.7 enter together: a threshold cannot separate them
    assert points == [
        (0.9, pytest.approx(1 / 5), 0.0),
        (0.7, pytest.approx(3 / 5), pytest.approx(1 / 3)),
        (0.2, pytest.approx(4 / 5), pytest.approx(2 / 4)),
    ]
    assert aurc(points) == pytest.approx(0.2 * 0 + 0.4 * (1 / 3) + 0.2 * 0.5)
    assert risk_coverage([], [], total=3) == [] and aurc([]) == 0.0


def test_risk_coverage_is_built_monotonically() -> None:
    rng = np.random.default_rng(11)
    for _ in range(50):
        n = int(rng.integers(1, 60))
        confidences = rng.choice([0.1, 0.2, 0.5, 0.9, 1.3], size=n).tolist()
        wrong = (rng.random(n) < 0.3).tolist()
        total = n + int(rng.integers(0, 10))
        points = risk_coverage(confidences, wrong, total=total)
        thresholds = [p[0] for p in points]
        coverage = [p[1] for p in points]
        assert thresholds == sorted(set(confidences), reverse=True)
        assert all(a < b for a, b in itertools.pairwise(coverage))
        assert coverage[-1] == pytest.approx(n / total)
        # each point's risk is the error among the answers at or above its threshold
        for threshold, cov, risk in points:
            kept = [w for c, w in zip(confidences, wrong, strict=True) if c >= threshold]
            assert cov == pytest.approx(len(kept) / total)
            assert risk == pytest.approx(sum(kept) / len(kept))


def test_risk_coverage_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="one confidence"):
        risk_coverage([0.1], [], total=2)
    with pytest.raises(ValueError, match="more attempted"):
        risk_coverage([0.1, 0.2], [False, False], total=1)
    with pytest.raises(ValueError, match="NaN"):
        risk_coverage([float("nan")], [False], total=1)


def test_paired_bootstrap_is_deterministic_and_brackets_the_difference() -> None:
    rng = np.random.default_rng(5)
    n = 120
    a_right = (rng.random(n) < 0.6).astype(float)
    b_right = np.where(rng.random(n) < 0.8, a_right, 1 - a_right)  # B mostly agrees with A
    b_right[:15] = 1.0  # and is right more often
    ones = np.ones(n)
    first = paired_bootstrap((a_right, ones), (b_right, ones), resamples=2000, seed=7)
    again = paired_bootstrap((a_right, ones), (b_right, ones), resamples=2000, seed=7)
    assert first == again
    assert first["a"] == pytest.approx(a_right.mean()) and first["b"] == pytest.approx(
        b_right.mean()
    )
    assert first["diff"] == pytest.approx(b_right.mean() - a_right.mean())
    assert first["low"] <= first["diff"] <= first["high"]
    assert first["resamples"] == 2000
    # The same run against itself: a zero-width interval at 0.
    same = paired_bootstrap((a_right, ones), (a_right, ones), resamples=500, seed=1)
    assert same["diff"] == same["low"] == same["high"] == 0.0


def test_paired_bootstrap_of_a_ratio_skips_empty_resamples() -> None:
    # precision when answering: the denominator is "attempted", 0 for most questions
    num_a, den_a = [1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]
    num_b, den_b = [1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0]
    result = paired_bootstrap((num_a, den_a), (num_b, den_b), resamples=1000, seed=0)
    assert result["a"] == 0.5 and result["b"] == 1.0 and result["diff"] == 0.5
    assert 0 < result["resamples"] < 1000  # draws of only unattempted questions are left out
    assert result["low"] <= 0.5 <= result["high"]
    with pytest.raises(ValueError, match="same, non-empty"):
        paired_bootstrap(([1.0], [1.0]), ([1.0, 0.0], [1.0, 1.0]))
