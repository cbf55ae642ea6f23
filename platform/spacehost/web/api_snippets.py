"""Use-via-API documentation generated from a Gradio app's own ``GET /gradio_api/info``. Pure.

For each named endpoint: its parameters and return values with their real names and types, a
``gradio_client`` snippet and Gradio's two-step curl call (``POST .../gradio_api/call/{name}``
gives an ``event_id``; ``GET .../gradio_api/call/{name}/{event_id}`` streams the result).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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
    return Param(name=name, label=str(entry.get("label") or ""),
                 python_type=_python_type(entry), component=str(entry.get("component") or ""),
                 example=entry.get("example_input"),
                 has_default=bool(entry.get("parameter_has_default")),
                 default=entry.get("parameter_default"))


def _return(entry: dict[str, Any]) -> Return:
    return Return(label=str(entry.get("label") or ""), python_type=_python_type(entry),
                  component=str(entry.get("component") or ""))


def _py_literal(value: Any) -> str:
    """Python source for *value*; strings in double quotes as Gradio's own docs write them
    (a JSON string is a valid Python literal)."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _py_value(p: Param) -> str:
    if p.is_file:
        url = p.example.get("url") or p.example.get("path") or ""
        return f"handle_file({_py_literal(str(url))})"
    return _py_literal(p.example)


def python_snippet(space_url: str, api_name: str, params: tuple[Param, ...]) -> str:
    """A ``gradio_client`` call of *api_name* with example values, by parameter name."""
    imports = "Client, handle_file" if any(p.is_file for p in params) else "Client"
    args = "".join(f"    {p.name}={_py_value(p)},\n" for p in params)
    return (f"from gradio_client import {imports}\n\n"
            f"client = Client({_py_literal(space_url)})\n"
            f"result = client.predict(\n{args}    api_name={_py_literal(api_name)},\n)\n"
            "print(result)")


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def curl_snippet(space_url: str, api_name: str, params: tuple[Param, ...]) -> str:
    """Gradio's two-step HTTP call: POST the inputs, then stream the result by event id."""
    call = f"{space_url.rstrip('/')}/gradio_api/call/{api_name.lstrip('/')}"
    body = json.dumps({"data": [p.example for p in params]})
    return (f"EVENT_ID=$(curl -s -X POST {call} -H \"Content-Type: application/json\" "
            f"-d {_shell_quote(body)} | awk -F'\"' '{{print $4}}')\n"
            f"curl -N {call}/$EVENT_ID")


def endpoint_docs(info: dict[str, Any], space_url: str) -> list[EndpointDoc]:
    """The documented endpoints of *info* (a ``/gradio_api/info`` answer), for *space_url*."""
    docs = []
    named = info.get("named_endpoints") or {}
    for api_name, ep in named.items():
        if not isinstance(ep, dict) or ep.get("api_visibility", "public") != "public":
            continue
        params = tuple(_param(p, i) for i, p in enumerate(ep.get("parameters") or []))
        returns = tuple(_return(r) for r in ep.get("returns") or [])
        docs.append(EndpointDoc(api_name=str(api_name), params=params, returns=returns,
                                python=python_snippet(space_url, str(api_name), params),
                                curl=curl_snippet(space_url, str(api_name), params)))
    return docs
