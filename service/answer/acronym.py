"""What an acronym stands for, where the sources spell it out.

"What does CSTO stand for?" is answered by a name whose initials are the
acronym ("Collective Security Treaty Organisation"), as the sentence store
reads initials (`SentenceStore.by_initials`): the evidence step would refuse it, since
the question already holds that name by its acronym. The sentence giving
the name beside its acronym ("the Baku-Tbilisi-Ceyhan (BTC) pipeline") is
cited first; failing one, the first sentence that spells it out. An acronym
the sources write but never spell out is refused as such.
"""

from __future__ import annotations

import re

from dossier.index.search import Index
from dossier.lexicon import Lexicon
from dossier.service.answer.byline import Named


def asked_acronym(question: str, lexicon: Lexicon) -> str | None:
    """The acronym a question asks the meaning of, else None."""
    if lexicon.acronym_question is None:
        return None
    match = lexicon.acronym_question.search(question)
    return next((g for g in match.groups() if g), None) if match else None


def expansion(acronym: str, index: Index) -> Named | None:
    """Where the sources spell out an acronym; None when no name of theirs stands for it."""
    store = index.sentences
    if store is None:
        return None
    named = store.by_initials.get(acronym)
    if not named:
        return None
    written = re.compile(rf"(?<!\w){re.escape(acronym)}(?!\w)")
    # the first that writes the acronym beside the name, else the first
    row, mention = next(((r, m) for r, m in named if written.search(store.text(r))), named[0])
    source_id = store.infos[row].source_id
    return Named([row], source_id, mention.text, mention.start, row)


__all__ = ["asked_acronym", "expansion"]
