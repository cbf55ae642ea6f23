"""The concise build log (issue 11, C19): steps and a failing step's output stay; lines nobody
who pushed a space can act on go (they stay in the full log)."""

from __future__ import annotations

import pytest

from spacehost.builder.buildlog import concise

KEPT = [
    "Step 6/16 : RUN pip install --no-cache-dir -r requirements.txt",
    " ---> Using cache",
    "Collecting numpy",
    "ERROR: No matching distribution found for nope==1",
    "E: Unable to locate package nope",
    "The command '/bin/sh -c pip install -r requirements.txt' returned a non-zero code: 1",
    "Successfully tagged spacehost-space/alice--demo:abc",
    "WARNING: README.md: did you mean `sdk_version`?",
]
DROPPED = [
    " ---> 540be4666226",
    " ---> Running in 66d166cbfa03",
    "Removing intermediate container 66d166cbfa03",
    "Successfully built e5dc08752ea3",
    "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.",
    "            Install the buildx component to build images with BuildKit:",
    "WARNING: Running pip as the 'root' user can result in broken permissions",
    "[notice] A new release of pip is available: 24.0 -> 25.1",
    "debconf: delaying package configuration, since apt-utils is not installed",
    "Looking in indexes: https://pypi.org/simple, http://spacehost-mirror:7871/0/simple/",
    "Looking in links: http://spacehost-mirror:7871/2/",
    "--> torch: CPU build, so pip is constrained to torch==2.13.0+cpu",
    "--> building spacehost-space/e2e--x:abc",
    "WARNING: python_version 3.10 (the default when README.md sets none) is not available here",
]


@pytest.mark.parametrize("line", KEPT)
def test_kept(line: str) -> None:
    assert concise(line)


@pytest.mark.parametrize("line", DROPPED)
def test_dropped(line: str) -> None:
    assert not concise(line)
