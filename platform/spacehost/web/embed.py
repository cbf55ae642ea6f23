"""Copy-paste snippets that embed a space in another page. Pure."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from spacehost.builder.frontend import element_name, is_version

# spacehost serves each Gradio version's frontend at .../static/gradio/{version}/gradio.js.
_VERSION_IN_URL = re.compile(r"/static/gradio/([^/]+)/gradio\.js$")
PLAIN_ELEMENT = "gradio-app"


@dataclass(frozen=True)
class EmbedSnippets:
    iframe: str
    web_component: str


def component_name(gradio_js_url: str) -> str:
    """The custom element to write for the ``gradio.js`` at *gradio_js_url*.

    spacehost's ``gradio.js`` of version V defines ``gradio-app-V`` (dots as dashes), so two
    spaces on different Gradio versions can share a page; any other URL (a CDN's) gets the
    plain ``gradio-app``.
    """
    match = _VERSION_IN_URL.search(gradio_js_url)
    if match and is_version(match.group(1)):
        return element_name(match.group(1))
    return PLAIN_ELEMENT


def embed_snippets(
    space_url: str, gradio_js_url: str, *, title: str, height: int = 600
) -> EmbedSnippets:
    """Snippets for embedding the space at *space_url* (its own host URL, trailing slash).

    Args:
        space_url: where the app answers, e.g. ``http://alice-demo.localhost:8000/``.
        gradio_js_url: the ``gradio.js`` of the space's own Gradio version, served by spacehost
            (never a CDN, so it works offline and cannot mismatch the app).
        title: the space's title, for the iframe's accessible name.
        height: the iframe's height in pixels.
    """
    src = html.escape(space_url, quote=True)
    iframe = (
        f'<iframe src="{src}" title="{html.escape(title, quote=True)}" width="100%" '
        f'height="{height}" frameborder="0" allow="clipboard-write; microphone; camera">'
        "</iframe>"
    )
    tag = component_name(gradio_js_url)
    component = (
        f'<script type="module" src="{html.escape(gradio_js_url, quote=True)}">'
        f'</script>\n<{tag} src="{src}"></{tag}>'
    )
    return EmbedSnippets(iframe=iframe, web_component=component)
