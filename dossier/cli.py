"""The `dossier` command: ingest, serve, ask, search, sources, eval.

Exit statuses: 0 success; 1 an error (the message says what to fix);
2 bad usage; for `ingest`, 3 when some sources failed (the others are
indexed) and 4 when none could be used (the previous index stays published).
"""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TextIO

import typer

if TYPE_CHECKING:  # the service loads torch: imported only by the commands that need it
    from rich.console import Console

    from dossier.service.engine import Engine
    from dossier.settings import Settings

EXIT_ERROR, EXIT_SOME_FAILED, EXIT_NONE_USABLE = 1, 3, 4

app = typer.Typer(
    help="Answers questions from an article and its sources, citing the exact passages.",
    epilog="Settings come from the flags, then DOSSIER_* environment variables (DOSSIER_DATA_DIR, "
    "DOSSIER_MODEL, DOSSIER_MODE, …), then the TOML file named by DOSSIER_CONFIG "
    "[default: ./dossier.toml]; the README lists them all.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # keeps "[default: …]" and "[env: …]" in the help text
)


class LazyConsole:
    """A rich Console made on first use, so that `--help`, usage errors and the one-line
    failures (a wrong data dir, an unknown source) never import rich.

    Off a terminal (a file, a pipe, CI) lines are not wrapped at 80 columns: one table
    row per line, and a message stays on one line."""

    def __init__(self, stderr: bool = False) -> None:
        self.stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            stream = sys.stderr if self.stderr else sys.stdout
            wrap = stream.isatty() or "COLUMNS" in os.environ
            self._console = Console(stderr=self.stderr, width=None if wrap else 10_000)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


def escape(text: str) -> str:
    """Text shown as is by rich (no markup)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _colour(stream: TextIO) -> bool:
    """Whether to colour a line written straight to `stream` (rich's own rules, in short)."""
    return (
        stream.isatty()
        and "NO_COLOR" not in os.environ
        and os.environ.get("TERM", "") not in ("dumb", "unknown")
    )


out = LazyConsole()
err = LazyConsole(stderr=True)


def print_json(text: str | None = None, data: Any = None) -> None:
    """JSON on stdout: highlighted by rich on a terminal; for a program (a pipe, a file) the
    same text, indented by two, without importing rich."""
    if sys.stdout.isatty():
        out.print_json(text, data=data)
        return
    import json

    value = json.loads(text) if text is not None else data
    print(json.dumps(value, indent=2, ensure_ascii=False))


def print_rows(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """A table off a terminal: aligned columns, one line per row, the last column whole
    (a program or a log reads it; on a terminal the commands print a rich table)."""
    widths = [max(len(row[c]) for row in [header, *rows]) for c in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())


log = logging.getLogger("dossier")

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Where fetched files and indexes live. [env: DOSSIER_DATA_DIR] [default: data]",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print the same JSON as the HTTP API.")]
K = Annotated[int, typer.Option("--k", "-k", min=1, max=50, help="Passages to retrieve.")]
ModeOpt = Annotated[
    str | None,
    typer.Option("--mode", help="hybrid, dense or lexical. [env: DOSSIER_MODE] [default: hybrid]"),
]
SourcesOpt = Annotated[
    list[str] | None,
    typer.Option("--source", "-s", help="Only search this source id (repeatable)."),
]


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """One line saying what is wrong and what to do, and the exit status."""
    label = "\x1b[1;31merror:\x1b[0m" if _colour(sys.stderr) else "error:"
    print(label, " ".join(message.split()), file=sys.stderr)  # no rich: fails stay fast
    raise typer.Exit(code)


_global: dict[str, object] = {}  # options given before the command, e.g. `dossier --store URL …`


def load_settings(data_dir: Path | None = None, **overrides: object) -> Settings:
    # Imported here: `--help` and usage errors need neither pydantic nor the settings.
    from tomllib import TOMLDecodeError

    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from dossier.settings import Settings, config_file

    path = config_file()
    if path is not None and not path.is_file():
        fail(f"DOSSIER_CONFIG names {path}, which does not exist")
    given = {key: value for key, value in {**_global, **overrides}.items() if value is not None}
    if data_dir is not None:
        given["data_dir"] = data_dir
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors()
        )
        fail(
            f"invalid settings ({problems}); check DOSSIER_* variables and {path or 'dossier.toml'}"
        )
    except SettingsError as exc:  # a list or table variable that is not JSON
        fail(f"invalid settings ({exc}); list and table variables are JSON, e.g. '[\"a\"]'")
    except (TOMLDecodeError, OSError) as exc:
        fail(f"cannot read the settings file {path}: {exc}")


@contextmanager
def engine_errors() -> Iterator[None]:
    """Turn the engine's and the model's errors (no index, unknown source, …) into messages."""
    from dossier.index.embed import EmbedderError
    from dossier.service.engine import EngineError

    try:
        yield
    except (EngineError, EmbedderError) as exc:
        fail(str(exc))


def _preflight(settings: Settings, sources: list[str] | None = None) -> None:
    """Fail at once, before the model loads, on a missing index, source or model."""
    from dossier.service.sources import NotUsableError, UnknownSourceError, preflight

    try:
        preflight(settings, sources)
    except (NotUsableError, UnknownSourceError) as exc:
        fail(str(exc))


def _engine(settings: Settings) -> Engine:
    from dossier.service.engine import Engine

    engine = Engine(settings)
    with engine_errors():
        _ = engine.index
    return engine


def _query(
    text: str, what: str, data_dir: Path | None, mode: str | None, sources: list[str] | None
) -> tuple[str, str | None, Engine]:
    """The stripped text, the checked mode and a loaded engine, or a usage error."""
    text = text.strip()
    if not text:
        fail(f"the {what} is empty", code=2)
    checked = _mode(mode)
    settings = load_settings(data_dir)
    _preflight(settings, sources)
    return text, checked, _engine(settings)


def _mode(mode: str | None) -> str | None:
    if mode not in (None, "hybrid", "dense", "lexical"):
        fail(f"--mode must be hybrid, dense or lexical, not {mode!r}", code=2)
    return mode


class PlainHandler(logging.Handler):
    """Log lines for a file or a pipe: one line per record, no clock, no wrapping."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = " ".join(record.getMessage().split())
            prefix = "" if record.levelno < logging.WARNING else f"{record.levelname.lower()}: "
            print(prefix + text, file=sys.stderr)
        except Exception:
            self.handleError(record)


@app.callback()
def main_options(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
    store: Annotated[
        str | None,
        typer.Option(
            help="Where the index lives: local, or a postgresql:// URL. "
            "[env: DOSSIER_STORE] [default: local]"
        ),
    ] = None,
) -> None:
    _global.clear()
    _global["store"] = store
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "dossier", False)]:
        root.removeHandler(old)
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler = RichHandler(console=err.console, show_path=False, rich_tracebacks=False)
    else:
        handler = PlainHandler()
    handler.dossier = True  # type: ignore[attr-defined]
    # ask, search and sources print their result alone; the others report as they go.
    quiet = ctx.invoked_subcommand in {"ask", "search", "sources"}
    handler.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    if not verbose:  # the ingest table shows each failure once, with its reason
        handler.addFilter(lambda record: not getattr(record, "in_report", False))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in (
        "httpx",
        "httpcore",
        "sentence_transformers",
        "faiss",
        "bm25s",
        "trafilatura",
        "htmldate",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING if not verbose else logging.INFO)


def _lock_data_dir(ctx: typer.Context, settings: Settings) -> None:
    """Hold the data dir's ingest lock until the command ends (fetch to publish), or fail."""
    from dossier.ingest.lock import LockBusy, data_dir_lock

    stack = ExitStack()
    try:
        stack.enter_context(data_dir_lock(settings.data_dir, settings.ingest_lock_wait))
    except LockBusy as exc:
        fail(str(exc))
    ctx.call_on_close(stack.close)


@app.command()
def ingest(
    ctx: typer.Context,
    data_dir: DataDir = None,
    corpus: Annotated[
        Path | None,
        typer.Option(help="The source list. [env: DOSSIER_CORPUS] [default: corpus/sources.toml]"),
    ] = None,
    offline: Annotated[
        bool, typer.Option(help="Use only what earlier runs fetched (and drop-in files).")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show progress bars (on a terminal only).")] = True,
) -> None:
    """Fetch the sources, extract and split their text, and publish a new index.

    The new index replaces the served one only once it is complete.
    """
    from dossier.index.embed import EmbedderError, choose_model, load_embedder, model_problem
    from dossier.index.store import IndexLoadError, build_index, load_index, open_store, publish
    from dossier.ingest.corpus import CorpusError
    from dossier.ingest.pipeline import run_ingest
    from dossier.ingest.report import render_report

    settings = load_settings(data_dir, corpus=corpus)
    problem = model_problem(settings.model)
    if problem is not None:  # before fetching anything
        fail(problem)
    progress = progress and err.is_terminal
    _lock_data_dir(ctx, settings)
    try:
        ctx.with_resource(open_store(settings).lock())  # a shared store: one ingest at a time
    except IndexLoadError as exc:
        fail(str(exc))
    try:
        result = run_ingest(settings, offline=offline, progress=progress)
    except CorpusError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; the previous index is still the one served", code=130)
    render_report(result.report, err.console)
    report_path = settings.data_dir / "ingest-report.json"
    if not result.documents:
        fail(
            f"no source could be used (see {report_path}); the previous index stays published",
            EXIT_NONE_USABLE,
        )
    try:
        model = choose_model(settings, (d.language for d in result.documents))
        if model != settings.model:
            log.info("documents in several languages: indexing with %s", model)
        embedder = load_embedder(settings, model)
        try:
            previous = load_index(settings, embedder=embedder)
        except IndexLoadError:
            previous = None
        path = build_index(
            result.documents,
            result.passages,
            embedder=embedder,
            settings=settings,
            report=result.report,
            splitter={
                "passage_chars": settings.passage_chars,
                "overlap_chars": settings.overlap_chars,
            },
            reuse=previous,
            progress=progress,
        )
        publish(settings, path)
    except (EmbedderError, IndexLoadError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted; the previous index is still the one served", code=130)
    ok = sum(s.ok for s in result.report.sources)
    err.print(
        f"Published index [bold]{path.name}[/]: {len(result.passages)} passages from "
        f"{ok} of {len(result.report.sources)} sources. Report: {report_path}"
    )
    if result.report.outcome == "some":
        raise typer.Exit(EXIT_SOME_FAILED)


@app.command()
def serve(
    data_dir: DataDir = None,
    host: Annotated[
        str | None,
        typer.Option(help="Interface to listen on. [env: DOSSIER_HOST] [default: 127.0.0.1]"),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port. [env: DOSSIER_PORT] [default: 8000]")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Server processes sharing the port (one per core answers the most questions "
            "at once; each holds its own index and model). [env: DOSSIER_WORKERS] [default: 1]"
        ),
    ] = None,
) -> None:
    """Serve the HTTP API, the OpenAI-compatible chat API and the chat page.

    It starts even without an index or a usable model; /readyz then says why
    it is not ready, and queries answer 503 with that reason.
    """
    settings = load_settings(data_dir, host=host, port=port, workers=workers)
    taken = port_problem(settings.host, settings.port)
    if taken:
        fail(taken)
    from dossier.service.app import create_app
    from dossier.service.server import serve as run_server

    err.print(f"Dossier on http://{settings.host}:{settings.port}/ (API docs at /docs)")
    run_server(lambda: create_app(settings), settings)


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, found by binding it briefly."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"cannot listen on {host}: {exc.strerror}; pass another --host"
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use; "
                    "pick another with --port N (or DOSSIER_PORT)"
                )
            return f"cannot listen on {host}:{port} ({exc.strerror}); pass another --host/--port"
    return None


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    data_dir: DataDir = None,
    k: K = 5,
    mode: ModeOpt = None,
    source: SourcesOpt = None,
    json: Json = False,
) -> None:
    """Answer a question with citations."""
    question, mode, engine = _query(question, "question", data_dir, mode, source)
    with engine_errors():
        answer = engine.ask(question, k=k, mode=mode, sources=source)
    if json:
        print_json(answer.model_dump_json())
        return
    out.print(escape(answer.answer), style="italic" if answer.abstained else None)
    for c in answer.citations:
        where = f", page {c.page}" if c.page else ""
        out.print(
            f"  [{c.n}] [bold]{escape(c.title or c.source_id)}[/]{where}, "
            f"chars {c.start}–{c.end}  {escape(c.url or '')}"
        )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    data_dir: DataDir = None,
    k: K = 5,
    mode: ModeOpt = None,
    source: SourcesOpt = None,
    json: Json = False,
) -> None:
    """Ranked passages for a query."""
    query, mode, engine = _query(query, "query", data_dir, mode, source)
    with engine_errors():
        found = engine.search(query, k=k, mode=mode, sources=source)
    if json:
        print_json(found.model_dump_json())
        return
    from rich.table import Table

    from dossier.service.snippet import snippet

    # Each passage's words are matched in its own language, the query's in the query's.
    with engine_errors():
        query_language = engine.index.question_languages([query])[0]
    table = Table("score", "passage", "text")
    for p in found.passages:
        shown = snippet(p.text, query, language=p.language, query_language=query_language)
        table.add_row(f"{p.score:.3f}", p.id, escape(shown))
    out.print(table)


@app.command()
def sources(data_dir: DataDir = None, json: Json = False) -> None:
    """The corpus: each source with its fetch status and passage count (no model needed)."""
    from dossier.index.catalog import CatalogError, read_catalog
    from dossier.service.sources import source_infos

    try:
        catalog = read_catalog(load_settings(data_dir))
    except CatalogError as exc:
        fail(str(exc))
    infos = source_infos(catalog.documents, catalog.passage_counts, catalog.report)
    if json:
        print_json(data=[i.model_dump(mode="json") for i in infos])
        return
    if not sys.stdout.isatty():  # no rich: listing the sources stays fast
        rows = [(i.id, i.status, str(i.passages), i.title or "", i.reason or "") for i in infos]
        print_rows(("id", "status", "passages", "title", "reason"), rows)
        return
    from rich.table import Table

    table = Table("id", "status", "passages", "title", "reason")
    for i in infos:
        status = "[green]ok[/]" if i.status == "ok" else "[red]failed[/]"
        table.add_row(i.id, status, str(i.passages), escape(i.title or ""), escape(i.reason or ""))
    out.print(table)


db_app = typer.Typer(
    help="The PostgreSQL store's schema.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(db_app, name="db")


@db_app.command("migrate")
def db_migrate() -> None:
    """Create or upgrade Dossier's tables in the store's database (needs a role that owns them)."""
    from dossier.index.postgres.pool import PostgresStoreError
    from dossier.index.postgres.schema import SCHEMA_VERSION
    from dossier.index.postgres.store import PostgresStore

    settings = load_settings()
    if settings.store == "local":
        fail("the local store has no schema to migrate; pass --store postgresql://… "
             "(or set DOSSIER_STORE)", code=2)  # fmt: skip
    try:
        store = PostgresStore(settings)
        applied = store.migrate()
    except PostgresStoreError as exc:
        fail(str(exc))
    if applied:
        err.print(f"{store.describe()}: applied migrations {', '.join(map(str, applied))}")
    else:
        err.print(f"{store.describe()}: schema up to date (version {SCHEMA_VERSION})")


@app.command()
def bench(
    data_dir: DataDir = None,
    scifact: Annotated[
        Path | None,
        typer.Option(help="A BEIR SciFact folder to serve as a second corpus (omit to skip)."),
    ] = None,
    scifact_docs: Annotated[
        int | None, typer.Option(min=1, help="Use only the first N SciFact documents.")
    ] = None,
    scifact_split: Annotated[
        str,
        typer.Option(
            help="How SciFact is cut into passages: beir (one per abstract, as `dossier eval "
            "beir` does) or ingest (as `dossier ingest` does: DOSSIER_PASSAGE_CHARS)."
        ),
    ] = "beir",
    ingest_only: Annotated[
        bool,
        typer.Option(
            help="Only the ingests against the bare encode (no floor, server or peer): "
            "with --scifact-docs, a look at ingest speed in minutes."
        ),
    ] = False,
    quick: Annotated[bool, typer.Option(help="Fewer questions and requests.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes of the benchmarked server. [env: DOSSIER_WORKERS]"),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = None,
) -> None:
    """Query latency, throughput, memory and ingest speed against the bare encoder, one run."""
    import json

    from dossier.eval import bench as benchmark
    from dossier.eval.bench_scifact import SPLITS

    settings = load_settings(data_dir, workers=workers)
    if scifact is not None and not (scifact / "corpus.jsonl").is_file():
        fail(f"{scifact} has no corpus.jsonl; pass a BEIR SciFact folder")
    if scifact_split not in SPLITS:
        fail(f"--scifact-split must be one of {', '.join(SPLITS)}, not {scifact_split!r}")
    result = benchmark.run(
        settings,
        scifact=scifact,
        quick=quick,
        scifact_docs=scifact_docs,
        ingest_only=ingest_only,
        scifact_split=scifact_split,
    )
    typer.echo(benchmark.table(result))
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2), encoding="utf-8")


def main() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


eval_app = typer.Typer(
    help="Evaluate retrieval and answers.", no_args_is_help=False, rich_markup_mode=None
)
app.add_typer(eval_app, name="eval")
DEFAULT_SETS = ("eval/sets/article.jsonl", "eval/sets/sources.jsonl")


@eval_app.callback(invoke_without_command=True)
def evaluate(
    ctx: typer.Context,
    set_: Annotated[
        list[Path] | None,
        typer.Option(
            "--set", help="An evaluation set, JSON Lines (repeatable) [default: eval/sets/*.jsonl]."
        ),
    ] = None,
    mode: ModeOpt = None,
    split: Annotated[
        str | None,
        typer.Option(
            "--split",
            help="Only the questions of this split: tune (for fitting) or test (for reporting) "
            "[default: all].",
        ),
    ] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Depth of recall@k.")] = 10,
    json_out: Annotated[
        Path | None,
        typer.Option("--json", help="Write the metrics, provenance and per-question results here."),
    ] = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write a self-contained HTML report here.")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option("--url", help="Evaluate a running service instead of the local index."),
    ] = None,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option(
            "--compare",
            help="Compare two --json outputs (A B) instead of running: paired bootstrap "
            "intervals per metric and the questions whose grade changed.",
        ),
    ] = None,
    thresholds: Annotated[
        Path | None,
        typer.Option("--thresholds", help="The gate's thresholds [default: eval/thresholds.toml]."),
    ] = None,
    gate: Annotated[
        bool, typer.Option("--gate", help="Exit 1 when a gated metric misses its threshold.")
    ] = False,
    data_dir: DataDir = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars (on a terminal only).")] = True,
) -> None:
    """Run evaluation sets against the local index (or --url) and print the metrics."""
    if ctx.invoked_subcommand is not None:
        return
    import json

    if compare is not None:
        _compare(compare, json_out)
        return

    from dossier.eval import thresholds as gates
    from dossier.eval.provenance import describe_run
    from dossier.eval.report import print_summary, write_html
    from dossier.eval.runner import (
        by_category,
        retrieval_curves,
        risk_coverage,
        run,
        summarise,
    )
    from dossier.eval.sets import EvalSetError, load_set, select_split
    from dossier.eval.targets import HttpTarget, LocalTarget, TargetError

    settings = load_settings(data_dir)
    progress = progress and err.is_terminal
    chosen = _mode(mode) or settings.mode
    paths = set_ or [Path(p) for p in DEFAULT_SETS]
    if not url:
        _preflight(settings)
    try:
        with engine_errors():  # a model that fails to load: one line, not a traceback
            items = select_split([item for path in paths for item in load_set(path)], split)
            if not items:
                raise EvalSetError(
                    f"no questions in split {split!r} of {', '.join(map(str, paths))}"
                )
            target = HttpTarget(url, settings) if url else LocalTarget(settings)
            results = run(items, target, mode=chosen, k=k, progress=progress)
            curves = (
                retrieval_curves(items, target, ("hybrid", "dense", "lexical")) if report else {}
            )
            described = target.describe()
    except (EvalSetError, TargetError) as exc:
        fail(str(exc))
    summary = summarise(results, k=k)
    try:
        checked = gates.gate_for(paths, summary, thresholds or gates.DEFAULT_PATH)
    except gates.ThresholdsError as exc:
        fail(str(exc))
    run_info = describe_run(
        set_paths=paths,
        questions=len(items),
        split=split,
        mode=chosen,
        k=k,
        settings=settings,
        target=described,
    )
    categories = by_category(results)
    points = risk_coverage(results)
    print_summary(out.console, summary, results, checked, run_info)
    if json_out:
        payload = {
            **summary,
            "run": run_info,
            "gate": checked.as_json() if checked else None,
            "by_category": categories,
            "risk_coverage": [
                {"confidence": c, "coverage": cov, "risk": risk} for c, cov, risk in points
            ],
            "questions": [r.as_json(k) for r in results],
        }
        json_out.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    if report:
        write_html(
            report,
            summary,
            results,
            curves,
            title=f"Dossier evaluation ({chosen}, {split or 'all'} split)",
            run=run_info,
            gate=checked,
            categories=categories,
            risk_points=points,
        )
        err.print(f"Report: {report}")
    if gate and checked is not None and not checked.passed:
        fail("below the gate: " + ", ".join(c.metric for c in checked.checks if not c.passed))


def _compare(paths: tuple[Path, Path], json_out: Path | None) -> None:
    import json

    from dossier.eval.compare import CompareError, compare, load_run
    from dossier.eval.report import print_comparison

    try:
        comparison = compare(load_run(paths[0]), load_run(paths[1]))
    except CompareError as exc:
        fail(str(exc))
    print_comparison(out.console, comparison, str(paths[0]), str(paths[1]))
    if json_out:
        json_out.write_text(json.dumps(comparison, indent=2, ensure_ascii=False), encoding="utf-8")


@eval_app.command("beir")
def evaluate_beir(
    dataset: Annotated[
        Path, typer.Argument(help="A BEIR data set folder (corpus.jsonl, queries.jsonl, qrels/).")
    ],
    mode: Annotated[
        list[str] | None,
        typer.Option("--mode", help="Modes to run (repeatable) [default: all three]."),
    ] = None,
    split: Annotated[str, typer.Option(help="Which qrels file: test or train.")] = "test",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures here.")] = None,
    data_dir: DataDir = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Index a BEIR data set with Dossier's own ingest and index code, and score it."""
    import json

    from dossier.eval.beir import BeirError, run_beir

    settings = load_settings(data_dir)
    modes = [_mode(m) for m in mode] if mode else ["lexical", "dense", "hybrid"]
    try:
        with engine_errors():
            figures = run_beir(dataset, settings, modes=modes, split=split, progress=progress)
    except BeirError as exc:
        fail(str(exc))
    from rich.table import Table

    table = Table("mode", "ndcg@10", "recall@100", "mrr@10", title=f"BEIR {dataset.name} ({split})")
    for name, row in figures["modes"].items():
        table.add_row(
            name, f"{row['ndcg@10']:.4f}", f"{row['recall@100']:.4f}", f"{row['mrr@10']:.4f}"
        )
    out.print(table)
    if json_out:
        json_out.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
