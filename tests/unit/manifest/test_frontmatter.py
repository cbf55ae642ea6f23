"""Finding and loading README front matter: fences, BOM/CRLF, YAML errors, YAML 1.2 quirks."""

from __future__ import annotations

import json

import pytest

from spacehost.errors import ManifestInvalid
from spacehost.manifest import parse_manifest
from spacehost.manifest.frontmatter import find_front_matter, load_yaml, plain


def readme(*lines: str, body: str = "# My space\n") -> str:
    return "---\n" + "".join(f"{line}\n" for line in lines) + "---\n" + body


def test_minimal_front_matter() -> None:
    m = parse_manifest(readme("sdk: gradio"))
    assert m.sdk == "gradio"
    assert m.title == "Untitled"
    assert m.warnings == ()


def test_crlf_and_bom_are_tolerated() -> None:
    text = "\ufeff---\r\ntitle: Windows\r\nsdk: static\r\n---\r\nbody\r\n"
    m = parse_manifest(text)
    assert (m.title, m.sdk) == ("Windows", "static")


def test_lone_cr_line_ends_are_tolerated() -> None:
    m = parse_manifest("---\rtitle: Old Mac\rsdk: gradio\r---\r")
    assert m.title == "Old Mac"


def test_blank_lines_before_the_opening_fence_are_tolerated() -> None:
    m = parse_manifest("\n\n---\nsdk: gradio\n---\n")
    assert m.sdk == "gradio"


def test_fences_may_have_trailing_spaces() -> None:
    m = parse_manifest("---  \nsdk: docker\n---   \n")
    assert m.sdk == "docker"


def test_only_the_first_block_is_read() -> None:
    text = readme("sdk: gradio", "title: First", body="text\n---\ntitle: Second\n---\n")
    assert parse_manifest(text).title == "First"


def test_front_matter_with_empty_file_and_no_newline_after_closing_fence() -> None:
    assert parse_manifest("---\nsdk: gradio\n---").sdk == "gradio"


@pytest.mark.parametrize(
    "text",
    ["", "# Just a heading\n\nsdk: gradio\n", "title: x\nsdk: gradio\n---\n", "text\n---\nsdk: x"],
)
def test_missing_front_matter_says_what_to_add(text: str) -> None:
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(text)
    err = info.value
    assert "front matter" in err.message and "`sdk:`" in err.message
    assert err.message.startswith("README.md: ")
    assert "sdk: gradio" in err.hint and err.hint.count("---") == 2  # a minimal example
    assert err.details["problems"][0]["file"] == "README.md"
    assert err.details["stage"] == "CONFIG_ERROR"


def test_unclosed_front_matter_names_the_opening_line() -> None:
    with pytest.raises(ManifestInvalid, match="line 3 is never closed"):
        parse_manifest("\n\n---\nsdk: gradio\n")


def test_empty_front_matter_reports_missing_sdk() -> None:
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest("---\n---\n")
    assert info.value.details["problems"] == [
        {
            "file": "README.md",
            "field": "sdk",
            "message": "is missing; it is required, allowed: gradio, docker, static",
        }
    ]


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("---\ntitle: a: b\nsdk: gradio\n---\n", 2, "mapping values are not allowed"),
        ("---\nsdk: gradio\ntags: [a, b\ntitle: x\n---\n", 4, "flow sequence"),
        ("---\nsdk: gradio\n  title: x\n---\n", 3, "mapping values are not allowed"),
        ("\n---\nsdk: gradio\ntitle: 'open\n---\n", 4, "quoted scalar"),
        ("---\nsdk: gradio\n\ttitle: x\n---\n", 3, "YAML does not allow tabs"),
    ],
)
def test_malformed_yaml_names_the_readme_line(text: str, line: int, what: str) -> None:
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(text)
    err = info.value
    assert f"README.md: line {line}: " in err.message
    assert what in err.message
    assert "quote" in err.hint
    assert err.details["problems"][0]["message"].startswith(f"line {line}: ")


def test_malformed_yaml_uses_the_given_filename() -> None:
    with pytest.raises(ManifestInvalid, match=r"^spaces/x/README.md: line 2: "):
        parse_manifest("---\na: b: c\n---\n", filename="spaces/x/README.md")


def test_duplicate_keys_are_an_error_naming_the_second_line() -> None:
    with pytest.raises(ManifestInvalid, match=r"line 4: .*duplicate key 'sdk'"):
        parse_manifest(readme("sdk: gradio", "title: x", "sdk: docker"))


def test_aliases_are_refused() -> None:
    text = readme("sdk: gradio", "a: &big [1, 2]", "b: [*big, *big]")
    with pytest.raises(ManifestInvalid, match="aliases"):
        parse_manifest(text)


def test_a_list_instead_of_fields_is_refused() -> None:
    with pytest.raises(ManifestInvalid, match="must be `key: value` lines, not a list"):
        parse_manifest("---\n- sdk: gradio\n---\n")


def test_python_objects_cannot_be_constructed() -> None:
    text = readme("sdk: gradio", "x: !!python/object/apply:os.system ['true']")
    with pytest.raises(ManifestInvalid, match="line 3"):
        parse_manifest(text)


def test_find_front_matter_reports_the_first_yaml_line() -> None:
    block = find_front_matter("\n---\na: 1\n---\n")
    assert block.text == "a: 1"
    assert block.first_line == 3


class TestYaml12Scalars:
    """HF reads YAML 1.2: yes/no/on/off are strings, dates are strings, 3.10 is not 3.1."""

    @pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "NO", "y", "n"])
    def test_yaml11_booleans_stay_strings(self, word: str) -> None:
        m = parse_manifest(readme("sdk: gradio", f"title: {word}"))
        assert m.title == word

    @pytest.mark.parametrize(("word", "value"), [("true", True), ("False", False)])
    def test_true_and_false_are_booleans(self, word: str, value: bool) -> None:
        assert parse_manifest(readme("sdk: gradio", f"pinned: {word}")).pinned is value

    def test_dates_stay_strings_and_raw_is_json_ready(self) -> None:
        m = parse_manifest(readme("sdk: gradio", "title: 2024-05-01", "x: {when: 2024-05-01}"))
        assert m.title == "2024-05-01"
        assert json.loads(json.dumps(dict(m.raw))) == {
            "sdk": "gradio",
            "title": "2024-05-01",
            "x": {"when": "2024-05-01"},
        }

    def test_numbers_keep_their_source_text_for_string_fields(self) -> None:
        m = parse_manifest(readme("sdk: gradio", "title: 1984", "license: 2.0", "tags: [0x10, 1]"))
        assert (m.title, m.license, m.tags) == ("1984", "2.0", ("0x10", "1"))

    def test_raw_keeps_a_float_whose_text_the_number_would_lose(self) -> None:
        data = load_yaml(find_front_matter(readme("a: 3.10", "b: 3.5", "c: 7", "d: .inf")))
        assert plain(data) == {"a": "3.10", "b": 3.5, "c": 7, "d": ".inf"}
        assert type(plain(data)["c"]) is int
