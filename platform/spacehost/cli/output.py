"""Everything the CLI prints: messages, tables, the build progress, and errors."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from spacehost.client import Client
from spacehost.domain import SpaceId
from spacehost.errors import ManifestInvalid, SpacehostError

_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)")
_BUILDING = ("BUILDING", "RUNNING_BUILDING")
_STARTING = ("APP_STARTING", "RUNNING_APP_STARTING", *_BUILDING)


def info(msg: str) -> None:
    print(msg, flush=True)


def warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr, flush=True)


def error(exc: SpacehostError) -> None:
    print(f"error: {exc.message}", file=sys.stderr)
    if isinstance(exc, ManifestInvalid):
        for p in exc.details.get("problems", []):
            where = f"{p.get('file', '')}: {p.get('field', '')}".rstrip(": ")
            print(f"  - {where}: {p.get('message', '')}", file=sys.stderr)
    tail = exc.details.get("log_tail")
    if tail:
        print(f"--- log tail ---\n{tail}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=sys.stderr)


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = width * done // max(total, 1)
    return "[" + "#" * filled + "-" * (width - filled) + f"] {done}/{total}"


def follow_build(events: Iterator[tuple[str, dict[str, Any]]]) -> str:
    """Print the build log live (with a step progress bar); returns the last stage seen."""
    stage = ""
    for event, data in events:
        if event == "stage":
            stage = str(data.get("stage", ""))
            continue
        line = str(data.get("data", ""))
        m = _STEP.match(line)
        if m:
            print(f"{_bar(int(m.group(1)), int(m.group(2)))} {m.group(3)}", flush=True)
        else:
            print(f"  {line}", flush=True)
    return stage


def wait_running(get_runtime: Callable[[], dict[str, Any]], stage: str,
                 timeout: float = 3600.0) -> dict[str, Any]:
    """Poll the runtime until the space leaves the building/starting stages."""
    end = time.monotonic() + timeout
    shown = stage
    while True:
        runtime = get_runtime()
        current = str(runtime.get("stage"))
        if current != shown:
            print(f"stage: {current}", flush=True)
            shown = current
        if current not in _STARTING or time.monotonic() > end:
            return runtime
        time.sleep(0.5)


def follow_until_live(client: Client, space: SpaceId) -> int:
    """Print the build live, wait for the space to leave building/starting; the exit code:
    0 when it runs without error, 6 after a build error, 7 otherwise."""
    stage = follow_build(client.follow_logs(space, kind="build", tail=0))
    runtime = wait_running(lambda: client.runtime(space), stage)
    if runtime["stage"] != "RUNNING" or runtime.get("errorMessage"):
        fail(space, runtime)
        return 6 if runtime["stage"] == "BUILD_ERROR" else 7
    return 0


def fail(space: SpaceId, runtime: dict[str, Any]) -> None:
    print(f"error: {space} is {runtime['stage']}", file=sys.stderr)
    if runtime.get("errorMessage"):
        print(runtime["errorMessage"], file=sys.stderr)
    what = "--build " if runtime["stage"] == "BUILD_ERROR" else ""
    print(f"hint: see `spacehost logs {what}{space}`, fix the space and push again",
          file=sys.stderr)


def print_urls(urls: dict[str, str]) -> None:
    print(f"live at {urls['subdomain']}\n     and {urls['path']}", flush=True)


def print_ready(facts: dict[str, Any]) -> None:
    print(f"spacehost is up at {facts['url']}/ (spaces at http://OWNER-NAME.{facts['domain']}"
          f":PORT/ and {facts['url']}/spaces/OWNER/NAME/)\n"
          f"token: {facts['token_file']}   stop: Ctrl-C or `spacehost down` (running spaces "
          "keep running and are adopted on the next start; SIGTERM leaves the router serving)",
          flush=True)


def table(spaces: Iterable[dict[str, Any]]) -> None:
    rows = [(s["id"], s["stage"], str(s.get("cardData", {}).get("sdk", "")),
             s["urls"]["path"]) for s in spaces]
    if not rows:
        print("no spaces yet: push one with `spacehost push DIR`")
        return
    widths = [max(len(r[i]) for r in [("SPACE", "STAGE", "SDK", "URL"), *rows])
              for i in range(4)]
    for r in [("SPACE", "STAGE", "SDK", "URL"), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def dump(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))
