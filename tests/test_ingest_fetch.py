"""The fetcher, the cache and landing pages, against a real HTTP server on loopback."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dossier.ingest.cache import Cache
from dossier.ingest.fetch import Fetched, Fetcher, FetchError
from dossier.ingest.landing import find_pdf_link
from dossier.ingest.sniff import detect_format, is_pdf
from dossier.settings import Settings
from dossier.types import FailureKind, SourceSpec

import sites
from sites import Site, fast_settings, fetch_failure


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fast_settings(tmp_path / "data")


@pytest.fixture
def fetcher(settings: Settings) -> Iterator[Fetcher]:
    with Fetcher(settings) as client:
        yield client


# -- success ---------------------------------------------------------------------------


def test_get_records_what_was_fetched(site: Site, fetcher: Fetcher, settings: Settings) -> None:
    fetched = fetcher.get(site.url(sites.ARTICLE), source_id="art")
    record = fetched.record
    assert fetched.body == sites.article_html()
    assert record.source_id == "art" and record.origin == "http" and record.status == 200
    assert record.url == record.final_url == site.url(sites.ARTICLE)
    assert record.sha256 == hashlib.sha256(fetched.body).hexdigest()
    assert record.size == len(fetched.body)
    assert record.content_type == "text/html; charset=utf-8"
    path, headers = site.requests[-1]
    assert path == sites.ARTICLE
    assert headers["User-Agent"] == settings.user_agent
    assert "If-None-Match" not in headers


def test_redirect_is_followed(site: Site, fetcher: Fetcher) -> None:
    fetched = fetcher.get(site.url(sites.MOVED), source_id="t")
    assert fetched.record.url == site.url(sites.MOVED)
    assert fetched.record.final_url == site.url(sites.ARTICLE)
    assert fetched.body == sites.article_html()


def test_pdf_is_detected_by_its_bytes_under_an_html_url(site: Site, fetcher: Fetcher) -> None:
    fetched = fetcher.get(site.url(sites.DISGUISED_PDF), source_id="t")
    assert fetched.record.content_type == "text/html"
    assert is_pdf(fetched.body, fetched.record.content_type)
    assert detect_format(fetched.body, content_type="text/html") == "pdf"


def test_transient_failures_are_retried_until_success(site: Site, fetcher: Fetcher) -> None:
    before = site.hits[sites.FLAKY]
    fetched = fetcher.get(site.url(sites.FLAKY), source_id="t")
    assert b"Flaky but fine" in fetched.body
    assert site.hits[sites.FLAKY] - before == 3  # 503, 503, 200


# -- failures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [(sites.NOT_FOUND, 404, "HTTP 404 Not Found"), (sites.FORBIDDEN, 403, "HTTP 403 Forbidden")],
)
def test_client_errors_are_not_retried(
    site: Site, fetcher: Fetcher, path: str, status: int, reason: str
) -> None:
    before = site.hits[path]
    error = fetch_failure(fetcher, site.url(path))
    assert (error.kind, error.http_status, error.reason) == (FailureKind.HTTP, status, reason)
    assert site.hits[path] - before == 1


def test_server_errors_are_retried(site: Site, fetcher: Fetcher, settings: Settings) -> None:
    before = site.hits[sites.SERVER_ERROR]
    error = fetch_failure(fetcher, site.url(sites.SERVER_ERROR))
    assert error.kind == FailureKind.HTTP and error.http_status == 500
    assert error.reason == "HTTP 500 Internal Server Error (after 3 attempts)"
    assert site.hits[sites.SERVER_ERROR] - before == settings.retries + 1


def test_backoff_doubles(site: Site, settings: Settings) -> None:
    delays: list[float] = []
    with (
        Fetcher(
            settings.model_copy(update={"retries": 3, "backoff": 0.5}), sleep=delays.append
        ) as f,
        pytest.raises(FetchError),
    ):
        f.get(site.url(sites.SERVER_ERROR), source_id="t")
    assert delays == [0.5, 1.0, 2.0]


def test_slow_response_times_out(site: Site, fetcher: Fetcher, settings: Settings) -> None:
    started = time.monotonic()
    error = fetch_failure(fetcher, site.url(sites.SLOW))
    assert error.kind == FailureKind.TIMEOUT
    assert "read timeout" in error.reason and "after 3 attempts" in error.reason
    assert time.monotonic() - started < 3 * settings.read_timeout + 1


def test_declared_oversize_is_refused_before_download(site: Site, fetcher: Fetcher) -> None:
    error = fetch_failure(fetcher, site.url(sites.BIG_DECLARED))
    assert error.kind == FailureKind.TOO_LARGE
    assert "declared size 390.6 KB exceeds the limit of 195.3 KB (max_bytes)" in error.reason


def test_streamed_oversize_is_stopped(site: Site, fetcher: Fetcher) -> None:
    error = fetch_failure(fetcher, site.url(sites.BIG_STREAMED))
    assert error.kind == FailureKind.TOO_LARGE
    assert "download stopped" in error.reason


def test_redirect_loop(site: Site, fetcher: Fetcher) -> None:
    error = fetch_failure(fetcher, site.url(sites.LOOP_A))
    assert error.kind == FailureKind.REDIRECTS
    assert error.reason.startswith("redirect loop: ")
    assert error.reason.count("/loop/a") == 2


def test_too_many_redirects(site: Site, settings: Settings) -> None:
    no_redirects = settings.model_copy(update={"max_redirects": 0})
    with Fetcher(no_redirects) as f, pytest.raises(FetchError) as caught:
        f.get(site.url(sites.MOVED), source_id="t")
    assert caught.value.kind == FailureKind.REDIRECTS
    assert "more than 0 redirects (max_redirects)" in caught.value.reason


def test_connection_refused(fetcher: Fetcher) -> None:
    error = fetch_failure(fetcher, sites.refused_url())
    assert error.kind == FailureKind.REFUSED
    assert "refused" in error.reason


def test_unresolvable_host(fetcher: Fetcher) -> None:
    error = fetch_failure(fetcher, sites.UNRESOLVABLE_URL)
    assert error.kind == FailureKind.DNS
    assert "cannot resolve host 'nonexistent.invalid'" in error.reason


# -- conditional GET and the cache -------------------------------------------------------


def test_conditional_get_reuses_cached_bytes(site: Site, fetcher: Fetcher) -> None:
    first = fetcher.get(site.url(sites.ETAG), source_id="p")
    assert first.record.etag == sites.ETAG_VALUE
    assert first.record.last_modified == sites.LAST_MODIFIED
    answered_304 = site.not_modified
    second = fetcher.get(site.url(sites.ETAG), source_id="p", previous=first)
    assert site.not_modified == answered_304 + 1
    _, headers = site.requests[-1]
    assert headers["If-None-Match"] == sites.ETAG_VALUE
    assert headers["If-Modified-Since"] == sites.LAST_MODIFIED
    assert second.body == first.body
    assert second.record.origin == "http-304" and second.record.status == 304
    assert second.record.sha256 == first.record.sha256
    assert second.record.fetched_at >= first.record.fetched_at


def test_cache_round_trip_is_one_verified_file(
    site: Site, fetcher: Fetcher, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "cache")
    assert cache.load("p") is None
    fetched = fetcher.get(site.url(sites.ETAG), source_id="p")
    cache.store(fetched)
    folder = tmp_path / "cache" / "p"
    assert [p.name for p in folder.iterdir()] == ["entry"]  # body and record: one file
    loaded = cache.load("p")
    assert loaded == fetched

    # A 304 re-stamps the record; the bytes stay the same.
    revalidated = fetcher.get(site.url(sites.ETAG), source_id="p", previous=loaded)
    cache.store(revalidated)
    assert cache.load("p") == revalidated and revalidated.body == fetched.body

    # A body that does not match its record is not trusted, and says why.
    entry = folder / "entry"
    good = entry.read_bytes()
    entry.write_bytes(good[:-10])
    assert cache.inspect("p") == (None, "body does not match its record's sha256")
    entry.write_bytes(b"{not json\n" + fetched.body)
    assert cache.load("p") is None
    entry.write_bytes(good)
    assert cache.load("p") == revalidated


def test_cache_reads_the_old_two_file_layout(site: Site, fetcher: Fetcher, tmp_path: Path) -> None:
    fetched = fetcher.get(site.url(sites.ARTICLE), source_id="a")
    folder = tmp_path / "cache" / "a"
    folder.mkdir(parents=True)
    (folder / "body").write_bytes(fetched.body)
    (folder / "record.json").write_text(fetched.record.model_dump_json(), encoding="utf-8")
    cache = Cache(tmp_path / "cache")
    assert cache.load("a") == fetched
    cache.store(fetched)  # converted: one file, the old pair gone
    assert [p.name for p in folder.iterdir()] == ["entry"]
    assert cache.load("a") == fetched


# -- landing pages ---------------------------------------------------------------------


def landing_spec(url: str, pdf_link: str | None = None) -> SourceSpec:
    return SourceSpec(id="cpc", url=url, landing_page=True, pdf_link=pdf_link)


def test_landing_page_leads_to_the_pdf(site: Site, fetcher: Fetcher) -> None:
    fetched = fetcher.fetch_source(landing_spec(site.url(sites.LANDING)))
    assert is_pdf(fetched.body)
    assert fetched.record.url == site.url(sites.LANDING)
    assert fetched.record.final_url == site.url(sites.LANDING_PDF)  # relative href resolved


def test_landing_page_pdf_is_revalidated(site: Site, fetcher: Fetcher) -> None:
    spec = landing_spec(site.url(sites.LANDING))
    first = fetcher.fetch_source(spec)
    answered_304 = site.not_modified
    again = fetcher.fetch_source(spec, previous=first)
    assert site.not_modified == answered_304 + 1
    assert site.requests[-1][0] == sites.LANDING_PDF
    assert again.body == first.body
    assert again.record.origin == "http-304"
    assert again.record.url == site.url(sites.LANDING)
    assert again.record.final_url == site.url(sites.LANDING_PDF)


def test_landing_url_that_is_already_a_pdf(site: Site, fetcher: Fetcher) -> None:
    fetched = fetcher.fetch_source(landing_spec(site.url(sites.PDF)))
    assert is_pdf(fetched.body)
    assert fetched.record.final_url == site.url(sites.PDF)


def test_landing_page_without_pdf_link(site: Site, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as caught:
        fetcher.fetch_source(landing_spec(site.url(sites.LANDING_NO_LINK)))
    assert caught.value.kind == FailureKind.NO_PDF_LINK
    assert "has no link ending in .pdf" in caught.value.reason


def test_find_pdf_link() -> None:
    page = b"""<html><head><base href="/docs/"></head><body>
    <a href="#top">top</a><a href="mailto:x@y.z">mail</a>
    <a href="summary.PDF?download=1">Summary</a>
    <a href="https://cdn.example.org/full-report-2008.pdf">Full report</a>
    <a href="/get?id=7" type="application/pdf">Annex</a></body></html>"""
    base = "https://example.org/notes/page.html"
    assert find_pdf_link(page, base) == "https://example.org/docs/summary.PDF?download=1"
    assert (
        find_pdf_link(page, base, r"full-report") == "https://cdn.example.org/full-report-2008.pdf"
    )
    assert find_pdf_link(page, base, r"id=7") == "https://example.org/get?id=7"
    assert find_pdf_link(page, base, r"nothing-matches") is None
    assert find_pdf_link(b"", base) is None
    assert find_pdf_link(b"<html><body><a href='x.html'>x</a></body></html>", base) is None


def test_fetched_is_a_value(site: Site, fetcher: Fetcher) -> None:
    fetched = fetcher.get(site.url(sites.PLAIN_TEXT), source_id="t")
    assert isinstance(fetched, Fetched)
    assert detect_format(fetched.body, content_type=fetched.record.content_type) == "text"
