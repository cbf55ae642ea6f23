"""What of a build log a user sees by default (issue 11, C19). Pure: one line in, keep or not.

A build log is stored whole. What the CLI's push, the status page and the Logs tab show by
default is the *concise* log: the steps, their progress and whatever a failing step printed,
without the lines nobody who pushed a space can act on -- the engine's layer and container ids,
pip's and apt's warnings about running as root or without a terminal, the legacy builder's
deprecation notice, the mirror's index lines, and the platform's notes about its own build
setup. ``full=1`` on the logs API (``spacehost logs --build --full``) gives every line.
"""

from __future__ import annotations

import re

_NOISE = tuple(
    re.compile(p)
    for p in (
        r"^ ---> [0-9a-f]{12}$",  # the layer a step made
        r"^ ---> Running in [0-9a-f]{12}$",
        r"^Removing intermediate container [0-9a-f]{12}$",
        r"^Successfully built [0-9a-f]{12}$",
        r"^DEPRECATED: The legacy builder is deprecated",
        r"^ +(Install the buildx component|BuildKit is currently disabled|"
        r"Learn more at https://docs\.docker\.com/)",
        r"^WARNING: Running pip as the 'root' user",
        r"^\[notice\] ",  # pip: a new release of pip is available
        r"^debconf: ",  # apt in a build: no terminal, no apt-utils
        r"^(dpkg-preconfigure|delaying package configuration)",
        r"^Looking in (indexes|links): ",  # the platform's own package mirror
        r"^--> (torch: CPU build|building spacehost-space/)",  # the platform's build setup
        r"\(the default when README\.md sets none\)",  # a default the space did not choose
    )
)


def concise(line: str) -> bool:
    """True when *line* belongs in the concise build log."""
    return not any(p.search(line) for p in _NOISE)
