"""Makes the stand-ins for public base images (:mod:`.compat_bases`) on the Engine, once.

``spacehost/compat-python:3.11-slim-bookworm`` is the Debian base of the runtime images
(``spacehost/base:SUITE``, bootstrapped once by ``runtime_images/base/bootstrap.sh``) plus
``runtime_images/compat/python.Dockerfile``; ``spacehost/compat-debian:SUITE[-slim]`` the same
base plus ``debian.Dockerfile``. Like the runtime layers they carry a ``spacehost.runtime-key``
label (the hash of everything they are made from, the host's pip.conf and CA bundle included)
and are rebuilt under the same tag when it changes; they are made under a lock, so builds that
need one at the same time wait for the first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import docker
import docker.errors

from spacehost.builder.build_run import LogFn, run_build
from spacehost.builder.compat_bases import CompatBase
from spacehost.builder.context import make_context
from spacehost.builder.pipconfig import PipPlan, render_pip_conf
from spacehost.builder.runtime_images import (
    KEY_LABEL,
    RUNTIME_LABELS,
    RuntimeImages,
    exclusive,
    read_ca,
    read_constraints,
    runtime_images_dir,
    runtime_key,
)


class CompatImages:
    """Makes and reuses compat base images on one Engine.

    Args:
        client: the Engine.
        runtime: makes the Debian base images they start from.
        lock_dir: where lock files go (``settings.data_dir / "locks"``).
        buildargs: proxy build args for every build.
    """

    def __init__(
        self,
        client: docker.DockerClient,
        runtime: RuntimeImages,
        *,
        lock_dir: Path,
        buildargs: dict[str, str],
    ):
        self._client = client
        self._runtime = runtime
        self._lock_dir = lock_dir
        self._buildargs = buildargs

    def ensure(
        self,
        compat: CompatBase,
        pip_plan: PipPlan,
        *,
        on_log: LogFn,
        on_progress: Callable[[str], None],
        deadline: float,
        nocache: bool = False,
    ) -> str:
        """Make sure *compat*'s image exists and is current; make it if not.

        Args:
            nocache: make it without Docker's layer cache (a benchmark's first make).

        Returns:
            Its tag (``compat.tag``).

        Raises:
            BuildFailed: bootstrapping its Debian base or a build step failed, or the CA
                bundle cannot be read.
            EngineUnavailable: the Engine cannot be reached.
        """
        base = self._runtime.ensure_base(
            f"debian:{compat.suite}", on_progress=on_progress, deadline=deadline
        )
        files = _context_files(compat, pip_plan)
        args = {"BASE": base}
        if compat.family == "python":
            args |= {"PYTHON_VERSION": compat.python, "PACKAGES": compat.packages}
        parent = str(self._client.images.get(base).id)
        key = runtime_key(parent, repr(sorted(args.items())), *(files[k] for k in sorted(files)))
        if self._key(compat.tag) == key:
            return compat.tag
        with exclusive(self._lock_dir, compat.tag):
            if self._key(compat.tag) == key:  # made by another build while we waited
                return compat.tag
            on_log(
                f"--> making {compat.tag} from Debian {compat.suite} (once; later builds reuse it)"
            )
            run_build(
                self._client,
                make_context(files),
                tag=compat.tag,
                on_log=on_log,
                deadline=deadline,
                labels={
                    **RUNTIME_LABELS,
                    "spacehost.kind": "compat-base",
                    "spacehost.suite": compat.suite,
                    KEY_LABEL: key,
                },
                buildargs={**self._buildargs, **args},
                extra_hosts=dict(pip_plan.hosts) or None,
                nocache=nocache,
            )
        return compat.tag

    def _key(self, tag: str) -> str | None:
        try:
            image = self._client.images.get(tag)
        except docker.errors.ImageNotFound:
            return None
        labels = image.attrs.get("Config", {}).get("Labels") or {}
        return str(labels.get(KEY_LABEL, "")) or None


def _context_files(compat: CompatBase, pip_plan: PipPlan) -> dict[str, bytes]:
    src = runtime_images_dir()
    return {
        "Dockerfile": (src / "compat" / f"{compat.family}.Dockerfile").read_bytes(),
        "install-ca.py": (src / "python" / "install-ca.py").read_bytes(),
        "pip.conf": render_pip_conf(pip_plan).encode(),
        "ca-bundle.crt": read_ca(pip_plan.ca_bundle),
        "constraints.txt": read_constraints(pip_plan.constraint_files),
    }
