"""spacehost's in-container ``spaces`` package without a broker: the decorator's forms, the four
kinds of functions, signatures, durations, the CPU fallback; and its wheel."""

from __future__ import annotations

import asyncio
import inspect
import io
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from spacehost.builder.spaces_wheel import package_dir, spaces_wheel

PKG_ROOT = Path(__file__).resolve().parents[3] / "runtime_images" / "spaces_pkg"


def _forget_spaces() -> None:
    for name in [m for m in sys.modules if m == "spaces" or m.startswith("spaces.")]:
        del sys.modules[name]


@pytest.fixture()
def spaces(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The package as a container imports it (fresh, so Config reads the patched env)."""
    monkeypatch.syspath_prepend(str(PKG_ROOT))
    monkeypatch.delenv("SPACEHOST_GPU_MODE", raising=False)
    _forget_spaces()
    import spaces as module

    yield module
    _forget_spaces()


def test_forms_of_the_decorator(spaces: ModuleType) -> None:
    @spaces.GPU
    def a(x: int) -> int:
        return x + 1

    @spaces.GPU()
    def b(x: int) -> int:
        return x + 2

    @spaces.GPU(duration=120)
    def c(x: int) -> int:
        return x + 3

    def d(x: int) -> int:
        return x + 4

    assert (a(1), b(1), c(1), spaces.GPU(d, duration=5)(1)) == (2, 3, 4, 5)
    assert spaces.zero.GPU is spaces.GPU
    from spaces.zero.decorator import GPU

    assert GPU is spaces.GPU


def test_signature_docstring_and_kind_are_kept(spaces: ModuleType) -> None:
    def plain(prompt: str, steps: int = 20, *, seed: int | None = None) -> str:
        """Make an image."""
        return prompt

    def gen(prompt: str, n: int = 3) -> Iterator[str]:
        """Stream tokens."""
        yield prompt

    async def coro(prompt: str) -> str:
        """Answer later."""
        return prompt

    async def agen(prompt: str) -> Any:
        """Stream later."""
        yield prompt

    checks = [
        (plain, inspect.isfunction),
        (gen, inspect.isgeneratorfunction),
        (coro, inspect.iscoroutinefunction),
        (agen, inspect.isasyncgenfunction),
    ]
    for fn, kind in checks:
        wrapped = spaces.GPU(duration=10)(fn)
        assert kind(wrapped), fn.__name__
        assert inspect.signature(wrapped) == inspect.signature(fn)
        assert (wrapped.__name__, wrapped.__doc__) == (fn.__name__, fn.__doc__)
        assert wrapped.__wrapped__ is fn


def test_all_four_kinds_run_without_a_broker(spaces: ModuleType) -> None:
    @spaces.GPU
    def plain(x: int) -> int:
        return x * 2

    @spaces.GPU
    def gen(n: int) -> Iterator[int]:
        yield from range(n)
        return None

    @spaces.GPU
    async def coro(x: int) -> int:
        await asyncio.sleep(0)
        return x * 3

    @spaces.GPU
    async def agen(n: int) -> Any:
        for i in range(n):
            yield i

    async def collect() -> list[int]:
        return [i async for i in agen(3)]

    assert plain(2) == 4
    assert list(gen(3)) == [0, 1, 2]
    assert asyncio.run(coro(2)) == 6
    assert asyncio.run(collect()) == [0, 1, 2]


def test_cpu_mode_warns_once_per_function(
    spaces: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    spaces.config.Config.mode = "cpu"

    @spaces.GPU
    def infer(x: int) -> int:
        return x

    assert [infer(1), infer(2)] == [1, 2]
    err = capsys.readouterr().err
    assert err.count("no GPU on this host: @spaces.GPU function") == 1
    assert "infer runs on CPU" in err


def test_durations_numbers_timedeltas_and_functions_of_the_arguments(spaces: ModuleType) -> None:
    from spaces._gpu import _Spec

    def fn(prompt: str, steps: int = 10) -> None:
        return None

    assert _Spec(fn, None).duration_for(("x",), {}) == 0
    assert _Spec(fn, 120).duration_for(("x",), {}) == 120
    assert _Spec(fn, timedelta(minutes=2)).duration_for(("x",), {}) == 120
    by_steps = _Spec(fn, lambda prompt, steps=10: steps * 2)
    assert by_steps.duration_for(("x",), {"steps": 40}) == 80
    assert _Spec(fn, lambda *a, **k: timedelta(seconds=7)).duration_for((), {}) == 7


def test_not_a_function_is_refused(spaces: ModuleType) -> None:
    with pytest.raises(TypeError, match="decorates a function"):
        spaces.GPU(42)


def test_gradio_auto_wrap_is_off_unless_enabled(spaces: ModuleType) -> None:
    def fn() -> int:
        return 1

    assert spaces.gradio_auto_wrap(fn) is fn
    spaces.enable_gradio_auto_wrap()
    wrapped = spaces.gradio_auto_wrap(fn)
    assert wrapped is not fn and wrapped() == 1
    spaces.disable_gradio_auto_wrap()
    assert spaces.gradio_auto_wrap(fn) is fn


def test_the_package_uses_only_the_standard_library() -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(PKG_ROOT)!r}); import spaces; "
        "mods = [m.split('.')[0] for m in sys.modules]; "
        "print(','.join(sorted({m for m in mods if m in ('gradio', 'torch', 'httpx', "
        "'requests', 'pydantic')})))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


def test_wheel_is_reproducible_and_complete() -> None:
    first, second = spaces_wheel(), spaces_wheel()
    assert first.data == second.data
    assert first.filename == f"spaces-{first.version}-py3-none-any.whl"
    assert first.version.endswith("+spacehost")
    names = zipfile.ZipFile(io.BytesIO(first.data)).namelist()
    expected = {
        f"spaces/{p.relative_to(package_dir()).as_posix()}" for p in package_dir().rglob("*.py")
    }
    assert expected <= set(names)
    info = f"spaces-{first.version}.dist-info"
    assert {f"{info}/METADATA", f"{info}/WHEEL", f"{info}/RECORD"} <= set(names)


def test_wheel_installs_with_pip_and_imports(tmp_path: Path) -> None:
    wheel = spaces_wheel()
    path = tmp_path / wheel.filename
    path.write_bytes(wheel.data)
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "-q",
            "--target",
            str(target),
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    code = "import importlib.metadata as m, spaces; print(m.version('spaces'), spaces.__version__)"
    out = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {code}"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == [wheel.version, wheel.version]


# how a space image gets the package, and which runtime a GPU space builds on ------------------


def _source(requirements: str = "", hardware: str = "") -> Any:
    from spacehost.manifest import load_space

    files = {
        "README.md": f"---\ntitle: T\nsdk: gradio\n{hardware}---\n".encode(),
        "app.py": b"import spaces\n",
    }
    if requirements:
        files["requirements.txt"] = requirements.encode()
    return load_space(files)


def test_the_wheel_is_installed_after_the_requirements_and_gradio() -> None:
    from spacehost.builder.dockerfile import BuildPlan, render_dockerfile

    source = _source("spaces==0.30.2\ntorch\n")
    text = render_dockerfile(
        source,
        BuildPlan(
            from_image="base",
            gradio_pin="6.31.0",
            spaces_wheel="spaces-0.1.0+spacehost-py3-none-any.whl",
        ),
    )
    steps = [
        line.split()[0] + " " + line.split()[1]
        for line in text.splitlines()
        if line.startswith(("RUN", "COPY"))
    ]
    assert steps.index("RUN pip") < steps.index(
        "COPY spacehost/spaces-0.1.0+spacehost-py3-none-any.whl"
    )
    assert (
        "RUN pip install --no-cache-dir --no-deps --no-index --force-reinstall "
        "/tmp/spacehost/spaces-0.1.0+spacehost-py3-none-any.whl"
    ) in text
    gradio_at = text.index("gradio==6.31.0")
    assert gradio_at < text.index("COPY spacehost/") < text.index("COPY --chown=1000:1000 app/ ./")
    assert "spacehost/" not in render_dockerfile(source, BuildPlan(from_image="base"))


@pytest.mark.parametrize(
    ("requirements", "noted"),
    [
        ("spaces\n", True),
        ("spaces==0.30.2\n", True),
        ("Spaces>=0.28 ; python_version>'3'\n", True),
        ("spaces[extra]\n", True),
        ("gradio\nspacesx\n", False),
        ("huggingface-spaces\n", False),
        ("", False),
    ],
)
def test_a_note_when_requirements_list_hf_spaces(requirements: str, noted: bool) -> None:
    from spacehost.builder.spaces_wheel import spaces_note

    note = spaces_note(tuple(requirements.splitlines()))
    assert bool(note) is noted
    if noted:
        assert "replaces it" in note


def test_gpu_spaces_on_a_gpu_host_build_on_the_cuda_runtime() -> None:
    from spacehost.builder.cuda import (
        IMAGE_PYTHON,
        cuda_choice,
        cuda_gradio_tag,
        cuda_image_tag,
        wants_cuda,
    )
    from spacehost.builder.pythons import PythonChoice
    from spacehost.settings import Settings

    zero, gpu, cpu = (_source(hardware=f"hardware: {h}\n").manifest for h in ("zero", "gpu", "cpu"))
    flavor = _source(hardware="suggested_hardware: a10g-small\n").manifest
    assert [wants_cuda(m, True) for m in (zero, gpu, cpu, flavor)] == [True, True, False, True]
    assert not any(wants_cuda(m, False) for m in (zero, gpu, cpu, flavor))
    cpu_choice = PythonChoice("3.11", "debian:bookworm")
    assert cuda_choice(Settings(), cpu_choice) == cpu_choice
    operator = cuda_choice(Settings(gpu_base_image="spacehost/gpu-host:local"), cpu_choice)
    assert operator == PythonChoice(IMAGE_PYTHON, "spacehost/gpu-host:local")
    assert cuda_image_tag(cpu_choice) == "spacehost/cuda:py3.11-bookworm-hf1"
    assert cuda_image_tag(operator) == "spacehost/cuda:pyimage-gpu-host-local-hf1"
    assert cuda_gradio_tag("6.31.0", operator) == (
        "spacehost/gradio-cuda:6.31.0-pyimage-gpu-host-local-hf1"
    )


def test_the_cuda_layer_inherits_a_base_images_torch_or_installs_one() -> None:
    from spacehost.builder.runtime_images import runtime_images_dir

    text = (runtime_images_dir() / "cuda" / "Dockerfile").read_text()
    assert "ARG TORCH=torch" in text and 'pip install --no-cache-dir "$TORCH"' in text
    assert "spacehost-base-image.pth" in text and "import torch" in text


class _FakeImages:
    """Records the runtime images a build asks for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def ensure_python(self, choice: Any, pip_plan: Any, **kw: Any) -> str:
        self.calls.append(("python", choice.version, choice.base))
        return f"python-of-{choice.base}"

    def ensure_cuda(self, python_tag: str, choice: Any, gradio: str, torch: str, **kw: Any) -> str:
        self.calls.append(("cuda", python_tag, gradio, torch))
        return "spacehost/gradio-cuda:test"


@pytest.mark.parametrize(
    ("gpu_host", "hardware", "cuda"),
    [(True, "zero", True), (True, "gpu", True), (True, "cpu", False), (False, "zero", False)],
)
def test_the_builder_picks_the_cuda_runtime_for_gpu_spaces_on_a_gpu_host(
    tmp_path: Path, gpu_host: bool, hardware: str, cuda: bool
) -> None:
    from spacehost.builder import DockerBuilder
    from spacehost.builder.dockerfile import BuildPlan
    from spacehost.builder.pipconfig import PipPlan
    from spacehost.builder.pythons import PythonChoice
    from spacehost.settings import Settings

    settings = Settings(
        data_dir=tmp_path, gpu_base_image="spacehost/gpu-host:local", gpu_torch="torch==2.11.0"
    )
    builder = DockerBuilder(object(), settings, gpu_images=gpu_host)  # type: ignore[arg-type]
    images = _FakeImages()
    builder.runtime = images  # type: ignore[assignment]
    lines: list[str] = []
    plan = builder._spaces_and_cuda(
        _source("spaces\n", hardware=f"hardware: {hardware}\n"),
        BuildPlan(from_image="cpu"),
        PythonChoice("3.11", "debian:bookworm"),
        PipPlan(),
        lines.append,
        lines.append,
        1e18,
    )
    assert plan.spaces_wheel == spaces_wheel().filename
    assert any("lists `spaces`" in line for line in lines)
    if cuda:
        assert plan.from_image == "spacehost/gradio-cuda:test"
        assert images.calls == [
            ("python", "image", "spacehost/gpu-host:local"),
            (
                "cuda",
                "python-of-spacehost/gpu-host:local",
                settings.gradio_version,
                "torch==2.11.0",
            ),
        ]
    else:
        assert plan.from_image == "cpu" and images.calls == []
