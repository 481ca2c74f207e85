"""Which language a text is in, as an ISO 639-1 code, detected offline.

Detection uses py3langid, whose model ships inside the package (no download).
A language the source list declares always wins over detection. Short texts
(questions) are ambiguous, so a caller can say which languages it expects (the
corpus's): an unexpected language is accepted only when the detector is sure.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable
from typing import Any

# Languages detection chooses among: those Dossier can stem (Snowball) or split into
# sentences (pysbd), plus the region's. Restricting the set makes short texts steadier.
DETECTABLE: tuple[str, ...] = (
    "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "ga",
    "hi", "hu", "hy", "id", "it", "ja", "kk", "ko", "ky", "lt", "nl", "no", "pl", "pt", "ro",
    "ru", "sk", "sr", "sv", "ta", "tr", "uk", "uz", "zh",
)  # fmt: skip

NAMES: dict[str, str] = {
    "ar": "Arabic", "bg": "Bulgarian", "ca": "Catalan", "cs": "Czech", "da": "Danish",
    "de": "German", "el": "Greek", "en": "English", "es": "Spanish", "et": "Estonian",
    "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French", "ga": "Irish",
    "hi": "Hindi", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian", "it": "Italian",
    "ja": "Japanese", "kk": "Kazakh", "ko": "Korean", "ky": "Kyrgyz", "lt": "Lithuanian",
    "nl": "Dutch", "no": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sr": "Serbian", "sv": "Swedish", "ta": "Tamil",
    "tr": "Turkish", "uk": "Ukrainian", "uz": "Uzbek", "zh": "Chinese",
}  # fmt: skip
_BY_NAME = {name.lower(): code for code, name in NAMES.items()}

# An unexpected language is taken only at this probability or more: below it, the best
# expected language is (measured on XQuAD's and SciFact's questions, the misreadings of
# short questions, e.g. "Who do gurus control?" as Portuguese, all score below 0.6).
SURE = 0.7
DOCUMENT_CHARS = 20_000  # enough to be sure, and bounded time for huge documents

# The scripts the detectable languages not written in Latin letters use, as Unicode names
# them: a text in Cyrillic is no expected English, however unsure the detector is.
SCRIPTS: dict[str, frozenset[str]] = {
    **dict.fromkeys(("ar", "fa"), frozenset({"ARABIC"})),
    **dict.fromkeys(("bg", "kk", "ky", "ru", "sr", "uk"), frozenset({"CYRILLIC"})),
    "el": frozenset({"GREEK"}),
    "hi": frozenset({"DEVANAGARI"}),
    "hy": frozenset({"ARMENIAN"}),
    "ja": frozenset({"HIRAGANA", "KATAKANA", "CJK"}),
    "ko": frozenset({"HANGUL"}),
    "ta": frozenset({"TAMIL"}),
    "zh": frozenset({"CJK"}),
}
LATIN = frozenset({"LATIN"})
# Of the languages of a text's script within this share of the most probable one's
# probability, a favoured one (one Dossier has a lexicon for) is taken: short Russian
# questions score as Bulgarian about as often as Russian.
FAVOURED_SHARE = 0.5

_lock = threading.Lock()
_identifier: Any = None


def normalise(value: str | None) -> str | None:
    """ "fr-FR", "FR", "French" or "french" → "fr"; blank → None."""
    if value is None:
        return None
    value = value.strip().replace("_", "-").lower()
    if not value:
        return None
    if value in _BY_NAME:
        return _BY_NAME[value]
    return value.split("-")[0] or None


def name(code: str | None) -> str | None:
    """The English name of a language code ("fr" → "French"); the code itself if unknown."""
    if code is None:
        return None
    return NAMES.get(code, code)


def _get() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(list(DETECTABLE))
            _identifier = identifier
        return _identifier


def detect(
    text: str,
    *,
    expected: Iterable[str | None] | None = None,
    favoured: Iterable[str] = (),
) -> str | None:
    """The language of `text`, or None when it has no letters to tell by.

    With `expected` (e.g. the languages of the corpus), a language outside it
    is returned only when its probability is at least `SURE`; otherwise the
    most probable expected language written in the text's script is. Failing
    one, among the languages of that script nearly as probable as the best
    (`FAVOURED_SHARE`), a `favoured` one is taken first.
    """
    sample = text[:DOCUMENT_CHARS]
    if not any(c.isalpha() for c in sample):
        return None
    ranked = _get().rank(sample)
    best, probability = ranked[0]
    wanted = {c for c in (expected or ()) if c}
    if not wanted or best in wanted or probability >= SURE:
        return str(best)
    written_in = script(sample)
    written = [(c, p) for c, p in ranked if written_in in SCRIPTS.get(c, LATIN)] or ranked
    for code, _ in written:
        if code in wanted:
            return str(code)
    top = written[0][1]
    liked = set(favoured)
    near = [c for c, p in written if p >= FAVOURED_SHARE * top]
    return str(next((c for c in near if c in liked), written[0][0]))


def script(text: str) -> str:
    """The script most of a text's letters are written in, as Unicode names it ("LATIN",
    "CYRILLIC"); "" when it has none."""
    counts: dict[str, int] = {}
    for c in text:
        if c.isalpha():
            letter = unicodedata.name(c, "").split(" ")[0]
            counts[letter] = counts.get(letter, 0) + 1
    return max(counts, key=lambda k: counts[k]) if counts else ""


def document_language(declared: str | None, text: str) -> str | None:
    """The declared language when there is one (normalised), else the detected one."""
    return normalise(declared) or detect(text)


__all__ = [
    "DETECTABLE",
    "NAMES",
    "SURE",
    "detect",
    "document_language",
    "name",
    "normalise",
    "script",
]
