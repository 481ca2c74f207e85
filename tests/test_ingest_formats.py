"""Formats decided by bytes, charsets read as browsers read them, PDFs as viewers open them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest

from dossier.ingest.extract import ExtractionError, extract, normalize_text
from dossier.ingest.fetch import Fetcher
from dossier.ingest.pipeline import run_ingest
from dossier.ingest.sniff import decode_declared, detect_format, starts_like_html
from dossier.ingest.split import split_passages
from dossier.settings import Settings
from dossier.types import Document, FailureKind, SourceSpec

import sites
from sites import Site, fast_settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return fast_settings(tmp_path_factory.mktemp("formats") / "data")


@pytest.fixture(scope="module")
def fetcher(settings: Settings) -> Iterator[Fetcher]:
    with Fetcher(settings) as client:
        yield client


def document(site: Site, fetcher: Fetcher, settings: Settings, path: str) -> Document:
    spec = SourceSpec(id="s", url=site.url(path))
    return extract(spec, fetcher.fetch_source(spec), settings)


# -- labels that lie -----------------------------------------------------------------------


def test_html_labelled_text_plain_is_extracted_as_html(
    site: Site, fetcher: Fetcher, settings: Settings
) -> None:
    doc = document(site, fetcher, settings, sites.HTML_AS_TEXT)
    assert doc.format == "html" and doc.title == "Served as plain text"
    for paragraph in sites.ARTICLE_PARAGRAPHS:
        assert paragraph in doc.text
    for markup in ("<meta", "<p>", "<!DOCTYPE", sites.COOKIE_TEXT, sites.FOOTER_TEXT):
        assert markup not in doc.text


@pytest.mark.parametrize(
    ("body", "html"),
    [
        (b"<!DOCTYPE html><html><body><p>x</p></body></html>", True),
        (b"\n  <html lang='en'><p>x</p></html>", True),
        (b"<meta charset=utf-8><title>x</title>", True),
        (b"<p>A paragraph</p>", True),
        (b"Notes on the <div> element and <p> tags.", False),
        (b"<pre>not a page start</pre>", False),
        (b"plain words", False),
    ],
)
def test_html_sniffing_is_strict_about_the_first_tag(body: bytes, html: bool) -> None:
    assert starts_like_html(body) is html
    assert detect_format(body, content_type="text/plain") == ("html" if html else "text")


def test_text_plain_that_is_text_stays_text(
    site: Site, fetcher: Fetcher, settings: Settings
) -> None:
    doc = document(site, fetcher, settings, sites.PLAIN_TEXT)
    assert doc.format == "text" and doc.text == "\n\n".join(sites.ARTICLE_PARAGRAPHS)


# -- charsets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [sites.LATIN1_HEADER, sites.LATIN1_META, sites.ASCII_LABEL])
def test_latin1_and_ascii_labels_mean_windows_1252(
    site: Site, fetcher: Fetcher, settings: Settings, path: str
) -> None:
    doc = document(site, fetcher, settings, path)
    assert sites.WINDOWS_1252_TEXT in doc.text
    for character in "“”‘’–—€":
        assert character in doc.text
    assert "\ufffd" not in doc.text and not any("\x80" <= ch <= "\x9f" for ch in doc.text)


@pytest.mark.parametrize("label", ["iso-8859-1", "ISO_8859-1", "latin1", "l1", "ascii", "cp819"])
def test_whatwg_windows_1252_labels(label: str) -> None:
    assert decode_declared(b"\x93quoted\x94 \x80 \x81", label) == "“quoted” € \x81"


# -- PDFs ------------------------------------------------------------------------------------


def test_aes_pdf_with_an_empty_password_opens(
    site: Site, fetcher: Fetcher, settings: Settings
) -> None:
    assert pypdf.PdfReader(io.BytesIO(sites.encrypted_pdf(""))).is_encrypted
    doc = document(site, fetcher, settings, sites.AES_PDF)
    assert doc.format == "pdf" and [p.page for p in doc.pages] == [1, 2, 3]
    for keyword in sites.PDF_KEYWORDS:
        assert keyword in doc.text


def test_password_protected_pdf_says_so(
    site: Site, fetcher: Fetcher, settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(ExtractionError) as caught:
        document(site, fetcher, settings, sites.LOCKED_PDF)
    assert caught.value.kind == FailureKind.UNPARSABLE
    assert "password-protected" in caught.value.reason
    corpus = tmp_path / "sources.toml"
    corpus.write_text(
        f'[[source]]\nid = "locked"\nurl = "{site.url(sites.LOCKED_PDF)}"\n', encoding="utf-8"
    )
    local = fast_settings(tmp_path / "data", corpus)
    [status] = run_ingest(local, progress=False).report.sources
    assert "password-protected" in status.reason
    assert str(local.manual_dir / "locked") in status.reason


def test_ligatures_and_hyphenated_breaks_are_undone(
    site: Site, fetcher: Fetcher, settings: Settings
) -> None:
    raw = pypdf.PdfReader(io.BytesIO(sites.typeset_pdf())).pages[0].extract_text()
    assert "\ufb01" in raw and "adip-\niscing" in raw  # the PDF really has both
    doc = document(site, fetcher, settings, sites.LIGATURE_PDF)
    assert not any("\ufb00" <= ch <= "\ufb06" for ch in doc.text)
    assert doc.text.count("definition") == 2 and "The first definition" in doc.text
    for word in ("field", "flows", "effect", "tariffs", "office", "baffle", "adipiscing"):
        assert word in doc.text, word
    assert "Trans-\nCaspian" in doc.text  # a capital after the break: a real hyphen, kept
    # Offsets index the normalised text itself: every passage quotes it exactly.
    passages = split_passages(doc, 120, 30)
    assert len(passages) > 2
    for passage in passages:
        assert passage.text == doc.text[passage.start : passage.end]
    assert any("adipiscing" in p.text for p in passages)


def test_normalize_text_ligatures_and_hyphens() -> None:
    assert normalize_text("ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ") == "ff fi fl ffi ffl st st"
    assert normalize_text("adip-\n  iscing and re-\nEntry and 1990-\n1995") == (
        "adipiscing and re-\nEntry and 1990-\n1995"
    )
