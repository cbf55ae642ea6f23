"""The first files of a space made by ``POST /api/repos/create``: every sdk's template is a
valid space without warnings, whatever its name looks like to YAML."""

from __future__ import annotations

import pytest

from spacehost.api.repo_templates import check_sdk, space_files
from spacehost.domain import Sdk
from spacehost.errors import InvalidRequest
from spacehost.manifest import load_space


@pytest.mark.parametrize("sdk", list(Sdk))
@pytest.mark.parametrize("name", ["demo", "1.0", "true", "null"])
def test_each_sdks_template_is_a_valid_space_titled_by_its_name(sdk: Sdk, name: str) -> None:
    source = load_space(space_files(name, sdk, "6.31.0", "3.11"))
    assert source.manifest.sdk is sdk
    assert source.manifest.title == name
    assert source.warnings == ()


def test_an_sdk_the_platform_does_not_build_is_refused_with_the_choices() -> None:
    with pytest.raises(InvalidRequest) as err:
        check_sdk("streamlit")
    assert "gradio, docker, static" in (err.value.hint or "")
