"""What a source is called: its title, where its own text writes it.

"What is the article's title?" shares no word with the title that answers it
("Russia–Kazakhstan relations since the collapse of the Soviet Union"), which
is a heading, left out of the sentences the evidence step weighs. A source's
metadata knows its title (`corpus/sources.toml`, or what trafilatura and pypdf
read); as for its authors (`byline.py`), the question is answered only where
the text itself writes the title, which is cited and is the short answer.
"""

from __future__ import annotations

from dossier.index.search import Index
from dossier.lexicon import Lexicon
from dossier.service.answer.byline import Named, sources_asked
from dossier.types import ScoredPassage


def title(
    question: str, passages: list[ScoredPassage], index: Index, lexicon: Lexicon
) -> Named | None:
    """For a question asking what a source is called, the title of the first of the
    passages' sources whose text writes it; None for any other question, or when none does."""
    store = index.sentences
    for source_id in sources_asked(lexicon.title_question, question, passages, index):
        assert store is not None  # `sources_asked` lists none without one
        named = (index.documents[source_id].title or "").strip()
        at = index.documents[source_id].text.find(named) if named else -1
        rows = store.rows_overlapping(source_id, at, at + len(named)) if at >= 0 else []
        if rows:
            return Named(rows[:1], source_id, named, at, rows[0])
    return None


__all__ = ["title"]
