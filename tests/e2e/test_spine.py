"""End to end: CLI -> API -> build -> container -> router -> gradio_client, on the real engine."""

from __future__ import annotations

import io
import re
import shutil
import tarfile
from pathlib import Path

import pytest
import requests
from gradio_client import Client, handle_file

from tests.e2e.conftest import ROOT, Running
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker
SPACES = ROOT / "spaces"


def push(platform: Running, folder: Path, name: str) -> str:
    proc = platform.cli("push", str(folder), "--name", name, check=True)
    assert "live at" in proc.stdout, proc.stdout
    return proc.stdout


@pytest.fixture(scope="module")
def hello(platform: Running) -> str:
    out = push(platform, SPACES / "hello", "e2e/hello")
    assert re.search(r"\[#*-*\] \d+/\d+ ", out), out  # build steps streamed as a progress bar
    return "e2e/hello"


@pytest.mark.parametrize("style", ["path", "subdomain"])
def test_hello_answers_gradio_client_through_both_url_styles(
    platform: Running, hello: str, style: str
) -> None:
    client = Client(platform.space_url(hello, style), verbose=False)
    assert client.predict("World", api_name="/greet") == "Hello, World!"


def test_runtime_endpoint_has_hf_shape(platform: Running, hello: str) -> None:
    runtime = requests.get(f"{platform.url}/api/spaces/{hello}/runtime", timeout=10).json()
    assert runtime["stage"] == "RUNNING"
    assert runtime["sdk"] == "gradio" and runtime["sdkVersion"] == "6.31.0"
    assert runtime["errorMessage"] is None and "current" in runtime["hardware"]


def test_space_page_html_is_served_with_assets(platform: Running, hello: str) -> None:
    for style in ("path", "subdomain"):
        url = platform.space_url(hello, style)
        page = requests.get(url, timeout=10)
        assert page.status_code == 200 and "gradio" in page.text.lower()
        assert "frame-ancestors *" in page.headers.get("Content-Security-Policy", "")
        config = requests.get(url + "config", timeout=10).json()
        assert config["root"].rstrip("/") == url.rstrip("/")


def test_chatbot_streams_through_the_router(platform: Running) -> None:
    push(platform, SPACES / "chatbot", "e2e/chatbot")
    client = Client(platform.space_url("e2e/chatbot", "path"), verbose=False)
    job = client.submit("hello there", api_name="/chat")
    partials = [str(out) for out in job]
    assert len(partials) >= 3, partials  # several streamed updates, not one buffered answer
    assert partials[-1].endswith("Streaming works through spacehost.")


def test_image_filter_uploads_through_the_router(platform: Running, tmp_path: Path) -> None:
    from PIL import Image

    push(platform, SPACES / "image-filter", "e2e/image-filter")
    src = tmp_path / "in.png"
    Image.new("RGB", (32, 16), (10, 200, 30)).save(src)
    client = Client(platform.space_url("e2e/image-filter", "subdomain"), verbose=False)
    result = client.predict(handle_file(str(src)), "invert", api_name="/filter")
    out = Image.open(result).convert("RGB")
    assert out.size == (32, 16) and out.getpixel((0, 0)) == (245, 55, 225)


def test_docker_sdk_space_routes_to_app_port(platform: Running) -> None:
    push(platform, SPACES / "docker-app", "e2e/docker-app")
    for style in ("path", "subdomain"):
        data = requests.get(
            platform.space_url("e2e/docker-app", style) + "api/hello", timeout=10
        ).json()
        assert data == {"hello": "from a docker space", "space": "e2e/docker-app"}


def test_static_space_is_served_by_the_router(platform: Running) -> None:
    push(platform, SPACES / "static-page", "e2e/static-page")
    url = platform.space_url("e2e/static-page", "subdomain")
    assert "A static space" in requests.get(url, timeout=10).text
    css = requests.get(url + "style.css", timeout=10)
    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]


def test_code_only_push_reuses_every_dependency_layer(
    platform: Running, hello: str, tmp_path: Path
) -> None:
    folder = tmp_path / "hello2"
    shutil.copytree(SPACES / "image-filter", folder)
    push(platform, folder, "e2e/redeploy")
    app = folder / "app.py"
    app.write_text(app.read_text().replace('title="Image filter"', 'title="Image filter v2"'))
    push(platform, folder, "e2e/redeploy")
    build_log = platform.cli("logs", "--build", "e2e/redeploy", "--tail", "500", check=True).stdout
    steps = build_log.split("Step ")
    pip_steps = [s for s in steps[1:] if "RUN pip install" in s]  # [0]: the notes before Step 1
    assert pip_steps and all("Using cache" in s for s in pip_steps), build_log
    config = requests.get(platform.space_url("e2e/redeploy", "path") + "config", timeout=10)
    assert "Image filter v2" in config.text


def test_build_error_is_reported_with_the_failing_step(platform: Running, tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(SPACES / "hello", folder)
    (folder / "requirements.txt").write_text("this-package-does-not-exist-spacehost==0.0.1\n")
    proc = platform.cli("push", str(folder), "--name", "e2e/broken")
    assert proc.returncode != 0
    assert "BUILD_ERROR" in proc.stderr and "requirements.txt" in proc.stderr, proc.stderr
    runtime = requests.get(f"{platform.url}/api/spaces/e2e/broken/runtime", timeout=10).json()
    assert runtime["stage"] == "BUILD_ERROR" and "pip install" in runtime["errorMessage"]
    page = requests.get(
        platform.space_url("e2e/broken", "path"), headers={"Accept": "text/html"}, timeout=10
    )
    assert page.status_code == 503 and "BUILD_ERROR" in page.text


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _token(platform: Running) -> dict[str, str]:
    return {"Authorization": f"Bearer {(platform.data_dir / 'token').read_text().strip()}"}


@pytest.mark.parametrize(
    ("members", "status", "code"),
    [
        ({"../evil.py": b"x", "README.md": b"---\nsdk: gradio\n---\n"}, 400, "upload_rejected"),
        ({"/etc/x": b"x"}, 400, "upload_rejected"),
        ({"app.py": b"print()"}, 422, "manifest_invalid"),
        ({"README.md": b"---\nsdk: cobol\n---\n", "app.py": b""}, 422, "manifest_invalid"),
        ({"README.md": b"---\nsdk: gradio\n---\n"}, 422, "manifest_invalid"),
    ],
)
def test_bad_uploads_get_clear_4xx_json(
    platform: Running, hello: str, members: dict[str, bytes], status: int, code: str
) -> None:
    before = sorted(p.name for p in (platform.data_dir / "revisions").iterdir())
    resp = requests.post(
        f"{platform.url}/api/spaces/e2e/bad/push",
        data=_tar(members),
        headers=_token(platform),
        timeout=30,
    )
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["code"] == code and err["message"]
    assert sorted(p.name for p in (platform.data_dir / "revisions").iterdir()) == before
    assert requests.get(f"{platform.url}/api/spaces/e2e/bad", timeout=10).status_code == 404
    assert (
        Client(platform.space_url(hello, "path"), verbose=False).predict("still", api_name="/greet")
        == "Hello, still!"
    )


@pytest.mark.parametrize("path", ["-bad/name", "ok/name--x", "ok/" + "n" * 97])
def test_bad_space_names_are_400(platform: Running, path: str) -> None:
    resp = requests.post(
        f"{platform.url}/api/spaces/{path}/push",
        data=_tar({"a": b"x"}),
        headers=_token(platform),
        timeout=30,
    )
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["code"] == "invalid_name"


def test_oversize_upload_is_413(platform: Running) -> None:
    resp = requests.post(
        f"{platform.url}/api/spaces/e2e/big/push",
        data=b"\0" * (6 << 20),
        headers=_token(platform),
        timeout=30,
    )
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "upload_too_large"


def test_writes_need_the_token(platform: Running) -> None:
    resp = requests.post(f"{platform.url}/api/spaces/e2e/x/push", data=b"x", timeout=10)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "unauthorized"
    resp = requests.delete(
        f"{platform.url}/api/spaces/e2e/hello",
        timeout=10,
        headers={"Authorization": "Bearer wrong"},
    )
    assert resp.status_code == 401


def test_cli_bad_inputs_exit_non_zero_with_a_message(platform: Running, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = platform.cli("push", str(tmp_path / "empty"), "--name", "e2e/empty")
    assert proc.returncode == 2 and "README.md" in proc.stderr
    proc = platform.cli("push", str(SPACES / "hello"), "--name", "not a name")
    assert proc.returncode == 2 and "invalid" in proc.stderr
    proc = platform.cli("info", "e2e/nope")
    assert proc.returncode == 4 and "does not exist" in proc.stderr
    proc = platform.cli("validate", str(SPACES / "hello"))
    assert proc.returncode == 0 and "valid gradio space" in proc.stdout


def test_unknown_space_gets_a_404_page(platform: Running) -> None:
    resp = requests.get(
        platform.space_url("e2e/missing", "subdomain"), headers={"Accept": "text/html"}, timeout=10
    )
    assert resp.status_code == 404 and "no space named" in resp.text


def test_ls_info_logs_restart_and_rm(platform: Running, hello: str) -> None:
    assert "e2e/hello" in platform.cli("ls", check=True).stdout
    assert re.search(r"^stage:\s+RUNNING$", platform.cli("info", hello, check=True).stdout, re.M)
    logs = platform.cli("logs", hello, check=True).stdout
    assert "Running on local URL" in logs or "7860" in logs, logs
    push(platform, SPACES / "hello", "e2e/to-delete")
    platform.cli("rm", "--yes", "e2e/to-delete", check=True)
    assert requests.get(f"{platform.url}/api/spaces/e2e/to-delete", timeout=10).status_code == 404
    platform.cli("restart", hello, check=True)
    wait_for(
        lambda: (
            requests.get(f"{platform.url}/api/spaces/{hello}/runtime", timeout=10).json()["stage"]
            == "RUNNING"
        ),
        timeout=240,
        what="the restarted space",
    )
    assert (
        Client(platform.space_url(hello, "path"), verbose=False).predict("again", api_name="/greet")
        == "Hello, again!"
    )


def test_app_crashing_at_start_is_a_runtime_error_with_its_log(
    platform: Running, tmp_path: Path
) -> None:
    folder = tmp_path / "crash"
    shutil.copytree(SPACES / "hello", folder)
    (folder / "app.py").write_text(
        "print('about to fail', flush=True)\nraise SystemExit('boom at start')\n"
    )
    proc = platform.cli("push", str(folder), "--name", "e2e/crash")
    assert proc.returncode == 7, proc.stdout + proc.stderr
    runtime = requests.get(f"{platform.url}/api/spaces/e2e/crash/runtime", timeout=10).json()
    assert runtime["stage"] == "RUNTIME_ERROR"
    assert "exited with code 1" in runtime["errorMessage"]
    assert "boom at start" in runtime["errorMessage"]  # the log tail


def test_gpu_space_on_this_cpu_host_is_a_config_error(platform: Running, tmp_path: Path) -> None:
    folder = tmp_path / "gpu"
    shutil.copytree(SPACES / "hello", folder)
    readme = folder / "README.md"
    readme.write_text(readme.read_text().replace("pinned: true", "suggested_hardware: t4-small"))
    proc = platform.cli("push", str(folder), "--name", "e2e/gpu")
    assert proc.returncode != 0
    runtime = requests.get(f"{platform.url}/api/spaces/e2e/gpu/runtime", timeout=10).json()
    assert runtime["stage"] == "CONFIG_ERROR"
    assert "GPU" in runtime["errorMessage"] and "SPACEHOST_GPU_FALLBACK" in runtime["errorMessage"]
