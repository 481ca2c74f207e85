"""The reader's question tower over the ONNX encoder's lower layers (DOSSIER_READER_SHARES_ENCODER).

The tower is MiniLM with its embeddings and lowest three layers left as they were, so the
encoder's own pass over a question has already computed them; sharing must leave the query
vector unchanged bit for bit and give the tower's vectors to rounding.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from dossier.index.embed import Embedder, get_embedder
from dossier.service.answer.reader import SHIPPED, Reader, load_reader
from dossier.service.engine import Engine
from dossier.settings import Settings

QUESTIONS = [
    "When did Kazakhstan declare its independence?",
    "Which pipeline takes Kazakh crude oil to the Black Sea?",
    "How many Russian speakers live in the north of the country?",
    "Who signed the Treaty of Friendship, Cooperation and Mutual Assistance in 1992?",
]


@pytest.fixture(scope="module")
def encoder() -> Embedder:
    return get_embedder("all-MiniLM-L6-v2", encoder="onnx")


def test_sharing_leaves_the_query_vectors_unchanged(encoder: Embedder) -> None:
    before = np.stack([encoder.encode_query(q) for q in QUESTIONS])
    assert encoder.model.share_layer(2)
    after = np.stack([encoder.encode_query(q) for q in QUESTIONS])
    assert np.array_equal(before, after)
    for question in QUESTIONS:  # each pass kept its hidden state, by the question's token ids
        ids = tuple(encoder.model.tokenizer.encode(question).ids)
        hidden = encoder.model.hidden_for(ids)
        assert hidden is not None and hidden.shape == (1, len(ids), 384)


def test_the_tower_over_the_encoders_layers_gives_its_own_vectors(encoder: Embedder) -> None:
    alone = Reader(SHIPPED)
    full = [alone.backend.vector(q) for q in QUESTIONS]
    shared = Reader(SHIPPED)
    assert shared.share_lower(encoder.model)
    for question, expected in zip(QUESTIONS, full, strict=True):
        encoder.encode_query(question)
        got = shared.backend.vector(question)
        # The hidden states agree to float rounding, which can move an activation across an
        # int8 step in the layers above (cosine 0.9967 seen on one question, 1.0 on the rest).
        assert float(got @ expected) > 0.995
    # A question the encoder has not just read: the tower runs its full pass, bit for bit.
    unseen = "Which treaty founded the Collective Security Treaty Organization, and when?"
    assert np.array_equal(shared.backend.vector(unseen), alone.backend.vector(unseen))
    sentences = np.stack([encoder.encode_query(q) for q in QUESTIONS])  # any unit vectors
    encoder.encode_query(QUESTIONS[0])
    np.testing.assert_allclose(
        shared.score_vectors(QUESTIONS[0], sentences),
        alone.score_vectors(QUESTIONS[0], sentences),
        atol=0.02,
    )


def test_only_an_encoder_of_the_towers_own_model_is_shared() -> None:
    torch = get_embedder("all-MiniLM-L6-v2", encoder="torch")  # no kept hidden states
    assert not Reader(SHIPPED).share_lower(torch.model)


def test_an_engine_that_shares_answers_as_one_that_does_not(article_settings: Settings) -> None:
    plain = Engine(article_settings.model_copy(update={"query_cache_size": 0}))
    sharing = Engine(
        article_settings.model_copy(update={"query_cache_size": 0, "reader_shares_encoder": True})
    )
    plain.load()
    sharing.load()
    assert sharing.reader is not plain.reader  # the other engine keeps the full pass
    assert sharing.reader is load_reader(SHIPPED, sharing=True, threads=1)  # as served
    assert sharing.reader is not None and sharing.reader.backend._lower is not None
    for question in QUESTIONS:
        a, b = plain.ask(question), sharing.ask(question)
        assert (a.answer, a.abstained) == (b.answer, b.abstained)
        assert abs(a.confidence - b.confidence) < 0.02


def test_concurrent_questions_are_encoded_once_each(encoder: Embedder) -> None:
    """The reranker and the answer step both score a request's question; with other requests
    in between (8 at once), the tower still encodes each question once (in passes it may
    share with other questions)."""
    reader = Reader(SHIPPED)
    tower = reader.backend
    session, passes = tower.session, []

    class Counting:  # the real session, its runs counted
        def run(self, outputs: object, feed: dict[str, np.ndarray]) -> object:
            passes.append(len(feed["input_ids"]))  # questions in this pass
            return session.run(outputs, feed)

        def get_inputs(self) -> object:
            return session.get_inputs()

    tower.session = Counting()
    questions = [f"{q} ({n})" for n in range(4) for q in QUESTIONS]  # 16 distinct
    sentences = np.stack([encoder.encode_query(q) for q in QUESTIONS])
    barrier = threading.Barrier(8)
    scores: dict[str, list[np.ndarray]] = {q: [] for q in questions}

    def client(mine: list[str]) -> None:
        barrier.wait()
        for _ in range(2):  # every question scored twice, as /ask does
            for question in mine:
                scores[question].append(reader.score_vectors(question, sentences))

    threads = [threading.Thread(target=client, args=(questions[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(passes) == len(questions)
    assert all(np.array_equal(a, b) for a, b in scores.values())


def test_a_prefetched_question_is_encoded_once_beside_the_caller(encoder: Embedder) -> None:
    """`prefetch` starts the tower's pass on another thread while the caller encodes the
    question for retrieval; the caller's later scoring takes that pass's vector, whether it
    asks before the pass ends or after."""
    sentences = np.stack([encoder.encode_query(q) for q in QUESTIONS])
    expected = {q: Reader(SHIPPED).score_vectors(q, sentences) for q in QUESTIONS}
    reader = Reader(SHIPPED)
    tower = reader.backend
    session, threads = tower.session, []
    release = threading.Event()

    class Held:  # the real session; its first pass held until the caller is waiting
        def run(self, outputs: object, feed: dict[str, np.ndarray]) -> object:
            threads.append(threading.current_thread())
            if len(threads) == 1:
                release.wait(10)
            return session.run(outputs, feed)

        def get_inputs(self) -> object:
            return session.get_inputs()

    tower.session = Held()
    first, *rest = QUESTIONS
    reader.prefetch(first)
    reader.prefetch(first)  # already under way: nothing more
    waiting = threading.Timer(0.2, release.set)  # the pass ends while the caller waits for it
    waiting.start()
    assert np.array_equal(reader.score_vectors(first, sentences), expected[first])
    for question in rest:  # the pass ended before the caller asked
        reader.prefetch(question)
        while question not in tower._recent:
            threading.Event().wait(0.01)
        assert np.array_equal(reader.score_vectors(question, sentences), expected[question])
    assert len(threads) == len(QUESTIONS)  # one pass per question
    assert threading.current_thread() not in threads  # each on the prefetching thread
