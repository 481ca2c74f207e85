"""Passages found by their best sentence (the default dense scoring): the real FAISS index over
the sentence vectors, built by a real ingest with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_index import build

from dossier.index.dense import BestSentenceIndex, DenseIndex
from dossier.index.embed import Embedder, load_embedder
from dossier.index.store import load_index, publish
from dossier.settings import Settings


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder(Settings())


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("best") / "data")
    publish(settings, build(settings, embedder))
    return settings


def test_an_ingest_encodes_sentences_only_and_says_how_passages_are_scored(
    published: Settings,
) -> None:
    index = load_index(published)
    folder = index.path
    assert folder is not None and not (folder / "dense.faiss").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["dense"]["scored_by"] == "best sentence"
    assert (manifest["embedded"], manifest["reused"]) == (0, 0)  # no passage vectors
    assert manifest["sentence_vectors"]["encoded"] >= len(index.sentences)
    assert isinstance(index.dense, BestSentenceIndex) and index.dense.size == len(index.passages)


def test_a_passage_scores_as_its_best_sentence(published: Settings, embedder: Embedder) -> None:
    index = load_index(published)
    question = "Which company mines uranium with Russian partners?"
    vector = embedder.encode_query(question)
    found = index.search(question, k=3, mode="dense")
    assert found[0].source_id == "energy"
    store = index.sentences
    assert store is not None
    for passage in found:
        rows = store.rows_overlapping(passage.source_id, passage.start, passage.end)
        best = max(float(store.vectors[r] @ vector) for r in rows)
        assert passage.score == pytest.approx(best, abs=1e-5)
    # hybrid and the source filter work over it as over passage vectors
    assert index.search(question, k=2, mode="hybrid")[0].source_id == "energy"
    only = index.search(question, k=5, mode="dense", sources={"space"})
    assert only and {p.source_id for p in only} == {"space"}


def test_passage_vectors_when_asked_for(tmp_path: Path, embedder: Embedder) -> None:
    settings = Settings(data_dir=tmp_path / "data", dense_vectors="passage")
    path = build(settings, embedder)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["dense"]["scored_by"] == "passage"
    assert manifest["embedded"] == manifest["passage_count"]
    publish(settings, path)
    assert isinstance(load_index(settings).dense, DenseIndex)


def test_search_goes_deeper_until_it_has_enough_passages() -> None:
    """The closest 40 sentences all belong to passage 0; the next passages are still found,
    each with its best sentence's score, and a sentence shared by two passages counts for
    both."""
    rng = np.random.default_rng(0)
    query = _unit(rng.normal(size=(1, 16)))[0]
    near = _unit(query + 0.05 * rng.normal(size=(40, 16)))
    far = _unit(rng.normal(size=(20, 16)))
    vectors = np.vstack([near, far])
    members = [np.arange(40), np.array([40, 41, 42]), np.array([42, 43]), np.arange(44, 60)]
    dense = BestSentenceIndex(vectors, members)
    hits = dense.search(query[None, :], 3)[0]
    sims = vectors @ query
    best = np.array([sims[m].max() for m in members])
    expected = np.argsort(-best)[:3]
    assert list(hits.rows) == list(expected)
    assert np.allclose(hits.scores, best[expected], atol=1e-5)
    assert np.allclose(dense.scores_for(query, np.arange(4)), best, atol=1e-5)
    # among allowed passages only
    allowed = dense.search(query[None, :], 4, allowed=np.array([1, 2]))[0]
    assert sorted(allowed.rows) == [1, 2]
    assert dense.search(query[None, :], 10)[0].rows.size == 4  # every passage, no more
