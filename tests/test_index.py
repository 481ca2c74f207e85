"""The index package with real parts: the bundled model, FAISS, bm25s, real files."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from dossier.index.dense import DenseIndex
from dossier.index.embed import Embedder, EmbedderError, get_embedder, load_embedder
from dossier.index.fusion import Fusion
from dossier.index.lexical import LexicalConfig, LexicalIndex
from dossier.index.manifest import corpus_fingerprint
from dossier.index.search import Index
from dossier.index.store import (
    IndexCorruptError,
    IndexLoadError,
    IndexModelMismatchError,
    IndexNotFoundError,
    build_index,
    current_index_id,
    load_index,
    publish,
)
from dossier.settings import Settings
from dossier.types import Document, Passage

ROOT = Path(__file__).resolve().parent.parent

ENERGY = [
    "The Caspian Pipeline Consortium pipeline carries crude oil from the Tengiz field in western "
    "Kazakhstan to the Russian port of Novorossiysk on the Black Sea.",
    "Kazakhstan is the largest producer of uranium in the world; Kazatomprom runs joint mining "
    "ventures with Russian state companies.",
    "The northern electricity grid of Kazakhstan remains synchronised with the Russian grid, a "
    "legacy of the Soviet power system.",
]
SPACE = [
    "Russia leases the Baikonur Cosmodrome from Kazakhstan until 2050 and pays a yearly rent of "
    "115 million dollars.",
    "After a Proton rocket crashed in 2013, toxic heptyl fuel contaminated the steppe near the "
    "launch site.",
    "Soyuz crews for the International Space Station lift off from the cosmodrome's "
    "Gagarin's Start pad.",
]
SOCIETY = [
    "Kazakh is the state language, while Russian keeps an official status in state institutions "
    "and is widely spoken in the cities.",
    "Archive shelfmark ZQ-7781 holds the draft treaty papers, catalogued by the national library.",
    "Ethnic Russians make up a large share of the population of the northern regions "
    "bordering Siberia.",
]
PIPELINE_QUESTION = "Which pipeline takes Kazakh crude oil to the Black Sea?"


def make_source(source_id: str, paragraphs: list[str]) -> tuple[Document, list[Passage]]:
    """A document of paragraphs and one passage per paragraph, offsets exact."""
    text = "\n\n".join(paragraphs)
    passages, at = [], 0
    for n, paragraph in enumerate(paragraphs):
        start = text.index(paragraph, at)
        at = start + len(paragraph)
        passages.append(
            Passage(
                id=f"{source_id}:{n:04d}", source_id=source_id, text=paragraph, start=start, end=at
            )
        )
    document = Document(
        source_id=source_id,
        text=text,
        format="text",
        title=source_id.title(),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )
    return document, passages


def corpus(energy: list[str] = ENERGY) -> tuple[list[Document], list[Passage]]:
    documents, passages = [], []
    for source_id, paragraphs in (("energy", energy), ("space", SPACE), ("society", SOCIETY)):
        document, parts = make_source(source_id, paragraphs)
        documents.append(document)
        passages.extend(parts)
    return documents, passages


SPLITTER = {"passage_chars": 700, "overlap_chars": 150}


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder(Settings())


# This module's indexes keep a vector per passage (what reuse and corruption checks read);
# tests/test_best_sentence.py covers passages scored by their best sentence.
PASSAGE_VECTORS = {"dense_vectors": "passage"}


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", **PASSAGE_VECTORS)


def build(settings: Settings, embedder: Embedder, energy: list[str] = ENERGY, **kwargs) -> Path:
    documents, passages = corpus(energy)
    return build_index(
        documents,
        passages,
        embedder=embedder,
        settings=settings,
        splitter=SPLITTER,
        progress=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def published(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> tuple[Settings, Index]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("published") / "data", **PASSAGE_VECTORS)
    publish(settings, build(settings, embedder))
    return settings, load_index(settings, embedder=embedder)


# Embedder -------------------------------------------------------------------------------


def test_embedder_vectors(embedder: Embedder) -> None:
    assert embedder.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert embedder.dimension == 384
    vectors = embedder.encode(["a pipeline", "a rocket launch", "a language law"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = embedder.encode_query("oil transport")
    assert query.shape == (384,) and query.dtype == np.float32
    assert embedder.encode([]).shape == (0, 384)
    # Cached per (model, device): the two spellings of the bundled model share one load.
    again = get_embedder("all-MiniLM-L6-v2", batch_size=8)
    assert again.model is embedder.model and again.batch_size == 8
    assert os.environ.get("HF_HUB_OFFLINE") == "1"


@pytest.mark.parametrize("name", ["/nonexistent/model-dir", "nonexistent-org/nonexistent-model"])
def test_embedder_error_says_what_to_do(name: str) -> None:
    with pytest.raises(EmbedderError) as caught:
        get_embedder(name)
    message = str(caught.value)
    assert name in message
    assert "DOSSIER_MODEL" in message  # and what to set it to
    assert "local path" in message or "model directory" in message


# Searching ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_clear_question_finds_its_passage(published: tuple[Settings, Index], mode: str) -> None:
    _, index = published
    found = index.search(PIPELINE_QUESTION, k=3, mode=mode)
    assert found[0].id == "energy:0000"
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)
    assert found[0].text == index.documents["energy"].text[found[0].start : found[0].end]


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_paraphrase_finds_meaning(published: tuple[Settings, Index], mode: str) -> None:
    _, index = published
    found = index.search(
        "Where do astronauts launch from, and who pays rent for it?", k=3, mode=mode
    )
    assert found[0].source_id == "space"
    assert (
        index.search("environmental damage after a launch accident", k=1, mode=mode)[0].id
        == "space:0001"
    )


@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
def test_keyword_query_finds_lexical_match(published: tuple[Settings, Index], mode: str) -> None:
    _, index = published
    assert index.search("ZQ-7781", k=3, mode=mode)[0].id == "society:0001"


def test_scores_by_mode(published: tuple[Settings, Index], embedder: Embedder) -> None:
    _, index = published
    dense = index.search(PIPELINE_QUESTION, k=9, mode="dense")
    assert len(dense) == 9
    query = embedder.encode_query(PIPELINE_QUESTION)
    vectors = embedder.encode([index.passage(hit.id).text for hit in dense])
    cosines = vectors @ query  # dense scores are cosine similarities
    assert np.allclose([hit.score for hit in dense], cosines, atol=1e-4)
    lexical = index.search(PIPELINE_QUESTION, k=9, mode="lexical")
    assert all(hit.score > 0 for hit in lexical)  # only passages sharing a word
    hybrid = index.search(PIPELINE_QUESTION, k=9, mode="hybrid")
    assert 0.0 <= hybrid[-1].score <= hybrid[0].score <= 1.0  # min-max fused scores
    assert hybrid[0].score == pytest.approx(1.0)  # best in both lists


def test_queries_with_nothing_to_match(published: tuple[Settings, Index]) -> None:
    _, index = published
    assert index.search("the of and is", mode="lexical") == []  # only stop words
    assert index.search("xyzzy plugh", mode="lexical") == []  # unknown words
    assert len(index.search("the of and is", k=2, mode="hybrid")) == 2  # dense still answers
    assert index.search("   ", mode="hybrid") == []
    with pytest.raises(ValueError, match="unknown mode"):
        index.search("oil", mode="sparse")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_sources_restrict_results(published: tuple[Settings, Index], mode: str) -> None:
    _, index = published
    found = index.search(PIPELINE_QUESTION, k=5, mode=mode, sources={"space", "society"})
    assert found and {p.source_id for p in found} <= {"space", "society"}
    assert index.search("Baikonur rent", k=5, mode=mode, sources={"space"})[0].id == "space:0000"
    assert index.search(PIPELINE_QUESTION, mode=mode, sources={"no-such-source"}) == []
    assert index.search(PIPELINE_QUESTION, mode=mode, sources=set()) == []


def test_fusion_options(published: tuple[Settings, Index]) -> None:
    settings, index = published
    assert index.fusion == Fusion(weight=settings.hybrid_weight)
    for method in ("convex", "rrf"):
        for normalisation in ("minmax", "zscore"):
            config = Fusion(method=method, normalisation=normalisation, candidates=5)
            found = index.search(PIPELINE_QUESTION, k=3, fusion=config)
            assert found[0].id == "energy:0000"
    dense_only = index.search(PIPELINE_QUESTION, k=9, fusion=replace(index.fusion, weight=1.0))
    assert [p.id for p in dense_only] == [
        p.id for p in index.search(PIPELINE_QUESTION, k=9, mode="dense")
    ]
    explicit = index.search_batch([PIPELINE_QUESTION], k=9, fusion=index.fusion)[0]
    assert explicit == index.search(PIPELINE_QUESTION, k=9)  # None: the index's own


def test_batch_search_matches_single(published: tuple[Settings, Index]) -> None:
    _, index = published
    queries = [PIPELINE_QUESTION, "ZQ-7781", "the of", "", "uranium mining"]
    vectors = index.encode_queries(queries)
    assert vectors.shape == (5, 384)
    dense = index.dense_scores(vectors, 4)
    lexical = index.lexical_scores(queries, 4)
    assert [len(h) for h in dense] == [4] * 5
    assert len(lexical[2]) == 0 and len(lexical[3]) == 0
    assert dense[0].rows[0] == index.row("energy:0000")
    for mode in ("dense", "lexical", "hybrid"):
        batch = index.search_batch(queries, k=3, mode=mode)
        ranked = index.rank(queries, k=3, mode=mode, query_vectors=vectors)
        for query, found, hits in zip(queries, batch, ranked, strict=True):
            single = index.search(query, k=3, mode=mode)
            assert [p.id for p in found] == [p.id for p in single]
            assert [index.passages[r].id for r in hits.rows] == [p.id for p in single]
            assert np.allclose([p.score for p in found], [p.score for p in single], atol=1e-5)


def test_browsing(published: tuple[Settings, Index]) -> None:
    _, index = published
    assert index.source_ids == ["energy", "space", "society"]
    assert index.documents["space"].text.startswith("Russia leases")
    assert index.passage("space:0001").text == SPACE[1]
    with pytest.raises(KeyError):
        index.passage("space:9999")
    assert [p.id for p in index.neighbours("space:0001")] == ["space:0000", "space:0002"]
    assert [p.id for p in index.neighbours("space:0000", before=2, after=2)] == [
        "space:0001",
        "space:0002",
    ]
    assert [p.id for p in index.neighbours("society:0002", before=1, after=1)] == ["society:0001"]
    assert index.neighbours("energy:0001", before=0, after=0) == []


# Storage --------------------------------------------------------------------------------


def test_manifest(published: tuple[Settings, Index]) -> None:
    settings, index = published
    manifest = index.manifest
    documents, passages = corpus()
    assert manifest.format_version == 1
    assert manifest.index_id == current_index_id(settings) == index.path.name
    assert manifest.model == "sentence-transformers/all-MiniLM-L6-v2" and manifest.dimension == 384
    assert (manifest.passage_count, manifest.document_count) == (9, 3)
    assert (manifest.embedded, manifest.reused) == (9, 0)
    assert manifest.source_ids == ["energy", "space", "society"]
    assert manifest.corpus_fingerprint == corpus_fingerprint(documents, SPLITTER)
    assert manifest.corpus_fingerprint != corpus_fingerprint(
        documents, {**SPLITTER, "passage_chars": 500}
    )
    assert manifest.corpus_fingerprint == corpus_fingerprint(list(reversed(documents)), SPLITTER)
    assert manifest.lexical["method"] == "lucene" and manifest.lexical["k1"] == 1.5
    assert manifest.lexical["b"] == 0.75 and manifest.lexical["stemmer"] == "english"
    assert manifest.splitter == SPLITTER
    names = {p.name for p in index.path.iterdir()}
    assert {"manifest.json", "documents.jsonl", "passages.jsonl", "dense.faiss", "lexical"} <= names
    assert index.passages == passages and list(index.documents.values()) == documents


def test_round_trip_gives_identical_results(
    published: tuple[Settings, Index], embedder: Embedder
) -> None:
    settings, loaded = published
    documents, passages = corpus()
    in_memory = Index(
        manifest=loaded.manifest,
        documents={d.source_id: d for d in documents},
        passages=passages,
        dense=DenseIndex.build(embedder.encode([p.text for p in passages])),
        lexical=LexicalIndex.build([p.text for p in passages], LexicalConfig()),
        embedder=embedder,
        fusion=Fusion(weight=settings.hybrid_weight),
    )
    queries = [
        PIPELINE_QUESTION,
        "ZQ-7781",
        "Baikonur rent 2050",
        "language of the state",
        "uranium",
    ]
    for mode in ("dense", "lexical", "hybrid"):
        for query in queries:
            fresh = in_memory.search(query, k=9, mode=mode)
            again = loaded.search(query, k=9, mode=mode)
            assert [p.id for p in again] == [p.id for p in fresh]
            assert np.allclose([p.score for p in again], [p.score for p in fresh], atol=1e-6)


def test_rebuild_embeds_only_changed_passages(settings: Settings, embedder: Embedder) -> None:
    publish(settings, build(settings, embedder))
    previous = load_index(settings, embedder=embedder)
    changed = [
        ENERGY[0],
        "Kazakhstan sells its wheat harvest to Iran and Afghanistan by rail.",
        ENERGY[2],
    ]
    path = build(settings, embedder, energy=changed, reuse=previous)
    publish(settings, path)
    index = load_index(settings, embedder=embedder)
    assert (index.manifest.embedded, index.manifest.reused) == (1, 8)
    assert index.search("grain exports by train", k=1)[0].id == "energy:0001"
    # The reused vectors are the previous ones; the new one is the model's own.
    assert np.array_equal(index.dense.vectors[0], previous.dense.vectors[0])
    assert np.allclose(index.dense.vectors[1], embedder.encode([changed[1]])[0], atol=1e-5)
    # A previous index from another model is not reused.
    previous.manifest.model = "some-org/other-model"
    other = load_index(settings, path=build(settings, embedder, reuse=previous), embedder=embedder)
    assert (other.manifest.embedded, other.manifest.reused) == (9, 0)


def test_publish_switches_atomically_and_prunes(settings: Settings, embedder: Embedder) -> None:
    first = build(settings, embedder)
    publish(settings, first)
    link = settings.data_dir / "current"
    assert link.is_symlink() and os.readlink(link) == f"indexes/{first.name}"
    assert current_index_id(settings) == first.name

    seen: set[str | None] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            seen.add(current_index_id(settings))

    watcher = threading.Thread(target=reader)
    watcher.start()
    try:
        second = build(settings, embedder)
        third = build(settings, embedder)
        for _ in range(25):
            publish(settings, second)
            publish(settings, third)
    finally:
        stop.set()
        watcher.join()
    assert seen <= {first.name, second.name, third.name}  # never None, never a mix

    assert current_index_id(settings) == third.name
    # Kept: the current index and the previous one; older ones are pruned.
    assert sorted(p.name for p in settings.indexes_dir.iterdir()) == sorted(
        [second.name, third.name]
    )
    assert load_index(settings, path=second, embedder=embedder).manifest.index_id == second.name
    assert load_index(settings, embedder=embedder).manifest.index_id == third.name
    with pytest.raises(ValueError, match="not an index directory"):
        publish(settings, settings.data_dir)


def test_failed_build_leaves_previous_index(
    settings: Settings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build(settings, embedder)
    publish(settings, first)

    def disk_full(self: LexicalIndex, folder: Path) -> None:
        (folder).mkdir(parents=True)
        (folder / "half-written").write_text("x")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(LexicalIndex, "save", disk_full)
    with pytest.raises(OSError, match="No space left"):
        build(settings, embedder)
    monkeypatch.undo()
    assert [p.name for p in settings.indexes_dir.iterdir()] == [first.name]  # no tmp, no final
    assert current_index_id(settings) == first.name
    assert (
        load_index(settings, embedder=embedder).search(PIPELINE_QUESTION, k=1)[0].id
        == "energy:0000"
    )


def test_build_rejects_inconsistent_input(settings: Settings, embedder: Embedder) -> None:
    documents, passages = corpus()
    passages[1] = passages[1].model_copy(update={"text": "not what the document says"})
    with pytest.raises(ValueError, match="energy:0001"):
        build_index(documents, passages, embedder=embedder, settings=settings, progress=False)
    with pytest.raises(ValueError, match="no passages"):
        build_index(documents, [], embedder=embedder, settings=settings, progress=False)
    assert not settings.indexes_dir.exists()


KILLED_BUILD = textwrap.dedent(
    """
    import hashlib, sys
    from dossier.settings import Settings
    from dossier.types import Document, Passage
    from dossier.index.embed import load_embedder
    from dossier.index.store import build_index

    settings = Settings(data_dir=sys.argv[1])
    lines = [f"Shipment {i} of grain left the river port on day {i % 365} bound for depot {i % 17}."
             for i in range(2500)]
    text = "\\n".join(lines)
    document = Document(source_id="big", text=text, format="text",
                        sha256=hashlib.sha256(text.encode()).hexdigest())
    passages, at = [], 0
    for n, line in enumerate(lines):
        end = at + len(line)
        passages.append(Passage(id=f"big:{n:04d}", source_id="big", text=line, start=at, end=end))
        at += len(line) + 1
    embedder = load_embedder(settings)
    build_index([document], passages, embedder=embedder, settings=settings, progress=False)
    print("finished", flush=True)
    """
)


def test_killed_build_leaves_previous_index(settings: Settings, embedder: Embedder) -> None:
    first = build(settings, embedder)
    publish(settings, first)
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false"}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(settings.data_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        tmp = settings.indexes_dir
        deadline = time.monotonic() + 90
        building: list[Path] = []
        while time.monotonic() < deadline and child.poll() is None:
            building = [
                p for p in tmp.iterdir() if ".tmp-" in p.name and (p / "passages.jsonl").exists()
            ]
            if building:
                break
            time.sleep(0.02)
        assert building, "the child never started writing its index"
        time.sleep(0.5)  # well inside embedding 2,500 passages
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    names = sorted(p.name for p in settings.indexes_dir.iterdir())
    assert names == sorted([first.name, building[0].name])  # the stale build, no final directory
    assert not (building[0] / "manifest.json").exists()
    assert current_index_id(settings) == first.name
    index = load_index(settings, embedder=embedder)
    assert index.manifest.index_id == first.name
    assert index.search(PIPELINE_QUESTION, k=1)[0].id == "energy:0000"
    # The next build (and publish) clears the dead build's directory.
    second = build(settings, embedder)
    publish(settings, second)
    assert sorted(p.name for p in settings.indexes_dir.iterdir()) == sorted(
        [first.name, second.name]
    )


# Loading errors -------------------------------------------------------------------------


def test_load_with_another_model_says_what_to_do(published: tuple[Settings, Index]) -> None:
    settings, _ = published
    other = settings.model_copy(update={"model": "intfloat/e5-small-v2"})
    with pytest.raises(IndexModelMismatchError) as caught:
        load_index(other)
    assert str(caught.value) == (
        "index built with model sentence-transformers/all-MiniLM-L6-v2 (384 dims) but settings say "
        "intfloat/e5-small-v2; re-run `dossier ingest` or set "
        "DOSSIER_MODEL=sentence-transformers/all-MiniLM-L6-v2"
    )
    assert isinstance(caught.value, IndexLoadError)
    # The bundled model's short name is the same model.
    same = settings.model_copy(update={"model": "all-MiniLM-L6-v2"})
    assert load_index(same).manifest.model == "sentence-transformers/all-MiniLM-L6-v2"


def test_load_empty_data_dir(settings: Settings) -> None:
    with pytest.raises(IndexNotFoundError) as caught:
        load_index(settings)
    assert "run `dossier ingest`" in str(caught.value)
    assert isinstance(caught.value, IndexLoadError)
    assert current_index_id(settings) is None


def test_load_corrupt_index(settings: Settings, embedder: Embedder) -> None:
    path = build(settings, embedder)
    publish(settings, path)
    (path / "dense.faiss").write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorruptError, match="re-run `dossier ingest`"):
        load_index(settings, embedder=embedder)
    (path / "manifest.json").unlink()
    with pytest.raises(IndexCorruptError, match=r"manifest\.json"):
        load_index(settings, embedder=embedder)
