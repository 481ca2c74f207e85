"""Evaluation sets: the shipped ones are sound, quotes are located, broken sets are explained."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from dossier.eval.metrics import answer_contains
from dossier.eval.sets import (
    CATEGORIES,
    EvalItem,
    EvalSetError,
    Evidence,
    load_set,
    locate_quote,
    normalise_ws,
    select_split,
)

ROOT = Path(__file__).resolve().parent.parent
SETS = ROOT / "eval" / "sets"
ARTICLE_TEXT = (ROOT / "corpus" / "article.txt").read_text(encoding="utf-8")
SOURCE_IDS = {
    s["id"] for s in tomllib.loads((ROOT / "corpus" / "sources.toml").read_text())["source"]
}
# The article's sections, by heading line, in order; the agreements list is a section of its own.
SECTIONS = [
    "1. Introduction",
    "1. A New relationship",
    "2) Qandy Quantar",
    "3) War in ukraine",
    "The post-soviet era",
    "The EEU",
    "2020’s",
    "III) Military relationship",
    "Conclusion",
    "Major agreements:",
]
END = "References"
# The closing line after the references names the authors and the research centre.
TRAILER = "Article written by"


@pytest.fixture(scope="module")
def article_set() -> list[EvalItem]:
    return load_set(SETS / "article.jsonl")


@pytest.fixture(scope="module")
def sources_set() -> list[EvalItem]:
    return load_set(SETS / "sources.jsonl")


def heading_offset(heading: str) -> int:
    found = [
        m.start() for m in re.finditer(rf"^[ \t]*{re.escape(heading)}[ \t]*$", ARTICLE_TEXT, re.M)
    ]
    assert len(found) == 1, heading
    return found[0]


def section_of(offset: int) -> str:
    starts = [(heading_offset(h), h) for h in SECTIONS]
    if ARTICLE_TEXT.startswith(TRAILER, offset):
        return TRAILER
    assert offset < heading_offset(END), "evidence in the references"
    return [h for start, h in starts if start <= offset][-1]


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def shared_run(a: str, b: str, n: int = 6) -> set[tuple[str, ...]]:
    def grams(ws: list[str]) -> set[tuple[str, ...]]:
        return {tuple(ws[i : i + n]) for i in range(len(ws) - n + 1)}

    return grams(words(a)) & grams(words(b))


# ---- the shipped sets


def test_article_set_size_and_mix(article_set: list[EvalItem]) -> None:
    answerable = [i for i in article_set if i.answerable]
    assert len(article_set) >= 60
    assert sum(not i.answerable for i in article_set) >= 8
    assert sum(any(re.search(r"\d", a) for a in i.answers) for i in article_set) >= 10
    assert sum(len(i.evidence) >= 2 for i in article_set) >= 5
    assert all(e.source == "article" and e.quote for i in answerable for e in i.evidence)
    assert [i.id for i in article_set] == [f"q{n:02d}" for n in range(1, len(article_set) + 1)]


def test_every_quote_is_located_once_and_offsets_give_it_back(article_set: list[EvalItem]) -> None:
    flat = normalise_ws(ARTICLE_TEXT)
    for item in article_set:
        for evidence in item.evidence:
            found = locate_quote(ARTICLE_TEXT, evidence.quote)
            assert found is not None, (item.id, evidence.quote)
            start, end = found
            assert normalise_ws(ARTICLE_TEXT[start:end]) == normalise_ws(evidence.quote), item.id
            assert ARTICLE_TEXT[start:end] == ARTICLE_TEXT[start:end].strip(), item.id
            # Found once: the first occurrence locate_quote returns is the one meant.
            assert flat.count(normalise_ws(evidence.quote)) == 1, (item.id, evidence.quote)


def test_every_section_and_the_agreements_list_are_asked_about(article_set: list[EvalItem]) -> None:
    asked = {
        section_of(locate_quote(ARTICLE_TEXT, e.quote)[0])  # type: ignore[index]
        for item in article_set
        for e in item.evidence
    }
    assert asked == {*SECTIONS, TRAILER}


def test_two_passage_questions_draw_on_distinct_parts(article_set: list[EvalItem]) -> None:
    distant = 0
    for item in article_set:
        if len(item.evidence) < 2:
            continue
        sections = {section_of(locate_quote(ARTICLE_TEXT, e.quote)[0]) for e in item.evidence}  # type: ignore[index]
        distant += len(sections) >= 2
    assert distant >= 5


def test_questions_do_not_copy_their_evidence(article_set: list[EvalItem]) -> None:
    for item in article_set:
        for evidence in item.evidence:
            assert not shared_run(item.question, evidence.quote), (
                item.id,
                shared_run(item.question, evidence.quote),
            )


def test_every_expected_part_is_stated_in_the_evidence(article_set: list[EvalItem]) -> None:
    for item in article_set:
        if item.answerable:
            stated = " ".join(e.quote or "" for e in item.evidence)
            for group in item.expected_groups:
                assert answer_contains(stated, group), (item.id, group)


STOP = set(
    "a an the of in on at to for and or but by with from as is are was were be been did do does "
    "what which who whom whose when where why how that this these those it its their his her they "
    "he she has have had into over under than about after before since during between per s".split()
)


def content_words(text: str) -> set[str]:
    return {w for w in words(text) if w not in STOP}


def overlap(question: str, evidence: str) -> float:
    """Share of the question's content words that also occur in its evidence."""
    asked = content_words(question)
    return len(asked & content_words(evidence)) / len(asked)


def test_article_set_covers_what_the_answer_step_must_handle(article_set: list[EvalItem]) -> None:
    by = {c: [i for i in article_set if i.category == c] for c in CATEGORIES}
    unanswerable = [i for i in article_set if not i.answerable]
    assert len(article_set) >= 180
    assert len(unanswerable) >= 60
    assert len(by["unanswerable-nearmiss"]) >= 2 * len(by["unanswerable-offtopic"]) > 0
    assert len(by["paraphrase"]) >= 30
    assert len(by["multipart"]) >= 15
    assert len(by["antecedent"]) >= 10
    assert all(i.category is not None and i.split is not None for i in article_set)


def test_splits_are_stratified_by_category(article_set: list[EvalItem]) -> None:
    for category in CATEGORIES:
        tune = [i for i in article_set if i.category == category and i.split == "tune"]
        test = [i for i in article_set if i.category == category and i.split == "test"]
        assert tune and test, category
        assert abs(len(tune) - len(test)) <= 1, (category, len(tune), len(test))
    assert select_split(article_set, "tune") + select_split(article_set, "test") != []
    assert {i.id for i in select_split(article_set, "tune")}.isdisjoint(
        i.id for i in select_split(article_set, "test")
    )


def test_paraphrases_share_few_words_with_the_article(article_set: list[EvalItem]) -> None:
    for item in article_set:
        if item.category == "paraphrase":
            stated = " ".join(e.quote or "" for e in item.evidence)
            assert overlap(item.question, stated) <= 0.34, (item.id, item.question)


def test_multipart_questions_need_every_part(article_set: list[EvalItem]) -> None:
    for item in article_set:
        if item.category == "multipart":
            assert len(item.expected_groups) >= 2, item.id


def test_antecedent_questions_cite_the_sentence_just_before(article_set: list[EvalItem]) -> None:
    for item in article_set:
        if item.category != "antecedent":
            continue
        before = locate_quote(ARTICLE_TEXT, item.evidence[0].quote)  # type: ignore[arg-type]
        answer = locate_quote(ARTICLE_TEXT, item.evidence[-1].quote)  # type: ignore[arg-type]
        assert before and answer, item.id
        assert before[1] < answer[0] and not ARTICLE_TEXT[before[1] : answer[0]].strip(), item.id


def test_near_misses_are_about_the_article_s_subjects(article_set: list[EvalItem]) -> None:
    """Each names at least two things the article talks about (names, figures' subjects)."""
    vocabulary = content_words(ARTICLE_TEXT)
    for item in article_set:
        if item.category == "unanswerable-nearmiss":
            shared = content_words(item.question) & vocabulary
            assert len(shared) >= 2, (item.id, item.question)


def test_unanswerable_questions_are_plain(article_set: list[EvalItem]) -> None:
    for item in article_set:
        if not item.answerable:
            assert not item.answers and not item.evidence


def test_sources_set_cites_the_references(sources_set: list[EvalItem]) -> None:
    assert 10 <= len(sources_set) <= 16
    assert [i.id for i in sources_set] == [f"s{n:02d}" for n in range(1, len(sources_set) + 1)]
    cited = set()
    for item in sources_set:
        assert item.answerable and item.answers
        for evidence in item.evidence:
            assert evidence.quote is None, item.id  # source-level evidence only
            assert evidence.source in SOURCE_IDS - {"article"}, item.id
            cited.add(evidence.source)
    assert len(cited) >= 7


def test_all_evidence_names_a_known_source(
    article_set: list[EvalItem], sources_set: list[EvalItem]
) -> None:
    for item in article_set + sources_set:
        assert {e.source for e in item.evidence} <= SOURCE_IDS, item.id


# ---- locate_quote and normalise_ws


def test_normalise_ws() -> None:
    assert normalise_ws("  a \n\t b\u00a0c\r\n") == "a b c"
    assert normalise_ws("") == ""


def test_locate_quote_maps_back_to_original_offsets() -> None:
    text = "Title\n\n  The pipeline   was\n completed\tin 2001.  Next sentence."
    start, end = locate_quote(text, "The pipeline was completed in 2001.")  # type: ignore[misc]
    assert text[start:end] == "The pipeline   was\n completed\tin 2001."
    assert locate_quote(text, "pipeline was\n\ncompleted") == (
        text.index("pipeline"),
        text.index("completed") + 9,
    )
    assert locate_quote(text, "  \n Title ") == (0, 5)  # quote's own outer whitespace ignored
    assert locate_quote(text, "Next sentence.") == (len(text) - 14, len(text))


def test_locate_quote_edge_cases() -> None:
    text = "one two one two"
    assert locate_quote(text, "one two") == (0, 7)  # the first occurrence
    assert locate_quote(text, "two three") is None
    assert locate_quote(text, "   ") is None
    assert locate_quote("", "x") is None
    assert locate_quote("a\u00a0\u2009b", "a b") == (0, 4)  # Unicode spaces are whitespace
    assert locate_quote("Café’s", "Café's") is None  # only whitespace is forgiven
    assert locate_quote("\n\nx", "x") == (2, 3)


def test_locate_quote_on_every_sentence_of_the_article() -> None:
    for sentence in re.split(r"(?<=[.!?])\s+", ARTICLE_TEXT):
        if len(sentence.strip()) < 20:
            continue
        start, end = locate_quote(ARTICLE_TEXT, sentence)  # type: ignore[misc]
        assert normalise_ws(ARTICLE_TEXT[start:end]) == normalise_ws(sentence)


# ---- the models


def test_items_validate_answerability() -> None:
    quote = Evidence(source="article", quote="x")
    assert EvalItem(id="q1", question="?", answers=["a"], evidence=[quote]).answerable
    assert not EvalItem(id="q2", question="?", answerable=False).answerable
    with pytest.raises(ValueError, match="needs at least one evidence"):
        EvalItem(id="q3", question="?", answers=["a"])
    with pytest.raises(ValueError, match="needs at least one expected answer"):
        EvalItem(id="q3", question="?", evidence=[quote])
    with pytest.raises(ValueError, match="takes no answers or evidence"):
        EvalItem(id="q4", question="?", answers=["a"], answerable=False)
    with pytest.raises(ValueError, match="takes no answers or evidence"):
        EvalItem(id="q4", question="?", evidence=[quote], answerable=False)
    with pytest.raises(ValueError, match="blank"):
        Evidence(source="article", quote="  ")
    assert Evidence(source="cacianalyst").quote is None


# ---- load_set's errors


def write(tmp_path: Path, *lines: str | dict) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


GOOD = {
    "id": "q01",
    "question": "When?",
    "answers": ["2001"],
    "evidence": [{"source": "article", "quote": "in 2001"}],
}


def test_load_set_reads_a_small_set_and_skips_blank_lines(tmp_path: Path) -> None:
    items = load_set(
        write(tmp_path, GOOD, "", "   ", {"id": "q02", "question": "Who?", "answerable": False})
    )
    assert [i.id for i in items] == ["q01", "q02"]
    assert items[0].evidence[0].quote == "in 2001"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([GOOD, '{"id": "q02", "question": '], r"set\.jsonl:2: invalid JSON: .*column"),
        ([GOOD, "[1, 2]"], r"set\.jsonl:2: expected a JSON object, got list"),
        (
            [{**GOOD, "split": "train"}],
            r":1 \(q01\): split: unknown split 'train'; use one of tune, test",
        ),
        ([{**GOOD, "category": "trivia"}], r":1 \(q01\): category: unknown category 'trivia'"),
        (
            [{**GOOD, "category": "unanswerable-nearmiss"}],
            r"category 'unanswerable-nearmiss' does not fit an answerable question",
        ),
        (
            [{**GOOD, "category": "multipart"}],
            r"a multipart question needs answers_all with a group per part",
        ),
        ([{**GOOD, "category": "antecedent"}], r"an antecedent question needs two evidence"),
        ([{**GOOD, "answers_all": [["x"], []]}], r"answers_all: an answers_all group is empty"),
        (
            [{"id": "q2", "question": "?", "answerable": False, "answers_all": [["x"]]}],
            r"takes no answers or evidence",
        ),
        (
            [GOOD, {**GOOD, "question": "Again?"}],
            r"set\.jsonl:2: duplicate id 'q01' \(first on line 1\)",
        ),
        (
            [{**GOOD, "evidence": []}],
            r"set\.jsonl:1 \(q01\): an answerable question needs at least one evidence",
        ),
        (
            [{"id": "q09", "question": "?", "answerable": False, "answers": ["x"]}],
            r":1 \(q09\): an unanswerable question .* takes no answers or evidence",
        ),
        ([{**GOOD, "answer": ["x"]}], r":1 \(q01\): answer: unknown key"),
        (
            [{k: v for k, v in GOOD.items() if k != "question"}],
            r":1 \(q01\): question: Field required",
        ),
        (
            [{**GOOD, "evidence": [{"quote": "x"}]}],
            r":1 \(q01\): evidence\.0\.source: Field required",
        ),
        (
            [{**GOOD, "evidence": [{"source": "Not An Id!"}]}],
            r"evidence\.0\.source: String should match pattern",
        ),
        ([{**GOOD, "answers": ["2001", ""]}], r"answers: an expected answer is blank"),
        ([{**GOOD, "id": 7}], r":1: id: Input should be a valid string"),
    ],
)
def test_load_set_explains_what_is_wrong_and_where(
    tmp_path: Path, lines: list, message: str
) -> None:
    with pytest.raises(EvalSetError, match=message):
        load_set(write(tmp_path, *lines))


def test_load_set_reports_every_problem_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, "nope", GOOD, {**GOOD, "id": "q03", "evidence": []})
    with pytest.raises(EvalSetError) as caught:
        load_set(path)
    lines = str(caught.value).splitlines()
    assert [line.split(":")[1].split(" ")[0] for line in lines] == ["2", "3", "4"]
    assert all(line.startswith(str(path)) for line in lines)


def test_load_set_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(EvalSetError, match="no such file"):
        load_set(tmp_path / "absent.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="no questions"):
        load_set(empty)


def test_answers_all_groups_and_split_selection(tmp_path: Path) -> None:
    multi = {
        "id": "m1",
        "split": "test",
        "category": "multipart",
        "question": "Which field and which port?",
        "answers_all": [["Tengiz"], ["Novorossiysk"]],
        "evidence": [{"source": "article", "quote": "x"}],
    }
    both = {**GOOD, "id": "m2", "split": "tune", "answers_all": [["y"]]}
    unanswerable = {"id": "u1", "question": "?", "answerable": False}
    items = load_set(write(tmp_path, multi, both, unanswerable))
    assert items[0].expected_groups == [["Tengiz"], ["Novorossiysk"]]
    assert items[1].expected_groups == [["2001"], ["y"]]
    assert [i.id for i in select_split(items, "test")] == ["m1"]
    assert [i.id for i in select_split(items, "tune")] == ["m2"]
    assert select_split(items, None) == items
    with pytest.raises(EvalSetError, match="unknown split 'dev'; use one of tune, test"):
        select_split(items, "dev")
