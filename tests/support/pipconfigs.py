"""pip configurations the pip-config tests read, as `pip config list` prints them."""

from __future__ import annotations

# This machine's own configuration, as `pip config list` printed it.
HOST_CFG = {
    ":env:.cert": "/etc/ssl/certs/ca-certificates.crt",
    ":env:.default-timeout": "180",
    ":env:.find-links": "/opt/wheels",
    "global.cert": "/etc/ssl/certs/ca-certificates.crt",
    "global.constraint": "/etc/xdg/pip/constraints.txt",
    "global.extra-index-url": "file:///opt/pypi/simple file:///opt/pypi-more/simple",
    "global.find-links": "/opt/wheels",
}
