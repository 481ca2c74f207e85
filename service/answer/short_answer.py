"""The short answer a sentence holds: a mention of the kind the question expects that is
the one asked for (a date of the event asked, a figure counting what is asked, a person
holding the role asked…), and how close it stands to the question's focus words.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from dataclasses import dataclass
from functools import lru_cache

from dossier import wordnet
from dossier.index.clauses import pause_offsets
from dossier.index.search import Index
from dossier.index.sentences import (
    Mention,
    SentenceStore,
    figures,
    initials_of,
    is_title,
    is_year,
    month_of,
)
from dossier.lexicon import (
    AGE,
    AMOUNT,
    COUNT,
    DATE,
    EXTENT,
    FORMER_STATES,
    MONEY,
    MONTH,
    NAME,
    NUMBER,
    ORGANISATION,
    PERSON,
    PLACE,
    SHARE,
    Lexicon,
    content_stems,
    countries_of_cities,
    country_of_people,
    demonym_of,
    known_places,
    known_territories,
    known_tongues,
    lexicon_for,
    words,
)
from dossier.service.answer.question import Question, currency_of
from dossier.service.answer.when import PRESENT, WORD, time_of

# Which mention kinds can answer which expected kind.
ACCEPTS: dict[str, frozenset[str]] = {
    DATE: frozenset({DATE}),
    NUMBER: frozenset({NUMBER}),
    PERSON: frozenset({PERSON}),  # a name of unknown kind is more often a place or a thing
    ORGANISATION: frozenset({ORGANISATION, NAME}),
    PLACE: frozenset({PLACE, NAME}),
    NAME: frozenset({NAME, ORGANISATION, PLACE, PERSON}),
}

# Kinds that may answer when the question names no thing, ranked after any accepted one: a
# bare "who" may be answered by an organisation, a name of no known kind or a place ("Who
# controls the CSTO?" "Russia": XQuAD English +4 answers, none lost).
FALLBACK: dict[str, frozenset[str]] = {PERSON: frozenset({ORGANISATION, NAME, PLACE})}

# What follows a name written as whose something is ("Kazakhstan's legitimacy").
_POSSESSIVE = re.compile(r"['’]s?\b")
# Characters over which a mention's closeness to a focus word fades by 1/e.
NEAR_CHARS = 40.0


def in_question(mention: Mention, question: Question, question_text: str) -> bool:
    """Whether the question already holds the mention; a person, by the surname it names
    alone ("Nursultan Nazarbayev" is not who succeeded Nazarbayev, but "Theo Kearney" may
    be whom Kearney Boulevard is named after); a name, by its acronym ("Who led the CSTO
    force?" is not answered "Collective Security Treaty Organisation", nor "Who built the
    Baku-Tbilisi-Ceyhan pipeline?" "BTC") or by its first two
    capitalised words or more ("Who signed the Treaty of Good Neighbourliness for Kazakhstan?"
    is not answered "Treaty of Good Neighbourliness and Alliance in the 21st Century").
    An earlier part's answer counts as given (`Question.answered`)."""
    if mention.text in question.answered:
        return True
    if mention.kind in (DATE, NUMBER):
        digits = figures(mention.value)
        if digits:  # and the month it names, if any ("June 2022" answers "which month of 2022")
            asked = {month for _, month in question.months}
            dated = month_of(mention, lexicon_for(question.language))
            return all(d in question.numbers for d in digits) and all(
                month in asked for _, month in dated
            )
        return _says(question_text, mention.text.lower())
    said = mention.text.split()
    lexicon = lexicon_for(question.language)
    if (
        mention.kind == PERSON
        and len(said) > 1
        and (
            said[-1] in question.lone_names
            or (question.uncased and _says(question_text, said[-1].lower()))
            or lexicon.stem.stemWord(said[-1].lower()) in question.lone_name_stems
        )
    ):
        # "Nursultan Nazarbayev" is not who succeeded Nazarbayev (nor nazarbayev, Nazarbaev)
        return True
    if question.acronyms and initials_of(mention) in question.acronyms:
        return True
    if mention.text in question.initials:  # "BTC" is the Baku-Tbilisi-Ceyhan pipeline
        return True
    # "the Caspian" is the Caspian Sea
    own = [w for w in said if w.lower() not in lexicon.place_words] or said
    return (
        _says(question_text, mention.text.lower())
        or all(_says(question_text, w.lower()) for w in own)
        or any(_same_start(said, name.split()) for name in question.long_names)
        or _begins_in(said, question.written)
    )


def _begins_in(name: list[str], written: tuple[str, ...]) -> bool:
    """Whether words write a name's first two capitalised words or more in a row, though not
    as a name of its own ("the Belt and Road projects": the Belt and Road Initiative)."""
    return any(
        word == name[0] and _same_start(name, list(written[i:])) for i, word in enumerate(written)
    )


def _same_start(name: list[str], other: list[str]) -> bool:
    """Whether two names start with the same two capitalised words or more ("Treaty of Good
    Neighbourliness and Alliance …" and "Treaty of Good Neighbourliness for Kazakhstan")."""
    shared = itertools.takewhile(lambda pair: pair[0] == pair[1], zip(name, other, strict=False))
    return sum(a[:1].isupper() for a, _ in shared) >= 2


def _says(text: str, phrase: str) -> bool:
    """Whether `text` holds `phrase` as words, not inside one ("ten" is not in "ctenophores")."""
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def around(store: SentenceStore, row: int, mention: Mention) -> tuple[str, str]:
    """The words just before and just after a mention, lower-cased ("" at the edges)."""
    info = store.infos[row]
    text = store.text(row)
    before = words(text[: max(0, mention.start - info.start)])
    after = words(text[max(0, mention.end - info.start) :])
    return (before[-1].lower() if before else ""), (after[0].lower() if after else "")


def fits(
    unit: str | None,
    mention: Mention,
    before: str,
    after: str,
    lexicon: Lexicon,
    currency: str | None = None,
) -> bool:
    """Whether a date or figure is the sort the question asks for, beyond its kind.

    "In which month…" wants a month name, "what share…" a percentage or a fraction,
    "how long…" a figure of time or length ("two weeks"), "how many…" a count — not
    an amount of money, not a share, not "the two countries" (a reference back) — and
    "…in US dollars" an amount of money, in dollars (`currency`) where it says which.
    """
    if unit is None:
        return True
    value = mention.value.lower()
    parts = value.split()
    if unit == MONTH:
        return mention.kind == DATE and any(p in lexicon.months for p in parts)
    share = (
        "%" in value
        or bool(re.search(lexicon.percent, value, re.I))
        or any(p in lexicon.fraction_words for p in re.split(r"[\s-]+", value))  # "one-third"
    )
    if unit == SHARE:
        return share
    if unit == EXTENT:  # "two weeks"; "515 million years ago" is an age as well as a date
        return after in lexicon.extent_words or any(p in lexicon.extent_words for p in parts[-2:])
    money = bool(re.search(lexicon.currency, mention.text, re.I)) or any(
        c in mention.text for c in "$€£"
    )
    if unit == MONEY:
        named = currency_of(f"{mention.text} {after}", lexicon) if currency else None
        return money and (named is None or named == currency)
    if unit == COUNT:  # of people or things: not money, a share, an area or a length
        measured = "km²" in value or parts[-1] in lexicon.extent_words
        return not (share or money or measured or before in lexicon.definite_words)
    return True


def _an_age(
    store: SentenceStore, row: int, mention: Mention, before: str, after: str, lexicon: Lexicon
) -> bool:
    """Whether a figure says how old someone or something is ("at age 39", "aged 68", "a
    70-year-old", "515 million years ago"), which "how old" asks: not a duration ("after 30
    years at the helm") nor "one of his speeches". In a language whose words for an age the
    lexicon lacks ("a los 39 años"), a duration will do."""
    if not lexicon.age_words:
        return fits(EXTENT, mention, before, after, lexicon)
    if before in lexicon.age_words or any(w in lexicon.age_words for w in words(mention.text)):
        return True
    info = store.infos[row]
    following = store.text(row)[mention.end - info.start :]
    return bool(lexicon.age_after and lexicon.age_after.match(following))


def best_answer(
    question: Question,
    store: SentenceStore,
    rows: list[int],
    aliases: dict[str, str] | None = None,
    language: str | None = None,
) -> tuple[Mention | None, float]:
    """The mention of the expected kind closest to a focus term, and its closeness (0..1).

    `aliases` (see `in_language`) lets a sentence in another language than the
    question's place its focus words; `language` is the sentence's, whose words
    say what a figure counts ("deux semaines" is a duration in French).
    """
    accepts = ACCEPTS.get(question.kind)
    if accepts is None:
        return None, 0.0
    lexicon = lexicon_for(language or question.language)
    return best_answer_for(
        question, store, rows, aliases, lexicon, accepts, question.asked.lower(), question.weights()
    )


def best_answer_for(
    question: Question,
    store: SentenceStore,
    rows: list[int],
    aliases: dict[str, str] | None,
    lexicon: Lexicon,
    accepts: frozenset[str],
    text: str,
    weights: dict[str, float],
    uncounted: frozenset[tuple[int, int]] = frozenset(),
    derived: dict[str, str] | None = None,
) -> tuple[Mention | None, float]:
    """`best_answer` with what depends on the question alone given (per candidate: once).
    `uncounted`: the (row, start) of figures that count something other than what is asked;
    `derived`: stems standing for a focus stem ("successor" for "succeed": `derived_forms`).

    Closeness counts each anchor (a focus term or the thing asked for) by its weight
    over the question's heaviest: a year beside "Kazakhstan" in an index about
    Kazakhstan says little about when it "abolished the death penalty".
    """
    heaviest = max(weights.values(), default=0.0) or 1.0
    anchors: list[tuple[int, float]] = []
    for r in rows:
        info = store.infos[r]
        for offset, stem in zip(info.stem_offsets, info.stems, strict=True):
            stem = aliases.get(stem, stem) if aliases else stem
            stem = derived.get(stem, stem) if derived else stem
            if stem in question.thing_stems:
                anchors.append((offset, 1.0))
            elif stem in weights:
                anchors.append((offset, weights[stem] / heaviest))
    # "how many tonnes of uranium": a figure counts only when written in tonnes
    units = {
        lexicon.stem.stemWord(w)
        for w in (question.thing or "").lower().split()
        if w in lexicon.measure_units
    }
    # "who is the foreign minister": a person the sentence does not call a minister is not
    # the one asked for (the role's head, stemmed: "presidency" names a president). Across
    # languages the words differ ("ministro"): not checked.
    role = (
        lexicon.stem.stemWord(question.thing.split()[-1].lower())
        if question.role and question.thing and not aliases
        else None
    )
    unsaid = role is not None and (
        not any(stem.startswith(role) for r in rows for stem in store.infos[r].stems)
        or not _of_owner(question, store, rows[-1], role, lexicon)
    )  # "leadership" names a leader
    if unsaid:
        accepts = accepts - {PERSON}
    # "how many academic units": the figure that counts them ("eleven separate academic
    # units—ten faculties …") before one beside them
    counted_head = (
        _head_stem(question.thing, lexicon) if question.unit == COUNT and question.thing else None
    )
    # "how long", "how old": "515 million years ago" is a date that says an age
    ages = question.kind == NUMBER and question.unit in (None, EXTENT, AGE)
    if ages:
        accepts = accepts | {DATE}
    # A name of two or three capitalised words is a person's by default ("Virgin Media"):
    # unless its source confirms the person, it may be the organisation asked for. (As a
    # place it was also a birthplace: "where was Halford Mackinder born?" "Duran Duran".)
    surmised = question.kind == ORGANISATION
    # A bare "who" ("who did Internet2 partner with?") may be an organisation, after any
    # person; "which two Duma members" names persons
    asked = question.thing.split()[-1].lower() if question.thing else ""
    # …and so may a role the lexicon does not know as a person's ("who is Astana's main
    # trading partner?": China), where the sentence gives it
    fallback = (
        FALLBACK.get(question.kind, frozenset())
        if question.thing is None
        or (role is not None and not unsaid and lexicon.thing_kind(asked) is None)
        else frozenset()
    )
    said = _read(question, lexicon.code)
    cities = countries_of_cities(lexicon.code) if said.countries else {}
    # "which river": a country is not one, nor a place its name or the word after it calls
    # another kind of place ("the Caspian Sea", "the Tengiz field"); a region may be any
    place = asked if question.kind == PLACE and asked in lexicon.specific_places else ""
    natural = place in lexicon.natural_places  # nor a city
    # "what is Kazakhstan's GDP": an amount, which a share is not
    amount = question.kind == NUMBER and question.unit is None and asked in lexicon.amount_measures
    best: Mention | None = None
    closeness = 0.0
    best_rank: tuple[bool, bool, bool, bool, bool, float] = (False, False, False, False, False, 0.0)
    years = question.time_bound
    given_years = question.kind == NUMBER and bool(years)  # "the trade volume in 2003"
    dated_kind = question.kind in (ORGANISATION, NAME) and bool(question.thing)  # "1994 agreement"
    for r in rows:
        # An antecedent about another time may give context, not the answer ("…
        # Nazarbayev, … from 1991 to 2019. His successor, Tokayev, …" for 2022, or for
        # "who is the current president").
        timed = (years or question.present) and r != rows[-1]
        when = time_of(store, [r], lexicon, own=[r]) if timed else None
        dated = not (
            when and (when.excludes(years, question.months) if years else when.last != PRESENT)
        )
        pauses = _pauses(store, r, lexicon)
        unnamed = _dated_things(store, r, question, lexicon) if dated_kind else []
        if question.unit == COUNT and counted_head is not None:
            unnamed = [*unnamed, *_sole(store, r, counted_head, lexicon)]
        if question.kind == PLACE and (said.city or question.thing is None):
            # "which city hosted …", "where was …": where an event was held
            unnamed = [
                *unnamed,
                *_event_places(store, r, lexicon),
                *_settlements(store, r, lexicon, said.lowered),
            ]
        for mention in [*store.infos[r].mentions, *unnamed]:
            if (
                mention.kind not in accepts
                and (mention.kind not in fallback or r != rows[-1])
                and not (surmised and _surmised_person(store, r, mention))
                and not (said.members and _members_of(store, r, mention, lexicon))
            ) or in_question(mention, question, text):
                continue
            if (r, mention.start) in uncounted:
                continue
            if mention.kind not in (DATE, NUMBER) and _restates(store, r, mention, question):
                continue  # "two members of the Duma, the Russian Assembly": the Duma again
            if mention.kind == NUMBER and _of_the_whole(store, r, mention, weights, lexicon):
                continue  # "$27 billion, including exports of dual-use goods": all trade
            if (mention.kind not in accepts or question.kind == PERSON) and _heads_a_deed(
                store, r, mention, lexicon
            ):
                # "who signed the 2020 agreement": not "the Treaty of Friendship"; nor, for a
                # person, two capitalised words that name a plan or an award ("Academy Award")
                continue
            if mention.kind not in (DATE, NUMBER) and _owns(store, r, mention, said.owned, lexicon):
                continue  # "China is now Astana's main trading partner": not Astana
            if question.kind == PLACE and mention.text in said.peoples_places:
                continue
            if (
                question.kind == PERSON
                and mention.kind == PLACE
                and (
                    mention.text.split()[-1].lower() in lexicon.natural_places
                    or _after_locative(store, r, mention, lexicon)
                )
            ):
                # a bare "who" may be a country, not "the Caspian Sea", nor where it was done
                # ("… an agreement to build a nuclear power plant in Kazakhstan")
                continue
            if (
                question.kind == PLACE
                and question.thing is None
                and not store.text(r)[: mention.start - store.infos[r].start].strip()
            ):
                continue  # "where was the capital moved": not "Kazakhstan has … moving it"
            if question.kind in (PLACE, ORGANISATION) and _an_event(store, r, mention, lexicon):
                continue
            if (
                question.kind == PLACE
                and question.thing is None
                and _no_site(store, r, mention, lexicon)
            ):
                continue  # "where was Putin": not "before the fall of the Soviet Union"
            if (
                question.kind == PERSON
                and lexicon.code == "en"
                and wordnet.names_no_agent(mention.text)
            ):
                continue  # "during World War II": nobody who did anything
            if (
                question.kind == ORGANISATION
                and mention.kind != ORGANISATION
                and lexicon.code == "en"
                and wordnet.names_a_place_not_a_body(mention.text)
            ):
                continue  # "towards the West": no alliance
            if (
                question.kind == ORGANISATION
                and asked not in lexicon.event_words
                and mention.text.split()[-1].lower() in lexicon.event_words
            ):
                continue  # "the St. Petersburg International Economic Forum" is no party
            if (
                question.kind == NAME
                and question.thing
                and _no_such_name(store, r, mention, lexicon)
            ):
                continue  # "which programme": not Turkey, nor "the American project"
            if question.kind in (PLACE, ORGANISATION) and (
                _modifies(store, r, mention, lexicon)
                or (place and _another_place(store, r, mention, place, lexicon))
                or (
                    (said.city or place)
                    and (
                        mention.text in known_territories(lexicon.code)
                        or mention.text in FORMER_STATES  # "the USSR" is no capital either
                    )
                )
                or bool((there := cities.get(mention.text)) and there.isdisjoint(said.countries))
                or (natural and mention.text in known_places(lexicon.code))
                or (natural and _known_as_another_thing(store, r, mention, place, lexicon))
            ):
                continue
            # "Kazakh" (the Kazakh leader) and "the Kazakhs" are neither a place, an
            # organisation nor a named event or treaty; a question for a language asks for
            # OTHER ("which language")
            if (
                question.kind in (PLACE, ORGANISATION, NAME)
                and mention.kind == NAME
                and (mention.text in known_tongues(lexicon.code) or _a_people(mention, lexicon))
            ):
                continue
            if mention.kind == DATE and _dated_by(store, r, mention, anchors, lexicon, text):
                continue
            if (  # a date must say an age; with the unit EXTENT, `fits` below checks it
                ages
                and question.unit is None
                and mention.kind == DATE
                and not fits(EXTENT, mention, *around(store, r, mention), lexicon)
            ):
                continue
            if question.unit or units:
                before, after = around(store, r, mention)
                if question.unit == AGE:
                    if not _an_age(store, r, mention, before, after, lexicon):
                        continue
                elif question.unit and not fits(
                    question.unit, mention, before, after, lexicon, question.currency
                ):
                    continue
                if units and not lexicon.stem.stemWord(after).endswith(tuple(units)):
                    continue  # "gigatons" are tons
            if question.unit != SHARE and _a_share_of(store, r, mention, lexicon, question):
                continue
            if (
                said.changed
                and mention.kind == NUMBER
                and fits(SHARE, mention, "", "", lexicon)
                and _counted(store, r, mention, lexicon, SHARE)
            ):
                continue  # "one-third of GDP" is not how much the economy shrank
            if said.by_how_much and mention.kind == NUMBER:
                before, after = around(store, r, mention)
                if not (
                    fits(SHARE, mention, "", "", lexicon)
                    or before in lexicon.change_words
                    or after in lexicon.factor_words
                    or mention.text.lower().endswith(tuple(lexicon.factor_words))
                ):
                    continue  # "reaching USD 18.5 billion in 2018" is not by how much it grew
            if question.unit == SHARE and question.thing and mention.kind == NUMBER:
                before, _ = around(store, r, mention)
                if before in lexicon.change_words:
                    continue  # "up 30% from 2022" is no share of Kazakhstan's exports
            if amount and mention.kind == NUMBER and fits(SHARE, mention, "", "", lexicon):
                continue  # "75% of export earnings" is no GDP
            if given_years and mention.kind == NUMBER:
                given = _given_for(store, r, mention, lexicon, pauses)
                if given and not given & years:
                    continue  # "USD 18.5 billion in 2018" is not the figure for 2003
            near = max(
                (
                    weight
                    * math.exp(
                        -(
                            (max(0, a - mention.end) if a >= mention.start else mention.start - a)
                            + (
                                NEAR_CHARS * _pauses_between(pauses, a, mention)
                                if mention.kind in (DATE, NUMBER)
                                else 0.0
                            )
                        )
                        / NEAR_CHARS
                    )
                    for a, weight in anchors
                ),
                default=0.0,
            )
            # a name of the kind asked for before a person's name by default only, and
            # before a name of no known kind ("Baikonur Cosmodrome", not "Use", for "which
            # space launch facility"); who does what the question asks before either
            agent = said.asks_agent and _agent(
                store, r, mention, lexicon, said.verbs, said.subject_verb
            )
            if said.bare_who and not agent and _agent(store, r, mention, lexicon, None):
                continue  # "controlled by Russia" is not who called the CSTO
            counts_it = (
                counted_head is not None
                and mention.kind == NUMBER
                and counted_head in _counted_stems(store, r, mention, lexicon, COUNT)
            )
            rank = (
                mention.kind in accepts or agent,
                agent,
                mention.kind == question.kind,
                dated,
                # "grow by how much": "up 30%" before "$31.5 billion"
                said.changed and around(store, r, mention)[0] in lexicon.change_words,
                counts_it,
                near,
            )
            if best is None or rank > best_rank:
                best, best_rank = mention, rank
            closeness = max(closeness, near)
    return best, closeness


def _pauses(store: SentenceStore, row: int, lexicon: Lexicon) -> list[int]:
    """The document offsets of the pauses in a sentence (index/clauses.py: "Growth fell to
    -2.5%, the budget deficit reached 4%": -2.5% is not the deficit; they part a date or
    figure from a term, not a name from one: "Henry Cole, the museum's first director"), in
    order; not those around a phrase
    of time ("In 1993, Galor and Zeira showed …", "… to leave the USSR, in December 1991",
    "Two weeks after being deployed, the troops withdrew": the date or time is the clause's)."""
    info = store.infos[row]
    dates = tuple(m.start - info.start for m in info.mentions if m.kind == DATE)
    return [info.start + at for at in _pause_offsets(store.text(row), dates, lexicon.code)]


@lru_cache(maxsize=16384)
def _pause_offsets(text: str, dates: tuple[int, ...], code: str) -> tuple[int, ...]:
    """`_pauses` within one sentence's text (the same for every question: cached)."""
    lexicon = lexicon_for(code)
    found = pause_offsets(text, code)
    bounds = [-1, *found, len(text)]

    def of_time(begin: int, end: int) -> bool:  # "in December 1991", not "by intercepting"
        said = [w.lower() for w in WORD.findall(text, begin, end)]
        if said and said[0] in lexicon.year_words and any(begin <= d < end for d in dates):
            return True
        # "Nearly two weeks after being deployed, the troops withdrew": a time since an event
        return any(
            a in lexicon.extent_words and b in lexicon.relative_words
            for a, b in itertools.pairwise(said)
        )

    return tuple(
        at
        for k, at in enumerate(found)
        if not of_time(bounds[k] + 1, at) and not of_time(at + 1, bounds[k + 2])
    )


def _pauses_between(pauses: list[int], anchor: int, mention: Mention) -> int:
    """How many pauses lie between a focus term and a mention (each fades it as much as
    NEAR_CHARS of text does)."""
    low, high = (mention.end, anchor) if anchor >= mention.start else (anchor, mention.start)
    return bisect.bisect_left(pauses, high) - bisect.bisect_left(pauses, low)


def _years_of(mention: Mention) -> set[int]:
    return {int(f) for f in re.findall(r"\d+", mention.value) if is_year(f)}


def _given_for(
    store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon, pauses: list[int]
) -> set[int]:
    """The years a figure is given for: the one in the same place in the list of years
    before a list of figures given "respectively" ("The years 2022 and 2023 … $26 billion and
    $27 billion respectively"); else the year after it in its clause, or failing that before
    it, that a word places it in ("USD 5.2 billion in 2003", "In 2020, growth fell to -2.5%").
    Empty when none does: "up 30% from 2022" is no figure for 2022."""
    info = store.infos[row]
    text = store.text(row)
    dated = [m for m in info.mentions if m.kind == DATE and _years_of(m)]
    if not dated:
        return set()
    if lexicon.respectively:
        said = next(
            (
                info.start + w.start()
                for w in WORD.finditer(text, mention.end - info.start)
                if w.group().lower() in lexicon.respectively
            ),
            None,
        )
        if said is not None:
            listed = [m for m in info.mentions if m.kind == NUMBER and m.end <= said]
            first = min(m.start for m in listed)
            before = [m for m in dated if m.end <= first]
            if len(listed) == len(before) > 1:
                return _years_of(before[listed.index(mention)])

    def placed(date: Mention) -> bool:
        low, high = sorted((date.start, mention.start))
        return around(store, row, date)[0] in lexicon.period_words and bisect.bisect_left(
            pauses, high
        ) == bisect.bisect_left(pauses, low)

    after = next((m for m in dated if m.start >= mention.end), None)
    if after is not None and after.start - mention.end <= NEAR_CHARS and placed(after):
        return _years_of(after)
    before = [m for m in dated if m.end <= mention.start and placed(m)]
    return _years_of(before[-1]) if before else set()


def _dated_things(
    store: SentenceStore, row: int, question: Question, lexicon: Lexicon
) -> list[Mention]:
    """The things of the kind "which X" asks for that a sentence tells apart by a year
    rather than a name: "Which agreement did the 2020 agreement replace?" "the 1994
    agreement" (in "…, which replaces the 1994 agreement")."""
    if not question.thing or not lexicon.dated_thing:
        return []
    asked = question.thing.split()[-1].lower()
    singular = next(iter(lexicon.singulars(asked)), asked)
    pattern = _dated_pattern(lexicon.dated_thing, re.escape(singular))
    info = store.infos[row]
    return [
        Mention(info.start + m.start(1), info.start + m.end(1), question.kind, m[1], m[1])
        for m in pattern.finditer(store.text(row))
    ]


def _sole(store: SentenceStore, row: int, head: str, lexicon: Lexicon) -> list[Mention]:
    """A count of one of the thing asked ("the only Central Asian state" for "how many
    Central Asian states"): `head`, its stem, among the three words after lexicon `sole`."""
    if not lexicon.sole:
        return []
    info, text = store.infos[row], store.text(row)
    found: list[Mention] = []
    for match in lexicon.sole.finditer(text):
        after = list(itertools.islice(_TOKEN.finditer(text, match.end()), _COUNTED_WORDS))
        stems = lexicon.stem.stemWords([t.group().lower() for t in after])
        if head in stems:  # the span runs to it: "the only Central Asian state"
            said = text[match.start("one") : after[stems.index(head)].end()]
            start = info.start + match.start("one")
            found.append(Mention(start, start + len(said), NUMBER, said, "1"))
    return found


def _settlements(
    store: SentenceStore, row: int, lexicon: Lexicon, asked: frozenset[str]
) -> list[Mention]:
    """The settlements a sentence naming no place names by a common noun ("the riots spread
    to the capital": lexicon `settlement_phrase`); not by a noun the question writes
    (`asked`, lower-cased: "what is Kazakhstan's capital?" is not "the capital")."""
    info = store.infos[row]
    if not lexicon.settlement_phrase or any(m.kind == PLACE for m in info.mentions):
        return []
    return [
        Mention(
            info.start + m.start("place"),
            info.start + m.end("place"),
            PLACE,
            m["place"],
            m["place"],
        )
        for m in lexicon.settlement_phrase.finditer(store.text(row))
        if m["place"].split()[-1].lower() not in asked
    ]


def _event_places(store: SentenceStore, row: int, lexicon: Lexicon) -> list[Mention]:
    """The place an event's name opens with, where it was held: "St. Petersburg" in "the St.
    Petersburg International Economic Forum" (a place CLDR names or, in English, WordNet
    knows first as one)."""
    found: list[Mention] = []
    for mention in store.infos[row].mentions:
        said = mention.text.split()
        if mention.kind in (DATE, NUMBER, PLACE, PERSON) or len(said) < 3:
            continue
        if said[-1].lower() not in lexicon.event_words:
            continue
        for k in (2, 1):
            place = " ".join(said[:k])
            if place in known_places(lexicon.code) or (
                lexicon.code == "en" and wordnet.names_a_place_not_a_body(place)
            ):
                end = mention.start + len(place)
                found.append(Mention(mention.start, end, PLACE, place, place))
                break
    return found


@lru_cache(maxsize=1024)
def _dated_pattern(template: str, thing: str) -> re.Pattern[str]:
    return re.compile(template.replace("{thing}", thing), re.IGNORECASE)


@dataclass(frozen=True)
class _Said:
    """What `best_answer_for` reads of a question alone, once per question (`_read`)."""

    # "which city", "the capital of …": a country is not one, nor a city CLDR places in
    # another country than the question's ("which Kazakh city": not Moscow)
    city: bool
    countries: frozenset[str]
    # "Kazakhstan's main trading partner": what "X's main" owns is asked, X is not the answer
    owned: frozenset[str]
    # "where do Russian speakers live": not in Russia, which the question names by its people
    peoples_places: frozenset[str]
    # "which lawmakers": after any person, the body "two members of the Duma" belong to (not
    # "the names of the lawmakers": a body is no person's name)
    members: bool
    # "who supports the pipeline": "the pipeline supported by Washington"; and a bare "who
    # <does>" is not answered by who does another thing ("financed by the fund" still names
    # "Kazakhstan's sovereign wealth fund")
    asks_agent: bool
    bare_who: bool
    # the stems of its common words and of the words WordNet relates to their verb senses
    # ("who funded": "financed by")
    verbs: frozenset[str]
    # the stem of the verb "who <verb> …" asks with ("who published …": publish), else ""
    subject_verb: str
    # "how much did the economy shrink?": a change, not a share of a whole
    changed: bool
    # "by how much did trade grow?": the size of a change, not a level reached
    by_how_much: bool
    # its words, lower-cased (a settlement it writes is no answer to it)
    lowered: frozenset[str]


@lru_cache(maxsize=1024)
def _read(question: Question, code: str) -> _Said:
    lexicon = lexicon_for(code)
    asked = question.thing.split()[-1].lower() if question.thing else ""
    city = any(w in lexicon.settlement_words for w in (asked, *lexicon.singulars(asked)))
    asks_agent = question.kind in (PERSON, ORGANISATION) and bool(lexicon.agent_words)
    return _Said(
        city=city,
        countries=_countries_named(question, lexicon, asked) if city else frozenset(),
        owned=_stems_owned(question.text, lexicon),
        peoples_places=frozenset(
            place
            for word in words(question.text)
            if word[:1].isupper()
            for place in country_of_people(word, code)
        ),
        members=(
            question.kind == PERSON
            and question.thing is not None
            and question.role
            and not (lexicon.name_of and lexicon.name_of.search(question.text))
        ),
        asks_agent=asks_agent,
        bare_who=asks_agent and question.kind == PERSON and question.thing is None,
        verbs=frozenset(f.stem for f in question.focus if not f.is_name)
        | frozenset(
            stem
            for f in question.focus
            if asks_agent and not f.is_name and code == "en"
            for kin in wordnet.verb_relatives(f.word.lower())
            for stem in lexicon.stem.stemWords(kin.split("_"))
        ),
        subject_verb=lexicon.stem.stemWord(subject.group("verb"))
        if asks_agent
        and lexicon.subject_question
        and (subject := lexicon.subject_question.match(question.text.lower()))
        else "",
        changed=question.kind == NUMBER
        and any(w.lower() in lexicon.change_verbs for w in question.written),
        by_how_much=question.kind == NUMBER
        and bool(lexicon.change_question and lexicon.change_question.search(question.text)),
        lowered=frozenset(w.lower() for w in question.written),
    )


# A possessive and the words it owns: "Kazakhstan's main trading partner" → "main trading
# partner".
_OWNED = re.compile(r"[’']s((?:\s+[^\W\d_]+){1,3})")


def _stems_owned(text: str, lexicon: Lexicon) -> frozenset[str]:
    """The stems of what a possessive owns, up to a stop word ("main", "trade", "partner")."""
    return frozenset(
        lexicon.stem.stemWord(w.lower())
        for phrase in _OWNED.findall(text)
        for w in itertools.takewhile(lambda w: w.lower() not in lexicon.stop_words, phrase.split())
    )


def _owns(
    store: SentenceStore, row: int, mention: Mention, owned: frozenset[str], lexicon: Lexicon
) -> bool:
    """Whether a name owns what the question's owner does ("Astana's main trading partner"
    for "Kazakhstan's largest trading partner"): it stands where the question's owner
    stands."""
    if not owned:
        return False
    found = _OWNED.match(store.text(row)[mention.end - store.infos[row].start :])
    return found is not None and not owned.isdisjoint(_stems_owned(found.group(0), lexicon))


def _countries_named(question: Question, lexicon: Lexicon, asked: str) -> frozenset[str]:
    """The countries a question places the city it asks for in, by a name or a people's
    adjective just before the word for it, or a name after its "of" or "in" ("which Kazakh
    city", "the capital of Kazakhstan")."""
    territories = known_territories(lexicon.code)
    said = words(question.text)
    lowered = [w.lower() for w in said]
    if asked not in lowered:
        return frozenset()
    at = lowered.index(asked)
    near = said[max(0, at - 1) : at]
    if lowered[at + 1 : at + 2] and lowered[at + 1] in lexicon.connectors | lexicon.period_words:
        near += [w for w in said[at + 2 : at + 4] if w[:1].isupper()][:1]  # "capital of X"
    return frozenset(
        place
        for word in near
        for place in (
            (word,) if word in territories else country_of_people(word.capitalize(), lexicon.code)
        )
        if place in territories
    )


def _a_people(mention: Mention, lexicon: Lexicon) -> bool:
    """Whether a name is a people's: the plural of the adjective of a country ("Kazakhs",
    "Ukrainians")."""
    word = mention.text
    return (
        " " not in word and word.endswith("s") and bool(country_of_people(word[:-1], lexicon.code))
    )


def _words_before(store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon) -> list[str]:
    """The two words before a mention in its sentence, lower-cased, past an article ("after
    the Qandy Quantar": after; "members of the Duma": members, of)."""
    info = store.infos[row]
    before = [w.lower() for w in words(store.text(row)[: mention.start - info.start])[-3:]]
    if before and before[-1] in lexicon.definite_words:
        before.pop()
    return before[-2:]


def _after_locative(store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon) -> bool:
    """Whether a name follows a preposition of place ("in Kazakhstan")."""
    before = _words_before(store, row, mention, lexicon)
    return bool(before) and before[-1] in lexicon.locatives


def _an_event(store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon) -> bool:
    """Whether a name of no known kind is an event by what dates something by it ("a few
    months after the Qandy Quantar"): no place or organisation asked for."""
    before = _words_before(store, row, mention, lexicon) if mention.kind == NAME else []
    return bool(before) and before[-1] in lexicon.relative_words


def _no_site(store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon) -> bool:
    """Whether a place is named as whose something is ("questioning Kazakhstan's
    legitimacy") or by what dates something by an event of it ("before the fall of the
    Soviet Union"): not where anything happened."""
    info = store.infos[row]
    if _POSSESSIVE.match(store.text(row)[mention.end - info.start :]):
        return True
    before = [w.lower() for w in words(store.text(row)[: mention.start - info.start])[-5:]]
    while before and before[-1] in lexicon.definite_words:
        before.pop()
    if len(before) < 3 or before[-1] not in lexicon.of_words:
        return False
    opening = before[:-2]  # what stands before "fall of", past an article
    while opening and opening[-1] in lexicon.definite_words:
        opening.pop()
    return bool(opening) and opening[-1] in lexicon.clause_openers


def _members_of(store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon) -> bool:
    """Whether an organisation is named as what persons are members of ("two members of the
    Duma"): it then answers "which lawmakers", failing a person's name."""
    before = _words_before(store, row, mention, lexicon) if mention.kind == ORGANISATION else []
    return (
        len(before) == 2
        and before[1] in lexicon.connectors
        and before[0] in lexicon.generic_persons
    )


def _agent(
    store: SentenceStore,
    row: int,
    mention: Mention,
    lexicon: Lexicon,
    verbs: set[str] | None,
    subject: str = "",
) -> bool:
    """Whether a name is who does what a question's word says, by the word that names the
    agent right after it ("supported by Washington" for "who supports …", "financed by the
    Samrouk Kazyna fund" for "who financed …"), or as the subject of the `subject` verb
    "who <verb> …" asks with."""
    before = _words_before(store, row, mention, lexicon)
    if len(before) < 2 or before[-1] not in lexicon.agent_words:
        return bool(subject) and _subject_of(store, row, mention, lexicon, subject)
    if verbs is None:  # any participle's agent
        return before[-2].endswith(("ed", "en"))
    return lexicon.stem.stemWord(before[-2]) in verbs


def _subject_of(
    store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon, verb: str
) -> bool:
    """Whether a name is followed by the stem `verb`, after an auxiliary of the perfect at
    most ("the media outlet Kazakhstan Today published a statement by President Tokayev,
    Independence Above All" for "who published …"); not by one of the passive ("was
    financed"), nor by a participle whose agent follows ("the coastal rail line (CRL)
    supported by Lisbon")."""
    info = store.infos[row]
    match = _FOLLOWING.match(store.text(row), mention.end - info.start)
    if match is None:
        return False
    after = [w.lower() for w in match.groups() if w]
    if after[0] in lexicon.perfect_auxiliaries:
        after = after[1:]
    return (
        bool(after)
        and lexicon.stem.stemWord(after[0]) == verb
        and not (len(after) > 1 and after[1] in lexicon.agent_words)
    )


# Up to three words right after a name, parted by spaces alone ("Kazakhstan Today published").
_FOLLOWING = re.compile(r" +(\w+)(?: +(\w+))?(?: +(\w+))?")


# A name, a comma and an article at most, at the end of the text before a mention: the
# mention may restate that name ("the Duma, the Russian Assembly").
_APPOSED_TO = re.compile(r"([^\W\d_][\w'’-]*),\s+(?:(?:the|a|an)\s+)?$")


def _restates(store: SentenceStore, row: int, mention: Mention, question: Question) -> bool:
    """Whether a name is set between commas beside one of the question's names as another
    name for it ("… members of the Duma, the Russian Assembly, …"): what the question names,
    not its answer. Not a person ("the deputy director of the Office of Manned Space Flight,
    Joseph Shea, …" names the director), nor a name after an opening phrase ("In 1968 during
    the Cultural Revolution, Red Guards destroyed …")."""
    info = store.infos[row]
    text = store.text(row)
    if mention.kind == PERSON or not text[mention.end - info.start :].startswith(","):
        return False
    apposed = _APPOSED_TO.search(text[: mention.start - info.start])
    if apposed is None or not apposed.group(1)[:1].isupper():
        return False
    stem = lexicon_for(question.language).stem.stemWord(apposed.group(1).lower())
    return any(f.is_name and f.stem == stem for f in question.focus)


def _surmised_person(store: SentenceStore, row: int, mention: Mention) -> bool:
    """A person's name by default only: its source never names it by surname alone (and
    it is not in a title or list item, which capitalise every word: "Agreement on
    Customs Cooperation and Joint Border Control")."""
    said = mention.text.split()
    return (
        mention.kind == PERSON
        and len(said) > 1
        and (store.infos[row].source_id, said[-1]) not in store.known_persons
        and not is_title(store.text(row))
    )


def _modifies(store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon) -> bool:
    """Whether an untyped one-word name qualifies the common noun after it ("Russian
    companies", "the Latin alphabet"): an adjective, not a place's or an organisation's name."""
    if mention.kind != NAME or " " in mention.text:
        return False
    _, after = around(store, row, mention)
    return after[:1].isalpha() and after[:1].islower() and after not in lexicon.stop_words


def _of_the_whole(
    store: SentenceStore, row: int, mention: Mention, weights: dict[str, float], lexicon: Lexicon
) -> bool:
    """Whether a figure is given of a whole whose part the question asks about: the sentence
    holds a focus word of the question only after the figure and an *including* ("… $26
    billion and $27 billion respectively, including exports of dual-use goods")."""
    if lexicon.including is None:
        return False
    info = store.infos[row]
    text = store.text(row)
    at = mention.start - info.start
    found = lexicon.including.search(text, at)
    if found is None:
        return False
    before = set(content_stems(text[: found.start()], lexicon))
    after = set(content_stems(text[found.end() :], lexicon))
    return any(s in after and s not in before for s in weights)


# Words after which an English name goes on to what its head is of or about ("the Treaty
# of Friendship", "the Agreement on the Use of …").
HEAD_ENDS = frozenset({"of", "on", "for", "between"})


# The lower-case words right after a name, past a closing quote: "strategy" in "the
# ‘Kazakhstan-2050’ strategy", "research teams" in "two Japanese research teams".
_FOLLOWING_WORDS = re.compile(r"[’'”\"]?((?:\s+[a-z]+\b)*)")


def name_head(name: str) -> tuple[str, bool]:
    """The head word of an English name or title, and whether words follow it ("Treaty" in
    "Treaty of Friendship (1992)"; the last word of "the Belt and Road Initiative")."""
    said = words(name)
    at = next((i for i, w in enumerate(said) if i and w.lower() in HEAD_ENDS), None)
    return (said[at - 1], True) if at is not None else (said[-1] if said else "", False)


def _heads_a_deed(store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon) -> bool:
    """Whether a name is headed by a noun for a deed, a plan or a text ("the Treaty of
    Friendship", "the Individual Partnership Action Plan"), stands in a listed title so
    headed ("Mutual Assistance" in "Treaty of Friendship, Cooperation and Mutual Assistance
    (1992)"), or opens a noun phrase so headed ("the ‘Kazakhstan-2050’ strategy"): none of
    them did anything. A last word is not read as a writing: "the Wall Street Journal" may
    have. English only (WordNet)."""
    if lexicon.code != "en":
        return False
    head, followed = name_head(mention.text)
    if wordnet.names_no_agent(head.lower(), writings=followed):
        return True
    line = store.text(row)
    if is_title(line) and wordnet.names_no_agent(name_head(line)[0].lower()):
        return True  # "Mutual Assistance" in "Treaty of Friendship, … Mutual Assistance (1992)"
    after = _FOLLOWING_WORDS.match(line, mention.end - store.infos[row].start)
    phrase = list(
        itertools.takewhile(lambda w: w not in lexicon.stop_words, after.group(1).split())
    )
    # "Japanese research teams" may act; "Ferenc Deák directed …" is no noun phrase
    return (
        bool(phrase) and not wordnet.reads_as_verb(phrase[0]) and wordnet.names_no_agent(phrase[-1])
    )


def _no_such_name(store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon) -> bool:
    """Whether a name cannot be the programme, plan or event a question asks for: a country,
    or a people's adjective qualifying a common noun ("the American project")."""
    return mention.text in known_territories(lexicon.code) or bool(
        demonym_of(mention.text, lexicon.code) and _modifies(store, row, mention, lexicon)
    )


def _of_owner(
    question: Question, store: SentenceStore, row: int, role: str, lexicon: Lexicon
) -> bool:
    """Whether a sentence, the ones it refers back to (in turn) or its heading name the place
    whose role the question asks about, or its adjective ("the president of Russia": not
    Tokayev, "the country's leader" after "Kazakhstan was … It then …"), and the sentence
    gives the role to no other place ("The Kazakh president was invited …")."""
    # the places named beside the role ("the president of Russia", "Russia's president"),
    # not elsewhere ("… un exalumno de la Universidad de Chicago")
    said = [w.removesuffix("'s").removesuffix("’s") for w in words(question.text)]
    at = next((i for i, w in enumerate(said) if lexicon.stem.stemWord(w.lower()) == role), -1)
    # before the role ("Russia's president", "the Russian president") or after its "of"
    joined = at >= 0 and at + 1 < len(said) and said[at + 1].lower() in lexicon.connectors
    after = said[at + 2 : at + 4] if joined else []
    near = [*said[max(at - 2, 0) : max(at, 0)], *after]
    owners = [
        w
        for w in near
        if w in question.lone_names
        and (w in known_places(lexicon.code) or demonym_of(w, lexicon.code))
    ]
    if not owners:
        return True
    mine = {lexicon.stem.stemWord(w.lower())[:4] for w in owners}
    tokens = WORD.findall(store.text(row))
    for before, word in itertools.pairwise(tokens):
        if (
            lexicon.stem.stemWord(word.lower()).startswith(role)
            and before[:1].isupper()
            and (demonym_of(before, lexicon.code) or before in known_places(lexicon.code))
            and lexicon.stem.stemWord(before.lower())[:4] not in mine
        ):
            return False
    held: set[str] = set()
    at, hops = row, 0
    while at >= 0 and hops < _OWNER_HOPS:
        info = store.infos[at]
        held.update(info.stems)
        if info.section >= 0:
            held.update(store.infos[info.section].stems)
        at, hops = (info.previous if info.refers_back else -1), hops + 1
    return bool(mine & {s[:4] for s in held})


# How many sentences back a role's owner may be named: "Kazakhstan was the last state … It
# then established itself … His successor, Kassym-Jomart Tokayev, has been the country's leader".
_OWNER_HOPS = 3


def _another_place(
    store: SentenceStore, row: int, mention: Mention, asked: str, lexicon: Lexicon
) -> bool:
    """Whether a place is called another kind of place than the one asked for, by its name
    or the word after it ("Caspian Sea", "Tengiz field" for "which river"; "rivers" and
    "mount" are "river" and "mountain")."""
    _, after = around(store, row, mention)
    called = [w for w in [*mention.text.lower().split(), after] if w in lexicon.place_words]
    return bool(called) and not any(_same_place_word(w, asked) for w in called)


def _same_place_word(word: str, asked: str) -> bool:
    """By their first four letters: "rivers" is "river", "mount" is "mountain"."""
    return word[:4] == asked[:4]


def _known_as_another_thing(
    store: SentenceStore, row: int, mention: Mention, asked: str, lexicon: Lexicon
) -> bool:
    """Whether WordNet knows a name, and in none of its senses as the kind of place asked
    for ("Washington", a city, a state and a president, for "which river"); not a name that
    says the kind itself ("Lake Baikal", "the Ishim river"). English only."""
    _, after = around(store, row, mention)
    if lexicon.code != "en" or any(
        _same_place_word(w, asked) for w in [*mention.text.lower().split(), after]
    ):
        return False
    kinds = wordnet.kinds_of(mention.text)
    return kinds is not None and not any(
        _same_place_word(w, asked) for k in kinds for w in k.split()
    )


# Below this cosine, what a figure counts is not what "how many X" asks about: "bilateral
# agreements" for "joint military exercises" (0.27), against "soldiers" for "troops" (0.88),
# "countries" for "member states" (0.42), "inhabitants" for "people" (0.63).
COUNTED_MIN_COSINE = 0.35

_COUNTED_WORDS = 3

_TOKEN = re.compile(r"[^\W\d_][\w'’-]*|[^\w\s]")


def _counted(store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon, unit: str) -> str:
    """The words a figure counts ("nearly 60 bilateral agreements" → "bilateral
    agreements"): up to three words after it, to the first stop word or punctuation; for
    a share, those after "of" ("half of foreign companies" → "foreign companies"), and for
    an amount, those after its unit ("21,000 tonnes of uranium" → "uranium")."""
    info = store.infos[row]
    out: list[str] = []
    tokens = _TOKEN.findall(store.text(row)[mention.end - info.start :])
    if unit == AMOUNT and tokens and tokens[0].lower() in lexicon.measure_units:
        tokens = tokens[1:]  # "21,000 tonnes of uranium": what it counts follows the unit
    if unit in (SHARE, AMOUNT, COUNT) and tokens and tokens[0].lower() in lexicon.of_words:
        # "half of foreign companies", "one of his speeches"
        tokens = list(itertools.dropwhile(lambda t: t.lower() in lexicon.stop_words, tokens[1:]))
    elif unit == SHARE:
        return ""  # "30% from 2022": not a share of anything named
    for token in tokens:
        if not token[0].isalpha() or token.lower() in lexicon.stop_words:
            break
        out.append(token)
        if len(out) == _COUNTED_WORDS:
            break
    return " ".join(out)


def _counted_stems(
    store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon, unit: str
) -> list[str]:
    """The stems of what a figure counts (`_counted`), to compare with a question's head."""
    return lexicon.stem.stemWords(_counted(store, row, mention, lexicon, unit).lower().split())


def _head_stem(thing: str, lexicon: Lexicon) -> str:
    """The stem of the head of what a question asks for ("state" in "Central Asian states")."""
    asked = thing.lower().split()
    return lexicon.stem.stemWord(asked[-1] if lexicon.head_final else asked[0])


def _a_share_of(
    store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon, question: Question
) -> bool:
    """Whether a figure is a share of what the question asks for (the head of its noun
    phrase), so not it: "one-third of GDP" does not answer "what is the GDP of Russia", but
    "5.3% of applicants" answers "what is the applicant admission rate"."""
    if not question.thing or mention.kind != NUMBER or not fits(SHARE, mention, "", "", lexicon):
        return False
    head = _head_stem(question.thing, lexicon)
    return head in _counted_stems(store, row, mention, lexicon, SHARE)


def counting_other_things(
    question: Question, index: Index, rows: list[int]
) -> frozenset[tuple[int, int]]:
    """The (row, start) of the figures in `rows` (and their antecedents) that count
    something unlike what "how many X" asks about, or are a share or an amount of
    something unlike what "what share of X" or "how much X" asks about ("half of foreign
    companies" for "of the population"), by the cosine of X to the words they count; one
    encoder pass over the words not seen before (`Index.phrase_vectors`)."""
    store = index.sentences
    # "what is the capacity of …": a number written as a word counts things ("One flagship
    # project"), which no capacity, size or price is
    measured = question.kind == NUMBER and question.unit is None
    if (
        (question.unit not in (COUNT, SHARE, AMOUNT) and not measured)
        or not question.thing
        or store is None
    ):
        return frozenset()
    found: list[tuple[int, int, str]] = []
    for r in dict.fromkeys(r for row in rows for r in store.read_rows(row)):
        info = store.infos[r]
        lexicon = lexicon_for(index.documents[info.source_id].language or question.language)
        for mention in info.mentions:
            if measured and mention.text.lower() not in lexicon.number_words:
                continue
            if mention.kind == NUMBER and (
                phrase := _counted(store, r, mention, lexicon, question.unit or COUNT)
            ):
                found.append((r, mention.start, phrase))
    if not found:
        return frozenset()
    vectors = index.phrase_vectors([question.thing, *(phrase for _, _, phrase in found)])
    cosines = vectors[1:] @ vectors[0]
    return frozenset(
        (r, start)
        for (r, start, _), cosine in zip(found, cosines, strict=True)
        if cosine < COUNTED_MIN_COSINE
    )


# How far after a date a word such as "after" may say that it dates another event, and how
# far after that word the event (a focus term) may be named.
_RELATIVE_CHARS = 40

_CLAUSE_END = re.compile(r"[,;:.()]")


def _dated_by(
    store: SentenceStore,
    row: int,
    mention: Mention,
    anchors: list[tuple[int, float]],
    lexicon: Lexicon,
    question_text: str,
) -> bool:
    """Whether a date is another event's, dated by the one asked about: "In June 2022, a
    few months after the Qandy Quantar, …" does not date the Qandy Quantar (unless the
    question itself asks what came after it)."""
    if not lexicon.relative_words:
        return False
    info = store.infos[row]
    text = store.text(row)
    tail = text[mention.end - info.start : mention.end - info.start + _RELATIVE_CHARS]
    for match in WORD.finditer(tail.lower()):
        word = match.group()
        if word in lexicon.relative_words and not re.search(rf"\b{word}\b", question_text):
            # The event it is dated by: the words after it, to the end of the clause.
            at = mention.end + match.end()
            clause = _CLAUSE_END.search(text, at - info.start, at - info.start + _RELATIVE_CHARS)
            end = info.start + clause.start() if clause else at + _RELATIVE_CHARS
            return any(at <= a < end for a, weight in anchors if weight > 0)
    return False
