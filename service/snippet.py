"""The part of a passage worth showing in a one-line search result.

A passage is ~700 characters; a result line shows ~160. The window shown is
the one holding the most of the query's words (stemmed, so "pipelines"
matches "pipeline"), cut at word boundaries, with an ellipsis where text was
left out.
"""

from __future__ import annotations

import re

import Stemmer

ELLIPSIS = "…"
_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    """a an and are as at be by did do does for from has have how in is it its of on or that the
    their this to was were what when where which who why with""".split()
)
_stemmer = Stemmer.Stemmer("english")


def _terms(query: str) -> set[str]:
    words = [w.lower() for w in _WORD.findall(query)]
    return {_stemmer.stemWord(w) for w in words if w not in _STOP} or set(
        map(_stemmer.stemWord, words)
    )


def snippet(text: str, query: str, width: int = 160) -> str:
    """At most `width` characters of `text` (plus ellipses) around the query's words."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    words = [
        (m.start(), m.end(), _stemmer.stemWord(m.group().lower())) for m in _WORD.finditer(text)
    ]
    terms = _terms(query)
    # Window starts and ends at word boundaries (punctuation after a word stays with it).
    starts = [0] + [m.start() for m in re.finditer(r"(?<=\s)\S", text)]
    best: tuple[tuple[int, int, int], int, int] | None = None
    for start in starts:
        end = start + width
        if end < len(text):
            cut = text.rfind(" ", start, end + 1)
            end = cut if cut > start else end
        else:
            end = len(text)
        inside = [(a, b, stem) for a, b, stem in words if a >= start and b <= end]
        hits = [(a, b) for a, b, stem in inside if stem in terms]
        distinct = len({stem for _, _, stem in inside if stem in terms})
        middle = (hits[0][0] + hits[-1][1]) // 2 if hits else start
        centred = -abs(middle - (start + end) // 2) if hits else 0
        score = (distinct, len(hits), centred)
        if best is None or score > best[0]:
            best = (score, start, end)
        if end == len(text):
            break
    assert best is not None
    _, start, end = best
    shown = text[start:end].strip()
    return (ELLIPSIS if start > 0 else "") + shown + (ELLIPSIS if end < len(text) else "")
