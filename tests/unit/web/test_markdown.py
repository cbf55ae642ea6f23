"""README rendering: front matter stripped, raw HTML and script links never pass through."""

from __future__ import annotations

from spacehost.web.markdown import render_readme, strip_front_matter


def test_front_matter_is_stripped() -> None:
    text = "---\ntitle: Hello\nsdk: gradio\n---\n# Hello\n\nBody"
    assert strip_front_matter(text) == "# Hello\n\nBody"
    assert render_readme(text) == "<h1>Hello</h1>\n<p>Body</p>\n"


def test_text_without_front_matter_is_kept() -> None:
    assert strip_front_matter("# Title\n---\n") == "# Title\n---\n"
    assert strip_front_matter("---\nnever closed") == "---\nnever closed"


def test_raw_html_is_escaped() -> None:
    out = render_readme("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(1)>")
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_script_links_are_not_links() -> None:
    out = render_readme("[click](javascript:alert(1)) [ok](https://example.org/)")
    assert 'href="javascript' not in out
    assert '<a href="https://example.org/">ok</a>' in out


def test_tables_and_code_render() -> None:
    out = render_readme("| a | b |\n|---|---|\n| 1 | 2 |\n\n```py\nx = '<b>'\n```\n")
    assert "<table>" in out and "<td>1</td>" in out
    assert "x = '&lt;b&gt;'" in out
