"""Evaluation sets: JSON Lines of questions with expected answers and evidence.

One question per line::

    {"id": "q01", "split": "tune", "category": "date", "question": "…", "answers": ["2001"],
     "evidence": [{"source": "article", "quote": "This was completed in 2001."}]}
    {"id": "q40", "split": "test", "category": "multipart", "question": "…",
     "answers_all": [["Tengiz"], ["Novorossiysk"]], "evidence": [...]}
    {"id": "q61", "split": "test", "category": "unanswerable-nearmiss", "question": "…",
     "answerable": false}

* ``split``: ``tune`` (what the answer step may be fitted on) or ``test`` (what
  is reported and gated on). Fixed in the file, so a question never changes side.
* ``category``: what the question exercises, one of :data:`CATEGORIES`;
  ``unanswerable-*`` categories are exactly the unanswerable questions, a
  ``multipart`` question has at least two ``answers_all`` groups and an
  ``antecedent`` question at least two evidence items (the sentence the answer
  refers back to, then the answer's own).
* ``answers``: short strings; a correct answer contains at least one of them
  (see :func:`dossier.eval.metrics.answer_contains`).
* ``answers_all``: groups of short strings; a correct answer contains one
  string of EVERY group (and one of ``answers`` when both are given): a
  multi-part question is right only when each part is answered.
* ``evidence``: where the answer is stated. ``source`` is a source id of
  ``corpus/sources.toml``; ``quote``, when given, is an exact excerpt of that
  source's text up to whitespace (runs of whitespace count as one space), found
  with :func:`locate_quote`. Without a quote, the whole source is the evidence.
* An answerable question needs at least one answer (in ``answers`` or
  ``answers_all``) and one evidence item; an unanswerable one
  (``"answerable": false``) has none of them.

Blank lines are skipped. Unknown keys are errors (a misspelt ``"answer"``
would otherwise silently drop the expected answers).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dossier.types import SOURCE_ID_PATTERN

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
Split = Literal["tune", "test"]
SPLITS: tuple[str, ...] = ("tune", "test")
ANSWERABLE_CATEGORIES = (
    "fact",
    "number",
    "date",
    "person",
    "paraphrase",
    "multipart",
    "antecedent",
)
UNANSWERABLE_CATEGORIES = ("unanswerable-nearmiss", "unanswerable-offtopic")
CATEGORIES = ANSWERABLE_CATEGORIES + UNANSWERABLE_CATEGORIES
_WS = re.compile(r"\s+")


class EvalSetError(Exception):
    """A set that cannot be used; the message names the file, the line and the problem."""


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(pattern=SOURCE_ID_PATTERN)
    quote: str | None = None

    @field_validator("quote")
    @classmethod
    def _quote_not_blank(cls, quote: str | None) -> str | None:
        if quote is not None and not quote.strip():
            raise ValueError("a quote must not be blank (leave it out to cite the whole source)")
        return quote


class EvalItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN)
    split: Split | None = None
    category: str | None = None
    question: str
    answers: list[str] = Field(default_factory=list)
    answers_all: list[list[str]] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    answerable: bool = True

    @property
    def expected_groups(self) -> list[list[str]]:
        """What a correct answer must contain: one string of each group."""
        return ([self.answers] if self.answers else []) + [list(g) for g in self.answers_all]

    @field_validator("question")
    @classmethod
    def _question_not_blank(cls, question: str) -> str:
        if not question.strip():
            raise ValueError("the question is blank")
        return question

    @field_validator("answers")
    @classmethod
    def _answers_not_blank(cls, answers: list[str]) -> list[str]:
        if any(not a.strip() for a in answers):
            raise ValueError("an expected answer is blank")
        return answers

    @field_validator("answers_all")
    @classmethod
    def _groups_not_blank(cls, groups: list[list[str]]) -> list[list[str]]:
        if any(not group for group in groups):
            raise ValueError("an answers_all group is empty (each group lists one part's answers)")
        if any(not a.strip() for group in groups for a in group):
            raise ValueError("an expected answer is blank")
        return groups

    @field_validator("category")
    @classmethod
    def _known_category(cls, category: str | None) -> str | None:
        if category is not None and category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}; use one of {', '.join(CATEGORIES)}")
        return category

    @model_validator(mode="after")
    def _consistent(self) -> EvalItem:
        if self.answerable:
            if not self.evidence:
                raise ValueError("an answerable question needs at least one evidence item")
            if not self.answers and not self.answers_all:
                raise ValueError("an answerable question needs at least one expected answer")
        elif self.answers or self.answers_all or self.evidence:
            raise ValueError(
                "an unanswerable question (answerable: false) takes no answers or evidence"
            )
        if self.category is not None:
            if self.answerable != (self.category in ANSWERABLE_CATEGORIES):
                kind = "an answerable" if self.answerable else "an unanswerable"
                raise ValueError(f"category {self.category!r} does not fit {kind} question")
            if self.category == "multipart" and len(self.expected_groups) < 2:
                raise ValueError("a multipart question needs answers_all with a group per part")
            if self.category == "antecedent" and len(self.evidence) < 2:
                raise ValueError(
                    "an antecedent question needs two evidence items: the sentence referred "
                    "back to, then the answer's own"
                )
        return self


def _describe(error: ValidationError) -> str:
    parts = []
    for problem in error.errors():
        where = ".".join(str(p) for p in problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key"
        elif problem["type"] == "literal_error" and where == "split":
            message = f"unknown split {problem['input']!r}; use one of {', '.join(SPLITS)}"
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def load_set(path: str | Path) -> list[EvalItem]:
    """Read and check a set; every problem found is reported at once in one EvalSetError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise EvalSetError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalSetError(f"{path}: cannot read: {exc}") from exc
    items: list[EvalItem] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        if not isinstance(raw, dict):
            problems.append(f"{where}: expected a JSON object, got {type(raw).__name__}")
            continue
        label = f" ({raw['id']})" if isinstance(raw.get("id"), str) else ""
        try:
            item = EvalItem.model_validate(raw)
        except ValidationError as exc:
            problems.append(f"{where}{label}: {_describe(exc)}")
            continue
        if item.id in first_line:
            problems.append(
                f"{where}: duplicate id {item.id!r} (first on line {first_line[item.id]})"
            )
            continue
        first_line[item.id] = number
        items.append(item)
    if problems:
        shown = problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise EvalSetError("\n".join(shown))
    if not items:
        raise EvalSetError(f"{path}: no questions")
    return items


def normalise_ws(text: str) -> str:
    """Runs of whitespace collapsed to one space, ends stripped."""
    return _WS.sub(" ", text).strip()


@lru_cache(maxsize=16)
def _normalised_with_offsets(text: str) -> tuple[str, tuple[int, ...]]:
    """The text with each whitespace run as one space, and for each of its characters
    the offset of the character it comes from in `text` (a run maps to its first character)."""
    chars: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _WS.finditer(text):
        chars.append(text[position : match.start()])
        offsets.extend(range(position, match.start()))
        chars.append(" ")
        offsets.append(match.start())
        position = match.end()
    chars.append(text[position:])
    offsets.extend(range(position, len(text)))
    return "".join(chars), tuple(offsets)


def locate_quote(document_text: str, quote: str) -> tuple[int, int] | None:
    """Where the quote is in the document, up to whitespace: (start, end) in the ORIGINAL text.

    Both are compared with runs of whitespace collapsed to one space (the
    quote's ends stripped); ``normalise_ws(document_text[start:end]) ==
    normalise_ws(quote)``. The first occurrence wins; None if absent or blank.
    """
    needle = normalise_ws(quote)
    if not needle:
        return None
    haystack, offsets = _normalised_with_offsets(document_text)
    found = haystack.find(needle)
    if found < 0:
        return None
    return offsets[found], offsets[found + len(needle) - 1] + 1


def select_split(items: list[EvalItem], split: str | None) -> list[EvalItem]:
    """The items of one split (all of them when `split` is None); an unknown split is an error."""
    if split is None:
        return items
    if split not in SPLITS:
        raise EvalSetError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    return [item for item in items if item.split == split]
