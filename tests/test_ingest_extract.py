"""Extraction from real fetched HTML and PDF bytes, and from local files."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from dossier.ingest.errors import SourceError
from dossier.ingest.extract import ExtractionError, extract, normalize_text
from dossier.ingest.fetch import Fetched, Fetcher
from dossier.ingest.local import manual_file, read_file
from dossier.settings import Settings
from dossier.types import Document, FailureKind, SourceSpec

import sites
from sites import Site, fast_settings

ARTICLE_TXT = Path(__file__).resolve().parent.parent / "corpus" / "article.txt"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return fast_settings(tmp_path_factory.mktemp("extract") / "data")


@pytest.fixture(scope="module")
def fetcher(settings: Settings) -> Iterator[Fetcher]:
    with Fetcher(settings) as client:
        yield client


def fetch_and_extract(
    site: Site, fetcher: Fetcher, settings: Settings, path: str, **spec: object
) -> tuple[Fetched, Document]:
    url = site.url(path)
    fetched = fetcher.get(url, source_id="s")
    return fetched, extract(SourceSpec(id="s", url=url, **spec), fetched, settings)  # type: ignore[arg-type]


def extraction_error(site: Site, fetcher: Fetcher, settings: Settings, path: str) -> SourceError:
    with pytest.raises(ExtractionError) as caught:
        fetch_and_extract(site, fetcher, settings, path)
    return caught.value


# -- HTML ------------------------------------------------------------------------------


def test_html_main_text_and_metadata(site: Site, fetcher: Fetcher, settings: Settings) -> None:
    fetched, document = fetch_and_extract(site, fetcher, settings, sites.ARTICLE)
    assert document.format == "html"
    assert document.title == sites.ARTICLE_TITLE
    assert document.author == sites.ARTICLE_AUTHOR
    assert document.date == sites.ARTICLE_DATE
    assert document.language == "en"  # from <html lang="en-GB">
    assert document.url == site.url(sites.ARTICLE)
    assert document.sha256 == hashlib.sha256(fetched.body).hexdigest()
    assert document.pages == []
    for paragraph in sites.ARTICLE_PARAGRAPHS:
        assert paragraph in document.text
    for furniture in (sites.COOKIE_TEXT, sites.FOOTER_TEXT, sites.NAV_TEXT, "Most read"):
        assert furniture not in document.text
    # Blocks are separated by blank lines, so the heading stands alone.
    assert f"\n\n{sites.ARTICLE_SUBHEADING}\n\n" in document.text


def test_spec_metadata_wins_over_extracted(
    site: Site, fetcher: Fetcher, settings: Settings
) -> None:
    _, document = fetch_and_extract(
        site,
        fetcher,
        settings,
        sites.ARTICLE,
        title="Curated title",
        author="A. Human",
        language="kk",
    )
    assert (document.title, document.author, document.language) == (
        "Curated title",
        "A. Human",
        "kk",
    )
    assert document.date == sites.ARTICLE_DATE  # not in the spec: extracted


def test_consent_wall_is_empty(site: Site, fetcher: Fetcher, settings: Settings) -> None:
    error = extraction_error(site, fetcher, settings, sites.CONSENT)
    assert error.kind == FailureKind.EMPTY
    assert error.reason.startswith("extracted ")
    assert "consent wall, a script-only page" in error.reason


def test_binary_junk_labelled_html_is_unparsable(
    site: Site, fetcher: Fetcher, settings: Settings
) -> None:
    error = extraction_error(site, fetcher, settings, sites.JUNK)
    assert error.kind == FailureKind.UNPARSABLE
    assert "not text" in error.reason and "text/html" in error.reason


# -- PDF -------------------------------------------------------------------------------


def test_pdf_pages_and_offsets(site: Site, fetcher: Fetcher, settings: Settings) -> None:
    fetched, document = fetch_and_extract(site, fetcher, settings, sites.PDF)
    assert document.format == "pdf"
    assert document.title == sites.PDF_TITLE  # from the PDF's metadata
    assert document.author == "Adrian Dellecker"
    assert document.sha256 == hashlib.sha256(fetched.body).hexdigest()
    assert [span.page for span in document.pages] == [1, 2, 3]
    previous_end = 0
    for span, keyword in zip(document.pages, sites.PDF_KEYWORDS, strict=True):
        page_text = document.text[span.start : span.end]
        assert page_text == page_text.strip() and keyword in page_text
        others = [k for k in sites.PDF_KEYWORDS if k != keyword]
        assert not any(k in page_text for k in others)
        assert span.start == (0 if span.page == 1 else previous_end + 2)
        previous_end = span.end
        assert document.page_at(span.start) == span.page
        assert document.page_at(span.end - 1) == span.page
    assert document.pages[-1].end == len(document.text)
    # Light normalisation: no runs of spaces survive.
    assert "  " not in document.text


def test_pdf_under_html_url_is_a_pdf(site: Site, fetcher: Fetcher, settings: Settings) -> None:
    _, document = fetch_and_extract(site, fetcher, settings, sites.DISGUISED_PDF)
    assert document.format == "pdf" and len(document.pages) == 3


def test_scanned_pdf_is_empty(site: Site, fetcher: Fetcher, settings: Settings) -> None:
    error = extraction_error(site, fetcher, settings, sites.SCANNED)
    assert error.kind == FailureKind.EMPTY
    assert (
        error.reason.startswith("extracted 0 characters from 2 PDF pages")
        and "scanned PDF" in error.reason
    )


def test_corrupt_pdf_is_unparsable(site: Site, fetcher: Fetcher, settings: Settings) -> None:
    error = extraction_error(site, fetcher, settings, sites.CORRUPT_PDF)
    assert error.kind == FailureKind.UNPARSABLE
    assert error.reason.startswith("not a readable PDF")


# -- text and local files --------------------------------------------------------------


def test_plain_text_over_http(site: Site, fetcher: Fetcher, settings: Settings) -> None:
    _, document = fetch_and_extract(site, fetcher, settings, sites.PLAIN_TEXT)
    assert document.format == "text"
    assert document.text == "\n\n".join(sites.ARTICLE_PARAGRAPHS)


def test_the_real_article(settings: Settings) -> None:
    spec = SourceSpec(id="article", path=str(ARTICLE_TXT), title="Russia–Kazakhstan relations")
    fetched = read_file(ARTICLE_TXT, "article", "file")
    document = extract(spec, fetched, settings)
    assert document.format == "text" and document.title == "Russia–Kazakhstan relations"
    assert document.url is None
    assert document.text.startswith("Russia–Kazakhstan relations since the collapse")
    assert "Kazakhstan was the last state to leave the USSR, in December 1991." in document.text
    assert document.sha256 == hashlib.sha256(ARTICLE_TXT.read_bytes()).hexdigest()
    assert document.text == normalize_text(ARTICLE_TXT.read_text(encoding="utf-8"))


def test_missing_local_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        read_file(tmp_path / "gone.txt", "gone", "file")
    assert caught.value.kind == FailureKind.MISSING_FILE
    assert "gone.txt does not exist" in caught.value.reason


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("saved.htm", sites.article_html(), "html"),
        ("page", sites.article_html(), "html"),  # no extension: the bytes say HTML
        ("report.bin", sites.make_pdf(sites.PDF_PAGES), "pdf"),  # PDF magic wins
        ("notes.md", "\n\n".join(sites.ARTICLE_PARAGRAPHS).encode(), "text"),
    ],
)
def test_drop_in_format_from_bytes_or_extension(
    tmp_path: Path, settings: Settings, name: str, content: bytes, expected: str
) -> None:
    folder = tmp_path / "manual" / "s"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(content)
    (folder / ".DS_Store").write_bytes(b"\x00\x01")  # ignored
    found = manual_file(tmp_path / "manual", "s")
    assert found == folder / name
    spec = SourceSpec(id="s", url="https://example.org/original")
    document = extract(spec, read_file(found, "s", "manual"), settings)
    assert document.format == expected
    assert document.url == "https://example.org/original"  # cite the original, not the file


def test_newest_drop_in_wins(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    old, new = folder / "old.html", folder / "new.pdf"
    old.write_bytes(b"old")
    new.write_bytes(b"new")
    import os

    os.utime(old, (1_000_000, 1_000_000))
    os.utime(new, (2_000_000, 2_000_000))
    (folder / "partial.pdf.crdownload").write_bytes(b"unfinished")
    assert manual_file(tmp_path, "s") == new
    assert manual_file(tmp_path, "absent") is None


def test_normalize_text() -> None:
    raw = "\ufeffTitle\u00a0 here  \r\n\r\n\r\n\tBody\u00adtext  with \t spaces.\x0c Next page\n  "
    assert normalize_text(raw) == "Title here\n\nBody" + "text with spaces.\nNext page"
