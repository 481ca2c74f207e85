"""Extractive answers: the retrieved passages' own sentences, each cited.

An answer is built only from sentences of retrieved passages, so every claim
points at exact document offsets. When no sentence is close enough to the
question, the answer abstains instead of stretching a weak match.

A sentence is scored on five features (see `features`) with hand-set weights;
`bench/answer_tuning.py` measures them on each half of the evaluation set.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass

import numpy as np
import Stemmer

from dossier.index.embed import Embedder
from dossier.ingest.split import sentence_spans
from dossier.types import Citation, Document, ScoredPassage

ABSTENTION = "The sources do not cover this question"
FEATURES = ("meaning", "sentence", "words", "rank", "kind")

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    """a an and are as at be been by did do does for from had has have how in is it its of on or
    that the their them they this to was were what when where which who whom whose why will with
    would about after before between during into over under than then there these those much
    many""".split()
)
_URL = re.compile(r"^\s*https?://\S+\s*$")
_ANY_URL = re.compile(r"https?://\S+")
_ENDS_SENTENCE = re.compile(r"[.!?…:;][\"”’')\]]*$")
_DATED_ITEM = re.compile(r"\(\s*(1[89]|20)\d\d")
_YEAR = re.compile(
    r"\b(1[89]|20)\d\d\b|\b(January|February|March|April|May|June|July|August|"
    r"September|October|November|December)\b"
)
_NUMBER = re.compile(r"\d")
_ASKS_WHEN = re.compile(
    r"^\s*(when|in what year|what year|which year|since when|in which year)\b", re.I
)
_ASKS_AMOUNT = re.compile(
    r"^\s*(how (much|many|far|large|big|long)|what (was|is) the (value|volume|amount|size|share|"
    r"number|area|rate|level)|what (share|percentage|proportion|fraction))\b"
    r"|\b(percentage|how much|how many)\b",
    re.I,
)
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_stemmer = Stemmer.Stemmer("english")


@dataclass(frozen=True)
class Weights:
    meaning: float = 0.55
    sentence: float = 0.15
    words: float = 0.3
    rank: float = 0.1
    kind: float = 0.1


WEIGHTS = Weights()


@dataclass(frozen=True)
class Sentence:
    source_id: str
    passage_id: str
    start: int
    end: int
    text: str
    context: str
    rank: int


def _is_heading(text: str) -> bool:
    """Titles, section headings and bare URLs: short lines that state nothing.

    A dated list item ("Treaty of Friendship (1992)") does state something and stays.
    """
    return bool(_URL.match(text)) or (
        not _ENDS_SENTENCE.search(text.rstrip()) and not _DATED_ITEM.search(text)
    )


def candidate_sentences(
    passages: list[ScoredPassage], documents: dict[str, Document]
) -> list[Sentence]:
    """Sentences of the retrieved passages, located in their documents, without repeats.

    Overlapping passages share sentences; each (source, start) is kept once,
    attributed to the best-ranked passage holding it. Each sentence carries
    the sentence before it as context, so "This was completed in 2001." is
    read as being about what the previous sentence named.
    """
    seen: set[tuple[str, int]] = set()
    out: list[Sentence] = []
    for rank, passage in enumerate(passages):
        text = documents[passage.source_id].text
        previous = ""
        for s, e in sentence_spans(passage.text):
            start, end = passage.start + s, passage.start + e
            sentence = text[start:end]
            key = (passage.source_id, start)
            if key not in seen and not _is_heading(sentence):
                seen.add(key)
                context = f"{previous} {sentence}" if previous else sentence
                out.append(
                    Sentence(passage.source_id, passage.id, start, end, sentence, context, rank)
                )
            if not _is_heading(sentence):
                previous = sentence
    return out


def stems(text: str) -> set[str]:
    words = [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]
    return set(_stemmer.stemWords(words))


def answer_kind(question: str) -> re.Pattern[str] | None:
    """What a sentence must contain to answer a when- or how-much question."""
    if _ASKS_WHEN.search(question):
        return _YEAR
    if _ASKS_AMOUNT.search(question):
        return _NUMBER
    return None


def figures(text: str) -> set[str]:
    """The numbers a text states; digits inside URLs state nothing."""
    return {f.replace(",", "") for f in _FIGURE.findall(_ANY_URL.sub(" ", text))}


def features(
    question: str, question_vector: np.ndarray, sentences: list[Sentence], embedder: Embedder
) -> np.ndarray:
    """One row per sentence, one column per name in `FEATURES`.

    - meaning: cosine of the question with the sentence read after the one before it;
    - sentence: cosine of the question with the sentence alone;
    - words: share of the question's content stems found in that context;
    - rank: 1 / (1 + rank of the passage the sentence came from);
    - kind: +1 when a when/how-much question meets a date/number, -1 when it does not.
    """
    if not sentences:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    vectors = embedder.encode([s.text for s in sentences] + [s.context for s in sentences])
    n = len(sentences)
    asked, kind = stems(question), answer_kind(question)
    extra = np.array(
        [
            (
                len(asked & stems(s.context)) / len(asked) if asked else 0.0,
                1.0 / (1 + s.rank),
                0.0 if kind is None else (1.0 if kind.search(s.text) else -1.0),
            )
            for s in sentences
        ],
        dtype=np.float32,
    )
    return np.column_stack(
        [vectors[n:] @ question_vector, vectors[:n] @ question_vector, extra]
    ).astype(np.float32)


def uncovered(question: str, passages: list[ScoredPassage], min_coverage: float) -> str | None:
    """Why the retrieved passages cannot answer the question, or None if they might.

    Two signs that hold whatever the wording: a number the question names
    (a year, an amount) appears in none of them, or most of what the question
    is about is not mentioned in them.
    """
    text = " ".join(p.text for p in passages)
    missing = sorted(figures(question) - figures(text))
    if missing:
        return f"the passages found never mention {', '.join(missing)}"
    asked, found = stems(question), stems(text)
    if asked and len(asked & found) / len(asked) < min_coverage:
        absent = [w for w in _WORD.findall(question) if stems(w) and stems(w) <= asked - found]
        return f"the passages found do not mention {', '.join(dict.fromkeys(absent))}"
    return None


def scores(table: np.ndarray, weights: Weights = WEIGHTS) -> np.ndarray:
    return table @ np.array(astuple(weights), dtype=np.float32)


def select(values: np.ndarray, *, max_sentences: int, threshold: float, margin: float) -> list[int]:
    """Rows to cite: the best, and those within `margin` of it; none below `threshold`."""
    if values.size == 0 or float(values.max()) < threshold:
        return []
    best = float(values.max())
    order = np.argsort(-values, kind="stable")
    return [int(i) for i in order if values[i] >= max(threshold, best - margin)][:max_sentences]


def compose(
    question: str,
    passages: list[ScoredPassage],
    documents: dict[str, Document],
    embedder: Embedder,
    *,
    max_sentences: int,
    threshold: float,
    margin: float,
    min_coverage: float,
) -> tuple[str, list[Citation]]:
    """The answer text with `[n]` markers, and its citations; abstains when nothing fits."""
    reason = uncovered(question, passages, min_coverage)
    if reason:
        return f"{ABSTENTION}: {reason}.", []
    sentences = candidate_sentences(passages, documents)
    table = features(question, embedder.encode_query(question), sentences, embedder)
    chosen = select(scores(table), max_sentences=max_sentences, threshold=threshold, margin=margin)
    if not chosen:
        return f"{ABSTENTION}: no passage found says it.", []
    citations: list[Citation] = []
    parts: list[str] = []
    for n, i in enumerate(chosen, start=1):
        sentence = sentences[i]
        document = documents[sentence.source_id]
        citations.append(
            Citation(
                n=n,
                source_id=sentence.source_id,
                title=document.title,
                url=document.url,
                passage_id=sentence.passage_id,
                quote=sentence.text,
                start=sentence.start,
                end=sentence.end,
                page=document.page_at(sentence.start),
            )
        )
        parts.append(f"{' '.join(sentence.text.split())} [{n}]")
    return " ".join(parts), citations
