"""`spacehost info`'s readable summary (cli/infoview.py) from the API's space JSON."""

from __future__ import annotations

from typing import Any

from spacehost.cli.infoview import summary

OLD, NEW = "0123456789ab" + "0" * 52, "fedcba987654" + "f" * 52


def space(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "alice/demo",
        "name": "demo",
        "sha": OLD,
        "servingSha": OLD,
        "stage": "RUNNING",
        "errorMessage": None,
        "hardware": "cpu-basic",
        "cardData": {"title": "Demo", "emoji": "👋", "sdk": "gradio"},
        "createdAt": "2026-12-06T20:31:02.123+00:00",
        "lastModified": "2026-12-06T20:40:10+00:00",
        "urls": {
            "subdomain": "http://alice-demo.localhost:8000/",
            "path": "http://127.0.0.1:8000/spaces/alice/demo/",
        },
        "runtime": {
            "stage": "RUNNING",
            "sdkVersion": "6.31.0",
            "gcTimeout": 3600,
            "hardware": {"current": "cpu-basic", "requested": "cpu-basic"},
            "sleep": {"level": None, "idleSeconds": 12.5},
        },
        "builds": [
            {
                "id": 1,
                "revision": OLD,
                "status": "succeeded",
                "startedAt": "2026-12-06T20:39:00+00:00",
                "finishedAt": "2026-12-06T20:40:00+00:00",
                "error": None,
            }
        ],
    }
    base.update(over)
    return base


def test_a_running_space_in_a_dozen_readable_lines() -> None:
    assert summary(space()).splitlines() == [
        "alice/demo  👋 Demo (gradio 6.31.0)",
        "stage:      RUNNING",
        "urls:       http://alice-demo.localhost:8000/",
        "            http://127.0.0.1:8000/spaces/alice/demo/",
        "serving:    0123456789ab",
        "hardware:   cpu-basic",
        "sleep:      after 3600 s idle (idle for 12.5 s now)",
        "last build: succeeded 2026-12-06 20:40:00 UTC (revision 0123456789ab)",
        "created:    2026-12-06 20:31:02 UTC",
        "updated:    2026-12-06 20:40:10 UTC",
        "(raw JSON: spacehost info --json alice/demo)",
    ]


def test_a_failed_redeploy_shows_the_serving_and_the_failed_revision() -> None:
    err = "the build failed at Step 5/9 : RUN pip install -r requirements.txt: code 1"
    text = summary(
        space(
            sha=NEW,
            errorMessage=f"{err}\n\nERROR: tail",
            builds=[{"id": 2, "revision": NEW, "status": "failed", "error": err}],
        )
    )
    assert "serving:    0123456789ab" in text
    assert (
        "failed:     fedcba987654, its build failed (`spacehost logs --build alice/demo`)"
    ) in text
    assert f"last error: {err}" in text and "ERROR: tail" not in text


def test_an_app_that_did_not_start_points_at_the_run_log() -> None:
    text = summary(
        space(
            stage="RUNTIME_ERROR", errorMessage="the app exited with code 1 while starting\n\nboom"
        )
    )
    assert "serving:    nothing (RUNTIME_ERROR)" in text
    assert "failed:     0123456789ab, it did not start (`spacehost logs alice/demo`)" in text
    assert "last error: the app exited with code 1 while starting" in text


def test_sleep_never_asleep_and_deploying() -> None:
    never = space(runtime={**space()["runtime"], "gcTimeout": None})
    assert "sleep:      never" in summary(never)
    asleep = space(stage="SLEEPING", runtime={**space()["runtime"], "sleep": {"level": "stopped"}})
    assert "sleep:      asleep (stopped); a visit wakes it" in summary(asleep)
    deploying = summary(space(sha=NEW, stage="RUNNING_BUILDING"))
    assert "deploying:  fedcba987654 (RUNNING_BUILDING)" in deploying
