"""Issue 6's checks on a real NVIDIA GPU (skipped without one; run them on the lent H100).

Set up as /work/shared/gpu/README.md says (dockerd started, ``spacehost/gpu-host:local``
imported, wheels for gradio in a local find-links directory), then run with
``SPACEHOST_GPU_BASE_IMAGE=spacehost/gpu-host:local`` (and the pip settings for the wheels) in
the environment: the platforms started here inherit it.

- the inventory sees the GPU;
- a dedicated GPU space built and run by spacehost answers through the router with a
  transformers model on ``cuda`` (MiniLM from the platform's hub, mounted offline);
- two shared (``hardware: zero``) spaces with concurrent callers all complete on one GPU, the
  broker serialises them, the GPU shows both spaces' processes, nothing runs out of memory;
- a call past its ``duration`` is aborted and its lease taken back.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from gradio_client import Client

from tests.e2e.conftest import Running, remove_containers, start_platform, stop_platform
from tests.support.ports import free_port


def _has_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None or os.path.exists("/dev/nvidia0")


pytestmark = [
    pytest.mark.gpu,
    pytest.mark.docker,
    pytest.mark.skipif(not _has_gpu(), reason="needs an NVIDIA GPU"),
]

EMBED_APP = """
import gradio as gr
import torch
from transformers import AutoModel, AutoTokenizer

NAME = "sentence-transformers/all-MiniLM-L6-v2"
tok = AutoTokenizer.from_pretrained(NAME)
model = AutoModel.from_pretrained(NAME).to("cuda").eval()


def embed(text: str) -> str:
    with torch.no_grad():
        batch = tok([text], return_tensors="pt").to("cuda")
        vec = model(**batch).last_hidden_state.mean(dim=1)[0]
    return f"{vec.device.type} {torch.cuda.get_device_name()} {vec.norm().item():.4f}"


gr.Interface(embed, "text", "text", api_name="embed").launch()
"""

ZERO_APP = """
import time

import gradio as gr
import spaces
import torch

weights = torch.randn(4096, 4096)  # on CPU until a call holds the GPU


@spaces.GPU(duration=DURATION)
def work(seconds: float) -> str:
    x = weights.to("cuda")
    start, n = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        x = torch.tanh(x @ x)
        n += 1
    torch.cuda.synchronize()
    return f"{x.device} {n} {torch.cuda.max_memory_allocated() >> 20}"


gr.Interface(work, gr.Number(), "text", api_name="work").launch()
"""


def _space(root: Path, name: str, app: str, front: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "README.md").write_text(f"---\ntitle: {name}\nsdk: gradio\n{front}---\n")
    (folder / "app.py").write_text(app)
    return folder


@pytest.fixture(scope="module")
def gpu_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("gpu")
    proc, running = start_platform(data, free_port(), {"SPACEHOST_GPU_GRACE": "2"})
    try:
        yield running
    finally:
        stop_platform(proc, running, "gpu")
        remove_containers(data)


def test_the_inventory_sees_the_gpu(gpu_platform: Running) -> None:
    status = requests.get(f"{gpu_platform.url}/api/gpus", timeout=30).json()
    assert status["has_gpu"] and status["mode"] != "none"
    assert status["gpus"] and "NVIDIA" in status["gpus"][0]["name"]
    assert status["gpus"][0]["memory_total_mib"] > 1000
    assert status["broker"]["lease_mode"] == "gpu"
    print("\n" + gpu_platform.cli("gpus", check=True).stdout)


def test_a_gpu_space_answers_with_a_model_on_cuda(gpu_platform: Running, tmp_path: Path) -> None:
    folder = _space(
        tmp_path,
        "embed",
        EMBED_APP,
        "hardware: gpu\nmodels:\n  - sentence-transformers/all-MiniLM-L6-v2\n",
    )
    started = time.monotonic()
    gpu_platform.cli("push", str(folder), "--name", "gpu/embed", check=True, timeout=1800)
    client = Client(gpu_platform.space_url("gpu/embed", "path"), verbose=False)
    answer = client.predict("a GPU space on spacehost", api_name="/embed")
    print(f"\ncold start to first GPU inference: {time.monotonic() - started:.1f} s: {answer}")
    assert answer.startswith("cuda NVIDIA")


def test_two_shared_spaces_take_turns_on_one_gpu(gpu_platform: Running, tmp_path: Path) -> None:
    spaces = ["gpu/zero-a", "gpu/zero-b"]
    for name in spaces:
        folder = _space(
            tmp_path, name.split("/")[1], ZERO_APP.replace("DURATION", "60"), "hardware: zero\n"
        )
        gpu_platform.cli("push", str(folder), "--name", name, check=True, timeout=1800)
    clients = {s: Client(gpu_platform.space_url(s, "path"), verbose=False) for s in spaces}
    jobs = [(s, i) for i in range(3) for s in spaces]
    with ThreadPoolExecutor(len(jobs)) as pool:
        answers = list(pool.map(lambda j: clients[j[0]].predict(1.0, api_name="/work"), jobs))
    assert all(a.startswith("cuda:0 ") for a in answers), answers
    print("\nper call (device, iterations, peak MiB):", answers)
    status = requests.get(f"{gpu_platform.url}/api/gpus", timeout=30).json()
    done = sorted(
        (h for h in status["broker"]["history"] if h["outcome"] == "released"),
        key=lambda h: h["granted_at"],
    )
    assert len(done) >= len(jobs)
    for a, b in itertools.pairwise(done):
        assert a["ended_at"] <= b["granted_at"] + 1e-6
    on_gpu = set(status["gpus"][0]["spaces"])
    assert set(spaces) <= on_gpu, status["gpus"][0]["processes"]
    print("GPU memory per process:", status["gpus"][0]["processes"])


def test_a_call_past_its_duration_is_aborted(gpu_platform: Running, tmp_path: Path) -> None:
    folder = _space(tmp_path, "overrun", ZERO_APP.replace("DURATION", "2"), "hardware: zero\n")
    gpu_platform.cli("push", str(folder), "--name", "gpu/overrun", check=True, timeout=1800)
    client = Client(gpu_platform.space_url("gpu/overrun", "path"), verbose=False)
    with pytest.raises(Exception, match="GPU task aborted"):
        client.predict(30.0, api_name="/work")
    status = requests.get(f"{gpu_platform.url}/api/gpus?space=gpu/overrun", timeout=30).json()
    assert status["broker"]["leases"] == []
