"""`run_ingest` end to end over a generated sources.toml pointing at the loopback site."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from dossier.ingest.corpus import CorpusError
from dossier.ingest.pipeline import IngestResult, run_ingest
from dossier.ingest.report import render_report
from dossier.settings import Settings
from dossier.types import FailureKind, IngestReport, SourceStatus

import sites
from sites import Site, fast_settings

GOOD = {
    # id: (path on the site, extra TOML lines)
    "grain": (sites.ARTICLE, ""),
    "cpc-report": (sites.PDF, ""),
    "cpc": (sites.LANDING, "landing_page = true\n"),
    "disguised": (sites.DISGUISED_PDF, ""),
    "pipeline": (sites.ETAG, ""),
    "dropped": (sites.FORBIDDEN, ""),  # a drop-in file makes this one usable
}
DUPLICATES = {
    # id: (path on the site, the source it repeats): the same article under another URL
    "moved": (sites.MOVED, "grain"),
}
FAILING = {
    # id: (url or site path, extra TOML, kind, words the reason must contain, http status)
    "gone": (sites.NOT_FOUND, "", FailureKind.HTTP, "HTTP 404 Not Found", 404),
    "refuses": (sites.FORBIDDEN, "", FailureKind.HTTP, "HTTP 403 Forbidden", 403),
    "broken": (sites.SERVER_ERROR, "", FailureKind.HTTP, "HTTP 500 Internal Server Error", 500),
    "slow": (sites.SLOW, "", FailureKind.TIMEOUT, "read timeout", None),
    "huge": (sites.BIG_DECLARED, "", FailureKind.TOO_LARGE, "max_bytes", 200),
    "huge-stream": (sites.BIG_STREAMED, "", FailureKind.TOO_LARGE, "download stopped", 200),
    "loop": (sites.LOOP_A, "", FailureKind.REDIRECTS, "redirect loop", 302),
    "junk": (sites.JUNK, "", FailureKind.UNPARSABLE, "not text", 200),
    "consent": (sites.CONSENT, "", FailureKind.EMPTY, "consent wall", 200),
    "scan": (sites.SCANNED, "", FailureKind.EMPTY, "scanned PDF", 200),
    "corrupt": (sites.CORRUPT_PDF, "", FailureKind.UNPARSABLE, "not a readable PDF", 200),
    "no-link": (
        sites.LANDING_NO_LINK,
        "landing_page = true\n",
        FailureKind.NO_PDF_LINK,
        "no link ending in .pdf",
        None,
    ),
    "refused": ("refused", "", FailureKind.REFUSED, "refused", None),
    "dns": (sites.UNRESOLVABLE_URL, "", FailureKind.DNS, "cannot resolve host", None),
}


@dataclass
class World:
    site: Site
    settings: Settings
    first: IngestResult
    hits_after_first: int


def entry(source_id: str, url: str, extra: str = "") -> str:
    return f'[[source]]\nid = "{source_id}"\nurl = "{url}"\n{extra}\n'


@pytest.fixture(scope="module")
def world(site: Site, tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("pipeline")
    (root / "corpus" / "texts").mkdir(parents=True)
    (root / "corpus" / "texts" / "local.txt").write_text(
        "\n\n".join(sites.ARTICLE_PARAGRAPHS), encoding="utf-8"
    )
    body = '[[source]]\nid = "local"\npath = "texts/local.txt"\ntitle = "Local notes"\n\n'
    body += "".join(entry(i, site.url(path), extra) for i, (path, extra) in GOOD.items())
    body += "".join(entry(i, site.url(path)) for i, (path, _kept) in DUPLICATES.items())
    for source_id, (where, extra, *_rest) in FAILING.items():
        url = (
            sites.refused_url()
            if where == "refused"
            else where
            if where.startswith("http")
            else site.url(where)
        )
        body += entry(source_id, url, extra)
    body += '[[source]]\nid = "missing-file"\npath = "texts/nowhere.txt"\n'
    corpus = root / "corpus" / "sources.toml"
    corpus.write_text(body, encoding="utf-8")

    settings = fast_settings(root / "data", corpus)
    drop = settings.manual_dir / "dropped"
    drop.mkdir(parents=True)
    (drop / "saved-from-browser.html").write_bytes(
        sites.article_html("Saved by hand", sites.REVALIDATED_PARAGRAPHS)
    )
    first = run_ingest(settings, progress=False)
    return World(site, settings, first, site.total_hits())


def statuses(result: IngestResult) -> dict[str, SourceStatus]:
    return {s.source_id: s for s in result.report.sources}


def test_every_source_has_a_status_in_order(world: World) -> None:
    ids = [s.source_id for s in world.first.report.sources]
    assert ids == ["local", *GOOD, *DUPLICATES, *FAILING, "missing-file"]
    assert world.first.report.outcome == "some"
    assert not world.first.report.offline


def test_good_sources(world: World) -> None:
    site, by_id = world.site, statuses(world.first)
    documents = {d.source_id: d for d in world.first.documents}
    assert set(documents) == {"local", *GOOD}
    for source_id in documents:
        status = by_id[source_id]
        assert status.ok and status.failure is None and status.reason is None
        assert status.chars == len(documents[source_id].text)
        assert status.passages == sum(p.source_id == source_id for p in world.first.passages)
        assert status.passages >= 1

    grain = documents["grain"]
    assert grain.format == "html" and grain.title == sites.ARTICLE_TITLE
    assert grain.author == sites.ARTICLE_AUTHOR and grain.language == "en"
    assert by_id["grain"].origin == "http" and by_id["grain"].http_status == 200

    assert by_id["moved"].final_url == site.url(sites.ARTICLE)

    for source_id in ("cpc-report", "cpc", "disguised"):
        assert documents[source_id].format == "pdf", source_id
        assert documents[source_id].title == sites.PDF_TITLE
        assert [p.page for p in documents[source_id].pages] == [1, 2, 3]
    assert by_id["cpc"].final_url == site.url(sites.LANDING_PDF)
    assert by_id["cpc"].location == site.url(sites.LANDING)

    assert documents["local"].format == "text" and by_id["local"].origin == "file"
    assert documents["local"].title == "Local notes"


def test_identical_text_is_indexed_once(world: World) -> None:
    by_id = statuses(world.first)
    documents = {d.source_id for d in world.first.documents}
    for source_id, (_path, kept) in DUPLICATES.items():
        status = by_id[source_id]
        assert not status.ok and status.failure == FailureKind.DUPLICATE
        assert status.duplicate_of == kept and f"duplicate of {kept!r}" in status.reason
        assert status.passages == 0 and source_id not in documents
        assert not any(p.source_id == source_id for p in world.first.passages)
        assert by_id[kept].ok and kept in documents
    texts = [d.text for d in world.first.documents]
    assert len(texts) == len(set(texts))


def test_drop_in_wins_over_fetching(world: World) -> None:
    status = statuses(world.first)["dropped"]
    assert status.ok and status.origin == "manual" and status.format == "html"
    document = next(d for d in world.first.documents if d.source_id == "dropped")
    assert document.title == "Saved by hand"
    assert document.url == world.site.url(sites.FORBIDDEN)
    # "refuses" fetched the same URL once; "dropped" never did.
    assert world.site.hits[sites.FORBIDDEN] == 1


def test_failures_have_kind_and_reason(world: World) -> None:
    by_id = statuses(world.first)
    for source_id, (_where, _extra, kind, words, http_status) in FAILING.items():
        status = by_id[source_id]
        assert not status.ok, source_id
        assert status.failure == kind, (source_id, status.failure, status.reason)
        assert status.reason and words in status.reason, (source_id, status.reason)
        assert status.http_status == http_status, (source_id, status.http_status)
        assert status.passages == 0
    assert "after 3 attempts" in by_id["broken"].reason
    assert str(world.settings.manual_dir / "refuses") in by_id["refuses"].reason
    missing = by_id["missing-file"]
    assert missing.failure == FailureKind.MISSING_FILE and "nowhere.txt" in missing.reason


def test_retries_only_where_they_can_help(world: World) -> None:
    hits = world.site.hits
    assert hits[sites.NOT_FOUND] == 1
    assert hits[sites.SERVER_ERROR] == world.settings.retries + 1


def test_report_json(world: World) -> None:
    path = world.settings.data_dir / "ingest-report.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    report = IngestReport.model_validate(data)
    assert report == world.first.report
    assert report.outcome == "some"
    rows = {row["source_id"]: row for row in data["sources"]}
    assert rows["gone"]["failure"] == "http" and rows["gone"]["http_status"] == 404
    assert rows["slow"]["failure"] == "timeout"
    assert rows["dns"]["failure"] == "dns"
    assert rows["cpc"]["ok"] is True and rows["cpc"]["format"] == "pdf"
    assert list(path.parent.glob(".*.tmp")) == []


def test_passages_quote_their_documents_exactly(world: World) -> None:
    documents = {d.source_id: d for d in world.first.documents}
    ids = [p.id for p in world.first.passages]
    assert len(ids) == len(set(ids))
    for passage in world.first.passages:
        document = documents[passage.source_id]
        assert passage.text == document.text[passage.start : passage.end]
        assert len(passage.text) <= world.settings.passage_chars


def test_pdf_passages_have_the_right_page(world: World) -> None:
    documents = {d.source_id: d for d in world.first.documents}
    pdf_passages = [p for p in world.first.passages if p.source_id == "cpc"]
    assert {p.page for p in pdf_passages} == {1, 2, 3}
    for passage in pdf_passages:
        span = next(s for s in documents["cpc"].pages if s.page == passage.page)
        assert span.start <= passage.start < span.end
        if passage.end <= span.end:  # wholly on its page: only that page's words
            for page, keyword in enumerate(sites.PDF_KEYWORDS, start=1):
                assert (keyword in passage.text) <= (page == passage.page)
    for page, keyword in enumerate(sites.PDF_KEYWORDS, start=1):
        assert any(p.page == page and keyword in p.text for p in pdf_passages)


def test_second_run_revalidates_with_conditional_get(world: World) -> None:
    answered_304 = world.site.not_modified
    second = run_ingest(world.settings, progress=False)
    by_id = statuses(second)
    assert by_id["pipeline"].origin == "http-304" and by_id["pipeline"].ok
    assert by_id["cpc"].origin == "http-304"  # the landing page's PDF, too
    assert world.site.not_modified == answered_304 + 2
    first_docs = {d.source_id: d for d in world.first.documents}
    for document in second.documents:
        assert document == first_docs[document.source_id]
    assert second.passages == world.first.passages


def test_offline_rebuilds_from_the_cache_alone(world: World) -> None:
    hits_before = world.site.total_hits()
    offline = run_ingest(world.settings, offline=True, progress=False)
    assert world.site.total_hits() == hits_before  # the server was not contacted
    assert offline.report.offline
    by_id = statuses(offline)
    assert offline.documents == world.first.documents
    assert offline.passages == world.first.passages
    assert {d.sha256 for d in offline.documents} == {d.sha256 for d in world.first.documents}
    for source_id in ("grain", "cpc", "pipeline"):
        assert by_id[source_id].origin == "cache"
    assert by_id["dropped"].origin == "manual" and by_id["local"].origin == "file"
    # Fetched but unusable sources are cached and fail the same way offline.
    assert by_id["consent"].failure == FailureKind.EMPTY
    # Sources that never got a body are not in the cache.
    for source_id in ("gone", "slow", "dns", "refused", "huge", "loop"):
        assert by_id[source_id].failure == FailureKind.NOT_CACHED, source_id
        assert "not in the cache; run once online or drop a file in" in by_id[source_id].reason
        assert str(world.settings.manual_dir / source_id) in by_id[source_id].reason


def test_render_report(world: World) -> None:
    console = Console(record=True, width=250)
    render_report(world.first.report, console)
    output = console.export_text()
    for source_id in ("grain", "cpc", "gone", "dns"):
        assert source_id in output
    assert "HTTP 404 Not Found" in output and "redirects" in output
    assert f"{len(world.first.documents)} of {len(world.first.report.sources)} sources" in output


def test_fetch_failure_falls_back_to_the_cached_copy(tmp_path: Path) -> None:
    with sites.standard_site() as site:
        corpus = tmp_path / "sources.toml"
        corpus.write_text(entry("grain", site.url(sites.ARTICLE)), encoding="utf-8")
        settings = fast_settings(tmp_path / "data", corpus, retries=0)
        first = run_ingest(settings, progress=False)
        site.static(sites.ARTICLE, b"down", "text/plain", status=503)
        second = run_ingest(settings, progress=False)
    [status] = second.report.sources
    assert status.ok and status.origin == "cache"
    assert "fetch failed (HTTP 503 Service Unavailable); used the copy cached" in status.reason
    assert second.documents == first.documents
    assert second.report.outcome == "all"


def test_changed_url_does_not_reuse_the_cache(tmp_path: Path) -> None:
    with sites.standard_site() as site:
        corpus = tmp_path / "sources.toml"
        corpus.write_text(entry("grain", site.url(sites.ARTICLE)), encoding="utf-8")
        settings = fast_settings(tmp_path / "data", corpus)
        run_ingest(settings, progress=False)
        corpus.write_text(entry("grain", site.url(sites.MOVED)), encoding="utf-8")
        offline = run_ingest(settings, offline=True, progress=False)
    [status] = offline.report.sources
    assert status.failure == FailureKind.NOT_CACHED
    assert "the cache holds" in status.reason and "sources.toml now says" in status.reason
    assert offline.report.outcome == "none"


def test_bad_corpus_raises(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path / "data", tmp_path / "missing.toml")
    with pytest.raises(CorpusError, match="does not exist"):
        run_ingest(settings, progress=False)


def test_progress_bar_does_not_break_the_run(tmp_path: Path) -> None:
    corpus = tmp_path / "sources.toml"
    article = Path(__file__).resolve().parent.parent / "corpus" / "article.txt"
    corpus.write_text(f'[[source]]\nid = "article"\npath = "{article}"\n', encoding="utf-8")
    result = run_ingest(fast_settings(tmp_path / "data", corpus), progress=True)
    assert result.report.outcome == "all"
    assert result.passages and all(p.page is None for p in result.passages)


def test_damaged_cache_entry_is_named_as_such_offline(tmp_path: Path) -> None:
    with sites.standard_site() as site:
        corpus = tmp_path / "sources.toml"
        corpus.write_text(entry("grain", site.url(sites.ARTICLE)), encoding="utf-8")
        settings = fast_settings(tmp_path / "data", corpus)
        assert run_ingest(settings, progress=False).report.outcome == "all"
    cached = settings.cache_dir / "grain" / "entry"
    cached.write_bytes(cached.read_bytes()[:-100])  # a body cut short: sha256 no longer matches
    [status] = run_ingest(settings, offline=True, progress=False).report.sources
    assert status.failure == FailureKind.NOT_CACHED
    assert "the cached copy is damaged (body does not match its record's sha256)" in status.reason
