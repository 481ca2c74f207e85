"""Ingest against hostile sources: compression bombs, trickles, redirects inward, rate limits.

Every test here fails if its guarantee breaks; the limits are the settings
named in RELIABILITY.md (max_bytes, source_deadline, fetch_workers,
allow_private_networks / allow_private_addresses, max_retry_after).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from dossier.ingest.fetch import Fetcher, parse_retry_after
from dossier.ingest.network import AddressPolicy, address_allowed
from dossier.ingest.pipeline import run_ingest
from dossier.settings import Settings
from dossier.types import FailureKind

import sites
from sites import Site, fast_settings, fetch_failure

PEAK_RSS_LIMIT_MB = 300


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return fast_settings(tmp_path / "data")


@pytest.fixture
def fetcher(settings: Settings) -> Iterator[Fetcher]:
    with Fetcher(settings) as client:
        yield client


def guarded(settings: Settings, site: Site) -> Settings:
    """The default policy (no private networks), with only the test site's own port allowed."""
    return settings.model_copy(
        update={
            "allow_private_networks": False,
            "allow_private_addresses": [f"127.0.0.1:{site.port}"],
        }
    )


# -- compression ---------------------------------------------------------------------


def test_gzip_bomb_keeps_peak_memory_bounded(site: Site, tmp_path: Path) -> None:
    """2 GiB behind ~5 KB of `gzip, gzip`: the cap fires, and the fetching process stays small."""
    bomb = sites.gzip_bomb()
    assert len(bomb) < 10_000
    script = textwrap.dedent(
        f"""
        import json
        from dossier.ingest.fetch import Fetcher, FetchError
        from dossier.settings import Settings
        settings = Settings(data_dir={str(tmp_path)!r}, allow_private_networks=True)
        outcome = {{}}
        with Fetcher(settings) as fetcher:
            try:
                fetched = fetcher.get({site.url(sites.GZIP_BOMB)!r}, source_id="bomb")
                outcome = {{"kind": "ok", "size": len(fetched.body)}}
            except FetchError as exc:
                outcome = {{"kind": exc.kind.value, "reason": exc.reason}}
        outcome["max_bytes"] = settings.max_bytes
        # VmHWM, not ru_maxrss: ru_maxrss survives exec, so it would count the memory of the
        # (forked) test process this one started as.
        status = open("/proc/self/status").read()
        outcome["peak_kb"] = int(status.split("VmHWM:")[1].split()[0])
        print(json.dumps(outcome))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcome["kind"] == "too_large", outcome
    assert "once decoded" in outcome["reason"] and "download stopped" in outcome["reason"]
    assert outcome["max_bytes"] == 50 * 2**20  # the default cap, not a test-sized one
    peak_mb = outcome["peak_kb"] / 1024
    assert peak_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"


def test_nested_and_raw_codings_decode(site: Site, fetcher: Fetcher) -> None:
    twice = fetcher.get(site.url(sites.DOUBLE_GZIP), source_id="t")
    assert twice.body == sites.article_html("Twice compressed")
    assert twice.record.size == len(twice.body)
    raw = fetcher.get(site.url(sites.RAW_DEFLATE), source_id="t")
    assert raw.body == sites.article_html("Raw deflate")


def test_decoded_size_is_capped_while_streaming(site: Site, fetcher: Fetcher) -> None:
    error = fetch_failure(fetcher, site.url(sites.GZIP_OVERSIZE))
    assert error.kind == FailureKind.TOO_LARGE
    assert "once decoded" in error.reason and "on the wire" in error.reason


def test_unsupported_coding_is_a_clear_failure(site: Site, fetcher: Fetcher) -> None:
    error = fetch_failure(fetcher, site.url(sites.BROTLI))
    assert error.kind == FailureKind.UNPARSABLE
    assert "unsupported Content-Encoding 'br'" in error.reason


# -- deadline and concurrency ------------------------------------------------------------


def test_trickling_body_fails_at_the_source_deadline(site: Site, settings: Settings) -> None:
    # A byte every 0.05 s never trips the 0.4 s read timeout; only the deadline stops it.
    assert settings.read_timeout > sites.TRICKLE_INTERVAL
    tight = settings.model_copy(update={"source_deadline": 1.0})
    started = time.monotonic()
    with Fetcher(tight) as fetcher:
        error = fetch_failure(fetcher, site.url(sites.TRICKLE))
    elapsed = time.monotonic() - started
    assert error.kind == FailureKind.TIMEOUT
    assert "source_deadline=1s" in error.reason
    assert 0.9 < elapsed < 2.0, elapsed


def test_slow_sources_do_not_hold_the_others(tmp_path: Path) -> None:
    """Four trickling sources and four good ones: the run takes about one deadline, not four."""
    deadline = 2.0
    with sites.standard_site() as site:
        body = ""
        for n in range(4):
            body += f'[[source]]\nid = "trickle-{n}"\nurl = "{site.url(sites.TRICKLE)}?{n}"\n\n'
            path = sites.PDF if n == 0 else sites.ARTICLE if n == 1 else sites.ETAG
            url = site.url(path) if n < 3 else site.url(sites.PLAIN_TEXT)
            body += f'[[source]]\nid = "good-{n}"\nurl = "{url}"\n\n'
        corpus = tmp_path / "sources.toml"
        corpus.write_text(body, encoding="utf-8")
        settings = fast_settings(
            tmp_path / "data", corpus, source_deadline=deadline, fetch_workers=4
        )
        started = time.monotonic()
        result = run_ingest(settings, progress=False)
        elapsed = time.monotonic() - started
    by_id = {s.source_id: s for s in result.report.sources}
    for n in range(4):
        assert by_id[f"trickle-{n}"].failure == FailureKind.TIMEOUT
        assert "source_deadline" in by_id[f"trickle-{n}"].reason
        assert by_id[f"good-{n}"].ok, by_id[f"good-{n}"].reason
    # One after another, the trickles alone would take 4 × 2 s.
    assert elapsed < 2 * deadline + 1.5, elapsed


# -- where the fetcher may connect --------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("fe80::1", False),
        ("224.0.0.251", False),
        ("239.255.255.250", False),
        ("ff02::1", False),
        ("0.0.0.0", False),
        ("240.0.0.1", False),
        ("100.64.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
    ],
)
def test_address_policy(address: str, allowed: bool) -> None:
    assert address_allowed(address) is allowed
    assert AddressPolicy(allow_private=True).allows(address, 80)


def test_address_exceptions() -> None:
    policy = AddressPolicy(exceptions=["127.0.0.1:8080", "10.1.0.0/16", "[::1]:9000"])
    assert policy.allows("127.0.0.1", 8080) and not policy.allows("127.0.0.1", 8081)
    assert policy.allows("10.1.200.3", 1) and not policy.allows("10.2.0.1", 1)
    assert policy.allows("::1", 9000) and not policy.allows("::1", 9001)


def test_loopback_is_refused_by_default(site: Site, settings: Settings) -> None:
    strict = settings.model_copy(update={"allow_private_networks": False})
    before = site.total_hits()
    with Fetcher(strict) as fetcher:
        for url in (site.url(sites.ARTICLE), f"http://localhost:{site.port}{sites.ARTICLE}"):
            error = fetch_failure(fetcher, url)
            assert error.kind == FailureKind.BLOCKED, error.reason
            assert "loopback address" in error.reason
            assert "DOSSIER_ALLOW_PRIVATE_NETWORKS=true" in error.reason
    assert site.total_hits() == before  # never connected


def test_the_environment_variable_allows_private_networks(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSSIER_ALLOW_PRIVATE_NETWORKS", "false")
    assert not Settings(data_dir=tmp_path).allow_private_networks
    monkeypatch.setenv("DOSSIER_ALLOW_PRIVATE_NETWORKS", "true")
    with Fetcher(Settings(data_dir=tmp_path)) as fetcher:
        assert fetcher.get(site.url(sites.ARTICLE), source_id="t").record.status == 200


def test_redirects_inward_are_refused(site: Site, settings: Settings) -> None:
    with sites.Site() as internal:
        internal.static("/admin", b"<p>internal secrets</p>", "text/html")
        site.static(
            "/hostile/to-other-port", b"", "text/html", 302, {"Location": internal.url("/admin")}
        )
        with Fetcher(guarded(settings, site)) as fetcher:
            assert fetcher.get(site.url(sites.ARTICLE), source_id="t").record.status == 200
            other_port = fetch_failure(fetcher, site.url("/hostile/to-other-port"))
            metadata = fetch_failure(fetcher, site.url(sites.TO_METADATA))
        assert internal.total_hits() == 0
    assert other_port.kind == FailureKind.BLOCKED
    assert "127.0.0.1 resolves to 127.0.0.1 (loopback address)" in other_port.reason
    assert metadata.kind == FailureKind.BLOCKED
    assert "169.254.169.254 (link-local address)" in metadata.reason


def test_connects_to_the_address_it_checked(
    site: Site, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name first resolves to a public address, then to loopback.

    The resolver is the attacker's here (a patched getaddrinfo stands in for a
    rebinding DNS server): the fetcher must connect to the address it checked,
    never resolve again and land on the internal site.
    """
    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    real = socket.getaddrinfo

    def rebinding(host: str, port: int, *args: object, **kwargs: object) -> list:
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    strict = settings.model_copy(
        update={"allow_private_networks": False, "retries": 0, "connect_timeout": 0.5}
    )
    before = site.total_hits()
    with Fetcher(strict) as fetcher:
        error = fetch_failure(fetcher, f"http://rebind.example:{site.port}{sites.ARTICLE}")
    assert site.total_hits() == before
    assert error.kind in (FailureKind.TIMEOUT, FailureKind.NETWORK, FailureKind.REFUSED)


@pytest.mark.parametrize(("path", "scheme"), [(sites.TO_DATA, "data"), (sites.TO_FILE, "file")])
def test_only_http_and_https_in_a_redirect_chain(
    site: Site, fetcher: Fetcher, path: str, scheme: str
) -> None:
    error = fetch_failure(fetcher, site.url(path))
    assert error.kind == FailureKind.SCHEME
    assert f"redirected to a {scheme}: URL" in error.reason
    assert "only http and https are fetched" in error.reason
    assert "unexpected" not in error.reason


def test_only_http_and_https_as_the_source_url(fetcher: Fetcher) -> None:
    for url in ("ftp://example.org/report.pdf", "file:///etc/passwd", "example.org/page"):
        error = fetch_failure(fetcher, url)
        assert error.kind == FailureKind.SCHEME and "only http and https" in error.reason


def test_pipeline_reports_hostile_redirects_clearly(site: Site, tmp_path: Path) -> None:
    corpus = tmp_path / "sources.toml"
    corpus.write_text(
        f'[[source]]\nid = "to-data"\nurl = "{site.url(sites.TO_DATA)}"\n\n'
        f'[[source]]\nid = "to-metadata"\nurl = "{site.url(sites.TO_METADATA)}"\n',
        encoding="utf-8",
    )
    settings = guarded(fast_settings(tmp_path / "data", corpus), site)
    by_id = {s.source_id: s for s in run_ingest(settings, progress=False).report.sources}
    assert by_id["to-data"].failure == FailureKind.SCHEME
    assert by_id["to-metadata"].failure == FailureKind.BLOCKED
    assert str(settings.manual_dir / "to-metadata") in by_id["to-metadata"].reason
    for status in by_id.values():
        assert "unexpected error" not in (status.reason or "")


# -- rate limits ---------------------------------------------------------------------------


def test_retry_after_values() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_429_waits_as_asked_then_succeeds(settings: Settings) -> None:
    delays: list[float] = []
    with sites.standard_site() as site, Fetcher(settings, sleep=delays.append) as fetcher:
        fetched = fetcher.get(site.url(sites.RATE_LIMITED), source_id="t")
        assert site.hits[sites.RATE_LIMITED] == 2
    assert b"Patience rewarded" in fetched.body
    assert delays == [1.0]  # Retry-After: 1, not the 0.01 s backoff


def test_503_with_an_http_date_waits_until_then(settings: Settings) -> None:
    with sites.standard_site() as site, Fetcher(settings) as fetcher:
        started = time.monotonic()
        fetched = fetcher.get(site.url(sites.RATE_LIMITED_DATE), source_id="t")
        waited = time.monotonic() - started
    assert b"Patience rewarded" in fetched.body
    assert 0.8 < waited < 3.5, waited  # the date was 2 s ahead (to the second)


def test_retry_after_beyond_the_cap_fails_at_once(site: Site, settings: Settings) -> None:
    before = site.hits[sites.RATE_LIMITED_LONG]
    delays: list[float] = []
    with Fetcher(settings, sleep=delays.append) as fetcher:
        error = fetch_failure(fetcher, site.url(sites.RATE_LIMITED_LONG))
    assert error.kind == FailureKind.HTTP and error.http_status == 429
    assert "rate limited" in error.reason and "max_retry_after=30s" in error.reason
    assert "refuses scripts" not in error.reason
    assert delays == [] and site.hits[sites.RATE_LIMITED_LONG] - before == 1


def test_retry_after_beyond_the_deadline_fails_at_once(site: Site, settings: Settings) -> None:
    tight = settings.model_copy(update={"source_deadline": 0.5})
    with sites.standard_site() as fresh, Fetcher(tight) as fetcher:
        started = time.monotonic()
        error = fetch_failure(fetcher, fresh.url(sites.RATE_LIMITED))
        assert time.monotonic() - started < 0.5
    assert "rate limited" in error.reason and "no time left to retry" in error.reason


def test_429_reason_in_the_report(site: Site, tmp_path: Path) -> None:
    corpus = tmp_path / "sources.toml"
    corpus.write_text(
        f'[[source]]\nid = "busy"\nurl = "{site.url(sites.RATE_LIMITED_LONG)}"\n', encoding="utf-8"
    )
    [status] = run_ingest(fast_settings(tmp_path / "data", corpus), progress=False).report.sources
    assert status.failure == FailureKind.HTTP and status.http_status == 429
    assert "rate limited" in status.reason and "try again later" in status.reason
    assert "refuses scripts" not in status.reason


def test_dns_failure_hint_is_not_circular(tmp_path: Path) -> None:
    corpus = tmp_path / "sources.toml"
    corpus.write_text(
        f'[[source]]\nid = "nowhere"\nurl = "{sites.UNRESOLVABLE_URL}"\n', encoding="utf-8"
    )
    [status] = run_ingest(fast_settings(tmp_path / "data", corpus), progress=False).report.sources
    assert status.failure == FailureKind.DNS
    assert "--offline" not in status.reason  # offline needs a cached copy, which there is not
    assert "check the host name" in status.reason
