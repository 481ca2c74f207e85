"""Extractive answers: the retrieved passages' own sentences, each cited.

An answer is built only from sentences of retrieved passages, so every claim
points at exact document offsets. When no sentence is close enough to the
question, the answer abstains instead of stretching a weak match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from dossier.index.embed import Embedder
from dossier.ingest.split import sentence_spans
from dossier.types import Citation, Document, ScoredPassage

ABSTENTION = "The sources do not cover this question: no retrieved passage answers it."

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "would",
        "about",
        "after",
        "before",
        "between",
        "during",
        "into",
        "over",
        "under",
        "than",
        "then",
        "there",
        "these",
        "those",
    ]
)
MIN_SENTENCE_CHARS = 12


@dataclass(frozen=True)
class Sentence:
    source_id: str
    passage_id: str
    start: int
    end: int
    text: str
    rank: int


def candidate_sentences(
    passages: list[ScoredPassage], documents: dict[str, Document]
) -> list[Sentence]:
    """Sentences of the retrieved passages, located in their documents, without repeats.

    Overlapping passages share sentences; each (source, start) is kept once,
    attributed to the best-ranked passage holding it.
    """
    seen: set[tuple[str, int]] = set()
    out: list[Sentence] = []
    for rank, passage in enumerate(passages):
        text = documents[passage.source_id].text
        for s, e in sentence_spans(passage.text):
            start, end = passage.start + s, passage.start + e
            key = (passage.source_id, start)
            if key in seen or end - start < MIN_SENTENCE_CHARS:
                continue
            seen.add(key)
            out.append(Sentence(passage.source_id, passage.id, start, end, text[start:end], rank))
    return out


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


def score_sentences(
    question: str, question_vector: np.ndarray, sentences: list[Sentence], embedder: Embedder
) -> np.ndarray:
    """Cosine similarity to the question, nudged by shared content words.

    The lexical share rescues exact names and numbers that a small embedding
    model blurs; it is capped so it cannot outvote meaning.
    """
    if not sentences:
        return np.zeros(0, dtype=np.float32)
    vectors = embedder.encode([s.text for s in sentences])
    cosine = vectors @ question_vector
    asked = content_words(question)
    overlap = np.array(
        [len(asked & content_words(s.text)) / len(asked) if asked else 0.0 for s in sentences],
        dtype=np.float32,
    )
    return 0.8 * cosine + 0.2 * overlap


def compose(
    question: str,
    passages: list[ScoredPassage],
    documents: dict[str, Document],
    embedder: Embedder,
    *,
    max_sentences: int,
    threshold: float,
    margin: float,
) -> tuple[str, list[Citation]]:
    """Pick up to `max_sentences` sentences close to the best one; abstain below `threshold`."""
    sentences = candidate_sentences(passages, documents)
    scores = score_sentences(question, embedder.encode_query(question), sentences, embedder)
    if not sentences or float(scores.max()) < threshold:
        return ABSTENTION, []
    best = float(scores.max())
    order = np.argsort(-scores, kind="stable")
    chosen = [int(i) for i in order if scores[i] >= max(threshold, best - margin)][:max_sentences]
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
