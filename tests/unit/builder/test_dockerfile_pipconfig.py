"""The pip configuration builds use: parsing ``pip config list``, merging, dropping what a build
container cannot reach, and the rendered pip.conf."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from spacehost.builder.pipconfig import (
    SYSTEM_CA_BUNDLE,
    PipPlan,
    effective_pip_settings,
    host_pip_config,
    parse_pip_config_list,
    proxy_build_args,
    render_pip_conf,
    resolve_host_options,
)
from spacehost.errors import BuildFailed
from spacehost.settings import PipSettings, Settings
from tests.support.pipconfigs import HOST_CFG


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        (
            "global.index-url='https://pypi.example.org/simple'\n",
            {"global.index-url": "https://pypi.example.org/simple"},
        ),
        (
            ":env:.default-timeout='180'\n:env:.find-links='/opt/wheels'\n",
            {":env:.default-timeout": "180", ":env:.find-links": "/opt/wheels"},
        ),
        # pip prints values with %r: a value holding a single quote comes back double-quoted.
        (
            '''global.index-url="https://u:p'w@idx.example/simple"''',
            {"global.index-url": "https://u:p'w@idx.example/simple"},
        ),
        # '=' inside a value (query strings) stays in the value.
        (
            "install.extra-index-url='https://x.example/simple?a=b'",
            {"install.extra-index-url": "https://x.example/simple?a=b"},
        ),
        (
            "global.extra-index-url='file:///opt/pypi/simple file:///opt/more/simple'",
            {"global.extra-index-url": "file:///opt/pypi/simple file:///opt/more/simple"},
        ),
        # Noise lines (warnings, blank lines, lines without a section) are ignored.
        (
            "WARNING: something\n\nnosection='x'\n  global.cert='/c.pem'  \n",
            {"global.cert": "/c.pem"},
        ),
        ("global.timeout=unquoted", {"global.timeout": "unquoted"}),
    ],
)
def test_parse_pip_config_list(text: str, expected: dict[str, str]) -> None:
    assert parse_pip_config_list(text) == expected


@pytest.mark.parametrize(
    ("cfg", "expected"),
    [
        ({}, {}),
        ({"global.index-url": "https://a/simple"}, {"index-url": "https://a/simple"}),
        # pip's precedence for `pip install`: environment > [install] > [global].
        (
            {"global.index-url": "https://g/simple", "install.index-url": "https://i/simple"},
            {"index-url": "https://i/simple"},
        ),
        (
            {
                ":env:.index-url": "https://e/simple",
                "install.index-url": "https://i/simple",
                "global.index-url": "https://g/simple",
            },
            {"index-url": "https://e/simple"},
        ),
        # Short and long spellings.
        (
            {":env:.i": "https://e/simple", "global.f": "https://links/"},
            {"index-url": "https://e/simple", "find-links": "https://links/"},
        ),
        ({":env:.default-timeout": "180"}, {"timeout": "180"}),
        # Sections of other commands and options this module does not carry are ignored.
        (
            {
                "download.index-url": "https://d/simple",
                "global.no-index": "1",
                "global.cert": "/etc/c.pem",
            },
            {"cert": "/etc/c.pem"},
        ),
        ({"global.c": "/c.txt"}, {"constraint": "/c.txt"}),
    ],
)
def test_resolve_host_options(cfg: dict[str, str], expected: dict[str, str]) -> None:
    assert resolve_host_options(cfg) == expected


def files(*paths: str) -> object:
    present = set(paths)
    return lambda path: path in present


@pytest.mark.parametrize(
    ("pip", "cfg", "existing", "expected"),
    [
        pytest.param(PipSettings(), {}, (), PipPlan(), id="nothing-configured-no-system-bundle"),
        pytest.param(
            PipSettings(),
            {},
            (SYSTEM_CA_BUNDLE,),
            PipPlan(ca_bundle=SYSTEM_CA_BUNDLE),
            id="system-bundle-by-default",
        ),
        pytest.param(
            PipSettings(),
            HOST_CFG,
            (SYSTEM_CA_BUNDLE,),
            PipPlan(
                timeout="180",
                ca_bundle=SYSTEM_CA_BUNDLE,
                warnings=(
                    "skipping local extra-index-url file:///opt/pypi/simple: not reachable "
                    "from a build container",
                    "skipping local extra-index-url file:///opt/pypi-more/simple: not "
                    "reachable from a build container",
                    "skipping local find-links /opt/wheels: not reachable from a build container",
                    "ignoring pip's constraint /etc/xdg/pip/constraints.txt: no such file on "
                    "this host",
                ),
            ),
            id="this-host-local-mirrors-dropped-without-a-mirror",
        ),
        pytest.param(
            PipSettings(
                extra_index_urls=("https://extra.example/simple", "https://a.example/simple"),
                find_links=("https://wheels.example/",),
                trusted_hosts=("b.example",),
            ),
            {
                "global.index-url": "https://corp.example/simple",
                "global.extra-index-url": "https://a.example/simple",
                "global.trusted-host": "a.example",
            },
            (),
            PipPlan(
                index_url="https://corp.example/simple",
                extra_index_urls=("https://a.example/simple", "https://extra.example/simple"),
                find_links=("https://wheels.example/",),
                trusted_hosts=("a.example", "b.example"),
            ),
            id="settings-lists-added-after-host-deduplicated",
        ),
        pytest.param(
            PipSettings(index_url="https://mine.example/simple", ca_bundle="/etc/corp-ca.pem"),
            {"global.index-url": "https://corp.example/simple", "global.cert": "/etc/pip.pem"},
            ("/etc/corp-ca.pem", "/etc/pip.pem", SYSTEM_CA_BUNDLE),
            PipPlan(index_url="https://mine.example/simple", ca_bundle="/etc/corp-ca.pem"),
            id="settings-win-for-index-url-and-cert",
        ),
        pytest.param(
            PipSettings(),
            {"global.cert": "/etc/pip.pem"},
            ("/etc/pip.pem", SYSTEM_CA_BUNDLE),
            PipPlan(ca_bundle="/etc/pip.pem"),
            id="pip-cert-before-system-bundle",
        ),
        pytest.param(
            PipSettings(),
            {"global.cert": "/gone.pem"},
            (SYSTEM_CA_BUNDLE,),
            PipPlan(
                ca_bundle=SYSTEM_CA_BUNDLE,
                warnings=("ignoring pip's cert /gone.pem: no such file on this host",),
            ),
            id="missing-pip-cert-falls-back",
        ),
        pytest.param(
            PipSettings(ca_bundle="none"),
            {"global.cert": "/etc/pip.pem"},
            ("/etc/pip.pem", SYSTEM_CA_BUNDLE),
            PipPlan(),
            id="ca-bundle-none",
        ),
        pytest.param(
            PipSettings(source="none"),
            {"global.index-url": "https://corp.example/simple", "global.cert": "/etc/pip.pem"},
            ("/etc/pip.pem",),
            PipPlan(),
            id="source-none-ignores-host",
        ),
        pytest.param(
            PipSettings(),
            {
                "global.index-url": "file:///srv/simple",
                "global.extra-index-url": "http://localhost:8080/simple http://127.0.0.2/simple "
                "http://10.0.0.5:8080/simple",
            },
            (),
            PipPlan(
                extra_index_urls=("http://10.0.0.5:8080/simple",),
                warnings=(
                    "skipping local index-url file:///srv/simple: not reachable from a build "
                    "container; using pypi.org instead",
                    "skipping extra-index-url http://localhost:8080/simple: it names this "
                    "host's loopback interface, which a build container cannot reach (use an "
                    "address the containers can route to)",
                    "skipping extra-index-url http://127.0.0.2/simple: it names this host's "
                    "loopback interface, which a build container cannot reach (use an address "
                    "the containers can route to)",
                ),
            ),
            id="local-and-loopback-urls-dropped",
        ),
    ],
)
def test_effective_pip_settings(
    pip: PipSettings, cfg: Mapping[str, str], existing: tuple[str, ...], expected: PipPlan
) -> None:
    assert effective_pip_settings(pip, cfg, is_file=files(*existing)) == expected  # type: ignore[arg-type]


def test_a_configured_ca_bundle_that_does_not_exist_fails_the_build() -> None:
    with pytest.raises(BuildFailed, match=r"/nope\.pem") as info:
        effective_pip_settings(PipSettings(ca_bundle="/nope.pem"), {}, is_file=lambda p: False)
    assert "SPACEHOST_CA_BUNDLE" in info.value.hint


def test_render_pip_conf() -> None:
    plan = PipPlan(
        index_url="https://corp.example/simple",
        extra_index_urls=("https://a.example/simple", "https://b.example/simple"),
        find_links=("https://wheels.example/",),
        trusted_hosts=("a.example",),
        timeout="180",
        ca_bundle="/etc/ssl/certs/ca-certificates.crt",
    )
    assert render_pip_conf(plan) == (
        "# Written by spacehost from the host's pip configuration and SPACEHOST_PIP_* settings.\n"
        "[global]\n"
        "disable-pip-version-check = true\n"
        "index-url = https://corp.example/simple\n"
        "timeout = 180\n"
        "extra-index-url = https://a.example/simple https://b.example/simple\n"
        "find-links = https://wheels.example/\n"
        "trusted-host = a.example\n"
    )
    assert render_pip_conf(PipPlan()).splitlines()[1:] == [
        "[global]",
        "disable-pip-version-check = true",
    ]


def test_host_pip_config_reads_pips_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "https://idx.example/simple")
    monkeypatch.setenv("PIP_TRUSTED_HOST", "idx.example")
    cfg = host_pip_config()
    assert cfg[":env:.index-url"] == "https://idx.example/simple"
    assert resolve_host_options(cfg)["index-url"] == "https://idx.example/simple"
    assert resolve_host_options(cfg)["trusted-host"] == "idx.example"


def test_host_pip_config_without_pip_is_empty() -> None:
    assert host_pip_config(python="/nonexistent/python3") == {}


def test_proxy_settings_become_build_args() -> None:
    settings = Settings.from_env(
        {"HTTPS_PROXY": "http://proxy.corp:3128", "no_proxy": "localhost,.corp"}
    )
    # The local pip mirror is reached directly, never through the proxy.
    assert proxy_build_args(settings.pip) == {
        "HTTPS_PROXY": "http://proxy.corp:3128",
        "no_proxy": "localhost,.corp,spacehost-mirror",
        "NO_PROXY": "spacehost-mirror",
    }
    assert proxy_build_args(Settings.from_env({}).pip) == {}
