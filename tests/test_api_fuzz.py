"""No request makes the service answer 500: arbitrary bodies and paths, against the live server."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
# Bodies shaped like real requests, with each field free to be anything.
ask_like = st.fixed_dictionaries(
    {},
    optional={
        "question": st.text(max_size=60) | json_values,
        "query": st.text(max_size=60) | json_values,
        "k": st.integers(-5, 80) | json_values,
        "sources": st.lists(st.sampled_from(["article", "nope", ""]), max_size=3) | json_values,
        "mode": st.sampled_from(["hybrid", "dense", "lexical", "other"]) | json_values,
    },
)
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(
    body=ask_like | json_values, path=st.sampled_from(["/ask", "/search", "/v1/chat/completions"])
)
def test_any_json_body_gets_a_non_500_answer(client: httpx.Client, body: object, path: str) -> None:
    response = client.post(path, json=body)
    assert response.status_code < 500, (path, body, response.text)
    if response.status_code >= 400:
        assert response.json()["detail"]


@FUZZ
@given(raw=st.binary(max_size=80))
def test_any_bytes_get_a_non_500_answer(client: httpx.Client, raw: bytes) -> None:
    response = client.post("/ask", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.text


@FUZZ
@given(segment=st.text(min_size=1, max_size=30).filter(lambda s: s not in {".", ".."}))
def test_any_passage_or_source_id_gets_a_non_500_answer(client: httpx.Client, segment: str) -> None:
    for prefix in ("/passages/", "/sources/"):
        response = client.get(prefix + quote(segment, safe=""))
        assert response.status_code < 500, (prefix, segment, response.text)


# Chat requests: each field, each message and each content part free to be any JSON.
content_parts = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["text", "image_url", ""]) | json_values,
            "text": st.text(max_size=40) | json_values,
        },
    )
    | json_values,
    max_size=3,
)
chat_messages = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "role": st.sampled_from(["user", "assistant", "system", "tool"]) | json_values,
            "content": st.text(max_size=60) | content_parts | json_values,
            "name": json_values,
        },
    )
    | json_values,
    max_size=4,
)
chat_like = st.fixed_dictionaries(
    {},
    optional={
        "model": st.just("dossier") | json_values,
        "messages": chat_messages | json_values,
        "stream": st.booleans() | json_values,
        "temperature": json_values,
    },
)


@FUZZ
@given(body=chat_like | json_values)
def test_any_chat_request_gets_a_non_500_answer(client: httpx.Client, body: object) -> None:
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code < 500, (body, response.text)
    if response.status_code >= 400:
        assert response.json()["error"]["message"], response.text
    elif response.headers["content-type"].startswith("application/json"):
        assert response.json()["choices"][0]["message"]["role"] == "assistant"
    else:
        assert response.text.rstrip().endswith("data: [DONE]")
