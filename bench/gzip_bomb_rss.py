"""Peak memory of fetching a two-layer gzip bomb: Dossier's fetcher against httpx's own decoder.

    python bench/gzip_bomb_rss.py

Serves `tests/sites.py`'s bomb (2 GiB of zeros behind `Content-Encoding:
gzip, gzip`, about 5 KB on the wire) on 127.0.0.1 and fetches it in two fresh
subprocesses: once with `dossier.ingest.fetch.Fetcher` (default max_bytes,
50 MiB), once with `httpx.stream(...).iter_bytes()` stopping at the same cap.
Prints each process's peak RSS (getrusage ru_maxrss). The test
`test_gzip_bomb_keeps_peak_memory_bounded` asserts the first stays under 300 MB.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import sites

DOSSIER = """
import resource, tempfile
from dossier.ingest.fetch import Fetcher, FetchError
from dossier.settings import Settings
settings = Settings(data_dir=tempfile.mkdtemp(), allow_private_networks=True)
with Fetcher(settings) as fetcher:
    try:
        fetcher.get(URL, source_id="bomb")
        print("fetched (the cap did not fire)")
    except FetchError as exc:
        print(exc.kind.value + ":", exc.reason)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"dossier fetcher peak RSS: {peak:.0f} MB")
"""

HTTPX = """
import resource, httpx
total = 0
try:
    with httpx.stream("GET", URL) as response:
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > 50 * 2**20:
                print("cap reached after", total, "bytes")
                break
except httpx.HTTPError as exc:
    print("httpx:", type(exc).__name__, exc)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"httpx iter_bytes peak RSS: {peak:.0f} MB")
"""


def main() -> None:
    with sites.standard_site() as site:
        url = site.url(sites.GZIP_BOMB)
        print(f"bomb: {len(sites.gzip_bomb())} bytes on the wire, {sites.BOMB_DECODED} decoded")
        for code in (DOSSIER, HTTPX):
            run = subprocess.run(
                [sys.executable, "-c", f"URL = {url!r}\n{code}"], capture_output=True, text=True
            )
            print(run.stdout.strip() or run.stderr.strip()[-500:])


if __name__ == "__main__":
    main()
