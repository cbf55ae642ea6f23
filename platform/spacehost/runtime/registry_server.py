"""A container image registry that spacehost runs itself when the operator configures none.

A cluster needs one place every node pulls space images from (issue 17, "Images"): when no
registry is configured, spacehost starts Debian's ``docker-registry`` (the CNCF Distribution
registry, package ``docker-registry``) with a generated configuration, storage under a folder
it is given, and stops it with the platform. Plain HTTP: the nodes list its address as an
insecure registry (docs/cluster.md); a loopback address needs no engine configuration.

::

    root/config.yml     generated (render_config)
    root/storage/       the registry's filesystem storage (blobs, manifests)
    root/registry.log   its output; the tail is quoted when it fails to start
"""

from __future__ import annotations

import contextlib
import errno
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self

import requests
import yaml

from spacehost.errors import EngineUnavailable, PortUnavailable

DEFAULT_BINARY = "/usr/bin/docker-registry"
_INSTALL_HINT = "install Debian's docker-registry package (scripts/setup.sh does)"
_LOG_TAIL_BYTES = 2000


def render_config(storage_dir: Path, listen: str, http_secret: str) -> str:
    """The registry's YAML configuration: filesystem storage in *storage_dir*, plain HTTP on
    *listen* (``host:port``; ``:port`` for every address), deletes allowed (garbage
    collection of old revisions), no authentication, no access log."""
    config = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(storage_dir)},
            "delete": {"enabled": True},
        },
        # a fixed secret: uploads resumed after a restart stay valid
        "http": {"addr": listen, "secret": http_secret},
    }
    return yaml.safe_dump(config, sort_keys=False)


def registry_answers(url: str) -> bool:
    """True when ``GET {url}/v2/`` answers 200 (the registry API's version check)."""
    try:
        return requests.get(f"{url}/v2/", timeout=2).status_code == 200
    except requests.RequestException:
        return False


class RegistryServer:
    """One ``docker-registry serve`` process, started and stopped by spacehost.

    Args:
        root: folder for its configuration, storage and log (created when missing).
        host: the address it listens on (``0.0.0.0`` for every address).
        port: its TCP port.
        binary: the registry executable.
    """

    def __init__(
        self, root: Path, *, host: str = "127.0.0.1", port: int = 5000, binary: str = DEFAULT_BINARY
    ) -> None:
        self.root = root
        self.host = host
        self.port = port
        self.binary = binary
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its HTTP base URL as this machine reaches it (loopback when it listens everywhere)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.root / "registry.log"

    @property
    def pid(self) -> int | None:
        """The registry process's pid while it was started by this object, else None."""
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 30.0) -> None:
        """Write the configuration, start the registry and wait until ``GET /v2/`` answers.

        Raises:
            EngineUnavailable: the binary is missing, or it exited or did not answer in time.
            PortUnavailable: something else already answers on the port.
        """
        if self.running:
            return
        if shutil.which(self.binary) is None:
            raise EngineUnavailable(
                f"the registry binary {self.binary} is missing", hint=_INSTALL_HINT
            )
        if registry_answers(self.url) or _port_taken(self.host, self.port):
            raise PortUnavailable(
                f"port {self.port} on {self.host} is already in use: the registry cannot listen",
                hint="choose another port, or stop what listens there",
            )
        config = self._write_config()
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [self.binary, "serve", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_answering(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the registry (SIGTERM, then SIGKILL after *timeout* s); safe to call twice."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _write_config(self) -> Path:
        storage = self.root / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        secret_file = self.root / "http-secret"
        if not secret_file.exists():
            secret_file.write_text(secrets.token_hex(32))
            secret_file.chmod(0o600)
        config = self.root / "config.yml"
        config.write_text(
            render_config(storage, f"{self.host}:{self.port}", secret_file.read_text())
        )
        return config

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not registry_answers(self.url):
            assert self._process is not None
            exited = self._process.poll() is not None
            if exited or time.monotonic() > deadline:
                self.stop()
                why = "exited" if exited else f"did not answer GET /v2/ within {timeout:g} s"
                raise EngineUnavailable(
                    f"the registry on {self.host}:{self.port} {why}",
                    hint=f"see {self.log_path}",
                    details={"log_tail": self._log_tail()},
                )
            time.sleep(0.05)

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_bytes()[-_LOG_TAIL_BYTES:].decode(errors="replace")
        return ""


def _port_taken(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False
