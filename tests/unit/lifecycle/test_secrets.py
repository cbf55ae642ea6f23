"""Variables and secrets through the lifecycle (FakeBackend/FakeBuilder): the container's
environment, restarts on change, masked logs, duplicate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from spacehost.domain import SpaceId, Stage
from spacehost.errors import Conflict, InvalidRequest, NotFound, SpaceNotFound
from spacehost.lifecycle import Platform
from spacehost.runtime.base import ContainerInfo, ContainerSpec
from spacehost.store import SECRET, VARIABLE
from tests.fakes import FakeBackend, FakeBuilder
from tests.support.platforms import platform_in
from tests.support.polling import wait_for

SPACE = SpaceId("alice", "demo")
SECRET_VALUE = "s3cr3t-value-for-tests"
FILES = {"README.md": b"---\ntitle: Demo\nsdk: gradio\n---\n", "app.py": b"print('hi')"}


class EchoBackend(FakeBackend):
    """Its containers print their TOKEN and MODE variables, as a careless app would."""

    def start(self, spec: ContainerSpec) -> ContainerInfo:
        info = super().start(spec)
        self.containers[info.id].lines.append(
            f"TOKEN={spec.env.get('TOKEN')} MODE={spec.env.get('MODE')}"
        )
        return info


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[Platform, EchoBackend, FakeBuilder]]:
    backend, builder = EchoBackend(), FakeBuilder()
    with platform_in(tmp_path, backend, builder) as platform:
        yield platform, backend, builder


def running_spec(p: Platform, backend: FakeBackend) -> ContainerSpec:
    cid = p.store.get_space(SPACE).container_id
    assert cid is not None
    return backend.containers[cid].spec


def test_variables_and_secrets_reach_the_container_env(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, _ = env
    p.push(SPACE, FILES)
    assert p.wait_idle()
    p.set_config(SPACE, VARIABLE, "MODE", "fast")
    p.set_config(SPACE, SECRET, "TOKEN", SECRET_VALUE)
    assert p.wait_idle()
    spec = running_spec(p, backend)
    assert spec.env["MODE"] == "fast" and spec.env["TOKEN"] == SECRET_VALUE
    assert spec.env["SPACE_ID"] == "alice/demo"  # the contract is still there


def test_a_change_restarts_a_running_space_without_a_build(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, builder = env
    p.push(SPACE, FILES)
    assert p.wait_idle()
    first = p.store.get_space(SPACE).container_id
    change = p.set_config(SPACE, VARIABLE, "MODE", "slow")
    assert change.restarting and change.entry is not None and change.entry.value == "slow"
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    assert rec.stage is Stage.RUNNING and rec.container_id != first
    assert list(backend.containers) == [rec.container_id]  # the old one is gone
    assert len(builder.builds) == 1  # same revision, same image: no rebuild
    assert running_spec(p, backend).env["MODE"] == "slow"
    p.delete_config(SPACE, VARIABLE, "MODE")
    assert p.wait_idle()
    assert "MODE" not in running_spec(p, backend).env
    kinds = [(k, m) for _, k, m in p.store.events(SPACE)]
    assert ("config", "variable MODE deleted; restarting") in kinds


def test_a_change_to_a_space_never_pushed_or_failed_to_build_does_not_restart(env) -> None:  # type: ignore[no-untyped-def]
    p, _, builder = env
    p.push(SPACE, {**FILES, "app.py": b"BUILD_FAIL"})
    assert p.wait_idle()
    assert not p.set_config(SPACE, SECRET, "TOKEN", "x").restarting
    assert p.wait_idle() and len(builder.builds) == 1


def test_secret_values_are_masked_in_run_logs_and_error_tails(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, _ = env
    p.push(SPACE, FILES)
    assert p.wait_idle()
    p.set_config(SPACE, SECRET, "TOKEN", SECRET_VALUE)
    p.set_config(SPACE, VARIABLE, "MODE", "visible")
    assert p.wait_idle()
    cid = p.store.get_space(SPACE).container_id
    wait_for(
        lambda: any("MODE=visible" in ln.line for ln in p.store.logs(SPACE, "run", ref=cid)),
        what="the echo line in the run log",
    )
    lines = [ln.line for ln in p.store.logs(SPACE, "run")]
    assert "TOKEN=*** MODE=visible" in lines
    assert not any(SECRET_VALUE in ln for ln in lines)
    backend.crash(cid)
    wait_for(lambda: p.store.get_space(SPACE).stage is Stage.RUNTIME_ERROR)
    message = p.store.get_space(SPACE).error_message
    assert "TOKEN=***" in message and SECRET_VALUE not in message
    p.close()
    db = b"".join(f.read_bytes() for f in p.settings.data_dir.glob("spacehost.db*"))
    assert SECRET_VALUE.encode() not in db


def test_validation_errors_and_unknown_space_or_key(env) -> None:  # type: ignore[no-untyped-def]
    p, _, _ = env
    with pytest.raises(SpaceNotFound):
        p.set_config(SPACE, VARIABLE, "A", "1")
    p.push(SPACE, FILES)
    with pytest.raises(InvalidRequest, match="SPACE_ID"):
        p.set_config(SPACE, SECRET, "SPACE_ID", "x")
    with pytest.raises(InvalidRequest):
        p.set_config(SPACE, VARIABLE, "A", 5)
    with pytest.raises(NotFound, match="no secret 'NOPE'"):
        p.delete_config(SPACE, SECRET, "NOPE")
    assert p.config.secrets(SPACE) == []


def test_duplicate_copies_files_and_variables_not_secrets(env) -> None:  # type: ignore[no-untyped-def]
    p, backend, _ = env
    source = p.push(SPACE, FILES)
    p.set_config(SPACE, VARIABLE, "MODE", "copied")
    p.set_config(SPACE, SECRET, "TOKEN", SECRET_VALUE)
    assert p.wait_idle()
    copy = SpaceId("bob", "copy")
    result = p.duplicate(SPACE, copy)
    assert result.push.revision == source.revision and result.push.created
    assert result.variables == ("MODE",) and result.secrets_needing_values == ("TOKEN",)
    assert p.wait_idle()
    rec = p.store.get_space(copy)
    assert rec.stage is Stage.RUNNING and rec.revision == source.revision
    spec = backend.containers[str(rec.container_id)].spec
    assert spec.env["MODE"] == "copied" and "TOKEN" not in spec.env
    assert spec.env["SPACE_ID"] == "bob/copy"
    with pytest.raises(Conflict):
        p.duplicate(SPACE, copy)
    with pytest.raises(SpaceNotFound):
        p.duplicate(SpaceId("nobody", "here"), SpaceId("bob", "other"))


def test_a_secret_that_cannot_be_decrypted_is_a_config_error(env) -> None:  # type: ignore[no-untyped-def]
    p, _, _ = env
    p.push(SPACE, FILES)
    assert p.wait_idle()
    with p.store.transaction() as db:
        db.execute(
            "INSERT INTO config (space, kind, key, value, updated_at) VALUES "
            "('alice/demo', 'secret', 'BROKEN', 'not-a-token', 0)"
        )
    p.restart(SPACE)
    assert p.wait_idle()
    rec = p.store.get_space(SPACE)
    # the old container keeps serving; the error is shown alongside
    assert rec.stage is Stage.RUNNING and "cannot decrypt secret BROKEN" in rec.error_message
    assert rec.container_id is not None
