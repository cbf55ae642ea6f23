"""The space page's line saying which path the last update took: hot-reloaded in place (and
how fast) or rebuilt (and why a hot reload asked for was not possible). Pure."""

from __future__ import annotations

import html
from collections.abc import Sequence

Event = tuple[float, str, str]  # (time, kind, message), newest first as the store gives them


def update_path_text(events: Sequence[Event]) -> str:
    """The words for the newest update among *events*; "" before the first one went live."""
    for i, (_, kind, message) in enumerate(events):
        if kind == "hot_reload":
            return f"Last update: {message} (no rebuild)"
        if kind == "running":
            refused = _refusal_before(events[i + 1 :])
            why = f" (hot reload not possible: {refused})" if refused else ""
            return f"Last update: rebuilt ({message}){why}"
    return ""


def _refusal_before(older: Sequence[Event]) -> str:
    """The hot-reload refusal of the push that led to a deploy, if any."""
    for _, kind, message in older:
        if kind == "hot_reload_refused":
            return message.removeprefix("not hot-reloaded: ")
        if kind in ("push", "running", "hot_reload"):
            return ""
    return ""


def update_path_html(events: Sequence[Event]) -> str:
    """:func:`update_path_text` as the page's ``#update-path`` paragraph ("" when none)."""
    text = update_path_text(events)
    return f"<p id=update-path class=update-path>{html.escape(text)}</p>" if text else ""
