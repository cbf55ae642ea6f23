"""Keys and values of variables and secrets, and masking secret values in text."""

from __future__ import annotations

import pytest

from spacehost.domain import SpaceId
from spacehost.errors import InvalidRequest, UploadTooLarge
from spacehost.lifecycle.contract import contract_env
from spacehost.lifecycle.envkeys import (
    MAX_VALUE_BYTES,
    check_description,
    check_key,
    check_value,
    reserved_reason,
)
from spacehost.lifecycle.redact import Redactor
from spacehost.manifest import load_space
from spacehost.settings import Settings


@pytest.mark.parametrize("key", ["API_KEY", "_private", "a", "Model2", "HF_TOKEN"])
def test_env_var_names_are_accepted(key: str) -> None:
    assert check_key(key) == key


@pytest.mark.parametrize(
    "key", ["", "2FAST", "WITH-DASH", "with space", "É", "A=B", "x" * 300, None, 5]
)
def test_non_env_var_names_are_refused(key: object) -> None:
    with pytest.raises(InvalidRequest):
        check_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "SPACE_ID",
        "SPACE_HOST",
        "GRADIO_SERVER_PORT",
        "GRADIO_SERVER_NAME",
        "HOME",
        "PATH",
        "PORT",
        "HF_HUB_OFFLINE",
        "path",
        "SPACEHOST_TOKEN",
        "NVIDIA_VISIBLE_DEVICES",
    ],
)
def test_reserved_names_are_refused_with_the_reason(key: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        check_key(key)
    assert key in err.value.message and "reserved" in err.value.message


def test_every_variable_of_the_container_contract_is_reserved() -> None:
    source = load_space({"README.md": b"---\nsdk: gradio\n---\n", "app.py": b""})
    env = contract_env(SpaceId("a", "b"), source.manifest, Settings())
    assert [k for k in env if reserved_reason(k) is None] == []


def test_values_must_be_strings_under_the_limit_without_nul() -> None:
    assert check_value("K", "") == ""
    assert check_value("K", "x" * MAX_VALUE_BYTES) == "x" * MAX_VALUE_BYTES
    with pytest.raises(UploadTooLarge) as err:
        check_value("K", "é" * (MAX_VALUE_BYTES // 2 + 1))  # bytes count, not characters
    assert err.value.http_status == 413 and "K" in err.value.message
    for bad in (None, 3, ["x"], "a\0b"):
        with pytest.raises(InvalidRequest):
            check_value("K", bad)


def test_descriptions_are_optional_strings() -> None:
    assert check_description(None) is None and check_description("x") == "x"
    for bad in (3, "x" * 1001):
        with pytest.raises(InvalidRequest):
            check_description(bad)


def test_redactor_masks_every_occurrence_longest_first() -> None:
    redact = Redactor(["hunter2", "hunter2-extended", ""])
    assert redact("login hunter2 then hunter2-extended, hunter2") == ("login *** then ***, ***")
    assert redact("nothing here") == "nothing here"
    assert not Redactor([""]) and Redactor(["x"])
    assert Redactor([])("hunter2") == "hunter2"


def test_redactor_masks_regex_characters_and_lines_of_multiline_secrets() -> None:
    pem = "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\n-----END KEY-----"
    redact = Redactor(["a.b*c", pem])
    assert redact("x a.b*c y aXbbc") == "x *** y aXbbc"
    assert redact("loaded MIIBOgIBAAJBAKj34GkxFhD9 ok") == "loaded *** ok"
