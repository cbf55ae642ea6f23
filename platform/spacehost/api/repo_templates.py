"""The first files of a repo made by ``POST /api/repos/create`` (Hugging Face's create_repo): a
space's hello-world for its sdk, a model's or dataset's README card. Pure: names in, files out."""

from __future__ import annotations

from collections.abc import Mapping

from spacehost.domain import Sdk
from spacehost.errors import InvalidRequest

SDKS = tuple(s.value for s in Sdk)

_GRADIO_APP = """import gradio as gr


def greet(name: str) -> str:
    return f"Hello, {name}!"


demo = gr.Interface(fn=greet, inputs="text", outputs="text", api_name="greet")

if __name__ == "__main__":
    demo.launch()
"""

_STATIC_INDEX = """<!doctype html>
<html lang=en>
<meta charset=utf-8>
<title>{title}</title>
<h1>{title}</h1>
<p>A new static space. Push your own index.html to replace this page.</p>
</html>
"""

# FROM spacehost's own base image: a host without a registry still builds it (spaces/docker-app)
_DOCKERFILE = """FROM spacehost/base:bookworm
RUN useradd -m -u 1000 user
WORKDIR /home/user/app
USER user
EXPOSE 7860
CMD ["python3", "-m", "http.server", "7860"]
"""


def check_sdk(value: object) -> Sdk:
    """The sdk a create body names; InvalidRequest for anything this platform does not build."""
    try:
        return Sdk(str(value))
    except ValueError:
        raise InvalidRequest(
            f'"sdk" {value!r} is not one this platform builds',
            hint=f'send "sdk": one of {", ".join(SDKS)} (streamlit spaces are not supported)',
        ) from None


def _front_matter(fields: Mapping[str, str]) -> str:
    lines = "".join(f"{k}: {v}\n" for k, v in fields.items())
    return f"---\n{lines}---\n"


def space_files(name: str, sdk: Sdk, gradio_version: str, python: str) -> dict[str, bytes]:
    """A space *name* that builds and answers as it is, for *sdk* (gradio: a hello-world
    ``app.py`` on the platform's Gradio *gradio_version* and *python*)."""
    fields = {"title": f'"{name}"', "emoji": "🚀", "colorFrom": "blue", "colorTo": "green"}
    fields["sdk"] = sdk.value
    if sdk is Sdk.GRADIO:
        fields |= {"sdk_version": gradio_version, "python_version": f'"{python}"'}
        fields["app_file"] = "app.py"
    elif sdk is Sdk.STATIC:
        fields["app_file"] = "index.html"
    else:
        fields["app_port"] = "7860"
    readme = _front_matter(fields) + f"\n# {name}\n\nA new {sdk.value} space.\n"
    files = {"README.md": readme.encode()}
    if sdk is Sdk.GRADIO:
        files["app.py"] = _GRADIO_APP.encode()
    elif sdk is Sdk.STATIC:
        files["index.html"] = _STATIC_INDEX.format(title=name).encode()
    else:
        files["Dockerfile"] = _DOCKERFILE.encode()
    return files


def card(kind: str, repo_id: str) -> bytes:
    """The README.md card of a new model or dataset *repo_id*."""
    return (
        _front_matter({"license": "other"}) + f"\n# {repo_id}\n\nA new {kind}. "
        "Upload its files with `spacehost push DIR --type "
        f"{kind} --name {repo_id}` or `hf upload`.\n"
    ).encode()
