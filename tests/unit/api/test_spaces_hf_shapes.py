"""The Spaces API in the shapes huggingface_hub 2.x reads (aiohttp test server, fake engine):
each answer goes through the client's own parsing classes (``SpaceRuntime``,
``SpaceVariable``, ``JobHardwareInfo``), as ``HfApi`` would parse it. The unchanged client in
fresh processes, on the real engine, is tests/e2e/test_spaces_api_clients.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from huggingface_hub import SpaceRuntime, SpaceVariable
from huggingface_hub._jobs_api import JobHardwareInfo
from huggingface_hub.utils import parse_datetime

from spacehost.domain import HF_FLAVORS, GpuRequest, SpaceId
from spacehost.errors import HardwareUnavailable
from spacehost.lifecycle import Platform
from tests.fakes import FakeBackend
from tests.support.control_api import (
    AUTH,
    DEMO,
    DEMO_BASE,
    DEMO_FILES,
    HubCall,
    serve_api_responses,
)
from tests.support.platforms import platform_in
from tests.support.polling import wait_for

BASE = DEMO_BASE
CPU_FLAVORS = ["cpu-basic", "cpu-upgrade", "cpu-xl"]


def no_gpu_host(request: GpuRequest, hardware: str | None = None) -> list[str]:
    """The GPU check of a host without GPUs that refuses GPU spaces (SPACEHOST_GPU_FALLBACK
    off), as server/main.py's check_gpu answers there."""
    if request.wants_gpu and not request.shared:
        raise HardwareUnavailable("this host has no GPU", hint="run it on a GPU host")
    return ["runs on CPU"] if request.shared else []


@pytest.fixture()
def cpu_platform(tmp_path: Path) -> Iterator[Platform]:
    with platform_in(tmp_path, check_gpu=no_gpu_host) as p:
        p.push(DEMO, DEMO_FILES)
        assert p.wait_idle()
        yield p


def body_of(resp: ClientResponse) -> Any:
    assert resp._body is not None
    return json.loads(resp._body)


def test_restart_pause_sleeptime_answer_the_runtime(cpu_platform: Platform) -> None:
    async def scenario(call: HubCall) -> None:
        resp = await call("POST", f"{BASE}/restart", params={"factory": "true"}, headers=AUTH)
        runtime = SpaceRuntime(body_of(resp))
        assert resp.status == 202 and runtime.stage.startswith("RUNNING")
        assert runtime.requested_hardware == "cpu-basic" and body_of(resp)["factory"] is True
        resp = await call("POST", f"{BASE}/sleeptime", json={"seconds": 600}, headers=AUTH)
        assert SpaceRuntime(body_of(resp)).sleep_time == 600
        resp = await call("POST", f"{BASE}/pause", headers=AUTH)
        assert SpaceRuntime(body_of(resp)).stage == "PAUSED"

    serve_api_responses(cpu_platform, scenario)
    assert cpu_platform.wait_idle()


def test_variables_answer_the_whole_list_and_say_a_restart_in_a_header(
    cpu_platform: Platform,
) -> None:
    async def scenario(call: HubCall) -> None:
        resp = await call(
            "POST",
            f"{BASE}/variables",
            json={"key": "MODEL", "value": "small", "description": "which model"},
            headers=AUTH,
        )
        assert resp.status == 200 and resp.headers["X-Spacehost-Restarting"] == "1"
        got = {k: SpaceVariable(k, v) for k, v in body_of(resp).items()}
        assert (got["MODEL"].value, got["MODEL"].description) == ("small", "which model")
        assert got["MODEL"].updated_at is not None
        await call("POST", f"{BASE}/variables", json={"key": "B", "value": "2"}, headers=AUTH)
        resp = await call("DELETE", f"{BASE}/variables", json={"key": "MODEL"}, headers=AUTH)
        assert resp.status == 200 and list(body_of(resp)) == ["B"]
        resp = await call(
            "POST", f"{BASE}/secrets", json={"key": "T", "value": "v", "description": "d"}
        )
        assert resp.status == 401 and resp.headers["X-Error-Message"]
        resp = await call(
            "POST",
            f"{BASE}/secrets",
            json={"key": "T", "value": "v", "description": "d"},
            headers=AUTH,
        )
        assert resp.status == 200 and "X-Spacehost-Restarting" in resp.headers
        resp = await call("GET", f"{BASE}/secrets", headers=AUTH)
        assert body_of(resp)["T"]["description"] == "d"

    serve_api_responses(cpu_platform, scenario)
    assert cpu_platform.wait_idle()


def test_hardware_lists_what_this_host_gives_and_refuses_the_rest(
    cpu_platform: Platform,
) -> None:
    async def scenario(call: HubCall) -> None:
        resp = await call("GET", "/api/spaces/hardware")  # no token: it names no space
        listed = [JobHardwareInfo(**h) for h in body_of(resp)]
        assert [h.name for h in listed] == CPU_FLAVORS
        assert listed[0].pretty_name == "CPU Basic" and listed[0].accelerator is None
        assert listed[0].cpu.endswith("vCPU") and listed[0].ram.endswith("GB")
        assert listed[0].unit_cost_usd == 0
        resp = await call("POST", f"{BASE}/hardware", json={"flavor": "cpu-upgrade"}, headers=AUTH)
        assert resp.status == 200 and SpaceRuntime(body_of(resp)).stage == "RUNNING"
        resp = await call(
            "POST",
            f"{BASE}/hardware",
            json={"flavor": "cpu-basic", "sleepTimeSeconds": 900},
            headers=AUTH,
        )
        assert SpaceRuntime(body_of(resp)).sleep_time == 900
        resp = await call("POST", f"{BASE}/hardware", json={"flavor": "t4-small"}, headers=AUTH)
        error = body_of(resp)["error"]
        assert resp.status == 409 and error["code"] == "hardware_unavailable"
        assert "cannot give t4-small" in resp.headers["X-Error-Message"]
        assert "cpu-basic, cpu-upgrade, cpu-xl" in error["message"]
        resp = await call("POST", f"{BASE}/hardware", json={"flavor": "warp-9"}, headers=AUTH)
        assert resp.status == 400 and "not a hardware flavor" in body_of(resp)["error"]["message"]
        resp = await call("POST", f"{BASE}/hardware", json={"flavor": "cpu-basic"})
        assert resp.status == 401
        resp = await call(
            "POST", "/api/spaces/alice/nope/hardware", json={"flavor": "cpu-basic"}, headers=AUTH
        )
        assert resp.status == 404 and resp.headers["X-Error-Code"] == "RepoNotFound"

    serve_api_responses(cpu_platform, scenario)


def test_a_gpu_host_lists_gpu_flavors_and_a_cpu_space_needs_a_push_for_one(
    tmp_path: Path,
) -> None:
    inventory = [{"name": "NVIDIA H100", "memory_total_mib": 81559}]
    with platform_in(tmp_path) as p:  # no GPU check: every flavor passes
        p.gpus.inventory = lambda: inventory
        p.push(DEMO, DEMO_FILES)
        assert p.wait_idle()

        async def scenario(call: HubCall) -> None:
            answer = body_of(await call("GET", "/api/spaces/hardware"))
            listed = {h["name"]: JobHardwareInfo(**h) for h in answer}
            assert list(listed) == list(HF_FLAVORS)
            t4 = listed["t4-small"].accelerator
            assert t4 is not None
            assert (t4.model, t4.quantity, t4.vram) == ("NVIDIA H100", "1", "80 GB")
            assert listed["a100x4"].pretty_name == "4x Nvidia A100 - large"
            resp = await call("POST", f"{BASE}/hardware", json={"flavor": "t4-small"}, headers=AUTH)
            error = body_of(resp)["error"]
            assert resp.status == 409 and "runs on cpu-basic" in error["message"]
            assert "suggested_hardware: t4-small" in error["hint"]

        serve_api_responses(p, scenario)


def test_duplicate_takes_hf_options_and_answers_url_also_when_it_exists(
    cpu_platform: Platform,
) -> None:
    copy = SpaceId("bob", "copy")

    async def scenario(call: HubCall) -> None:
        body = {
            "repository": "bob/copy",
            "visibility": "private",
            "hardware": "cpu-basic",
            "sleepTimeSeconds": 7200,
            "secrets": [{"key": "TOKEN", "value": "s3cret", "description": "api"}],
            "variables": [{"key": "MODE", "value": "fast", "description": "how"}],
        }
        resp = await call("POST", f"{BASE}/duplicate", json=body, headers=AUTH)
        assert resp.status == 202, body_of(resp)
        assert body_of(resp)["url"].endswith("/spaces/bob/copy")
        assert body_of(resp)["secrets_needing_values"] == []
        resp = await call("POST", f"{BASE}/duplicate", json=body, headers=AUTH)
        assert resp.status == 409 and body_of(resp)["url"].endswith("/spaces/bob/copy")
        assert "already exists" in resp.headers["X-Error-Message"]
        for bad, words in (
            ({"repository": "bob/c2", "hardware": "a100x8"}, "cannot give a100x8"),
            ({"repository": "bob/c2", "secrets": "TOKEN=x"}, '"secrets" must be a list'),
            ({"repository": "bob/c2", "variables": [{"key": "1X", "value": "v"}]}, "1X"),
            ({"repository": "bob/c2", "sleepTimeSeconds": "soon"}, "sleepTimeSeconds"),
            ({"repository": "bob/c2", "volumes": [{"type": "bucket"}]}, "volumes"),
        ):
            resp = await call("POST", f"{BASE}/duplicate", json=bad, headers=AUTH)
            assert 400 <= resp.status < 500 and words in body_of(resp)["error"]["message"], bad

    serve_api_responses(cpu_platform, scenario)
    assert cpu_platform.wait_idle()
    assert cpu_platform.is_private(copy)
    assert cpu_platform.store.get_space(copy).sleep_time == 7200
    assert [(v.key, v.value, v.description) for v in cpu_platform.config.variables(copy)] == [
        ("MODE", "fast", "how")
    ]
    assert [s.key for s in cpu_platform.config.secrets(copy)] == ["TOKEN"]
    assert cpu_platform.store.find_space(SpaceId("bob", "c2")) is None


async def sse_events(resp: ClientResponse, until: str | None = None) -> list[dict[str, Any]]:
    """The ``data: {...}`` events of an SSE answer, to its end or to the first whose data
    holds *until*."""
    events = []
    async for raw in resp.content:
        line = raw.decode()
        if line.startswith("data: {"):
            events.append(json.loads(line[len("data: ") :]))
            if until is not None and until in events[-1]["data"]:
                break
    return events


def test_logs_stream_as_hugging_face_sends_them(tmp_path: Path) -> None:
    backend = FakeBackend()
    with platform_in(tmp_path, backend) as p:
        p.push(DEMO, DEMO_FILES)
        assert p.wait_idle()
        cid = p.store.get_space(DEMO).container_id
        assert cid is not None
        backend.containers[cid].write("app: ready")
        wait_for(lambda: p.store.logs(DEMO, "run"), timeout=10, what="the run log")

        async def scenario(call: HubCall) -> None:
            resp = await call("GET", f"{BASE}/logs/build", stream=True)  # ends with its build
            assert resp.status == 200 and resp.headers["Content-Type"] == "text/event-stream"
            events = await asyncio.wait_for(sse_events(resp), 10)
            assert [e["data"] for e in events] == [
                "Step 1/2 : FROM spacehost/gradio\n",
                "Step 2/2 : COPY app\n",
            ]
            assert all(parse_datetime(e["timestamp"]) for e in events)
            resp = await call("GET", f"{BASE}/logs/run", stream=True)  # follows: never ends
            first = await asyncio.wait_for(sse_events(resp, until="ready"), 10)
            assert first[-1]["data"] == "app: ready\n"
            backend.containers[cid].write("app: a visitor came")
            later = await asyncio.wait_for(sse_events(resp, until="visitor"), 10)
            assert later[-1]["data"] == "app: a visitor came\n"
            resp.close()
            resp = await call("GET", "/api/spaces/alice/nope/logs/run")
            assert resp.status == 404 and resp.headers["X-Error-Code"] == "RepoNotFound"

        serve_api_responses(p, scenario)


def test_dev_mode_is_refused_by_name(cpu_platform: Platform) -> None:
    async def scenario(call: HubCall) -> None:
        for method, path, words in (("POST", "/dev-mode", "dev mode is not offered"),):
            resp = await call(method, BASE + path, json={}, headers=AUTH)
            assert resp.status == 501 and words in resp.headers["X-Error-Message"]
            assert body_of(resp)["error"]["hint"]
            resp = await call(method, "/api/spaces/alice/nope" + path, json={}, headers=AUTH)
            assert resp.status == 404 and resp.headers["X-Error-Code"] == "RepoNotFound"

    serve_api_responses(cpu_platform, scenario)
