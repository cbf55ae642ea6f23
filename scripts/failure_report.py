"""What a failed test run leaves at the end of its output (scripts/test.sh calls it).

CI keeps only the tail of a run's output: a run that failed wholesale (every later test failing
for one reason — a dead Docker Engine, a full disk, no free file descriptors) showed only its
last modules. This prints, last, the first failures with their first line, then the state of
the machine that explains a wholesale failure.

Usage: python scripts/failure_report.py JUNIT_XML
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

FIRST = 25  # failures listed


def failures(junit: Path) -> list[str]:
    """``test id: first line of its message`` for each failed or errored test, in run order."""
    found = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        for outcome in ("failure", "error"):
            node = case.find(outcome)
            if node is not None:
                first = (node.get("message") or node.text or "").strip().splitlines()[:1]
                name = f"{case.get('classname')}::{case.get('name')}"
                found.append(f"{outcome.upper()} {name}: {(first or [''])[0][:160]}")
    return found


def run(*argv: str) -> str:
    """*argv*'s output (or why it could not run), at most its last 12 lines."""
    if shutil.which(argv[0]) is None:
        return f"({argv[0]} not found)"
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"({exc})"
    return "\n".join((done.stdout + done.stderr).strip().splitlines()[-12:])


def main(junit: Path) -> None:
    print("\n=== failure report (scripts/failure_report.py) ===")
    if junit.is_file():
        found = failures(junit)
        print(f"{len(found)} failed or errored; the first {min(FIRST, len(found))}:")
        print("\n".join(found[:FIRST]))
    else:
        print(f"no {junit}: pytest wrote no report")
    for title, argv in (
        ("disk", ("df", "-h", "/", "/tmp", "/var/lib/docker")),
        ("memory", ("free", "-m")),
        ("docker", ("docker", "info", "--format", "{{.ServerVersion}} {{.Containers}} containers")),
        ("kernel", ("dmesg", "--level=err,crit,alert,emerg")),
    ):
        print(f"--- {title}\n{run(*argv)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
