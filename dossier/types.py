"""Types shared along the flow corpus → ingest → index → service → eval.

Everything that crosses a package boundary is defined here, once, so that a
passage written by ingest is the same object the service cites.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SOURCE_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"

Mode = Literal["hybrid", "dense", "lexical"]

# A heading-like line: short, first in its block (after a blank line or the start) and not
# ending like a sentence. Extracted HTML and plain text put it alone between blank lines;
# PDF text puts it right above its paragraph, so there it must be much shorter than the
# line that follows (a hard-wrapped paragraph's first line is not).
_HEADING_LINE = re.compile(r"(?:^|(?<=\n\n))([^\n]{1,80})(?:\n\n|\Z|\n([^\n]*))")
_HEADING_NUMBER = re.compile(r"^\s*(?:(?:[IVXLC]+|\d+(?:\.\d+)*|[A-Za-z])[.)]\s+)+")
_SENTENCE_END = tuple(".!?;,…\"”’')]")
MAX_HEADING_WORDS = 12
DocFormat = Literal["html", "pdf", "text"]


class SourceSpec(BaseModel):
    """One entry of `corpus/sources.toml`: where a source lives and what is known of it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=SOURCE_ID_PATTERN)
    url: str | None = None
    path: str | None = Field(
        default=None, description="A local file, relative to the sources file."
    )
    title: str | None = None
    language: str | None = None
    publisher: str | None = None
    author: str | None = None
    date: str | None = None
    type: str | None = None
    notes: str | None = None
    landing_page: bool = Field(
        default=False, description="The URL is a page that links to the PDF holding the text."
    )
    pdf_link: str | None = Field(
        default=None,
        description="A regular expression the PDF link on the landing page must match.",
    )

    @model_validator(mode="after")
    def _one_location(self) -> SourceSpec:
        if (self.url is None) == (self.path is None):
            raise ValueError(f"source {self.id!r}: give exactly one of `url` or `path`")
        return self

    @property
    def location(self) -> str:
        return self.url or self.path or ""


class FailureKind(StrEnum):
    """Why a source could not be used; the CLI table and the JSON report show it."""

    DNS = "dns"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    NETWORK = "network"
    HTTP = "http"
    TOO_LARGE = "too_large"
    REDIRECTS = "redirects"
    NO_PDF_LINK = "no_pdf_link"
    UNPARSABLE = "unparsable"
    EMPTY = "empty"
    NOT_CACHED = "not_cached"
    MISSING_FILE = "missing_file"
    BLOCKED = "blocked"  # an internal address (SSRF guard)
    SCHEME = "scheme"  # not http or https, e.g. a redirect to data: or file:
    DUPLICATE = "duplicate"  # same extracted text as an earlier source


class FetchRecord(BaseModel):
    """What ingest kept of one retrieval: enough to rebuild offline and to revalidate."""

    source_id: str
    url: str
    final_url: str
    status: int | None = None
    fetched_at: datetime
    sha256: str
    size: int
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    origin: Literal["http", "http-304", "cache", "manual", "file"] = "http"


class PageSpan(BaseModel):
    """Where one PDF page lies in the extracted text."""

    page: int
    start: int
    end: int


class Document(BaseModel):
    """A source's extracted text with its metadata; offsets everywhere index into `text`."""

    source_id: str
    text: str
    format: DocFormat
    title: str | None = None
    url: str | None = None
    author: str | None = None
    date: str | None = None
    language: str | None = None
    sha256: str = Field(description="sha256 of the raw bytes the text was extracted from.")
    pages: list[PageSpan] = Field(default_factory=list)

    def page_at(self, offset: int) -> int | None:
        """The PDF page holding character `offset`, or None for formats without pages."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span.page
        return self.pages[-1].page if self.pages and offset >= self.pages[-1].end else None

    def headings(self) -> list[tuple[int, str]]:
        """Heading-like lines as (offset, heading without its numbering), in text order.

        Extraction keeps no markup, so a heading is recognised by its shape (see
        `_HEADING_LINE`): short, first in its block, not ending like a sentence,
        starting with a capital or a digit. The document's own title is skipped.
        """
        title = (self.title or "").strip().casefold()
        found = []
        for match in _HEADING_LINE.finditer(self.text):
            line = match.group(1).strip()
            below = match.group(2)
            if below is not None and len(line) > 0.6 * len(below.strip()):
                continue
            heading = _HEADING_NUMBER.sub("", line).strip().rstrip(":").strip()
            if (
                not heading
                or line.endswith(_SENTENCE_END)
                or len(heading.split()) > MAX_HEADING_WORDS
                or not any(ch.isalpha() for ch in heading)
                or heading[0].islower()
                or heading.casefold() == title
            ):
                continue
            found.append((match.start(1), heading))
        return found

    def section_at(self, offset: int) -> str | None:
        """The nearest heading at or before `offset` (see `headings`), or None before any."""
        headings = self.headings()
        i = bisect_right([start for start, _ in headings], offset)
        return headings[i - 1][1] if i else None


class Passage(BaseModel):
    """A span of a document: `text == document.text[start:end]`."""

    id: str
    source_id: str
    text: str
    start: int
    end: int
    page: int | None = None
    language: str | None = Field(
        default=None, description="ISO 639-1 code of the passage's text (its document's)."
    )


class ScoredPassage(Passage):
    score: float


class SourceStatus(BaseModel):
    """One row of the ingest report."""

    source_id: str
    location: str
    title: str | None = None
    ok: bool
    failure: FailureKind | None = None
    reason: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    origin: str | None = None
    format: DocFormat | None = None
    chars: int = 0
    passages: int = 0
    fetched_at: datetime | None = None
    duplicate_of: str | None = Field(
        default=None, description="For a duplicate: the source whose identical text is indexed."
    )


class IngestReport(BaseModel):
    started_at: datetime
    finished_at: datetime
    offline: bool = False
    sources: list[SourceStatus]

    @property
    def outcome(self) -> Literal["all", "some", "none"]:
        ok = sum(s.ok for s in self.sources)
        if ok == len(self.sources):
            return "all"
        return "some" if ok else "none"


class Citation(BaseModel):
    """Where a sentence of an answer comes from: `quote == document.text[start:end]`."""

    n: int
    source_id: str
    title: str | None
    url: str | None
    passage_id: str
    quote: str
    start: int
    end: int
    page: int | None
    language: str | None = Field(
        default=None, description="ISO 639-1 code of the quote's language, which it is kept in."
    )


class AnswerSpan(BaseModel):
    """A short answer (a date, a figure, a name) in a cited sentence.

    `text == document.text[start:end]`, like a citation's quote.
    """

    text: str
    source_id: str
    start: int
    end: int
    citation: int = Field(description="The `n` of the citation whose quote holds it.")


class Answer(BaseModel):
    answer: str
    abstained: bool
    citations: list[Citation]
    passages: list[ScoredPassage]
    answer_span: AnswerSpan | None = Field(
        default=None, description="The short answer, when the question asks for one."
    )
    timings: dict[str, float] = Field(
        default_factory=dict, description="Milliseconds spent in each stage."
    )
    confidence: float | None = Field(
        default=None,
        description="How sure the answer step is that the citations answer the question "
        "(its answerability score); the evaluation's risk–coverage curve sorts answers by it.",
    )
