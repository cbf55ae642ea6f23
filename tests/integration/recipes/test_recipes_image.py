"""The recipes' image: ``recipes/`` built as a space by the platform's own builder (the
python runtime image, CPU torch through the local mirror, its requirements.txt), then a recipe
run in it as a job runs: ``python shrink.py`` in the app folder as uid 1000, with
``HF_ENDPOINT`` at a live control plane and a user's token; what it pushed is read back with
huggingface_hub from a fresh process. One build (a few minutes the first time on a host)."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from spacehost.appkeys import ACCOUNTS, HUB
from spacehost.builder import DockerBuilder
from spacehost.domain import SpaceId
from spacehost.identity import Accounts
from spacehost.identity.records import Role
from spacehost.manifest.folder import read_folder
from spacehost.manifest.space import load_space
from spacehost.server.content import MINILM, import_builtin
from spacehost.settings import Settings
from tests.support.hf_process import run_hf
from tests.support.live_control import live_control

RECIPES = Path(__file__).resolve().parents[3] / "recipes"
RUN_ID = secrets.token_hex(3)
SPACE = SpaceId(f"r{RUN_ID}", "recipes")
IMAGE = f"spacehost-space/{SPACE.slug}:{'r' * 12}"
# A space image says HF_HUB_OFFLINE=1 (builder/dockerfile.py: spaces read mounted repos); a job
# downloads and pushes, so it runs with the hub on-line, as the jobs runner starts it.
JOB_ENV = {"HF_HUB_OFFLINE": "0"}

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def client() -> Iterator[docker.DockerClient]:
    c = docker.from_env(timeout=900)
    yield c
    # by name, not by listing: other tests on the engine remove their images meanwhile
    with contextlib.suppress(docker.errors.ImageNotFound):
        c.images.remove(IMAGE, force=True)
    c.close()


def test_a_recipe_runs_in_the_recipes_image_and_pushes_to_the_hub(
    client: docker.DockerClient, tmp_path: Path
) -> None:
    builder = DockerBuilder(client, Settings(data_dir=tmp_path / "build"))
    built = builder.build(
        load_space(read_folder(RECIPES)), SPACE, "r" * 40,
        on_log=lambda line: None,
    )  # fmt: skip
    with live_control(tmp_path / "platform") as live:
        import_builtin(live.app[HUB])
        accounts: Accounts = live.app[ACCOUNTS]
        accounts.add_user("dora")
        token = accounts.create_token("dora", "job", Role.WRITE).value
        out = client.containers.run(
            built.image,
            ["sh", "-c", "python shrink.py --repo-id dora/minilm-int8 --sentences 64 --repeats 2"
             " && python -c 'import finetune, hpo; print(\"imports ok\")'"],
            environment={"HF_ENDPOINT": live.url, "HF_TOKEN": token, **JOB_ENV},
            network_mode="host",  # the control plane listens on the host's loopback
            name=f"r{RUN_ID}-job",
            remove=True,
            stderr=True,
        ).decode()  # fmt: skip
        assert '"event": "done"' in out and "imports ok" in out, out[-3000:]
        card = run_hf(
            live.url,
            tmp_path / "home",
            """
from huggingface_hub import ModelCard
card = ModelCard.load("dora/minilm-int8").data.to_dict()
print(json.dumps({"base": card["base_model"], "tags": card["tags"]}))
""",
        )
    assert built.image == IMAGE
    assert card["base"] == MINILM
    assert "int8" in card["tags"]
