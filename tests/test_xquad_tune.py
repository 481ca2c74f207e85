"""bench/xquad_tune.py: near-miss unanswerables from XQuAD, never from the *.300 subsets."""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


PARAGRAPHS = [
    "The Broncos won the game 24 to 10.",
    "The stadium is in Santa Clara.",
    "Tickets cost 5000 dollars.",
]


def write_layout(root: Path) -> None:
    """A one-article English XQuAD folder: a title line, three paragraphs, two sets."""
    en = root / "en"
    (en / "texts").mkdir(parents=True)
    (en / "texts" / "bowl.txt").write_text("Bowl\n\n" + "\n\n".join(PARAGRAPHS), "utf-8")
    (en / "sources.toml").write_text(
        '[[source]]\nid = "xquad-en-bowl"\npath = "texts/bowl.txt"\nlanguage = "en"\n', "utf-8"
    )
    questions = [
        ("q1", "Who won?", "Broncos", PARAGRAPHS[0]),
        ("q2", "Where is the stadium?", "Santa Clara", PARAGRAPHS[1]),
        ("q3", "What did tickets cost?", "5000 dollars", PARAGRAPHS[2]),
        ("q4", "What was the score?", "24 to 10", PARAGRAPHS[0]),
    ]
    for stem in ("questions.en", "questions.de-over-en"):
        lines = [
            json.dumps(
                {
                    "id": qid,
                    "question": q,
                    "answers": [a],
                    "evidence": [{"source": "xquad-en-bowl", "quote": quote}],
                }
            )
            for qid, q, a, quote in questions
        ]
        (en / f"{stem}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
        (en / f"{stem}.300.jsonl").write_text(lines[3] + "\n", "utf-8")  # q4 is held out


def test_a_removed_paragraph_makes_its_questions_unanswerable(tmp_path: Path) -> None:
    tune = load("xquad_tune")
    write_layout(tmp_path / "xquad")
    counts = tune.build_language(tmp_path / "xquad", tmp_path / "out", "en")
    assert counts == {"questions.en": 3, "questions.de-over-en": 3}  # q4 never written
    # The first article loses its first content paragraph (the title line stays).
    text = (tmp_path / "out" / "en" / "texts" / "bowl.txt").read_text("utf-8")
    assert text == "Bowl\n\n" + "\n\n".join(PARAGRAPHS[1:])
    for stem in counts:
        lines = (tmp_path / "out" / "en" / f"tune.{stem}.jsonl").read_text("utf-8").splitlines()
        items = {item["id"]: item for item in map(json.loads, lines)}
        assert set(items) == {"q1", "q2", "q3"}
        assert all(item["split"] == "tune" for item in items.values())
        assert items["q1"]["answerable"] is False and "answers" not in items["q1"]
        assert items["q1"]["category"] == "unanswerable-nearmiss"
        assert items["q2"]["answers"] == ["Santa Clara"] and "answerable" not in items["q2"]


def test_fit_pairs_are_set_equals_data_dir() -> None:
    fit = load("fit_answerability")
    assert fit.parse_pair("a/set.jsonl=data/x") == (Path("a/set.jsonl"), Path("data/x"))
    for bad in ("set.jsonl", "=data", "set.jsonl="):
        # argparse turns it into a usage error naming the value and the form
        with pytest.raises(argparse.ArgumentTypeError, match="SET=DATA_DIR"):
            fit.parse_pair(bad)


def test_fit_threshold_is_the_lowest_precise_enough_else_the_best_balance() -> None:
    fit = load("fit_answerability")

    def row(threshold: float, precision: float, refused: float, balanced: float) -> dict:
        return {
            "threshold": threshold,
            "precision_when_answering": precision,
            "false_refusals": refused,
            "balanced": balanced,
        }

    rows = [row(0.1, 0.80, 0.00, 0.70), row(0.2, 0.96, 0.10, 0.80), row(0.3, 0.97, 0.20, 0.85)]
    assert fit.choose(rows, 0.95, 0.15) == (rows[1], True)
    # out of reach: the best balance among thresholds refusing at most the share allowed
    assert fit.choose(rows, 0.99, 0.15) == (rows[1], False)
    assert fit.choose(rows, 0.99, 0.25) == (rows[2], False)


def test_fit_several_penalties_need_folds_to_choose_among_them() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "fit_answerability.py"), "--l2", "1", "3"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 2
    assert "several --l2 values need --folds" in done.stderr
