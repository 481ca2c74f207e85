"""Question analysis: what kind of answer a question expects, and what it is about.

The focus terms are the question's content words, each weighted by how rare
it is among the index's sentences (IDF), so "Tengiz" counts for more than
"Kazakhstan" in an index about Kazakhstan. The numbers and years a question
names are read with the same rules as the indexed sentences ("mid-2010s" is
the decade 2010s, not the number 2010). A question with several parts ("When
… and who …?") is analysed part by part as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from dossier import wordnet
from dossier.index.sentences import (
    Mention,
    figures,
    initials_of,
    is_year,
    month_of,
    name_mentions,
    number_mentions,
)
from dossier.lexicon import (
    DATE,
    MONEY,
    MONTH,
    NAME,
    NUMBER,
    OTHER,
    PERSON,
    SHORT_KINDS,
    Lexicon,
    content_stems,
    content_stems_at,
    lexicon_for,
    words,
)
from dossier.service.answer.when import from_baseline

# A possessive ("Kazakhstan's", "Consortium’s"): its owner, not what is asked for.
_OWNER = re.compile(r"['’]s?$")


@dataclass(frozen=True)
class Focus:
    """One content word of the question."""

    stem: str
    word: str  # as the question writes it
    weight: float  # IDF in the index
    is_name: bool  # capitalised mid-question: a proper name


@dataclass(frozen=True)
class Question:
    text: str
    kind: str
    thing: str | None  # what is asked for: "troops" in "how many troops"
    thing_stems: frozenset[str]
    focus: tuple[Focus, ...]
    numbers: frozenset[str]  # normalised values the question names ("2022", "2010s")
    parts: tuple[Question, ...] = field(default=())
    # What a date or figure must show beyond its kind: a month name, a share, a
    # duration or length, an age, a count, a sum of money (lexicon MONTH, SHARE, EXTENT, AGE,
    # COUNT, MONEY), or None.
    unit: str | None = None
    language: str = "en"  # the lexicon it was analysed with
    years: frozenset[str] = frozenset()  # the years it names ("2023"; a decade is not one)
    months: frozenset[tuple[str, str]] = frozenset()  # ("2022", "janu") for "January 2022"
    # the years it names as what a change is measured from ("compared with 2022")
    measured_from: frozenset[str] = frozenset()
    present: bool = False  # it asks about the present ("the current president")
    role: bool = False  # `thing` is a role its answer must be given ("who is the X")
    future: bool = False  # it asks about what is to come ("when will the plant open?")
    whole: str = ""  # the question it is a part of ("When did X resign, and who succeeded him?")
    # Whose thing "what is the X?" asks: "Kazakhstan" in "what is the national dish of
    # Kazakhstan?" or "what is Kazakhstan's national dish?"; "" when it names no one; None
    # when the question is not so put, or says more of X than whose it is ("what was the
    # catalyst that created …"), so that a sentence may name X otherwise.
    owner: str | None = None
    # The currency a sum of money is asked in ("how big was the package in dollars?"), by
    # the lexicon's name for it, or None.
    currency: str | None = None
    # What earlier parts of its question were answered with: no answer to this part ("When
    # was the agreement signed and when was the pipeline finished?" is not 1996 twice)
    answered: tuple[str, ...] = ()
    # It asks what someone said ("What did Putin say about the canal?"), not the sources.
    reported: bool = False

    @property
    def expects_short(self) -> bool:
        """The answer is a date, figure or name, given as `answer_span`."""
        return self.kind in SHORT_KINDS

    @property
    def asked(self) -> str:
        """The whole question's text: what it names, a part names too (him: X)."""
        return self.whole or self.text

    @property
    def time_bound(self) -> set[int]:
        """The years its answer must be of: those it names, unless it asks for a date (then
        a year says which event it means: "the 2020 agreement replaced an older one; when
        was that signed?")."""
        return {int(y) for y in self.years} if self.kind != DATE else set()

    @cached_property
    def written(self) -> tuple[str, ...]:
        """Its words as written, in order (read once: the short answer reads them per mention)."""
        return tuple(words(self.asked))

    @cached_property
    def lone_names(self) -> frozenset[str]:
        """Its one-word names: capitalised words with no capitalised word beside them (the
        first word aside), possessive dropped ("Nazarbayev", not "Kearney" of "Kearney
        Boulevard")."""
        tokens = [w.removesuffix("'s").removesuffix("’s") for w in self.written]
        capital = [w[:1].isupper() for w in tokens]
        return frozenset(
            w
            for i, w in enumerate(tokens)
            if i > 0
            and capital[i]
            and not (i > 1 and capital[i - 1])
            and not (i + 1 < len(tokens) and capital[i + 1])
        )

    @cached_property
    def lone_name_stems(self) -> frozenset[str]:
        """The stems its one-word names are matched by, as the index spells them
        ("nazarbayev" for "Nazarbaev")."""
        return frozenset(f.stem for f in self.focus if f.is_name and f.word in self.lone_names)

    @cached_property
    def acronyms(self) -> frozenset[str]:
        """Its words in capitals, which may stand for a name ("CSTO")."""
        return frozenset(w for w in self.written if len(w) > 1 and w.isupper())

    @cached_property
    def uncased(self) -> bool:
        """Whether it was typed without capitals ("who succeded nazarbayev"): its names
        cannot be told from its words by case."""
        return not any(w[:1].isupper() for w in self.written[1:])

    @cached_property
    def asks_what_it_is_called(self) -> bool:
        """Whether it asks the name the sources give something ("What name does the article
        give to the January 2022 unrest?")."""
        pattern = lexicon_for(self.language).name_given
        return bool(pattern and pattern.search(self.asked))

    @cached_property
    def names(self) -> list[Mention]:
        """Its names, read as the sources' are."""
        return name_mentions(self.asked, 0, lexicon_for(self.language), set())

    @cached_property
    def long_names(self) -> tuple[str, ...]:
        """Its names of two words or more ("Treaty of Good Neighbourliness for Kazakhstan"),
        an owner before them left out ("NATO's Partnership for Peace")."""
        names = [re.sub(r"^.*[’']s\s+", "", m.text) for m in self.names]
        return tuple(name for name in names if " " in name)

    @cached_property
    def initials(self) -> frozenset[str]:
        """The acronyms its names may go by ("BTC" for "the Baku-Tbilisi-Ceyhan pipeline")."""
        return frozenset(filter(None, map(initials_of, self.names)))

    @property
    def multi_part(self) -> bool:
        return len(self.parts) > 1

    @property
    def total_weight(self) -> float:
        return sum(f.weight for f in self.focus)

    def weights(self) -> dict[str, float]:
        return {f.stem: f.weight for f in self.focus}


def _kind(text: str, lexicon: Lexicon) -> tuple[str, str | None, bool]:
    """The expected kind of answer, the thing asked for when the question names it, and
    whether that thing is a role the answer holds ("who is the foreign minister")."""
    kind, thing, role = _asked_kind(text, lexicon)
    if lexicon.sort_of and lexicon.sort_of.search(text):
        return OTHER, thing, False  # "what type of city": a sort, not a city's name
    if lexicon.term_asked and lexicon.term_asked.search(text) and kind != PERSON:
        return OTHER, None, False  # "what are such numbers called?": a term
    if kind in (NAME, OTHER):  # "what are the names of the Duma members": persons' names
        named = _named_thing(text, lexicon)
        if named is None:
            return kind, thing, False
        kind, thing = named
        # "the names of the Duma deputies": persons the sources call deputies, as "which
        # deputies" asks; "the names of the two members" names no role
        head = thing.split()[-1 if lexicon.head_final else 0].lower()
        return kind, thing, kind == PERSON and head not in lexicon.generic_persons
    return kind, thing, role


def _named_thing(text: str, lexicon: Lexicon) -> tuple[str, str] | None:
    """For "the name(s) of X", X's kind and X: the noun phrase after "of" up to its first
    stop word once it has begun, whose head decides ("the two Duma members" → person; "the
    private day school" → none: "day" only qualifies it)."""
    match = lexicon.name_of.search(text) if lexicon.name_of else None
    if not match:
        return None
    phrase: list[str] = []
    for word in match.group("named").split():
        if word.lower() in lexicon.stop_words or word.lower() in lexicon.number_words:
            if phrase:
                break
            continue
        phrase.append(word)
    if lexicon.head_final:  # the phrase is whole here: its head is its last word
        last = _head(phrase[-1:], lexicon, besides=NAME)
        head = None if last is None else (len(phrase) - 1, last[1])
    else:
        head = _head(phrase, lexicon, besides=NAME)
    return None if head is None else (head[1], " ".join(phrase[: head[0] + 1]))


def _head(words: list[str], lexicon: Lexicon, besides: str | None = None) -> tuple[int, str] | None:
    """(position, kind) of the noun phrase's head among its nouns that name a kind (other
    than `besides`): the last in English ("which member states"), the first in French."""
    order = range(len(words) - 1, -1, -1) if lexicon.head_final else range(len(words))
    for n in order:
        kind = lexicon.thing_kind(words[n])
        if kind is not None and kind != besides:
            return n, kind
    return None


def _asked_kind(text: str, lexicon: Lexicon) -> tuple[str, str | None, bool]:
    for kind, pattern in lexicon.kind_patterns:
        match = pattern.search(text)
        if not match:
            continue
        groups = match.groupdict()
        if groups.get("role"):
            role = _role(groups["role"], lexicon)
            return kind, role, role is not None
        measure = groups.get("measure") or groups.get("sized")
        phrase = groups.get("phrase")
        ended_by = ""
        if phrase:
            thing = _noun_phrase(phrase, lexicon)
            if thing is None:  # "what is the name of …": not a thing of its own
                continue
        else:
            thing = groups.get("thing") or measure or groups.get("whole")
        if thing and not phrase:
            thing = thing.strip()
            stop = lexicon.stop_words
            if kind in (OTHER, NUMBER) and thing.split()[0].lower() in lexicon.auxiliaries:
                # "what did the protocol establish", "how much can ctenophores eat": no
                # thing is named
                return kind, None, False
            kept: list[str] = []
            for word in thing.split():  # the noun phrase ends at the first stop word after it
                if word.lower() in stop:
                    if kept:
                        ended_by = word.lower()
                        break
                    continue
                kept.append(word)
            # "how much in 2018": a year is no thing
            thing = " ".join(kept) if any(c.isalpha() for c in "".join(kept)) else None
            if not ended_by and groups.get("thing"):  # the pattern ends the phrase itself
                after = words(text[match.end("thing") :])
                ended_by = after[0].lower() if after else ""
        if kind in (OTHER, NUMBER) and thing and not measure:
            # "which key institution did…": the noun that names a kind decides, and the
            # thing asked for ends there; of several, the phrase's head ("which member
            # states": the last in English, the first in French).
            found = thing.split()
            head = _head(found, lexicon)
            whole = (bool(phrase) and len(found) > 1) or (
                head is not None
                and lexicon.head_final
                and ended_by in lexicon.auxiliaries | lexicon.present_copulas | lexicon.past_copulas
                and head[0] < len(found) - 1
            )
            if whole:
                # "which capital punishment reform did …": the phrase before the verb is
                # whole, so its last word is its head, and "capital" only qualifies it
                head = None
            if head is not None:
                n, named = head
                # "which Duma deputies": a person the sentence does not call a deputy is not
                # one ("Vladimir Putin declared …"); "which person" names no role
                role = named == PERSON and found[n].lower() not in lexicon.generic_persons
                return (NUMBER if kind == NUMBER else named), " ".join(found[: n + 1]), role
            if kind == NUMBER:
                return kind, " ".join(_before_its_verb(found, lexicon)), False
            # "which two components": the count is not the thing asked for
            counted = [w for w in found if w.lower() not in lexicon.number_words]
            return kind, " ".join(counted or found) if whole else (counted or found)[0], False
        if kind == NUMBER and thing and measure:
            return NUMBER, thing, False
        return kind, thing, False
    return OTHER, None, False


def _plural_verb(word: str) -> bool:
    """Whether a word may be the verb of a plural subject: one WordNet knows as a verb, not
    in the third person singular ("imports" in "arms imports" is a noun)."""
    return not word.lower().endswith("s") and wordnet.may_be_verb(word)


def _before_its_verb(found: list[str], lexicon: Lexicon) -> list[str]:
    """The words of what "how many" counts, up to a word after a plural that may be a verb
    ("how many guests attended the dinner" counts guests, not "guests attended"; "how many
    defence pacts link …", pacts: a plural seldom qualifies a noun, and "arms imports" is a
    noun). English only: WordNet says what may be a verb."""
    if lexicon.code != "en":
        return found
    for n in range(1, len(found)):
        plural = found[n - 1].lower()
        if (
            (lexicon.singulars(plural) and not plural.endswith(("'s", "’s")))  # an owner's
            or plural in lexicon.irregular_plurals
        ) and _plural_verb(found[n]):
            return found[:n]
    return found


def _noun_phrase(phrase: str, lexicon: Lexicon) -> str | None:
    """The noun phrase a copula question asks for, whole: "main religion" in "what is the
    main religion in …", "shareholder structure" in "… the Caspian Pipeline Consortium's
    shareholder structure" (its owner says whose, not what), without "now"."""
    kept: list[str] = []
    for word in phrase.split():
        if word.lower() in lexicon.stop_words:
            break
        if _OWNER.search(word):
            kept = []
        elif word.lower() not in lexicon.present_words:
            kept.append(word)
    return " ".join(kept) or None


def _role(phrase: str, lexicon: Lexicon) -> str | None:
    """The role a "who is the X" question names ("foreign minister" in "who is the foreign
    minister of Kazakhstan"): lower-case words up to the first stop word, ending in a
    noun for a person ("the first to sign" names none)."""
    kept: list[str] = []
    for word in phrase.split():
        if word.lower() in lexicon.stop_words or not word.islower():
            if kept:
                break
            continue
        if word not in lexicon.present_words:
            kept.append(word)
    if not kept:
        return None
    kind = lexicon.thing_kinds.get(kept[-1])
    # "the speaker of the Duma": WordNet knows more roles than the lexicon
    english = kind is None and lexicon.code == "en"
    if kind == PERSON or (english and wordnet.names_a_person(kept[-1])):
        return " ".join(kept)
    return None


def _unit(text: str, kind: str, lexicon: Lexicon) -> tuple[str | None, tuple[int, int]]:
    """The unit of a date (MONTH) or of a figure (the others), the first whose pattern
    matches, and where the question says it ("in US dollars")."""
    if kind in (DATE, NUMBER):
        for unit, pattern in lexicon.unit_patterns:
            match = pattern.search(text) if (unit == MONTH) == (kind == DATE) else None
            if match:  # where a pattern says which of its words are the unit, only those
                return unit, match.span("unit" if match.groupdict().get("unit") else 0)
    return None, (0, 0)


def currency_of(text: str, lexicon: Lexicon) -> str | None:
    """The first currency a text names, by word or sign ("USD 5.2 billion": dollars), else
    None."""
    for token in re.findall(r"[^\W\d_]+|[$€£₽₸]", text.lower()):
        if token in lexicon.currencies:
            return lexicon.currencies[token]
    return None


_SENTENCE_BREAK = re.compile(r"(?<=[.?!])\s+(?=\S)")


def as_asked(text: str, lexicon: Lexicon) -> str:
    """What a question asks, written as a question: a request turned into one ("Tell me when
    Nazarbayev resigned." asks when; "Name the company that …" which company), without the
    sentences telling the answerer how to answer ("What did Tokayev abolish? Answer
    briefly."), without contractions ("What's": what is), and in lower case when written all
    in capitals (names are matched in any case; a capitalised word would read as one)."""
    if not any(c.islower() for c in text):
        text = text.lower()
    for pattern, replacement in lexicon.contractions:
        text = pattern.sub(replacement, text)
    sentences = _SENTENCE_BREAK.split(text.strip())
    if lexicon.instruction is not None:
        kept = [s for s in sentences if not lexicon.instruction.match(s)]
        text = " ".join(kept or sentences)
    for pattern, replacement in lexicon.requests:
        rewritten, n = pattern.subn(replacement, text, count=1)
        if n:  # "¿cuándo …?": "¿Cuándo …?"
            at = next((i for i, c in enumerate(rewritten) if c.isalpha()), 0)
            return rewritten[:at] + rewritten[at : at + 1].upper() + rewritten[at + 1 :]
    return text


def analyse(
    text: str,
    lexicon: Lexicon,
    idf: Callable[[str], float],
    *,
    split: bool = True,
    aliases: Callable[[str, str], tuple[str, ...]] | None = None,
) -> Question:
    """The analysis of one question, with `idf(stem)` from the index.

    `aliases(word, stem)` gives the indexed stems a name the index does not
    hold stands for ("CSTO", "Ukrainian"); the name is matched by those.
    """
    kind, thing, role = _kind(text, lexicon)
    unit, (unit_start, unit_end) = _unit(text, kind, lexicon)
    located = content_stems_at(text, lexicon)
    degree = lexicon.degree_question.search(text) if lexicon.degree_question else None
    first_word = next(iter(words(text)), "")
    focus: dict[str, Focus] = {}
    for offset, stem in located:
        if stem in focus:
            continue
        # as written, without a possessive ("Kazakhstan", as WordNet and messages read it)
        word = next(iter(words(text[offset:])), stem).removesuffix("'s").removesuffix("’s")
        # "in what year", "the values of", "in US dollars", "how big": the kind asked for
        if (
            (kind == DATE and lexicon.thing_kind(word) == DATE)
            or (kind == NUMBER and word.lower() in lexicon.generic_measures)
            or unit_start <= offset < unit_end
            or (degree is not None and degree.start() <= offset < degree.end())
        ):
            continue
        is_name = (
            word[:1].isupper()
            and not text[offset:].startswith(first_word)
            and word.lower() not in lexicon.months
            and word.lower() not in lexicon.not_names
            and lexicon.may_be_name(word)
        )
        for known in (aliases(word, stem) if is_name and aliases else ()) or (stem,):
            focus.setdefault(known, Focus(known, word, idf(known), is_name))
    # "the growth rate": growth says which rate ("the poverty rate almost doubled" is not it)
    thing_stems = frozenset(
        s
        for offset, s in (content_stems_at(thing, lexicon) if thing else [])
        if not (
            kind == NUMBER
            and next(iter(words(thing[offset:])), "").lower() in lexicon.generic_measures
        )
    )
    mentions = number_mentions(text, 0, lexicon)
    numbers = frozenset(figure for m in mentions for figure in figures(m.value))
    # "how much did trade grow compared with 2022?": not a year the answer is of
    measured_from = frozenset(
        f
        for m in mentions
        if m.kind == DATE and from_baseline(text[: m.start], lexicon)
        for f in figures(m.value)
    )
    years = frozenset(
        f
        for m in mentions
        if m.kind == DATE
        for f in figures(m.value)
        if is_year(f) and f not in measured_from
    )
    months = frozenset(pair for m in mentions if m.kind == DATE for pair in month_of(m, lexicon))
    future = _asks_ahead(text, lexicon)
    parts: tuple[Question, ...] = ()
    if split:
        pieces = [p.strip(" ,;?") for p in lexicon.part_split.split(text)]
        # a part may name only a year or a figure ("… in 2003, and how much in 2018?")
        pieces = [
            p
            for p in pieces
            if p and (content_stems_at(p, lexicon) or number_mentions(p, 0, lexicon))
        ]
        if len(pieces) > 1:
            parts = tuple(analyse(p, lexicon, idf, split=False, aliases=aliases) for p in pieces)
            parts = tuple(
                _inherit(part, text, tuple(focus.values()), years, months, future) for part in parts
            )
    return Question(
        text,
        kind,
        thing,
        thing_stems,
        tuple(focus.values()),
        numbers,
        parts,
        unit,
        lexicon.code,
        years,
        months,
        measured_from,
        any(w.lower() in lexicon.present_words for w in words(text))
        # "who is the president": the role held now ("who was" is any time)
        or (role and next(iter(words(text)[1:2]), "").lower() in lexicon.present_copulas),
        role,
        future,
        owner=_owner(text, kind, thing, lexicon),
        # "how much did it cost in tenge?": the unit is asked first, its currency after
        currency=currency_of(text[unit_start:], lexicon) if unit == MONEY else None,
        reported=_reported(text, lexicon),
    )


def _reported(text: str, lexicon: Lexicon) -> bool:
    """`Question.reported`: it asks what a speaker said, and the speaker is not the article or
    its authors ("What does the article say about …" asks what the sources say)."""
    match = lexicon.speech_question.search(text) if lexicon.speech_question else None
    return match is not None and not (
        lexicon.work_question and lexicon.work_question.search(match.group("speaker"))
    )


def _owner(text: str, kind: str, thing: str | None, lexicon: Lexicon) -> str | None:
    """`Question.owner`: the name before or after the noun phrase a copula question asks."""
    match = lexicon.copula_phrase.search(text) if lexicon.copula_phrase else None
    if kind != OTHER or not thing or match is None or lexicon.of_name is None:
        return None
    at = text.find(thing, match.start("phrase"))
    if at < 0:
        return None
    rest = text[at + len(thing) :]
    if not rest.strip(" ?"):
        return match.group("owner") or ""
    after = lexicon.of_name.match(rest)
    return after.group("name") if after and not match.group("owner") else None


def _asks_ahead(text: str, lexicon: Lexicon) -> bool:
    """Whether a question asks about what is to come: it speaks of the future, and not after
    a verb in the past ("When did they agree that Russia will build it?" asks when they
    agreed)."""
    ahead = lexicon.future.search(text) if lexicon.future else None
    return ahead is not None and not any(
        w.lower() in lexicon.past_auxiliaries for w in words(text[: ahead.start()])
    )


def after_answers(
    part: Question, answers: Sequence[Mention], idf: Callable[[str], float]
) -> Question:
    """A later part with what the earlier parts were answered with: none of it answers this
    part ("When was the agreement signed and when was the pipeline finished?" is not 1996
    twice), and a name among it is what the part's pronoun stands for ("Who resigned in 2019
    and who replaced him?" asks who replaced Nazarbayev), so it is the part's focus."""
    lexicon = lexicon_for(part.language)
    part = replace(part, answered=tuple(a.text for a in answers))
    pronoun = next((w for w in words(part.text) if w.lower() in lexicon.pronouns), None)
    names = [a.text for a in answers if a.kind not in (DATE, NUMBER)]
    if pronoun is None or len(names) != 1:
        return part
    own = {f.stem for f in part.focus}
    named = {
        stem: Focus(stem, names[0], idf(stem), is_name=True)
        for stem in content_stems(names[0], lexicon)
        if stem not in own
    }
    # read as it would be asked alone: "who replaced Nursultan Nazarbayev"
    text = re.sub(rf"\b{re.escape(pronoun)}\b", names[0], part.text, count=1)
    return replace(part, text=text, focus=part.focus + tuple(named.values()))


def _inherit(
    part: Question,
    text: str,
    whole: tuple[Focus, ...],
    years: frozenset[str],
    months: frozenset[tuple[str, str]],
    future: bool,
) -> Question:
    """A part keeps its own focus at full weight and the rest of the question's at half,
    the question's years when it names none, its future when it names only what it asks,
    and its text: a name the question gives is no answer to a part ("…, and who succeeded
    him?" is not Nazarbayev).

    "…, and at what site?" is about the subject named earlier in the question (and where
    "which company will build …" asks where it will be); "Under the 1996 accord, which
    field and which port…": the port is the 1996 accord's too.
    """
    own = {f.stem for f in part.focus}
    extra = tuple(
        Focus(f.stem, f.word, f.weight / 2, f.is_name) for f in whole if f.stem not in own
    )
    return Question(
        part.text,
        part.kind,
        part.thing,
        part.thing_stems,
        part.focus + extra,
        part.numbers,
        unit=part.unit,
        language=part.language,
        years=part.years or years,
        measured_from=part.measured_from,
        months=part.months or (months if not part.years else frozenset()),
        present=part.present,
        role=part.role,
        # "…, and at what site?": it names only what it asks for
        future=part.future or (future and all(f.stem in part.thing_stems for f in part.focus)),
        whole=text,
    )


__all__ = ["Focus", "Question", "after_answers", "analyse", "as_asked", "currency_of"]
