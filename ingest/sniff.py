"""Decide what a body is from its bytes first, its label second.

Servers mislabel (a PDF as text/html, an error page as application/pdf) and
URLs lie (`.html` serving a PDF), so the bytes win whenever they are
conclusive; the Content-Type or file extension decides only otherwise.
"""

from __future__ import annotations

from pathlib import PurePath

from dossier.types import DocFormat

PDF_MAGIC = b"%PDF-"
_PDF_TYPES = ("application/pdf", "application/x-pdf", "application/acrobat")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
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
            return "text"
        return "html" if looks_like_html(body) else "text"
    kind = media_type(content_type)
    if kind in _PDF_TYPES:
        return "html" if looks_like_html(body) else "pdf"
    if kind == "text/plain" or kind == "text/markdown":
        return "text"
    return "html"
