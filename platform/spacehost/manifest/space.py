"""A whole space folder (already read into memory) -> a validated :class:`SpaceSource`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from spacehost.domain import Sdk
from spacehost.errors import ManifestInvalid
from spacehost.manifest.frontmatter import find_front_matter, load_yaml
from spacehost.manifest.ignore import IgnoreRules
from spacehost.manifest.model import Manifest, Problem, SpaceSource
from spacehost.manifest.parse import read_manifest
from spacehost.manifest.problems import Findings
from spacehost.manifest.requirements import (
    check_gradio_pin,
    check_includes,
    debian_packages,
    decode_text,
    requirement_lines,
)

README = "README.md"
SPACEHOST_IGNORE = ".spacehostignore"
DOCKER_IGNORE = ".dockerignore"
REQUIREMENTS = "requirements.txt"
PRE_REQUIREMENTS = "pre-requirements.txt"
PACKAGES = "packages.txt"


@dataclass(frozen=True)
class SpaceCheck:
    """The outcome of :func:`validate_space`: the source when there are no errors, plus every
    finding."""

    source: SpaceSource | None
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...]


def load_space(files: Mapping[str, bytes], *, default_title: str | None = None) -> SpaceSource:
    """Validate a space folder and return what the platform needs from it.

    Args:
        files: the folder's files, relative POSIX path -> contents (see :func:`read_folder`).
        default_title: the title when README.md sets none (usually the space name).

    Returns:
        The source: manifest, files after exclusions (``.git/`` always; ``.spacehostignore``;
        ``.dockerignore`` too unless ``sdk: docker``, whose build applies it itself), parsed
        dependency files, and every warning.

    Raises:
        ManifestInvalid: listing every problem found. ``details["stage"]`` is ``NO_APP_FILE``
            when the only problem is a missing app file (``app file 'app.py' not found``) or
            Dockerfile, else ``CONFIG_ERROR``.
    """
    source, findings = _check(files, default_title)
    findings.raise_if_errors()
    assert source is not None  # no errors means the source was built
    return source


def validate_space(files: Mapping[str, bytes], *, default_title: str | None = None) -> SpaceCheck:
    """Like :func:`load_space`, but returns the problems instead of raising (for ``validate``).

    Args:
        files: as for :func:`load_space`.
        default_title: as for :func:`load_space`.

    Returns:
        The check; ``source`` is None when there is any error.
    """
    source, findings = _check(files, default_title)
    ok = not findings.errors
    return SpaceCheck(source if ok else None, tuple(findings.errors), tuple(findings.warnings))


def declared_sdk(readme: bytes) -> Sdk | None:
    """The ``sdk`` a README declares, or None when it cannot be read (no error raised)."""
    try:
        text = readme.decode("utf-8-sig")
        data = load_yaml(find_front_matter(text))
        return Sdk(str(data.get("sdk")))
    except (ManifestInvalid, UnicodeDecodeError, ValueError):
        return None


def exclusion_rules(
    files: Mapping[str, bytes], sdk: Sdk | None, findings: Findings
) -> list[tuple[str, IgnoreRules]]:
    """The ignore rules that apply to a space, each with the file it comes from.

    ``.dockerignore`` is left to Docker for ``sdk: docker`` spaces (their build applies it).
    Invalid patterns are recorded in *findings*, and that file's rules are skipped.
    """
    names = [SPACEHOST_IGNORE] + ([DOCKER_IGNORE] if sdk is not Sdk.DOCKER else [])
    rules: list[tuple[str, IgnoreRules]] = []
    for name in names:
        data = files.get(name)
        text = decode_text(data, name, findings) if data is not None else None
        if text is None:
            continue
        try:
            rules.append((name, IgnoreRules.parse(text, filename=name)))
        except ManifestInvalid as exc:
            findings.adopt(exc)
    return rules


def excluded_by(path: str, rules: list[tuple[str, IgnoreRules]]) -> str | None:
    """The ignore file that excludes *path*; ``".git"`` for git internals; None if kept.

    README.md is never excluded: it is the manifest.
    """
    if ".git" in path.split("/"):
        return ".git"
    if path == README:
        return None
    return next((name for name, r in rules if r.excludes(path)), None)


def _check(
    files: Mapping[str, bytes], default_title: str | None
) -> tuple[SpaceSource | None, Findings]:
    findings = Findings()
    safe = {path: data for path, data in files.items() if _safe_path(path, findings)}
    manifest = _manifest(safe, default_title, findings)
    sdk = manifest.sdk if manifest else None
    rules = exclusion_rules(safe, sdk, findings)
    kept = {p: d for p, d in sorted(safe.items()) if excluded_by(p, rules) is None}
    if manifest is None:
        _dependencies(kept, None, findings)
        return None, findings
    _check_app_file(manifest, kept, rules, findings)
    requirements, pre_requirements, packages = _dependencies(kept, manifest, findings)
    source = SpaceSource(
        manifest=manifest,
        files=MappingProxyType(kept),
        requirements=requirements,
        pre_requirements=pre_requirements,
        packages=packages,
        warnings=tuple(findings.warnings),
    )
    return source, findings


def _safe_path(path: str, findings: Findings) -> bool:
    parts = path.split("/")
    if path and not any(p in ("", ".", "..") for p in parts) and path.isprintable():
        return True
    findings.error(
        path,
        "",
        f"{path!r} is not a safe relative path; use POSIX paths inside the space "
        "without '.', '..', empty parts or control characters",
    )
    return False


def _manifest(
    files: Mapping[str, bytes], default_title: str | None, findings: Findings
) -> Manifest | None:
    data = files.get(README)
    if data is None:
        near = [p for p in files if p.lower() == README.lower()]
        also = f" ({near[0]} must be named exactly README.md)" if near else ""
        findings.error(
            README,
            "",
            f"no README.md in the space{also}; add one whose YAML front matter sets at least "
            "`sdk:`",
        )
        return None
    text = decode_text(data, README, findings)
    if text is None:
        return None
    try:
        manifest, manifest_findings = read_manifest(text, default_title=default_title)
    except ManifestInvalid as exc:
        findings.adopt(exc)
        return None
    findings.errors.extend(manifest_findings.errors)
    findings.warnings.extend(manifest_findings.warnings)
    return manifest


def _check_app_file(
    manifest: Manifest,
    kept: Mapping[str, bytes],
    rules: list[tuple[str, IgnoreRules]],
    findings: Findings,
) -> None:
    if manifest.sdk is Sdk.DOCKER:
        needed, message = "Dockerfile", "Dockerfile not found"
    else:
        needed, message = manifest.app_file, f"app file '{manifest.app_file}' not found"
    if needed in kept:
        return
    why = excluded_by(needed, rules)
    if why is not None and why != ".git":
        message += f" (it is excluded by {why})"
    findings.no_app(README, "" if manifest.sdk is Sdk.DOCKER else "app_file", message)


def _dependencies(
    kept: Mapping[str, bytes], manifest: Manifest | None, findings: Findings
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    # Only gradio spaces are built from these files: a Dockerfile decides for itself, and
    # static spaces run no Python (as on Hugging Face).
    if manifest is not None and manifest.sdk is not Sdk.GRADIO:
        return (), (), ()
    present = frozenset(kept)
    parsed: dict[str, tuple[str, ...]] = {}
    for name in (REQUIREMENTS, PRE_REQUIREMENTS):
        data = kept.get(name)
        text = decode_text(data, name, findings) if data is not None else None
        parsed[name] = requirement_lines(text) if text is not None else ()
        check_includes(parsed[name], present, name, findings)
        if manifest is not None:
            check_gradio_pin(parsed[name], manifest.sdk_version, name, findings)
    data = kept.get(PACKAGES)
    text = decode_text(data, PACKAGES, findings) if data is not None else None
    packages = debian_packages(text, PACKAGES, findings) if text is not None else ()
    return parsed[REQUIREMENTS], parsed[PRE_REQUIREMENTS], packages
