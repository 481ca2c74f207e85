"""Evidence: how well each candidate sentence answers the analysed question.

The candidates are the sentences of the retrieved passages (each once, with
the rank of the best passage holding it). A sentence that refers back ("This
was completed in 2001.") is read together with the sentence before it. Every
per-sentence input — vectors, stems, mentions — comes from the index's
sentence store; only the question's vector is computed per request (and, for
"how many X", "what share of X" or "how much X", the vectors of the words the
candidates' figures count, once per index: `Index.phrase_vectors`).

A question asking for no date, figure or name ("what currency does
Kazakhstan use?", "why …") is about its common words: a sentence that holds
none of them, nor a word WordNet relates to one (`dossier.wordnet`: "trade"
for "commerce", "oil" for "petroleum"), and little of the question's focus
otherwise cannot answer it, however close in meaning (it is about Kazakh
trade, not currency). English questions and sentences only, as WordNet is.

A sentence about another time than the question names cannot answer it: the
years it states, with the sentence before and its heading (stating none, those
its section has stated up to it), must include one the question names, and the
month asked where it dates that year by month (`when`). Whether it holds an
answer of the kind asked, and which, is `short_answer`'s to say. Nor can a
sentence that speaks only of what has happened give the date, figure or name of
what is to come ("when will the plant open?" against "in June 2025, Moscow and
Astana signed an agreement to build a nuclear power plant"): it must speak of
the future too (the lexicon's `future`; English only so far). Nor can one that
denies the question's verb ("he did not recognise the separatist republics")
give the date or figure of it, nor one about the time a question's clause sets
alone ("… Nazarbayev resigned …" for what he kept after resigning).

Each sentence was stemmed in its own language. A question in another language
is matched against it with its words stemmed the sentence's way as well
(`in_language`), so names and words spelled alike ("festival", "Tengiz")
count there too.
"""

from __future__ import annotations

import bisect
import itertools
import re
import weakref
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from dossier import wordnet
from dossier.index.search import Index
from dossier.index.sentences import (
    Mention,
    SentenceInfo,
    SentenceStore,
    figures,
    initials_of,
    is_title,
)
from dossier.lexicon import (
    DATE,
    NUMBER,
    ORGANISATION,
    OTHER,
    PERSON,
    PLACE,
    REASON,
    YESNO,
    Lexicon,
    content_stems,
    content_stems_at,
    country_of_people,
    demonym_of,
    known_territories,
    known_tongues,
    lexicon_for,
    words,
)
from dossier.service.answer.question import Focus, Question
from dossier.service.answer.reader import READER_FEATURE, Reader
from dossier.service.answer.short_answer import (
    ACCEPTS,
    best_answer_for,
    counting_other_things,
    name_head,
)
from dossier.service.answer.when import mention_values, states_a_date, time_before, time_of
from dossier.types import ScoredPassage

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
    "cos_context",  # … read after the one before it, or its closest clause if closer
    "cos_gap",  # cos_context minus the best sentence's (read whole) among the candidates; ≤ 0
    "rank",  # 1 / (1 + rank of the best passage holding it)
    # Across languages (evidence of another kind, not weaker evidence): a sentence in
    # another language than the question's shares few stems with it and sits lower in
    # cosine even when it answers, so a model told so can weigh those rows apart.
    "other_language",  # 1 when the sentence's language is known and not the question's
    "cos_other",  # cos_context when other_language, else 0 (its own slope across languages)
)

# An open question's candidate holding none of its common words nor their WordNet relatives
# is about something else when it also holds less than this share of the question's focus
# weight (with its heading; `focus_section`). Chosen on tune and XQuAD English: without it,
# fifteen more right XQuAD answers are refused (the sentence holds the question's names: "What
# did Lady Gaga sing?"); at 0.5, two more.
ABOUT_SHARE = 0.3

# A "why" question's name at least this share of the highest IDF is rare: a sentence holding
# none of those gives no reason (`_lacks_the_rare_names`). With every name required, tune and
# XQuAD English each lost two right answers ("Why did Kazakhstan avoid an undersea pipeline
# …?": "they knew …"); with any rare name required, XQuAD lost two ("… Mr. Costa … against
# ENEL?": the answer names Costa, not ENEL).
RARE_NAME = 0.6

# Stems shorter than this from longer words are taken for other words (`_relatives`).
SHORT_STEM = 4

# A title or list item ("Ratification of the military agreement (2022)") answers only a
# question it is about: one holding at least this share of the question's focus weight
# (with its heading), or a year or number the question names ("Which space launch facility
# is the subject of a 2004 agreement?"). The largest share that cost the tune split nothing
# (0.5 lost three right answers); XQuAD English has no such titles.
TITLE_SHARE = 0.4

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
    # the question asks for more than a date, a figure or a name ("which treaty…") or is
    # about something else (`TITLE_SHARE`).
    eligible: np.ndarray
    # Per candidate: the stems it holds (read with its antecedent), plus the question's
    # stems whose words it holds as its own language stems them.
    held: list[frozenset[str]] = field(default_factory=list)
    # Per candidate: the dates it speaks of when none is of the time the question names (it
    # cannot answer then: "the deficit in 2020" is not the deficit in 2023), else ().
    elsewhen: list[tuple[str, ...]] = field(default_factory=list)
    # Candidates that cannot answer an open question because they are about something else
    # (module docstring): they hold none of `about`, the question's common words.
    unrelated: frozenset[int] = frozenset()
    about: tuple[str, ...] = ()
    # Candidates that cannot give the date, figure or name of what is to come ("when will
    # the plant open?"): they speak only of what has happened ("signed in June 2025").
    bygone: frozenset[int] = frozenset()
    # Per candidate: its cosine with the question read whole (after its antecedent where it
    # refers back), before any clause's (`cos_context` takes the closest clause's if closer).
    whole_cos: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    # Candidates that hold a "why" question's words only in what they give as the cause of
    # something else (`_gives_it_as_cause`).
    causes: frozenset[int] = frozenset()
    # Candidates that name what "what is the X of Y?" asks only as another's X, with that
    # other ("the Kazakh language" for Russia's official language: `_owned_by_another`).
    elsewhose: dict[int, str] = field(default_factory=dict)
    # Candidates that deny what the question asks of ("he did not recognise …" for when he
    # recognised it), with the words that deny it (`_denial`).
    denied: dict[int, str] = field(default_factory=dict)
    # Candidates that report nothing said, for a question asking what someone said.
    unspoken: frozenset[int] = frozenset()
    # Candidates that give no reason, for a "why" question (lexicon `reason_cue`).
    causeless: frozenset[int] = frozenset()

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


# A word, with the capitalised name before it that may say whose it is ("the Kazakh
# language", "Kazakhstan's capital").
_QUALIFIED = re.compile(r"(?:(?P<name>[A-Z][\w-]*)(?P<owns>['’]s)? )?(?P<noun>[\w-]+)")
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


def _told_elsewhere(
    question: Question, store: SentenceStore, found: list[Candidate], lexicon: Lexicon
) -> list[frozenset[str]]:
    """Per common focus word of a question of an event (`_of_an_event`), its stem and its
    synonyms' stems, when one candidate holds them all, so that the sources tell the event
    in those words; empty otherwise."""
    if not _of_an_event(question) or lexicon.code != "en":
        return []
    common = [f for f in question.focus if not f.is_name]
    stems = frozenset(f.stem for f in common)
    if not stems or not any(stems <= _held(store, store.read_rows(c.row)) for c in found):
        return []
    return [
        frozenset(
            [f.stem, *(s for w in wordnet.synonyms(f.word) for s in content_stems(w, lexicon))]
        )
        for f in common
    ]


def _held(store: SentenceStore, rows: list[int]) -> set[str]:
    held: set[str] = set()
    for r in rows:
        held.update(store.infos[r].stems)
    return held


@lru_cache(maxsize=8192)
def _relatives(word: str, stem: str, language: str, verb: bool = False) -> frozenset[str]:
    """The stems of the words WordNet relates to a focus word (with `verb`, to its verb
    senses), and the word's own. Not a stem that stemming cut to a short, other word
    ("nowness", a sense of "currency", is not "now"); a short word is its own ("oil" for
    "petroleum")."""
    lexicon = lexicon_for(language)
    related = [
        s
        for w in (wordnet.verb_relatives if verb else wordnet.relatives)(word)
        for s in content_stems(w, lexicon)
        if len(s) >= SHORT_STEM or s == w
    ]
    return frozenset([*related, stem])


def _gives_it_as_cause(sentence: str, asked: set[str], lexicon: Lexicon) -> bool:
    """Whether a sentence holds the question's words only in what it gives as a cause ("…
    rocked the country due to a sharp increase in oil prices", for "why did oil prices
    rise?"): it says what that caused, not why. A cause that opens the sentence runs to its
    first comma ("Following the collapse of the Soviet Union, the country …"). `asked`: the
    question's focus stems but months, which date rather than name what is asked about."""
    if lexicon.cause_marker is None:
        return False
    causes: list[tuple[int, int]] = []
    for match in lexicon.cause_marker.finditer(sentence):
        end = len(sentence)
        if not sentence[: match.start()].strip(" “\"'‘"):
            comma = sentence.find(",", match.end())
            end = comma if comma >= 0 else end
        causes.append((match.start(), end))
    if not causes:
        return False
    in_cause = in_effect = False
    for offset, stem in content_stems_at(sentence, lexicon):
        if stem in asked:
            if any(start <= offset < end for start, end in causes):
                in_cause = True
            else:
                in_effect = True
    return in_cause and not in_effect


def _asks_of_head(asked: frozenset[str], title: str, lexicon: Lexicon) -> bool:
    """Whether a question (`asked`: its stems) asks about what a list item's date is of: it
    names the item's head ("treaty" for "Treaty of Friendship (1992)") or a WordNet relative
    of it ("accord", "pact"). `_agrees` is asked first: what is done to an agreement
    ("settled", "amend") asks of any listed item."""
    head, _ = name_head(title)
    stem = next(iter(content_stems(head, lexicon)), "")
    return not stem or bool(asked & _relatives(head.lower(), stem, lexicon.code))


def _agrees(question: Question, lexicon: Lexicon) -> bool:
    """Whether a question says what is done to an agreement ("settled", "amend"), or its
    language has no rule for listed items' dates (English only: elsewhere any may answer)."""
    return lexicon.code != "en" or any(
        w.lower() in lexicon.agreeing_words for w in words(question.text)
    )


def _open_focus(question: Question, lexicon: Lexicon) -> list[Focus]:
    """The common focus words of an open question that names a thing ("currency"; "what did
    Russia launch" names none: a verb is paraphrased too freely); empty where the rule does
    not apply (a date, figure or name is asked, or no WordNet reads the question)."""
    if (
        question.kind not in (OTHER, REASON, YESNO)
        or lexicon.code != "en"
        or wordnet.wordnet() is None
    ):
        return []
    common = [f for f in question.focus if not f.is_name]
    return common if any(wordnet.names_a_thing(f.word) for f in common) else []


def _of_an_event(question: Question) -> bool:
    """Whether a question asks the date, the person or (a bare "where") the place of what
    happened, which its common words name: "when was he born?", "where is the uranium
    mined?" ("which countries does the union cover?" asks for members, not a place)."""
    return question.kind in (DATE, PERSON) or (question.kind == PLACE and question.thing is None)


def _event_kin(question: Question, lexicon: Lexicon) -> frozenset[str]:
    """The stems of the common focus words of a question of an event (`_of_an_event`: what
    happened, who did it or where: "annex", "lead") and of their WordNet relatives; empty for
    other questions (a figure may be asked with a light verb: "how many boards exist"),
    for one naming only names, and without WordNet."""
    if not _of_an_event(question) or lexicon.code != "en" or wordnet.wordnet() is None:
        return frozenset()
    common = [f for f in question.focus if not f.is_name]
    phrasal = [
        _relatives(verb, stem, lexicon.code, True)  # "step down": resign, retire
        for verb, stem in _phrasal_verbs(question, lexicon)
    ]
    return frozenset(
        s
        for f in common
        for verb in (False, True)  # "leads": the metal first, then guide, conduct, leader
        for s in _relatives(f.word, f.stem, lexicon.code, verb)
    ).union(*phrasal)


def _opposed(question: Question, lexicon: Lexicon) -> list[tuple[frozenset[str], frozenset[str]]]:
    """Per common focus word WordNet gives antonyms of as a verb ("leave": arrive, enter),
    the stems of its relatives and of those antonyms that are none of them: a sentence
    holding an antonym but neither the word nor a relative tells of the opposite event
    ("Russian troops entered the capital", for "why did the troops leave?")."""
    if lexicon.code != "en" or wordnet.wordnet() is None:
        return []
    opposed = []
    for f in question.focus:
        if f.is_name or not (opposites := wordnet.opposites(f.word)):
            continue
        kin = _relatives(f.word, f.stem, lexicon.code) | _relatives(
            f.word, f.stem, lexicon.code, True
        )
        stems = frozenset(s for w in opposites for s in content_stems(w, lexicon)) - kin
        if stems:
            opposed.append((kin, stems))
    return opposed


def _intended(question: Question, lexicon: Lexicon) -> frozenset[str]:
    """The stems of what a "who" question asks to be done ("who will build …") and of their
    WordNet verb relatives: an agreement to do that says who is to do it (one to build a
    plant does not say who will run it)."""
    if question.kind not in (PERSON, ORGANISATION):
        return frozenset()
    common = [f for f in question.focus if not f.is_name]
    return frozenset().union(*(_relatives(f.word, f.stem, lexicon.code, True) for f in common))


def _ahead(sentence: str, lexicon: Lexicon, intended: frozenset[str]) -> bool:
    """Whether a sentence speaks of what is to come, or of someone's intention to do what
    `intended` names ("signed an agreement to build a nuclear power plant")."""
    if lexicon.future and lexicon.future.search(sentence):
        return True
    return bool(intended and lexicon.intention) and any(
        lexicon.stem.stemWord(match.group("verb").lower()) in intended
        for match in lexicon.intention.finditer(sentence)  # type: ignore[union-attr]
    )


# Quotation marks (not "’", which is an apostrophe too).
_QUOTES = ("“", "”", '"', "‘", "«")


def _reports_speech(sentence: str, lexicon: Lexicon) -> bool:
    """Whether a sentence reports what someone said: a word of speech ("declared",
    "statement") or a quotation; any sentence does in a language without such words."""
    return (
        not lexicon.speech_words
        or any(q in sentence for q in _QUOTES)
        or any(w.lower() in lexicon.speech_words for w in words(sentence))
    )


def reading(store: SentenceStore, row: int, question: Question, lexicon: Lexicon) -> list[int]:
    """The rows a candidate is read with: after its antecedent where it refers back
    (`SentenceStore.read_rows`), and, for a date asked, after the sentence its opening counts
    its time from ("After a few days, the riots spread to the capital" after "In January
    2022, violent protests rocked the country …")."""
    read = store.read_rows(row)
    previous = store.infos[row].previous
    if (
        question.kind == DATE
        and len(read) == 1
        and previous >= 0
        and lexicon.relative_opening
        and lexicon.relative_opening.match(store.text(row))
    ):
        return [previous, row]
    if question.kind == DATE and not states_a_date(store, read, lexicon):
        opening = _scene_setter(store, read[0], lexicon)
        if opening is not None:
            return [opening, *read]
    return read


# At most this many words before the date that opens a paragraph ("In", "On", "In early").
OPENING_WORDS = 2


def _scene_setter(store: SentenceStore, row: int, lexicon: Lexicon) -> int | None:
    """The row of the sentence whose opening date sets the time of the paragraph `row`
    stands in ("In January 2022, violent protests rocked the country …" for "As a result,
    Russian troops entered the capital …", four sentences on), when no sentence between
    states another; None otherwise. A paragraph ends at a line break."""
    info = store.infos[row]
    text = store.documents[info.source_id].text
    while (previous := info.previous) >= 0:
        before = store.infos[previous]
        if before.heading or "\n" in text[before.end : info.start]:
            return None
        if states_a_date(store, [previous], lexicon):
            earlier = before.previous
            opens = earlier < 0 or "\n" in text[store.infos[earlier].end : before.start]
            dates = [m for m in before.mentions if m.kind == DATE]
            lead = [w.lower() for w in text[before.start : dates[0].start].split()]
            one_time = len(dates) == 1 and len(figures(dates[0].value)) == 1
            # not a period ("Since 1991, Kazakhstan has pursued …", "Between 1991 and …")
            timed = not set(lead) & lexicon.since_words
            return previous if opens and one_time and timed and len(lead) <= OPENING_WORDS else None
        info = before
    return None


def _only_in_places(store: SentenceStore, rows: list[int]) -> set[str]:
    """The stems `rows` write only inside the places they name ("union" in "the fall of the
    Soviet Union"): a place's name tells of no event."""
    inside: set[str] = set()
    outside: set[str] = set()
    for r in rows:
        info = store.infos[r]
        places = [(m.start, m.end) for m in info.mentions if m.kind == PLACE]
        for offset, stem in zip(info.stem_offsets, info.stems, strict=True):
            placed = any(start <= offset < end for start, end in places)
            (inside if placed else outside).add(stem)
    return inside - outside


def _phrasal_verbs(question: Question, lexicon: Lexicon) -> list[tuple[str, str]]:
    """(WordNet's name, stem) of the verbs a question writes with an adverb that makes one
    verb of the two ("step_down" in "when did Nazarbayev step down?")."""
    written = [w.lower() for w in words(question.asked)]
    common = {f.word.lower(): f.stem for f in question.focus if not f.is_name}
    return [
        (f"{word}_{after}", common[word])
        for word, after in itertools.pairwise(written)
        if word in common and after in lexicon.particles
    ]


def _unwritten_event(question: Question, store: SentenceStore, lexicon: Lexicon) -> bool:
    """Whether a question of an event names it, or what qualifies it, in a word the sources
    never write ("When was Tokayev born?", "What is Tokayev's date of birth?", "Who annexed
    northern Kazakhstan?", "Where is the EEU's headquarters?"): an adverb making one verb
    with the one before is no word of its own ("step down"), nor is one WordNet does not
    know (a misspelling)."""
    if not _of_an_event(question) or lexicon.code != "en" or wordnet.wordnet() is None:
        return False  # as `_event_kin`, which it makes apply
    return any(
        not f.is_name
        and f.word.lower() not in lexicon.particles
        and not store.document_frequency.get(f.stem, 0)
        and wordnet.knows(f.word)  # not a misspelling ("succeded")
        for f in question.focus
    )


def _lacks_the_rare_names(
    names: dict[str, float],
    held: set[str],
    store: SentenceStore,
    rows: list[int],
    top_idf: float,
) -> bool:
    """Whether a sentence (`rows`: it and the one it is read with) holds none of the
    question's rare names (IDF at least RARE_NAME of the highest), nor an acronym's full name
    ("European Union" for "EU"): it cannot say why something of theirs happened. A common
    name ("Kazakhstan") may be written "the country" or "they"."""
    rare = {s for s, w in names.items() if w >= RARE_NAME * top_idf}
    if not rare or rare & held:
        return False
    initials = {initials_of(m).lower() for r in rows for m in store.infos[r].mentions}
    return not rare & initials


# How many words before a verb may deny it: "did not recognise", "has never granted".
NEGATION_WORDS = 3
_TOKEN = re.compile(r"[\w’'-]+")


def _negates(word: str, lexicon: Lexicon) -> bool:
    lower = word.lower()
    return lower in lexicon.negations or lower.endswith(("n't", "n’t"))


def _denied_verbs(question: Question, lexicon: Lexicon) -> frozenset[str]:
    """The stem of a date, figure or "why" question's first verb ("recognise" in "when did
    Kazakhstan recognise Donetsk?"; a later one may be another's: "… individuals wishing to
    sit …"): a sentence denying it gives no date, figure or reason of it. Empty for other
    questions (a yes/no question's answer may be the denial; "what may a charter school require …?"
    is answered by one that does "not require …, provided …"), for one that denies it
    itself, and without WordNet."""
    if (
        question.kind not in (DATE, NUMBER, REASON)
        or not lexicon.negations
        or wordnet.wordnet() is None
        or any(_negates(w, lexicon) for w in words(question.text))
    ):
        return frozenset()
    verbs = (f.stem for f in question.focus if not f.is_name and wordnet.reads_as_verb(f.word))
    return frozenset(itertools.islice(verbs, 1))


def _refused_verbs(question: Question, lexicon: Lexicon) -> frozenset[str]:
    """The stem of the verb a question denies ("recognise" in "which territories did
    Kazakhstan refuse to recognise?"), the first that reads as one within NEGATION_WORDS
    after the negation; empty without one, or without WordNet."""
    if not lexicon.negations or wordnet.wordnet() is None:
        return frozenset()
    said = words(question.text)
    for n, word in enumerate(said):
        if not _negates(word, lexicon):
            continue
        for later in said[n + 1 : n + 1 + NEGATION_WORDS]:
            stems = content_stems(later, lexicon)
            if stems and not _negates(later, lexicon) and wordnet.reads_as_verb(later):
                return frozenset(stems[:1])
    return frozenset()


def _denial(store: SentenceStore, row: int, verbs: frozenset[str], lexicon: Lexicon) -> str:
    """The words by which a sentence denies one of the question's verbs ("did not recognise"),
    or "": where it also affirms the verb ("Denmark joined in 1973; Norway did not join"),
    the denial may be another's."""
    info = store.infos[row]
    text = store.text(row)
    denials: dict[str, str] = {}
    affirmed: set[str] = set()
    for offset, stem in zip(info.stem_offsets, info.stems, strict=True):
        if stem not in verbs:
            continue
        at = offset - info.start
        verb = _TOKEN.match(text, at)
        tokens = list(_TOKEN.finditer(text, 0, at))
        window = len(tokens) - NEGATION_WORDS
        k = next(
            (k for k in range(max(window, 0), len(tokens)) if _negates(tokens[k].group(), lexicon)),
            None,
        )
        if k is None or verb is None:
            affirmed.add(stem)
        else:  # quoted with its auxiliary: "did not recognise"
            auxiliary = k > 0 and tokens[k - 1].group().lower() in lexicon.auxiliaries
            start = tokens[k - 1 if auxiliary else k].start()
            denials.setdefault(stem, text[start : verb.end()])
    return next((said for stem, said in denials.items() if stem not in affirmed), "")


def _asked_before_clause(
    question: Question, open_focus: list[Focus], lexicon: Lexicon
) -> tuple[list[Focus], frozenset[str]]:
    """The open focus words before a clause that sets the time ("keep" and "control" in "what
    did Nazarbayev keep control of after resigning?"), where words stand on both sides of it
    and one before it names a thing, and the clause's stems: a sentence about the resignation
    alone does not say what he kept. Empty otherwise, and where the question asks for a
    thing it names ("what was the time on the clock when …": `_asked_head`'s)."""
    said = words(question.text)
    opener = next(
        (n for n, w in enumerate(said) if n > 0 and w.lower() in lexicon.clause_openers), None
    )
    if opener is None or not open_focus or question.thing:
        return [], frozenset()
    clause = frozenset(content_stems(" ".join(said[opener + 1 :]), lexicon))
    asked = [f for f in open_focus if f.stem not in clause]
    # "what happened once the rioting reached the capital?": any sentence may say what did
    if not any(wordnet.names_a_thing(f.word) for f in asked) or len(asked) == len(open_focus):
        return [], frozenset()
    return asked, clause


def _asked_head(question: Question, open_focus: list[Focus], lexicon: Lexicon) -> Focus | None:
    """The noun "what is the X of Y?" asks about ("religion" in "what is the main religion in
    Kazakhstan?"), when it is a focus word; None where `_open_focus` does not apply (it gave
    `open_focus`) or the question says more of X than whose it is (`Question.owner`)."""
    if question.owner is None or not question.thing or not open_focus:
        return None
    stem = next(iter(content_stems(question.thing.split()[-1], lexicon)), "")
    return next((f for f in question.focus if f.stem == stem and not f.is_name), None)


def _measure_kin(question: Question, lexicon: Lexicon) -> frozenset[str]:
    """The stems of the measure a figure is asked of ("deficit" in "what was Kazakhstan's
    trade deficit?") and of its WordNet relatives: a sentence naming none of them gives a
    figure of something else ("one-third of GDP"). Empty where the question says what sort of
    figure it wants (a unit: "how many troops" is compared in meaning), names one any amount
    may be written without ("the value of", "the trade volume": "trade reached USD 5.2
    billion"), or no WordNet reads it."""
    if (
        question.kind != NUMBER
        or question.unit
        or not question.thing
        or lexicon.code != "en"
        or wordnet.wordnet() is None
    ):
        return frozenset()
    head = question.thing.split()[-1].lower()
    stem = next(iter(content_stems(head, lexicon)), "")
    if not stem or head in lexicon.generic_measures | lexicon.amount_measures:
        return frozenset()
    return _relatives(head, stem, lexicon.code)


def _owned_by_another(sentence: str, head: str, owner: str, lexicon: Lexicon) -> str | None:
    """The other name that every mention of the asked noun (stem `head`) in the sentence is
    qualified by ("Kazakh" in "the teaching of the Kazakh language", for "what is the
    official language of Russia?"), else None: that one is not the owner's."""
    own = lexicon.stem.stemWord(owner.lower())
    other = None
    for match in _QUALIFIED.finditer(sentence):
        if lexicon.stem.stemWord(match.group("noun").lower()) != head:
            continue
        name = match.group("name")
        if not name or (match.start() == 0 and not match.group("owns")):
            return None  # unqualified, or by a sentence's capitalised first word
        countries = country_of_people(name, lexicon.code)  # "Russian" is Russia's
        if own in {lexicon.stem.stemWord(n.lower()) for n in (name, *countries)}:
            return None
        other = name
    return other


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
    # A name the sources never write, in any spelling near it ("Partnership for Peace", "FIFA";
    # "Sino-Kazakh" is known by one of its parts, "Chinese" by China): no sentence in the
    # question's language is about what the question names, whatever else it holds.
    asked_in = lexicon_for(question.language)
    unheard = any(not _heard(f, store, asked_in) for f in question.focus)
    unknown = float(
        any(
            store.document_frequency.get(f.stem, 0) == 0 and not known_as_place(f, store, asked_in)
            for f in question.focus
            if f.is_name
        )
    )
    # …nor can any figure of theirs give a measure they never mention ("the unemployment rate")
    unheard = unheard or bool(unnamed_measure(question, store, asked_in))
    only_names = bool(names) and not common
    open_focus = _open_focus(question, asked_in)
    # "what is the national dish of Kazakhstan?": a sentence that names no dish, nor any
    # WordNet relative of one, is not about it, if a dish is a thing one could see or hold
    asked_head = _asked_head(question, open_focus, asked_in)
    before_clause, clause = _asked_before_clause(question, open_focus, asked_in)
    denied_verbs = _denied_verbs(question, asked_in)
    # "Which territories did Kazakhstan refuse to recognise?": where a sentence says so ("he
    # did not recognise the separatist republics"), one that does not is no answer
    refused_verbs = _refused_verbs(question, asked_in)
    refusing: list[int] = []
    denied: dict[int, str] = {}
    # A sentence saying what the text sets out to do answers only a question about the text.
    signposts_excluded = not (
        asked_in.work_question and asked_in.work_question.search(question.text)
    )
    head_kin = (
        _relatives(asked_head.word, asked_head.stem, asked_in.code)
        if asked_head and wordnet.names_a_concrete_thing(asked_head.word)
        else frozenset()
    )
    elsewhose: dict[int, str] = {}
    measure_kin = _measure_kin(question, asked_in)
    # "When did Russia annex Crimea?": a sentence missing one of the names and naming
    # neither the event nor anything WordNet relates to its words dates something else
    # (looked up once a sentence misses a name)
    event_kin: frozenset[str] | None = None
    # …and so does one naming them all, where the sources never write the question's verb
    # ("When was Tokayev born?": not the year he took office)
    unwritten_event = _unwritten_event(question, store, asked_in)
    # …and so does one naming none of the event, where another candidate names all of it
    # ("Kazakhstan … moving the capital": "December 1991" dates its leaving the USSR)
    told_elsewhere = _told_elsewhere(question, store, found, asked_in)
    opposed = _opposed(question, asked_in)
    # a DATE question's stems, for the listed titles it may be asking of (`_asks_of_head`)
    dated_titles = question.kind == DATE and not _agrees(question, asked_in)
    # "when was the Convention … concluded?": a listed agreement's year says so, though no
    # source writes "concluded"
    concluded = question.kind == DATE and any(
        w.lower() in asked_in.concluding_words for w in words(question.text)
    )
    asked_stems = frozenset(content_stems(question.text, asked_in)) if dated_titles else frozenset()
    accepts = ACCEPTS.get(question.kind)
    short = accepts is not None
    asks_name = short or question.thing is not None  # a date, figure or name; "which treaty"
    # What depends on the question alone, computed once rather than per candidate.
    text = question.asked.lower()
    derived = derived_forms(question, store)
    # A name of several capitalised words is held whole or not at all (with the heading); not
    # one joined by "of" or "and", which may be a phrase ("the GDP of Russia")
    whole_names = [
        frozenset(content_stems(name, asked_in))
        for name in question.long_names
        if all(w[:1].isupper() or w[:1].isdigit() for w in name.split())
    ]
    # …and so is the name an acronym stands for ("EEU": "Eurasian Economic Union", not the
    # "Soviet Union")
    stood_for: dict[str, set[str]] = {}  # a name of the question → the stems it stands for
    for f in question.focus:
        if f.is_name:
            stood_for.setdefault(f.word, set()).add(f.stem)
    whole_names = [
        parts for parts in [*whole_names, *map(frozenset, stood_for.values())] if len(parts) > 1
    ]
    # The sources' stems that count as a name of the question: its people's adjective, its
    # capital, its other spellings
    forms = (
        peoples_forms(question, store, asked_in)
        | seats_forms(question, store, asked_in)
        | {v: f.stem for f in question.focus if f.is_name for v in store.spellings(f.stem)}
    )
    own = weights.keys() | question.thing_stems  # `_says_more`
    total, names_total = sum(weights.values()), sum(names.values())
    numbers = question.numbers - question.measured_from  # held as measured from, or not
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
    uncounted = (
        counting_other_things(question, index, [c.row for c in found]) if short else frozenset()
    )
    best_context = float(cos_context.max())
    # A long sentence is as close to the question as its closest clause (index/clauses.py:
    # "…, a sector that accounts for one-third of GDP and more than 75% of export earnings"),
    # measured against the closest sentence read whole.
    clauses = _Clauses.of(store, rows)
    read_cos = np.maximum(cos_context, clauses.best(clauses.vectors @ question_vector))
    rows_out: list[tuple[float, ...]] = []
    unrelated: list[int] = []
    bygone: list[int] = []
    causes: list[int] = []
    unspoken: list[int] = []
    causeless: list[int] = []
    ahead = question.future and short  # the answer is a date, figure or name still to come
    # who is to build the plant is who agreed to build it; the agreement's date, figures or
    # place are not the plant's (its site is not the country it was agreed for)
    intended = _intended(question, asked_in) if ahead else frozenset()
    # a "why" question's focus stems but months (`_gives_it_as_cause`), once per question
    why = (
        weights.keys() - {asked_in.stem.stemWord(m) for m in asked_in.months}
        if question.kind == REASON
        else set()
    )
    # "why did the troops withdraw?" needs a sentence giving a reason (lexicon `reason_cue`)
    cause_asked = bool(
        why and asked_in.cause_question and asked_in.cause_question.search(question.text)
    )
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
        read = reading(store, candidate.row, question, lexicon)
        held = _translated(_held(store, read), aliases)
        held |= {derived[s] for s in held if s in derived}
        section = infos[candidate.row].section
        with_section = held | (
            _translated(set(infos[section].stems), aliases) if section >= 0 else set()
        )
        for parts in whole_names:  # "World War II" is not held by "War in ukraine"
            if not parts <= with_section:
                with_section, held = with_section - parts, held - parts
        share = sum(w for s, w in weights.items() if s in with_section) / total if total else 0.0
        if accepts is None:
            answer, near = None, 0.0
        else:
            answer, near = best_answer_for(
                question, store, read, aliases, lexicon, accepts, text, weights, uncounted, derived
            )
        answers.append(answer)
        title = is_title(sentence := store.text(candidate.row))  # a heading or list item
        eligible[i] = answer is not None or (
            (_says_more_than(held, own) or (accepts is None and _new_figure(infos, read, numbers)))
            and (asks_name or not title)
        )
        if unheard and not other:
            eligible[i] = False
        if signposts_excluded and lexicon.signpost and lexicon.signpost.search(sentence):
            eligible[i] = False  # "Today, we will analyse …" speaks of the text, not the world
        if only_names and not with_section & names.keys():
            # "What is the GDP of Russia?": no common word a sentence could paraphrase, so
            # one that holds none of the names (nor does its heading) is not about it.
            eligible[i] = False
        previous = infos[candidate.row].previous
        if numbers:
            # A year the question names counts as held when the sentence before holds it.
            values = mention_values(store, [previous, *read] if previous >= 0 else read, lexicon)
            numbers_missing = sum(v not in values for v in numbers) / len(numbers)
        else:
            numbers_missing = 0.0
        if (
            open_focus
            and not other
            and share < ABOUT_SHARE
            and not with_section & common.keys()
            and (not numbers or numbers_missing == 1.0)  # "What did Putin claim in 2014?"
        ):
            # relatives looked up only for a sentence holding none of the words (cached)
            code = asked_in.code
            if not any(with_section & _relatives(f.word, f.stem, code) for f in open_focus):
                eligible[i] = False  # about something else
                unrelated.append(i)
        if (
            before_clause
            and not other
            and i not in unrelated[-1:]
            and not with_section & {f.stem for f in before_clause}
            and not any(  # "collapse" is kin to "suffer", but the clause's own word
                (with_section - clause) & _relatives(f.word, f.stem, asked_in.code)
                for f in before_clause
            )
        ):
            # "On 19 March 2019, … Nazarbayev resigned …" says nothing of what he kept after
            eligible[i] = False
            unrelated.append(i)
        if (
            denied_verbs
            and not other
            and (denial := _denial(store, candidate.row, denied_verbs, lexicon))
        ):
            # "he did not recognise the separatist republics" dates no recognition
            eligible[i] = False
            denied[i] = denial
        if refused_verbs and not other and _denial(store, candidate.row, refused_verbs, lexicon):
            refusing.append(i)
        if asked_head and question.owner and not other:
            whose = _owned_by_another(sentence, asked_head.stem, question.owner, asked_in)
            if whose:
                eligible[i] = False
                elsewhose[i] = whose
        if (
            told_elsewhere
            and not other
            and not (title and concluded)  # "Alma-Ata Protocol (1991)": signed then
            and share < ABOUT_SHARE  # not a sentence naming the rest ("Super Bowl XLIX")
            # …and missing one of the words the sources tell the event in ("Vladimir Putin
            # declared that …" holds "territorial", not who "questioned … integrity")
            and not all(with_section & told for told in told_elsewhere)
        ):
            eligible[i] = False  # "… the last state to leave the USSR" (moving the capital)
        elif not other and (names.keys() - with_section or unwritten_event):
            if event_kin is None:
                event_kin = _event_kin(question, asked_in)
            # (not in a place's name: "the Soviet Union" tells of no union joined)
            if (
                event_kin
                and not (title and concluded)
                and not (with_section - _only_in_places(store, read)) & event_kin
            ):
                eligible[i] = False  # "In June 2022, … the forum was held" (Crimea's annexation)
        if not other and any(
            stems & with_section and not kin & with_section for kin, stems in opposed
        ):
            eligible[i] = False  # "Russian troops entered the capital" (why did they leave?)
            unrelated.append(i)
        if measure_kin and not other and not with_section & measure_kin:
            # "… affected by the fall in oil prices in 2020, a sector that accounts for
            # one-third of GDP" gives no trade deficit
            eligible[i] = False
        if head_kin and not other and not with_section & head_kin and i not in unrelated[-1:]:
            # (`unrelated[-1:]`: the open-question rule above may have listed it already)
            # "Kazakhstan was the last state to leave the USSR" names no religion, main or not
            eligible[i] = False
            unrelated.append(i)
        # The sentence before may set the time ("… in 2020. Growth fell to -2.5%"), and so
        # may the heading it stands under.
        around = [r for r in (previous, section, *read) if r >= 0]
        when = time_of(store, around, lexicon, own=read) if years else None
        if years and when is None:
            # "Since the start of the war, trade … has intensified" speaks of the years its
            # section has named so far (2020 on), not of 2010
            when = time_before(store, previous, section, lexicon, own=read)
        if when and when.excludes(years, question.months):
            eligible[i] = False
            elsewhen.append(when.written)
        else:
            elsewhen.append(())
        if (
            ahead
            and lexicon.future
            and not any(_ahead(store.text(r), lexicon, intended) for r in read)
        ):
            eligible[i] = False
            bygone.append(i)
        if title and share < TITLE_SHARE and (not numbers or numbers_missing == 1.0):
            # "Ratification of the military agreement (2022)" dates no nuclear plant agreement
            eligible[i] = False
        if why and not other and _lacks_the_rare_names(names, with_section, store, read, top_idf):
            # "Kazakhstan was the last state to leave the USSR" says nothing of the CSTO
            eligible[i] = False
        if (
            cause_asked
            and not other
            and lexicon.reason_cue
            and not any(lexicon.reason_cue.search(store.text(r)) for r in read)
        ):
            # "Nearly two weeks after being deployed, the troops withdrew" gives no reason
            eligible[i] = False
            causeless.append(i)
        if why and _gives_it_as_cause(sentence, why, lexicon):
            # "… protests rocked the country due to a sharp increase in oil prices" does not
            # say why oil prices rose
            eligible[i] = False
            causes.append(i)
        if (
            question.reported
            and not other
            and not any(_reports_speech(store.text(r), lexicon) for r in read)
        ):
            # "Putin decided to cut off the Novorossiysk Canal" says what he did, not said
            eligible[i] = False
            unspoken.append(i)
        if title and dated_titles and not _asks_of_head(asked_stems, sentence, asked_in):
            # "Agreement on the Use of the Baikonur Cosmodrome (2004)" dates the agreement,
            # not when the cosmodrome was built
            eligible[i] = False
        # "The Kazakh president …" is about Kazakhstan, but names it no more than "Russian
        # war effort" names Russia's GDP: counted in the shares, not in the rules above
        held |= {forms[s] for s in held if s in forms}
        helds.append(frozenset(held))
        rows_out.append(
            (
                sum(w for s, w in weights.items() if s in held) / total if total else 0.0,
                1.0 - (sum(w for s, w in names.items() if s in held) / names_total)
                if names_total
                else 0.0,
                share,
                max((w for s, w in common.items() if s not in held), default=0.0) / top_idf,
                unknown,
                numbers_missing,
                1.0 if answer is not None else 0.0,
                1.0 if short and answer is None else 0.0,
                near,
                cos_sentence[i],
                read_cos[i],
                min(read_cos[i] - best_context, 0.0),
                1.0 / (1 + candidate.rank),
                1.0 if other else 0.0,
                cos_context[i] if other else 0.0,
            )
        )
    table[:, : len(FEATURES)] = np.array(rows_out, dtype=np.float32)
    if refusing:
        stating = np.zeros(len(found), dtype=bool)
        stating[refusing] = True
        eligible &= stating
    if reader is not None and reader.sentence_model is not None:  # the index's vectors
        read_as = np.stack(  # a sentence that refers back is read after its antecedent
            [
                store.context_vectors[c.row]
                if store.infos[c.row].refers_back
                else store.vectors[c.row]
                for c in found
            ]
        )
        # …and as answering as its best clause: one pass over the question for all of them
        scores = reader.score_vectors(
            store.written_out(question.text), np.concatenate([read_as, clauses.vectors])
        )
        n = len(read_as)
        table[:, len(FEATURES)] = np.maximum(scores[:n], clauses.best(scores[n:]))
    elif reader is not None:
        chosen = np.argsort(-read_cos, kind="stable")[:reader_candidates]
        texts = [" ".join(store.text(r) for r in store.read_rows(found[i].row)) for i in chosen]
        table[chosen, len(FEATURES)] = reader.score(store.written_out(question.text), texts)
    about = (asked_head.word,) if head_kin else tuple(f.word for f in before_clause or open_focus)
    return Evidence(
        found,
        table,
        columns,
        answers,
        eligible,
        helds,
        elsewhen,
        frozenset(unrelated),
        about,
        frozenset(bygone),
        cos_context,
        frozenset(causes),
        elsewhose,
        denied,
        frozenset(unspoken),
        frozenset(causeless),
    )


@dataclass(frozen=True)
class _Clauses:
    """The clause vectors of some candidates, stacked, and where each candidate's begin."""

    vectors: np.ndarray
    offsets: np.ndarray  # where each candidate's clauses begin in `vectors`
    sizes: np.ndarray  # how many each has (0: read whole)

    @classmethod
    def of(cls, store: SentenceStore, rows: np.ndarray) -> _Clauses:
        first, sizes = (
            store.clause_starts[rows],
            store.clause_starts[rows + 1] - store.clause_starts[rows],
        )
        offsets = np.cumsum(sizes) - sizes
        picks = np.repeat(first - offsets, sizes) + np.arange(int(sizes.sum()))
        return cls(store.clause_vectors[picks], offsets, sizes)

    def best(self, values: np.ndarray) -> np.ndarray:
        """Per candidate, the highest of `values` (one per clause), -inf without clauses."""
        out = np.full(len(self.sizes), -np.inf, dtype=np.float32)
        some = self.sizes > 0
        if some.any():
            out[some] = np.maximum.reduceat(values, self.offsets[some])
        return out


def derived_forms(question: Question, store: SentenceStore) -> dict[str, str]:
    """The stems of forms derived from the question's common focus words that the sources
    never write, to theirs: a sentence naming the "successor" holds "succeeded", one on the
    "invasion" holds "invade" (WordNet's derivations, so English only; a word the sources
    write is matched as it is, and not looked up)."""
    if question.language != "en":
        return {}
    stem = lexicon_for(question.language).stem.stemWord
    own = question.weights()
    return {
        stem(form): f.stem
        for f in question.focus
        if not f.is_name and not store.document_frequency.get(f.stem, 0)
        for form in sorted(wordnet.derived(f.word))
        if stem(form) not in own
    }


def peoples_forms(question: Question, store: SentenceStore, lexicon: Lexicon) -> dict[str, str]:
    """The stems the sources write for a country the question names as its people's adjective,
    or the other way round, to the question's: "The Kazakh president …" is about Kazakhstan,
    and a sentence naming China about "Chinese" investment (`country_of_people`, by CLDR)."""
    code = lexicon.code
    territories = known_territories(code)
    vocabulary = store.vocabulary
    out: dict[str, str] = {}
    for f in question.focus:
        if not f.is_name or len(f.stem) < 4:
            continue
        word = re.sub(r"[’']s$", "", f.word)
        if word in territories:  # the sources' adjectives of it
            at = bisect.bisect_left(vocabulary, f.stem[:4])
            for v in vocabulary[at:]:
                if not v.startswith(f.stem[:4]):
                    break
                if v != f.stem and word in country_of_people(v, code):
                    out.setdefault(v, f.stem)
        else:  # the countries it is the adjective of, that the sources write
            for country in country_of_people(word, code):
                v = lexicon.stem.stemWord(country.lower())
                if v != f.stem and store.document_frequency.get(v, 0):
                    out.setdefault(v, f.stem)
    return out


def seats_forms(question: Question, store: SentenceStore, lexicon: Lexicon) -> dict[str, str]:
    """The stems of the capitals (and places in them) the sources write for a country the
    question names, to the country's: "Moscow and Astana signed an agreement …" is about
    Russia, and so is "the Kremlin" (`wordnet.stands_for`; English only, as WordNet is)."""
    if lexicon.code != "en" or wordnet.wordnet() is None:
        return {}
    territories = known_territories(lexicon.code)
    out: dict[str, str] = {}
    for f in question.focus:
        country = re.sub(r"[’']s$", "", f.word)
        if not f.is_name or country not in territories:
            continue
        for name, stems in _seats(store, lexicon.code).items():
            if wordnet.stands_for(name, country):
                out.update(dict.fromkeys(stems, f.stem))
    return out


# Per sentence store, while it is served: its capitals (`_seats`).
_SEATS: weakref.WeakKeyDictionary[SentenceStore, dict[str, tuple[str, ...]]] = (
    weakref.WeakKeyDictionary()
)


def _seats(store: SentenceStore, language: str) -> dict[str, tuple[str, ...]]:
    """The names the sources write that WordNet knows as a national capital or a place in
    one, with their stems: looked up once per store, and let go with it."""
    seats = _SEATS.get(store)
    if seats is None:
        database = wordnet.wordnet()
        names = {m.text for i in store.infos for m in i.mentions if m.kind not in (DATE, NUMBER)}
        lexicon = lexicon_for(language)
        seats = _SEATS[store] = {
            name: tuple(content_stems(name, lexicon))
            for name in sorted(names)
            if database is not None and database.seat_of(name)
        }
    return seats


def unnamed_measure(question: Question, store: SentenceStore, lexicon: Lexicon) -> list[str]:
    """The words of the measure a figure is asked of, when the sources write none of them
    but its owner's name: "What was the unemployment rate?" (a "rate" of something the
    sources never mention) and "How big is the Kazakh army?" cannot be answered by any
    figure of theirs. Not when the question says what sort of figure it wants ("how much
    money", "how many soldiers": a unit): what it counts is then compared in meaning
    (`counting_other_things`), "soldiers" with "troops"."""
    if question.kind != NUMBER or question.unit or not question.thing_stems:
        return []
    said = [
        (offset, stem)
        for offset, stem in content_stems_at(question.thing, lexicon)
        if stem in question.thing_stems
    ]
    # a name says whose measure, not which one ("Kazakh" in "the Kazakh army")
    said = [(o, s) for o, s in said if not question.thing[o : o + 1].isupper()] or said
    if any(store.document_frequency.get(stem, 0) for _, stem in said):
        return []
    return [next(iter(words(question.thing[offset:])), stem) for offset, stem in said]


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
    # every word of the place's name ("United": the United States is not heard in "state")
    places = demonym_of(focus.word, lexicon.code)
    return any(all(store.spelled_like(s) for _, s in content_stems_at(p, lexicon)) for p in places)


def known_as_place(focus: Focus, store: SentenceStore, lexicon: Lexicon) -> bool:
    """Whether the sources write a name the question gives as the place its people's
    adjective names ("Chinese": China)."""
    return any(
        all(store.document_frequency.get(s, 0) for _, s in content_stems_at(p, lexicon))
        for p in demonym_of(focus.word, lexicon.code)
    )


def _says_more(held: set[str], question: Question) -> bool:
    """Whether a sentence holds a content word that is not the question's own (or a digit)."""
    return _says_more_than(held, question.weights().keys() | question.thing_stems)


def _new_figure(infos: list[SentenceInfo], rows: list[int], given: frozenset[str]) -> bool:
    """Whether `rows` state a figure (not a date) the question does not: "Most of the
    prostitutes in Kenya are aged 9–18" says more than "what is the age range of …?"."""
    return any(m.kind == NUMBER and m.value not in given for r in rows for m in infos[r].mentions)


def _says_more_than(held: set[str], own: set[str]) -> bool:
    return any(s not in own and not any(c.isdigit() for c in s) for s in held)


__all__ = [
    "FEATURES",
    "OPTIONAL_FEATURES",
    "Candidate",
    "Evidence",
    "candidates",
    "derived_forms",
    "features",
    "in_language",
    "known_as_place",
    "peoples_forms",
    "seats_forms",
    "unnamed_measure",
]
