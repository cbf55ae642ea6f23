"""The base images of an ``sdk: docker`` space's Dockerfile, made available before its build.

For each ``FROM`` image (every stage, ARG-substituted): the Engine's own copy when it has one,
else a pull (a registry or a registry mirror the Engine is configured with), else a local
stand-in made from Debian's archive (:mod:`.compat_bases`, :mod:`.compat_images`). Stand-ins go
into the Dockerfile of the build context only (the space's files stay as pushed), and the log
says so: ``--> FROM python:3.11-slim: not available here (no registry); using
spacehost/compat-python:3.11-slim-bookworm, made from Debian bookworm``. A base that cannot be
had is a BuildFailed naming it and what to configure, before the build starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import docker
import docker.errors
import docker.utils

from spacehost.builder.build_run import LogFn
from spacehost.builder.compat_bases import compat_for
from spacehost.builder.compat_images import CompatImages
from spacehost.builder.fromlines import FromKind, parse_froms, rewrite_froms
from spacehost.builder.pipconfig import PipPlan
from spacehost.dockerengine import ENGINE_ERRORS, Failure, classify
from spacehost.errors import BuildFailed


@dataclass(frozen=True)
class DockerfileBases:
    """The Dockerfile to build (its FROM lines rewritten where a stand-in is used) and the
    warnings for the build log."""

    dockerfile: str
    warnings: tuple[str, ...] = ()


class DockerBases:
    """Finds or makes every base image a Dockerfile starts from.

    Args:
        client: the Engine.
        compat: makes the stand-ins.
        suites: the Debian suites stand-ins may be made from (``settings.compat_suites``;
            empty: never make one).
    """

    def __init__(self, client: docker.DockerClient, compat: CompatImages, suites: tuple[str, ...]):
        self._client = client
        self._compat = compat
        self._suites = suites

    def prepare(
        self,
        dockerfile: str,
        *,
        buildargs: Mapping[str, str],
        pip_plan: PipPlan,
        on_log: LogFn,
        on_progress: Callable[[str], None],
        deadline: float,
    ) -> DockerfileBases:
        """Make every base of *dockerfile* available.

        Args:
            dockerfile: the space's Dockerfile.
            buildargs: the build args of its build (they override ARG defaults in FROMs).
            on_log: receives warnings (``WARNING: ...``) and ``--> FROM ...`` lines, and the
                stand-ins' build logs when one is made.
            on_progress: receives pull and Debian bootstrap progress.

        Returns:
            The Dockerfile to build and the warnings written to *on_log*.

        Raises:
            BuildFailed: a base is neither here, nor pullable, nor one spacehost can make.
            EngineUnavailable: the Engine cannot be reached.
        """
        replaced: dict[int, str] = {}
        chosen: dict[str, str] = {}
        warnings: list[str] = []
        for line in parse_froms(dockerfile, buildargs):
            if line.kind is not FromKind.IMAGE:
                continue
            if line.resolved not in chosen:
                chosen[line.resolved] = self._base_for(
                    line.resolved, pip_plan, warnings, on_log, on_progress, deadline
                )
            if chosen[line.resolved] != line.resolved:
                replaced[line.first] = chosen[line.resolved]
        text = rewrite_froms(dockerfile, replaced) if replaced else dockerfile
        return DockerfileBases(text, tuple(warnings))

    def _base_for(
        self,
        ref: str,
        pip_plan: PipPlan,
        warnings: list[str],
        on_log: LogFn,
        on_progress: Callable[[str], None],
        deadline: float,
    ) -> str:
        if self._present(ref):
            return ref
        failed = self._pull(ref, on_progress)
        if not failed:
            return ref
        try:
            compat = compat_for(ref, self._suites, failed)
        except BuildFailed as exc:  # the build log keeps the hint the stage's message lacks
            on_log(f"ERROR: {exc.message}")
            on_log(f"hint: {exc.hint}")
            raise
        if compat.warning:
            warnings.append(compat.warning)
            on_log(f"WARNING: {compat.warning}")
        tag = self._compat.ensure(
            compat, pip_plan, on_log=on_log, on_progress=on_progress, deadline=deadline
        )
        on_log(
            f"--> FROM {ref}: not available here (no registry); using {tag}, made from "
            f"Debian {compat.suite}"
        )
        return tag

    def _present(self, ref: str) -> bool:
        try:
            self._client.images.get(ref)
        except docker.errors.ImageNotFound:
            return False
        return True

    def _pull(self, ref: str, on_progress: Callable[[str], None]) -> str:
        """Pull *ref*; "" when it came, else why not (the Engine's message)."""
        repo, tag = docker.utils.parse_repository_tag(ref)
        if not tag and "@" not in ref:
            tag = "latest"
        try:
            for event in self._client.api.pull(repo, tag=tag, stream=True, decode=True):
                if "error" in event:
                    return str(event["error"])
                status = " ".join(str(event[k]) for k in ("id", "status") if event.get(k))
                on_progress(f"pulling {ref}: {status}")
        except ENGINE_ERRORS as exc:
            if classify(exc) in (Failure.UNREACHABLE, Failure.TIMED_OUT):
                raise  # the engine's own failure: the builder's entry points translate it
            return str(getattr(exc, "explanation", "") or exc)
        return "" if self._present(ref) else "the pull ended without the image"
