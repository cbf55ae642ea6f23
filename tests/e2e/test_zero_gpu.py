"""ZeroGPU-style spaces on the real engine, on this CPU-only host.

- With the default broker setting (``auto``: no broker without a GPU), a ``hardware: zero``
  space runs on CPU instead of failing with CONFIG_ERROR, and its @spaces.GPU functions answer.
- With ``SPACEHOST_GPU_BROKER=cpu`` the broker hands out CPU leases, so the whole path (socket in
  the container, leases, queue, release) runs: two shared spaces with concurrent callers all
  complete, and the broker's history shows the calls serialised and served in turn.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
from gradio_client import Client

from tests.e2e.conftest import Running, remove_containers, start_platform, stop_platform
from tests.support.polling import wait_for
from tests.support.ports import free_port

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "spaces" / "zero-demo"
CALLERS = 3  # concurrent callers per space


def _container_env(running: Running, space: str) -> dict[str, str]:
    client = docker.from_env()
    [container] = client.containers.list(filters={"label": f"spacehost.space={space}"})
    env = container.attrs["Config"]["Env"]
    return dict(item.split("=", 1) for item in env)


def test_a_zero_space_runs_on_cpu_without_a_broker(platform: Running) -> None:
    space = "e2e/zero-auto"
    platform.cli("push", str(DEMO), "--name", space, check=True)
    client = Client(platform.space_url(space, "path"), verbose=False)
    assert client.predict("abc", 0, api_name="/reverse") == "cba (ran on cpu)"
    assert client.predict(3, api_name="/count") == "3"
    env = _container_env(platform, space)
    assert env["SPACEHOST_GPU_MODE"] == "cpu" and "SPACEHOST_GPU_SOCKET" not in env
    runtime = requests.get(f"{platform.url}/api/spaces/{space}/runtime", timeout=10).json()
    assert runtime["stage"] == "RUNNING" and runtime["hardware"]["requested"] == "zero"
    build_log = platform.cli("logs", "--build", space, check=True).stdout
    assert (
        "asks for a shared GPU (hardware: zero) but this host has none: its @spaces.GPU "
        "functions run on CPU"
    ) in build_log
    run_log = platform.cli("logs", space, check=True).stdout
    assert "no GPU on this host: @spaces.GPU function reverse runs on CPU" in run_log
    status = requests.get(f"{platform.url}/api/gpus", timeout=10).json()
    assert status["has_gpu"] is False and status["broker"] is None
    assert "no GPUs on this host" in platform.cli("gpus", check=True).stdout


@pytest.fixture(scope="module")
def broker_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("zero")
    proc, running = start_platform(
        data, free_port(), {"SPACEHOST_GPU_BROKER": "cpu", "SPACEHOST_GPU_DURATION": "30"}
    )
    try:
        yield running
    finally:
        stop_platform(proc, running, "zero-gpu")
        remove_containers(data)


def test_two_shared_spaces_with_concurrent_callers_are_served_in_turn(
    broker_platform: Running,
) -> None:
    running = broker_platform
    spaces = ["e2e/zero-a", "e2e/zero-b"]
    for space in spaces:
        running.cli("push", str(DEMO), "--name", space, check=True)
    env = _container_env(running, spaces[0])
    assert env["SPACEHOST_GPU_MODE"] == "shared"
    assert env["SPACEHOST_GPU_SOCKET"] == "/run/spacehost/gpu.sock"
    clients = {s: Client(running.space_url(s, "path"), verbose=False) for s in spaces}

    def call(args: tuple[str, int]) -> Any:
        space, i = args
        return space, clients[space].predict(f"{space}-{i}", 1.0, api_name="/reverse")

    jobs = [(s, i) for i in range(CALLERS) for s in spaces]
    with ThreadPoolExecutor(len(jobs)) as pool:
        answers = list(pool.map(call, jobs))
    for (space, i), (_, answer) in zip(jobs, answers, strict=True):
        assert answer == f"{space}-{i}"[::-1] + " (ran on cpu)"

    status = requests.get(f"{running.url}/api/gpus", timeout=10).json()
    broker = status["broker"]
    assert broker["lease_mode"] == "cpu" and broker["leases"] == [] and broker["queue"] == []
    done = sorted(
        (h for h in broker["history"] if h["outcome"] == "released"), key=lambda h: h["granted_at"]
    )
    assert len(done) == 2 * CALLERS
    # one lease at a time: each call's lease ended before the next one's began
    for a, b in itertools.pairwise(done):
        assert a["ended_at"] <= b["granted_at"] + 1e-6
    # served in turn: while both spaces had calls waiting, no space ran twice in a row
    order = [h["space"] for h in done]
    assert order.count(spaces[0]) == order.count(spaces[1]) == CALLERS
    assert max(len(list(g)) for _, g in itertools.groupby(order[:-1])) == 1, order

    log = running.log.read_text()
    assert (
        len(re.findall(r"GPU lease \d+ granted to e2e/zero-[ab] \(reverse\) on cpu after", log))
        >= 2 * CALLERS
    )
    report = running.cli("gpus", check=True).stdout
    assert "GPU broker (CPU leases)" in report and "6 released" in report


def test_a_queued_call_hears_its_position_and_the_page_shows_the_queue(
    broker_platform: Running,
) -> None:
    # another space's call holds the lease (Gradio itself runs one call of an event at a time,
    # so a second call of the same space would wait in Gradio's queue, not the broker's)
    running = broker_platform
    holder, waiter = "e2e/zero-a", "e2e/zero-b"
    for space in (holder, waiter):
        wait_for(
            lambda s=space: (
                requests.get(f"{running.url}/api/spaces/{s}", timeout=10).json()["stage"]
                == "RUNNING"
            ),
            timeout=300,
            what="the spaces to run",
        )
    first = Client(running.space_url(holder, "path"), verbose=False).submit(
        "slow", 4.0, api_name="/reverse"
    )
    wait_for(
        lambda: requests.get(f"{running.url}/api/gpus", timeout=10).json()["broker"]["leases"],
        what="the first call's lease",
    )
    second = Client(running.space_url(waiter, "path"), verbose=False).submit(
        "next", 0, api_name="/reverse"
    )
    wait_for(
        lambda: requests.get(f"{running.url}/api/gpus?space={waiter}", timeout=10).json()["broker"][
            "queue"
        ],
        what="the second call to queue",
    )
    page = requests.get(f"{running.url}/spaces/{waiter}", timeout=10).text
    assert "id=gpu-panel" in page and "1 waiting (queue positions 1)" in page
    assert first.result(timeout=60).startswith("wols")
    assert second.result(timeout=60).startswith("txen")
    wait_for(
        lambda: (
            "Waiting for a GPU: position 1 in the queue (reverse)"
            in running.cli("logs", waiter, check=True).stdout
        ),
        what="the position in the log",
    )
