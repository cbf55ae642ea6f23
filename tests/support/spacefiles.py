"""The files of small spaces, as a push sends them (path -> bytes)."""

from __future__ import annotations


def readme(sdk: str = "gradio", extra: str = "") -> bytes:
    """A README.md whose front matter names *sdk* (and the YAML lines in *extra*)."""
    return f"---\ntitle: Demo\nsdk: {sdk}\n{extra}---\n# Demo\n".encode()


def gradio_files(code: str = "print('hi')", extra: str = "") -> dict[str, bytes]:
    """A gradio space whose app.py is *code*; ``BUILD_FAIL`` in it fails FakeBuilder's build."""
    return {"README.md": readme(extra=extra), "app.py": code.encode()}
