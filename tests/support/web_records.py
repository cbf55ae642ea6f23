"""Space records for the page renderers' unit tests."""

from __future__ import annotations

from typing import Any

from spacehost.domain import SpaceId, Stage
from spacehost.store import SpaceRecord

HOSTILE = "<script>alert('x')</script>\"'&"


def record(
    space: str = "alice/demo",
    stage: Stage = Stage.RUNNING,
    *,
    upstream: str | None = "127.0.0.1:1",
    error: str = "",
    **manifest: Any,
) -> SpaceRecord:
    """A record of *space* with a Gradio manifest, *manifest* fields on top."""
    m: dict[str, Any] = {
        "title": "Demo",
        "emoji": "🔥",
        "colorFrom": "red",
        "colorTo": "blue",
        "sdk": "gradio",
        "sdk_version": "6.31.0",
        "short_description": "A demo",
        "tags": ["text"],
        "pinned": False,
    }
    m.update(manifest)
    return SpaceRecord(
        id=SpaceId.parse(space),
        created_at=0.0,
        updated_at=0.0,
        stage=stage,
        error_message=error,
        desired="running",
        revision="abc",
        serving_revision="abc",
        container_id=None,
        upstream=upstream,
        image=None,
        manifest=m,
        hardware="cpu-basic",
    )
