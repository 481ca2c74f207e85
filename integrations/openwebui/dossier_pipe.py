"""
title: Dossier
description: Answers from Dossier's sources, each [n] an Open WebUI citation with quote and links.
version: 0.1.0
license: MIT
requirements: httpx
"""

# An Open WebUI "Pipe" Function: paste this file into Admin Panel → Functions → "+" (or import
# it), set the valves (Dossier's address and API key), and pick the model "Dossier".
#
# It sends the conversation to Dossier's OpenAI-compatible endpoint (so follow-ups and Open
# WebUI's own title/tag/follow-up requests are handled there) and turns each citation into
# an Open WebUI "source" event: the quote as the document, the source's web address, and a
# Dossier link that opens the chat page on the passage with the quote highlighted. Open WebUI
# numbers sources in the order they arrive, so citation n is the n-th source and the answer's
# [n] markers point at it. Only httpx and pydantic are used (both ship with Open WebUI).

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from pydantic import BaseModel, Field

Emitter = Callable[[dict[str, Any]], Awaitable[None]]


class Pipe:
    class Valves(BaseModel):
        DOSSIER_URL: str = Field(
            default="http://127.0.0.1:8000", description="Where Dossier runs (no /v1)."
        )
        DOSSIER_API_KEY: str = Field(
            default="", description="Dossier's DOSSIER_API_KEY, when it is set."
        )
        SOURCE_LIST: bool = Field(
            default=False,
            description="Keep Dossier's Markdown source list under the answer "
            "(the citations show the same sources).",
        )
        TIMEOUT: float = Field(default=120.0, description="Seconds to wait for an answer.")

    def __init__(self) -> None:
        self.valves = self.Valves()

    async def pipe(
        self,
        body: dict[str, Any],
        __event_emitter__: Emitter | None = None,
        __task__: str | None = None,
    ) -> str:
        emit = __event_emitter__ or _ignore
        base = self.valves.DOSSIER_URL.rstrip("/")
        headers = {}
        if self.valves.DOSSIER_API_KEY:
            headers["Authorization"] = f"Bearer {self.valves.DOSSIER_API_KEY}"
        request = {"model": "dossier", "messages": body.get("messages", []), "stream": False}
        if not __task__:
            await emit(_status("Searching the sources…", done=False))
        try:
            async with httpx.AsyncClient(timeout=self.valves.TIMEOUT) as client:
                response = await client.post(
                    f"{base}/v1/chat/completions", json=request, headers=headers
                )
        except httpx.HTTPError as exc:
            await emit(_status("Dossier is not reachable", done=True))
            return (
                f"Dossier is not reachable at {base} ({type(exc).__name__}); "
                "check the valve DOSSIER_URL."
            )
        if response.status_code != 200:
            await emit(_status("Dossier could not answer", done=True))
            return f"Dossier answered {response.status_code}: {_error_message(response)}"
        data = response.json()
        message = data["choices"][0]["message"]
        content: str = message.get("content") or ""
        if __task__ or data.get("meta_request"):
            return content  # a title, tags or follow-ups: no citations
        citations = data.get("citations") or []
        links = _dossier_links(message.get("annotations") or [], content)
        for citation in citations:
            await emit(source_event(citation, links.get(citation["n"])))
        found = f"{len(citations)} passage{'s' * (len(citations) != 1)} cited"
        await emit(_status(found if citations else "No passage answers this", done=True))
        if citations and not self.valves.SOURCE_LIST:
            content = content.split("\n\n**Sources**")[0]
        return content


def source_event(citation: dict[str, Any], dossier_link: str | None) -> dict[str, Any]:
    """Open WebUI's "source" event for one citation: the quote, a title, and links."""
    title = citation.get("title") or citation["source_id"]
    web = citation.get("url") if str(citation.get("url") or "").startswith("http") else None
    link = web or dossier_link
    metadata: dict[str, Any] = {
        "source": dossier_link or web or citation["source_id"],
        "name": f"[{citation['n']}] {title}",
        "source_id": citation["source_id"],
        "start": citation["start"],
        "end": citation["end"],
    }
    if citation.get("page"):
        metadata["page"] = citation["page"]
    if web:
        metadata["url"] = web
    if dossier_link:
        metadata["dossier_url"] = dossier_link
    return {
        "type": "source",
        "data": {
            "source": {"name": f"[{citation['n']}] {title}", "url": link},
            "document": [citation["quote"]],
            "metadata": [metadata],
        },
    }


def _dossier_links(annotations: list[dict[str, Any]], content: str) -> dict[int, str]:
    """Citation number → Dossier's passage link, read from the url_citation annotations."""
    links: dict[int, str] = {}
    for note in annotations:
        cited = note.get("url_citation") or {}
        marker = content[cited.get("start_index", 0) : cited.get("end_index", 0)]
        url = cited.get("url", "")
        if "#cite=" in url and marker.startswith("[") and marker[1:-1].isdigit():
            links.setdefault(int(marker[1:-1]), url)
    return links


def _error_message(response: httpx.Response) -> str:
    try:
        return response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def _status(description: str, *, done: bool) -> dict[str, Any]:
    return {"type": "status", "data": {"description": description, "done": done, "hidden": False}}


async def _ignore(event: dict[str, Any]) -> None:
    return None
