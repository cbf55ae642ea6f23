"""``.dockerignore`` semantics of IgnoreRules, table-driven, plus properties."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from spacehost.errors import ManifestInvalid
from spacehost.manifest import IgnoreRules

# (ignore file text, path, excluded?)
CASES: list[tuple[str, str, bool]] = [
    # '*' stays within one path segment; patterns are anchored at the root
    ("*.pyc", "a.pyc", True),
    ("*.pyc", "sub/a.pyc", False),
    ("*", "anything", True),
    ("*", "dir/file", True),
    ("*/temp*", "somedir/temporary.txt", True),
    ("*/temp*", "somedir/sub/temp.txt", False),
    ("*/*/temp*", "somedir/subdir/temporary.txt", True),
    ("data/*.csv", "data/a.csv", True),
    ("data/*.csv", "data/sub/a.csv", False),
    # '**' crosses directories, including none
    ("**/*.pyc", "a.pyc", True),
    ("**/*.pyc", "sub/deep/a.pyc", True),
    ("**/*.pyc", "sub/a.pyx", False),
    ("**", "a/b/c", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "a/xb", False),
    ("data/**", "data/sub/a.csv", True),
    ("data/**", "database.db", False),
    ("**/__pycache__", "pkg/__pycache__/m.cpython-311.pyc", True),
    # '?' is one character, never '/'
    ("temp?", "tempa", True),
    ("temp?", "tempab", False),
    ("a?b", "a/b", False),
    # a matched directory excludes everything below it
    ("node_modules", "node_modules/x/y.js", True),
    ("node_modules/", "node_modules/x.js", True),
    ("node_modules", "src/node_modules/x.js", False),
    ("/build", "build/out.bin", True),
    ("/build", "src/build/out.bin", False),
    ("build", "builder.py", False),
    # character classes and escapes
    ("[ab].txt", "a.txt", True),
    ("[ab].txt", "c.txt", False),
    ("[a-c]*.log", "b1.log", True),
    ("[^a].txt", "b.txt", True),
    ("[^a].txt", "a.txt", False),
    ("x[/]y", "x/y", False),
    ("\\*.txt", "*.txt", True),
    ("\\*.txt", "a.txt", False),
    # everything else is literal
    ("a.txt", "aXtxt", False),
    ("a.txt", "a.txtx", False),
    ("foo+bar(1){2}$.txt", "foo+bar(1){2}$.txt", True),
    ("^start", "^start", True),
    # cleaning like Go's filepath.Clean; surrounding spaces trimmed
    ("./docs/../tmp", "tmp/x", True),
    ("a//b/", "a/b/c", True),
    ("  spaced.txt  ", "spaced.txt", True),
    ("//abs", "abs", True),
    # comments: only a '#' in the first column
    ("# secret.txt", "secret.txt", False),
    (" # odd", "# odd", True),
    # '!' re-includes; the last matching line wins
    ("*.md\n!README.md", "README.md", False),
    ("*.md\n!README.md", "CHANGES.md", True),
    ("!a.txt\na.txt", "a.txt", True),
    ("a.txt\n!a.txt", "a.txt", False),
    ("data\n!data/keep.txt", "data/keep.txt", False),
    ("data\n!data/keep.txt", "data/drop.txt", True),
    ("data\n!data/keep*\ndata/keep-not.txt", "data/keep-not.txt", True),
    ("data\n!data/keep*\ndata/keep-not.txt", "data/keep.txt", False),
    ("!  spaced", "spaced", False),
    # CRLF and BOM in the ignore file itself
    ("\ufeff*.log\r\n!keep.log\r\n", "keep.log", False),
    ("\ufeff*.log\r\n!keep.log\r\n", "drop.log", True),
    ("", "anything", False),
]


@pytest.mark.parametrize(("text", "path", "excluded"), CASES)
def test_docker_semantics(text: str, path: str, excluded: bool) -> None:
    assert IgnoreRules.parse(text).excludes(path) is excluded


@pytest.mark.parametrize(
    ("text", "line", "why"),
    [
        ("ok\n!\n", 2, "a lone '!'"),
        ("# c\n\n[abc\n", 3, "unclosed '['"),
    ],
)
def test_invalid_patterns_name_the_line(text: str, line: int, why: str) -> None:
    with pytest.raises(ManifestInvalid) as info:
        IgnoreRules.parse(text, filename=".spacehostignore")
    err = info.value
    assert err.message.startswith(f".spacehostignore: line {line}: invalid pattern ")
    assert why in err.message
    assert err.details["problems"][0]["field"] == f"line {line}"


def test_patterns_keep_their_line_numbers() -> None:
    rules = IgnoreRules.parse("# c\n\n*.log\n!keep.log\n")
    assert [(p.line, p.text, p.negated) for p in rules.patterns] == [
        (3, "*.log", False),
        (4, "keep.log", True),
    ]


def test_empty_rules_are_falsy() -> None:
    assert not IgnoreRules.parse("# only a comment\n\n")
    assert IgnoreRules.parse("x")


def test_prunes_only_without_negations() -> None:
    assert IgnoreRules.parse("node_modules").prunes("node_modules")
    assert not IgnoreRules.parse("node_modules").prunes("src")
    assert not IgnoreRules.parse("data\n!data/keep.txt").prunes("data")


_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=8)
_path = st.lists(_name, min_size=1, max_size=5).map("/".join)


@given(_path, st.integers(min_value=1, max_value=5))
def test_a_literal_directory_excludes_everything_below_it(path: str, depth: int) -> None:
    parts = path.split("/")
    prefix = "/".join(parts[:depth])
    assert IgnoreRules.parse(prefix).excludes(path)
    assert IgnoreRules.parse(f"/{prefix}/").excludes(path)
    assert not IgnoreRules.parse(f"{prefix}\n!{path}").excludes(path)


@given(_path)
def test_double_star_suffix_matches_at_any_depth(path: str) -> None:
    leaf = path.split("/")[-1]
    assume(f"{leaf}x" not in path.split("/"))
    assert IgnoreRules.parse(f"**/{leaf}").excludes(path)
    assert not IgnoreRules.parse(f"**/{leaf}x").excludes(path)
