"""An old Space as real ones were written in gradio 4's time (issue 13): ``sdk_version: 4.44.1``,
unpinned ``scikit-learn`` and ``joblib``, and a model pickled by the scikit-learn of that time
(1.5.2, made by tests/e2e/data/old_pickle/make_model.py) loaded when ``app.py`` is imported.

spacehost resolves it as of the end of gradio 4.44.1's time, so the model is unpickled by the
scikit-learn that pickled it and gradio 4 finds the huggingface_hub it was released with. With
today's packages (``spacehost_resolve_as_of: latest``, and spacehost before issue 13) it dies at
``import gradio``. Two builds; needs the package index (PyPI, through the host's proxy settings)
from builds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests
from gradio_client import Client

from tests.e2e.conftest import Running
from tests.e2e.test_hub_spaces import container_of
from tests.e2e.test_old_gradio import mirror_with_upload_times

pytestmark = pytest.mark.docker

__all__ = ["mirror_with_upload_times"]  # the module's fixture: skip beside an older mirror

DATA = Path(__file__).resolve().parent / "data" / "old_pickle"
EXPECTED = json.loads((DATA / "expected.json").read_text())

README = """---
title: Iris-ish classifier
emoji: 🌸
colorFrom: pink
colorTo: blue
sdk: gradio
sdk_version: 4.44.1
app_file: app.py
pinned: false
python_version: '3.11'
---
"""

APP = """import gradio as gr
import joblib
import numpy as np

model = joblib.load("model.joblib")


def classify(x, y):
    return str(model.predict(np.array([[x, y]]))[0])


demo = gr.Interface(
    fn=classify,
    inputs=[gr.Number(label="x"), gr.Number(label="y")],
    outputs=gr.Textbox(label="class"),
    title="Which region?",
)
demo.launch()
"""

SPACE = "e2e/old-pickle"
VERSIONS = (
    "import sklearn, gradio, huggingface_hub as h; "
    "print(sklearn.__version__, gradio.__version__, h.__version__)"
)


def make_space(folder: Path) -> Path:
    folder.mkdir()
    (folder / "README.md").write_text(README)
    (folder / "requirements.txt").write_text("scikit-learn\njoblib\n")
    (folder / "app.py").write_text(APP)
    shutil.copy(DATA / "model.joblib", folder / "model.joblib")
    return folder


def root_client(platform: Running, space: str) -> Client:
    """A gradio_client of the space served at its host's root, as on Hugging Face.

    Today's gradio_client joins gradio 4's missing ``api_prefix`` as ``/``, the host's root, so it
    cannot call a gradio 4 app under ``/spaces/owner/name/``. The space's own host name
    (``owner-name.localhost``) is sent as the Host header: Python does not resolve ``*.localhost``.
    """
    host = platform.space_url(space, "subdomain").split("/")[2]
    return Client(f"{platform.url}/", headers={"Host": host}, verbose=False)


def test_gradio_4_space_unpickles_its_model_with_the_scikit_learn_of_its_time(
    platform: Running, tmp_path: Path
) -> None:
    proc = platform.cli("push", str(make_space(tmp_path / "old-pickle")), "--name", SPACE)
    log = platform.cli("logs", "--build", SPACE, "--tail", "20000", check=True).stdout
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}\n{log}"
    # gradio 5.0.0's first file was uploaded 2024-10-09T13:04Z
    assert "--> resolving as of 2024-10-09T13:04:" in log, log
    assert "(the end of gradio 4.44.1's time: gradio 5.0.0 came out then" in log, log
    assert not [line for line in log.splitlines() if line.startswith("WARNING: pip could not")]
    runtime = requests.get(f"{platform.url}/api/spaces/{SPACE}/runtime", timeout=10).json()
    assert runtime["stage"] == "RUNNING", runtime
    client = root_client(platform, SPACE)
    answers = [client.predict(x, y, api_name="/predict") for x, y in EXPECTED["queries"]]
    assert answers == EXPECTED["predictions"]
    run_log = platform.cli("logs", SPACE, "--tail", "2000", check=True).stdout
    assert "InconsistentVersionWarning" not in run_log, run_log
    installed = container_of(platform, SPACE).exec_run(["python", "-c", VERSIONS], user="1000")
    sklearn, gradio, hub = installed.output.decode().split()
    assert (sklearn, gradio) == (EXPECTED["sklearn"], "4.44.1") and hub.startswith("0."), hub


def test_with_todays_packages_gradio_4_dies_at_import(platform: Running, tmp_path: Path) -> None:
    """What the dated build avoids: ``spacehost_resolve_as_of: latest`` gets today's packages,
    whose huggingface_hub no longer has the ``HfFolder`` that gradio 4 imports."""
    folder = make_space(tmp_path / "latest")
    front = README.replace("python_version", "spacehost_resolve_as_of: latest\npython_version")
    (folder / "README.md").write_text(front)
    proc = platform.cli("push", str(folder), "--name", f"{SPACE}-latest")
    assert proc.returncode != 0, proc.stdout
    log = platform.cli("logs", "--build", f"{SPACE}-latest", "--tail", "20000").stdout
    assert "--> resolving with today's packages: README.md sets spacehost_resolve_as_of" in log
    runtime = requests.get(f"{platform.url}/api/spaces/{SPACE}-latest/runtime", timeout=10).json()
    assert runtime["stage"] == "RUNTIME_ERROR", runtime
    assert "cannot import name 'HfFolder' from 'huggingface_hub'" in runtime["errorMessage"]
