"""A control app and its platform, closed, leave no file of their data dir open: each opened
its identity, hub and jobs databases (and the platform its identity store) and never closed
them, so a process that makes many — the unit suite makes thousands — held 14 more files per
app (1,484 open at once in a full run, past the common limit of 1,024)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.support.control_app import OPERATOR, run_control_app


def open_under(folder: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile (the listing's own)
        if target.startswith(f"{folder}/"):
            found.append(target)
    return sorted(found)


def test_a_closed_control_app_and_platform_keep_no_file_of_their_data_dir_open(
    tmp_path: Path,
) -> None:
    async def scenario(client: Any) -> None:
        auth = {"Authorization": f"Bearer {OPERATOR}"}
        assert (await client.get("/api/whoami-v2", headers=auth)).status == 200
        assert (await client.get("/api/models")).status == 200
        assert (await client.get("/api/jobs/admin", headers=auth)).status == 200
        opened = {Path(p).name for p in open_under(tmp_path)}
        assert {"identity.db", "hub.db", "jobs.db", "spacehost.db"} <= opened  # the test bites

    run_control_app(tmp_path, scenario)
    assert open_under(tmp_path) == []
