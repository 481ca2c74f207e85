"""The reader (service/answer/reader.py): the shipped cross-encoder, ONNX files, bad paths, and
its use by /ask with the default settings."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest

from dossier.lexicon import lexicon_for
from dossier.service.answer import AnswerabilityError, analyse, features
from dossier.service.answer.answerability import DEFAULT_MODEL, Answerability, model_path
from dossier.service.answer.reader import (
    READER_FEATURE,
    SHIPPED,
    Reader,
    ReaderError,
    load_reader,
    reader_path,
)
from dossier.service.engine import Engine, NotReadyError
from dossier.settings import MULTILINGUAL_MODEL, Settings

from conftest import build_tiny_cross_encoder, serving

# The default answerability model (all-MiniLM-L6-v2's) is fitted with the reader's column.
WITH_READER = DEFAULT_MODEL

# Questions and sentences written for this test (not from the article): the answer, then
# sentences on the same subject that do not answer (a date or figure of something else).
CASES = [
    (
        "In what year was the Eiffel Tower completed?",
        "Construction of the Eiffel Tower was completed in 1889, in time for the World's Fair.",
        [
            "The Eiffel Tower is 330 metres tall and was the tallest structure in the world "
            "for 41 years.",
            "In 1909 the tower was nearly demolished when its permit expired.",
            "About seven million people visit the Eiffel Tower every year.",
        ],
    ),
    (
        "Who designed the Sydney Opera House?",
        "The Sydney Opera House was designed by the Danish architect Jørn Utzon.",
        [
            "The Sydney Opera House was formally opened on 20 October 1973.",
            "The building cost 102 million Australian dollars, far above its budget.",
            "The Sydney Opera House hosts more than 1,500 performances each year.",
        ],
    ),
    (
        "How many people live in the city of Lyon?",
        "The city of Lyon has a population of about 520,000 inhabitants.",
        [
            "Lyon was founded by the Romans in 43 BC under the name Lugdunum.",
            "Lyon is known for its cuisine and for the silk industry of the nineteenth century.",
            "The Lyon metro opened in 1978 and has four lines.",
        ],
    ),
    (
        "Why did the Titanic sink?",
        "The Titanic sank because it struck an iceberg that opened several of its "
        "forward compartments to the sea.",
        [
            "The Titanic left Southampton on 10 April 1912 on her maiden voyage.",
            "More than 1,500 people died when the Titanic sank.",
            "The wreck of the Titanic was found in 1985 at a depth of about 3,800 metres.",
        ],
    ),
]


@pytest.fixture(scope="module")
def shipped() -> Reader:
    reader = load_reader("auto")
    assert reader is not None
    return reader


@pytest.mark.parametrize(("question", "answer", "misses"), CASES)
def test_the_shipped_reader_ranks_the_answer_above_same_subject_near_misses(
    shipped: Reader, question: str, answer: str, misses: list[str]
) -> None:
    scores = shipped.score(question, [answer, *misses])
    assert scores.shape == (1 + len(misses),)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert scores[0] > scores[1:].max(), dict(zip([answer, *misses], scores, strict=True))


def test_the_shipped_reader_is_the_onnx_int8_file_with_its_card() -> None:
    assert (SHIPPED / "reader.onnx").is_file() and (SHIPPED / "tokenizer.json").is_file()
    card = (SHIPPED / "MODEL_CARD.md").read_text("utf-8")
    assert "Apache-2.0" in card and "CC BY-SA 4.0" in card
    assert (SHIPPED / "reader.onnx").stat().st_size < 30e6
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(SHIPPED / "reader.onnx"))
    ops = {node.op_type for node in model.graph.node}
    assert "MatMulInteger" in ops or "DynamicQuantizeLinear" in ops  # quantised, int8
    # 7-bit weights, so that the scores do not depend on the CPU (as the encoder's, test_encoders)
    weights = [
        numpy_helper.to_array(tensor)
        for tensor in model.graph.initializer
        if tensor.data_type == onnx.TensorProto.INT8
    ]
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in weights) == 64


def test_scores_do_not_depend_on_the_order_of_the_texts(shipped: Reader) -> None:
    question, answer, misses = CASES[0]
    texts = [answer, *misses]
    forward = shipped.score(question, texts)
    backward = shipped.score(question, texts[::-1])[::-1]
    assert np.argmax(forward) == np.argmax(backward) == 0
    assert shipped.score(question, []).shape == (0,)


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CrossEncoder directory with a two-layer random BERT and a small vocabulary."""
    words = {w.lower().strip(".,?’'") for case in CASES for w in " ".join(case[:2]).split()}
    return build_tiny_cross_encoder(tmp_path_factory.mktemp("tiny-reader"), words)


@pytest.fixture(scope="module")
def tiny_onnx(tiny_cross_encoder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny cross-encoder exported to ONNX by the test, its tokenizer.json beside it."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = tmp_path_factory.mktemp("tiny-onnx")
    model = AutoModelForSequenceClassification.from_pretrained(tiny_cross_encoder).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_cross_encoder)
    tokenizer.backend_tokenizer.save(str(folder / "tokenizer.json"))
    sample = tokenizer(["a question"], ["a sentence"], return_tensors="pt")
    axes = {0: "batch", 1: "tokens"}
    with torch.inference_mode():
        torch.onnx.export(
            model,
            (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
            str(folder / "tiny.onnx"),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes={k: axes for k in ("input_ids", "attention_mask", "token_type_ids")},
            opset_version=17,
            dynamo=False,
        )
    return folder / "tiny.onnx"


def test_an_onnx_file_the_test_builds_loads_and_matches_its_torch_model(
    tiny_cross_encoder: Path, tiny_onnx: Path
) -> None:
    question, answer, misses = CASES[1]
    texts = [answer, *misses]
    on_torch = Reader(tiny_cross_encoder).score(question, texts)
    on_onnx = Reader(tiny_onnx).score(question, texts)
    assert on_onnx.shape == (len(texts),)
    assert len(set(np.round(on_onnx, 6))) > 1
    np.testing.assert_allclose(on_onnx, on_torch, atol=1e-4)


def test_missing_or_garbage_readers_are_clear_errors(tmp_path: Path, tiny_onnx: Path) -> None:
    with pytest.raises(ReaderError, match="does not exist"):
        Reader(tmp_path / "nowhere")
    (tmp_path / "model.bin").write_bytes(b"x")
    with pytest.raises(ReaderError, match=r"give an \.onnx file"):
        Reader(tmp_path / "model.bin")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "reader.onnx").write_bytes(b"not a model at all" * 100)
    (garbage / "tokenizer.json").write_bytes(tiny_onnx.with_name("tokenizer.json").read_bytes())
    with pytest.raises(ReaderError, match=r"cannot load the reader .* as an ONNX model"):
        Reader(garbage)
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    (lonely / "reader.onnx").write_bytes(tiny_onnx.read_bytes())
    with pytest.raises(ReaderError, match=r"no tokenizer\.json beside it"):
        Reader(lonely)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ReaderError, match="holds no reader"):
        Reader(empty)


def test_the_reader_setting_auto_follows_the_answerability_model() -> None:
    assert reader_path("auto", wants_reader=True) == SHIPPED
    assert reader_path("auto", wants_reader=False) is None
    assert reader_path("none", wants_reader=True) is None
    assert reader_path("/some/where", wants_reader=False) == Path("/some/where")
    # the multilingual-e5 index's own answerability file decides for itself
    e5 = Answerability.load(model_path(MULTILINGUAL_MODEL))
    assert reader_path("auto", READER_FEATURE in e5.features) == (
        SHIPPED if READER_FEATURE in e5.features else None
    )


def test_auto_loads_no_reader_for_a_model_without_its_coefficient(
    article_settings: Settings,
) -> None:
    engine = Engine(article_settings)
    one = np.ones(1)
    plain = Answerability(("focus",), np.zeros(1), one, one, 0.0, 0.5)  # no reader column
    assert engine.reader_for(plain) is None
    assert engine.reader_for(engine.answerability) is not None


def test_ask_with_the_default_settings_uses_the_shipped_reader(
    article_settings: Settings,
) -> None:
    settings = article_settings.model_copy(update={"answer_model": WITH_READER})
    engine = Engine(settings)
    assert READER_FEATURE in engine.answerability.features
    reader = engine.reader  # `auto`: the shipped reader, since the model has its coefficient
    assert reader is not None and reader.path == SHIPPED / "reader.onnx"

    question = "In what year was the pipeline from the Tengiz field completed?"
    index = engine.index
    vector = index.embedder.encode_query(question)
    passages = index.search(question, k=5, query_vector=vector)
    assert index.sentences is not None
    analysed = analyse(question, lexicon_for("en"), index.sentences.idf)
    evidence = features(analysed, vector, passages, index, reader=reader)
    assert evidence.columns[-1] == READER_FEATURE
    # the shipped reader scores every candidate's stored vector against its question vector
    assert reader.sentence_model is not None
    assert (evidence.column(READER_FEATURE) > 0).all()
    best = int(np.argmax(evidence.column(READER_FEATURE)))
    assert "2001" in index.sentences.text(evidence.candidates[best].row)

    with serving(settings) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        answered = client.post("/ask", json={"question": question}).json()
        assert not answered["abstained"] and "2001" in answered["answer"]
        off_topic = client.post("/ask", json={"question": "What is the capital of France?"})
        assert off_topic.json()["abstained"], off_topic.json()["answer"]


def test_a_reader_that_reads_text_reads_only_the_closest_candidates(
    article_settings: Settings, tiny_onnx: Path
) -> None:
    engine = Engine(article_settings)
    index = engine.index
    question = "Who succeeded Nazarbayev as president?"
    vector = index.embedder.encode_query(question)
    passages = index.search(question, k=5, query_vector=vector)
    assert index.sentences is not None
    analysed = analyse(question, lexicon_for("en"), index.sentences.idf)
    reader = Reader(tiny_onnx)
    assert reader.sentence_model is None
    evidence = features(analysed, vector, passages, index, reader=reader, reader_candidates=3)
    scored = evidence.column(READER_FEATURE) > 0
    assert len(evidence.candidates) > 3 and scored.sum() == 3
    closest = np.argsort(-evidence.column("cos_context"), kind="stable")[:3]
    assert scored[closest].all()


def test_without_a_reader_a_reader_model_says_what_to_set(article_settings: Settings) -> None:
    engine = Engine(
        article_settings.model_copy(update={"reader": "none", "answer_model": WITH_READER})
    )
    assert engine.reader is None
    with pytest.raises(AnswerabilityError, match="DOSSIER_READER=auto"):
        engine.ask("In what year was the pipeline from the Tengiz field completed?")


def test_a_broken_reader_setting_makes_the_service_not_ready(
    article_settings: Settings, tmp_path: Path
) -> None:
    engine = Engine(article_settings.model_copy(update={"reader": str(tmp_path / "nowhere")}))
    engine.load()
    assert engine.load_error and "does not exist" in engine.load_error
    with pytest.raises(NotReadyError, match="DOSSIER_READER"):
        engine.ask("Who succeeded Nazarbayev?")
