"""Recognising frontend meta-requests, and what is answered to them (no server needed)."""

from __future__ import annotations

import json

import pytest

from dossier.service.conversation import make_title, meta_reply, refers_back

QUESTION = "Which pipeline carries Kazakh oil to the Black Sea?"


@pytest.mark.parametrize(
    "text",
    [
        QUESTION,
        "What is the title of the 1992 treaty?",
        "Give me the title of the agreement signed in 1998.",
        "Write about the tasks of the Eurasian Economic Union.",
        "### Why did Kazakhstan join the EEU?",
    ],
)
def test_real_questions_are_not_meta_requests(text: str) -> None:
    assert meta_reply(text, []) is None


def test_librechat_and_older_title_prompts() -> None:
    for prompt in (
        "Please generate a concise, 5-word-or-less title for the conversation, using its same "
        f'language, with no punctuation.\n||>User:\n"{QUESTION}"\n||>Response:\n"Tengiz."\n'
        "\n||>Title:",
        "Write a concise title for this conversation in the detected language. Title in 5 Words "
        f'or Less. No Punctuation or Quotation.\n||>User:\n"{QUESTION}"\n||>Response:\n"…"',
    ):
        reply = meta_reply(prompt, [])
        assert reply is not None and reply.kind == "title"
        assert reply.content == "Pipeline Kazakh Oil Black Sea"


def test_title_from_earlier_turns_when_the_prompt_quotes_none() -> None:
    reply = meta_reply("Generate a short title for this chat as JSON.", [QUESTION])
    assert reply is not None
    assert json.loads(reply.content) == {"title": "Pipeline Kazakh Oil Black Sea"}


def test_titles_are_short_and_made_of_the_question() -> None:
    assert make_title("When was the Baikonur lease extended?") == "Baikonur Lease Extended"
    assert make_title("Why?") == "Question"
    assert len(make_title("How " + " ".join(f"word{i}" for i in range(12)) + "?").split()) == 5


def test_pointing_back_or_having_no_focus() -> None:
    assert refers_back("When was it completed?")
    assert refers_back("Why?")
    assert not refers_back("What about Baikonur?")
    # Follow-ups in the languages the answer step reads point back with their own pronouns.
    assert refers_back("Quand a-t-elle été signée ?")
    assert refers_back("Wann wurde dieser unterzeichnet?")
    assert refers_back("¿Cuándo se firmó esto?")
    assert not refers_back("Quand le traité d'amitié a été signé à Moscou ?")
