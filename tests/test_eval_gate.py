"""The CI gate: `dossier eval` on the article set's TEST split must meet eval/thresholds.toml;
the JSON and the HTML report say what produced them; `--compare` reads two runs."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import pytest

from dossier import __version__
from dossier.eval.runner import metric_keys
from dossier.eval.sets import load_set
from dossier.settings import Settings

from conftest import ROOT, LiveServer, run_cli

THRESHOLDS = tomllib.loads((ROOT / "eval" / "thresholds.toml").read_text(encoding="utf-8"))
ARTICLE_SET = ROOT / "eval" / "sets" / "article.jsonl"


@pytest.fixture(scope="module")
def test_split_run(article_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    """`dossier eval --split test` on the article set, with its JSON and HTML report."""
    folder = tmp_path_factory.mktemp("gate")
    out, report = folder / "eval.json", folder / "eval.html"
    code, output = run_cli(
        "eval",
        "--set",
        str(ARTICLE_SET),
        "--split",
        "test",
        "--data-dir",
        str(article_settings.data_dir),
        "--json",
        str(out),
        "--report",
        str(report),
        "--no-progress",
    )
    assert code == 0, output
    return json.loads(out.read_text(encoding="utf-8")), report.read_text(encoding="utf-8"), output


def test_article_test_split_meets_the_thresholds(test_split_run) -> None:
    figures, _, output = test_split_run
    rules = THRESHOLDS["article"]
    assert rules["split"] == "test"
    test_ids = {i.id for i in load_set(ARTICLE_SET) if i.split == "test"}
    assert {q["id"] for q in figures["questions"]} == test_ids
    assert figures["n"] == len(test_ids) >= 90 and figures["skipped"] == 0
    assert figures["unanswerable"] >= 30
    misses = {
        name: (figures[name], rule)
        for name, rule in rules.items()
        if isinstance(rule, dict)
        and (figures[name] < rule.get("min", -1e9) or figures[name] > rule.get("max", 1e9))
    }
    assert not misses, f"below the gate (measured, rule): {misses}\n{output}"
    assert figures["gate"]["passed"] is True and figures["gate"]["split"] == "test"


def test_json_names_every_metric_and_what_produced_it(
    test_split_run, article_settings: Settings
) -> None:
    figures, _, _ = test_split_run
    assert list(figures)[: len(metric_keys(10))] == list(metric_keys(10))
    assert "recall@10" in figures and "recall@k" not in figures
    run = figures["run"]
    digest = hashlib.sha256(ARTICLE_SET.read_bytes()).hexdigest()
    assert run["sets"] == [{"path": str(ARTICLE_SET), "sha256": digest}]
    assert run["split"] == "test" and run["mode"] == "hybrid" and run["k"] == 10
    assert run["dossier_version"] == __version__
    assert run["target"]["index_id"] and run["target"]["model"]
    current = (article_settings.data_dir / "indexes").glob("*")
    assert run["target"]["index_id"] in {p.name for p in current}
    assert run["settings"]["data_dir"] == str(article_settings.data_dir)
    assert "api_key" not in run["settings"]
    if (ROOT / ".git").exists():
        assert len(run["git"]["commit"]) == 40
    # three-way grades add up, per question and per category
    grades = [q["grade"] for q in figures["questions"]]
    assert figures["correct"] + figures["incorrect"] + figures["not_attempted"] == figures["n"]
    assert grades.count("correct") == figures["correct"]
    assert sum(c["n"] for c in figures["by_category"].values()) == figures["n"]
    coverage = [p["coverage"] for p in figures["risk_coverage"]]
    assert coverage == sorted(coverage)
    assert coverage[-1] == pytest.approx(figures["coverage"]) if coverage else True
    failed = [q for q in figures["questions"] if q["failures"]]
    assert all(q["retrieved"] and "text" in q["retrieved"][0] for q in failed)
    # answer_span: graded on the questions answered right that gave one
    graded = [q["span_correct"] for q in figures["questions"] if q["span_correct"] is not None]
    assert graded and figures["span_accuracy"] == pytest.approx(sum(graded) / len(graded))
    assert all(q["answer_span"] for q in figures["questions"] if q["span_correct"] is not None)
    assert figures["span_exactness"] == 1.0


def test_report_shows_provenance_gate_curves_and_failures(test_split_run) -> None:
    figures, page, _ = test_split_run
    digest = hashlib.sha256(ARTICLE_SET.read_bytes()).hexdigest()
    assert digest in page and figures["run"]["target"]["index_id"] in page
    assert figures["run"]["target"]["model"] in page and __version__ in page
    assert "Risk–coverage" in page and page.count("<svg") >= 2
    assert "hit@k" in page and "recall@10" in page and "recall@k<" not in page
    for name in ("hybrid", "dense", "lexical"):
        assert name in page
    assert "PASS" in page and page.count('class="pass">pass<') == len(figures["gate"]["checks"])
    for q in figures["questions"]:
        if q["failures"]:
            assert q["id"] in page and q["retrieved"][0]["id"] in page


def test_report_shows_a_failing_gate(article_settings: Settings, tmp_path: Path) -> None:
    strict = tmp_path / "thresholds.toml"
    strict.write_text(
        '[article]\nsplit = "test"\nanswer_accuracy = { min = 1.01 }\n'
        "false_refusal_rate = { max = 1.0 }\n",
        encoding="utf-8",
    )
    subset = tmp_path / "article.jsonl"
    lines = ARTICLE_SET.read_text(encoding="utf-8").splitlines()
    subset.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    out, report = tmp_path / "eval.json", tmp_path / "eval.html"
    common = ["eval", "--set", str(subset), "--data-dir", str(article_settings.data_dir)]
    code, output = run_cli(
        *common,
        "--thresholds",
        str(strict),
        "--json",
        str(out),
        "--report",
        str(report),
        "--no-progress",
        "--gate",
    )
    assert code == 1 and "below the gate: answer_accuracy" in output
    gate = json.loads(out.read_text(encoding="utf-8"))["gate"]
    assert gate["passed"] is False
    assert [c["passed"] for c in gate["checks"]] == [False, True]
    page = report.read_text(encoding="utf-8")
    assert "FAIL" in page and "thresholds are for the test split" in page


def test_compare_two_runs(article_settings: Settings, tmp_path: Path) -> None:
    subset = tmp_path / "subset.jsonl"
    lines = ARTICLE_SET.read_text(encoding="utf-8").splitlines()
    subset.write_text("\n".join(lines[:6] + lines[-3:]) + "\n", encoding="utf-8")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    common = ["eval", "--set", str(subset), "--data-dir", str(article_settings.data_dir)]
    assert run_cli(*common, "--json", str(a), "--no-progress")[0] == 0
    assert run_cli(*common, "--json", str(b), "--no-progress", "--mode", "lexical")[0] == 0
    out = tmp_path / "compare.json"
    code, output = run_cli("eval", "--compare", str(a), str(b), "--json", str(out))
    assert code == 0, output
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["questions"] == 9 and result["resamples"] == 10_000
    left, right = (json.loads(p.read_text(encoding="utf-8")) for p in (a, b))
    for name in ("answer_accuracy", "hit@5", "precision_when_answering", "noans_f1"):
        row = result["metrics"][name]
        assert row["a"] == pytest.approx(left[name]) and row["b"] == pytest.approx(right[name])
        assert row["low"] <= row["diff"] <= row["high"]
    grades_a = {q["id"]: q["grade"] for q in left["questions"]}
    grades_b = {q["id"]: q["grade"] for q in right["questions"]}
    assert [c["id"] for c in result["changed"]] == [
        q for q in grades_a if grades_a[q] != grades_b[q]
    ]
    # the same comparison again gives the same intervals (seeded)
    again = tmp_path / "again.json"
    assert run_cli("eval", "--compare", str(a), str(b), "--json", str(again))[0] == 0
    assert json.loads(again.read_text(encoding="utf-8")) == result
    assert "recall@10" in output and "bootstrap" in output


def test_compare_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"n": 3}', encoding="utf-8")
    code, output = run_cli("eval", "--compare", str(bad), str(tmp_path / "absent.json"))
    assert code == 1 and "not the output of `dossier eval --json`" in output
    code, output = run_cli("eval", "--compare", str(tmp_path / "absent.json"), str(bad))
    assert code == 1 and "no such file" in output


def test_sources_set_is_skipped_while_its_sources_are_missing(
    article_settings: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "eval.json"
    code, output = run_cli(
        "eval",
        "--set",
        str(ROOT / "eval" / "sets" / "sources.jsonl"),
        "--data-dir",
        str(article_settings.data_dir),
        "--json",
        str(out),
        "--no-progress",
    )
    assert code == 0, output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["n"] == 0 and figures["skipped"] == len(figures["questions"]) > 0
    assert all(q["skipped"].startswith("source not in the index") for q in figures["questions"])


def test_eval_over_http_matches_in_process(
    live: LiveServer, article_settings: Settings, tmp_path: Path
) -> None:
    local, remote = tmp_path / "local.json", tmp_path / "remote.json"
    subset = tmp_path / "subset.jsonl"
    lines = ARTICLE_SET.read_text(encoding="utf-8").splitlines()
    subset.write_text("\n".join(lines[:8] + lines[-2:]) + "\n", encoding="utf-8")
    common = [
        "eval",
        "--set",
        str(subset),
        "--no-progress",
        "--data-dir",
        str(article_settings.data_dir),
    ]
    assert run_cli(*common, "--json", str(local))[0] == 0
    code, output = run_cli(*common, "--json", str(remote), "--url", live.url)
    assert code == 0, output
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (local, remote))
    for key in metric_keys(10):
        if not key.startswith("latency"):
            assert a[key] == b[key], key
    assert a["run"]["target"]["index_id"] == b["run"]["target"]["index_id"]
    assert b["run"]["target"]["url"] == live.url


def test_eval_errors_are_clear(article_settings: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x1", "question": "?", "evidence": []}\n', encoding="utf-8")
    code, output = run_cli(
        "eval", "--set", str(broken), "--data-dir", str(article_settings.data_dir)
    )
    assert code == 1 and "broken.jsonl:1" in output
    code, output = run_cli("eval", "--url", "http://127.0.0.1:9", "--set", str(broken))
    assert code == 1
    code, output = run_cli(
        "eval",
        "--set",
        str(ARTICLE_SET),
        "--split",
        "dev",
        "--data-dir",
        str(article_settings.data_dir),
    )
    assert code == 1 and "unknown split 'dev'; use one of tune, test" in output
