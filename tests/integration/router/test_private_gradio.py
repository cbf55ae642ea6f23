"""A private Gradio 6 space behind the router, called by an unchanged ``gradio_client`` in a
fresh process: with ``token=`` (sent as ``X-HF-Authorization``, and as ``Authorization`` for
file downloads) it predicts and downloads on both URL styles; without one the space is not
there; and the app itself never sees the token (it reports the request headers it got).
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

import pytest

from spacehost.router.table import RouteEntry
from tests.support.access_control import AccessControl, serve_access_control
from tests.support.polling import wait_for
from tests.support.ports import free_port
from tests.support.router_harness import DOMAIN, aio, harness

TOKEN = "hf_alice_reads_greeter"

APP = textwrap.dedent(
    """
    import pathlib

    import gradio as gr

    def greet(name, request: gr.Request):
        headers = {{k.lower(): v for k, v in request.headers.items()}}
        seen = [k for k in ("authorization", "x-hf-authorization") if k in headers]
        if "spacehost_" in headers.get("cookie", ""):
            seen.append("cookie")
        path = pathlib.Path("greeting.txt").resolve()
        path.write_text("file for " + name)
        return "Hello " + name + "! credentials seen: " + ",".join(seen), str(path)

    gr.Interface(fn=greet, inputs="text", outputs=["text", "file"]).launch(
        server_name="127.0.0.1", server_port={port}, ssr_mode=False
    )
    """
)

# A fresh process, as a user's script: *.spaces.test resolves to loopback (a wildcard DNS
# record's job), no saved token is found (HF_HOME is empty), and the result is printed as JSON.
CLIENT = textwrap.dedent(
    """
    import json, pathlib, socket, sys

    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".{domain}"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    from gradio_client import Client

    url, token, out = sys.argv[1], sys.argv[2] or None, sys.argv[3]
    client = Client(url, token=token, verbose=False, download_files=out, analytics_enabled=False)
    text, path = client.predict("World", api_name="/greet")
    client.close()
    print(json.dumps([text, pathlib.Path(path).read_text()]))
    """
).format(domain=DOMAIN)


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


async def _client(url: str, token: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    tmp.mkdir(parents=True, exist_ok=True)
    script = tmp / "client.py"
    script.write_text(CLIENT)
    home = tmp / "hf-home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HF_HOME": str(home), "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("HF_TOKEN", None)
    out = tmp / "downloads"
    cmd = [sys.executable, str(script), url, token, str(out)]
    # a thread: the router and the control plane run on this test's loop meanwhile
    return await asyncio.to_thread(
        subprocess.run, cmd, env=env, capture_output=True, text=True, timeout=120
    )


@aio
async def test_gradio_client_with_a_token_reaches_a_private_space_that_never_sees_it(
    gradio_port: int, tmp_path: Path
) -> None:
    async with harness(control=False) as h:
        ac = AccessControl(allowed={"alice/greeter": {TOKEN}})
        socket_path = str(h.router.ctx.settings.control_socket)
        h.cleanups.append(await serve_access_control(socket_path, ac))
        entry = RouteEntry(
            "alice/greeter", "gradio", "RUNNING", upstream=f"127.0.0.1:{gradio_port}", private=True
        )
        h.publish(entry)
        urls = (
            f"http://127.0.0.1:{h.port}/spaces/alice/greeter/",
            f"http://alice-greeter.{DOMAIN}:{h.port}/",
        )
        results: list[Any] = []
        for i, url in enumerate(urls):
            done = await _client(url, TOKEN, tmp_path / f"ok{i}")
            assert done.returncode == 0, done.stderr[-3000:]
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        assert results == [["Hello World! credentials seen: ", "file for World"]] * 2
        checks = len(ac.checks)
        # one check for all of it (config, queue, SSE, download; both URL styles), or two if
        # a gradio_client sends the download's token as Authorization rather than X-HF-…
        assert 1 <= checks <= 2

        for i, url in enumerate(urls):
            refused = await _client(url, "", tmp_path / f"no{i}")
            assert refused.returncode != 0
            assert "Could not fetch config" in refused.stderr, refused.stderr[-3000:]
        assert len(ac.checks) == checks  # no credential: refused without asking
