"""Who wrote a source: its authors, where its own text names them.

"Who wrote this analysis?" shares no content word with the byline that
answers it ("Article written by Felix Klein and Louan Renard, …"), and
"author" or "article" say nothing about what a source is about, so the
evidence step finds nothing to weigh. A source's metadata does know its
authors (`corpus/sources.toml`, or what trafilatura and pypdf read from the
page). An answer must still rest on the sources' text, so the question is
answered only where the text itself names an author: the sentences that do
are cited, and the first name found is the short answer, with the names the
text lists right after it ("Felix Klein and Louan Renard").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dossier.index.search import Index
from dossier.lexicon import Lexicon
from dossier.types import ScoredPassage

# How an `author` field lists several people: "Felix Klein; Louan Renard".
_SEPARATORS = re.compile(r"\s*(?:;|,|&|\band\b|\bet\b|\bund\b|\by\b|\bи\b)\s*")


@dataclass(frozen=True)
class Named:
    """A name the sources' text gives that answers the question outright, and where."""

    rows: list[int]  # sentence-store rows to cite, in document order
    source_id: str
    name: str  # the short answer: the authors the text first names together, the name spelled out
    start: int  # where the text gives it
    row: int  # the row holding that


def authors(listed: str | None) -> list[str]:
    """The people an `author` field names, in its order."""
    return [name for name in _SEPARATORS.split(listed or "") if len(name) > 2]


def sources_asked(
    pattern: re.Pattern[str] | None, question: str, passages: list[ScoredPassage], index: Index
) -> list[str]:
    """The passages' sources, best first, when `pattern` finds that the question asks about a
    source itself (who wrote it, what it is called); [] otherwise, or without sentences."""
    if index.sentences is None or pattern is None or not pattern.search(question):
        return []
    return list(dict.fromkeys(p.source_id for p in passages))


def byline(
    question: str, passages: list[ScoredPassage], index: Index, lexicon: Lexicon
) -> Named | None:
    """For a question asking who wrote a source, where its text names the authors; None
    for any other question, or when no source of the passages names its authors.

    The source is the first of the passages' sources whose metadata lists an
    author its text names.
    """
    store = index.sentences
    for source_id in sources_asked(lexicon.author_question, question, passages, index):
        assert store is not None  # `sources_asked` lists none without one
        text = index.documents[source_id].text
        found: list[tuple[int, int, str]] = []  # (row, start, name)
        for name in authors(index.documents[source_id].author):
            at = text.find(name)
            rows = store.rows_overlapping(source_id, at, at + len(name)) if at >= 0 else []
            if rows:
                found.append((rows[0], at, name))
        if found:
            found.sort(key=lambda f: f[1])
            row, start, name = found[0]
            # the authors the text lists together, as it writes them ("Felix Klein and Louan
            # Renard"), are the answer together
            end = start + len(name)
            for _, at, other in found[1:]:
                if not _SEPARATORS.fullmatch(text[end:at]):
                    break
                end = at + len(other)
            rows = sorted({r for r, _, _ in found}, key=lambda r: store.infos[r].start)
            return Named(rows, source_id, text[start:end], start, row)
    return None


__all__ = ["Named", "authors", "byline", "sources_asked"]
