"""Copy-paste snippets that embed a space in another page. Pure."""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class EmbedSnippets:
    iframe: str
    web_component: str


def embed_snippets(space_url: str, gradio_js_url: str, *, title: str,
                   height: int = 600) -> EmbedSnippets:
    """Snippets for embedding the space at *space_url* (its own host URL, trailing slash).

    Args:
        space_url: where the app answers, e.g. ``http://alice-demo.localhost:8000/``.
        gradio_js_url: the ``gradio.js`` of the space's own Gradio version, served by spacehost
            (never a CDN, so it works offline and cannot mismatch the app).
        title: the space's title, for the iframe's accessible name.
        height: the iframe's height in pixels.
    """
    src = html.escape(space_url, quote=True)
    iframe = (f'<iframe src="{src}" title="{html.escape(title, quote=True)}" width="100%" '
              f'height="{height}" frameborder="0" allow="clipboard-write; microphone; camera">'
              "</iframe>")
    component = (f'<script type="module" src="{html.escape(gradio_js_url, quote=True)}">'
                 f'</script>\n<gradio-app src="{src}"></gradio-app>')
    return EmbedSnippets(iframe=iframe, web_component=component)
