"""Split documents into sentences and overlapping passages that quote the text exactly.

Every span is a pair of offsets into the document text, so a passage (and any
sentence the service cites from it) is always `document.text[start:end]`,
never a cleaned-up copy. pysbd finds sentence ends; paragraphs (blank lines)
are always boundaries, so a heading is never glued onto the next paragraph.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from array import array
from collections import OrderedDict

import pysbd
from pysbd.abbreviation_replacer import AbbreviationReplacer
from pysbd.utils import TextSpan

from dossier.types import Document, Passage

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_CONTINUES = (",", "-", "\u2010", "\u2013", "\u2014", "(", "/", "&")
_local = threading.local()


_PYSBD = frozenset(pysbd.languages.LANGUAGE_CODES)


class _Abbreviations(AbbreviationReplacer):
    """pysbd's abbreviation pass with each distinct replacement made once per abbreviation.

    pysbd (0.3.4) finds every occurrence of an abbreviation at a word start (for "e",
    every word beginning with e) and, for each, runs a substitution over the whole text,
    the same one again for every occurrence of the same spelling: a third of splitting
    time on SciFact. Each substitution only turns periods into "∯", and whether one
    matches depends on periods only through "followed by a period", so running it again
    after it (and after any of the others) changes nothing: once is the same text.
    """

    def search_for_abbreviations_in_string(self, text: str) -> str:
        lowered = text.lower()
        for abbr in self.lang.Abbreviation.ABBREVIATIONS:
            stripped = abbr.strip()
            if stripped not in lowered:
                continue
            abbrev_match = re.findall(rf"(?:^|\s|\r|\n){stripped}", text, flags=re.IGNORECASE)
            if not abbrev_match:
                continue
            next_word_start = r"(?<={" + str(re.escape(stripped)) + "} ).{1}"
            char_array = re.findall(next_word_start, text)
            made: set[tuple[str, bool]] = set()
            for ind, match in enumerate(abbrev_match):
                # what scan_for_replacements decides by: the spelling, the next word's case
                char = char_array[ind] if ind < len(char_array) else ""
                key = (match.strip(), str(char).isupper())
                if key not in made:
                    made.add(key)
                    text = self.scan_for_replacements(text, match, ind, char_array)
        return text


def _faster(language: type) -> type:
    """The pysbd language with `_Abbreviations`, unless it has its own abbreviation search."""
    replacer = getattr(language, "AbbreviationReplacer", AbbreviationReplacer)
    own = (
        replacer.search_for_abbreviations_in_string
        is not AbbreviationReplacer.search_for_abbreviations_in_string
        or replacer.scan_for_replacements is not AbbreviationReplacer.scan_for_replacements
    )
    if own:
        return language
    faster = type("AbbreviationReplacer", (_Abbreviations, replacer), {})
    return type(language.__name__, (language,), {"AbbreviationReplacer": faster})


class _Segmenter(pysbd.Segmenter):
    r"""pysbd's segmenter with its sentence offsets found by plain string search.

    pysbd locates each sentence with `re.finditer(re.escape(sentence) + r"\s*", text)`:
    one new pattern per sentence, which also pushes pysbd's own rule patterns out of
    `re`'s 512-entry cache, so they are compiled again and again (about a third of
    splitting time on SciFact). This is the same search, literally: the first
    occurrence, scanning non-overlapping matches from the start, whose end (after
    trailing whitespace, `\s` being `str.isspace`) lies beyond the previous sentence's.
    """

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.language_module = _faster(self.language_module)

    def sentences_with_char_spans(self, sentences: list[str]) -> list[TextSpan]:
        text = self.original_text
        spans: list[TextSpan] = []
        prior = 0
        for sentence in sentences:
            if not sentence:  # pysbd's own search for the rare empty one
                for match in re.finditer(r"\s*", text):
                    if match.end() > prior:
                        spans.append(TextSpan(match.group(), match.start(), match.end()))
                        prior = match.end()
                        break
                continue
            position = 0
            while True:
                start = text.find(sentence, position)
                if start < 0:
                    break
                end = start + len(sentence)
                while end < len(text) and text[end].isspace():
                    end += 1
                if end > prior:
                    spans.append(TextSpan(text[start:end], start, end))
                    prior = end
                    break
                position = end
        return spans


def _segmenter(language: str | None = None) -> pysbd.Segmenter:
    """pysbd's segmenter for `language` (its rules for abbreviations differ); English else."""
    # A Segmenter keeps the text being segmented on itself: one per thread and language.
    code = language if language in _PYSBD else "en"
    segmenters = getattr(_local, "segmenters", None)
    if segmenters is None:
        segmenters = _local.segmenters = {}
    segmenter = segmenters.get(code)
    if segmenter is None:
        segmenter = _Segmenter(language=code, clean=False, char_span=True)
        segmenters[code] = segmenter
    return segmenter


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow [start, end) to exclude leading and trailing whitespace."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _blocks(text: str) -> list[tuple[int, int]]:
    """Spans of the paragraphs of `text` (separated by blank lines), stripped."""
    spans: list[tuple[int, int]] = []
    position = 0
    for match in _BLANK_LINE.finditer(text):
        spans.append(_strip(text, position, match.start()))
        position = match.end()
    spans.append(_strip(text, position, len(text)))
    return [(s, e) for s, e in spans if s < e]


def _line_breaks(block: str) -> list[int]:
    """Offsets of the single newlines in `block` that end a heading-like line.

    Most single newlines are layout (a PDF wraps lines wherever the page
    ends), so they are not boundaries; but a line much shorter than the
    block's longest, followed by a line that does not continue it (no lower
    case start, no trailing comma or hyphen), is a heading or a list item.
    """
    lines = block.split("\n")
    if len(lines) < 2:
        return []
    longest = max(len(line) for line in lines)
    breaks: list[int] = []
    position = 0
    for line, following in itertools.pairwise(lines):
        position += len(line)
        short = len(line) <= 0.6 * longest
        continued = line.endswith(_CONTINUES) or following[:1].islower()
        if short and not continued:
            breaks.append(position)
        position += 1
    return breaks


def _segment(block: str, language: str | None = None) -> list[tuple[int, int]]:
    """Sentence spans within one paragraph.

    pysbd treats every newline as a sentence end, which cuts PDF sentences at
    each wrapped line; so it sees newlines as spaces (same length, offsets
    unchanged), and only the newlines `_line_breaks` picks stay boundaries.
    pysbd's own spans can skip or overlap text (it re-finds each sentence by
    search), so only its sentence *ends* are used, as cut points; the
    sentences are the stretches between cuts. Nothing is lost or duplicated.
    """
    flat = block.replace("\n", " ")
    cuts: list[int] = []
    start = 0
    for end in [*_line_breaks(block), len(block)]:
        start, _ = _strip(flat, start, end)  # a leading space changes what pysbd sees
        if start < end:
            for span in _segmenter(language).segment(flat[start:end]):
                cut = start + span.end
                if start < cut < end and (not cuts or cut > cuts[-1]):
                    cuts.append(cut)
        if end < len(block) and (not cuts or end > cuts[-1]):
            cuts.append(end)
        start = end
    spans: list[tuple[int, int]] = []
    previous = 0
    for cut in [*cuts, len(block)]:
        first, last = _strip(block, previous, cut)
        if first < last:
            spans.append((first, last))
        previous = cut
    return spans


# Documents whose sentence spans are remembered, as flat offsets (about 100 bytes a
# document). Ingest splits every document into passages, then every one again into
# sentences: a corpus with more documents than this would miss on every one the second
# time (each miss evicting the next one wanted), so it is sized for large corpora.
_SPANS_KEPT = 65_536
_spans: OrderedDict[tuple[bytes, str], array[int]] = OrderedDict()
_spans_lock = threading.Lock()


def sentence_spans(text: str, language: str | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, in order, without surrounding whitespace.

    `language` (ISO 639-1) picks pysbd's rules for that language when it has them.
    The spans of recent texts are remembered (by sha256): ingest splits a
    document into passages and again into the answer step's sentences.
    """
    code = language if language in _PYSBD else "en"
    key = (hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest(), code)
    with _spans_lock:
        known = _spans.get(key)
        if known is not None:
            _spans.move_to_end(key)
            return list(zip(known[::2], known[1::2], strict=True))
    spans: list[tuple[int, int]] = []
    for block_start, block_end in _blocks(text):
        block = text[block_start:block_end]
        spans.extend((block_start + s, block_start + e) for s, e in _segment(block, code))
    with _spans_lock:
        _spans[key] = array("q", itertools.chain.from_iterable(spans))
        if len(_spans) > _SPANS_KEPT:
            _spans.popitem(last=False)
    return spans


def _cut_long(text: str, span: tuple[int, int], limit: int) -> list[tuple[int, int]]:
    """A sentence longer than `limit` cut into pieces, at whitespace near the limit if any."""
    start, end = span
    pieces: list[tuple[int, int]] = []
    while end - start > limit:
        window_end = start + limit
        floor = start + limit // 2
        cut = window_end
        while cut > floor and not text[cut].isspace():
            cut -= 1
        if not text[cut].isspace():  # no whitespace in the second half: cut mid-word
            cut = window_end
        piece = _strip(text, start, cut)
        if piece[0] < piece[1]:
            pieces.append(piece)
        start, _ = _strip(text, cut, end)
    if start < end:
        pieces.append((start, end))
    return pieces


def _pack(units: list[tuple[int, int]], target: int, overlap: int) -> list[tuple[int, int]]:
    """Group consecutive units into spans of about `target` chars, overlapping by whole units."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(units)
    while i < n:
        j = i + 1
        while j < n and units[j][1] - units[i][0] <= target:
            j += 1
        spans.append((units[i][0], units[j - 1][1]))
        if j >= n:
            break
        # Carry over trailing units of this passage, up to `overlap` chars, but
        # always move forward and leave room for at least one new unit.
        k = j
        while k - 1 > i and units[j - 1][1] - units[k - 1][0] <= overlap:
            k -= 1
        while k < j and units[j][1] - units[k][0] > target:
            k += 1
        i = k
    return spans


def split_passages(document: Document, target_chars: int, overlap_chars: int) -> list[Passage]:
    """The passages of a document, `text == document.text[start:end]` for each.

    Consecutive sentences are packed up to about `target_chars`; each passage
    after the first starts with trailing sentences of the previous one
    totalling at most `overlap_chars`. A document that fits in one passage is
    one passage (and is not run through the sentence splitter at all).
    """
    text = document.text
    start, end = _strip(text, 0, len(text))
    if start >= end:
        return []
    if end - start <= target_chars:
        units = [(start, end)]
    else:
        units = [
            piece
            for span in sentence_spans(text, document.language)
            for piece in _cut_long(text, span, target_chars)
        ]
    return [
        Passage(
            id=f"{document.source_id}:{number:04d}",
            source_id=document.source_id,
            text=text[s:e],
            start=s,
            end=e,
            page=document.page_at(s),
            language=document.language,
        )
        for number, (s, e) in enumerate(_pack(units, target_chars, overlap_chars))
    ]
