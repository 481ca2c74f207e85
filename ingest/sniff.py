"""Decide what a body is from its bytes first, its label second.

Servers mislabel (a PDF as text/html, an error page as application/pdf) and
URLs lie (`.html` serving a PDF), so the bytes win whenever they are
conclusive; the Content-Type or file extension decides only otherwise.
"""

from __future__ import annotations

import codecs
import re
from pathlib import PurePath

from dossier.types import DocFormat

PDF_MAGIC = b"%PDF-"
_PDF_TYPES = ("application/pdf", "application/x-pdf", "application/acrobat")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
_HTML_START_TAGS = tuple(
    b"<" + name
    for name in (
        b"!doctype html",
        b"html",
        b"head",
        b"script",
        b"iframe",
        b"h1",
        b"div",
        b"font",
        b"table",
        b"a",
        b"style",
        b"title",
        b"b",
        b"body",
        b"br",
        b"p",
        b"meta",
        b"link",
    )
)
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<p>", b"<div")


def media_type(content_type: str | None) -> str:
    """`text/html; charset=utf-8` → `text/html` (lower case, '' when missing)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


# WHATWG Encoding Standard: labels browsers decode as another encoding. Above all,
# every latin-1/ascii label means windows-1252 (curly quotes, dashes and € live in
# 0x80-0x9f, which iso-8859-1 proper would turn into control characters).
_WINDOWS_1252_LABELS = {
    "ansi_x3.4-1968",
    "ascii",
    "cp1252",
    "cp819",
    "csisolatin1",
    "ibm819",
    "iso-8859-1",
    "iso-ir-100",
    "iso8859-1",
    "iso88591",
    "iso_8859-1",
    "iso_8859-1:1987",
    "l1",
    "latin1",
    "us-ascii",
    "windows-1252",
    "x-cp1252",
}
_WHATWG_ALIASES = {
    **dict.fromkeys(_WINDOWS_1252_LABELS, "whatwg-1252"),
    **dict.fromkeys(
        ("iso-8859-9", "iso8859-9", "iso88599", "iso_8859-9", "latin5", "l5", "windows-1254"),
        "cp1254",
    ),
    **dict.fromkeys(("iso-8859-11", "iso8859-11", "tis-620", "windows-874"), "cp874"),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk", "chinese", "csgb2312"), "gb18030"),
    **dict.fromkeys(("ks_c_5601-1987", "euc-kr", "korean", "windows-949"), "cp949"),
}
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)


def _c1_passthrough(error: UnicodeError) -> tuple[str, int]:
    """WHATWG windows-1252 maps the five bytes cp1252 leaves undefined to U+0081…U+009D."""
    assert isinstance(error, UnicodeDecodeError)
    return chr(error.object[error.start]), error.start + 1


codecs.register_error("dossier-c1", _c1_passthrough)


def decode_declared(body: bytes, label: str) -> str:
    """`body` decoded as a declared charset, the way browsers read that label.

    Raises LookupError for an unknown label, UnicodeDecodeError for bytes it cannot hold.
    """
    name = _WHATWG_ALIASES.get(label.strip().lower(), label.strip())
    if name == "whatwg-1252":
        return body.decode("cp1252", errors="dossier-c1")
    return body.decode(name)


def meta_charset(body: bytes) -> str | None:
    """The charset an HTML page declares in a `<meta>` in its first 1024 bytes."""
    match = _META_CHARSET.search(body[:1024])
    return match.group(1).decode("ascii") if match else None


def has_pdf_magic(body: bytes) -> bool:
    """PDF readers accept the header anywhere in the first 1024 bytes; so do we."""
    return PDF_MAGIC in body[:1024]


def is_pdf(body: bytes, content_type: str | None = None) -> bool:
    """A PDF by its magic bytes, or by its label when the bytes do not say otherwise."""
    if has_pdf_magic(body):
        return True
    return media_type(content_type) in _PDF_TYPES and not looks_like_html(body)


def looks_like_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return any(marker in head for marker in _HTML_MARKERS)


def starts_like_html(body: bytes) -> bool:
    """The WHATWG MIME-sniffing test for HTML: the first tag is an HTML one.

    Stricter than `looks_like_html` (which finds markers anywhere near the
    start), so a plain-text file that merely mentions `<div` stays text.
    """
    head = body[:1024].lstrip(b"\xef\xbb\xbf\t\n\x0c\r ").lower()
    for tag in _HTML_START_TAGS:
        if head.startswith(tag) and head[len(tag) : len(tag) + 1] in (b" ", b">", b"\n", b"\t"):
            return True
    return head.startswith(b"<!--") and looks_like_html(body)


def detect_format(
    body: bytes, *, content_type: str | None = None, filename: str | None = None
) -> DocFormat:
    """The format to extract `body` as.

    `filename` is given for local and drop-in files (the extension is the
    best label there), `content_type` for HTTP responses.
    """
    if has_pdf_magic(body):
        return "pdf"
    if filename is not None:
        suffix = PurePath(filename).suffix.lower()
        if suffix == ".pdf":
            return "pdf"
        if suffix in _HTML_SUFFIXES:
            return "html"
        if suffix in _TEXT_SUFFIXES:
            return "html" if suffix != ".md" and starts_like_html(body) else "text"
        return "html" if looks_like_html(body) else "text"
    kind = media_type(content_type)
    if kind in _PDF_TYPES:
        return "html" if looks_like_html(body) else "pdf"
    if kind == "text/plain":
        # Servers label whole pages text/plain; indexed as text, their markup
        # (meta tags, scripts) would crowd the real passages out of search.
        return "html" if starts_like_html(body) else "text"
    if kind == "text/markdown":
        return "text"
    return "html"
