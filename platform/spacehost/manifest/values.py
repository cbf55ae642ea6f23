"""Parsers for the front matter's structured string values. Each raises ValueError with a
message that says what is wrong and what is allowed; the caller adds the file and field."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from spacehost.manifest.problems import show

_PYTHON_RE = re.compile(r"^3\.(\d{1,2})(?:\.\d{1,3})?$")
# The subset of PEP 440 versions that gradio has used. The version ends up in a `pip install`
# line of a generated Dockerfile, so nothing outside this alphabet may pass.
_SDK_VERSION_RE = re.compile(r"^\d+(?:\.\d+){0,3}(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?$")
_DURATION_PART_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([dhms])")
_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_REPO_PART = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
_REPO_ID_RE = re.compile(rf"^(?:{_REPO_PART}/)?{_REPO_PART}$")
_REVISION_RE = re.compile(r"^[A-Za-z0-9._/-]{1,255}$")
_HEADER_PATH_RE = re.compile(r"^/[^\s]*$")
MAX_EMOJI_CODEPOINTS = 16


def python_version(text: str) -> str:
    """``"3.10"``, ``"3.10.4"`` -> ``"3.10"`` (spacehost picks the patch release).

    Raises:
        ValueError: for anything that is not ``3.x`` or ``3.x.y``.
    """
    match = _PYTHON_RE.match(text.strip())
    if not match:
        raise ValueError(f'{show(text)} is not a Python version; use 3.x or 3.x.y, e.g. "3.10"')
    return f"3.{int(match.group(1))}"


def sdk_version(text: str) -> str:
    """A gradio version such as ``4.44.1`` or ``5.0.0b3``, returned stripped.

    Raises:
        ValueError: for anything that is not a plain release version.
    """
    version = text.strip()
    if not _SDK_VERSION_RE.match(version):
        raise ValueError(f'{show(text)} is not a gradio version; use a release like "4.44.1"')
    return version


def duration_seconds(text: str) -> float:
    """``"30m"``, ``"1h"``, ``"90s"``, ``"1h30m"``, ``"1.5h"``, ``"2d"`` -> seconds.

    Raises:
        ValueError: for text without units, unknown units, or a zero duration.
    """
    compact = text.strip().lower()
    total, pos = 0.0, 0
    for match in _DURATION_PART_RE.finditer(compact):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not compact or pos != len(compact):
        raise ValueError(
            f"{show(text)} is not a duration; use a number with a unit d, h, m or s, "
            'e.g. "30m", "1h" or "1h30m"'
        )
    if total <= 0:
        raise ValueError(f'{show(text)} is zero; give a duration longer than 0, e.g. "30m"')
    return total


def repo_id(text: str) -> str:
    """A Hugging Face repo id, ``name`` or ``owner/name``.

    Raises:
        ValueError: for anything else.
    """
    if not _REPO_ID_RE.match(text) or "--" in text or ".." in text:
        raise ValueError(
            f"{show(text)} is not a repo id; use `name` or `owner/name` with letters, digits, "
            "'-', '_' and '.'"
        )
    return text


def emoji(text: str) -> str:
    """One emoji (a sequence of at most 16 code points, without letters or spaces).

    Raises:
        ValueError: for text with letters or spaces, or that is too long to be one emoji.
    """
    if (
        not text
        or len(text) > MAX_EMOJI_CODEPOINTS
        or text.isascii()
        or any(ch.isspace() or unicodedata.category(ch).startswith("L") for ch in text)
    ):
        raise ValueError(f'{show(text)} is not an emoji; use a single emoji such as "🚀"')
    return text


def url_path(text: str) -> str:
    """An absolute URL path such as ``/docs`` (``base_path``).

    Raises:
        ValueError: when it does not start with ``/`` or contains spaces.
    """
    if not _HEADER_PATH_RE.match(text):
        raise ValueError(f"{show(text)} is not a path; it must start with '/', e.g. \"/docs\"")
    return text


def app_path(text: str) -> str:
    """A file path relative to the space root (``app.py``, ``src/main.py``), normalised.

    Raises:
        ValueError: for absolute paths, ``..`` components, backslashes or empty paths.
    """
    parts = [p for p in text.strip().split("/") if p not in ("", ".")]
    if not parts or text.startswith("/") or "\\" in text or ".." in parts:
        raise ValueError(
            f'{show(text)} is not a path inside the space; use a relative path like "app.py"'
        )
    return "/".join(parts)


@dataclass(frozen=True)
class PreloadSpec:
    """One ``preload_from_hub`` entry: ``repo [file1,file2 [revision]]``."""

    repo_id: str
    files: tuple[str, ...] = ()  # empty: the whole repository
    revision: str | None = None


def preload_spec(text: str) -> PreloadSpec:
    """Parse a ``preload_from_hub`` entry as Hugging Face documents it.

    ``"repo_id"`` (every file), ``"repo_id file1,file2"``, ``"repo_id file1,file2 revision"``.

    Raises:
        ValueError: for more than three words, a bad repo id, empty file names or a bad revision.
    """
    words = text.split()
    if not 1 <= len(words) <= 3:
        raise ValueError(
            f'{show(text)} is not a preload entry; use "repo_id", "repo_id file1,file2" or '
            '"repo_id file1,file2 revision"'
        )
    repo = repo_id(words[0])
    files: tuple[str, ...] = ()
    if len(words) > 1:
        files = tuple(words[1].split(","))
        if any(not f for f in files):
            raise ValueError(
                f"{show(text)} has an empty file name; separate file names with single commas"
            )
    revision = words[2] if len(words) == 3 else None
    if revision is not None and not _REVISION_RE.match(revision):
        raise ValueError(f"{show(text)} has an invalid revision {show(revision)}; use a commit sha")
    return PreloadSpec(repo, files, revision)
