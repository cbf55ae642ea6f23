"""The GPU broker's logic: which waiting call of which shared-GPU space gets a GPU next, and for
how long. Pure: no I/O, no threads; the clock is injected. The transport
(:mod:`spacehost.server.broker`) feeds it requests, releases and disconnects, calls :meth:`tick`
when :meth:`next_deadline` comes, and delivers the events it returns.

Rules (docs/gpu.md, "Sharing GPUs"):

- **Leases**: a call asks for a lease; a lease is one *slot* of one device (``slots_per_device``
  slots each; 1 means the calls on a device are serialised). A space holds at most ``per_space``
  leases at once.
- **Fair queue**: when a slot frees, the space whose call was served least recently among the
  spaces with waiting calls (and under their limit) goes first; within a space, calls go in
  arrival order (FIFO). So one busy space cannot starve the others: with two spaces waiting,
  grants alternate between them.
- **Duration**: a call asks for a duration (its ``@spaces.GPU(duration=...)``), clipped to
  ``max_duration_s``. The lease expires ``grace_s`` after that: the broker takes it back and
  gives the slot to the next call (the in-container decorator aborts the call at ``duration``).
- **Waiting**: a call that waited ``max_wait_s`` without a lease is refused.
- **Crash safety**: every ticket belongs to a connection; :meth:`disconnect` drops them all,
  so a container that dies gives its leases back.
- **Jobs first**: a device a GPU job holds (*blocked*, from the GPU ledger, gpuledger.py) is
  not leased; calls wait for another device, and the broker looks again every
  ``BLOCKED_RECHECK_S`` while one is blocked (a job's end is not told to it).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, deque
from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

HISTORY_KEPT = 200
BLOCKED_RECHECK_S = 1.0


def _none_blocked() -> Collection[str]:
    return ()


@dataclass(frozen=True)
class BrokerLimits:
    """How the broker shares its devices.

    Attributes:
        devices: the ids handed out in leases (``"0"``, ``"1"``, ...: GPU indexes; ``"cpu"`` for
            CPU leases on a host without GPUs).
        slots_per_device: leases one device holds at once.
        per_space: leases one space holds at once.
        default_duration_s: a call's duration when it names none (Hugging Face's is 60 s).
        max_duration_s: the longest duration a call gets; longer requests are clipped.
        grace_s: time after a lease's duration before the broker takes it back.
        max_wait_s: a call waiting longer than this for a lease is refused.
        memory_fraction: the share of a device's memory a lease may use (sent to the call,
            which caps PyTorch's allocator with it); ``None``: ``1 / slots_per_device``.
    """

    devices: tuple[str, ...] = ("0",)
    slots_per_device: int = 1
    per_space: int = 1
    default_duration_s: float = 60.0
    max_duration_s: float = 300.0
    grace_s: float = 5.0
    max_wait_s: float = 600.0
    memory_fraction: float | None = None

    def __post_init__(self) -> None:
        if not self.devices or self.slots_per_device < 1 or self.per_space < 1:
            raise ValueError("a broker needs a device, and at least one slot and lease a space")
        if not 0 < self.default_duration_s <= self.max_duration_s:
            raise ValueError("need 0 < default duration <= max duration")

    @property
    def fraction(self) -> float:
        return self.memory_fraction or 1.0 / self.slots_per_device


@dataclass
class Ticket:
    """One call's request for a lease, waiting or granted."""

    id: int
    space: str
    conn: Hashable
    name: str
    duration_s: float
    asked_at: float
    clipped: bool = False
    position: int = 0  # 1-based place in the queue while waiting; 0 once granted
    granted_at: float | None = None
    device: str | None = None

    @property
    def deadline(self) -> float | None:
        """When a granted lease's duration ends (the broker takes it back ``grace_s`` later)."""
        return None if self.granted_at is None else self.granted_at + self.duration_s


# Events: what the transport tells the connection that owns ``ticket``.


@dataclass(frozen=True)
class Queued:
    """The call waits; ``position`` 1 is served next (an estimate: leases end when they end)."""

    conn: Hashable
    ticket: int
    position: int


@dataclass(frozen=True)
class Granted:
    """The call may run now, on ``device``, for ``duration_s`` seconds."""

    conn: Hashable
    ticket: int
    device: str
    duration_s: float
    memory_fraction: float
    waited_s: float
    clipped: bool


@dataclass(frozen=True)
class Expired:
    """The lease ran past its duration and grace time and was taken back."""

    conn: Hashable
    ticket: int
    held_s: float


@dataclass(frozen=True)
class Refused:
    """The request was turned down (it waited too long)."""

    conn: Hashable
    ticket: int
    message: str


Event = Queued | Granted | Expired | Refused


@dataclass
class _Space:
    waiting: deque[Ticket] = field(default_factory=deque)
    active: int = 0
    served_stamp: int = 0  # when this space was last granted a lease (0: never)


class GpuBroker:
    """Hands out GPU leases fairly; see the module docstring for the rules.

    Args:
        limits: devices, slots and limits.
        clock: monotonic seconds (injected by tests).
        blocked: the devices not to lease now (GPU jobs hold them); called on every dispatch,
            so it must answer at once.
    """

    def __init__(
        self,
        limits: BrokerLimits,
        clock: Callable[[], float] = time.monotonic,
        blocked: Callable[[], Collection[str]] = _none_blocked,
    ):
        self.limits = limits
        self._clock = clock
        self._blocked = blocked
        self._ids = itertools.count(1)
        self._stamps = itertools.count(1)
        self._spaces: dict[str, _Space] = {}
        self._tickets: dict[int, Ticket] = {}
        self._device_load: dict[str, int] = dict.fromkeys(limits.devices, 0)
        self._history: deque[dict[str, Any]] = deque(maxlen=HISTORY_KEPT)
        self._counts: Counter[str] = Counter()

    # requests ----------------------------------------------------------------------------

    def request(
        self, space: str, conn: Hashable, *, duration_s: float | None = None, name: str = ""
    ) -> tuple[int, list[Event]]:
        """Queue a call of *space* (made over *conn*) for a lease.

        Args:
            space: the space's id (``owner/name``): the transport knows it from the socket the
                call came in on, never from the call itself.
            conn: the connection the call came over; :meth:`disconnect` drops its tickets.
            duration_s: the call's duration; ``None`` or <= 0: the default; clipped to the max.
            name: the decorated function's name, for logs.

        Returns:
            The ticket id, and the events to deliver (the grant, when a slot is free now, or
            the call's queue position).
        """
        limits = self.limits
        wanted = duration_s if duration_s and duration_s > 0 else limits.default_duration_s
        ticket = Ticket(
            id=next(self._ids),
            space=space,
            conn=conn,
            name=name,
            duration_s=min(wanted, limits.max_duration_s),
            clipped=wanted > limits.max_duration_s,
            asked_at=self._clock(),
        )
        self._tickets[ticket.id] = ticket
        self._spaces.setdefault(space, _Space()).waiting.append(ticket)
        self._counts["requested"] += 1
        return ticket.id, self._dispatch()

    def release(self, ticket_id: int) -> list[Event]:
        """The call is done (or gave up waiting): free its lease or drop it from the queue."""
        ticket = self._tickets.get(ticket_id)
        if ticket is None:
            return []
        self._finish(ticket, "released" if ticket.granted_at is not None else "cancelled")
        return self._dispatch()

    def disconnect(self, conn: Hashable) -> list[Event]:
        """*conn* closed (the call ended, or its container died): drop all its tickets."""
        for ticket in [t for t in self._tickets.values() if t.conn == conn]:
            outcome = "disconnected" if ticket.granted_at is not None else "cancelled"
            self._finish(ticket, outcome)
        return self._dispatch()

    def tick(self) -> list[Event]:
        """Take back leases past their deadline and refuse calls that waited too long."""
        now = self._clock()
        events: list[Event] = []
        for ticket in list(self._tickets.values()):
            deadline = ticket.deadline
            if deadline is not None and now >= deadline + self.limits.grace_s:
                assert ticket.granted_at is not None
                events.append(Expired(ticket.conn, ticket.id, now - ticket.granted_at))
                self._finish(ticket, "expired")
            elif ticket.granted_at is None and now - ticket.asked_at >= self.limits.max_wait_s:
                events.append(
                    Refused(
                        ticket.conn,
                        ticket.id,
                        f"no GPU became free within {self.limits.max_wait_s:g} s "
                        f"({self._waiting_count()} calls waiting)",
                    )
                )
                self._finish(ticket, "refused")
        return events + self._dispatch()

    def next_deadline(self) -> float | None:
        """The clock time of the next expiry or wait limit, or of the next look at blocked
        devices while calls wait (``None``: nothing pending)."""
        times = [
            t.deadline + self.limits.grace_s
            if t.deadline is not None
            else t.asked_at + self.limits.max_wait_s
            for t in self._tickets.values()
        ]
        if self._waiting_count() and self._blocked():
            times.append(self._clock() + BLOCKED_RECHECK_S)
        return min(times, default=None)

    # state -------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The broker's state, JSON-ready: devices with their leases, the queue in the order
        it would be served, per-space counts, totals, and the last leases (``history``)."""
        now = self._clock()
        leases = [t for t in self._tickets.values() if t.granted_at is not None]
        waiting = self._order()
        return {
            "devices": [
                {"id": d, "slots": self.limits.slots_per_device, "leases": self._device_load[d]}
                for d in self.limits.devices
            ],
            "limits": {
                "per_space": self.limits.per_space,
                "default_duration_s": self.limits.default_duration_s,
                "max_duration_s": self.limits.max_duration_s,
                "grace_s": self.limits.grace_s,
                "max_wait_s": self.limits.max_wait_s,
                "memory_fraction": self.limits.fraction,
            },
            "leases": [
                {
                    "ticket": t.id,
                    "space": t.space,
                    "name": t.name,
                    "device": t.device,
                    "held_s": round(now - (t.granted_at or now), 3),
                    "duration_s": t.duration_s,
                }
                for t in sorted(leases, key=lambda t: t.granted_at or 0.0)
            ],
            "queue": [
                {
                    "ticket": t.id,
                    "space": t.space,
                    "name": t.name,
                    "position": i,
                    "waiting_s": round(now - t.asked_at, 3),
                }
                for i, t in enumerate(waiting, start=1)
            ],
            "totals": dict(self._counts),
            "history": list(self._history),
        }

    def space_status(self, space: str) -> dict[str, Any]:
        """One space's part of :meth:`snapshot`: its leases and its waiting calls."""
        snap = self.snapshot()
        return {
            "leases": [x for x in snap["leases"] if x["space"] == space],
            "queue": [x for x in snap["queue"] if x["space"] == space],
        }

    def finished(self, ticket_id: int) -> dict[str, Any] | None:
        """The history record of a ticket that ended (``None``: it did not, or is forgotten)."""
        return next((r for r in reversed(self._history) if r["ticket"] == ticket_id), None)

    # internals ---------------------------------------------------------------------------

    def _finish(self, ticket: Ticket, outcome: str) -> None:
        del self._tickets[ticket.id]
        state = self._spaces[ticket.space]
        now = self._clock()
        if ticket.granted_at is None:
            state.waiting.remove(ticket)
        else:
            state.active -= 1
            assert ticket.device is not None
            self._device_load[ticket.device] -= 1
        self._counts[outcome] += 1
        self._history.append(
            {
                "ticket": ticket.id,
                "space": ticket.space,
                "name": ticket.name,
                "device": ticket.device,
                "outcome": outcome,
                "asked_at": round(ticket.asked_at, 6),
                "granted_at": None if ticket.granted_at is None else round(ticket.granted_at, 6),
                "ended_at": round(now, 6),
                "waited_s": round((ticket.granted_at or now) - ticket.asked_at, 6),
                "held_s": None if ticket.granted_at is None else round(now - ticket.granted_at, 6),
            }
        )

    def _dispatch(self) -> list[Event]:
        """Grant every free slot to the next eligible call, then report new queue positions."""
        events: list[Event] = []
        while (device := self._free_device()) is not None:
            space = self._next_space(eligible_only=True)
            if space is None:
                break
            events.append(self._grant(space, device))
        return events + self._positions()

    def _free_device(self) -> str | None:
        blocked = self._blocked()
        free = [
            d
            for d in self.limits.devices
            if self._device_load[d] < self.limits.slots_per_device and d not in blocked
        ]
        # the least loaded device; the lowest id on a tie (devices are listed in id order)
        return min(free, key=lambda d: self._device_load[d], default=None)

    def _next_space(self, *, eligible_only: bool) -> str | None:
        candidates = [
            (state.served_stamp, state.waiting[0].asked_at, state.waiting[0].id, name)
            for name, state in self._spaces.items()
            if state.waiting and (not eligible_only or state.active < self.limits.per_space)
        ]
        return min(candidates)[3] if candidates else None

    def _grant(self, space: str, device: str) -> Granted:
        state = self._spaces[space]
        ticket = state.waiting.popleft()
        now = self._clock()
        ticket.granted_at, ticket.device, ticket.position = now, device, 0
        state.active += 1
        state.served_stamp = next(self._stamps)
        self._device_load[device] += 1
        self._counts["granted"] += 1
        return Granted(
            ticket.conn,
            ticket.id,
            device,
            ticket.duration_s,
            self.limits.fraction,
            now - ticket.asked_at,
            ticket.clipped,
        )

    def _order(self) -> list[Ticket]:
        """Waiting tickets in the order they would be served if slots freed one at a time
        (per-space limits aside): the same least-recently-served rule as the grants."""
        queues = {n: deque(s.waiting) for n, s in self._spaces.items() if s.waiting}
        stamps = {n: self._spaces[n].served_stamp for n in queues}
        order: list[Ticket] = []
        step = itertools.count(10**12)  # later than any real stamp
        while queues:
            name = min(queues, key=lambda n: (stamps[n], queues[n][0].asked_at, queues[n][0].id))
            order.append(queues[name].popleft())
            stamps[name] = next(step)
            if not queues[name]:
                del queues[name]
        return order

    def _positions(self) -> list[Event]:
        events: list[Event] = []
        for position, ticket in enumerate(self._order(), start=1):
            if ticket.position != position:
                ticket.position = position
                events.append(Queued(ticket.conn, ticket.id, position))
        return events

    def _waiting_count(self) -> int:
        return sum(len(s.waiting) for s in self._spaces.values())


def held_by(events: Iterable[Event]) -> list[int]:
    """The tickets granted by *events*, in order (a helper for logs and tests)."""
    return [e.ticket for e in events if isinstance(e, Granted)]
