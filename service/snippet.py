"""The part of a passage worth showing in a one-line search result.

A passage is ~700 characters; a result line shows ~160. The window shown is
the one holding the most of the query's words, cut at word boundaries, with
an ellipsis where text was left out. Words are matched by stem in the
passage's language ("pipelines" matches "pipeline", "négocier" matches
"négociations"), and the query's stop words are those of its own language
(`dossier.lexicon`), so "de la" in a French question does not pull the window
towards every "de la" of the passage. The query's words are stemmed both ways
(its language and the passage's) so names and numbers still match across
languages.
"""

from __future__ import annotations

import re

from dossier.lexicon import Lexicon, lexicon_for

ELLIPSIS = "…"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # as the lexicon splits words: "l'accord" → l, accord


def _terms(query: str, query_lexicon: Lexicon, passage_lexicon: Lexicon) -> set[str]:
    """The query's content words, as stems the passage's words can be compared with."""
    words = [w.lower() for w in _WORD.findall(query)]
    content = [
        w for w in words if w not in query_lexicon.stop_words and (len(w) > 1 or w.isdigit())
    ] or words
    terms = set(passage_lexicon.stem.stemWords(content))
    if query_lexicon.code != passage_lexicon.code:
        terms.update(query_lexicon.stem.stemWords(content))
    return terms


def snippet(
    text: str,
    query: str,
    width: int = 160,
    *,
    language: str | None = None,
    query_language: str | None = None,
) -> str:
    """At most `width` characters of `text` (plus ellipses) around the query's words.

    `language` is the passage's (English when unknown), `query_language` the
    query's (the passage's when unknown).
    """
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    passage_lexicon = lexicon_for(language)
    query_lexicon = lexicon_for(query_language) if query_language else passage_lexicon
    found = list(_WORD.finditer(text))
    stems = passage_lexicon.stem.stemWords([m.group().lower() for m in found])
    words = [(m.start(), m.end(), stem) for m, stem in zip(found, stems, strict=True)]
    terms = _terms(query, query_lexicon, passage_lexicon)
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
