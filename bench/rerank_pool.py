"""How many passages the reader's second look should pick from (DOSSIER_RERANK_POOL).

    python bench/rerank_pool.py --data-dir DATA [--scifact ../shared/benchmarks/beir/scifact]
                                [--pools 0,10,20,40]

DATA holds an index of SciFact abstracts (all of them, or the first N: e.g.
the one `dossier bench --scifact … --scifact-docs N` builds, or
`dossier.eval.bench_scifact.build`). Each pool size is scored as `/search`
serves it (`Engine.search`, service/rerank.py; pool 0 is retrieval alone) by
nDCG@10 over the queries of the train split and of the test split that have
a relevant document in the index. Choose on train; report test.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dossier.eval.beir import score
from dossier.eval.bench_scifact import judged
from dossier.index.store import load_index
from dossier.service.engine import Engine
from dossier.settings import Settings

DEFAULT_SCIFACT = Path(__file__).resolve().parents[2] / "shared/benchmarks/beir/scifact"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--scifact", type=Path, default=DEFAULT_SCIFACT)
    parser.add_argument("--pools", default="0,10,20,40")
    args = parser.parse_args()
    sources = set(load_index(Settings(data_dir=args.data_dir)).documents)
    splits = {name: judged(args.scifact, sources, name) for name in ("train", "test")}
    counts = ", ".join(f"{name} {len(queries)} queries" for name, (queries, _) in splits.items())
    print(f"{len(sources)} documents; {counts}")
    for pool in (int(p) for p in args.pools.split(",")):
        engine = Engine(Settings(data_dir=args.data_dir, rerank_pool=pool, query_cache_size=0))
        figures = []
        for name, (queries, qrels) in splits.items():
            run = {}
            for q, text in queries.items():
                best: dict[str, float] = {}
                for p in engine.search(text, k=10).passages:
                    best.setdefault(p.source_id, p.score)
                run[q] = best
            figures.append(f"{name} nDCG@10 {score(run, qrels)['ndcg@10']:.4f}")
        print(f"pool {pool:3d}: " + ", ".join(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
