"""What every RuntimeBackend promises (runtime/base.py), checked on FakeBackend, on the
Docker backend and on the Swarm backend (a live swarm, tests/support/swarm_cluster.py) with the
same assertions, so that the fake the lifecycle's unit tests run on cannot drift from the
engines, and the backends cannot drift from each other.

Each case gets a :class:`Subject`: the backend, plus how to make its app serve, print lines,
exit or run a task (a Docker container runs a command; a fake one is told). Everything else is
the backend's own behaviour. The Docker case is marked ``docker``, the Swarm case ``docker``
and ``swarm``; what only Docker does (uid 1000, limits, GPUs, isolation) is in
test_docker_backend.py, what only Swarm does (its pause is a scale to zero) in
test_swarm_backend.py.
"""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pytest
from docker import DockerClient

from spacehost.domain import SpaceId
from spacehost.errors import Conflict, NotFound
from spacehost.runtime.base import ContainerInfo, ContainerSpec, RuntimeBackend, TaskResult
from spacehost.runtime.docker_backend import DockerBackend
from spacehost.runtime.gpu import GpuHost
from spacehost.runtime.imagepush import ImagePusher
from spacehost.runtime.swarm_backend import SwarmBackend
from tests.fakes import FakeBackend
from tests.support.docker_runtime import (
    RUN_ID,
    exited,
    http_status,
    make_spec,
    remove_test_objects,
    sh,
    space,
)
from tests.support.polling import wait_for
from tests.support.swarm_cluster import SwarmCluster

MISSING = "spacehost-contract-missing-0000"


class Subject(Protocol):
    """A backend under test and how to make its containers' apps do things."""

    backend: RuntimeBackend
    # whether a stopped container keeps its exit code and output: not on Swarm, whose manager
    # removes a scaled-down service's task, and with it its logs, within a second (the platform
    # keeps run logs in its own store, as it follows them)
    keeps_stopped_runs: bool

    def serving(self, name: str = "demo", **changes: object) -> ContainerSpec:
        """A spec whose app answers HTTP 200 on ``/`` until stopped."""
        ...

    def start_printing(self, lines: Sequence[str], name: str = "demo") -> ContainerInfo:
        """Start a container whose app prints *lines* (on every run) and keeps running."""
        ...

    def start_exiting(self, code: int) -> ContainerInfo:
        """Start a container whose app exits with *code* at once."""
        ...

    def task(self, output: str) -> ContainerSpec:
        """A task spec whose command prints *output* and exits 0."""
        ...


@dataclass
class FakeSubject:
    backend: FakeBackend = field(default_factory=FakeBackend)
    keeps_stopped_runs: bool = True

    def serving(self, name: str = "demo", **changes: object) -> ContainerSpec:
        return make_spec(space=space(name), image="fake/contract:1", **changes)

    def start_printing(self, lines: Sequence[str], name: str = "demo") -> ContainerInfo:
        info = self.backend.start(self.serving(name))
        for line in lines:
            self.backend.containers[info.id].write(line)
        return info

    def start_exiting(self, code: int) -> ContainerInfo:
        self.backend.exit_on_start = code
        return self.backend.start(self.serving())

    def task(self, output: str) -> ContainerSpec:
        self.backend.task_result = TaskResult(0, (output,))
        return self.serving()


@dataclass
class DockerSubject:
    backend: DockerBackend
    keeps_stopped_runs: bool = True

    def serving(self, name: str = "demo", **changes: object) -> ContainerSpec:
        return make_spec(space=space(name), **changes)

    def start_printing(self, lines: Sequence[str], name: str = "demo") -> ContainerInfo:
        printf = "printf '%s\\n' " + " ".join(shlex.quote(line) for line in lines)
        return self.backend.start(make_spec(sh(f"{printf}; exec sleep 600"), space=space(name)))

    def start_exiting(self, code: int) -> ContainerInfo:
        return self.backend.start(make_spec(sh(f"exit {code}")))

    def task(self, output: str) -> ContainerSpec:
        return make_spec(sh(f"echo {shlex.quote(output)}"))


@dataclass
class SwarmSubject(DockerSubject):
    """The same commands as Docker's, run by services (the image goes through the registry)."""

    backend: SwarmBackend  # type: ignore[assignment]
    keeps_stopped_runs: bool = False


@pytest.fixture(
    params=[
        "fake",
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("swarm", marks=[pytest.mark.docker, pytest.mark.swarm]),
    ]
)
def subject(request: pytest.FixtureRequest) -> Iterator[Subject]:
    if request.param == "fake":
        fake = FakeSubject()
        yield fake
        for container_id in list(fake.backend.containers):
            fake.backend.remove(container_id)
        return
    client: DockerClient = request.getfixturevalue("client")
    request.getfixturevalue("image")
    # its own instance label: list_managed sees this test's containers, none of the engine's others
    local = DockerBackend(client, gpu_host=GpuHost(), instance=f"contract-{RUN_ID}")
    if request.param == "docker":
        yield DockerSubject(local)
        remove_test_objects(client)
        return
    cluster: SwarmCluster = request.getfixturevalue("swarm_cluster")
    manager = DockerClient(base_url=cluster.manager_url)
    pusher = ImagePusher(client, cluster.registry_push, cluster.registry_pull)
    instance = f"contract-{RUN_ID}"
    yield SwarmSubject(SwarmBackend(manager, local, pusher, instance=instance), False)
    for service in manager.api.services(filters={"label": f"spacehost.instance={instance}"}):
        manager.api.remove_service(service["ID"])
    manager.close()
    remove_test_objects(client)


def answers(info: ContainerInfo) -> Callable[[], bool]:
    return lambda: http_status(info.host or "", info.port or 0) == 200


def state(backend: RuntimeBackend, container_id: str) -> ContainerInfo:
    info = backend.inspect(container_id)
    assert info is not None, f"container {container_id} is gone"
    return info


def logged(backend: RuntimeBackend, container_id: str, line: str) -> Callable[[], bool]:
    return lambda: line in backend.logs(container_id)


def test_a_container_serves_stops_and_starts_again(subject: Subject) -> None:
    backend = subject.backend
    info = backend.start(subject.serving())
    assert (info.space, info.revision, info.is_running) == (space(), "0123456789abcdef", True)
    assert info.host is not None and info.port is not None
    wait_for(answers(info), what="the app to answer")
    assert state(backend, info.id).id == info.id

    backend.stop(info.id, timeout=5)
    stopped = state(backend, info.id)
    assert (stopped.status, stopped.host, stopped.port) == ("exited", None, None)
    assert stopped.exit_code is not None or not subject.keeps_stopped_runs
    backend.stop(info.id, timeout=5)  # a stopped container is left as is
    assert state(backend, info.id).status == "exited"

    again = backend.start_existing(info.id)
    assert again.id == info.id and again.is_running and again.port is not None
    wait_for(answers(again), what="the app to answer again")


def test_pause_freezes_a_running_container_and_unpause_thaws_it(subject: Subject) -> None:
    if isinstance(subject, SwarmSubject):
        pytest.skip("Swarm cannot freeze a task: its pause is a scale to zero (docs/cluster.md)")
    backend = subject.backend
    info = backend.start(subject.serving())
    wait_for(answers(info), what="the app to answer")
    with pytest.raises(Conflict):
        backend.unpause(info.id)  # not paused
    backend.pause(info.id)
    paused = state(backend, info.id)
    assert (paused.status, paused.host, paused.port) == ("paused", info.host, info.port)
    backend.unpause(info.id)
    assert state(backend, info.id).is_running
    wait_for(answers(info), what="the app to answer after unpause")
    backend.stop(info.id, timeout=5)
    with pytest.raises(Conflict):
        backend.pause(info.id)  # not running


def test_a_missing_container_is_none_or_not_found_and_removing_it_is_harmless(
    subject: Subject,
) -> None:
    backend = subject.backend
    assert backend.inspect(MISSING) is None
    calls: list[Callable[[], object]] = [
        lambda: backend.stop(MISSING),
        lambda: backend.pause(MISSING),
        lambda: backend.unpause(MISSING),
        lambda: backend.start_existing(MISSING),
        lambda: backend.logs(MISSING),
        lambda: next(iter(backend.follow_logs(MISSING))),  # raised on the first next
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    backend.remove(MISSING)
    assert backend.disk_usage(MISSING) == []


def test_list_managed_holds_every_container_running_or_not_until_removed(
    subject: Subject,
) -> None:
    backend = subject.backend
    alpha = backend.start(subject.serving("alpha"))
    beta = backend.start(subject.serving("beta"))
    backend.stop(beta.id, timeout=5)
    # (as a set: the engine orders by creation time in whole seconds)
    assert {i.id for i in backend.list_managed()} == {alpha.id, beta.id}
    assert [i.id for i in backend.list_managed(space("beta"))] == [beta.id]
    assert backend.list_managed(SpaceId(f"rttest-{RUN_ID}", "nobody")) == []
    backend.remove(alpha.id)
    backend.remove(alpha.id)  # already gone: no error
    assert backend.inspect(alpha.id) is None
    assert [i.id for i in backend.list_managed()] == [beta.id]


def test_logs_hold_the_output_in_order_and_tail_keeps_the_last_lines(subject: Subject) -> None:
    backend = subject.backend
    info = subject.start_printing(["one", "two", "three"])
    wait_for(logged(backend, info.id, "three"), what="the output")
    lines = backend.logs(info.id)
    assert lines[-3:] == ["one", "two", "three"]
    assert backend.logs(info.id, tail=2) == ["two", "three"]
    assert backend.logs(info.id, tail=0) == []


def test_follow_logs_streams_the_whole_log_and_ends_when_the_container_stops(
    subject: Subject,
) -> None:
    backend = subject.backend
    info = subject.start_printing(["first", "second"])
    followed: list[str] = []
    follower = threading.Thread(target=lambda: followed.extend(backend.follow_logs(info.id)))
    follower.start()
    wait_for(lambda: "second" in followed, what="the followed lines")
    backend.stop(info.id, timeout=5)
    follower.join(30)
    assert not follower.is_alive(), "follow_logs went on after the container stopped"
    assert followed[-2:] == ["first", "second"]
    if subject.keeps_stopped_runs:
        assert followed == backend.logs(info.id)


def test_follow_logs_since_leaves_out_an_earlier_run(subject: Subject) -> None:
    if not subject.keeps_stopped_runs:
        pytest.skip("an earlier run's output is gone once it stopped: nothing to leave out")
    backend = subject.backend
    info = subject.start_printing(["run"])
    wait_for(logged(backend, info.id, "run"), what="the first run's output")
    backend.stop(info.id, timeout=5)
    first = backend.logs(info.id)
    since = time.time()
    backend.start_existing(info.id)
    wait_for(lambda: len(backend.logs(info.id)) > len(first), what="the second run's output")
    backend.stop(info.id, timeout=5)
    again = list(backend.follow_logs(info.id, since=since))
    assert again and backend.logs(info.id) == first + again


def test_an_app_that_exits_reports_its_exit_code(subject: Subject) -> None:
    backend = subject.backend
    info = subject.start_exiting(3)
    done = wait_for(exited(backend, info.id), what="the app to exit")
    assert (done.exit_code, done.host, done.port) == (3, None, None)


def test_a_data_volume_outlives_its_container_and_goes_with_remove_volume(
    subject: Subject,
) -> None:
    backend = subject.backend
    volume = f"rttest-{RUN_ID}-contract"
    info = backend.start(subject.serving(data_volume=volume))
    with pytest.raises(Conflict):
        backend.remove_volume(volume)  # in use
    backend.remove(info.id)
    backend.remove_volume(volume)
    backend.remove_volume(volume)  # already gone: no error


def test_a_task_runs_to_completion_and_leaves_no_container(subject: Subject) -> None:
    backend = subject.backend
    before = backend.list_managed()
    result = backend.run_task(subject.task("task done"), timeout=60)
    assert result.ok and result.lines == ("task done",)
    assert backend.list_managed() == before
