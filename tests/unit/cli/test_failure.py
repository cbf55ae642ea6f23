"""What the CLI says about a deploy that did not go live (cli/failure.py), from the space JSON
the API gives, and which build a deploy's log stream follows (api/buildstream.py)."""

from __future__ import annotations

from typing import Any

import pytest

from spacehost.api.buildstream import first_build_after
from spacehost.cli.failure import deploy_error, diagnose
from spacehost.errors import AppFailed, BuildFailed
from spacehost.store import BuildRecord

OLD, NEW = "a" * 64, "b" * 64
BUILD_ERR = "the build failed at Step 5/9 : RUN pip install -r requirements.txt: code 1"


def space(
    stage: str, error: str = "", builds: list[dict[str, Any]] | None = None, serving: str = OLD
) -> dict[str, Any]:
    return {
        "id": "alice/demo",
        "sha": NEW,
        "servingSha": serving,
        "stage": stage,
        "errorMessage": error or None,
        "builds": builds or [],
    }


def build(id_: int, status: str, revision: str = NEW, error: str = "") -> dict[str, Any]:
    return {"id": id_, "revision": revision, "status": status, "error": error or None}


def test_running_without_error_or_still_deploying_is_no_failure() -> None:
    assert diagnose(space("RUNNING")) is None
    assert diagnose(space("RUNNING_BUILDING", "old error")) is None
    assert diagnose(space("APP_STARTING")) is None


def test_failed_build_of_a_redeploy_is_exit_6_with_the_build_log_hint() -> None:
    s = space(
        "RUNNING",
        f"{BUILD_ERR}\n\nERROR: no such package",
        [build(7, "failed", error=BUILD_ERR), build(6, "succeeded", OLD)],
    )
    failure = diagnose(s, since=6)
    assert failure is not None and failure.kind == "build" and failure.serving == OLD
    err = deploy_error("alice/demo", failure, streamed_build=True)
    assert isinstance(err, BuildFailed) and err.exit_code == 6
    assert err.message.splitlines() == [
        f"alice/demo revision {NEW[:12]}: {BUILD_ERR}",
        f"the previous revision {OLD[:12]} keeps serving (stage RUNNING)",
    ]
    assert err.hint == "see `spacehost logs --build alice/demo`, fix the space and push again"
    assert "log_tail" not in err.details  # the build's lines were printed live
    assert diagnose(s, since=7) is not None and diagnose(s, since=7).kind == "config"  # type: ignore[union-attr]


def test_app_that_fails_to_start_is_exit_7_with_the_run_log_hint_and_its_traceback() -> None:
    s = space(
        "RUNNING",
        "the app exited with code 1 while starting\n\nRuntimeError: boom",
        [build(8, "succeeded")],
    )
    failure = diagnose(s, since=7)
    assert failure is not None and failure.kind == "start"
    err = deploy_error("alice/demo", failure, streamed_build=True)
    assert isinstance(err, AppFailed) and err.exit_code == 7
    assert err.message.startswith(
        f"alice/demo revision {NEW[:12]} failed to start: the app exited with code 1 while starting"
    )
    assert err.details["log_tail"] == "RuntimeError: boom"
    assert err.hint == "see `spacehost logs alice/demo`, fix the space and push again"


@pytest.mark.parametrize(
    ("stage", "builds", "kind", "exit_code"),
    [
        ("BUILD_ERROR", [build(3, "failed", error=BUILD_ERR)], "build", 6),
        ("RUNTIME_ERROR", [build(3, "succeeded")], "start", 7),
        ("CONFIG_ERROR", [], "config", 7),
        ("PAUSED", [build(3, "succeeded")], "stage", 7),
    ],
)
def test_a_first_deploy_that_fails_says_nothing_serves(
    stage: str, builds: list[dict[str, Any]], kind: str, exit_code: int
) -> None:
    failure = diagnose(
        space(stage, "what went wrong\n  hint: do this", builds, serving=""), since=2
    )
    assert failure is not None and failure.kind == kind and failure.serving == ""
    err = deploy_error("alice/demo", failure, streamed_build=False)
    assert err.exit_code == exit_code
    assert f"stage {stage}: nothing of alice/demo serves" in err.message


def test_the_config_error_keeps_the_platforms_hint_in_the_message() -> None:
    failure = diagnose(space("CONFIG_ERROR", "asks for a GPU\n  hint: set X", serving=""))
    assert failure is not None
    err = deploy_error("alice/demo", failure, streamed_build=False)
    assert "asks for a GPU\n  hint: set X" in err.message and not err.details


def test_summary_names_what_failed() -> None:
    f = diagnose(space("RUNNING", BUILD_ERR, [build(2, "failed", error=BUILD_ERR)]))
    assert f is not None and f.summary() == "its build failed"
    assert f.headline == BUILD_ERR


def record(id_: int, revision: str) -> BuildRecord:
    return BuildRecord(id_, "alice/demo", revision, "running", 0.0, None, None, "", False)


def test_the_stream_follows_the_first_build_after_the_push() -> None:
    builds = [record(9, NEW), record(8, NEW), record(7, OLD), record(5, NEW)]
    assert first_build_after(builds, 7, NEW) == record(8, NEW)
    assert first_build_after(builds, 7, None) == record(8, NEW)
    assert first_build_after(builds, 5, OLD) == record(7, OLD)
    assert first_build_after(builds, 9, NEW) is None
