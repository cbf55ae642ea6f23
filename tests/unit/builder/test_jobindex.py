"""The package index jobs get (builder/jobindex.py): the host's local pip sources only, numbered
as the builds' mirror numbers them, told to uv and pip through the job's HF_ENDPOINT."""

from __future__ import annotations

from spacehost.builder.jobindex import JobIndex, JobSource, index_of
from spacehost.builder.pipconfig import mirror_roots
from spacehost.settings import PipSettings

HOST = {
    "global.index-url": "https://pypi.org/simple",  # a network index: out of a job's reach
    "global.extra-index-url": "file:///opt/pypi/simple file:///opt/pypi-more/simple",
    "global.find-links": "/opt/wheels",
}
DIRS = {"/opt/pypi/simple", "/opt/pypi-more/simple", "/opt/wheels"}
ENDPOINT = "http://10.9.0.1:40001"


def index() -> JobIndex:
    return index_of(PipSettings(), HOST, is_dir=DIRS.__contains__, is_file=lambda _p: False)


def test_only_local_sources_numbered_as_the_mirror_numbers_them() -> None:
    found = index()
    assert found.roots == ("/opt/pypi", "/opt/pypi-more", "/opt/wheels")
    mirror = mirror_roots(PipSettings(), HOST, is_dir=DIRS.__contains__, is_file=lambda _p: False)
    assert found.roots == mirror
    assert found.sources == (
        JobSource("extra-index-url", 0, "simple/"),
        JobSource("extra-index-url", 1, "simple/"),
        JobSource("find-links", 2, ""),
    )


def test_uv_and_pip_are_pointed_at_the_platform() -> None:
    base = f"{ENDPOINT}/api/jobs-pip"
    assert index().env(ENDPOINT + "/") == {
        "UV_INDEX_STRATEGY": "unsafe-best-match",
        "UV_DEFAULT_INDEX": f"{base}/0/simple/",
        "PIP_INDEX_URL": f"{base}/0/simple/",
        "UV_INDEX": f"{base}/1/simple/",
        "PIP_EXTRA_INDEX_URL": f"{base}/1/simple/",
        "UV_FIND_LINKS": f"{base}/2/",
        "PIP_FIND_LINKS": f"{base}/2/",
    }


def test_wheel_folders_alone_turn_the_index_off_and_nothing_offers_nothing() -> None:
    wheels = index_of(PipSettings(), {"global.find-links": "/opt/wheels"}, is_dir=DIRS.__contains__)
    env = wheels.env(ENDPOINT)
    assert env["UV_NO_INDEX"] == "1" and env["UV_FIND_LINKS"] == f"{ENDPOINT}/api/jobs-pip/0/"
    assert "UV_DEFAULT_INDEX" not in env
    none = index_of(PipSettings(), {"global.index-url": "https://pypi.org/simple"})
    assert not none.offered and none.env(ENDPOINT) == {}
