"""The assistant message a chat frontend shows: the answer, a source list, and annotations.

Frontends read only standard fields, so each `[n]` marker of the answer gets
OpenAI's `url_citation` annotations (the shape of OpenAI's own web citations)
with `start_index`/`end_index` spanning the marker itself in the content:
`content[start_index:end_index] == "[n]"`. A source with a web address gets
two annotations on its marker, that address first and then a Dossier link;
a local source gets the Dossier link only. The Dossier link,
`{base}/#cite=<source_id>:<start>-<end>`, opens the chat page on that passage
with the quote highlighted.
"""

from __future__ import annotations

import re
from typing import Any

from dossier.languages import name
from dossier.types import Answer, Citation

_MARKER = re.compile(r"\[(\d+)\]")


def dossier_link(base: str, c: Citation) -> str:
    """The chat page's view of a citation (the chat page reads `#cite=`)."""
    return f"{base.rstrip('/')}/#cite={c.source_id}:{c.start}-{c.end}"


def web_url(c: Citation) -> str | None:
    return c.url if c.url and c.url.startswith(("http://", "https://")) else None


def render_content(answer: Answer, base: str) -> str:
    """The answer with its `[n]` markers, then a Markdown list of the quoted sources."""
    if answer.abstained:
        return answer.answer
    lines = [answer.answer, "", "**Sources**"]
    lines += [_source_line(c, base) for c in answer.citations]
    return "\n".join(lines)


def _source_line(c: Citation, base: str) -> str:
    title = _md_text(c.title or c.source_id)
    here = dossier_link(base, c)
    url = web_url(c)
    link = f"[{title}]({url}) ([passage]({here}))" if url else f"[{title}]({here})"
    page = f", p. {c.page}" if c.page else ""
    page += f" ({name(c.language)})" if c.language and c.language != "en" else ""  # kept as is
    quote = " ".join(c.quote.split())
    return f"{c.n}. {link}{page}: “{quote}”"


def _md_text(text: str) -> str:
    return text.replace("[", "(").replace("]", ")")


def annotations(content: str, answer: Answer, base: str) -> list[dict[str, Any]]:
    """`url_citation` annotations for every `[n]` marker of the answer part of `content`."""
    by_n = {c.n: c for c in answer.citations}
    end_of_answer = len(answer.answer) if content.startswith(answer.answer) else len(content)
    out: list[dict[str, Any]] = []
    for match in _MARKER.finditer(content, 0, end_of_answer):
        c = by_n.get(int(match.group(1)))
        if c is None:
            continue
        title = c.title or c.source_id
        where = f"{title}, p. {c.page}" if c.page else title
        links = [(web_url(c), where), (dossier_link(base, c), f"{where} (passage in Dossier)")]
        for url, label in links:
            if url:
                out.append(
                    {
                        "type": "url_citation",
                        "url_citation": {
                            "url": url,
                            "title": label,
                            "start_index": match.start(),
                            "end_index": match.end(),
                        },
                    }
                )
    return out
