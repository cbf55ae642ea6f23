"""Several-source COPY/ADD into ``.``: accepted by BuildKit (Hugging Face), refused by the
classic builder; the context's Dockerfile gets the trailing ``/``."""

from __future__ import annotations

import pytest

from spacehost.builder.copydest import directory_destinations


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("COPY main.py videos.json .", "COPY main.py videos.json ./"),
        ("copy a b ..", "copy a b ../"),
        ("ADD --chown=1000:1000 a b /app/.", "ADD --chown=1000:1000 a b /app/./"),
        ("  COPY --from=build /x /y .  ", "  COPY --from=build /x /y ./  "),
    ],
)
def test_a_directory_destination_of_several_sources_gets_its_slash(
    line: str, expected: str
) -> None:
    text, changed = directory_destinations(f"FROM python:3.11-slim\n{line}\nCMD x\n")
    assert text == f"FROM python:3.11-slim\n{expected}\nCMD x\n"
    assert changed == [line.strip()]


@pytest.mark.parametrize(
    "line",
    [
        "COPY requirements.txt .",  # one source: a file copied into the directory already
        "COPY a b ./",
        "COPY a b /app/",
        "COPY a b /app",  # wrong on BuildKit too: the Engine's own error stays
        'COPY ["a", "b", "."]',
        "COPY --chown=1000 a . \\",
        "RUN cp a b .",
    ],
)
def test_other_lines_are_left_as_they_are(line: str) -> None:
    dockerfile = f"FROM x\r\n{line}\r\n"
    assert directory_destinations(dockerfile) == (dockerfile, [])
