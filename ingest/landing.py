"""Find the PDF a landing page links to.

Publishers often put a report behind an HTML page ("download the PDF"); the
text we want is the PDF, so the page is only read for its link.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree


def find_pdf_link(html: bytes, base_url: str, pattern: str | None = None) -> str | None:
    """The absolute URL of the first PDF link on the page, or None.

    A link qualifies when its path ends in `.pdf` (or it is typed
    `application/pdf`); with `pattern`, when the regular expression matches
    its href or its absolute URL instead. Relative hrefs resolve against the
    page's `<base href>` if any, else `base_url` (the page's final URL, after
    redirects).
    """
    try:
        root = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    base = base_url
    for element in root.iter("base"):
        href = (element.get("href") or "").strip()
        if href:
            base = urljoin(base_url, href)
            break
    wanted = re.compile(pattern) if pattern else None
    for anchor in root.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        absolute = urljoin(base, href)
        if urlsplit(absolute).scheme not in ("http", "https"):
            continue
        if wanted is not None:
            if wanted.search(href) or wanted.search(absolute):
                return absolute
        elif urlsplit(absolute).path.lower().endswith(".pdf") or (
            (anchor.get("type") or "").lower() == "application/pdf"
        ):
            return absolute
    return None
