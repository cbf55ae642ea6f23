"""Use-via-API documentation generated from a Gradio app's own ``GET /gradio_api/info``. Pure.

For each named endpoint: its parameters and return values with their real names and types, a
``gradio_client`` snippet and Gradio's two-step curl call (``POST .../gradio_api/call/{name}``
gives an ``event_id``; ``GET .../gradio_api/call/{name}/{event_id}`` streams the result).

Everything in ``/gradio_api/info`` comes from the space, so it is data, never code: every value
is quoted for the language it lands in (a Python literal, a shell word, JSON in a shell word, a
percent-encoded URL path; the page HTML-escapes the result), and a parameter name that is not a
plain Python identifier is passed as ``**{"name": value}`` (issue 11, A4: an endpoint named
``/x$(touch …)`` ran a command when its curl snippet was pasted).

Example files are the platform's own (:mod:`spacehost.web.api_examples`), not the Internet URLs
Gradio's info names, so a snippet works as pasted on a machine without Internet (C16).
"""

from __future__ import annotations

import json
import keyword
import shlex
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from spacehost.web.api_examples import example_file

_FILE_TYPE = "gradio.FileData"


@dataclass(frozen=True)
class Param:
    """One input of an endpoint, as ``/gradio_api/info`` describes it."""

    name: str
    label: str
    python_type: str
    component: str
    example: Any
    has_default: bool
    default: Any

    @property
    def is_file(self) -> bool:
        ex = self.example
        return isinstance(ex, dict) and (ex.get("meta") or {}).get("_type") == _FILE_TYPE


@dataclass(frozen=True)
class Return:
    """One output of an endpoint."""

    label: str
    python_type: str
    component: str


@dataclass(frozen=True)
class EndpointDoc:
    """What the Use-via-API tab shows for one endpoint."""

    api_name: str  # with its leading slash, e.g. "/greet"
    params: tuple[Param, ...]
    returns: tuple[Return, ...]
    python: str
    curl: str


def _python_type(entry: dict[str, Any]) -> str:
    pt = entry.get("python_type")
    return str(pt.get("type", "")) if isinstance(pt, dict) else str(pt or "")


def _param(entry: dict[str, Any], index: int) -> Param:
    name = str(entry.get("parameter_name") or entry.get("label") or f"param_{index}")
    return Param(
        name=name,
        label=str(entry.get("label") or ""),
        python_type=_python_type(entry),
        component=str(entry.get("component") or ""),
        example=entry.get("example_input"),
        has_default=bool(entry.get("parameter_has_default")),
        default=entry.get("parameter_default"),
    )


def _return(entry: dict[str, Any]) -> Return:
    return Return(
        label=str(entry.get("label") or ""),
        python_type=_python_type(entry),
        component=str(entry.get("component") or ""),
    )


def _py_literal(value: Any) -> str:
    """Python source for *value*; strings in double quotes as Gradio's own docs write them
    (a JSON string is a valid Python literal)."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _py_value(p: Param, index: int, examples: str) -> str:
    if p.is_file:
        return f"handle_file({_py_literal(example_name(index, file_url(p, examples)))})"
    return _py_literal(p.example)


def file_url(p: Param, examples: str) -> str:
    """The platform's example file standing in for *p*'s example (under *examples*)."""
    ex = p.example if isinstance(p.example, dict) else {}
    return examples + example_file(str(ex.get("orig_name") or ex.get("path") or ""))


def example_name(index: int, url: str) -> str:
    """The local name a snippet saves the example file for parameter *index* under."""
    return f"example-{index}.{url.rsplit('.', 1)[-1]}"


def _py_arg(p: Param, index: int, examples: str) -> str:
    value = _py_value(p, index, examples)
    if p.name.isidentifier() and not keyword.iskeyword(p.name):
        return f"    {p.name}={value},\n"
    return f"    **{{{_py_literal(p.name)}: {value}}},\n"


def python_snippet(
    space_url: str, api_name: str, params: tuple[Param, ...], examples: str = ""
) -> str:
    """A ``gradio_client`` call of *api_name* with example values, by parameter name; example
    files are fetched from the platform first (the app cannot fetch URLs on its own)."""
    files = [(i, file_url(p, examples)) for i, p in enumerate(params) if p.is_file]
    head = "import urllib.request\n\n" if files else ""
    imports = "Client, handle_file" if files else "Client"
    fetch = "".join(
        f"urllib.request.urlretrieve({_py_literal(url)}, {_py_literal(example_name(i, url))})\n"
        for i, url in files
    )
    args = "".join(_py_arg(p, i, examples) for i, p in enumerate(params))
    return (
        f"{head}from gradio_client import {imports}\n\n{fetch}"
        f"client = Client({_py_literal(space_url)})\n"
        f"result = client.predict(\n{args}    api_name={_py_literal(api_name)},\n)\n"
        "print(result)"
    )


def call_url(space_url: str, api_name: str) -> str:
    """``…/gradio_api/call/{name}`` with the name percent-encoded as one path segment."""
    return f"{space_url.rstrip('/')}/gradio_api/call/{quote(api_name.lstrip('/'), safe='')}"


def _upload_lines(space_url: str, params: tuple[Param, ...], examples: str) -> list[str]:
    """Fetch each example file from the platform and upload it to the app (Gradio's
    ``/gradio_api/upload``), keeping the app's path for it in ``FILE_i``."""
    upload = shlex.quote(f"{space_url.rstrip('/')}/gradio_api/upload")
    lines = []
    for i, p in enumerate(params):
        if p.is_file:
            url = file_url(p, examples)
            name = example_name(i, url)
            lines.append(f"curl -s -o {name} {shlex.quote(url)}")
            lines.append(
                f"FILE_{i}=$(curl -s -X POST {upload} -F files=@{name} | awk -F'\"' '{{print $2}}')"
            )
    return lines


def curl_snippet(
    space_url: str, api_name: str, params: tuple[Param, ...], examples: str = ""
) -> str:
    """Gradio's two-step HTTP call: POST the inputs, then stream the result by event id
    (uploading example files first when the endpoint takes files)."""
    call = call_url(space_url, api_name)
    slot = f"SPACEHOST{uuid.uuid4().hex}"  # stands for an uploaded file's path in the body
    data = [
        {"path": f"{slot}_{i}_", "meta": {"_type": _FILE_TYPE}} if p.is_file else p.example
        for i, p in enumerate(params)
    ]
    body = shlex.quote(json.dumps({"data": data}))
    for i, p in enumerate(params):
        if p.is_file:  # leave the single quotes for the shell variable, then go back in
            body = body.replace(f"{slot}_{i}_", f"'\"$FILE_{i}\"'")
    lines = _upload_lines(space_url, params, examples)
    lines.append(
        f"EVENT_ID=$(curl -s -X POST {shlex.quote(call)} "
        f"-H 'Content-Type: application/json' -d {body} | awk -F'\"' '{{print $4}}')"
    )
    lines.append(f'curl -N {shlex.quote(call + "/")}"$EVENT_ID"')
    return "\n".join(lines)


def endpoint_docs(info: dict[str, Any], space_url: str, examples: str = "") -> list[EndpointDoc]:
    """The documented endpoints of *info* (a ``/gradio_api/info`` answer), for *space_url*;
    example files come from *examples* (a URL ending in ``/``)."""
    docs = []
    named = info.get("named_endpoints") or {}
    if not isinstance(named, dict):
        return []
    for api_name, ep in named.items():
        if not isinstance(ep, dict) or ep.get("api_visibility", "public") != "public":
            continue
        params = tuple(_param(p, i) for i, p in enumerate(_dicts(ep.get("parameters"))))
        returns = tuple(_return(r) for r in _dicts(ep.get("returns")))
        name = str(api_name)
        docs.append(
            EndpointDoc(
                api_name=name,
                params=params,
                returns=returns,
                python=python_snippet(space_url, name, params, examples),
                curl=curl_snippet(space_url, name, params, examples),
            )
        )
    return docs


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
