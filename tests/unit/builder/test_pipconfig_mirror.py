"""Local pip sources (file:// indexes, wheel folders) reach builds through the local pip mirror:
discovery of what to serve, the rewritten pip configuration, constraints, and the settings."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from spacehost.builder.mirror import MirrorStatus, mirror_identity
from spacehost.builder.pipconfig import (
    IMAGE_CONSTRAINTS,
    IMAGE_CPU_TORCH,
    SYSTEM_CA_BUNDLE,
    LocalSource,
    PipPlan,
    effective_pip_settings,
    image_constraints,
    local_path,
    local_source,
    mirror_roots,
    render_pip_conf,
)
from spacehost.errors import InvalidRequest
from spacehost.settings import PipSettings, Settings
from tests.support.pipconfigs import HOST_CFG

DIRS = ("/opt/pypi/simple", "/opt/pypi-more/simple", "/opt/wheels")
FILES = (SYSTEM_CA_BUNDLE, "/etc/xdg/pip/constraints.txt")
UP = MirrorStatus(url="http://spacehost-mirror:7871", address="172.17.0.1", how="serving")


def member(*paths: str) -> Callable[[str], bool]:
    present = set(paths)
    return lambda path: path in present


def plan(
    cfg: dict[str, str],
    mirror: MirrorStatus | None = UP,
    pip: PipSettings | None = None,
    dirs: tuple[str, ...] = DIRS,
    files: tuple[str, ...] = FILES,
) -> PipPlan:
    return effective_pip_settings(
        pip or PipSettings(), cfg, mirror=mirror, is_dir=member(*dirs), is_file=member(*files)
    )


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("file:///opt/pypi/simple", "/opt/pypi/simple"),
        ("file://localhost/opt/x%20y/", "/opt/x y/"),
        ("/opt/wheels", "/opt/wheels"),
        ("https://pypi.example/simple", None),
        ("file://fileserver/share/simple", None),  # another machine's file
    ],
)
def test_local_path(location: str, expected: str | None) -> None:
    assert local_path(location) == expected


def test_relative_and_home_paths_become_absolute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/alice")
    monkeypatch.chdir("/tmp")
    assert local_path("~/wheels") == "/home/alice/wheels"
    assert local_path("wheels") == "/tmp/wheels"


@pytest.mark.parametrize(
    ("option", "location", "expected"),
    [
        # An index's pages link to ../../files/NAME beside the index folder: serve its parent.
        ("extra-index-url", "file:///opt/pypi/simple/", ("/opt/pypi", "simple/")),
        ("index-url", "/srv/mirror/simple", ("/srv/mirror", "simple/")),
        # ...but never the whole filesystem.
        ("index-url", "file:///simple", ("/simple", "")),
        ("find-links", "/opt/wheels", ("/opt/wheels", "")),
        ("find-links", "/opt/links/links.html", ("/opt/links", "links.html")),
    ],
)
def test_local_source_roots(option: str, location: str, expected: tuple[str, str]) -> None:
    source = local_source(
        option,
        location,
        is_dir=member("/opt/pypi/simple", "/srv/mirror/simple", "/simple", "/opt/wheels"),
        is_file=member("/opt/links/links.html"),
    )
    assert source is not None
    assert (source.root, source.subpath) == expected


def test_missing_or_remote_locations_are_not_local_sources() -> None:
    nothing = member()
    assert local_source("find-links", "/gone", is_dir=nothing, is_file=nothing) is None
    assert local_source("index-url", "file:///gone/simple", is_dir=nothing) is None
    assert local_source("index-url", "https://pypi.example/simple", is_dir=nothing) is None


def test_this_hosts_sources_go_through_the_mirror() -> None:
    got = plan(HOST_CFG)
    assert got == PipPlan(
        extra_index_urls=(
            "http://spacehost-mirror:7871/0/simple/",
            "http://spacehost-mirror:7871/1/simple/",
        ),
        find_links=("http://spacehost-mirror:7871/2/",),
        trusted_hosts=("spacehost-mirror:7871",),
        timeout="180",
        ca_bundle=SYSTEM_CA_BUNDLE,
        constraint_files=("/etc/xdg/pip/constraints.txt",),
        served=(
            LocalSource(
                "extra-index-url",
                "file:///opt/pypi/simple",
                "/opt/pypi/simple",
                "/opt/pypi",
                "simple/",
            ),
            LocalSource(
                "extra-index-url",
                "file:///opt/pypi-more/simple",
                "/opt/pypi-more/simple",
                "/opt/pypi-more",
                "simple/",
            ),
            LocalSource("find-links", "/opt/wheels", "/opt/wheels", "/opt/wheels", ""),
        ),
        hosts=(("spacehost-mirror", "172.17.0.1"),),
    )
    # The mirror serves exactly the roots the URLs number, in the same order.
    roots = mirror_roots(PipSettings(), HOST_CFG, is_dir=member(*DIRS), is_file=member())
    assert roots == ("/opt/pypi", "/opt/pypi-more", "/opt/wheels")


def test_the_rendered_pip_conf_names_only_the_mirror_and_the_image_constraints() -> None:
    assert render_pip_conf(plan(HOST_CFG)).splitlines()[1:] == [
        "[global]",
        "disable-pip-version-check = true",
        "timeout = 180",
        "extra-index-url = http://spacehost-mirror:7871/0/simple/ "
        "http://spacehost-mirror:7871/1/simple/",
        "find-links = http://spacehost-mirror:7871/2/",
        "trusted-host = spacehost-mirror:7871",
        f"constraint = {IMAGE_CONSTRAINTS}",
    ]


def test_the_pip_conf_is_the_same_whoever_serves_the_mirror() -> None:
    # Its bytes are part of the runtime images' cache key: serving here or reusing another
    # instance's mirror (or another gateway address) must not change them.
    shared = MirrorStatus(url=UP.url, address="10.99.0.1", how="shared")
    assert render_pip_conf(plan(HOST_CFG, shared)) == render_pip_conf(plan(HOST_CFG))


def test_roots_shared_by_two_locations_are_served_once() -> None:
    cfg = {"global.index-url": "file:///srv/m/simple", "global.find-links": "/srv/m"}
    got = plan(cfg, dirs=("/srv/m/simple", "/srv/m"))
    assert got.index_url == "http://spacehost-mirror:7871/0/simple/"
    assert got.find_links == ("http://spacehost-mirror:7871/0/",)
    assert mirror_roots(PipSettings(), cfg, is_dir=member("/srv/m/simple", "/srv/m")) == ("/srv/m",)


def test_spacehost_settings_may_name_local_folders_too() -> None:
    pip = PipSettings(source="none", find_links=("/srv/wheelhouse",))
    got = plan({}, pip=pip, dirs=("/srv/wheelhouse",))
    assert got.find_links == ("http://spacehost-mirror:7871/0/",)
    assert mirror_roots(pip, {}, is_dir=member("/srv/wheelhouse")) == ("/srv/wheelhouse",)


def test_a_missing_local_folder_is_skipped_with_a_warning() -> None:
    got = plan(HOST_CFG, dirs=("/opt/pypi/simple",))
    assert got.extra_index_urls == ("http://spacehost-mirror:7871/0/simple/",)
    assert got.find_links == ()
    assert got.warnings == (
        "skipping local extra-index-url file:///opt/pypi-more/simple: no such folder on this host",
        "skipping local find-links /opt/wheels: no such folder on this host",
    )


def test_an_unavailable_mirror_drops_local_sources_and_says_why() -> None:
    down = MirrorStatus(how="unavailable", problem="the local pip mirror cannot serve on X")
    got = plan(HOST_CFG, down)
    assert (got.extra_index_urls, got.find_links, got.hosts, got.served) == ((), (), (), ())
    assert got.trusted_hosts == ()
    assert got.warnings[0] == "the local pip mirror cannot serve on X"
    assert got.warnings[1].startswith("skipping local extra-index-url file:///opt/pypi/simple")


def test_loopback_urls_are_still_dropped_with_a_mirror() -> None:
    got = plan({"global.extra-index-url": "http://127.0.0.1:3141/simple"})
    assert got.extra_index_urls == ()
    assert "loopback" in got.warnings[0]
    assert got.hosts == ()  # nothing served: builds need no extra host


@pytest.mark.parametrize(
    ("value", "files", "urls", "warnings"),
    [
        ("/etc/c.txt", ("/etc/c.txt",), (), ()),
        ("/etc/c.txt /etc/d.txt", ("/etc/c.txt", "/etc/d.txt"), (), ()),
        ("https://c.example/c.txt", (), ("https://c.example/c.txt",), ()),
        ("/gone.txt", (), (), ("ignoring pip's constraint /gone.txt: no such file on this host",)),
    ],
)
def test_host_constraints_reach_builds(
    value: str, files: tuple[str, ...], urls: tuple[str, ...], warnings: tuple[str, ...]
) -> None:
    got = plan({"global.constraint": value}, files=("/etc/c.txt", "/etc/d.txt"))
    assert (got.constraint_files, got.constraint_urls, got.warnings) == (files, urls, warnings)


def test_image_constraints_for_cpu_builds_repeat_the_hosts() -> None:
    # PIP_CONSTRAINT replaces pip.conf's constraint, so a CPU build names both.
    both = PipPlan(constraint_files=("/etc/c.txt",), constraint_urls=("https://c/c.txt",))
    assert image_constraints(both) == (IMAGE_CONSTRAINTS, "https://c/c.txt")
    assert image_constraints(both, cpu_torch=True) == (
        IMAGE_CONSTRAINTS,
        "https://c/c.txt",
        IMAGE_CPU_TORCH,
    )
    assert image_constraints(PipPlan(), cpu_torch=True) == (IMAGE_CPU_TORCH,)
    assert "constraint" not in render_pip_conf(PipPlan())


def test_mirror_identity_depends_on_the_roots_and_their_order() -> None:
    a = mirror_identity(("/opt/pypi", "/opt/wheels"))
    assert a == mirror_identity(["/opt/pypi", "/opt/wheels"])
    assert a != mirror_identity(("/opt/wheels", "/opt/pypi"))
    assert a != mirror_identity(("/opt/pypi",))


def test_settings_for_the_mirror_and_cpu_torch() -> None:
    default = Settings.from_env({}).pip
    assert (default.mirror_port, default.cpu_torch) == (7871, "auto")
    custom = Settings.from_env({"SPACEHOST_MIRROR_PORT": "0", "SPACEHOST_CPU_TORCH": "OFF"}).pip
    assert (custom.mirror_port, custom.cpu_torch) == (0, "off")
    for env in (
        {"SPACEHOST_MIRROR_PORT": "x"},
        {"SPACEHOST_MIRROR_PORT": "70000"},
        {"SPACEHOST_CPU_TORCH": "cuda"},
    ):
        with pytest.raises(InvalidRequest) as info:
            Settings.from_env(env)
        assert info.value.hint
