"""The date a build resolves a space's packages as of, and the line the build log gets."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from spacehost.asof import parse_as_of
from spacehost.builder.cutoff import Cutoff, SpaceDates, choose_cutoff
from spacehost.builder.releases import ReleaseWindow

RUNTIME = "6.31.0"
# gradio 5.9.1 on PyPI: last file 2024-12-16T23:26:54.8Z, 5.10.0 came out 2025-01-07T00:30:44Z
W591 = ReleaseWindow(
    "5.9.1",
    datetime(2024, 12, 16, 23, 26, 54, 825852, tzinfo=UTC),
    datetime(2025, 1, 7, 0, 30, 44, 347840, tzinfo=UTC),
    "5.10.0",
)
TODAY = datetime(2026, 12, 6, 23, 50, 1, tzinfo=UTC)
REVISION = parse_as_of("revision")


def dates(
    pushed: datetime, sdk: str | None = "5.9.1", window: ReleaseWindow | None = W591
) -> SpaceDates:
    return SpaceDates(pushed, sdk, RUNTIME, window, "" if window else "offline (no route)")


def test_old_gradio_pushed_today_resolves_as_of_the_end_of_its_gradios_time() -> None:
    cutoff = choose_cutoff(None, REVISION, dates(TODAY))
    assert cutoff.pip_value == "2025-01-07T00:30:44Z"
    assert "gradio 5.10.0 came out then" in cutoff.why
    assert "2026-12-06T23:50:01Z" in cutoff.why


def test_a_push_date_before_the_release_is_raised_to_the_release() -> None:
    cutoff = choose_cutoff(None, REVISION, dates(datetime(2024, 6, 1, tzinfo=UTC)))
    # one second after the last file of 5.9.1, so gradio==5.9.1 itself resolves
    assert cutoff.pip_value == "2024-12-16T23:26:55Z"
    assert cutoff.why.startswith("the release of gradio 5.9.1, later than the push of these")


def test_a_push_date_inside_the_gradios_time_is_kept() -> None:
    pushed = datetime(2024, 12, 24, 10, 0, tzinfo=UTC)
    cutoff = choose_cutoff(None, REVISION, dates(pushed))
    assert cutoff.before == pushed and "in gradio 5.9.1's time" in cutoff.why


@pytest.mark.parametrize("sdk", [None, RUNTIME])
def test_a_space_on_the_runtime_gradio_resolves_as_of_its_push_date(sdk: str | None) -> None:
    cutoff = choose_cutoff(None, REVISION, dates(TODAY, sdk, None))
    assert cutoff == Cutoff(TODAY, "the push of these requirements on 2026-12-06T23:50:01Z")


def test_unknown_release_date_falls_back_to_the_push_date_and_says_why() -> None:
    cutoff = choose_cutoff(None, REVISION, dates(TODAY, window=None))
    assert cutoff.before == TODAY
    assert "the release date of gradio 5.9.1 is unknown: offline (no route)" in cutoff.why


def test_readme_date_wins_over_everything() -> None:
    cutoff = choose_cutoff(parse_as_of("2025-03-01"), parse_as_of("latest"), dates(TODAY))
    assert cutoff.pip_value == "2025-03-02T00:00:00Z"
    assert cutoff.why == "README.md sets spacehost_resolve_as_of: 2025-03-01"


@pytest.mark.parametrize("text", ["latest", "off"])
def test_readme_latest_or_off_is_todays_resolution(text: str) -> None:
    cutoff = choose_cutoff(parse_as_of(text), REVISION, dates(TODAY))
    assert cutoff.before is None and cutoff.pip_value == ""
    assert cutoff.log_line() == (
        f"--> resolving with today's packages: README.md sets spacehost_resolve_as_of: {text}"
    )


def test_operator_setting_applies_unless_the_readme_says_otherwise() -> None:
    off = parse_as_of("off")
    assert choose_cutoff(None, off, dates(TODAY)).why == "SPACEHOST_RESOLVE_AS_OF=off"
    # README's `revision` asks for the space's own date against the operator's default
    own = choose_cutoff(parse_as_of("revision"), off, dates(TODAY))
    assert own.pip_value == "2025-01-07T00:30:44Z"


def test_log_line_names_the_date_the_reason_and_how_to_change_it() -> None:
    line = choose_cutoff(None, REVISION, dates(TODAY)).log_line()
    assert line.startswith("--> resolving as of 2025-01-07T00:30:44Z (the end of gradio 5.9.1's")
    assert "pip installs only files uploaded before then" in line
    assert "spacehost_resolve_as_of" in line
