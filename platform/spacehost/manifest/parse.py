"""README.md front matter -> a validated, frozen :class:`Manifest`, as Hugging Face reads it.

The field list and the allowed values follow https://huggingface.co/docs/hub/spaces-config-reference.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from spacehost.asof import AsOf, parse_as_of
from spacehost.domain import HF_FLAVORS, Sdk
from spacehost.manifest import values
from spacehost.manifest.fields import FieldReader
from spacehost.manifest.frontmatter import find_front_matter, load_yaml, plain
from spacehost.manifest.hardware import normalize_hardware
from spacehost.manifest.model import Manifest
from spacehost.manifest.problems import Findings, show

DEFAULT_TITLE = "Untitled"
COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
SDKS = tuple(s.value for s in Sdk)
HEADERS = ("default", "mini")
STORAGE_TIERS = ("small", "medium", "large")
SHORT_DESCRIPTION_MAX = 60
OAUTH_EXPIRATION_MAX_MINUTES = 30 * 24 * 60
# Hugging Face serves only these response headers from `custom_headers`, lower case only.
CUSTOM_HEADERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "cross-origin-embedder-policy": ("unsafe-none", "require-corp", "credentialless"),
        "cross-origin-opener-policy": ("unsafe-none", "same-origin-allow-popups", "same-origin"),
        "cross-origin-resource-policy": ("same-site", "same-origin", "cross-origin"),
    }
)

# Fields Hugging Face defines whose behaviour spacehost does not implement yet, and what
# exactly is missing, for the warning.
NOT_ACTED_ON: Mapping[str, str] = MappingProxyType(
    {
        "hf_oauth": "there is no 'Sign in with Hugging Face'",
        "hf_oauth_scopes": "there is no 'Sign in with Hugging Face'",
        "hf_oauth_expiration_minutes": "there is no 'Sign in with Hugging Face'",
        "hf_oauth_authorized_org": "there is no 'Sign in with Hugging Face'",
        "hf_oauth_redirect_path": "there is no 'Sign in with Hugging Face'",
        "suggested_storage": "no persistent storage tier is assigned",
        "app_build_command": "static spaces are served as pushed, without a build step",
    }
)
# spacehost's own `spacehost_replicas`: the most processes one space may run at once
MAX_REPLICAS = 16
# Accepted without any remark: display-only metadata, and what Hugging Face writes itself.
QUIET_FIELDS = frozenset({"license", "thumbnail", "duplicated_from"})
KNOWN_FIELDS = frozenset(
    {
        "title",
        "emoji",
        "colorFrom",
        "colorTo",
        "sdk",
        "sdk_version",
        "python_version",
        "app_file",
        "app_port",
        "base_path",
        "fullWidth",
        "header",
        "short_description",
        "tags",
        "pinned",
        "suggested_hardware",
        "disable_embedding",
        "startup_duration_timeout",
        "custom_headers",
        "hardware",
        "spacehost_resolve_as_of",
        "spacehost_replicas",
        "models",
        "datasets",
        "preload_from_hub",
    }
    | QUIET_FIELDS
    | NOT_ACTED_ON.keys()
)


def parse_manifest(
    readme_text: str, *, filename: str = "README.md", default_title: str | None = None
) -> Manifest:
    """Parse and validate a README's YAML front matter, as Hugging Face Spaces does.

    Args:
        readme_text: the whole README.md.
        filename: how to name the file in problems.
        default_title: the title when the front matter has none (usually the space name);
            ``"Untitled"`` when not given.

    Returns:
        The manifest; its ``warnings`` hold findings that do not refuse the space (unknown
        fields, fields spacehost does not act on yet, ignored fields).

    Raises:
        ManifestInvalid: when there is no front matter, the YAML is malformed (the message
            names the line), or any field is invalid; ``details["problems"]`` lists every
            problem as ``{file, field, message}``.
    """
    manifest, findings = read_manifest(readme_text, filename=filename, default_title=default_title)
    findings.raise_if_errors()
    assert manifest is not None  # no errors means a manifest was built
    return manifest


def read_manifest(
    readme_text: str, *, filename: str = "README.md", default_title: str | None = None
) -> tuple[Manifest | None, Findings]:
    """Like :func:`parse_manifest`, but field problems are returned instead of raised.

    Returns:
        ``(manifest, findings)``. The manifest is built whenever ``sdk`` is valid, from the
        valid fields (an invalid field falls back to its default), so that callers can go on
        checking the rest of the space; it is None only when ``sdk`` is missing or invalid.
        It is trustworthy only when ``findings.errors`` is empty.

    Raises:
        ManifestInvalid: only when the front matter is missing or is not valid YAML.
    """
    data = load_yaml(find_front_matter(readme_text, filename=filename), filename=filename)
    findings = Findings()
    reader = FieldReader(data, findings, filename)
    _check_unknown_fields(reader)
    sdk = _sdk(reader)
    fields: dict[str, Any] = {}
    fields.update(_identity(reader, default_title))
    fields.update(_runtime(reader, sdk))
    fields.update(_display(reader, sdk))
    fields.update(_hub(reader))
    if sdk is None:
        return None, findings
    manifest = Manifest(
        sdk=sdk,
        raw=MappingProxyType(plain(data)),
        warnings=tuple(findings.warnings),
        **fields,
    )
    return manifest, findings


def _check_unknown_fields(reader: FieldReader) -> None:
    for key in reader.data:
        if key in KNOWN_FIELDS:
            continue
        close = difflib.get_close_matches(key, sorted(KNOWN_FIELDS), n=1, cutoff=0.75)
        also = f"; did you mean `{close[0]}`?" if close else ""
        reader.warn(key, f"unknown field, ignored (kept in the raw front matter){also}")


def _sdk(reader: FieldReader) -> Sdk | None:
    if not reader.present("sdk"):
        reader.error("sdk", f"is missing; it is required, allowed: {', '.join(SDKS)}")
        return None
    text = reader.string("sdk")
    if text is None:
        return None
    if text not in SDKS:
        extra = ""
        if text == "streamlit":
            extra = " (streamlit is no longer built in, on Hugging Face either: use `sdk: docker`"
            extra += " with a Dockerfile that runs streamlit)"
        reader.error("sdk", f"{show(text)} is not a valid sdk; allowed: {', '.join(SDKS)}{extra}")
        return None
    return Sdk(text)


def _identity(reader: FieldReader, default_title: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"title": reader.string("title") or default_title or DEFAULT_TITLE}
    if (emoji := reader.parsed("emoji", values.emoji)) is not None:
        out["emoji"] = emoji
    if (color_from := reader.choice("colorFrom", COLORS, "color")) is not None:
        out["color_from"] = color_from
    if (color_to := reader.choice("colorTo", COLORS, "color")) is not None:
        out["color_to"] = color_to
    short = reader.string("short_description")
    if short is not None and len(short) > SHORT_DESCRIPTION_MAX:
        reader.error(
            "short_description",
            f"{show(short)} is {len(short)} characters; at most {SHORT_DESCRIPTION_MAX} allowed",
        )
    elif short is not None:
        out["short_description"] = short
    if (tags := reader.string_list("tags")) is not None:
        out["tags"] = tags
    if (pinned := reader.boolean("pinned")) is not None:
        out["pinned"] = pinned
    out["license"] = reader.string("license")
    out["thumbnail"] = reader.string("thumbnail")
    return out


def _runtime(reader: FieldReader, sdk: Sdk | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    out["sdk_version"] = _sdk_version(reader, sdk)
    python = reader.parsed("python_version", values.python_version)
    if python is not None and sdk in (Sdk.DOCKER, Sdk.STATIC):
        reader.warn("python_version", f"ignored with sdk: {sdk}; the space does not run Python")
        python = None
    out["python_version"] = python
    app_file = reader.parsed("app_file", values.app_path)
    out["app_file"] = app_file or ("index.html" if sdk is Sdk.STATIC else "app.py")
    port = reader.integer("app_port", 1, 65535)
    if port is not None and sdk is not Sdk.DOCKER and sdk is not None:
        reader.warn("app_port", f"used only with sdk: docker; {sdk} spaces are served on 7860")
    elif port is not None:
        out["app_port"] = port
    base_path = reader.parsed("base_path", values.url_path)
    if base_path is not None and sdk is Sdk.STATIC:
        reader.warn("base_path", "ignored with sdk: static; set app_file to the page to open")
    elif base_path is not None:
        out["base_path"] = base_path
    out["suggested_hardware"] = reader.choice(
        "suggested_hardware", tuple(HF_FLAVORS), "hardware flavor"
    )
    out["hardware"] = reader.parsed("hardware", normalize_hardware)
    out["resolve_as_of"] = _resolve_as_of(reader, sdk)
    timeout = reader.parsed("startup_duration_timeout", values.duration_seconds)
    out["startup_duration_timeout_s"] = timeout
    out["replicas"] = _replicas(reader, sdk)
    return out


def _replicas(reader: FieldReader, sdk: Sdk | None) -> int:
    replicas = reader.integer("spacehost_replicas", 1, MAX_REPLICAS)
    if replicas is not None and replicas > 1 and sdk is Sdk.STATIC:
        reader.warn("spacehost_replicas", "ignored with sdk: static; its files are served as is")
        return 1
    return replicas or 1


def _resolve_as_of(reader: FieldReader, sdk: Sdk | None) -> AsOf | None:
    as_of = reader.parsed("spacehost_resolve_as_of", parse_as_of)
    if as_of is not None and sdk in (Sdk.DOCKER, Sdk.STATIC):
        reader.warn(
            "spacehost_resolve_as_of",
            f"ignored with sdk: {sdk}; spacehost installs the packages of gradio spaces only",
        )
        return None
    return as_of


def _sdk_version(reader: FieldReader, sdk: Sdk | None) -> str | None:
    if sdk is not None and sdk is not Sdk.GRADIO:
        if reader.present("sdk_version"):
            reader.warn("sdk_version", f"ignored with sdk: {sdk}; it names a gradio version")
        return None
    return reader.parsed("sdk_version", values.sdk_version)


def _display(reader: FieldReader, sdk: Sdk | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    full_width = reader.boolean("fullWidth")
    # Hugging Face's default: a fixed-width column for gradio, the full width for the others.
    out["full_width"] = full_width if full_width is not None else sdk is not Sdk.GRADIO
    if (header := reader.choice("header", HEADERS, "header style")) is not None:
        out["header"] = header
    if (disable := reader.boolean("disable_embedding")) is not None:
        out["disable_embedding"] = disable
    out["custom_headers"] = MappingProxyType(_custom_headers(reader))
    return out


def _custom_headers(reader: FieldReader) -> dict[str, str]:
    headers = reader.mapping("custom_headers")
    out: dict[str, str] = {}
    for name, value in (headers or {}).items():
        path = f"custom_headers.{name}"
        allowed = CUSTOM_HEADERS.get(str(name))
        if allowed is None:
            lower = (
                " (header names must be lower case)" if str(name).lower() in CUSTOM_HEADERS else ""
            )
            reader.error(
                path,
                f"header {show(str(name))} is not allowed{lower}; allowed headers: "
                f"{', '.join(CUSTOM_HEADERS)}",
            )
        elif not isinstance(value, str) or value not in allowed:
            reader.error(path, f"{show(value)} is not a valid value; allowed: {', '.join(allowed)}")
        else:
            out[str(name)] = value
    return out


def _hub(reader: FieldReader) -> dict[str, Any]:
    out: dict[str, Any] = {
        "models": reader.string_list("models", parse=values.repo_id),
        "datasets": reader.string_list("datasets", parse=values.repo_id),
        "preload_from_hub": reader.string_list("preload_from_hub", parse=_preload_entry),
        "hf_oauth": reader.boolean("hf_oauth"),
        "hf_oauth_scopes": reader.string_list("hf_oauth_scopes"),
        "hf_oauth_expiration_minutes": reader.integer(
            "hf_oauth_expiration_minutes", 1, OAUTH_EXPIRATION_MAX_MINUTES
        ),
        "hf_oauth_authorized_org": reader.string_list("hf_oauth_authorized_org"),
        "suggested_storage": reader.choice("suggested_storage", STORAGE_TIERS, "storage tier"),
    }
    redirect = reader.parsed("hf_oauth_redirect_path", values.url_path)
    build_command = reader.string("app_build_command")
    asked = {**out, "hf_oauth_redirect_path": redirect, "app_build_command": build_command}
    # models, datasets and preload_from_hub are acted on: mounted from the platform's hub
    for key, value in asked.items():
        if value and key in NOT_ACTED_ON:  # only a value that asks for something is worth one
            reader.warn(key, f"accepted but not acted on yet: {NOT_ACTED_ON[key]}")
    return {key: value for key, value in out.items() if value is not None}


def _preload_entry(text: str) -> str:
    values.preload_spec(text)
    return " ".join(text.split())
