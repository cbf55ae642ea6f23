"""The Use-via-API tab against real spaces, as outsiders met it (issue 11):

- C16: each snippet, copied from the page in real Chromium exactly as shown, runs in a fresh
  process (Python with gradio_client, bash with curl) and gets the app's answer -- a text, an
  image and a chatbot example, offline;
- A4: a hostile space (a real container whose app answers what it likes) cannot make the tab
  fetch a host-only port by redirecting, cannot tell open ports from closed ones by the error,
  cannot grow the control plane's memory with a huge answer, and cannot make a pasted snippet
  run a command with the names in its ``/gradio_api/info``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page

from tests.e2e.chromium import BROWSER_TESTS
from tests.e2e.conftest import ROOT, Running
from tests.support.polling import wait_for

pytestmark = BROWSER_TESTS

EXAMPLES = {  # the same names as test_browser.py's: pushed once a session
    "e2e/b-hello": ("hello", "Hello, Hello!!"),
    "e2e/b-image-filter": ("image-filter", ".png"),
    "e2e/b-chatbot": ("chatbot", "You said"),
}
HOSTILE = "e2e/hostile-api"

# A "gradio" space whose app is a plain HTTP server answering what the test sets (/set?mode=).
HOSTILE_APP = r"""
import json, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"mode": "evil", "to": ""}
NAMES = ["/x$(touch pwned-1)", "/x`touch pwned-2`", "/x'; touch pwned-3; '",
         '/x"; touch pwned-4; "', "/x\ntouch pwned-5\n"]
PARAM = {"label": "p", "python_type": {"type": "str"}, "component": "Textbox",
         "example_input": "$(touch pwned-6) `touch pwned-7` '; touch pwned-8; '"}
EVIL = {"named_endpoints": {n: {"parameters": [
    dict(PARAM, parameter_name="x=__import__('os').system('touch pwned-9'),y"),
    dict(PARAM, parameter_name="q")], "returns": []} for n in NAMES}}


class Handler(BaseHTTPRequestHandler):
    def send(self, status, body, **headers):
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.endswith("/set"):
            q = urllib.parse.parse_qs(url.query)
            STATE["mode"], STATE["to"] = q["mode"][0], q.get("to", [""])[0]
            return self.send(200, b"set")
        if url.path != "/gradio_api/info":
            return self.send(200, b"<!doctype html><title>hostile</title>ok")
        if STATE["mode"] == "redirect":
            return self.send(302, b"", Location=STATE["to"])
        if STATE["mode"] == "huge":  # 1 GiB, no length, until the reader hangs up
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"named_endpoints": {"/a": "')
            block = b"a" * (1 << 20)
            try:
                for _ in range(1024):
                    self.wfile.write(block)
            except OSError:
                pass
            return
        self.send(200, json.dumps(EVIL).encode(), Content_Type="application/json")

    do_POST = do_GET

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", 7860), Handler).serve_forever()
"""


@pytest.fixture(scope="module")
def spaces(platform: Running, tmp_path_factory: pytest.TempPathFactory) -> Running:
    for space, (folder, _) in EXAMPLES.items():
        platform.cli("push", str(ROOT / "spaces" / folder), "--name", space, check=True)
    hostile = tmp_path_factory.mktemp("hostile-api")
    (hostile / "README.md").write_text("---\ntitle: Hostile API\nsdk: gradio\n---\n")
    (hostile / "app.py").write_text(HOSTILE_APP)
    platform.cli("push", str(hostile), "--name", HOSTILE, check=True)
    return platform


def snippets(page: Page, url: str, kind: str) -> list[str]:
    """The *kind* ("python" or "curl") snippets of the API tab at *url*, as the copy button
    copies them (the text of each ``<pre>``)."""
    page.goto(url)
    found = page.locator(f"pre[id^=api-{kind}-]")
    return [found.nth(i).text_content() or "" for i in range(found.count())]


def run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and not k.startswith(("HF_", "GRADIO_"))
    }
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("space", list(EXAMPLES))
def test_snippets_work_as_pasted_from_the_page(
    spaces: Running, page: Page, tmp_path: Path, space: str
) -> None:
    expected = EXAMPLES[space][1]
    url = f"{spaces.url}/spaces/{space}?tab=api"
    (python,) = snippets(page, url, "python")
    assert f'Client("{spaces.url}/spaces/{space}/")' in python  # the page's own address
    assert "github" not in python and "localhost" not in python
    done = run([sys.executable, "-c", python], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert expected in done.stdout, done.stdout
    (curl,) = snippets(page, url, "curl")
    done = run(["bash", "-c", curl], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "event: complete" in done.stdout, done.stdout + done.stderr
    if space.endswith("image-filter"):  # the uploaded example came back filtered
        assert "/gradio_api/file=" in done.stdout or ".png" in done.stdout, done.stdout


def set_mode(platform: Running, mode: str, to: str = "") -> None:
    resp = requests.get(
        f"{platform.url}/spaces/{HOSTILE}/set", params={"mode": mode, "to": to}, timeout=10
    )
    assert resp.text == "set"


@pytest.fixture
def host_only() -> Iterator[tuple[int, list[str]]]:
    """A service on the host's loopback that a space must not reach through the tab."""
    seen: list[str] = []

    class Secret(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = json.dumps({"named_endpoints": {"/secret-found": {}}}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Secret)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def tab_note(page: Page, platform: Running) -> str:
    page.goto(f"{platform.url}/spaces/{HOSTILE}?tab=api")
    return page.locator("#tab-api").inner_text()


def test_a_redirect_to_a_host_port_is_not_followed_and_errors_are_all_alike(
    spaces: Running, page: Page, host_only: tuple[int, list[str]]
) -> None:
    port, seen = host_only
    notes = []
    for target in (f"http://127.0.0.1:{port}/gradio_api/info", "http://127.0.0.1:1/x"):
        set_mode(spaces, "redirect", target)
        notes.append(tab_note(page, spaces))
    assert "secret-found" not in notes[0] and seen == []
    assert notes[0] == notes[1]  # an open and a closed port look the same
    assert "did not describe its API" in notes[0]


def peak_rss_kib(platform: Running) -> int:
    pid = (platform.data_dir / "run" / "control.pid").read_text().split()[0]
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(ln for ln in status.splitlines() if ln.startswith("VmHWM")).split()[1])


def test_a_huge_answer_is_cut_at_the_cap_and_memory_stays_bounded(
    spaces: Running, page: Page
) -> None:
    set_mode(spaces, "huge")
    before = peak_rss_kib(spaces)
    for _ in range(2):
        assert "did not describe its API" in tab_note(page, spaces)
    grown_mib = (peak_rss_kib(spaces) - before) / 1024
    print(f"control plane peak RSS growth over two views of a 1 GiB answer: {grown_mib:.1f} MiB")
    assert grown_mib < 64, f"the control plane's peak grew {grown_mib:.0f} MiB"


def test_pasted_snippets_of_a_hostile_info_run_no_command(
    spaces: Running, page: Page, tmp_path: Path
) -> None:
    set_mode(spaces, "evil")
    url = f"{spaces.url}/spaces/{HOSTILE}?tab=api"
    wait_for(lambda: bool(snippets(page, url, "curl")), timeout=30, what="the hostile tab")
    curls, pythons = snippets(page, url, "curl"), snippets(page, url, "python")
    assert len(curls) == len(pythons) == 5
    for text in curls:
        run(["bash", "-c", text], tmp_path, timeout=30)
    for text in pythons:
        run([sys.executable, "-c", text], tmp_path, timeout=60)
    assert sorted(p.name for p in tmp_path.iterdir() if "pwned" in p.name) == []


def test_gradio_client_finds_a_space_by_its_id(spaces: Running, tmp_path: Path) -> None:
    """``Client("owner/name")`` with HF_ENDPOINT at the platform, as on Hugging Face: it reads
    ``host`` from huggingface_hub's space_info (the path-style URL, which Python resolves)."""
    code = (
        "from gradio_client import Client\n"
        "print(Client('e2e/b-hello', verbose=False).predict('Id', api_name='/greet'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "HF_ENDPOINT": spaces.url,
            "HF_HUB_OFFLINE": "0",
            "HF_HOME": str(tmp_path / "hf"),
        },
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Hello, Id!" in done.stdout
