"""Lexical retrieval: BM25 (bm25s, Lucene variant) over stemmed, stop-word-free tokens.

Each passage is analysed for its own language (its stemmer and stop words;
passages of unknown language use the configured one), and a query for its
own language, with the analysers stored beside the index, so a query matches
the index it is run against even if the configured language has changed since.
One BM25 index holds every language: stems of different languages rarely
collide, and names and numbers, which match across languages, stay shared.
"""

from __future__ import annotations

import json
import logging
import re
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


def analyser_name(language: str | None, default: str) -> str:
    """The analyser a text in `language` (ISO code or name; None: unknown) is tokenised by.

    Languages with a stemmer or stop words of their own get theirs ("fr" → "french");
    others (e.g. Kazakh) a plain one named by their code; unknown ones the default.
    """
    if not language:
        return default
    return _ISO.get(language.lower(), language.lower())


def stopwords_for(language: str) -> list[str]:
    name = _ISO.get(language.lower(), language.lower())
    constant = "STOPWORDS_EN" if name == "english" else f"STOPWORDS_{name.upper()}"
    return sorted(getattr(bm25s.stopwords, constant, ()))


@dataclass
class Tokenizer:
    """bm25s.tokenize's analysis (lower-case, `TOKEN_PATTERN`, stop words, then a PyStemmer
    stemmer), done here: bm25s builds three progress bars and a stop-word set per call, a
    cost every question paid. The tokens are the same; safe across threads."""

    stemmer: str | None
    stopwords: list[str]
    _stemmer: Any = field(default=None, init=False, repr=False)
    _stop: frozenset[str] = field(default=frozenset(), init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        self._stemmer = Stemmer.Stemmer(self.stemmer) if self.stemmer else None
        self._stop = frozenset(self.stopwords)

    def __call__(self, texts: list[str]) -> list[list[str]]:
        if not texts:
            return []
        stop = self._stop
        split = [[t for t in _SPLIT(text.lower()) if t not in stop] for text in texts]
        if self._stemmer is None:
            return split
        unique = list(dict.fromkeys(t for tokens in split for t in tokens))
        with self._lock:  # PyStemmer objects are not thread-safe
            stems = dict(zip(unique, self._stemmer.stemWords(unique), strict=True))
        return [[stems[t] for t in tokens] for tokens in split]


_SPLIT = re.compile(TOKEN_PATTERN).findall


class LexicalIndex:
    """BM25 over passages; row i is passage i."""

    def __init__(
        self,
        retriever: bm25s.BM25 | None,
        config: LexicalConfig,
        tokenizer: Tokenizer,
        size: int,
        analysers: dict[str, Tokenizer] | None = None,
    ) -> None:
        self.retriever = retriever  # None when no passage has a single token
        self.config = config
        self.tokenizer = tokenizer  # the default analyser: config.language
        self.size = size
        self.analysers: dict[str, Tokenizer] = {config.language: tokenizer, **(analysers or {})}
        self._lock = threading.Lock()

    @staticmethod
    def make_tokenizer(language: str) -> Tokenizer:
        """The analyser for a language name or code: its stemmer and stop words, if any."""
        stem = stemmer_name(language)
        stopwords = stopwords_for(language)
        if stem is None:
            log.info("no stemmer for language %r: BM25 matches its unstemmed words", language)
        if not stopwords:
            log.info("no stop-word list for language %r: BM25 keeps all its words", language)
        return Tokenizer(stem, stopwords)

    def analyser(self, language: str | None) -> Tokenizer:
        """The tokenizer for text in `language` (ISO code or name; None: the default)."""
        name = analyser_name(language, self.config.language)
        found = self.analysers.get(name)
        if found is None:
            with self._lock:
                found = self.analysers.setdefault(name, self.make_tokenizer(name))
        return found

    @classmethod
    def build(
        cls,
        texts: list[str],
        config: LexicalConfig | None = None,
        languages: list[str | None] | None = None,
    ) -> LexicalIndex:
        """BM25 over `texts`, each analysed for its language in `languages` (None: default)."""
        config = config or LexicalConfig()
        if languages is not None and len(languages) != len(texts):
            raise ValueError(f"{len(languages)} languages for {len(texts)} texts")
        index = cls(None, config, cls.make_tokenizer(config.language), len(texts))
        names = [analyser_name(lang, config.language) for lang in languages or [None] * len(texts)]
        tokens: list[list[str]] = [[] for _ in texts]
        for name in dict.fromkeys(names):
            rows = [i for i, n in enumerate(names) if n == name]
            for row, row_tokens in zip(
                rows, index.analyser(name)([texts[i] for i in rows]), strict=True
            ):
                tokens[row] = row_tokens
        if any(tokens):
            index.retriever = bm25s.BM25(method=config.method, k1=config.k1, b=config.b)
            index.retriever.index(tokens, show_progress=False)
        used = set(names)
        index.analysers = {
            n: t for n, t in index.analysers.items() if n in used or n == config.language
        }
        return index

    def settings(self) -> dict[str, Any]:
        """What the manifest records about lexical retrieval."""
        return {
            **asdict(self.config),
            "stemmer": self.tokenizer.stemmer,
            "stopwords": len(self.tokenizer.stopwords),
            "analysers": {
                name: {"stemmer": t.stemmer, "stopwords": len(t.stopwords)}
                for name, t in sorted(self.analysers.items())
            },
            "token_pattern": TOKEN_PATTERN,
            "library": f"bm25s {bm25s.__version__}",
        }

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        config = {
            **asdict(self.config),
            "stemmer": self.tokenizer.stemmer,
            "stopwords": self.tokenizer.stopwords,
            "analysers": {
                name: {"stemmer": t.stemmer, "stopwords": t.stopwords}
                for name, t in sorted(self.analysers.items())
                if name != self.config.language
            },
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
        analysers = {
            name: Tokenizer(a["stemmer"], list(a["stopwords"]))
            for name, a in config.get("analysers", {}).items()
        }
        return cls(retriever, lexical, tokenizer, int(config["size"]), analysers)

    # Scoring -------------------------------------------------------------------

    def tokens(
        self, queries: list[str], languages: list[str | None] | None = None
    ) -> list[list[str]]:
        """Each query's tokens, analysed for its language (None or no list: the default)."""
        if languages is None:
            return self.tokenizer(queries)
        if len(languages) != len(queries):
            raise ValueError(f"{len(languages)} languages for {len(queries)} queries")
        return [self.analyser(lang)([q])[0] for q, lang in zip(queries, languages, strict=True)]

    def query_ids(
        self, queries: list[str], languages: list[str | None] | None = None
    ) -> list[np.ndarray]:
        """Each query's token ids in the index vocabulary (unknown and stop words dropped)."""
        if self.retriever is None:
            return [np.zeros(0, dtype=np.int64) for _ in queries]
        vocab = self.retriever.vocab_dict
        return [
            np.array([vocab[t] for t in tokens if t and t in vocab], dtype=np.int64)
            for tokens in self.tokens(queries, languages)
        ]

    def score_ids(self, ids: np.ndarray) -> np.ndarray:
        """BM25 score of every passage for one tokenised query, (size,) float64."""
        if self.retriever is None or ids.size == 0:
            return np.zeros(self.size, dtype=np.float64)
        return np.asarray(self.retriever.get_scores_from_ids(ids.tolist()), dtype=np.float64)

    def scores(self, queries: list[str], languages: list[str | None] | None = None) -> np.ndarray:
        """BM25 scores of every passage for each query, (len(queries), size) float64."""
        out = np.zeros((len(queries), self.size), dtype=np.float64)
        for i, ids in enumerate(self.query_ids(queries, languages)):
            out[i] = self.score_ids(ids)
        return out

    def hits(self, scores: np.ndarray, n: int, *, allowed: np.ndarray | None = None) -> Hits:
        """The `n` best rows with a positive score, optionally among `allowed` rows only."""
        rows = np.flatnonzero(scores > 0) if allowed is None else allowed[scores[allowed] > 0]
        return top_n(scores[rows], n, rows=rows)

    def search(
        self,
        queries: list[str],
        n: int,
        *,
        allowed: np.ndarray | None = None,
        languages: list[str | None] | None = None,
    ) -> list[Hits]:
        """The `n` best-scoring rows for each query; a query with no known word gets none."""
        return [
            self.hits(self.score_ids(ids), n, allowed=allowed)
            for ids in self.query_ids(queries, languages)
        ]


__all__ = [
    "LexicalConfig",
    "LexicalIndex",
    "Tokenizer",
    "analyser_name",
    "stemmer_name",
    "stopwords_for",
]
