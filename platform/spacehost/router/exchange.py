"""One request and its response, through the router: proxied, served from a folder, or answered.

An :class:`Exchange` is created by the client connection once a request head is parsed. It
decides where the request goes (:mod:`spacehost.router.match`), then either streams it to an
upstream (a space or the control plane) and streams the response back, re-framing bodies as
needed, or answers itself (static files, gateway errors, redirects). Bodies are never buffered
beyond what one read returns: backpressure on either side pauses reading on the other.

An exchange's progress is its :class:`Phase` (awaiting the response, streaming it, responded,
done, upgraded, cut, aborted); a static space's answer is built by
:mod:`spacehost.router.static_response`.

Both directions are framed by the router (:mod:`spacehost.router.framing`): a body goes on with
the length or chunking the router parsed, never with the sender's own framing headers. An
upstream connection returns to the pool only when both messages ended exactly on a boundary: the
request sent whole before the response began, the response read whole per its framing, and
nothing more received.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from spacehost.router.access import RawCredentials, raw_credentials
from spacehost.router.activity import is_idle_stream
from spacehost.router.bounce import bounce_location, is_navigation, platform_base, was_bounced
from spacehost.router.context import RouterContext
from spacehost.router.filesend import OpenFile, open_handoff, open_range, send_file
from spacehost.router.framing import BodyKind, Framing, ResponseBody, response_body
from spacehost.router.gradiosession import (
    AFFINITY_COOKIE,
    PEEK_LIMIT,
    affinity_cookie,
    answer_event,
    answers_event,
    body_session,
    is_file_request,
    peeks_body,
    target_event,
    target_session,
)
from spacehost.router.headers import (
    FILE_HEADER,
    NO_SPACE_HEADERS,
    Forwarding,
    SpaceHeaders,
    forwarded_host,
    request_head,
    response_head,
)
from spacehost.router.match import Match
from spacehost.router.moving import until_moved, watched
from spacehost.router.pages import (
    Problem,
    problem_response,
    redirect_response,
    simple_response,
)
from spacehost.router.replicas import Pick
from spacehost.router.routes_file import SpaceTarget
from spacehost.router.static_response import NOT_FOUND, StaticStream, static_answer
from spacehost.router.table import RouteEntry, Upstream
from spacehost.router.upstream import UpstreamConnection

if TYPE_CHECKING:
    from spacehost.router.connection import ClientConnection

# Request body bytes held while the upstream connection opens, before reading pauses.
MAX_PENDING = 256 * 1024
_RETRYABLE = frozenset({b"GET", b"HEAD", b"OPTIONS"})
_LAST_CHUNK = b"0\r\n\r\n"
# bodies without a length: re-chunked for an HTTP/1.1 client, ended by closing for HTTP/1.0
_OPEN_ENDED = frozenset({BodyKind.CHUNKED, BodyKind.UNTIL_CLOSE})
# a bounce depends on the visitor's cookies of the moment: never reused
_NO_STORE = b"cache-control: no-store\r\n"
# the answer naming a queue event is read this far (bytes): ``{"event_id": "..."}``
_EVENT_ANSWER_LIMIT = 1024
# a replica's answer to a file it does not have: the next replica is asked (router/replicas.py)
_NOT_HERE = frozenset({403, 404})


@dataclass(slots=True)
class Request:
    """The parsed head of a client request.

    Attributes:
        method: e.g. ``b"GET"``.
        target: the request-target as received (origin form), e.g. ``b"/a?b=c"``.
        headers: ``(lower-case name, value)`` pairs, in order.
        host: the ``Host`` value (latin-1 decoded), "" when absent.
        accept: the ``Accept`` value, "" when absent.
        chunked: the body comes chunked (exactly ``Transfer-Encoding: chunked``).
        length: the body's ``Content-Length`` (validated), None when there is none.
        expect_continue: the client sent ``Expect: 100-continue``.
        if_none_match: the ``If-None-Match`` value, "" when absent.
        http_11: the client speaks HTTP/1.1 (else 1.0).
        keep_alive: the client keeps the connection open after this exchange.
        upgrade: the client asks to switch protocols (``Connection: upgrade`` + ``Upgrade``).
    """

    method: bytes
    target: bytes
    headers: list[tuple[bytes, bytes]]
    host: str
    accept: str
    chunked: bool
    length: int | None
    expect_continue: bool
    if_none_match: str
    http_11: bool
    keep_alive: bool
    upgrade: bool


class Phase(IntEnum):
    """How far an exchange's response has come; it only moves forward (ordered).

    The request side has its own progress (``Exchange.request_done``): a body may still arrive
    in any phase, and an exchange leaves :attr:`RESPONDED` for :attr:`DONE` only once the
    request has ended too (or the connection is to close).

    Attributes:
        AWAITING_RESPONSE: routing, waking the space, connecting, sending the request; no
            response head has gone to the client yet (1xx interim heads may have).
        STREAMING_RESPONSE: a response head went to the client; its body is under way (from
            the upstream, a handed-off file or a static file).
        RESPONDED: the response is complete; waiting for the end of the request body.
        DONE: handed back to the client connection (``exchange_done``).
        UPGRADED: the connections are spliced into a tunnel (101); the exchange is over.
        CUT: the exchange closed the client connection mid-response (the response cannot be
            completed, e.g. the upstream was lost or a file shrank).
        ABORTED: the client went away.

    ``phase >= RESPONDED``: nothing more of the response will be sent; ``phase >= DONE``: the
    exchange is over.
    """

    AWAITING_RESPONSE = 0
    STREAMING_RESPONSE = 1
    RESPONDED = 2
    DONE = 3
    UPGRADED = 4
    CUT = 5
    ABORTED = 6


class BodyOut(IntEnum):
    """How a response's body goes out to the client, decided at its head.

    Attributes:
        COPY: its bytes as they come: the length the head announced, or (to an HTTP/1.0 client)
            ended by closing the connection.
        RECHUNK: re-chunked for an HTTP/1.1 client (the upstream's body had no length).
        NONE: the response ends with its head (a HEAD request: the parser would wait for the
            body ``Content-Length`` announces).
        FILE: from a file the control plane handed off, once the upstream's own (empty)
            response has ended.
    """

    COPY = 0
    RECHUNK = 1
    NONE = 2
    FILE = 3


def _has_body(req: Request) -> bool:
    return req.chunked or bool(req.length)


@functools.lru_cache(maxsize=1024)
def _cookie_line(token: str, path: str, secure: bool) -> bytes:
    """The ``Set-Cookie`` line of the affinity cookie (router/gradiosession.py)."""
    flags = "; Secure" if secure else ""
    value = f"{token}; Path={path}; HttpOnly; SameSite=Lax{flags}"
    return b"set-cookie: " + AFFINITY_COOKIE + b"=" + value.encode("latin-1") + b"\r\n"


# The phases and body modes as module constants: looking a member up on its Enum class costs
# ~70 ns on Python 3.11, a dozen times per request on the hot path.
AWAITING_RESPONSE, STREAMING_RESPONSE, RESPONDED, DONE, UPGRADED, CUT, ABORTED = Phase
COPY, RECHUNK, NO_BODY, FROM_FILE = BodyOut


def _gateway_problem(status: int, space: str, detail: str) -> Problem:
    """A 502/504 about *space* ("" for the control plane)."""
    code = "upstream_timeout" if status == 504 else "upstream_unreachable"
    if space:
        return Problem(
            status,
            code,
            f"Space {space} {detail}.",
            "It may be restarting: retry in a moment, or see its logs.",
        )
    return Problem(
        status, code, f"The control plane {detail}.", "Start it (spacehost serve) or check its log."
    )


class Exchange:
    """One request/response pair on a client connection.

    Args:
        client: the client connection.
        req: the parsed request head.
    """

    __slots__ = (
        "body_in",
        "body_out",
        "busy_space",
        "capture",
        "client",
        "close_after",
        "continued",
        "cookie_path",
        "ctx",
        "deferred",
        "discard",
        "file",
        "file_ready",
        "head",
        "interim",
        "moved",
        "out",
        "peek",
        "pending",
        "pending_size",
        "phase",
        "pick",
        "probe_file",
        "req",
        "request_done",
        "retried",
        "set_cookie",
        "space",
        "task",
        "up",
        "upstream",
        "upstream_keep_alive",
        "what",
    )

    def __init__(self, client: ClientConnection, req: Request) -> None:
        self.client = client
        self.ctx: RouterContext = client.ctx
        self.req = req
        self.space: SpaceHeaders = NO_SPACE_HEADERS
        self.what = ""
        # the space this exchange keeps awake while it is in flight (a long request, an SSE
        # response): from dispatch to the end of the response
        self.busy_space = ""
        self.moved = False  # held once for its space to move (router/moving.py)
        self.up: Upstream | None = None
        self.upstream: UpstreamConnection | None = None
        self.head = b""
        self.pending: list[bytes] = []
        self.pending_size = 0
        self.task: asyncio.Task[None] | None = None
        self.out: list[bytes] = []
        # a file the control plane handed off (spacehost.handoff): the response body
        self.file: OpenFile | None = None
        self.file_ready = False
        self.retried = False
        self.discard = False
        self.request_done = False
        self.phase: Phase = AWAITING_RESPONSE
        self.interim = False
        self.continued = False  # an interim (1xx) response was relayed
        self.body_in = BodyKind.NONE  # the upstream response body's framing
        self.body_out = COPY
        self.upstream_keep_alive = False
        self.close_after = not req.keep_alive
        # a request whose Gradio session is in its body (router/gradiosession.py): the body as
        # parsed (de-chunked), up to PEEK_LIMIT, read before a replica is chosen
        self.peek: bytearray | None = (
            bytearray()
            if peeks_body(req.method, req.target) and _has_body(req) and not req.expect_continue
            else None
        )
        self.pick: Pick | None = None  # the replica chosen, for a space with several
        self.deferred: tuple[Match, SpaceTarget] | None = None  # waiting for the peek
        self.probe_file = False  # a file of a replicated space: ask the next replica on a miss
        self.set_cookie = b""  # the affinity cookie line for the response, when it changes
        self.cookie_path = "/"
        # the answer of a replica that names a new queue event, read to remember where it is
        self.capture: bytearray | None = None

    # -- dispatch ------------------------------------------------------------------------------

    def start(self) -> None:
        """Route the request and begin answering it."""
        req = self.req
        if req.method == b"CONNECT":
            self.close_after = True
            self._local(simple_response(405, b"", "", close=True, extra=b"allow: GET\r\n"))
            return
        self._begin(None)

    def _begin(self, decided: tuple[str, bool] | None) -> None:
        """Route the request, decide whether its visitor may reach a private space (from the
        cache, or by asking the control plane first), then answer it.

        Args:
            decided: ``(space, allowed)``: the control plane's answer for this request, just in.
        """
        req = self.req
        target = req.target.decode("latin-1")
        m = self.ctx.route(req.host, target)
        entry = self.ctx.addressed(m)
        if entry is not None and entry.private:
            allowed = self._allowed(entry.space, decided)
            if allowed is None:
                return  # the control plane is asked; _check comes back here
            if not allowed:
                # as if the space did not exist: not woken, not counted as activity
                hidden = self.ctx.as_unknown(req.host, target, entry.space)
                if not self._bounced(hidden):
                    self._dispatch(hidden)
                return
        self._go(m)

    def _allowed(self, space: str, decided: tuple[str, bool] | None) -> bool | None:
        """Whether this request may reach the private *space*: the answer just in, the cached
        one, or None while the control plane is being asked (:meth:`_check`)."""
        if decided is not None and decided[0] == space:
            return decided[1]
        raw = raw_credentials(self.req.headers)
        found = self.ctx.access.decide(space, raw)
        if found is None:
            self.task = self.ctx.loop.create_task(self._check(space, raw))
        return found

    async def _check(self, space: str, raw: RawCredentials) -> None:
        """Ask the control plane whether this request may reach *space*, then go on."""
        allowed = await asyncio.shield(self.ctx.access.ask(space, raw))
        self.task = None
        if self.phase is ABORTED:
            return
        self._begin((space, allowed))

    def _go(self, m: Match) -> None:
        """Answer a request its visitor may see: wake a sleeping space first, hold it meanwhile."""
        if m.entry is None and self._bounced(m):
            return
        space = m.entry.space if m.entry is not None else m.space
        if space:
            self.ctx.activity.touch(space)
        if m.entry is None and m.space is not None:
            asleep = self.ctx.asleep(m.space)
            if asleep is not None:
                self.ctx.waker.wake(m.space)
                if not self._waking_page(asleep):
                    self.task = self.ctx.loop.create_task(self._hold(m.space))
                    return
        self._dispatch(m)

    def _bounced(self, m: Match) -> bool:
        """Send a browser's navigation to a space host the router will not serve through the
        platform's host first (:mod:`spacehost.router.bounce`); True when it was."""
        req = self.req
        if not (
            self.ctx.is_unknown_host(req.host, m)
            and is_navigation(req.method, req.accept, req.headers)
            and not was_bounced(req.target)
        ):
            return False
        ctx = self.ctx
        base = platform_base(
            ctx.settings.public_url, ctx.local_base, ctx.proto, ctx.domain, req.host
        )
        location = bounce_location(base, m.space or "", req.target)
        self._prepare_local()
        self._local(
            redirect_response(
                location, close=self.close_after, head_only=False, status=302, extra=_NO_STORE
            )
        )
        return True

    def _waking_page(self, entry: RouteEntry) -> bool:
        """A browser visiting a *stopped* space gets the waking page at once (it turns into the
        app by itself); every other request to a sleeping space is held until it is awake."""
        req = self.req
        return entry.asleep == "stopped" and req.method == b"GET" and "text/html" in req.accept

    async def _hold(self, space: str) -> None:
        """Wait for *space* to wake (bounded by the startup timeout), then answer as usual:
        proxied when it is live, else the control plane's status page."""
        await self.ctx.waker.until_awake(space, self.ctx.settings.startup_timeout_s)
        self.task = None
        if self.phase is ABORTED:
            return
        self._dispatch(self.ctx.route(self.req.host, self.req.target.decode("latin-1")))

    def _dispatch(self, m: Match) -> None:
        req = self.req
        entry = m.entry
        if entry is None:
            fwd = Forwarding(self.client.ip, req.host, self.ctx.proto, "", m.space, True)
            to = req.host.encode("latin-1") or b"localhost"
            self._proxy(self.ctx.control, m.target, fwd, to, keep_credentials=True)
            return
        compiled = self.ctx.routes.target_for(entry.space)
        self.space = compiled.headers
        self.what = entry.space
        up = compiled.upstream
        if not compiled.replicas:
            self.peek = None
        elif up is not None:
            if self.peek is not None and not self.request_done and len(self.peek) < PEEK_LIMIT:
                self.deferred = (m, compiled)  # the replica is chosen once the body is read
                return
            up = self._choose(entry.space, compiled, m)
        if up is not None:
            self._to_space(m, entry, up)
        elif entry.static_dir:
            self._static(entry.static_dir, m)

    def _choose(self, space: str, compiled: SpaceTarget, m: Match) -> Upstream:
        """The replica of *space* for this request: its session's, else the one its affinity
        cookie names, else the next in turn (router/replicas.py)."""
        req = self.req
        peek, self.peek = self.peek, None
        session = (
            (body_session(peek) if peek is not None else None)
            or target_session(m.target)
            or target_event(req.method, m.target)
        )
        preferred = compiled.named(affinity_cookie(req.headers))
        pick = self.pick = self.ctx.replicas.pick(space, compiled.replicas, session, preferred)
        self.probe_file = session is None and is_file_request(req.method, m.target)
        self.cookie_path = m.prefix or "/"
        if answers_event(req.method, m.target):
            self.capture = bytearray()
        if pick.upstream is not preferred:  # both from compiled.replicas
            self._cookie_for(compiled, pick.upstream)
        return pick.upstream

    def _cookie_for(self, compiled: SpaceTarget, up: Upstream) -> None:
        """Set the affinity cookie naming *up* on the response."""
        if up in compiled.replicas:
            token = compiled.tokens[compiled.replicas.index(up)]
            self.set_cookie = _cookie_line(token, self.cookie_path, self.ctx.proto == "https")

    def _resolve(self) -> None:
        """The body was read as far as the peek goes: choose the replica and send."""
        deferred, self.deferred = self.deferred, None
        if deferred is None or self.phase is not AWAITING_RESPONSE:
            return
        m, compiled = deferred
        entry = m.entry
        assert entry is not None
        self._to_space(m, entry, self._choose(entry.space, compiled, m))

    def _to_space(self, m: Match, entry: RouteEntry, up: Upstream) -> None:
        req = self.req
        if not is_idle_stream(m.target):
            self.busy_space = entry.space
            self.ctx.activity.opened(entry.space)
        host = forwarded_host(req.host, m.prefix, entry.sdk)
        fwd = Forwarding(self.client.ip, host, self.ctx.proto, m.prefix)
        self._proxy(up, m.target, fwd, req.host.encode("latin-1") or up.key.encode("latin-1"))

    def _proxy(
        self,
        up: Upstream,
        target: str,
        fwd: Forwarding,
        host: bytes,
        *,
        keep_credentials: bool = False,
    ) -> None:
        req = self.req
        self.up = up
        self.head = request_head(
            req.method,
            target.encode("latin-1"),
            req.headers,
            fwd,
            framing=Framing(req.chunked, req.length),
            upgrade=req.upgrade,
            host=host,
            keep_credentials=keep_credentials,
        )
        conn = self.ctx.pool.take(up)
        if conn is None:
            self.task = self.ctx.loop.create_task(self._connect(up))
        else:
            self._attach(conn)

    async def _connect(self, up: Upstream) -> None:
        try:
            conn = await self.ctx.pool.connect(up)
        except TimeoutError:
            self.task = None
            if not self._elsewhere(up) and not self._await_move(up):
                self._fail(_gateway_problem(504, self.what, "did not accept a connection"))
            return
        except OSError as exc:
            self.task = None
            if self._elsewhere(up) or self._await_move(up):
                return
            detail = f"is not reachable ({exc.strerror or exc})"
            self._fail(_gateway_problem(502, self.what, detail))
            return
        self.task = None
        if self.phase >= RESPONDED:
            self.ctx.pool.put(conn)
            return
        self._attach(conn)

    def _elsewhere(self, up: Upstream) -> bool:
        """*up*, a replica, took no connection (nothing was sent): try a new session (or a
        request of none) on another replica; True when it goes on there."""
        pick = self.pick
        if pick is None or pick.upstream is not up or self.phase is not AWAITING_RESPONSE:
            return False
        other = self.ctx.replicas.refused(self.what, pick)
        if other is None:
            return False
        self._cookie_for(self.ctx.routes.target_for(self.what), other)
        self.up = other
        self.task = self.ctx.loop.create_task(self._connect(other))
        return True

    def _await_move(self, up: Upstream) -> bool:
        """*up*, the one upstream of a space whose control plane watches it, took no
        connection (nothing was sent): hold the request until the space's route changes
        (router/moving.py), once; True when it waits."""
        if (
            self.moved
            or self.pick is not None
            or self.phase is not AWAITING_RESPONSE
            or not self.what
            or not watched(self.ctx.routes, self.what, up.key)
        ):
            return False
        self.moved = True
        self.task = self.ctx.loop.create_task(self._after_move(up))
        return True

    async def _after_move(self, up: Upstream) -> None:
        moved = await until_moved(self.ctx.routes, self.what, up.key)
        self.task = None
        if self.phase is ABORTED:
            return
        if not moved:
            self._fail(_gateway_problem(502, self.what, "is not reachable"))
            return
        self._end_stream()  # dispatched again: the space's count is taken again there
        self._dispatch(self.ctx.route(self.req.host, self.req.target.decode("latin-1")))

    def _remember_event(self, answer: bytearray) -> None:
        """A replica answered with a new queue event: its later requests go there."""
        self.capture = None
        key = answer_event(answer)
        if key is not None and self.up is not None:
            self.ctx.replicas.bind(self.what, key, self.up)

    def _ask_another(self) -> bool:
        """The replica asked for a file has none: ask the next one (a GET or HEAD without a
        body, safe to send again); True when it goes on there."""
        pick = self.pick
        if not self.probe_file or pick is None or not self.request_done:
            return False
        other = self.ctx.replicas.another(self.what, pick)
        if other is None:
            return False
        conn, self.upstream = self.upstream, None
        if conn is not None:
            conn.close()  # the rest of its answer is dropped with it
        self.up = other
        self.task = self.ctx.loop.create_task(self._connect(other))
        return True

    def _attach(self, conn: UpstreamConnection) -> None:
        self.upstream = conn
        conn.listener = self
        if self.client.write_paused:
            conn.pause_reading()
        if self.pending:
            conn.write(b"".join([self.head, *self.pending]))
            self.pending = []
            self.pending_size = 0
            self.client.resume_reading(self.client.BUFFER)
        else:
            conn.write(self.head)

    # -- request body --------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        if self.upstream is not None:
            self.upstream.write(data)
            return
        self.pending.append(data)
        self.pending_size += len(data)
        if self.pending_size > MAX_PENDING:
            self.client.pause_reading(self.client.BUFFER)

    def on_request_body(self, body: bytes) -> None:
        """A piece of the request body (de-chunked by the parser)."""
        if self.discard or self.phase >= RESPONDED:
            return
        if self.req.chunked:
            self._send(b"".join((b"%x\r\n" % len(body), body, b"\r\n")))
        else:
            self._send(body)
        peek = self.peek
        if peek is not None and len(peek) < PEEK_LIMIT:
            peek += body[: PEEK_LIMIT - len(peek)]
            if len(peek) >= PEEK_LIMIT and self.deferred is not None:
                self._resolve()  # too big to look into: the default choice

    def on_request_end(self) -> None:
        """The request (head and body) is complete."""
        self.request_done = True
        if self.req.chunked and not (self.discard or self.phase >= RESPONDED):
            self._send(_LAST_CHUNK)
        if self.deferred is not None:
            self._resolve()
        if self.phase >= RESPONDED:
            self._complete()

    # -- upstream listener ---------------------------------------------------------------------

    def on_response_head(
        self, status: int, reason: bytes, headers: list[tuple[bytes, bytes]], keep_alive: bool
    ) -> None:
        """The upstream's response head (or an interim 1xx head)."""
        req = self.req
        if self.phase is not AWAITING_RESPONSE:
            self.upstream_keep_alive = False
            return
        if status < 200 and status != 101:
            self._interim_head(status, reason, headers)
            return
        if status == 101 and not req.upgrade:
            return
        if status in _NOT_HERE and self.probe_file and self._ask_another():
            return
        if status != 200:
            self.capture = None
        body = response_body(req.method, status, headers)  # raises FramingError: a 502
        self.upstream_keep_alive = keep_alive and self._poolable(body)
        connection = self._frame_out(body, status)
        if self.up is self.ctx.control and status in (200, 206) and req.method == b"GET":
            value = next((v for n, v in headers if n == FILE_HEADER), None)
            if value is not None:
                self._hand_off(status, reason, headers, value, connection)
                return
        space = self.space
        if self.set_cookie:
            space = SpaceHeaders(space.drop, space.extra + self.set_cookie, space.cookies)
        self.out.append(
            response_head(
                status,
                reason,
                headers,
                space,
                chunked=self.body_out is RECHUNK,
                connection=connection,
                upgrade=status == 101,
                length=body.length,
            )
        )
        self.phase = STREAMING_RESPONSE
        if req.method == b"HEAD":
            self.body_out = NO_BODY

    def _interim_head(self, status: int, reason: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        """A 1xx head: relayed to an HTTP/1.1 client; its (empty) message is skipped."""
        self.interim = True
        if self.req.http_11:
            self.continued = True
            self.out.append(
                response_head(
                    status, reason, headers, NO_SPACE_HEADERS, chunked=False, connection=b""
                )
            )

    def _poolable(self, body: ResponseBody) -> bool:
        """Whether the upstream connection may be pooled after this response, as far as known
        at its head: only if the request was sent whole before the response began (an early
        answer may leave the body unread upstream) and, from a space, a HEAD answer announced
        no body it could still send (the control plane is trusted not to)."""
        req = self.req
        return self.request_done and not (
            req.method == b"HEAD" and body.announced and self.up is not self.ctx.control
        )

    def _frame_out(self, body: ResponseBody, status: int) -> bytes:
        """Decide how the response goes out to the client (re-chunked, close-delimited, or
        closing after it) and return its ``Connection`` value."""
        req = self.req
        self.body_in = body.kind
        if body.kind in _OPEN_ENDED:
            if req.http_11:
                self.body_out = RECHUNK
            else:
                self.close_after = True
        if (req.upgrade and status != 101) or (req.expect_continue and not self.request_done):
            self.close_after = True
        return b"close" if self.close_after else b"" if req.http_11 else b"keep-alive"

    def _hand_off(
        self,
        status: int,
        reason: bytes,
        headers: list[tuple[bytes, bytes]],
        value: bytes,
        connection: bytes,
    ) -> None:
        """The control plane handed a file off: send its head now, its bytes from the file once
        the upstream's (empty) response is over."""
        f = open_handoff(value, self.ctx.handoff_root)
        if f is None:
            self._fail(
                Problem(
                    404,
                    "not_found",
                    "The file changed while it was requested.",
                    "Retry the download.",
                )
            )
            return
        self.file = f
        self.body_out = FROM_FILE
        self.out.append(
            response_head(
                status,
                reason,
                headers,
                NO_SPACE_HEADERS,
                chunked=False,
                connection=connection,
                length=f.count,
            )
        )
        self.phase = STREAMING_RESPONSE

    def on_response_body(self, body: bytes) -> None:
        """A piece of the response body (de-chunked by the parser)."""
        if self.phase >= RESPONDED or self.interim:
            return
        capture = self.capture
        if capture is not None and len(capture) < _EVENT_ANSWER_LIMIT:
            capture += body[: _EVENT_ANSWER_LIMIT - len(capture)]
        body_out = self.body_out
        if body_out is COPY:
            self.out.append(body)
        elif body_out is RECHUNK:
            self.out += (b"%x\r\n" % len(body), body, b"\r\n")

    def on_response_end(self) -> None:
        """The upstream's response (or an interim 1xx) is complete."""
        if self.interim:
            self.interim = False
            return
        if self.phase >= RESPONDED:
            return
        if self.body_out is FROM_FILE:
            self.file_ready = True
            return
        if self.body_out is RECHUNK:
            self.out.append(_LAST_CHUNK)
        self.phase = RESPONDED
        if self.capture is not None:
            self._remember_event(self.capture)

    def after_feed(self) -> None:
        """The parser consumed one read from the upstream: send what it produced."""
        if self.body_out is NO_BODY and self.phase is STREAMING_RESPONSE:
            # The parser does not know the request was HEAD and would wait for the body that
            # Content-Length announces; the response is complete with its head.
            self.phase = RESPONDED
            if self.upstream is not None:
                self.upstream.reset_parser()
        out = self.out
        if out:
            self.client.write(out[0] if len(out) == 1 else b"".join(out))
            out.clear()
        if self.file_ready and self.file is not None:
            self.file_ready = False
            self._release_upstream()
            self.task = self.ctx.loop.create_task(self._file_body(self.file))
        elif self.phase >= RESPONDED:
            self._release_upstream()
            self._complete()

    async def _file_body(self, f: OpenFile) -> None:
        self._file_sent(await send_file(self.client, f))

    def _file_sent(self, whole: bool) -> None:
        """A file body (handed off or static) was written: whole, or cut short because the file
        shrank (then the client must not take it as complete)."""
        self.task = None
        if not whole:
            self._abort_client()
            return
        self.phase = RESPONDED
        self._complete()

    def on_upgraded(self, tail: bytes) -> None:
        """The upstream switched protocols (101): from now on the connections are spliced."""
        conn = self.upstream
        if conn is None or not self.req.upgrade or self.phase is AWAITING_RESPONSE:
            self.on_upstream_invalid()
            return
        self._flush()
        self.upstream = None
        self.phase = UPGRADED
        if self.what:  # an open websocket keeps its space awake until the tunnel closes
            if not self.busy_space:
                self.ctx.activity.opened(self.what)
            self.busy_space = ""  # the tunnel holds this exchange's count from now on
            self.client.tunnel_space = self.what
        self.client.start_tunnel(conn, tail)

    def on_upstream_invalid(self) -> None:
        """The upstream sent something that is not HTTP/1.1."""
        self._release_upstream(reuse=False)
        if self.phase is not AWAITING_RESPONSE:
            self._abort_client()
        else:
            self._fail(_gateway_problem(502, self.what, "sent an invalid response"))

    def on_upstream_lost(self, conn: UpstreamConnection) -> None:
        """The upstream connection closed while this exchange used it."""
        self.upstream = None
        if self.phase >= RESPONDED:
            self._end_stream()
            return
        if self.phase is AWAITING_RESPONSE:
            # A pooled connection may have been closed by the app just as it was reused; a
            # request without a body is safe to send again once, on a fresh connection.
            if conn.reused and not conn.received and self._retryable() and self.up is not None:
                self.retried = True  # still in flight: it stays counted
                self.task = self.ctx.loop.create_task(self._connect(self.up))
                return
            self._fail(_gateway_problem(502, self.what, "closed the connection"))
            return
        self._end_stream()
        if self.body_in is BodyKind.UNTIL_CLOSE and self.body_out is not FROM_FILE:
            if self.body_out is RECHUNK:
                self.out.append(_LAST_CHUNK)
            self.phase = RESPONDED
            self.upstream_keep_alive = False
            self._flush()
            self._complete()
            return
        self._abort_client()

    def pause_source(self) -> None:
        """The upstream's write buffer is full: stop reading the request body."""
        self.client.pause_reading(self.client.UPSTREAM)

    def resume_source(self) -> None:
        """The upstream's write buffer drained."""
        self.client.resume_reading(self.client.UPSTREAM)

    # -- client side ---------------------------------------------------------------------------

    def pause_sink(self) -> None:
        """The client's write buffer is full: stop reading the response."""
        if self.upstream is not None:
            self.upstream.pause_reading()

    def resume_sink(self) -> None:
        """The client's write buffer drained."""
        if self.upstream is not None:
            self.upstream.resume_reading()

    def awaits_continue(self) -> bool:
        """The client waits for ``100 Continue`` before sending the body (not its delay)."""
        return self.req.expect_continue and not self.continued and self.phase is AWAITING_RESPONSE

    def refuse(self, problem: Problem) -> None:
        """The client broke or stalled this request's body: answer *problem* where a response
        can still be sent, drop the upstream side (never pooled) and close the connection."""
        self.close_after = True
        self.deferred = None
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self._release_upstream(reuse=False)
        if self.phase is not AWAITING_RESPONSE:
            self._abort_client()
            return
        self._prepare_local()
        accept = self.req.accept or "application/json"  # a client error: JSON unless asked
        head_only = self.req.method == b"HEAD"
        self._local(problem_response(problem, accept=accept, close=True, head_only=head_only))

    def abort(self) -> None:
        """The client went away: drop the upstream side."""
        self.phase = ABORTED
        self.deferred = None
        self._end_stream()
        if self.file is not None:
            self.file.close()
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self._release_upstream(reuse=False)

    # -- completion ----------------------------------------------------------------------------

    def _retryable(self) -> bool:
        req = self.req
        return (
            not self.retried and req.method in _RETRYABLE and not req.chunked and req.length is None
        )

    def _flush(self) -> None:
        out = self.out
        if out:
            self.client.write(out[0] if len(out) == 1 else b"".join(out))
            out.clear()

    def _end_stream(self) -> None:
        """The exchange is no longer in flight for its space (done, failed or aborted)."""
        if self.busy_space:
            self.ctx.activity.closed(self.busy_space)
            self.busy_space = ""

    def _release_upstream(self, reuse: bool = True) -> None:
        self._end_stream()
        conn, self.upstream = self.upstream, None
        if conn is None:
            return
        if not self.request_done:
            # The upstream answered before reading the whole body (e.g. 413 from the
            # Content-Length alone) and may have stopped reading: the rest of the body is
            # dropped from now on, so the client, paused by that upstream's full buffer, must be
            # read again, or a client that reads only after sending (requests, http.client)
            # never sees the answer.
            self.client.resume_reading(self.client.UPSTREAM)
        if reuse and self.upstream_keep_alive and self.request_done and not conn.closed:
            self.ctx.pool.put(conn)
        else:
            conn.close()

    def _complete(self) -> None:
        if self.phase >= DONE:
            return
        if not self.request_done and not self.close_after:
            # Wait for (and drop) the rest of the request body, so the connection stays usable.
            return
        self.phase = DONE
        self.client.exchange_done(close=self.close_after or not self.request_done)

    def _abort_client(self) -> None:
        if self.file is not None:
            self.file.close()
        self._flush()
        self.phase = CUT
        self.client.close()

    def _fail(self, problem: Problem) -> None:
        self._release_upstream(reuse=False)
        if self.phase is not AWAITING_RESPONSE:
            self._abort_client()
            return
        self._local(self._problem(problem))

    def _problem(self, problem: Problem) -> bytes:
        self._prepare_local()
        return problem_response(
            problem,
            accept=self.req.accept,
            close=self.close_after,
            head_only=self.req.method == b"HEAD",
        )

    def _prepare_local(self) -> None:
        self.discard = True
        self.pending = []
        self.pending_size = 0
        self.client.resume_reading(self.client.BUFFER)
        if self.req.upgrade or (self.req.expect_continue and not self.request_done):
            self.close_after = True

    def _local(self, data: bytes) -> None:
        self.client.write(data)
        self.phase = RESPONDED
        self._complete()

    # -- static spaces -------------------------------------------------------------------------

    def _static(self, root: str, m: Match) -> None:
        self._prepare_local()
        req = self.req
        answer = static_answer(
            root, m, req.method, req.if_none_match, close=self.close_after, extra=self.space.extra
        )
        if isinstance(answer, Problem):
            self._local(self._problem(answer))
        elif isinstance(answer, StaticStream):
            self.task = self.ctx.loop.create_task(self._stream_file(answer))
        else:
            self._local(answer)

    async def _stream_file(self, stream: StaticStream) -> None:
        f = stream.file
        opened = open_range(f.path, 0, f.size)
        if opened is None:
            self.task = None
            self._local(self._problem(NOT_FOUND))
            return
        self.client.write(stream.head)
        self.phase = STREAMING_RESPONSE
        self._file_sent(await send_file(self.client, opened))
