"""huggingface_hub's writes against a real platform (`spacehost up`, through its router), each
client unchanged in a fresh process: ``hf upload`` of a space folder deploys it and the router
serves the new files; a model file over ``SPACEHOST_MAX_REGULAR_FILE`` goes over LFS with
``HF_HUB_DISABLE_XET=1`` and another over Xet with the default client (hf_xet), each coming back
byte-identical."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import Running
from tests.e2e.huggingface import hf
from tests.support.polling import wait_for

pytestmark = pytest.mark.docker

HF = Path(sys.executable).with_name("hf")
OVER_LIMIT = (50 << 20) + 1  # just over SPACEHOST_MAX_REGULAR_FILE's default


def token(platform: Running) -> str:
    return (platform.data_dir / "token").read_text().strip()


def test_hf_upload_of_a_space_folder_deploys_the_new_files(
    platform: Running, tmp_path: Path
) -> None:
    space = f"e2e/hfw-{uuid.uuid4().hex[:8]}"
    marker = uuid.uuid4().hex
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "README.md").write_text("---\ntitle: hf upload\nsdk: static\n---\n")
    (folder / "index.html").write_text(f"<h1>{marker}</h1>\n")
    hf(
        platform,
        tmp_path / "home",
        f'from huggingface_hub import HfApi\nHfApi().create_repo("{space}", repo_type="space", '
        'space_sdk="static")\nprint("{}")',
        HF_TOKEN=token(platform),
    )
    env = {
        **os.environ,
        "HF_ENDPOINT": platform.url,
        "HF_HOME": str(tmp_path / "home"),
        "HF_TOKEN": token(platform),
    }
    proc = subprocess.run(
        [str(HF), "upload", space, str(folder), "--repo-type", "space"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    info = requests.get(f"{platform.url}/api/spaces/{space}", timeout=10).json()
    url = platform.space_url(space, "path")
    wait_for(
        lambda: marker in requests.get(url, timeout=10).text,
        timeout=120,
        what="the uploaded revision to be served",
    )
    served = requests.get(f"{platform.url}/api/spaces/{space}", timeout=10).json()
    assert served["servingSha"] == info["sha"]


BIG = """
import hashlib, os
from huggingface_hub import HfApi, hf_hub_download
api = HfApi()
api.create_repo("{repo}", exist_ok=True)
try:
    api.upload_file(path_or_fileobj={path!r}, path_in_repo="big.bin", repo_id="{repo}")
    back = hf_hub_download("{repo}", "big.bin")
    digest = hashlib.sha256(open(back, "rb").read()).hexdigest()
    print(json.dumps({{"sha256": digest}}))
except Exception as exc:
    print(json.dumps({{"error": f"{{type(exc).__name__}}: {{exc}}"}}))
"""


def test_a_file_over_the_limit_goes_over_lfs_or_over_xet(platform: Running, tmp_path: Path) -> None:
    env = {"HF_TOKEN": token(platform)}
    for name, extra in (("lfs", {"HF_HUB_DISABLE_XET": "1"}), ("xet", {})):
        big = tmp_path / f"{name}.bin"
        big.write_bytes(os.urandom(OVER_LIMIT))
        want = hashlib.sha256(big.read_bytes()).hexdigest()
        repo = f"e2e/hfw-{name}-{uuid.uuid4().hex[:8]}"
        code = BIG.format(repo=repo, path=str(big))
        assert hf(platform, tmp_path / name, code, **env, **extra) == {"sha256": want}
