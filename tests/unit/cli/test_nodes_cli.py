"""``spacehost nodes`` (table, ``--json``), ``nodes drain|activate NODE`` through
``spacehost.cli.main.main`` against the control plane's whole application on a real local
port, with an in-memory two-node swarm (tests/support/fake_nodes.py); the Docker backend's one
node refuses a drain clearly; ``/admin/nodes`` answers admins only."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import requests
from aiohttp.test_utils import TestServer

from spacehost.cli.main import main
from spacehost.runtime.nodes import NodeSource
from spacehost.server.control import make_app
from spacehost.store import HubStore
from tests.support.fake_nodes import WORKER, FakeNodes
from tests.support.platforms import platform_in

OPERATOR = "sh_operator-token"
Run = Callable[..., Awaitable[tuple[int, str, str]]]


def serve(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    nodes: NodeSource | None,
    scenario: Callable[[Run, str], Awaitable[None]],
) -> None:
    monkeypatch.setenv("SPACEHOST_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SPACEHOST_DATA_DIR", str(tmp_path / "no-data"))
    monkeypatch.setenv("SPACEHOST_TOKEN", OPERATOR)
    hub = HubStore(tmp_path / "hub")
    with platform_in(tmp_path / "platform") as platform:

        async def go() -> None:
            app = make_app(platform, OPERATOR, hub=hub, nodes=nodes)
            async with TestServer(app) as server:
                url = str(server.make_url("")).rstrip("/")
                monkeypatch.setenv("SPACEHOST_URL", url)

                async def run(*argv: str) -> tuple[int, str, str]:
                    monkeypatch.setattr("sys.stdin", io.StringIO(""))
                    capsys.readouterr()
                    code = await asyncio.to_thread(main, list(argv))
                    got = capsys.readouterr()
                    return code, got.out, got.err

                await scenario(run, url)

        asyncio.run(go())
    hub.close()


def test_nodes_table_json_drain_and_activate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def scenario(run: Run, url: str) -> None:
        code, out, _ = await run("nodes")
        assert code == 0
        lines = out.splitlines()
        assert lines[0] == "2 node(s), a swarm"
        assert lines[1].split()[:3] == ["HOSTNAME", "ID", "ROLE"]
        assert lines[2].startswith("manager-1") and "manager (leader)" in lines[2]
        worker = lines[3]
        for cell in ("worker-1", "w0rk3r000000", "ready", "active", "10.0.0.11", "16.0 GiB"):
            assert cell in worker, worker
        # the labels an operator set (SPACEHOST_SWARM_NODE_LABELS), not spacehost's own
        assert worker.endswith("gpu=2  zone=eu  20.10.24  acme/demo, job j1"), worker
        assert lines[2].split()[-3:] == ["-", "20.10.24", "-"]  # the manager: no labels

        code, out, _ = await run("nodes", "--json")
        answer = json.loads(out)
        assert answer["backend"] == "swarm"
        assert answer["nodes"][1]["workloads"][0] == {
            "kind": "space",
            "name": "acme/demo",
            "state": "running",
        }

        code, out, _ = await run("nodes", "drain", "worker-1")
        assert (code, out.strip()) == (
            0,
            "worker-1 (w0rk3r000000): drain (its spaces move to the other nodes)",
        )
        code, out, _ = await run("nodes", "--json")
        assert [n["availability"] for n in json.loads(out)["nodes"]] == ["active", "drain"]
        code, out, _ = await run("nodes", "activate", WORKER.id[:6])
        assert (code, out.strip()) == (0, "worker-1 (w0rk3r000000): active")

        code, _, err = await run("nodes", "drain", "nowhere")
        assert code == 4 and "'nowhere' is no node of the swarm" in err and "hint:" in err

        monkeypatch.delenv("SPACEHOST_TOKEN")
        code, _, err = await run("nodes")
        assert code == 3, err  # no token: unauthorized
        page = await asyncio.to_thread(requests.get, f"{url}/admin/nodes", timeout=10)
        assert page.status_code == 404  # the page tells a non-admin nothing

    serve(tmp_path, monkeypatch, capsys, FakeNodes(), scenario)


def test_the_docker_backend_is_one_node_that_cannot_be_drained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def scenario(run: Run, url: str) -> None:
        code, out, _ = await run("nodes", "--json")
        (node,) = json.loads(out)["nodes"]
        assert (node["role"], node["state"], node["availability"]) == ("manager", "ready", "active")
        assert node["cpus"] > 0 and node["memory_bytes"] > 0
        code, out, _ = await run("nodes")
        assert out.startswith("1 node(s), one machine (the Docker backend)")
        code, _, err = await run("nodes", "drain", node["hostname"])
        assert code == 2 and "no other node" in err and "SPACEHOST_RUNTIME=swarm" in err

    serve(tmp_path, monkeypatch, capsys, None, scenario)
