"""The ``spaces`` package against the real broker transport (Unix sockets, an asyncio server in
a thread), without Docker: leases, queue positions, fairness between spaces (one process per
space, as containers are), aborts of over-running calls of every kind, a killed caller's lease
coming back, a restarted broker."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from spacehost.domain import SpaceId
from spacehost.lifecycle.gpubroker import BrokerLimits, GpuBroker
from spacehost.server.broker import GpuBrokerServer
from tests.support.polling import wait_for

PKG_ROOT = Path(__file__).resolve().parents[3] / "runtime_images" / "spaces_pkg"


class Harness:
    """A broker server on its own event loop thread."""

    def __init__(self, root: Path, limits: BrokerLimits) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = GpuBrokerServer(root, GpuBroker(limits), lease_mode="cpu")
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self.server.start())

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def status(self) -> dict[str, Any]:
        async def get() -> dict[str, Any]:
            return self.server.status()

        return self.call(get())  # type: ignore[no-any-return]

    def socket(self, space: str) -> str:
        return str(Path(self.server.attach(SpaceId.parse(space)).host_dir) / "gpu.sock")

    def stop(self) -> None:
        self.call(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture()
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(
        tmp_path / "gpu",
        BrokerLimits(
            devices=("cpu",), default_duration_s=30, max_duration_s=60, grace_s=1, max_wait_s=20
        ),
    )
    yield h
    h.stop()


@pytest.fixture()
def spaces(monkeypatch: pytest.MonkeyPatch, harness: Harness) -> Iterator[ModuleType]:
    monkeypatch.syspath_prepend(str(PKG_ROOT))
    _forget()
    import spaces as module

    module.config.Config.mode = "shared"
    module.config.Config.socket_path = harness.socket("alice/one")
    module.config.Config.connect_timeout = 2.0
    yield module
    _forget()


def _forget() -> None:
    for name in [m for m in sys.modules if m == "spaces" or m.startswith("spaces.")]:
        del sys.modules[name]


def test_a_call_holds_a_lease_while_it_runs(spaces: ModuleType, harness: Harness) -> None:
    seen: list[dict[str, Any]] = []

    @spaces.GPU(duration=12)
    def infer(x: int) -> int:
        seen.append(harness.status())
        return x + 1

    assert infer(1) == 2
    [lease] = seen[0]["leases"]
    assert (lease["space"], lease["name"], lease["duration_s"]) == (
        "alice/one",
        infer.__qualname__,
        12,
    )
    status = wait_for(lambda: (s := harness.status())["history"] and s, what="the release")
    assert status["leases"] == [] and status["history"][-1]["outcome"] == "released"


def test_every_kind_takes_and_gives_back_a_lease(spaces: ModuleType, harness: Harness) -> None:
    @spaces.GPU
    def gen(n: int) -> Iterator[int]:
        for i in range(n):
            assert harness.status()["leases"]
            yield i

    @spaces.GPU
    async def coro() -> int:
        return len(harness.server.broker.snapshot()["leases"])

    @spaces.GPU
    async def agen() -> Any:
        yield len(harness.server.broker.snapshot()["leases"])

    async def both() -> tuple[int, list[int]]:
        return await coro(), [x async for x in agen()]

    assert list(gen(3)) == [0, 1, 2]
    assert asyncio.run(both()) == (1, [1])
    wait_for(lambda: harness.status()["totals"].get("released") == 3, what="three releases")


def test_the_second_call_waits_and_hears_its_position(
    spaces: ModuleType, harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    started = threading.Event()
    go = threading.Event()
    spans: list[tuple[str, float, float]] = []

    @spaces.GPU
    def work(tag: str) -> None:
        begin = time.monotonic()
        if tag == "first":
            started.set()
            go.wait(10)
        spans.append((tag, begin, time.monotonic()))

    first = threading.Thread(target=work, args=("first",))
    first.start()
    started.wait(10)
    second = threading.Thread(target=work, args=("second",))
    second.start()
    wait_for(lambda: harness.status()["queue"], what="the second call to queue")
    go.set()
    first.join(10)
    second.join(10)
    (_, _, end1), (_, begin2, _) = sorted(spans, key=lambda s: s[1])
    assert end1 <= begin2  # one slot: serialised
    assert "Waiting for a GPU: position 1 in the queue" in capsys.readouterr().err


def test_an_overrunning_function_is_aborted(spaces: ModuleType, harness: Harness) -> None:
    @spaces.GPU(duration=0.5)
    def spin() -> int:
        end = time.monotonic() + 20
        n = 0
        while time.monotonic() < end:
            n += 1
        return n

    began = time.monotonic()
    with pytest.raises(spaces.GPUTaskAborted, match=r"ran past its duration of 0\.5 s"):
        spin()
    assert time.monotonic() - began < 5
    wait_for(lambda: harness.status()["leases"] == [], what="the lease back")


def test_an_overrunning_function_cannot_swallow_the_abort(spaces: ModuleType) -> None:
    @spaces.GPU(duration=0.3)
    def stubborn() -> str:
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                time.sleep(0.01)
            except Exception:  # the abort is not an Exception
                return "swallowed"
        return "finished"

    with pytest.raises(spaces.GPUTaskAborted):
        stubborn()


def test_overrunning_generators_and_coroutines_are_aborted(spaces: ModuleType) -> None:
    @spaces.GPU(duration=0.4)
    def gen() -> Iterator[int]:
        for i in range(100):
            time.sleep(0.05)
            yield i

    @spaces.GPU(duration=0.4)
    async def coro() -> None:
        await asyncio.sleep(20)

    @spaces.GPU(duration=0.4)
    async def agen() -> Any:
        for i in range(100):
            await asyncio.sleep(0.05)
            yield i

    async def drain() -> list[int]:
        return [x async for x in agen()]

    got: list[int] = []
    with pytest.raises(spaces.GPUTaskAborted):
        for item in gen():
            got.append(item)
    assert 0 < len(got) < 100
    with pytest.raises(spaces.GPUTaskAborted):
        asyncio.run(coro())
    with pytest.raises(spaces.GPUTaskAborted):
        asyncio.run(drain())


def test_duration_from_the_arguments_and_the_platform_max(
    spaces: ModuleType, harness: Harness
) -> None:
    durations: list[float] = []

    @spaces.GPU(duration=lambda steps: steps * 2)
    def run(steps: int) -> None:
        durations.append(harness.status()["leases"][0]["duration_s"])

    run(5)
    run(500)  # 1000 s asked, the platform allows 60
    assert durations == [10, 60]


def test_an_unreachable_broker_is_a_clear_error(spaces: ModuleType, tmp_path: Path) -> None:
    spaces.config.Config.socket_path = str(tmp_path / "nothing.sock")
    spaces.config.Config.connect_timeout = 0.3

    @spaces.GPU
    def fn() -> None:
        return None

    with pytest.raises(spaces.GPUTaskAborted, match="cannot reach the GPU broker"):
        fn()


# one process per space, as containers are -------------------------------------------------

WORKER = """
import json, os, sys, time
sys.path.insert(0, {root!r})
import spaces

@spaces.GPU(duration=30)
def work(i):
    begin = time.time()
    time.sleep(float(os.environ.get("HOLD", "0.2")))
    return begin, time.time()

spans = [work(i) for i in range(int(os.environ.get("CALLS", "3")))]
print(json.dumps(spans))
"""


def _worker(socket: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER.format(root=str(PKG_ROOT))],
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "SPACEHOST_GPU_MODE": "shared", "SPACEHOST_GPU_SOCKET": socket, **env},
    )


def test_two_spaces_are_served_in_turn(harness: Harness) -> None:
    procs = {
        space: [_worker(harness.socket(space)) for _ in range(2)]
        for space in ("alice/one", "bob/two")
    }
    spans = []
    for space, workers in procs.items():
        for p in workers:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            spans += [(space, begin, end) for begin, end in json.loads(out)]
    spans.sort(key=lambda s: s[1])
    assert len(spans) == 12
    for (_, _, end), (_, begin, _) in itertools.pairwise(spans):
        assert end <= begin + 0.01  # never two at once
    history = [h for h in harness.status()["history"] if h["outcome"] == "released"]
    assert [h["space"] for h in history].count("alice/one") == 6
    # once both spaces wait, grants alternate: no space is served twice in a row while the
    # other waits (each space's calls are back to back, so it always has one waiting)
    order = [h["space"] for h in sorted(history, key=lambda h: h["granted_at"])]
    middle = order[1:-2]
    assert all(a != b for a, b in itertools.pairwise(middle)), order


def test_a_killed_caller_gives_its_lease_back(harness: Harness) -> None:
    socket = harness.socket("alice/one")
    holder = _worker(socket, HOLD="60", CALLS="1")
    wait_for(lambda: harness.status()["leases"], what="the first lease")
    waiter = _worker(harness.socket("bob/two"), HOLD="0", CALLS="1")
    wait_for(lambda: harness.status()["queue"], what="the second call to queue")
    os.kill(holder.pid, signal.SIGKILL)
    holder.communicate(timeout=10)
    _, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 0, err
    outcomes = [h["outcome"] for h in harness.status()["history"]]
    assert outcomes[0] == "disconnected"


def test_a_restarted_broker_is_found_again(tmp_path: Path) -> None:
    limits = BrokerLimits(devices=("cpu",))
    first = Harness(tmp_path / "gpu", limits)
    socket = first.socket("alice/one")
    first.stop()
    second = Harness(tmp_path / "gpu", limits)  # start() listens again for alice/one
    try:
        assert second.status()["spaces"] == ["alice/one"]
        proc = _worker(socket, CALLS="1", HOLD="0")
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert second.status()["history"][-1]["space"] == "alice/one"
    finally:
        second.stop()


def test_a_call_that_waits_too_long_is_refused(tmp_path: Path) -> None:
    h = Harness(tmp_path / "gpu", BrokerLimits(devices=("cpu",), max_wait_s=0.5))
    try:
        holder = _worker(h.socket("alice/one"), HOLD="30", CALLS="1")
        wait_for(lambda: h.status()["leases"], what="the first lease")
        waiter = _worker(h.socket("bob/two"), HOLD="0", CALLS="1")
        _, err = waiter.communicate(timeout=30)
        assert waiter.returncode != 0 and "no GPU became free within 0.5 s" in err
        holder.kill()
        holder.communicate(timeout=10)
    finally:
        h.stop()
