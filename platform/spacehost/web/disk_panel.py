"""The space page's notice of a full disk (runtime/storage.py: the kernel refuses the write)."""

from __future__ import annotations

import html

from spacehost.runtime.base import DiskUsage

WHAT = {"/": "its files outside /data (/tmp, its home folder)", "/data": "/data"}
SETTING = {"/": "SPACEHOST_SPACE_DISK", "/data": "SPACEHOST_DATA_DISK"}


def _gib(n: int) -> str:
    return f"{n / (1 << 30):.2f} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.0f} MiB"


def disk_notice(usages: list[DiskUsage]) -> str:
    """A notice for each full disk of the space, naming what is full, how big it is and what
    to do; "" when none is full."""
    items = [
        f"<li>{html.escape(WHAT.get(u.path, u.path))}: {_gib(u.used)} of {_gib(u.size)} used. "
        f"Writes there fail with “No space left on device”: delete files the app no longer "
        f"needs, or ask the operator to raise {SETTING.get(u.path, 'the limit')}.</li>"
        for u in usages
        if u.full
    ]
    if not items:
        return ""
    return (
        f"<div id=disk-full class=failed-deploy role=alert><strong>This space's storage "
        f"is full.</strong><ul>{''.join(items)}</ul></div>"
    )
