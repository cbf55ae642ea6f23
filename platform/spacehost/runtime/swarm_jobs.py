"""HF jobs as one-shot Swarm services (``SPACEHOST_SWARM_JOBS=swarm``; docs/cluster.md, "Jobs on
a cluster"): :class:`SwarmJobContainers` is the job runner's :class:`JobContainers` on a swarm.

Each job is a ``ReplicatedJob`` service (one task, restart condition none) that the manager
places on a node (limited to its flavor's CPU and memory, which it does not reserve:
:func:`job_service_args` says why; a GPU job reserves the nodes' generic GPUs; a flavor no node
can hold is refused: runtime/swarm_jobfit.py), in the job's image pushed from the build engine
to the cluster registry and pulled by digest. Its logs are the manager's service logs; its end
is its task's (``complete``, or ``failed`` with the exit code); cancel removes the service.

**Its network.** A job needs the platform's API (``HF_ENDPOINT``) and nothing else. Each job gets
an overlay network of its own (no other container is on it: jobs do not see each other), which
is not ``--internal``, so the job's container also has a leg on its node's ``docker_gwbridge``
(swarm_node_fence.JOBS_BRIDGE: inter-container traffic off, masqueraded). The node set-up
refuses every connection a container there starts, except to the platform's address and port
(swarm_node_fence.job_admit_rules): a job reaches the router and nothing else — not a space,
not a node, not the registry, not the outside (measured on the test cluster:
tests/integration/runtime/test_swarm_jobs.py). Spaces never use overlays (they sit on the
fenced ``docker0``), so the rule needs to tell nothing apart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

from docker import APIClient
from docker.errors import NotFound as DockerNotFound

from spacehost.dockerengine import ENGINE_ERRORS, container_error
from spacehost.errors import NotSupported
from spacehost.nodelabels import Label, NodeLabels, constraints
from spacehost.runtime.base import LABEL_INSTANCE, LABEL_MANAGED, LABEL_ROLE
from spacehost.runtime.imagepush import ImagePusher
from spacehost.runtime.jobcontainers import (
    LABEL_JOB,
    ROLE_JOB,
    DockerJobContainers,
    JobContainerSpec,
    JobContainerState,
)
from spacehost.runtime.nodes import NodeInfo
from spacehost.runtime.options import LOG_MAX_FILES, LOG_MAX_SIZE
from spacehost.runtime.swarm_info import latest_task, task_error, task_state
from spacehost.runtime.swarm_jobfit import check_job_fits
from spacehost.runtime.swarm_joblogs import follow_job_log
from spacehost.runtime.swarm_nodes import node_info
from spacehost.runtime.swarm_spec import GPU_RESOURCE

log = logging.getLogger(__name__)

ROLE_JOB_NETWORK = "job-network"
POLL_S = 0.3
HALT_S = 10.0  # how long stop() waits for the manager to tell the job's task to stop
NETWORK_GONE_S = 20.0  # how long remove() waits for the manager to let go of the job's network
_WAITING = frozenset(
    {"", "new", "pending", "assigned", "accepted", "ready", "preparing", "starting"}
)
# Docker's code for "the container could not be run" (the node refused the task)
REFUSED_EXIT = 125


def job_service_name(job_id: str) -> str:
    """The job's service (and network) name."""
    return f"spacehost-job-{job_id}"


def job_labels(
    job_id: str, instance: str | None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The labels of a job's service and container (as runtime/jobcontainers.py labels a
    container), so a restarted platform finds it again."""
    labels = {**(extra or {}), LABEL_MANAGED: "true", LABEL_ROLE: ROLE_JOB, LABEL_JOB: job_id}
    if instance:
        labels[LABEL_INSTANCE] = instance
    return labels


def job_service_args(
    spec: JobContainerSpec,
    image: str,
    network: str,
    instance: str | None,
    node_labels: tuple[Label, ...] = (),
) -> dict[str, Any]:
    """``create_service`` arguments of the job: one task of *image* (pulled by digest) running
    *spec*'s command after the image's ENTRYPOINT (``Args``, as ``docker run IMAGE ARGV``), on
    *network* only, limited to its flavor's CPUs and memory.

    It reserves no CPU or memory: on Docker 20.10 the task of a removed ``ReplicatedJob``
    service stays in the manager's store with desired state ``complete`` (swarmkit fixed it in
    2023, 75e563b4b) and the manager's constraint enforcer counts every such task's
    reservations against its node at each node update (fixed in 2026, 4e661c892): each ended
    job would hold its node's CPUs for good, and the next task placed there (a job, a space)
    was rejected ("assigned node no longer meets constraints"). A GPU job still reserves its
    GPUs, the only way to place it on a GPU node (docs/cluster.md, "Jobs on a cluster"). It
    runs only on nodes carrying *node_labels* (from configuration: nodelabels.py)."""
    labels = job_labels(spec.job_id, instance, spec.labels)
    limits: dict[str, Any] = {
        "NanoCPUs": int(spec.cpus * 1e9),
        "MemoryBytes": spec.memory,
        "Pids": 4096,
    }
    resources: dict[str, Any] = {"Limits": limits}
    if spec.gpu_ids:  # the one reservation a job makes: what places it on a GPU node
        resources["Reservations"] = {"GenericResources": [
            {"DiscreteResourceSpec": {"Kind": GPU_RESOURCE, "Value": len(spec.gpu_ids)}}
        ]}  # fmt: skip
    template: dict[str, Any] = {
        "ContainerSpec": {
            "Image": image,
            "Args": list(spec.argv),
            "Env": [f"{k}={v}" for k, v in spec.env.items()],
            "Labels": labels,
            "Init": True,
            # the image's own user (as on HF), without the capabilities a job has no use for
            "CapabilityDrop": ["ALL"],
        },
        "Resources": resources,
        "RestartPolicy": {"Condition": "none"},
        "Networks": [{"Target": network}],
        "LogDriver": {
            "Name": "json-file",
            "Options": {"max-size": LOG_MAX_SIZE, "max-file": LOG_MAX_FILES},
        },
    }
    if node_labels:
        template["Placement"] = {"Constraints": constraints(node_labels)}
    return {
        "task_template": template,
        "name": job_service_name(spec.job_id),
        "labels": labels,
        "mode": {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}},
    }


def job_state(service_id: str, job_id: str, task: Mapping[str, Any] | None) -> JobContainerState:
    """What the job runner needs of a job's service, from its latest task."""
    state = task_state(task)
    status = (task or {}).get("Status") or {}
    code = (status.get("ContainerStatus") or {}).get("ExitCode")
    if state in _WAITING or state == "running":
        return JobContainerState(service_id, job_id, True, None, False)
    if state == "complete":
        return JobContainerState(service_id, job_id, False, 0, False)
    if state == "rejected":
        return JobContainerState(service_id, job_id, False, REFUSED_EXIT, False)
    return JobContainerState(service_id, job_id, False, int(code) if code is not None else 1, False)


class SwarmJobContainers:
    """:class:`~spacehost.runtime.jobcontainers.JobContainers` on a swarm.

    Args:
        api: the manager's API client.
        engine: the build engine's job containers (which images there are).
        pusher: pushes an image to the cluster registry; its pull-by-digest name.
        instance: the platform's instance label.
        endpoint: ``HF_ENDPOINT`` as a job on a node reaches the platform
            (``SPACEHOST_SWARM_HUB_URL``): the address and port the nodes admit jobs to.
        node_labels: the node labels a job (of a flavor) needs (nodelabels.py).
    """

    def __init__(
        self,
        api: APIClient,
        engine: DockerJobContainers,
        pusher: ImagePusher,
        instance: str | None,
        endpoint: str,
        node_labels: NodeLabels | None = None,
    ) -> None:
        self._api, self._engine, self._pusher = api, engine, pusher
        self.node_labels = node_labels or NodeLabels()
        self._instance, self._endpoint = instance, endpoint.rstrip("/")

    def endpoint(self) -> str:
        return self._endpoint

    def close(self) -> None:
        """Nothing to let go of: a job's network goes with the job."""

    def has_image(self, image: str) -> bool:
        return self._engine.has_image(image)

    def images(self) -> list[str]:
        return self._engine.images()

    def start(self, spec: JobContainerSpec) -> str:
        """Push the image, make the job's network and create its service; the service's id.

        Raises:
            NotSupported: the job mounts bucket volumes (folders of the platform's host).
            HardwareUnavailable: no ready, active node can hold its flavor.
            NotFound: the image is gone from the build engine.
            EngineUnavailable: the manager, the registry or the build engine failed.
        """
        if spec.mounts:
            raise NotSupported(
                "a job with volumes cannot run on the swarm: its buckets are folders of the "
                "platform's host, which the nodes do not have",
                hint="run it without -v, or run jobs on the build engine "
                "(SPACEHOST_SWARM_JOBS=engine)",
            )
        labels = self.node_labels.required(spec.flavor)
        check_job_fits(self.nodes(), spec.cpus, spec.memory, len(spec.gpu_ids), labels)
        image = self._pusher.pull_reference(spec.image)
        network = self._network(spec.job_id)
        args = job_service_args(spec, image, network, self._instance, labels)
        try:
            created = self._api.create_service(**args)
        except ENGINE_ERRORS as exc:
            self._remove_network(spec.job_id, wait=False)
            raise container_error(exc, f"starting job {spec.job_id}", image=spec.image) from exc
        return str(created["ID"])

    def nodes(self) -> list[NodeInfo]:
        """The swarm's nodes now (what jobs can run on: lifecycle/jobnodes.py)."""
        try:
            return [node_info(node) for node in self._api.nodes()]
        except ENGINE_ERRORS as exc:
            raise container_error(exc, "listing the swarm's nodes") from exc

    def _network(self, job_id: str) -> str:
        name = job_service_name(job_id)
        labels = {**job_labels(job_id, self._instance), LABEL_ROLE: ROLE_JOB_NETWORK}
        try:
            # not --internal: its leg on the node's docker_gwbridge is the job's one way out,
            # which the node set-up admits to the platform only (swarm_node_fence.py)
            made = self._api.create_network(name, driver="overlay", labels=labels)
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"creating network {name} for job {job_id}") from exc
        return str(made["Id"])

    def _task(self, service_id: str) -> tuple[str, Mapping[str, Any] | None] | None:
        """(job id, latest task) of the service; None when it is gone."""
        try:
            service = self._api.inspect_service(service_id)
            tasks = self._api.tasks(filters={"service": service_id})
        except DockerNotFound:
            return None
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"inspecting job service {service_id}") from exc
        labels = (service.get("Spec") or {}).get("Labels") or {}
        return str(labels.get(LABEL_JOB, "")), latest_task(tasks)

    def state(self, container_id: str) -> JobContainerState | None:
        found = self._task(container_id)
        if found is None:
            return None
        return job_state(container_id, found[0], found[1])

    def follow_logs(self, container_id: str, since: float | None = None) -> Iterator[str]:
        """The job's output lines after *since*, as they come (runtime/swarm_joblogs.py); ends
        when its task ended. Waits while the manager places it and the node pulls its image; a
        task the node refused gives one line saying why.

        Raises:
            EngineUnavailable: the manager failed or is unreachable.
        """
        while (found := self._task(container_id)) is not None:
            state = task_state(found[1])
            if state == "rejected":
                yield f"spacehost: the node refused the job: {task_error(found[1])}"
                return
            if state not in _WAITING:
                break
            time.sleep(POLL_S)
        if found is None:
            return

        def running() -> bool:
            now = self.state(container_id)
            return now is not None and now.running

        yield from follow_job_log(self._api, container_id, since, running)

    def stats(self, container_id: str) -> Iterator[dict[str, Any]]:
        """None: a task's samples stay on its node's engine, which the manager does not relay."""
        return iter(())

    def stop(self, container_id: str, timeout: float = 5) -> None:
        """Stop the job's task (cancel, time limit), remove its service, then its network in
        the background, once the node let go of it."""
        found = self._task(container_id)
        if found is not None and (task_state(found[1]) in _WAITING or
                                  task_state(found[1]) == "running"):  # fmt: skip
            self._halt(container_id)
        try:
            self._api.remove_service(container_id)
        except DockerNotFound:
            pass
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"stopping job service {container_id}") from exc
        if found is not None and found[0]:
            threading.Thread(
                target=self._remove_network, args=(found[0],), kwargs={"wait": True},
                name=f"job-net-{found[0]}", daemon=True,
            ).start()  # fmt: skip

    def _halt(self, service_id: str) -> None:
        """Have the manager stop the job's task before its service goes: on Docker 20.10 the
        task of a removed ``ReplicatedJob`` service is never told to stop (swarmkit 75e563b4b
        fixed it in 2023): its container would run on. A job run again with no completions to
        make (``TotalCompletions`` 0) makes the manager set its task's desired state to
        ``remove``, which stops its container; then the service may go."""
        try:
            current = self._api.inspect_service(service_id)
            spec = current["Spec"]
            # its spec as it is, but without the UpdateConfig the engine shows and refuses back
            self._api.update_service(
                service_id, current["Version"]["Index"], task_template=spec["TaskTemplate"],
                name=spec["Name"], labels=spec.get("Labels"),
                endpoint_spec=spec.get("EndpointSpec"),
                mode={"ReplicatedJob": {"MaxConcurrent": 0, "TotalCompletions": 0}},
            )  # fmt: skip
        except DockerNotFound:
            return
        except ENGINE_ERRORS as exc:
            raise container_error(exc, f"stopping job service {service_id}") from exc
        deadline = time.monotonic() + HALT_S
        while time.monotonic() < deadline and not self._told_to_stop(service_id):
            time.sleep(POLL_S)

    def _told_to_stop(self, service_id: str) -> bool:
        try:
            tasks = self._api.tasks(filters={"service": service_id})
        except ENGINE_ERRORS:
            return True  # the service's removal says what is wrong
        return all(t.get("DesiredState") == "remove" for t in tasks)

    def remove(self, container_id: str) -> None:
        """As :meth:`stop`: the service goes, then its network."""
        self.stop(container_id)

    def _remove_network(self, job_id: str, *, wait: bool) -> None:
        """The manager refuses while the job's task still holds it: try for a while (a network
        left behind is removed by the next :meth:`list_jobs`)."""
        name = job_service_name(job_id)
        deadline = time.monotonic() + (NETWORK_GONE_S if wait else 0)
        while True:
            try:
                self._api.remove_network(name)
                return
            except DockerNotFound:
                return
            except ENGINE_ERRORS as exc:
                if time.monotonic() > deadline:
                    log.info("job %s: its network stays for now: %s", job_id, exc)
                    return
            time.sleep(POLL_S)

    def list_jobs(self) -> list[JobContainerState]:
        """Every job service of this platform; job networks without their service are removed."""
        labels = [f"{LABEL_MANAGED}=true", f"{LABEL_ROLE}={ROLE_JOB}"]
        if self._instance:
            labels.append(f"{LABEL_INSTANCE}={self._instance}")
        try:
            services = self._api.services(filters={"label": labels})
            networks = self._api.networks(
                filters={"label": [*labels[:1], f"{LABEL_ROLE}={ROLE_JOB_NETWORK}", *labels[2:]]}
            )
        except ENGINE_ERRORS as exc:
            raise container_error(exc, "listing job services") from exc
        states = [s for s in (self.state(str(svc["ID"])) for svc in services) if s is not None]
        running = {s.job_id for s in states}
        for net in networks:
            job_id = str((net.get("Labels") or {}).get(LABEL_JOB, ""))
            if job_id and job_id not in running:
                self._remove_network(job_id, wait=False)
        return states
