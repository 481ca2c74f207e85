"""An OpenAI-compatible chat API, so chat frontends and the `openai` client can use Dossier.

The answer is the one `/ask` gives; the message content carries it with a
Markdown source list, OpenAI's standard `annotations` (`url_citation`, see
`chat_content`) mark each `[n]`, and the structured citations travel in a
top-level `citations` field (in the last chunk before `[DONE]` when streaming).
Frontends' own meta-requests (titles, tags, follow-up suggestions) are answered
by `conversation`, not from the sources.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from dossier.service.chat_content import annotations, render_content
from dossier.service.conversation import REFERRING, answer_turn, meta_reply
from dossier.service.engine import Engine, EngineError
from dossier.service.schemas import MAX_QUESTION_CHARS
from dossier.settings import Settings
from dossier.types import Answer

MODEL_ID = "dossier"
router = APIRouter(prefix="/v1", tags=["openai"])


class ContentPart(BaseModel):
    """One part of a message's content; only `text` parts are read, others are ignored."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[ContentPart] | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _content_parts(cls, value: object) -> object:
        """Content is a string, null, or a list of parts; a text part's `text` is a string."""
        if value is None or isinstance(value, str):
            return value
        if not isinstance(value, list):
            raise ValueError(f"must be a string or a list of content parts, not {_kind(value)}")
        for i, part in enumerate(value):
            if not isinstance(part, dict):
                raise ValueError(f"part {i} must be an object, not {_kind(part)}")
            if not isinstance(part.get("type"), str):
                raise ValueError(f"part {i} needs a string `type` such as 'text'")
            if "text" in part and not isinstance(part["text"], str):
                raise ValueError(
                    f"part {i}: `text` must be a string, not {_kind(part.get('text'))}"
                )
        return value

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


def _kind(value: object) -> str:
    names = {type(None): "null", bool: "a boolean", int: "a number", float: "a number"}
    names |= {str: "a string", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


class ChatRequest(BaseModel):
    """A standard chat request; fields Dossier has no use for (temperature, …) are ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False


class OpenAIError(EngineError):
    def __init__(
        self, message: str, status: int = 400, code: str | None = None, param: str | None = None
    ):
        super().__init__(message)
        self.status, self.code, self.param = status, code, param


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class OpenAIErrorBody(BaseModel):
    """OpenAI's error shape, plus `detail` as the rest of the API has it."""

    error: ErrorDetail
    detail: str


CHAT_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": OpenAIErrorBody, "description": what}
    for status, what in {
        400: "The conversation cannot be answered as sent; `error.message` says why.",
        404: "No such model.",
        413: "The body is over DOSSIER_MAX_BODY_BYTES.",
        422: "The body is not a chat request.",
        429: "Rate limited.",
        503: "Not ready, or busy (`Retry-After`).",
    }.items()
}


def openai_error(
    message: str, status: int, code: str | None = None, param: str | None = None
) -> JSONResponse:
    """An error in the shape OpenAI clients parse (they show `error.message`)."""
    kind = "invalid_request_error" if status < 500 else "server_error"
    body = {
        "error": {"message": message, "type": kind, "param": param, "code": code},
        "detail": message,
    }
    return JSONResponse(body, status_code=status)


def check_conversation(messages: list[ChatMessage], settings: Settings) -> None:
    """Refuse conversations over the configured caps, naming the cap, before any work."""
    if len(messages) > settings.max_messages:
        raise OpenAIError(
            f"the conversation has {len(messages)} messages; at most {settings.max_messages} "
            "are accepted (DOSSIER_MAX_MESSAGES)",
            code="too_many_messages",
            param="messages",
        )
    total = 0
    for i, message in enumerate(messages):
        size = len(message.text)
        total += size
        if size > settings.max_message_chars:
            raise OpenAIError(
                f"messages[{i}] is {size} characters; each message may have at most "
                f"{settings.max_message_chars} (DOSSIER_MAX_MESSAGE_CHARS)",
                code="message_too_long",
                param=f"messages[{i}].content",
            )
    if total > settings.max_conversation_chars:
        raise OpenAIError(
            f"the conversation is {total} characters; at most {settings.max_conversation_chars} "
            "are accepted in all (DOSSIER_MAX_CONVERSATION_CHARS)",
            code="conversation_too_long",
            param="messages",
        )


def conversation_question(messages: list[ChatMessage]) -> tuple[str, str | None]:
    """The last user turn, and the one before it when the last one may refer back to it.

    Short or pointing-back turns get the previous one as a candidate context;
    `conversation.answer_turn` decides whether it is used.
    """
    turns = [m.text.strip() for m in messages if m.role == "user" and m.text.strip()]
    if not turns:
        raise OpenAIError("messages must contain a user message with text", param="messages")
    question = turns[-1]
    if len(question) > MAX_QUESTION_CHARS:
        raise OpenAIError(
            f"the last user message is over {MAX_QUESTION_CHARS} characters", param="messages"
        )
    refers_back = REFERRING.search(question) or len(question.split()) <= 4
    # The earlier turn only steers retrieval: its start is enough, and bounds the work.
    context = turns[-2][:MAX_QUESTION_CHARS] if len(turns) > 1 and refers_back else None
    return question, context


def _citations(answer: Answer) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in answer.citations]


@router.get("/models")
def models() -> dict[str, Any]:
    """The one model this server answers as."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "dossier"}],
    }


@router.post("/chat/completions", response_model=None, responses=CHAT_ERRORS)
def chat_completions(body: ChatRequest, request: Request) -> JSONResponse | StreamingResponse:
    """Answer the last user message from the sources, reading follow-ups with the turn before."""
    if body.model != MODEL_ID:
        return openai_error(
            f"model {body.model!r} does not exist; use {MODEL_ID!r}",
            404,
            "model_not_found",
            "model",
        )
    engine: Engine = request.app.state.engine
    try:
        check_conversation(body.messages, request.app.state.settings)
    except OpenAIError as exc:
        return openai_error(str(exc), exc.status, exc.code, exc.param)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    user_turns = [m.text.strip() for m in body.messages if m.role == "user" and m.text.strip()]
    meta = meta_reply(user_turns[-1], user_turns[:-1]) if user_turns else None
    if meta is not None:
        extra: dict[str, Any] = {"citations": [], "abstained": False, "meta_request": meta.kind}
        return _respond(body.stream, completion_id, created, meta.content, [], extra)
    try:
        question, context = conversation_question(body.messages)
        answer = answer_turn(lambda q, c: engine.ask(q, context=c), question, context)
    except OpenAIError as exc:
        return openai_error(str(exc), exc.status, exc.code, exc.param)
    except EngineError as exc:
        return openai_error(str(exc), exc.status)
    base = public_base(request, engine.settings.public_url)
    content = render_content(answer, base)
    extra = {"citations": _citations(answer), "abstained": answer.abstained}
    return _respond(
        body.stream, completion_id, created, content, annotations(content, answer, base), extra
    )


def public_base(request: Request, configured: str | None) -> str:
    """Where people reach this server: DOSSIER_PUBLIC_URL, else the address the request used."""
    return (configured or str(request.base_url)).rstrip("/")


def _respond(
    stream: bool,
    completion_id: str,
    created: int,
    content: str,
    notes: list[dict[str, Any]],
    extra: dict[str, Any],
) -> JSONResponse | StreamingResponse:
    if stream:
        return StreamingResponse(
            _stream(completion_id, created, content, notes, extra),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if notes:
        message["annotations"] = notes
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            **extra,
        }
    )


def _stream(
    completion_id: str,
    created: int,
    content: str,
    notes: list[dict[str, Any]],
    extra: dict[str, Any],
) -> Iterator[str]:
    """OpenAI's chunks: the content word by word, then every annotation in one delta
    (clients append `delta.annotations` in order), then the stop chunk with the citations."""

    def chunk(delta: dict[str, Any], finish: Literal["stop"] | None = None, **more: Any) -> str:
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **more,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in re.findall(r"\S+\s*|\s+", content):
        yield chunk({"content": piece})
    if notes:
        yield chunk({"annotations": notes})
    yield chunk({}, "stop", **extra)
    yield "data: [DONE]\n\n"
