"""Builds that are no longer wanted stop, and what a space leaves on disk goes (issue 11: A9,
A11): a newer push cancels the build it supersedes, a delete cancels the build under way
instead of waiting for it, a delete removes the revisions no other space uses and the space's
images, and superseded revisions are pruned beyond SPACEHOST_KEEP_REVISIONS."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.domain import SpaceId, Stage
from spacehost.lifecycle import Platform
from tests.fakes import FakeBackend, FakeBuilder
from tests.support.platforms import fake_settings, platform_in
from tests.support.spacefiles import gradio_files

SPACE = SpaceId("alice", "demo")
OTHER = SpaceId("bob", "copy")
HELD_S = 10.0  # a held build step ends by itself after this (bounded)


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[Platform, FakeBackend, FakeBuilder]]:
    backend, builder = FakeBackend(), FakeBuilder()
    settings = fake_settings(tmp_path, keep_revisions=1)
    with platform_in(tmp_path, backend, builder, settings=settings) as platform:
        yield platform, backend, builder


def hold_first_build(builder: FakeBuilder) -> threading.Event:
    """The first build's step runs until it is cancelled (or HELD_S); returns 'it started'."""
    started = threading.Event()
    calls = []

    def gate() -> None:
        calls.append(1)
        if len(calls) == 1:
            started.set()
            (builder.cancel or threading.Event()).wait(HELD_S)

    builder.gate = gate
    return started


def folders(p: Platform) -> set[str]:
    return {d.name for d in p.files.root.iterdir() if d.is_dir()}


def test_a_newer_push_cancels_the_build_it_supersedes(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, builder = env
    started = hold_first_build(builder)
    first = p.push(SPACE, gradio_files("print('a')"))
    assert started.wait(5)
    second = p.push(SPACE, gradio_files("print('b')"))
    assert p.wait_idle(HELD_S)
    builds = {b.revision: b for b in p.store.builds(SPACE)}
    assert builds[first.revision].status == "cancelled"
    assert f"superseded by revision {second.revision[:12]}" in builds[first.revision].error
    assert builds[second.revision].status == "succeeded"
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.serving_revision == second.revision
    assert not rec.error_message
    assert [c.spec.revision for c in backend.containers.values()] == [second.revision]


def test_delete_cancels_the_build_under_way(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, builder = env
    started = hold_first_build(builder)
    p.push(SPACE, gradio_files())
    assert started.wait(5)
    t0 = time.monotonic()
    p.delete(SPACE)
    assert time.monotonic() - t0 < HELD_S / 2  # it did not wait for the step to end
    assert p.store.find_space(SPACE) is None and not backend.containers
    assert p.wait_idle(HELD_S)


def test_delete_removes_unshared_revisions_and_the_spaces_images(env) -> None:  # type: ignore[no-untyped-def]
    p, _, builder = env
    shared = p.push(SPACE, gradio_files("print('shared')")).revision
    assert p.wait_idle()
    p.push(OTHER, gradio_files("print('shared')"))  # the same files: one folder
    own = p.push(SPACE, gradio_files("print('own')")).revision
    assert p.wait_idle()
    assert {shared, own} <= folders(p)
    p.delete(SPACE)
    assert folders(p) == {shared}  # still OTHER's
    assert (SPACE, ()) in builder.removed_images
    p.delete(OTHER)
    assert folders(p) == set()


def test_superseded_revisions_are_pruned_beyond_the_kept_count(env) -> None:  # type: ignore[no-untyped-def]
    p, _, builder = env
    revisions = []
    for n in range(4):
        revisions.append(p.push(SPACE, gradio_files(f"print({n})")).revision)
        assert p.wait_idle()
    kept = {revisions[-1], revisions[-2]}  # serving + keep_revisions=1 newest other
    assert folders(p) == kept
    assert {rev for rev, _ in p.store.revisions(SPACE)} == kept
    assert builder.removed_images[-1] == (SPACE, tuple(sorted(kept)))
