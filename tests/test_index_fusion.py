"""Fusion and ranking arithmetic: pure NumPy, no model."""

from __future__ import annotations

import numpy as np
import pytest

from dossier.index.fusion import (
    DEFAULT_FUSION,
    DEFAULT_NORMALISATION,
    DEFAULT_RRF_K,
    Fusion,
    candidate_count,
    convex,
    fuse,
    normalise,
    rrf,
)
from dossier.index.hits import Hits, top_n
from dossier.settings import Settings


def hits(pairs: list[tuple[int, float]]) -> Hits:
    return Hits.ranked(np.array([r for r, _ in pairs]), np.array([s for _, s in pairs]))


def test_defaults() -> None:
    assert DEFAULT_FUSION == "convex"
    assert DEFAULT_NORMALISATION == "minmax"
    assert candidate_count(5) == 100
    assert candidate_count(50) == 200
    assert candidate_count(5, 20) == 20
    assert candidate_count(30, 10) == 30  # never fewer candidates than results


def test_fusion_config() -> None:
    default = Fusion()
    assert (default.method, default.normalisation) == (DEFAULT_FUSION, DEFAULT_NORMALISATION)
    assert (default.candidates, default.rrf_k) == (None, DEFAULT_RRF_K)
    # One default weight: the settings' (which the service loads indexes with) is Fusion's.
    assert default.weight == Settings.model_fields["hybrid_weight"].default
    assert default.candidate_count(5) == 100 and Fusion(candidates=20).candidate_count(30) == 30
    for bad, match in [
        ({"method": "max"}, "unknown fusion"),
        ({"normalisation": "l2"}, "unknown normalisation"),
        ({"weight": 1.5}, "weight"),
        ({"candidates": 0}, "candidates"),
    ]:
        with pytest.raises(ValueError, match=match):
            Fusion(**bad)
    dense, lexical = hits([(1, 0.9), (2, 0.8)]), hits([(2, 5.0), (3, 1.0)])
    for config in (Fusion(), Fusion(method="rrf", weight=0.3, rrf_k=10)):
        expected = fuse(
            dense,
            lexical,
            k=2,
            weight=config.weight,
            method=config.method,
            normalisation=config.normalisation,
            rrf_k=config.rrf_k,
        )
        fused = config.fuse(dense, lexical, k=2)
        assert fused.rows.tolist() == expected.rows.tolist()
        assert fused.scores.tolist() == expected.scores.tolist()


def test_top_n_is_exact_and_breaks_ties_by_row() -> None:
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.9, 0.5])
    best = top_n(scores, 4)
    assert best.rows.tolist() == [1, 4, 0, 2]
    assert best.scores.tolist() == [0.9, 0.9, 0.5, 0.5]
    assert top_n(scores, 10).rows.tolist() == [1, 4, 0, 2, 5, 3]
    assert len(top_n(scores, 0)) == 0
    sub = top_n(np.array([3.0, 3.0]), 1, rows=np.array([9, 7]))
    assert sub.rows.tolist() == [7]


def test_normalise() -> None:
    assert normalise(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]
    assert normalise(np.array([0.7, 0.7])).tolist() == [1.0, 1.0]
    assert normalise(np.array([0.0, 0.0])).tolist() == [0.0, 0.0]
    z = normalise(np.array([1.0, 2.0, 3.0]), "zscore")
    assert z.mean() == pytest.approx(0.0) and z.std() == pytest.approx(1.0)
    assert normalise(np.array([5.0, 5.0]), "zscore").tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="unknown normalisation"):
        normalise(np.array([1.0]), "softmax")  # type: ignore[arg-type]


def test_convex_weights_and_missing_scores() -> None:
    dense = hits([(1, 0.9), (2, 0.5), (3, 0.1)])
    lexical = hits([(3, 12.0), (4, 6.0)])
    # Dense only: row 1 wins; lexical only: row 3 wins.
    assert convex(dense, lexical, weight=1.0).rows[0] == 1
    assert convex(dense, lexical, weight=0.0).rows[0] == 3
    # Missing scores without a lookup take the list's minimum, i.e. 0 after min-max.
    fused = convex(dense, lexical, weight=0.5)
    got = dict(zip(fused.rows.tolist(), fused.scores.tolist(), strict=True))
    assert got[1] == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)
    assert got[3] == pytest.approx(0.5 * 0.0 + 0.5 * 1.0)
    assert got[4] == pytest.approx(0.5 * 0.0 + 0.5 * 0.0)  # dense missing → dense minimum
    # With exact lookups, missing candidates are scored exactly.
    fused = convex(
        dense,
        lexical,
        weight=0.5,
        dense_lookup=lambda rows: np.full(rows.shape, 0.9),
        lexical_lookup=lambda rows: np.zeros(rows.shape),
    )
    got = dict(zip(fused.rows.tolist(), fused.scores.tolist(), strict=True))
    assert got[4] == pytest.approx(0.5 * 1.0 + 0.5 * 0.5)


def test_rrf() -> None:
    dense = hits([(1, 0.9), (2, 0.5)])
    lexical = hits([(2, 3.0), (3, 1.0)])
    fused = rrf(dense, lexical, weight=0.5, rrf_k=60)
    assert fused.rows[0] == 2  # in both lists
    assert fused.scores[0] == pytest.approx(0.5 / 62 + 0.5 / 61)
    assert fused.rows.tolist() == [2, 1, 3]  # 0.5/61 (dense rank 1) beats 0.5/62 (lexical rank 2)
    assert rrf(dense, lexical, weight=1.0).rows.tolist()[:2] == [1, 2]


def test_fuse_is_deterministic_on_ties_and_validates() -> None:
    dense = hits([(5, 0.5), (2, 0.5), (9, 0.5)])
    lexical = Hits.empty()
    for method in ("convex", "rrf"):
        # Equal scores: the lower row first, every time.
        assert fuse(dense, lexical, k=3, weight=0.5, method=method).rows.tolist() == [2, 5, 9]
    assert len(fuse(Hits.empty(), Hits.empty(), k=3, weight=0.5)) == 0
    assert len(fuse(dense, lexical, k=2, weight=0.5)) == 2
    with pytest.raises(ValueError, match="unknown fusion"):
        fuse(dense, lexical, k=3, weight=0.5, method="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weight"):
        fuse(dense, lexical, k=3, weight=1.5)
