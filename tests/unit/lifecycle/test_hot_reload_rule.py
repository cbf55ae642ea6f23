"""Which commits may be hot-reloaded (lifecycle/hotreload_rule.py), from file sets."""

from __future__ import annotations

import pytest

from spacehost.domain import Sdk
from spacehost.lifecycle.hotreload_rule import file_changes, needs_rebuild, refusal

BASE = {
    "README.md": b"---\nsdk: gradio\n---\n",
    "app.py": b"print(1)\n",
    "utils/helpers.py": b"X = 1\n",
    "static/logo.png": b"\x89PNG",
    "requirements.txt": b"numpy\n",
}


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "Dockerfile",
        "packages.txt",
        "requirements.txt",
        "pre-requirements.txt",
        "dev-requirements.txt",
        "requirements/base.txt",
    ],
)
def test_build_inputs_need_a_rebuild(path: str) -> None:
    assert needs_rebuild(path)


@pytest.mark.parametrize(
    "path",
    [
        "app.py",
        "utils/helpers.py",
        "static/logo.png",
        "docs/README.md",
        "sub/requirements.txt",
        "style.css",
    ],
)
def test_code_and_assets_do_not(path: str) -> None:
    assert not needs_rebuild(path)


def test_code_and_asset_changes_may_be_hot_reloaded() -> None:
    new = {**BASE, "app.py": b"print(2)\n", "utils/helpers.py": b"X = 2\n", "new.py": b""}
    changes = file_changes(BASE, new)
    assert set(changes.put) == {"app.py", "utils/helpers.py", "new.py"}
    assert changes.deleted == ()
    assert refusal(Sdk.GRADIO, "app.py", changes) is None


def test_a_deleted_asset_may_be_hot_reloaded() -> None:
    new = {p: d for p, d in BASE.items() if p != "static/logo.png"}
    changes = file_changes(BASE, new)
    assert changes.deleted == ("static/logo.png",)
    assert refusal(Sdk.GRADIO, "app.py", changes) is None


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("requirements.txt", b"numpy\npandas\n"),
        ("README.md", b"---\nsdk: gradio\ntitle: New\n---\n"),
        ("packages.txt", b"ffmpeg\n"),
        ("Dockerfile", b"FROM python\n"),
    ],
)
def test_dependency_or_readme_changes_are_rebuilt(path: str, data: bytes) -> None:
    new = {**BASE, path: data, "app.py": b"print(2)\n"}
    reason = refusal(Sdk.GRADIO, "app.py", file_changes(BASE, new))
    assert reason is not None and path in reason


def test_a_deleted_requirements_file_is_rebuilt() -> None:
    new = {p: d for p, d in BASE.items() if p != "requirements.txt"}
    reason = refusal(Sdk.GRADIO, "app.py", file_changes(BASE, new))
    assert reason is not None and "requirements.txt" in reason


@pytest.mark.parametrize("sdk", [Sdk.DOCKER, Sdk.STATIC])
def test_other_sdks_are_rebuilt(sdk: Sdk) -> None:
    new = {**BASE, "app.py": b"print(2)\n"}
    reason = refusal(sdk, "app.py", file_changes(BASE, new))
    assert reason is not None and sdk.value in reason


def test_deleting_the_app_file_is_rebuilt() -> None:
    new = {p: d for p, d in BASE.items() if p != "app.py"}
    reason = refusal(Sdk.GRADIO, "app.py", file_changes(BASE, new))
    assert reason is not None and "app.py" in reason


def test_no_change_is_not_a_hot_reload() -> None:
    assert refusal(Sdk.GRADIO, "app.py", file_changes(BASE, dict(BASE))) is not None
