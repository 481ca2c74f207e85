"""Evidence: how well each candidate sentence answers the analysed question.

The candidates are the sentences of the retrieved passages (each once, with
the rank of the best passage holding it). A sentence that refers back ("This
was completed in 2001.") is read together with the sentence before it. Every
per-sentence input — vectors, stems, mentions — comes from the index's
sentence store; only the question's vector is computed per request (and, for
"how many X", "what share of X" or "how much X", the vectors of the words the
candidates' figures count, once per index: `Index.phrase_vectors`).

A sentence about another time than the question names cannot answer it: the
years it states, with the sentence before and its heading, must include one
the question names, and the month asked where it dates that year by month.

Each sentence was stemmed in its own language. A question in another language
is matched against it with its words stemmed the sentence's way as well
(`in_language`), so names and words spelled alike ("festival", "Tengiz")
count there too.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

import numpy as np

from dossier.index.search import Index
from dossier.index.sentences import (
    Mention,
    SentenceInfo,
    SentenceStore,
    figures,
    is_title,
    is_year,
    month_of,
)
from dossier.lexicon import (
    AMOUNT,
    COUNT,
    DATE,
    EXTENT,
    MONEY,
    MONTH,
    NAME,
    NUMBER,
    ORGANISATION,
    PERSON,
    PLACE,
    SHARE,
    Lexicon,
    content_stems_at,
    demonym_of,
    known_territories,
    known_tongues,
    lexicon_for,
    words,
)
from dossier.service.answer.question import Focus, Question
from dossier.service.answer.reader import READER_FEATURE, Reader
from dossier.types import ScoredPassage

# Which mention kinds can answer which expected kind.
ACCEPTS: dict[str, frozenset[str]] = {
    DATE: frozenset({DATE}),
    NUMBER: frozenset({NUMBER}),
    PERSON: frozenset({PERSON}),  # a name of unknown kind is more often a place or a thing
    ORGANISATION: frozenset({ORGANISATION, NAME}),
    PLACE: frozenset({PLACE, NAME}),
    NAME: frozenset({NAME, ORGANISATION, PLACE, PERSON}),
}
# Kinds that may answer when the question names no thing, ranked after any accepted one.
FALLBACK: dict[str, frozenset[str]] = {PERSON: frozenset({ORGANISATION, NAME})}
# Characters over which a mention's closeness to a focus word fades by 1/e.
NEAR_CHARS = 40.0

FEATURES = (
    "focus",  # IDF-weighted share of the question's focus terms (words and names) it holds
    "names_missing",  # IDF-weighted share of the question's proper names it lacks
    "focus_section",  # IDF-weighted share of all focus terms held with its section's heading
    "missing_rare",  # IDF of the rarest focus word it lacks, over the highest IDF possible
    "name_unknown",  # the question names something no indexed sentence mentions
    "numbers_missing",  # share of the numbers/years the question names it lacks (or the one before)
    "kind_found",  # holds an answer of the expected kind, not already in the question
    "kind_missing",  # a date/figure/name is expected and it holds none
    "kind_near",  # how close that answer is to a focus term (1 adjacent, → 0 far)
    "cos_sentence",  # cosine of the question with the sentence alone
    "cos_context",  # … with the sentence read after the one before it
    "cos_gap",  # cos_context minus the best cos_context among the candidates
    "rank",  # 1 / (1 + rank of the best passage holding it)
    # Across languages (evidence of another kind, not weaker evidence): a sentence in
    # another language than the question's shares few stems with it and sits lower in
    # cosine even when it answers, so a model told so can weigh those rows apart.
    "other_language",  # 1 when the sentence's language is known and not the question's
    "cos_other",  # cos_context when other_language, else 0 (its own slope across languages)
)
# Features a model file may leave out: it then scores exactly as it did before they
# existed (answerability.json for MiniLM predates them). Any other column a model does
# not list (the reader's) is an error, since it would be computed and silently ignored.
OPTIONAL_FEATURES = frozenset({"other_language", "cos_other"})
# The direction each feature may push the score: fitting keeps every coefficient on its
# side (or at zero), so a small tune split cannot teach that lacking a name helps.
SIGNS: dict[str, int] = {
    "focus": 1,
    "names_missing": -1,
    "focus_section": 1,
    "missing_rare": -1,
    "name_unknown": -1,
    "numbers_missing": -1,
    "kind_found": 1,
    "kind_missing": -1,
    "kind_near": 1,
    "cos_sentence": 1,
    "cos_context": 1,
    "cos_gap": 1,
    "rank": 1,
    "reader": 1,
    "cos_other": 1,
    # other_language: either way (a shift, fitted freely)
}


@dataclass(frozen=True)
class Candidate:
    row: int  # in the sentence store
    passage: ScoredPassage
    rank: int

    @property
    def source_id(self) -> str:
        return self.passage.source_id


@dataclass(frozen=True)
class Evidence:
    """The candidates, their feature table (one column per name in `columns`)."""

    candidates: list[Candidate]
    table: np.ndarray
    columns: tuple[str, ...]
    answers: list[Mention | None]  # per candidate: its best answer of the expected kind
    # Per candidate: False when it cannot answer, whatever its score: it says nothing the
    # question does not, or it is a title or list item ("Alma-Ata Protocol (1991)") and
    # the question asks for more than a date, a figure or a name ("which treaty…").
    eligible: np.ndarray
    # Per candidate: the stems it holds (read with its antecedent), plus the question's
    # stems whose words it holds as its own language stems them.
    held: list[frozenset[str]] = field(default_factory=list)
    # Per candidate: the dates it speaks of when none is of the time the question names (it
    # cannot answer then: "the deficit in 2020" is not the deficit in 2023), else ().
    elsewhen: list[tuple[str, ...]] = field(default_factory=list)

    def column(self, name: str) -> np.ndarray:
        return self.table[:, self.columns.index(name)]


def candidates(passages: list[ScoredPassage], store: SentenceStore) -> list[Candidate]:
    """Sentences of the passages, best-ranked passage first, each once, headings left out."""
    seen: set[int] = set()
    out: list[Candidate] = []
    for rank, passage in enumerate(passages):
        for row in store.rows_overlapping(passage.source_id, passage.start, passage.end):
            if row not in seen and not store.infos[row].heading:
                seen.add(row)
                out.append(Candidate(row, passage, rank))
    return out


def read_rows(store: SentenceStore, row: int) -> list[int]:
    """The rows a sentence is read with: itself, after its antecedent when it refers back."""
    info = store.infos[row]
    return [info.previous, row] if info.refers_back and info.previous >= 0 else [row]


_PART = re.compile(r"[^\W_]+", re.UNICODE)


def in_language(question: Question, language: str | None) -> dict[str, str]:
    """The question's focus and thing words as `language` stems them → the question's stems.

    Empty when `language` is unknown or the question's own: then the stems
    already compare.
    """
    if not language:
        return {}
    theirs = lexicon_for(language)
    if theirs.code == question.language:
        return {}
    ours = lexicon_for(question.language)
    wanted = question.thing_stems | {f.stem for f in question.focus}
    texts = [f.word for f in question.focus] + ([question.thing] if question.thing else [])
    found = [w for text in texts for w in _PART.findall(text.lower())]
    out: dict[str, str] = {}
    for own, their in zip(ours.stem.stemWords(found), theirs.stem.stemWords(found), strict=True):
        if own in wanted:
            out.setdefault(their, own)
    return out


def _translated(stems: set[str], aliases: dict[str, str]) -> set[str]:
    """`stems` plus the question's stems that some of them stand for."""
    return stems | {aliases[s] for s in stems if s in aliases}


def _in_question(mention: Mention, question: Question, question_text: str) -> bool:
    """Whether the question already holds the mention; a person, by the surname it names
    alone ("Nursultan Nazarbayev" is not who succeeded Nazarbayev, but "Theo Kearney" may
    be whom Kearney Boulevard is named after)."""
    if mention.kind in (DATE, NUMBER):
        digits = figures(mention.value)
        if digits:
            return all(d in question.numbers for d in digits)
        return mention.text.lower() in question_text
    said = mention.text.split()
    if mention.kind == PERSON and len(said) > 1 and said[-1] in question.lone_names:
        return True
    return mention.text.lower() in question_text or all(w.lower() in question_text for w in said)


def _around(store: SentenceStore, row: int, mention: Mention) -> tuple[str, str]:
    """The words just before and just after a mention, lower-cased ("" at the edges)."""
    info = store.infos[row]
    text = store.text(row)
    before = words(text[: max(0, mention.start - info.start)])
    after = words(text[max(0, mention.end - info.start) :])
    return (before[-1].lower() if before else ""), (after[0].lower() if after else "")


def fits(unit: str | None, mention: Mention, before: str, after: str, lexicon: Lexicon) -> bool:
    """Whether a date or figure is the sort the question asks for, beyond its kind.

    "In which month…" wants a month name, "what share…" a percentage or a fraction,
    "how long…" a figure of time or length ("two weeks"), "how many…" a count — not
    an amount of money, not a share, not "the two countries" (a reference back) — and
    "…in US dollars" an amount of money.
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
        return money
    if unit == COUNT:  # of people or things: not money, a share, an area or a length
        measured = "km²" in value or parts[-1] in lexicon.extent_words
        return not (share or money or measured or before in lexicon.definite_words)
    return True


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
    return _best_answer(
        question, store, rows, aliases, lexicon, accepts, question.text.lower(), question.weights()
    )


def _best_answer(
    question: Question,
    store: SentenceStore,
    rows: list[int],
    aliases: dict[str, str] | None,
    lexicon: Lexicon,
    accepts: frozenset[str],
    text: str,
    weights: dict[str, float],
    uncounted: frozenset[tuple[int, int]] = frozenset(),
) -> tuple[Mention | None, float]:
    """`best_answer` with what depends on the question alone given (per candidate: once).
    `uncounted`: the (row, start) of figures that count something other than what is asked.

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
    if role is not None and not any(
        stem.startswith(role) for r in rows for stem in store.infos[r].stems
    ):  # "leadership" names a leader
        accepts = accepts - {PERSON}
    # "how long", "how old": "515 million years ago" is a date that says an age
    ages = question.kind == NUMBER and question.unit in (None, EXTENT)
    if ages:
        accepts = accepts | {DATE}
    # A name of two or three capitalised words is a person's by default ("Virgin Media"):
    # unless its source confirms the person, it may be the organisation asked for. (As a
    # place it was also a birthplace: "where was Halford Mackinder born?" "Duran Duran".)
    surmised = question.kind == ORGANISATION
    # A bare "who" ("who did Internet2 partner with?") may be an organisation, after any
    # person; "which two Duma members" names persons
    fallback = FALLBACK.get(question.kind, frozenset()) if question.thing is None else frozenset()
    # "which city", "the capital of …": a country is not one
    city = bool(question.thing) and question.thing.split()[-1].lower() in lexicon.settlement_words
    best: Mention | None = None
    closeness = 0.0
    best_rank: tuple[bool, bool, bool, float] = (False, False, False, 0.0)
    years = question.time_bound
    for r in rows:
        # An antecedent about another time may give context, not the answer ("…
        # Nazarbayev, … from 1991 to 2019. His successor, Tokayev, …" for 2022, or for
        # "who is the current president").
        timed = (years or question.present) and r != rows[-1]
        when = _time_of(store, [r], lexicon, own=[r]) if timed else None
        dated = not (
            when and (when.excludes(years, question.months) if years else when.last != _PRESENT)
        )
        for mention in store.infos[r].mentions:
            if (
                mention.kind not in accepts
                and mention.kind not in fallback
                and not (surmised and _surmised_person(store, r, mention))
            ) or _in_question(mention, question, text):
                continue
            if (r, mention.start) in uncounted:
                continue
            if question.kind in (PLACE, ORGANISATION) and (
                _modifies(store, r, mention, lexicon)
                or (city and mention.text in known_territories(lexicon.code))
            ):
                continue
            # "Kazakh" (the Kazakh leader) is neither a place, an organisation nor a named
            # event or treaty; a question for a language asks for OTHER ("which language")
            if (
                question.kind in (PLACE, ORGANISATION, NAME)
                and mention.kind == NAME
                and mention.text in known_tongues(lexicon.code)
            ):
                continue
            if mention.kind == DATE and _dated_by(store, r, mention, anchors, lexicon, text):
                continue
            if (  # a date must say an age; with the unit EXTENT, `fits` below checks it
                ages
                and question.unit is None
                and mention.kind == DATE
                and not fits(EXTENT, mention, *_around(store, r, mention), lexicon)
            ):
                continue
            if question.unit or units:
                before, after = _around(store, r, mention)
                if question.unit and not fits(question.unit, mention, before, after, lexicon):
                    continue
                if units and not lexicon.stem.stemWord(after).endswith(tuple(units)):
                    continue  # "gigatons" are tons
            if question.unit != SHARE and _a_share_of(store, r, mention, lexicon, question):
                continue
            near = max(
                (
                    weight
                    * math.exp(
                        -(max(0, a - mention.end) if a >= mention.start else mention.start - a)
                        / NEAR_CHARS
                    )
                    for a, weight in anchors
                ),
                default=0.0,
            )
            # a name of the kind asked for before a person's name by default only, and
            # before a name of no known kind ("Baikonur Cosmodrome", not "Use", for "which
            # space launch facility")
            rank = (mention.kind in accepts, mention.kind == question.kind, dated, near)
            if best is None or rank > best_rank:
                best, best_rank = mention, rank
            closeness = max(closeness, near)
    return best, closeness


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
    _, after = _around(store, row, mention)
    return after[:1].isalpha() and after[:1].islower() and after not in lexicon.stop_words


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
    if unit in (SHARE, AMOUNT) and tokens and tokens[0].lower() in lexicon.of_words:
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


def _a_share_of(
    store: SentenceStore, row: int, mention: Mention, lexicon: Lexicon, question: Question
) -> bool:
    """Whether a figure is a share of what the question asks for (the head of its noun
    phrase), so not it: "one-third of GDP" does not answer "what is the GDP of Russia", but
    "5.3% of applicants" answers "what is the applicant admission rate"."""
    if not question.thing or mention.kind != NUMBER or not fits(SHARE, mention, "", "", lexicon):
        return False
    asked = question.thing.lower().split()
    head = lexicon.stem.stemWord(asked[-1] if lexicon.head_final else asked[0])
    whole = _counted(store, row, mention, lexicon, SHARE).lower().split()
    return head in lexicon.stem.stemWords(whole)


def _uncounted(question: Question, index: Index, rows: list[int]) -> frozenset[tuple[int, int]]:
    """The (row, start) of the figures in `rows` (and their antecedents) that count
    something unlike what "how many X" asks about, or are a share or an amount of
    something unlike what "what share of X" or "how much X" asks about ("half of foreign
    companies" for "of the population"), by the cosine of X to the words they count; one
    encoder pass over the words not seen before (`Index.phrase_vectors`)."""
    store = index.sentences
    if question.unit not in (COUNT, SHARE, AMOUNT) or not question.thing or store is None:
        return frozenset()
    found: list[tuple[int, int, str]] = []
    for r in dict.fromkeys(r for row in rows for r in read_rows(store, row)):
        info = store.infos[r]
        lexicon = lexicon_for(index.documents[info.source_id].language or question.language)
        for mention in info.mentions:
            if mention.kind == NUMBER and (
                phrase := _counted(store, r, mention, lexicon, question.unit)
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
    for match in _WORD.finditer(tail.lower()):
        word = match.group()
        if word in lexicon.relative_words and not re.search(rf"\b{word}\b", question_text):
            # The event it is dated by: the words after it, to the end of the clause.
            at = mention.end + match.end()
            clause = _CLAUSE_END.search(text, at - info.start, at - info.start + _RELATIVE_CHARS)
            end = info.start + clause.start() if clause else at + _RELATIVE_CHARS
            return any(at <= a < end for a, weight in anchors if weight > 0)
    return False


def _held(store: SentenceStore, rows: list[int]) -> set[str]:
    held: set[str] = set()
    for r in rows:
        held.update(store.infos[r].stems)
    return held


def features(
    question: Question,
    question_vector: np.ndarray,
    passages: list[ScoredPassage],
    index: Index,
    *,
    reader: Reader | None = None,
    reader_candidates: int = 8,
) -> Evidence:
    """The evidence table for the sentences of `passages`; a `reader` adds its score column.

    A reader that reads text scores only the `reader_candidates` sentences
    closest to the question in meaning, in one batch (its cost grows with each
    pair it reads); the others score 0 there. The shipped reader scores the
    index's sentence vectors against its own vector of the question: every
    candidate, for one pass over the question.
    """
    store = index.sentences
    assert store is not None, "the index has no sentence store"
    found = candidates(passages, store)
    columns = FEATURES + ((READER_FEATURE,) if reader is not None else ())
    if not found:
        empty = np.zeros((0, len(columns)), dtype=np.float32)
        return Evidence([], empty, columns, [], np.zeros(0, dtype=bool))
    rows = np.array([c.row for c in found])
    cos_sentence = store.vectors[rows] @ question_vector
    cos_context = np.array(
        [
            store.context_vectors[c.row] @ question_vector
            if store.infos[c.row].refers_back
            else cos_sentence[i]
            for i, c in enumerate(found)
        ],
        dtype=np.float32,
    )
    weights = question.weights()
    names = {f.stem: f.weight for f in question.focus if f.is_name}
    common = {f.stem: f.weight for f in question.focus if not f.is_name}
    top_idf = store.idf("\0never-a-stem\0") or 1.0
    unknown = float(any(store.document_frequency.get(s, 0) == 0 for s in names))
    # A name the sources never write, in any spelling near it ("Partnership for Peace", "FIFA";
    # "Sino-Kazakh" is known by one of its parts): no sentence in the question's language is
    # about what the question names, whatever else it holds.
    asked_in = lexicon_for(question.language)
    unheard = any(not _heard(f, store, asked_in) for f in question.focus)
    only_names = bool(names) and not common
    accepts = ACCEPTS.get(question.kind)
    short = accepts is not None
    asks_name = short or question.thing is not None  # a date, figure or name; "which treaty"
    # What depends on the question alone, computed once rather than per candidate.
    text = question.text.lower()
    own = weights.keys() | question.thing_stems  # `_says_more`
    total, names_total = sum(weights.values()), sum(names.values())
    numbers = question.numbers
    years = question.time_bound
    table = np.zeros((len(found), len(columns)), dtype=np.float32)
    eligible = np.zeros(len(found), dtype=bool)
    answers: list[Mention | None] = []
    helds: list[frozenset[str]] = []
    elsewhen: list[tuple[str, ...]] = []
    # Per document language: (another language than the question's, `in_language`'s
    # aliases, the lexicon `best_answer` reads the sentence with).
    by_language: dict[str | None, tuple[bool, dict[str, str], Lexicon]] = {}
    infos = store.infos
    uncounted = _uncounted(question, index, [c.row for c in found]) if short else frozenset()
    best_context = float(cos_context.max())
    rows_out: list[tuple[float, ...]] = []
    for i, candidate in enumerate(found):
        language = index.documents[candidate.source_id].language
        known = by_language.get(language)
        if known is None:
            known = by_language[language] = (
                bool(language) and lexicon_for(language).code != question.language,
                in_language(question, language),
                lexicon_for(language or question.language),
            )
        other, aliases, lexicon = known
        read = read_rows(store, candidate.row)
        held = _translated(_held(store, read), aliases)
        helds.append(frozenset(held))
        section = infos[candidate.row].section
        with_section = held | (
            _translated(set(infos[section].stems), aliases) if section >= 0 else set()
        )
        if accepts is None:
            answer, near = None, 0.0
        else:
            answer, near = _best_answer(
                question, store, read, aliases, lexicon, accepts, text, weights, uncounted
            )
        answers.append(answer)
        eligible[i] = answer is not None or (
            _says_more_than(held, own) and (asks_name or not is_title(store.text(candidate.row)))
        )
        if unheard and not other:
            eligible[i] = False
        if only_names and not with_section & names.keys():
            # "What is the GDP of Russia?": no common word a sentence could paraphrase, so
            # one that holds none of the names (nor does its heading) is not about it.
            eligible[i] = False
        # The sentence before may set the time ("… in 2020. Growth fell to -2.5%"), and so
        # may the heading it stands under.
        previous = infos[candidate.row].previous
        around = [r for r in (previous, section, *read) if r >= 0]
        when = _time_of(store, around, lexicon, own=read) if years else None
        if when and when.excludes(years, question.months):
            eligible[i] = False
            elsewhen.append(when.written)
        else:
            elsewhen.append(())
        if numbers:
            # A year the question names counts as held when the sentence before holds it.
            values = _mention_values(infos, [previous, *read] if previous >= 0 else read)
            numbers_missing = sum(v not in values for v in numbers) / len(numbers)
        else:
            numbers_missing = 0.0
        rows_out.append(
            (
                sum(w for s, w in weights.items() if s in held) / total if total else 0.0,
                1.0 - (sum(w for s, w in names.items() if s in held) / names_total)
                if names_total
                else 0.0,
                sum(w for s, w in weights.items() if s in with_section) / total if total else 0.0,
                max((w for s, w in common.items() if s not in held), default=0.0) / top_idf,
                unknown,
                numbers_missing,
                1.0 if answer is not None else 0.0,
                1.0 if short and answer is None else 0.0,
                near,
                cos_sentence[i],
                cos_context[i],
                cos_context[i] - best_context,
                1.0 / (1 + candidate.rank),
                1.0 if other else 0.0,
                cos_context[i] if other else 0.0,
            )
        )
    table[:, : len(FEATURES)] = np.array(rows_out, dtype=np.float32)
    if reader is not None and reader.sentence_model is not None:  # the index's vectors
        read_as = np.stack(  # a sentence that refers back is read after its antecedent
            [
                store.context_vectors[c.row]
                if store.infos[c.row].refers_back
                else store.vectors[c.row]
                for c in found
            ]
        )
        table[:, len(FEATURES)] = reader.score_vectors(question.text, read_as)
    elif reader is not None:
        chosen = np.argsort(-cos_context, kind="stable")[:reader_candidates]
        texts = [" ".join(store.text(r) for r in read_rows(store, found[i].row)) for i in chosen]
        table[chosen, len(FEATURES)] = reader.score(question.text, texts)
    return Evidence(found, table, columns, answers, eligible, helds, elsewhen)


def _heard(focus: Focus, store: SentenceStore, lexicon: Lexicon) -> bool:
    """Whether the sources write this name of the question, in some spelling near it, by a
    part of it ("Sino-Kazakh"), or as what it is the adjective of ("Chinese": China), or it is
    a language ("Dutch"). A common word is always heard: it may be a paraphrase."""
    if not focus.is_name or store.spelled_like(focus.stem):
        return True
    parts = [s for _, s in content_stems_at(focus.word, lexicon)]
    if len(parts) > 1 and any(store.spelled_like(s) for s in parts):  # one part: checked above
        return True
    if focus.word in known_tongues(lexicon.code):
        return True
    places = demonym_of(focus.word, lexicon.code)
    return any(store.spelled_like(s) for p in places for _, s in content_stems_at(p, lexicon))


def _says_more(held: set[str], question: Question) -> bool:
    """Whether a sentence holds a content word that is not the question's own (or a digit)."""
    return _says_more_than(held, question.weights().keys() | question.thing_stems)


def _says_more_than(held: set[str], own: set[str]) -> bool:
    return any(s not in own and not any(c.isdigit() for c in s) for s in held)


@dataclass(frozen=True)
class _Time:
    """The years sentences speak of, as one span, and as they write them."""

    first: int
    last: int
    written: tuple[str, ...]
    # Per year stated with a month, the months stated (`month_of`); None for a year stated
    # without one somewhere (any month of it, then).
    months: dict[str, set[str] | None]

    def excludes(self, years: set[int], months: frozenset[tuple[str, str]]) -> bool:
        """Whether it speaks of none of `years`, or, in the years it states month by month,
        of none of `months` ("In February 2022, …" for "in January 2022")."""
        if not any(self.first <= y <= self.last for y in years):
            return True
        return (
            bool(months)
            and self.last != _PRESENT
            and all(self.months.get(y) is not None and m not in self.months[y] for y, m in months)
        )


_DECADE = re.compile(r"(\d{3})0s")
_WORD = re.compile(r"\w+")
_PRESENT = 9999


def _time_of(
    store: SentenceStore, rows: list[int], lexicon: Lexicon, *, own: list[int]
) -> _Time | None:
    """The span of the years `rows` state: a decade is ten years, and a year after a word
    such as "since" runs to the present, as does all of it when one of the `own` rows (the
    sentence itself) says "since" ("has led the country since his departure"). None when
    they state no year."""
    spans: list[tuple[int, int]] = []
    written: list[str] = []
    months: dict[str, set[str] | None] = {}
    since = lexicon.since_words
    for r in rows:
        info = store.infos[r]
        text = store.text(r)
        for m in info.mentions:
            if m.kind != DATE:
                continue
            for figure in figures(m.value):
                if is_year(figure):
                    first = last = int(figure)
                elif decade := _DECADE.fullmatch(figure):
                    first, last = int(decade.group(1)) * 10, int(decade.group(1)) * 10 + 9
                else:
                    continue
                before = text[: m.start - info.start].split()
                if before and before[-1].lower() in since:
                    last = _PRESENT
                spans.append((first, last))
                written.append(m.text)
                if first == last:
                    dated = month_of(m, lexicon)
                    known = months.setdefault(figure, set())
                    if not dated:
                        months[figure] = None
                    elif known is not None:
                        known.add(dated[0][1])
    if not spans:
        return None
    last = max(s[1] for s in spans)
    if since and any(w in since for r in own for w in _WORD.findall(store.text(r).lower())):
        last = _PRESENT
    return _Time(min(s[0] for s in spans), last, tuple(dict.fromkeys(written)), months)


def _mention_values(infos: list[SentenceInfo], rows: list[int]) -> set[str]:
    values: set[str] = set()
    for r in rows:
        for m in infos[r].mentions:
            if m.kind in (DATE, NUMBER):
                values.update(figures(m.value))
    return values


__all__ = [
    "ACCEPTS",
    "FEATURES",
    "OPTIONAL_FEATURES",
    "Candidate",
    "Evidence",
    "best_answer",
    "candidates",
    "features",
    "in_language",
]
