"""``POST /api/validate-yaml`` (``{"content", "repoType"}``): huggingface_hub checks a README's
front matter with it before every upload that has one. Answers ``{"errors": [], "warnings": []}``
(each ``{"message"}``), 400 when there are errors (the client raises ``ValueError`` listing
them). A space's README is checked as a push checks it (manifest/); a model's or dataset's only
has to be YAML (HF's card metadata is free-form here)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from spacehost.api.accounts import _json
from spacehost.errors import InvalidRequest, ManifestInvalid
from spacehost.manifest.frontmatter import find_front_matter, load_yaml
from spacehost.manifest.model import Problem
from spacehost.manifest.parse import read_manifest
from spacehost.manifest.problems import problems_from_details


def _messages(problems: Any) -> list[dict[str, str]]:
    return [{"message": str(p)} for p in problems]


def _invalid(exc: ManifestInvalid) -> list[Problem]:
    errors, _ = problems_from_details(exc.details)
    return errors or [Problem("README.md", "", exc.message)]


def check_readme(content: str, repo_type: str) -> tuple[list[Problem], list[Problem]]:
    """The errors and warnings of a README's front matter for a repo of *repo_type*."""
    try:
        if repo_type == "space":
            _, findings = read_manifest(content)
            return findings.errors, findings.warnings
        if content.lstrip("\ufeff \r\n").startswith("---"):
            load_yaml(find_front_matter(content))
    except ManifestInvalid as exc:
        return _invalid(exc), []
    return [], []


async def validate_yaml(request: web.Request) -> web.Response:
    """``POST /api/validate-yaml`` (see the module doc)."""
    body = await _json(request)
    content, repo_type = body.get("content"), body.get("repoType") or "model"
    if not isinstance(content, str) or repo_type not in ("model", "dataset", "space"):
        raise InvalidRequest(
            '"content" must be the README\'s text and "repoType" model, dataset or space',
            hint='send {"content": "---\\nlicense: mit\\n---\\n", "repoType": "model"}',
        )
    errors, warnings = check_readme(content, repo_type)
    return web.json_response(
        {"errors": _messages(errors), "warnings": _messages(warnings)},
        status=400 if errors else 200,
    )


def add_validate_yaml_route(app: web.Application) -> None:
    app.router.add_post("/api/validate-yaml", validate_yaml)
