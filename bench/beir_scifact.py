"""Tuning tables for BEIR SciFact on the train split (never test).

    python bench/beir_scifact.py [../shared/benchmarks/beir/scifact] [--only splitting|fusion]
                                 [--json tuning.json]

1. Splitting: train nDCG@10 / recall@100 of lexical, dense and hybrid (the
   current fusion defaults) for several passage sizes, each through the real
   path (`dossier.eval.beir.rank_documents`: `Index.rank`, then a document
   scores as its best passage). Each index is built once and cached like
   `dossier eval beir`'s (the first run embeds SciFact four times: about
   35 minutes on 2 cores; afterwards the table takes half a minute).
2. Fusion, on the chosen splitting (`dossier.eval.beir.Splitter()`, whole
   documents): convex fusion with min-max and z-score normalisation over dense
   weights and candidate depths, and weighted RRF over weights, rrf_k and
   depths. Each configuration is a `dossier.index.fusion.Fusion` and fuses
   exactly as `Index.rank` does (same candidate lists, same exact-score look-ups), on
   lists computed once per query: about 375 configurations in 5 minutes.

Configurations are ranked by nDCG@10 averaged over candidate depths (one
lucky cell is not a configuration). The current defaults are kept unless a
configuration beats them, query by query, by more than two paired standard
errors both at the service's depth (k=5: 100 candidates) and at the
benchmark's (k=100: 400). Only the train split is allowed: `--split test`
is refused.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

from dossier.eval import beir, metrics
from dossier.index import fusion
from dossier.index.fusion import Fusion
from dossier.settings import Settings

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "shared/benchmarks/beir/scifact"
SPLITTERS = [
    beir.Splitter(12_000, 0),  # whole documents (the longest SciFact abstract is 10,128 chars)
    beir.Splitter(1500, 300),
    beir.Splitter(1000, 200),
    beir.Splitter(700, 150),  # the service's defaults
]
WEIGHTS = [round(w, 2) for w in np.arange(0.0, 1.0001, 0.05)]
CANDIDATES = [100, 200, 400, 1000, 5183]  # 5183: every SciFact document
RRF_KS = [10, 30, 60]
SERVICE_DEPTHS = (100, 400)  # candidates at k=5 (the service) and k=100 (this benchmark)
RRF_WEIGHTS = [round(w, 2) for w in np.arange(0.2, 0.8001, 0.05)]


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

    def fused(self, i: int, k: int, config: Fusion) -> fusion.Hits:
        """What `Index.rank(k=k, mode="hybrid", fusion=config)` returns for query i."""
        n = config.candidate_count(k)
        return config.fuse(
            self.dense[i].head(n),
            self.lexical[i].head(n),
            k=k,
            dense_lookup=lambda rows, v=self.vectors[i]: self.index.dense.scores_for(v, rows),
            lexical_lookup=lambda rows, f=self.full[i]: f[rows],
        )


def describe_config(config: Fusion) -> dict:
    """A configuration's settings as a grid row: only those its method uses."""
    if config.method == "rrf":
        variant: dict = {"rrf_k": config.rrf_k}
    else:
        variant = {"normalisation": config.normalisation}
    return {
        "method": config.method,
        **variant,
        "weight": config.weight,
        "candidates": config.candidates,
    }


def fusion_grid(folder: Path, settings: Settings, split: str) -> list[dict]:
    queries, qrels = beir.load_split(folder, split)
    ids, texts = list(queries), list(queries.values())
    index = beir.ensure_index(folder, settings, splitter=beir.Splitter())
    per_doc = -(-len(index.passages) // len(index.documents))
    k = min(len(index.passages), beir.DOC_DEPTH * per_doc)
    lists = Lists(index, texts, max(CANDIDATES))

    def evaluate(config: Fusion) -> dict:
        run = {}
        for i, q in enumerate(ids):
            hits = lists.fused(i, k, config)
            run[q] = beir.best_per_document(index, hits.rows, hits.scores, beir.DOC_DEPTH)
        rankings = {q: metrics.rank(scores) for q, scores in run.items()}
        ndcg = [metrics.ndcg_at_k(rankings[q], qrels[q], 10) for q in ids]
        return {**beir.score(run, qrels), "per_query": np.array(ndcg)}

    configs = [
        Fusion(method="convex", normalisation=normalisation, weight=weight, candidates=n)
        for normalisation, weight, n in itertools.product(
            fusion.NORMALISATIONS, WEIGHTS, CANDIDATES
        )
    ] + [
        Fusion(method="rrf", rrf_k=rrf_k, weight=weight, candidates=n)
        for rrf_k, weight, n in itertools.product(RRF_KS, RRF_WEIGHTS, CANDIDATES)
    ]
    started = time.perf_counter()
    rows = [{**describe_config(config), **evaluate(config)} for config in configs]
    print(f"{len(configs)} fusion configurations in {time.perf_counter() - started:.0f}s")
    return rows


def check_through_index(
    folder: Path, settings: Settings, split: str, config: Fusion | None = None
) -> float:
    """nDCG@10 of hybrid through `rank_documents` / `Index.rank` (None: the index's fusion)."""
    queries, qrels = beir.load_split(folder, split)
    index = beir.ensure_index(folder, settings, splitter=beir.Splitter())
    ranked = beir.rank_documents(index, list(queries.values()), mode="hybrid", fusion=config)
    return beir.score(dict(zip(queries, ranked, strict=True)), qrels)["ndcg@10"]


def family(config: dict) -> tuple:
    """A configuration without its candidate depth."""
    if config["method"] == "rrf":
        return ("rrf", config["rrf_k"], config["weight"])
    return ("convex", config["normalisation"], config["weight"])


def describe(key: tuple) -> str:
    method, variant, weight = key
    how = f"rrf k={variant}" if method == "rrf" else f"convex {variant}"
    return f"{how} w={weight:.2f}"


def pivot(grid: list[dict], normalisation: str) -> None:
    print(f"\nconvex {normalisation}: nDCG@10 by dense weight (rows) and candidates (columns)")
    print("  w   " + " ".join(f"{n:>7}" for n in CANDIDATES) + "    mean")
    for weight in WEIGHTS:
        if not 0.3 <= weight <= 0.9:
            continue
        row = [c["ndcg@10"] for c in grid if family(c) == ("convex", normalisation, weight)]
        print(f"{weight:.2f} " + " ".join(f"{v:7.4f}" for v in row) + f"  {np.mean(row):.4f}")


def current_fusion(settings: Settings) -> Fusion:
    """The fusion the service and `dossier eval beir` use (as `load_index` builds it)."""
    return Fusion(weight=settings.hybrid_weight)


def choose(families: dict[tuple, list[dict]], ranked: list, settings: Settings) -> tuple:
    """The current defaults, unless a configuration beats them by 2 paired standard errors.

    Compared per query at the service's depth (k=5: 100 candidates) and the
    benchmark's (k=100: 400); a challenger must win at both.
    """
    incumbent = family(describe_config(current_fusion(settings)))
    if incumbent not in families:
        sys.exit(f"the current defaults {incumbent} are not in the grid")
    at = {n: next(c for c in families[incumbent] if c["candidates"] == n) for n in SERVICE_DEPTHS}
    print(f"\nagainst the current defaults ({describe(incumbent)}), per-query paired differences:")
    print(f"  {'configuration':<26} " + " ".join(f"{f'cand={n}':>17}" for n in SERVICE_DEPTHS))
    chosen = incumbent
    for key, configs in [*ranked[:6], *[item for item in ranked if item[0][0] == "rrf"][:1]]:
        cells, wins = [], 0
        for n in SERVICE_DEPTHS:
            mine = next(c for c in configs if c["candidates"] == n)["per_query"]
            diff = mine - at[n]["per_query"]
            se = diff.std(ddof=1) / np.sqrt(diff.size)
            cells.append(f"{diff.mean():+.4f} ± {se:.4f}")
            wins += diff.mean() > 2 * se
        print(f"  {describe(key):<26} " + " ".join(f"{c:>17}" for c in cells))
        if wins == len(SERVICE_DEPTHS) and chosen == incumbent:
            chosen = key
    verdict = "keep the current defaults" if chosen == incumbent else "change to"
    print(f"chosen: {describe(chosen)} ({verdict})")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--split", default="train")
    parser.add_argument("--json", type=Path, help="write both tables here")
    parser.add_argument("--only", choices=["splitting", "fusion"], help="print one table only")
    args = parser.parse_args()
    if args.split == "test":
        sys.exit("tuning on the test split is not allowed; use train")
    settings = Settings()

    splits: list[dict] = []
    if args.only != "fusion":
        print(f"== splitting ({args.split}): lexical / dense / hybrid as nDCG@10/recall@100")
        print(f"{'splitter':>9} {'rows':>6} {'lexical':>13} {'dense':>13} {'hybrid':>13}")
        splits = splitting_table(args.folder, settings, args.split)
    if args.only == "splitting":
        return

    print(f"\n== fusion ({args.split}, {beir.Splitter()})")
    grid = fusion_grid(args.folder, settings, args.split)
    for normalisation in fusion.NORMALISATIONS:
        pivot(grid, normalisation)
    families: dict[tuple, list[dict]] = {}
    for config in grid:
        families.setdefault(family(config), []).append(config)
    ranked = sorted(families.items(), key=lambda item: -np.mean([c["ndcg@10"] for c in item[1]]))
    print("\nbest configurations, nDCG@10 averaged over candidate depths (min .. max):")
    for key, configs in ranked[:12]:
        values = [c["ndcg@10"] for c in configs]
        print(
            f"  {describe(key):<26} {np.mean(values):.4f} ({min(values):.4f} .. {max(values):.4f})"
        )
    for rrf_k in RRF_KS:
        key, configs = next(item for item in ranked if item[0][:2] == ("rrf", rrf_k))
        print(f"  best {describe(key):<21} {np.mean([c['ndcg@10'] for c in configs]):.4f}")
    choose(families, ranked, settings)
    current = check_through_index(args.folder, settings, args.split)
    default = current_fusion(settings)
    print(
        f"\nhybrid with the current defaults ({default.method}"
        f" {default.normalisation} w={default.weight},"
        f" candidates max({fusion.MIN_CANDIDATES}, "
        f"{fusion.CANDIDATE_FACTOR}k)) through Index.rank: {current:.4f}"
    )
    if args.json:
        for config in grid:
            config.pop("per_query")
        args.json.write_text(json.dumps({"splitting": splits, "fusion": grid}, indent=1))


if __name__ == "__main__":
    main()
