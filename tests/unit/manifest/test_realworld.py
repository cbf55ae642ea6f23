"""Front matters in the style of popular Hugging Face Spaces, as people really write them."""

from __future__ import annotations

from typing import Any

import pytest

from spacehost.domain import GpuRequest
from spacehost.errors import ManifestInvalid
from spacehost.manifest import gpu_request, parse_manifest

# An image-generation demo from the Gradio 3 era: unquoted versions, license, pinned.
DIFFUSION_DEMO = """---
title: Stable Diffusion 2.1
emoji: 🔥
colorFrom: yellow
colorTo: gray
sdk: gradio
sdk_version: 3.50
app_file: app.py
pinned: true
license: mit
---

Check out the configuration reference at https://huggingface.co/docs/hub/spaces-config-reference
"""

# A leaderboard: docker-free gradio with tags, short description, a long startup, datasets.
LEADERBOARD = """---
title: Open LLM Leaderboard
emoji: 🏆
colorFrom: green
colorTo: indigo
sdk: gradio
sdk_version: 4.44.0
app_file: app.py
pinned: true
license: apache-2.0
duplicated_from: someone/leaderboard-template
fullWidth: true
startup_duration_timeout: 1h
short_description: Track, rank and evaluate open LLMs and chatbots
tags:
  - leaderboard
  - modality:text
datasets:
  - open-llm-leaderboard/contents
---
"""

# A ZeroGPU chat demo: suggested hardware, models, preloading, the 3.10 float quirk.
ZERO_GPU_CHAT = """---
title: Llama 3 8B Chat
emoji: 🦙
colorFrom: purple
colorTo: blue
sdk: gradio
sdk_version: 4.36.1
python_version: 3.10
app_file: app.py
pinned: false
suggested_hardware: zero-a10g
models:
- meta-llama/Meta-Llama-3-8B-Instruct
preload_from_hub:
- meta-llama/Meta-Llama-3-8B-Instruct config.json,model-00001-of-00004.safetensors
---
"""

# A FastAPI app in a Dockerfile: app_port, no sdk_version.
DOCKER_API = """---
title: Text Embeddings API
emoji: 🐳
colorFrom: blue
colorTo: green
sdk: docker
app_port: 8080
pinned: false
---
"""

# A transformers.js page that needs SharedArrayBuffer: static sdk with COOP/COEP headers.
WEBGPU_STATIC = """---
title: Whisper WebGPU
emoji: 🎙️
colorFrom: gray
colorTo: pink
sdk: static
pinned: false
license: apache-2.0
custom_headers:
  cross-origin-embedder-policy: require-corp
  cross-origin-opener-policy: same-origin
  cross-origin-resource-policy: cross-origin
short_description: Real-time speech recognition in the browser
thumbnail: >-
  https://cdn-uploads.huggingface.co/production/uploads/whisper-webgpu.png
---
"""

# A space saved from Windows Notepad: BOM and CRLF line ends, quoted values.
WINDOWS_EDITOR = (
    "\ufeff---\r\n"
    'title: "Résumé Parser: PDF to JSON"\r\n'
    "emoji: 📄\r\n"
    "colorFrom: red\r\n"
    "colorTo: yellow\r\n"
    "sdk: gradio\r\n"
    'sdk_version: "5.9.1"\r\n'
    "app_file: main.py\r\n"
    "pinned: false\r\n"
    "---\r\n"
    "\r\n"
    "# Résumé parser\r\n"
)

# An app with a Sign-in-with-HF button and org restriction.
OAUTH_APP = """---
title: Private Notes
emoji: 🔐
colorFrom: indigo
colorTo: purple
sdk: gradio
sdk_version: 5.4.0
hf_oauth: true
hf_oauth_scopes:
  - read-repos
  - write-repos
hf_oauth_expiration_minutes: 480
hf_oauth_authorized_org: my-company
---
"""

# An embeddable widget: mini header, a sub-path, no embedding elsewhere.
MINI_HEADER_DASHBOARD = """---
title: Model Memory Calculator
emoji: 🧮
colorFrom: pink
colorTo: red
sdk: docker
app_port: 7860
base_path: /dashboard
header: mini
disable_embedding: true
fullWidth: false
suggested_storage: small
---
"""

# A GPU demo run on spacehost with its own `hardware` field next to HF's flavor.
SPACEHOST_GPU = """---
title: SDXL Turbo
emoji: ⚡
colorFrom: blue
colorTo: purple
sdk: gradio
sdk_version: 4.19.2
python_version: "3.11"
suggested_hardware: a10g-small
hardware: gpu-mem:24GB
startup_duration_timeout: 45m
---
"""

# Older templates still carry fields from model cards; tags as a single string.
MODEL_CARD_FIELDS = """---
title: Sentiment Analysis
emoji: 😊
colorFrom: green
colorTo: blue
sdk: gradio
sdk_version: 3.0.5
app_file: app.py
pinned: false
language: en
tags: sentiment
models: [distilbert-base-uncased-finetuned-sst-2-english]
---
"""

# A space that used Streamlit before Hugging Face dropped it as a built-in SDK.
STREAMLIT_LEGACY = """---
title: Data Explorer
emoji: 📊
colorFrom: blue
colorTo: red
sdk: streamlit
sdk_version: 1.32.0
app_file: app.py
pinned: false
---
"""

# A hand-written config with several mistakes at once.
TYPO_RIDDLED = """---
title: My first space
emoji: smile
colorFrom: orange
colorTo: blue
sdk: gradio
sdk_version: 4.0
pinned: yes
fullwidth: true
custom_headers:
  X-Frame-Options: DENY
---
"""

FIXTURES: dict[str, tuple[str, dict[str, Any], list[str]]] = {
    # name: (readme, expected manifest attributes, expected warning fields)
    "diffusion": (
        DIFFUSION_DEMO,
        {"title": "Stable Diffusion 2.1", "emoji": "🔥", "sdk_version": "3.50", "pinned": True,
         "license": "mit", "color_from": "yellow", "color_to": "gray", "full_width": False},
        [],
    ),
    "leaderboard": (
        LEADERBOARD,
        {"full_width": True, "startup_duration_timeout_s": 3600.0,
         "tags": ("leaderboard", "modality:text"), "datasets": ("open-llm-leaderboard/contents",),
         "short_description": "Track, rank and evaluate open LLMs and chatbots"},
        [],
    ),
    "zero-gpu": (
        ZERO_GPU_CHAT,
        {"python_version": "3.10", "suggested_hardware": "zero-a10g",
         "models": ("meta-llama/Meta-Llama-3-8B-Instruct",),
         "preload_from_hub": ("meta-llama/Meta-Llama-3-8B-Instruct "
                              "config.json,model-00001-of-00004.safetensors",)},
        [],
    ),
    "docker-api": (
        DOCKER_API,
        {"sdk": "docker", "app_port": 8080, "sdk_version": None, "full_width": True},
        [],
    ),
    "webgpu-static": (
        WEBGPU_STATIC,
        {"sdk": "static", "app_file": "index.html", "emoji": "🎙️",
         "thumbnail": "https://cdn-uploads.huggingface.co/production/uploads/whisper-webgpu.png",
         "custom_headers": {"cross-origin-embedder-policy": "require-corp",
                            "cross-origin-opener-policy": "same-origin",
                            "cross-origin-resource-policy": "cross-origin"}},
        [],
    ),
    "windows": (
        WINDOWS_EDITOR,
        {"title": "Résumé Parser: PDF to JSON", "sdk_version": "5.9.1", "app_file": "main.py"},
        [],
    ),
    "oauth": (
        OAUTH_APP,
        {"hf_oauth": True, "hf_oauth_scopes": ("read-repos", "write-repos"),
         "hf_oauth_expiration_minutes": 480, "hf_oauth_authorized_org": ("my-company",)},
        ["hf_oauth", "hf_oauth_scopes", "hf_oauth_expiration_minutes", "hf_oauth_authorized_org"],
    ),
    "mini-header": (
        MINI_HEADER_DASHBOARD,
        {"header": "mini", "base_path": "/dashboard", "disable_embedding": True,
         "full_width": False, "app_port": 7860, "suggested_storage": "small"},
        ["suggested_storage"],
    ),
    "spacehost-gpu": (
        SPACEHOST_GPU,
        {"python_version": "3.11", "hardware": "gpu-mem:24GB", "suggested_hardware": "a10g-small",
         "startup_duration_timeout_s": 2700.0},
        [],
    ),
    "model-card-fields": (
        MODEL_CARD_FIELDS,
        {"sdk_version": "3.0.5", "tags": ("sentiment",),
         "models": ("distilbert-base-uncased-finetuned-sst-2-english",)},
        ["language"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_real_world_front_matter(name: str) -> None:
    readme, expected, warnings = FIXTURES[name]
    m = parse_manifest(readme, default_title="fallback")
    got = {key: getattr(m, key) for key in expected}
    if "custom_headers" in got:
        got["custom_headers"] = dict(got["custom_headers"])
    assert got == expected
    assert [w.field for w in m.warnings] == warnings
    assert set(m.raw) == {line.split(":")[0] for line in _top_level_lines(readme)}


def _top_level_lines(readme: str) -> list[str]:
    block = readme.removeprefix("\ufeff").replace("\r\n", "\n").split("---\n")[1]
    return [line for line in block.splitlines() if line and not line[0].isspace() and ":" in line]


def test_spacehost_hardware_wins_over_the_hf_flavor() -> None:
    m = parse_manifest(SPACEHOST_GPU)
    assert gpu_request(m) == GpuRequest(1, min_memory_gb=24.0)


def test_zero_gpu_flavor_asks_for_a_shared_gpu() -> None:
    assert gpu_request(parse_manifest(ZERO_GPU_CHAT)) == GpuRequest(shared=True)


def test_streamlit_space_is_refused_with_a_way_forward() -> None:
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(STREAMLIT_LEGACY)
    assert info.value.message.startswith('README.md: sdk: "streamlit" is not a valid sdk')
    assert "use `sdk: docker`" in info.value.message


def test_every_mistake_of_a_hand_written_config_is_reported_at_once() -> None:
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(TYPO_RIDDLED)
    err = info.value
    assert [(p["field"], p["message"]) for p in err.details["problems"]] == [
        ("emoji", '"smile" is not an emoji; use a single emoji such as "🚀"'),
        (
            "colorFrom",
            '"orange" is not a valid color; allowed: red, yellow, green, blue, indigo, purple, '
            "pink, gray",
        ),
        ("pinned", 'must be true or false, got "yes" (a string)'),
        (
            "custom_headers.X-Frame-Options",
            'header "X-Frame-Options" is not allowed; allowed headers: '
            "cross-origin-embedder-policy, cross-origin-opener-policy, "
            "cross-origin-resource-policy",
        ),
    ]
    assert err.details["warnings"] == [
        {
            "file": "README.md",
            "field": "fullwidth",
            "message": "unknown field, ignored (kept in the raw front matter); "
            "did you mean `fullWidth`?",
        }
    ]
