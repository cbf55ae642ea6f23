"""The Dockerfile of a space image, rendered from its files and a build plan. Pure.

Layer order for ``sdk: gradio`` follows Hugging Face: system packages -> pre-requirements ->
requirements -> ``gradio[oauth,mcp]==sdk_version`` -> ``spaces`` -> app files. Each
dependency step copies only the file it reads, and the app files are copied last, so a push
that changes only code reuses every dependency layer.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass

from spacehost.builder.contract import gradio_requirement
from spacehost.domain import Sdk
from spacehost.manifest.model import SpaceSource

# The build context of a gradio space: the generated Dockerfile at the root, the space's
# files under APP_DIR (so a space's own file named "Dockerfile" cannot clash).
APP_DIR = "app"
DEPENDENCY_FILES = ("packages.txt", "pre-requirements.txt", "requirements.txt")
SPACES_DIR = "spacehost"  # the context folder of spacehost's own files (the `spaces` wheel)
FALLBACK_WARNING = "WARNING: pip could not install"  # how that step's build-log line starts

CONTAINER_ENV = (
    ("HOME", "/home/user"),
    ("GRADIO_SERVER_NAME", "0.0.0.0"),
    ("GRADIO_SERVER_PORT", "7860"),
    ("GRADIO_NUM_PORTS", "1"),
    ("GRADIO_ANALYTICS_ENABLED", "False"),
    ("HF_HUB_OFFLINE", "1"),
    ("PYTHONUNBUFFERED", "1"),
)

_GRADIO_REQ = re.compile(r"^gradio\s*(\[[^\]]*\])?\s*(?P<spec>[=<>!~][^;#]*)?\s*(;.*)?$", re.I)


@dataclass(frozen=True)
class BuildPlan:
    """What the rendered Dockerfile is built on and installs.

    Attributes:
        from_image: the runtime image (``spacehost/gradio:...``); unused for ``sdk: docker``.
        python_version: the configured Python chosen for the space.
        runtime_gradio: the gradio version inside *from_image*.
        gradio_pin: the version to ``pip install gradio==`` after the requirements, or None
            when the runtime image's gradio stands.
        warnings: lines for the build log, repeated as comments at the top of the Dockerfile.
        pip_constraint: the ``PIP_CONSTRAINT`` value for this build ("" to keep pip.conf's):
            CPU builds name the image's CPU torch pin there (see :mod:`.cputorch`).
    """

    from_image: str
    python_version: str = ""
    runtime_gradio: str = ""
    gradio_pin: str | None = None
    warnings: tuple[str, ...] = ()
    pip_constraint: str = ""
    # spacehost's `spaces` wheel (in the context under spacehost/), installed after the
    # requirements so that Hugging Face's `spaces` from requirements.txt does not stay
    spaces_wheel: str = ""
    # gradio's extras when the space installs its gradio_pin ("oauth,mcp" on a runtime image
    # with the contract, see builder/contract.py; "" on an operator's image)
    gradio_extras: str = ""
    # pip's --uploaded-prior-to for the space's own pip steps ("" = today's resolution); see
    # :mod:`.cutoff` and :func:`pip_install`
    uploaded_prior_to: str = ""
    # the contract's pre-installed packages, installed (as of the cut-off) before the space's
    # requirements when the space builds on the python image instead of the gradio image
    # (a dated build of another gradio); () when the base image already holds them
    preinstall: tuple[str, ...] = ()


def needs_image(source: SpaceSource) -> bool:
    """True unless the space is ``sdk: static`` (the router serves its files as they are)."""
    return source.manifest.sdk is not Sdk.STATIC


def gradio_pin(source: SpaceSource, runtime_gradio: str) -> tuple[str | None, str]:
    """Decide whether a space installs its own gradio on top of the runtime image's.

    Args:
        source: the space.
        runtime_gradio: the gradio version baked into the runtime image.

    Returns:
        ``(pin, warning)``: *pin* is ``manifest.sdk_version`` (or *runtime_gradio* when unset)
        when the space has requirements (they may have moved gradio) or asks for another
        version, else None; *warning* is a build-log line when requirements.txt asks for a
        gradio other than the one installed after it ("" otherwise).
    """
    wanted = source.manifest.sdk_version or runtime_gradio
    pin = wanted if source.requirements or wanted != runtime_gradio else None
    for line in source.requirements:
        match = _GRADIO_REQ.match(line.strip())
        spec = (match.group("spec") or "").replace(" ", "") if match else ""
        if spec and spec != f"=={wanted}":
            source_of = (
                "sdk_version in README.md"
                if source.manifest.sdk_version
                else "the default gradio (README.md sets no sdk_version)"
            )
            return pin, (
                f"requirements.txt asks for gradio{spec}, but {source_of} is {wanted}: "
                f"gradio=={wanted} is installed after the requirements, as Hugging Face does "
                "(set sdk_version in README.md to change it)"
            )
    return pin, ""


def plan_build(
    source: SpaceSource,
    *,
    from_image: str,
    python_version: str,
    runtime_gradio: str,
    warnings: tuple[str, ...] = (),
    pip_constraint: str = "",
    gradio_extras: str = "",
) -> BuildPlan:
    """The plan for a gradio space built on *from_image*.

    Args:
        source: the space.
        from_image: the gradio runtime image's tag.
        python_version: the Python chosen for the space.
        runtime_gradio: the gradio version in *from_image*.
        warnings: earlier warnings (Python fallback, pip settings); a gradio pin warning is
            appended.
        pip_constraint: see :attr:`BuildPlan.pip_constraint`.
        gradio_extras: see :attr:`BuildPlan.gradio_extras`.

    Returns:
        The plan, with the gradio decision of :func:`gradio_pin`.
    """
    pin, pin_warning = gradio_pin(source, runtime_gradio)
    return BuildPlan(
        from_image=from_image,
        python_version=python_version,
        runtime_gradio=runtime_gradio,
        gradio_pin=pin,
        warnings=(*warnings, pin_warning) if pin_warning else warnings,
        pip_constraint=pip_constraint,
        gradio_extras=gradio_extras,
    )


def render_dockerfile(source: SpaceSource, plan: BuildPlan) -> str:
    """The Dockerfile that builds *source*.

    Args:
        source: the space; ``sdk: docker`` returns its own Dockerfile unchanged.
        plan: the runtime image and gradio decision (see :class:`BuildPlan`).

    Returns:
        Dockerfile text. For ``sdk: gradio`` its paths are relative to a context holding the
        space's files under ``app/``.

    Raises:
        ValueError: the space is ``sdk: static`` (no image, see :func:`needs_image`) or
            ``sdk: docker`` without a Dockerfile.
    """
    sdk = source.manifest.sdk
    if sdk is Sdk.DOCKER:
        if not source.has_dockerfile:
            raise ValueError("an sdk: docker space needs a Dockerfile")
        return source.files["Dockerfile"].decode("utf-8")
    if sdk is not Sdk.GRADIO:
        raise ValueError(f"sdk {sdk} spaces have no image")
    sections = [
        _header(plan),
        _base(plan),
        _system_packages(source.packages),
        _preinstall(plan),
        _requirements(source, "pre-requirements.txt", source.pre_requirements, plan),
        _requirements(source, "requirements.txt", source.requirements, plan),
        _gradio(plan),
        _spaces(plan.spaces_wheel),
        _app(source.manifest.app_file),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _header(plan: BuildPlan) -> str:
    lines = ["# Generated by spacehost; edits are overwritten by the next build."]
    lines += [f"# WARNING: {w}" for w in plan.warnings]
    return "\n".join(lines)


def _base(plan: BuildPlan) -> str:
    env = " \\\n    ".join(f"{k}={v}" for k, v in CONTAINER_ENV)
    constraint = (
        "# No GPU: pip installs the CPU build of torch (SPACEHOST_CPU_TORCH).\n"
        f"ENV PIP_CONSTRAINT={json.dumps(plan.pip_constraint)}\n"
        if plan.pip_constraint
        else ""
    )
    return f"FROM {plan.from_image}\nENV {env}\n{constraint}WORKDIR /home/user/app"


def _system_packages(packages: tuple[str, ...]) -> str:
    if not packages:
        return ""
    names = " ".join(shlex.quote(p) for p in packages)
    return (
        "USER root\n"
        "RUN apt-get update \\\n"
        " && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "
        f"{names} \\\n"
        " && rm -rf /var/lib/apt/lists/*\n"
        "USER 1000"
    )


def _requirements(source: SpaceSource, name: str, lines: tuple[str, ...], plan: BuildPlan) -> str:
    if not lines or name not in source.files:
        return ""
    install = pip_install(f"-r {name}", name, plan.uploaded_prior_to)
    return f"COPY --chown=1000:1000 {APP_DIR}/{name} ./\n{install}"


def _preinstall(plan: BuildPlan) -> str:
    if not plan.preinstall:
        return ""
    args = " ".join(shlex.quote(requirement) for requirement in plan.preinstall)
    return pip_install(args, "the pre-installed packages", plan.uploaded_prior_to)


def _gradio(plan: BuildPlan) -> str:
    if not plan.gradio_pin:
        return ""
    pin = shlex.quote(gradio_requirement(plan.gradio_pin, plan.gradio_extras))
    return pip_install(pin, pin, plan.uploaded_prior_to)


def pip_install(args: str, what: str, uploaded_prior_to: str) -> str:
    """The ``RUN`` step that pip-installs *args* as of *uploaded_prior_to*.

    Without a cut-off it is the plain ``pip install``. With one, pip resolves as of the date;
    when it cannot (an index without upload times, a pinned release newer than the date, the
    newer dependencies of the local CPU torch), the step says so with a ``WARNING:`` line in
    the build log and installs with today's resolution: explicit pins win over the date, and
    the log says which steps are not dated, so a mix is never silent. The later steps stay
    dated: pip keeps what this step installed where it satisfies them and adds the rest as of
    the date (an old gradio then still gets the ``huggingface_hub`` of its time).

    Args:
        args: pip's arguments after ``install --no-cache-dir`` (already shell-quoted).
        what: names the step in the warning (``requirements.txt``, ``gradio==5.9.1``).
        uploaded_prior_to: pip's ``--uploaded-prior-to`` value, or "".
    """
    plain = f"pip install --no-cache-dir {args}"
    if not uploaded_prior_to:
        return f"RUN {plain}"
    dated = f"pip install --no-cache-dir --uploaded-prior-to={uploaded_prior_to} {args}"
    warning = shlex.quote(
        f"{FALLBACK_WARNING} {what} as of {uploaded_prior_to} (its error is above); "
        "installing it with today's packages instead (the other steps stay as of that date)"
    )
    return f"RUN {dated} \\\n || {{ echo {warning} && {plain}; }}"


def _spaces(wheel: str) -> str:
    if not wheel:
        return ""
    return (
        f"COPY {SPACES_DIR}/{wheel} /tmp/spacehost/\n"
        "RUN pip install --no-cache-dir --no-deps --no-index --force-reinstall "
        f"/tmp/spacehost/{wheel}"
    )


def _app(app_file: str) -> str:
    return (
        f"COPY --chown=1000:1000 {APP_DIR}/ ./\nEXPOSE 7860\nCMD {json.dumps(['python', app_file])}"
    )
