"""A section's heading as the name of what the section tells.

A report names an event in the heading above it and then tells it without the
name: "2) Qandy Quantar", then "In January 2022, violent protests rocked the
country …". Asked what the sources call the January 2022 unrest, the sentence
that tells it holds no name; its heading does.
"""

from __future__ import annotations

import re
import weakref
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
    name = _name_of(heading)
    said = [w for w in words(name) if w.lower() not in lexicon.stop_words]
    if not said or not all(w[:1].isupper() for w in said):
        return None
    if set(content_stems(name, lexicon)) & question.weights().keys():
        return None
    start = store.infos[info.section].start + heading.index(name)
    return HeadingName(info.section, start, start + len(name))


def _name_of(heading: str) -> str:
    """A heading less its numbering and closing colon ("2) Qandy Quantar" → "Qandy Quantar")."""
    numbering = _NUMBERING.match(heading)
    return heading[numbering.end() if numbering else 0 :].strip().rstrip(":").strip()


def _plain(name: str, lexicon: Lexicon) -> str:
    """A name as a question may write it: lower case, without a leading article."""
    said = words(name.lower())
    while said and said[0] in lexicon.stop_words:
        said = said[1:]
    return " ".join(said)


# Per sentence store, while it is served: its headings that name something (`_named`).
_NAMED: weakref.WeakKeyDictionary[SentenceStore, dict[str, int]] = weakref.WeakKeyDictionary()


def _named(store: SentenceStore, lexicon: Lexicon) -> dict[str, int]:
    """The headings in title case that are not acronyms alone ("Qandy Quantar"; not "War in
    ukraine", nor "The EEU", which the sources spell out), by `_plain` name, to their rows;
    read once per store."""
    named = _NAMED.get(store)
    if named is None:
        named = _NAMED[store] = {}
        for row, info in enumerate(store.infos):
            name = _name_of(store.text(row)) if info.heading else ""
            said = [w for w in words(name) if w.lower() not in lexicon.stop_words]
            if said and all(w[:1].isupper() for w in said) and not all(w.isupper() for w in said):
                named.setdefault(_plain(name, lexicon), row)
    return named


def defined_by_heading(question_text: str, store: SentenceStore, lexicon: Lexicon) -> int | None:
    """The row of the sentence that opens the section headed by the name a question asks
    about ("What was the Qandy Quantar?" → "In January 2022, violent protests rocked the
    country …"): a report tells what its heading names without naming it again. None unless
    the question asks only what the name is, and a heading gives that name whole."""
    asked = (
        lexicon.definition_question.match(question_text) if lexicon.definition_question else None
    )
    if asked is None:
        return None
    row = _named(store, lexicon).get(_plain(asked.group("term"), lexicon))
    if row is None or row + 1 >= len(store.infos):
        return None
    first = store.infos[row + 1]
    return row + 1 if first.section == row and not first.heading else None


__all__ = ["HeadingName", "defined_by_heading", "naming_heading"]
