"""Lexical retrieval: BM25 (bm25s, Lucene variant) over stemmed, stop-word-free tokens.

Queries are tokenised by the same function, with the stemmer and stop words
stored beside the index, so a query matches the index it is run against even
if the configured language has changed since.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import bm25s
import bm25s.stopwords
import numpy as np
import Stemmer

from dossier.index.hits import Hits, top_n

log = logging.getLogger(__name__)

DIRNAME = "lexical"
CONFIG_FILE = "config.json"
TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # bm25s's default: words of two characters or more

_ISO = {
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}


@dataclass(frozen=True)
class LexicalConfig:
    """How BM25 scores and how text becomes tokens."""

    language: str = "english"
    method: str = "lucene"
    k1: float = 1.5
    b: float = 0.75


def stemmer_name(language: str) -> str | None:
    name = _ISO.get(language.lower(), language.lower())
    return name if name in Stemmer.algorithms() else None


def stopwords_for(language: str) -> list[str]:
    name = _ISO.get(language.lower(), language.lower())
    constant = "STOPWORDS_EN" if name == "english" else f"STOPWORDS_{name.upper()}"
    return sorted(getattr(bm25s.stopwords, constant, ()))


@dataclass
class Tokenizer:
    """bm25s.tokenize with a PyStemmer stemmer and a stop-word list; safe across threads."""

    stemmer: str | None
    stopwords: list[str]
    _stemmer: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._stemmer = Stemmer.Stemmer(self.stemmer) if self.stemmer else None

    def __call__(self, texts: list[str]) -> list[list[str]]:
        if not texts:
            return []
        with self._lock:  # PyStemmer objects are not thread-safe
            return bm25s.tokenize(
                list(texts),
                lower=True,
                token_pattern=TOKEN_PATTERN,
                stopwords=self.stopwords,
                stemmer=self._stemmer,
                return_ids=False,
                show_progress=False,
            )


class LexicalIndex:
    """BM25 over passages; row i is passage i."""

    def __init__(
        self,
        retriever: bm25s.BM25 | None,
        config: LexicalConfig,
        tokenizer: Tokenizer,
        size: int,
    ) -> None:
        self.retriever = retriever  # None when no passage has a single token
        self.config = config
        self.tokenizer = tokenizer
        self.size = size

    @classmethod
    def build(cls, texts: list[str], config: LexicalConfig | None = None) -> LexicalIndex:
        config = config or LexicalConfig()
        stem = stemmer_name(config.language)
        stopwords = stopwords_for(config.language)
        if stem is None:
            log.warning("no stemmer for language %r: BM25 matches unstemmed words", config.language)
        if not stopwords:
            log.warning("no stop-word list for language %r: BM25 keeps every word", config.language)
        tokenizer = Tokenizer(stem, stopwords)
        tokens = tokenizer(texts)
        retriever = None
        if any(tokens):
            retriever = bm25s.BM25(method=config.method, k1=config.k1, b=config.b)
            retriever.index(tokens, show_progress=False)
        return cls(retriever, config, tokenizer, len(texts))

    def settings(self) -> dict[str, Any]:
        """What the manifest records about lexical retrieval."""
        return {
            **asdict(self.config),
            "stemmer": self.tokenizer.stemmer,
            "stopwords": len(self.tokenizer.stopwords),
            "token_pattern": TOKEN_PATTERN,
            "library": f"bm25s {bm25s.__version__}",
        }

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        config = {
            **asdict(self.config),
            "stemmer": self.tokenizer.stemmer,
            "stopwords": self.tokenizer.stopwords,
            "token_pattern": TOKEN_PATTERN,
            "size": self.size,
            "empty": self.retriever is None,
        }
        (folder / CONFIG_FILE).write_text(json.dumps(config, indent=1), encoding="utf-8")
        if self.retriever is not None:
            self.retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        config = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
        if config.get("token_pattern", TOKEN_PATTERN) != TOKEN_PATTERN:
            raise ValueError(
                f"lexical index tokenised with an unknown pattern {config['token_pattern']!r}"
            )
        tokenizer = Tokenizer(config["stemmer"], list(config["stopwords"]))
        retriever = None
        if not config["empty"]:
            retriever = bm25s.BM25.load(str(folder), show_progress=False)
            if int(retriever.scores["num_docs"]) != int(config["size"]):
                raise ValueError("lexical index holds a different number of passages than recorded")
        lexical = LexicalConfig(
            language=config["language"], method=config["method"], k1=config["k1"], b=config["b"]
        )
        return cls(retriever, lexical, tokenizer, int(config["size"]))

    # Scoring -------------------------------------------------------------------

    def query_ids(self, queries: list[str]) -> list[np.ndarray]:
        """Each query's token ids in the index vocabulary (unknown and stop words dropped)."""
        if self.retriever is None:
            return [np.zeros(0, dtype=np.int64) for _ in queries]
        vocab = self.retriever.vocab_dict
        return [
            np.array([vocab[t] for t in tokens if t and t in vocab], dtype=np.int64)
            for tokens in self.tokenizer(queries)
        ]

    def score_ids(self, ids: np.ndarray) -> np.ndarray:
        """BM25 score of every passage for one tokenised query, (size,) float64."""
        if self.retriever is None or ids.size == 0:
            return np.zeros(self.size, dtype=np.float64)
        return np.asarray(self.retriever.get_scores_from_ids(ids.tolist()), dtype=np.float64)

    def scores(self, queries: list[str]) -> np.ndarray:
        """BM25 scores of every passage for each query, (len(queries), size) float64."""
        out = np.zeros((len(queries), self.size), dtype=np.float64)
        for i, ids in enumerate(self.query_ids(queries)):
            out[i] = self.score_ids(ids)
        return out

    def hits(self, scores: np.ndarray, n: int, *, allowed: np.ndarray | None = None) -> Hits:
        """The `n` best rows with a positive score, optionally among `allowed` rows only."""
        rows = np.flatnonzero(scores > 0) if allowed is None else allowed[scores[allowed] > 0]
        return top_n(scores[rows], n, rows=rows)

    def search(
        self, queries: list[str], n: int, *, allowed: np.ndarray | None = None
    ) -> list[Hits]:
        """The `n` best-scoring rows for each query; a query with no known word gets none."""
        return [
            self.hits(self.score_ids(ids), n, allowed=allowed) for ids in self.query_ids(queries)
        ]


__all__ = ["LexicalConfig", "LexicalIndex", "Tokenizer", "stemmer_name", "stopwords_for"]
