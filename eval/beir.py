"""BEIR benchmarks through Dossier's own split, index and search code.

Each BEIR document becomes a Document (text ``title\\n\\ntext``), is split into
passages by the same splitter as ingest and indexed by the same index code
(FAISS + bm25s); queries go through `Index.rank`, the batch form of the
service's search, with the same fusion defaults. A document's score for a
query is its best passage's; passages are ranked deep enough that 100
distinct documents remain (recall@100).

Splitting. BEIR documents are split with their own passage size,
`BEIR_PASSAGE_CHARS` (12,000, no overlap), not the service's
`passage_chars`: SciFact's abstracts (median 1,427 characters, longest
10,128) then stay whole, as in the published figures this reproduces (bm25s'
BM25 and MTEB's all-MiniLM-L6-v2 score whole documents; the model sees the
first 256 word pieces of title and text, as in MTEB's run). On SciFact's
*train* split, splitting helps dense (max over 1,000-character passages:
0.682 nDCG@10 against 0.660 whole; the tail of a long abstract is otherwise
truncated away) but hurts BM25 (0.688 against 0.696: passage statistics
fragment an abstract) and hybrid (0.729 against 0.734); 700/150, the
service's default, is worst for lexical and hybrid. `bench/beir_scifact.py`
prints the table. Longer documents of other data sets are still split, so
the code path is the service's.

Fusion is the service's default (`index/fusion.py`'s `Fusion`, `Settings.hybrid_weight`):
convex, min-max, dense weight 0.5, max(100, 4k) candidates. On SciFact's
train split none of about 400 fusion configurations beat it by two paired
standard errors (`bench/beir_scifact.py`).

The built index is cached under ``<data_dir>/beir/<name>-<key>/``, the key a
digest of the corpus file, the embedding model, the splitter (its settings
and its source code) and the BM25 settings: re-runs, and the other modes,
only search.
"""

from __future__ import annotations

import csv
import hashlib
import inspect
import json
import logging
import math
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from dossier.eval import metrics
from dossier.index import encoders
from dossier.index.embed import canonical_model_name, load_embedder
from dossier.index.fusion import CANDIDATE_FACTOR, MIN_CANDIDATES, Fusion
from dossier.index.lexical import TOKEN_PATTERN, LexicalConfig
from dossier.index.manifest import FORMAT_VERSION
from dossier.index.search import Index
from dossier.index.store import IndexLoadError, build_index, load_index, publish
from dossier.ingest import split as splitting
from dossier.settings import Settings
from dossier.types import Document, Mode

log = logging.getLogger(__name__)

DOC_DEPTH = 100  # documents ranked per query: recall@100 needs 100
BEIR_PASSAGE_CHARS = 12_000
BEIR_OVERLAP_CHARS = 0
QUERY_CHUNK = 64  # queries per `Index.rank` call (one progress-bar step)
METRIC_KEYS = ("ndcg@10", "recall@100", "mrr@10")


class BeirError(Exception):
    """The folder is not a usable BEIR data set; the message says what is wrong."""


@dataclass(frozen=True)
class Splitter:
    """How BEIR documents are cut into passages."""

    passage_chars: int = BEIR_PASSAGE_CHARS
    overlap_chars: int = BEIR_OVERLAP_CHARS

    def __post_init__(self) -> None:
        if self.passage_chars < 100 or self.overlap_chars < 0:
            raise ValueError(
                f"passage_chars must be >= 100 and overlap_chars >= 0, got {self.passage_chars}"
                f" and {self.overlap_chars}"
            )


# Reading a BEIR folder ----------------------------------------------------------------------


def _require(path: Path) -> Path:
    if not path.is_file():
        raise BeirError(
            f"{path} is missing; a BEIR folder has corpus.jsonl, queries.jsonl and qrels/"
        )
    return path


def _read_jsonl(path: Path) -> list[dict]:
    _require(path)
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BeirError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or "_id" not in row:
                raise BeirError(f"{path}:{number}: expected an object with an '_id'")
            rows.append(row)
    return rows


def load_qrels(path: Path) -> dict[str, dict[str, int]]:
    """`{query_id: {doc_id: relevance}}` from a BEIR qrels TSV (with its header)."""
    if not path.is_file():
        splits = sorted(p.stem for p in path.parent.glob("*.tsv")) if path.parent.is_dir() else []
        choices = f" (this folder has: {', '.join(splits)})" if splits else ""
        raise BeirError(f"{path} is missing; choose the split with --split{choices}")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as rows:
        reader = csv.reader(rows, delimiter="\t")
        header = next(reader, [])
        if [h.strip() for h in header[:2]] != ["query-id", "corpus-id"]:
            raise BeirError(
                f"{path}: expected the header 'query-id<TAB>corpus-id<TAB>score', got {header}"
            )
        for number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != 3:
                raise BeirError(f"{path}:{number}: expected 3 tab-separated fields, got {row}")
            query_id, doc_id, score = row
            try:
                qrels.setdefault(query_id, {})[doc_id] = int(score)
            except ValueError:
                raise BeirError(f"{path}:{number}: score {score!r} is not an integer") from None
    if not qrels:
        raise BeirError(f"{path} judges no query")
    return qrels


def load_queries(folder: Path) -> dict[str, str]:
    return {str(q["_id"]): str(q.get("text") or "") for q in _read_jsonl(folder / "queries.jsonl")}


def load_documents(folder: Path) -> list[Document]:
    """The corpus as Documents: text is ``title\\n\\ntext`` (just the text without a title)."""
    documents = []
    seen: set[str] = set()
    for row in _read_jsonl(folder / "corpus.jsonl"):
        source_id = str(row["_id"])
        if source_id in seen:
            raise BeirError(f"{folder / 'corpus.jsonl'}: document id {source_id!r} occurs twice")
        seen.add(source_id)
        title, body = (row.get("title") or "").strip(), row.get("text") or ""
        text = f"{title}\n\n{body}" if title else body
        documents.append(
            Document(
                source_id=source_id,
                text=text,
                format="text",
                title=title or None,
                sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            )
        )
    return documents


# The cached index ---------------------------------------------------------------------------


def _lexical_config(settings: Settings) -> LexicalConfig:
    return LexicalConfig(language=settings.lexical_language)


def cache_key(folder: Path, settings: Settings, splitter: Splitter) -> str:
    """`<name>-<digest>`: changes with the corpus, model, encoder, splitter or BM25 settings."""
    digest = hashlib.sha256()
    with _require(folder / "corpus.jsonl").open("rb") as corpus:
        for block in iter(lambda: corpus.read(1 << 20), b""):
            digest.update(block)
    recipe = {
        "model": canonical_model_name(settings.model),
        "splitter": asdict(splitter),
        "splitter_code": hashlib.sha256(inspect.getsource(splitting).encode()).hexdigest(),
        "lexical": {**asdict(_lexical_config(settings)), "token_pattern": TOKEN_PATTERN},
        "index_format": FORMAT_VERSION,
    }
    backend = encoders.choose(settings.encoder, canonical_model_name(settings.model))
    if backend != "torch":  # torch built every cache before encoders were recorded: keys kept
        recipe["encoder"] = backend
    digest.update(json.dumps(recipe, sort_keys=True).encode())
    return f"{folder.name}-{digest.hexdigest()[:16]}"


def beir_settings(folder: Path, settings: Settings, splitter: Splitter) -> Settings:
    """Settings whose data dir (or database schema) is this data set's cache.

    The index code then needs no special case, and the service's own index is
    never replaced by a benchmark's.
    """
    key = cache_key(folder, settings, splitter)
    update: dict[str, object] = {
        "data_dir": settings.data_dir / "beir" / key,
        "passage_chars": splitter.passage_chars,
        "overlap_chars": splitter.overlap_chars,
    }
    if settings.store != "local":  # a database store: the data set gets a schema of its own
        update["store_schema"] = "beir_" + re.sub(r"[^a-z0-9]+", "_", key.lower())[:57]
    return settings.model_copy(update=update)


def ensure_index(
    folder: Path,
    settings: Settings,
    *,
    splitter: Splitter | None = None,
    progress: bool = True,
) -> Index:
    """The data set's index from the cache, built (with progress bars) when there is none."""
    splitter = splitter or Splitter()
    local = beir_settings(folder, settings, splitter)
    embedder = load_embedder(local)
    try:
        return load_index(local, embedder=embedder)
    except IndexLoadError:
        log.info("indexing %s into %s", folder, local.data_dir)
    documents = load_documents(folder)
    passages = [
        p
        for d in tqdm(documents, desc="splitting", unit="doc", disable=not progress)
        for p in splitting.split_passages(d, splitter.passage_chars, splitter.overlap_chars)
    ]
    path = build_index(
        documents,
        passages,
        embedder=embedder,
        settings=local,
        splitter=asdict(splitter),
        progress=progress,
        lexical=_lexical_config(local),
        with_sentences=False,  # retrieval only: the answer step's sentence data is not needed
    )
    publish(local, path)
    return load_index(local, embedder=embedder)


# Ranking documents --------------------------------------------------------------------------


def best_per_document(index: Index, rows: np.ndarray, scores: np.ndarray, depth: int) -> dict:
    """`{source_id: score}` of the first `depth` documents of a passage ranking (best first)."""
    best: dict[str, float] = {}
    for row, value in zip(rows.tolist(), scores.tolist(), strict=True):
        source = index.passages[row].source_id
        if source not in best:
            best[source] = value
            if len(best) == depth:
                break
    return best


def rank_documents(
    index: Index,
    queries: Sequence[str],
    *,
    mode: Mode,
    depth: int = DOC_DEPTH,
    query_vectors: np.ndarray | None = None,
    fusion: Fusion | None = None,
) -> list[dict[str, float]]:
    """For each query, its `depth` best documents, each scored by its best passage.

    Passages are ranked by `Index.rank` (hybrid with `fusion`, else the index's own);
    a query whose passages run out of distinct documents before `depth` is
    ranked again, deeper, until it has `depth` or the ranking is exhausted.
    """
    queries = list(queries)
    per_doc = max(1, math.ceil(len(index.passages) / max(1, len(index.documents))))
    k = min(len(index.passages), depth * per_doc)
    out: list[dict[str, float]] = [{} for _ in queries]
    todo = list(range(len(queries)))
    while todo:
        vectors = None if query_vectors is None else query_vectors[todo]
        found = index.rank(
            [queries[i] for i in todo], k=k, mode=mode, query_vectors=vectors, fusion=fusion
        )
        again = []
        for i, hits in zip(todo, found, strict=True):
            out[i] = best_per_document(index, hits.rows, hits.scores, depth)
            if len(out[i]) < depth and len(hits) == k < len(index.passages):
                again.append(i)
        todo, k = again, min(len(index.passages), 2 * k)
    return out


def score(run: dict[str, dict[str, float]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean nDCG@10, recall@100 and MRR@10 over the judged queries (trec_eval ties)."""
    rankings = {q: metrics.rank(scores) for q, scores in run.items()}
    return {
        "ndcg@10": metrics.mean_at_k(metrics.ndcg_at_k, rankings, qrels, 10),
        "recall@100": metrics.mean_at_k(metrics.recall_at_k, rankings, qrels, 100),
        "mrr@10": metrics.mean_at_k(metrics.mrr_at_k, rankings, qrels, 10),
    }


def load_split(folder: Path, split_name: str) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """The judged queries' texts and the qrels of one split, checked against each other."""
    if not folder.is_dir():
        raise BeirError(f"{folder} is not a folder")
    qrels = load_qrels(folder / "qrels" / f"{split_name}.tsv")
    queries = load_queries(folder)
    missing = [q for q in qrels if q not in queries]
    if missing:
        raise BeirError(
            f"{len(missing)} judged queries are not in {folder / 'queries.jsonl'}"
            f" (e.g. {missing[0]!r})"
        )
    return {q: queries[q] for q in qrels}, qrels


def run_beir(
    folder: Path,
    settings: Settings,
    *,
    modes: Iterable[Mode],
    split: str = "test",
    progress: bool = True,
    splitter: Splitter | None = None,
) -> dict:
    """Score the modes on one split; `figures["modes"][mode]` holds METRIC_KEYS."""
    folder = Path(folder)
    splitter = splitter or Splitter()
    modes = list(modes)
    queries, qrels = load_split(folder, split)
    _require(folder / "corpus.jsonl")
    started = time.perf_counter()
    index = ensure_index(folder, settings, splitter=splitter, progress=progress)
    index_seconds = time.perf_counter() - started
    ids = list(queries)
    texts = [queries[q] for q in ids]
    vectors = None
    if any(m != "lexical" for m in modes):
        vectors = index.encode_queries(texts, progress=progress)
    figures: dict = {
        "dataset": folder.name,
        "split": split,
        "queries": len(qrels),
        "documents": index.manifest.document_count,
        "passages": index.manifest.passage_count,
        "model": index.manifest.model,
        "index_id": index.index_id,
        "index_path": str(index.path),
        "index_seconds": round(index_seconds, 2),
        "splitter": asdict(splitter),
        "lexical": index.manifest.lexical,
        "fusion": {
            "method": index.fusion.method,
            "normalisation": index.fusion.normalisation,
            "weight": index.fusion.weight,
            "rrf_k": index.fusion.rrf_k,
            "min_candidates": MIN_CANDIDATES,
            "candidate_factor": CANDIDATE_FACTOR,
        },
        "modes": {},
        "seconds": {},
    }
    for mode in modes:
        started = time.perf_counter()
        run: dict[str, dict[str, float]] = {}
        bar = tqdm(total=len(ids), desc=f"{folder.name} {mode}", unit="q", disable=not progress)
        for at in range(0, len(ids), QUERY_CHUNK):
            chunk = slice(at, at + QUERY_CHUNK)
            ranked = rank_documents(
                index,
                texts[chunk],
                mode=mode,
                query_vectors=None if vectors is None else vectors[chunk],
            )
            run.update(zip(ids[chunk], ranked, strict=True))
            bar.update(len(ranked))
        bar.close()
        figures["modes"][mode] = score(run, qrels)
        figures["seconds"][mode] = round(time.perf_counter() - started, 2)
    return figures


__all__ = [
    "BEIR_OVERLAP_CHARS",
    "BEIR_PASSAGE_CHARS",
    "DOC_DEPTH",
    "METRIC_KEYS",
    "BeirError",
    "Splitter",
    "beir_settings",
    "best_per_document",
    "cache_key",
    "ensure_index",
    "load_documents",
    "load_qrels",
    "load_split",
    "rank_documents",
    "run_beir",
    "score",
]
