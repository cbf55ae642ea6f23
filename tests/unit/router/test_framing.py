"""The router's own framing decision (RFC 9112 section 6.3), as strict as h11."""

from __future__ import annotations

import pytest

from spacehost.router.framing import (
    CHUNKED,
    NO_BODY,
    BodyKind,
    Framing,
    FramingError,
    ResponseBody,
    request_framing,
    response_body,
    response_framing,
)


@pytest.mark.parametrize(
    ("lengths", "codings", "expected"),
    [
        ([], [], NO_BODY),
        ([b"0"], [], Framing(False, 0)),
        ([b"12"], [], Framing(False, 12)),
        ([b" 12 "], [], Framing(False, 12)),
        ([b"5", b"5"], [], Framing(False, 5)),  # identical duplicates collapse (RFC 9110 8.6)
        ([b"5, 5"], [], Framing(False, 5)),
        ([b"007"], [], Framing(False, 7)),
        ([], [b"chunked"], CHUNKED),
        ([], [b" ChUnKeD "], CHUNKED),
    ],
)
def test_request_framing(lengths: list[bytes], codings: list[bytes], expected: Framing) -> None:
    assert request_framing(lengths, codings, http_11=True) == expected


@pytest.mark.parametrize(
    ("lengths", "codings", "http_11"),
    [
        ([b"5"], [b"chunked"], True),  # both: RFC 9112 6.3 point 3 (h11 refuses too)
        ([], [b"gzip, chunked"], True),  # a coding the router cannot re-frame
        ([], [b"chunked, chunked"], True),
        ([], [b"chunked", b"chunked"], True),
        ([], [b"gzip"], True),
        ([], [b""], True),
        ([], [b"chunked"], False),  # HTTP/1.0 has no transfer codings
        ([b"5", b"6"], [], True),
        ([b"5, 6"], [], True),
        ([b"+5"], [], True),
        ([b"-1"], [], True),
        ([b"5 5"], [], True),
        ([b"0x5"], [], True),
        ([b""], [], True),
        ([b"1" * 19], [], True),
    ],
)
def test_ambiguous_request_framing_is_refused(
    lengths: list[bytes], codings: list[bytes], http_11: bool
) -> None:
    with pytest.raises(FramingError):
        request_framing(lengths, codings, http_11=http_11)


def test_response_framing() -> None:
    assert response_framing([], []) == NO_BODY
    assert response_framing([b"3"], []) == Framing(False, 3)
    assert response_framing([], [b"chunked"]) == CHUNKED
    for lengths, codings in [([b"3"], [b"chunked"]), ([], [b"gzip"]), ([b"3", b"4"], [])]:
        with pytest.raises(FramingError):
            response_framing(lengths, codings)


CL5 = [(b"content-length", b"5")]
CL0 = [(b"content-length", b"0")]
TE = [(b"transfer-encoding", b"chunked")]
NONE_, LENGTH, CHUNK, CLOSE = (
    BodyKind.NONE,
    BodyKind.LENGTH,
    BodyKind.CHUNKED,
    BodyKind.UNTIL_CLOSE,
)


@pytest.mark.parametrize(
    ("method", "status", "headers", "expected"),
    [
        (b"GET", 200, CL5, ResponseBody(LENGTH, 5, True)),
        (b"GET", 200, CL0, ResponseBody(LENGTH, 0, False)),
        (b"GET", 200, TE, ResponseBody(CHUNK, None, True)),
        (b"GET", 200, [], ResponseBody(CLOSE, None, False)),
        (b"POST", 404, [(b"x", b"y")], ResponseBody(CLOSE, None, False)),
        (b"GET", 206, [(b"content-length", b"7, 7")], ResponseBody(LENGTH, 7, True)),
        # HEAD: no body, but the head still announces the length (or chunking) it names
        (b"HEAD", 200, CL5, ResponseBody(NONE_, 5, True)),
        (b"HEAD", 200, TE, ResponseBody(NONE_, None, True)),
        (b"HEAD", 200, [], ResponseBody(NONE_, None, False)),
        # 304 keeps its length in the head; 101 and 204 never carry one
        (b"GET", 304, CL5, ResponseBody(NONE_, 5, True)),
        (b"GET", 204, CL5, ResponseBody(NONE_, None, True)),
        (b"GET", 204, TE, ResponseBody(NONE_, None, True)),
        (b"GET", 101, CL5, ResponseBody(NONE_, None, True)),
        (b"GET", 101, [], ResponseBody(NONE_, None, False)),
    ],
)
def test_response_body(
    method: bytes, status: int, headers: list[tuple[bytes, bytes]], expected: ResponseBody
) -> None:
    assert response_body(method, status, headers) == expected


@pytest.mark.parametrize(
    ("method", "status", "headers"),
    [
        (b"GET", 200, CL5 + TE),
        (b"HEAD", 200, CL5 + TE),  # refused even where no body is read
        (b"GET", 204, [(b"transfer-encoding", b"gzip")]),
        (b"GET", 200, [(b"content-length", b"5"), (b"content-length", b"6")]),
        (b"GET", 304, [(b"content-length", b"-1")]),
    ],
)
def test_invalid_response_framing_is_an_error(
    method: bytes, status: int, headers: list[tuple[bytes, bytes]]
) -> None:
    with pytest.raises(FramingError):
        response_body(method, status, headers)
