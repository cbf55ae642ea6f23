"""A client connection to the router: HTTP/1.1 parsing, keep-alive, pipelining, tunnels.

Requests are parsed with ``httptools``; each head becomes an :class:`Exchange`. Exchanges run one
at a time, in order: a pipelined request waits (with reading paused) until the response before
it is complete, so responses can never interleave. After a 101 the connection becomes a tunnel
that copies bytes both ways until either side closes.

Reading from the client is paused for several independent reasons (a pipelined request waits,
the upstream cannot take more body, the body is held while the upstream connection opens, an
upgrade waits for its 101); it resumes only when none is left.

A request whose framing is ambiguous (:mod:`spacehost.router.framing`) or whose head is
malformed is refused with a 400 once the exchanges before it are answered, and the connection
closes: nothing after it is read. A client that keeps the router waiting (a head not complete in
time, a head or body that pauses too long, docs/router.md#timeouts) gets a 408 where a response
can still be sent, and the connection closes; while the router itself is not reading (waiting on
an upstream, streaming a response) no client timeout runs.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, cast

import httptools

from spacehost.router.context import RouterContext
from spacehost.router.exchange import Exchange, Request
from spacehost.router.framing import NO_BODY, FramingError, request_framing
from spacehost.router.pages import BAD_REQUEST, HEADERS_TOO_LARGE, Problem, problem_response
from spacehost.router.upstream import UpstreamConnection

# The request line and headers together may not exceed this (nginx allows 4 x 8 KiB by default).
MAX_HEAD_BYTES = 64 * 1024


class _HeadTooLarge(Exception):
    pass


class _InvalidHead(Exception):
    pass


_FRAMING_HINT = (
    "Frame the body one way only: a single Content-Length, or Transfer-Encoding: chunked "
    "(RFC 9112 section 6)."
)
_TIMEOUT_HINT = "Send the whole request without pausing; retry on a new connection."


def _invalid(message: str, hint: str) -> Problem:
    return Problem(400, "invalid_request", message, hint)


def _timeout(what: str, seconds: float) -> Problem:
    message = f"The request {what} did not arrive in time ({seconds:g} s)."
    return Problem(408, "request_timeout", message, _TIMEOUT_HINT)


def _split_absolute(target: bytes) -> tuple[bytes, bytes] | None:
    """``http://host:port/p?q`` -> ``(b"host:port", b"/p?q")``; None for an origin-form target.

    Raises:
        _InvalidHead: the authority is empty or carries user info (RFC 9110 section 4.2.4).
    """
    lower = target[:8].lower()
    if not (lower.startswith(b"http://") or lower.startswith(b"https://")):
        return None
    authority, slash, path = target.partition(b"://")[2].partition(b"/")
    authority, query_mark, query = authority.partition(b"?")
    if not authority or b"@" in authority:
        raise _InvalidHead
    rest = b"/" + path if slash else b"/"
    return authority, rest + (b"?" + query if query_mark else b"")


class ClientConnection(asyncio.Protocol):
    """One client connection.

    Args:
        ctx: the router's shared state.
    """

    PIPELINE = 1
    UPSTREAM = 2
    BUFFER = 4
    UPGRADE = 8

    def __init__(self, ctx: RouterContext) -> None:
        self.ctx = ctx
        self.transport: asyncio.Transport | None = None
        self.ip = ""
        self.idle_since: float | None = None
        self.write_paused = False
        self.closing = False
        self._parser: Any = httptools.HttpRequestParser(self)
        self._pauses = 0
        self._drain: asyncio.Future[None] | None = None
        self._current: Exchange | None = None
        self._parsing: Exchange | None = None
        self._queue: deque[Exchange] = deque()
        self._advancing = False
        self._stopped = False
        self._tunnel: asyncio.Transport | None = None
        self._upgrading = False
        self._upgrade_tail = b""
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_size = 0
        self._problem: Problem | None = None
        self._refusal: Problem | None = None  # answered once the exchanges before it are
        self._eof = False
        # client timeouts: when the current head began (None: no head under way) and the last
        # byte was read
        self.head_since: float | None = None
        self.last_read = 0.0
        self._head_started = False  # a byte of the current head arrived
        self.tunnel_space = ""  # the space an open websocket tunnel counts as activity for

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        peer = transport.get_extra_info("peername")
        self.ip = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        self.idle_since = self.head_since = self.last_read = self.ctx.loop.time()
        self.ctx.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = self._stopped = True
        self.ctx.connections.discard(self)
        if self._tunnel is not None:
            self._tunnel.close()
        if self.tunnel_space:
            self.ctx.activity.closed(self.tunnel_space)
            self.tunnel_space = ""
        current, self._current = self._current, None
        if current is not None:
            current.abort()
        while self._queue:
            self._queue.popleft().abort()
        if self._drain is not None and not self._drain.done():
            self._drain.cancel()

    def eof_received(self) -> bool:
        # A half-closed client still gets the response it is waiting for; with nothing in flight
        # there is nothing to keep the connection for.
        if self._tunnel is not None or (self._current is None and not self._queue):
            return False
        self._eof = True
        return True

    def data_received(self, data: bytes) -> None:
        if self._tunnel is not None:
            self._tunnel.write(data)
            return
        if self._upgrading:
            self._upgrade_tail += data
            return
        if self._stopped:
            return
        self.last_read = self.ctx.loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            self._stopped = self._upgrading = True
            self._upgrade_tail = data[int(exc.args[0]) :]
            self.pause_reading(self.UPGRADE)
        except httptools.HttpParserError:
            self._bad(self._problem or BAD_REQUEST)

    def pause_writing(self) -> None:
        self.write_paused = True
        if self._tunnel is not None:
            self._tunnel.pause_reading()
        elif self._current is not None:
            self._current.pause_sink()

    def resume_writing(self) -> None:
        self.write_paused = False
        if self._tunnel is not None:
            self._tunnel.resume_reading()
        elif self._current is not None:
            self._current.resume_sink()
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)
        self._drain = None

    # -- httptools callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._head_size = 0
        self._head_started = True
        if self.head_since is None:
            self.head_since = self.last_read

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._head_size += len(url)
        if self._head_size > MAX_HEAD_BYTES:
            self._head_too_large()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.lower(), value))
        self._head_size += len(name) + len(value) + 4
        if self._head_size > MAX_HEAD_BYTES:
            self._head_too_large()

    def on_headers_complete(self) -> None:
        self.head_since = None
        self._head_started = False
        ex = self._parsing = Exchange(self, self._request())
        if self._current is None and not self._queue and not self.closing:
            self._current = ex
            self.idle_since = None
            ex.start()
            return
        self._queue.append(ex)
        if self._current is None:
            self._advance()
        else:
            self.pause_reading(self.PIPELINE)

    def on_body(self, body: bytes) -> None:
        if self._parsing is not None:
            self._parsing.on_request_body(body)

    def on_message_complete(self) -> None:
        parsing, self._parsing = self._parsing, None
        if parsing is not None:
            parsing.on_request_end()

    # -- used by exchanges ---------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Send *data* to the client (dropped once the connection is gone)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    async def drain(self) -> None:
        """Wait until the client's write buffer is below its high-water mark."""
        if not self.write_paused or self.transport is None or self.transport.is_closing():
            return
        if self._drain is None:
            self._drain = self.ctx.loop.create_future()
        await self._drain

    def pause_reading(self, reason: int) -> None:
        """Stop reading from the client for *reason* (one of the class flags)."""
        if not self._pauses and self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()
        self._pauses |= reason

    def resume_reading(self, reason: int) -> None:
        """Drop *reason* for not reading; read again once no reason is left."""
        if not self._pauses & reason:
            return
        self._pauses &= ~reason
        if not self._pauses and self.transport is not None and not self.transport.is_closing():
            self.last_read = self.ctx.loop.time()  # a pause of ours is not the client's
            self.transport.resume_reading()

    def exchange_done(self, *, close: bool) -> None:
        """The current exchange is complete; start the next one or close."""
        self._current = None
        now = self.ctx.loop.time()
        if self.head_since is not None:  # a pipelined head waited on this exchange
            self.head_since = self.last_read = now
        if close or (self._eof and not self._queue):
            self.close()
        elif self._queue or self._pauses & self.PIPELINE:
            self._advance()
        elif self._refusal is not None:
            self._send_refusal()
        else:
            self.idle_since = now

    def check_timeouts(self, now: float) -> None:
        """Close the connection (with a 408 where a response can still be sent) when the client
        kept the router waiting longer than the configured timeouts allow."""
        ctx = self.ctx
        if self._tunnel is not None or self._upgrading or self.closing or self._pauses:
            return
        parsing = self._parsing
        if parsing is not None:  # reading a request body
            if not parsing.awaits_continue() and now - self.last_read > ctx.body_idle:
                parsing.refuse(_timeout("body", ctx.body_idle))
            return
        if self._current is not None or self._queue:
            return
        if self.head_since is not None:  # reading a request head (or waiting for the first)
            if now - self.head_since > ctx.header_timeout:
                self._head_timeout(ctx.header_timeout)
            elif now - self.last_read > ctx.header_idle:
                self._head_timeout(ctx.header_idle)
            return
        if self.idle_since is not None and now - self.idle_since > ctx.idle_timeout:
            self.close()

    def start_tunnel(self, conn: UpstreamConnection, tail: bytes) -> None:
        """Splice this connection with *conn* (after a 101 was sent to the client)."""
        assert self.transport is not None and conn.transport is not None
        self._current = None
        self._upgrading = False
        self._tunnel = conn.transport
        conn.start_tunnel(self.transport)
        if tail:
            self.transport.write(tail)
        if self._upgrade_tail:
            conn.write(self._upgrade_tail)
            self._upgrade_tail = b""
        if self.write_paused:
            conn.transport.pause_reading()
        if self._pauses:
            self._pauses = 0
            self.transport.resume_reading()

    def close(self) -> None:
        """Close the connection after what was written is sent."""
        self.closing = self._stopped = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        """Close the connection now, dropping what was not sent yet."""
        self.closing = self._stopped = True
        if self.transport is not None:
            self.transport.abort()

    # -- internals -----------------------------------------------------------------------------

    def _head_too_large(self) -> None:
        self._problem = HEADERS_TOO_LARGE
        raise _HeadTooLarge

    def _head_timeout(self, seconds: float) -> None:
        """A head did not arrive in time: a 408 if any of it came, else just close."""
        self._stopped = True
        if self._head_started:
            self.write(self._error_response(_timeout("head", seconds)))
        self.close()

    def _reject(self, problem: Problem) -> _InvalidHead:
        self._problem = problem
        return _InvalidHead()

    def _request(self) -> Request:
        parser = self._parser
        host = accept = inm = b""
        hosts = 0
        lengths: list[bytes] = []
        codings: list[bytes] = []
        expect = close = False
        for name, value in self._headers:
            if name == b"host":
                hosts += 1
                host = value
            elif name == b"accept":
                accept = value
            elif name == b"transfer-encoding":
                codings.append(value)
            elif name == b"content-length":
                lengths.append(value)
            elif name == b"expect":
                expect = value.strip().lower() == b"100-continue"
            elif name == b"if-none-match":
                inm = value
            elif name == b"connection":
                close = close or b"close" in (t.strip().lower() for t in value.split(b","))
        if hosts > 1:
            raise self._reject(
                _invalid(
                    "The request has more than one Host header.", "Send exactly one Host header."
                )
            )
        http_11 = parser.get_http_version() == "1.1"
        framing = NO_BODY
        if lengths or codings:
            try:
                framing = request_framing(lengths, codings, http_11=http_11)
            except FramingError as exc:
                raise self._reject(
                    _invalid(f"Ambiguous request framing: {exc}.", _FRAMING_HINT)
                ) from exc
        target = self._url
        if target[:1] != b"/":
            try:
                absolute = _split_absolute(target)
            except _InvalidHead:
                raise self._reject(
                    _invalid(
                        "The absolute request target has no host, or has user info.",
                        "Send http://host[:port]/path, or an origin-form target with Host.",
                    )
                ) from None
            if absolute is not None:  # RFC 9112 3.2.2: the target's authority replaces Host
                host, target = absolute
        return Request(
            method=parser.get_method(),
            target=target,
            headers=self._headers,
            host=host.decode("latin-1"),
            accept=accept.decode("latin-1"),
            chunked=framing.chunked,
            length=framing.length,
            expect_continue=expect,
            if_none_match=inm.decode("latin-1"),
            http_11=http_11,
            # "close" wins over "keep-alive" (RFC 9112 9.3); llhttp lets HTTP/1.0 keep both
            keep_alive=parser.should_keep_alive() and not close,
            upgrade=parser.should_upgrade(),
        )

    def _advance(self) -> None:
        if self._advancing:
            return
        self._advancing = True
        try:
            while self._current is None and self._queue and not self.closing:
                ex = self._current = self._queue.popleft()
                self.idle_since = None
                ex.start()
        finally:
            self._advancing = False
        if not self._queue:
            self.resume_reading(self.PIPELINE)
        if self._current is None:
            if self._refusal is not None:
                self._send_refusal()
            else:
                self.idle_since = self.ctx.loop.time()

    def _bad(self, problem: Problem) -> None:
        """The client sent something invalid: nothing after it is read. A request whose body
        broke ends here; a bad head is answered after the exchanges before it."""
        self._stopped = True
        self._problem = None
        parsing, self._parsing = self._parsing, None
        if parsing is not None and parsing is self._current:
            parsing.refuse(problem)
            return
        if parsing is not None:  # queued behind the current exchange: never started
            self._queue.remove(parsing)
            parsing.abort()
        self._refusal = problem
        if self._current is None and not self._queue:
            self._send_refusal()

    def _send_refusal(self) -> None:
        problem, self._refusal = self._refusal, None
        if problem is not None:
            self.write(self._error_response(problem))
        self.close()

    def _error_response(self, problem: Problem) -> bytes:
        """*problem* as the client's (possibly partial) head asks: HTML for a browser, else
        JSON."""
        accept = next((v for n, v in self._headers if n == b"accept"), b"application/json")
        return problem_response(
            problem, accept=accept.decode("latin-1"), close=True, head_only=False
        )
