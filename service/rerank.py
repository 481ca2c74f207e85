"""A second look at retrieved passages: the reader's order, fused with retrieval's.

A paraphrased question ("How much of national output comes from petroleum?")
shares few words with the passage that answers it, and that passage's one
vector is an average over sentences about other things, so hybrid retrieval
can rank it below fifth. The shipped reader (service/answer/reader.py) was
trained to place a question near the one sentence that answers it, and scores
the index's stored sentence vectors for one pass over the question: so the
passages of a wider pool are ranked by their best sentence, and that order
is fused with retrieval's by reciprocal rank (each order counts the same,
whatever its scores' scale). The answer step reuses the reader's pass.
"""

from __future__ import annotations

import numpy as np

from dossier.index.search import Index
from dossier.service.answer.reader import Reader
from dossier.types import ScoredPassage

# Reciprocal-rank fusion's constant (Cormack et al. 2009): 1 / (RRF_K + rank).
RRF_K = 60


def pool_size(reader: Reader | None, k: int, pool: int) -> int:
    """How many passages to retrieve for `rerank` to pick `k` from: `pool` when the reader
    scores stored sentence vectors, else just `k` (there is no second look)."""
    return max(k, pool) if reader is not None and reader.sentence_model else k


def rerank(
    question: str,
    passages: list[ScoredPassage],
    index: Index,
    reader: Reader | None,
    k: int,
) -> list[ScoredPassage]:
    """The `k` best of `passages` (retrieval's order) once fused with the reader's order.

    Retrieval's first passage stays among the `k`. Without a reader that scores
    stored sentence vectors (none, or one that reads text: its cost grows with
    every sentence), retrieval's top `k`.
    Each passage's `score` becomes its fused score, so scores still fall
    with rank.
    """
    store = index.sentences
    if reader is None or reader.sentence_model is None or store is None or len(passages) < 2:
        return passages[:k]
    # Every sentence of each passage (headings and bylines too: "who wrote this?"), whether
    # or not an earlier passage holds it as well.
    rows = [store.rows_overlapping(p.source_id, p.start, p.end) for p in passages]
    flat = sorted({r for passage_rows in rows for r in passage_rows})
    if not flat:
        return passages[:k]
    read_as = np.stack(  # as the answer step reads them: after the antecedent when referring back
        [store.context_vectors[r] if store.infos[r].refers_back else store.vectors[r] for r in flat]
    )
    score_of = dict(zip(flat, reader.score_vectors(question, read_as).tolist(), strict=True))
    best = np.array([max((score_of[r] for r in pr), default=-np.inf) for pr in rows])
    by_reader = np.empty(len(passages), dtype=np.int64)
    by_reader[np.argsort(-best, kind="stable")] = np.arange(len(passages))
    fused = 1.0 / (RRF_K + np.arange(len(passages))) + 1.0 / (RRF_K + by_reader)
    order = np.argsort(-fused, kind="stable")[:k]
    if 0 not in order:
        # The reader lifts passages; it does not push out retrieval's first ("By which year
        # does Kazakhstan aim to join the thirty most developed economies?" is worded as its
        # passage is, and the reader, reading that sentence after "This crisis …", ranked it
        # 15th of 20): it stays, last.
        order = np.concatenate([order[: k - 1], [0]])
    return [passages[i].model_copy(update={"score": float(fused[i])}) for i in order]


__all__ = ["RRF_K", "pool_size", "rerank"]
