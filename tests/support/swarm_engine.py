"""One node of the test cluster (tests/support/swarm_cluster.py): Debian's ``dockerd`` in the
node's network namespace with its own data root, exec root, pidfile, socket, cgroup parent and
its own containerd.

How a node is launched, and why::

    ip netns exec shsw-<id>-<i>     its network namespace; also a private mount namespace
                                    (slave of the host's) with a fresh /sys for that netns
      unshare --uts sh nI.sh        its own hostname (the node's name in `docker node ls`)
        mount cgroup hierarchies    the fresh /sys hides the host's cgroup mounts: the same
                                    hierarchies are mounted again (dockerd needs them)
        tmpfs on /run/containerd    dockerd 20.10 uses a *system* containerd whenever
                                    /run/containerd/containerd.sock exists; hiding it makes
                                    every node start its own (under its exec root)
        exec dockerd ...

Its mounts (overlay layers, network sandboxes) live in that private mount namespace and go
when its last process does; its containers sit under the cgroup parent ``/shsw-<id>-<i>``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
from docker import DockerClient

from spacehost.runtime.swarm_node_fence import (
    NODE_DAEMON_CONFIG,
    job_admit_rules,
    node_firewall_rules,
)
from tests.support.polling import wait_for
from tests.support.swarm_network import HOST_ADDR, PREFIX, NodeLink, netns_inode

DOCKERD = "/usr/sbin/dockerd"
DATA_BASE = Path(f"/var/lib/{PREFIX}")
RUN_BASE = Path(f"/run/{PREFIX}")  # short: containerd's socket path must fit 108 bytes
CGROUP_BASE = Path("/sys/fs/cgroup")


@dataclass
class NodeEngine:
    """The Docker Engine of node *index* of cluster *cluster_id*.

    Args:
        link: the node's network (namespace, address).
        insecure_registry: the plain-HTTP registries it pulls from (``host:port`` or a CIDR range).
    """

    cluster_id: str
    index: int
    link: NodeLink
    insecure_registry: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.link.netns

    @property
    def data_root(self) -> Path:
        return DATA_BASE / self.cluster_id / f"n{self.index}"

    @property
    def exec_root(self) -> Path:
        return RUN_BASE / self.cluster_id / f"n{self.index}"

    @property
    def socket(self) -> Path:
        return RUN_BASE / self.cluster_id / f"node{self.index}.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def log_path(self) -> Path:
        return DATA_BASE / self.cluster_id / f"n{self.index}.log"

    @property
    def cgroup_parent(self) -> str:
        return f"/{self.name}"

    def client(self, timeout: int = 60) -> DockerClient:
        return docker.DockerClient(base_url=self.url, timeout=timeout)

    def start(self, timeout: float = 90.0) -> None:
        """Launch dockerd (again, on the same data root after a kill) and wait until it
        answers a ping.

        Raises:
            RuntimeError: it exited first; the message quotes its log's tail.
            AssertionError: it did not answer within *timeout* s.
        """
        self.data_root.mkdir(parents=True, exist_ok=True)
        self.exec_root.mkdir(parents=True, exist_ok=True)
        # a SIGKILLed dockerd leaves its pidfile, and the pid in it may be reused
        self._pidfile.unlink(missing_ok=True)
        # so does its containerd; worse, that containerd is reparented to the machine's init,
        # which may leave it a zombie for a while: dockerd would take the pid for a live
        # containerd, dial its dead socket and give up ("timeout waiting for containerd")
        (self.exec_root / "containerd" / "containerd.pid").unlink(missing_ok=True)
        script = self.exec_root.with_suffix(".sh")
        script.write_text(self._launch_script())
        argv = ["ip", "netns", "exec", self.name, "unshare", "--uts", "sh", str(script)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            wait_for(self._answers_or_exited, timeout, 0.2, f"dockerd of {self.name} to answer")
        except AssertionError as exc:
            raise AssertionError(f"{exc}; its log ends: {self.log_tail()}") from None
        if self.process.poll() is not None:
            raise RuntimeError(f"dockerd of {self.name} exited: {self.log_tail()}")
        self._fence()

    def _fence(self) -> None:
        """docs/cluster.md's firewall rules for every node (runtime/swarm_node_fence.py): what
        a space starts is refused, to the node and through it; new connections to the ports
        this node publishes are admitted only from the platform's host (the router). Each added
        once per namespace (they outlive a killed engine, as the namespace does)."""
        self._insert(node_firewall_rules(HOST_ADDR, self.link.addr))

    def admit_jobs(self, platform_port: int) -> None:
        """docs/cluster.md's rules for a node that runs jobs (SPACEHOST_SWARM_JOBS=swarm): a
        job's connection to the platform's host at *platform_port* passes, on top of the fence."""
        self._insert(job_admit_rules(HOST_ADDR, platform_port))

    def _insert(self, rules: list[tuple[str, tuple[str, ...]]]) -> None:
        netns = ["ip", "netns", "exec", self.name, "iptables"]
        for chain, rule in rules:
            spec = [chain, *rule]
            if subprocess.run([*netns, "-C", *spec], capture_output=True, check=False).returncode:
                subprocess.run([*netns, "-I", *spec], capture_output=True, check=True)

    def kill(self, timeout: float = 30.0) -> None:
        """SIGKILL everything of the node at once, as a power cut would: dockerd, its
        containerd, the shims and the containers' processes."""
        wait_for(self._killed, timeout, 0.1, f"every process of {self.name} to die")
        if self.process is not None:
            self.process.wait(timeout)
            self.process = None

    def log_tail(self, size: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        return ""

    @property
    def _pidfile(self) -> Path:
        return self.exec_root.with_suffix(".pid")

    def _answers_or_exited(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            return True
        return engine_answers(self.socket)

    def _killed(self) -> bool:
        pids = list(node_pids(self))
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return not pids

    def _launch_script(self) -> str:
        dockerd = [
            DOCKERD,
            "--config-file", str(self._config_file()),
            "--data-root", str(self.data_root),
            "--exec-root", str(self.exec_root),
            "--pidfile", str(self._pidfile),
            "-H", self.url,
            "--cgroup-parent", self.cgroup_parent,
            "--insecure-registry", self.insecure_registry,
            "--log-level", "warn",
        ]  # fmt: skip
        lines = ["set -e", f"hostname {shlex.quote(self.name)}", *remount_cgroups()]
        lines.append("[ ! -d /run/containerd ] || mount -t tmpfs shsw-hide /run/containerd")
        lines.append("exec " + shlex.join(dockerd))
        return "\n".join(lines) + "\n"

    def _config_file(self) -> Path:
        # its own daemon.json, never the machine's /etc/docker/daemon.json: what docs/cluster.md
        # asks of every node (no traffic between containers, no masquerading on the bridge)
        config = self.exec_root.with_suffix(".json")
        config.write_text(json.dumps(NODE_DAEMON_CONFIG) + "\n")
        return config


def engine_answers(socket_path: Path) -> bool:
    """True when the engine on *socket_path* answers ``GET /_ping`` with ``OK`` (a raw request:
    the SDK's client leaks its socket when its constructor fails)."""
    try:
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(2)
            conn.connect(str(socket_path))
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: engine\r\n\r\n")
            answer = b""
            while chunk := conn.recv(4096):
                answer += chunk
    except OSError:
        return False
    return b" 200 " in answer[:16] and answer.endswith(b"OK")


def remount_cgroups(mountinfo: Path = Path("/proc/self/mountinfo")) -> list[str]:
    """Shell lines mounting again, under a fresh /sys, the cgroup file systems the host has
    under /sys/fs/cgroup (v1 hierarchies, a v2 one, or both), in the host's order."""
    lines = []
    for line in mountinfo.read_text().splitlines():
        left, _, right = line.partition(" - ")
        mountpoint = left.split()[4]
        fstype, _source, options = right.split()[:3]
        if not mountpoint.startswith(str(CGROUP_BASE)):
            continue
        if fstype not in ("tmpfs", "cgroup", "cgroup2"):
            continue
        where = shlex.quote(mountpoint)
        lines.append(f"mkdir -p {where}")
        options = _named_only(options) if fstype == "cgroup" else options
        lines.append(f"mount -t {fstype} -o {shlex.quote(options)} {PREFIX}-{fstype} {where}")
    return lines


def _named_only(options: str) -> str:
    """A named v1 hierarchy without controllers (``name=systemd``) mounts only with ``none``:
    without it the kernel would try to bind every controller to it."""
    words = options.split(",")
    flags = {"rw", "ro", "xattr", "noprefix", "clone_children"}
    controllers = [w for w in words if w not in flags and "=" not in w]
    return options if controllers or "none" in words else ",".join(["none", *words])


def _proc_text(pid: int, name: str) -> str:
    with contextlib.suppress(OSError):
        raw = Path(f"/proc/{pid}/{name}").read_bytes()
        return raw.replace(b"\0", b" ").decode(errors="replace")
    return ""


def _pids() -> Iterator[int]:
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != me:
            yield int(entry)


def _in_netns(pid: int, inode: int | None) -> bool:
    if inode is None:
        return False
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino == inode
    except OSError:
        return False


def node_pids(node: NodeEngine) -> Iterator[int]:
    """Processes of one node: in its netns, under its cgroup parent, or naming its roots."""
    inode = netns_inode(node.name)
    roots = (str(node.exec_root) + " ", str(node.exec_root) + "/", str(node.data_root) + "/")
    for pid in _pids():
        cmdline = _proc_text(pid, "cmdline")
        if (
            _in_netns(pid, inode)
            or f":{node.cgroup_parent}/" in _proc_text(pid, "cgroup")
            or any(root in cmdline for root in roots)
        ):
            yield pid


def prefix_pids() -> Iterator[int]:
    """Processes of any cluster with the prefix (this run's or a killed run's leftovers)."""
    inodes = {netns_inode(name) for name in _prefix_netns()} - {None}
    markers = (f"{RUN_BASE}/", f"{DATA_BASE}/")
    for pid in _pids():
        cmdline = _proc_text(pid, "cmdline")
        if any(_in_netns(pid, inode) for inode in inodes) or (
            f":/{PREFIX}-" in _proc_text(pid, "cgroup") or any(m in cmdline for m in markers)
        ):
            yield pid


def _prefix_netns() -> list[str]:
    with contextlib.suppress(OSError):
        return [name for name in os.listdir("/run/netns") if name.startswith(f"{PREFIX}-")]
    return []


def _killed_all() -> bool:
    pids = list(prefix_pids())
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return not pids


def sweep_engines(timeout: float = 60.0) -> None:
    """Kill every process of the prefix, then remove host mounts under its folders, its
    cgroups and its folders."""
    wait_for(_killed_all, timeout, 0.1, f"every {PREFIX} engine process to die")
    _unmount_under((RUN_BASE, DATA_BASE))
    wait_for(_cgroups_removed, timeout, 0.1, f"the {PREFIX} cgroups to be removed")
    for base in (RUN_BASE, DATA_BASE):
        subprocess.run(["rm", "-rf", "--one-file-system", str(base)], check=False)


def _unmount_under(bases: tuple[Path, ...]) -> None:
    mountpoints = [
        line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()
    ]
    for mountpoint in sorted(mountpoints, key=len, reverse=True):
        if any(mountpoint.startswith(f"{base}/") for base in bases):
            subprocess.run(["umount", "-l", mountpoint], check=False)


def _cgroups_removed() -> bool:
    leftovers = sorted(CGROUP_BASE.glob(f"*/{PREFIX}-*/**/"), key=lambda p: len(p.parts))
    for folder in reversed(leftovers):
        with contextlib.suppress(OSError):
            folder.rmdir()
    return not any(CGROUP_BASE.glob(f"*/{PREFIX}-*"))
