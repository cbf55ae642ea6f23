"""``SPACEHOST_SWARM_JOBS``: where HF jobs run with SPACEHOST_RUNTIME=swarm
(runtime/swarm_jobs.py)."""

from __future__ import annotations

import pytest

from spacehost.errors import InvalidRequest
from spacehost.settings import Settings


def test_the_build_engine_by_default_and_the_swarm_when_asked() -> None:
    assert Settings.from_env({}).swarm_jobs == "engine"
    assert Settings.from_env({"SPACEHOST_SWARM_JOBS": " Swarm "}).swarm_jobs == "swarm"


def test_another_value_is_refused_naming_the_two() -> None:
    with pytest.raises(InvalidRequest, match="invalid SPACEHOST_SWARM_JOBS 'nodes'") as err:
        Settings.from_env({"SPACEHOST_SWARM_JOBS": "nodes"})
    assert "'engine'" in err.value.hint and "'swarm'" in err.value.hint
