"""huggingface_hub (and transformers, datasets) as a user runs them against the platform: code
run in a fresh Python process with ``HF_ENDPOINT`` at the platform's router, unchanged, every
HTTP request it makes recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import Running
from tests.support.hf_process import run_hf


def hf(platform: Running, home: Path, code: str, **extra_env: str) -> Any:
    """Run *code* (after PRELUDE) in a new Python with HF_ENDPOINT at the platform; returns the
    JSON its last line prints."""
    return run_hf(platform.url, home, code, **extra_env)
