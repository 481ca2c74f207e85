"""Fit the answerability model on the tune split and choose its threshold.

    dossier ingest --data-dir DATA
    python bench/fit_answerability.py --data-dir DATA [--set eval/sets/article.jsonl]
        [--precision 0.95] [--reader PATH] [--out FILE]

Each candidate sentence of each tune question is one training row: its
evidence features (service/answer/evidence.py), labelled 1 when the question
is answerable and the sentence, read with its antecedent when it refers back,
contains an expected answer. A logistic regression is fitted on those rows.
The threshold is then chosen by composing every tune question's answer at
each candidate threshold: the lowest threshold whose precision when answering
(correct answers / answers given) reaches `--precision`, so as few answerable
questions as possible are refused. Only questions whose `split` is `tune` are
read; a set without splits is split provisionally (odd lines tune, even test).
The output file records the features, coefficients, threshold, the tune
figures, the date and this command; review it before committing it. By
default it is the file the service reads for the index's embedding model
(`service/answer/answerability.json` for all-MiniLM-L6-v2,
`answerability.<model>.json` beside it for another, e.g. with
DOSSIER_MODEL=multilingual-e5-small), since the cosine features are on that
model's scale. It also records how well each question's best cosine and best
score separate answerable from unanswerable questions (question-level AUC).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from dossier.eval.metrics import answer_contains
from dossier.index.embed import canonical_model_name
from dossier.index.search import Index
from dossier.index.store import sentence_method
from dossier.lexicon import lexicon_for
from dossier.service.answer import Answerability, analyse, compose, features, load_reader
from dossier.service.answer.answerability import fit, model_path
from dossier.service.answer.evidence import SIGNS, read_rows
from dossier.service.engine import Engine
from dossier.settings import Settings


def load_questions(path: Path, split: str) -> list[dict]:
    """Questions of `split`; without a `split` field, odd lines are tune and even ones test."""
    items = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    if any("split" in item for item in items):
        return [item for item in items if item.get("split") == split]
    return [item for i, item in enumerate(items) if (i % 2 == 0) == (split == "tune")]


def groups(item: dict) -> list[list[str]]:
    """The answer groups of an item: `answers_all` (each group needed) or `answers` (one)."""
    if item.get("answers_all"):
        return [list(g) for g in item["answers_all"]]
    return [item["answers"]] if item.get("answers") else []


def correct(text: str, item: dict) -> bool:
    """The answer holds every expected part (one of the strings of each group)."""
    found = groups(item)
    return bool(found) and all(answer_contains(text, g) for g in found)


def supports(text: str, item: dict) -> bool:
    """A sentence supports the answer when it holds one of the expected parts."""
    return any(answer_contains(text, g) for g in groups(item))


def auc(scores: list[float], positive: list[bool]) -> float | None:
    """P(a positive scores above a negative), ties counting half (Mann–Whitney)."""
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    if not pos or not neg:
        return None
    wins = sum((a > b) + 0.5 * (a == b) for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def retrieve(index: Index, questions: list[dict], args: argparse.Namespace) -> list[tuple]:
    """(question vector, passages) per question; kept in `--cache` for re-runs on one index."""
    texts = [item["question"] for item in questions]
    key = (index.index_id, args.k, tuple(texts))
    if args.cache and args.cache.is_file():
        cached = pickle.loads(args.cache.read_bytes())
        if cached["key"] == key:
            return cached["found"]
    vectors = index.encode_queries(texts)
    found = [
        (vector, index.search(text, k=args.k, query_vector=vector))
        for text, vector in zip(texts, vectors, strict=True)
    ]
    if args.cache:
        args.cache.write_bytes(pickle.dumps({"key": key, "found": found}))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--set", type=Path, default=Path("eval/sets/article.jsonl"))
    parser.add_argument("--split", default="tune")
    parser.add_argument("--precision", type=float, default=0.95)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument(
        "--max-refusals",
        type=float,
        default=0.15,
        help="refuse at most this share of answerable questions; when --precision cannot be "
        "reached so, the threshold with the best mean of answer accuracy and abstention recall",
    )
    parser.add_argument("--reader", default=None)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--top", type=int, default=8, help="training rows per question")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default: the service's file for the index's embedding model",
    )
    parser.add_argument("--cache", type=Path, default=None, help="keep retrieval results here")
    args = parser.parse_args()

    settings = Settings(data_dir=args.data_dir, reader=args.reader)
    engine = Engine(settings)
    index = engine.index
    out = args.out or model_path(index.manifest.model)
    store = index.sentences
    assert store is not None
    reader = load_reader(args.reader)
    questions = load_questions(args.set, args.split)
    if not questions:
        print(f"no {args.split!r} questions in {args.set}", file=sys.stderr)
        return 2

    # Each question is read in its language, as the engine reads it.
    languages = [
        language or settings.lexical_language
        for language in index.question_languages([item["question"] for item in questions])
    ]
    prepared = []
    tables, labels = [], []
    best_cosines: dict[str, list[float]] = {"cos_sentence": [], "cos_context": []}
    found = retrieve(index, questions, args)
    for item, language, (vector, passages) in zip(questions, languages, found, strict=True):
        question = analyse(
            item["question"], lexicon_for(language), store.idf, aliases=store.aliases
        )
        evidence = features(question, vector, passages, index, reader=reader)
        answerable = item.get("answerable", True)
        for name, values in best_cosines.items():
            column = evidence.column(name)
            values.append(float(column.max()) if column.size else 0.0)
        # Train on the candidates closest in meaning: the answer decision is made among them,
        # and the many remote sentences would otherwise swamp the few that matter.
        keep = np.argsort(-evidence.column("cos_context"), kind="stable")[: args.top]
        for i in keep:
            rows = read_rows(store, evidence.candidates[i].row)
            labels.append(answerable and supports(" ".join(store.text(r) for r in rows), item))
        tables.append(evidence.table[keep])
        prepared.append((item, language, vector, passages))
    table = np.concatenate(tables)
    y = np.array(labels, dtype=bool)
    columns = evidence.columns
    model = fit(table, y, columns, l2=args.l2, signs=SIGNS)
    answerables = [item.get("answerable", True) for item, _, _, _ in prepared]
    best_scores = []
    for item, language, vector, passages in prepared:
        question = analyse(
            item["question"], lexicon_for(language), store.idf, aliases=store.aliases
        )
        evidence = features(question, vector, passages, index, reader=reader)
        scores = model.probability(evidence.table, evidence.columns)
        best_scores.append(float(scores.max()) if scores.size else 0.0)
    separation = {f"best_{name}": auc(values, answerables) for name, values in best_cosines.items()}
    separation["best_score"] = auc(best_scores, answerables)

    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    rows = []
    for threshold in grid:
        answered = right = refused = abstained_right = 0
        for item, language, vector, passages in prepared:
            composed = compose(
                item["question"],
                vector,
                passages,
                index,
                model,
                reader=reader,
                language=language,
                threshold=float(threshold),
            )
            answerable = item.get("answerable", True)
            if composed.abstained:
                refused += answerable
                abstained_right += not answerable
            else:
                answered += 1
                right += answerable and correct(composed.text, item)
        n_answerable = sum(item.get("answerable", True) for item, *_ in prepared)
        n_unanswerable = len(prepared) - n_answerable
        rows.append(
            row := {
                "threshold": float(threshold),
                "precision_when_answering": right / answered if answered else 1.0,
                "answer_accuracy": right / n_answerable if n_answerable else 0.0,
                "false_refusals": refused / n_answerable if n_answerable else 0.0,
                "abstention_recall": abstained_right / n_unanswerable if n_unanswerable else 1.0,
                "coverage": answered / len(prepared),
            }
        )
        row["balanced"] = (row["answer_accuracy"] + row["abstention_recall"]) / 2
    meeting = [
        r
        for r in rows
        if r["precision_when_answering"] >= args.precision
        and r["false_refusals"] <= args.max_refusals
    ]
    if meeting:  # the lowest threshold that is precise enough: as few refusals as possible
        chosen = meeting[0]
    else:  # out of reach: the best balance of answering and abstaining, refusing few
        print(
            f"no threshold reaches precision {args.precision} refusing at most "
            f"{args.max_refusals:.0%} of answerable {args.split} questions",
            file=sys.stderr,
        )
        bearable = [r for r in rows if r["false_refusals"] <= args.max_refusals] or rows
        chosen = max(bearable, key=lambda r: (r["balanced"], -r["threshold"]))
    n_answerable = sum(item.get("answerable", True) for item, *_ in prepared)
    chosen_model = os.environ.get("DOSSIER_MODEL")
    command = "python bench/fit_answerability.py " + " ".join(sys.argv[1:])
    command = f"DOSSIER_MODEL={chosen_model} {command}" if chosen_model else command
    fitted = Answerability(
        model.features,
        model.mean,
        model.scale,
        model.coef,
        model.intercept,
        chosen["threshold"],
        {
            "about": "Answerability model of service/answer; see bench/fit_answerability.py.",
            "fitted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": command,
            "set": str(args.set),
            "set_sha256": hashlib.sha256(args.set.read_bytes()).hexdigest(),
            "split": args.split,
            "embedding_model": canonical_model_name(index.manifest.model),
            "index_id": index.manifest.index_id,
            "sentence_vectors": sentence_method(index.manifest),
            "questions": len(prepared),
            "answerable": n_answerable,
            "unanswerable": len(prepared) - n_answerable,
            "training_rows": len(y),
            "positive_rows": int(y.sum()),
            "l2": args.l2,
            "target_precision_when_answering": args.precision,
            "max_refusals_if_target_missed": args.max_refusals,
            "tune_figures_at_threshold": {k: round(v, 4) for k, v in chosen.items()},
            "question_auc_answerable_vs_not": {
                k: None if v is None else round(v, 4) for k, v in separation.items()
            },
        },
    )
    fitted.save(out)
    print(f"features:   {', '.join(fitted.features)}")
    print(
        "coef:       "
        + ", ".join(f"{f}={c:+.3f}" for f, c in zip(fitted.features, fitted.coef, strict=True))
    )
    print(f"rows: {len(y)} ({int(y.sum())} positive) from {len(prepared)} {args.split} questions")
    print("threshold  precision  accuracy  refused  abst.recall  coverage")
    for r in rows[::5]:
        print(
            f"{r['threshold']:9.2f}  {r['precision_when_answering']:9.3f}  "
            f"{r['answer_accuracy']:8.3f}  {r['false_refusals']:7.3f}  "
            f"{r['abstention_recall']:11.3f}  {r['coverage']:8.3f}"
        )
    print(f"chosen: {chosen}")
    print(
        "question-level AUC, answerable vs not: "
        + ", ".join(f"{k} {'-' if v is None else f'{v:.3f}'}" for k, v in separation.items())
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
