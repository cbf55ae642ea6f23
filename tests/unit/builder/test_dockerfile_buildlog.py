"""How a build's log stream becomes log lines, steps and cache facts."""

from __future__ import annotations

from spacehost.builder.build_run import BuildLog

STREAM = [
    "Step 1/3 : FROM spacehost/gradio:6.31.0-py3.11-bookworm\n ---> 0123456789ab\n",
    "Step 2/3 : RUN pip install --no-cache-dir -r requirements.txt\n",
    " ---> Using cache\n ---> abcdefabcdef\nStep 3/3 : COPY --chown=1000:1000 app/ ./\n",
    " ---> Running in 5f3e2d1c0b9a\n\x1b[91mWARNING: red text\n\x1b[0m",
    "partial line, ",
    "finished\r\nSuccessfully built 8914d338acd5\n",
]


def test_lines_are_split_across_chunks_and_stripped_of_colour_codes() -> None:
    lines: list[str] = []
    log = BuildLog(lines.append)
    for chunk in STREAM:
        log.feed(chunk)
    log.flush()
    assert "WARNING: red text" in lines
    assert "partial line, finished" in lines
    assert not any("\x1b" in line or line.endswith(("\n", "\r")) for line in lines)
    assert lines[0] == "Step 1/3 : FROM spacehost/gradio:6.31.0-py3.11-bookworm"


def test_steps_cache_hits_container_and_image_are_tracked() -> None:
    log = BuildLog(lambda line: None)
    for chunk in STREAM:
        log.feed(chunk)
    assert log.steps == [
        "Step 1/3 : FROM spacehost/gradio:6.31.0-py3.11-bookworm",
        "Step 2/3 : RUN pip install --no-cache-dir -r requirements.txt",
        "Step 3/3 : COPY --chown=1000:1000 app/ ./",
    ]
    assert log.cached == ["Step 2/3 : RUN pip install --no-cache-dir -r requirements.txt"]
    assert log.step == "Step 3/3 : COPY --chown=1000:1000 app/ ./"
    assert log.container == "5f3e2d1c0b9a"
    assert log.image_id == "8914d338acd5"


def test_tail_keeps_the_last_40_lines() -> None:
    log = BuildLog(lambda line: None)
    log.feed("".join(f"line {n}\n" for n in range(100)))
    assert list(log.tail) == [f"line {n}" for n in range(60, 100)]
