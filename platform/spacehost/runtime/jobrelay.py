"""The job relay: a TCP listener on the job network's gateway address that hands each
connection to the router, byte for byte (runtime/jobnetwork.py lets jobs reach it and nothing
else on the host). Jobs' ``HF_ENDPOINT`` is ``http://GATEWAY:PORT``; the port is kept in a file
so that a restart reuses it (and its firewall rule).

Threads, not the control plane's event loop: it is started by the job runner's worker thread
when the first job needs it, and a job's long transfers never touch the API's loop.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from pathlib import Path

log = logging.getLogger(__name__)
CHUNK = 1 << 16
CONNECT_TIMEOUT_S = 10


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(CHUNK):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


class JobRelay:
    """Listens on *host* (the gateway) and forwards each connection to *target* (the router)."""

    def __init__(self, host: str, target: tuple[str, int], port_file: Path):
        self.host, self.target, self._port_file = host, target, port_file
        self.port = 0
        self._listener: socket.socket | None = None

    def start(self) -> int:
        """Listen (on the port of the last start when it is free); the port."""
        wanted = 0
        with contextlib.suppress(OSError, ValueError):
            wanted = int(self._port_file.read_text())
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self.host, wanted))
        except OSError:
            listener.bind((self.host, 0))
        listener.listen(64)
        self._listener = listener
        self.port = int(listener.getsockname()[1])
        self._port_file.parent.mkdir(parents=True, exist_ok=True)
        self._port_file.write_text(str(self.port))
        threading.Thread(target=self._accept, name="job-relay", daemon=True).start()
        log.info("job relay on %s:%s -> %s:%s", self.host, self.port, *self.target)
        return self.port

    def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=CONNECT_TIMEOUT_S)
        except OSError as exc:
            log.warning("job relay: the router does not answer: %s", exc)
            client.close()
            return
        upstream.settimeout(None)
        back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
        back.start()
        _pipe(client, upstream)
        back.join()
        for sock in (client, upstream):
            sock.close()
