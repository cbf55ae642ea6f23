"""``spacehost info``: a space's JSON (``GET /api/spaces/o/n``) as a short readable summary.
Pure: no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from spacehost.cli.failure import DEPLOYING, diagnose, revision_of

LABEL_WIDTH = 12


def _when(iso: object) -> str:
    if not isinstance(iso, str) or not iso:
        return "-"
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S UTC")
    except ValueError:
        return iso


def _row(label: str, value: str) -> str:
    return f"{label + ':' if label else '':<{LABEL_WIDTH}}{value}"


def _title(space: Mapping[str, Any]) -> str:
    card = space.get("cardData") or {}
    runtime = space.get("runtime") or {}
    title = str(card.get("title") or space.get("name") or "")
    emoji = f"{card['emoji']} " if card.get("emoji") else ""
    sdk = str(card.get("sdk") or runtime.get("sdk") or "")
    version = runtime.get("sdkVersion") or card.get("sdk_version")
    kind = f"{sdk} {version}" if sdk and version else sdk
    return f"{space.get('id', '')}  {emoji}{title}" + (f" ({kind})" if kind else "")


def _revisions(space: Mapping[str, Any]) -> list[str]:
    # revisions as builds, logs and the pages name them (not git's shas: docs/git.md)
    stage, sha = str(space.get("stage", "")), revision_of(space)
    serving = revision_of(space, "serving")
    serves = stage in ("RUNNING", "RUNNING_BUILDING", "RUNNING_APP_STARTING", "SLEEPING", "PAUSED")
    rows = [_row("serving", serving[:12] if serving and serves else f"nothing ({stage})")]
    if stage in DEPLOYING:
        rows.append(_row("deploying", f"{sha[:12]} ({stage})"))
    failure = diagnose(space) if space.get("errorMessage") else None
    if failure is not None:
        log = "spacehost logs " + ("--build " if failure.kind == "build" else "")
        rows.append(
            _row(
                "failed",
                f"{failure.revision[:12]}, {failure.summary()} (`{log}{space.get('id', '')}`)",
            )
        )
    return rows


def _hardware(space: Mapping[str, Any]) -> str:
    hw = (space.get("runtime") or {}).get("hardware") or {}
    requested = str(hw.get("requested") or space.get("hardware") or "cpu-basic")
    current = hw.get("current")
    return requested if current in (None, requested) else f"{requested} (now {current})"


def _sleep(space: Mapping[str, Any]) -> str:
    runtime = space.get("runtime") or {}
    sleep = runtime.get("sleep") or {}
    if space.get("stage") == "SLEEPING":
        return f"asleep ({sleep.get('level') or 'paused'}); a visit wakes it"
    timeout = runtime.get("gcTimeout")
    if timeout is None:
        return "never"
    idle = sleep.get("idleSeconds")
    return f"after {timeout} s idle" + (f" (idle for {idle:g} s now)" if idle is not None else "")


def _last_build(space: Mapping[str, Any]) -> str | None:
    builds = space.get("builds") or []
    if not builds:
        return None
    b = builds[0]
    return (
        f"{b.get('status', '?')} {_when(b.get('finishedAt') or b.get('startedAt'))} "
        f"(revision {str(b.get('revision', ''))[:12]})"
    )


def summary(space: Mapping[str, Any]) -> str:
    """The readable summary of *space*'s JSON: title, stage, URLs, serving and failed
    revisions, hardware, sleep, the last error, the last build, created and updated."""
    urls = space.get("urls") or {}
    rows = [_title(space), _row("stage", str(space.get("stage", "")))]
    url_list = [u for u in (urls.get("subdomain"), urls.get("path")) if u]
    rows += [_row("urls" if i == 0 else "", u) for i, u in enumerate(url_list)]
    rows += _revisions(space)
    rows += [_row("hardware", _hardware(space)), _row("sleep", _sleep(space))]
    error = str(space.get("errorMessage") or "").strip()
    if error:
        rows.append(_row("last error", error.partition("\n")[0]))
    build = _last_build(space)
    if build:
        rows.append(_row("last build", build))
    rows += [
        _row("created", _when(space.get("createdAt"))),
        _row("updated", _when(space.get("lastModified"))),
    ]
    rows.append(f"(raw JSON: spacehost info --json {space.get('id', '')})")
    return "\n".join(rows)
