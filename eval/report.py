"""Showing an evaluation: terminal tables, and a self-contained HTML page with plots.

The page says what produced it (sets and their sha256, index, model,
settings, version and commit), whether each gated metric passes
eval/thresholds.toml, every metric with its k, the grades per category, the
risk–coverage curve, hit@k per retrieval mode, and for each failed question
the passages that were retrieved.
"""

from __future__ import annotations

import html
import io
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dossier.eval.runner import LOWER_IS_BETTER, QuestionResult, describe_expected
from dossier.eval.thresholds import Gate


def _fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value) if isinstance(value, int) else f"{float(value):.3f}"  # type: ignore[arg-type]


def _commit(run: dict) -> str:
    git = run.get("git")
    if not git:
        return "unknown (not a git checkout)"
    return f"{git['commit'][:12]}{' (with local changes)' if git.get('dirty') else ''}"


def print_summary(
    console: Console,
    summary: dict[str, float | int],
    results: list[QuestionResult],
    gate: Gate | None = None,
    run: dict | None = None,
) -> None:
    if run:
        sets = ", ".join(f"{s['path']} ({s['sha256'][:12]})" for s in run["sets"])
        target = run["target"]
        console.print(
            f"sets: {escape(sets)}; split: {run['split']}; index: {target.get('index_id')}; "
            f"model: {target.get('model') or 'not reported'}; mode: {run['mode']}; "
            f"dossier {run['dossier_version']}, commit {_commit(run)}"
        )
    table = Table("metric", "value", title="Evaluation")
    for key, value in summary.items():
        table.add_row(key, _fmt(value))
    console.print(table)
    if gate is not None:
        rows = Table("metric", "value", "gate", "result", "target", title=f"Gate [{gate.table}]")
        for c in gate.checks:
            sign = "≥" if c.bound == "min" else "≤"
            rows.add_row(
                c.metric,
                _fmt(c.value),
                f"{sign} {c.limit:g}",
                "[green]pass[/]" if c.passed else "[bold red]FAIL[/]",
                "–" if c.target is None else f"{sign} {c.target:g}",
            )
        console.print(rows)
        if gate.split and run and run["split"] != gate.split:
            console.print(
                f"(the thresholds are for the {gate.split} split; this ran {run['split']})"
            )
    failures = [r for r in results if r.failed]
    if failures:
        console.print(f"[bold]{len(failures)} question(s) failed:[/]")
    for r in failures:
        label = escape(f"[{r.category or '-'}]")
        console.print(f"[bold]{r.id}[/] {label} {escape(r.question)}")
        console.print(f"  problems: {escape('; '.join(r.failed))}")
        if r.answerable:
            console.print(f"  expected: {escape(describe_expected(r.expected))}")
        console.print(f"  got:      {escape(r.answer)}")


def print_comparison(console: Console, comparison: dict, a: str, b: str) -> None:
    table = Table(
        "metric",
        "A",
        "B",
        "B − A",
        f"{comparison['confidence']:.0%} CI",
        "",
        title=f"A = {a}, B = {b}: {comparison['questions']} shared questions, paired bootstrap "
        f"({comparison['resamples']:,} resamples, seed {comparison['seed']})",
    )
    for name, row in comparison["metrics"].items():
        interval = "–" if row["low"] is None else f"[{row['low']:+.3f}, {row['high']:+.3f}]"
        better = row["diff"] is not None and (row["diff"] < 0) == (name in LOWER_IS_BETTER)
        mark = ("better" if better else "worse") if row["significant"] else ""
        table.add_row(
            name,
            _fmt(row["a"]),
            _fmt(row["b"]),
            "–" if row["diff"] is None else f"{row['diff']:+.3f}",
            interval,
            mark,
        )
    console.print(table)
    changed = comparison["changed"]
    console.print(f"[bold]{len(changed)} question(s) changed grade[/]")
    for q in changed:
        label = escape(f"[{q['category'] or '-'}]")
        console.print(f"  {q['id']} {label} {q['a']} → {q['b']}: {escape(q['question'])}")
    for side in ("a", "b"):
        only = comparison[f"only_in_{side}"]
        if only:
            console.print(f"only in {side.upper()} ({len(only)}): {', '.join(only)}")


def _svg(figure) -> str:
    from matplotlib import pyplot as plt

    buffer = io.StringIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def hit_plot_svg(curves: dict[str, list[float]]) -> str:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 3.6))
    for mode, values in curves.items():
        axes.plot(range(1, len(values) + 1), values, marker="o", markersize=3, label=mode)
    axes.set_xlabel("k")
    axes.set_ylabel("hit@k")
    axes.set_ylim(0, 1.02)
    axes.set_xticks(range(1, 21, 2))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    return _svg(figure)


def risk_coverage_svg(points: list[tuple[float, float, float]], source: str) -> str:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 3.6))
    if points:
        coverage = [0.0] + [p[1] for p in points]
        risk = [points[0][2]] + [p[2] for p in points]
        axes.step(coverage, risk, where="pre", marker="o", markersize=3)
    axes.set_xlabel("coverage (answers given / questions)")
    axes.set_ylabel("risk (incorrect / answers given)")
    axes.set_xlim(0, 1.0)
    axes.set_ylim(0, 1.02)
    axes.set_title(f"answers ordered by {source}", fontsize=9)
    axes.grid(alpha=0.3)
    return _svg(figure)


def _table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def _provenance(run: dict) -> str:
    target = run["target"]
    rows = [
        [
            "sets",
            "<br>".join(
                f"{html.escape(s['path'])} <code>sha256 {s['sha256']}</code>" for s in run["sets"]
            ),
        ],
        ["split", html.escape(run["split"])],
        ["questions", str(run["questions"])],
        ["target", html.escape(str(target.get("url") or target.get("data_dir") or ""))],
        ["index", f"<code>{html.escape(str(target.get('index_id')))}</code>"],
        ["model", html.escape(str(target.get("model") or "not reported by the service"))],
        ["mode, k", html.escape(f"{run['mode']}, recall@{run['k']}")],
        ["Dossier", html.escape(f"{run['dossier_version']}, commit {_commit(run)}")],
        ["generated", html.escape(run["generated_at"])],
    ]
    settings = "".join(
        f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(str(v))}</code></td></tr>"
        for k, v in run["settings"].items()
    )
    return (
        _table(["", ""], rows, "meta")
        + f"<details><summary>Settings (secrets left out)</summary><table>{settings}</table>"
        "</details>"
    )


def _gate(gate: Gate | None, run: dict) -> str:
    if gate is None:
        return "<p>No thresholds apply: eval/thresholds.toml has a table per single set.</p>"
    rows = []
    for c in gate.checks:
        sign = "≥" if c.bound == "min" else "≤"
        rows.append(
            [
                html.escape(c.metric),
                _fmt(c.value),
                f"{sign} {c.limit:g}",
                '<b class="pass">pass</b>' if c.passed else '<b class="fail">FAIL</b>',
                "–" if c.target is None else f"{sign} {c.target:g}",
                {True: "met", False: "not yet", None: "–"}[c.meets_target],
            ]
        )
    note = ""
    if gate.split and run["split"] != gate.split:
        note = (
            f"<p>The thresholds are for the {gate.split} split; this report ran {run['split']}.</p>"
        )
    verdict = '<b class="pass">PASS</b>' if gate.passed else '<b class="fail">FAIL</b>'
    return f"<p>[{html.escape(gate.table)}] of eval/thresholds.toml: {verdict}</p>{note}" + _table(
        ["metric", "value", "gate", "result", "target", "target met"], rows
    )


def _passages(r: QuestionResult) -> str:
    items = []
    for p in r.passages_json(with_text=True):
        excerpt = " ".join(p["text"].split())
        excerpt = excerpt[:400] + ("…" if len(excerpt) > 400 else "")
        mark = "relevant" if p["relevant"] else "not relevant"
        items.append(
            f"<li><code>{html.escape(p['id'])}</code> score {p['score']:.3f}, {mark}: "
            f"{html.escape(excerpt)}</li>"
        )
    return f"<ol>{''.join(items)}</ol>" if items else "(nothing retrieved)"


def write_html(
    path: Path,
    summary: dict[str, float | int],
    results: list[QuestionResult],
    curves: dict[str, list[float]],
    *,
    title: str,
    run: dict,
    gate: Gate | None,
    categories: dict[str, dict],
    risk_points: list[tuple[float, float, float]],
) -> None:
    metric_rows = [[html.escape(k), _fmt(v)] for k, v in summary.items()]
    category_rows = [
        [
            html.escape(c),
            str(v["n"]),
            str(v["correct"]),
            str(v["incorrect"]),
            str(v["not_attempted"]),
            _fmt(v["accuracy"]),
        ]
        for c, v in categories.items()
    ]
    sources = {r.confidence_source for r in results if not r.skipped and r.attempted}
    source = " / ".join(sorted(sources)) or "confidence"
    failed = [r for r in results if r.failed]
    failures = "".join(
        f"""<section class="failure"><h3>{html.escape(r.id)} <small>{
            html.escape(r.category or "")
        } · {html.escape(r.split or "")} · {html.escape(r.grade)}</small></h3>
<p><b>{html.escape(r.question)}</b></p>
<p>Problems: {html.escape("; ".join(r.failed))}</p>
<p>Expected: {html.escape(describe_expected(r.expected)) if r.answerable else "an abstention"}</p>
<p>Answer: {html.escape(r.answer)}</p>
<p>Retrieved passages (top {len(r.retrieved[:5])}):</p>{_passages(r)}</section>"""
        for r in failed
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 64rem;
  padding: 0 1rem; color: #1d2330; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
td, th {{ border: 1px solid #d9dde5; padding: 0.3rem 0.6rem; text-align: left;
  vertical-align: top; }}
td:nth-child(2) {{ font-variant-numeric: tabular-nums; }}
.pass {{ color: #16652f; }} .fail {{ color: #a3121f; }}
.failure {{ border-top: 1px solid #d9dde5; }}
code {{ font-size: 0.85em; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<h2>What produced this report</h2>{_provenance(run)}
<h2>Gate</h2>{_gate(gate, run)}
<h2>Metrics</h2>{_table(["metric", "value"], metric_rows)}
<h2>Grades by category</h2>
{_table(["category", "n", "correct", "incorrect", "not attempted", "accuracy"], category_rows)}
<h2>Risk–coverage</h2>
<p>Attempted answers ordered by {html.escape(source)}, most confident first: keeping only the
answers above a threshold trades coverage for risk. AURC {_fmt(summary.get("aurc"))}.</p>
{risk_coverage_svg(risk_points, source)}
<h2>hit@k by retrieval mode</h2>{hit_plot_svg(curves) if curves else "<p>(not measured)</p>"}
<h2>Failed questions ({len(failed)})</h2>{failures}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
