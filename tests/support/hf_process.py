"""huggingface_hub (and transformers, datasets) as a user runs them: code run in a fresh Python
process with ``HF_ENDPOINT`` at a server, unchanged, every HTTP request it makes recorded (the
e2e tests' ``hf()`` runs it against ``spacehost up``, integration tests against the control plane
on a loopback port)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# Runs first in every client process: records each HTTP request huggingface_hub makes.
PRELUDE = """
import json, httpx2
from huggingface_hub.utils import _http
REQUESTS = []
def _record(response):
    REQUESTS.append([response.request.method, str(response.request.url), response.status_code])
def _factory():
    client = _http.default_client_factory()
    client.event_hooks["response"].append(_record)
    return client
_http.set_client_factory(_factory)
"""


def run_hf(endpoint: str, home: Path, code: str, **extra_env: str) -> Any:
    """Run *code* (after PRELUDE) in a new Python with HF_ENDPOINT at *endpoint*; returns the
    JSON its last line prints."""
    env = {
        **os.environ,
        "HF_ENDPOINT": endpoint,
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(home / "hub"),
        "HF_DATASETS_CACHE": str(home / "datasets"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "TRANSFORMERS_VERBOSITY": "error",
        "TOKENIZERS_PARALLELISM": "false",
        **extra_env,
    }
    for var in (
        "HF_TOKEN",
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_DATASETS_OFFLINE",
        "HF_HUB_DISABLE_XET",
    ):
        if var not in extra_env:
            env.pop(var, None)
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + code], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])
