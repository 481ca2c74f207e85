"""The time a sentence speaks of: the years it states (with the sentence before and its
heading; stating none, those its section has stated up to it), a decade as its ten years,
and "since" running to the present, but not a year a change is measured from, so that a
sentence about another time than the question names cannot answer it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dossier.index.sentences import SentenceStore, figures, is_year, month_of
from dossier.lexicon import DATE, NUMBER, Lexicon, lexicon_for


@dataclass(frozen=True)
class Time:
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
            and self.last != PRESENT
            and all(self.months.get(y) is not None and m not in self.months[y] for y, m in months)
        )


_DECADE = re.compile(r"(\d{3})0s")
WORD = re.compile(r"\w+")
PRESENT = 9999  # the last year of a span that runs to the present ("since 2014")
BASELINE_CHARS = 48  # more than "… per cent higher compared with that of " ends with


def time_of(
    store: SentenceStore, rows: list[int], lexicon: Lexicon, *, own: list[int]
) -> Time | None:
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
                ahead = text[: m.start - info.start]
                if from_baseline(ahead, lexicon):
                    continue  # "$31.5 billion in 2023, up 30% from 2022" is of 2023
                before = ahead.split()
                if before and before[-1].lower() in since:
                    last = PRESENT
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
    if since and any(w in since for r in own for w in WORD.findall(store.text(r).lower())):
        last = PRESENT
    return Time(min(s[0] for s in spans), last, tuple(dict.fromkeys(written)), months)


def from_baseline(before: str, lexicon: Lexicon) -> bool:
    """Whether the text `before` a year makes it the one a change is measured from ("up 30%
    from 2022", "than in 2022", lexicon `baseline`)."""
    tail = before[-BASELINE_CHARS:]
    return lexicon.baseline is not None and _ends_as_baseline(tail, lexicon.code)


@lru_cache(maxsize=65536)
def _ends_as_baseline(tail: str, code: str) -> bool:
    """`from_baseline` of a text's last characters (the pattern ends there), once per text:
    the same sentences are read for every question."""
    pattern = lexicon_for(code).baseline
    return bool(pattern and pattern.search(tail))


def states_a_date(store: SentenceStore, rows: list[int], lexicon: Lexicon) -> bool:
    """Whether `rows` state a date, but a year a change is measured from (`from_baseline`)."""
    for r in rows:
        info = store.infos[r]
        text = store.text(r)
        if any(
            m.kind == DATE and not from_baseline(text[: m.start - info.start], lexicon)
            for m in info.mentions
        ):
            return True
    return False


def mention_values(store: SentenceStore, rows: list[int], lexicon: Lexicon) -> set[str]:
    """The figures `rows` state, but a year a change is measured from (`from_baseline`)."""
    values: set[str] = set()
    for r in rows:
        info = store.infos[r]
        for m in info.mentions:
            if m.kind == NUMBER or (
                m.kind == DATE and not from_baseline(store.text(r)[: m.start - info.start], lexicon)
            ):
                values.update(figures(m.value))
    return values


def time_before(
    store: SentenceStore, row: int, section: int, lexicon: Lexicon, *, own: list[int]
) -> Time | None:
    """The span of the years stated from `row` back to the `section` it stands under (a
    sentence stating none speaks of the time its section has reached); None when none is."""
    rows: list[int] = []
    while row >= 0 and store.infos[row].section == section:
        rows.append(row)
        row = store.infos[row].previous
    return time_of(store, rows[::-1], lexicon, own=own)
