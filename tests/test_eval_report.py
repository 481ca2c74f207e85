"""The report's parts without a model: provenance, the gate's pass/fail, the HTML contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from dossier import __version__
from dossier.eval import thresholds as gates
from dossier.eval.provenance import describe_run, git_commit, public_settings, sha256_file
from dossier.eval.report import write_html
from dossier.eval.runner import (
    QuestionResult,
    Span,
    by_category,
    risk_coverage,
    summarise,
)
from dossier.settings import Settings
from dossier.types import ScoredPassage

ROOT = Path(__file__).resolve().parent.parent


def passage(pid: str, start: int, end: int, score: float) -> ScoredPassage:
    return ScoredPassage(
        id=pid, source_id="article", text=f"text of {pid}", start=start, end=end, score=score
    )


def results() -> list[QuestionResult]:
    evidence = [Span("article", 100, 150)]
    right = QuestionResult(
        "q1",
        "When?",
        True,
        [["2001"]],
        evidence,
        split="test",
        category="date",
        ranking=["evidence-0"],
        retrieved=[passage("p1", 90, 200, 0.9)],
        answer="It was completed in 2001.",
        answer_correct=True,
        citation_correct=True,
        citations=1,
        exact_citations=1,
        confidence=0.8,
        confidence_source="answer confidence",
    )
    half = QuestionResult(
        "q2",
        "Which field and which port?",
        True,
        [["Tengiz"], ["Novorossiysk"]],
        evidence,
        split="test",
        category="multipart",
        ranking=["p7", "evidence-0"],
        retrieved=[passage("p7", 0, 80, 0.7), passage("p1", 90, 200, 0.6)],
        answer="The Tengiz field.",
        answer_correct=False,
        citation_correct=True,
        citations=1,
        exact_citations=1,
        confidence=0.6,
        confidence_source="answer confidence",
    )
    refused = QuestionResult(
        "q3",
        "How many troops?",
        False,
        [],
        [],
        split="test",
        category="unanswerable-nearmiss",
        abstained=True,
        confidence=0.1,
    )
    wrong = QuestionResult(
        "q4",
        "Capital of France?",
        False,
        [],
        [],
        split="test",
        category="unanswerable-offtopic",
        retrieved=[passage("p3", 300, 400, 0.5)],
        ranking=["p3"],
        answer="Astana is the capital.",
        citations=1,
        exact_citations=1,
        confidence=0.9,
        confidence_source="answer confidence",
    )
    return [right, half, refused, wrong]


def test_summary_by_hand() -> None:
    summary = summarise(results())
    assert summary["answer_accuracy"] == 0.5  # the half-answered multi-part question is wrong
    assert summary["precision_when_answering"] == pytest.approx(1 / 3)  # q1 of q1, q2, q4
    assert summary["false_refusal_rate"] == 0.0
    assert summary["abstention_recall"] == summary["noans_f1"] == 0.5
    assert summary["abstention_precision"] == 1.0
    assert summary["abstention_f1"] == pytest.approx(2 / 3)
    assert summary["coverage"] == 0.75 and summary["overall_accuracy"] == 0.5
    assert (summary["correct"], summary["incorrect"], summary["not_attempted"]) == (2, 2, 0)
    assert summary["hit@1"] == 0.5 and summary["mrr@10"] == 0.75
    assert "recall@10" in summary and "recall@k" not in summary
    assert "recall@3" in summarise(results(), k=3)
    # attempted answers by confidence: q4 (0.9, wrong), q1 (0.8, right), q2 (0.6, wrong)
    assert risk_coverage(results()) == [
        (0.9, 0.25, 1.0),
        (0.8, 0.5, 0.5),
        (0.6, 0.75, pytest.approx(2 / 3)),
    ]
    assert summary["aurc"] == pytest.approx(0.25 * 1.0 + 0.25 * 0.5 + 0.25 * 2 / 3)
    categories = by_category(results())
    assert list(categories) == [
        "date",
        "multipart",
        "unanswerable-nearmiss",
        "unanswerable-offtopic",
    ]
    assert categories["multipart"]["incorrect"] == 1


def test_gate_passes_and_fails(tmp_path: Path) -> None:
    rules = {
        "split": "test",
        "answer_accuracy": {"min": 0.5, "measured": 0.5, "target": 0.92},
        "false_refusal_rate": {"max": 0.05, "target": 0.05},
        "abstention_recall": {"min": 0.9},
    }
    gate = gates.check("article", rules, summarise(results()))
    assert gate.split == "test" and not gate.passed
    assert [(c.metric, c.passed, c.meets_target) for c in gate.checks] == [
        ("answer_accuracy", True, False),
        ("false_refusal_rate", True, True),
        ("abstention_recall", False, None),
    ]
    with pytest.raises(gates.ThresholdsError, match="exactly one of min or max"):
        gates.check("article", {"hit@5": {"min": 1, "max": 1}}, {})
    path = tmp_path / "thresholds.toml"
    path.write_text('[article]\nsplit = "test"\n"hit@5" = { min = 0.5 }\n', encoding="utf-8")
    found = gates.gate_for([Path("x/article.jsonl")], {"hit@5": 0.6}, path)
    assert found is not None and found.passed
    assert gates.gate_for([Path("other.jsonl")], {"hit@5": 0.6}, path) is None
    assert gates.gate_for([Path("a/article.jsonl"), Path("b.jsonl")], {}, path) is None
    with pytest.raises(gates.ThresholdsError, match="no such file"):
        gates.gate_for([Path("article.jsonl")], {}, tmp_path / "absent.toml")


def test_the_shipped_thresholds_are_for_the_test_split_and_keep_the_targets() -> None:
    table = gates.load()["article"]
    assert table["split"] == "test"
    targets = {m: r.get("target") for m, r in table.items() if isinstance(r, dict)}
    assert targets == {
        "hit@5": 0.97,
        "answer_accuracy": 0.92,
        "precision_when_answering": 0.95,
        "abstention_recall": 0.90,
        "false_refusal_rate": 0.05,
        "citation_exactness": 1.0,
    }
    assert "max" in table["false_refusal_rate"]


def test_provenance_leaves_secrets_out() -> None:
    settings = Settings(api_key="hunter2", user_agent="bot https://u:pw@example.org/x")
    shown = public_settings(settings)
    assert "api_key" not in shown and "hunter2" not in str(shown)
    assert shown["user_agent"] == "bot https://u:***@example.org/x"
    run = describe_run(
        set_paths=[ROOT / "eval" / "sets" / "article.jsonl"],
        questions=3,
        split="test",
        mode="hybrid",
        k=10,
        settings=settings,
        target={"index_id": "i1", "model": "m"},
    )
    assert run["dossier_version"] == __version__ and run["split"] == "test"
    assert run["sets"][0]["sha256"] == sha256_file(ROOT / "eval" / "sets" / "article.jsonl")


def test_git_commit_inside_and_outside_a_checkout(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None
    if (ROOT / ".git").exists():
        found = git_commit(ROOT)
        assert found is not None and len(str(found["commit"])) == 40


def test_html_report_contents(tmp_path: Path) -> None:
    items = results()
    summary = summarise(items)
    run = describe_run(
        set_paths=[ROOT / "eval" / "sets" / "article.jsonl"],
        questions=4,
        split="tune",
        mode="hybrid",
        k=10,
        settings=Settings(api_key="hunter2"),
        target={"kind": "local", "data_dir": "/d", "index_id": "IDX-42", "model": "MiniLM"},
    )
    rules = {
        "split": "test",
        "answer_accuracy": {"min": 0.4, "target": 0.92},
        "abstention_recall": {"min": 0.9},
    }
    gate = gates.check("article", rules, summary)
    path = tmp_path / "report.html"
    write_html(
        path,
        summary,
        items,
        {"hybrid": [0.5, 1.0]},
        title="t",
        run=run,
        gate=gate,
        categories=by_category(items),
        risk_points=risk_coverage(items),
    )
    page = path.read_text(encoding="utf-8")
    assert run["sets"][0]["sha256"] in page and "IDX-42" in page and "MiniLM" in page
    assert f"{__version__}, commit" in page and "hunter2" not in page
    assert 'class="fail">FAIL</b></p>' in page  # the verdict
    assert page.count('class="pass">pass<') == 1 and page.count('class="fail">FAIL<') == 2
    assert "thresholds are for the test split" in page
    assert "Risk–coverage" in page and page.count("<svg") == 2
    assert "ordered by answer confidence" in page
    assert "recall@10" in page
    # failed questions with their retrieved passages; the right answer is not listed
    assert "q2" in page and "q4" in page and "text of p7" in page and "text of p3" in page
    assert "<h3>q1 " not in page and "<h3>q3 " not in page
