"""``sdk: docker`` spaces that start FROM public bases on a host with no registry (issue 13).

An unchanged Hugging Face-style Docker space, ``FROM python:3.11-slim`` with a non-root user
and ``pip install`` (as root into /usr/local, then as the user into ~/.local), an API-only app
whose ``/`` is a 404, is pushed to a real
platform and answers through the router; its base is spacehost's stand-in, made from Debian's
archive. A base spacehost cannot make (``ubuntu:22.04``, ``nvcr.io/...``) is a BUILD_ERROR that
names it and what to configure.
"""

from __future__ import annotations

from pathlib import Path

import docker
import pytest
import requests

from tests.e2e.conftest import Running

pytestmark = pytest.mark.docker

DOCKERFILE = """\
FROM python:3.11-slim
RUN pip install --no-cache-dir six
RUN useradd -m -u 1000 user
USER user
ENV PATH="/home/user/.local/bin:$PATH"
WORKDIR /app
COPY --chown=user requirements.txt requirements.txt
RUN pip install --no-cache-dir --upgrade -r requirements.txt
COPY --chown=user . /app
CMD ["python", "app.py"]
"""
APP = """\
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
import idna, six

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/info":  # an API-only backend: its root is a 404, as FastAPI's is
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({
            "python": "%d.%d" % sys.version_info[:2],
            "executable": sys.executable,
            "six": six.__file__,
            "idna": idna.__file__,
            "lang": os.environ.get("LANG"),
            "python_version": os.environ.get("PYTHON_VERSION"),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

HTTPServer(("0.0.0.0", 7860), Handler).serve_forever()
"""
README = """\
---
title: Slim base
sdk: docker
app_port: 7860
---
"""


def _absent(ref: str) -> None:
    """These tests are about bases the engine lacks; an operator's real copy would be used."""
    client = docker.from_env()
    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        return
    finally:
        client.close()
    pytest.skip(f"{ref} is on this engine: the real image is used, no stand-in")


def _space(folder: Path, dockerfile: str) -> Path:
    folder.mkdir()
    files = {"README.md": README, "Dockerfile": dockerfile, "app.py": APP}
    files["requirements.txt"] = "idna\n"
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_python_slim_space_runs_unchanged_on_the_stand_in(
    platform: Running, tmp_path: Path
) -> None:
    _absent("python:3.11-slim")
    folder = _space(tmp_path / "slim", DOCKERFILE)
    platform.cli("push", str(folder), "--name", "e2e/slim-base", check=True)
    log = platform.cli("logs", "--build", "e2e/slim-base", "--tail", "2000", check=True).stdout
    assert (
        "--> FROM python:3.11-slim: not available here (no registry); using "
        "spacehost/compat-python:3.11-slim-bookworm, made from Debian bookworm"
    ) in log, log
    runtime = requests.get(f"{platform.url}/api/spaces/e2e/slim-base/runtime", timeout=10).json()
    assert runtime["stage"] == "RUNNING", runtime
    # RUNNING although its / is a 404: an API-only app is up when it answers, as on HF
    url = platform.space_url("e2e/slim-base", "path").rstrip("/")
    assert requests.get(f"{url}/", timeout=30).status_code == 404
    answer = requests.get(f"{url}/info", timeout=30).json()
    assert answer["python"] == "3.11" and answer["executable"] == "/usr/local/bin/python"
    assert answer["six"].startswith("/usr/local/lib/python3.11/site-packages/")  # root's pip
    assert answer["idna"].startswith("/home/user/.local/lib/python3.11/site-packages/")
    assert (answer["lang"], answer["python_version"]) == ("C.UTF-8", "3.11")
    assert (folder / "Dockerfile").read_text() == DOCKERFILE


@pytest.mark.parametrize(
    ("base", "reason"),
    [
        ("ubuntu:22.04", "Ubuntu images cannot be made from this host's Debian archive"),
        ("nvcr.io/nvidia/pytorch:24.01-py3", "images from nvcr.io cannot be made here"),
    ],
)
def test_a_base_it_cannot_make_is_a_clear_build_error(
    platform: Running, tmp_path: Path, base: str, reason: str
) -> None:
    _absent(base)
    folder = _space(tmp_path / "other", DOCKERFILE.replace("python:3.11-slim", base))
    name = f"e2e/base-{base.split('/')[0].split(':')[0].replace('.', '-')}"
    proc = platform.cli("push", str(folder), "--name", name)
    assert proc.returncode != 0
    assert "BUILD_ERROR" in proc.stderr, proc.stderr
    for words in (f"base image {base} is not on this host", reason, "registry-mirrors"):
        assert words in proc.stderr, proc.stderr
    runtime = requests.get(f"{platform.url}/api/spaces/{name}/runtime", timeout=10).json()
    assert runtime["stage"] == "BUILD_ERROR" and base in runtime["errorMessage"], runtime
    log = platform.cli("logs", "--build", name, "--tail", "50", check=True).stdout
    assert (
        f"hint: load it here with `docker load -i FILE` (saved elsewhere with `docker save {base}`)"
        in log
    ), log
