"""The one exception tree of spacehost.

Every error the platform raises on purpose is a :class:`SpacehostError`. Each class carries a
stable ``code`` (the API's ``error.code``), the HTTP status the API answers with, and the exit
code the CLI ends with. ``client.py`` maps a code back to its class, so an error raised on the
server is raised again, unchanged in kind, in the CLI.

::

    SpacehostError                     500  exit 1   internal_error
    ├── InvalidRequest                 400  exit 2   invalid_request
    │   ├── InvalidSpaceName           400  exit 2   invalid_name
    │   ├── ManifestInvalid            422  exit 2   manifest_invalid
    │   ├── UploadRejected             400  exit 2   upload_rejected
    │   ├── UploadTooLarge             413  exit 2   upload_too_large
    │   └── NotSupported               501  exit 2   not_supported       (HF feature not here)
    ├── Unauthorized                   401  exit 3   unauthorized
    │   └── TooManyAttempts            429  exit 3   too_many_attempts   (sign-in throttled)
    ├── Forbidden                      403  exit 13  forbidden           (signed in, not allowed)
    ├── NotFound                       404  exit 4   not_found
    │   ├── SpaceNotFound              404  exit 4   space_not_found
    │   ├── RepoNotFound               404  exit 4   repo_not_found      (hub model/dataset)
    │   ├── RevisionNotFound           404  exit 4   revision_not_found
    │   └── EntryNotFound              404  exit 4   entry_not_found     (a file in a revision)
    ├── Conflict                       409  exit 5   conflict
    │   ├── InvalidTransition          409  exit 5   invalid_transition
    │   └── CommitConflict             412  exit 5   commit_conflict     (parentCommit not head)
    ├── BuildFailed                    422  exit 6   build_failed
    ├── AppFailed                      422  exit 7   app_failed
    ├── HardwareUnavailable            409  exit 8   hardware_unavailable
    ├── EngineUnavailable              503  exit 9   engine_unavailable
    ├── ServerUnreachable              503  exit 10  server_unreachable   (client side only)
    ├── PortUnavailable                409  exit 11  port_unavailable     (`spacehost up`)
    └── DeployTimeout                  504  exit 12  deploy_timeout       (client side only)

Foreign exceptions (``docker.errors``, ``aiohttp`` errors) are translated once, at the boundary
that calls them, with ``raise ... from exc``.
"""

from __future__ import annotations

from typing import Any, ClassVar


def error_body(code: str, message: str, hint: str, **extra: Any) -> dict[str, Any]:
    """An error as the API and the status pages answer it:
    ``{"error": {"code", "message", "hint", ...extra}}``."""
    return {"error": {"code": code, "message": message, "hint": hint, **extra}}


class SpacehostError(Exception):
    """Root of every error spacehost raises on purpose.

    Args:
        message: what went wrong, in a sentence a user understands.
        hint: what to do next (optional but strongly encouraged).
        details: extra machine-readable facts (field path, log tail, ...), JSON-serialisable.
    """

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, *, hint: str = "", details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details: dict[str, Any] = details or {}

    def to_json(self) -> dict[str, Any]:
        """The API body for this error: ``{"error": {"code", "message", "hint", ...}}``."""
        extra = {"details": self.details} if self.details else {}
        return error_body(self.code, self.message, self.hint, **extra)

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class InvalidRequest(SpacehostError):
    code = "invalid_request"
    http_status = 400
    exit_code = 2


class InvalidSpaceName(InvalidRequest):
    code = "invalid_name"


class ManifestInvalid(InvalidRequest):
    """A space's README front matter (or another space file) is not acceptable.

    ``details["problems"]`` lists every problem found, each with file, field and message.
    """

    code = "manifest_invalid"
    http_status = 422


class UploadRejected(InvalidRequest):
    code = "upload_rejected"


class UploadTooLarge(InvalidRequest):
    code = "upload_too_large"
    http_status = 413


class NotSupported(InvalidRequest):
    """A Hugging Face feature this platform does not have (pull requests, moving a space)."""

    code = "not_supported"
    http_status = 501


class Unauthorized(SpacehostError):
    code = "unauthorized"
    http_status = 401
    exit_code = 3


class TooManyAttempts(Unauthorized):
    """Sign-in refused for a while after repeated failures (``details["retry_after"]``)."""

    code = "too_many_attempts"
    http_status = 429


class Forbidden(SpacehostError):
    """The caller is known but may not do this (a read-only token, another namespace)."""

    code = "forbidden"
    http_status = 403
    exit_code = 13


class NotFound(SpacehostError):
    code = "not_found"
    http_status = 404
    exit_code = 4


class SpaceNotFound(NotFound):
    code = "space_not_found"


class RepoNotFound(NotFound):
    """No hub model or dataset of that name."""

    code = "repo_not_found"


class RevisionNotFound(NotFound):
    """The hub repo exists, the revision (branch, sha or sha prefix) does not."""

    code = "revision_not_found"


class EntryNotFound(NotFound):
    """The revision exists, the file path in it does not."""

    code = "entry_not_found"


class Conflict(SpacehostError):
    code = "conflict"
    http_status = 409
    exit_code = 5


class InvalidTransition(Conflict):
    """A space cannot move from its stage to the one asked (domain.TRANSITIONS)."""

    code = "invalid_transition"


class JobEnded(Conflict):
    """Live figures asked of a job that has ended (406, as Hugging Face answers; its client
    reads that as "nothing more to show")."""

    code = "job_ended"
    http_status = 406


class CommitConflict(Conflict):
    """A commit based on a revision that is no longer the head (HF answers 412)."""

    code = "commit_conflict"
    http_status = 412


class BuildFailed(SpacehostError):
    code = "build_failed"
    http_status = 422
    exit_code = 6


class BuildCancelled(BuildFailed):
    """A build stopped before its end: a newer push superseded it, or its space was deleted."""

    code = "build_cancelled"
    http_status = 409


class AppFailed(SpacehostError):
    code = "app_failed"
    http_status = 422
    exit_code = 7


class HardwareUnavailable(SpacehostError):
    code = "hardware_unavailable"
    http_status = 409
    exit_code = 8


class EngineUnavailable(SpacehostError):
    code = "engine_unavailable"
    http_status = 503
    exit_code = 9


class ServerUnreachable(SpacehostError):
    code = "server_unreachable"
    http_status = 503
    exit_code = 10


class PortUnavailable(SpacehostError):
    """The platform cannot listen where it was told to (another program holds the port)."""

    code = "port_unavailable"
    http_status = 409
    exit_code = 11


class DeployTimeout(SpacehostError):
    """The CLI stopped waiting for a deploy (``--timeout``); the deploy goes on."""

    code = "deploy_timeout"
    http_status = 504
    exit_code = 12


def _all_subclasses(cls: type[SpacehostError]) -> list[type[SpacehostError]]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_all_subclasses(sub))
    return out


def error_class_for(code: str) -> type[SpacehostError]:
    """The error class whose ``code`` is *code*; :class:`SpacehostError` for an unknown code."""
    for cls in _all_subclasses(SpacehostError):
        if cls.code == code:
            return cls
    return SpacehostError


def _problem_line(p: dict[str, Any]) -> str:
    where = f"{p.get('file', '')}: {p.get('field', '')}".rstrip(": ")
    return f"{where}: {p.get('message', '')}"


def error_lines(exc: SpacehostError) -> list[str]:
    """*exc* as the CLI prints it, line by line -- ``error: …``, a README's problems that the
    message does not list yet and its warnings, a log tail, ``hint: …`` -- so that every place
    that shows an error as text (the CLI, a refused ``git push``'s ``remote:`` lines) says
    exactly the same."""
    lines = [f"error: {exc.message}"]
    if isinstance(exc, ManifestInvalid):
        for p in exc.details.get("problems", []):
            if str(p.get("message", "")) not in exc.message:
                lines.append(f"  - {_problem_line(p)}")
        lines.extend(f"warning: {_problem_line(p)}" for p in exc.details.get("warnings", []))
    tail = exc.details.get("log_tail")
    if tail:
        lines.append(f"--- log tail ---\n{tail}")
    if exc.hint:
        lines.append(f"hint: {exc.hint}")
    return lines
