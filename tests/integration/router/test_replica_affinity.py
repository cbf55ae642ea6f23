"""A space served by three real Gradio processes behind the router: sticky sessions, spread,
a replica killed under load, and a flood of made-up session hashes.

Gradio keeps each session's queue and ``gr.State`` in the process that serves it, so the app
answers with its process id and the session's own call count: a session whose calls reach two
processes sees its count start again (docs/cluster.md#replicas-and-gradio-sessions).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from gradio_client import Client, handle_file

from spacehost.atomicfile import replacing
from spacehost.router.sessionmap import SessionMap
from tests.support.polling import wait_for, wait_for_async
from tests.support.ports import free_port
from tests.support.router_harness import Harness, aio, harness

APP = textwrap.dedent(
    """
    import os
    import pathlib
    import time
    import uuid

    import gradio as gr

    def step(pause, count):
        time.sleep(pause)
        count = (count or 0) + 1
        answer = f"{{os.getpid()}}:{{count}}"
        made = pathlib.Path(f"made-{{uuid.uuid4().hex}}.txt").resolve()
        made.write_text(answer)  # a file this session made, served by this process only
        return answer, str(made), count

    def read(path):
        return f"{{os.getpid()}}:" + pathlib.Path(path).read_text()

    with gr.Blocks() as demo:
        pause = gr.Number(value=0)
        out = gr.Textbox()
        made = gr.File()
        count = gr.State(0)
        gr.Button().click(step, [pause, count], [out, made, count], api_name="step")
        upload = gr.File()
        seen = gr.Textbox()
        gr.Button().click(read, [upload], [seen], api_name="read")

    demo.queue(default_concurrency_limit=8).launch(
        server_name="127.0.0.1", server_port={port}, ssr_mode=False
    )
    """
)
SPACE = "alice/replicated"
CALL_TIMEOUT_S = 20


class Replica:
    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.proc = proc
        self.port = port

    @property
    def upstream(self) -> str:
        return f"127.0.0.1:{self.port}"

    def listening(self) -> bool:
        assert self.proc.poll() is None, f"the Gradio app exited with {self.proc.returncode}"
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Replica]]:
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    started: list[Replica] = []
    try:
        for _ in range(3):
            port = free_port()
            app = tmp_path_factory.mktemp("replica") / "app.py"
            app.write_text(APP.format(port=port))
            proc = subprocess.Popen(
                [sys.executable, str(app)],
                cwd=app.parent,
                env={**env, "GRADIO_TEMP_DIR": str(app.parent / "tmp")},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            started.append(Replica(proc, port))
        wait_for(lambda: all(r.listening() for r in started), timeout=180, what="3 Gradio apps")
        yield started
    finally:
        for r in started:
            r.stop()


def publish_replicas(h: Harness, upstreams: list[str]) -> None:
    """The route table as the control plane writes it for a space with replicas (format
    version 1: ``upstream`` is the first replica, ``replicas`` lists them all)."""
    entry = {"space": SPACE, "sdk": "gradio", "stage": "RUNNING", "upstream": upstreams[0]}
    entry["replicas"] = upstreams  # type: ignore[assignment]
    with replacing(h.data / "run" / "routes.json") as f:
        f.write(json.dumps({"version": 1, "spaces": [entry]}).encode())
    h.router.ctx.routes.refresh()


def call(client: Client, pause: float) -> object:
    """One call: ``"pid:count"`` once the file it made was downloaded and says the same (a
    file of the session, from the replica that made it), else the exception it ended with."""
    try:
        answer, made = client.submit(pause, api_name="/step").result(CALL_TIMEOUT_S)
        downloaded = Path(made).read_text()
    except Exception as exc:  # a failed call is what the test counts
        return exc
    return answer if downloaded == answer else AssertionError(f"{made}: {downloaded}")


def run_session(url: str, calls: int, pause: float, downloads: Path) -> list[object]:
    """One gradio_client session: *calls* calls in turn."""
    client = Client(url, verbose=False, download_files=str(downloads / uuid.uuid4().hex))
    try:
        return [call(client, pause) for _ in range(calls)]
    finally:
        client.close()


def upload_and_read(url: str, calls: int, downloads: Path) -> tuple[list[object], str]:
    """A session that makes *calls* calls, then uploads a file (gradio_client uploads it before
    joining the queue, naming no session) and has it read back: ``"pid:content"``."""
    folder = downloads / uuid.uuid4().hex
    folder.mkdir()
    client = Client(url, verbose=False, download_files=str(folder))
    try:
        answers = [call(client, 0) for _ in range(calls)]
        sent = folder / "upload.txt"
        sent.write_text(uuid.uuid4().hex)
        read = client.submit(handle_file(str(sent)), api_name="/read").result(CALL_TIMEOUT_S)
        return answers, f"{read}" if read.endswith(sent.read_text()) else f"wrong: {read}"
    finally:
        client.close()


def parse(answer: object) -> tuple[int, int] | None:
    if not isinstance(answer, str):
        return None
    pid, count = answer.split(":")
    return int(pid), int(count)


@aio
async def test_sessions_stay_on_their_replica_and_new_ones_spread(
    replicas: list[Replica], tmp_path: Path
) -> None:
    async with harness() as h:
        publish_replicas(h, [r.upstream for r in replicas])
        url = f"http://127.0.0.1:{h.port}/spaces/{SPACE}/"
        sessions = await asyncio.gather(
            *(asyncio.to_thread(upload_and_read, url, 3, tmp_path) for _ in range(9))
        )
    pids = {r.proc.pid for r in replicas}
    per_session = []
    for answers, read in sessions:
        got = [parse(a) for a in answers]
        assert None not in got, answers
        assert [count for _, count in got] == [1, 2, 3], answers  # gr.State kept each time
        assert len({pid for pid, _ in got}) == 1, answers  # one replica answered them all
        assert read.startswith(f"{got[0][0]}:"), read  # and had the file it uploaded
        per_session.append(got[0][0])
    assert set(per_session) == pids  # new sessions spread over all three
    assert sorted(per_session.count(p) for p in pids) == [3, 3, 3]  # in turn


@aio
async def test_a_file_is_found_on_its_replica_without_the_cookie(replicas: list[Replica]) -> None:
    # a client that keeps no cookie (a shared link, curl): each replica is asked in turn
    async with harness() as h:
        publish_replicas(h, [r.upstream for r in replicas])
        url = f"http://127.0.0.1:{h.port}/spaces/{SPACE}/"

        def made_files() -> list[tuple[str, str]]:
            client = Client(url, verbose=False, download_files=False)
            try:
                return [client.predict(0, api_name="/step")[:2] for _ in range(3)]
            finally:
                client.close()

        files = [f for batch in await asyncio.gather(
            *(asyncio.to_thread(made_files) for _ in range(3))
        ) for f in batch]  # fmt: skip
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            for answer, made in files * 2:
                path = made["path"] if isinstance(made, dict) else made
                async with http.get(f"{url}gradio_api/file={path}") as resp:
                    assert (resp.status, await resp.text()) == (200, answer)
                    assert "spacehost_replica=" in resp.headers.get("Set-Cookie", "")


@aio
async def test_a_flood_of_made_up_session_hashes_stays_bounded(replicas: list[Replica]) -> None:
    async with harness() as h:
        loop = asyncio.get_running_loop()
        memory = SessionMap(loop.time, probation=64, protected=64)
        h.router.ctx.replicas.sessions = memory
        publish_replicas(h, [r.upstream for r in replicas])
        base = f"http://127.0.0.1:{h.port}/spaces/{SPACE}/gradio_api/queue/status"
        async with aiohttp.ClientSession() as http:

            async def named(session: str) -> int:
                async with http.get(f"{base}?session_hash={session}") as resp:
                    assert resp.status == 200
                return len(memory)

            real = [f"real-{i}" for i in range(3)]
            for session in real * 2:  # seen twice: in use
                await named(session)
            bound = {s: memory.get(f"{SPACE}\0{s}") for s in real}
            sizes = []
            for _ in range(20):
                made_up = [uuid.uuid4().hex for _i in range(50)]
                sizes += await asyncio.gather(*(named(s) for s in made_up))
            assert max(sizes) <= 128
            # the sessions in use kept their replica through 1000 made-up ones
            assert {s: memory.get(f"{SPACE}\0{s}") for s in real} == bound
            assert None not in bound.values()


@aio
async def test_rest_api_calls_find_their_event_without_the_cookie(
    replicas: list[Replica],
) -> None:
    # Gradio's REST API (curl): POST .../call/step answers an event id, whose result stream
    # only the replica that queued it can give
    async with harness() as h:
        publish_replicas(h, [r.upstream for r in replicas])
        base = f"http://127.0.0.1:{h.port}/spaces/{SPACE}/gradio_api/call/step"
        timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT_S)
        async with aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar(), timeout=timeout
        ) as http:
            for _ in range(6):
                async with http.get(f"http://127.0.0.1:{h.port}/spaces/{SPACE}/config"):
                    pass  # another visitor's request in between: the turns move on
                async with http.post(base, json={"data": [0]}) as resp:
                    event = (await resp.json())["event_id"]
                async with http.get(f"{base}/{event}") as resp:
                    stream = await resp.text()
                assert "event: complete" in stream, stream


@aio
async def test_killing_a_replica_fails_only_its_sessions(
    replicas: list[Replica], tmp_path: Path
) -> None:
    async with harness() as h:
        publish_replicas(h, [r.upstream for r in replicas])
        url = f"http://127.0.0.1:{h.port}/spaces/{SPACE}/"
        victim = replicas[1]
        opened = await asyncio.gather(
            *(asyncio.to_thread(_open_session, url, tmp_path) for _ in range(6))
        )
        # every session answered its first call; load them, and kill one replica mid-way
        rest: list[list[object]] = [[] for _ in opened]
        loads = [
            asyncio.to_thread(_continue_session, client, 4, 0.3, answers)
            for (client, _), answers in zip(opened, rest, strict=True)
        ]
        running = asyncio.gather(*loads)
        await wait_for_async(lambda: all(rest), timeout=CALL_TIMEOUT_S, what="a call of each")
        os.kill(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait(10)
        await running
        after = await asyncio.gather(
            *(asyncio.to_thread(run_session, url, 2, 0.0, tmp_path) for _ in range(4))
        )
    on_victim = [first == victim.proc.pid for _, first in opened]
    failed = [any(parse(a) is None for a in answers) for answers in rest]
    assert on_victim.count(True) == 2
    assert failed == on_victim, rest  # exactly the sessions on the killed replica failed
    survivors = {replicas[0].proc.pid, replicas[2].proc.pid}
    for answers in after:  # new sessions are served by the two left
        got = [parse(a) for a in answers]
        assert None not in got, answers
        assert {pid for pid, _ in got} <= survivors


def _open_session(url: str, downloads: Path) -> tuple[Client, int]:
    client = Client(url, verbose=False, download_files=str(downloads / uuid.uuid4().hex))
    got = parse(call(client, 0))
    assert got is not None and got[1] == 1
    return client, got[0]


def _continue_session(client: Client, calls: int, pause: float, answers: list[object]) -> None:
    try:
        for _ in range(calls):
            answers.append(call(client, pause))
    finally:
        client.close()
