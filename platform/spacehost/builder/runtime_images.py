"""The runtime images every space image is built FROM, made on this host on first use.

Four layers, each reused by tag while its inputs are unchanged:

- base ``spacehost/base:SUITE``: Debian + python3, made by ``runtime_images/base/bootstrap.sh``
  (debootstrap + ``docker import``), or any image reference configured in
  ``SPACEHOST_PYTHON_BASES`` (used if present, else pulled);
- system ``spacehost/system:SUITE-CONTRACT`` (Debian bases only): the Debian packages a space
  may assume (:mod:`.contract`), one image shared by every python and gradio layer on it;
- python ``spacehost/python:PYVER-BASETAG-CONTRACT``: user 1000, a venv at /opt/venv on PATH,
  the host's pip configuration (local sources through the local pip mirror), constraints and
  CA certificates, and the CPU torch pin for that Python;
- gradio ``spacehost/gradio:GRADIO-pyPYVER-BASETAG-CONTRACT``: the python layer + the Python
  packages a space may assume + ``gradio[oauth,mcp]==GRADIO``.

CONTRACT (:data:`.contract.CONTRACT`) is in every tag but the base's, so images made to an
older contract keep their tags and are never rebuilt in place under a tag other code uses.

The system, python and gradio layers carry a label ``spacehost.runtime-key``: a hash of
everything they are made from (Dockerfile, pip.conf, CA bundle, constraints, parent image id).
A layer whose key differs from the current one is rebuilt under the same tag, so a changed pip
configuration or CA bundle reaches the next build without anyone deleting images.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import docker
import docker.errors
import docker.utils

from spacehost.builder.build_run import LogFn, run_build
from spacehost.builder.context import make_context
from spacehost.builder.contract import (
    CONTRACT,
    GRADIO_EXTRAS,
    PREINSTALLED,
    SYSTEM_PACKAGES,
    packages_file,
)
from spacehost.builder.pipconfig import PipPlan, render_pip_conf
from spacehost.builder.pythons import PythonChoice
from spacehost.dockerengine import ENGINE_ERRORS, Failure, build_error, classify, translated
from spacehost.errors import BuildFailed

RUNTIME_LABELS = {"spacehost.managed": "true", "spacehost.kind": "runtime"}
KEY_LABEL = "spacehost.runtime-key"
DEBIAN_PREFIX = "debian:"
# the suite of Hugging Face's default image for `hf jobs uv run`,
# ghcr.io/astral-sh/uv:python3.12-bookworm (spacehost makes it: DockerBuilder.ensure_uv)
UV_DEFAULT_BASE = "debian:bookworm"


def runtime_images_dir() -> Path:
    """The folder holding the runtime image sources (``base/``, ``python/``, ``gradio/``).

    Raises:
        BuildFailed: it cannot be found (an install without the repository's runtime_images/).
    """
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "runtime_images", here.parents[3] / "runtime_images"):
        if (candidate / "python" / "Dockerfile").is_file():
            return candidate
    raise BuildFailed(
        "the runtime image sources (runtime_images/) are missing from this installation",
        hint="install spacehost from its repository checkout (pip install -e .)",
    )


def base_image_tag(base: str) -> str:
    """``"debian:bookworm"`` -> ``"spacehost/base:bookworm"``; an image reference stays as is."""
    if base.startswith(DEBIAN_PREFIX):
        return f"spacehost/base:{base.removeprefix(DEBIAN_PREFIX)}"
    return base


def base_label(base: str) -> str:
    """A tag-safe name for *base*: ``"debian:bookworm"`` -> ``"bookworm"``,
    ``"python:3.10-slim"`` -> ``"python-3.10-slim"``."""
    name = base.removeprefix(DEBIAN_PREFIX).rsplit("/", 1)[-1].lower()
    return re.sub(r"[^a-z0-9_.-]+", "-", name).strip("-.") or "base"


def has_contract(base: str) -> bool:
    """True for a ``debian:SUITE`` base: its runtime images get the system layer and the
    pre-installed packages (:mod:`.contract`); an operator's image is used as it is."""
    return base.startswith(DEBIAN_PREFIX)


def system_image_tag(base: str) -> str:
    """``"debian:bookworm"`` -> ``"spacehost/system:bookworm-hf1"``."""
    return f"spacehost/system:{base_label(base)}-{CONTRACT}"


def python_image_tag(python_version: str, base: str) -> str:
    """``("3.11", "debian:bookworm")`` -> ``"spacehost/python:3.11-bookworm-hf1"``."""
    return f"spacehost/python:{python_version}-{base_label(base)}-{CONTRACT}"


def gradio_image_tag(gradio_version: str, python_version: str, base: str) -> str:
    """-> ``"spacehost/gradio:6.31.0-py3.11-bookworm-hf1"``."""
    return f"spacehost/gradio:{gradio_version}-py{python_version}-{base_label(base)}-{CONTRACT}"


def uv_image_tag(python_version: str, base: str) -> str:
    """``("3.11", "debian:bookworm")`` -> ``"spacehost/uv:python3.11-bookworm"``: the image
    jobs get for ``ghcr.io/astral-sh/uv:python3.X-bookworm`` (lifecycle/uvimages.py)."""
    return f"spacehost/uv:python{python_version}-{base_label(base)}"


def gradio_layer_args(gradio_version: str, base: str) -> dict[str, str]:
    """The gradio layer's build args: with the contract, the pre-installed packages and
    gradio's ``oauth,mcp`` extras; without it (an operator's image), gradio alone."""
    contract = has_contract(base)
    return {
        "GRADIO_VERSION": gradio_version,
        "GRADIO_EXTRAS": GRADIO_EXTRAS if contract else "",
        "PREINSTALL": " ".join(PREINSTALLED) if contract else "",
    }


def runtime_key(*parts: bytes | str) -> str:
    """The ``spacehost.runtime-key`` label value for a layer made from *parts*."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:32]


@contextlib.contextmanager
def exclusive(lock_dir: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock named *name* across threads and processes of this host.

    ``flock`` locks belong to an open file, so two threads of one process exclude each other
    as two processes do.
    """
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".lock")
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class RuntimeImages:
    """Makes and reuses the runtime images on one Engine.

    Args:
        client: the Engine.
        lock_dir: where lock files go (``settings.data_dir / "locks"``).
        mirror: the Debian mirror for bootstraps.
        buildargs: proxy build args for every build.
        docker_url: passed to bootstrap.sh as ``DOCKER_HOST`` when not empty.
        bootstrap_script: the base bootstrap (default: ``runtime_images/base/bootstrap.sh``).
    """

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        lock_dir: Path,
        mirror: str,
        buildargs: Mapping[str, str] | None = None,
        docker_url: str = "",
        bootstrap_script: Path | None = None,
    ):
        self._client = client
        self._lock_dir = lock_dir
        self._mirror = mirror
        self._buildargs = dict(buildargs or {})
        self._docker_url = docker_url
        self._script = bootstrap_script

    @translated("making the runtime images", build_error)
    def ensure_base(self, base: str, *, on_progress: Callable[[str], None], deadline: float) -> str:
        """Make sure the base image for *base* exists; make it once if not.

        Args:
            base: a ``settings.python_bases`` value: ``"debian:SUITE"`` (bootstrapped here) or
                an image reference (used if present, else pulled).
            on_progress: receives the bootstrap's progress lines (without ``progress: ``) or
                the pull's status lines.
            deadline: ``time.monotonic()`` value after which a bootstrap is stopped.

        Returns:
            The image's tag.

        Raises:
            BuildFailed: the bootstrap or the pull failed.
            EngineUnavailable: the Engine cannot be reached.
        """
        tag = base_image_tag(base)
        if self._image(tag) is not None:
            return tag
        with exclusive(self._lock_dir, tag):
            if self._image(tag) is not None:  # made by another build while we waited
                return tag
            if base.startswith(DEBIAN_PREFIX):
                self._bootstrap(base.removeprefix(DEBIAN_PREFIX), tag, on_progress, deadline)
            else:
                self._pull(tag, on_progress)
        return tag

    @translated("making the runtime images", build_error)
    def ensure_python(
        self,
        choice: PythonChoice,
        pip_plan: PipPlan,
        *,
        on_log: LogFn,
        on_progress: Callable[[str], None],
        deadline: float,
        cpu_torch: str = "",
    ) -> str:
        """Make sure the python layer for *choice* exists with *pip_plan*'s configuration.

        Args:
            cpu_torch: the CPU torch constraint for this Python (``torch==2.13.0+cpu``, or ""),
                written to ``/etc/spacehost/cpu-torch.txt``; CPU space builds name it in
                ``PIP_CONSTRAINT``.

        Returns:
            Its tag, ``spacehost/python:PYVER-BASETAG``.

        Raises:
            BuildFailed: a build step failed, or the CA bundle or a constraints file cannot be
                read.
            EngineUnavailable: the Engine cannot be reached.
        """
        base = self.ensure_base(choice.base, on_progress=on_progress, deadline=deadline)
        if has_contract(choice.base):
            base = self.ensure_system(base, choice.base, on_log=on_log, deadline=deadline)
        src = runtime_images_dir() / "python"
        files = {
            "Dockerfile": (src / "Dockerfile").read_bytes(),
            "install-ca.py": (src / "install-ca.py").read_bytes(),
            "pip.conf": render_pip_conf(pip_plan).encode(),
            "ca-bundle.crt": read_ca(pip_plan.ca_bundle),
            "constraints.txt": read_constraints(pip_plan.constraint_files),
            "cpu-torch.txt": (cpu_torch + "\n").encode() if cpu_torch else b"",
        }
        parent = self._image_id(base)
        key = runtime_key(parent, *(files[k] for k in sorted(files)))
        tag = python_image_tag(choice.version, choice.base)
        labels = {"spacehost.python": choice.version, "spacehost.base": choice.base}
        return self._ensure_layer(
            tag,
            key,
            files,
            {"BASE": base},
            labels,
            on_log=on_log,
            deadline=deadline,
            extra_hosts=dict(pip_plan.hosts),
        )

    @translated("making the runtime images", build_error)
    def ensure_system(self, base_tag: str, base: str, *, on_log: LogFn, deadline: float) -> str:
        """Make sure the system layer on *base_tag* (the image of ``debian:SUITE`` *base*)
        exists: :data:`.contract.SYSTEM_PACKAGES` from the Debian archive.

        Returns:
            Its tag, ``spacehost/system:SUITE-CONTRACT``.

        Raises:
            BuildFailed: apt-get failed (the archive cannot be reached, a package is missing).
            EngineUnavailable: the Engine cannot be reached.
        """
        files = {
            "Dockerfile": (runtime_images_dir() / "system" / "Dockerfile").read_bytes(),
            "packages.txt": packages_file(SYSTEM_PACKAGES),
        }
        key = runtime_key(self._image_id(base_tag), files["Dockerfile"], files["packages.txt"])
        labels = {"spacehost.base": base, "spacehost.contract": CONTRACT}
        tag = system_image_tag(base)
        try:
            return self._ensure_layer(
                tag, key, files, {"BASE": base_tag}, labels, on_log=on_log, deadline=deadline
            )
        except BuildFailed as exc:
            raise BuildFailed(
                f"making the system layer {tag} (the Debian packages a space may assume) "
                f"failed: {exc.message}",
                hint=f"builds must reach the Debian archive the base was made from "
                f"({self._mirror}, SPACEHOST_DEBIAN_MIRROR), through the proxy settings if "
                "any; see docs/builds.md, 'What a space may assume'",
                details=exc.details,
            ) from exc

    @translated("making the runtime images", build_error)
    def ensure_gradio(
        self,
        python_tag: str,
        choice: PythonChoice,
        gradio_version: str,
        *,
        on_log: LogFn,
        deadline: float,
        extra_hosts: Mapping[str, str] | None = None,
    ) -> str:
        """Make sure the gradio layer on *python_tag* exists.

        Args:
            extra_hosts: the build's ``/etc/hosts`` additions (``PipPlan.hosts``: the local pip
                mirror, which the image's pip.conf names).

        Returns:
            Its tag, ``spacehost/gradio:GRADIO-pyPYVER-BASETAG``.

        Raises:
            BuildFailed: installing gradio failed.
            EngineUnavailable: the Engine cannot be reached.
        """
        return self._ensure_on_python(
            "gradio",
            python_tag,
            {"BASE": python_tag, **gradio_layer_args(gradio_version, choice.base)},
            gradio_image_tag(gradio_version, choice.version, choice.base),
            {"spacehost.gradio": gradio_version, "spacehost.contract": CONTRACT},
            on_log=on_log,
            deadline=deadline,
            extra_hosts=extra_hosts,
        )

    @translated("making the runtime images", build_error)
    def ensure_uv(
        self,
        python_tag: str,
        choice: PythonChoice,
        *,
        on_log: LogFn,
        deadline: float,
        extra_hosts: Mapping[str, str] | None = None,
    ) -> str:
        """Make sure the uv layer on *python_tag* exists (jobs' ``hf jobs uv run``).

        Returns:
            Its tag, ``spacehost/uv:pythonPYVER-BASETAG``.

        Raises:
            BuildFailed: installing uv failed.
            EngineUnavailable: the Engine cannot be reached.
        """
        return self._ensure_on_python(
            "uv",
            python_tag,
            {"BASE": python_tag},
            uv_image_tag(choice.version, choice.base),
            {"spacehost.uv": "true", "spacehost.python": choice.version},
            on_log=on_log,
            deadline=deadline,
            extra_hosts=extra_hosts,
        )

    def _ensure_on_python(
        self,
        recipe: str,
        python_tag: str,
        args: dict[str, str],
        tag: str,
        labels: dict[str, str],
        *,
        on_log: LogFn,
        deadline: float,
        extra_hosts: Mapping[str, str] | None,
    ) -> str:
        """Make sure the layer of runtime_images/*recipe* on *python_tag* exists, keyed by the
        python image's id, its Dockerfile and *args*; its tag."""
        files = {"Dockerfile": (runtime_images_dir() / recipe / "Dockerfile").read_bytes()}
        key = runtime_key(self._image_id(python_tag), files["Dockerfile"], *_pairs(args))
        return self._ensure_layer(
            tag,
            key,
            files,
            args,
            labels,
            on_log=on_log,
            deadline=deadline,
            extra_hosts=extra_hosts,
        )

    @translated("making the runtime images", build_error)
    def ensure_cuda(
        self,
        python_tag: str,
        choice: PythonChoice,
        gradio_version: str,
        torch: str,
        *,
        on_log: LogFn,
        deadline: float,
        extra_hosts: Mapping[str, str] | None = None,
    ) -> str:
        """Make sure the CUDA runtime on *python_tag* exists: the CUDA layer (torch from the
        base image, else *torch* installed) and gradio on it (see :mod:`.cuda`).

        Returns:
            The gradio-on-CUDA tag, ``spacehost/gradio-cuda:GRADIO-pyPYVER-BASETAG``.

        Raises:
            BuildFailed: installing torch or gradio failed.
            EngineUnavailable: the Engine cannot be reached.
        """
        from spacehost.builder.cuda import cuda_gradio_tag, cuda_image_tag  # it imports us

        src = runtime_images_dir()
        cuda_file = {"Dockerfile": (src / "cuda" / "Dockerfile").read_bytes()}
        cuda_tag = self._ensure_layer(
            cuda_image_tag(choice),
            runtime_key(self._image_id(python_tag), cuda_file["Dockerfile"], torch),
            cuda_file,
            {"BASE": python_tag, "TORCH": torch},
            {"spacehost.cuda": torch},
            on_log=on_log,
            deadline=deadline,
            extra_hosts=extra_hosts,
        )
        gradio_file = {"Dockerfile": (src / "gradio" / "Dockerfile").read_bytes()}
        gradio_args = {"BASE": cuda_tag, **gradio_layer_args(gradio_version, choice.base)}
        return self._ensure_layer(
            cuda_gradio_tag(gradio_version, choice),
            runtime_key(self._image_id(cuda_tag), gradio_file["Dockerfile"], *_pairs(gradio_args)),
            gradio_file,
            gradio_args,
            {"spacehost.gradio": gradio_version},
            on_log=on_log,
            deadline=deadline,
            extra_hosts=extra_hosts,
        )

    def _ensure_layer(
        self,
        tag: str,
        key: str,
        files: Mapping[str, bytes],
        args: Mapping[str, str],
        labels: Mapping[str, str],
        *,
        on_log: LogFn,
        deadline: float,
        extra_hosts: Mapping[str, str] | None = None,
    ) -> str:
        if self._key(tag) == key:
            return tag
        with exclusive(self._lock_dir, tag):
            if self._key(tag) == key:
                return tag
            on_log(f"--> building runtime image {tag} (once; later builds reuse it)")
            run_build(
                self._client,
                make_context(files),
                tag=tag,
                on_log=on_log,
                deadline=deadline,
                labels={**labels, **RUNTIME_LABELS, KEY_LABEL: key},
                buildargs={**self._buildargs, **args},
                extra_hosts=extra_hosts,
            )
        return tag

    def _image(self, tag: str) -> docker.models.images.Image | None:
        try:
            return self._client.images.get(tag)
        except docker.errors.ImageNotFound:
            return None

    def _image_id(self, tag: str) -> str:
        image = self._image(tag)
        if image is None:
            raise BuildFailed(
                f"the runtime image {tag} disappeared during the build",
                hint="retry the build; avoid pruning images while builds run",
            )
        return str(image.id)

    def _key(self, tag: str) -> str | None:
        image = self._image(tag)
        if image is None:
            return None
        labels = image.attrs.get("Config", {}).get("Labels") or {}
        return str(labels.get(KEY_LABEL, "")) or None

    def _pull(self, ref: str, on_progress: Callable[[str], None]) -> None:
        repo, tag = docker.utils.parse_repository_tag(ref)
        try:
            for event in self._client.api.pull(repo, tag=tag, stream=True, decode=True):
                if "error" in event:
                    raise docker.errors.APIError(str(event["error"]))
                status = " ".join(str(event[k]) for k in ("id", "status") if event.get(k))
                on_progress(f"pulling {ref}: {status}")
        except ENGINE_ERRORS as exc:
            if classify(exc) in (Failure.UNREACHABLE, Failure.TIMED_OUT):
                raise  # the engine's own failure: the builder's entry points translate it
            raise BuildFailed(
                f"the base image {ref} is not on this host and cannot be pulled: {exc}",
                hint=f"load it with `docker load -i FILE` (saved elsewhere with `docker save "
                f"{ref}`), or use a debian:SUITE entry in SPACEHOST_PYTHON_BASES",
            ) from exc

    def _bootstrap(
        self, suite: str, tag: str, on_progress: Callable[[str], None], deadline: float
    ) -> None:
        script = self._script or runtime_images_dir() / "base" / "bootstrap.sh"
        env = dict(os.environ)
        if self._docker_url:
            env["DOCKER_HOST"] = self._docker_url
        on_progress(f"bootstrapping base image {tag} (Debian {suite}, once)")
        with subprocess.Popen(
            ["bash", str(script), suite, tag, self._mirror],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,  # so a timeout can stop debootstrap's children too
        ) as proc:
            timer = threading.Timer(max(deadline - time.monotonic(), 0.0), _stop, (proc,))
            timer.start()
            try:
                other = _relay_progress(proc, on_progress)
                code = proc.wait()
            finally:
                timer.cancel()
        if code != 0:
            timed_out = time.monotonic() >= deadline
            raise BuildFailed(
                f"bootstrapping the base image {tag} "
                + ("took too long and was stopped" if timed_out else f"failed (exit {code})")
                + (f": {other[-1]}" if other else ""),
                hint="install debootstrap and run spacehost as root, check that the mirror "
                f"{self._mirror} is reachable (SPACEHOST_DEBIAN_MIRROR), or build the image by "
                f"hand: {script} {suite} {tag}",
                details={"log_tail": other},
            )


def _pairs(args: Mapping[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in sorted(args.items())]


def _relay_progress(proc: subprocess.Popen[str], on_progress: Callable[[str], None]) -> list[str]:
    """Pass ``progress: ...`` lines to *on_progress*; return the last other lines."""
    other: deque[str] = deque(maxlen=40)
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.rstrip("\n")
        if line.startswith("progress: "):
            on_progress(line.removeprefix("progress: "))
        elif line:
            other.append(line)
    return list(other)


def _stop(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)


def read_constraints(paths: tuple[str, ...]) -> bytes:
    """The host's pip constraint files as one file for the image. Lines that are options
    (``-c other.txt``, ``-r ...``) are commented out: the files they name are not in the image.

    Raises:
        BuildFailed: a file cannot be read.
    """
    out: list[str] = []
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise BuildFailed(
                f"cannot read the pip constraints file {path}: {exc.strerror}",
                hint="make it readable by spacehost, or remove it from the pip configuration",
            ) from exc
        out.append(f"# from {path} on the build host")
        for line in text.splitlines():
            dropped = line.lstrip().startswith("-")
            out.append(f"# (not in the image) {line}" if dropped else line)
    return ("\n".join(out) + "\n").encode() if out else b""


def read_ca(path: str) -> bytes:
    """The CA bundle file's bytes for a build context (b"" when none is configured)."""
    if not path:
        return b""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise BuildFailed(
            f"cannot read the CA bundle {path}: {exc.strerror}",
            hint="make it readable by spacehost, or set SPACEHOST_CA_BUNDLE (or 'none')",
        ) from exc
