"""Fixtures shared by the lifecycle's unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_jobs import FakeJobContainers


@pytest.fixture()
def engine() -> Iterator[FakeJobContainers]:
    """A fake job engine (tests/support/fake_jobs.py); the jobs it still runs end after."""
    found = FakeJobContainers()
    yield found
    found.end_all()
