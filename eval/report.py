"""Showing an evaluation: a terminal table, and a self-contained HTML page with a plot."""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dossier.eval.runner import QuestionResult


def _fmt(value: float | int) -> str:
    return str(value) if isinstance(value, int) else f"{value:.3f}"


def print_summary(
    console: Console, summary: dict[str, float | int], results: list[QuestionResult]
) -> None:
    table = Table("metric", "value", title="Evaluation")
    for key, value in summary.items():
        table.add_row(key, _fmt(value))
    console.print(table)
    failures = [r for r in results if r.failed]
    if failures:
        console.print(f"[bold]{len(failures)} question(s) failed:[/]")
    for r in failures:
        console.print(f"[bold]{r.id}[/] {escape(r.question)}")
        console.print(f"  problems: {escape('; '.join(r.failed))}")
        if r.answerable:
            console.print(f"  expected: {escape(' / '.join(r.expected))}")
        console.print(f"  got:      {escape(r.answer)}")


def hit_plot_svg(curves: dict[str, list[float]]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 3.6))
    for mode, values in curves.items():
        axes.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=mode)
    axes.set_xlabel("k")
    axes.set_ylabel("hit@k")
    axes.set_ylim(0, 1.02)
    axes.set_xticks(range(1, 21, 2))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def write_html(
    path: Path,
    summary: dict[str, float | int],
    results: list[QuestionResult],
    curves: dict[str, list[float]],
    *,
    title: str,
) -> None:
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td><td>{_fmt(v)}</td></tr>" for k, v in summary.items()
    )
    failures = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            html.escape(r.id),
            html.escape(r.question),
            html.escape("; ".join(r.failed)),
            html.escape(" / ".join(r.expected)) if r.answerable else "abstain",
            html.escape(r.answer),
        )
        for r in results
        if r.failed
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
  padding: 0 1rem; color: #1d2330; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
td, th {{ border: 1px solid #d9dde5; padding: 0.3rem 0.6rem; text-align: left;
  vertical-align: top; }}
td:nth-child(2) {{ font-variant-numeric: tabular-nums; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Generated {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}.</p>
<h2>Metrics</h2><table><tr><th>metric</th><th>value</th></tr>{rows}</table>
<h2>hit@k by retrieval mode</h2>{hit_plot_svg(curves)}
<h2>Failed questions ({sum(bool(r.failed) for r in results)})</h2>
<table><tr><th>id</th><th>question</th><th>problems</th><th>expected</th><th>answer</th></tr>{failures}</table>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
