"""The date a build resolves a space's packages as of (its "cut-off"), and why. Pure.

A space pinned to an old gradio (``sdk_version``) was made to work with the packages of its
time; today's resolution gives it today's packages (e.g. ``huggingface_hub`` 1.x, which no
longer pulls in the ``requests`` that gradio 5.x imports). So every build passes pip
``--uploaded-prior-to`` (pip >= 26) with a cut-off chosen here, first match wins:

1. ``spacehost_resolve_as_of`` in README.md: a date, or ``latest``/``off`` (none);
2. ``SPACEHOST_RESOLVE_AS_OF``: the same values; ``revision`` (the default) goes on to 3;
3. the revision's date: the push date of its dependency inputs (the first revision with these
   requirements, :mod:`.depdates`, so a code-only push keeps its cut-off and its cached pip
   layers), kept inside its gradio's time when the space pins a
   gradio other than the runtime image's: no earlier than that release's upload (else
   ``gradio==sdk_version`` cannot resolve) and no later than the upload of the final release
   that superseded it (a space pushed today with ``sdk_version: 5.9.1`` resolves as of 5.9.1's
   time). A space on the runtime image's gradio resolves as of that push date: today's
   packages at its first build, the same ones at every rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from spacehost.asof import LATEST, AsOf, pip_time
from spacehost.builder.releases import ReleaseWindow

README_FIELD = "spacehost_resolve_as_of"
SETTING = "SPACEHOST_RESOLVE_AS_OF"
HOW_TO_CHANGE = f"set {README_FIELD} in README.md (a date, or latest) to change it"


@dataclass(frozen=True)
class Cutoff:
    """A build's cut-off.

    Attributes:
        before: pip installs only files uploaded before this instant (UTC); None: today's
            resolution.
        why: the reason, for the build log.
    """

    before: datetime | None
    why: str

    @property
    def pip_value(self) -> str:
        """``--uploaded-prior-to``'s value ("" without a cut-off)."""
        return pip_time(self.before) if self.before else ""

    def log_line(self) -> str:
        """``--> resolving as of ...`` for the build log."""
        if self.before is None:
            return f"--> resolving with today's packages: {self.why}"
        return (
            f"--> resolving as of {self.pip_value} ({self.why}): pip installs only files "
            f"uploaded before then; {HOW_TO_CHANGE}"
        )


@dataclass(frozen=True)
class SpaceDates:
    """What the default cut-off is chosen from.

    Attributes:
        revision_date: when the revision's dependency inputs were first pushed (UTC).
        sdk_version: the space's gradio (None: the runtime image's).
        runtime_gradio: the gradio in the runtime image.
        gradio: the window of *sdk_version* on the index (None: unknown).
        gradio_problem: why the window is unknown ("" when known or not needed).
    """

    revision_date: datetime
    sdk_version: str | None
    runtime_gradio: str
    gradio: ReleaseWindow | None = None
    gradio_problem: str = ""

    @property
    def own_gradio(self) -> bool:
        """True when the space installs a gradio other than the runtime image's."""
        return bool(self.sdk_version) and self.sdk_version != self.runtime_gradio


def choose_cutoff(readme: AsOf | None, operator: AsOf, dates: SpaceDates) -> Cutoff:
    """The cut-off of a build (see the module docstring for the rules).

    Args:
        readme: the README's ``spacehost_resolve_as_of`` (None when absent).
        operator: ``SPACEHOST_RESOLVE_AS_OF``.
        dates: the revision's date and the space's gradio window.
    """
    if readme is not None and readme.mode != "revision":
        return _explicit(readme, f"README.md sets {README_FIELD}: {readme.text}")
    if readme is None and operator.mode != "revision":
        return _explicit(operator, f"{SETTING}={operator.text}")
    return _from_revision(dates)


def _explicit(setting: AsOf, why: str) -> Cutoff:
    if setting.mode == LATEST:
        return Cutoff(None, why)
    return Cutoff(setting.before, why)


def _from_revision(dates: SpaceDates) -> Cutoff:
    pushed = dates.revision_date.astimezone(UTC)
    pushed_text = f"the push of these requirements on {pip_time(pushed)}"
    if not dates.own_gradio:
        return Cutoff(pushed, pushed_text)
    window = dates.gradio
    if window is None:
        return Cutoff(
            pushed,
            f"{pushed_text}; the release date of gradio {dates.sdk_version} is unknown: "
            f"{dates.gradio_problem}",
        )
    released = window.uploaded.replace(microsecond=0) + timedelta(seconds=1)
    if pushed < released:
        return Cutoff(
            released,
            f"the release of gradio {window.version}, later than {pushed_text}",
        )
    if window.superseded is not None and pushed > window.superseded:
        return Cutoff(
            window.superseded,
            f"the end of gradio {window.version}'s time: gradio {window.superseded_by} came "
            f"out then, before {pushed_text}",
        )
    return Cutoff(pushed, f"{pushed_text}, in gradio {window.version}'s time")
