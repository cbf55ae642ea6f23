"""A job's spec as Hugging Face's Jobs API sends it (``POST /api/jobs/{namespace}``, the body of
huggingface_hub's ``_create_job_spec``), read into a frozen :class:`JobSpec`. Pure: every problem
is an :class:`InvalidRequest` naming the field and what to send instead (docs/jobs.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from spacehost.errors import InvalidRequest, NotSupported
from spacehost.lifecycle.volumes import SpaceVolume, parse_volumes

# HF's image form for "the image of this space" (huggingface_hub _jobs_api._SPACE_IMAGE_PREFIXES)
SPACE_IMAGE_PREFIXES = (
    "https://huggingface.co/spaces/",
    "https://hf.co/spaces/",
    "huggingface.co/spaces/",
    "hf.co/spaces/",
)
DEFAULT_FLAVOR = "cpu-basic"
MAX_TIMEOUT_S = 7 * 24 * 3600
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SPACE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
# Fields huggingface_hub may send that this platform does not offer; refused, not ignored, so
# that a job never runs without what it asked for.
_UNSUPPORTED = {
    "expose": "jobs cannot expose ports here; run a space for a long-lived server",
    "ssh": "jobs have no SSH access here; read their logs with `hf jobs logs`",
    "network": "jobs have no network groups here",
}
_HINT = "see docs/jobs.md for the job spec (the body `hf jobs run` and HfApi.run_job() send)"


def _frozen(value: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(value or {}))


@dataclass(frozen=True)
class JobSpec:
    """What to run: an image (``image``) or a space's image (``space_id``), the command and its
    arguments, the environment and secrets (given to the container as variables), the hardware
    flavor, a time limit in seconds (``None``: none), labels, and the buckets mounted into its
    container (``volumes``: what ``hf jobs uv run`` ships a local script in)."""

    image: str | None
    space_id: str | None
    command: tuple[str, ...]
    arguments: tuple[str, ...] = ()
    environment: Mapping[str, str] = field(default_factory=_frozen)
    secrets: Mapping[str, str] = field(default_factory=_frozen)
    flavor: str = DEFAULT_FLAVOR
    timeout_s: int | None = None
    labels: Mapping[str, str] = field(default_factory=_frozen)
    volumes: tuple[SpaceVolume, ...] = ()

    @property
    def argv(self) -> list[str]:
        """The container's command line: the command, then the arguments."""
        return [*self.command, *self.arguments]

    def to_json(self) -> dict[str, Any]:
        """The spec in HF's camelCase shape, secrets left out (they are stored apart)."""
        out: dict[str, Any] = {
            "command": list(self.command),
            "arguments": list(self.arguments),
            "environment": dict(self.environment),
            "flavor": self.flavor,
            "labels": dict(self.labels),
        }
        if self.timeout_s is not None:
            out["timeoutSeconds"] = self.timeout_s
        if self.volumes:
            out["volumes"] = [v.as_json() for v in self.volumes]
        if self.space_id is not None:
            out["spaceId"] = self.space_id
        else:
            out["dockerImage"] = self.image
        return out


def parse_job_spec(body: object) -> JobSpec:
    """Read a job spec from a request body.

    Args:
        body: the decoded JSON body.

    Returns:
        The spec; ``hf.co/spaces/owner/name`` images become ``space_id``.

    Raises:
        InvalidRequest: a field is missing or has the wrong type or value.
        NotSupported: the spec asks for exposed ports, SSH, a network group, or a volume
            that is not a bucket.
    """
    if not isinstance(body, dict):
        raise InvalidRequest("a job spec is a JSON object", hint=_HINT)
    for key, hint in _UNSUPPORTED.items():
        if body.get(key):
            raise NotSupported(f"job spec field {key!r} is not supported here", hint=hint)
    image, space_id = _image(body)
    command = _strings(body, "command")
    if not command:
        raise InvalidRequest(
            "job spec field 'command' is empty: a job needs a command to run",
            hint='e.g. "command": ["python", "-c", "print(1)"]',
        )
    return JobSpec(
        image=image,
        space_id=space_id,
        command=command,
        arguments=_strings(body, "arguments"),
        environment=_frozen(_env(body, "environment")),
        secrets=_frozen(_env(body, "secrets")),
        flavor=_flavor(body),
        timeout_s=_timeout(body),
        labels=_frozen(_labels(body)),
        volumes=_volumes(body),
    )


def _volumes(body: dict[str, Any]) -> tuple[SpaceVolume, ...]:
    """Buckets only, as for spaces (lifecycle/volumes.py): a repo is read from inside the job."""
    items = body.get("volumes")
    if not items:
        return ()
    for item in items if isinstance(items, list) else ():
        kind = item.get("type", "bucket") if isinstance(item, dict) else "bucket"
        if kind != "bucket":
            raise NotSupported(
                f"job spec: {kind!r} volumes are not offered here: only buckets",
                hint="download repos from inside the job with huggingface_hub (HF_ENDPOINT "
                "is set), or mount a bucket (-v hf://buckets/NS/NAME:/mnt/NAME)",
            )
    return tuple(parse_volumes({"volumes": items}))


def space_of_image(image: str) -> str | None:
    """``owner/name`` when *image* is HF's form for a space's image, else ``None``."""
    for prefix in SPACE_IMAGE_PREFIXES:
        if image.startswith(prefix):
            return image[len(prefix) :].strip("/")
    return None


def _image(body: dict[str, Any]) -> tuple[str | None, str | None]:
    image, space = body.get("dockerImage"), body.get("spaceId")
    if image is not None and space is not None:
        raise InvalidRequest(
            "job spec has both 'dockerImage' and 'spaceId'", hint="send one of them"
        )
    if space is None and isinstance(image, str):
        space = space_of_image(image)
        if space is not None:
            image = None
    if space is not None:
        if not isinstance(space, str) or not _SPACE_ID.match(space):
            raise InvalidRequest(
                f"job spec field 'spaceId' must be 'owner/name', not {space!r}",
                hint="e.g. hf.co/spaces/alice/my-space as the image",
            )
        return None, space
    if not isinstance(image, str) or not image.strip():
        raise InvalidRequest(
            "job spec needs 'dockerImage' (an image in this platform's Docker Engine) or "
            "'spaceId' (a space whose image to run)",
            hint="e.g. `hf jobs run spacehost/python:3.11-bookworm python -c 'print(1)'`",
        )
    return image.strip(), None


def _strings(body: dict[str, Any], key: str) -> tuple[str, ...]:
    value = body.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidRequest(f"job spec field {key!r} must be a list of strings", hint=_HINT)
    return tuple(value)


def _env(body: dict[str, Any], key: str) -> dict[str, str]:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidRequest(f"job spec field {key!r} must be an object", hint=_HINT)
    out: dict[str, str] = {}
    for name, val in value.items():
        if not _ENV_NAME.match(name):
            raise InvalidRequest(
                f"job spec field {key!r}: {name!r} is not a valid variable name",
                hint="use letters, digits and _ (not starting with a digit)",
            )
        if val is None:
            continue
        if not isinstance(val, (str, int, float, bool)):
            raise InvalidRequest(f"job spec field {key}.{name} must be a string", hint=_HINT)
        out[name] = str(val)
    return out


def _labels(body: dict[str, Any]) -> dict[str, str]:
    value = body.get("labels")
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise InvalidRequest("job spec field 'labels' must map strings to strings", hint=_HINT)
    return dict(value)


def _flavor(body: dict[str, Any]) -> str:
    value = body.get("flavor") or DEFAULT_FLAVOR
    if not isinstance(value, str):
        raise InvalidRequest("job spec field 'flavor' must be a string", hint="e.g. cpu-basic")
    return value


def _timeout(body: dict[str, Any]) -> int | None:
    value = body.get("timeoutSeconds", body.get("timeout"))
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidRequest(
            f"job spec field 'timeoutSeconds' must be a positive number, not {value!r}",
            hint="e.g. `hf jobs run --timeout 10m ...` sends 600",
        )
    if value > MAX_TIMEOUT_S:
        raise InvalidRequest(
            f"job spec field 'timeoutSeconds' is over the limit of {MAX_TIMEOUT_S} s (7 days)",
            hint="split the work into shorter jobs",
        )
    return int(value)
