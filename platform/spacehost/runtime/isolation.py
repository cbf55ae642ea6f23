"""What a space container can reach (docs/security.md, "What a space can reach").

On the Engine's default bridge (``enable_icc=true``) every space answered every other on
``172.17.0.x:7860`` and reached whatever listens on the host (the router, the local pip mirror),
issue 11, A2. So spaces run on a bridge network of their own, ``spacehost-spaces``, made with
inter-container traffic off, and iptables rules in chains of spacehost's own drop what a space
starts towards the host (``INPUT``) and elsewhere (``DOCKER-USER``), letting only the answers
to connections made to it pass: the router's path to the app (through the published port) keeps
working. Outbound internet (egress) is off unless ``SPACEHOST_SPACE_EGRESS=on``; spaces that may
go out run on a second network, ``spacehost-spaces-egress``, so two platforms with different
settings on one engine never share a network. Builds stay on the default bridge, where the
local pip mirror serves them.

The networks are shared by every spacehost instance on the engine and never removed; the rules
are keyed by the networks' bridge interface names (fixed here), added idempotently and left in
place, so a platform restart (or a second instance) re-checks them without a gap.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from docker import DockerClient

from spacehost.dockerengine import ENGINE_ERRORS, container_error
from spacehost.errors import SpacehostError
from spacehost.runtime.base import LABEL_MANAGED, LABEL_ROLE

log = logging.getLogger(__name__)

SPACES_NETWORK = "spacehost-spaces"
EGRESS_NETWORK = "spacehost-spaces-egress"
# Fixed bridge interface names (at most 15 characters), so the rules name them before or after
# the network is (re)made.
_INTERFACES = {SPACES_NETWORK: "spacehost0", EGRESS_NETWORK: "spacehost1"}
ICC_OPTION = "com.docker.network.bridge.enable_icc"
BRIDGE_NAME_OPTION = "com.docker.network.bridge.name"
MASQUERADE_OPTION = "com.docker.network.bridge.enable_ip_masquerade"
CHAIN_INPUT = "SPACEHOST-SPACES-IN"
CHAIN_FORWARD = "SPACEHOST-SPACES-FWD"
DOCKER_USER = "DOCKER-USER"
_ANSWERS = ("-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN")
_REJECT = ("-j", "REJECT")
IPTABLES_TIMEOUT_S = 30
_WAIT_LOCK_S = "10"
_MAX_DUPLICATES = 20

Rule = tuple[str, tuple[str, ...]]  # (chain, rule spec)
Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True)
class Isolation:
    """How space containers are fenced in.

    Attributes:
        egress: spaces may open connections to the outside world (never to the host or to each
            other).
        firewall: install the iptables rules (needs root and an engine on this host); off, the
            network's own inter-container isolation is all there is.
    """

    egress: bool = False
    firewall: bool = True

    @property
    def network(self) -> str:
        """The Docker network spaces run on."""
        return EGRESS_NETWORK if self.egress else SPACES_NETWORK

    @property
    def interface(self) -> str:
        """The network's bridge interface on the host."""
        return _INTERFACES[self.network]


def network_options(isolation: Isolation) -> dict[str, str]:
    """The driver options the spaces network is made with (and checked against)."""
    return {
        ICC_OPTION: "false",
        BRIDGE_NAME_OPTION: isolation.interface,
        MASQUERADE_OPTION: "true" if isolation.egress else "false",
    }


def firewall_rules(isolation: Isolation) -> list[Rule]:
    """The rules that fence the network's containers in, in their order.

    Returns:
        ``(chain, spec)`` pairs: answers to connections made to a space pass; anything a space
        starts towards the host is rejected; towards another space too; towards anything else
        unless egress is on.
    """
    inside = ("-i", isolation.interface)
    rules: list[Rule] = [
        (CHAIN_INPUT, (*inside, *_ANSWERS)),
        (CHAIN_INPUT, (*inside, *_REJECT)),
        (CHAIN_FORWARD, (*inside, *_ANSWERS)),
        (CHAIN_FORWARD, (*inside, "-o", isolation.interface, *_REJECT)),
    ]
    if not isolation.egress:
        rules.append((CHAIN_FORWARD, (*inside, *_REJECT)))
    return rules


def ensure_network(client: DockerClient, isolation: Isolation) -> str:
    """Make the spaces network unless it exists; check its options if it does.

    Returns:
        Its name.

    Raises:
        SpacehostError: a network of that name exists with other options (made by hand).
        EngineUnavailable: the engine failed or is unreachable.
    """
    name = isolation.network
    found = _network(client, name)
    if found is None:
        try:
            client.api.create_network(
                name, driver="bridge", options=network_options(isolation), check_duplicate=True,
                labels={LABEL_MANAGED: "true", LABEL_ROLE: "spaces-network"},
            )  # fmt: skip
            log.info("created network %s (bridge %s)", name, isolation.interface)
            return name
        except ENGINE_ERRORS as exc:
            # another instance may have made it just now (the engine answers 409, or 500 for
            # "same bridge name"): then it is there to use
            found = _network(client, name)
            if found is None:
                raise container_error(exc, f"creating network {name}") from exc
    _check_options(name, found, isolation)
    return name


def _network(client: DockerClient, name: str) -> dict[str, Any] | None:
    try:
        found = client.api.networks(names=[name])
    except ENGINE_ERRORS as exc:
        raise container_error(exc, f"reading network {name}") from exc
    # The names filter matches substrings ("spacehost-spaces" finds "spacehost-spaces-egress").
    return next((dict(n) for n in found if n.get("Name") == name), None)


def _check_options(name: str, attrs: dict[str, Any], isolation: Isolation) -> None:
    options = attrs.get("Options") or {}
    wrong = {k: v for k, v in network_options(isolation).items() if options.get(k) != v}
    if wrong:
        raise SpacehostError(
            f"the Docker network {name} exists with options other than spacehost's "
            f"({', '.join(f'{k}={v}' for k, v in sorted(wrong.items()))} expected)",
            hint=f"remove it (`docker network rm {name}`, after removing the containers on it) "
            "and start spacehost again: it makes the network itself",
        )


class Firewall:
    """Installs :func:`firewall_rules` with the host's ``iptables``, idempotently.

    Args:
        run: runs an ``iptables`` command line (injectable for tests).
    """

    def __init__(self, run: Runner | None = None) -> None:
        self._run = run or _run_iptables

    def ensure(self, isolation: Isolation) -> None:
        """Make the chains, their rules for *isolation*'s interface, and the jumps to them.

        Raises:
            SpacehostError: ``iptables`` is missing or refused (not root, no netfilter).
        """
        rules = firewall_rules(isolation)
        for chain in (CHAIN_INPUT, CHAIN_FORWARD):
            if not self._ok("-S", chain):
                self._must("-N", chain)
        if not all(self._ok("-C", chain, *spec) for chain, spec in rules):
            # Some are missing (first start, or removed by hand): put the whole set back in
            # order, since the answers' RETURN must come before the REJECTs.
            for chain, spec in rules:
                for _ in range(_MAX_DUPLICATES):
                    if not self._ok("-D", chain, *spec):
                        break
            for chain, spec in rules:
                self._must("-A", chain, *spec)
            log.info("firewall rules for %s installed", isolation.interface)
        self._jump()

    def ensure_rules(self, rules: list[Rule], interface: str) -> None:
        """Make *rules* (all about one bridge *interface*) the chains' rules for it: the rules
        of that interface not among them (an earlier start's) are deleted, missing ones added
        in order (the job network's, runtime/jobnetwork.py).

        Raises:
            SpacehostError: ``iptables`` is missing or refused.
        """
        for chain in (CHAIN_INPUT, CHAIN_FORWARD):
            if not self._ok("-S", chain):
                self._must("-N", chain)
        if not all(self._ok("-C", chain, *spec) for chain, spec in rules):
            self.remove_rules(interface)
            for chain, spec in rules:
                self._must("-A", chain, *spec)
            log.info("firewall rules for %s installed", interface)
        self._jump()

    def remove_rules(self, interface: str) -> None:
        """Delete the chains' rules about bridge *interface* (a removed job network's)."""
        for chain in (CHAIN_INPUT, CHAIN_FORWARD):
            for line in self._call(("-S", chain)).stdout.splitlines():
                parts = line.split()
                if parts[:2] == ["-A", chain] and f"-i {interface} " in f"{line} ":
                    self._ok("-D", chain, *parts[2:])

    def _jump(self) -> None:
        # DOCKER-USER comes first in FORWARD and the Engine never flushes it; an engine run
        # with --iptables=false has none, then FORWARD itself is used.
        forward = DOCKER_USER if self._ok("-S", DOCKER_USER) else "FORWARD"
        for parent, chain in (("INPUT", CHAIN_INPUT), (forward, CHAIN_FORWARD)):
            if not self._ok("-C", parent, "-j", chain):
                self._must("-I", parent, "1", "-j", chain)

    def _ok(self, *args: str) -> bool:
        return self._call(args).returncode == 0

    def _must(self, *args: str) -> None:
        done = self._call(args)
        if done.returncode != 0:
            raise _firewall_error(
                f"`iptables {' '.join(args)}` failed: {(done.stderr or done.stdout).strip()}"
            )

    def _call(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return self._run(["-w", _WAIT_LOCK_S, *args])


def _run_iptables(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("iptables") or shutil.which("iptables", path="/usr/sbin:/sbin")
    if binary is None:
        raise _firewall_error("iptables is not installed")
    try:
        return subprocess.run(
            [binary, *args], capture_output=True, text=True, timeout=IPTABLES_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _firewall_error(f"running iptables failed: {exc}") from exc


def _firewall_error(why: str) -> SpacehostError:
    return SpacehostError(
        f"cannot fence space containers in: {why}",
        hint="run spacehost as root on the Docker host (it adds iptables rules that keep spaces "
        "from reaching the host and each other), or set SPACEHOST_SPACE_FIREWALL=off and "
        "isolate them yourself (docs/security.md)",
    )
