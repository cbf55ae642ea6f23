"""The "resolve as of" values (README's spacehost_resolve_as_of, SPACEHOST_RESOLVE_AS_OF)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spacehost.asof import AsOf, parse_as_of, pip_time
from spacehost.errors import InvalidRequest
from spacehost.settings import Settings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("revision", AsOf("revision", None, "revision")),
        ("latest", AsOf("latest", None, "latest")),
        (" OFF ", AsOf("latest", None, "off")),
        # a date: the whole day (UTC) counts
        ("2025-01-14", AsOf("date", datetime(2025, 1, 15, tzinfo=UTC), "2025-01-14")),
        (
            "2025-01-14T12:30:00Z",
            AsOf("date", datetime(2025, 1, 14, 12, 30, tzinfo=UTC), "2025-01-14T12:30:00Z"),
        ),
        (
            "2025-01-14T12:30+02:00",
            AsOf("date", datetime(2025, 1, 14, 10, 30, tzinfo=UTC), "2025-01-14T12:30+02:00"),
        ),
        (
            "2025-01-14 12:30:00",  # no zone: UTC, not the host's local time
            AsOf("date", datetime(2025, 1, 14, 12, 30, tzinfo=UTC), "2025-01-14 12:30:00"),
        ),
    ],
)
def test_values_that_parse(text: str, expected: AsOf) -> None:
    assert parse_as_of(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2025-13-01", "2025-02-30", "14.01.2025", ""])
def test_bad_values_say_what_is_allowed(text: str) -> None:
    with pytest.raises(ValueError, match="use a date like 2025-01-14"):
        parse_as_of(text)


def test_pip_time_is_utc_with_z_to_the_second() -> None:
    assert pip_time(datetime(2025, 1, 7, 0, 30, 44, 347840, tzinfo=UTC)) == "2025-01-07T00:30:44Z"


def test_the_operator_setting_defaults_to_revision_and_rejects_nonsense() -> None:
    assert Settings.from_env({}).resolve_as_of.mode == "revision"
    assert Settings.from_env({"SPACEHOST_RESOLVE_AS_OF": "off"}).resolve_as_of.mode == "latest"
    with pytest.raises(InvalidRequest, match="SPACEHOST_RESOLVE_AS_OF"):
        Settings.from_env({"SPACEHOST_RESOLVE_AS_OF": "last tuesday"})
