"""Show an ingest report as a table: one row per source, failures with their reason."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dossier.types import IngestReport


def render_report(report: IngestReport, console: Console) -> None:
    """Print the per-source table and a one-line summary."""
    table = Table(title="Ingest" + (" (offline)" if report.offline else ""), title_justify="left")
    table.add_column("source", style="bold", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("origin", no_wrap=True)
    table.add_column("format", no_wrap=True)
    table.add_column("passages", justify="right")
    table.add_column("reason", overflow="fold")
    for source in report.sources:
        if source.ok:
            status = "[green]ok[/]"
        else:
            kind = source.failure.value if source.failure else "failed"
            status = f"[red]{escape(kind)}[/]"
        table.add_row(
            escape(source.source_id),
            status,
            escape(source.origin or "—"),
            escape(source.format or "—"),
            str(source.passages) if source.ok else "—",
            escape(source.reason or ""),
        )
    console.print(table)
    ok = sum(s.ok for s in report.sources)
    colour = {"all": "green", "some": "yellow", "none": "red"}[report.outcome]
    seconds = (report.finished_at - report.started_at).total_seconds()
    console.print(
        f"[{colour}]{ok} of {len(report.sources)} sources usable[/], "
        f"{sum(s.passages for s in report.sources)} passages, in {seconds:.1f}s"
    )
