"""What happened at a time: the sentences that date something to it.

"What happened in June 2025?" names no subject, only a time. Its one focus
word is the month, which every sentence of that time holds, and no sentence
is close to it in meaning (the signing of an agreement is far from "what
happened"), so the evidence step has nothing to weigh and refuses. The
passages' sentences whose own dates give the question's (its year, and its
month where it names one) answer it, in document order; where none does, the
question is read as any other.
"""

from __future__ import annotations

from dossier.index.sentences import SentenceStore, figures, month_of, number_mentions
from dossier.lexicon import DATE, Lexicon
from dossier.service.answer.evidence import candidates
from dossier.types import ScoredPassage


def dated_rows(
    question: str, passages: list[ScoredPassage], store: SentenceStore, lexicon: Lexicon
) -> list[int]:
    """The rows of the passages' sentences dated to the time a "what happened in …?"
    question names, best passage first; [] for any other question, or one of several parts."""
    match = lexicon.time_question.search(question) if lexicon.time_question else None
    if match is None or len(lexicon.part_split.split(question)) > 1:
        return []  # "What happened in January 2022, and who …?": read part by part
    asked = [m for m in number_mentions(match.group("time"), 0, lexicon) if m.kind == DATE]
    if not asked:
        return []
    wanted = [(set(figures(m.value)), set(month_of(m, lexicon))) for m in asked]
    return [
        c.row
        for c in candidates(passages, store)
        if any(
            m.kind == DATE
            and all(
                numbers <= set(figures(m.value)) and months <= set(month_of(m, lexicon))
                for numbers, months in wanted
            )
            for m in store.infos[c.row].mentions
        )
    ]


__all__ = ["dated_rows"]
