"""A section's heading as the name of what the section tells.

A report names an event in the heading above it and then tells it without the
name: "2) Qandy Quantar", then "In January 2022, violent protests rocked the
country …". Asked what the sources call the January 2022 unrest, the sentence
that tells it holds no name; its heading does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dossier.index.sentences import SentenceStore
from dossier.lexicon import DATE, NUMBER, OTHER, Lexicon, content_stems, words
from dossier.service.answer.question import Question

# A heading's numbering: "2) ", "II) ", "1. ", "b) ".
_NUMBERING = re.compile(r"^\s*(?:\d{1,2}|[IVXLC]{1,5}|[a-z])[.)]\s+")


@dataclass(frozen=True)
class HeadingName:
    row: int  # the heading's row in the sentence store
    start: int  # the name's offsets in the document (the heading less its numbering)
    end: int


def naming_heading(
    question: Question, row: int, store: SentenceStore, lexicon: Lexicon
) -> HeadingName | None:
    """The name the heading above `row` gives what `row` tells, for a question asking what
    the sources call it; None unless `row` opens its section, names nothing itself (beyond
    dates and figures) and stands under a heading in title case ("Qandy Quantar"; not
    "War in ukraine") that holds none of the question's words."""
    if not question.asks_what_it_is_called or question.kind != OTHER:
        return None
    info = store.infos[row]
    if info.section < 0 or row != info.section + 1:
        return None
    if any(m.kind not in (DATE, NUMBER) for m in info.mentions):
        return None
    heading = store.text(info.section)
    numbering = _NUMBERING.match(heading)
    name = heading[numbering.end() if numbering else 0 :].strip().rstrip(":")
    said = [w for w in words(name) if w.lower() not in lexicon.stop_words]
    if not said or not all(w[:1].isupper() for w in said):
        return None
    if set(content_stems(name, lexicon)) & question.weights().keys():
        return None
    start = store.infos[info.section].start + heading.index(name)
    return HeadingName(info.section, start, start + len(name))


__all__ = ["HeadingName", "naming_heading"]
