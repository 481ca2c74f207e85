"""Request and response bodies of the HTTP API (the CLI prints the same JSON)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dossier.types import Mode, Passage, ScoredPassage

MAX_QUESTION_CHARS = 2000
MAX_K = 50
# What `_non_blank` enforces, stated in the schema: some character that is not whitespace.
NON_BLANK = {"minLength": 1, "pattern": r"\S"}


class _Query(BaseModel):
    model_config = ConfigDict(extra="forbid")

    k: int = Field(default=5, ge=1, le=MAX_K, description="How many passages to retrieve.")
    sources: list[str] | None = Field(
        default=None, description="Only search these source ids.", min_length=1
    )
    mode: Mode | None = Field(default=None, description="Retrieval mode; default from settings.")


def _non_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty or only whitespace")
    return value


class AskRequest(_Query):
    question: str = Field(
        max_length=MAX_QUESTION_CHARS,
        json_schema_extra=NON_BLANK,
        examples=["When was the pipeline completed, and who built it?"],
    )

    _strip = field_validator("question")(_non_blank)


class SearchRequest(_Query):
    query: str = Field(max_length=MAX_QUESTION_CHARS, json_schema_extra=NON_BLANK)

    _strip = field_validator("query")(_non_blank)


class SearchResponse(BaseModel):
    query: str
    mode: Mode
    passages: list[ScoredPassage]
    timings: dict[str, float]


class SourceInfo(BaseModel):
    """A corpus entry with what ingest made of it."""

    id: str
    title: str | None
    url: str | None = Field(description="The web address; null for a local file.")
    file: str | None = Field(
        default=None, description="A local source's file name (never a server path)."
    )
    language: str | None = None
    author: str | None = None
    date: str | None = None
    format: str | None = None
    status: str = Field(description="`ok` when indexed, `failed` when ingest could not use it.")
    failure: str | None = None
    reason: str | None = None
    http_status: int | None = None
    fetched_at: datetime | None = None
    origin: str | None = None
    passages: int = 0
    chars: int = 0
    pages: int | None = None


class SourceRef(BaseModel):
    id: str
    title: str | None
    url: str | None


class TextSpan(BaseModel):
    start: int
    end: int
    text: str


class PassageContext(BaseModel):
    """A passage with its neighbours in the same source, for reading a citation in context.

    `context` is the document text from the first neighbour's start to the last
    one's end, so a citation's offsets can be highlighted in it directly.
    """

    passage: Passage
    source: SourceRef
    before: list[Passage]
    after: list[Passage]
    context: TextSpan
    section: str | None = Field(
        default=None, description="The heading of the section the passage starts in, if any."
    )


class SpanContext(BaseModel):
    """A span of a source (a citation's offsets) with the text around it, for reading it.

    `context` covers `start`–`end` and the surrounding paragraph(s), so the span can be
    highlighted in it at `start - context.start`.
    """

    source: SourceRef
    start: int
    end: int
    quote: str = Field(description="The source text from `start` to `end`.")
    section: str | None = Field(description="The nearest heading before `start`, if any.")
    page: int | None = Field(description="The PDF page `start` lies on; None for other formats.")
    context: TextSpan


class Examples(BaseModel):
    """Questions the chat page offers on an empty conversation."""

    questions: list[str]


class ErrorBody(BaseModel):
    detail: str
    errors: list[dict] = Field(default_factory=list)
