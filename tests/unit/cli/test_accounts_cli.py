"""The accounts commands through ``spacehost.cli.main.main`` against the control plane's whole
application (server/control.py make_app) on a real local port: users, tokens (a user's first
token from their password), login/whoami/logout with the token stored 0600 per server, pushes
refused outside one's namespace (exit 13) and with a read token, orgs, sign-up, visibility."""

from __future__ import annotations

import asyncio
import io
import json
import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from aiohttp.test_utils import TestServer

from spacehost.cli.main import build_parser, main
from spacehost.server.control import make_app
from spacehost.store import HubStore
from tests.support.platforms import platform_in

OPERATOR = "sh_operator-token"
README = "---\ntitle: Demo\nsdk: gradio\n---\n"


@dataclass
class Result:
    code: int
    out: str
    err: str


Cli = Callable[..., Awaitable[Result]]


def serve(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    scenario: Callable[[Cli, str], Awaitable[None]],
) -> None:
    """Serve the control plane; *scenario* gets ``cli(*argv, stdin="", token=None)`` (the CLI
    in a worker thread, as a user's shell would run it) and the server's URL."""
    config, empty_data = tmp_path / "config", tmp_path / "no-data"
    monkeypatch.setenv("SPACEHOST_CONFIG_DIR", str(config))
    monkeypatch.setenv("SPACEHOST_DATA_DIR", str(empty_data))  # no platform token to fall on
    hub = HubStore(tmp_path / "hub")
    with platform_in(tmp_path / "platform") as platform:

        async def go() -> None:
            async with TestServer(make_app(platform, OPERATOR, hub=hub)) as server:
                url = str(server.make_url("")).rstrip("/")
                monkeypatch.setenv("SPACEHOST_URL", url)

                async def cli(*argv: str, stdin: str = "", token: str | None = None) -> Result:
                    if token is None:
                        monkeypatch.delenv("SPACEHOST_TOKEN", raising=False)
                    else:
                        monkeypatch.setenv("SPACEHOST_TOKEN", token)
                    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
                    capsys.readouterr()
                    code = await asyncio.to_thread(main, list(argv))
                    got = capsys.readouterr()
                    return Result(code, got.out, got.err)

                await scenario(cli, url)

        asyncio.run(go())
    hub.close()


async def status(url: str) -> int:
    """An anonymous GET's status (off the event loop, which serves it)."""
    resp = await asyncio.to_thread(requests.get, url, timeout=10)
    return resp.status_code


def space_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    folder.mkdir(exist_ok=True)
    (folder / "README.md").write_text(README)
    (folder / "app.py").write_text("print('hi')")
    return folder


async def first_token(cli: Cli, user: str, role: str = "write") -> str:
    made = await cli(
        "tokens",
        "create",
        f"{role}-cli",
        "--role",
        role,
        "--user",
        user,
        "--password-stdin",
        stdin="a long passphrase\n",
    )
    assert made.code == 0, made.err
    assert "shown once" in made.err
    return made.out.strip()


def test_users_tokens_login_whoami_and_pushes_by_namespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = space_folder(tmp_path)

    async def scenario(cli: Cli, url: str) -> None:
        pw = "a long passphrase\n"
        added = await cli(
            "users", "add", "alice", "--admin", "--password-stdin", stdin=pw, token=OPERATOR
        )
        assert (added.code, added.out.strip()) == (0, "added admin alice"), added.err
        assert (
            await cli("users", "add", "bob", "--password-stdin", stdin=pw, token=OPERATOR)
        ).code == 0
        listed = await cli("users", "ls", token=OPERATOR)
        rows = [ln.split() for ln in listed.out.splitlines()]
        assert rows[0][:2] == ["USER", "ADMIN"] and rows[1][:2] == ["alice", "admin"]
        assert rows[2][0] == "bob" and "admin" not in rows[2]
        write = await first_token(cli, "bob")
        assert write.startswith("hf_")

        login = await cli("login", "--token", write)
        assert login.code == 0 and "as bob" in login.out, login.err
        stored = tmp_path / "config" / "tokens.json"
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
        assert json.loads(stored.read_text()) == {url: write}
        me = await cli("whoami")
        assert me.code == 0 and me.out.splitlines()[0] == "bob", me.err
        assert "token: write-cli (role write)" in me.out and "spacehost login" in me.out

        own = await cli("push", str(folder), "--name", "bob/demo", "--no-wait", "--private")
        assert own.code == 0 and "(private)" in own.out, own.err
        other = await cli("push", str(folder), "--name", "alice/demo", "--no-wait")
        assert other.code == 13 and other.err.startswith("error: "), other.err
        assert await status(f"{url}/api/spaces/bob/demo") == 404  # private: hidden

        read = await first_token(cli, "bob", "read")
        ro = await cli("push", str(folder), "--name", "bob/demo", "--no-wait", token=read)
        assert ro.code == 13, ro.err
        # the stored login is used when SPACEHOST_TOKEN is not set; the env wins when it is
        assert (await cli("whoami", token=OPERATOR)).out.splitlines()[0] == "alice (admin)"

        assert (await cli("logout")).code == 0
        assert json.loads(stored.read_text()) == {}
        gone = await cli("whoami")
        assert gone.code == 3 and "no token" in gone.err, gone.err

    serve(tmp_path, monkeypatch, capsys, scenario)


def test_a_token_the_server_does_not_know_is_refused_and_not_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def scenario(cli: Cli, url: str) -> None:
        bad = await cli("login", stdin="hf_not-a-token\n")  # piped, as scripts do
        assert bad.code == 3 and "does not know this token" in bad.err, bad.err
        assert "hint: " in bad.err
        assert not (tmp_path / "config" / "tokens.json").exists()
        empty = await cli("login", stdin="")
        assert empty.code == 2 and "no token was given" in empty.err

    serve(tmp_path, monkeypatch, capsys, scenario)


def test_orgs_signup_invites_and_visibility(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = space_folder(tmp_path)
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")

    async def scenario(cli: Cli, url: str) -> None:
        pw = "a long passphrase\n"
        op = {"token": OPERATOR}
        for name, extra in (("alice", ["--admin"]), ("bob", [])):
            made = await cli("users", "add", name, *extra, "--password-stdin", stdin=pw, **op)
            assert made.code == 0, made.err
        bob = await first_token(cli, "bob")
        assert (await cli("orgs", "create", "acme", **op)).code == 0
        add = await cli("orgs", "add", "acme", "bob", "--role", "write", **op)
        assert add.out.strip() == "bob is a member of acme with role write", add.err
        members = await cli("orgs", "members", "acme", **op)
        assert [ln.split() for ln in members.out.splitlines()] == [
            ["USER", "ROLE"],
            ["alice", "admin"],
            ["bob", "write"],
        ]
        # bob may not manage acme's members: 403, exit 13
        assert (await cli("orgs", "rm", "acme", "alice", token=bob)).code == 13

        pushed = await cli(
            "push", str(model), "--type", "model", "--name", "acme/m", "--private", token=bob
        )
        assert pushed.code == 0 and "(private)" in pushed.out, pushed.err
        assert await status(f"{url}/api/models/acme/m") == 404
        public = await cli("visibility", "acme/m", "public", "--type", "model", token=bob)
        assert public.out.strip() == "model acme/m is public", public.err
        assert await status(f"{url}/api/models/acme/m") == 200
        await cli("push", str(folder), "--name", "acme/demo", "--no-wait", token=bob)
        private = await cli("visibility", "acme/demo", "private", token=bob)
        assert private.code == 0 and "is private" in private.out, private.err
        assert await status(f"{url}/api/spaces/acme/demo") == 404

        # removals ask first; without a terminal they refuse unless --yes
        refused = await cli("orgs", "delete", "acme", **op)
        assert refused.code == 2 and "spacehost orgs delete --yes acme" in refused.err
        refused = await cli("users", "rm", "bob", **op)
        assert refused.code == 2 and "spacehost users rm --yes bob" in refused.err
        assert (await cli("orgs", "rm", "acme", "bob", **op)).code == 0
        assert (await cli("users", "rm", "--yes", "bob", **op)).code == 0
        assert (await cli("whoami", token=bob)).code == 3  # bob's tokens went with him
        assert (await cli("orgs", "delete", "-y", "acme", **op)).code == 0
        assert "acme" not in (await cli("orgs", "ls", **op)).out

        assert (await cli("signup", **op)).out.startswith("sign-up is closed")
        assert (await cli("signup", "invite", **op)).out.startswith("sign-up is invite-only")
        code = (await cli("invite", **op)).out.strip()
        assert len(code) > 10
        made = await asyncio.to_thread(
            requests.post,
            f"{url}/api/auth/sign-up",
            json={"name": "carol", "password": "another passphrase", "invite": code},
            timeout=10,
        )
        assert made.status_code == 201, made.text
        assert (await cli("signup", "open")).code == 3  # anonymous: 401, exit 3

    serve(tmp_path, monkeypatch, capsys, scenario)


def test_each_action_has_its_own_arguments_in_any_order() -> None:
    parse = build_parser().parse_args
    assert parse(["users", "rm", "-y", "bob"]).name == "bob"
    assert parse(["orgs", "delete", "acme", "--yes"]).yes
    assert parse(["users", "admin", "bob", "on"]).value == "on"
    assert parse(["tokens", "create", "ci", "--role", "write"]).role == "write"
    for wrong in (["orgs", "add", "acme", "bob"], ["users", "add"], ["tokens"], ["users", "x"]):
        with pytest.raises(SystemExit):
            parse(wrong)
