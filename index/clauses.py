"""A sentence's clauses: where it pauses, and the parts the index also reads on their own.

One vector blurs a long sentence: "Economically, Kazakhstan was severely
affected by the COVID-19 pandemic and the fall in oil prices in 2020, a sector
that accounts for one-third of GDP and more than 75% of export earnings" sits
at cosine 0.27 from "What share of export revenue do hydrocarbons account
for?", its last clause alone at 0.48. So a long sentence of two clauses or
more also gets a vector per clause at index time, and the answer step reads
it as close to a question as its closest clause (service/answer/
evidence.py). A pause is a comma, semicolon or colon before a space, or "and"
before a definite article, which starts a clause with a subject of its own
("… reached 4% of GDP and the poverty rate almost doubled").
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from dossier.lexicon import lexicon_for, words

# A comma, semicolon or colon before a space: not "2,724", nor "12:30".
PAUSE = re.compile(r"[,;:](?=\s)")

# Words a part needs to be read as a clause of its own ("Notably," is none).
CLAUSE_WORDS = 4

# Words a sentence needs for its clauses to be read apart: a shorter one's vector is not
# blurred much. Chosen on the tune split and XQuAD English (answer accuracy against none:
# every sentence +0.027, but a multi-part tune question answered by half; 20 words +0.024,
# 28 words +0.018, neither changing tune), for about 1.4 clause vectors per sentence there.
LONG_SENTENCE = 20


@lru_cache(maxsize=16)
def clause_joiner(code: str) -> re.Pattern[str] | None:
    """ "and" before a definite article: the start of a clause with a subject of its own."""
    lexicon = lexicon_for(code)
    if not lexicon.definite_words:
        return None
    articles = "|".join(sorted(lexicon.definite_words))
    return re.compile(rf"\s{re.escape(lexicon.messages['and'])}\s+(?=(?:{articles})\s)", re.I)


def pause_offsets(text: str, code: str) -> list[int]:
    """Where a sentence pauses (offsets into `text`), in order."""
    found = [m.start() for m in PAUSE.finditer(text)]
    joiner = clause_joiner(code)
    if joiner is not None:
        found = sorted(found + [m.start() for m in joiner.finditer(text)])
    return found


def clause_spans(text: str, code: str) -> list[tuple[int, int]]:
    """The (start, end) offsets in `text` of a long sentence's clauses of `CLAUSE_WORDS` words
    or more, when it has two or more of them; else []: the sentence is read whole."""
    if len(words(text)) < LONG_SENTENCE:
        return []
    bounds = [-1, *pause_offsets(text, code), len(text)]
    joined = re.compile(rf"{re.escape(lexicon_for(code).messages['and'])}\s+", re.I)
    spans = []
    for before, after in itertools.pairwise(bounds):
        start, end = before + 1, after
        while start < end and text[start].isspace():
            start += 1
        if start > 0 and (said := joined.match(text, start)):  # "… and the poverty rate …"
            start = said.end()
        while end > start and (text[end - 1].isspace() or text[end - 1] in ".!?"):
            end -= 1
        if len(words(text[start:end])) >= CLAUSE_WORDS:
            spans.append((start, end))
    return spans if len(spans) > 1 else []


__all__ = [
    "CLAUSE_WORDS",
    "LONG_SENTENCE",
    "PAUSE",
    "clause_joiner",
    "clause_spans",
    "pause_offsets",
]
