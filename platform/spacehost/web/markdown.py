"""README Markdown -> HTML, safe for untrusted input. Pure.

Raw HTML in the source is escaped, not passed through, and markdown-it refuses ``javascript:``,
``vbscript:``, ``file:`` and non-image ``data:`` links, so a space's README cannot run script in
the platform's pages.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_MD.enable("table").enable("strikethrough")


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
            return "\n".join(rows[end + 1:])
    return text


def render_markdown(text: str) -> str:
    """HTML for the Markdown *text*, raw HTML escaped."""
    return str(_MD.render(text))


def render_readme(text: str) -> str:
    """HTML for a README: its front matter stripped, the rest rendered safely."""
    return render_markdown(strip_front_matter(text))
