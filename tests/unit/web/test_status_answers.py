"""The JSON answers of a space's status page and of oEmbed's refusals: the API's error shape."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from spacehost.appkeys import PLATFORM
from spacehost.domain import SpaceId, Stage
from spacehost.lifecycle.queries import SpaceQueries
from spacehost.settings import Settings
from spacehost.store import RevisionFiles, SecretCipher, SpaceConfig, Store
from spacehost.store.gitrepos import GitRepos
from spacehost.store.spacecommits import SpaceCommits
from spacehost.web.oembed import oembed
from spacehost.web.status import space_status

JSON = {"Accept": "application/json"}


@dataclass
class ReadOnlyPlatform:
    """What the status page and oEmbed use of the platform: its read side and settings."""

    queries: SpaceQueries
    settings: Settings


@pytest.fixture
def platform(tmp_path: Path) -> ReadOnlyPlatform:
    settings = Settings(data_dir=tmp_path, port=8000)
    store = Store(tmp_path / "db.sqlite")
    config = SpaceConfig(store, SecretCipher(tmp_path / "secret.key"))
    store.create_space(SpaceId.parse("alice/broken"), stage=Stage.BUILD_ERROR, manifest={})
    store.update_space(SpaceId.parse("alice/broken"), error_message="pip failed")
    return ReadOnlyPlatform(
        SpaceQueries(
            settings,
            store,
            RevisionFiles(tmp_path / "r"),
            config,
            SpaceCommits(store, GitRepos(settings.git_dir)),
        ),
        settings,
    )


def _body(resp: web.Response) -> dict[str, object]:
    assert isinstance(resp.body, bytes)
    return dict(json.loads(resp.body))


def test_a_missing_space_answers_404_space_not_found(platform: ReadOnlyPlatform) -> None:
    request = make_mocked_request("GET", "/", headers=JSON)
    resp = asyncio.run(space_status(request, platform, "alice/nope"))  # type: ignore[arg-type]
    assert resp.status == 404
    assert _body(resp) == {
        "error": {
            "code": "space_not_found",
            "message": "space alice/nope does not exist",
            "hint": "list spaces with `spacehost ls`",
        }
    }


def test_a_space_not_running_answers_503_with_its_stage(platform: ReadOnlyPlatform) -> None:
    request = make_mocked_request("GET", "/", headers=JSON)
    resp = asyncio.run(space_status(request, platform, "alice/broken"))  # type: ignore[arg-type]
    assert (resp.status, resp.headers["Retry-After"]) == (503, "2")
    assert _body(resp) == {
        "error": {
            "code": "space_not_running",
            "message": "space alice/broken is BUILD_ERROR",
            "hint": "pip failed",
            "stage": "BUILD_ERROR",
        }
    }


def test_oembed_refuses_formats_but_json_with_501(platform: ReadOnlyPlatform) -> None:
    app = web.Application()
    app[PLATFORM] = platform  # type: ignore[assignment]
    url = "/api/oembed?url=http://127.0.0.1:8000/spaces/alice/broken&format=xml"
    resp = asyncio.run(oembed(make_mocked_request("GET", url, app=app)))
    assert resp.status == 501
    assert _body(resp)["error"] == {
        "code": "not_implemented",
        "message": "format 'xml' is not supported",
        "hint": "use format=json",
    }
