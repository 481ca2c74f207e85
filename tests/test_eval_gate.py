"""The CI gate: `dossier eval` on the hand-written article set must meet eval/thresholds.toml."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from dossier.eval.runner import METRIC_KEYS
from dossier.settings import Settings

from conftest import ROOT, LiveServer, run_cli

THRESHOLDS = tomllib.loads((ROOT / "eval" / "thresholds.toml").read_text(encoding="utf-8"))


def test_article_set_meets_the_thresholds(article_settings: Settings, tmp_path: Path) -> None:
    out, report = tmp_path / "eval.json", tmp_path / "eval.html"
    code, output = run_cli(
        "eval",
        "--set",
        str(ROOT / "eval" / "sets" / "article.jsonl"),
        "--data-dir",
        str(article_settings.data_dir),
        "--json",
        str(out),
        "--report",
        str(report),
        "--no-progress",
    )
    assert code == 0, output
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert list(figures) == [*METRIC_KEYS, "questions"]
    assert figures["n"] >= 60 and figures["skipped"] == 0
    assert len(figures["questions"]) == figures["n"]
    misses = {
        name: (figures[name], rule["min"])
        for name, rule in THRESHOLDS["article"].items()
        if figures[name] < rule["min"]
    }
    assert not misses, f"below the gate (measured, minimum): {misses}\n{output}"
    page = report.read_text(encoding="utf-8")
    assert "<svg" in page and "hit@k" in page and "answer_accuracy" in page
    for name in ("hybrid", "dense", "lexical"):
        assert name in page


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
    lines = (ROOT / "eval" / "sets" / "article.jsonl").read_text(encoding="utf-8").splitlines()
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
    for key in METRIC_KEYS:
        if not key.startswith("latency"):
            assert a[key] == b[key], key


def test_eval_errors_are_clear(article_settings: Settings, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x1", "question": "?", "evidence": []}\n', encoding="utf-8")
    code, output = run_cli(
        "eval", "--set", str(broken), "--data-dir", str(article_settings.data_dir)
    )
    assert code == 1 and "broken.jsonl:1" in output
    code, output = run_cli("eval", "--url", "http://127.0.0.1:9", "--set", str(broken))
    assert code == 1
