"""Finding README.md's YAML front matter and loading it the way Hugging Face reads it.

Hugging Face parses the front matter with a YAML 1.2 parser; PyYAML speaks YAML 1.1. The loader
here closes the gaps that matter for real READMEs:

* ``yes``/``no``/``on``/``off`` stay strings (YAML 1.2); only ``true``/``false`` are booleans.
* Dates stay strings, so the raw front matter stays JSON-serialisable.
* Every number remembers the text it was written as, because ``python_version: 3.10`` is the
  float 3.1 to YAML but means Python 3.10 to the person who wrote it.
* A key written twice is an error (PyYAML would silently keep the last one).
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

from spacehost.errors import ManifestInvalid
from spacehost.manifest.problems import yaml_type

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"

MINIMAL_EXAMPLE = "---\ntitle: My demo\nsdk: gradio\n---"


class SourceInt(int):
    """An int that remembers the text it was written as (``0x1F``, ``1_000``)."""

    source: str

    def __new__(cls, value: int, source: str) -> SourceInt:
        obj = super().__new__(cls, value)
        obj.source = source
        return obj


class SourceFloat(float):
    """A float that remembers the text it was written as (``3.10``, not ``3.1``)."""

    source: str

    def __new__(cls, value: float, source: str) -> SourceFloat:
        obj = super().__new__(cls, value)
        obj.source = source
        return obj


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        # Aliases could make the plain copy of the front matter explode exponentially (the
        # "billion laughs" attack) and no real README uses them.
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in the front matter", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, ScalarNode):
                continue
            if key_node.value in seen:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key_node.value!r}",
                    key_node.start_mark,
                )
            seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def _construct_int(loader: yaml.SafeLoader, node: Node) -> SourceInt:
    assert isinstance(node, ScalarNode)
    return SourceInt(loader.construct_yaml_int(node), node.value)


def _construct_float(loader: yaml.SafeLoader, node: Node) -> SourceFloat:
    assert isinstance(node, ScalarNode)
    return SourceFloat(loader.construct_yaml_float(node), node.value)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)


@dataclass(frozen=True)
class FrontMatter:
    """The YAML block of a README: its text and the README line its first YAML line is on."""

    text: str
    first_line: int  # 1-based line number in the README of the block's first line


def find_front_matter(readme_text: str, *, filename: str = "README.md") -> FrontMatter:
    """Cut the YAML block out of a README: a first line ``---``, up to the next ``---`` line.

    A UTF-8 BOM, CRLF or CR line ends and blank lines before the opening ``---`` are tolerated,
    as on Hugging Face.

    Args:
        readme_text: the whole README.
        filename: how to name the file in messages.

    Returns:
        The block, without its fences.

    Raises:
        ManifestInvalid: when there is no block, or it is never closed.
    """
    lines = readme_text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    rows = lines.split("\n")
    start = 0
    while start < len(rows) and not rows[start].strip():
        start += 1
    if start == len(rows) or rows[start].rstrip() != "---":
        raise structural_error(
            filename,
            "there is no YAML front matter: the file must start with a block between `---` "
            "lines that sets at least `sdk:`",
            hint=f"put this at the very top of {filename}:\n{MINIMAL_EXAMPLE}",
        )
    for end in range(start + 1, len(rows)):
        if rows[end].rstrip() == "---":
            return FrontMatter("\n".join(rows[start + 1 : end]), first_line=start + 2)
    raise structural_error(
        filename,
        f"the front matter opened by `---` on line {start + 1} is never closed",
        hint="add a line with just `---` after the last YAML field",
    )


def load_yaml(block: FrontMatter, *, filename: str = "README.md") -> dict[str, Any]:
    """Load a front matter block into a mapping (numbers keep their source text).

    Args:
        block: from :func:`find_front_matter`.
        filename: how to name the file in messages.

    Returns:
        The mapping; ``{}`` for an empty block. Keys are strings.

    Raises:
        ManifestInvalid: for malformed YAML (naming the README line) or a block that is not
            a mapping of fields.
    """
    try:
        data = yaml.load(block.text, Loader=_Loader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, block, filename) from exc
    except yaml.YAMLError as exc:
        raise structural_error(
            filename, f"the YAML front matter could not be parsed: {exc}", hint=_YAML_HINT
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise structural_error(
            filename,
            f"the front matter must be `key: value` lines, not a {yaml_type(data)}",
            hint=f"for example:\n{MINIMAL_EXAMPLE}",
        )
    return {str(key): value for key, value in data.items()}


def _yaml_error(exc: yaml.MarkedYAMLError, block: FrontMatter, filename: str) -> ManifestInvalid:
    mark = exc.problem_mark or exc.context_mark
    line = block.first_line + mark.line if mark is not None else block.first_line
    what = ": ".join(filter(None, (exc.context, exc.problem))) or "invalid YAML"
    if "'\\t'" in what:
        what += " (indent with spaces: YAML does not allow tabs)"
    return structural_error(
        filename, f"line {line}: the YAML front matter is malformed: {what}", hint=_YAML_HINT
    )


_YAML_HINT = "check the indentation, and quote values that contain ':' or '#'"


def structural_error(filename: str, message: str, *, hint: str) -> ManifestInvalid:
    """A :class:`ManifestInvalid` for a README that has no usable front matter at all."""
    problem = {"file": filename, "field": "", "message": message}
    return ManifestInvalid(
        f"{filename}: {message}",
        hint=hint,
        details={"problems": [problem], "warnings": [], "stage": "CONFIG_ERROR"},
    )


def plain(value: Any) -> Any:
    """A loaded YAML value as plain JSON-ready data: keys as strings, numbers as numbers except
    a float whose text the number would lose (``3.10``, ``1e3``, ``.inf``), kept as its text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, SourceFloat):
        # 3.10 is the float 3.1: keep the text whenever the number would not give it back.
        exact = math.isfinite(value) and repr(float(value)) == value.source
        return float(value) if exact else value.source
    if isinstance(value, int | float):
        return int(value) if isinstance(value, int) else float(value)
    return str(value)


def scalar_text(value: Any) -> str | None:
    """A scalar's text as written (``3.10`` stays ``"3.10"``); None for booleans and non-scalars."""
    if isinstance(value, str):
        return value
    if isinstance(value, SourceInt | SourceFloat):
        return value.source
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
