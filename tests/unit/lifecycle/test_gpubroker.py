"""The GPU broker's rules with an injected clock: fairness, limits, expiry, disconnects,
queue positions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spacehost.lifecycle.gpubroker import (
    BrokerLimits,
    Expired,
    GpuBroker,
    Granted,
    Queued,
    Refused,
    held_by,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def broker(**limits: object) -> tuple[GpuBroker, Clock]:
    clock = Clock()
    return GpuBroker(BrokerLimits(**limits), clock=clock), clock  # type: ignore[arg-type]


def granted(events: list[object]) -> list[Granted]:
    return [e for e in events if isinstance(e, Granted)]


def test_first_call_gets_the_free_gpu_at_once() -> None:
    b, _ = broker()
    ticket, events = b.request("a/x", "c1", duration_s=30, name="gen")
    [grant] = granted(events)
    assert (grant.ticket, grant.device, grant.duration_s, grant.conn) == (ticket, "0", 30, "c1")
    assert grant.waited_s == 0 and grant.memory_fraction == 1.0
    assert b.snapshot()["leases"][0]["space"] == "a/x"


def test_one_slot_serialises_calls_and_release_hands_over() -> None:
    b, clock = broker()
    t1, _ = b.request("a/x", "c1")
    t2, events = b.request("a/x", "c2")
    assert granted(events) == [] and events == [Queued("c2", t2, 1)]
    clock.now += 2.5
    events = b.release(t1)
    [grant] = granted(events)
    assert grant.ticket == t2 and grant.waited_s == pytest.approx(2.5)


def test_round_robin_between_spaces_fifo_within_a_space() -> None:
    b, clock = broker()
    holder, _ = b.request("z/hold", "h")
    order = []
    for i in range(3):  # a/x queues three calls before b/y asks once
        clock.now += 0.1
        order.append(b.request("a/x", f"a{i}")[0])
    clock.now += 0.1
    b_first, _ = b.request("b/y", "b0")
    clock.now += 0.1
    b_second, _ = b.request("b/y", "b1")
    served = []
    events = b.release(holder)
    while True:
        grants = held_by(events)
        if not grants:
            break
        served += grants
        events = b.release(grants[0])
    # alternating between the two spaces, each space's calls in arrival order
    assert served == [order[0], b_first, order[1], b_second, order[2]]


def test_a_space_that_was_just_served_waits_behind_one_that_was_not() -> None:
    b, clock = broker()
    t1, _ = b.request("a/x", "a0")
    clock.now += 1
    t2, _ = b.request("a/x", "a1")  # a/x again, asked first
    clock.now += 1
    t3, _ = b.request("b/y", "b0")  # b/y never served
    assert held_by(b.release(t1)) == [t3]
    assert held_by(b.release(t3)) == [t2]


def test_queue_positions_follow_the_serving_order_and_update() -> None:
    b, _ = broker()
    holder, _ = b.request("z/hold", "h")
    a1, _ = b.request("a/x", "a1")
    a2, _ = b.request("a/x", "a2")
    b1, events = b.request("b/y", "b1")
    # b/y was never served, a/x neither: a1 asked first, then b1 jumps a2 (round robin)
    positions = {x["ticket"]: x["position"] for x in b.snapshot()["queue"]}
    assert positions == {a1: 1, b1: 2, a2: 3}
    assert Queued("b1", b1, 2) in events and Queued("a2", a2, 3) in events
    events = b.release(holder)
    assert held_by(events) == [a1]
    assert Queued("b1", b1, 1) in events and Queued("a2", a2, 2) in events


def test_positions_are_sent_only_when_they_change() -> None:
    b, _ = broker()
    b.request("z/hold", "h")
    first, _ = b.request("a/x", "a1")
    _, events = b.request("a/x", "a2")
    assert [e for e in events if isinstance(e, Queued) and e.ticket == first] == []


def test_per_space_limit_lets_another_space_use_a_free_slot() -> None:
    b, _ = broker(slots_per_device=2, per_space=1)
    a1, e1 = b.request("a/x", "a1")
    a2, e2 = b.request("a/x", "a2")
    assert held_by(e1) == [a1] and held_by(e2) == []  # a/x is at its limit; a slot stays free
    b1, e3 = b.request("b/y", "b1")
    assert held_by(e3) == [b1]
    assert held_by(b.release(a1)) == [a2]


def test_two_leases_per_space_when_allowed_and_half_the_memory_each() -> None:
    b, _ = broker(slots_per_device=2, per_space=2)
    grants = granted(b.request("a/x", "a1")[1] + b.request("a/x", "a2")[1])
    assert len(grants) == 2 and {g.memory_fraction for g in grants} == {0.5}


def test_leases_spread_over_devices() -> None:
    b, _ = broker(devices=("0", "1"), per_space=4)
    devices = [granted(b.request("a/x", f"c{i}")[1])[0].device for i in range(2)]
    assert devices == ["0", "1"]
    _, events = b.request("a/x", "c3")
    assert granted(events) == []


def test_a_gpu_a_job_holds_is_not_leased_and_calls_wait_until_it_is_free() -> None:
    """GPU jobs and shared-GPU spaces share the GPUs (gpuledger.py): jobs come first."""
    clock, held = Clock(), {"0"}
    b = GpuBroker(BrokerLimits(devices=("0", "1")), clock=clock, blocked=lambda: held)
    [first] = granted(b.request("a/x", "c1")[1])
    assert first.device == "1"  # not the job's GPU 0
    ticket, events = b.request("b/y", "c2")
    assert events == [Queued("c2", ticket, 1)] and b.next_deadline() == clock.now + 1.0
    held.clear()  # the job ended: told to nobody, seen at the next look
    clock.now += 1.0
    [second] = granted(b.tick())
    assert (second.ticket, second.device) == (ticket, "0")


def test_duration_defaults_and_is_clipped() -> None:
    b, _ = broker(default_duration_s=60, max_duration_s=120, slots_per_device=3, per_space=3)
    [g1] = granted(b.request("a/x", "c1")[1])
    [g2] = granted(b.request("a/x", "c2", duration_s=500)[1])
    [g3] = granted(b.request("a/x", "c3", duration_s=0)[1])
    assert (g1.duration_s, g1.clipped) == (60, False)
    assert (g2.duration_s, g2.clipped) == (120, True)
    assert g3.duration_s == 60


def test_an_overrunning_lease_expires_after_its_grace_time_and_the_next_call_runs() -> None:
    b, clock = broker(grace_s=5)
    t1, _ = b.request("a/x", "c1", duration_s=10)
    t2, _ = b.request("b/y", "c2")
    assert b.next_deadline() == pytest.approx(clock.now + 15)
    clock.now += 14.9
    assert b.tick() == []
    clock.now += 0.1
    events = b.tick()
    assert isinstance(events[0], Expired) and events[0].ticket == t1
    assert events[0].held_s == pytest.approx(15)
    assert held_by(events) == [t2]
    assert b.snapshot()["history"][-1]["outcome"] == "expired"
    assert b.release(t1) == []  # the late release of an expired lease changes nothing


def test_a_call_that_waits_too_long_is_refused() -> None:
    b, clock = broker(max_wait_s=30, default_duration_s=60, max_duration_s=600, grace_s=0)
    b.request("a/x", "c1")
    t2, _ = b.request("b/y", "c2")
    clock.now += 30
    events = b.tick()
    [refused] = [e for e in events if isinstance(e, Refused)]
    assert refused.ticket == t2 and "within 30 s" in refused.message
    assert b.snapshot()["queue"] == []


def test_disconnect_releases_leases_and_drops_waiting_calls() -> None:
    b, _ = broker()
    b.request("a/x", "dead")
    b.request("a/x", "dead")  # queued behind its own lease
    t3, _ = b.request("b/y", "alive")
    events = b.disconnect("dead")
    assert held_by(events) == [t3]
    snap = b.snapshot()
    assert [x["space"] for x in snap["leases"]] == ["b/y"] and snap["queue"] == []
    assert snap["totals"]["disconnected"] == 1 and snap["totals"]["cancelled"] == 1


def test_cancel_while_waiting_moves_the_others_up() -> None:
    b, _ = broker()
    b.request("z/hold", "h")
    a1, _ = b.request("a/x", "a1")
    a2, _ = b.request("a/x", "a2")
    events = b.release(a1)  # gave up waiting
    assert events == [Queued("a2", a2, 1)]


def test_space_status_and_history() -> None:
    b, clock = broker()
    t1, _ = b.request("a/x", "c1", name="generate")
    b.request("b/y", "c2")
    status = b.space_status("b/y")
    assert status["leases"] == [] and status["queue"][0]["position"] == 1
    clock.now += 3
    b.release(t1)
    [record] = b.snapshot()["history"]
    assert record["name"] == "generate" and record["held_s"] == pytest.approx(3)
    assert record["outcome"] == "released"


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError):
        BrokerLimits(devices=())
    with pytest.raises(ValueError):
        BrokerLimits(default_duration_s=100, max_duration_s=10)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["req", "rel", "drop", "tick"]), st.integers(0, 3), st.floats(0, 20)
        ),
        max_size=60,
    ),
    st.integers(1, 2),
    st.integers(1, 2),
    st.integers(1, 2),
)
def test_invariants_under_random_traffic(
    ops: list[tuple[str, int, float]], devices: int, slots: int, per_space: int
) -> None:
    """Never more leases than slots (per device) or than a space's limit; a free slot is never
    left idle while an eligible call waits; every ticket ends exactly once."""
    b, clock = broker(
        devices=tuple(str(i) for i in range(devices)),
        slots_per_device=slots,
        per_space=per_space,
        default_duration_s=5,
        max_duration_s=5,
        grace_s=1,
        max_wait_s=40,
    )
    tickets: list[int] = []
    for op, who, dt in ops:
        clock.now += dt
        if op == "req":
            tickets.append(b.request(f"s/{who}", f"c{who}")[0])
        elif op == "rel" and tickets:
            b.release(tickets[who % len(tickets)])
        elif op == "drop":
            b.disconnect(f"c{who}")
        else:
            b.tick()
        snap = b.snapshot()
        per_device = {d["id"]: d["leases"] for d in snap["devices"]}
        assert all(n <= slots for n in per_device.values())
        assert sum(per_device.values()) == len(snap["leases"])
        by_space: dict[str, int] = {}
        for lease in snap["leases"]:
            by_space[lease["space"]] = by_space.get(lease["space"], 0) + 1
        assert all(n <= per_space for n in by_space.values())
        free = sum(slots - n for n in per_device.values())
        waiting_eligible = {
            q["space"] for q in snap["queue"] if by_space.get(q["space"], 0) < per_space
        }
        assert not (free and waiting_eligible)
        ended = [h["ticket"] for h in snap["history"]]
        assert len(ended) == len(set(ended))
