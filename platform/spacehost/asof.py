"""The "resolve as of" setting: the date up to which a build resolves a space's packages.

Written in a README (``spacehost_resolve_as_of``) and by the operator
(``SPACEHOST_RESOLVE_AS_OF``); the builder turns it into pip's ``--uploaded-prior-to``
(:mod:`spacehost.builder.cutoff`). Layer 0: the manifest and the settings both parse it.

Values:

- ``revision``: the space's own date (its revision's date, bounded by its gradio's time);
- ``latest`` or ``off``: today's resolution, no cut-off (two spellings of one thing);
- a date ``YYYY-MM-DD``: packages uploaded before the end of that day (UTC);
- a date and time ``YYYY-MM-DDTHH:MM[:SS]`` with ``Z`` or an offset (UTC without one):
  packages uploaded before that instant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

REVISION = "revision"
LATEST = "latest"
OFF = "off"
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass(frozen=True)
class AsOf:
    """A parsed setting.

    Attributes:
        mode: ``revision``, ``latest`` or ``date``.
        before: with ``date``: the instant (UTC) packages must be uploaded before.
        text: the value as written (``off`` stays ``off``), for the build log.
    """

    mode: str
    before: datetime | None = None
    text: str = ""


def parse_as_of(text: str) -> AsOf:
    """Read a "resolve as of" value.

    Raises:
        ValueError: for anything but ``revision``, ``latest``, ``off``, a date or a date and
            time; the message says what is allowed.
    """
    value = text.strip()
    lower = value.lower()
    if lower in (REVISION, LATEST, OFF):
        return AsOf(REVISION if lower == REVISION else LATEST, None, lower)
    if _DATE_RE.match(value):
        day = _parse(value, "%Y-%m-%d")
        return AsOf("date", day + timedelta(days=1), value)
    if _DATETIME_RE.match(value):
        instant = _parse(value.replace("Z", "+00:00"), None)
        return AsOf("date", instant.astimezone(UTC), value)
    raise ValueError(
        f"{value!r} is not a date to resolve packages as of; use a date like 2025-01-14, "
        "a UTC time like 2025-01-14T12:00:00Z, `latest` (or `off`) for today's packages, or "
        "`revision` for the space's own date"
    )


def _parse(value: str, fmt: str | None) -> datetime:
    try:
        parsed = datetime.strptime(value, fmt) if fmt else datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not a real date or time ({exc}); use a date like 2025-01-14"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def pip_time(instant: datetime) -> str:
    """*instant* as pip's ``--uploaded-prior-to`` takes it: UTC, with ``Z``, to the second."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
