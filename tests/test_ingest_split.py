"""Sentence spans and passages: offsets always index the document text exactly."""

from __future__ import annotations

import itertools
import random
import time

import pytest

from dossier.ingest import split
from dossier.ingest.split import sentence_spans, split_passages
from dossier.types import Document, PageSpan

PROSE = (
    "Kazakhstan was the last state to leave the USSR, in December 1991. It then established "
    "itself as a sovereign state under the presidency of Nursultan Nazarbayev. Dr. Smith, of "
    "the U.S. embassy, disagreed! Did anyone ask the Kazakh side? Nobody knows."
)


def doc(text: str, source_id: str = "src", pages: list[PageSpan] | None = None) -> Document:
    return Document(
        source_id=source_id,
        text=text,
        format="pdf" if pages else "text",
        sha256="0" * 64,
        pages=pages or [],
    )


def test_sentence_spans_index_the_text_and_are_stripped() -> None:
    text = "  " + PROSE + "   \n"
    spans = sentence_spans(text)
    sentences = [text[s:e] for s, e in spans]
    assert sentences == [
        "Kazakhstan was the last state to leave the USSR, in December 1991.",
        "It then established itself as a sovereign state under the presidency of "
        "Nursultan Nazarbayev.",
        "Dr. Smith, of the U.S. embassy, disagreed!",
        "Did anyone ask the Kazakh side?",
        "Nobody knows.",
    ]
    assert all(s == s.strip() for s in sentences)


def test_blank_lines_are_sentence_boundaries() -> None:
    text = "II) Politics\n\n1. A New relationship\n\nBetween 1991 and 2010 Russia was a partner."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "II) Politics",
        "1. A New relationship",
        "Between 1991 and 2010 Russia was a partner.",
    ]


def test_wrapped_lines_are_not_boundaries_but_heading_lines_are() -> None:
    text = (
        "1. Introduction\n"
        "Kazakhstan was the last state to leave the USSR, in December 1991. It then established\n"
        "itself as a sovereign state under Nazarbayev, who led it from 1991 to 2019 with help\n"
        "from Russia, and others.\n"
        "2. Politics\n"
        "Between 1991 and the 2010s, the Russian Federation was presented as a partner."
    )
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "1. Introduction",
        "Kazakhstan was the last state to leave the USSR, in December 1991.",
        "It then established\nitself as a sovereign state under Nazarbayev, who led it from 1991 "
        "to 2019 with help\nfrom Russia, and others.",
        "2. Politics",
        "Between 1991 and the 2010s, the Russian Federation was presented as a partner.",
    ]


def test_sentence_spans_of_blank_text() -> None:
    assert sentence_spans("") == []
    assert sentence_spans(" \n\n \t") == []


def test_short_document_is_one_passage() -> None:
    document = doc("  A short abstract. It has two sentences.  ", source_id="abs-1")
    [passage] = split_passages(document, target_chars=700, overlap_chars=150)
    assert passage.id == "abs-1:0000"
    assert passage.text == "A short abstract. It has two sentences."
    assert passage.text == document.text[passage.start : passage.end]
    assert passage.page is None


def test_empty_document_has_no_passages() -> None:
    assert split_passages(doc(" \n "), 700, 150) == []


def test_passages_pack_sentences_with_overlap() -> None:
    sentences = [f"Sentence number {i} talks about pipelines and grain." for i in range(40)]
    document = doc(" ".join(sentences))
    passages = split_passages(document, target_chars=200, overlap_chars=60)
    assert len(passages) > 5
    assert [p.id for p in passages] == [f"src:{i:04d}" for i in range(len(passages))]
    for previous, passage in itertools.pairwise(passages):
        assert passage.text == document.text[passage.start : passage.end]
        assert len(passage.text) <= 200
        assert passage.start > previous.start
        # The overlap is whole sentences of the previous passage, at most 60 chars.
        overlap = previous.end - passage.start
        assert 0 < overlap <= 60
        assert passage.text.startswith("Sentence number")
    # Nothing is lost: the passages cover every sentence.
    assert passages[0].start == 0 and passages[-1].end == len(document.text)
    for previous, passage in itertools.pairwise(passages):
        assert passage.start <= previous.end + 1


def test_no_overlap_when_overlap_is_zero() -> None:
    document = doc(" ".join(f"Short sentence {i}." for i in range(100)))
    passages = split_passages(document, target_chars=120, overlap_chars=0)
    for previous, passage in itertools.pairwise(passages):
        assert passage.start > previous.end


def test_over_long_sentence_is_cut_at_whitespace() -> None:
    words = " ".join(f"word{i}" for i in range(400))  # one 'sentence' of ~3,000 chars
    document = doc(words + ". Then a short one.")
    passages = split_passages(document, target_chars=300, overlap_chars=50)
    for passage in passages:
        assert passage.text == document.text[passage.start : passage.end]
        assert len(passage.text) <= 300
        assert passage.text == passage.text.strip()
        assert passage.text.startswith("word") or passage.text.startswith("Then")
        # cut at whitespace: no word is split
        text = document.text
        assert passage.start == 0 or text[passage.start - 1].isspace()
        assert passage.end == len(text) or text[passage.end].isspace()


def test_unbreakable_text_is_cut_hard() -> None:
    document = doc("x" * 2_500)
    passages = split_passages(document, target_chars=1_000, overlap_chars=100)
    assert "".join(p.text for p in passages) == document.text
    assert all(len(p.text) <= 1_000 for p in passages)


def test_pdf_passages_carry_their_page() -> None:
    pages_text = [" ".join(f"Page {n} sentence {i} is here." for i in range(30)) for n in (1, 2, 3)]
    text = "\n\n".join(pages_text)
    spans, offset = [], 0
    for n, page in enumerate(pages_text, start=1):
        spans.append(PageSpan(page=n, start=offset, end=offset + len(page)))
        offset += len(page) + 2
    document = doc(text, pages=spans)
    passages = split_passages(document, target_chars=250, overlap_chars=40)
    for passage in passages:
        assert passage.text == text[passage.start : passage.end]
        assert passage.page == int(passage.text.split()[1])


@pytest.mark.parametrize("seed", range(40))
def test_random_texts_keep_offsets_exact(seed: int) -> None:
    rng = random.Random(seed)
    vocabulary = [
        "the",
        "Dr.",
        "U.S.",
        "pipeline",
        "1991.",
        "e.g.",
        "Astana",
        "“quoted”",
        "—",
        "Kazakh-Russian",
        "?",
        "!",
        "...",
        "(note)",
        "a.m.",
        "No.",
        "5.5",
        "tariffs;",
    ]
    pieces = []
    for _ in range(rng.randint(1, 120)):
        sentence = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 40)))
        sentence += rng.choice([". ", "! ", "? ", ".\n", "\n\n", "  ", ".\t", " \n \n"])
        pieces.append(sentence)
    text = rng.choice(["", " ", "\n"]) + "".join(pieces)
    target = rng.choice([100, 150, 300, 700])
    overlap = rng.choice([0, 30, 150])
    document = doc(text)

    spans = sentence_spans(text)
    assert spans == sorted(spans)
    for (_s1, e1), (s2, _e2) in itertools.pairwise(spans):
        assert e1 <= s2
    for s, e in spans:
        assert s < e and text[s:e] == text[s:e].strip()
    # Every non-space character belongs to a sentence.
    covered = sum(len("".join(text[s:e].split())) for s, e in spans)
    assert covered == len("".join(text.split()))

    passages = split_passages(document, target, overlap)
    for passage in passages:
        assert passage.text == document.text[passage.start : passage.end]
        assert len(passage.text) <= target
    if text.strip():
        assert passages[0].start == len(text) - len(text.lstrip())
        assert passages[-1].end == len(text.rstrip())


def test_many_abstracts_split_fast() -> None:
    rng = random.Random(0)
    abstracts = [
        doc(" ".join(rng.choice(PROSE.split()) for _ in range(rng.randint(40, 100))), f"d{i}")
        for i in range(5_000)
    ]
    started = time.perf_counter()
    total = sum(len(split_passages(a, 700, 150)) for a in abstracts)
    assert total >= 5_000
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize("language", ["en", "fr", "de", "ru"])
def test_sentence_offsets_are_pysbds_own(language: str) -> None:
    """The segmenter finds each sentence by string search, not one regex per sentence, and
    makes each abbreviation's replacements once, not once per occurrence: the spans must be
    exactly pysbd's, repeated sentences and abbreviations and odd whitespace included."""
    import pysbd

    from dossier.ingest.split import _Segmenter

    rng = random.Random(language)
    words = ["Dr.", "U.S.", "Yes.", "No.", "e.g.", "1991.", "Mr.", "5.5", "«cité»", "the", "a"]
    words += ["Fig.", "fig.", "al.", "et", "i.e.", "vs.", "E.", "e.", "Each", "each", "No", "(2)"]
    texts = [
        PROSE,
        "Yes. Yes. Yes.  Yes.\u00a0Yes.\x1cYes.",
        "Go. Go!  Go?\t\tGo...   Go.",
        "Il est parti. Il est parti. M. Dupont est arrivé à 5 h. Fin.",
        "As in Fig. 2 and fig. 3, e.g. in mice (Smith et al. 2001), no. 5 vs. No. 6. E. coli "
        "and e. coli grew. Each of the each. Dr. No. 7 i.e. the end. Vol. 2 p. 4 Prof. X.",
        *(
            " ".join(rng.choice(words) for _ in range(rng.randint(1, 60))) + rng.choice(["", " "])
            for _ in range(200)
        ),
    ]
    ours = _Segmenter(language=language, clean=False, char_span=True)
    theirs = pysbd.Segmenter(language=language, clean=False, char_span=True)
    for text in texts:
        assert [(s.sent, s.start, s.end) for s in ours.segment(text)] == [
            (s.sent, s.start, s.end) for s in theirs.segment(text)
        ], text


def test_sentence_spans_are_remembered_not_shared() -> None:
    first = sentence_spans(PROSE + " Once more.")
    first.append((0, 1))  # a caller's list is its own
    again = sentence_spans(PROSE + " Once more.")
    assert again == first[:-1] and again[-1][1] == len(PROSE + " Once more.")


def test_a_large_corpus_is_split_into_sentences_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingest splits every document for its passages, then again for its sentences: the
    second pass over 5,000 documents finds every one remembered (an LRU smaller than the
    corpus would miss each one, evicting the next one wanted)."""
    calls: list[str] = []

    def counted(block: str, language: str | None = None) -> list[tuple[int, int]]:
        calls.append(block)
        return [(0, len(block))]

    monkeypatch.setattr(split, "_segment", counted)
    texts = [f"Document number {n} of a large corpus." for n in range(5_000)]
    first = [sentence_spans(text) for text in texts]
    second = [sentence_spans(text) for text in texts]
    assert second == first
    assert len(calls) == len(texts)
