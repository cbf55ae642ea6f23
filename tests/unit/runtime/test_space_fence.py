"""What a space may use and reach, as settings and engine options (pure, no engine): the CPU
limit and weight (issue 11, A6), the image's own WORKDIR for ``sdk: docker`` (A11), and the
spaces network and its firewall rules (A2). tests/e2e/test_space_isolation.py checks them on
real containers."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

import pytest

from spacehost.domain import Sdk, SpaceId
from spacehost.errors import InvalidRequest, SpacehostError
from spacehost.lifecycle.contract import container_workdir
from spacehost.manifest.model import Manifest
from spacehost.runtime.base import ContainerSpec
from spacehost.runtime.gpu import GpuOptions
from spacehost.runtime.isolation import (
    CHAIN_FORWARD,
    CHAIN_INPUT,
    Firewall,
    Isolation,
    firewall_rules,
    network_options,
)
from spacehost.runtime.options import create_kwargs
from spacehost.settings import Settings, default_space_cpus

SPEC = ContainerSpec(space=SpaceId("a", "b"), revision="r" * 12, image="img")


# --- CPU -----------------------------------------------------------------------------------------


def test_by_default_a_space_gets_fewer_cores_than_the_host_and_a_lower_weight() -> None:
    settings = Settings.from_env({})
    cores = os.cpu_count() or 1
    assert settings.cpus < cores
    assert settings.cpus == (cores - 1 if cores > 1 else 0.5)
    assert settings.cpu_shares == 512  # the engine's (and every host process's) is 1024


@pytest.mark.parametrize(("cores", "cpus"), [(1, 0.5), (2, 1.0), (4, 3.0), (64, 63.0)])
def test_default_cpus_leave_one_core(cores: int, cpus: float) -> None:
    assert default_space_cpus(cores) == cpus


def test_cpu_limit_and_weight_are_configurable() -> None:
    settings = Settings.from_env({"SPACEHOST_CPUS": "1.5", "SPACEHOST_CPU_SHARES": "256"})
    assert (settings.cpus, settings.cpu_shares) == (1.5, 256)


@pytest.mark.parametrize(
    "env",
    [{"SPACEHOST_CPUS": "0"}, {"SPACEHOST_CPUS": "-1"}, {"SPACEHOST_CPU_SHARES": "1"},
     {"SPACEHOST_CPU_SHARES": "many"}, {"SPACEHOST_CPUS": "lots"}],
)  # fmt: skip
def test_bad_cpu_settings_are_refused_with_a_hint(env: dict[str, str]) -> None:
    with pytest.raises(InvalidRequest) as caught:
        Settings.from_env(env)
    assert "SPACEHOST_CPU" in caught.value.message and caught.value.hint


def test_the_container_gets_the_specs_cpu_limit_and_weight() -> None:
    spec = ContainerSpec(**{**SPEC.__dict__, "cpus": 1.5, "cpu_shares": 300})
    kwargs = create_kwargs(spec, name="n", gpu=GpuOptions(), network_mode="bridge")
    assert (kwargs["nano_cpus"], kwargs["cpu_shares"]) == (1_500_000_000, 300)


# --- WORKDIR -------------------------------------------------------------------------------------


def test_docker_spaces_start_in_their_images_workdir_others_in_the_app_folder() -> None:
    assert container_workdir(Manifest(title="t", sdk=Sdk.DOCKER)) is None
    assert container_workdir(Manifest(title="t", sdk=Sdk.GRADIO)) == "/home/user/app"
    docker_spec = ContainerSpec(**{**SPEC.__dict__, "workdir": None})
    kwargs = create_kwargs(docker_spec, name="n", gpu=GpuOptions(), network_mode="bridge")
    assert kwargs["working_dir"] is None
    assert create_kwargs(SPEC, name="n", gpu=GpuOptions(), network_mode="b")["working_dir"] == (
        "/home/user/app"
    )


# --- network and firewall ------------------------------------------------------------------------


def test_spaces_without_egress_run_on_a_network_without_icc_nor_masquerade() -> None:
    fence = Isolation()
    assert (fence.network, fence.interface) == ("spacehost-spaces", "spacehost0")
    assert network_options(fence) == {
        "com.docker.network.bridge.enable_icc": "false",
        "com.docker.network.bridge.name": "spacehost0",
        "com.docker.network.bridge.enable_ip_masquerade": "false",
    }
    assert Isolation(egress=True).network == "spacehost-spaces-egress"
    assert network_options(Isolation(egress=True))[
        "com.docker.network.bridge.enable_ip_masquerade"] == "true"  # fmt: skip


def test_rules_let_answers_out_and_reject_what_a_space_starts() -> None:
    answers = ("-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN")
    assert firewall_rules(Isolation()) == [
        (CHAIN_INPUT, ("-i", "spacehost0", *answers)),
        (CHAIN_INPUT, ("-i", "spacehost0", "-j", "REJECT")),
        (CHAIN_FORWARD, ("-i", "spacehost0", *answers)),
        (CHAIN_FORWARD, ("-i", "spacehost0", "-o", "spacehost0", "-j", "REJECT")),
        (CHAIN_FORWARD, ("-i", "spacehost0", "-j", "REJECT")),
    ]
    egress = firewall_rules(Isolation(egress=True))
    assert (CHAIN_INPUT, ("-i", "spacehost1", "-j", "REJECT")) in egress
    assert (CHAIN_FORWARD, ("-i", "spacehost1", "-j", "REJECT")) not in egress


class FakeIptables:
    """A filter table in memory that answers -S/-N/-C/-A/-I/-D as iptables does."""

    def __init__(self, chains: Sequence[str] = ("INPUT", "FORWARD", "DOCKER-USER")) -> None:
        self.chains: dict[str, list[tuple[str, ...]]] = {c: [] for c in chains}
        self.calls: list[tuple[str, ...]] = []

    def __call__(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        assert list(args[:2]) == ["-w", "10"]
        op, chain, *rest = args[2:]
        self.calls.append((op, chain, *rest))
        rules = self.chains.get(chain)
        ok = rules is not None
        if op == "-N":
            ok = not ok
            self.chains.setdefault(chain, [])
        elif rules is not None and op in ("-C", "-D"):
            ok = tuple(rest) in rules
            if ok and op == "-D":
                rules.remove(tuple(rest))
        elif rules is not None and op == "-A":
            rules.append(tuple(rest))
        elif rules is not None and op == "-I":
            rules.insert(int(rest[0]) - 1, tuple(rest[1:]))
        return subprocess.CompletedProcess(args, 0 if ok else 1, "", "" if ok else "No chain")


def test_the_firewall_is_installed_once_and_hooked_first() -> None:
    table = FakeIptables()
    table.chains["INPUT"].append(("-j", "ACCEPT"))
    Firewall(table).ensure(Isolation())
    assert table.chains["INPUT"][0] == ("-j", CHAIN_INPUT)
    assert table.chains["DOCKER-USER"][0] == ("-j", CHAIN_FORWARD)
    expected: dict[str, list[tuple[str, ...]]] = {CHAIN_INPUT: [], CHAIN_FORWARD: []}
    for chain, spec in firewall_rules(Isolation()):
        expected[chain].append(spec)
    assert {c: table.chains[c] for c in expected} == expected
    before, calls = {c: list(r) for c, r in table.chains.items()}, len(table.calls)
    Firewall(table).ensure(Isolation())  # a platform restart, or a second instance
    assert table.chains == before
    assert not [c for c in table.calls[calls:] if c[0] in ("-A", "-I", "-D", "-N")]


def test_a_damaged_rule_set_is_put_back_in_order() -> None:
    table = FakeIptables()
    Firewall(table).ensure(Isolation())
    table.chains[CHAIN_INPUT].pop(0)  # the answers' RETURN removed by hand
    Firewall(table).ensure(Isolation())
    assert table.chains[CHAIN_INPUT] == [s for c, s in firewall_rules(Isolation())
                                         if c == CHAIN_INPUT]  # fmt: skip


def test_both_networks_share_the_chains_without_clashing() -> None:
    table = FakeIptables()
    Firewall(table).ensure(Isolation())
    Firewall(table).ensure(Isolation(egress=True))
    assert len(table.chains[CHAIN_FORWARD]) == 3 + 2
    assert table.chains["INPUT"].count(("-j", CHAIN_INPUT)) == 1


def test_without_docker_user_forward_itself_is_hooked() -> None:
    table = FakeIptables(chains=("INPUT", "FORWARD"))
    Firewall(table).ensure(Isolation())
    assert table.chains["FORWARD"][0] == ("-j", CHAIN_FORWARD)


def test_a_refusing_iptables_is_a_clear_error() -> None:
    def refuse(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 4, "", "Permission denied (you must be root)")

    with pytest.raises(SpacehostError) as caught:
        Firewall(refuse).ensure(Isolation())
    assert "Permission denied" in caught.value.message
    assert "SPACEHOST_SPACE_FIREWALL=off" in caught.value.hint


# --- the backend -----------------------------------------------------------------------------


class _Api:
    """What prepare_network asks of docker's low-level API: networks by name, create_network."""

    def __init__(self, bridge: bool = True) -> None:
        self.made: list[dict[str, object]] = []
        self.names = ["bridge"] if bridge else []

    def networks(self, names: list[str]) -> list[dict[str, object]]:
        found: list[dict[str, object]] = [
            {"Name": n, "Options": {}} for n in self.names if names[0] in n
        ]
        return found + [m for m in self.made if names[0] in str(m["Name"])]

    def create_network(self, name: str, **kwargs: object) -> None:
        self.made.append({"Name": name, "Options": kwargs["options"], **kwargs})


class _Client:
    def __init__(self, bridge: bool = True) -> None:
        self.api = _Api(bridge)


def test_host_networking_is_left_alone_and_touches_no_firewall() -> None:
    from spacehost.runtime.docker_backend import DockerBackend

    table = FakeIptables()
    backend = DockerBackend(_Client(bridge=False), network_mode="auto",
                            firewall=Firewall(table))  # fmt: skip
    assert backend.prepare_network() == "host"
    assert table.calls == []


def test_bridge_mode_runs_spaces_on_the_fenced_network_checked_at_every_start() -> None:
    from spacehost.runtime.docker_backend import DockerBackend

    table, client = FakeIptables(), _Client()
    backend = DockerBackend(client, firewall=Firewall(table))
    assert backend.prepare_network() == "spacehost-spaces"
    assert backend.prepare_network() == "spacehost-spaces"
    assert [m["Name"] for m in client.api.made] == ["spacehost-spaces"]  # made once
    assert client.api.made[0]["Options"] == network_options(Isolation())
    table.chains["INPUT"].clear()  # a firewall reload flushed it
    backend.prepare_network()
    assert table.chains["INPUT"] == [("-j", CHAIN_INPUT)]


def test_without_isolation_spaces_stay_on_the_default_bridge() -> None:
    from spacehost.runtime.docker_backend import DockerBackend

    table = FakeIptables()
    backend = DockerBackend(_Client(), isolation=None,
                            firewall=Firewall(table))  # fmt: skip
    assert backend.prepare_network() == "bridge"
    assert table.calls == []


def test_a_hand_made_network_of_that_name_is_refused_with_what_to_do() -> None:
    from spacehost.runtime.docker_backend import DockerBackend

    client = _Client()
    client.api.names.append("spacehost-spaces")  # exists, with the engine's default options
    backend = DockerBackend(client, firewall=Firewall(FakeIptables()))
    with pytest.raises(SpacehostError) as caught:
        backend.prepare_network()
    assert "docker network rm spacehost-spaces" in caught.value.hint
