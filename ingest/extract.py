"""Turn raw bytes into a `Document`: the text, its metadata and (for PDFs) page spans.

HTML goes through trafilatura (main text without navigation, banners or
footers), PDFs through pypdf page by page, text files as they are. The text
is normalised lightly *before* any offset is computed, so `Document.pages`
and every later passage offset index the final `Document.text`.

Metadata: a value written in sources.toml wins over the extracted one (a
human checked it; extraction guesses, e.g. a PDF "title" is often a file
name); extraction fills the fields the spec leaves empty.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from dossier.settings import Settings
from dossier.types import DocFormat, Document, FailureKind, PageSpan, SourceSpec

from .errors import SourceError
from .fetch import Fetched
from .sniff import charset, decode_declared, detect_format, meta_charset

if TYPE_CHECKING:
    import pypdf

# trafilatura and pypdf are imported where HTML or a PDF is read: together they are most
# of an ingest's start-up (about 0.9 s here), and a corpus of text files needs neither.

log = logging.getLogger(__name__)

PAGE_SEPARATOR = "\n\n"
_SPACES = re.compile(r"[ \t\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u00ad\u200b\u2060\ufeff]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n{3,}")
_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
    }
)
_HYPHEN_BREAK = re.compile(r"([^\W\d_])[-\u2010]\n([^\W\d_])")
_EMPTY_CAUSES: dict[DocFormat, str] = {
    "html": "a consent wall, a script-only page, a paywall or an error page?",
    "pdf": "a scanned PDF (page images without a text layer)?",
    "text": "an empty or nearly empty file?",
}


class ExtractionError(SourceError):
    """Bytes that yield no usable text: UNPARSABLE (cannot be read) or EMPTY (too little)."""


def normalize_text(text: str) -> str:
    """Light clean-up that keeps the text recognisable for quoting and findable by search.

    NFC; typographic ligatures expanded (pdfTeX's "ﬁ" is two letters to a
    reader and to search); newlines unified (form feeds become newlines);
    soft hyphens, zero-width spaces and stray control characters dropped;
    runs of spaces collapsed and lines stripped; a word hyphenated across a
    line break joined ("adip-\\niscing" → "adipiscing") when the next line
    goes on in lower case; at most one blank line in a row. This is the
    document's text itself, so every offset computed later indexes it.
    """
    text = unicodedata.normalize("NFC", text).translate(_LIGATURES)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = _CONTROLS.sub("", _INVISIBLE.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    text = _HYPHEN_BREAK.sub(_join_hyphenated, "\n".join(lines))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _join_hyphenated(match: re.Match[str]) -> str:
    before, after = match.group(1), match.group(2)
    return before + after if after.islower() else match.group(0)


def extract(spec: SourceSpec, fetched: Fetched, settings: Settings) -> Document:
    """The document held by `fetched`, or an `ExtractionError` saying why there is none."""
    record = fetched.record
    from_disk = record.origin in ("file", "manual")
    fmt = detect_format(
        fetched.body,
        content_type=None if from_disk else record.content_type,
        filename=record.url if from_disk else None,
    )
    pages: list[PageSpan] = []
    if fmt == "pdf":
        text, pages, found = _extract_pdf(fetched.body)
    elif fmt == "html":
        text, found = _extract_html(fetched.body, record.content_type, record.final_url)
    else:
        text, found = normalize_text(_decode(fetched.body, record.content_type)), {}

    if len(text) < settings.min_text_chars:
        count = found.get("page_count")
        where = f" from {count} PDF page{'s' if count != 1 else ''}" if count else ""
        raise ExtractionError(
            FailureKind.EMPTY,
            f"extracted {len(text)} characters{where} (fewer than min_text_chars="
            f"{settings.min_text_chars}): {_EMPTY_CAUSES[fmt]}",
        )
    url = spec.url if from_disk else record.final_url
    return Document(
        source_id=spec.id,
        text=text,
        format=fmt,
        title=spec.title or found.get("title"),
        url=url,
        author=spec.author or found.get("author"),
        date=spec.date or found.get("date"),
        language=spec.language or found.get("language"),
        sha256=record.sha256,
        pages=pages,
    )


# -- text ------------------------------------------------------------------


def _decode(body: bytes, content_type: str | None) -> str:
    """Bytes to str: UTF-8 first, then the declared charset (header, else `<meta>`), then a guess.

    A declared label is read as browsers read it (WHATWG): iso-8859-1, latin1
    and ascii mean windows-1252.
    """
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
        for declared in (charset(content_type), meta_charset(body)):
            if declared:
                try:
                    text = decode_declared(body, declared)
                    break
                except (LookupError, UnicodeDecodeError):
                    continue
        if not text:
            from trafilatura.utils import decode_file

            text = decode_file(body)
    if _garbled(text):
        raise ExtractionError(
            FailureKind.UNPARSABLE,
            "the body is not text (binary data, e.g. an image or an archive, served as "
            f"{content_type or 'text'})",
        )
    return text


def _garbled(text: str) -> bool:
    sample = text[:8192]
    if not sample:
        return False
    if "\x00" in sample:
        return True
    bad = sum(1 for ch in sample if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r\f"))
    return bad / len(sample) > 0.05


# -- HTML ------------------------------------------------------------------


def _extract_html(body: bytes, content_type: str | None, url: str) -> tuple[str, dict[str, Any]]:
    import trafilatura

    html = _decode(body, content_type)
    tree = trafilatura.load_html(html)
    if tree is None:
        raise ExtractionError(FailureKind.UNPARSABLE, "the body could not be parsed as HTML")
    found: dict[str, Any] = {"language": _html_language(tree)}
    try:
        result = trafilatura.bare_extraction(
            tree, url=url, with_metadata=True, include_comments=False, include_tables=True
        )
    except Exception as exc:  # trafilatura has no exception hierarchy of its own
        raise ExtractionError(
            FailureKind.UNPARSABLE, f"HTML extraction failed: {type(exc).__name__}: {exc}"
        ) from exc
    if result is None:
        return "", found
    # trafilatura puts one block (paragraph, heading, list item) per line; a
    # blank line between blocks keeps headings out of the next sentence.
    blocks = (normalize_text(line) for line in (result.text or "").split("\n"))
    text = PAGE_SEPARATOR.join(block for block in blocks if block)
    found.update(
        title=_clean(result.title),
        author=_clean(result.author),
        date=_clean(result.date),
        language=_clean(getattr(result, "language", None)) or found["language"],
    )
    return text, found


def _html_language(tree: Any) -> str | None:
    """The primary subtag of `<html lang>` ("en-GB" → "en")."""
    root = tree.getroottree().getroot() if hasattr(tree, "getroottree") else tree
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or ""
    primary = lang.strip().split("-")[0].split("_")[0].lower()
    return primary or None


def _clean(value: object) -> str | None:
    if value is None:
        return None
    text = normalize_text(str(value))
    return text or None


# -- PDF -------------------------------------------------------------------


def _extract_pdf(body: bytes) -> tuple[str, list[PageSpan], dict[str, Any]]:
    """Text of every page joined by a blank line, with where each page lies in it."""
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(body))
        # An empty user password (owner-only restrictions) opens in any viewer; AES
        # needs `cryptography`, a pinned dependency.
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError(
                FailureKind.UNPARSABLE,
                "the PDF is password-protected: it cannot be opened without its password; "
                "save an unlocked copy as a drop-in file",
            )
        page_list = list(reader.pages)
    except ExtractionError:
        raise
    except Exception as exc:  # pypdf raises many types for broken files
        raise ExtractionError(
            FailureKind.UNPARSABLE, f"not a readable PDF ({type(exc).__name__}: {exc})"
        ) from exc
    if not page_list:
        raise ExtractionError(FailureKind.UNPARSABLE, "the PDF has no pages")

    parts: list[str] = []
    pages: list[PageSpan] = []
    failed = 0
    offset = 0
    for number, page in enumerate(page_list, start=1):
        try:
            page_text = normalize_text(page.extract_text() or "")
        except Exception as exc:  # one bad page should not lose the others
            failed += 1
            log.warning("page %d: text extraction failed: %s", number, exc)
            continue
        if not page_text:
            continue
        if parts:
            offset += len(PAGE_SEPARATOR)
        pages.append(PageSpan(page=number, start=offset, end=offset + len(page_text)))
        parts.append(page_text)
        offset += len(page_text)
    if failed == len(page_list):
        raise ExtractionError(FailureKind.UNPARSABLE, "no page of the PDF could be read")
    text = PAGE_SEPARATOR.join(parts)
    return text, pages, {**_pdf_metadata(reader), "page_count": len(page_list)}


def _pdf_metadata(reader: pypdf.PdfReader) -> dict[str, Any]:
    found: dict[str, Any] = {}
    try:
        info = reader.metadata
        if info is not None:
            found["title"] = _clean(info.title)
            found["author"] = _clean(info.author)
            if info.creation_date is not None:
                found["date"] = info.creation_date.date().isoformat()
        lang = reader.trailer["/Root"].get("/Lang")
        if lang:
            found["language"] = str(lang).strip().split("-")[0].lower() or None
    except Exception as exc:  # metadata is optional; broken metadata is common
        log.debug("ignoring unreadable PDF metadata: %s", exc)
    return found
