"""Which Gradio session a request names: every route of Gradio 4-6 and gradio_client 1-2."""

from __future__ import annotations

import json

import pytest

from spacehost.router.gradiosession import (
    MAX_KEY,
    affinity_cookie,
    answer_event,
    answers_event,
    body_session,
    is_file_request,
    peeks_body,
    target_event,
    target_session,
)

NAMED = {
    "/gradio_api/queue/data?session_hash=abc": "abc",
    "/queue/data?session_hash=abc": "abc",  # Gradio 4
    "/gradio_api/queue/data?x=1&session_hash=a%20b": "a b",
    "/gradio_api/heartbeat/abc": "abc",
    "/heartbeat/abc": "abc",
    "/mounted/gradio_api/heartbeat/abc": "abc",
    "/gradio_api/stream/abc/run1/7/playlist.m3u8": "abc",
    "/gradio_api/stream/abc/run1/7/seg-1.ts": "abc",
    "/gradio_api/upload?upload_id=u1": "upload:u1",
    "/gradio_api/upload_progress?upload_id=u1": "upload:u1",
    "/upload?upload_id=u1": "upload:u1",
}
UNNAMED = [
    "/",
    "/config",
    "/gradio_api/info",
    "/assets/index.js",
    "/gradio_api/file=/tmp/gradio/x.txt",
    "/gradio_api/stream/event-1",  # names an event, not a session
    "/gradio_api/stream/event-1/close",
    "/gradio_api/upload",  # gradio_client's uploads carry nothing
    "/gradio_api/other?upload_id=u1",
    "/gradio_api/queue/data?session_hash=",
    "/gradio_api/queue/data?session_hash=" + "x" * (MAX_KEY + 1),
]


@pytest.mark.parametrize(("target", "key"), NAMED.items())
def test_a_named_session_is_found(target: str, key: str) -> None:
    assert target_session(target) == key


@pytest.mark.parametrize("target", UNNAMED)
def test_no_session(target: str) -> None:
    assert target_session(target) is None


@pytest.mark.parametrize(
    ("method", "target", "peeks"),
    [
        (b"POST", b"/gradio_api/queue/join", True),
        (b"POST", b"/queue/join?__theme=dark", True),
        (b"POST", b"/gradio_api/cancel", True),
        (b"POST", b"/gradio_api/component_server/", True),
        (b"GET", b"/gradio_api/queue/join", False),
        (b"POST", b"/gradio_api/upload", False),
        (b"POST", b"/gradio_api/queue/joiner", False),
    ],
)
def test_which_bodies_are_peeked(method: bytes, target: bytes, peeks: bool) -> None:
    assert peeks_body(method, target) is peeks


@pytest.mark.parametrize(
    ("body", "key"),
    [
        (json.dumps({"data": [1], "fn_index": 0, "session_hash": "s1"}).encode(), "s1"),
        (b'{"session_hash": "s1", "data": [{"session_hash": "inner"}]}', "s1"),
        (b'{"session_hash": 5}', None),
        (b'["session_hash", "s1"]', None),
        (b'{"session_hash": "s1"', None),  # cut at the peek limit
        (b"\xff\xfe", None),
        (b"[" * 100_000 + b"]" * 100_000, None),  # too deep for the parser
        (b"", None),
    ],
)
def test_body_session(body: bytes, key: str | None) -> None:
    assert body_session(body) == key


@pytest.mark.parametrize(
    ("headers", "token"),
    [
        ([(b"cookie", b"spacehost_replica=abc")], "abc"),
        ([(b"cookie", b"a=1; spacehost_replica=abc; b=2")], "abc"),
        ([(b"cookie", b"a=1"), (b"cookie", b"spacehost_replica=abc")], "abc"),
        ([(b"cookie", b"xspacehost_replica=abc")], None),
        ([(b"cookie", b"spacehost_replica=")], None),
        ([(b"cookie", b"spacehost_replica=" + b"x" * (MAX_KEY + 1))], None),
        ([(b"x-cookie", b"spacehost_replica=abc")], None),
        ([], None),
    ],
)
def test_affinity_cookie(headers: list[tuple[bytes, bytes]], token: str | None) -> None:
    assert affinity_cookie(headers) == token


@pytest.mark.parametrize(
    ("method", "target", "probe"),
    [
        (b"GET", "/gradio_api/file=/tmp/gradio/a/b.txt", True),
        (b"HEAD", "/file=/tmp/x", True),
        (b"GET", "/gradio_api/file/tmp/x", True),
        (b"POST", "/gradio_api/file=/tmp/x", False),
        (b"GET", "/gradio_api/upload", False),
    ],
)
def test_is_file_request(method: bytes, target: str, probe: bool) -> None:
    assert is_file_request(method, target) is probe


@pytest.mark.parametrize(
    ("method", "target", "key"),
    [
        (b"GET", "/gradio_api/call/predict/ev1", "event:ev1"),
        (b"GET", "/gradio_api/call/v2/predict/ev1", "event:ev1"),
        (b"GET", "/call/predict/ev1?x=1", "event:ev1"),
        (b"POST", "/gradio_api/stream/ev1", "event:ev1"),
        (b"POST", "/gradio_api/stream/ev1/close", "event:ev1"),
        (b"POST", "/gradio_api/call/predict", None),  # queues a new event
        (b"POST", "/gradio_api/call/v2/predict", None),
        (b"GET", "/gradio_api/stream/s/run/1/playlist.m3u8", None),  # a session, not an event
        (b"GET", "/config", None),
    ],
)
def test_target_event(method: bytes, target: str, key: str | None) -> None:
    assert target_event(method, target) == key


def test_answers_event() -> None:
    assert answers_event(b"POST", "/gradio_api/queue/join")
    assert answers_event(b"POST", "/gradio_api/call/predict")
    assert answers_event(b"POST", "/gradio_api/call/v2/predict/")
    assert not answers_event(b"GET", "/gradio_api/call/predict/ev1")
    assert not answers_event(b"POST", "/gradio_api/upload")
    assert answer_event(b'{"event_id": "ev1"}') == "event:ev1"
    assert answer_event(b'{"event_id": 1}') is None
    assert answer_event(b'["ev1"]') is None
    assert answer_event(b'{"event_id": "ev') is None  # cut at the capture limit
