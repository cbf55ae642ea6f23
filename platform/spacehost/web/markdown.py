"""README Markdown -> HTML, safe for untrusted input. Pure.

Raw HTML in the source is escaped, not passed through, and markdown-it refuses ``javascript:``,
``vbscript:``, ``file:`` and non-image ``data:`` links, so a space's README cannot run script in
the platform's pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MD.enable("table").enable("strikethrough")
# a scheme (https:, mailto:), a site path, an anchor or a protocol-relative URL: not relative
_ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|/|#)")


def strip_front_matter(text: str) -> str:
    """*text* without a leading YAML block between ``---`` lines (as HF shows READMEs)."""
    rows = text.removeprefix("\ufeff").replace("\r\n", "\n").split("\n")
    start = 0
    while start < len(rows) and not rows[start].strip():
        start += 1
    if start == len(rows) or rows[start].rstrip() != "---":
        return text
    for end in range(start + 1, len(rows)):
        if rows[end].rstrip() == "---":
            return "\n".join(rows[end + 1 :])
    return text


def render_markdown(text: str, *, resolve: Callable[[str, bool], str | None] | None = None) -> str:
    """HTML for the Markdown *text*, raw HTML escaped.

    *resolve*, when given, rewrites relative link and image targets: it gets the target and
    whether it is an image, and returns the URL to use (None keeps the target).
    """
    if resolve is None:
        return str(_MD.render(text))
    tokens = _MD.parse(text)
    for tok in tokens:
        for child in tok.children or []:
            attr = {"link_open": "href", "image": "src"}.get(child.type)
            target = str(child.attrGet(attr) or "") if attr else ""
            if attr and target and not _ABSOLUTE.match(target):
                new = resolve(target, child.type == "image")
                if new is not None:
                    child.attrSet(attr, new)
    return str(_MD.renderer.render(tokens, _MD.options, {}))


def render_readme(text: str) -> str:
    """HTML for a README: its front matter stripped, the rest rendered safely."""
    return render_markdown(strip_front_matter(text))
