"""The BEIR path on a tiny BEIR-format data set written here, with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dossier.eval import beir, metrics
from dossier.settings import Settings

from conftest import run_cli

SMALL = beir.Splitter(passage_chars=200, overlap_chars=0)  # splits the long document below

DOCS = {
    "d01": ("Photosynthesis", "Plants turn light, water and carbon dioxide into sugar and oxygen."),
    "d02": ("Volcanoes", "Magma rises through the crust and erupts as lava, ash and gas."),
    "d03": ("Insulin", "The pancreas releases insulin, which lowers blood glucose."),
    "d04": ("Vaccines", "A vaccine trains the immune system to recognise a pathogen."),
    "d05": ("Tides", "The gravity of the moon and the sun raises the tides of the oceans."),
    "d06": ("Antibiotics", "Antibiotics kill bacteria or stop them growing."),
    "d07": ("Plate tectonics", "Lithosphere plates drift and collide, raising mountains."),
    "d08": ("Glaciers", "Glaciers are rivers of ice that carve valleys as they flow."),
    "d09": ("Neurons", "Neurons pass electrical signals along axons and across synapses."),
    "d10": ("Coral reefs", "Corals bleach when warm water drives away their algae."),
    "d11": ("Diabetes", "In type 1 diabetes the immune system destroys the cells making insulin."),
    "long": (
        "Sleep",
        " ".join(
            [
                "Sleep is a state of reduced awareness that every animal studied needs.",
                "Adults spend about a quarter of the night in rapid eye movement sleep.",
                "During deep sleep the brain clears waste through the glymphatic system.",
                "Shift workers who sleep by day run a higher risk of heart disease.",
                "Caffeine blocks adenosine receptors and so delays the onset of sleep.",
                "Melatonin, made by the pineal gland at dusk, signals night to the body.",
            ]
        ),
    ),
}
QUERIES = {
    "q1": "Which hormone lowers blood glucose?",
    "q2": "How does caffeine delay sleep?",
    "q3": "What makes corals bleach?",
    "q4": "Why do mountains rise where plates collide?",
    "q5": "an unjudged query about tides",
}
QRELS = [("q1", "d03", 1), ("q1", "d11", 1), ("q2", "long", 1), ("q3", "d10", 2), ("q4", "d07", 1)]


def write_beir(folder: Path, *, qrels_header: str = "query-id\tcorpus-id\tscore") -> Path:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as out:
        for doc_id, (title, text) in DOCS.items():
            out.write(json.dumps({"_id": doc_id, "title": title, "text": text, "metadata": {}}))
            out.write("\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as out:
        for query_id, text in QUERIES.items():
            out.write(json.dumps({"_id": query_id, "text": text, "metadata": {}}) + "\n")
    rows = [qrels_header, *(f"{q}\t{d}\t{s}" for q, d, s in QRELS)]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_beir(tmp_path_factory.mktemp("beir") / "tiny")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("beir-data"))


@pytest.fixture(scope="module")
def figures(dataset: Path, settings: Settings) -> dict:
    return beir.run_beir(
        dataset,
        settings,
        modes=["lexical", "dense", "hybrid"],
        split="test",
        progress=False,
        splitter=SMALL,
    )


# Loading ------------------------------------------------------------------------------------


def test_loads_documents_queries_and_qrels(dataset: Path) -> None:
    documents = beir.load_documents(dataset)
    assert [d.source_id for d in documents] == list(DOCS)
    assert documents[0].text == "Photosynthesis\n\n" + DOCS["d01"][1]
    assert documents[0].title == "Photosynthesis"
    queries, qrels = beir.load_split(dataset, "test")
    assert list(queries) == ["q1", "q2", "q3", "q4"]  # judged queries only
    assert qrels["q1"] == {"d03": 1, "d11": 1}
    assert qrels["q3"] == {"d10": 2}


def test_missing_corpus_is_named(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "set")
    (folder / "corpus.jsonl").unlink()
    with pytest.raises(beir.BeirError, match=r"corpus\.jsonl is missing"):
        beir.run_beir(folder, Settings(data_dir=tmp_path / "data"), modes=["lexical"])


def test_missing_split_lists_the_available_ones(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "set")
    with pytest.raises(beir.BeirError, match=r"train\.tsv is missing.*has: test"):
        beir.load_split(folder, "train")


def test_bad_qrels_header(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "set", qrels_header="qid\tdocid\trel")
    with pytest.raises(beir.BeirError, match="expected the header 'query-id"):
        beir.load_split(folder, "test")


def test_bad_qrels_row(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "set")
    with (folder / "qrels" / "test.tsv").open("a", encoding="utf-8") as out:
        out.write("q1\td01\n")
    with pytest.raises(beir.BeirError, match=r"test\.tsv:7: expected 3 tab-separated fields"):
        beir.load_split(folder, "test")


def test_judged_query_missing_from_queries(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "set")
    with (folder / "qrels" / "test.tsv").open("a", encoding="utf-8") as out:
        out.write("q9\td01\t1\n")
    with pytest.raises(beir.BeirError, match=r"1 judged queries are not in .*'q9'"):
        beir.load_split(folder, "test")


def test_duplicate_document_id(tmp_path: Path) -> None:
    folder = write_beir(tmp_path / "set")
    with (folder / "corpus.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"_id": "d01", "title": "", "text": "again"}) + "\n")
    with pytest.raises(beir.BeirError, match="'d01' occurs twice"):
        beir.load_documents(folder)


# Running ------------------------------------------------------------------------------------


def test_figures_have_every_mode_and_metric(figures: dict) -> None:
    assert figures["queries"] == 4
    assert figures["documents"] == len(DOCS)
    assert figures["passages"] > len(DOCS)  # the long document was split
    assert set(figures["modes"]) == {"lexical", "dense", "hybrid"}
    for row in figures["modes"].values():
        assert set(row) == set(beir.METRIC_KEYS)
        assert all(0.0 <= v <= 1.0 for v in row.values())
    assert figures["modes"]["hybrid"]["ndcg@10"] > 0.5


@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_document_scores_as_its_best_passage_once(
    dataset: Path, settings: Settings, figures: dict, mode: str
) -> None:
    index = beir.ensure_index(dataset, settings, splitter=SMALL, progress=False)
    long_rows = [i for i, p in enumerate(index.passages) if p.source_id == "long"]
    assert len(long_rows) >= 3
    query = QUERIES["q2"]
    [ranked] = beir.rank_documents(index, [query], mode=mode, depth=5)
    assert next(iter(ranked)) == "long"
    [hits] = index.rank([query], k=len(index.passages), mode=mode)
    passage_scores = dict(zip(hits.rows.tolist(), hits.scores.tolist(), strict=True))
    assert sum(r in passage_scores for r in long_rows) >= 2  # several passages of it were found
    assert ranked["long"] == max(passage_scores[r] for r in long_rows if r in passage_scores)
    documents = list(dict.fromkeys(index.passages[r].source_id for r in hits.rows.tolist()))
    assert list(ranked) == documents[:5]  # each document once, in order of its best passage


def test_depth_reaches_distinct_documents(dataset: Path, settings: Settings, figures: dict) -> None:
    index = beir.ensure_index(dataset, settings, splitter=SMALL, progress=False)
    [ranked] = beir.rank_documents(index, [QUERIES["q2"]], mode="dense", depth=len(DOCS))
    assert sorted(ranked) == sorted(DOCS)  # every document once, though there are more passages


def test_second_run_reuses_the_cached_index(
    dataset: Path, settings: Settings, figures: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("the index was built again")

    monkeypatch.setattr(beir, "build_index", no_build)
    again = beir.run_beir(
        dataset, settings, modes=["hybrid"], split="test", progress=False, splitter=SMALL
    )
    assert again["index_id"] == figures["index_id"]
    assert again["modes"]["hybrid"] == figures["modes"]["hybrid"]


def test_cache_key_follows_contents_and_splitter(tmp_path: Path, settings: Settings) -> None:
    folder = write_beir(tmp_path / "tiny")
    key = beir.cache_key(folder, settings, SMALL)
    assert key.startswith("tiny-")
    assert beir.cache_key(folder, settings, SMALL) == key
    assert beir.cache_key(folder, settings, beir.Splitter(300, 0)) != key
    assert beir.cache_key(folder, settings.model_copy(update={"model": "other"}), SMALL) != key
    french = settings.model_copy(update={"lexical_language": "french"})
    assert beir.cache_key(folder, french, SMALL) != key
    with (folder / "corpus.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps({"_id": "d12", "title": "", "text": "One more."}) + "\n")
    assert beir.cache_key(folder, settings, SMALL) != key


def test_metrics_match_dossier_metrics_by_hand(
    dataset: Path, settings: Settings, figures: dict
) -> None:
    index = beir.ensure_index(dataset, settings, splitter=SMALL, progress=False)
    queries, qrels = beir.load_split(dataset, "test")
    for mode, row in figures["modes"].items():
        ranked = beir.rank_documents(index, list(queries.values()), mode=mode)
        rankings = {q: metrics.rank(r) for q, r in zip(queries, ranked, strict=True)}
        for key, metric, k in (
            ("ndcg@10", metrics.ndcg_at_k, 10),
            ("recall@100", metrics.recall_at_k, 100),
            ("mrr@10", metrics.mrr_at_k, 10),
        ):
            by_hand = sum(metric(rankings[q], qrels[q], k) for q in qrels) / len(qrels)
            assert row[key] == pytest.approx(by_hand, abs=1e-12), (mode, key)


def test_cli_writes_the_figures(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    code, output = run_cli(
        "eval", "beir", str(dataset), "--mode", "lexical", "--json", str(out),
        "--data-dir", str(tmp_path / "data"), "--no-progress",
    )  # fmt: skip
    assert code == 0, output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert set(written["modes"]) == {"lexical"}
    assert set(written["modes"]["lexical"]) >= set(beir.METRIC_KEYS)
    assert "ndcg@10" in output
