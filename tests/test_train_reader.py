"""bench/train_reader.py's sentence targets: the vectors the answer step will score.

The question tower learns to meet the sentence vectors of the index; with
`--targets pooled` those are the pooled vectors of a real Dossier index of the
articles (token means inside the passages' forward passes), read as the answer
step reads them (a sentence that refers back, with the one before it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
from test_xquad_tune import load

from dossier.index.embed import load_embedder
from dossier.index.store import load_index, sentence_method
from dossier.settings import Settings

ARTICLES = {
    "bowl": [
        "The Broncos won the final game of the season 24 to 10 in February. "
        "This was their third title. The crowd numbered seventy thousand people.",
        "The stadium stands in Santa Clara, south of San Francisco. "
        "It opened in 2014 at a cost of 1.3 billion dollars.",
    ],
    "river": [
        "The Rhine rises in the Swiss Alps and flows north to the sea. "
        "Barges carry coal and grain along most of its length.",
        "Its delta lies in the Netherlands, where it meets the Meuse. Rotterdam, the "
        "largest port of Europe, stands on one of its mouths and handles most of its trade.",
    ],
}
QUESTIONS = [  # id, article, question, answer, the sentence that answers it
    ("q1", "bowl", "Who won the final game?", "Broncos", ARTICLES["bowl"][0].split(" This")[0]),
    ("q2", "bowl", "Which title was it for the Broncos?", "third", "This was their third title."),
    ("q3", "river", "What do barges carry on the Rhine?", "coal", ARTICLES["river"][0][62:]),
]


def write_xquad(root: Path) -> None:
    en = root / "en"
    (en / "texts").mkdir(parents=True)
    entries = []
    for slug, paragraphs in ARTICLES.items():
        text = slug.title() + "\n\n" + "\n\n".join(paragraphs)
        (en / "texts" / f"{slug}.txt").write_text(text, "utf-8")
        entries.append(
            f'[[source]]\nid = "xquad-en-{slug}"\npath = "texts/{slug}.txt"\nlanguage = "en"\n'
        )
    (en / "sources.toml").write_text("\n".join(entries), "utf-8")
    lines = [
        json.dumps(
            {
                "id": qid,
                "question": question,
                "answers": [answer],
                "evidence": [{"source": f"xquad-en-{slug}", "quote": quote}],
            }
        )
        for qid, slug, question, answer, quote in QUESTIONS
    ]
    (en / "questions.en.jsonl").write_text("\n".join(lines) + "\n", "utf-8")


@pytest.fixture(scope="module")
def reader_bench():
    return load("train_reader")


def arguments(root: Path, targets: str) -> argparse.Namespace:
    return argparse.Namespace(
        xquad=root / "xquad",
        languages=["en"],
        seed=1,
        same=4,
        silent=2,
        valid_share=0.0,
        pairs=0,
        targets=targets,
        index_dir=root / "index",
        base=None,
        max_sentence=96,
    )


def test_pooled_targets_are_the_index_vectors_read_as_the_answer_step_reads_them(
    tmp_path: Path, reader_bench
) -> None:
    write_xquad(tmp_path / "xquad")
    args = arguments(tmp_path, "pooled")
    pairs, _, _ = reader_bench.build(args)
    assert {p.kind for p in pairs} >= {"positive", "paragraph"}
    targets = reader_bench.sentence_targets(args, pairs)
    assert set(targets) == {p.span for p in pairs}

    settings = Settings(data_dir=args.index_dir / "en-pooled", sentence_vectors="pooled")
    index = load_index(settings, embedder=load_embedder(settings))
    assert sentence_method(index.manifest) == "pooled"
    store = index.sentences
    assert store is not None
    referring = 0
    for p in pairs:
        (row,) = store.rows_overlapping(p.source, p.start, p.end)
        assert store.text(row).startswith(p.sentence[:20])
        read_as = store.context_vectors if store.infos[row].refers_back else store.vectors
        assert np.allclose(targets[p.span], read_as[row])
        referring += store.infos[row].refers_back
    assert referring  # "This was their third title." is read after the sentence before it
    # Pooled inside the passage's forward pass, not the sentence encoded on its own.
    alone = reader_bench.sentence_targets(arguments(tmp_path, "text"), pairs)
    positive = next(p for p in pairs if p.qid == "q3" and p.kind == "positive")
    assert 0.5 < float(alone[positive.span] @ targets[positive.span]) < 0.999

    # An index made the other way is rebuilt with the asked method, not reused.
    separate = arguments(tmp_path, "separate")
    again = reader_bench.sentence_targets(separate, pairs)
    other = load_index(
        Settings(data_dir=separate.index_dir / "en-separate"),
        embedder=load_embedder(settings),
    )
    assert sentence_method(other.manifest) == "separate"
    assert not np.allclose(again[positive.span], targets[positive.span])
