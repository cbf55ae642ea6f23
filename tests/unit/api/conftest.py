"""The API tests' platform: fake engine and builder, the demo space pushed and running."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.lifecycle import Platform
from tests.support.control_api import DEMO, DEMO_FILES
from tests.support.platforms import platform_in


@pytest.fixture()
def platform(tmp_path: Path) -> Iterator[Platform]:
    with platform_in(tmp_path) as p:
        p.push(DEMO, DEMO_FILES)
        assert p.wait_idle()
        yield p
