"""Fit the answerability model on tune questions and choose its threshold.

    dossier ingest --data-dir DATA
    python bench/fit_answerability.py --data-dir DATA [--set eval/sets/article.jsonl]
        [--precision 0.95] [--reader PATH] [--out FILE]
    python bench/fit_answerability.py --pair SET=DATA_DIR [--pair SET=DATA_DIR ...]
        [--weight W ...] [--model FILE] [--cache DIR]

`--pair SET=DATA_DIR` (repeatable) fits on several question sets, each asked
of its own index (all of one embedding model), e.g. the article's tune split
and XQuAD tune questions in and across languages with near-miss unanswerables
(bench/xquad_tune.py writes those). Each pair weighs the same in the fit and
in choosing the threshold, whatever its size; `--weight`, once per pair in
order, changes that. `--model FILE` fits nothing and prints FILE's figures on
the pairs at its own threshold (the "before" of a refit).

Each candidate sentence of each tune question is one training row: its
evidence features (service/answer/evidence.py), labelled 1 when the question
is answerable and the sentence, read with its antecedent when it refers back,
contains an expected answer. A logistic regression is fitted on those rows.
The threshold is then chosen by composing every tune question's answer at
each candidate threshold: the lowest threshold whose precision when answering
(correct answers / answers given; with several pairs, their weighted mean)
reaches `--precision` refusing at most `--max-refusals`, else the one with the
best mean of answer accuracy and abstention recall. Only questions whose
`split` is `tune` are read; a set without splits is split provisionally (odd
lines tune, even test). The output file records the features, coefficients,
threshold, the tune figures (per pair too), the date and this command; review
it before committing it. By default it is the file the service reads for the
index's embedding model (`service/answer/answerability.json` for
all-MiniLM-L6-v2, `answerability.<model>.json` beside it for another, e.g.
with DOSSIER_MODEL=multilingual-e5-small), since the cosine features are on
that model's scale. It also records how well each question's best cosine and
best score separate answerable from unanswerable questions (question-level AUC).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import sys
from dataclasses import dataclass, field
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
from dossier.service.answer.evidence import OPTIONAL_FEATURES, SIGNS
from dossier.service.answer.question import Question
from dossier.service.answer.reader import Reader
from dossier.service.engine import Engine
from dossier.service.rerank import pool_size, rerank
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


@dataclass
class Asked:
    """One tune question as the engine reads it, retrieved once."""

    item: dict
    language: str
    vector: np.ndarray
    passages: list
    question: Question

    @property
    def answerable(self) -> bool:
        return self.item.get("answerable", True)


@dataclass
class Pair:
    """One question set asked of one index (`--pair SET=DATA_DIR`)."""

    set: Path
    data_dir: Path
    index: Index
    asked: list[Asked] = field(default_factory=list)
    weight: float = 1.0

    @property
    def name(self) -> str:
        return f"{self.set.name}@{self.data_dir.name}"


def parse_pair(text: str) -> tuple[Path, Path]:
    """`SET=DATA_DIR` → (set, data dir); argparse reports a malformed one."""
    set_path, sep, data_dir = text.partition("=")
    if not sep or not set_path or not data_dir:
        raise argparse.ArgumentTypeError(f"{text!r}: write SET=DATA_DIR")
    return Path(set_path), Path(data_dir)


def retrieve(
    index: Index,
    questions: list[dict],
    pair: tuple[Path, Path],
    cache: Path | None,
    k: int,
    *,
    reader: Reader | None = None,
    pool: int = 0,
) -> list[tuple]:
    """(question vector, passages) per question, `reader`'s second look (service/rerank.py)
    picking `k` of `pool` as the service does; kept under `--cache` for re-runs on one index."""
    texts = [item["question"] for item in questions]
    pool = pool_size(reader, k, pool)
    key = (index.index_id, k, pool, tuple(texts))
    path = None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(repr((str(pair[0]), str(pair[1]))).encode()).hexdigest()[:16]
        path = cache / f"{digest}.pickle"
        if path.is_file():
            cached = pickle.loads(path.read_bytes())
            if cached["key"] == key:
                return cached["found"]
    vectors = index.encode_queries(texts)
    found = [
        (vector, rerank(text, index.search(text, k=pool, query_vector=vector), index, reader, k))
        for text, vector in zip(texts, vectors, strict=True)
    ]
    if path:
        path.write_bytes(pickle.dumps({"key": key, "found": found}))
    return found


def decided(asked: Asked, pair: Pair, model: Answerability, reader, grid: np.ndarray) -> list:
    """Per threshold of `grid`: (abstained, correct) as `compose` answers the question.

    compose's output changes only where the threshold crosses one of the
    question's sentence scores, so it is composed once per distinct set of
    sentences passing (every threshold, for a multi-part question, whose
    parts are scored apart).
    """
    evidence = features(asked.question, asked.vector, asked.passages, pair.index, reader=reader)
    scores = model.probability(evidence.table, evidence.columns) * evidence.eligible
    best = float(scores.max()) if scores.size else 0.0
    memo: dict[int, tuple[bool, bool]] = {}
    out = []
    for threshold in grid:
        if best < threshold:
            out.append((True, False))
            continue
        key = int((scores >= threshold).sum()) if not asked.question.parts else -len(out) - 1
        if key not in memo:
            composed = compose(
                asked.item["question"],
                asked.vector,
                asked.passages,
                pair.index,
                model,
                reader=reader,
                language=asked.language,
                threshold=float(threshold),
            )
            memo[key] = (
                composed.abstained,
                asked.answerable and not composed.abstained and correct(composed.text, asked.item),
            )
        out.append(memo[key])
    return out


def figures(decisions: list[list[tuple[bool, bool]]], asked: list[Asked], t: int) -> dict:
    """Tune figures of one pair's questions at the grid's `t`-th threshold."""
    answered = right = refused = abstained_right = 0
    for per_threshold, a in zip(decisions, asked, strict=True):
        abstained, is_right = per_threshold[t]
        if abstained:
            refused += a.answerable
            abstained_right += not a.answerable
        else:
            answered += 1
            right += is_right
    n_answerable = sum(a.answerable for a in asked)
    n_unanswerable = len(asked) - n_answerable
    row = {
        "precision_when_answering": right / answered if answered else 1.0,
        "answer_accuracy": right / n_answerable if n_answerable else 0.0,
        "false_refusals": refused / n_answerable if n_answerable else 0.0,
        "abstention_recall": abstained_right / n_unanswerable if n_unanswerable else 1.0,
        "coverage": answered / len(asked),
    }
    row["balanced"] = (row["answer_accuracy"] + row["abstention_recall"]) / 2
    return row


def threshold_rows(
    pairs: list[Pair],
    decisions: dict[str, list[list]],
    grid: np.ndarray,
    members: dict[str, list[int]] | None = None,
) -> list[dict]:
    """Per threshold of `grid`: the pairs' figures and their weighted mean (each set counts
    the same, whatever its size). `members`, per pair, the indexes of its questions to count
    (default: all)."""
    rows = []
    share = np.array([p.weight for p in pairs]) / sum(p.weight for p in pairs)
    for t, threshold in enumerate(grid):
        per_pair = {}
        for p in pairs:
            keep = range(len(p.asked)) if members is None else members[p.name]
            per_pair[p.name] = figures(
                [decisions[p.name][i] for i in keep], [p.asked[i] for i in keep], t
            )
        row = {"threshold": float(threshold)}
        for key in next(iter(per_pair.values())):
            row[key] = float(sum(s * f[key] for s, f in zip(share, per_pair.values(), strict=True)))
        row["per_pair"] = per_pair
        rows.append(row)
    return rows


def choose(rows: list[dict], precision: float, max_refusals: float) -> tuple[dict, bool]:
    """The lowest threshold precise enough while refusing few (as few refusals as possible),
    else the best balance of answering and abstaining; and whether the target was met."""
    meeting = [
        r
        for r in rows
        if r["precision_when_answering"] >= precision and r["false_refusals"] <= max_refusals
    ]
    if meeting:
        return meeting[0], True
    bearable = [r for r in rows if r["false_refusals"] <= max_refusals] or rows
    return max(bearable, key=lambda r: (r["balanced"], -r["threshold"])), False


def cross_validate(
    pairs: list[Pair],
    table: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    owner: np.ndarray,
    names: tuple[str, ...],
    reader: Reader | None,
    args: argparse.Namespace,
) -> dict[float, dict]:
    """Held-out figures per L2 strength: the tune questions in `args.folds` folds (by
    question, within each pair); each fold answered by a model fitted, and a threshold
    chosen, on the others alone. What the in-sample figures of a fit cannot say: how well
    that strength of the penalty carries to questions it has not seen."""
    everyone = [(p, i) for p in pairs for i in range(len(p.asked))]
    fold_of = np.array([n % args.folds for n in range(len(everyone))])
    grid = np.round(np.arange(0.05, 0.96, 0.02), 2)
    out: dict[float, dict] = {}
    for l2 in args.l2:
        held: dict[str, list] = {p.name: [None] * len(p.asked) for p in pairs}
        for fold in range(args.folds):
            train_rows = fold_of[owner] != fold
            model = fit(
                table[train_rows],
                y[train_rows],
                names,
                l2=l2,
                signs=SIGNS,
                weights=w[train_rows],
            )
            decisions = {p.name: [[] for _ in p.asked] for p in pairs}
            members_in: dict[str, list[int]] = {p.name: [] for p in pairs}
            members_out: dict[str, list[int]] = {p.name: [] for p in pairs}
            for n, (p, i) in enumerate(everyone):
                decisions[p.name][i] = decided(p.asked[i], p, model, reader, grid)
                (members_out if fold_of[n] == fold else members_in)[p.name].append(i)
            chosen, _ = choose(
                threshold_rows(pairs, decisions, grid, members_in),
                args.precision,
                args.max_refusals,
            )
            t = int(np.flatnonzero(grid == chosen["threshold"])[0])
            for p in pairs:
                for i in members_out[p.name]:
                    held[p.name][i] = [decisions[p.name][i][t]]
        row = threshold_rows(pairs, held, np.array([0.0]))[0]
        out[l2] = {k: v for k, v in row.items() if k != "threshold"}
        print(
            f"l2 {l2:g}, {args.folds}-fold held out: "
            + ", ".join(f"{k} {v:.3f}" for k, v in out[l2].items() if not isinstance(v, dict)),
            file=sys.stderr,
        )
        if len(pairs) > 1:
            for name, f in row["per_pair"].items():
                print(
                    f"  {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in f.items()), file=sys.stderr
                )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:3]),
    )
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--set", type=Path, default=Path("eval/sets/article.jsonl"))
    parser.add_argument(
        "--pair",
        type=parse_pair,
        action="append",
        default=[],
        metavar="SET=DATA_DIR",
        help="a question set and the data dir of the index to ask it of; repeat for several "
        "(every index of one embedding model). Replaces --set/--data-dir",
    )
    parser.add_argument("--split", default="tune")
    parser.add_argument("--precision", type=float, default=0.95)
    parser.add_argument(
        "--l2",
        type=float,
        nargs="+",
        default=[1.0],
        help="L2 penalty; with several and --folds, the one whose held-out figures are best",
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=0,
        help="cross-validate on the tune questions in this many folds (by question) and "
        "record the held-out figures; needed to choose among several --l2",
    )
    parser.add_argument(
        "--max-refusals",
        type=float,
        default=0.15,
        help="refuse at most this share of answerable questions; when --precision cannot be "
        "reached so, the threshold with the best mean of answer accuracy and abstention recall",
    )
    parser.add_argument(
        "--reader",
        default="none",
        help="none, auto (the shipped reader) or a reader's path (service/answer/reader.py); "
        "it scores the candidates the service's default reader_candidates names",
    )
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--top", type=int, default=8, help="training rows per question")
    parser.add_argument(
        "--features",
        default=None,
        help="comma-separated features to fit (default: every evidence column); only "
        "evidence.OPTIONAL_FEATURES may be left out",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="default: the service's file for the index's embedding model",
    )
    parser.add_argument("--cache", type=Path, default=None, help="keep retrieval results here")
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="fit nothing: print this fitted file's figures on the pairs at its own threshold",
    )
    parser.add_argument(
        "--weight",
        type=float,
        action="append",
        default=[],
        help="per --pair, in order: its weight in the fit and in choosing the threshold "
        "(default 1 each)",
    )
    args = parser.parse_args()
    if len(args.l2) > 1 and args.folds < 2:
        parser.error("several --l2 values need --folds (2 or more) to choose among them")
    wanted_pairs = args.pair or [(args.set, args.data_dir)]
    reader = load_reader(args.reader)

    pairs: list[Pair] = []
    tables, labels, weights, owners = [], [], [], []
    best_cosines: dict[str, list[float]] = {"cos_sentence": [], "cos_context": []}
    columns: tuple[str, ...] = ()
    models = set()
    n_asked = 0  # questions read so far, over every pair: a training row's owner
    for set_path, data_dir in wanted_pairs:
        settings = Settings(data_dir=data_dir, reader=args.reader)
        index = Engine(settings).index
        models.add(canonical_model_name(index.manifest.model))
        if len(models) > 1:
            print(
                f"the indexes hold vectors of different models: {sorted(models)}", file=sys.stderr
            )
            return 2
        store = index.sentences
        assert store is not None
        questions = load_questions(set_path, args.split)
        if not questions:
            print(f"no {args.split!r} questions in {set_path}", file=sys.stderr)
            return 2
        pair = Pair(set_path, data_dir, index)
        pairs.append(pair)
        # Each question is read in its language, as the engine reads it.
        languages = [
            language or settings.lexical_language
            for language in index.question_languages([item["question"] for item in questions])
        ]
        found = retrieve(
            index,
            questions,
            (set_path, data_dir),
            args.cache,
            args.k,
            reader=reader,
            pool=settings.rerank_pool,
        )
        rows_before = len(labels)
        for item, language, (vector, passages) in zip(questions, languages, found, strict=True):
            question = analyse(
                item["question"], lexicon_for(language), store.idf, aliases=store.aliases
            )
            asked = Asked(item, language, vector, passages, question)
            evidence = features(question, vector, passages, index, reader=reader)
            columns = evidence.columns
            for name, values in best_cosines.items():
                column = evidence.column(name)
                values.append(float(column.max()) if column.size else 0.0)
            # Train on the candidates closest in meaning: the answer decision is made among
            # them, and the many remote sentences would otherwise swamp the few that matter.
            keep = np.argsort(-evidence.column("cos_context"), kind="stable")[: args.top]
            for i in keep:
                rows = store.read_rows(evidence.candidates[i].row)
                labels.append(
                    asked.answerable and supports(" ".join(store.text(r) for r in rows), item)
                )
            tables.append(evidence.table[keep])
            owners.extend([n_asked] * len(keep))
            n_asked += 1
            pair.asked.append(asked)
        # Each pair weighs the same in the fit, however many questions it has.
        n_rows = len(labels) - rows_before
        weight = args.weight[len(pairs) - 1] if len(args.weight) >= len(pairs) else 1.0
        pair.weight = weight
        weights.extend([weight / max(1, n_rows)] * n_rows)
        print(
            f"{pair.name}: {len(pair.asked)} questions, "
            f"{sum(not a.answerable for a in pair.asked)} unanswerable, {n_rows} rows",
            file=sys.stderr,
        )

    chosen_features = tuple(args.features.split(",")) if args.features else columns
    unknown = [f for f in chosen_features if f not in columns]
    needed = [c for c in columns if c not in chosen_features and c not in OPTIONAL_FEATURES]
    if unknown or needed:
        print(
            f"--features: unknown {', '.join(unknown) or '-'}, needed {', '.join(needed) or '-'} "
            f"(columns: {', '.join(columns)}; optional: {', '.join(sorted(OPTIONAL_FEATURES))})",
            file=sys.stderr,
        )
        return 2
    table = np.concatenate(tables)[:, [columns.index(f) for f in chosen_features]]
    y = np.array(labels, dtype=bool)
    w = np.array(weights) * len(y) / sum(weights)
    held_out: dict[float, dict] = {}
    if args.folds > 1:
        held_out = cross_validate(
            pairs, table, y, w, np.array(owners), chosen_features, reader, args
        )
    # The strength that carried best to held-out questions (ties: the stronger penalty).
    l2 = max(args.l2, key=lambda v: (held_out[v]["balanced"], v)) if held_out else args.l2[0]
    model = fit(table, y, chosen_features, l2=l2, signs=SIGNS, weights=w)
    if args.model:
        model = Answerability.load(args.model)
        grid = np.array([model.threshold])
        for pair in pairs:
            decisions = [decided(a, pair, model, reader, grid) for a in pair.asked]
            row = figures(decisions, pair.asked, 0)
            print(f"{pair.name}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()))
        return 0
    everyone = [a for pair in pairs for a in pair.asked]
    answerables = [a.answerable for a in everyone]
    best_scores = []
    for pair in pairs:
        for a in pair.asked:
            evidence = features(a.question, a.vector, a.passages, pair.index, reader=reader)
            scores = model.probability(evidence.table, evidence.columns)
            best_scores.append(float(scores.max()) if scores.size else 0.0)
    separation = {f"best_{name}": auc(values, answerables) for name, values in best_cosines.items()}
    separation["best_score"] = auc(best_scores, answerables)

    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    decisions = {
        pair.name: [decided(a, pair, model, reader, grid) for a in pair.asked] for pair in pairs
    }
    rows = threshold_rows(pairs, decisions, grid)
    chosen, met = choose(rows, args.precision, args.max_refusals)
    if not met:
        print(
            f"no threshold reaches precision {args.precision} refusing at most "
            f"{args.max_refusals:.0%} of answerable {args.split} questions",
            file=sys.stderr,
        )
    chosen_model = os.environ.get("DOSSIER_MODEL")
    command = "python bench/fit_answerability.py " + " ".join(sys.argv[1:])
    command = f"DOSSIER_MODEL={chosen_model} {command}" if chosen_model else command
    n_answerable = sum(answerables)
    first = pairs[0]
    meta = {
        "about": "Answerability model of service/answer; see bench/fit_answerability.py.",
        "fitted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": command,
        "set": str(first.set) if len(pairs) == 1 else [str(p.set) for p in pairs],
        "set_sha256": hashlib.sha256(first.set.read_bytes()).hexdigest()
        if len(pairs) == 1
        else [hashlib.sha256(p.set.read_bytes()).hexdigest() for p in pairs],
        "split": args.split,
        "embedding_model": next(iter(models)),
        "index_id": first.index.manifest.index_id
        if len(pairs) == 1
        else [p.index.manifest.index_id for p in pairs],
        "sentence_vectors": ", ".join(sorted({sentence_method(p.index.manifest) for p in pairs})),
        "questions": len(everyone),
        "answerable": n_answerable,
        "unanswerable": len(everyone) - n_answerable,
        "training_rows": len(y),
        "positive_rows": int(y.sum()),
        "l2": l2,
        "target_precision_when_answering": args.precision,
        "max_refusals_if_target_missed": args.max_refusals,
        "tune_figures_at_threshold": {
            k: round(v, 4) for k, v in chosen.items() if not isinstance(v, dict)
        },
        "question_auc_answerable_vs_not": {
            k: None if v is None else round(v, 4) for k, v in separation.items()
        },
    }
    if held_out:
        meta["held_out_figures"] = {
            "folds": args.folds,
            **{
                f"l2={v:g}": {
                    k: round(x, 4)
                    if not isinstance(x, dict)
                    else {n: {m: round(y, 4) for m, y in g.items()} for n, g in x.items()}
                    for k, x in f.items()
                    if not isinstance(x, dict) or len(pairs) > 1
                }
                for v, f in held_out.items()
            },
        }
    if len(pairs) > 1:
        meta["tune_figures_per_pair"] = {
            name: {k: round(v, 4) for k, v in f.items()} for name, f in chosen["per_pair"].items()
        }
    fitted = Answerability(
        model.features,
        model.mean,
        model.scale,
        model.coef,
        model.intercept,
        chosen["threshold"],
        meta,
    )
    out = args.out or model_path(first.index.manifest.model)
    fitted.save(out)
    print(f"features:   {', '.join(fitted.features)}")
    print(
        "coef:       "
        + ", ".join(f"{f}={c:+.3f}" for f, c in zip(fitted.features, fitted.coef, strict=True))
    )
    print(f"rows: {len(y)} ({int(y.sum())} positive) from {len(everyone)} {args.split} questions")
    print("threshold  precision  accuracy  refused  abst.recall  coverage")
    for r in rows[::5]:
        print(
            f"{r['threshold']:9.2f}  {r['precision_when_answering']:9.3f}  "
            f"{r['answer_accuracy']:8.3f}  {r['false_refusals']:7.3f}  "
            f"{r['abstention_recall']:11.3f}  {r['coverage']:8.3f}"
        )
    print(f"chosen: threshold {chosen['threshold']}")
    for name, f in chosen["per_pair"].items():
        print(f"  {name}: " + ", ".join(f"{k} {v:.3f}" for k, v in f.items()))
    print(
        "question-level AUC, answerable vs not: "
        + ", ".join(f"{k} {'-' if v is None else f'{v:.3f}'}" for k, v in separation.items())
    )
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
