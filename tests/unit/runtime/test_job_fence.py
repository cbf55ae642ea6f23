"""The job network's firewall rules (runtime/jobnetwork.py): a job reaches the relay on its
gateway and nothing else on the host or beyond; a new relay port replaces the old rule, and the
spaces' rules are left alone. tests/e2e/test_jobs.py checks them on real containers."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from spacehost.runtime.isolation import CHAIN_FORWARD, CHAIN_INPUT, Firewall, Isolation
from spacehost.runtime.jobnetwork import (
    JobNetwork,
    fence_job_network,
    job_firewall_rules,
    job_network_names,
)

NET = JobNetwork("spacehost-jobs-abc", "shjob0123456789", "172.20.0.1")


class Iptables:
    """A filter table in memory answering -S/-N/-C/-A/-I/-D (-S lists ``-A CHAIN spec``)."""

    def __init__(self) -> None:
        self.chains: dict[str, list[tuple[str, ...]]] = {
            c: [] for c in ("INPUT", "FORWARD", "DOCKER-USER")
        }

    def __call__(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        op, chain, *rest = args[2:]
        rules = self.chains.get(chain)
        ok, out = rules is not None, ""
        if op == "-N":
            ok = not ok
            self.chains.setdefault(chain, [])
        elif rules is not None and op == "-S":
            out = "\n".join([f"-N {chain}"] + [f"-A {chain} {' '.join(r)}" for r in rules])
        elif rules is not None and op in ("-C", "-D"):
            ok = tuple(rest) in rules
            if ok and op == "-D":
                rules.remove(tuple(rest))
        elif rules is not None and op == "-A":
            rules.append(tuple(rest))
        elif rules is not None and op == "-I":
            rules.insert(int(rest[0]) - 1, tuple(rest[1:]))
        return subprocess.CompletedProcess(args, 0 if ok else 1, out, "")


def test_a_job_may_start_a_connection_to_the_relay_alone() -> None:
    rules = job_firewall_rules(NET, 35677)
    inside = ("-i", NET.interface)
    assert rules[1] == (
        CHAIN_INPUT,
        (*inside, "-d", "172.20.0.1", "-p", "tcp", "--dport", "35677", "-j", "RETURN"),
    )
    assert rules[2] == (CHAIN_INPUT, (*inside, "-j", "REJECT"))  # the rest of the host
    assert rules[3] == (CHAIN_FORWARD, (*inside, "-j", "REJECT"))  # anything beyond it


def test_a_new_relay_port_replaces_the_old_rule_and_spares_the_spaces_rules() -> None:
    table = Iptables()
    Firewall(table).ensure(Isolation())
    spaces = list(table.chains[CHAIN_INPUT])
    fence_job_network(Firewall(table), NET, 1111)
    fence_job_network(Firewall(table), NET, 2222)
    jobs = [r for r in table.chains[CHAIN_INPUT] if NET.interface in r]
    assert jobs == [spec for chain, spec in job_firewall_rules(NET, 2222) if chain == CHAIN_INPUT]
    assert [r for r in table.chains[CHAIN_INPUT] if NET.interface not in r] == spaces
    assert table.chains["INPUT"][0] == ("-j", CHAIN_INPUT)


def test_each_instance_has_its_own_network_and_a_valid_interface_name() -> None:
    a, b = job_network_names("one"), job_network_names("two")
    assert a != b and all(len(iface) <= 15 for _, iface in (a, b))


def test_a_removed_job_network_takes_its_rules_along() -> None:
    table = Iptables()
    Firewall(table).ensure(Isolation())
    spaces = {c: list(r) for c, r in table.chains.items()}
    fence_job_network(Firewall(table), NET, 1111)
    Firewall(table).remove_rules(NET.interface)
    assert table.chains == spaces
