"""The reader's second look at retrieved passages (service/rerank.py), on the real article
index and the shipped reader."""

from __future__ import annotations

import pytest

from dossier.service.engine import Engine
from dossier.service.rerank import rerank
from dossier.settings import Settings

# Written for this test (not an eval question): it shares almost no word with the sentence
# that answers it ("… more than 75% of export earnings").
PARAPHRASE = "What share of the country's income from abroad comes from hydrocarbons?"
ANSWER = "75% of export earnings"


@pytest.fixture(scope="module")
def engines(article_settings: Settings) -> tuple[Engine, Engine]:
    """(retrieval alone, retrieval with the second look) over one index."""
    alone = Engine(article_settings.model_copy(update={"rerank_pool": 0}))
    second = Engine(article_settings.model_copy(update={"rerank_pool": 20}))
    return alone, second


def _rank(passages, needle: str) -> int | None:
    return next((i for i, p in enumerate(passages) if needle in p.text), None)


def test_the_second_look_lifts_a_paraphrased_answer_into_the_top_five(
    engines: tuple[Engine, Engine],
) -> None:
    alone, second = engines
    before = _rank(alone.search(PARAPHRASE, k=20).passages, ANSWER)
    after = _rank(second.search(PARAPHRASE, k=5).passages, ANSWER)
    assert before is not None and before >= 5  # retrieval alone ranks it below the top five
    assert after is not None and after < 5
    answer = second.ask(PARAPHRASE)
    assert any(ANSWER in p.text for p in answer.passages)


def test_the_second_look_reorders_the_pool_and_its_scores_fall_with_rank(
    engines: tuple[Engine, Engine],
) -> None:
    alone, second = engines
    pool = alone.search(PARAPHRASE, k=20).passages
    top = second.search(PARAPHRASE, k=5).passages
    assert len(top) == 5
    assert {p.id for p in top} <= {p.id for p in pool}
    scores = [p.score for p in top]
    assert scores == sorted(scores, reverse=True)


def test_without_a_pool_or_in_lexical_mode_retrieval_order_stands(
    engines: tuple[Engine, Engine],
) -> None:
    alone, second = engines
    pool = alone.search(PARAPHRASE, k=20).passages
    assert [p.id for p in alone.search(PARAPHRASE, k=5).passages] == [p.id for p in pool[:5]]
    lexical = [p.id for p in alone.search(PARAPHRASE, k=5, mode="lexical").passages]
    assert [p.id for p in second.search(PARAPHRASE, k=5, mode="lexical").passages] == (lexical)


def test_without_a_reader_rerank_returns_retrieval_s_top_k(
    engines: tuple[Engine, Engine],
) -> None:
    alone, _ = engines
    index = alone.index
    pool = index.search(PARAPHRASE, k=20)
    assert rerank(PARAPHRASE, pool, index, None, 5) == pool[:5]


def test_the_second_look_keeps_retrieval_s_first_passage(
    engines: tuple[Engine, Engine],
) -> None:
    """Written for this test: worded as its passage is, so retrieval ranks that passage first;
    the reader, reading the answering sentence after "This crisis …", ranked it low, and the
    fused order left it out of the five."""
    alone, second = engines
    question = "By which year does Kazakhstan aim to join the thirty most developed economies?"
    first = alone.search(question, k=5).passages[0]
    assert "thirty most developed economies" in first.text
    top = second.search(question, k=5).passages
    assert len(top) == 5 and first.id in {p.id for p in top}
    scores = [p.score for p in top]
    assert scores == sorted(scores, reverse=True)
    answer = second.ask(question)
    assert answer.answer_span is not None and answer.answer_span.text == "2050"
