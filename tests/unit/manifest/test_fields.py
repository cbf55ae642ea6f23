"""Every front matter field: valid values, defaults, invalid values and their messages."""

from __future__ import annotations

from typing import Any

import pytest

from spacehost.domain import HF_FLAVORS, Sdk
from spacehost.errors import ManifestInvalid
from spacehost.manifest import Manifest, Problem, parse_manifest


def parse(*lines: str, sdk: str = "gradio", **kw: Any) -> Manifest:
    return parse_manifest(
        "---\n" + f"sdk: {sdk}\n" + "".join(f"{x}\n" for x in lines) + "---\n", **kw
    )


def problems(*lines: str, sdk: str = "gradio") -> list[dict[str, str]]:
    with pytest.raises(ManifestInvalid) as info:
        parse(*lines, sdk=sdk)
    result: list[dict[str, str]] = info.value.details["problems"]
    return result


def only_problem(*lines: str, sdk: str = "gradio") -> dict[str, str]:
    (problem,) = problems(*lines, sdk=sdk)
    return problem


def warning_fields(m: Manifest) -> list[str]:
    return [w.field for w in m.warnings]


def test_defaults_for_a_gradio_space() -> None:
    m = parse()
    assert m == Manifest(title="Untitled", sdk=Sdk.GRADIO, raw=m.raw)
    assert (m.app_file, m.app_port, m.base_path, m.full_width, m.header) == (
        "app.py",
        7860,
        "/",
        False,
        "default",
    )


# -- title, emoji, colors ------------------------------------------------------------------


def test_title_defaults_to_the_given_space_name() -> None:
    assert parse(default_title="my-demo").title == "my-demo"
    assert parse("title: Shown", default_title="my-demo").title == "Shown"
    assert parse("title: ''", default_title="my-demo").title == "my-demo"


def test_title_must_be_a_string() -> None:
    p = only_problem("title: [a, b]")
    assert p == {
        "file": "README.md",
        "field": "title",
        "message": 'must be a string, got ["a", "b"] (a list)',
    }


@pytest.mark.parametrize("emoji", ["🚀", "🦙", "👨‍👩‍👧‍👦", "🇫🇷", "1️⃣", "❤️", "🏃🏽‍♀️"])
def test_emoji_accepts_single_emoji(emoji: str) -> None:
    assert parse(f"emoji: {emoji}").emoji == emoji


@pytest.mark.parametrize("emoji", ["rocket", "🚀 rocket", "ab🚀", "12", "é", "🚀" * 17])
def test_emoji_refuses_text(emoji: str) -> None:
    p = only_problem(f"emoji: '{emoji}'")
    assert p["field"] == "emoji"
    assert "is not an emoji" in p["message"] and emoji in p["message"]


def test_emoji_defaults_to_a_rocket() -> None:
    assert parse().emoji == "🚀"


@pytest.mark.parametrize(
    "color", ["red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"]
)
def test_every_hf_color_is_accepted(color: str) -> None:
    m = parse(f"colorFrom: {color}", f"colorTo: {color}")
    assert (m.color_from, m.color_to) == (color, color)


@pytest.mark.parametrize(("field", "value"), [("colorFrom", "grey"), ("colorTo", "Blue")])
def test_unknown_colors_are_errors_listing_the_allowed_ones(field: str, value: str) -> None:
    p = only_problem(f"{field}: {value}")
    assert p["field"] == field
    assert p["message"] == (
        f'"{value}" is not a valid color; allowed: red, yellow, green, blue, indigo, purple, '
        "pink, gray"
    )


# -- sdk, versions ---------------------------------------------------------------------------


@pytest.mark.parametrize("sdk", ["gradio", "docker", "static"])
def test_sdks(sdk: str) -> None:
    assert parse(sdk=sdk).sdk == Sdk(sdk)


def test_missing_sdk_is_an_error_listing_the_allowed_ones() -> None:
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest("---\ntitle: x\n---\n")
    assert info.value.message == (
        "README.md: sdk: is missing; it is required, allowed: gradio, docker, static"
    )
    assert "docs/manifest.md" in info.value.hint


@pytest.mark.parametrize("sdk", ["Gradio", "python", "'3'", "[gradio]"])
def test_unknown_sdk_is_an_error(sdk: str) -> None:
    p = only_problem(sdk=sdk)
    assert p["field"] == "sdk"
    assert "gradio, docker, static" in p["message"] or "must be a string" in p["message"]


def test_streamlit_gets_a_way_forward() -> None:
    p = only_problem(sdk="streamlit")
    assert "sdk: docker" in p["message"] and "streamlit" in p["message"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("4.44.1", "4.44.1"),
        ("'5.0.0'", "5.0.0"),
        ("3.50", "3.50"),  # unquoted: YAML's float 3.5
        ("4.0", "4.0"),
        ("4", "4"),
        ("5.0.0b3", "5.0.0b3"),
        ("4.0.0rc1", "4.0.0rc1"),
        ("3.1.4.post1", "3.1.4.post1"),
    ],
)
def test_sdk_version(written: str, expected: str) -> None:
    assert parse(f"sdk_version: {written}").sdk_version == expected


@pytest.mark.parametrize("bad", ["latest", "'4.0; rm -rf /'", "'>=4'", "'4.0 4.1'", "true"])
def test_sdk_version_refuses_anything_but_a_release(bad: str) -> None:
    p = only_problem(f"sdk_version: {bad}")
    assert p["field"] == "sdk_version"


@pytest.mark.parametrize("sdk", ["docker", "static"])
def test_sdk_version_is_ignored_with_a_warning_for_other_sdks(sdk: str) -> None:
    m = parse("sdk_version: latest", sdk=sdk)
    assert m.sdk_version is None
    assert m.warnings == (
        Problem("README.md", "sdk_version", f"ignored with sdk: {sdk}; it names a gradio version"),
    )


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("3.8", "3.8"),
        ("3.9", "3.9"),
        ("3.10", "3.10"),  # YAML float 3.1: the quirk
        ("3.11", "3.11"),
        ("3.12", "3.12"),
        ("3.13", "3.13"),
        ("'3.10'", "3.10"),
        ('"3.10.4"', "3.10"),
        ("3.10.4", "3.10"),
        ("3.12.12", "3.12"),
        ("3.1", "3.1"),
    ],
)
def test_python_version_normalised_to_major_minor(written: str, expected: str) -> None:
    assert parse(f"python_version: {written}").python_version == expected


@pytest.mark.parametrize("bad", ["2.7", "3", "'3.x'", "python3.10", "3.100", "'3.10-slim'"])
def test_python_version_refuses_non_versions(bad: str) -> None:
    p = only_problem(f"python_version: {bad}")
    assert p["field"] == "python_version"
    assert "3.x or 3.x.y" in p["message"]


def test_python_version_is_ignored_for_docker() -> None:
    m = parse("python_version: 3.10", sdk="docker")
    assert m.python_version is None
    assert warning_fields(m) == ["python_version"]


def test_python_version_absent_is_none() -> None:
    assert parse().python_version is None


# -- app file, port, base path ------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [("main.py", "main.py"), ("src/app.py", "src/app.py"), ("./app.py", "app.py")],
)
def test_app_file(written: str, expected: str) -> None:
    assert parse(f"app_file: {written}").app_file == expected


@pytest.mark.parametrize("bad", ["/etc/passwd", "../app.py", "a/../../b.py", "'.'", "'a\\b.py'"])
def test_app_file_must_stay_inside_the_space(bad: str) -> None:
    assert only_problem(f"app_file: {bad}")["field"] == "app_file"


def test_static_app_file_defaults_to_index_html() -> None:
    assert parse(sdk="static").app_file == "index.html"
    assert parse("app_file: dist/index.html", sdk="static").app_file == "dist/index.html"


@pytest.mark.parametrize("port", [1, 80, 8080, 65535])
def test_app_port_for_docker(port: int) -> None:
    assert parse(f"app_port: {port}", sdk="docker").app_port == port


def test_app_port_defaults_to_7860() -> None:
    assert parse(sdk="docker").app_port == 7860


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("0", "0 is out of range; use 1 to 65535"),
        ("65536", "65536 is out of range; use 1 to 65535"),
        ("'8080'", 'must be a whole number from 1 to 65535, got "8080" (a string)'),
        ("8080.0", "must be a whole number from 1 to 65535, got 8080.0 (a number)"),
        ("true", "must be a whole number from 1 to 65535, got true (a boolean)"),
    ],
)
def test_app_port_invalid(bad: str, message: str) -> None:
    p = only_problem(f"app_port: {bad}", sdk="docker")
    assert p == {"file": "README.md", "field": "app_port", "message": message}


def test_app_port_is_ignored_with_a_warning_for_gradio() -> None:
    m = parse("app_port: 8080")
    assert m.app_port == 7860
    assert warning_fields(m) == ["app_port"]


def test_base_path() -> None:
    assert parse("base_path: /docs").base_path == "/docs"
    assert parse("base_path: /?view=1").base_path == "/?view=1"
    assert only_problem("base_path: docs")["message"].endswith(
        "must start with '/', e.g. \"/docs\""
    )


def test_base_path_is_ignored_for_static() -> None:
    m = parse("base_path: /x", sdk="static")
    assert m.base_path == "/"
    assert warning_fields(m) == ["base_path"]


# -- display ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sdk", "default"), [("gradio", False), ("docker", True), ("static", True)]
)
def test_full_width_default_depends_on_sdk(sdk: str, default: bool) -> None:
    assert parse(sdk=sdk).full_width is default
    assert parse(f"fullWidth: {str(not default).lower()}", sdk=sdk).full_width is (not default)


@pytest.mark.parametrize("field", ["fullWidth", "pinned", "disable_embedding", "hf_oauth"])
@pytest.mark.parametrize("bad", ["yes", "1", "'true'", "[true]"])
def test_booleans_must_be_booleans(field: str, bad: str) -> None:
    p = only_problem(f"{field}: {bad}")
    assert p["field"] == field
    assert p["message"].startswith("must be true or false, got ")


def test_booleans_set() -> None:
    m = parse("pinned: true", "disable_embedding: true", "fullWidth: true")
    assert (m.pinned, m.disable_embedding, m.full_width) == (True, True, True)


@pytest.mark.parametrize("header", ["default", "mini"])
def test_header(header: str) -> None:
    assert parse(f"header: {header}").header == header


def test_header_invalid() -> None:
    assert only_problem("header: big")["message"] == (
        '"big" is not a valid header style; allowed: default, mini'
    )


def test_short_description_limit_is_60_characters() -> None:
    ok = "x" * 60
    assert parse(f"short_description: {ok}").short_description == ok
    p = only_problem(f"short_description: {ok}y")
    assert p["field"] == "short_description"
    assert "is 61 characters; at most 60 allowed" in p["message"]


def test_custom_headers_allowlist() -> None:
    m = parse(
        "custom_headers:",
        "  cross-origin-embedder-policy: require-corp",
        "  cross-origin-opener-policy: same-origin",
        "  cross-origin-resource-policy: cross-origin",
    )
    assert dict(m.custom_headers) == {
        "cross-origin-embedder-policy": "require-corp",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "cross-origin",
    }


@pytest.mark.parametrize(
    ("header", "values"),
    [
        ("cross-origin-embedder-policy", ["unsafe-none", "require-corp", "credentialless"]),
        ("cross-origin-opener-policy", ["unsafe-none", "same-origin-allow-popups", "same-origin"]),
        ("cross-origin-resource-policy", ["same-site", "same-origin", "cross-origin"]),
    ],
)
def test_custom_header_values(header: str, values: list[str]) -> None:
    for value in values:
        assert parse("custom_headers:", f"  {header}: {value}").custom_headers[header] == value
    p = only_problem("custom_headers:", f"  {header}: Same-Origin")
    assert p == {
        "file": "README.md",
        "field": f"custom_headers.{header}",
        "message": f'"Same-Origin" is not a valid value; allowed: {", ".join(values)}',
    }


def test_custom_headers_outside_the_allowlist_are_errors_naming_them() -> None:
    got = problems(
        "custom_headers:",
        "  x-frame-options: deny",
        "  Cross-Origin-Opener-Policy: same-origin",
    )
    assert [p["field"] for p in got] == [
        "custom_headers.x-frame-options",
        "custom_headers.Cross-Origin-Opener-Policy",
    ]
    assert got[0]["message"].startswith('header "x-frame-options" is not allowed; allowed headers:')
    assert "cross-origin-resource-policy" in got[0]["message"]
    assert "must be lower case" in got[1]["message"]


def test_custom_headers_must_be_a_mapping() -> None:
    assert only_problem("custom_headers: [a]")["message"].startswith("must be a mapping")


# -- lists ----------------------------------------------------------------------------------


def test_tags_list_or_single_string() -> None:
    assert parse("tags: [chat, llm]").tags == ("chat", "llm")
    assert parse("tags: chat").tags == ("chat",)
    assert parse("tags:", "  - a", "  - 2024").tags == ("a", "2024")


def test_list_items_must_be_strings_naming_the_index() -> None:
    p = only_problem("tags: [ok, {a: b}]")
    assert p == {
        "file": "README.md",
        "field": "tags[1]",
        "message": 'must be a string, got {"a": "b"} (a mapping)',
    }


def test_list_field_given_a_mapping() -> None:
    assert only_problem("tags: {a: b}")["message"].startswith("must be a list of strings")


@pytest.mark.parametrize("field", ["models", "datasets"])
def test_models_and_datasets_are_stored_without_a_warning(field: str) -> None:
    m = parse(f"{field}: [gpt2, deepset/roberta-base-squad2]")
    assert getattr(m, field) == ("gpt2", "deepset/roberta-base-squad2")
    assert warning_fields(m) == []  # acted on: mounted from the hub (lifecycle/hubmounts.py)


@pytest.mark.parametrize("field", ["models", "datasets"])
def test_models_and_datasets_must_be_repo_ids(field: str) -> None:
    p = only_problem(f"{field}: ['a/b/c']")
    assert p["field"] == f"{field}[0]"
    assert "is not a repo id" in p["message"]


def test_empty_lists_do_not_warn() -> None:
    assert parse("models: []", "datasets: []", "preload_from_hub: []").warnings == ()


# -- hardware --------------------------------------------------------------------------------


@pytest.mark.parametrize("flavor", sorted(HF_FLAVORS))
def test_every_hf_flavor_is_accepted(flavor: str) -> None:
    assert parse(f"suggested_hardware: {flavor}").suggested_hardware == flavor


def test_unknown_flavor_lists_the_allowed_ones() -> None:
    p = only_problem("suggested_hardware: a100-huge")
    assert p["field"] == "suggested_hardware"
    assert p["message"].startswith('"a100-huge" is not a valid hardware flavor; allowed: ')
    assert all(flavor in p["message"] for flavor in HF_FLAVORS)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("cpu", "cpu"),
        ("gpu", "gpu"),
        ("gpu:2", "gpu:2"),
        ("zero", "zero"),
        ("gpu-mem:24GB", "gpu-mem:24GB"),
        ("gpu-mem:16gb", "gpu-mem:16GB"),
    ],
)
def test_spacehost_hardware(written: str, expected: str) -> None:
    assert parse(f"hardware: {written}").hardware == expected


@pytest.mark.parametrize("bad", ["tpu", "gpu:0", "gpu:x", "gpu-mem:24", "gpu-mem:GB", "GPU", "2"])
def test_spacehost_hardware_shape(bad: str) -> None:
    p = only_problem(f"hardware: {bad}")
    assert p["field"] == "hardware"
    assert "cpu, gpu, gpu:N, gpu-mem:NNGB, zero" in p["message"]


def test_suggested_storage() -> None:
    m = parse("suggested_storage: small")
    assert m.suggested_storage == "small"
    assert warning_fields(m) == ["suggested_storage"]
    assert only_problem("suggested_storage: huge")["message"] == (
        '"huge" is not a valid storage tier; allowed: small, medium, large'
    )


# -- startup timeout -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("30m", 1800), ("1h", 3600), ("90s", 90), ("1h30m", 5400), ("1.5h", 5400), ("2d", 172800),
     ("1h 30m", 5400), ("12H", 43200)],
)  # fmt: skip
def test_startup_duration_timeout(written: str, seconds: float) -> None:
    assert parse(f"startup_duration_timeout: {written}").startup_duration_timeout_s == seconds


@pytest.mark.parametrize("bad", ["30", "1x", "h", "0m", "'-5m'", "1h30", "soon"])
def test_startup_duration_timeout_invalid(bad: str) -> None:
    p = only_problem(f"startup_duration_timeout: {bad}")
    assert p["field"] == "startup_duration_timeout"
    assert "duration" in p["message"]


def test_empty_value_means_absent() -> None:
    m = parse("startup_duration_timeout:", "title:", "pinned:")
    assert (m.startup_duration_timeout_s, m.title, m.pinned) == (None, "Untitled", False)


# -- hub features -------------------------------------------------------------------------


def test_preload_from_hub_forms() -> None:
    m = parse(
        "preload_from_hub:",
        "  - coqui/XTTS-v1",
        "  - warp-ai/wuerstchen text_encoder/model.safetensors,prior/config.json",
        "  - openai-community/gpt2   config.json   11c5a3d5811f50298f278a704980280950aedb10",
    )
    assert m.preload_from_hub == (
        "coqui/XTTS-v1",
        "warp-ai/wuerstchen text_encoder/model.safetensors,prior/config.json",
        "openai-community/gpt2 config.json 11c5a3d5811f50298f278a704980280950aedb10",
    )
    assert warning_fields(m) == []


@pytest.mark.parametrize("bad", ["'a/b c d e'", "'a/b/c'", "'a/b x,,y'", "'a/b x $(id)'", "''"])
def test_preload_from_hub_invalid(bad: str) -> None:
    assert only_problem(f"preload_from_hub: [{bad}]")["field"] == "preload_from_hub[0]"


def test_oauth_fields_are_stored_with_warnings() -> None:
    m = parse(
        "hf_oauth: true",
        "hf_oauth_scopes: [email, read-repos]",
        "hf_oauth_expiration_minutes: 480",
        "hf_oauth_authorized_org: ACME",
        "hf_oauth_redirect_path: /auth/done",
    )
    assert m.hf_oauth is True
    assert m.hf_oauth_scopes == ("email", "read-repos")
    assert m.hf_oauth_expiration_minutes == 480
    assert m.hf_oauth_authorized_org == ("ACME",)
    assert m.raw["hf_oauth_redirect_path"] == "/auth/done"
    assert warning_fields(m) == [
        "hf_oauth",
        "hf_oauth_scopes",
        "hf_oauth_expiration_minutes",
        "hf_oauth_authorized_org",
        "hf_oauth_redirect_path",
    ]
    assert all("accepted but not acted on yet" in w.message for w in m.warnings)


def test_oauth_org_list_and_false_oauth_is_quiet() -> None:
    m = parse("hf_oauth: false", "hf_oauth_authorized_org: [a, b]")
    assert m.hf_oauth_authorized_org == ("a", "b")
    assert warning_fields(m) == ["hf_oauth_authorized_org"]


def test_oauth_expiration_range() -> None:
    assert parse("hf_oauth_expiration_minutes: 43200").hf_oauth_expiration_minutes == 43200
    assert only_problem("hf_oauth_expiration_minutes: 43201")["message"] == (
        "43201 is out of range; use 1 to 43200"
    )


# -- metadata, unknown fields, raw ---------------------------------------------------------


def test_license_thumbnail_and_duplicated_from_are_quiet() -> None:
    m = parse(
        "license: apache-2.0",
        "thumbnail: https://example.org/t.png",
        "duplicated_from: someone/space",
    )
    assert (m.license, m.thumbnail) == ("apache-2.0", "https://example.org/t.png")
    assert m.warnings == ()


def test_unknown_fields_warn_and_are_kept_in_raw() -> None:
    m = parse("full_width: true", "author: me", "nested: {a: [1, 2]}")
    assert m.full_width is False
    assert [str(w) for w in m.warnings] == [
        "README.md: full_width: unknown field, ignored (kept in the raw front matter); "
        "did you mean `fullWidth`?",
        "README.md: author: unknown field, ignored (kept in the raw front matter)",
        "README.md: nested: unknown field, ignored (kept in the raw front matter)",
    ]
    assert m.raw["nested"] == {"a": [1, 2]}
    assert m.raw["full_width"] is True


def test_non_string_keys_are_unknown_fields() -> None:
    m = parse("1: one")
    assert m.raw["1"] == "one"
    assert warning_fields(m) == ["1"]


def test_raw_is_read_only() -> None:
    m = parse("title: x")
    with pytest.raises(TypeError):
        m.raw["title"] = "y"  # type: ignore[index]


# -- collecting every problem --------------------------------------------------------------


def test_all_problems_are_collected_in_one_error() -> None:
    with pytest.raises(ManifestInvalid) as info:
        parse_manifest(
            "---\nsdk: gradio\ncolorFrom: teal\npinned: yes\napp_port: 99999\n"
            "python_version: '2.7'\nheader: huge\ncustom_headers: {x-a: b}\n---\n"
        )
    err = info.value
    fields = [p["field"] for p in err.details["problems"]]
    assert fields == [
        "colorFrom",
        "pinned",
        "python_version",
        "app_port",
        "header",
        "custom_headers.x-a",
    ]
    assert err.message.startswith("6 problems in the space's files:\n  - README.md: colorFrom: ")
    for problem in err.details["problems"]:
        assert f"README.md: {problem['field']}: {problem['message']}" in err.message
    assert err.details["stage"] == "CONFIG_ERROR"
    assert err.code == "manifest_invalid"


def test_a_single_problem_is_the_whole_message() -> None:
    with pytest.raises(ManifestInvalid) as info:
        parse("header: huge")
    assert info.value.message == (
        'README.md: header: "huge" is not a valid header style; allowed: default, mini'
    )


def test_warnings_travel_with_errors() -> None:
    with pytest.raises(ManifestInvalid) as info:
        parse("header: huge", "colour: red")
    assert info.value.details["warnings"] == [
        {
            "file": "README.md",
            "field": "colour",
            "message": "unknown field, ignored (kept in the raw front matter); "
            "did you mean `colorTo`?",
        }
    ]


def test_manifest_is_frozen() -> None:
    m = parse()
    with pytest.raises(AttributeError):
        m.title = "x"  # type: ignore[misc]
