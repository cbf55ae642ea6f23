"""Build a space's image on the Docker Engine: plan, make the runtime images it needs, render its
Dockerfile, build, and report. Also removes a space's outdated images."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import docker
import docker.errors

from spacehost.builder.build_run import LogFn, bridge_gateway, run_build
from spacehost.builder.compat_images import CompatImages
from spacehost.builder.context import make_context
from spacehost.builder.contract import DATED_PREINSTALLED, GRADIO_EXTRAS
from spacehost.builder.copydest import directory_destinations
from spacehost.builder.cputorch import (
    CpuTorch,
    check_requirements,
    decide,
    find_cpu_torch,
    torch_requirements,
)
from spacehost.builder.cuda import cuda_choice, wants_cuda
from spacehost.builder.cutoff import Cutoff, SpaceDates, choose_cutoff
from spacehost.builder.depdates import DependencyDates, dependency_key
from spacehost.builder.docker_bases import DockerBases
from spacehost.builder.dockerfile import (
    APP_DIR,
    DEPENDENCY_FILES,
    FALLBACK_WARNING,
    SPACES_DIR,
    BuildPlan,
    needs_image,
    plan_build,
    render_dockerfile,
)
from spacehost.builder.fallbacks import FallbackLayers, StepLayers
from spacehost.builder.mirror import MIRROR_HOSTNAME, Mirror
from spacehost.builder.pipconfig import (
    PipPlan,
    effective_pip_settings,
    host_pip_config,
    image_constraints,
    mirror_roots,
    proxy_build_args,
)
from spacehost.builder.pythons import PythonChoice, choose_python
from spacehost.builder.releases import PYPI_SIMPLE, ReleaseDates
from spacehost.builder.runtime_images import (
    UV_DEFAULT_BASE,
    RuntimeImages,
    gradio_image_tag,
    has_contract,
)
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
        releases: ReleaseDates | None = None,
    ):
        self._client = client
        self._settings = settings
        self._host_pip = host_pip
        self._releases = releases  # None: the pip index's (PyPI's) release dates, cached
        self._gpu_images = gpu_images  # GPU spaces build on the CUDA runtime (a GPU host)
        self._buildargs = proxy_build_args(settings.pip)
        self.runtime = RuntimeImages(
            client,
            lock_dir=settings.data_dir / "locks",
            mirror=settings.debian_mirror,
            buildargs=self._buildargs,
            docker_url=settings.docker_url,
        )
        self.compat_images = CompatImages(
            client, self.runtime, lock_dir=settings.data_dir / "locks", buildargs=self._buildargs
        )
        self._bases = DockerBases(client, self.compat_images, settings.compat_suites)
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
        revision_date: float | None = None,
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
            revision_date: when *revision* was pushed (seconds since the epoch; None: now),
                the default date its packages are resolved as of (:mod:`.cutoff`).

        Returns:
            The image tag and id, duration, warnings, and the steps (and which were cached).

        Raises:
            BuildFailed: a step failed (``details``: ``step``, ``log_tail``), the build ran past
                ``settings.build_timeout_s``, a runtime image cannot be made, or an
                ``sdk: docker`` space has no Dockerfile or starts FROM a base that is not on
                the Engine, cannot be pulled and has no stand-in (:mod:`.docker_bases`).
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
            # The space's own Dockerfile: CA trust is its own business there; only a base this
            # host lacks is replaced, in the context's copy (docker_bases.py).
            plan, context = self._docker_context(
                source, pip_plan, on_log, on_progress or on_log, deadline
            )
        else:
            pushed = self._dependency_date(source, space, revision_date)
            cutoff = self._cutoff(source, datetime.fromtimestamp(pushed, UTC), pip_plan)
            plan = self._plan_gradio(
                source, pip_plan, cutoff, on_log, on_progress or on_log, deadline
            )
            context = self._gradio_context(source, render_dockerfile(source, plan))
        if cancel is not None and cancel.is_set():
            raise BuildCancelled(
                f"the build of {tag} was cancelled before it started",
                hint="a newer push of the space, or its deletion, stopped it",
            )
        on_log(f"--> building {tag}")
        layers = StepLayers()

        def log(line: str) -> None:
            layers.feed(line)
            on_log(line)

        built = run_build(
            self._client,
            context,
            tag=tag,
            on_log=log,
            deadline=deadline,
            labels=labels,
            buildargs=self._buildargs,
            nocache=nocache,
            extra_hosts=dict(pip_plan.hosts),
            cancel=cancel,
        )
        self._remember_fallbacks(layers, built.cached_steps, plan.uploaded_prior_to, on_log)
        return BuildResult(
            image=tag,
            image_id=built.image_id,
            duration_s=time.monotonic() - started,
            warnings=plan.warnings,
            python_version=plan.python_version,
            steps=built.steps,
            cached_steps=built.cached_steps,
        )

    def _remember_fallbacks(
        self, layers: StepLayers, cached: tuple[str, ...], cutoff: str, on_log: LogFn
    ) -> None:
        """Record the layers of pip steps that fell back; warn when this build reused one
        from the cache (see :mod:`.fallbacks`)."""
        record = FallbackLayers(self._settings.data_dir / "cache" / "fallback-layers.json")
        record.add(layers.fallen_back_layers())
        if not layers.fell_back and record.any_of(layers.dated_layers(cached)):
            on_log(
                f"{FALLBACK_WARNING} this space's packages as of {cutoff} in an earlier build "
                "of these steps, which installed today's packages instead; Docker reused those "
                "layers (a factory rebuild, without the cache, tries the date again)"
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

    @translated("making the uv image", build_error)
    def ensure_uv(self, *, on_log: LogFn) -> str:
        """Make the image jobs run for ``ghcr.io/astral-sh/uv:python3.12-bookworm``, HF's
        default for ``hf jobs uv run`` (lifecycle/uvimages.py): uv on the python layer of the
        Python configured for that Debian suite (:data:`UV_DEFAULT_SUITE`).

        Returns:
            Its tag, ``spacehost/uv:python3.11-bookworm`` with the default Python bases.

        Raises:
            BuildFailed: no Python is configured on that suite, or installing uv failed.
            EngineUnavailable: the Engine cannot be reached.
        """
        settings = self._settings
        deadline = time.monotonic() + settings.build_timeout_s
        versions = [v for v, b in settings.python_bases.items() if b == UV_DEFAULT_BASE]
        if not versions:
            raise BuildFailed(
                f"no Python is configured on {UV_DEFAULT_BASE} for the uv image of jobs",
                hint="add one to SPACEHOST_PYTHON_BASES, e.g. 3.11=debian:bookworm",
            )
        choice = PythonChoice(version=versions[0], base=UV_DEFAULT_BASE, warning="")
        pip_plan = self._pip_plan()
        python_tag = self._ensure_runtime(  # the same python layer gradio spaces build on
            choice,
            pip_plan,
            self._cpu_torch(pip_plan, choice),
            on_log,
            on_log,
            deadline,
            with_gradio=False,
        )
        return self.runtime.ensure_uv(
            python_tag, choice, on_log=on_log, deadline=deadline, extra_hosts=dict(pip_plan.hosts)
        )

    def _ensure_runtime(
        self,
        choice: PythonChoice,
        pip_plan: PipPlan,
        wheel: CpuTorch | None,
        on_log: LogFn,
        on_progress: Callable[[str], None],
        deadline: float,
        *,
        with_gradio: bool = True,
    ) -> str:
        """The gradio runtime image's tag (the python image's without *with_gradio*)."""
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
        if not with_gradio:
            return python_tag
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

    def _dependency_date(
        self, source: SpaceSource, space: SpaceId, revision_date: float | None
    ) -> float:
        """The push date the packages resolve as of: the first one of these dependency inputs
        (a code-only push keeps its cut-off, so its pip layers stay cached)."""
        settings = self._settings
        choice = choose_python(
            source.manifest.python_version, settings.default_python, settings.python_bases
        )
        pushed = time.time() if revision_date is None else revision_date
        dates = DependencyDates(settings.data_dir / "cache" / "cutoffs")
        return dates.first_pushed(space.slug, dependency_key(source, choice.version), pushed)

    def _cutoff(self, source: SpaceSource, pushed: datetime, pip_plan: PipPlan) -> Cutoff:
        """The date the space's packages resolve as of, looking up its gradio's release when
        the choice needs it."""
        settings = self._settings
        dates = SpaceDates(pushed, source.manifest.sdk_version, settings.gradio_version)
        readme = source.manifest.resolve_as_of
        by_revision = (readme or settings.resolve_as_of).mode == "revision"
        if by_revision and dates.own_gradio and dates.sdk_version:
            window, problem = self._release_dates(pip_plan).window("gradio", dates.sdk_version)
            dates = replace(dates, gradio=window, gradio_problem=problem)
        return choose_cutoff(readme, settings.resolve_as_of, dates)

    def _release_dates(self, pip_plan: PipPlan) -> ReleaseDates:
        if self._releases is not None:
            return self._releases
        index = pip_plan.index_url
        if not index.startswith(("http://", "https://")) or MIRROR_HOSTNAME in index:
            index = PYPI_SIMPLE  # a local index has no upload times to learn from
        cache = self._settings.data_dir / "cache" / "releases"
        return ReleaseDates(index, cache, ca_file=pip_plan.ca_bundle)

    def _plan_gradio(
        self,
        source: SpaceSource,
        pip_plan: PipPlan,
        cutoff: Cutoff,
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
            gradio_extras=GRADIO_EXTRAS if has_contract(choice.base) else "",
        )
        plan = replace(plan, uploaded_prior_to=cutoff.pip_value)
        # Warnings go out before anything slow starts, so they lead the log.
        for warning in plan.warnings:
            on_log(f"WARNING: {warning}")
        if pin.note:
            on_log(pin.note)
        on_log(cutoff.log_line())
        check_requirements(
            pin, [("pre-requirements.txt", lines[0]), ("requirements.txt", lines[1])]
        )
        # A dated build of another gradio starts on the python image: the gradio image holds
        # today's gradio and its dependencies, which pip would keep (they satisfy the old
        # gradio's ranges), so the space would get today's huggingface_hub after all.
        own_base = bool(cutoff.before) and plan.gradio_pin not in (None, settings.gradio_version)
        image = self._ensure_runtime(
            choice, pip_plan, wheel, on_log, on_progress, deadline, with_gradio=not own_base
        )
        if own_base:
            on_log(
                f"--> gradio {plan.gradio_pin} and its dependencies are installed as of the "
                f"cut-off on {image}, not on the gradio {settings.gradio_version} image"
            )
            preinstall = DATED_PREINSTALLED if has_contract(choice.base) else ()
            plan = replace(plan, from_image=image, preinstall=preinstall)
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
        extras = GRADIO_EXTRAS if has_contract(cuda.base) else ""
        return replace(plan, from_image=tag, gradio_extras=extras)

    def _docker_context(
        self,
        source: SpaceSource,
        pip_plan: PipPlan,
        on_log: LogFn,
        on_progress: Callable[[str], None],
        deadline: float,
    ) -> tuple[BuildPlan, bytes]:
        files = dict(source.files)
        try:
            dockerfile = files["Dockerfile"].decode()
        except UnicodeDecodeError:  # not text: the Engine will say what is wrong with it
            return BuildPlan(from_image=""), make_context(files, mtime=time.time())
        bases = self._bases.prepare(
            dockerfile,
            buildargs=self._buildargs,
            pip_plan=pip_plan,
            on_log=on_log,
            on_progress=on_progress,
            deadline=deadline,
        )
        text, changed = directory_destinations(bases.dockerfile)
        for line in changed:
            on_log(f"--> {line}: '.' is a directory to BuildKit (as on HF); building it with '/'")
        if text != dockerfile:
            files["Dockerfile"] = text.encode()
        plan = BuildPlan(from_image="", warnings=bases.warnings)
        return plan, make_context(files, mtime=time.time())

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
