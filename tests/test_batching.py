"""The query path: micro-batched question encoding and the answer cache, with real threads,
the real model and a real index."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

from dossier.index.embed import get_embedder
from dossier.index.encoders import cores
from dossier.service.batching import MicroBatcher
from dossier.service.engine import Engine
from dossier.settings import Settings

from conftest import article_entry, run_cli, write_corpus


def _queue_behind_a_held_pass(
    batcher: MicroBatcher,
    ask: Callable[[str], None],
    questions: list[str],
    started: threading.Event,
    release: threading.Event,
) -> tuple[threading.Thread, list[threading.Thread]]:
    """Ask the first question, hold its forward pass until the rest are all queued, then
    let everything finish; the threads that asked (the first, the others)."""
    first = threading.Thread(target=ask, args=(questions[0],))
    first.start()
    assert started.wait(10)
    others = [threading.Thread(target=ask, args=(q,)) for q in questions[1:]]
    for thread in others:
        thread.start()
    while len(batcher._pending) < len(others):
        threading.Event().wait(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(30)
    return first, others


def test_each_caller_gets_its_own_vector_and_calls_are_batched() -> None:
    embedder = get_embedder("all-MiniLM-L6-v2")
    started = threading.Event()
    release = threading.Event()
    sizes: list[int] = []

    def encode(texts: list[str]) -> np.ndarray:
        sizes.append(len(texts))
        if len(sizes) == 1:  # hold the first pass so that the others queue up behind it
            started.set()
            release.wait(10)
        return embedder.encode_queries(texts)

    batcher = MicroBatcher(encode, max_batch=32, max_wait=0.05)
    questions = [f"Which treaty was signed in {1990 + i}?" for i in range(12)]
    results: dict[str, np.ndarray] = {}
    errors: list[BaseException] = []

    def ask(question: str) -> None:
        try:
            results[question] = batcher.encode(question)
        except BaseException as exc:
            errors.append(exc)

    _queue_behind_a_held_pass(batcher, ask, questions, started, release)
    batcher.close()
    assert not errors
    # Two forward passes for twelve questions: the held one, then all eleven together.
    assert sizes == [1, 11] and batcher.calls == 2
    for question in questions:
        alone = embedder.encode_query(question)
        assert np.allclose(results[question], alone, atol=1e-5), question


def test_inline_batches_run_in_a_callers_thread() -> None:
    """Inline (ONNX): a lone question is encoded in its own thread; questions that arrive
    while one is being encoded are still encoded together, by one of their callers."""
    embedder = get_embedder("all-MiniLM-L6-v2")
    started = threading.Event()
    release = threading.Event()
    calls: list[tuple[int, threading.Thread]] = []

    def encode(texts: list[str]) -> np.ndarray:
        calls.append((len(texts), threading.current_thread()))
        if len(calls) == 1:
            started.set()
            release.wait(10)
        return embedder.encode_queries(texts)

    batcher = MicroBatcher(encode, max_batch=32, max_wait=0.05, inline=True)
    questions = [f"Which treaty was signed in {1990 + i}?" for i in range(8)]
    results: dict[str, np.ndarray] = {}

    def ask(question: str) -> None:
        results[question] = batcher.encode(question)

    first, others = _queue_behind_a_held_pass(batcher, ask, questions, started, release)
    assert [size for size, _ in calls] == [1, 7]
    assert calls[0][1] is first and calls[1][1] in others  # no thread of the batcher's own
    assert batcher._worker is None
    alone = batcher.encode("Who leases the Baikonur Cosmodrome?")
    assert calls[-1] == (1, threading.current_thread())
    assert np.allclose(alone, embedder.encode_query("Who leases the Baikonur Cosmodrome?"))
    for question in questions:
        assert np.allclose(results[question], embedder.encode_query(question), atol=1e-5)
    batcher.close()
    with pytest.raises(RuntimeError, match="closed"):
        batcher.encode("after close")


def test_lanes_run_batches_side_by_side_and_each_caller_gets_its_own_vector() -> None:
    """With two lanes, a second caller encodes while the first's pass is still running (both
    passes are held at a barrier only two concurrent passes can cross), and questions queued
    behind both are encoded together in a later pass."""
    embedder = get_embedder("all-MiniLM-L6-v2", queries=True)
    both_running = threading.Barrier(2, timeout=10)
    calls: list[tuple[int, threading.Thread]] = []

    def encode(texts: list[str]) -> np.ndarray:
        calls.append((len(texts), threading.current_thread()))
        if len(calls) <= 2:
            both_running.wait()  # BrokenBarrierError unless a second pass runs meanwhile
        return embedder.encode_queries(texts)

    batcher = MicroBatcher(encode, max_batch=32, max_wait=0.0, inline=True, lanes=2)
    questions = [f"Which treaty was signed in {1990 + i}?" for i in range(2)]
    results: dict[str, np.ndarray] = {}
    threads = [
        threading.Thread(target=lambda q=q: results.__setitem__(q, batcher.encode(q)))
        for q in questions
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(size for size, _ in calls) == [1, 1]
    assert {thread for _, thread in calls} == set(threads)  # each in its caller's thread
    for question in questions:
        assert np.allclose(results[question], embedder.encode_query(question), atol=1e-5)
    batcher.close()


def test_a_question_pass_runs_on_one_thread_and_a_corpus_on_every_core() -> None:
    """Serving encodes questions one pass per core side by side; ingest splits its large
    batches across the cores."""
    question_encoder = get_embedder("all-MiniLM-L6-v2", queries=True).model
    corpus_encoder = get_embedder("all-MiniLM-L6-v2").model
    assert question_encoder is not corpus_encoder
    assert question_encoder.session.get_session_options().intra_op_num_threads == 1
    assert question_encoder.lanes == cores()
    assert corpus_encoder.session.get_session_options().intra_op_num_threads == cores()
    assert corpus_encoder.lanes == 1


@pytest.mark.parametrize("inline", [False, True])
def test_a_failing_batch_raises_in_every_caller(inline: bool) -> None:
    def encode(texts: list[str]) -> np.ndarray:
        raise ValueError("model exploded")

    batcher = MicroBatcher(encode, inline=inline)
    with pytest.raises(ValueError, match="model exploded"):
        batcher.encode("anything")
    with pytest.raises(ValueError, match="model exploded"):  # the worker survives
        batcher.encode("again")
    batcher.close()


@pytest.fixture()
def fresh(tmp_path) -> Settings:
    corpus = write_corpus(tmp_path / "corpus", article_entry())
    code, output = run_cli(
        "ingest", "--data-dir", str(tmp_path / "data"), "--corpus", str(corpus), "--no-progress"
    )
    assert code == 0, output
    return Settings(data_dir=tmp_path / "data", corpus=corpus)


def test_cache_hit_is_identical_and_a_new_index_invalidates_it(fresh: Settings) -> None:
    engine = Engine(fresh)
    question = "Which oil field is linked by pipeline to Novorossiysk?"
    first = engine.ask(question)
    calls = engine.batcher.calls
    again = engine.ask(question)
    assert engine.batcher.calls == calls  # not encoded again
    assert again.model_dump(exclude={"timings"}) == first.model_dump(exclude={"timings"})
    assert engine.cache.hits >= 1
    # Other parameters are another entry.
    engine.ask(question, k=2)
    assert engine.batcher.calls == calls + 1
    searched = engine.search(question)
    assert engine.search(question).passages == searched.passages

    # A newly published index: the cached answer is not served from the old one.
    before = engine.index_id
    code, output = run_cli(
        "ingest", "--data-dir", str(fresh.data_dir), "--corpus", str(fresh.corpus), "--no-progress"
    )
    assert code == 0, output
    calls = engine.batcher.calls
    after = engine.ask(question)
    assert engine.index_id != before
    assert engine.batcher.calls == calls + 1  # computed afresh on the new index
    assert after.model_dump(exclude={"timings"}) == first.model_dump(exclude={"timings"})
