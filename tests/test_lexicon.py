"""The answer step in the language of the question and of each passage (issue 12).

Question words, stop words, referring words, months and number words come from
`dossier.lexicon`, one entry per language; these tests check that a French,
German or Spanish question is read with its own words, that a French passage's
"Cet accord …" is read with the sentence before it, and that the real answer
step (MiniLM, the shipped answerability model) answers a French question from a
French source with that antecedent and a French date.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_languages import document

from dossier.index.embed import load_embedder
from dossier.index.sentences import annotate
from dossier.index.store import build_index, publish
from dossier.ingest.split import split_passages
from dossier.lexicon import (
    COUNT,
    DATE,
    ENGLISH,
    EXTENT,
    MONTH,
    NUMBER,
    ORGANISATION,
    OTHER,
    PERSON,
    PLACE,
    REASON,
    SHARE,
    YESNO,
    content_stems,
    lexicon_for,
)
from dossier.service.answer import analyse
from dossier.service.answer.evidence import in_language
from dossier.service.engine import Engine
from dossier.settings import DEFAULT_MODEL, Settings

FR = lexicon_for("fr")
DE = lexicon_for("de")
ES = lexicon_for("es")


def focus_words(question: str, language: str) -> list[str]:
    return [f.word for f in analyse(question, lexicon_for(language), lambda s: 1.0).focus]


# Question words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "question", "kind", "thing"),
    [
        ("fr", "Quand le traité d'amitié a-t-il été signé ?", DATE, None),
        ("fr", "En quelle année l'oléoduc a-t-il été achevé ?", DATE, None),
        ("fr", "Combien de soldats russes ont été déployés au Kazakhstan ?", NUMBER, "soldats"),
        ("fr", "Qui a succédé à Nazarbaïev ?", PERSON, None),
        ("fr", "Où se trouve le cosmodrome de Baïkonour ?", PLACE, None),
        ("fr", "Pourquoi le Kazakhstan a-t-il rejoint l'Union eurasiatique ?", REASON, None),
        ("fr", "La Russie a-t-elle signé l'accord ?", YESNO, None),
        ("fr", "Quel président a signé le traité ?", PERSON, "président"),
        ("fr", "Dans quelles villes les huguenots se sont-ils installés ?", PLACE, "villes"),
        ("de", "Wann wurde das Abkommen unterzeichnet?", DATE, None),
        ("de", "Wie viele Punkte gab die Verteidigung der Panthers ab?", NUMBER, "Punkte"),
        ("de", "Wer hat den Super Bowl gewonnen?", PERSON, None),
        ("de", "Wo fand der Super Bowl 50 statt?", PLACE, None),
        ("de", "Warum trat Kasachstan der Union bei?", REASON, None),
        ("es", "¿Cuándo se firmó el tratado?", DATE, None),
        ("es", "¿Cuántos puntos permitió la defensa?", NUMBER, "puntos"),
        ("es", "¿Quién ganó el Super Bowl?", PERSON, None),
        ("es", "¿Dónde se celebró el Super Bowl 50?", PLACE, None),
        ("es", "¿Por qué se unió Kazajistán?", REASON, None),
        ("ru", "Когда было подписано соглашение?", DATE, None),
        ("ru", "Сколько солдат отправила Россия?", NUMBER, "солдат"),
        ("ru", "Кто подписал договор?", PERSON, None),
    ],
)
def test_a_question_is_read_with_its_own_languages_question_words(
    language: str, question: str, kind: str, thing: str | None
) -> None:
    analysed = analyse(question, lexicon_for(language), lambda s: 1.0)
    assert analysed.kind == kind
    if thing is not None:
        assert thing in (analysed.thing or "")
    # Read with the English lexicon the same question expects nothing in particular.
    assert analyse(question, ENGLISH, lambda s: 1.0).kind in (OTHER, YESNO)


@pytest.mark.parametrize(
    ("language", "question", "unit"),
    [
        ("fr", "En quel mois l'accord a-t-il été signé ?", MONTH),
        ("fr", "Combien de soldats russes ont été déployés ?", COUNT),
        ("fr", "Quelle part des exportations va en Russie ?", SHARE),
        ("fr", "Combien de temps les troupes sont-elles restées ?", EXTENT),
        ("de", "In welchem Monat wurde das Abkommen unterzeichnet?", MONTH),
        ("de", "Wie viele Soldaten wurden entsandt?", COUNT),
        ("de", "Wie lange blieben die Truppen?", EXTENT),
        ("es", "¿En qué mes se firmó el acuerdo?", MONTH),
        ("es", "¿Cuántos soldados fueron enviados?", COUNT),
        ("es", "¿Qué porcentaje de las exportaciones va a Rusia?", SHARE),
    ],
)
def test_the_unit_a_date_or_figure_must_show_is_read_in_each_language(
    language: str, question: str, unit: str
) -> None:
    assert analyse(question, lexicon_for(language), lambda stem: 1.0).unit == unit


def test_french_focus_words_leave_out_french_question_and_stop_words() -> None:
    assert focus_words("Quand le traité d'amitié a-t-il été signé ?", "fr") == [
        "traité",
        "amitié",
        "signé",
    ]
    assert focus_words("Combien de soldats russes ont été déployés au Kazakhstan ?", "fr") == [
        "soldats",
        "russes",
        "déployés",
        "Kazakhstan",
    ]
    assert focus_words("Qui a succédé à Nazarbaïev ?", "fr") == ["succédé", "Nazarbaïev"]
    # English stop words would have kept "Quand", "le", "de" and "été" as focus terms.
    assert "Quand" in [f.word for f in analyse("Quand le traité de 1992 a-t-il été signé ?",
                                                 ENGLISH, lambda s: 1.0).focus]  # fmt: skip
    # Stems are French: the question's "signé" meets the text's "signèrent".
    assert content_stems("signé", FR) == content_stems("signèrent", FR)
    # Only real names count as names: a German question capitalises every noun.
    german = analyse("In welchem Jahr wurde die Verteidigung der Panthers gegründet?", DE, len)
    assert [f.word for f in german.focus if f.is_name] == ["Panthers"]


def test_multi_part_french_question_is_split_on_french_question_words() -> None:
    question = analyse("Quand l'oléoduc a-t-il été achevé, et à quel port arrive-t-il ?", FR, len)
    assert [p.kind for p in question.parts] == [DATE, PLACE]


def test_a_language_without_a_lexicon_gets_its_own_stemmer_not_english_words() -> None:
    italian = lexicon_for("it")
    assert italian.stemmer == "italian" and "il" in italian.stop_words
    assert "the" not in italian.stop_words
    analysed = analyse("Quando è stato firmato il trattato?", italian, lambda s: 1.0)
    assert analysed.kind == OTHER  # no Italian question words: nothing is assumed
    words = [f.word for f in analysed.focus]
    assert "trattato" in words and "il" not in words and "è" not in words
    # Italian stems: "firmato" and "firmati" are one term.
    assert content_stems("firmato", italian) == content_stems("firmati", italian)
    assert lexicon_for(None) is ENGLISH and lexicon_for("french") is FR


# Passages: referring words, dates, amounts ---------------------------------------------------

FRENCH_TEXT = (
    "Le Kazakhstan et la Russie ont négocié pendant deux ans un accord sur l'oléoduc de la "
    "Caspienne. Cet accord a été signé à Astana le 12 juin 2001. Les échanges ont atteint "
    "5,2 milliards de dollars en 2019, soit 12 % de plus. Dans les années 1990, trois bases "
    "ont été louées."
)


def test_a_french_cet_accord_sentence_is_read_with_its_antecedent() -> None:
    doc = document("fr-doc", FRENCH_TEXT, "fr")
    infos = annotate(doc, FR)
    texts = [FRENCH_TEXT[i.start : i.end] for i in infos]
    row = texts.index("Cet accord a été signé à Astana le 12 juin 2001.")
    assert infos[row].refers_back and texts[infos[row].previous].startswith("Le Kazakhstan")
    assert not infos[0].refers_back and not infos[row + 1].refers_back
    mentions = {(m.kind, m.text) for i in infos for m in i.mentions}
    # French writes months in lower case: still a date, not just a year.
    assert (DATE, "12 juin 2001") in mentions
    assert (NUMBER, "5,2 milliards de dollars") in mentions
    assert (NUMBER, "12 %") in mentions
    assert (DATE, "années 1990") in mentions or (DATE, "les années 1990") in mentions
    # With the English lexicon "Cet accord" would stand alone and "juin" be no month.
    english = annotate(document("x", FRENCH_TEXT, None), ENGLISH)
    assert not any(i.refers_back for i in english)
    assert (DATE, "12 juin 2001") not in {(m.kind, m.text) for i in english for m in i.mentions}


def test_other_languages_read_their_own_referring_words_and_dates() -> None:
    german = "Die Länder verhandelten lange. Dieses Abkommen wurde am 25. Mai 1992 unterzeichnet."
    infos = annotate(document("de", german, "de"), DE)
    # German's "25. Mai" does not end the sentence (pysbd's German rules).
    assert len(infos) == 2 and infos[1].refers_back
    assert ("date", "25. Mai 1992") in {(m.kind, m.text) for m in infos[1].mentions}
    spanish = "Los países negociaron. Este acuerdo se firmó el 25 de mayo de 1992."
    infos = annotate(document("es", spanish, "es"), ES)
    assert infos[1].refers_back
    assert ("date", "25 de mayo de 1992") in {(m.kind, m.text) for m in infos[1].mentions}


def test_french_names_after_an_elided_article_are_names() -> None:
    text = (
        "Le président de l'Ukraine a rencontré le maire d'Astana. L'Ukraine et la Banque "
        "d'Angleterre ont signé un accord avec l'OTAN en mars 2001. Il est allé jusqu'à Almaty."
    )
    infos = annotate(document("fr-doc", text, "fr"), FR)
    found = [[(m.kind, m.text) for m in i.mentions] for i in infos]
    # "l'Ukraine", "d'Astana", "jusqu'à Almaty": the name without its article, exact offsets
    # (Ukraine and Almaty are places by name: CLDR's countries and time-zone cities).
    assert (PLACE, "Ukraine") in found[0] and ("name", "Astana") in found[0]
    assert (PLACE, "Ukraine") in found[1]  # sentence-initial "L'Ukraine", known mid-sentence
    assert (ORGANISATION, "Banque d'Angleterre") in found[1]  # an elided connector joins
    assert (ORGANISATION, "OTAN") in found[1]
    assert (PLACE, "Almaty") in found[2]
    for info in infos:
        for m in info.mentions:
            assert text[m.start : m.end] == m.text
    # English has no elision: "d'Astana" stays one lower-case word there.
    english = annotate(document("x", "He met the mayor d'Astana.", "en"), ENGLISH)
    assert not english[0].mentions


def test_an_english_question_is_matched_with_a_french_sentences_own_stems() -> None:
    question = analyse(
        "How many visitors did the Aktau jazz festival attract in 2023?", ENGLISH, lambda s: 1.0
    )
    assert question.language == "en"
    assert analyse("Qui a signé ?", FR, lambda s: 1.0).language == "fr"
    sentence = content_stems("En 2023, le festival de jazz d'Aktau a attiré 12 000 visiteurs.", FR)
    # English stems "festival" as "festiv", French as "festival": they never compare as stems.
    assert ENGLISH.stem.stemWord("festival") not in sentence
    aliases = in_language(question, "fr")
    matched = {aliases[s] for s in sentence if s in aliases}
    assert {ENGLISH.stem.stemWord("festival"), "jazz", "aktau"} <= matched
    # The question's own language, or an unknown one, needs no translation.
    assert in_language(question, "en") == {} and in_language(question, None) == {}


# The whole answer step on a French source -----------------------------------------------------


@pytest.fixture(scope="module")
def french_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A real index (MiniLM, sentence store) of one French source, and its engine."""
    data: Path = tmp_path_factory.mktemp("french")
    settings = Settings(data_dir=data, model=DEFAULT_MODEL)
    documents = [document("fr-doc", FRENCH_TEXT, "fr")]
    passages = [p for d in documents for p in split_passages(d, 700, 150)]
    embedder = load_embedder(settings)
    publish(settings, build_index(documents, passages, embedder=embedder, settings=settings))
    return Engine(settings)


def test_a_french_question_is_answered_with_the_antecedent_and_the_french_date(
    french_engine: Engine,
) -> None:
    answer = french_engine.ask("Quand l'accord sur l'oléoduc de la Caspienne a-t-il été signé ?")
    assert not answer.abstained, answer.answer
    quotes = [c.quote for c in answer.citations]
    # The dated sentence says only "Cet accord": it is cited after the sentence it refers to.
    assert quotes[:2] == [
        FRENCH_TEXT[: FRENCH_TEXT.index("Cet")].strip(),
        "Cet accord a été signé à Astana le 12 juin 2001.",
    ]
    assert all(c.language == "fr" for c in answer.citations)
    assert answer.answer_span is not None and answer.answer_span.text == "12 juin 2001"
    store = french_engine.index.sentences
    assert store is not None
    row = next(r for r in range(len(store)) if store.text(r).startswith("Cet accord"))
    assert store.read_rows(row) == [store.infos[row].previous, row]


def test_a_french_question_the_source_cannot_answer_abstains_in_french(
    french_engine: Engine,
) -> None:
    answer = french_engine.ask("Qui a présidé la Banque mondiale en 1975 ?")
    assert answer.abstained
    assert answer.answer.startswith("Les sources ne couvrent pas cette question")
