"""Who may call which API route: the whole control-plane application (server/control.py
make_app, over the fake backend) driven over HTTP, one row per route, every row asked by every
kind of caller about a public and a private space, model or dataset, asserting the exact status.

The callers (COLUMNS): anonymous; ``reader``, a member of the organization ``acme`` with the
``read`` role; ``outsider``, a user with a write token who writes only his own namespace;
``member``, a member of ``acme`` with ``write``; ``admin``, a platform admin who is no member of
``acme``; and four more: acme's ``admin`` member (``org-admin``), the member's read token, and
the member's signed-in browser without and with the page's CSRF value.

Every route of the application that the API serves (``/api/...``, and the routes of the
``spacehost.api`` modules) must have a row: a new route without one fails
``test_every_api_route_has_a_row``. docs/accounts.md's route table is this file's ROWS, grouped.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from spacehost import spaceaccess
from spacehost.appkeys import ACCOUNTS, HUB, JOBS, SCHEDULES
from spacehost.builder.jobindex import JobIndex, JobSource
from spacehost.cli.main import pack_folder
from spacehost.domain import RepoKind, SpaceId
from spacehost.identity import Accounts, Role
from spacehost.lifecycle import Platform, deploy
from spacehost.lifecycle.jobspec import parse_job_spec
from spacehost.lifecycle.volumes import SpaceVolume
from spacehost.server.control import make_app
from spacehost.store import HubStore
from spacehost.store.buckets import BucketStore
from spacehost.store.gitrepos import GitRepos
from spacehost.store.jobs import JobRow
from tests.support.fake_jobs import IMAGE as JOB_IMAGE
from tests.support.fake_jobs import FakeJobContainers, fake_jobs
from tests.support.fake_nodes import WORKER, FakeNodes
from tests.support.platforms import fake_settings, platform_in
from tests.support.tarballs import make_tar

OPERATOR = "sh_operator-token"
PASSWORD = "correct horse battery"
ORG = "acme"
SPACE_FILES = {
    "README.md": b"---\ntitle: Demo\nsdk: gradio\n---\n",
    "app.py": b"print('hi')",
    "src/util.py": b"X = 1\n",
}
HUB_FILES = {"README.md": b"---\nlicense: mit\n---\n", "sub/weights.txt": b"w" * 10}

ANON, READER, OUTSIDER, MEMBER, ADMIN = "anonymous", "reader", "outsider", "member", "admin"
ORG_ADMIN, MEMBER_READ_TOKEN = "org-admin", "member-read-token"
SESSION, SESSION_CSRF = "member-session", "member-session+csrf"
BAD_TOKEN = "bad-token"
COLUMNS = (
    ANON,
    READER,
    OUTSIDER,
    MEMBER,
    ADMIN,
    ORG_ADMIN,
    MEMBER_READ_TOKEN,
    SESSION,
    SESSION_CSRF,
    BAD_TOKEN,
)
USER_OF = {
    READER: "rita",
    OUTSIDER: "oscar",
    MEMBER: "mia",
    ADMIN: "root",
    ORG_ADMIN: "olga",
    MEMBER_READ_TOKEN: "mia",
    SESSION: "mia",
    SESSION_CSRF: "mia",
}
PUBLIC, PRIVATE, NONE = "public", "private", "-"

Expect = dict[str, int]


def _bad_token_401(expect: dict[str, Expect]) -> dict[str, Expect]:
    """A token that is not valid is refused (401) everywhere, never read as anonymous."""
    return {v: cells | {BAD_TOKEN: 401} for v, cells in expect.items()}


# -- what each kind of route answers (the rows pick one, with their success status) ----------


def same_for_all(status: int) -> dict[str, Expect]:
    """Anyone, signed in or not, gets *status*."""
    return _bad_token_401({NONE: dict.fromkeys(COLUMNS, status)})


def read(ok: int = 200) -> dict[str, Expect]:
    """Reading a repo: anyone when public; when private, those who may read it, and 404 (as if
    it did not exist) for the others."""
    private = dict.fromkeys(COLUMNS, ok) | {ANON: 404, OUTSIDER: 404}
    return _bad_token_401({PUBLIC: dict.fromkeys(COLUMNS, ok), PRIVATE: private})


def write(ok: int, *, safe: bool = False, creates: bool = False) -> dict[str, Expect]:
    """Writing a repo of acme: its write and admin members and platform admins, with a write
    credential (a signed-in browser only with the CSRF value, except for a *safe* GET). A
    private repo answers those who may not read it as a missing one does: 404, except for a
    push, which *creates* a missing repo and so refuses them as it refuses any name in acme."""
    refused = {ANON: 401, READER: 403, OUTSIDER: 403, MEMBER_READ_TOKEN: 403}
    refused |= {} if safe else {SESSION: 403}
    public = dict.fromkeys(COLUMNS, ok) | refused
    return _bad_token_401(
        {PUBLIC: public, PRIVATE: public if creates else public | {ANON: 404, OUTSIDER: 404}}
    )


def git_read(ok: int = 200) -> dict[str, Expect]:
    """git's clone and fetch: as :func:`read`, but credentials are a token (never a cookie) and
    anonymous callers of a private repo get 401 so git asks for one (api/githttp.py)."""
    no_cookie = {SESSION: 401, SESSION_CSRF: 401}
    private = dict.fromkeys(COLUMNS, ok) | {ANON: 401, OUTSIDER: 404} | no_cookie
    return _bad_token_401({PUBLIC: dict.fromkeys(COLUMNS, ok), PRIVATE: private})


def git_write(ok: int = 200) -> dict[str, Expect]:
    """git's push: a write token of a writer; anonymous callers (and cookies) get 401."""
    refused = {ANON: 401, READER: 403, OUTSIDER: 403, MEMBER_READ_TOKEN: 403}
    public = dict.fromkeys(COLUMNS, ok) | refused | {SESSION: 401, SESSION_CSRF: 401}
    return _bad_token_401({PUBLIC: public, PRIVATE: public | {OUTSIDER: 404}})


def write_into_acme(ok: int) -> dict[str, Expect]:
    """Creating a repo in acme (``POST /api/repos/create``): as a push that creates one."""
    return {NONE: write(ok, creates=True)[PUBLIC]}


def read_then_write_own(ok: int) -> dict[str, Expect]:
    """Reading the repo, writing into one's own namespace (duplicate)."""
    public = dict.fromkeys(COLUMNS, ok) | {ANON: 401, MEMBER_READ_TOKEN: 403, SESSION: 403}
    return _bad_token_401({PUBLIC: public, PRIVATE: public | {ANON: 404, OUTSIDER: 404}})


def signed_in(ok: int) -> dict[str, Expect]:
    """Any signed-in caller (a token or a session)."""
    return _bad_token_401({NONE: dict.fromkeys(COLUMNS, ok) | {ANON: 401}})


def signed_in_write(ok: int) -> dict[str, Expect]:
    """Any signed-in caller with a write credential (a session with the CSRF value)."""
    return _bad_token_401(
        {NONE: dict.fromkeys(COLUMNS, ok) | {ANON: 401, MEMBER_READ_TOKEN: 403, SESSION: 403}}
    )


def namespace_member(ok: int) -> dict[str, Expect]:
    """Members of acme (any role, any credential) and platform admins: a namespace's jobs."""
    return _bad_token_401({NONE: dict.fromkeys(COLUMNS, ok) | {ANON: 401, OUTSIDER: 403}})


def namespace_write(ok: int) -> dict[str, Expect]:
    """Writing into acme (running, cancelling, scheduling its jobs): as a push into it."""
    return {NONE: write(ok, creates=True)[PUBLIC]}


def platform_admin(ok: int) -> dict[str, Expect]:
    """Platform admins only."""
    return _bad_token_401({NONE: dict.fromkeys(COLUMNS, 403) | {ANON: 401, ADMIN: ok}})


def org_admin(ok: int) -> dict[str, Expect]:
    """acme's admin members and platform admins."""
    return _bad_token_401(
        {NONE: dict.fromkeys(COLUMNS, 403) | {ANON: 401, ADMIN: ok, ORG_ADMIN: ok}}
    )


# -- the world the rows run in ----------------------------------------------------------------


@dataclass
class World:
    """The running application, its users and their credentials, and the repos."""

    base: str
    app: web.Application
    loop: asyncio.AbstractEventLoop
    http: aiohttp.ClientSession
    platform: Platform
    accounts: Accounts
    hub: HubStore
    tokens: dict[str, str] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def fresh(self, stem: str) -> str:
        return f"{stem}{next(self.counter)}"

    def headers(self, column: str) -> dict[str, str]:
        if column == ANON:
            return {}
        if column == BAD_TOKEN:
            return {"Authorization": "Bearer hf_" + "x" * 34}
        if column in (SESSION, SESSION_CSRF):
            sid, csrf = self.accounts.new_session("mia")
            cookie = {"Cookie": f"{spaceaccess.SESSION_COOKIE}={sid}"}
            return cookie | ({"X-CSRF-Token": csrf} if column == SESSION_CSRF else {})
        return {"Authorization": f"Bearer {self.tokens[column]}"}

    def call(self, method: str, path: str, headers: dict[str, str], body: Any) -> Answer:
        async def go() -> Answer:
            data = json.dumps(body).encode() if isinstance(body, dict) else body
            if isinstance(body, dict):
                headers.setdefault("Content-Type", "application/json")
            async with self.http.request(
                method, self.base + path, headers=headers, data=data, allow_redirects=False
            ) as resp:
                return Answer(resp.status, dict(resp.headers), await resp.read())

        return asyncio.run_coroutine_threadsafe(go(), self.loop).result(30)

    def space(self, name: str, visibility: str) -> str:
        space = SpaceId(ORG, name)
        self.platform.push(space, SPACE_FILES)
        if visibility == PRIVATE:
            self.platform.set_private(space, True)
        assert self.platform.wait_idle()
        return name

    def repo(self, kinds: str, name: str, visibility: str) -> str:
        kind = RepoKind.DATASET if kinds == "datasets" else RepoKind.MODEL
        with tempfile.TemporaryDirectory() as tmp:
            for path, data in HUB_FILES.items():
                (Path(tmp) / path).parent.mkdir(parents=True, exist_ok=True)
                (Path(tmp) / path).write_bytes(data)
            self.hub.push(kind, f"{ORG}/{name}", Path(tmp))
        self.accounts.set_private(kind.value, f"{ORG}/{name}", visibility == PRIVATE)
        return name


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


# -- the rows ---------------------------------------------------------------------------------

Params = dict[str, str]
Prepare = Callable[[World, str, str, Params], Params]


@dataclass(frozen=True)
class Row:
    """One route: ``method`` and ``route`` as registered; ``expect`` per visibility and column;
    ``path`` fills the route's placeholders; ``prepare`` makes what one call needs (a fresh
    space to delete...) and may change the placeholders; ``body`` is JSON (a dict) or bytes."""

    group: str
    method: str
    route: str
    expect: dict[str, Expect]
    path: str = ""
    prepare: Prepare | None = None
    body: Callable[[World, str, str, Params], Any] | None = None
    headers: Callable[[Params], dict[str, str]] | None = None
    kinds: str = ""

    @property
    def id(self) -> str:
        route = self.route.replace("{kinds}", self.kinds) if self.kinds else self.route
        return f"{self.method} {route}"


def _base(visibility: str) -> str:
    return "private-demo" if visibility == PRIVATE else "public-demo"


def fresh_space(world: World, column: str, visibility: str, p: Params) -> Params:
    return p | {"name": world.space(world.fresh("del"), visibility)}


def fresh_repo(world: World, column: str, visibility: str, p: Params) -> Params:
    return p | {"name": world.repo(p["kinds"], world.fresh("del"), visibility)}


def row_space(stem: str, *, paused: bool = False) -> Prepare:
    """A space of this row's own (made once per visibility): writes that restart or pause it
    do not disturb the others. A *paused* one is not restarted by a change of its config."""
    made: dict[str, str] = {}

    def prepare(world: World, column: str, visibility: str, p: Params) -> Params:
        if visibility not in made:
            made[visibility] = world.space(f"{stem}-{visibility}", visibility)
            if paused:
                world.platform.pause(SpaceId(ORG, made[visibility]))
                assert world.platform.wait_idle()
        return p | {"name": made[visibility]}

    return prepare


def with_config(kind: str, stem: str) -> Prepare:
    """The row's own space, with the key ``K`` set before each call (a delete removes it)."""
    own = row_space(stem, paused=True)

    def prepare(world: World, column: str, visibility: str, p: Params) -> Params:
        p = own(world, column, visibility, p)
        world.platform.set_config(SpaceId(ORG, p["name"]), kind, "K", "v")
        assert world.platform.wait_idle()
        return p

    return prepare


def _with_volume(world: World, column: str, visibility: str, p: Params) -> Params:
    """The row's own paused space, with a bucket of acme mounted read-only before each call."""
    p = _volume_space(world, column, visibility, p)
    _made_bucket(world, "mounted", PUBLIC)
    volume = SpaceVolume(f"{ORG}/mounted", "/data", read_only=True)
    world.platform.set_volumes(SpaceId(ORG, p["name"]), [volume])
    return p


def fresh_user(world: World, column: str, visibility: str, p: Params) -> Params:
    name = world.fresh("temp")
    world.accounts.add_user(name)
    return p | {"user": name}


def fresh_member(world: World, column: str, visibility: str, p: Params) -> Params:
    p = fresh_user(world, column, visibility, p)
    world.accounts.set_member(ORG, p["user"], Role.READ)
    return p


def fresh_org(world: World, column: str, visibility: str, p: Params) -> Params:
    name = world.fresh("org")
    world.accounts.create_org(name, "olga")
    return p | {"org": name}


def own_token(world: World, column: str, visibility: str, p: Params) -> Params:
    made = world.accounts.create_token(USER_OF.get(column, "mia"), "temp", Role.READ)
    return p | {"id": str(made.info.id)}


def self_user(world: World, column: str, visibility: str, p: Params) -> Params:
    return p | {"user": USER_OF.get(column, "rita")}


def _setting(world: World, column: str, visibility: str, p: Params) -> Any:
    return {"visibility": visibility}


def _new_name(world: World, column: str, visibility: str, p: Params) -> Any:
    return {"name": world.fresh("new")}


def _new_acme_model(world: World, column: str, visibility: str, p: Params) -> Any:
    return {"name": world.fresh("made"), "organization": ORG, "type": "model"}


def _duplicate_into_own(world: World, column: str, visibility: str, p: Params) -> Any:
    return {"to": f"{USER_OF.get(column, ORG)}/{world.fresh('copy')}"}


def _space_tar(world: World, column: str, visibility: str, p: Params) -> Any:
    return pack_folder(SPACE_FILES)


def _hub_tar(world: World, column: str, visibility: str, p: Params) -> Any:
    return make_tar(list(HUB_FILES.items()), gz=False)


def _json(value: dict[str, Any]) -> Callable[[World, str, str, Params], Any]:
    return lambda *_: dict(value)


README_OID = hashlib.sha256(HUB_FILES["README.md"]).hexdigest()
LFS_OBJECT = {"oid": README_OID, "size": len(HUB_FILES["README.md"])}
PREUPLOAD = _json({"files": [{"path": "a.txt", "size": 1, "sample": ""}]})
LFS_BATCH = _json({"operation": "upload", "objects": [LFS_OBJECT]})
COMMIT = (
    b'{"key": "header", "value": {"summary": "s"}}\n'
    b'{"key": "file", "value": {"path": "c.txt", "content": "Yw==", "encoding": "base64"}}\n'
)


def _commit(world: World, column: str, visibility: str, p: Params) -> Any:
    return COMMIT


def _acme_model_to_delete(world: World, column: str, visibility: str, p: Params) -> Params:
    return p | {"name": world.repo("models", world.fresh("gone"), visibility)}


def _delete_body(world: World, column: str, visibility: str, p: Params) -> Any:
    return {"name": p["name"], "organization": ORG, "type": "model"}


def _move_body(world: World, column: str, visibility: str, p: Params) -> Any:
    """A rename inside acme: writing the repo and creating one in acme both needed."""
    new = f"{ORG}/{world.fresh('moved')}"
    return {"fromRepo": f"{ORG}/{p['name']}", "toRepo": new, "type": "model"}


def _param(key: str, value: str) -> Prepare:
    return lambda world, column, visibility, p: p | {key: value}


def _router_check(expect: dict[str, Expect]) -> dict[str, Expect]:
    """The router's check answers 404 (DENIED) for any credential that may not read the space,
    a token that is not valid included (spaceaccess.py)."""
    return {v: cells | {BAD_TOKEN: 404} for v, cells in expect.items()}


def _the_space(p: Params) -> dict[str, str]:
    return {"X-Spacehost-Space": f"{ORG}/{p['name']}"}


SPACE = "/api/spaces/{owner}/{name}"
REPO = "/api/{kinds}/{owner}/{name}"
ZERO_ID = "0" * 64

SPACE_ROWS = [
    Row("space: read", "GET", SPACE, read()),
    Row("space: read", "GET", SPACE + "/revision/{rev}", read()),
    Row("space: read", "GET", SPACE + "/runtime", read()),
    Row("space: read", "GET", SPACE + "/logs", read()),
    Row("space: read", "GET", SPACE + "/logs/runs", read()),
    Row("space: read", "GET", SPACE + "/logs/build", read()),
    # a run log follows until the space is paused: this row's own space is
    Row(
        "space: read", "GET", SPACE + "/logs/run", read(), prepare=row_space("runlog", paused=True)
    ),
    Row("space: read", "GET", SPACE + "/variables", read()),
    Row("space: read", "GET", SPACE + "/refs", read()),
    Row("space: read", "GET", SPACE + "/commits/{rev}", read()),
    Row("space: read", "GET", SPACE + "/tree/{rev}", read()),
    Row("space: read", "GET", SPACE + "/tree/{rev}/{path}", read(), path="src"),
    Row(
        "space: read",
        "POST",
        SPACE + "/paths-info/{rev}",
        read(),
        body=_json({"paths": ["app.py"]}),
    ),
    Row("space: read", "POST", SPACE + "/wake", read()),
    Row("space: write", "DELETE", SPACE, write(200), prepare=fresh_space),
    Row("space: write", "POST", SPACE + "/push", write(202, creates=True), body=_space_tar),
    Row("space: write", "POST", SPACE + "/restart", write(202), prepare=row_space("restart")),
    Row(
        "space: write",
        "POST",
        SPACE + "/variables",
        write(200),
        prepare=row_space("setvar", paused=True),
        body=_json({"key": "K", "value": "v"}),
    ),
    Row(
        "space: write",
        "DELETE",
        SPACE + "/variables",
        write(200),
        prepare=with_config("variable", "delvar"),
        body=_json({"key": "K"}),
    ),
    Row("space: write", "GET", SPACE + "/secrets", write(200, safe=True)),
    Row(
        "space: write",
        "POST",
        SPACE + "/secrets",
        write(200),
        prepare=row_space("setsecret", paused=True),
        body=_json({"key": "K", "value": "v"}),
    ),
    Row(
        "space: write",
        "DELETE",
        SPACE + "/secrets",
        write(200),
        prepare=with_config("secret", "delsecret"),
        body=_json({"key": "K"}),
    ),
    Row(
        "space: write",
        "POST",
        SPACE + "/sleeptime",
        write(200),
        prepare=row_space("sleep", paused=True),
        body=_json({"seconds": -1}),
    ),
    Row("space: write", "POST", SPACE + "/pause", write(200), prepare=row_space("pause")),
    Row(
        "space: write", "POST", SPACE + "/hardware", write(200), body=_json({"flavor": "cpu-basic"})
    ),
    Row("space: write", "PUT", SPACE + "/settings", write(200), body=_setting),
    Row("space: write", "POST", SPACE + "/dev-mode", write(501), body=_json({"enabled": True})),
    Row("space: write", "PUT", SPACE + "/volumes", write(200), body=_json({"volumes": []})),
    Row("space: write", "DELETE", SPACE + "/volumes", write(200), prepare=_with_volume),
    Row(
        "space: duplicate",
        "POST",
        SPACE + "/duplicate",
        read_then_write_own(202),
        body=_duplicate_into_own,
    ),
]


def hub_rows(kinds: str) -> list[Row]:
    return [
        Row("hub repo: read", "GET", REPO, read(), kinds=kinds),
        Row("hub repo: read", "GET", REPO + "/revision/{rev}", read(), kinds=kinds),
        Row("hub repo: read", "GET", REPO + "/tree/{rev}", read(), kinds=kinds),
        Row("hub repo: read", "GET", REPO + "/tree/{rev}/{path}", read(), path="sub", kinds=kinds),
        Row(
            "hub repo: read",
            "POST",
            REPO + "/paths-info/{rev}",
            read(),
            body=_json({"paths": ["README.md"]}),
            kinds=kinds,
        ),
        Row("hub repo: read", "GET", REPO + "/refs", read(), kinds=kinds),
        Row("hub repo: read", "GET", REPO + "/commits/{rev}", read(), kinds=kinds),
        Row("hub repo: read", "GET", REPO + "/xet-read-token/{rev}", read(), kinds=kinds),
        Row("hub repo: write", "DELETE", REPO, write(200), prepare=fresh_repo, kinds=kinds),
        Row("hub repo: write", "PUT", REPO + "/settings", write(200), body=_setting, kinds=kinds),
        Row(
            "hub repo: write",
            "POST",
            REPO + "/push",
            write(200, creates=True),
            body=_hub_tar,
            kinds=kinds,
        ),
        *write_api_rows(kinds),
    ]


def write_api_rows(kinds: str) -> list[Row]:
    """huggingface_hub's writes (api/preupload.py, api/commit.py, api/lfs.py)."""
    rows = [
        Row(
            "hub write", "POST", REPO + "/preupload/{rev}", write(200), body=PREUPLOAD, kinds=kinds
        ),
        Row("hub write", "POST", REPO + "/commit/{rev}", write(200), body=_commit, kinds=kinds),
        Row(
            "hub write", "GET", REPO + "/xet-write-token/{rev}", write(200, safe=True), kinds=kinds
        ),
    ]
    if kinds == "spaces":  # a commit deploys the space: on a space of the row's own
        return [replace(rows[1], prepare=row_space("commit")), rows[0], rows[2]]
    lfs = ("/{kinds}" if kinds == "datasets" else "") + "/{owner}/{name}.git/info/lfs/objects"
    return [
        *rows,
        Row("hub write", "POST", lfs + "/batch", write(200), body=LFS_BATCH, kinds=kinds),
        Row("hub write", "POST", lfs + "/verify", write(200), body=_json(LFS_OBJECT), kinds=kinds),
    ]


def _git_repo(kinds: str) -> Prepare:
    """The row's repo by git's names (a space's git repository made if missing)."""

    def prepare(world: World, column: str, visibility: str, p: Params) -> Params:
        if kinds == "spaces":
            GitRepos(world.platform.settings.git_dir).init("space", f"{ORG}/{p['name']}")
        return p | {"gowner": ORG, "gname": p["name"]}

    return prepare


def _git_headers(service: str) -> Callable[[Params], dict[str, str]]:
    return lambda p: {"Content-Type": f"application/x-{service}-request"}


def _flush(world: World, column: str, visibility: str, p: Params) -> Any:
    return b"0000"  # git's flush packet: nothing wanted, nothing pushed


def git_rows() -> list[Row]:
    rows = []
    for prefix, kinds in (("", "models"), ("/datasets", "datasets"), ("/spaces", "spaces")):
        base = prefix + "/{gowner}/{gname}"
        ready = _git_repo(kinds)
        rows += [
            Row("git", "GET", base + "/info/refs", git_read(), prepare=ready),
            Row(
                "git",
                "POST",
                base + "/git-upload-pack",
                git_read(),
                prepare=ready,
                body=_flush,
                headers=_git_headers("git-upload-pack"),
            ),
            Row(
                "git",
                "POST",
                base + "/git-receive-pack",
                git_write(),
                prepare=ready,
                body=_flush,
                headers=_git_headers("git-receive-pack"),
            ),
        ]
    return rows


def _repo_git(world: World, kinds: str, name: str) -> GitRepos:
    """The repo's git repository (a space's made, with a main, if it has none yet)."""
    if kinds != "spaces":
        return world.hub.git
    git = GitRepos(world.platform.settings.git_dir)
    repo_id = f"{ORG}/{name}"
    git.init("space", repo_id)
    if git.ref("space", repo_id) is None:
        blob = git.add_blob("space", repo_id, SPACE_FILES["README.md"])
        sha = git.write_commit("space", repo_id, [("README.md", 0o100644, blob)], "first")
        git.set_ref("space", repo_id, "main", sha, None)
    return git


def _kind_word(kinds: str) -> str:
    return kinds.removesuffix("s")


def fresh_branch(world: World, column: str, visibility: str, p: Params) -> Params:
    _repo_git(world, p["kinds"], p["name"])
    return p | {"branch": world.fresh("branch")}


def existing_branch(world: World, column: str, visibility: str, p: Params) -> Params:
    git = _repo_git(world, p["kinds"], p["name"])
    branch, repo_id = world.fresh("branch"), f"{ORG}/{p['name']}"
    main = git.ref(_kind_word(p["kinds"]), repo_id)
    assert main is not None
    git.set_ref(_kind_word(p["kinds"]), repo_id, f"refs/heads/{branch}", main, None)
    return p | {"branch": branch}


def main_rev(world: World, column: str, visibility: str, p: Params) -> Params:
    _repo_git(world, p["kinds"], p["name"])
    return p | {"rev": "main"}


def existing_tag(world: World, column: str, visibility: str, p: Params) -> Params:
    git = _repo_git(world, p["kinds"], p["name"])
    tag, repo_id = world.fresh("tag"), f"{ORG}/{p['name']}"
    main = git.ref(_kind_word(p["kinds"]), repo_id)
    assert main is not None
    git.tag(_kind_word(p["kinds"]), repo_id, tag, main)
    return p | {"rev": tag}


def _new_tag(world: World, column: str, visibility: str, p: Params) -> Any:
    return {"tag": world.fresh("tag"), "message": "a release"}


def git_ref_rows(kinds: str) -> list[Row]:
    """Branches and tags (api/gitrefs.py)."""
    return [
        Row(
            "git refs",
            "POST",
            REPO + "/branch/{branch}",
            write(200),
            prepare=fresh_branch,
            kinds=kinds,
        ),
        Row(
            "git refs",
            "DELETE",
            REPO + "/branch/{branch}",
            write(200),
            prepare=existing_branch,
            kinds=kinds,
        ),
        Row(
            "git refs",
            "POST",
            REPO + "/tag/{rev}",
            write(200),
            prepare=main_rev,
            body=_new_tag,
            kinds=kinds,
        ),
        Row(
            "git refs", "DELETE", REPO + "/tag/{rev}", write(200), prepare=existing_tag, kinds=kinds
        ),
    ]


RESOLVE_ROWS = [
    Row("hub repo: read", method, prefix + "/{owner}/{name}/resolve/{rev}/{path}", read(), path=p)
    for method in ("GET", "HEAD")
    for prefix, p in (("", "README.md"), ("/datasets", "README.md"))
]

ACCOUNT_ROWS = [
    Row("whoami", "GET", "/api/whoami-v2", signed_in(200)),
    Row("users", "GET", "/api/users", platform_admin(200)),
    Row("users", "POST", "/api/users", platform_admin(201), body=_new_name),
    Row("users", "GET", "/api/users/{user}", same_for_all(200), path="", prepare=self_user),
    Row(
        "users",
        "PUT",
        "/api/users/{user}",
        platform_admin(200),
        prepare=fresh_user,
        body=_json({"password": PASSWORD}),
    ),
    Row("users", "DELETE", "/api/users/{user}", platform_admin(200), prepare=fresh_user),
    Row("orgs", "GET", "/api/orgs", same_for_all(200)),
    Row("orgs", "POST", "/api/orgs", signed_in_write(201), body=_new_name),
    Row("orgs", "GET", "/api/orgs/{org}/members", same_for_all(200)),
    Row(
        "orgs",
        "PUT",
        "/api/orgs/{org}/members/{user}",
        org_admin(200),
        prepare=fresh_user,
        body=_json({"role": "read"}),
    ),
    Row("orgs", "DELETE", "/api/orgs/{org}/members/{user}", org_admin(200), prepare=fresh_member),
    Row("orgs", "DELETE", "/api/orgs/{org}", org_admin(200), prepare=fresh_org),
    Row("tokens", "GET", "/api/tokens", signed_in(200)),
    Row("tokens", "POST", "/api/tokens", signed_in_write(201), body=_json({"name": "t"})),
    Row("tokens", "DELETE", "/api/tokens/{id}", signed_in_write(200), prepare=own_token),
    Row("admin", "GET", "/api/admin/signup", same_for_all(200)),
    Row("admin", "PUT", "/api/admin/signup", platform_admin(200), body=_json({"signup": "closed"})),
    Row("admin", "POST", "/api/admin/invites", platform_admin(201)),
    Row(
        "sign-in",
        "POST",
        "/api/auth/sign-in",
        same_for_all(200),
        body=_json({"name": "mia", "password": PASSWORD}),
    ),
    Row(
        "sign-in",
        "POST",
        "/api/auth/sign-up",
        same_for_all(403),
        body=_json({"name": "eve", "password": PASSWORD}),
    ),
    Row(
        "sign-in",
        "POST",
        "/api/auth/sign-out",
        _bad_token_401({NONE: dict.fromkeys(COLUMNS, 200) | {SESSION: 403}}),
    ),
    Row(
        "router: may this visitor read the space",
        "GET",
        spaceaccess.CHECK_PATH,
        _router_check(read(204)),
        headers=_the_space,
    ),
    Row(
        "router: the bounce",
        "GET",
        spaceaccess.BOUNCE_PATH,
        {NONE: dict.fromkeys(COLUMNS, 302)},  # a page: not an API call
        path="x",
    ),
    Row("router: the bounce", "GET", "/api/auth/space-cookie", same_for_all(400)),
    Row("sign-in", "GET", "/api/auth/providers", same_for_all(200)),
    # single sign-on pages (no provider configured here): not API calls
    Row("sign-in", "GET", "/auth/oidc/login", {NONE: dict.fromkeys(COLUMNS, 404)}),
    Row("sign-in", "GET", "/auth/oidc/callback", {NONE: dict.fromkeys(COLUMNS, 404)}),
    Row("repos", "POST", "/api/repos/create", write_into_acme(200), body=_new_acme_model),
    Row(
        "repos",
        "DELETE",
        "/api/repos/delete",
        write(200),
        prepare=_acme_model_to_delete,
        body=_delete_body,
    ),
    Row(
        "repos",
        "POST",
        "/api/repos/move",
        write(200),
        prepare=_acme_model_to_delete,
        body=_move_body,
    ),
    Row(
        "hub write",
        "POST",
        "/api/validate-yaml",
        same_for_all(200),
        body=_json({"content": "# card", "repoType": "model"}),
    ),
    # the signed LFS links need their signature (api/lfs.py), whoever asks
    Row(
        "lfs", "PUT", "/api/lfs/objects/{oid}", same_for_all(403), prepare=_param("oid", README_OID)
    ),
    Row(
        "lfs", "GET", "/api/lfs/objects/{oid}", same_for_all(403), prepare=_param("oid", README_OID)
    ),
]

BUCKET = "/api/buckets/{namespace}/{name}"
BUCKET_FILE = "/buckets/{namespace}/{name}/resolve/{path}"


_volume_space = row_space("volumes", paused=True)


def _bucket_store(world: World) -> BucketStore:
    return BucketStore(world.hub.root / "buckets", world.hub.tmp_dir)


def _made_bucket(world: World, name: str, visibility: str) -> str:
    store = _bucket_store(world)
    store.create(f"{ORG}/{name}", private=visibility == PRIVATE, now=0.0)
    return name


def _bucket(world: World, column: str, visibility: str, p: Params) -> Params:
    """acme's bucket of this visibility (made once), for reads and harmless writes."""
    name = _made_bucket(world, f"runs-{visibility}", visibility)
    files = _bucket_store(world).files_dir(f"{ORG}/{name}")
    (files / "a.txt").write_bytes(b"a")  # as a space writes it through a volume
    return p | {"namespace": ORG, "name": name, "prefix": "trackio", "path": "a.txt"}


def _fresh_bucket(world: World, column: str, visibility: str, p: Params) -> Params:
    name = world.fresh("bucket")
    if visibility != NONE:
        _made_bucket(world, name, visibility)
    return p | {"namespace": ORG, "name": name}


def _same_privacy(world: World, column: str, visibility: str, p: Params) -> Any:
    return {"private": visibility == PRIVATE}


PLATFORM_ROWS = [
    Row("platform", "GET", "/api/health", same_for_all(200)),
    Row("platform", "GET", "/api/gpus", same_for_all(200)),
    Row("nodes", "GET", "/api/nodes", platform_admin(200)),
    Row("nodes", "POST", "/api/nodes/{node}/drain", platform_admin(200)),
    Row("nodes", "POST", "/api/nodes/{node}/activate", platform_admin(200)),
    Row("platform", "GET", "/api/spaces/hardware", same_for_all(200)),
    Row("lists", "GET", "/api/spaces", same_for_all(200)),
    Row("lists", "GET", "/api/hub", same_for_all(200)),
    Row("lists", "GET", "/api/{kinds}", same_for_all(200), kinds="models"),
    Row("lists", "GET", "/api/{kinds}", same_for_all(200), kinds="datasets"),
    Row("oembed", "GET", "/api/oembed", read(), path="oembed"),
    # the Xet CAS takes only its own access token (api/xetauth.py), whoever asks
    Row("xet", "GET", "/xet/cas/v1/reconstructions/{file_id}", same_for_all(401)),
    Row("xet", "GET", "/xet/xorbs/{file_id}", same_for_all(401)),
    # the Xet uploads take only a write token from xet-write-token (api/xetupload.py)
    Row(
        "xet",
        "POST",
        "/xet/cas/v1/xorbs/default/{hash}",
        same_for_all(401),
        prepare=_param("hash", ZERO_ID),
    ),
    Row("xet", "POST", "/xet/cas/v1/shards", same_for_all(401)),
    # Hugging Face Buckets (api/buckets.py): as repos of acme; a list shows whom it may
    Row("buckets", "GET", "/api/buckets/{namespace}", same_for_all(200), prepare=_bucket),
    Row("buckets", "POST", BUCKET, write_into_acme(200), prepare=_fresh_bucket, body=_json({})),
    Row("buckets", "GET", BUCKET, read(), prepare=_bucket),
    Row("buckets", "DELETE", BUCKET, write(200), prepare=_fresh_bucket),
    Row(
        "buckets",
        "PUT",
        BUCKET + "/settings",
        write(200),
        prepare=_bucket,
        body=_same_privacy,
    ),
    Row("buckets", "GET", BUCKET + "/tree", read(), prepare=_bucket),
    Row("buckets", "GET", BUCKET + "/tree/{prefix}", read(), prepare=_bucket),
    Row(
        "buckets",
        "POST",
        BUCKET + "/paths-info",
        read(),
        prepare=_bucket,
        body=_json({"paths": ["a.txt"]}),
    ),
    Row("buckets", "GET", BUCKET + "/xet-write-token", write(200, safe=True), prepare=_bucket),
    Row("buckets", "GET", BUCKET + "/xet-read-token", read(), prepare=_bucket),
    Row("buckets", "GET", BUCKET_FILE, read(), prepare=_bucket),
    Row("buckets", "HEAD", BUCKET_FILE, read(), prepare=_bucket),
    Row("buckets", "POST", BUCKET + "/batch", write(200), prepare=_bucket, body=lambda *_: b""),
    # git's hooks only, with this process's secret (api/githooks.py): nobody else
    Row("git", "POST", "/api/internal/git-hook", same_for_all(404), body=_json({})),
]


def _job(world: World, column: str, visibility: str, p: Params) -> Params:
    """A finished job of acme, stored as the runner stores one."""
    job_id = world.fresh("job")
    world.app[JOBS].store.add_job(
        JobRow(
            id=job_id, namespace=ORG, owner_type="org", initiator={"type": "user", "id": "mia"},
            spec={"dockerImage": "python:3.12", "command": ["true"], "flavor": "cpu-basic"},
            secrets="", stage="COMPLETED", message="", created_at=1.0, started_at=2.0,
            finished_at=3.0, container_id=None, token_id=None, scheduled_id=None,
        )
    )  # fmt: skip
    return p | {"id": job_id}


def _running_job(world: World, column: str, visibility: str, p: Params) -> Params:
    """A job of acme stored as running, with no container (its figures stream ends at once; a
    finished job's would be a 406 for everyone, api/jobmetrics.py)."""
    job_id = world.fresh("job")
    world.app[JOBS].store.add_job(
        JobRow(
            id=job_id, namespace=ORG, owner_type="org", initiator={"type": "user", "id": "mia"},
            spec={"dockerImage": "python:3.12", "command": ["true"], "flavor": "cpu-basic"},
            secrets="", stage="RUNNING", message="", created_at=1.0, started_at=2.0,
            finished_at=None, container_id=None, token_id=None, scheduled_id=None,
        )
    )  # fmt: skip
    return p | {"id": job_id}


def _scheduled(world: World, column: str, visibility: str, p: Params) -> Params:
    # concurrent runs allowed: "run now" of one made for another caller never waits
    made = world.app[SCHEDULES].create(
        ORG, parse_job_spec(JOB_SPEC), "@daily", {"type": "user", "id": "mia"}, concurrency=True
    )
    return p | {"id": made.id}


JOB_SPEC = {"dockerImage": JOB_IMAGE, "command": ["python", "-c", "print(1)"]}
JOBS_PATH, SCHEDULED_PATH = "/api/jobs/{namespace}", "/api/scheduled-jobs/{namespace}"
# Jobs of the namespace acme (api/jobs.py), run by an engine in memory (support/fake_jobs.py)
JOB_ROWS = [
    Row("jobs", "GET", "/api/jobs/hardware", same_for_all(200)),
    # the jobs' package index (api/jobpip.py): packages only, for anyone (jobs send no token)
    Row("jobs", "GET", "/api/jobs-pip/{path}", same_for_all(200), path="0/"),
    Row("jobs", "POST", JOBS_PATH, namespace_write(200), body=_json(JOB_SPEC)),
    Row("jobs", "GET", JOBS_PATH, namespace_member(200)),
    Row("jobs", "GET", JOBS_PATH + "/{id}", namespace_member(200), prepare=_job),
    Row("jobs", "POST", JOBS_PATH + "/{id}/cancel", namespace_write(200), prepare=_job),
    Row("jobs", "GET", JOBS_PATH + "/{id}/logs", namespace_member(200), prepare=_job),
    Row("jobs", "GET", JOBS_PATH + "/{id}/metrics", namespace_member(200), prepare=_running_job),
    Row(
        "jobs",
        "PUT",
        JOBS_PATH + "/{id}/labels",
        namespace_write(200),
        prepare=_job,
        body=_json({"labels": {"k": "v"}}),
    ),
    Row(
        "scheduled jobs",
        "POST",
        SCHEDULED_PATH,
        namespace_write(200),
        body=_json({"jobSpec": JOB_SPEC, "schedule": "@hourly"}),
    ),
    Row("scheduled jobs", "GET", SCHEDULED_PATH, namespace_member(200)),
    Row(
        "scheduled jobs", "GET", SCHEDULED_PATH + "/{id}", namespace_member(200), prepare=_scheduled
    ),
    Row(
        "scheduled jobs",
        "DELETE",
        SCHEDULED_PATH + "/{id}",
        namespace_write(200),
        prepare=_scheduled,
    ),
    *[
        Row(
            "scheduled jobs",
            "POST",
            SCHEDULED_PATH + "/{id}/" + action,
            namespace_write(200),
            prepare=_scheduled,
        )
        for action in ("suspend", "resume", "run")
    ],
    Row(
        "scheduled jobs",
        "POST",
        SCHEDULED_PATH + "/{id}/schedule",
        namespace_write(200),
        prepare=_scheduled,
        body=_json({"schedule": "@weekly"}),
    ),
    Row(
        "scheduled jobs",
        "PUT",
        SCHEDULED_PATH + "/{id}/labels",
        namespace_write(200),
        prepare=_scheduled,
        body=_json({"labels": {"k": "v"}}),
    ),
]

ROWS = SPACE_ROWS + write_api_rows("spaces")
ROWS += hub_rows("models") + hub_rows("datasets") + RESOLVE_ROWS + ACCOUNT_ROWS
ROWS += PLATFORM_ROWS + JOB_ROWS + git_rows()
ROWS += git_ref_rows("models") + git_ref_rows("datasets") + git_ref_rows("spaces")

# -- running a row ----------------------------------------------------------------------------


def _fill(world: World, row: Row, visibility: str, p: Params) -> str:
    """The request path of *row* with *p* (and the row's own path extras)."""
    values = {"owner": ORG, "namespace": ORG, "rev": "main", "path": row.path}
    values |= {"kinds": row.kinds}
    values |= {"file_id": ZERO_ID, "org": ORG, "user": "rita", "node": WORKER.hostname} | p
    path = row.route.format(**values)
    if row.route == spaceaccess.BOUNCE_PATH:
        path += f"?host={ORG}-public-demo"
    if row.route.endswith("/info/refs"):
        path += "?service=git-upload-pack"
    if row.route == "/api/oembed":
        path += f"?url={world.base}/spaces/{ORG}/{values['name']}"
    return path


def cell_params(world: World, row: Row, visibility: str, column: str) -> Params:
    """The placeholders' values for one call (after the row's preparation)."""
    p: Params = {"name": _base(visibility)} if visibility != NONE else {}
    if row.kinds:
        p["kinds"] = row.kinds
    if row.prepare is not None:
        p = row.prepare(world, column, visibility, p)
    return p


def send(world: World, row: Row, visibility: str, column: str, p: Params) -> Answer:
    headers = world.headers(column) | (row.headers(p) if row.headers else {})
    body = row.body(world, column, visibility, p) if row.body else None
    return world.call(row.method, _fill(world, row, visibility, p), headers, body)


def run_cell(world: World, row: Row, visibility: str, column: str) -> Answer:
    return send(world, row, visibility, column, cell_params(world, row, visibility, column))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = tmp_path_factory.mktemp("authz")
    with (
        pytest.MonkeyPatch.context() as mp,
        platform_in(data, settings=fake_settings(data, hub_xet=True)) as platform,
    ):
        mp.setattr(deploy, "SWITCH_GRACE_S", 0.0)  # no router reads the route table here
        engine = FakeJobContainers()
        wheels = data / "wheels"  # the jobs' package index: one wheel folder (api/jobpip.py)
        wheels.mkdir()
        (wheels / "tiny-1.0-py3-none-any.whl").write_bytes(b"wheel")
        index = JobIndex((str(wheels),), (JobSource("find-links", 0, ""),))
        jobs = fake_jobs(data, engine, package_index=index)
        app = make_app(platform, OPERATOR, jobs=jobs, nodes=FakeNodes())
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, daemon=True)
        thread.start()
        runner = web.AppRunner(app)

        async def start() -> tuple[str, aiohttp.ClientSession]:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            jar = aiohttp.DummyCookieJar()
            return f"http://127.0.0.1:{port}", aiohttp.ClientSession(cookie_jar=jar)

        base, http = asyncio.run_coroutine_threadsafe(start(), loop).result(30)
        w = World(base, app, loop, http, platform, app[ACCOUNTS], app[HUB])
        try:
            _populate(w)
            yield w
        finally:

            async def stop() -> None:
                await http.close()
                await runner.cleanup()

            asyncio.run_coroutine_threadsafe(stop(), loop).result(30)
            engine.end_all()
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


def _populate(w: World) -> None:
    acc = w.accounts
    acc.add_user("root", admin=True)
    for name in ("olga", "rita", "oscar"):
        acc.add_user(name, password=PASSWORD)
    acc.add_user("mia", password=PASSWORD)
    acc.create_org(ORG, "olga")
    acc.set_member(ORG, "rita", Role.READ)
    acc.set_member(ORG, "mia", Role.WRITE)
    for column in (READER, OUTSIDER, MEMBER, ADMIN, ORG_ADMIN):
        w.tokens[column] = acc.create_token(USER_OF[column], "ci", Role.WRITE).value
    w.tokens[MEMBER_READ_TOKEN] = acc.create_token("mia", "ro", Role.READ).value
    for visibility in (PUBLIC, PRIVATE):
        w.space(_base(visibility), visibility)
        for kinds in ("models", "datasets"):
            w.repo(kinds, _base(visibility), visibility)


def _cases() -> list[Any]:
    return [
        pytest.param(row, visibility, id=f"{row.id} [{visibility}]")
        for row in ROWS
        for visibility in row.expect
    ]


@pytest.mark.parametrize(("row", "visibility"), _cases())
def test_route(world: World, row: Row, visibility: str) -> None:
    answers = {c: run_cell(world, row, visibility, c) for c in COLUMNS}
    got = {c: a.status for c, a in answers.items()}
    assert got == row.expect[visibility], {
        c: (a.status, a.body[:160])
        for c, a in answers.items()
        if a.status != row.expect[visibility][c]
    }


# -- every route has a row ---------------------------------------------------------------------


def api_routes(app: web.Application) -> set[tuple[str, str]]:
    """``(method, route)`` of every route the API serves: under ``/api/``, or by a
    ``spacehost.api`` handler (resolve, Xet, the bounce). HEAD goes with its GET."""
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = str(info.get("formatter") or info.get("path") or "")
        if path.startswith("/api/") or route.handler.__module__.startswith("spacehost.api"):
            found.add((route.method, path))
    return {(m, p) for m, p in found if m != "HEAD" or ("GET", p) not in found} | {
        (m, p) for m, p in found if m == "HEAD" and "/resolve/" in p
    }


def test_every_api_route_has_a_row(world: World) -> None:
    routes = api_routes(world.app)
    rows = {(r.method, r.route) for r in ROWS}
    assert routes - rows == set(), "routes without a row in ROWS: add one"
    assert rows - routes == set(), "rows for routes that do not exist"


# -- lists show a private repo only to those who may read it -----------------------------------

SEES_PRIVATE = {c: c not in (ANON, OUTSIDER) for c in COLUMNS if c != BAD_TOKEN}


@pytest.mark.parametrize("path", ["/api/spaces", "/api/models", "/api/datasets"])
def test_lists_show_a_private_repo_only_to_its_readers(world: World, path: str) -> None:
    seen = {}
    for column in SEES_PRIVATE:
        answer = world.call("GET", f"{path}?search=private-demo", world.headers(column), None)
        listed = {r["id"]: r.get("private") for r in json.loads(answer.body)}
        seen[column] = f"{ORG}/private-demo" in listed
        if seen[column] and path == "/api/spaces":
            assert listed[f"{ORG}/private-demo"] is True  # huggingface_hub's SpaceInfo.private
    assert seen == SEES_PRIVATE


def test_gpus_name_a_private_space_only_to_its_readers(world: World) -> None:
    """``/api/gpus`` lists the spaces that asked for a GPU (to anyone): not a private one."""
    files = dict(SPACE_FILES)
    files["README.md"] = b"---\ntitle: Demo\nsdk: gradio\nhardware: gpu\n---\n"
    for name, visibility in (("gpu-public", PUBLIC), ("gpu-private", PRIVATE)):
        world.platform.push(SpaceId(ORG, name), files)
        world.platform.set_private(SpaceId(ORG, name), visibility == PRIVATE)
    assert world.platform.wait_idle()
    seen = {}
    for column in SEES_PRIVATE:
        for query in ("", f"?space={ORG}/gpu-private"):
            answer = world.call("GET", "/api/gpus" + query, world.headers(column), None)
            names = {s["space"] for s in json.loads(answer.body)["spaces"]}
            if not query:
                assert f"{ORG}/gpu-public" in names
            seen[column, query] = f"{ORG}/gpu-private" in names
    assert seen == {
        (c, q): v for c, v in SEES_PRIVATE.items() for q in ("", "?space=acme/gpu-private")
    }


# -- docs/accounts.md's route table is this table ----------------------------------------------

DOCS = Path(__file__).resolve().parents[3] / "docs" / "accounts.md"
_WHO = {
    frozenset(COLUMNS) - {BAD_TOKEN}: "anyone",
    frozenset(COLUMNS) - {BAD_TOKEN, ANON}: "signed in",
    frozenset(COLUMNS) - {BAD_TOKEN, ANON, OUTSIDER}: "its readers",
    frozenset(COLUMNS) - {BAD_TOKEN, SESSION}: "anyone (a session: with CSRF)",
    frozenset(COLUMNS) - {BAD_TOKEN, ANON, MEMBER_READ_TOKEN, SESSION}: "signed in, writing",
    frozenset(COLUMNS) - {BAD_TOKEN, ANON, OUTSIDER, MEMBER_READ_TOKEN, SESSION}: (
        "its readers, writing"
    ),
    frozenset({MEMBER, ADMIN, ORG_ADMIN, SESSION_CSRF}): "writers",
    frozenset({MEMBER, ADMIN, ORG_ADMIN, SESSION, SESSION_CSRF}): "writers",
    frozenset(COLUMNS) - {BAD_TOKEN, ANON, OUTSIDER, SESSION, SESSION_CSRF}: (
        "its readers, by token"
    ),
    frozenset({MEMBER, ADMIN, ORG_ADMIN}): "writers, by token",
    frozenset({ADMIN, ORG_ADMIN}): "org admins",
    frozenset({ADMIN}): "platform admins",
    frozenset(): "nobody",
}


def _who(cells: Expect) -> str:
    passed = frozenset(c for c, status in cells.items() if status < 400)
    refused = sorted({str(s) for c, s in cells.items() if s >= 400 and c != BAD_TOKEN})
    if cells[BAD_TOKEN] < 400:
        return "anyone, any token"
    return _WHO[passed] + (f" (else {'/'.join(refused)})" if refused else "")


def route_table() -> str:
    """The route table of docs/accounts.md, from ROWS."""
    lines = ["| routes | public | private |", "|---|---|---|"]
    groups: dict[tuple[str, str, str], list[str]] = {}
    with_spaces = {row.route for row in ROWS if row.kinds == "spaces"}
    for row in ROWS:
        public = _who(row.expect.get(PUBLIC, row.expect.get(NONE, {})))
        private = _who(row.expect[PRIVATE]) if PRIVATE in row.expect else ""
        kinds = "{models,datasets,spaces}" if row.route in with_spaces else "{models,datasets}"
        route = row.route.replace("{kinds}", kinds)
        names = groups.setdefault((row.group, public, private), [])
        if f"{row.method} {route}" not in names:
            names.append(f"{row.method} {route}")
    for (group, public, private), names in groups.items():
        routes = "<br>".join(f"`{n}`" for n in names)
        lines.append(f"| **{group}**<br>{routes} | {public} | {private} |")
    return "\n".join(lines) + "\n"


def test_the_docs_route_table_is_the_tested_one() -> None:
    assert route_table() in DOCS.read_text(), "paste route_table() into docs/accounts.md"


# -- a private repo answers exactly as a missing one -----------------------------------------

REPO_ROWS = [r for r in ROWS if PRIVATE in r.expect and "{owner}" in r.route]


@pytest.mark.parametrize("row", REPO_ROWS, ids=lambda r: r.id)
def test_a_private_repo_answers_those_who_may_not_read_it_as_a_missing_one(
    world: World, row: Row
) -> None:
    """The same status, body and huggingface_hub headers (the name aside) for a private repo
    and a missing one, so that no call, read or write, nor its refusal, tells a name exists."""
    for column in (ANON, OUTSIDER):
        p = cell_params(world, row, PRIVATE, column)
        hidden = send(world, row, PRIVATE, column, p)
        missing = send(world, row, PRIVATE, column, p | {"name": "no-such-repo"})
        assert _shape(hidden, p["name"]) == _shape(missing, "no-such-repo"), column


def _shape(answer: Answer, name: str) -> tuple[int, str | None, str, str]:
    """What the answer says, with the repo's name taken out."""
    text = answer.body.decode().replace(name, "NAME")
    message = answer.headers.get("X-Error-Message", "").replace(name, "NAME")
    return answer.status, answer.headers.get("X-Error-Code"), message, text
