"""docs/architecture.md draws the house: every lifecycle module and every package of the layers
contract is named there, so a new one cannot land without its place in the drawing."""

from __future__ import annotations

import tomllib
from pathlib import Path

import spacehost

PACKAGE = Path(spacehost.__file__).parent
ROOT = PACKAGE.parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text()


def test_every_lifecycle_module_is_in_the_drawing() -> None:
    modules = {p.name for p in (PACKAGE / "lifecycle").glob("*.py")} - {"__init__.py"}
    assert sorted(m for m in modules if m not in DOC) == []


def test_every_package_of_the_layers_contract_is_in_the_drawing() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    layers = next(c for c in contracts if c["type"] == "layers")["layers"]
    packages = {name.strip() for row in layers for name in row.split("|")}
    drawing = DOC.split("## Layers", 1)[1].split("```")[1]
    assert sorted(p for p in packages if p not in drawing) == []
