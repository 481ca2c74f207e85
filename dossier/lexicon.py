"""Everything language-specific the answer step uses, keyed by language code.

It lives beside types.py because both the index (which annotates sentences at
build time) and the service (which analyses questions) read it.

Question words, stop words, the stemmer, words that refer back to an earlier
sentence, month names and number words: the rest of the answer package is
written against a `Lexicon`, so adding a language is adding one entry here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import Stemmer

# The kinds of answer a question can expect (see question.py).
DATE, NUMBER, PERSON, ORGANISATION, PLACE, NAME, REASON, YESNO, OTHER = (
    "date",
    "number",
    "person",
    "organisation",
    "place",
    "name",
    "reason",
    "yesno",
    "other",
)
KINDS = (DATE, NUMBER, PERSON, ORGANISATION, PLACE, NAME, REASON, YESNO, OTHER)
SHORT_KINDS = frozenset({DATE, NUMBER, PERSON, ORGANISATION, PLACE, NAME})


@dataclass(frozen=True)
class Lexicon:
    """The language-specific parts of question analysis and evidence."""

    code: str
    stemmer: str
    stop_words: frozenset[str]
    # (kind, pattern) tried in order on the question; the first match decides.
    # A named group `thing` captures what is asked for ("troops" in "how many troops").
    kind_patterns: tuple[tuple[str, re.Pattern[str]], ...]
    # Nouns that, as the `thing` of a "which/what X" question, decide its kind.
    thing_kinds: dict[str, str]
    # How an abstention names a missing kind: (without a thing, with "{thing}").
    kind_phrases: dict[str, tuple[str, str]]
    # The sentences an abstention is made of (see compose.py for the keys).
    messages: dict[str, str]
    # A sentence starting with one of these reads as a continuation of the one before.
    refers_back: re.Pattern[str]
    # Where a question splits into parts ("When ... and who ...").
    part_split: re.Pattern[str]
    months: frozenset[str]
    # Words that make a number bigger ("5.2 billion"), and written-out numbers.
    magnitudes: frozenset[str]
    number_words: frozenset[str]
    # Words that start a sentence or a title yet are not names ("The", "In").
    not_names: frozenset[str] = field(default_factory=frozenset)
    # Words inside a name that make it an organisation or a place.
    organisation_words: frozenset[str] = field(default_factory=frozenset)
    place_words: frozenset[str] = field(default_factory=frozenset)
    person_titles: frozenset[str] = field(default_factory=frozenset)
    # "mid-2010s", "the 1990s": a decade, not a year.
    decade: re.Pattern[str] = re.compile(r"\b(1[0-9]|20)\d0s\b|\b\d0s\b")

    @property
    def stem(self) -> Stemmer.Stemmer:
        return _stemmer(self.stemmer)


@lru_cache(maxsize=8)
def _stemmer(name: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(name)


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_EN_STOP = frozenset(
    """a an and are as at be been being by can could did do does doing for from had has have how
    i in into is it its of on or our she he her his him that the their them they this to was
    were what when where which who whom whose why will with would about after before between
    during over under than then there these those much many any some such so if not no yes
    according article text author say says said give given mention mentioned describe
    described name named called kind type sort also both either neither did does way
    s t just only very more most""".split()
)

_EN_THING = r"(?P<thing>[\w'’-]+(?: [\w'’-]+){0,2})"

ENGLISH = Lexicon(
    code="en",
    stemmer="english",
    stop_words=_EN_STOP,
    kind_patterns=(
        (YESNO, _p(r"^\s*(is|are|was|were|did|does|do|has|have|had|can|could|will|would)\b")),
        (
            DATE,
            _p(
                r"^\s*(since )?when\b|\b(what|which) (year|month|date|day|decade)\b"
                r"|\bin what (year|month)\b|\bhow long ago\b|\bsince what\b"
            ),
        ),
        (
            NUMBER,
            _p(
                rf"\bhow (many|much) {_EN_THING}?|\bhow (many|much)\b"
                r"|\bhow (far|large|big|long|old|high|often)\b"
                rf"|\bwhat (was|is|were|are) the (?P<measure>value|volume|amount|size|share|"
                r"number|area|rate|level|percentage|proportion|total|figure|cost|price|"
                r"population|growth|deficit)\b"
                r"|\bwhat (share|percentage|proportion|fraction|amount|number|sum|figure)\b"
                r"|\bwhat (was|is) the [\w-]+ (value|rate|share|level|volume)\b"
            ),
        ),
        (PERSON, _p(r"^\s*(who|whom|whose)\b|\b(by|to|with|from) whom\b")),
        (PLACE, _p(r"^\s*where\b|\bin what (place|city|country|region)\b")),
        (
            REASON,
            _p(
                r"^\s*why\b|\bwhat (led|caused|prompted|drove|pushed|motivated)\b"
                r"|\bfor what reason\b|\bwhat (was|were|is|are) the (reason|cause|motive|"
                r"purpose|goal|aim)s?\b|\bhow did .* (affect|change|lead)\b"
            ),
        ),
        (OTHER, _p(rf"\b(which|what) {_EN_THING}")),
    ),
    thing_kinds={
        **dict.fromkeys("year month date day decade century period".split(), DATE),
        **dict.fromkeys(
            "person president leader minister official man woman successor predecessor "
            "ambassador head author candidate deputy politician founder".split(),
            PERSON,
        ),
        **dict.fromkeys(
            "company organisation organization alliance bloc body institution agency firm "
            "bank union group party centre center bloc coalition fund consortium "
            "corporation operator treaty agreement".split(),
            ORGANISATION,
        ),
        **dict.fromkeys(
            "country city place region town capital site state republic nation "
            "area location province port".split(),
            PLACE,
        ),
        **dict.fromkeys(
            "name term label programme program plan project initiative pipeline "
            "document title event operation".split(),
            NAME,
        ),
        **dict.fromkeys(
            "share percentage proportion number amount value volume figure total rate "
            "size population".split(),
            NUMBER,
        ),
    },
    kind_phrases={
        DATE: ("date", "date"),
        NUMBER: ("figure", "figure for {thing}"),
        PERSON: ("person's name", "name of the {thing}"),
        ORGANISATION: ("organisation's name", "name of the {thing}"),
        PLACE: ("place", "{thing}"),
        NAME: ("name", "name of the {thing}"),
    },
    messages={
        "abstain": "The sources do not cover this question",
        "never": "the sources never mention {terms}",
        "not_found": "the passages found do not mention {terms}",
        "no_kind": "the passages found mention {held} but give no {missing}",
        "no_support": "the passages found mention {held} but none of their sentences answers it",
        "nothing": "no passage found relates to the question",
        "and": "and",
    },
    refers_back=_p(
        r"^\s*(this|that|these|those|it|its|he|she|his|her|they|their|them|such|the latter|"
        r"the former|the (agreement|treaty|country|two|organisation|project|pipeline|"
        r"programme|deal|plan|move|decision|measure|event|president|latter|same))\b"
    ),
    part_split=_p(
        r"(?:,\s*|\s+)(?:and|as well as|,)\s+(?=(?:when|who|whom|what|which|where|why|how|"
        r"in what|in which|at what|did|does|was|were|is|are)\b)|\?\s+(?=\w)"
    ),
    months=frozenset(
        "january february march april may june july august september october november "
        "december".split()
    ),
    magnitudes=frozenset("thousand million billion trillion bn mn km km² %".split()),
    number_words=frozenset(
        "one two three four five six seven eight nine ten eleven twelve twenty thirty forty "
        "fifty hundred thousand dozen half third quarter double doubled tripled".split()
    ),
    not_names=frozenset(
        """the a an in on at by for from to of and or but this that these those it its his
        her their they he she we i after before since during between following however while
        when where which who what why how notably also although though yet thus therefore
        as with without within despite among according finally first second third today
        nevertheless moreover furthermore indeed meanwhile because if there here some many
        most all several each both other such one two three""".split()
    ),
    organisation_words=frozenset(
        """organisation organization union alliance bank fund company corporation group
        council committee forum treaty agreement community party ministry agency institute
        centre center consortium nato csto eeu eaeu un cis sco opec association commission
        federation""".split()
    ),
    place_words=frozenset(
        "city republic region sea river lake mountains oblast province port".split()
    ),
    person_titles=frozenset(
        "president minister prime mr mrs ms dr general chancellor king queen senator".split()
    ),
)

LEXICONS: dict[str, Lexicon] = {"en": ENGLISH}
# The stemmer names settings use (`lexical_language`) map to a code.
_ALIASES = {"english": "en"}


def lexicon_for(language: str | None) -> Lexicon:
    """The lexicon for a language code (or stemmer name); English when unknown or None."""
    if not language:
        return ENGLISH
    key = language.lower().split("-")[0].split("_")[0]
    return LEXICONS.get(_ALIASES.get(key, key), ENGLISH)


_WORD = re.compile(r"[^\W_]+(?:[’'-][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """The words of a text, hyphenated and apostrophised words kept whole."""
    return _WORD.findall(text)


_PART = re.compile(r"[^\W_]+", re.UNICODE)


def content_stems_at(text: str, lexicon: Lexicon) -> list[tuple[int, str]]:
    """(offset, stem) of each content word of `text`, in order.

    Stop words, one-letter words and bare digits are dropped; hyphenated and
    possessive words count as their parts ("Russian-Kazakh" → russian, kazakh).
    """
    found = [
        (m.start(), m.group())
        for m in _PART.finditer(text.lower())
        if len(m.group()) > 1 and m.group() not in lexicon.stop_words and not m.group().isdigit()
    ]
    stems = lexicon.stem.stemWords([w for _, w in found])
    return [(offset, stem) for (offset, _), stem in zip(found, stems, strict=True)]


def content_stems(text: str, lexicon: Lexicon) -> list[str]:
    """Stems of the content words of `text`, in order (see `content_stems_at`)."""
    return [stem for _, stem in content_stems_at(text, lexicon)]


__all__ = [
    "DATE",
    "ENGLISH",
    "KINDS",
    "LEXICONS",
    "NAME",
    "NUMBER",
    "ORGANISATION",
    "OTHER",
    "PERSON",
    "PLACE",
    "REASON",
    "SHORT_KINDS",
    "YESNO",
    "Lexicon",
    "content_stems",
    "content_stems_at",
    "lexicon_for",
    "words",
]
