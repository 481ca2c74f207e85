"""`dossier bench --scifact`'s own parts on a tiny BEIR folder: the timed ingest, its
breakdown, and the in-process comparison with txtai (the `bench` extra). Behaviour, not timings."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
from test_beir import DOCS, QRELS, write_beir

from dossier.eval import bench_scifact
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
    for stage in ("read", "split", "model_load", "passage_encode", "bm25", "sentence_encode"):
        assert timings[stage] >= 0
    assert timings["sentence_texts"] > len(DOCS)  # separate sentence vectors, the default
    assert stats["wall_s"] >= timings["in_process"] > 0 and stats["peak_rss_mb"] > 0

    figures = bench_scifact.ingest_figures(data, stats, Settings(data_dir=work / "unused"))
    assert figures["passages"] == len(DOCS) and figures["documents"] == len(DOCS)
    assert figures["sentence_texts_encoded"] == timings["sentence_texts"]
    stages = figures["stages_s"]
    assert [name for name, _ in bench_scifact.STAGES] == list(stages)[: len(bench_scifact.STAGES)]
    # The stages and what no stage claims add up to the wall time (rounding aside).
    assert sum(stages.values()) == pytest.approx(figures["wall_s"], abs=0.1)
    assert figures["encoder_s"] == pytest.approx(
        stages["passage_encode"] + stages["sentence_encode"], abs=0.02
    )
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
    rows = bench_scifact.rows("scifact", {"ingest": {}, "peer": peers})
    assert len(rows) == 2 and any("txtai" in row[0] or "txtai" in row[1] for row in rows)
