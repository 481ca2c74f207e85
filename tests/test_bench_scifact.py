"""`dossier bench --scifact`'s own parts on a tiny BEIR folder: the timed ingest, its
breakdown, and the in-process comparison with txtai (the `bench` extra). Behaviour, not timings."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest
from test_beir import DOCS, QRELS, write_beir

from dossier.eval import bench, bench_scifact
from dossier.index.embed import load_embedder
from dossier.index.store import load_index
from dossier.settings import Settings


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, dict]:
    work = tmp_path_factory.mktemp("bench-scifact")
    folder = write_beir(work / "tiny")
    data, stats = bench_scifact.ingest(work, folder, None)
    return work, folder, data, stats


def test_ingest_builds_a_servable_index_and_times_its_stages(built) -> None:
    work, _, data, stats = built
    index = load_index(Settings(data_dir=data))
    assert set(index.documents) == set(DOCS)
    assert len(index.passages) == len(DOCS)  # BEIR's splitter keeps each abstract whole
    assert index.sentences is not None and len(index.sentences) > len(DOCS)  # /ask can answer
    timings = stats["timings"]
    for stage in ("read", "split", "model_load", "bm25", "sentence_encode"):
        assert timings[stage] >= 0
    assert "passage_encode" not in timings  # passages are found by their best sentence
    assert timings["sentence_texts"] > len(DOCS)  # separate sentence vectors, the default
    assert stats["wall_s"] >= timings["in_process"] > 0 and stats["peak_rss_mb"] > 0

    figures = bench_scifact.ingest_figures(data, stats, Settings(data_dir=work / "unused"))
    assert figures["passages"] == len(DOCS) and figures["documents"] == len(DOCS)
    assert figures["sentence_texts_encoded"] == timings["sentence_texts"]
    stages = figures["stages_s"]
    assert [name for name, _ in bench_scifact.STAGES] == list(stages)[: len(bench_scifact.STAGES)]
    # The stages and what no stage claims add up to the wall time (rounding aside); splitting
    # and annotating sentences ran beside the encoder, what they added is the wait after it.
    serial = {k: v for k, v in stages.items() if k not in bench_scifact.BESIDE}
    assert sum(serial.values()) == pytest.approx(figures["wall_s"], abs=0.1)
    assert stages["sentence_split"] > 0 and stages["sentence_wait"] >= 0
    assert figures["encoder_s"] == pytest.approx(
        stages["passage_encode"] + stages["passage_rest_encode"] + stages["sentence_encode"],
        abs=0.03,
    )
    # the bare encode of the same passages, in wall and CPU time, and the overheads over it
    assert figures["bare_encode_s"] > 0 and figures["bare_encode_cpu_s"] > 0
    assert figures["overhead"] == pytest.approx(
        figures["wall_s"] / figures["bare_encode_s"] - 1, abs=0.01
    )
    assert figures["cpu_s"] > 0 and figures["overhead_cpu"] == pytest.approx(
        figures["cpu_s"] / figures["bare_encode_cpu_s"] - 1, abs=0.01
    )
    assert "whole_text_pieces" not in figures  # every abstract fits the model's window
    rows = bench_scifact.rows("scifact", {"ingest": figures})
    assert "encode passages" in rows[0][1] and "beyond the encoder" in rows[0][2]


def test_peer_scores_dossier_and_txtai_on_the_same_passages(built) -> None:
    work, folder, data, _ = built
    peers = bench_scifact.peer_figures(work, folder, data)
    assert peers["queries"] == len({q for q, _, _ in QRELS}) and peers["split"] == "test"
    ours = peers["dossier"]
    assert 0.5 <= ours["ndcg@10"] <= 1 and ours["p50_ms"] > 0 and ours["n"] == peers["queries"]
    theirs = peers["txtai"]
    try:
        metadata.version("txtai")
    except metadata.PackageNotFoundError:  # the extra is missing: the table says how to add it
        assert bench_scifact.INSTALL_HINT in theirs["error"]
    else:
        assert "error" not in theirs, theirs
        assert 0.5 <= theirs["ndcg@10"] <= 1 and theirs["p50_ms"] > 0
        assert theirs["index_passages_per_s"] > 0 and "bm25" in theirs["mode"]
    # and what /search serves: the same retrieval, then the reader's second look
    served = peers["dossier_search"]
    assert 0.5 <= served["ndcg@10"] <= 1 and served["p50_ms"] > 0
    assert "second look" in served["mode"]
    rows = bench_scifact.rows("scifact", {"ingest": {}, "peer": peers})
    assert len(rows) == 3 and any("txtai" in row[0] or "txtai" in row[1] for row in rows)
    assert any("/search" in row[0] for row in rows)


def _with_long_abstract(folder: Path) -> Path:
    """The tiny BEIR folder plus one abstract of about 700 word pieces (past the window)."""
    sentences = [text for text in DOCS["long"][1].split(". ")]
    text = ". ".join(f"In cohort {k}, {s.lower()}" for k in range(9) for s in sentences)
    with (folder / "corpus.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"_id": "longer", "title": "Sleep", "text": text, "metadata": {}}))
        out.write("\n")
    return folder


def test_ingest_only_bench_reports_pooled_ingest_against_the_bare_encode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSSIER_SENTENCE_VECTORS", "pooled")
    folder = _with_long_abstract(write_beir(tmp_path / "tiny"))
    result = bench.run(
        Settings(data_dir=tmp_path / "unused"),
        scifact=folder,
        quick=True,
        scifact_docs=None,
        work=tmp_path / "work",
        ingest_only=True,
    )
    assert "floor" not in result and result["ingest_only"]
    assert all("serve" not in corpus for corpus in result["corpora"].values())
    article = result["corpora"]["article"]["ingest"]
    assert article["sentence_vectors"]["method"] == "pooled" and article["overhead_cpu"] > -1
    ingest = result["corpora"]["scifact"]["ingest"]
    assert ingest["sentence_vectors"]["method"] == "pooled"
    assert ingest["sentence_vectors"]["encoded"] == 0  # every sentence pooled
    # the long abstract's text past the window is read by further passes, timed apart, and
    # the bench also encodes the passages' whole text bare, window by window
    assert ingest["passage_rests"] >= 2 and ingest["stages_s"]["passage_rest_encode"] > 0
    assert ingest["whole_text_pieces"] >= ingest["passages"] + 2
    assert ingest["bare_whole_text_s"] > 0 and "overhead_whole_text" in ingest
    printed = bench.table(result)
    assert "sentence vectors pooled" in printed and "whole text" in printed
    assert "past the model's window" in printed


def test_windows_cut_long_texts_into_pieces_the_model_reads_whole() -> None:
    embedder = load_embedder(Settings(encoder="onnx"))
    short = "Melatonin signals night to the body."
    long = " ".join(f"Sample {k} slept {k % 7} hours and woke rested." for k in range(120))
    pieces = bench._windows(embedder, [short, long])
    assert pieces is not None and pieces[0] == short and len(pieces) >= 4
    tokenizer = embedder.model.tokenizer
    assert all(
        len(e.ids) <= tokenizer.truncation["max_length"] for e in tokenizer.encode_batch(pieces)
    )
    assert pieces[1].startswith("Sample 0") and pieces[-1].endswith("woke rested.")
    # consecutive stretches of the text, cut between word pieces: nothing lost, nothing twice
    assert "".join(pieces[1:]).replace(" ", "") == long.replace(" ", "")
    assert bench._windows(embedder, [short]) is None


def test_scifact_split_as_dossier_ingest_splits(tmp_path: Path) -> None:
    folder = _with_long_abstract(write_beir(tmp_path / "tiny"))
    data, stats = bench_scifact.ingest(tmp_path, folder, None, split="ingest")
    index = load_index(Settings(data_dir=data))
    longer = [p for p in index.passages if p.source_id == "longer"]
    assert len(longer) >= 3 and all(len(p.text) <= Settings().passage_chars for p in longer)
    assert stats["split"] == "ingest" and stats["cpu_s"] > 0
    with pytest.raises(ValueError, match="split must be one of"):
        bench_scifact.ingest(tmp_path, folder, None, split="words")
