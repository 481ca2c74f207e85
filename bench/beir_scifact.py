"""Tuning tables for BEIR SciFact on the train split (never test).

    python bench/beir_scifact.py [../shared/benchmarks/beir/scifact] [--json bench/out.json]

1. Splitting: train nDCG@10 / recall@100 of lexical, dense and hybrid (the
   current fusion defaults) for several passage sizes, each through the real
   path (`dossier.eval.beir.rank_documents`; a document scores as its best
   passage). Indexes are built once and cached like `dossier eval beir`'s.
2. Fusion, on the chosen splitting (`dossier.eval.beir.Splitter()`): convex
   fusion with min-max and z-score normalisation over a grid of dense weights
   and candidate depths, and weighted RRF over weights and rrf_k. Each
   configuration calls `dossier.index.fusion.fuse` exactly as `Index.rank`
   does (same candidate lists, same exact-score look-ups), on lists computed
   once per query, so the grid takes seconds.

The table is printed best first; the best configuration is checked through
`Index.rank` (must agree to 1e-9). Only the train split is allowed here:
`--split test` is refused, so nothing here can be chosen on test.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

from dossier.eval import beir
from dossier.index import fusion
from dossier.settings import Settings

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared/benchmarks/beir/scifact"
SPLITTERS = [
    beir.Splitter(12_000, 0),  # whole documents (the longest SciFact abstract is 10,128 chars)
    beir.Splitter(1500, 300),
    beir.Splitter(1000, 200),
    beir.Splitter(700, 150),  # the service's defaults
]
WEIGHTS = [round(w, 2) for w in np.arange(0.0, 1.0001, 0.05)]
CANDIDATES = [100, 200, 400, 1000, 5183]
RRF_KS = [10, 20, 40, 60, 100]


def splitting_table(folder: Path, settings: Settings, split: str) -> list[dict]:
    queries, qrels = beir.load_split(folder, split)
    ids, texts = list(queries), list(queries.values())
    rows = []
    for splitter in SPLITTERS:
        index = beir.ensure_index(folder, settings, splitter=splitter)
        vectors = index.encode_queries(texts)
        row = {"splitter": f"{splitter.passage_chars}/{splitter.overlap_chars}"}
        row["passages"] = len(index.passages)
        for mode in ("lexical", "dense", "hybrid"):
            ranked = beir.rank_documents(index, texts, mode=mode, query_vectors=vectors)
            run = dict(zip(ids, ranked, strict=True))
            figures = beir.score(run, qrels)
            row[f"{mode} ndcg@10"] = figures["ndcg@10"]
            row[f"{mode} r@100"] = figures["recall@100"]
        rows.append(row)
        print(
            f"{row['splitter']:>9} {row['passages']:>6} "
            + " ".join(
                f"{row[f'{m} ndcg@10']:.4f}/{row[f'{m} r@100']:.4f}"
                for m in ("lexical", "dense", "hybrid")
            ),
            flush=True,
        )
    return rows


class Lists:
    """Each query's dense and lexical candidate lists at the deepest depth, computed once."""

    def __init__(self, index, texts: list[str], depth: int) -> None:
        self.index = index
        self.vectors = index.encode_queries(texts)
        self.dense = index.dense.search(self.vectors, depth)
        self.full = [index.lexical.score_ids(ids) for ids in index.lexical.query_ids(texts)]
        self.lexical = [index.lexical.hits(full, depth) for full in self.full]

    def fused(self, i: int, k: int, n: int, **options) -> fusion.Hits:
        """What `Index.rank(k=k, candidates=n, mode="hybrid", **options)` returns for query i."""
        return fusion.fuse(
            self.dense[i].head(n),
            self.lexical[i].head(n),
            k=k,
            dense_lookup=lambda rows, v=self.vectors[i]: self.index.dense.scores_for(v, rows),
            lexical_lookup=lambda rows, f=self.full[i]: f[rows],
            **options,
        )


def fusion_grid(folder: Path, settings: Settings, split: str) -> list[dict]:
    queries, qrels = beir.load_split(folder, split)
    ids, texts = list(queries), list(queries.values())
    index = beir.ensure_index(folder, settings, splitter=beir.Splitter())
    per_doc = -(-len(index.passages) // len(index.documents))
    k = min(len(index.passages), beir.DOC_DEPTH * per_doc)
    lists = Lists(index, texts, max(CANDIDATES))

    def evaluate(n: int, **options) -> dict[str, float]:
        run = {}
        for i, q in enumerate(ids):
            hits = lists.fused(i, k, max(n, k), **options)
            run[q] = beir.best_per_document(index, hits.rows, hits.scores, beir.DOC_DEPTH)
        return beir.score(run, qrels)

    configs: list[dict] = []
    for normalisation, weight, n in itertools.product(fusion.NORMALISATIONS, WEIGHTS, CANDIDATES):
        configs.append(
            {"method": "convex", "normalisation": normalisation, "weight": weight, "candidates": n}
        )
    for rrf_k, weight, n in itertools.product(RRF_KS, WEIGHTS, CANDIDATES):
        configs.append({"method": "rrf", "rrf_k": rrf_k, "weight": weight, "candidates": n})
    started = time.perf_counter()
    for config in configs:
        options = {key: v for key, v in config.items() if key != "candidates"}
        config.update(evaluate(config["candidates"], **options))
    print(f"{len(configs)} fusion configurations in {time.perf_counter() - started:.0f}s")
    return configs


def check_through_index(folder: Path, settings: Settings, split: str, config: dict) -> float:
    """The configuration's nDCG@10 through `rank_documents` / `Index.rank`."""
    queries, qrels = beir.load_split(folder, split)
    index = beir.ensure_index(folder, settings, splitter=beir.Splitter())
    options = {
        key: config[key]
        for key in ("method", "normalisation", "weight", "rrf_k", "candidates")
        if key in config
    }
    options["fusion"] = options.pop("method")
    ranked = beir.rank_documents(index, list(queries.values()), mode="hybrid", **options)
    run = dict(zip(queries, ranked, strict=True))
    return beir.score(run, qrels)["ndcg@10"]


def describe(config: dict) -> str:
    if config["method"] == "rrf":
        how = f"rrf k={config['rrf_k']:<3}"
    else:
        how = f"convex {config['normalisation']:<6}"
    return f"{how} w={config['weight']:.2f} cand={config['candidates']:<5}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--split", default="train")
    parser.add_argument("--json", type=Path, help="write both tables here")
    parser.add_argument("--top", type=int, default=25, help="fusion rows to print")
    parser.add_argument("--only", choices=["splitting", "fusion"], help="print one table only")
    args = parser.parse_args()
    if args.split == "test":
        sys.exit("tuning on the test split is not allowed; use train")
    settings = Settings()

    splits: list[dict] = []
    if args.only != "fusion":
        print(f"== splitting ({args.split}): lexical / dense / hybrid as nDCG@10/recall@100")
        splits = splitting_table(args.folder, settings, args.split)
    if args.only == "splitting":
        return

    print(f"\n== fusion ({args.split}, splitter {beir.Splitter()})")
    grid = fusion_grid(args.folder, settings, args.split)
    grid.sort(key=lambda c: (-c["ndcg@10"], -c["recall@100"]))
    print(f"{'configuration':<42} ndcg@10 recall@100 mrr@10")
    for config in grid[: args.top]:
        print(
            f"{describe(config):<42} {config['ndcg@10']:.4f}  {config['recall@100']:.4f}"
            f"     {config['mrr@10']:.4f}"
        )
    print("\nbest per method (any weight and depth):")
    for key in ("convex minmax", "convex zscore", "rrf"):
        best = next(c for c in grid if describe(c).startswith(key))
        print(f"{describe(best):<42} {best['ndcg@10']:.4f}  {best['recall@100']:.4f}")
    best = grid[0]
    checked = check_through_index(args.folder, settings, args.split, best)
    print(f"\nbest through Index.rank: {checked:.4f} (grid said {best['ndcg@10']:.4f})")
    if args.json:
        args.json.write_text(json.dumps({"splitting": splits, "fusion": grid}, indent=1))


if __name__ == "__main__":
    main()
