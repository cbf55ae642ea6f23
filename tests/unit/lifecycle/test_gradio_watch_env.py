"""Gradio's reload watcher (hot reload, docs/pushing.md#hot-reload) only where the platform turns
it on: under it an app's top level runs twice, which broke the sentiment example."""

from __future__ import annotations

from pathlib import Path

from spacehost.lifecycle.contract import gradio_watch_env
from spacehost.manifest import load_space
from spacehost.settings import Settings

GRADIO = {"README.md": b"---\nsdk: gradio\n---\n", "app.py": b"print(1)\n"}
STATIC = {"README.md": b"---\nsdk: static\n---\n", "index.html": b"<p>hi</p>\n"}


def test_the_watcher_only_with_hot_reload_on_and_only_for_gradio(tmp_path: Path) -> None:
    off, on = Settings(data_dir=tmp_path), Settings(data_dir=tmp_path, hot_reload=True)
    gradio, static = load_space(GRADIO).manifest, load_space(STATIC).manifest
    assert gradio_watch_env(gradio, off) == {}
    assert gradio_watch_env(static, on) == {}
    assert gradio_watch_env(gradio, on) == {
        "GRADIO_WATCH_DIRS": "/home/user/app",
        "GRADIO_WATCH_MODULE_NAME": "app",
        "GRADIO_WATCH_DEMO_PATH": "/home/user/app/app.py",
    }


def test_the_setting_reads_spacehost_hot_reload(tmp_path: Path) -> None:
    env = {"SPACEHOST_DATA_DIR": str(tmp_path), "SPACEHOST_HOT_RELOAD": "1"}
    assert Settings.from_env(env).hot_reload
    assert not Settings.from_env({"SPACEHOST_DATA_DIR": str(tmp_path)}).hot_reload
