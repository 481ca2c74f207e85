"""Everything language-specific the answer step uses, keyed by language code.

It lives beside types.py because both the index (which annotates sentences at
build time) and the service (which analyses questions) read it.

Question words, stop words, the stemmer, words that refer back to an earlier
sentence, month names and number words: the rest of the answer package is
written against a `Lexicon`, so adding a language is adding one entry here.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import bm25s.stopwords
import Stemmer

if TYPE_CHECKING:
    from babel import Locale

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
# What a date or figure must show beyond its kind (see question.py `unit`): a month
# name ("in which month"), a share ("what percentage"), a duration or length ("how
# long"), a count of something ("how many troops": not an amount of money, not a share),
# an amount of money ("in US dollars").
MONTH, SHARE, EXTENT, COUNT, MONEY, AGE = "month", "share", "extent", "count", "money", "age"
AMOUNT = "amount"  # "how much uranium": a figure of it, in whatever unit


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
    # Words that start a sentence or a title yet are not names ("The", "In"), and the
    # temperature scales (`UNIT_NAMES`), capitalised but no one's name.
    not_names: frozenset[str] = field(default_factory=frozenset)
    # Words inside a name that make it an organisation or a place.
    organisation_words: frozenset[str] = field(default_factory=frozenset)
    place_words: frozenset[str] = field(default_factory=frozenset)
    # Those of `place_words` that a place of another kind is not, nor a country ("which
    # river": not a sea; "which region" may be a valley or a sea) …
    specific_places: frozenset[str] = field(default_factory=frozenset)
    # … and of those, the ones no city is either ("which river": not Washington).
    natural_places: frozenset[str] = field(default_factory=frozenset)
    person_titles: frozenset[str] = field(default_factory=frozenset)
    # Nouns for a person that name no role the answer must be given ("which person"; a
    # player is seldom called one where named: "¿Qué jugador …?").
    generic_persons: frozenset[str] = field(default_factory=frozenset)
    # "mid-2010s", "the 1990s": a decade, not a year.
    decade: re.Pattern[str] = re.compile(r"\b(1[0-9]|20)\d0s\b|\b\d0s\b")
    # A decade as running text writes it ("mid-2010s", "les années 1990"; regex).
    decade_mention: str = r"\b(?:(?:mid|early|late)[- ])?(?:1[5-9]|20)\d0[’']?s\b"
    # Words after which a number from 1000 to 1499 is a year ("in 1186", "by 1279"), where
    # it could as well count something ("1200 soldiers"); later years are years anyway.
    year_words: frozenset[str] = frozenset()
    # A century as running text writes it ("the 20th century", "XIXe siècle"; regex).
    century_mention: str = r"(?!)"
    # A date counted back or by era ("66 million years ago", "11,600 BP", "44 BC"; regex).
    era_mention: str = r"(?!)"
    # How dates are written around a month name (regular-expression fragments):
    # the day before it ("12 ", "12. ", "12 de "), and what joins it to the year.
    date_day: str = r"\d{1,2}\s+"
    date_joiner: str = r"\s+"
    # Month names are capitalised in running text (English, German), so "may" is
    # not May; French, Spanish and Russian write them in lower case.
    months_capitalised: bool = True
    # What follows an amount to make it money, and the words for "per cent".
    currency: str = r"(?:dollars|euros|roubles|rubles|tenge|USD|EUR)\b"
    # Words and signs for a currency, to its name in messages: "how much was it in dollars?"
    # wants dollars, and "£15 billion" is not that (English only, as MONEY is).
    currencies: dict[str, str] = field(default_factory=dict)
    percent: str = r"per ?cent\b"
    # Lower-case words that may join the capitalised words of one name ("Bank of Russia").
    connectors: frozenset[str] = frozenset({"of", "the", "for", "de", "du", "la", "al", "von"})
    # Words that carry a name on after a word for an organisation only ("the Research
    # Center on Security Policy"; not "Beyoncé on Saturday Night Live").
    institution_connectors: frozenset[str] = frozenset()
    # German capitalises every noun: a single capitalised word of this shape
    # ("Verteidigung", "Gesellschaft") is a common noun, not a name.
    common_noun: re.Pattern[str] | None = None
    # Match the noun of "which X" by its stem as well (inflected languages).
    thing_by_stem: bool = False
    # Or only its plural, as (ending, singular ending): "which companies" asks for
    # organisations as "which company" does, where a stem would also read
    # "programming" as "program".
    plurals: tuple[tuple[str, str], ...] = ()
    # Plurals those endings miss ("people"): "how many people live in …" counts people.
    irregular_plurals: frozenset[str] = frozenset()
    # "what are the names of the Duma members": the thing whose name is asked for.
    name_of: re.Pattern[str] | None = None
    # "what type of city", "what group of scientists", "what body of water": a sort of
    # thing is asked for, not one thing of a kind.
    sort_of: re.Pattern[str] | None = None
    # "what are such numbers called?": a term is asked for, whatever the words before say.
    term_asked: re.Pattern[str] | None = None
    # A sentence whose subject is a pronoun ("This was completed in 2001.", "It then
    # established itself …"): alone, it does not say what it speaks of.
    pronoun_subject: re.Pattern[str] | None = None
    # Third-person pronouns: in a question's later part, one may stand for what an earlier
    # part was answered with ("Who resigned in 2019 and who replaced him?").
    pronouns: frozenset[str] = frozenset()
    # "What name does the article give to the unrest?": what the sources call something
    # they describe (a section's heading may be that name: `heading.py`).
    name_given: re.Pattern[str] | None = None
    # A noun phrase's head is its last noun ("oil companies"), not its first ("compagnies
    # pétrolières").
    head_final: bool = False
    # (unit, pattern) tried in order on the question; the first match decides (see MONTH…).
    unit_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()
    # Words after a figure that make it a duration or a length ("two weeks", "3,000 km").
    extent_words: frozenset[str] = frozenset()
    # What makes a figure an age, which "how old" asks (unit AGE): a word just before it or in
    # it ("at age 39", "aged 68", "515 million years ago"), or what follows it ("-year-old").
    age_words: frozenset[str] = frozenset()
    age_after: re.Pattern[str] | None = None
    # Nouns that only say a figure is asked for ("what were the values of trade"): like
    # "year" in "in what year", not what the question is about.
    generic_measures: frozenset[str] = frozenset()
    # The words that ask for a figure by its dimension ("how big", "how far"): like "how
    # many", not what the question is about.
    degree_question: re.Pattern[str] | None = None
    # Units a quantity is given in: "how many tonnes" wants a figure written with one.
    measure_units: frozenset[str] = frozenset()
    # Measures that are amounts, never a share of something ("what is the GDP": not 75%);
    # not "population" ("the white population": often a share).
    amount_measures: frozenset[str] = frozenset()
    # Fractions that answer "what share" ("nearly half").
    fraction_words: frozenset[str] = frozenset()
    # What joins a share to what it is a share of ("half of foreign companies").
    of_words: frozenset[str] = frozenset()
    # Words before a figure that make it a reference back, not a count: "the two countries".
    definite_words: frozenset[str] = frozenset()
    # What follows a person's name and nothing else's ("Narbaiev and his associates").
    person_after: re.Pattern[str] | None = None
    # What introduces an example of a kind of thing: the name after it is of the kind the
    # noun before names ("Russian companies such as Gazprom": an organisation).
    example_cues: tuple[tuple[str, ...], ...] = ()
    # "and" inside a title: "the Belt and Road Initiative" is one name (`_joined_title`).
    name_joiners: frozenset[str] = frozenset()
    # Prepositions of place: a name a document writes after one is a place ("in Kazakhstan").
    locatives: frozenset[str] = frozenset()
    # The present tense of "to be" after a question's first word: "who is the president"
    # asks who holds the role now.
    present_copulas: frozenset[str] = frozenset()
    # …and in the past: with them and the auxiliaries, the verb that ends a question's noun
    # phrase ("which capital punishment reform did …", "which oil company was …").
    past_copulas: frozenset[str] = frozenset()
    # What a question asks for when it wants a city, not a country ("which city", "the
    # capital of …"): a country is not the answer.
    settlement_words: frozenset[str] = frozenset()
    # A settlement the text names by its common noun after a preposition of place (group
    # "place": "the riots spread to the capital"), which a "where" or "which city" question
    # it names no place for is answered by; not one a name follows ("the city of Almaty",
    # "the capital, Astana").
    settlement_phrase: re.Pattern[str] | None = None
    # Words before a year that run it to the present: "since 2014" speaks of 2020 too.
    since_words: frozenset[str] = frozenset()
    # What ends the text before a year a change is measured from ("up 30% from 2022", "than
    # in 2022"): the figure is of another year, and the question's year so written names
    # the comparison, not the time its answer is of.
    baseline: re.Pattern[str] | None = None
    # A question asking who wrote a source ("who wrote this analysis?"; service/answer/byline.py).
    author_question: re.Pattern[str] | None = None
    # A question asking what a source is called ("What is the article's title?";
    # service/answer/title.py).
    title_question: re.Pattern[str] | None = None
    # A sentence announcing what the text itself sets out to do ("Today, we will analyse
    # relations between …"): it speaks of the text, and answers only a question that does …
    signpost: re.Pattern[str] | None = None
    # … such as "What does the article analyse?"
    work_question: re.Pattern[str] | None = None
    # Adverbs that make one verb with the verb before ("step down", "take over"): WordNet
    # reads the pair ("step_down": resign), and the adverb alone is no event.
    particles: frozenset[str] = frozenset()
    # A question written as a request, as (pattern, replacement) tried in order: the first
    # match is replaced once ("Tell me when …": "When …"; "Give me the number of …": "How
    # many …"), so that the kind, focus and parts are read as a question's.
    requests: tuple[tuple[re.Pattern[str], str], ...] = ()
    # Contractions a question is read without, as (pattern, replacement), all applied
    # ("What's the EEU?": what is; "When'd he resign?": when did).
    contractions: tuple[tuple[re.Pattern[str], str], ...] = ()
    # A question asking what happened at a time, which it names as group "time" ("What
    # happened in June 2025?"; service/answer/dated.py).
    time_question: re.Pattern[str] | None = None
    # A sentence telling the answerer how to answer ("Answer briefly.", "Cite your sources."):
    # none of what is asked.
    instruction: re.Pattern[str] | None = None
    # A request to write something ("Write me a poem about …", "Translate …", "Tell me a
    # joke"): no question the sources answer, however much of their subject it names.
    composition: re.Pattern[str] | None = None
    # A question asking why something happened ("why", "for what reason"; not "what was the
    # goal", nor "how did X affect Y"), and what gives a reason ("due to", "in order to",
    # "led … to", "considering it a threat", "they knew that …"): a sentence with none of
    # it only tells that something happened (English so far).
    cause_question: re.Pattern[str] | None = None
    reason_cue: re.Pattern[str] | None = None
    # A sentence's opening that counts its time from the one before ("After a few days, the
    # riots spread …", "Two weeks later, …"): its date is that sentence's.
    relative_opening: re.Pattern[str] | None = None
    # A question asking only what a name is ("What was the Qandy Quantar?"; group `term`):
    # a section headed by that name tells it.
    definition_question: re.Pattern[str] | None = None
    # A question asking what someone said ("What did Putin say about the canal?"; group
    # `speaker`), and the words by which a sentence reports speech: one that reports none
    # tells what the speaker did, not what they said.
    speech_question: re.Pattern[str] | None = None
    speech_words: frozenset[str] = frozenset()
    # A question asking what an acronym stands for ("What does CSTO stand for?"): the
    # acronym is its group "acronym" (capitals, so the pattern sets its own case rules).
    acronym_question: re.Pattern[str] | None = None
    # An unnamed thing a year tells apart ("the 1994 agreement"), with the thing asked for
    # in the place of {thing} and the phrase to answer with as group 1 (regex; "" for none).
    dated_thing: str = ""
    # Words by which a question asks about the present: "who is the current president".
    present_words: frozenset[str] = frozenset()
    # Verbs of what is done to an agreement ("when was the legal status of the Caspian Sea
    # settled?"): a listed agreement's year answers them, whatever it is about.
    agreeing_words: frozenset[str] = frozenset()
    # Of those, the verbs that say an agreement was made: a listed agreement's year is when
    # it was signed or concluded, whatever verb the question uses for that.
    concluding_words: frozenset[str] = frozenset()
    # What speaks of the future, in a question ("when will the plant open?") and in a
    # sentence ("the plant is due to open in 2030"): a date or figure a sentence gives of
    # what has happened ("signed in June 2025") does not answer what is to come.
    future: re.Pattern[str] | None = None
    # An intention stated ("signed an agreement to build a nuclear power plant"): it says who
    # is to do what its group `verb` names, not when, where or at what cost (those are the
    # agreement's).
    intention: re.Pattern[str] | None = None
    # A question's verbs in the past, before which the future is another's ("When did they
    # agree that Russia will build it?").
    past_auxiliaries: frozenset[str] = frozenset()
    # What says that the words after it are a cause ("… due to a sharp increase in oil
    # prices", "following the Crimean War"): the sentence gives the cause of something else.
    cause_marker: re.Pattern[str] | None = None
    # Words that date something by another event: "In June 2022, a few months after the
    # unrest": June 2022 is not the unrest's date.
    relative_words: frozenset[str] = frozenset()
    # Words before a year that give a figure for that year ("USD 5.2 billion in 2003"), unlike
    # those that give a baseline ("up 30% from 2022").
    period_words: frozenset[str] = frozenset()
    # Words opening a clause that says when what is asked happened ("what did Nazarbayev keep
    # after resigning?"): the words after one set the time, not what is asked.
    clause_openers: frozenset[str] = frozenset()
    # Words that deny the verb a few words after them ("did not recognise", "has never
    # granted", "refused to sign"); a word ending in "n't" denies too.
    negations: frozenset[str] = frozenset()
    # The word that pairs a list of figures with the list of years before it, in order ("in
    # 2022 and 2023 … $26 billion and $27 billion respectively").
    respectively: frozenset[str] = frozenset()
    # What goes on from a whole to a part of it ("$27 billion, including exports of dual-use
    # goods"): a figure before it is the whole's.
    including: re.Pattern[str] | None = None
    # "what is the main religion in …", "what is Kazakhstan's national dish": a thing asked
    # by a noun phrase after the copula (group "phrase"), with its owner's possessive
    # ("owner"); also one of `kind_patterns`. `of_name`: the owner after the phrase ("… of
    # Kazakhstan", group "name").
    copula_phrase: re.Pattern[str] | None = None
    of_name: re.Pattern[str] | None = None
    # Words before a figure that make it a change ("up 30% from 2022", "grew by 4%"), not a
    # share of anything (English so far).
    change_words: frozenset[str] = frozenset()
    # Verbs a question asks how much something changed by ("how much did the economy
    # shrink?"): a share of a whole ("one-third of GDP") is no change.
    change_verbs: frozenset[str] = frozenset()
    # A question asking for the size of a change ("by how much did trade grow?"), which a
    # level reached ("reaching USD 18.5 billion") does not give; a change is a share, a
    # figure after `change_words` ("by $230 million"), one before `factor_words` ("three
    # times") or one of them ("doubled").
    change_question: re.Pattern[str] | None = None
    factor_words: frozenset[str] = frozenset()
    # What counts one of a kind ("Kazakhstan is the only Central Asian state …"): an answer of
    # one to "how many Central Asian states …?" (group "one"; the words after it say of what).
    sole: re.Pattern[str] | None = None
    # Words that end an event's name ("the St. Petersburg International Economic Forum"):
    # it names no organisation, unless one of them is what the question asks for.
    event_words: frozenset[str] = frozenset()
    # The word that names who does what a past participle says ("supported by Washington",
    # "soutenu par Washington"): the agent a "who" question asks for. Not German "von",
    # which is as often "of" ("der Präsident von Frankreich").
    agent_words: frozenset[str] = frozenset()
    # Auxiliaries after "what": the question asks what something did, it names no thing.
    auxiliaries: frozenset[str] = frozenset()
    # …of the perfect, between a subject and its verb ("has published")
    perfect_auxiliaries: frozenset[str] = frozenset()
    # a question asking who did something, its verb as group "verb" ("Who published …?";
    # not "Who did Tokayev dismiss?", which asks whom)
    subject_question: re.Pattern[str] | None = None
    # An elided article or preposition glued to the next word ("l'Ukraine", "d'Astana",
    # "qu'Almaty"): matched at a word's start, it is not part of the name that follows.
    elision: re.Pattern[str] | None = None

    @property
    def stem(self) -> Stemmer.Stemmer:
        return _stemmer(self.stemmer)

    def singulars(self, word: str) -> list[str]:
        """The singulars a lower-case word may be the plural of, by the lexicon's endings
        ("treaties": treaty, treati, treatie; "states": stat, state), first ending first."""
        return [word[: -len(end)] + one for end, one in self.plurals if word.endswith(end)]

    def thing_kind(self, word: str) -> str | None:
        """The answer kind a noun names ("year" → date, "années" → date), if any."""
        lower = word.lower()
        if lower in self.thing_kinds:
            return self.thing_kinds[lower]
        for singular in self.singulars(lower):
            if singular in self.thing_kinds:
                return self.thing_kinds[singular]
        if self.thing_by_stem:
            return _thing_stems(self).get(self.stem.stemWord(lower))
        return None

    def may_be_name(self, word: str) -> bool:
        """False for a capitalised word that is only capitalised because it is a noun."""
        if self.common_noun is None:
            return True
        return not (self.common_noun.search(word) or self.thing_kind(word))


class _Unstemmed:
    """For a language Snowball has no stemmer for: words are matched as they are."""

    def stemWord(self, word: str) -> str:  # PyStemmer's names
        return word

    def stemWords(self, words: list[str]) -> list[str]:
        return list(words)


@lru_cache(maxsize=16)
def _stemmer(name: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(name) if name else _Unstemmed()  # type: ignore[return-value]


_THING_STEMS: dict[str, dict[str, str]] = {}


def _thing_stems(lexicon: Lexicon) -> dict[str, str]:
    """The stems of a lexicon's `thing_kinds` nouns, so "années" finds "année"."""
    if lexicon.code not in _THING_STEMS:
        stem = lexicon.stem.stemWord
        _THING_STEMS[lexicon.code] = {stem(w): k for w, k in lexicon.thing_kinds.items()}
    return _THING_STEMS[lexicon.code]


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# What may open a request ("Hi, please …", "OK so …"), and the words a question asks with.
_EN_OPENER = r"^\s*(?:(?:please|so|ok|okay|hi|hello|hey)\b[,!.]?\s*)*"
# A measure noun that a predicate follows asks no figure ("what is the population afraid
# of?", "what is the population made up of?").
_EN_NOT_PREDICATED = r"(?!(?:\s+[\w'’-]+){1,2}\s+(?:of|for|about|with|to|from|on|by|at)\s*\??\s*$)"
_EN_ASKING = r"(?:when|who|whom|whose|what|which|where|why|how)\b"


# "what is the main religion in …": the noun phrase after the copula, whole (its head is its
# last word; "like" ends it: "what is the climate like")
_EN_COPULA_PHRASE = _p(
    r"\b(?:which|what) (?:is|was|are|were) (?:the |its |their |(?P<owner>[\w-]+)['’]s )"
    r"(?P<phrase>(?!like\b)[\w'’-]+(?: (?!like\b)[\w'’-]+){0,4})"
)

_EN_STOP = frozenset(
    """a an and are as at be been being by can could did do does doing for from had has have how
    i in into is it its of on or our she he her his him that the their them they this to was
    were what when where which who whom whose why will with would about after before between
    during over under than then there these those much many any some such so if not no yes
    according article text author say says said give given mention mentioned describe
    described name named called kind type sort also both either neither did does way
    s t just only very more most across along among amid around behind below beneath beside
    beyond despite near onto per since throughout toward towards until upon via within
    without unlike thus hence yet still already while because whereby against through except
    regarding concerning versus amongst amidst besides till underneath above
    happen happens happened happening occur occurs occurred occurring
    mr mrs ms dr""".split()  # honorifics name no one (not "President": a role)
)

_EN_THING = r"(?P<thing>[\w'’-]+(?: [\w'’-]+){0,2})"
# What a source may be called in a question about it ("who wrote this analysis?").
_EN_WORKS = r"(?:article|analysis|report|paper|piece|text|study|document|essay|brief|note|source)"
# Nouns that name a quantity: "what was the budget deficit" asks for a figure.
_EN_MEASURES = (
    "value|volume|amount|size|share|number|area|rate|level|percentage|proportion|total|"
    "figure|cost|price|population|growth|deficit|surplus|debt|capacity|output|revenue|"
    "income|turnover|production|length|distance|budget|gdp|inflation|unemployment|toll"
)


# Capitalised words of units, not names, in every language here ("degrees Celsius", "°F").
UNIT_NAMES = frozenset({"celsius", "fahrenheit"})

_EN_PLACE_WORDS = frozenset(
    "city republic region sea river lake mountains oblast province port field basin "
    "deposit terminal cosmodrome airport island islands bay valley mount mountain canal "
    "gulf strait peninsula desert steppe street avenue boulevard road square "
    # "the separatist republics of Donetsk and Luhansk"
    "cities republics regions seas rivers lakes provinces oblasts ports".split()
)

ENGLISH = Lexicon(
    code="en",
    stemmer="english",
    stop_words=_EN_STOP,
    kind_patterns=(
        (
            YESNO,
            _p(  # after a phrase that sets the scene, too ("In 1972, did Norway join?")
                r"^\s*(?:(?![^,?]*\b(?:what|when|where|who|whom|whose|which|why|how)\b)"
                r"[^,?]{1,40},\s*)?(is|are|was|were|did|does|do|has|have|had|can|could|will|"
                r"would)\b"
            ),
        ),
        (
            DATE,
            _p(
                # "When many are arrested, what is a common tactic?": the clause after
                # the comma asks
                r"^\s*(since )?when\b(?![^?]*,\s*(?:what|which|who|whom|how|where|why)\b)"
                r"|\b(what|which) (year|month|date|day|decade)\b"
                r"|\bin what (year|month)\b|\bhow long ago\b|\bsince what\b"
            ),
        ),
        (
            NUMBER,
            _p(
                rf"\bhow (many|much) {_EN_THING}?|\bhow (many|much)\b"
                # "how big is the Kazakh army": the figure is the army's
                r"|\bhow (?:large|big) (?:is|was|are|were) (?:the |its |their |[\w-]+['’]s )"
                r"(?P<sized>[\w'’-]+(?: [\w'’-]+){0,2})"
                r"|\bhow (far|large|big|long|old|high|often)\b"
                # "what share of the population", "what is China's share of its exports": a
                # share of what it names
                r"|\bwhat (?:(?:was|is|were|are) (?:the |[\w-]+['’]s? ))?"
                r"(?:share|percentage|proportion|portion|fraction) "
                r"of (?:the )?(?P<whole>[\w'’-]+(?: [\w'’-]+){0,2})"
                # "what was the value", "what was Kazakhstan's budget deficit": a measure
                # noun, after up to three modifiers that are not prepositions
                r"|\bwhat (was|is|were|are|will be) (?:the |its |their |[\w-]+['’]s )?"
                r"(?P<measure>(?:(?!(?:of|for|in|on|to|by|from|with|behind|about)\b)"
                rf"[\w'’-]+ ){{0,3}}(?:{_EN_MEASURES})s?)\b{_EN_NOT_PREDICATED}"
                r"|\bwhat (share|percentage|proportion|portion|fraction|amount|number|sum|figure)\b"
                # "what was bilateral commerce worth"
                r"|\bwhat (?:was|is|were|are) [^?]+ worth\b"
                r"|\bwhat (was|is) the [\w-]+ (value|rate|share|level|volume)\b"
            ),
        ),
        # "Who is Tokayev?", "Who was Nursultan Nazarbayev?": what the person named is, not a
        # name (another person's would be wrong)
        (
            OTHER,
            _p(r"^\s*who (?:is|was|are|were) (?-i:[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*)\s*\??\s*$"),
        ),
        (
            PERSON,
            _p(
                # "who is the foreign minister of …", "who was Russia's president": a role
                r"^\s*who (?:is|was|are|were|has been|had been|will be) "
                r"(?:the |an? |[\w-]+['’]s )(?P<role>[\w'’-]+(?: [\w'’-]+){0,3})"
                r"|^\s*(who|whom|whose)\b|\b(by|to|with|from) whom\b"
            ),
        ),
        (PLACE, _p(r"^\s*where\b|\bin what (place|city|country|region)\b")),
        (
            REASON,
            _p(
                r"^\s*why\b|\bwhat (led|caused|prompted|drove|pushed|motivated)\b"
                r"|\bfor what reason\b|\bwhat (was|were|is|are) the (reason|cause|motive|"
                r"purpose|goal|aim)s?\b|\bhow did .* (affect|change|lead)\b"
            ),
        ),
        # "What was signed in 1998?": an agreement's name, as "which agreement" asks
        (
            ORGANISATION,
            _p(r"^\s*what (?:was|were|has been|have been|had been) (?:signed|concluded)\b"),
        ),
        (OTHER, _EN_COPULA_PHRASE),
        (OTHER, _p(rf"\b(which|what) {_EN_THING}")),
    ),
    thing_kinds={
        **dict.fromkeys("year month date day decade century period".split(), DATE),
        **dict.fromkeys(
            "person president leader minister official man woman successor predecessor "
            "ambassador head author candidate deputy politician founder general commander "
            "lawmaker legislator journalist writer governor mayor envoy diplomat member "
            "representative spokesman spokesperson".split(),
            PERSON,
        ),
        **dict.fromkeys(
            "company organisation organization alliance bloc body institution agency firm "
            "bank union group party centre center bloc coalition fund consortium "
            "corporation operator treaty agreement council newspaper outlet magazine journal "
            "broadcaster publisher".split(),
            ORGANISATION,
        ),
        **dict.fromkeys(
            "country city place region town capital site state republic nation "
            "location province port facility base airport station cosmodrome mine "
            "island river lake mountain district county village territory".split(),
            PLACE,
        ),
        **dict.fromkeys(
            "name label programme program plan project initiative pipeline "
            "document title event operation".split(),
            NAME,
        ),
        **dict.fromkeys(
            _EN_MEASURES.replace("|", " ").split(),
            NUMBER,
        ),
        # "in which area(s)", "what area of Brookhaven" ask for fields or places, not for a
        # surface ("what is the area of" still does: a measure, above)
        "area": OTHER,
        "areas": OTHER,
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
        "in_currency": "{missing} in {currency}",
        "other_time": "the passages found mention {held} for {stated}, not for {asked}",
        "other_owner": "the passages found mention {thing} only as {stated}, not {asked}",
        "denied": "the passages found mention {held} but say the opposite (“{stated}”)",
        "unsaid": "the passages found mention {held} but say nothing about {terms}",
        "unspelled": "the sources write {acronym} but never spell it out",
        "composing": "it asks for writing, and Dossier only reports what its sources say",
        "unspoken": "the passages found mention {held} but report no statement",
        "no_reason": "the passages found mention {held} but give no reason",
        "bygone": "the passages found mention {held} but only what has happened, "
        "not what is to come",
        "as_cause": "the passages found mention {held} only as the cause of something else, "
        "not what caused it",
        "no_support": "the passages found mention {held} but none of their sentences answers it",
        "nothing": "no passage found relates to the question",
        "and": "and",
    },
    refers_back=_p(
        r"^\s*(this|that|these|those|it|its|he|she|his|her|they|their|them|such|the latter|"
        r"the former|the (latter|same)|the (?:[\w’'-]+ ){0,2}(agreement|treaty|country|two|"
        r"organisation|project|pipeline|programme|deal|plan|move|decision|measure|event|"
        r"president))\b"
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
        "fifty hundred thousand dozen half third quarter double doubled tripled twice "
        "thrice".split()
    ),
    not_names=frozenset(
        """the a an in on at by for from to of and or but this that these those it its his
        her their they he she we i after before since during between following however while
        when where which who what why how notably also although though yet thus therefore
        as with without within despite among according finally first second third today
        nevertheless moreover furthermore indeed meanwhile because if there here some many
        most all several each both other such one two three""".split()
    )
    | UNIT_NAMES,
    institution_connectors=frozenset({"on"}),
    organisation_words=frozenset(
        """organisation organization union alliance bank fund company corporation group
        council committee forum treaty agreement community party ministry agency institute
        centre center consortium nato csto eeu eaeu un cis sco opec association commission
        federation assembly parliament duma senate congress government court protocol
        convention declaration accord pact charter memorandum""".split()
    ),
    place_words=_EN_PLACE_WORDS,
    specific_places=_EN_PLACE_WORDS - {"region", "republic", "oblast", "province"},
    natural_places=frozenset(
        "sea river lake mountains mount mountain bay gulf strait peninsula desert steppe "
        "valley island islands basin field deposit canal".split()
    ),
    person_titles=frozenset(
        "president minister prime mr mrs ms dr general chancellor king queen senator".split()
    ),
    generic_persons=frozenset(
        "person persons people man men woman women member members player players".split()
    ),
    unit_patterns=(
        (MONTH, _p(r"\b(which|what) month\b|\b(what|which|on what) (exact )?(date|day)\b")),
        (
            SHARE,
            _p(
                r"\b(what|by what|which) (share|percentage|proportion|portion|fraction|percent)\b"
                # "what is China's share of …": an owner may stand for "the" (and stays a
                # focus term: the unit is only the word after it)
                r"|\bwhat (was|is|were|are) the (share|percentage|proportion|portion)\b"
                r"|\bwhat (?:was|is|were|are) [\w-]+['’]s? (?P<unit>share|percentage|proportion"
                r"|portion)\b"
                # "how much of Kazakhstan's GDP does oil account for": a part of a whole
                # ("how much of a threat": a degree)
                r"|\bhow much of\b(?! an?\b)"
            ),
        ),
        (
            MONEY,
            _p(
                r"\bin (?:US |U\.S\. |American )?(?:dollars|euros|pounds|sterling|roubles"
                r"|rubles|tenge|yuan|yen)\b"
                r"|\bhow much money\b"
                # "how much did Gazprom invest": the unit, not what the question is about
                r"|\bhow much(?= did [\w\s'’-]+ (?:cost|spend|pay|invest|earn|lend|borrow)\b)"
                r"|\bhow much(?= (?:was|is|were|are|had|has|have) (?:[\w\s'’-]+ )?"
                r"(?:spent|paid|invested|earned|lent|borrowed)\b)"
            ),
        ),
        (AGE, _p(r"\bhow old\b")),
        (EXTENT, _p(r"\bhow long\b(?! ago)|\bhow many (years|months|weeks|days|hours)\b")),
        (
            COUNT,
            _p(
                r"\bhow many\b"
                rf"|\bwhat (was|is|were|are) the (number|population)\b{_EN_NOT_PREDICATED}"
                # "what is Kazakhstan's population?": the owner stays in the focus
                r"|(?<=['’]s )population\b(?=\s*(\?|$|in\b|now\b|today\b))"
            ),
        ),
        (AMOUNT, _p(r"\bhow much\b")),
    ),
    degree_question=_p(
        r"\bhow (?:big|large|far|long|old|high|tall|deep|wide|often|heavy|fast|small|low)\b"
    ),
    extent_words=frozenset(
        """year years month months week weeks day days hour hours decade decades century
        centuries km kilometres kilometers mile miles metres meters""".split()
    ),
    age_words=frozenset({"age", "aged", "ago"}),
    age_after=_p(r"(?:-| )years?[- ]old\b"),
    generic_measures=frozenset(
        "value values amount amounts number numbers figure figures total totals sum level "
        "levels size share percentage proportion rate rates".split()
    ),
    amount_measures=frozenset(
        """gdp budget revenue revenues income turnover output production cost
        price value volume total sum size area length distance capacity amount""".split()
    ),
    measure_units=frozenset(
        """tonne tonnes ton tons barrel barrels litre litres liter liters megawatt megawatts
        gigawatt gigawatts kilowatt kilowatts mw gw kw mwh gwh twh hectare hectares acre acres
        kilogram kilograms kg""".split()
    ),
    fraction_words=frozenset("half third thirds quarter quarters fifth tenth".split()),
    of_words=frozenset({"of"}),
    definite_words=frozenset("the these those".split()),
    locatives=frozenset("in into across throughout".split()),
    example_cues=(("such", "as"), ("including",), ("notably",), ("especially",), ("like",)),
    name_joiners=frozenset({"and", "&"}),
    settlement_words=frozenset("city town capital village municipality".split()),
    settlement_phrase=_p(
        r"\b(?:to|in|into|from|at|near|across)\s+(?P<place>the\s+(?:capital|city|town|village))"
        r"\b(?!\s+of\b|,\s+(?-i:[A-Z]))"
    ),
    present_copulas=frozenset({"is", "are"}),
    past_copulas=frozenset({"was", "were"}),
    year_words=frozenset(
        "in by since until till from to circa c around before after of during".split()
    ),
    century_mention=(
        r"\b(?:\d{1,2}(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
        r"|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth"
        r"|eighteenth|nineteenth|twentieth|twenty-first)[- ]century\b"
    ),
    era_mention=(
        r"\b(?:a|one|\d[\d,.]*)\s+(?:thousand\s+|million\s+|billion\s+)?years?\s+ago\b"
        r"|\b\d[\d,]*\s?(?:BP|BCE|BC|CE|AD)\b|\b(?:AD|CE)\s?\d{1,4}\b"
    ),
    since_words=frozenset("since".split()),
    baseline=_p(
        r"(?:(?:%|\bper ?cent|\btimes|\bfold)\s+(?:(?:higher|lower|more|less|up|down)\s+)?"
        r"(?:from|over|on)|\bthan|\bcompared (?:with|to)|\brelative to)\s+(?:(?:in|that of)\s+)?$"
    ),
    dated_thing=r"\bthe ((?:1[5-9]|20)\d\d {thing}s?)\b",
    particles=frozenset("down up off out over away back on in".split()),
    contractions=tuple(
        (_p(rf"\b(what|who|where|when|how|which|why)['’]{short}\b"), rf"\1 {whole}")
        for short, whole in (
            ("s", "is"),
            ("re", "are"),
            ("d", "did"),
            ("ve", "have"),
            ("ll", "will"),
        )
    ),
    time_question=_p(
        r"^\s*what (?:happened|occurred|took place|was happening)\s+(?:in|on|during|by)\s+"
        r"(?P<time>[^?]+?)\s*\??\s*$"
    ),
    currencies={
        **dict.fromkeys(("$", "dollar", "dollars", "usd"), "dollars"),
        **dict.fromkeys(("€", "euro", "euros", "eur"), "euros"),
        **dict.fromkeys(("£", "pound", "pounds", "sterling", "gbp"), "pounds"),
        **dict.fromkeys(("₽", "rouble", "roubles", "ruble", "rubles", "rub"), "roubles"),
        **dict.fromkeys(("₸", "tenge", "kzt"), "tenge"),
        **dict.fromkeys(("yuan", "renminbi", "rmb", "cny"), "yuan"),
        **dict.fromkeys(("yen", "jpy"), "yen"),
    },
    requests=(
        # "Please, can you tell me when …", "I'd like to know who …": the question after it
        (
            _p(
                rf"{_EN_OPENER}(?:(?:(?:can|could|would|will) you|please)\s+)*"
                r"(?:(?:tell|show|remind) me|(?:do|does anyone|did) (?:you )?(?:happen to )?know"
                r"|(?:i|we)\s*(?:['’]d|would|['’]m|am)?\s*(?:like|want|need|wish|wonder"
                r"|wondering|curious)(?: to (?:know|find out|learn|understand))?"
                r"|explain(?: to me)?|find out"
                # "Does the article say how many troops …?": how many troops
                rf"|(?:does|do|did) (?:the |this |that )?(?:{_EN_WORKS}s?|authors?)"
                r" (?:say|mention|tell(?: us| me)?|state|explain|specify|indicate|report|reveal))"
                r"\s*,?\s*"
                rf"(?={_EN_ASKING})"
            ),
            "",
        ),
        # "Give me the number of …"
        (
            _p(
                rf"{_EN_OPENER}(?:(?:(?:can|could|would) you|please)\s+)*"
                r"(?:give|tell|show|find) me the (?:number|count) of\s+"
            ),
            "How many ",
        ),
        # "Give me the trade volume for 2003", "Tell me about the operator", "Describe …"
        (
            _p(
                rf"{_EN_OPENER}(?:(?:(?:can|could|would) you|please)\s+)*"
                r"(?:(?:give|tell|show|find) me(?= (?:the|a|an|its|their)\b)|tell me about"
                r"|describe|summari[sz]e|explain"
                r"|(?:i|we)\s*(?:['’]d|would)?\s*(?:like|want|need|wish) to (?:know|find out))\s+"
            ),
            "What is ",
        ),
        # "Name the company that will build …", "List the deputies who …"
        (
            _p(
                rf"{_EN_OPENER}(?:please\s+)?(?:name|list|identify)\s+(?:all\s+)?(?:of\s+)?"
                r"(?:(?:the|a|an|one|any|some)\s+|(?=(?:two|three|four|five)\s))"
            ),
            "Which ",
        ),
    ),
    instruction=_p(
        r"^\s*(?:please\s+)?(?:answer|respond|reply|be|keep|cite|quote|use|include|only"
        r"|thanks|thank you|do not|don['’]t)\b[^?]*$"
    ),
    composition=_p(
        rf"{_EN_OPENER}(?:(?:can|could|would|will) you\s+)?(?:please\s+)?(?:write|compose|draft"
        r"|generate|create|invent|make up|imagine|pretend|rewrite|paraphrase|translate"
        r"|sing|tell (?:me |us )?(?:a |an )?(?:joke|story|poem|riddle))\b"
    ),
    relative_opening=_p(
        r"^\s*(?:(?:nearly|about|some|just|only|barely)\s+)?(?:a few|several|a|one|two|three"
        r"|four|five|six|seven|eight|nine|ten|\d+)\s+(?:days?|weeks?|months?|years?)\s+"
        r"(?:later|after)\b|^\s*(?:after|within)\s+(?:a few|several|a|one|two|three|\d+)\s+"
        r"(?:days?|weeks?|months?|years?)\b|^\s*(?:the (?:next|following) (?:day|week|month"
        r"|year)|shortly (?:after|afterwards)|soon after)\b"
    ),
    definition_question=_p(r"^\s*what (?:is|was|are|were) (?P<term>[^?,;]+?)\s*\??\s*$"),
    cause_question=_p(
        r"^\s*why\b|\bfor what reason\b|\bwhat (?:was|were|is|are) the (?:reason|cause|motive)s?\b"
    ),
    reason_cue=_p(
        r"\b(?:because|due to|owing to|thanks to|as a result|result(?:s|ed|ing)? (?:in|from)"
        r"|caus(?:e|es|ed|ing)|prompt(?:s|ed|ing)|driv(?:e|es|en|ing)|forc(?:e|es|ed|ing)"
        r"|l(?:ed|ead|eads|eading) (?:[\w’'-]+ ){0,4}to|made (?:[\w’'-]+ ){1,3}(?:aware|realise"
        r"|realize)|in order to|so as to|so that|in an (?:effort|attempt|bid) to"
        r"|aim(?:s|ed|ing)? (?:at|to)|in (?:response|reaction) to|in exchange for"
        r"|on account of|for fear|fears?|feared|reasons?|why|therefore|thus|hence"
        r"|consequently|given (?:that|its|their|the)|following|faced with"
        r"|(?:steps|measures|efforts|moves|attempts?|sought|seeks?|wants?|wanted|created"
        r"|formed|established|founded|set up|designed|built|used|intended|meant|introduced) to"
        r"|intention|as a means|based on|purpose|for (?:help|support|assistance|aid|protection)"
        r"|an? (?:[\w’'-]+ )?(?:way|means) (?:of|to)"
        r"|in the face of|consider(?:s|ed|ing)|regard(?:s|ed|ing) (?:[\w’'-]+ ){0,3}as"
        r"|seen as|kn(?:ew|ow|own|ows)|believ(?:e|ed|es|ing)|realis(?:e|ed)|realiz(?:e|ed)"
        r"|concerns?|concerned|worr(?:y|ied)|sanction for|affected by|hit by)\b"
    ),
    speech_question=_p(
        # (the verb in lower case: "What does the Islamic State lack …?")
        r"^\s*what (?:did|does|do|has|have|had) (?P<speaker>[\w'’. -]+?) (?-i:say|claim|declare"
        r"|state|announce|affirm|argue|assert|emphasi[sz]e|stress|warn|tell|promise|insist)\b"
    ),
    # (not words that name other things too: "the two states")
    speech_words=frozenset(
        """say says said saying tell tells told stated stating statement statements declare
        declares declared declaring declaration claimed affirm affirms affirmed affirming
        argue argues argued arguing announce announced announcement asserted emphasise
        emphasised emphasize emphasized stressed warn warned warning insisted promised
        promises speech speeches remark remarks commented criticised criticized acknowledged
        admitted proclaim proclaimed quipped noted explained replied wrote
        questioned questioning challenged rejected rejecting refused refusing opposed
        considered considering accused condemned demanded urged proposed denied
        recognised recognized""".split()  # a stance taken says what was said of it
    ),
    acronym_question=re.compile(
        r"(?i:\bwhat\s+(?:does|do|did)\s+(?:the\s+)?(?:(?:acronym|abbreviation|initials)\s+)?)"
        r"(?P<acronym>[A-Z][A-Z0-9]{1,7})"
        r"(?=(?i:\s+stands?\s+for)\b)"
        r"|(?i:\b(?:full\s+name|full\s+form|long\s+form)\s+of\s+(?:the\s+)?)"
        r"(?P<full>[A-Z][A-Z0-9]{1,7})\b"
    ),
    title_question=_p(
        # the whole question, not one asking of a title ("In the article's title, what …?")
        rf"^\s*what (?:is|was) (?:(?:the|this|that|its) (?:{_EN_WORKS}['’]s )?(?:title|headline)"
        rf"(?: of (?:the|this|that) {_EN_WORKS})?|(?:the|this|that) {_EN_WORKS} (?:called|titled"
        r"|entitled))\s*\??\s*$"
    ),
    author_question=_p(
        rf"\bwho (?:wrote|authored|penned) (?:it|this|that|(?:this|the|that) {_EN_WORKS})\b"
        rf"|\b(?:author|writer)s? of (?:this|the|that) {_EN_WORKS}\b"
        r"|^\s*who (?:is|are|was|were) the (?:author|writer)s?\s*\??\s*$"
    ),
    signpost=_p(
        r"^(?![\"“‘'«])(?:[\w ’']{0,30},\s*|(?:here|today|now|below|first|next|finally)\s+)?"
        r"(?:we|i|this (?:article|analysis|paper|report|section"
        r"|study|chapter|essay|note))\s+(?:(?:will|shall|now|first|then|here|also|are going to"
        r"|am going to|would like to|intend to|aim to|set out to|seek to)\s+)*(?:analy[sz]e"
        r"|examine|explore|discuss|consider|look at|describe|review|outline|study|studies"
        r"|investigate|assess|address|focus on|present)s?\b"
    ),
    work_question=_p(rf"\b(?:the|this|that) (?:{_EN_WORKS}|authors?)\b"),
    pronouns=frozenset("he him his she her hers it its they them their".split()),
    present_words=frozenset("current currently now today nowadays presently".split()),
    agreeing_words=frozenset(
        """agree agreed sign signed settle settled conclude concluded ratify ratified adopt
        adopted amend amended revise revised negotiate negotiated approve approved""".split()
    ),
    concluding_words=frozenset(
        "sign signed conclude concluded agree agreed strike struck reach reached".split()
    ),
    cause_marker=_p(
        r"\b(?:due to|because of|because|owing to|following|thanks to|as a result of|"
        r"caused by|prompted by|driven by|in response to|on account of)\b"
    ),
    future=_p(
        r"\b(?:will|shall|won['’]t|going to|plans? to|intends? to)\b|['’]ll\b"
        r"|\b(?:expected|scheduled|set|planned|slated|projected|forecast) (?:to|for)\b"
        # "due to open"; "due to the collapse", "due to carbon dioxide" give a cause
        r"|\bdue (?:to (?:be|start|begin|open|close|end|finish|come|enter|launch|resume|run"
        r"|return|complete|expire|take)\b|for\b)"
    ),
    intention=_p(
        r"\b(?:agreements?|deals?|plans?|pledges?|promises?|commitments?|aims?|seeks?"
        r"|decisions?|decided|undertook) to "
        r"(?!(?:the|a|an|its|their|this|that|be)\b)(?P<verb>[a-z]+)"
    ),
    # not "was": "when was the plant expected to open?" asks what was to come
    past_auxiliaries=frozenset({"did"}),
    relative_words=frozenset("after before following subsequently later".split()),
    period_words=frozenset("in during by".split()),
    clause_openers=frozenset("after before following since until during when while once".split()),
    negations=frozenset(
        "not never no neither nor cannot refuse refused refuses declined declines failed "
        "fails".split()
    ),
    respectively=frozenset({"respectively"}),
    including=_p(r"\b(?:including|notably|among them|among which|of which|such as)\b"),
    copula_phrase=_EN_COPULA_PHRASE,
    # one word: "the Eurasian Economic Union" is not owned as "Eurasian" is
    of_name=re.compile(r"\s+(?i:of|in) (?:the )?(?P<name>[A-Z][\w-]*)(?!\s+[A-Z])\b"),
    agent_words=frozenset({"by"}),
    event_words=frozenset(
        "forum summit conference festival games championship cup expo exhibition".split()
    ),
    change_words=frozenset("up down by rose fell grew increased decreased dropped".split()),
    change_verbs=frozenset(
        "shrink shrank grow grew fall fell rise rose increase decrease drop decline contract "
        "expand climb jump slump".split()
    ),
    change_question=_p(r"\bby how (?:much|many)\b|\bby what (?:amount|factor|margin)\b"),
    factor_words=frozenset("times fold doubled tripled quadrupled halved twice".split()),
    sole=_p(r"\b(?P<one>the (?:only|sole|single))\s"),
    person_after=re.compile(r"\s*(?:,\s*who\b|(?:and|with) (?:his|her)\b|(?:him|her)self\b)"),
    auxiliaries=frozenset("did does do has have had will would can could should might".split()),
    perfect_auxiliaries=frozenset("has have had".split()),
    subject_question=_p(
        r"^\s*who\s+(?!(?:is|was|are|were|be|been|did|does|do|has|have|had|will|would|can|"
        r"could|should|may|might|must)\b)(?P<verb>[a-z]+)\b"
    ),
    plurals=(("ies", "y"), ("es", ""), ("s", "")),
    irregular_plurals=frozenset("people men women children police cattle".split()),
    name_of=_p(r"\bnames? of (?P<named>[\w'’ -]+)"),
    term_asked=_p(r"\b(?:called|termed|known as)\s*\??\s*$"),
    pronoun_subject=_p(
        r"^\s*(?:(?:it|they|he|she)\b|(?:this|that|these|those)\s+"
        r"(?:(?:then|also|therefore|thus|later|still|soon)\s+)?"
        r"(?:is|was|were|are|has|had|have|will|would|could|can|did|does|do|may|might|"
        r"must|should|[a-z]+ed)\b)"
    ),
    name_given=_p(
        r"\b(?:what|which) names? (?:do|does|did|is|was|are|were)\b|\bby what name\b"
        r"|\bwhat (?:do|does|did) (?:the |this |these )?[\w'’-]+ (?:call|name|term|label)\b"
        r"|\bhow (?:do|does|did) (?:the |this |these )?[\w'’-]+ (?:refer to|call|name)\b"
    ),
    sort_of=_p(
        r"\b(?:what|which) (?:type|kind|sort|form|group|body|class|category|variety)s? of\b"
    ),
    head_final=True,
)


def _library_stop_words(name: str, *extra: str) -> frozenset[str]:
    """A language's stop words: the Snowball list bm25s ships (the one BM25 uses), plus
    the question words and asking verbs a question adds ("combien", "wann", "cuándo")."""
    listed = getattr(bm25s.stopwords, f"STOPWORDS_{name.upper()}", ())
    return frozenset(listed) | frozenset(w for words in extra for w in words.split())


# Any of these, as a question's first word, makes what follows a question word.
_Q = r"^[\s¿¡«\"'“]*"


def _thing(words: str = r"[\w'’-]+") -> str:
    return rf"(?P<thing>{words}(?: {words}){{0,2}})"


_FR_THING = _thing()

FRENCH = Lexicon(
    code="fr",
    stemmer="french",
    stop_words=_library_stop_words(
        "french",
        """quand combien pourquoi comment où quel quelle quels quelles lequel laquelle
        lesquels lesquelles quoi qu est-ce cela ceci ça cet cette celui celle ceux celles
        dont si non oui selon texte article auteur dit dire donne donner mentionne
        mentionné décrit nom nommé appelé appelée sorte type genre aussi plus moins très
        tout tous toute toutes été être avoir fait faire peut ils elles y a-t-il""",
    ),
    kind_patterns=(
        (
            YESNO,
            _p(
                rf"{_Q}(est-ce qu|y a-t-il\b|\w+-(t-)?(il|elle|ils|elles|on)\b)"
                r"|^(?!.*\b(quand|qui|où|combien|pourquoi|comment|quel|quelle|quels|quelles|"
                r"que|qu|quoi|lequel|laquelle)\b).*\w-(t-)?(il|elle|ils|elles|on)\b"
            ),
        ),
        (
            DATE,
            _p(
                rf"{_Q}(depuis |jusqu['’]à )?quand\b|\b(en|dans|depuis) quel(le)? (année|mois|"
                r"siècle|décennie|jour)\b|\bquel(le)?s? (année|date|mois|jour|décennie|siècle)\b"
                r"|\bà quelle (date|époque|période)\b|\bil y a combien de temps\b"
            ),
        ),
        (
            NUMBER,
            _p(
                rf"\bcombien(?: de | d['’]\s*)?{_FR_THING}?|\bcombien\b"
                r"|\bà quelle (distance|hauteur|vitesse|profondeur|altitude)\b"
                r"|\bquel(le)? (est|était|fut|sont|étaient) (le|la|l['’]\s*|les) ?"
                r"(?P<measure>montant|volume|nombre|taille|part|pourcentage|proportion|taux|"
                r"niveau|total|chiffre|coût|prix|population|superficie|valeur|croissance|"
                r"déficit|âge|longueur|hauteur|distance|durée|somme)\b"
                r"|\bquel(le)?s? (part|pourcentage|proportion|montant|nombre|somme|chiffre|"
                r"quantité|âge|superficie|taux)\b"
            ),
        ),
        (
            PERSON,
            _p(
                # "qui est le ministre des Affaires étrangères": a role
                rf"{_Q}qui (?:est|était|fut|a été|sera) (?:le |la |l['’]|un |une )"
                r"(?P<role>[\w'’-]+(?: [\w'’-]+){0,3})"
                rf"|{_Q}(qui|à qui|de qui)\b|\b(par|pour|avec|de|à|contre) qui\b"
            ),
        ),
        (
            PLACE,
            _p(
                rf"{_Q}(où|d['’]où|par où)|\b(dans|en|à|de) quel(le)?s? (lieu|endroit|ville|"
                r"pays|région|continent|province)\b"
            ),
        ),
        (
            REASON,
            _p(
                rf"{_Q}pourquoi\b|\bpourquoi\b|\bpour quelles? raisons?\b|\bqu['’]est-ce qui a "
                r"(causé|provoqué|entraîné|motivé|poussé)\b|\bquel(le)?s? (est|était|fut|sont|"
                r"étaient|furent) (la|les|le) (raison|cause|motif|but|objectif|origine)s?\b"
            ),
        ),
        (
            OTHER,
            _p(
                r"\b(quel|quelle|quels|quelles|lequel|laquelle|lesquels|lesquelles)\s+"
                r"(?:(?:est|sont|était|étaient|fut|furent|a été|ont été)\s+"
                rf"(?:le |la |les |l['’]\s*)?)?{_FR_THING}"
            ),
        ),
    ),
    thing_kinds={
        **dict.fromkeys("année mois date jour décennie siècle époque période".split(), DATE),
        **dict.fromkeys(
            "personne président présidente dirigeant dirigeante chef ministre homme femme "
            "successeur prédécesseur ambassadeur auteur autrice candidat fondateur fondatrice "
            "roi reine empereur général joueur entraîneur architecte scientifique".split(),
            PERSON,
        ),
        **dict.fromkeys(
            "entreprise société organisation alliance bloc organisme institution agence firme "
            "banque union groupe parti centre coalition fonds consortium compagnie opérateur "
            "traité accord équipe club université école".split(),
            ORGANISATION,
        ),
        **dict.fromkeys(
            "pays ville lieu région endroit capitale site état république nation zone "
            "province port continent île fleuve rivière territoire".split(),
            PLACE,
        ),
        **dict.fromkeys(
            "nom terme titre programme plan projet initiative gazoduc oléoduc document "
            "événement opération".split(),
            NAME,
        ),
        **dict.fromkeys(
            "part pourcentage proportion nombre montant valeur volume chiffre total taux "
            "taille population somme quantité".split(),
            NUMBER,
        ),
    },
    kind_phrases={
        DATE: ("date", "date"),
        NUMBER: ("chiffre", "chiffre pour {thing}"),
        PERSON: ("nom de personne", "nom de {thing}"),
        ORGANISATION: ("nom d'organisation", "nom de {thing}"),
        PLACE: ("lieu", "{thing}"),
        NAME: ("nom", "nom de {thing}"),
    },
    messages={
        "abstain": "Les sources ne couvrent pas cette question",
        "never": "les sources ne mentionnent jamais {terms}",
        "not_found": "les passages trouvés ne mentionnent pas {terms}",
        "no_kind": "les passages trouvés mentionnent {held} mais ne donnent aucun(e) {missing}",
        "other_time": "les passages trouvés mentionnent {held} pour {stated}, pas pour {asked}",
        "other_owner": "les passages trouvés mentionnent {thing} seulement pour {stated}, "
        "pas pour {asked}",
        "denied": "les passages trouvés mentionnent {held} mais disent le contraire (« {stated} »)",
        "unsaid": "les passages trouvés mentionnent {held} mais ne disent rien de {terms}",
        "unspelled": "les sources écrivent {acronym} sans jamais le développer",
        "composing": "elle demande de rédiger, et Dossier ne rapporte que ce que disent "
        "ses sources",
        "unspoken": "les passages trouvés mentionnent {held} mais ne rapportent aucun propos",
        "no_reason": "les passages trouvés mentionnent {held} mais n'en donnent aucune raison",
        "bygone": "les passages trouvés mentionnent {held} mais seulement ce qui a eu lieu, "
        "pas ce qui est à venir",
        "as_cause": "les passages trouvés mentionnent {held} seulement comme cause d'autre "
        "chose, pas ce qui l'a causé",
        "no_support": "les passages trouvés mentionnent {held} mais aucune de leurs phrases "
        "n'y répond",
        "nothing": "aucun passage trouvé ne se rapporte à la question",
        "and": "et",
    },
    refers_back=_p(
        r"^\s*(ce|cet|cette|ces|cela|ceci|ça|il|elle|ils|elles|son|sa|ses|leur|leurs|"
        r"celui-ci|celle-ci|ceux-ci|celles-ci|ce dernier|cette dernière|ces derniers|"
        r"ces dernières|ledit|ladite|"
        r"(le|la|l['’]|les) ?(accord|traité|pays|deux|organisation|projet|gazoduc|oléoduc|"
        r"programme|plan|décision|mesure|événement|président|même|premier|première))\b"
    ),
    part_split=_p(
        r"(?:,\s*|\s+)(?:et|ainsi que|,)\s+(?=(?:quand|qui|quel|quelle|quels|quelles|où|"
        r"pourquoi|comment|combien|en quelle|dans quel|dans quelle|à quel|à quelle|"
        r"est-ce)\b)|\?\s+(?=\w)"
    ),
    months=frozenset(
        "janvier février mars avril mai juin juillet août septembre octobre novembre "
        "décembre".split()
    ),
    months_capitalised=False,
    date_day=r"(?:\d{1,2}|1er)\s+",
    magnitudes=frozenset(
        "mille millier milliers million millions milliard milliards md mds km km² %".split()
    ),
    number_words=frozenset(
        "deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
        "seize vingt trente quarante cinquante soixante cent cents mille douzaine dizaine "
        "centaine moitié tiers quart double doublé triplé".split()
    ),
    not_names=frozenset(
        """le la les l un une des du de d en dans pour par sur sous avec sans après avant
        depuis pendant entre selon vers chez contre ce cet cette ces il elle ils elles on
        nous vous je son sa ses leur leurs cependant toutefois ainsi alors mais et ou donc
        car lorsque quand où qui que quoi comment pourquoi enfin aujourd'hui plusieurs
        certains certaines tous toutes chaque autre autres malgré parmi grâce outre puis
        également aussi notamment néanmoins pourtant si""".split()
    )
    | UNIT_NAMES,
    organisation_words=frozenset(
        """organisation union alliance banque fonds société compagnie groupe conseil comité
        forum traité accord communauté parti ministère agence institut centre consortium
        otan onu ocs opep association commission fédération université""".split()
    ),
    place_words=frozenset("ville république région mer fleuve lac monts province port".split()),
    person_titles=frozenset(
        "président présidente ministre m mme dr général chancelier roi reine sénateur".split()
    ),
    generic_persons=frozenset(
        "personne personnes gens homme hommes femme femmes membre membres joueur joueurs".split()
    ),
    decade_mention=r"\b(?:les |des )?années\s+(?:1[5-9]|20)\d0\b",
    year_words=frozenset("en depuis vers avant après dès jusqu".split()),
    century_mention=r"\b(?:[XVI]+|\d{1,2})(?:e|ème)\s+siècle\b",
    era_mention=(
        r"\bil y a (?:environ )?\d[\d\s,.]*(?:millions?\s+|milliards?\s+)?(?:d['’])?ans\b"
        r"|\b\d[\d\s]*\s?av\. J\.-C\."
    ),
    currency=r"(?:de\s+|d['’]\s*)?(?:dollars|euros|roubles|tenge|USD|EUR)\b|€",
    percent=r"pour ?cent\b",
    connectors=frozenset({"de", "du", "des", "la", "le", "d", "et"}),
    thing_by_stem=True,
    unit_patterns=(
        (MONTH, _p(r"\b(quel|en quel) mois\b|\b(quelle|à quelle) date\b|\bquel jour\b")),
        (
            SHARE,
            _p(r"\b(quelle|de quelle) (part|proportion|fraction)\b|\bquel pourcentage\b"),
        ),
        (
            EXTENT,
            _p(
                r"\bcombien de (temps|années|ans|mois|semaines|jours|heures)\b"
                r"|\bquelle (longueur|durée|distance)\b"
            ),
        ),
        (
            COUNT,
            _p(r"\bcombien\b|\bquel (est|était) le nombre\b|\bquelle (est|était) la population\b"),
        ),
    ),
    extent_words=frozenset(
        """an ans année années mois semaine semaines jour jours heure heures décennie
        décennies siècle siècles km kilomètres mètres milles""".split()
    ),
    fraction_words=frozenset("moitié tiers quart quarts cinquième dixième".split()),
    definite_words=frozenset("les ces".split()),
    locatives=frozenset("en au aux".split()),
    settlement_words=frozenset("ville capitale village commune".split()),
    present_copulas=frozenset({"est", "sont"}),
    since_words=frozenset("depuis dès".split()),
    dated_thing=r"\b(?:l['’]|les? |la )({thing}s? de (?:1[5-9]|20)\d\d)\b",
    acronym_question=re.compile(
        r"(?i:\bque\s+(?:signifie|veut\s+dire)\s+(?:(?:le\s+sigle|l['’]acronyme)\s+)?"
        r"(?:l['’]|le\s+|la\s+|les\s+)?)(?P<acronym>[A-Z][A-Z0-9]{1,7})\b"
    ),
    author_question=_p(
        r"\bqui a (?:écrit|rédigé) (?:cet |cette |ce |le |la |l['’])\s*(?:article|analyse|rapport"
        r"|texte|étude|note|document)\b|\b(?:auteur|autrice)e?s? (?:de cet |de cette |de l['’]|du "
        r"|de la )\s*(?:article|analyse|rapport|texte|étude|note|document)\b"
    ),
    signpost=_p(
        r"^(?![\"“‘'«])(?:[\w ’']{0,30},\s*|(?:ici|aujourd['’]hui|maintenant|ensuite)\s+)?"
        r"(?:nous\s+(?:(?:allons|voulons|proposons\s+d['’])\s*)?"
        r"(?:analys|examin|étudi|explor|présent|considér)\w*|(?:cet article|cette (?:analyse"
        r"|étude|note)|ce (?:rapport|texte|document))\s+(?:analyse|examine|étudie|explore"
        r"|présente|propose))\b"
    ),
    work_question=_p(
        r"\b(?:l['’]|cet |cette |ce |le |la )\s*(?:article|analyse|rapport|texte|étude|note"
        r"|document|auteur|autrice)\b"
    ),
    requests=(
        # "Pouvez-vous me dire quand …", "Je voudrais savoir qui …": the question after it
        (
            _p(
                r"^([\s«\"'“]*)(?:(?:s['’]il (?:te|vous) pla[iî]t|bonjour|salut)\b[,!.]?\s*)*"
                r"(?:(?:(?:pouvez|pourriez)-vous|(?:peux|pourrais)-tu|merci de)\s+)?(?:me\s+)?"
                r"(?:dire|dites-moi|dis-moi|indiquer|indiquez-moi|indique-moi|expliquer"
                r"|expliquez(?:-moi)?|explique(?:-moi)?|savez-vous|sais-tu"
                r"|(?:je|j['’])\s*(?:voudrais|veux|aimerais|souhaite|souhaiterais) savoir)\s*,?\s*"
                r"(?=(?:quand|qui|que|qu['’]|quoi|quel|quelle|quels|quelles|où|pourquoi|comment"
                r"|combien|en quelle|dans quel|depuis quand|à quel|à quelle)\b)"
            ),
            r"\1",
        ),
    ),
    instruction=_p(
        r"^\s*(?:merci\b|(?:répond(?:s|ez)|sois|soyez|cite|citez|utilise|utilisez|reste|restez)"
        r"\b)[^?]*$"
    ),
    composition=_p(
        r"^\s*(?:s['’]il (?:te|vous) pla[iî]t,?\s*)?(?:écris|écrivez|rédige|rédigez|compose"
        r"|composez|invente|inventez|imagine|imaginez|traduis|traduisez"
        r"|raconte(?:z)?(?:-moi| moi)? une (?:blague|histoire))\b"
    ),
    pronouns=frozenset("il elle lui leur leurs son sa ses ils elles".split()),  # not articles
    present_words=frozenset(
        "actuel actuelle actuels actuelles actuellement aujourd maintenant".split()
    ),
    relative_words=frozenset("après avant ultérieurement".split()),
    period_words=frozenset("en".split()),
    respectively=frozenset({"respectivement"}),
    agent_words=frozenset({"par"}),
    elision=re.compile(r"(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)['’](?=[^\W\d_])", re.I),
)

_DE_THING = _thing()

GERMAN = Lexicon(
    code="de",
    stemmer="german",
    stop_words=_library_stop_words(
        "german",
        """wann wer wen wem wessen warum weshalb wieso woher wohin worauf wodurch womit
        welcher welches welchen welchem wieviel wieviele viele gibt gab laut text artikel
        autor sagt gesagt nennt genannt beschreibt name namen genannte art sowie ja nein
        mehr meisten wurde wurden worden ab statt""",
    ),
    kind_patterns=(
        (
            YESNO,
            _p(
                rf"{_Q}(ist|sind|war|waren|hat|haben|hatte|hatten|kann|können|konnte|konnten|"
                r"wird|werden|wurde|wurden|gibt|gab|darf|durfte|muss|musste|soll|sollte|"
                r"stimmt|trifft)\b"
            ),
        ),
        (
            DATE,
            _p(
                rf"{_Q}(seit |bis )?wann\b|\b(in|seit|an|bis zu|ab) welche[mnr]? (jahr|monat|"
                r"tag|datum|jahrzehnt|jahrhundert|zeitpunkt)\b|\bwelche[rsmn]? (jahr|datum|"
                r"monat|tag|jahrzehnt|jahrhundert)\b|\bwie lange ist es her\b"
            ),
        ),
        (
            NUMBER,
            _p(
                rf"\bwie ?viele?n? {_DE_THING}?|\bwie ?viele?\b"
                r"|\bwie (groß|lange?|weit|hoch|alt|oft|schwer|tief|breit|schnell)\b"
                r"|\bwas (war|ist|sind|waren) (der|die|das) (?P<measure>wert|umfang|betrag|"
                r"größe|anteil|zahl|anzahl|fläche|rate|quote|niveau|prozentsatz|gesamtzahl|"
                r"summe|kosten|preis|bevölkerung|einwohnerzahl|wachstum|defizit)\b"
                r"|\bwelche[rsnm]? (anteil|prozentsatz|betrag|anzahl|zahl|summe|menge)\b"
            ),
        ),
        (
            PERSON,
            _p(rf"{_Q}(wer|wen|wem|wessen)\b|\b(von|mit|an|für|gegen|durch) (wem|wen)\b"),
        ),
        (
            PLACE,
            _p(
                rf"{_Q}(wo|wohin|woher)\b|\b(in|an|aus) welche[mnr]? (ort|stadt|land|region|"
                r"staat|gegend|provinz|kontinent)\b"
            ),
        ),
        (
            REASON,
            _p(
                rf"{_Q}(warum|weshalb|wieso|weswegen)\b|\baus welchem grund\b"
                r"|\bwas (führte|verursachte|veranlasste|bewog|trieb)\b|\bwas (war|ist|waren|"
                r"sind) (der|die) (grund|ursache|anlass|zweck|ziel|motiv)e?\b"
            ),
        ),
        (
            OTHER,
            _p(rf"\b(welche[rsnm]?|was für(?: ein(?:e[rsnm]?)?)?)\s+{_DE_THING}"),
        ),
    ),
    thing_kinds={
        **dict.fromkeys("jahr monat datum tag jahrzehnt jahrhundert zeitraum epoche".split(), DATE),
        **dict.fromkeys(
            "person präsident präsidentin führer leiter minister ministerin mann frau "
            "nachfolger vorgänger botschafter autor autorin kandidat gründer gründerin könig "
            "königin kaiser general spieler trainer architekt wissenschaftler".split(),
            PERSON,
        ),
        **dict.fromkeys(
            "unternehmen firma organisation bündnis allianz block institution behörde agentur "
            "bank union gruppe partei zentrum koalition fonds konsortium gesellschaft "
            "betreiber vertrag abkommen mannschaft verein team universität schule".split(),
            ORGANISATION,
        ),
        **dict.fromkeys(
            "land stadt ort region gegend hauptstadt standort staat republik nation gebiet "
            "provinz hafen kontinent insel fluss territorium".split(),
            PLACE,
        ),
        **dict.fromkeys(
            "name begriff bezeichnung titel programm plan projekt initiative pipeline "
            "dokument ereignis operation".split(),
            NAME,
        ),
        **dict.fromkeys(
            "anteil prozentsatz zahl anzahl betrag wert umfang summe gesamtzahl rate quote "
            "größe bevölkerung menge".split(),
            NUMBER,
        ),
    },
    kind_phrases={
        DATE: ("Datum", "Datum"),
        NUMBER: ("Zahl", "Zahl für {thing}"),
        PERSON: ("Personennamen", "Namen des {thing}"),
        ORGANISATION: ("Namen einer Organisation", "Namen des {thing}"),
        PLACE: ("Ort", "{thing}"),
        NAME: ("Namen", "Namen des {thing}"),
    },
    messages={
        "abstain": "Die Quellen beantworten diese Frage nicht",
        "never": "die Quellen erwähnen {terms} nirgends",
        "not_found": "die gefundenen Passagen erwähnen {terms} nicht",
        "no_kind": "die gefundenen Passagen erwähnen {held}, nennen aber keinen {missing}",
        "other_time": "die gefundenen Passagen erwähnen {held} für {stated}, nicht für {asked}",
        "other_owner": "die gefundenen Passagen erwähnen {thing} nur für {stated}, nicht für "
        "{asked}",
        "denied": "die gefundenen Passagen erwähnen {held}, sagen aber das Gegenteil („{stated}“)",
        "unsaid": "die gefundenen Passagen erwähnen {held}, sagen aber nichts über {terms}",
        "unspelled": "die Quellen schreiben {acronym}, lösen es aber nirgends auf",
        "composing": "sie verlangt einen eigenen Text, und Dossier gibt nur wieder, was "
        "seine Quellen sagen",
        "unspoken": "die gefundenen Passagen erwähnen {held}, geben aber keine Äußerung wieder",
        "no_reason": "die gefundenen Passagen erwähnen {held}, nennen aber keinen Grund",
        "bygone": "die gefundenen Passagen erwähnen {held}, aber nur Geschehenes, nicht Kommendes",
        "as_cause": "die gefundenen Passagen erwähnen {held} nur als Ursache von etwas "
        "anderem, nicht, was es verursacht hat",
        "no_support": "die gefundenen Passagen erwähnen {held}, aber keiner ihrer Sätze "
        "beantwortet die Frage",
        "nothing": "keine gefundene Passage betrifft die Frage",
        "and": "und",
    },
    refers_back=_p(
        r"^\s*(dies|diese|dieser|dieses|diesem|diesen|es|er|sie|sein|seine|seiner|seinem|"
        r"seinen|ihr|ihre|ihrer|ihrem|ihren|deren|dessen|letztere[rsmn]?|erstere[rsmn]?|"
        r"beide|dabei|daher|damit|dadurch|danach|darauf|"
        r"(?-i:das(?=\s+[a-zäöüß]))|"
        r"(das|der|die) (abkommen|vertrag|land|beiden|organisation|projekt|pipeline|"
        r"programm|plan|entscheidung|maßnahme|ereignis|präsident|selbe|gleiche))\b"
    ),
    part_split=_p(
        r"(?:,\s*|\s+)(?:und|sowie|,)\s+(?=(?:wann|wer|wen|wem|was|welche[rsnm]?|wo|wohin|"
        r"warum|wie|in welche[mnr]?|an welche[mnr]?|seit wann)\b)|\?\s+(?=\w)"
    ),
    months=frozenset(
        "januar februar märz april mai juni juli august september oktober november dezember".split()
    ),
    date_day=r"\d{1,2}\.\s*",
    magnitudes=frozenset("tausend million millionen milliarde milliarden mio mrd km km² %".split()),
    number_words=frozenset(
        "zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn "
        "fünfzehn zwanzig dreißig vierzig fünfzig hundert tausend dutzend hälfte drittel "
        "viertel doppelt verdoppelt verdreifacht".split()
    ),
    not_names=frozenset(
        """der die das den dem des ein eine einer eines einem einen in im an am auf aus bei
        mit nach seit von vom vor zu zum zur für über unter zwischen während durch gegen ohne
        um dies diese dieser dieses er sie es wir ich ihr sein seine ihre nach jedoch aber
        und oder doch dann als wenn wann wo wer was warum wie welche welcher welches obwohl
        trotz außerdem zudem schließlich heute einige viele alle jeder jede jedes andere
        beide dabei daher damit dort hier so auch""".split()
    )
    | UNIT_NAMES,
    organisation_words=frozenset(
        """organisation union allianz bündnis bank fonds unternehmen gesellschaft gruppe rat
        ausschuss forum vertrag abkommen gemeinschaft partei ministerium agentur institut
        zentrum konsortium nato uno un opec verband kommission föderation universität ag
        gmbh""".split()
    ),
    place_words=frozenset("stadt republik region meer fluss see gebirge provinz hafen".split()),
    person_titles=frozenset(
        "präsident präsidentin minister ministerin herr frau dr general kanzler kanzlerin "
        "könig königin senator".split()
    ),
    generic_persons=frozenset(
        "person personen leute mensch menschen mann männer frau frauen mitglied mitglieder "
        "spieler".split()
    ),
    decade_mention=r"\b(?:1[5-9]|20)\d0er(?:[- ]?jahren?)?\b",
    year_words=frozenset("im seit bis um vor nach ab jahr jahre".split()),
    century_mention=r"\b\d{1,2}\.\s+Jahrhunderts?\b",
    era_mention=(
        r"\bvor (?:etwa )?\d[\d.,]*\s*(?:Millionen\s+|Milliarden\s+)?Jahren\b"
        r"|\b\d+\s?v\. Chr\."
    ),
    currency=r"(?:dollar|us-dollar|euro|rubel|tenge|USD|EUR)\b|€",
    percent=r"prozent\b",
    connectors=frozenset({"von", "der", "des", "de", "und", "zu"}),
    common_noun=re.compile(
        r"(ung|heit|keit|schaft|tion|ität|nis|nisse|tum|tümer|ismus|ismen|chen|lein|ik|enz|"
        r"anz)(en|n)?$"
    ),
    thing_by_stem=True,
    unit_patterns=(
        (
            MONTH,
            _p(r"\bin welchem monat\b|\ban welchem (tag|datum)\b|\bwelches datum\b"),
        ),
        (
            SHARE,
            _p(r"\bwelche[nrs]? (anteil|prozentsatz)\b|\b(um )?wie viel prozent\b"),
        ),
        (EXTENT, _p(r"\bwie lange?\b|\bwie viele (jahre|monate|wochen|tage|stunden)\b")),
        (COUNT, _p(r"\bwie viele\b|\bwie (groß|hoch) (ist|war) die (zahl|anzahl|bevölkerung)\b")),
    ),
    extent_words=frozenset(
        """jahr jahre jahren monat monate monaten woche wochen tag tage tagen stunde
        stunden jahrzehnt jahrzehnte jahrhundert km kilometer meter meilen""".split()
    ),
    fraction_words=frozenset("hälfte drittel viertel fünftel zehntel".split()),
    definite_words=frozenset("die diese jene".split()),
    locatives=frozenset("in nach".split()),
    settlement_words=frozenset("stadt hauptstadt dorf gemeinde".split()),
    since_words=frozenset("seit ab".split()),
    acronym_question=re.compile(
        r"(?i:\b(?:wof(?:ü|u)r\s+steht|was\s+bedeutet)\s+(?:die\s+Abk(?:ü|u)rzung\s+)?"
        r"(?:die\s+|der\s+|das\s+)?)(?P<acronym>[A-Z][A-Z0-9]{1,7})\b"
    ),
    author_question=_p(
        r"\bwer hat (?:diesen|den|dieses|das|diese|die) (?:Artikel|Bericht|Text|Beitrag|Analyse"
        r"|Studie|Dokument) (?:geschrieben|verfasst)\b"
        r"|\b(?:Autor|Autorin|Autoren|Verfasser)(?:in)? (?:des|dieses|der|dieser) "
        r"(?:Artikels|Berichts|Textes|Beitrags|Analyse|Studie|Dokuments)\b"
    ),
    signpost=_p(
        r"^(?![\"“„‘'«])(?:(?:heute|hier|zunächst|im Folgenden|in diesem \w+) werden wir\b.{0,80}?"
        r"\b(?:analysieren|untersuchen|betrachten|beleuchten|erörtern|diskutieren)"
        r"|(?:[\w ’']{0,30},\s*)?(?:wir\s+(?:werden\s+|wollen\s+)?(?:(?:im Folgenden"
        r"|zunächst|hier)\s+)?(?:analysier|untersuch|betracht|beleucht|erörter|diskutier)\w*"
        r"|(?:dieser|der vorliegende) (?:Artikel|Bericht|Beitrag|Text)\s+(?:analysiert"
        r"|untersucht|betrachtet|beleuchtet)|diese (?:Studie|Analyse|Arbeit)\s+(?:analysiert"
        r"|untersucht|betrachtet|beleuchtet)))\b"
    ),
    work_question=_p(
        r"\b(?:der|dieser|den|diesen|dem|diesem|des|dieses) (?:Artikels?|Berichts?|Textes"
        r"|Text|Beitrags?|Autors?)\b|\b(?:die|diese|der|dieser) (?:Studie|Analyse|Autorin)\b"
    ),
    requests=(
        # "Kannst du mir sagen, wann …", "Ich möchte wissen, wer …": the question after it
        (
            _p(
                r"^([\s«»\"'„“]*)(?:(?:bitte|hallo)\b[,!.]?\s*)*"
                r"(?:(?:(?:kannst|könntest) du|(?:können|könnten) sie)\s+(?:mir\s+)?(?:bitte\s+)?"
                r"(?:sagen|erklären)|sag(?:en sie)? mir|erkläre?(?:n sie)?(?: mir)?"
                r"|weißt du|wissen sie|ich (?:möchte|will|würde gerne|hätte gerne) wissen)"
                r"(?: bitte)?\s*,?\s*"
                r"(?=(?:wann|wer|wen|wem|wessen|was|welche[rsmn]?|wo|wohin|woher|warum|weshalb"
                r"|wieso|wie|seit wann|in welchem)\b)"
            ),
            r"\1",
        ),
    ),
    instruction=_p(
        r"^\s*(?:danke\b|bitte (?:kurz|knapp)|(?:antworte|antworten sie|zitiere|zitieren sie"
        r"|nutze|nutzen sie|sei|seien sie)\b)[^?]*$"
    ),
    composition=_p(
        r"^\s*(?:bitte\s+)?(?:schreib|schreibe|schreiben sie|verfasse|verfassen sie|dichte"
        r"|erfinde|übersetze|übersetzen sie|erzähl(?:e)?(?: mir)? (?:einen witz"
        r"|eine geschichte))\b"
    ),
    pronouns=frozenset(
        "er ihn ihm sie ihr ihre ihren ihrem ihrer es sein seine seinen seinem seiner".split()
    ),
    present_words=frozenset(
        "aktuell aktuelle aktuellen derzeit derzeitige heute jetzt gegenwärtig".split()
    ),
    relative_words=frozenset("nach vor später".split()),
    period_words=frozenset("im".split()),
    respectively=frozenset({"jeweils"}),
)

_ES_THING = _thing()

SPANISH = Lexicon(
    code="es",
    stemmer="spanish",
    stop_words=_library_stop_words(
        "spanish",
        """cuándo cuánto cuánta cuántos cuántas dónde adónde cómo cuál cuáles quién quiénes
        qué cuanto cuanta cuantos cuantas según texto artículo autor dice dijo menciona
        mencionado describe nombre llamado llamada tipo clase también sí hace hizo""",
    ),
    kind_patterns=(
        (
            YESNO,
            _p(
                rf"{_Q}(es|son|era|eran|fue|fueron|hay|hubo|había|tiene|tienen|tenía|tenían|"
                r"puede|pueden|pudo|existe|existen|está|están|estaba|ha|han|había)\b"
            ),
        ),
        (
            DATE,
            _p(
                rf"{_Q}(desde |hasta )?cu[áa]ndo\b|\bcu[áa]ndo\b|\b(en|desde|hasta) qu[ée] "
                r"(año|mes|fecha|día|década|siglo)\b|\bqu[ée] (año|fecha|mes|día|década|siglo)\b"
                r"|\bhace cu[áa]nto tiempo\b"
            ),
        ),
        (
            NUMBER,
            _p(
                rf"\bcu[áa]nt[oa]s? (?:de )?{_ES_THING}?|\bcu[áa]nt[oa]s?\b"
                r"|\bqu[ée] tan (grande|largo|lejos|alto|viejo|frecuente)\b"
                r"|\bcu[áa]l (es|era|fue|son|eran) (el|la|los|las) (?P<measure>valor|volumen|"
                r"cantidad|tamaño|parte|porcentaje|proporción|número|superficie|área|tasa|"
                r"nivel|total|cifra|costo|coste|precio|población|crecimiento|déficit|edad|"
                r"longitud|altura|distancia|duración|suma)\b"
                r"|\bqu[ée] (parte|porcentaje|proporción|cantidad|número|suma|cifra|edad)\b"
            ),
        ),
        (
            PERSON,
            _p(
                # "quién es el ministro de Asuntos Exteriores": a role
                rf"{_Q}qui[ée]n (?:es|era|fue|ha sido|será) (?:el |la |un |una )"
                r"(?P<role>[\w'’-]+(?: [\w'’-]+){0,3})"
                rf"|{_Q}(a |de |por |con |para )?qui[ée]n(es)?\b"
                r"|\b(por|a|de|con|para|contra) qui[ée]n(es)?\b"
            ),
        ),
        (
            PLACE,
            _p(
                rf"{_Q}(a |de |en |por )?(d[óo]nde|ad[óo]nde)\b|\bd[óo]nde\b|\ben qu[ée] "
                r"(lugar|ciudad|país|región|continente|provincia|estado)\b"
            ),
        ),
        (
            REASON,
            _p(
                rf"{_Q}por qu[ée]\b|\bpor qu[ée]\b|\bpor qu[ée] (razón|motivo)\b"
                r"|\bqu[ée] (causó|provocó|llevó|motivó|impulsó)\b|\bcu[áa]l(es)? (es|era|fue|"
                r"son|eran|fueron) (la|el|las|los) (razón|razones|causa|causas|motivo|motivos|"
                r"propósito|objetivo|fin)\b"
            ),
        ),
        (
            OTHER,
            _p(
                r"\b(qué|cuál|cuáles)\s+(?:(?:es|son|era|eran|fue|fueron)\s+"
                rf"(?:el |la |los |las )?)?{_ES_THING}"
            ),
        ),
    ),
    thing_kinds={
        **dict.fromkeys("año mes fecha día década siglo época período periodo".split(), DATE),
        **dict.fromkeys(
            "persona presidente presidenta líder dirigente ministro ministra hombre mujer "
            "sucesor predecesor embajador autor autora candidato fundador fundadora rey reina "
            "emperador general jugador entrenador arquitecto científico".split(),
            PERSON,
        ),
        **dict.fromkeys(
            "empresa compañía organización alianza bloque organismo institución agencia firma "
            "banco unión grupo partido centro coalición fondo consorcio corporación operador "
            "tratado acuerdo equipo club universidad escuela".split(),
            ORGANISATION,
        ),
        **dict.fromkeys(
            "país ciudad lugar región sitio capital estado república nación zona área "
            "provincia puerto continente isla río territorio".split(),
            PLACE,
        ),
        **dict.fromkeys(
            "nombre término título programa plan proyecto iniciativa gasoducto oleoducto "
            "documento evento operación".split(),
            NAME,
        ),
        **dict.fromkeys(
            "parte porcentaje proporción número cantidad valor volumen cifra total tasa "
            "tamaño población suma".split(),
            NUMBER,
        ),
    },
    kind_phrases={
        DATE: ("fecha", "fecha"),
        NUMBER: ("cifra", "cifra de {thing}"),
        PERSON: ("nombre de persona", "nombre del {thing}"),
        ORGANISATION: ("nombre de organización", "nombre del {thing}"),
        PLACE: ("lugar", "{thing}"),
        NAME: ("nombre", "nombre del {thing}"),
    },
    messages={
        "abstain": "Las fuentes no cubren esta pregunta",
        "never": "las fuentes nunca mencionan {terms}",
        "not_found": "los pasajes encontrados no mencionan {terms}",
        "no_kind": "los pasajes encontrados mencionan {held} pero no dan ningún(a) {missing}",
        "other_time": "los pasajes encontrados mencionan {held} para {stated}, no para {asked}",
        "other_owner": "los pasajes encontrados mencionan {thing} solo para {stated}, no para "
        "{asked}",
        "denied": "los pasajes encontrados mencionan {held} pero dicen lo contrario («{stated}»)",
        "unsaid": "los pasajes encontrados mencionan {held} pero no dicen nada sobre {terms}",
        "unspelled": "las fuentes escriben {acronym} pero nunca lo desarrollan",
        "composing": "pide redactar, y Dossier solo refiere lo que dicen sus fuentes",
        "unspoken": "los pasajes encontrados mencionan {held} pero no recogen ninguna declaración",
        "no_reason": "los pasajes encontrados mencionan {held} pero no dan ninguna razón",
        "bygone": "los pasajes encontrados mencionan {held} pero solo lo ocurrido, "
        "no lo que vendrá",
        "as_cause": "los pasajes encontrados mencionan {held} solo como causa de otra cosa, "
        "no lo que lo causó",
        "no_support": "los pasajes encontrados mencionan {held} pero ninguna de sus frases "
        "responde a la pregunta",
        "nothing": "ningún pasaje encontrado se refiere a la pregunta",
        "and": "y",
    },
    refers_back=_p(
        r"^\s*(este|esta|estos|estas|esto|ese|esa|esos|esas|eso|él|ella|ellos|ellas|su|sus|"
        r"dicho|dicha|dichos|dichas|éste|ésta|ambos|ambas|este último|esta última|"
        r"(el|la|los|las) (acuerdo|tratado|país|dos|organización|proyecto|gasoducto|"
        r"oleoducto|programa|plan|decisión|medida|evento|presidente|mismo|misma|primero|"
        r"primera))\b"
    ),
    part_split=_p(
        r"(?:,\s*|\s+)(?:y|así como|,)\s+(?=(?:cuándo|quién|quiénes|qué|cuál|cuáles|dónde|"
        r"por qué|cómo|cuánt[oa]s?|en qué)\b)|\?\s+(?=[¿\w])"
    ),
    months=frozenset(
        "enero febrero marzo abril mayo junio julio agosto septiembre setiembre octubre "
        "noviembre diciembre".split()
    ),
    months_capitalised=False,
    date_day=r"\d{1,2}\s+de\s+",
    date_joiner=r"\s+(?:de\s+|del\s+)?",
    magnitudes=frozenset(
        {"mil millones", *"mil millón millones millardo millardos km km² %".split()}
    ),
    number_words=frozenset(
        "dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
        "veinte treinta cuarenta cincuenta cien ciento cientos mil docena mitad tercio "
        "doble duplicó triplicó".split()
    ),
    not_names=frozenset(
        """el la los las lo un una unos unas de del en con por para sin sobre tras desde
        durante entre hasta según hacia contra este esta estos estas ese esa él ella ellos
        ellas su sus sin embargo así pero y o aunque cuando donde quien que como porque
        finalmente hoy varios varias muchos muchas todos todas cada otro otra otros otras
        ambos también además luego después antes""".split()
    )
    | UNIT_NAMES,
    organisation_words=frozenset(
        """organización unión alianza banco fondo empresa compañía grupo consejo comité foro
        tratado acuerdo comunidad partido ministerio agencia instituto centro consorcio otan
        onu opep asociación comisión federación universidad""".split()
    ),
    place_words=frozenset("ciudad república región mar río lago montes provincia puerto".split()),
    person_titles=frozenset(
        "presidente presidenta ministro ministra sr sra dr general canciller rey reina "
        "senador".split()
    ),
    generic_persons=frozenset(
        "persona personas gente hombre hombres mujer mujeres miembro miembros jugador "
        "jugadores".split()
    ),
    decade_mention=r"\b(?:años|década de(?: los)?)\s+(?:1[5-9]|20)\d0\b",
    year_words=frozenset("en desde hasta hacia antes después año".split()),
    century_mention=r"\bsiglo\s+[XVI]+\b",
    era_mention=r"\bhace (?:unos )?\d[\d.,]*\s*(?:millones de\s+)?años\b|\b\d+\s?a\. ?C\.",
    currency=r"(?:de\s+)?(?:dólares|euros|rublos|tenge|USD|EUR)\b|€",
    percent=r"por ?ciento\b",
    connectors=frozenset({"de", "del", "la", "las", "los", "y"}),
    thing_by_stem=True,
    unit_patterns=(
        (MONTH, _p(r"\b(en )?qué (mes|fecha|día)\b")),
        (SHARE, _p(r"\b(qué|en qué) (porcentaje|proporción|parte|fracción)\b")),
        (
            EXTENT,
            _p(
                r"\bcuánto tiempo\b|\bcuántos (años|meses|días)\b|\bcuántas (semanas|horas)\b"
                r"|\bqué (longitud|duración|distancia)\b"
            ),
        ),
        (COUNT, _p(r"\bcuánt[oa]s\b|\bcuál (es|era|fue) (el número|la población)\b")),
    ),
    extent_words=frozenset(
        """año años mes meses semana semanas día días hora horas década décadas siglo
        siglos km kilómetros metros millas""".split()
    ),
    fraction_words=frozenset("mitad tercio tercios cuarto cuartos quinto décimo".split()),
    definite_words=frozenset("los las estos estas".split()),
    locatives=frozenset("en".split()),
    settlement_words=frozenset("ciudad capital pueblo municipio".split()),
    present_copulas=frozenset({"es", "son"}),
    since_words=frozenset("desde".split()),
    dated_thing=r"\b(?:el|la|los|las) ({thing}(?:e?s)? de (?:1[5-9]|20)\d\d)\b",
    acronym_question=re.compile(
        r"(?i:\bqu(?:é|e)\s+significan?\s+(?:(?:las\s+siglas|el\s+acr(?:ó|o)nimo)\s+)?"
        r"(?:la\s+|el\s+|los\s+|las\s+)?)(?P<acronym>[A-Z][A-Z0-9]{1,7})\b"
    ),
    author_question=_p(
        r"\bquién (?:escribió|redactó) (?:este|esta|el|la) (?:artículo|análisis|informe|texto"
        r"|estudio|documento)\b|\b(?:autor|autora|autores) (?:de este|de esta|del|de la) "
        r"(?:artículo|análisis|informe|texto|estudio|documento)\b"
    ),
    signpost=_p(
        r"^(?![\"“‘'«])(?:[\w ’']{0,30},\s*|(?:hoy|aquí|ahora|a continuación)\s+)?"
        r"(?:(?:vamos a|queremos)\s+(?:analizar|examinar"
        r"|estudiar|explorar|considerar)|(?:analizaremos|examinaremos|estudiaremos|exploraremos"
        r"|analizamos|examinamos|estudiamos|exploramos)|(?:este (?:artículo|informe|estudio"
        r"|texto|documento)|esta (?:nota|sección))\s+(?:analiza|examina|estudia|explora"
        r"|presenta))\b"
    ),
    work_question=_p(
        r"\b(?:el|este|del|al) (?:artículo|análisis|informe|texto|estudio|documento|autor)\b"
        r"|\b(?:la|esta) (?:nota|autora)\b"
    ),
    requests=(
        # "¿Puedes decirme cuándo …?", "Quisiera saber quién …": the question after it
        (
            _p(
                r"^([\s¿¡«\"'“]*)(?:(?:por favor|hola)\b[,!.]?\s*)*"
                r"(?:(?:puedes|podrías|puede|podría|podrías|me puedes|me podrías)\s+)?"
                r"(?:decirme|dime|dígame|explicarme|explícame|explíqueme|indicarme|indícame"
                r"|sabes|sabe usted|(?:quiero|quisiera|me gustaría|necesito) saber)"
                r"(?: por favor)?\s*,?\s*"
                r"(?=(?:cu[áa]ndo|qui[ée]n|qui[ée]nes|qu[ée]|cu[áa]l|cu[áa]les|d[óo]nde"
                r"|por qu[ée]|c[óo]mo|cu[áa]nt[oa]s?|en qu[ée]|desde cu[áa]ndo)\b)"
            ),
            r"\1",
        ),
    ),
    instruction=_p(
        r"^\s*(?:gracias\b|(?:responde|responda|contesta|conteste|cita|cite|sé|sea|usa|use)"
        r"\b)[^?]*$"
    ),
    composition=_p(
        r"^\s*(?:por favor,?\s*)?(?:escribe|escriba|redacta|redacte|compón|componga|inventa"
        r"|invente|imagina|traduce|traduzca|cuéntame un (?:chiste|cuento))\b"
    ),
    pronouns=frozenset("él ella lo le les su sus ellos ellas".split()),  # not "la", an article
    present_words=frozenset("actual actuales actualmente hoy ahora".split()),
    relative_words=frozenset("después antes tras posteriormente".split()),
    period_words=frozenset("en durante".split()),
    respectively=frozenset({"respectivamente"}),
    agent_words=frozenset({"por"}),
)

_RU_THING = _thing(r"[\w-]+")

RUSSIAN = Lexicon(
    code="ru",
    stemmer="russian",
    stop_words=_library_stop_words(
        "russian",
        """когда сколько почему зачем где куда откуда какой какая какое какие каком какую
        каких который которая которое которые кого кому чей чья чьё чьи ли согласно текст
        статья автор говорит сказал упоминает описывает название называется также очень""",
    ),
    kind_patterns=(
        (YESNO, _p(r"^[^?]*\s+ли\b")),
        (
            DATE,
            _p(
                rf"{_Q}(с |до )?когда\b|\bкогда\b|\bв каком (году|месяце|веке)\b"
                r"|\bкакого (числа|года)\b|\bв какой (день|год)\b"
            ),
        ),
        (
            NUMBER,
            _p(
                rf"\bсколько {_RU_THING}?|\bсколько\b|\bкакова (величина|доля|сумма|площадь|"
                r"численность|стоимость)\b|\bкаков (объём|объем|размер|процент|уровень|рост)\b"
            ),
        ),
        (PERSON, _p(rf"{_Q}(кто|кого|кому|кем|чей|чья|чьё|чьи)\b")),
        (PLACE, _p(rf"{_Q}(где|куда|откуда)\b|\bв как(ом|ой) (городе|стране|регионе|месте)\b")),
        (
            REASON,
            _p(
                rf"{_Q}(почему|зачем|отчего)\b|\bпо какой причине\b|\bчто (привело|вызвало|"
                r"побудило)\b|\bкакова (причина|цель)\b"
            ),
        ),
        (
            OTHER,
            _p(rf"\b(какой|какая|какое|какие|каком|какую|каких|который|которая)\s+{_RU_THING}"),
        ),
    ),
    thing_kinds={
        **dict.fromkeys("год месяц дата день десятилетие век период".split(), DATE),
        **dict.fromkeys(
            "человек президент лидер руководитель министр глава автор основатель преемник "
            "посол кандидат".split(),
            PERSON,
        ),
        **dict.fromkeys(
            "компания организация союз альянс блок институт агентство банк группа партия "
            "центр коалиция фонд консорциум корпорация оператор договор соглашение".split(),
            ORGANISATION,
        ),
        **dict.fromkeys(
            "страна город место регион столица государство республика область провинция "
            "порт территория".split(),
            PLACE,
        ),
        **dict.fromkeys(
            "название имя термин программа план проект инициатива трубопровод документ "
            "событие операция".split(),
            NAME,
        ),
        **dict.fromkeys(
            "доля процент число количество сумма объём объем стоимость рост численность "
            "размер".split(),
            NUMBER,
        ),
    },
    kind_phrases={
        DATE: ("даты", "даты"),
        NUMBER: ("числа", "числа для «{thing}»"),
        PERSON: ("имени", "имени: {thing}"),
        ORGANISATION: ("названия организации", "названия: {thing}"),
        PLACE: ("места", "{thing}"),
        NAME: ("названия", "названия: {thing}"),
    },
    messages={
        "abstain": "Источники не отвечают на этот вопрос",
        "never": "источники нигде не упоминают {terms}",
        "not_found": "найденные фрагменты не упоминают {terms}",
        "no_kind": "найденные фрагменты упоминают {held}, но не содержат {missing}",
        "other_time": "найденные фрагменты упоминают {held} за {stated}, а не за {asked}",
        "other_owner": "найденные фрагменты упоминают {thing} только для {stated}, а не для "
        "{asked}",
        "denied": "найденные фрагменты упоминают {held}, но говорят обратное («{stated}»)",
        "unsaid": "найденные фрагменты упоминают {held}, но ничего не говорят о {terms}",
        "unspelled": "источники пишут {acronym}, но нигде не расшифровывают",
        "composing": "это просьба что-то написать, а Dossier лишь передаёт сказанное в источниках",
        "unspoken": "найденные фрагменты упоминают {held}, но не передают ничьих слов",
        "no_reason": "найденные фрагменты упоминают {held}, но не называют причины",
        "bygone": "найденные фрагменты упоминают {held}, но лишь то, что уже произошло, "
        "а не то, что будет",
        "as_cause": "найденные фрагменты упоминают {held} лишь как причину чего-то другого, "
        "а не то, что вызвало это",
        "no_support": "найденные фрагменты упоминают {held}, но ни одно их предложение "
        "не отвечает на вопрос",
        "nothing": "ни один найденный фрагмент не относится к вопросу",
        "and": "и",
    },
    refers_back=_p(
        r"^\s*(это|этот|эта|эти|этого|этой|этим|этом|он|она|оно|они|его|её|ее|их|данный|"
        r"данная|данное|данные|последний|последняя|последнее|оба|обе|такой|такая|такие|"
        r"(это|данное|указанное) (соглашение|решение)|(этот|данный|указанный) договор)\b"
    ),
    part_split=_p(
        r"(?:,\s*|\s+)(?:и|а также|,)\s+(?=(?:когда|кто|кого|что|какой|какая|какое|какие|где|"
        r"почему|как|сколько|в каком|в какой)\b)|\?\s+(?=\w)"
    ),
    months=frozenset(
        "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь "
        "января февраля марта апреля мая июня июля августа сентября октября ноября "
        "декабря".split()
    ),
    months_capitalised=False,
    date_joiner=r"\s+",
    magnitudes=frozenset(
        "тыс тысяч тысячи млн миллион миллиона миллионов млрд миллиард "
        "миллиарда миллиардов км км² %".split()
    ),
    number_words=frozenset(
        "два две три четыре пять шесть семь восемь девять десять двадцать тридцать сорок "
        "пятьдесят сто тысяча половина треть четверть вдвое втрое".split()
    ),
    not_names=frozenset(
        """в во на с со к ко по о об от до из за для при про без через после перед между
        этот эта это эти он она оно они его её их мы я однако но и или а также когда где
        кто что как почему если хотя тем поэтому сегодня некоторые многие все каждый другой
        оба так""".split()
    )
    | UNIT_NAMES,
    organisation_words=frozenset(
        """организация союз альянс банк фонд компания группа совет комитет форум договор
        соглашение сообщество партия министерство агентство институт центр консорциум нато
        оон одкб еаэс снг шос ассоциация комиссия федерация""".split()
    ),
    place_words=frozenset("город республика область регион море река озеро горы порт".split()),
    person_titles=frozenset("президент министр премьер генерал канцлер король королева".split()),
    generic_persons=frozenset("человек люди мужчина женщина член члены игрок игроки".split()),
    settlement_words=frozenset("город столица село".split()),
    since_words=frozenset("с со".split()),
    acronym_question=re.compile(
        r"(?i:\b(?:что\s+означает|как\s+расшифровывается)\s+(?:аббревиатура\s+)?)"
        r"(?P<acronym>[A-ZА-ЯЁ][A-ZА-ЯЁ0-9]{1,7})(?!\w)"
    ),
    author_question=_p(
        r"\bкто (?:написал|автор) (?:эту |этот |это )?(?:стать|анализ|доклад|текст|отч[её]т)"
        r"|\bавтор\w* (?:этой |этого )?(?:стать|анализ|доклад|текст|отч[её]т)"
    ),
    signpost=_p(
        r"^(?![\"“„‘'«])(?:[\w ’']{0,30},\s*|(?:сегодня|здесь|далее|ниже)\s+)?"
        r"(?:мы\s+(?:рассмотрим|проанализируем|изучим|исследуем|рассматриваем|анализируем"
        r"|изучаем)|в (?:этой|данной|настоящей) статье)(?!\w)"
    ),
    work_question=_p(r"(?<!\w)(?:стать[яеиюё]|статьёй|автор\w*|текст\w*|доклад\w*)(?!\w)"),
    pronouns=frozenset("он она оно его её ее ему ей ним ней они их им ими".split()),
    present_words=frozenset("нынешний нынешнего нынешняя сейчас сегодня текущий".split()),
    relative_words=frozenset("после спустя".split()),
    period_words=frozenset("в во".split()),
    respectively=frozenset({"соответственно"}),
    decade_mention=r"\b(?:1[5-9]|20)\d0-[хе]\b",
    year_words=frozenset("в во с со до после к году".split()),
    century_mention=r"\b[XVI]+\s+век[ае]?\b",
    currency=r"(?:долларов|доллара|доллар|евро|рублей|рубля|рубль|тенге|USD|EUR)\b|\$|€",
    percent=r"процент(?:ов|а)?\b",
    connectors=frozenset(),
    thing_by_stem=True,
)

LEXICONS: dict[str, Lexicon] = {
    "en": ENGLISH,
    "fr": FRENCH,
    "de": GERMAN,
    "es": SPANISH,
    "ru": RUSSIAN,
}
# The stemmer names settings use (`lexical_language`) map to a code.
_ALIASES = {"english": "en", "french": "fr", "german": "de", "spanish": "es", "russian": "ru"}
# Snowball stemmers by ISO code, for languages without a lexicon of their own.
_SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "el": "greek", "eu": "basque",
    "fi": "finnish", "ga": "irish", "hi": "hindi", "hu": "hungarian", "hy": "armenian",
    "id": "indonesian", "it": "italian", "lt": "lithuanian", "nl": "dutch", "no": "norwegian",
    "pt": "portuguese", "ro": "romanian", "sr": "serbian", "sv": "swedish", "ta": "tamil",
    "tr": "turkish",
}  # fmt: skip


@lru_cache(maxsize=64)
def _plain(code: str) -> Lexicon:
    """A language without a lexicon: its own stemmer and stop words where Snowball and
    bm25s have them, digits and dates written in figures, and no English word lists.

    Its question kinds are unknown (every question reads as "other"), which is
    better than reading Italian with English question words.
    """
    name = _SNOWBALL.get(code, "")
    if name and name not in Stemmer.algorithms():
        name = ""
    return Lexicon(
        code=code,
        stemmer=name,
        stop_words=_library_stop_words(name) if name else frozenset(),
        kind_patterns=(),
        thing_kinds={},
        kind_phrases=ENGLISH.kind_phrases,
        messages=ENGLISH.messages,
        refers_back=re.compile(r"(?!)"),
        part_split=re.compile(r"\?\s+(?=\w)"),
        months=frozenset(),
        magnitudes=frozenset({"%"}),
        number_words=frozenset(),
        decade_mention=r"(?!)",
        currency=r"(?:USD|EUR)\b|€",
        percent=r"(?!)",
        connectors=frozenset(),
    )


@lru_cache(maxsize=16)
def known_territories(code: str) -> frozenset[str]:
    """Countries and regions as CLDR names them in the language and in English (Babel), by
    each part of a name CLDR qualifies ("Myanmar (Burma)": Myanmar, Burma; "Congo -
    Kinshasa": Congo; "Hong Kong SAR China": Hong Kong), and by the English names CLDR has
    since replaced (`ALSO_CALLED`: "Turkey" for Türkiye)."""
    names: set[str] = set(ALSO_CALLED)
    for locale in _locales(code):
        for name in locale.territories.values():
            if name[:1].isupper():
                names.add(name)
                names.update(
                    part
                    for part in _QUALIFIED.split(name)
                    if part[:1].isupper() and "(" not in part and ")" not in part
                )
    return frozenset(n for n in names if "/" not in n)


# How CLDR qualifies a territory's name: "Myanmar (Burma)", "Congo - Kinshasa", "Hong Kong SAR
# China" (the part before " SAR" is the name).
_QUALIFIED = re.compile(r"\s*\(|\)\s*$|\s+-\s+.*$|\s+SAR\b.*$")

# English names in wide use for countries CLDR now names otherwise.
ALSO_CALLED = frozenset(
    {
        "Turkey",
        "Ivory Coast",
        "Czech Republic",
        "Swaziland",
        "Macedonia",
        "East Timor",
        "Britain",
        "Great Britain",
        "Holland",
        "Burma",
        "Palestine",
    }
)


# States that CLDR, naming today's territories, does not: a historian's sources name them as
# places ("the collapse of the Soviet Union"), never as the organisation "Union" makes them look.
FORMER_STATES = frozenset(
    {
        "Soviet Union",
        "USSR",
        "Russian Empire",
        "Ottoman Empire",
        "Austria-Hungary",
        "Yugoslavia",
        "Czechoslovakia",
        "East Germany",
        "West Germany",
        "Prussia",
        "Byzantine Empire",
        "Holy Roman Empire",
        "Roman Empire",
        "British Empire",
    }
)


@lru_cache(maxsize=16)
def known_places(code: str) -> frozenset[str]:
    """Names that are places whatever a document does with them: countries, regions and
    the cities time zones are named after, as CLDR writes them in the language and in
    English (Babel), and `FORMER_STATES`. "Russia" and "Moscow" are places even in a
    document that never writes "in Russia"."""
    names = set(known_territories(code)) | FORMER_STATES | set(countries_of_cities(code))
    return frozenset(n for n in names if "/" not in n)


@lru_cache(maxsize=16)
def countries_of_cities(code: str) -> dict[str, frozenset[str]]:
    """The cities time zones are named after, as CLDR writes them in the language and in
    English (Babel), each with the country it is in, named both ways ("Moscow", "Moscou" →
    Russia, Russie; empty where CLDR gives no country)."""
    from babel.core import get_global
    from babel.dates import get_timezone_location

    territory_of = get_global("zone_territories")
    zones = [z for z in zoneinfo.available_timezones() if "/" in z and z[:1].isupper()]
    out: dict[str, set[str]] = {}
    for locale in _locales(code):
        for zone in zones:
            try:
                city = get_timezone_location(zone, locale=locale, return_city=True)
            except LookupError:
                continue
            country = locale.territories.get(territory_of.get(zone, ""))
            out.setdefault(city, set()).update([country] if country else [])
    return {city: frozenset(countries) for city, countries in out.items()}


def _locales(code: str) -> list[Locale]:
    """Babel's locales of the language and of English, those Babel knows."""
    from babel import Locale, UnknownLocaleError

    out: list[Locale] = []
    for language in dict.fromkeys((code, "en")):
        try:
            out.append(Locale.parse(language))
        except (UnknownLocaleError, ValueError):
            continue
    return out


@lru_cache(maxsize=16)
def known_tongues(code: str) -> frozenset[str]:
    """Names of languages and scripts, as CLDR writes them in the language and in English
    (Babel): "Cyrillic", "Kazakh". Such a word is an adjective or a language, not a place
    or an organisation ("switching from the Cyrillic to the Latin alphabet")."""
    names: set[str] = set()
    for locale in _locales(code):
        names.update(locale.languages.values())
        names.update(locale.scripts.values())
    return frozenset(n for n in names if n[:1].isupper() and " " not in n) - known_places(code)


@lru_cache(maxsize=16)
def _territories_by_prefix(code: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for name in known_territories(code):
        out.setdefault(name[:4].casefold(), []).append(name)
    return {prefix: tuple(names) for prefix, names in out.items()}


def demonym_of(word: str, code: str) -> tuple[str, ...]:
    """The countries or regions `word` may be the adjective of, by their first four letters
    ("Chinese": China, "Ukrainian": Ukraine); () for a territory's own name."""
    if len(word) < 5 or word in known_territories(code):
        return ()
    return _territories_by_prefix(code).get(word[:4].casefold(), ())


def country_of_people(word: str, code: str) -> tuple[str, ...]:
    """The countries a people's adjective names, as `demonym_of`, where the adjective is not
    much longer than the country's name ("Kazakh", "Ukrainian"; not "Kenyatta" for Kenya)."""
    return tuple(p for p in demonym_of(word, code) if len(word) <= len(p) + 2)


def lexicon_for(language: str | None) -> Lexicon:
    """The lexicon for a language code (or stemmer name); English when None.

    A language with no lexicon of its own gets a plain one in its own language
    (see `_plain`), never the English word lists.
    """
    if not language:
        return ENGLISH
    key = language.lower().split("-")[0].split("_")[0]
    key = _ALIASES.get(key, key)
    if key in LEXICONS:
        return LEXICONS[key]
    key = next((code for code, name in _SNOWBALL.items() if name == key), key)
    return _plain(key)


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
    "FRENCH",
    "GERMAN",
    "KINDS",
    "LEXICONS",
    "NAME",
    "NUMBER",
    "ORGANISATION",
    "OTHER",
    "PERSON",
    "PLACE",
    "REASON",
    "RUSSIAN",
    "SHORT_KINDS",
    "SPANISH",
    "YESNO",
    "Lexicon",
    "content_stems",
    "content_stems_at",
    "lexicon_for",
    "words",
]
