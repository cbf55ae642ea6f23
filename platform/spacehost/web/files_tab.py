"""The Files tab: the serving revision's files (a newer failed one on request) with sizes,
README rendered, one file shown. Pure: the listing and contents come in, HTML goes out."""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import quote

from spacehost.web.failed_deploy import FailedDeploy, revision_label
from spacehost.web.markdown import render_readme

MAX_SHOWN = 1 << 20  # bytes of one file shown as text


def human_size(n: int) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    size = float(n)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def is_binary(data: bytes) -> bool:
    """True for content that is not UTF-8 text (or holds NUL bytes)."""
    if b"\0" in data[:8192]:
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def listing_table(
    listing: Sequence[tuple[str, int]], space: str, selected: str = "", query: str = ""
) -> str:
    """The files as a table of links to ``?tab=files&path=...`` (*query* appended)."""
    extra = html.escape(query, quote=True)
    rows = "".join(
        f"<tr{' class=selected' if p == selected else ''}><td><a href='/spaces/{space}?tab=files"
        f"{extra}&amp;path={html.escape(quote(p), quote=True)}'>{html.escape(p)}</a></td>"
        f"<td class=size>{human_size(n)}</td></tr>"
        for p, n in listing
    )
    return f"<table class=files id=files><tr><th>File</th><th>Size</th></tr>{rows}</table>"


def file_view(path: str, data: bytes) -> str:
    """One file: escaped text, or a note for binary files."""
    head = f"<h2 id=file-name>{html.escape(path)}</h2>"
    if is_binary(data):
        return head + f"<p id=file-body>binary file, {len(data)} bytes</p>"
    text = data[:MAX_SHOWN].decode("utf-8", "replace")
    more = f"<p>(first {MAX_SHOWN} of {len(data)} bytes)</p>" if len(data) > MAX_SHOWN else ""
    return head + f"<pre id=file-body class=file>{html.escape(text)}</pre>{more}"


def files_revision(space: str, shown: str, serving: str, failed: FailedDeploy | None) -> str:
    """Which revision the tab shows, and a link to the other one when a newer one failed."""
    role = "failed" if failed is not None and shown == failed.revision else "serving"
    text = f"<p id=files-revision>Files of revision {html.escape(revision_label(shown, role))}"
    if failed is not None:
        other, other_role = (
            (failed.revision, "failed") if role == "serving" else (serving, "serving")
        )
        query = f"&rev={other}" if other_role == "failed" else ""
        href = html.escape(f"/spaces/{space}?tab=files{query}", quote=True)
        text += (
            f" · <a href='{href}'>see revision {html.escape(revision_label(other, other_role))}</a>"
        )
    return text + "</p>"


def files_tab(
    listing: Sequence[tuple[str, int]],
    space: str,
    *,
    path: str = "",
    content: bytes | None = None,
    readme: bytes | None = None,
    query: str = "",
) -> str:
    """The tab: the listing, then the selected file (*path*, *content*), or else the README.
    *query* (``&rev=...``) is kept in the listing's links."""
    if not listing:
        return "<p>No files stored for this revision.</p>"
    body = listing_table(listing, space, path, query)
    if path and content is None:
        body += f"<p id=file-missing>No file named {html.escape(path)} in this revision.</p>"
    elif path and content is not None:
        body += file_view(path, content)
    elif readme is not None:
        text = readme.decode("utf-8", "replace")
        body += f"<article class=readme id=readme>{render_readme(text)}</article>"
    return body
