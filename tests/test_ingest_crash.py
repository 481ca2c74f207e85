"""No data lost: the data-dir lock between real processes, and a seeded SIGKILL crash test.

Both drive `python -m dossier.cli ingest` in subprocesses against the loopback
site, the way a cron job and an analyst would collide, and then check the data
directory with the same code the service and an offline ingest use.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dossier.index.store import current_index_id, load_index
from dossier.ingest.cache import ENTRY, Cache
from dossier.ingest.pipeline import run_ingest
from dossier.service.engine import Engine
from dossier.settings import Settings

import sites
from conftest import run_cli
from sites import Site

SOURCES = 6
PADDING = 600_000  # bytes of HTML comment per page: cache writes take real time
PUBLISHED = re.compile(r"Published index (\S+):")


def serve_changing_pages(site: Site, delay: float = 0.0) -> list[str]:
    """SOURCES article pages whose bytes change on every request (text does not).

    No validators, so every ingest rewrites every cache entry. `delay` slows each answer.
    """
    paths = []
    for n in range(SOURCES):
        path = f"/crash/source-{n}.html"
        paragraphs = [f"Report {n}. {p}" for p in sites.ARTICLE_PARAGRAPHS]
        page = sites.article_html(f"Report {n} on grain corridors", paragraphs)

        def serve(h: sites._Handler, page: bytes = page, path: str = path) -> None:
            time.sleep(delay)
            stamp = f"<!-- fetch {site.hits[path]} {'.' * PADDING} -->".encode()
            h.send_body(200, page.replace(b"</body>", stamp + b"</body>"), "text/html")

        site.route(path, serve)
        paths.append(path)
    return paths


def write_corpus(folder: Path, site: Site, paths: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    corpus = folder / "sources.toml"
    corpus.write_text(
        "".join(
            f'[[source]]\nid = "source-{n}"\nurl = "{site.url(path)}"\n\n'
            for n, path in enumerate(paths)
        ),
        encoding="utf-8",
    )
    return corpus


@dataclass
class Run:
    """A `dossier ingest` subprocess whose stderr lines are collected as they come."""

    process: subprocess.Popen[str]
    started: float
    lines: list[tuple[float, str]] = field(default_factory=list)
    pattern: re.Pattern[str] | None = None
    matches: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append((time.monotonic(), line.rstrip("\n")))
            if self.pattern is not None and self.pattern.search(line):
                with self.changed:
                    self.matches += 1
                    self.changed.notify_all()
        with self.changed:  # end of output: nobody should wait any longer
            self.pattern = None
            self.changed.notify_all()

    def wait_for_match(self, count: int, timeout: float = 300) -> bool:
        """Block until the watched pattern has been logged `count` times (False if it never is)."""
        with self.changed:
            return (
                self.changed.wait_for(
                    lambda: self.matches >= count or self.pattern is None, timeout
                )
                and self.matches >= count
            )

    def output(self) -> str:
        return "\n".join(line for _, line in self.lines)

    def wait(self, timeout: float = 300) -> int:
        code = self.process.wait(timeout)
        self._reader.join(timeout=10)
        return code


def start_ingest(
    data: Path, corpus: Path, *, env: dict[str, str] | None = None, watch: str | None = None
) -> Run:
    command = [sys.executable, "-m", "dossier.cli", "--verbose", "ingest"]
    command += ["--data-dir", str(data), "--corpus", str(corpus), "--no-progress"]
    environment = {**os.environ, "COLUMNS": "250", "DOSSIER_ALLOW_PRIVATE_NETWORKS": "true"}
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**environment, **(env or {})},
    )
    run = Run(process, time.monotonic(), pattern=re.compile(watch) if watch else None)
    run._reader = threading.Thread(target=run._read, daemon=True)  # type: ignore[attr-defined]
    run._reader.start()  # type: ignore[attr-defined]
    return run


def published_id(run: Run) -> str:
    match = PUBLISHED.search(run.output())
    assert match, run.output()[-3000:]
    return match.group(1)


@pytest.fixture
def changing_site() -> Iterator[tuple[Site, list[str]]]:
    with sites.Site() as site:
        yield site, serve_changing_pages(site)


# -- the data-dir lock -----------------------------------------------------------------------


def test_a_second_ingest_waits_or_exits_and_never_interleaves(tmp_path: Path) -> None:
    with sites.Site() as site:
        paths = serve_changing_pages(site, delay=2.0)  # the first run holds the lock a while
        corpus = write_corpus(tmp_path / "corpus", site, paths)
        data = tmp_path / "data"
        first = start_ingest(
            data, corpus, env={"DOSSIER_FETCH_WORKERS": "2", "DOSSIER_USER_AGENT": "first"}
        )
        deadline = time.monotonic() + 120
        while site.total_hits() == 0:  # the first run holds the lock before its first request
            assert time.monotonic() < deadline and first.process.poll() is None, first.output()
            time.sleep(0.05)

        impatient = start_ingest(
            data, corpus, env={"DOSSIER_INGEST_LOCK_WAIT": "0", "DOSSIER_USER_AGENT": "impatient"}
        )
        patient = start_ingest(
            data, corpus, env={"DOSSIER_INGEST_LOCK_WAIT": "300", "DOSSIER_USER_AGENT": "patient"}
        )
        assert impatient.wait(120) == 1
        message = impatient.output()
        assert f"another `dossier ingest` (pid {first.process.pid}) is running on {data}" in (
            " ".join(message.split())
        ), message
        assert "Traceback" not in message

        assert first.wait() == 0, first.output()[-3000:]
        assert patient.wait() == 0, patient.output()[-3000:]
        assert "waiting up to 300s" in patient.output()

    first_id, patient_id = published_id(first), published_id(patient)
    assert patient_id > first_id  # ids sort by build time
    assert current_index_id(Settings(data_dir=data)) == patient_id  # the newer build is served
    # Each run fetched every source once, and never while the other held the lock.
    agents = [headers["User-Agent"] for _path, headers in site.requests]
    assert agents == ["first"] * SOURCES + ["patient"] * SOURCES
    for source_id in (f"source-{n}" for n in range(SOURCES)):
        cached = Cache(data / "cache").load(source_id)
        assert cached is not None and cached.body.count(b"<!-- fetch 2 ") == 1  # patient's copy


# -- crash test --------------------------------------------------------------------------------

ANCHORS = {
    # where to kill, as seen in the ingest's own log: (pattern, rounds, extra delay range in s)
    "cache write": (r": caching \d+ bytes", 11, (0.0, 0.004)),
    "build": (r"sentence store: \d+ sentences", 3, (0.0, 0.05)),
    "publish": (r"built index ", 4, (0.0, 0.02)),
    "prune": (r"published index ", 2, (0.0, 0.01)),
}
RANDOM_ROUNDS = 2  # plain random timing, anywhere in a run
KILLS_REQUIRED = 20


def check_data_dir(data: Path, engine: Engine) -> None:
    """What must hold after any kill: a complete served index that answers, a sound cache."""
    settings = engine.settings
    published = current_index_id(settings)
    assert published is not None
    index = load_index(settings, embedder=engine.embedder)
    assert sorted(index.manifest.source_ids) == [f"source-{n}" for n in range(SOURCES)]
    assert len(index.passages) == index.manifest.passage_count > 0
    answer = engine.ask("Since when has Astana looked for alternatives to the Russian lines?")
    assert engine.index_id == published
    assert answer.passages and not answer.abstained, answer.answer
    assert any("2014" in c.quote for c in answer.citations)
    cache = Cache(settings.cache_dir)
    for n in range(SOURCES):
        folder = settings.cache_dir / f"source-{n}"
        entry = folder / ENTRY
        assert entry.is_file(), sorted(p.name for p in folder.iterdir())
        loaded = cache.load(f"source-{n}")  # parses the record and checks the body's sha256
        assert loaded is not None, f"source-{n}: damaged cache entry"
        assert loaded.record.size == len(loaded.body)
        strays = {p.name for p in folder.iterdir()} - {ENTRY}
        assert all(name.startswith(".entry.") and name.endswith(".tmp") for name in strays)


def test_sigkill_at_random_points_loses_nothing(
    changing_site: tuple[Site, list[str]], tmp_path: Path
) -> None:
    seed = int(os.environ.get("DOSSIER_CRASH_SEED", "9"))
    rng = random.Random(seed)
    site, paths = changing_site
    corpus = write_corpus(tmp_path / "corpus", site, paths)
    data = tmp_path / "data"
    settings = Settings(data_dir=data, corpus=corpus, allow_private_networks=True)

    baseline = start_ingest(data, corpus)
    assert baseline.wait() == 0, baseline.output()[-3000:]
    duration = baseline.lines[-1][0] - baseline.started
    engine = Engine(settings)
    check_data_dir(data, engine)

    plan = [name for name, (_p, rounds, _d) in ANCHORS.items() for _ in range(rounds)]
    plan += ["random"] * RANDOM_ROUNDS
    rng.shuffle(plan)
    plan += ["cache write"] * 6  # spares, used only if a process finished before its kill
    kills: dict[str, int] = {}
    leftovers = {"cache temp files": 0, "build directories": 0, "publish links": 0}
    for round_number, where in enumerate(plan):
        if round_number >= len(plan) - 6 and sum(kills.values()) >= KILLS_REQUIRED:
            break
        if where == "random":
            run = start_ingest(data, corpus)
            time.sleep(rng.uniform(0.2, duration))
        else:
            pattern, _rounds, (low, high) = ANCHORS[where]
            run = start_ingest(data, corpus, watch=pattern)
            # For a cache write, pick which source's write to interrupt.
            nth = rng.randrange(SOURCES) + 1 if where == "cache write" else 1
            run.wait_for_match(nth)
            time.sleep(rng.uniform(low, high))
        if run.process.poll() is None:
            run.process.send_signal(signal.SIGKILL)
            kills[where] = kills.get(where, 0) + 1
        run.wait()
        leftovers["cache temp files"] += bool(list(data.glob("cache/*/.entry.*.tmp")))
        leftovers["build directories"] += bool(list(data.glob("indexes/*.tmp-*")))
        leftovers["publish links"] += bool(list(data.glob(".current.tmp-*")))
        check_data_dir(data, engine)
        # The cache alone rebuilds every source (in-process, the real pipeline); every
        # few rounds, through the real command, publishing the result.
        offline = run_ingest(settings, offline=True, progress=False)
        assert offline.report.outcome == "all", [s.reason for s in offline.report.sources]
        if round_number % 6 == 5:
            code, output = run_cli(
                "ingest",
                "--offline",
                "--data-dir",
                str(data),
                "--corpus",
                str(corpus),
                "--no-progress",
            )
            assert code == 0, output
            check_data_dir(data, engine)
    print(f"seed {seed}: kills {kills}; runs that left {leftovers}")
    assert sum(kills.values()) >= KILLS_REQUIRED, kills
    assert kills.get("cache write", 0) >= 8 and kills.get("publish", 0) >= 3, kills

    code, output = run_cli(
        "ingest", "--offline", "--data-dir", str(data), "--corpus", str(corpus), "--no-progress"
    )
    assert code == 0, output
    check_data_dir(data, engine)
