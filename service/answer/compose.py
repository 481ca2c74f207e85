"""The answer: cited sentences that pass the answerability threshold, or a specific abstention.

Rules, in order:

1. Score every candidate sentence (answerability.py); one that cannot answer
   (evidence.py's `eligible`: it says nothing new, is a bare title, speaks
   of another time than the question names, or, for a question whose focus
   is names alone, holds none of them) scores 0, and so does one about
   something else (`_far_off`: none of the question's words, and further from
   it in meaning than the model's average row). If the best is below
   the threshold, abstain, saying what is missing: a focus term no passage
   mentions, the time asked for, or the kind of answer (a date, a figure, a
   name) none gives.
2. Cite the best sentence. Then, up to three sentences in all, only sentences
   that pass the threshold themselves and add something: the best sentence
   for another part of a multi-part question, or a focus term the cited
   sentences do not hold yet. A cited sentence that refers back ("This was
   completed in 2001.") brings the sentence it refers to: its features were
   computed on the two read together, so they passed together.
3. Never the same text twice (duplicate sources hold duplicate sentences);
   sentences in document order within a source, sources in the order of
   their best sentence.
4. When the question expects a short answer (a date, a figure, a name), the
   best sentence's answer of that kind is also given as `answer_span`; when it
   asks what the sources call something, the name the best sentence's section
   heading gives it (heading.py) is cited and given as `answer_span`.

A question asking who wrote a source is answered first, apart (byline.py):
by the sentences where the text names the authors its metadata lists; so is
one asking what an acronym stands for (acronym.py), by a sentence spelling
it out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dossier.index.search import Index
from dossier.index.sentences import Mention, SentenceStore, is_title, number_mentions
from dossier.languages import script
from dossier.lexicon import AGE, DATE, EXTENT, NUMBER, Lexicon, content_stems, lexicon_for
from dossier.service.answer.acronym import asked_acronym, expansion
from dossier.service.answer.answerability import Answerability
from dossier.service.answer.byline import byline
from dossier.service.answer.dated import dated_rows
from dossier.service.answer.evidence import (
    Evidence,
    features,
    known_as_place,
    reading,
    unnamed_measure,
)
from dossier.service.answer.heading import defined_by_heading, naming_heading
from dossier.service.answer.question import Question, after_answers, analyse, as_asked
from dossier.service.answer.reader import Reader
from dossier.service.answer.short_answer import ACCEPTS
from dossier.service.answer.title import title
from dossier.types import AnswerSpan, Citation, ScoredPassage


@dataclass(frozen=True)
class Composed:
    text: str
    citations: list[Citation]
    answer_span: AnswerSpan | None
    score: float  # the best sentence's answerability (0 when there is no candidate)
    reason: str | None  # why it abstained
    # Passages cited that retrieval did not return (a byline's): the answer lists them too.
    also_cited: tuple[ScoredPassage, ...] = ()

    @property
    def abstained(self) -> bool:
        return not self.citations


def _join(items: list[str], lexicon: Lexicon) -> str:
    items = list(dict.fromkeys(items))  # "CSTO" stands for four stems: name it once
    # "Wi-Fi" is focus as a whole and by its parts: name it whole
    items = [w for w in items if not any(w != o and f"-{w}-" in f"-{o}-" for o in items)]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {lexicon.messages['and']} {items[-1]}"


def _whole_names(said: list[str], question: Question) -> list[str]:
    """A word of a name the question gives in several named by the whole name: "never
    mention Joe Biden", not "Joe and Biden"; "United Nations", not "United"."""
    out: list[str] = []
    for word in said:
        whole = next((name for name in question.long_names if word in name.split()), word)
        if whole not in out and not (whole == word and any(word in o.split() for o in out)):
            out.append(whole)
    return out


def why_not(
    question: Question,
    evidence: Evidence,
    probability: np.ndarray,
    store: SentenceStore,
    lexicon: Lexicon,
) -> str:
    """What is missing, in words, from the question analysis and the evidence."""
    messages = lexicon.messages
    if not evidence.candidates:
        return messages["nothing"]
    held_anywhere: set[str] = set().union(*evidence.held)
    # A name no passage mentions is the clearest reason; a common word may be a paraphrase.
    absent = [f for f in question.focus if f.stem not in held_anywhere and f.is_name]
    if absent:
        never = [
            f
            for f in absent
            if store.document_frequency.get(f.stem, 0) == 0
            and not known_as_place(f, store, lexicon)  # "Chinese": China
            and script(f.word) in store.scripts  # "Назарбаев" may be "Nazarbayev"
        ]
        key, terms = ("never", never) if never else ("not_found", absent)
        said = _whole_names([f.word for f in terms], question)
        return messages[key].format(terms=_join(said, lexicon))
    if unnamed := unnamed_measure(question, store, lexicon):
        return messages["never"].format(terms=_join(unnamed, lexicon))
    # The sentence most about the question's subject says what the sources do cover.
    topical = int(np.lexsort((probability, evidence.column("focus")))[-1])
    best_held = evidence.held[topical]
    held = _join([f.word for f in question.focus if f.stem in best_held], lexicon)
    if not held:
        return messages["nothing"]
    if topical in evidence.unrelated:  # "… but say nothing about currency"
        return messages["unsaid"].format(held=held, terms=_join(list(evidence.about), lexicon))
    if topical in evidence.bygone:  # "… but say only what has already happened"
        return messages["bygone"].format(held=held)
    if topical in evidence.unspoken:  # "… but report no statement"
        return messages["unspoken"].format(held=held)
    if topical in evidence.causes:  # "… only as the cause of something else"
        return messages["as_cause"].format(held=held)
    if topical in evidence.denied:  # "… but say the opposite ("did not recognise")"
        return messages["denied"].format(held=held, stated=evidence.denied[topical])
    if topical in evidence.causeless:  # "… but give no reason"
        return messages["no_reason"].format(held=held)
    if topical in evidence.elsewhose and question.thing:  # "… language only as Kazakh"
        return messages["other_owner"].format(
            thing=question.thing.split()[-1],
            stated=evidence.elsewhose[topical],
            asked=question.owner,
        )
    if evidence.elsewhen and evidence.elsewhen[topical]:
        asked = [m.text for m in number_mentions(question.text, 0, lexicon) if m.kind == DATE]
        return messages["other_time"].format(
            held=held,
            stated=_join(list(evidence.elsewhen[topical]), lexicon),
            asked=_join(asked or sorted(question.years), lexicon),
        )
    if question.expects_short and not evidence.column("kind_found")[topical]:
        plain, with_thing = lexicon.kind_phrases[question.kind]
        missing = with_thing.format(thing=question.thing) if question.thing else plain
        if question.currency:  # "… give no figure for stimulus package in dollars"
            missing = messages["in_currency"].format(missing=missing, currency=question.currency)
        return messages["no_kind"].format(held=held, missing=missing)
    return messages["no_support"].format(held=held)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _passage_holding(
    index: Index,
    passages: list[ScoredPassage],
    row: int,
    fallback: ScoredPassage | None = None,
) -> ScoredPassage:
    """The passage holding a sentence: `fallback` (its candidate's) or another retrieved
    one; failing those, `fallback` still (an antecedent may lie before its passage), or,
    with none, the index's passage, scored 0 (a byline retrieval did not return)."""
    info = index.sentences.infos[row]  # type: ignore[union-attr]
    for passage in [*([fallback] if fallback else []), *passages]:
        if passage.source_id == info.source_id and passage.start <= info.start < passage.end:
            return passage
    if fallback is not None:
        return fallback
    for held in index.passages:
        if held.source_id == info.source_id and held.start <= info.start < held.end:
            return ScoredPassage(**held.model_dump(), score=0.0)
    raise LookupError(f"no passage holds sentence {row} of {info.source_id}")


def compose(
    question_text: str,
    question_vector: np.ndarray,
    passages: list[ScoredPassage],
    index: Index,
    model: Answerability,
    *,
    max_sentences: int = 3,
    reader: Reader | None = None,
    reader_candidates: int = 8,
    language: str | None = None,
    threshold: float | None = None,
) -> Composed:
    """The answer to `question_text` from `passages` of `index` (see the module's rules)."""
    store = index.sentences
    if store is None:
        raise ValueError("the index has no sentence store; re-run `dossier ingest`")
    lexicon = lexicon_for(language)
    if lexicon.composition and lexicon.composition.match(question_text):
        # "Write me a poem about Kazakhstan.": cited sentences would be no poem
        reason = lexicon.messages["composing"]
        return Composed(f"{lexicon.messages['abstain']}: {reason}.", [], None, 0.0, reason)
    question_text = as_asked(question_text, lexicon)  # "Tell me when …": when
    acronym = asked_acronym(question_text, lexicon)
    named = (
        byline(question_text, passages, index, lexicon)
        or title(question_text, passages, index, lexicon)
        or (expansion(acronym, index) if acronym else None)
    )
    if (
        named is None
        and acronym
        and store.document_frequency.get(lexicon.stem.stemWord(acronym.lower()))
    ):
        reason = lexicon.messages["unspelled"].format(acronym=acronym)
        return Composed(f"{lexicon.messages['abstain']}: {reason}.", [], None, 0.0, reason)
    if named is not None:  # the text names the listed author, or spells the acronym out
        holding = {r: _passage_holding(index, passages, r) for r in named.rows}
        text, citations, number_of = cite(named.rows, lambda r: holding[r].id, index)
        span = AnswerSpan(
            text=named.name,
            source_id=named.source_id,
            start=named.start,
            end=named.start + len(named.name),
            citation=number_of[named.row],
        )
        return Composed(text, citations, span, 1.0, None, _unretrieved(holding, passages))
    if (defined := defined_by_heading(question_text, store, lexicon)) is not None:
        # "What was the Qandy Quantar?": the sentence opening the section it heads
        holding = {defined: _passage_holding(index, passages, defined)}
        text, citations, _ = cite([defined], lambda r: holding[r].id, index)
        return Composed(text, citations, None, 1.0, None, _unretrieved(holding, passages))
    dated = dated_rows(question_text, passages, store, lexicon)[:max_sentences]
    if dated:  # "What happened in June 2025?": what the sources date to it
        holding = {r: _passage_holding(index, passages, r) for r in dated}
        text, citations, _ = cite(dated, lambda r: holding[r].id, index)
        return Composed(text, citations, None, 1.0, None)
    threshold = model.threshold if threshold is None else threshold
    question = analyse(question_text, lexicon, store.idf, aliases=store.aliases)
    evidence = features(
        question,
        question_vector,
        passages,
        index,
        reader=reader,
        reader_candidates=reader_candidates,
    )
    scored = model.probability(evidence.table, evidence.columns)
    probability = scored * evidence.eligible * ~_far_off(evidence, model, question)
    # Each part's best candidate (its position: a part has the question's candidates, from
    # the same passages), its probability, the part and its evidence: a multi-part question
    # is answered when a part is, though the whole asks for two kinds at once ("Which
    # organisation …, and how long …?").
    answered_parts: list[tuple[int, float, Question, Evidence]] = []
    whole_top = int(np.argmax(probability)) if probability.size else -1

    def read_part(part: Question, vector: np.ndarray) -> tuple[Evidence, np.ndarray]:
        part_evidence = features(
            part, vector, passages, index, reader=reader, reader_candidates=reader_candidates
        )
        part_probability = (
            model.probability(part_evidence.table, part_evidence.columns)
            * part_evidence.eligible
            * ~_far_off(part_evidence, model, part)
        )
        return part_evidence, part_probability

    for n, part in enumerate(question.parts):
        if answered_parts:  # "…, and when was the pipeline finished?": not when it was agreed
            given = (earlier.answers[top] for top, _, _, earlier in answered_parts)
            part = after_answers(part, [a for a in given if a is not None], store.idf)
        part_evidence, part_probability = read_part(part, question_vector)
        top = int(np.argmax(part_probability)) if part_probability.size else -1
        if (
            n > 0
            and (top == whole_top or float(part_probability.max(initial=0.0)) < threshold)
            and (toward := _toward_part(part, question_vector, index, lexicon)) is not None
        ):
            # read as the whole question, the part adds nothing: read it by its own words
            part_evidence, part_probability = read_part(part, toward)
        if part_probability.size and float(part_probability.max()) >= threshold:
            top = int(np.argmax(part_probability))
            answered_parts.append((top, float(part_probability[top]), part, part_evidence))
    whole = probability.size > 0 and float(probability.max()) >= threshold
    if not whole and not answered_parts:
        score = float(probability.max()) if probability.size else 0.0
        # Why, from the sentence most about the question, whether or not it could answer
        reason = why_not(question, evidence, scored, store, lexicon)
        return Composed(f"{lexicon.messages['abstain']}: {reason}.", [], None, score, reason)

    # The question (or the part) whose best candidate leads, and gives the short answer
    best, confidence, leading, leading_evidence = (
        (int(np.argmax(probability)), float(probability.max()), question, evidence)
        if whole
        else max(answered_parts, key=lambda a: a[1])
    )
    if leading is question:
        best = _answering_sentence(best, evidence, probability, threshold, store, question)
        best = _most_figures_held(best, evidence, probability, threshold)
    chosen: list[int] = []  # candidate positions, in order of priority
    texts: set[str] = set()
    rows: list[tuple[int, int]] = []  # (store row, candidate position it came with)

    asked = question.weights().keys() | question.thing_stems

    def take(position: int) -> bool:
        """Cite a candidate (and its antecedent, where that holds a focus term or the answer:
        not "However, he retained …" before "His successor, Kassym-Jomart Tokayev, …
        abolishing the death penalty"); False when it adds no new text or room."""
        row = evidence.candidates[position].row
        answer = evidence.answers[position]
        # "This was completed in 2001." says what was completed only with the one before
        unsaid = not question.expects_short and bool(
            lexicon.pronoun_subject and lexicon.pronoun_subject.match(store.text(row))
        )
        wanted = [
            r
            for r in reading(store, row, question, lexicon)
            if r == row
            or unsaid
            or asked & set(store.infos[r].stems)
            or (answer is not None and store.infos[r].start <= answer.start < store.infos[r].end)
        ]
        fresh = [r for r in wanted if _normal(store.text(r)) not in texts]
        if row not in fresh:
            return False
        if len(rows) + len(fresh) > max_sentences:
            fresh = fresh[-1:]  # keep the sentence itself rather than its antecedent
            if len(rows) + 1 > max_sentences:
                return False
        for r in fresh:
            texts.add(_normal(store.text(r)))
            rows.append((r, position))
        chosen.append(position)
        return True

    take(best)
    # "What name does the article give to the January 2022 unrest?": its section's heading
    named = (
        naming_heading(question, evidence.candidates[best].row, store, lexicon)
        if leading is question and len(rows) < max_sentences
        else None
    )
    if named is not None:
        texts.add(_normal(store.text(named.row)))
        rows.append((named.row, best))
    held: set[str] = set(evidence.held[best])
    for position, _, _, _ in answered_parts:
        if position not in chosen and take(position):
            held.update(evidence.held[position])  # what it says, no later sentence adds
    weights = question.weights()
    # "What happened between 2003 and 2018?": a sentence holding a year the others lack adds
    numbers_missing = evidence.column("numbers_missing")
    missing = float(numbers_missing[best])
    for position in np.argsort(-probability, kind="stable"):
        position = int(position)
        if len(rows) >= max_sentences or probability[position] < threshold:
            break
        if position in chosen:
            continue
        adds = {s for s in evidence.held[position] if s in weights and s not in held}
        dated = numbers_missing[position] < missing
        if (adds or dated or _states_what_titles(position, best, evidence, store)) and take(
            position
        ):
            held.update(evidence.held[position])
            missing = min(missing, float(numbers_missing[position]))

    position_of = dict(rows)

    def passage_of(row: int) -> str:
        fallback = evidence.candidates[position_of[row]].passage
        return _passage_holding(index, passages, row, fallback).id

    text, citations, number_of = cite([r for r, _ in rows], passage_of, index)
    span = _answer_span(leading, leading_evidence, best, store, number_of, lexicon)
    if named is not None:
        source_id = store.infos[named.row].source_id
        span = AnswerSpan(
            text=store.documents[source_id].text[named.start : named.end],
            source_id=source_id,
            start=named.start,
            end=named.end,
            citation=number_of[named.row],
        )
    return Composed(text, citations, span, confidence, None)


def _unretrieved(
    holding: dict[int, ScoredPassage], passages: list[ScoredPassage]
) -> tuple[ScoredPassage, ...]:
    """The passages holding cited rows that retrieval did not return, once each."""
    retrieved = {p.id for p in passages}
    return tuple({p.id: p for p in holding.values() if p.id not in retrieved}.values())


def _states_what_titles(position: int, best: int, evidence: Evidence, store: SentenceStore) -> bool:
    """Whether a sentence states the answer a heading or list item gives ("… the 2006
    agreement that facilitated border crossing procedures for residents of border regions"
    after "Agreement on Simplification of Border Crossing (2006)"): it says what the title
    only names."""
    answer, given = evidence.answers[position], evidence.answers[best]
    return (
        answer is not None
        and given is not None
        and answer.value == given.value
        and is_title(store.text(evidence.candidates[best].row))
        and not is_title(store.text(evidence.candidates[position].row))
    )


def _toward_part(
    part: Question, question_vector: np.ndarray, index: Index, lexicon: Lexicon
) -> np.ndarray | None:
    """The question's vector turned towards a later part's own words ("…, and what did he
    keep control of?" is read nearer the sentence saying so than the question whole is);
    None for a part that names nothing of its own ("…, and in which year?"). Asked only
    where the whole question's vector finds the part nothing new: one encoder pass."""
    stems = set(content_stems(part.text, lexicon))
    if not any(f.stem in stems for f in part.focus):
        return None
    blended = question_vector + index.embedder.encode_query(part.text)
    return blended / np.linalg.norm(blended)


def _far_off(evidence: Evidence, model: Answerability, question: Question) -> np.ndarray:
    """Candidates about something else: they hold none of the question's focus terms (nor
    does their heading) nor any year or number it names, and are further from it in meaning
    than the rows the model was fitted on are on average. In the question's language only;
    across languages a sentence shares few words with a question it answers. "Where is the
    CSTO headquartered?" is not answered by "China is now Astana's main trading partner …",
    however well its rank and its place names score; "What happened in 2014?" is by "In
    2014–2015, falling oil prices …"."""
    typical = model.typical("cos_context")
    if typical is None or not evidence.candidates:
        return np.zeros(len(evidence.candidates), dtype=bool)
    # read whole, as the model's rows were when it was fitted: a clause of a sentence about
    # something else may come closer ("When did Tokayev first meet Putin?": "The Kazakh
    # president was invited and, during one of his speeches, …", after the June 2022 forum)
    far = (evidence.column("focus_section") == 0) & (evidence.whole_cos < typical)
    if question.numbers:
        far &= evidence.column("numbers_missing") == 1.0
    if "other_language" in evidence.columns:
        far &= evidence.column("other_language") == 0
    return far


def _answering_sentence(
    best: int,
    evidence: Evidence,
    probability: np.ndarray,
    threshold: float,
    store: SentenceStore,
    question: Question,
) -> int:
    """The candidate of the sentence the best one refers back to, when the answer is there
    and the best one holds nothing of the kind asked: for "Which agreement did the 2020
    agreement replace?", "… the 1994 agreement." rather than "These texts provide for
    military training …" read after it. The other must pass itself."""
    answer = evidence.answers[best]
    info = store.infos[evidence.candidates[best].row]
    if answer is None or info.start <= answer.start < info.end:
        return best
    accepts = ACCEPTS.get(question.kind, frozenset())
    if any(m.kind in accepts for m in info.mentions):
        return best
    return next(
        (
            i
            for i, c in enumerate(evidence.candidates)
            if store.infos[c.row].start <= answer.start < store.infos[c.row].end
            and evidence.answers[i] == answer
            and probability[i] >= threshold
        ),
        best,
    )


def _most_figures_held(
    best: int, evidence: Evidence, probability: np.ndarray, threshold: float
) -> int:
    """The passing candidate holding an answer and the most of the years and figures the
    question names, the best first among equals: for "What were the trade volumes in 2022
    and 2023?", "… volumes of $26 billion and $27 billion respectively", not "$31.5 billion
    in 2023, up 30% from 2022"."""
    missing = evidence.column("numbers_missing")
    fuller = [
        i
        for i in np.argsort(-probability, kind="stable")
        if probability[i] >= threshold
        and evidence.answers[i] is not None
        and missing[i] < missing[best]
    ]
    return int(min(fuller, key=lambda i: missing[i])) if fuller else best


def cite(
    rows: list[int], passage_of: Callable[[int], str], index: Index
) -> tuple[str, list[Citation], dict[int, int]]:
    """The answer text of sentence-store `rows`, their citations, and each row's number.

    Document order within a source; sources in the order their first row was chosen.
    """
    store = index.sentences
    assert store is not None
    source_order: dict[str, int] = {}
    for r in rows:
        source_order.setdefault(store.infos[r].source_id, len(source_order))
    ordered = sorted(
        rows, key=lambda r: (source_order[store.infos[r].source_id], store.infos[r].start)
    )
    citations: list[Citation] = []
    parts: list[str] = []
    number_of: dict[int, int] = {}
    for n, r in enumerate(ordered, start=1):
        info = store.infos[r]
        document = index.documents[info.source_id]
        quote = store.text(r)
        citations.append(
            Citation(
                n=n,
                source_id=info.source_id,
                title=document.title,
                url=document.url,
                passage_id=passage_of(r),
                quote=quote,
                start=info.start,
                end=info.end,
                page=document.page_at(info.start),
            )
        )
        number_of[r] = n
        parts.append(f"{' '.join(quote.split())} [{n}]")
    return " ".join(parts), citations, number_of


def _answer_span(
    question: Question,
    evidence: Evidence,
    best: int,
    store: SentenceStore,
    number_of: dict[int, int],
    lexicon: Lexicon,
) -> AnswerSpan | None:
    if not question.expects_short:
        return None
    mention: Mention | None = evidence.answers[best]
    if mention is None:
        return None
    for r in reading(store, evidence.candidates[best].row, question, lexicon):
        info = store.infos[r]
        if info.start <= mention.start and mention.end <= info.end and r in number_of:
            text = store.documents[info.source_id].text
            start, end = mention.start, mention.end
            if question.unit in (EXTENT, AGE):  # "how long": "30 years", not "30"
                unit = re.match(r"\s+(\w+)", text[end : info.end])
                if unit and unit.group(1).lower() in lexicon.extent_words:
                    end += unit.end()
            if _asks_several(question, lexicon):
                accepts = ACCEPTS.get(question.kind, frozenset()) | {mention.kind}
                start, end = _listed(info.mentions, mention, accepts, text, lexicon)
            return AnswerSpan(
                text=text[start:end],
                source_id=info.source_id,
                start=start,
                end=end,
                citation=number_of[r],
            )
    return None


def _asks_several(question: Question, lexicon: Lexicon) -> bool:
    """Whether "which X" asks for several ("which republics", "which countries")."""
    if not question.thing or question.kind in (DATE, NUMBER):
        return False
    asked = question.thing.split()[-1].lower()
    return not asked.endswith("ss") and any(
        lexicon.thing_kind(singular) for singular in lexicon.singulars(asked)
    )


def _listed(
    mentions: list[Mention], mention: Mention, kinds: frozenset[str], text: str, lexicon: Lexicon
) -> tuple[int, int]:
    """The span of the list a mention stands in, of mentions of the kinds asked joined by
    commas or "and": "Donetsk and Luhansk", "Russia, Kazakhstan and Belarus"."""
    joiners = {",", lexicon.messages["and"], f", {lexicon.messages['and']}"}
    kin = [m for m in mentions if m.kind in kinds]
    if mention not in kin:  # a name read from its date ("the 2006 agreement"), not indexed
        kin = sorted([*kin, mention], key=lambda m: m.start)
    at = kin.index(mention)
    first = last = at
    while first > 0 and text[kin[first - 1].end : kin[first].start].strip() in joiners:
        first -= 1
    while last + 1 < len(kin) and text[kin[last].end : kin[last + 1].start].strip() in joiners:
        last += 1
    return kin[first].start, kin[last].end


__all__ = ["Composed", "compose", "why_not"]
