"""Reading a chat: frontend meta-requests, and which earlier turn a follow-up needs.

Chat frontends send their own housekeeping prompts to the selected model: Open
WebUI's "### Task:" templates (a title, tags, follow-up suggestions, search
queries) and LibreChat's "generate a concise title" prompt. They are not
questions to the sources; they are recognised by their shape and answered
directly, in the format the template asks for (JSON when it says so).

A follow-up is read with the previous user turn only when that helps: one that
points back ("When was it completed?") tries the previous turn first, one with
its own focus ("What about Baikonur?") is asked alone first; the other reading
is used only when the first abstains.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from dossier.types import Answer

# A follow-up that points back at the turn before it (English, French, German, Spanish).
REFERRING = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|there|then|the same"
    r"|il|elle|ils|elles|cela|ça|cet|cette|ces|celui-ci|celle-ci|sa|son|ses|leur|leurs|là"
    r"|er|ihm|ihn|ihre?|seine?|dies|diese[rsmn]?|dort|damals"
    r"|él|ella|ellos|ellas|esto|eso|este|esta|ese|esa|su|sus|allí|entonces)\b",
    re.I,
)
_WORD = re.compile(r"[^\W\d_][\w’'-]*", re.UNICODE)
_STOP = frozenset(
    """a an and are as at be been being but by can could did do does for from had has have how i
    if in into is it its me my no not of on or our please should so than that the their them then
    there these they this those to tell us was we were what when where which who whom whose why
    will with would you your about also else more other any some much many again just only very
    give show explain describe list say said says know happen happened happens mean means
    anything something thing things same too""".split()
)
_TASK = re.compile(r"^\s*#{2,3}\s*Task:", re.I)
# "Generate a concise, 5-word-or-less title for the conversation" (LibreChat), "Write a
# concise title for this conversation", …: a short title asked for the chat itself.
_TITLE_PROMPT = re.compile(
    r"\b(generate|write|create|suggest|give|provide)\b[^\n]{0,40}?\b(concise|short|brief)\b"
    r"[^\n]{0,40}?\btitle\b[^\n]{0,80}?\b(conversation|chat|dialog(ue)?|exchange)\b",
    re.I,
)
_JSON_KEYS = re.compile(r'"([a-z_]+)"\s*:\s*(\[|")', re.I)
_HISTORY = re.compile(r"<chat_history>(.*?)</chat_history>", re.S | re.I)
_TURN = re.compile(r"^(USER|ASSISTANT|User|AI|Assistant|Response)\s*:\s*", re.M)
_LIBRECHAT_TURN = re.compile(r'\|\|>(User|Response|Assistant|AI):\s*"?(.*?)"?\s*(?=\|\|>|\Z)', re.S)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w’'-]{2,}(?:\s+[A-Z][\w’'-]{2,})*)")


@dataclass(frozen=True)
class MetaReply:
    """The reply to a frontend's own request: `kind` names it (title, tags, …)."""

    kind: str
    content: str


def meta_reply(text: str, user_turns: list[str]) -> MetaReply | None:
    """The answer to a frontend meta-request, or None when `text` is a real question.

    `user_turns` are the conversation's user messages before this one, used
    when the prompt does not quote the chat itself.
    """
    head = text.lstrip()[:400]
    is_task = bool(_TASK.match(head))
    asks_title = bool(_TITLE_PROMPT.search(head))
    if not (is_task or asks_title):
        return None
    history = _history(text) or [("user", t) for t in user_turns]
    questions = [t for role, t in history if role == "user"] or user_turns or [""]
    answers = [t for role, t in history if role == "assistant"]
    keys = dict(_JSON_KEYS.findall(_output_section(text)))
    wants_json = bool(keys) or "json" in text.lower()
    if "title" in keys or (asks_title and not keys):
        title = make_title(questions[0])
        content = json.dumps({"title": title}, ensure_ascii=False) if wants_json else title
        return MetaReply("title", content)
    if "tags" in keys:
        return MetaReply("tags", json.dumps({"tags": make_tags(questions)}, ensure_ascii=False))
    if "follow_ups" in keys:
        follow_ups = make_follow_ups(questions, answers[-1] if answers else "")
        return MetaReply("follow_ups", json.dumps({"follow_ups": follow_ups}, ensure_ascii=False))
    if is_task:
        # Another housekeeping task (search queries, autocompletion, …): an empty answer of
        # the asked shape, so the frontend carries on without inventing anything.
        empty = {key: ([] if opener == "[" else "") for key, opener in keys.items()}
        return MetaReply("task", json.dumps(empty) if empty else "")
    return None


def _output_section(text: str) -> str:
    match = re.search(r"#{2,3}\s*Output:(.*?)(?:#{2,3}\s*\w|\Z)", text, re.S | re.I)
    return match.group(1) if match else text[:1500]


def _history(text: str) -> list[tuple[str, str]]:
    """The (role, text) turns a meta-request quotes, in Open WebUI's or LibreChat's layout."""
    match = _HISTORY.search(text)
    if match:
        body = match.group(1)
        parts = _TURN.split(body)
        turns = []
        for i in range(1, len(parts) - 1, 2):
            role = "user" if parts[i].lower() == "user" else "assistant"
            turns.append((role, parts[i + 1].strip()))
        return turns
    return [
        ("user" if role == "User" else "assistant", said.strip())
        for role, said in _LIBRECHAT_TURN.findall(text)
    ]


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 1]


def make_title(question: str, limit: int = 5) -> str:
    """A short title made of the question's own content words, in title case."""
    words = content_words(question)
    if len(words) > limit:  # drop likely verbs ("carries", "signed") before cutting
        nouns = [w for w in words if w[0].isupper() or not re.search(r"(s|ed|ing)$", w)]
        words = nouns if len(nouns) >= 2 else words
    chosen = words[:limit] or ["Question"]
    return " ".join(w if w[0].isupper() else w.capitalize() for w in chosen)


def make_tags(questions: list[str], limit: int = 3) -> list[str]:
    """The content words the user asked about most, as tags; "General" when there are none."""
    counts = Counter(
        w.lower()
        for q in questions
        for w in content_words(q)
        if w[0].isupper() or not re.search(r"(s|ed|ing)$", w)  # skip likely verbs
    )
    tags = [w.capitalize() for w, _ in counts.most_common(limit)]
    return tags or ["General"]


def make_follow_ups(questions: list[str], last_answer: str, limit: int = 3) -> list[str]:
    """Questions about names the last answer mentions and the user has not asked about."""
    answer = last_answer.split("**Sources**")[0]
    asked = {w.lower() for q in questions for w in content_words(q)}
    names: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", answer):
        for name in _NAME.findall(sentence):
            name = re.sub(r"\s+", " ", name)
            if name.lower() in asked or any(w.lower() in asked for w in name.split()):
                continue
            if name.lower() not in {n.lower() for n in names} and name.lower() not in _STOP:
                names.append(name)
    return [f"What do the sources say about {name}?" for name in names[:limit]]


def refers_back(question: str) -> bool:
    """True when the question points at an earlier turn or has no focus of its own."""
    return bool(REFERRING.search(question)) or not content_words(question)


def answer_turn(
    ask: Callable[[str, str | None], Answer], question: str, previous: str | None
) -> Answer:
    """Answer `question`, reading it with `previous` (the last user turn) only when that helps.

    `ask(question, context)` answers one reading. The preferred reading is
    tried first; the other one only when the first abstains, and is kept only
    when it answers.
    """
    if previous is None:
        return ask(question, None)
    order: list[str | None] = [previous, None] if refers_back(question) else [None, previous]
    first = ask(question, order[0])
    if not first.abstained:
        return first
    second = ask(question, order[1])
    return first if second.abstained else second
