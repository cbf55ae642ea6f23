"""Free TCP ports on loopback, for servers a test starts."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port free on 127.0.0.1 now (the kernel's choice); another process may take it before
    it is used, so servers that can bind port 0 themselves should."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
