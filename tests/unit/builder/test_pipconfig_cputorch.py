"""The CPU torch policy: which local wheel is found, when builds are pinned to it, and the
errors and hints when a space wants another torch."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacehost.builder.build_run import BuildLog, _step_failed
from spacehost.builder.cputorch import (
    CpuTorch,
    TorchPin,
    check_requirements,
    conflict_hint,
    decide,
    find_cpu_torch,
    torch_requirements,
    wheel_matches,
)
from spacehost.builder.pipconfig import LocalSource
from spacehost.errors import BuildFailed

CPU_WHEEL = "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL = CpuTorch("2.13.0+cpu", CPU_WHEEL, "/opt/wheels")


@pytest.mark.parametrize(
    ("name", "python", "machine", "expected"),
    [
        (CPU_WHEEL, "3.11", "x86_64", "2.13.0+cpu"),
        (CPU_WHEEL, "3.13", "x86_64", ""),  # another Python
        (CPU_WHEEL, "3.11", "aarch64", ""),  # another machine
        ("torch-2.14.1-cp311-cp311-manylinux_2_28_x86_64.whl", "3.11", "x86_64", ""),  # CUDA
        (
            "torch-2.5.1+cpu.cxx11.abi-cp311-cp311-linux_x86_64.whl",
            "3.11",
            "x86_64",
            "2.5.1+cpu.cxx11.abi",
        ),
        (
            "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_aarch64.whl",
            "3.11",
            "aarch64",
            "2.13.0+cpu",
        ),
        ("torchvision-0.28.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl", "3.11", "x86_64", ""),
        ("torch-2.13.0+cpu.tar.gz", "3.11", "x86_64", ""),
    ],
)
def test_wheel_matches(name: str, python: str, machine: str, expected: str) -> None:
    assert wheel_matches(name, python, machine) == expected


def sources(tmp_path: Path) -> list[LocalSource]:
    """A wheel folder and an index like this host's, on disk."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for name in (CPU_WHEEL, "torch-2.9.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl", "x.txt"):
        (wheels / name).write_bytes(b"")
    index = tmp_path / "pypi" / "simple"
    (index / "torch").mkdir(parents=True)
    (index / "torch" / "index.html").write_text(
        '<a href="../../files/torch-2.14.1-cp311-cp311-manylinux_2_28_x86_64.whl#sha256=ab">'
        "torch-2.14.1</a>\n"
        "<a href='../../files/torch-2.12.0+cpu-cp313-cp313-manylinux_2_28_x86_64.whl'>x</a>\n"
    )
    return [
        LocalSource("extra-index-url", f"file://{index}", str(index), str(index.parent), "simple/"),
        LocalSource("find-links", str(wheels), str(wheels), str(wheels), ""),
    ]


def test_find_cpu_torch_picks_the_highest_wheel_for_the_python(tmp_path: Path) -> None:
    found = sources(tmp_path)
    assert find_cpu_torch(found, "3.11", machine="x86_64") == CpuTorch(
        "2.13.0+cpu", CPU_WHEEL, str(tmp_path / "wheels")
    )
    # Index pages count too: the cp313 CPU wheel is linked from the torch page.
    assert find_cpu_torch(found, "3.13", machine="x86_64") == CpuTorch(
        "2.12.0+cpu",
        "torch-2.12.0+cpu-cp313-cp313-manylinux_2_28_x86_64.whl",
        f"file://{tmp_path / 'pypi' / 'simple'}",
    )
    assert find_cpu_torch(found, "3.12", machine="x86_64") is None
    assert find_cpu_torch([], "3.11") is None


def test_a_missing_folder_or_index_page_finds_nothing(tmp_path: Path) -> None:
    gone = [
        LocalSource("find-links", "/gone", str(tmp_path / "gone"), str(tmp_path / "gone"), ""),
        LocalSource("index-url", "/x/simple", str(tmp_path), str(tmp_path.parent), "simple/"),
    ]
    assert find_cpu_torch(gone, "3.11") is None


def test_cpu_builds_are_pinned_and_the_log_says_why() -> None:
    pin = decide("auto", wants_gpu=False, wheel=WHEEL, python_version="3.11", uses_torch=False)
    assert pin.constraint == "torch==2.13.0+cpu"
    assert pin.wheel == WHEEL
    assert CPU_WHEEL in pin.note
    assert "SPACEHOST_CPU_TORCH=off" in pin.note


@pytest.mark.parametrize(
    ("mode", "wants_gpu", "wheel", "uses_torch", "note"),
    [
        ("off", False, WHEEL, True, "SPACEHOST_CPU_TORCH=off"),
        ("off", False, WHEEL, False, ""),
        ("auto", True, WHEEL, True, "asks for a GPU"),
        ("auto", True, WHEEL, False, ""),
        ("auto", False, None, True, "no local CPU torch wheel for Python 3.11"),
        ("auto", False, None, False, ""),
    ],
)
def test_no_pin(
    mode: str, wants_gpu: bool, wheel: CpuTorch | None, uses_torch: bool, note: str
) -> None:
    pin = decide(
        mode, wants_gpu=wants_gpu, wheel=wheel, python_version="3.11", uses_torch=uses_torch
    )
    assert pin.constraint == ""
    assert (note in pin.note) if note else pin.note == ""


def test_torch_requirements() -> None:
    lines = (
        "numpy",
        "torch>=2.0  # comment",
        "Torch==2.14.1",
        "-f https://x",
        "torchvision",
        "torch @ https://example.org/torch.whl",
        "not a requirement !!",
    )
    assert [str(r) for r in torch_requirements(lines)] == [
        "torch>=2.0",
        "Torch==2.14.1",
        "torch @ https://example.org/torch.whl",
    ]


@pytest.mark.parametrize(
    "line", ["torch", "torch>=2.0", "torch==2.13.0", "torch~=2.13", "torch<3; python_version>'3'"]
)
def test_requirements_that_allow_the_pinned_torch_pass(line: str) -> None:
    pin = TorchPin("torch==2.13.0+cpu", WHEEL)
    check_requirements(pin, [("requirements.txt", ("transformers", line))])


@pytest.mark.parametrize(
    "line", ["torch==2.14.1", "torch>=2.14", "torch<2", "torch @ https://example.org/torch.whl"]
)
def test_a_space_that_pins_another_torch_gets_a_clear_error(line: str) -> None:
    pin = TorchPin("torch==2.13.0+cpu", WHEEL)
    with pytest.raises(BuildFailed) as info:
        check_requirements(pin, [("pre-requirements.txt", ()), ("requirements.txt", (line,))])
    assert info.value.message.startswith(f"requirements.txt asks for {line}")
    assert "torch==2.13.0+cpu" in info.value.message
    assert "SPACEHOST_CPU_TORCH=off" in info.value.hint


def test_without_a_pin_any_torch_passes() -> None:
    check_requirements(TorchPin(), [("requirements.txt", ("torch==2.14.1",))])


def test_a_pip_conflict_with_the_pin_gets_a_hint_naming_the_setting() -> None:
    log = BuildLog(on_log=lambda _line: None)
    log.feed("Step 7/12 : RUN pip install --no-cache-dir -r requirements.txt\n")
    log.feed(
        "ERROR: Cannot install torchvision==0.29.1 because these package versions have "
        "conflicting dependencies.\n"
        "The conflict is caused by:\n"
        "    torchvision 0.29.1 depends on torch==2.14.1\n"
        "    The user requested (constraint) torch<=2.14.1,==2.13.0+cpu\n"
    )
    error = _step_failed(log, "The command returned a non-zero code: 1")
    assert "SPACEHOST_CPU_TORCH=off" in error.hint
    assert conflict_hint(["The user requested (constraint) torch<=2.14.1"]) == ""
