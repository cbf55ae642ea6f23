"""The dependency files of a space: requirements.txt, pre-requirements.txt and packages.txt."""

from __future__ import annotations

import re

from spacehost.manifest.problems import Findings

# pip: a comment starts with '#' at the start of a line or after whitespace (a '#' inside a URL
# fragment such as `#egg=name` is not a comment).
_PIP_COMMENT_RE = re.compile(r"(^|\s+)#.*$")
_REQUIREMENT_NAME_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
_EXACT_PIN_RE = re.compile(r"^===?\s*([^\s;,]+)\s*(;.*)?$")
_INCLUDE_RE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s+|=)(\S+)$")
# Debian policy 5.6.1 for the name, then apt's optional `:arch` and `=version`. Nothing else may
# pass: the names end up on an `apt-get install` command line.
_DEBIAN_NAME = r"[a-z0-9][a-z0-9+.-]+"
_DEBIAN_PACKAGE_RE = re.compile(rf"^{_DEBIAN_NAME}(?::[a-z0-9-]+)?(?:=[A-Za-z0-9.+~:-]+)?$")


def decode_text(data: bytes, file: str, findings: Findings) -> str | None:
    """A space file's bytes as text (UTF-8, BOM tolerated); None plus an error otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        findings.error(file, "", f"is not UTF-8 text (bad byte at offset {exc.start})")
        return None


def requirement_lines(text: str) -> tuple[str, ...]:
    """pip requirement lines: continuations joined, comments and blank lines removed.

    Option lines (``-r other.txt``, ``--extra-index-url URL``, ``-e git+...``) are kept as they
    are: they are pip's business.
    """
    joined = re.sub(r"\\\r?\n", "", text.replace("\r\n", "\n"))
    lines = (_PIP_COMMENT_RE.sub("", line).strip() for line in joined.split("\n"))
    return tuple(line for line in lines if line)


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: ``Gradio_Client`` -> ``gradio-client``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def exact_pin(line: str, package: str) -> str | None:
    """The version *line* pins *package* to with ``==`` (or ``===``); None otherwise."""
    match = _REQUIREMENT_NAME_RE.match(line)
    if not match or canonical_name(match.group(1)) != canonical_name(package):
        return None
    pin = _EXACT_PIN_RE.match(match.group(3).strip())
    return pin.group(1) if pin else None


def check_gradio_pin(
    lines: tuple[str, ...], sdk_version: str | None, file: str, findings: Findings
) -> None:
    """Warn when *lines* pin gradio to another version than the one that gets installed.

    Gradio is installed after the requirements, at ``sdk_version`` (as on Hugging Face), so a
    different pin in requirements.txt has no effect.
    """
    for line in lines:
        pinned = exact_pin(line, "gradio")
        if pinned is None or pinned == sdk_version:
            continue
        target = f"sdk_version {sdk_version}" if sdk_version else "the platform's gradio version"
        findings.warn(
            file,
            "gradio",
            f"gradio=={pinned} in {file} is replaced by {target}, as on Hugging Face; "
            "set sdk_version in README.md to choose the gradio version",
        )


def check_includes(
    lines: tuple[str, ...], present: set[str] | frozenset[str], file: str, findings: Findings
) -> None:
    """Warn about ``-r``/``-c`` lines naming files that are not in the space."""
    for line in lines:
        match = _INCLUDE_RE.match(line)
        if match and "://" not in match.group(1) and match.group(1) not in present:
            findings.warn(
                file,
                "",
                f"`{line}` names {match.group(1)}, which is not in the space; "
                "pip will fail at build time",
            )


def debian_packages(text: str, file: str, findings: Findings) -> tuple[str, ...]:
    """Debian package names from packages.txt, one or more per line, ``#`` comments allowed.

    Every name is checked against Debian's naming rules (plus apt's ``:arch`` and ``=version``)
    because the names are passed to ``apt-get install``: anything else, such as a shell
    metacharacter, is an error naming the line.
    """
    packages: list[str] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        words = raw.split("#", 1)[0].split()
        bad = [word for word in words if not _DEBIAN_PACKAGE_RE.match(word)]
        if bad:
            findings.error(
                file,
                f"line {number}",
                f"{raw.strip()!r} is not a list of Debian package names (bad: "
                f"{', '.join(repr(b) for b in bad)}); names use lower case letters, digits and "
                "'+', '-', '.', e.g. ffmpeg libgl1",
            )
        packages.extend(words)
    return tuple(packages)
