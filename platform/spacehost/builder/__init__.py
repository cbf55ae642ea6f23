"""spacehost.builder: space images from space files (layer 2).

Pure parts: :mod:`~spacehost.builder.dockerfile` (Dockerfile rendering),
:mod:`~spacehost.builder.pipconfig` (pip settings), :mod:`~spacehost.builder.pythons` (Python
choice), :mod:`~spacehost.builder.context` (build contexts). Engine parts:
:mod:`~spacehost.builder.build_run` (one streamed build), :mod:`~spacehost.builder.runtime_images`
(base/python/gradio images), :mod:`~spacehost.builder.docker_builder` (a space's build).
"""

from spacehost.builder.docker_builder import (
    BuildResult,
    DockerBuilder,
    prune_space_images,
    space_image_tag,
)
from spacehost.builder.dockerfile import BuildPlan, needs_image, plan_build, render_dockerfile
from spacehost.builder.pipconfig import (
    PipPlan,
    effective_pip_settings,
    host_pip_config,
    parse_pip_config_list,
    render_pip_conf,
)
from spacehost.builder.pythons import PythonChoice, choose_python, nearest_python
from spacehost.builder.runtime_images import RuntimeImages

__all__ = [
    "BuildPlan",
    "BuildResult",
    "DockerBuilder",
    "PipPlan",
    "PythonChoice",
    "RuntimeImages",
    "choose_python",
    "effective_pip_settings",
    "host_pip_config",
    "nearest_python",
    "needs_image",
    "parse_pip_config_list",
    "plan_build",
    "prune_space_images",
    "render_dockerfile",
    "render_pip_conf",
    "space_image_tag",
]
