"""Build a space's image on the Docker Engine: plan, make the runtime images it needs, render its
Dockerfile, build, and report. Also removes a space's outdated images."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

import docker
import docker.errors

from spacehost.builder.build_run import LogFn, bridge_gateway, run_build
from spacehost.builder.context import make_context
from spacehost.builder.cputorch import (
    CpuTorch,
    check_requirements,
    decide,
    find_cpu_torch,
    torch_requirements,
)
from spacehost.builder.cuda import cuda_choice, wants_cuda
from spacehost.builder.dockerfile import (
    APP_DIR,
    DEPENDENCY_FILES,
    SPACES_DIR,
    BuildPlan,
    needs_image,
    plan_build,
    render_dockerfile,
)
from spacehost.builder.mirror import Mirror
from spacehost.builder.pipconfig import (
    PipPlan,
    effective_pip_settings,
    host_pip_config,
    image_constraints,
    mirror_roots,
    proxy_build_args,
)
from spacehost.builder.pythons import PythonChoice, choose_python
from spacehost.builder.runtime_images import RuntimeImages, gradio_image_tag
from spacehost.builder.spaces_wheel import spaces_note, spaces_wheel
from spacehost.dockerengine import (
    Failure,
    build_error,
    classify,
    container_error,
    describe,
    translated,
)
from spacehost.domain import Sdk, SpaceId
from spacehost.errors import BuildCancelled, BuildFailed, SpacehostError
from spacehost.manifest import gpu_request
from spacehost.manifest.model import SpaceSource
from spacehost.settings import Settings

SPACE_REPOSITORY = "spacehost-space"


@dataclass(frozen=True)
class BuildResult:
    """A built space image.

    Attributes:
        image: its tag, ``spacehost-space/{slug}:{revision[:12]}``.
        image_id: the Engine's id (``sha256:...``).
        duration_s: wall time of the whole build, runtime images included.
        warnings: the ``WARNING:`` lines written to the log before the build.
        python_version: the Python chosen ("" for ``sdk: docker``).
        steps: every ``Step N/M : ...`` line of the space image's build.
        cached_steps: those whose layer came from Docker's cache.
    """

    image: str
    image_id: str
    duration_s: float
    warnings: tuple[str, ...] = ()
    python_version: str = ""
    steps: tuple[str, ...] = ()
    cached_steps: tuple[str, ...] = ()


def space_image_repository(space: SpaceId) -> str:
    """``alice/demo`` -> ``spacehost-space/alice--demo``."""
    return f"{SPACE_REPOSITORY}/{space.slug}"


def space_image_tag(space: SpaceId, revision: str) -> str:
    """The tag of *space*'s image at *revision*: ``spacehost-space/alice--demo:0123456789ab``."""
    return f"{space_image_repository(space)}:{revision[:12]}"


class DockerBuilder:
    """Builds space images.

    Builds reach the host's local pip sources through the local pip mirror
    (:mod:`spacehost.builder.mirror`), which the builder makes sure answers before each build
    (:attr:`mirror`; :meth:`close` stops it if this process serves it).

    Args:
        client: the Engine (created by the caller; the builder never makes one).
        settings: python bases, gradio version, pip settings, build timeout, data dir.
        host_pip: reads the host's pip configuration (injected for tests).
    """

    def __init__(
        self,
        client: docker.DockerClient,
        settings: Settings,
        *,
        host_pip: Callable[[], dict[str, str]] = host_pip_config,
        gpu_images: bool = False,
    ):
        self._client = client
        self._settings = settings
        self._host_pip = host_pip
        self._gpu_images = gpu_images  # GPU spaces build on the CUDA runtime (a GPU host)
        self._buildargs = proxy_build_args(settings.pip)
        self.runtime = RuntimeImages(
            client,
            lock_dir=settings.data_dir / "locks",
            mirror=settings.debian_mirror,
            buildargs=self._buildargs,
            docker_url=settings.docker_url,
        )
        self._gateway: str | None = None
        self.mirror = Mirror(settings.pip.mirror_port, self._bridge_gateway)

    def close(self) -> None:
        """Stop the local pip mirror if this process serves it (another instance may then take
        the port over at its next build)."""
        self.mirror.close()

    def _bridge_gateway(self) -> str:
        if self._gateway is None:
            self._gateway = bridge_gateway(self._client)
        return self._gateway

    @translated("building the space's image", build_error)
    def build(
        self,
        source: SpaceSource,
        space: SpaceId,
        revision: str,
        *,
        on_log: LogFn,
        nocache: bool = False,
        on_progress: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> BuildResult:
        """Build the image of *space* at *revision*.

        Args:
            source: the space's validated files.
            space: its name (for the tag and labels).
            revision: the revision id (the tag takes its first 12 characters).
            on_log: receives each build log line as it arrives: first ``WARNING: ...`` lines,
                then runtime image builds (first use only), then the space's own build.
            nocache: ignore Docker's layer cache for the space's image (not the runtime
                images).
            on_progress: receives base-image bootstrap/pull progress; default: *on_log*.
            cancel: set by another thread to stop the space's build (a newer push, a
                delete); runtime images other spaces share are built to their end.

        Returns:
            The image tag and id, duration, warnings, and the steps (and which were cached).

        Raises:
            BuildFailed: a step failed (``details``: ``step``, ``log_tail``), the build ran past
                ``settings.build_timeout_s``, a runtime image cannot be made, or an
                ``sdk: docker`` space has no Dockerfile.
            BuildCancelled: *cancel* was set.
            EngineUnavailable: the Engine cannot be reached.
            SpacehostError: the space is ``sdk: static`` (check :func:`needs_image` first).
        """
        if not needs_image(source):
            raise SpacehostError(
                f"{space} is an sdk: static space and has no image to build",
                hint="serve its files directly; call needs_image() before build()",
            )
        if source.manifest.sdk is Sdk.DOCKER and not source.has_dockerfile:
            raise BuildFailed(
                f"{space} is an sdk: docker space without a Dockerfile",
                hint="add a Dockerfile at the top of the space, or set sdk: gradio",
            )
        started = time.monotonic()
        # Reading pip's configuration and reaching the mirror come before the build's clock,
        # which SPACEHOST_BUILD_TIMEOUT measures.
        pip_plan = self._pip_plan()
        deadline = time.monotonic() + self._settings.build_timeout_s
        tag = space_image_tag(space, revision)
        labels = {
            "spacehost.managed": "true",
            "spacehost.kind": "space",
            "spacehost.space": str(space),
            "spacehost.revision": revision,
        }
        if source.manifest.sdk is Sdk.DOCKER:
            # The space's own Dockerfile, unchanged: CA trust is its own business there.
            plan = BuildPlan(from_image="")
            context = make_context(source.files, mtime=time.time())
        else:
            plan = self._plan_gradio(source, pip_plan, on_log, on_progress or on_log, deadline)
            context = self._gradio_context(source, render_dockerfile(source, plan))
        if cancel is not None and cancel.is_set():
            raise BuildCancelled(
                f"the build of {tag} was cancelled before it started",
                hint="a newer push of the space, or its deletion, stopped it",
            )
        on_log(f"--> building {tag}")
        built = run_build(
            self._client,
            context,
            tag=tag,
            on_log=on_log,
            deadline=deadline,
            labels=labels,
            buildargs=self._buildargs,
            nocache=nocache,
            extra_hosts=dict(pip_plan.hosts),
            cancel=cancel,
        )
        return BuildResult(
            image=tag,
            image_id=built.image_id,
            duration_s=time.monotonic() - started,
            warnings=plan.warnings,
            python_version=plan.python_version,
            steps=built.steps,
            cached_steps=built.cached_steps,
        )

    def remove_images(self, space: SpaceId, keep: Collection[str]) -> list[str]:
        """Remove *space*'s images but those of the revisions (or tags) in *keep*; with
        them go their build cache layers no other image uses (see
        :func:`prune_space_images`)."""
        return prune_space_images(self._client, space, keep)

    @translated("making the runtime images", build_error)
    def ensure_runtime(
        self,
        python_version: str | None = None,
        *,
        on_log: LogFn,
        on_progress: Callable[[str], None] | None = None,
    ) -> str:
        """Make the runtime images a gradio space with *python_version* builds on, ahead of
        time (e.g. at setup), so that its first build does not wait for them.

        Args:
            python_version: as in a README (None: ``settings.default_python``).
            on_log: receives warnings and runtime image build lines.
            on_progress: receives base bootstrap/pull progress; default: *on_log*.

        Returns:
            The gradio runtime image's tag.

        Raises:
            BuildFailed: a runtime image cannot be made (or no Python base is configured).
            EngineUnavailable: the Engine cannot be reached.
        """
        settings = self._settings
        deadline = time.monotonic() + settings.build_timeout_s
        choice = choose_python(python_version, settings.default_python, settings.python_bases)
        pip_plan = self._pip_plan()
        for warning in (choice.warning, *pip_plan.warnings):
            if warning:
                on_log(f"WARNING: {warning}")
        return self._ensure_runtime(
            choice,
            pip_plan,
            self._cpu_torch(pip_plan, choice),
            on_log,
            on_progress or on_log,
            deadline,
        )

    def _ensure_runtime(
        self,
        choice: PythonChoice,
        pip_plan: PipPlan,
        wheel: CpuTorch | None,
        on_log: LogFn,
        on_progress: Callable[[str], None],
        deadline: float,
    ) -> str:
        # The pin goes into the python image whether or not this build wants a GPU: the image
        # is shared by both kinds, and only the space's Dockerfile decides to use the pin.
        python_tag = self.runtime.ensure_python(
            choice,
            pip_plan,
            on_log=on_log,
            on_progress=on_progress,
            deadline=deadline,
            cpu_torch=wheel.requirement if wheel else "",
        )
        return self.runtime.ensure_gradio(
            python_tag,
            choice,
            self._settings.gradio_version,
            on_log=on_log,
            deadline=deadline,
            extra_hosts=dict(pip_plan.hosts),
        )

    def _pip_plan(self) -> PipPlan:
        """The pip configuration for a build now, with the local mirror made to answer."""
        pip = self._settings.pip
        host_cfg = self._host_pip() if pip.source == "host" else {}
        status = self.mirror.ensure(mirror_roots(pip, host_cfg))
        return effective_pip_settings(pip, host_cfg, mirror=status)

    @staticmethod
    def _cpu_torch(pip_plan: PipPlan, choice: PythonChoice) -> CpuTorch | None:
        # Found whatever SPACEHOST_CPU_TORCH says: the runtime image carries the pin either
        # way (instances with other settings share it), and decide() says whether to use it.
        return find_cpu_torch(pip_plan.served, choice.version)

    def _plan_gradio(
        self,
        source: SpaceSource,
        pip_plan: PipPlan,
        on_log: LogFn,
        on_progress: Callable[[str], None],
        deadline: float,
    ) -> BuildPlan:
        settings = self._settings
        choice = choose_python(
            source.manifest.python_version, settings.default_python, settings.python_bases
        )
        wheel = self._cpu_torch(pip_plan, choice)
        lines = (source.pre_requirements, source.requirements)
        pin = decide(
            settings.pip.cpu_torch,
            wants_gpu=gpu_request(source.manifest).wants_gpu,
            wheel=wheel,
            python_version=choice.version,
            uses_torch=any(torch_requirements(group) for group in lines),
        )
        plan = plan_build(
            source,
            from_image=gradio_image_tag(settings.gradio_version, choice.version, choice.base),
            python_version=choice.version,
            runtime_gradio=settings.gradio_version,
            warnings=tuple(w for w in (choice.warning, *pip_plan.warnings) if w),
            pip_constraint=" ".join(image_constraints(pip_plan, cpu_torch=True))
            if pin.constraint
            else "",
        )
        # Warnings go out before anything slow starts, so they lead the log.
        for warning in plan.warnings:
            on_log(f"WARNING: {warning}")
        if pin.note:
            on_log(pin.note)
        check_requirements(
            pin, [("pre-requirements.txt", lines[0]), ("requirements.txt", lines[1])]
        )
        self._ensure_runtime(choice, pip_plan, wheel, on_log, on_progress, deadline)
        return self._spaces_and_cuda(source, plan, choice, pip_plan, on_log, on_progress, deadline)

    def _spaces_and_cuda(
        self,
        source: SpaceSource,
        plan: BuildPlan,
        choice: PythonChoice,
        pip_plan: PipPlan,
        on_log: LogFn,
        on_progress: Callable[[str], None],
        deadline: float,
    ) -> BuildPlan:
        """spacehost's `spaces` package goes into every gradio space (after its requirements);
        a GPU space on a GPU host builds on the CUDA runtime (docs/gpu.md)."""
        note = spaces_note(source.requirements)
        if note:
            on_log(note)
        plan = replace(plan, spaces_wheel=spaces_wheel().filename)
        if not (self._gpu_images and wants_cuda(source.manifest, True)):
            return plan
        cuda = cuda_choice(self._settings, choice)
        # The same CPU torch pin file as a CPU build's: without an operator's image the python
        # layer is the CPU runtime's own, and a different pin would rebuild it at every switch.
        wheel = self._cpu_torch(pip_plan, cuda)
        python_tag = self.runtime.ensure_python(
            cuda,
            pip_plan,
            on_log=on_log,
            on_progress=on_progress,
            deadline=deadline,
            cpu_torch=wheel.requirement if wheel else "",
        )
        tag = self.runtime.ensure_cuda(
            python_tag,
            cuda,
            self._settings.gradio_version,
            self._settings.gpu_torch,
            on_log=on_log,
            deadline=deadline,
            extra_hosts=dict(pip_plan.hosts),
        )
        on_log(f"--> a GPU space: building on the CUDA runtime image {tag}")
        return replace(plan, from_image=tag)

    @staticmethod
    def _gradio_context(source: SpaceSource, dockerfile: str) -> bytes:
        files = {f"{APP_DIR}/{path}": data for path, data in source.files.items()}
        files["Dockerfile"] = dockerfile.encode()
        wheel = spaces_wheel()
        files[f"{SPACES_DIR}/{wheel.filename}"] = wheel.data
        fixed = {
            "Dockerfile",
            *(f"{APP_DIR}/{name}" for name in DEPENDENCY_FILES),
            f"{SPACES_DIR}/{wheel.filename}",
        }  # fixed times: its layer stays cached
        return make_context(files, fixed=fixed, mtime=time.time())


def prune_space_images(
    client: docker.DockerClient, space: SpaceId, keep: Collection[str]
) -> list[str]:
    """Remove the image tags of *space* that are not in *keep*.

    Args:
        client: the Engine.
        space: whose images to prune.
        keep: tags to keep (``spacehost-space/alice--demo:0123456789ab``) or revisions (a full
            revision id or its first 12 characters).

    Returns:
        The tags removed. A tag whose image a container still uses is left alone.

    Raises:
        EngineUnavailable: the Engine cannot be reached.
        SpacehostError: the Engine refused a removal for another reason.
    """
    repository = space_image_repository(space)
    kept = set(keep) | {f"{repository}:{k[:12]}" for k in keep if ":" not in k}
    with translated(f"removing old images of {space}", _prune_error):
        images = client.images.list(name=repository, filters={"label": f"spacehost.space={space}"})
        tags = [t for image in images for t in image.tags if t.startswith(f"{repository}:")]
        return [tag for tag in tags if tag not in kept and _remove_tag(client, tag)]


def _prune_error(exc: BaseException, doing: str) -> SpacehostError:
    """An engine that cannot be reached or stops answering is ``EngineUnavailable``, as for
    container calls; a refused removal is the caller's to report."""
    failure = classify(exc)
    if failure in (Failure.UNREACHABLE, Failure.TIMED_OUT):
        return container_error(exc, doing)
    return SpacehostError(
        describe(failure, exc, doing), hint="remove them by hand with `docker image rm`"
    )


def _remove_tag(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.remove(tag)
    except docker.errors.ImageNotFound:
        return False
    except docker.errors.APIError as exc:
        if exc.status_code == 409:  # in use by a container, maybe a running deployment
            return False
        raise
    return True
