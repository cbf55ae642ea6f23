"""`spacehost info`, `restart` and `rm` through the real CLI in a subprocess against a real
platform (issue 11, C21): a readable summary (raw JSON with --json), a restart that returns once
the space is back, and a delete that asks first (a pty for the terminal, a pipe for scripts)."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess

import pytest
import requests

from tests.e2e.conftest import ROOT, SPACEHOST, Running

pytestmark = pytest.mark.docker


def stage(platform: Running, space: str) -> str:
    resp = requests.get(f"{platform.url}/api/spaces/{space}/runtime", timeout=10)
    resp.raise_for_status()
    return str(resp.json()["stage"])


def exists(platform: Running, space: str) -> bool:
    resp = requests.get(f"{platform.url}/api/spaces/{space}", timeout=10)
    assert resp.status_code in (200, 404), resp.text
    return resp.status_code == 200


@pytest.fixture(scope="module")
def hello(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> str:
    space = "e2e/cli-hello"
    folder = tmp_path_factory.mktemp("cli-hello") / "hello"
    shutil.copytree(ROOT / "spaces" / "hello", folder)
    platform.cli("push", str(folder), "--name", space, check=True)
    return space


def static_space(platform: Running, space: str) -> str:
    platform.cli("push", str(ROOT / "spaces" / "static-page"), "--name", space, check=True)
    return space


def test_info_prints_a_readable_summary_and_json_on_request(platform: Running, hello: str) -> None:
    out = platform.cli("info", hello, check=True).stdout
    lines = out.splitlines()
    assert 6 <= len(lines) <= 20, out
    assert not out.lstrip().startswith("{"), out
    raw = json.loads(platform.cli("info", "--json", hello, check=True).stdout)
    for label, value in (
        ("stage", "RUNNING"),
        ("serving", raw["servingRevision"][:12]),
        ("hardware", "cpu-basic"),
        ("created", raw["createdAt"][:10]),
        ("updated", raw["lastModified"][:10]),
    ):
        assert any(ln.startswith(f"{label}:") and value in ln for ln in lines), (label, out)
    assert raw["urls"]["path"] in out and raw["urls"]["subdomain"] in out
    assert "sleep" in out and raw["builds"][0]["status"] == "succeeded"


def test_restart_returns_once_the_space_runs_again(platform: Running, hello: str) -> None:
    proc = platform.cli("restart", hello, check=True)
    assert stage(platform, hello) == "RUNNING", proc.stdout  # no polling: it already is
    assert "RUNNING_BUILDING" in proc.stdout or "] " in proc.stdout, proc.stdout  # progress
    assert "running again" in proc.stdout and "live at" in proc.stdout, proc.stdout
    quick = platform.cli("restart", "--no-wait", hello, check=True)
    assert "live at" not in quick.stdout and "restarting" in quick.stdout, quick.stdout
    done = platform.cli("restart", "--timeout", "600", hello, check=True)  # waits on that one
    assert stage(platform, hello) == "RUNNING", done.stdout


def run_cli(
    platform: Running, *args: str, stdin: int | None, input_: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SPACEHOST, *args],
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        stdin=stdin,
        input=input_,
    )


def test_rm_without_a_terminal_or_yes_refuses(platform: Running) -> None:
    space = static_space(platform, "e2e/cli-rm-pipe")
    proc = run_cli(platform, "rm", space, stdin=None, input_=f"{space}\ny\n")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--yes" in proc.stderr and "not a terminal" in proc.stderr, proc.stderr
    assert exists(platform, space)
    proc = run_cli(platform, "rm", space, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and exists(platform, space), proc.stderr
    proc = run_cli(platform, "rm", "--yes", space, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0 and not exists(platform, space), proc.stderr


def rm_in_terminal(platform: Running, space: str, typed: str) -> subprocess.CompletedProcess[str]:
    """`spacehost rm SPACE` with a pty on stdin, *typed* at its prompt."""
    main, child = pty.openpty()
    try:
        proc = subprocess.Popen(
            [*SPACEHOST, "rm", space],
            env=platform.env,
            cwd=ROOT,
            stdin=child,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.close(child)
        os.write(main, typed.encode() + b"\n")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(main)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_rm_in_a_terminal_asks_for_the_name(platform: Running) -> None:
    space = static_space(platform, "e2e/cli-rm-tty")
    wrong = rm_in_terminal(platform, space, "e2e/something-else")
    assert wrong.returncode == 2, wrong.stdout + wrong.stderr
    assert f"type {space} to confirm" in wrong.stderr.lower(), wrong.stderr
    assert "nothing was deleted" in wrong.stderr, wrong.stderr
    assert exists(platform, space)
    right = rm_in_terminal(platform, space, space)
    assert right.returncode == 0, right.stdout + right.stderr
    assert f"deleted {space}" in right.stdout
    assert not exists(platform, space)
    gone = run_cli(platform, "rm", "-y", space, stdin=subprocess.DEVNULL)
    assert gone.returncode == 4, gone.stderr  # nothing to delete: not found, no question asked
