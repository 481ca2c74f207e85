"""A real web server on 127.0.0.1 serving generated pages, PDFs and failures for ingest tests.

Everything served is generated here (HTML with real prose, PDFs made with
fpdf2), and every request is counted per path, so tests can check what the
fetcher actually did: how many attempts, whether a 304 was answered, whether
the server was contacted at all.
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import gzip
import io
import random
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

import matplotlib
import pypdf
from fpdf import FPDF

from dossier.ingest.fetch import Fetcher, FetchError
from dossier.settings import Settings

# -- generated content -------------------------------------------------------

ARTICLE_TITLE = "Grain corridors of the steppe"
ARTICLE_AUTHOR = "Aigerim Sadykova"
ARTICLE_DATE = "2021-05-04"
ARTICLE_PARAGRAPHS = [
    "Kazakhstan exports most of its wheat through a handful of rail corridors that cross "
    "Russia. For three decades the arrangement suited both governments, because the railways "
    "were built as a single Soviet network and nobody saw a reason to duplicate them.",
    "The border opened in 1991 but the timetables did not change. Freight wagons kept rolling "
    "north, and the customs posts that appeared in the mid-1990s were staffed by officers who "
    "had worked side by side a few years earlier.",
    "Since 2014, however, Astana has looked for alternatives. The Trans-Caspian route, which "
    "runs by ferry across the sea to Azerbaijan, has carried more containers each year, though "
    "it remains slower and costlier than the northern lines.",
    "Shippers interviewed in Aktau said the ferries leave only when they are full. A cargo of "
    "grain can wait a week on the quay, and insurers have started to price that delay into "
    "their contracts.",
]
ARTICLE_SUBHEADING = "A shared network"
COOKIE_TEXT = "We use cookies to improve your experience. Accept all cookies"
FOOTER_TEXT = "Copyright 2024 Steppe Review. All rights reserved."
NAV_TEXT = "Subscribe to our newsletter"

REVALIDATED_PARAGRAPHS = [
    "The pipeline consortium was founded in 1992 to carry oil from the Tengiz field to the "
    "Black Sea port of Novorossiysk. Its shareholders include the Russian state, the Kazakh "
    "state and several international oil companies.",
    "Storms at the terminal in 2021 and 2022 interrupted loadings for weeks at a time, and each "
    "interruption reminded Kazakh officials how much of their export revenue depends on a "
    "single outlet on Russian soil.",
]

PDF_TITLE = "Caspian Pipeline Consortium: Bellwether of the Investment Climate"
PDF_PAGES = [
    "The consortium's shareholders agreed in 1996 on a capital structure that gave the Russian "
    "government the largest single stake. Private partners financed the construction in "
    "exchange for guaranteed capacity. The shareholders met twice a year to approve budgets, "
    "and every decision needed a qualified majority, which in practice meant unanimity among "
    "the largest partners.",
    "Transit tariffs were the main source of friction. The Russian side argued that the tariff "
    "set in the founding documents no longer covered the cost of maintaining the pipeline, "
    "while the oil companies insisted that the tariff was part of the bargain that made the "
    "investment possible. Each revision of the tariff took years of negotiation.",
    "The dispute ended in arbitration only once, when a Moscow court fined the consortium for "
    "environmental damage. Investors read the arbitration as a signal about the wider climate "
    "for foreign capital in Russia, and several postponed projects that had already been "
    "approved by their boards.",
]
PDF_KEYWORDS = ["shareholders", "tariff", "arbitration"]  # one per page, for page checks


def article_html(
    title: str = ARTICLE_TITLE,
    paragraphs: list[str] | None = None,
    *,
    author: str = ARTICLE_AUTHOR,
    date: str = ARTICLE_DATE,
) -> bytes:
    """An article page as real sites build them: the prose wrapped in page furniture."""
    paragraphs = ARTICLE_PARAGRAPHS if paragraphs is None else paragraphs
    body = f"<p>{paragraphs[0]}</p>\n<h2>{ARTICLE_SUBHEADING}</h2>\n" + "\n".join(
        f"<p>{p}</p>" for p in paragraphs[1:]
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{title} | Steppe Review</title>
<meta name="author" content="{author}">
<meta property="article:published_time" content="{date}">
<meta name="description" content="How grain and oil leave Central Asia.">
</head>
<body>
<header><a href="/">Steppe Review</a>
<nav><ul><li><a href="/world">World</a></li><li><a href="/economy">Economy</a></li>
<li><a href="/newsletter">{NAV_TEXT}</a></li></ul></nav></header>
<div class="cookie-banner" id="cookie-consent"><p>{COOKIE_TEXT}</p><button>OK</button></div>
<main><article>
<h1>{title}</h1>
<p class="byline">By {author}, {date}</p>
{body}
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/x">Ten facts about camels</a></li></ul></aside>
<footer><p>{FOOTER_TEXT}</p><a href="/privacy">Privacy</a></footer>
</body>
</html>""".encode()


def consent_wall_html() -> bytes:
    """What a script-only consent wall serves to a client that runs no JavaScript."""
    return b"""<!DOCTYPE html><html lang="fr"><head><title>Consentement</title>
<script src="/consent.js"></script></head>
<body><div id="consent-root">Please enable JavaScript.</div>
<script>window.__consent = {required: true};</script></body></html>"""


def make_pdf(pages: list[str], title: str | None = None) -> bytes:
    """A real PDF with one page per string (fpdf2 core font, so latin-1 text only)."""
    pdf = FPDF()
    if title:
        pdf.set_title(title)
        pdf.set_author("Adrian Dellecker")
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def pdf_copy(note: str) -> bytes:
    """The report PDF with `note` added to every page: same layout, different text."""
    return make_pdf([f"{page} {note}" for page in PDF_PAGES], title=PDF_TITLE)


def scanned_pdf() -> bytes:
    """A PDF whose pages hold only drawings: no text layer, like a scan."""
    pdf = FPDF()
    for _ in range(2):
        pdf.add_page()
        pdf.rect(20, 20, 120, 160)
    return bytes(pdf.output())


def landing_html(pdf_href: str | None) -> bytes:
    link = f'<p><a href="{pdf_href}">Download the full report (PDF)</a></p>' if pdf_href else ""
    return f"""<!DOCTYPE html><html lang="en"><head><title>Notes - Russia/NIS Center</title>
</head><body><nav><a href="/">Home</a> <a href="/notes">Notes</a></nav>
<h1>{PDF_TITLE}</h1><p>A note of the Russia/NIS Center, June 2008.</p>
<p><a href="/images/cover.jpg">Cover image</a></p>{link}
</body></html>""".encode()


# -- the server --------------------------------------------------------------

Route = Callable[["_Handler"], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        path = self.path.split("?", 1)[0]
        with site.lock:
            site.hits[path] += 1
            site.requests.append((path, dict(self.headers)))
        route = site.routes.get(path)
        if route is None:
            self.send_body(404, b"<html><body>Not found</body></html>", "text/html")
            return
        # The client may give up (size cap, timeout): expected in these tests.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self)

    def send_body(
        self,
        status: int,
        body: bytes,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: Site

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-response are part of the tests


class Site:
    """A loopback server with named routes; `hits[path]` counts requests per path."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.not_modified = 0
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, handler: Route) -> None:
        self.routes[path] = handler

    def static(
        self,
        path: str,
        body: bytes,
        content_type: str | None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.route(path, lambda h: h.send_body(status, body, content_type, headers))

    def total_hits(self) -> int:
        with self.lock:
            return sum(self.hits.values())

    def __enter__(self) -> Site:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# Paths of the standard site (tests refer to these names, not to literals).
ARTICLE = "/news/grain-corridors.html"
MOVED = "/old/grain-corridors"
PDF = "/files/cpc-report.pdf"
LANDING = "/notes/cpc.html"
LANDING_PDF = "/notes/files/cpc-2008.pdf"  # what the landing page's relative href resolves to
LANDING_NO_LINK = "/notes/no-link.html"
DISGUISED_PDF = "/view/document.html"
ETAG = "/analysis/pipeline.html"
FLAKY = "/flaky.html"
NOT_FOUND = "/status/404"
FORBIDDEN = "/status/403"
SERVER_ERROR = "/status/500"
SLOW = "/slow.html"
BIG_DECLARED = "/big/declared.bin"
BIG_STREAMED = "/big/streamed.bin"
LOOP_A, LOOP_B = "/loop/a", "/loop/b"
JUNK = "/junk.html"
CONSENT = "/consent.html"
SCANNED = "/scan.pdf"
CORRUPT_PDF = "/broken.pdf"
PLAIN_TEXT = "/notes.txt"

ETAG_VALUE = '"pipeline-v1"'
LAST_MODIFIED = "Mon, 03 Jun 2024 10:00:00 GMT"


def standard_site(*, slow_seconds: float = 1.5, big_bytes: int = 400_000) -> Site:
    """The site the ingest tests use: good sources and every kind of failure."""
    site = Site()
    pdf = make_pdf(PDF_PAGES, title=PDF_TITLE)
    html = "text/html; charset=utf-8"

    site.static(ARTICLE, article_html(), html)
    site.static(MOVED, b"", html, status=301, headers={"Location": ARTICLE})
    site.static(PDF, pdf, "application/pdf")
    site.static(LANDING, landing_html("files/cpc-2008.pdf"), html)
    site.static(LANDING_NO_LINK, landing_html(None), html)
    # Distinct copies, so the pipeline does not report them as duplicates of PDF.
    site.static(DISGUISED_PDF, pdf_copy("(Served as HTML.)"), "text/html")
    site.static(NOT_FOUND, b"<html><body>No such page</body></html>", html, status=404)
    site.static(FORBIDDEN, b"<html><body>Access denied</body></html>", html, status=403)
    site.static(SERVER_ERROR, b"<html><body>Oops</body></html>", html, status=500)
    site.static(LOOP_A, b"", html, status=302, headers={"Location": LOOP_B})
    site.static(LOOP_B, b"", html, status=302, headers={"Location": LOOP_A})
    site.static(JUNK, random.Random(7).randbytes(20_000), "text/html")
    site.static(CONSENT, consent_wall_html(), html)
    site.static(SCANNED, scanned_pdf(), "application/pdf")
    site.static(CORRUPT_PDF, b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\ngarbage", "application/pdf")
    site.static(PLAIN_TEXT, "\n\n".join(ARTICLE_PARAGRAPHS).encode(), "text/plain")

    def etagged(path: str, body: bytes, content_type: str, etag: str) -> None:
        """A route with validators that answers 304 to a matching If-None-Match."""
        validators = {"ETag": etag, "Last-Modified": LAST_MODIFIED}

        def serve(h: _Handler) -> None:
            if h.headers.get("If-None-Match") == etag:
                with site.lock:
                    site.not_modified += 1
                h.send_body(304, b"", None, validators)
            else:
                h.send_body(200, body, content_type, validators)

        site.route(path, serve)

    etagged(ETAG, article_html("The pipeline that binds", REVALIDATED_PARAGRAPHS), html, ETAG_VALUE)
    etagged(LANDING_PDF, pdf_copy("(Linked from a landing page.)"), "application/pdf", '"cpc-2008"')

    def flaky(h: _Handler) -> None:
        if site.hits[FLAKY] <= 2:
            h.send_body(503, b"busy", "text/plain")
        else:
            h.send_body(200, article_html("Flaky but fine"), html)

    def slow(h: _Handler) -> None:
        time.sleep(slow_seconds)
        h.send_body(200, article_html("Too slow"), html)

    def big_declared(h: _Handler) -> None:
        h.send_body(200, b"x" * big_bytes, "application/octet-stream")

    def big_streamed(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        chunk = b"<p>" + b"y" * 8_000 + b"</p>"
        for _ in range(big_bytes // len(chunk) + 1):
            h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")

    site.route(FLAKY, flaky)
    site.route(SLOW, slow)
    site.route(BIG_DECLARED, big_declared)
    site.route(BIG_STREAMED, big_streamed)
    add_hostile_routes(site)
    add_format_routes(site)
    return site


# -- hostile sources -----------------------------------------------------------------

GZIP_BOMB = "/hostile/bomb.html"
DOUBLE_GZIP = "/hostile/double-gzip.html"
RAW_DEFLATE = "/hostile/deflate.html"
GZIP_OVERSIZE = "/hostile/gzip-oversize.html"
BROTLI = "/hostile/brotli.html"
TRICKLE = "/hostile/trickle.html"
TO_METADATA = "/hostile/to-metadata"
TO_DATA = "/hostile/to-data"
TO_FILE = "/hostile/to-file"
RATE_LIMITED = "/hostile/429-then-ok"
RATE_LIMITED_DATE = "/hostile/503-date-then-ok"
RATE_LIMITED_LONG = "/hostile/429-for-an-hour"
METADATA_URL = "http://169.254.169.254/latest/meta-data/"
BOMB_DECODED = 2 * 2**30
TRICKLE_BYTES = 16_384
TRICKLE_INTERVAL = 0.05


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


@functools.cache
def gzip_bomb(decoded: int = BOMB_DECODED) -> bytes:
    """`decoded` zero bytes, gzipped twice: about 5 KB on the wire for 2 GiB decoded.

    Built without compressing gigabytes: after a full flush, deflate emits the
    same bytes for every further MiB of zeros, so the inner stream is one
    block repeated. Its CRC is left 0: no capped decoder ever gets that far.
    """
    unit = 2**20
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = packer.compress(bytes(unit)) + packer.flush(zlib.Z_FULL_FLUSH)
    repeat = packer.compress(bytes(unit)) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.flush()[:-8] + struct.pack("<II", 0, decoded % 2**32)
    inner = first + repeat * (decoded // unit - 1) + end
    return gzip_bytes(inner)


# Formats: labels that lie, legacy charsets, encrypted and typeset PDFs.
HTML_AS_TEXT = "/formats/page-labelled-text"
LATIN1_HEADER = "/formats/latin1-header.html"
LATIN1_META = "/formats/latin1-meta.html"
ASCII_LABEL = "/formats/ascii-label.txt"
AES_PDF = "/formats/aes-empty-password.pdf"
LOCKED_PDF = "/formats/password.pdf"
LIGATURE_PDF = "/formats/typeset.pdf"
WINDOWS_1252_TEXT = (
    "The minister called the deal \u201ca bridge, not a wall\u201d \u2013 a phrase repeated "
    "in every capital \u2014 and priced the first tranche at \u20ac40 million. Critics said "
    "the \u2018bridge\u2019 led only one way, and that the \u20ac figure left out the "
    "cost of the ferries, the port works in Aktau and the new customs post at the border."
)
LIGATURE_PARAGRAPHS = [
    "The ﬁrst deﬁnition of the corridor appears in the 1996 agreement. Each deﬁnition that "
    "followed narrowed the ﬁeld: the ﬂows of grain, the eﬀect on tariﬀs and the oﬃce that "
    "would baﬄe every shipper for a decade.",
    "Lorem ipsum dolor sit amet, consectetur adip-\niscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. The Trans-\nCaspian route stayed slower.",
]


def typeset_pdf() -> bytes:
    """A PDF like pdfTeX's: ligature glyphs mapped to U+FB01 etc., and a hyphenated line break.

    Uses the DejaVu Sans font that ships inside matplotlib (a dependency), so
    no system font is needed.
    """
    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(font))
    pdf.set_font("DejaVu", size=11)
    pdf.add_page()
    for paragraph in LIGATURE_PARAGRAPHS:
        pdf.multi_cell(0, 6, paragraph)
        pdf.ln(4)
    return bytes(pdf.output())


def encrypted_pdf(user_password: str) -> bytes:
    """The report PDF encrypted with AES-256; an empty user password opens without asking."""
    reader = pypdf.PdfReader(io.BytesIO(make_pdf(PDF_PAGES, title=PDF_TITLE)))
    writer = pypdf.PdfWriter(clone_from=reader)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_format_routes(site: Site) -> None:
    page = article_html("Served as plain text")
    site.static(HTML_AS_TEXT, page, "text/plain; charset=utf-8")
    legacy = f"<p>{WINDOWS_1252_TEXT}</p>".encode("cp1252")
    site.static(
        LATIN1_HEADER,
        b"<!DOCTYPE html><html><head><title>Bridge</title></head><body>"
        + legacy
        + b"</body></html>",
        "text/html; charset=iso-8859-1",
    )
    site.static(
        LATIN1_META,
        b'<!DOCTYPE html><html><head><meta charset="latin1"><title>Bridge</title></head><body>'
        + legacy
        + b"</body></html>",
        "text/html",
    )
    site.static(ASCII_LABEL, WINDOWS_1252_TEXT.encode("cp1252"), "text/plain; charset=us-ascii")
    site.static(AES_PDF, encrypted_pdf(""), "application/pdf")
    site.static(LOCKED_PDF, encrypted_pdf("secret"), "application/pdf")
    site.static(LIGATURE_PDF, typeset_pdf(), "application/pdf")


def add_hostile_routes(site: Site) -> None:
    """What a hostile tester serves: compression bombs, trickles, redirects inward, 429s."""
    html = "text/html; charset=utf-8"
    article = article_html("Twice compressed")

    def bomb(h: _Handler) -> None:
        h.send_body(200, gzip_bomb(), html, {"Content-Encoding": "gzip, gzip"})

    site.route(GZIP_BOMB, bomb)
    site.static(
        DOUBLE_GZIP,
        gzip_bytes(gzip_bytes(article)),
        html,
        headers={"Content-Encoding": "gzip, gzip"},
    )
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    site.static(
        RAW_DEFLATE,
        raw.compress(article_html("Raw deflate")) + raw.flush(),
        html,
        headers={"Content-Encoding": "deflate"},
    )
    site.static(
        GZIP_OVERSIZE,
        gzip_bytes(b"<p>" + b"z" * 1_000_000 + b"</p>"),
        html,
        headers={"Content-Encoding": "gzip"},
    )
    site.static(BROTLI, b"\x0b\x02\x80hello\x03", html, headers={"Content-Encoding": "br"})

    def trickle(h: _Handler) -> None:
        """A 16 KB body at 20 bytes a second: never idle long enough for a read timeout."""
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(TRICKLE_BYTES))
        h.end_headers()
        for _ in range(TRICKLE_BYTES):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(TRICKLE_INTERVAL)

    site.route(TRICKLE, trickle)
    for path, target in ((TO_METADATA, METADATA_URL), (TO_DATA, "data:text/html,<p>hi</p>")):
        site.static(path, b"", html, status=302, headers={"Location": target})
    site.static(TO_FILE, b"", html, status=301, headers={"Location": "file:///etc/passwd"})

    def rate_limited(path: str, status: int, retry_after: Callable[[], str]) -> Route:
        def serve(h: _Handler) -> None:
            if site.hits[path] == 1:
                h.send_body(status, b"slow down", "text/plain", {"Retry-After": retry_after()})
            else:
                h.send_body(200, article_html("Patience rewarded"), html)

        return serve

    site.route(RATE_LIMITED, rate_limited(RATE_LIMITED, 429, lambda: "1"))
    site.route(
        RATE_LIMITED_DATE,
        rate_limited(
            RATE_LIMITED_DATE,
            503,
            lambda: email.utils.formatdate(time.time() + 2, usegmt=True),
        ),
    )
    site.static(
        RATE_LIMITED_LONG, b"later", "text/plain", status=429, headers={"Retry-After": "3600"}
    )


def refused_url() -> str:
    """A loopback URL where nothing listens: bind a port, then free it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


UNRESOLVABLE_URL = "http://nonexistent.invalid/"


def fast_settings(data_dir: Path, corpus: Path | None = None, **overrides: object) -> Settings:
    """Settings with small timeouts and limits, so failure paths cost well under a second."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "connect_timeout": 1.0,
        "read_timeout": 0.4,
        "retries": 2,
        "backoff": 0.01,
        "max_bytes": 200_000,
        "max_redirects": 5,
        "min_text_chars": 200,
        "passage_chars": 300,
        "overlap_chars": 80,
        "source_deadline": 10.0,
        "allow_private_networks": True,  # the test site is on 127.0.0.1
    }
    if corpus is not None:
        values["corpus"] = corpus
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def fetch_failure(fetcher: Fetcher, url: str) -> FetchError:
    """The FetchError a fetch of `url` must raise."""
    import pytest

    with pytest.raises(FetchError) as caught:
        fetcher.get(url, source_id="t")
    return caught.value
