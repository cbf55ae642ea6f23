"""Build as of a space's date (issue 13): an old gradio space that dies at ``import gradio``
with today's packages runs when its packages resolve as of its gradio's time, a pinned
``pkg==x`` is honoured, and a pin newer than the date falls back to today's packages with a
warning. Needs the package index (PyPI, through the host's proxy settings) from builds."""

from __future__ import annotations

import secrets
from pathlib import Path

import docker
import pytest
import requests
from gradio_client import Client

from spacehost.builder.build_run import bridge_gateway
from spacehost.builder.mirror import DEFAULT_PORT, IDENTITY_PATH
from tests.e2e.conftest import Running

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module", autouse=True)
def mirror_with_upload_times(platform: Running) -> None:
    """On a host shared with an older spacehost that serves the local pip mirror (one port
    for all instances), dated builds fall back to today's packages by design: skip then.
    Asked once the platform is up, which serves the mirror itself when the port was free."""
    client = docker.from_env()
    try:
        url = f"http://{bridge_gateway(client)}:{DEFAULT_PORT}{IDENTITY_PATH}"
    finally:
        client.close()
    try:
        about = requests.get(url, timeout=3).json()
    except (requests.RequestException, ValueError):
        return  # nobody serves it: this test's platform will
    if not about.get("upload_times"):
        pytest.skip(f"an older spacehost serves the local pip mirror ({url}): no upload times")


APP = """import gradio as gr
import huggingface_hub
{imports}


def versions(text):
    found = {found}
    return " ".join([text[::-1], *found])


gr.Interface(versions, "text", "text").launch()
"""


def make_space(folder: Path, front: str, requirements: str, imports: str, found: str) -> Path:
    folder.mkdir()
    (folder / "README.md").write_text(
        f"---\ntitle: Dated\nsdk: gradio\npython_version: '3.11'\n{front}---\n"
    )
    (folder / "requirements.txt").write_text(requirements)
    (folder / "app.py").write_text(APP.format(imports=imports, found=found))
    return folder


EARLIER_FALLBACK = (
    "WARNING: pip could not install this space's packages as of 2025-01-02T00:00:00Z in an "
    "earlier build of these steps, which installed today's packages instead"
)


def build_log(platform: Running, space: str) -> str:
    return platform.cli("logs", "--build", space, "--tail", "5000", check=True).stdout


def test_gradio_5_9_1_space_runs_with_its_own_times_packages_and_its_pin(
    platform: Running, tmp_path: Path
) -> None:
    folder = make_space(
        tmp_path / "old",
        "sdk_version: 5.9.1\n",
        "six==1.16.0\n",
        "import six",
        '[f"gradio={gr.__version__}", f"hub={huggingface_hub.__version__}", '
        'f"six={six.__version__}"]',
    )
    proc = platform.cli("push", str(folder), "--name", "e2e/old-gradio")
    log = build_log(platform, "e2e/old-gradio")
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{log}"
    assert "--> resolving as of 2025-01-07T00:30:44Z (the end of gradio 5.9.1's time" in log, log
    assert "--uploaded-prior-to=2025-01-07T00:30:44Z" in log
    # not on the gradio image, whose today's huggingface_hub pip would keep
    assert "--> gradio 5.9.1 and its dependencies are installed as of the cut-off on" in log
    # (the RUN lines themselves hold the warning's text: only an echoed line is a fallback)
    assert not [line for line in log.splitlines() if line.startswith("WARNING: pip could not")]
    runtime = requests.get(f"{platform.url}/api/spaces/e2e/old-gradio/runtime", timeout=10)
    assert runtime.json()["stage"] == "RUNNING"
    answer = Client(platform.space_url("e2e/old-gradio", "path"), verbose=False).predict(
        "abc", api_name="/predict"
    )
    words = dict(w.split("=") for w in answer.split()[1:])
    assert answer.startswith("cba ") and words["gradio"] == "5.9.1", answer
    assert words["hub"].startswith("0."), answer  # today's 1.x+ lacks the requests gradio 5 imports
    assert words["six"] == "1.16.0", answer  # the space's own pin


def test_a_pin_newer_than_the_date_falls_back_to_todays_packages_with_a_warning(
    platform: Running, tmp_path: Path
) -> None:
    folder = make_space(
        tmp_path / "pinned",
        "spacehost_resolve_as_of: 2025-01-01\n",
        # uploaded 2025-03-19; the comment makes the step new to the engine's layer cache, which
        # another instance's record of fallen-back layers does not cover (docs/builds.md)
        f"iniconfig==2.1.0  # {secrets.token_hex(6)}\n",
        "import importlib.metadata as md",
        "[f\"iniconfig={md.version('iniconfig')}\"]",
    )
    platform.cli("push", str(folder), "--name", "e2e/pinned-later", check=True)
    log = build_log(platform, "e2e/pinned-later")
    assert "--> resolving as of 2025-01-02T00:00:00Z (README.md sets spacehost_resolve_as_of" in log
    fell_back = (
        "WARNING: pip could not install requirements.txt as of 2025-01-02T00:00:00Z (its error "
        "is above); installing it with today's packages instead (the other steps stay as of that "
        "date)"
    )
    assert fell_back in log, log
    answer = Client(platform.space_url("e2e/pinned-later", "path"), verbose=False).predict(
        "abc",
        fn_index=0,  # gradio 6 names the endpoint after the function
    )
    assert answer == "cba iniconfig=2.1.0"
    # a code-only push reuses the fallen-back layer: the log still says so
    (folder / "app.py").write_text((folder / "app.py").read_text() + "# v2\n")
    platform.cli("push", str(folder), "--name", "e2e/pinned-later", check=True)
    again = build_log(platform, "e2e/pinned-later")
    assert "Using cache" in again
    assert EARLIER_FALLBACK in again, again
