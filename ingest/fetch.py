"""Fetch sources over HTTP, politely and defensively.

One `httpx.Client` with the settings' timeouts and honest User-Agent; retries
with exponential backoff only where waiting can help (connection problems,
timeouts, 429 and 5xx — never other 4xx), honouring `Retry-After` up to
`max_retry_after`; redirects followed by hand so loops are named and every
hop is checked (http and https only); conditional GET so an unchanged source
costs a 304. Every failure becomes a `FetchError` with a `FailureKind` and a
reason a person can act on.

Hostile sources: each source has one deadline (`source_deadline`) for DNS,
connects, reads and retries; every address connected to is checked against
the network policy (`dossier.ingest.network`); the body is capped at
`max_bytes` both on the wire and decoded, counted as it streams, with
content codings undone in bounded steps (`dossier.ingest.decode`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from types import TracebackType

import httpcore
import httpx

from dossier.settings import Settings
from dossier.types import FailureKind, FetchRecord, SourceSpec

from . import network
from .decode import ACCEPT_ENCODING, DecodeError, decoder
from .errors import SourceError
from .landing import find_pdf_link
from .sniff import is_pdf

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
SCHEMES = ("http", "https")


class FetchError(SourceError):
    """A URL could not be retrieved; `kind`, `reason` and `http_status` say why."""


@dataclass(frozen=True)
class Fetched:
    """Raw bytes of a source and the record of how they were obtained."""

    body: bytes
    record: FetchRecord


class _Transient(Exception):
    """Internal: a failure worth retrying, wrapping the error to raise if retries run out."""

    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(error.reason)
        self.error = error
        self.retry_after = retry_after


def http_reason(status: int, phrase: str | None = None) -> str:
    """`HTTP 403 Forbidden`, with the standard phrase when the server sent none."""
    if not phrase:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
    return f"HTTP {status} {phrase}".rstrip()


def human_size(size: int) -> str:
    """`409600` → `400.0 KB`: sizes in reasons are read by people."""
    if size < 1024:
        return f"{size} bytes"
    value = float(size)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


def _short(url: str, limit: int = 80) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"


def make_client(settings: Settings) -> httpx.Client:
    """An httpx client whose connections obey the network policy and the source deadline.

    No proxy from the environment (`trust_env=False`): through a proxy, the
    address actually reached could not be checked.
    """
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx has no public way to pass a network backend; the pool is rebuilt with
    # the guarded one (httpx and httpcore are pinned; the SSRF tests fail if this breaks).
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        network_backend=network.GuardedBackend(
            network.AddressPolicy(settings.allow_private_networks, settings.allow_private_addresses)
        ),
    )
    return httpx.Client(
        transport=transport,
        trust_env=False,
        headers={
            "User-Agent": settings.user_agent,
            "Accept": "*/*",
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        timeout=httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.read_timeout,
            pool=settings.connect_timeout,
        ),
        follow_redirects=False,  # followed by hand: counted, checked, loops detected
        event_hooks={"response": [_redirect_hook]},
    )


class Fetcher:
    """Retrieves URLs for ingest; use as a context manager so the connection pool closes.

    Thread-safe: the pipeline fetches several sources at once through one Fetcher.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._own_client = client is None
        self.client = client or make_client(settings)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    # -- sources -----------------------------------------------------------

    def fetch_source(self, spec: SourceSpec, previous: Fetched | None = None) -> Fetched:
        """The bytes holding `spec`'s text: the URL's body, or the PDF its landing page links to.

        Everything (landing page, PDF, redirects, retries) shares one deadline,
        `source_deadline`. `previous` (the cached copy) enables a conditional
        GET; it is used only when it was fetched from the same URL, so a
        changed URL never reuses stale bytes.
        """
        if spec.url is None:
            raise ValueError(f"source {spec.id!r} has no url")
        with network.deadline(self.settings.source_deadline):
            return self._fetch_source(spec, previous)

    def _fetch_source(self, spec: SourceSpec, previous: Fetched | None) -> Fetched:
        assert spec.url is not None
        if not spec.landing_page:
            same = previous is not None and previous.record.url == spec.url
            return self.get(spec.url, source_id=spec.id, previous=previous if same else None)

        # The landing page itself is small HTML: fetched unconditionally, since the
        # cached validators belong to the PDF.
        page = self.get(spec.url, source_id=spec.id)
        if is_pdf(page.body, page.record.content_type):
            log.info("%s: landing page URL serves a PDF directly", spec.id)
            return page
        link = find_pdf_link(page.body, page.record.final_url, spec.pdf_link)
        if link is None:
            which = f"matching {spec.pdf_link!r}" if spec.pdf_link else "ending in .pdf"
            raise FetchError(
                FailureKind.NO_PDF_LINK,
                f"the landing page {page.record.final_url} has no link {which}; "
                f"set `pdf_link` in sources.toml or save the PDF into "
                f"{self.settings.manual_dir / spec.id}/",
            )
        log.info("%s: landing page links to %s", spec.id, link)
        same = previous is not None and previous.record.final_url == link
        pdf = self.get(link, source_id=spec.id, previous=previous if same else None)
        if not is_pdf(pdf.body, pdf.record.content_type):
            raise FetchError(
                FailureKind.NO_PDF_LINK,
                f"the landing page's PDF link {link} returned "
                f"{pdf.record.content_type or 'an unlabelled body'}, not a PDF",
            )
        return Fetched(pdf.body, pdf.record.model_copy(update={"url": spec.url}))

    # -- single URL --------------------------------------------------------

    def get(self, url: str, *, source_id: str, previous: Fetched | None = None) -> Fetched:
        """GET `url` with retries; with `previous`, conditionally (a 304 reuses its bytes).

        Runs under the current source deadline, or a new one of `source_deadline`.
        """
        with network.deadline(self.settings.source_deadline):
            return self._get(url, source_id, previous)

    def _get(self, url: str, source_id: str, previous: Fetched | None) -> Fetched:
        _check_scheme(url)
        headers: dict[str, str] = {}
        if previous is not None:
            if previous.record.etag:
                headers["If-None-Match"] = previous.record.etag
            if previous.record.last_modified:
                headers["If-Modified-Since"] = previous.record.last_modified
            if not headers:
                previous = None
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._get_once(url, source_id, headers, previous)
            except _Transient as transient:
                error = transient.error
                if attempt == attempts:
                    if attempts > 1:
                        raise FetchError(
                            error.kind,
                            f"{error.reason} (after {attempts} attempts)",
                            error.http_status,
                        ) from transient
                    raise error from transient
                delay = self.settings.backoff * 2 ** (attempt - 1)
                if transient.retry_after is not None:
                    cap = self.settings.max_retry_after
                    if transient.retry_after > cap:
                        raise FetchError(
                            error.kind,
                            f"{error.reason}; the site asks to retry after "
                            f"{transient.retry_after:.0f}s, longer than max_retry_after={cap:g}s",
                            error.http_status,
                        ) from transient
                    delay = max(delay, transient.retry_after)
                left = network.remaining()
                if left is not None and delay >= left:
                    raise FetchError(
                        error.kind,
                        f"{error.reason} (after {attempt} attempt{'s' if attempt > 1 else ''}; "
                        f"no time left to retry within source_deadline="
                        f"{self.settings.source_deadline:g}s)",
                        error.http_status,
                    ) from transient
                log.info(
                    "%s: %s; retrying in %.2fs (attempt %d of %d)",
                    source_id,
                    error.reason,
                    delay,
                    attempt + 1,
                    attempts,
                )
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(
        self, url: str, source_id: str, headers: dict[str, str], previous: Fetched | None
    ) -> Fetched:
        chain = [url]
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            try:
                return self._request(url, current, source_id, headers, previous)
            except _Redirect as redirect:
                target = redirect.target
                if target in chain:
                    raise FetchError(
                        FailureKind.REDIRECTS,
                        "redirect loop: " + " → ".join([*chain, target]),
                        redirect.status,
                    ) from None
                _check_scheme(target, chain, redirect.status)
                chain.append(target)
                current = target
                log.debug("%s: redirected (%d) to %s", source_id, redirect.status, target)
        raise FetchError(
            FailureKind.REDIRECTS,
            f"more than {self.settings.max_redirects} redirects (max_redirects): "
            + " → ".join(chain),
        )

    def _request(
        self,
        url: str,
        current: str,
        source_id: str,
        headers: dict[str, str],
        previous: Fetched | None,
    ) -> Fetched:
        """One request of a redirect chain: the answer, a `_Redirect`, or a failure."""
        try:
            request = self.client.build_request("GET", current, headers=headers)
            response = self.client.send(request, stream=True)
        except network.BlockedAddress as exc:
            raise _blocked(current, exc) from exc
        except network.DeadlineExceeded as exc:
            raise self._deadline_error(current) from exc
        except httpx.HTTPError as exc:
            raise _classify(exc, current) from exc
        try:
            status = response.status_code
            location = response.headers.get("location")
            if status in REDIRECT_STATUSES and location:
                _redirect_hook(response)  # raises _Redirect (a client without the hook)
            if status == 304:
                if previous is None:
                    raise FetchError(
                        FailureKind.HTTP, http_reason(304) + " without a cached copy", 304
                    )
                return _revalidated(previous, url, response)
            if status >= 400:
                reason = http_reason(status, response.reason_phrase)
                retry_after = _retry_after(response)
                if status == 429:
                    reason += ": rate limited by the site"
                elif status == 503 and retry_after is not None:
                    reason += ": rate limited by the site (it sent Retry-After)"
                error = FetchError(FailureKind.HTTP, reason, status)
                if status == 429 or status >= 500:
                    raise _Transient(error, retry_after if status in (429, 503) else None)
                raise error
            if status >= 300:
                raise FetchError(
                    FailureKind.HTTP,
                    http_reason(status, response.reason_phrase) + " without a Location header",
                    status,
                )
            body = self._read_capped(response)
        except network.DeadlineExceeded as exc:
            raise self._deadline_error(current) from exc
        except httpx.HTTPError as exc:
            raise _classify(exc, current) from exc
        finally:
            response.close()
        return Fetched(
            body,
            FetchRecord(
                source_id=source_id,
                url=url,
                final_url=str(response.url),
                status=status,
                fetched_at=datetime.now(UTC),
                sha256=hashlib.sha256(body).hexdigest(),
                size=len(body),
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                origin="http",
            ),
        )

    def _deadline_error(self, url: str) -> FetchError:
        host = httpx.URL(url).host
        return FetchError(
            FailureKind.TIMEOUT,
            f"{host} did not deliver the source within source_deadline="
            f"{self.settings.source_deadline:g}s (connect, reads and retries together)",
        )

    def _read_capped(self, response: httpx.Response) -> bytes:
        """The decoded body, refusing more than `max_bytes` on the wire or decoded, as it streams.

        Content codings are undone here in bounded pieces (httpx would inflate
        a whole network chunk at once, which is how a small gzip bomb becomes
        gigabytes); the cap is checked after every piece.
        """
        limit = self.settings.max_bytes
        status = response.status_code
        declared = response.headers.get("content-length")
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            raise FetchError(
                FailureKind.TOO_LARGE,
                f"declared size {human_size(int(declared))} exceeds the limit of "
                f"{human_size(limit)} (max_bytes)",
                status,
            )
        try:
            chain = decoder(response.headers.get("content-encoding"))
        except DecodeError as exc:
            raise FetchError(
                FailureKind.UNPARSABLE, f"cannot read the body: {exc}", status
            ) from exc
        chunks: list[bytes] = []
        wire = total = 0

        def keep(pieces: Iterable[bytes]) -> None:
            nonlocal total
            for piece in pieces:
                total += len(piece)
                if total > limit:
                    raise FetchError(
                        FailureKind.TOO_LARGE,
                        f"body exceeds the limit of {human_size(limit)} (max_bytes) once "
                        f"decoded ({human_size(wire)} on the wire); download stopped",
                        status,
                    )
                chunks.append(piece)

        try:
            for raw in response.iter_raw():
                wire += len(raw)
                if wire > limit:
                    raise FetchError(
                        FailureKind.TOO_LARGE,
                        f"body exceeds the limit of {human_size(limit)} (max_bytes); "
                        "download stopped",
                        status,
                    )
                keep(chain.feed(raw))
            keep(chain.flush())
        except DecodeError as exc:
            raise FetchError(
                FailureKind.UNPARSABLE, f"cannot read the body: {exc}", status
            ) from exc
        return b"".join(chunks)


class _Redirect(Exception):
    """Internal: the response is a redirect to `target`."""

    def __init__(self, target: str, status: int) -> None:
        super().__init__(target)
        self.target = target
        self.status = status


def _redirect_hook(response: httpx.Response) -> None:
    """Raise `_Redirect` for a redirect response, before httpx looks at its Location.

    httpx prepares the next request of a redirect even when not following it,
    and a Location such as `data:text/html,…` makes that raise InvalidURL;
    this response hook runs first, so every redirect is judged here instead.
    """
    location = response.headers.get("location")
    if response.status_code not in REDIRECT_STATUSES or not location:
        return
    try:
        target = str(response.url.join(location.strip()))
    except httpx.InvalidURL as exc:
        raise FetchError(
            FailureKind.REDIRECTS,
            f"{response.url} redirects to an invalid URL {_short(location)!r} ({exc})",
            response.status_code,
        ) from exc
    raise _Redirect(target, response.status_code)


def _check_scheme(url: str, chain: list[str] | None = None, status: int | None = None) -> None:
    """Only http and https, for the first URL and for every redirect."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme in SCHEMES:
        return
    shown = f"a {scheme}: URL" if scheme else "a URL without a scheme"
    if chain:
        raise FetchError(
            FailureKind.SCHEME,
            f"redirected to {shown} ({' → '.join(map(_short, [*chain, url]))}); "
            "only http and https are fetched",
            status,
        )
    raise FetchError(
        FailureKind.SCHEME, f"{_short(url)} is {shown}; only http and https are fetched"
    )


def _blocked(url: str, exc: network.BlockedAddress) -> FetchError:
    """The reason for a refused address, naming what kind of address it is."""
    kinds = []
    for address in exc.addresses:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            kinds.append("unusable")
            continue
        mapped = getattr(ip, "ipv4_mapped", None)
        ip = mapped or ip
        kind = (
            "loopback"
            if ip.is_loopback
            else "link-local"
            if ip.is_link_local
            else "multicast"
            if ip.is_multicast
            else "private"
            if ip.is_private
            else "reserved"
        )
        kinds.append(kind)
    what = " and ".join(sorted(set(kinds))) or "non-public"
    return FetchError(
        FailureKind.BLOCKED,
        f"{_short(url)}: {exc} ({what} address); internal addresses are not fetched "
        "(allow one in allow_private_addresses, or all with DOSSIER_ALLOW_PRIVATE_NETWORKS=true)",
    )


def _revalidated(previous: Fetched, url: str, response: httpx.Response) -> Fetched:
    """The cached bytes, re-stamped: the server said they are still current."""
    record = previous.record.model_copy(
        update={
            "url": url,
            "final_url": str(response.url),
            "status": 304,
            "fetched_at": datetime.now(UTC),
            "etag": response.headers.get("etag") or previous.record.etag,
            "last_modified": response.headers.get("last-modified") or previous.record.last_modified,
            "origin": "http-304",
        }
    )
    return Fetched(previous.body, record)


def _retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds from now: delay-seconds or an HTTP date (RFC 9110)."""
    return parse_retry_after(response.headers.get("retry-after"))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait for a `Retry-After` value, or None when absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and everything it was raised from (httpx wraps httpcore wraps socket errors)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _classify(exc: httpx.HTTPError, url: str) -> FetchError | _Transient:
    """Map an httpx exception to a FailureKind, marking the ones worth retrying."""
    target = httpx.URL(url)
    where = f"{target.host}:{target.port or (443 if target.scheme == 'https' else 80)}"
    causes = _causes(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return _Transient(FetchError(FailureKind.TIMEOUT, f"connecting to {where} timed out"))
    if isinstance(exc, httpx.TimeoutException):
        return _Transient(
            FetchError(FailureKind.TIMEOUT, f"{target.host} stopped answering (read timeout)")
        )
    if isinstance(exc, httpx.ConnectError):
        for cause in causes:
            if isinstance(cause, socket.gaierror):
                error = FetchError(
                    FailureKind.DNS, f"cannot resolve host {target.host!r} ({cause.strerror})"
                )
                # Only a temporary resolver failure is worth another try.
                return _Transient(error) if cause.errno == socket.EAI_AGAIN else error
            if isinstance(cause, ConnectionRefusedError):
                return _Transient(
                    FetchError(
                        FailureKind.REFUSED, f"connection to {where} refused (nothing listening?)"
                    )
                )
            if isinstance(cause, ssl.SSLError):
                return FetchError(FailureKind.NETWORK, f"TLS error with {where}: {cause}")
        return _Transient(FetchError(FailureKind.NETWORK, f"cannot connect to {where}: {exc}"))
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL | httpx.LocalProtocolError):
        return FetchError(FailureKind.NETWORK, f"cannot request {url}: {exc}")
    if isinstance(exc, httpx.DecodingError):
        return FetchError(FailureKind.NETWORK, f"cannot decode the response from {where}: {exc}")
    return _Transient(
        FetchError(FailureKind.NETWORK, f"network error with {where}: {exc or type(exc).__name__}")
    )
