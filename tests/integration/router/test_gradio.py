"""A real Gradio 6 app behind the router, through both URL styles.

This is the proof of the X-Forwarded-Host quirk: Gradio builds its root URL from that header
alone, and the browser frontend uses that root for every API call and file URL. Without the
prefix appended for path routes, ``/config`` would say ``root: http://host`` and output files
would be served at ``http://host/gradio_api/file=...``, which is not the space. (``gradio_client``
builds its URLs from the address it was given, so it works either way; it is checked too, for the
queue and SSE path it takes.)
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from gradio_client import Client

from spacehost.router.table import RouteEntry
from tests.support.polling import wait_for
from tests.support.ports import free_port
from tests.support.router_harness import DOMAIN, aio, harness

APP = textwrap.dedent(
    """
    import pathlib

    import gradio as gr

    def greet(name):
        # Gradio serves returned files at {{root}}/gradio_api/file=..., root being the URL it
        # derives from X-Forwarded-Host; gradio_client downloads from exactly that URL.
        path = pathlib.Path("greeting.txt").resolve()
        path.write_text("file for " + name)
        return "Hello " + name + "!", str(path)

    gr.Interface(fn=greet, inputs="text", outputs=["text", "file"]).launch(
        server_name="127.0.0.1", server_port={port}, ssr_mode=False
    )
    """
)


def _listening(port: int, proc: subprocess.Popen[bytes]) -> bool:
    assert proc.poll() is None, f"the Gradio app exited with {proc.returncode}"
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def gradio_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    app = tmp_path_factory.mktemp("gradio") / "app.py"
    app.write_text(APP.format(port=port))
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(app)],
        cwd=app.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _listening(port, proc), timeout=120, what="the Gradio app")
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def wildcard_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve ``*.spaces.test`` to loopback, as a wildcard DNS record would."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith("." + DOMAIN):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _predict(url: str, download_dir: Path) -> tuple[str, str]:
    client = Client(url, verbose=False, download_files=str(download_dir))
    try:
        text, path = client.predict("World", api_name="/greet")
    finally:
        client.close()
    return text, Path(path).read_text()


async def _queue_predict(session: aiohttp.ClientSession, url: str, name: str) -> Any:
    async with session.get(url + "config") as resp:
        config = await resp.json()
    dependency = config["dependencies"][0]
    join = {
        "data": [name],
        "fn_index": dependency["id"],
        "trigger_id": dependency["targets"][0][0],
        "session_hash": "routertest",
        "event_data": None,
    }
    async with session.post(url + "gradio_api/queue/join", json=join) as resp:
        assert resp.status == 200, await resp.text()
    async with session.get(url + "gradio_api/queue/data?session_hash=routertest") as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        async for line in resp.content:
            if line.startswith(b"data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    assert message["success"], message
                    return message["output"]["data"]
    raise AssertionError("the event stream ended without process_completed")


@aio
async def test_gradio_through_both_url_styles(
    gradio_port: int, wildcard_dns: None, tmp_path: Path
) -> None:
    async with harness() as h:
        upstream = f"127.0.0.1:{gradio_port}"
        h.publish(RouteEntry("alice/greeter", "gradio", "RUNNING", upstream=upstream))
        path_url = f"http://127.0.0.1:{h.port}/spaces/alice/greeter/"
        host_url = f"http://alice-greeter.{DOMAIN}:{h.port}/"

        async with aiohttp.ClientSession() as session:
            for url, root in [
                (path_url, f"http://127.0.0.1:{h.port}/spaces/alice/greeter"),
                (host_url, f"http://alice-greeter.{DOMAIN}:{h.port}"),
            ]:
                async with session.get(url + "config") as resp:
                    assert resp.status == 200
                    assert resp.headers["Content-Security-Policy"] == "frame-ancestors *"
                    assert (await resp.json())["root"] == root
                async with session.get(url) as resp:
                    assert resp.status == 200
                    assert "text/html" in resp.headers["Content-Type"]

            # As the browser does: join the queue, follow the SSE stream, fetch the output file
            # from the URL Gradio hands out (built from its root URL).
            for url, root in [
                (path_url, f"http://127.0.0.1:{h.port}/spaces/alice/greeter"),
                (host_url, f"http://alice-greeter.{DOMAIN}:{h.port}"),
            ]:
                output = await _queue_predict(session, url, "Ada")
                assert output[0] == "Hello Ada!"
                assert output[1]["url"].startswith(root + "/gradio_api/file=")
                async with session.get(output[1]["url"]) as resp:
                    assert await resp.text() == "file for Ada"

        # gradio_client: predict through the queue (POST .../queue/join, then SSE).
        for i, url in enumerate((path_url, host_url)):
            result = await asyncio.to_thread(_predict, url, tmp_path / str(i))
            assert result == ("Hello World!", "file for World")


def test_gradio_app_file_is_valid_python(tmp_path: Path) -> None:
    compile(APP.format(port=1), "app.py", "exec")
