"""The router's client timeouts come from SPACEHOST_* variables and must be positive."""

from __future__ import annotations

import pytest

from spacehost.errors import InvalidRequest
from spacehost.settings import Settings

VARS = {
    "SPACEHOST_HEADER_TIMEOUT": "header_timeout_s",
    "SPACEHOST_HEADER_IDLE_TIMEOUT": "header_idle_s",
    "SPACEHOST_BODY_IDLE_TIMEOUT": "body_idle_s",
    "SPACEHOST_KEEPALIVE_TIMEOUT": "keepalive_timeout_s",
}


def test_defaults() -> None:
    s = Settings.from_env({})
    assert (s.header_timeout_s, s.header_idle_s, s.body_idle_s, s.keepalive_timeout_s) == (
        30.0,
        15.0,
        60.0,
        75.0,
    )


@pytest.mark.parametrize("var", VARS)
def test_each_timeout_is_read_from_its_variable(var: str) -> None:
    assert getattr(Settings.from_env({var: "2.5"}), VARS[var]) == 2.5


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_a_timeout_that_is_not_a_positive_number_is_refused(value: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        Settings.from_env({"SPACEHOST_BODY_IDLE_TIMEOUT": value})
    assert "SPACEHOST_BODY_IDLE_TIMEOUT" in str(err.value) + str(err.value.hint)
