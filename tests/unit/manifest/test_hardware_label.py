"""How a manifest asked for hardware, as error messages name it."""

from __future__ import annotations

from spacehost.manifest import hardware_label, load_space


def manifest(extra: str):  # type: ignore[no-untyped-def]
    readme = f"---\nsdk: gradio\n{extra}---\n".encode()
    return load_space({"README.md": readme, "app.py": b""}).manifest


def test_hardware_field_wins_over_the_hf_flavor() -> None:
    both = manifest("hardware: gpu:2\nsuggested_hardware: t4-small\n")
    assert hardware_label(both) == "hardware: gpu:2"


def test_hf_flavor_alone_and_nothing() -> None:
    assert (
        hardware_label(manifest("suggested_hardware: a10g-large\n"))
        == "suggested_hardware: a10g-large"
    )
    assert hardware_label(manifest("")) is None
