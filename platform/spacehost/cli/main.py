"""The ``spacehost`` command: parse arguments, call the API client, print. Errors are formatted
in one place (:func:`main`) and end with the error's exit code."""

from __future__ import annotations

import argparse
import io
import os
import sys
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from spacehost.cli import accounts, connection, hub, infoview, login, output, space_config, tokens
from spacehost.cli.confirm import confirm_delete
from spacehost.cli.gpus import add_commands as add_gpu_commands
from spacehost.cli.nodes import add_commands as add_node_commands
from spacehost.cli.watch import DEFAULT_TIMEOUT_S, Deploy, watch
from spacehost.client import Client
from spacehost.domain import SpaceId
from spacehost.errors import ManifestInvalid, SpacehostError

DEFAULT_URL = connection.DEFAULT_URL
TYPES = ("space", "model", "dataset")
_data_dir = connection.data_dir


def _client(args: argparse.Namespace) -> Client:
    return connection.client(args)


def _space(text: str) -> SpaceId:
    return SpaceId.parse(text)


# commands ---------------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:
    import asyncio

    from spacehost.server.main import serve
    from spacehost.settings import Settings

    data_dir = args.up_data_dir or args.data_dir
    settings = Settings.from_env(
        host=args.host,
        port=args.port,
        domain=args.domain,
        data_dir=Path(data_dir).expanduser() if data_dir else None,
    )
    asyncio.run(serve(settings, on_ready=output.print_ready))
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from spacehost.server.down import down
    from spacehost.settings import Settings

    data_dir = args.down_data_dir or args.data_dir
    settings = Settings.from_env(data_dir=Path(data_dir).expanduser() if data_dir else None)
    done = down(settings)
    for line in done:
        output.info(line)
    if not done:
        output.info(f"nothing of {settings.data_dir} was running")
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from spacehost.server.main import prepare
    from spacehost.settings import Settings

    settings = Settings.from_env(data_dir=_data_dir(args))
    tag = prepare(settings, lambda line: print(f"  {line}", flush=True))
    output.info(f"runtime images ready: {tag}")
    return 0


def pack_folder(files: dict[str, bytes]) -> bytes:
    """A tar.gz of *files* with neutral owners and times (same files, same bytes)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=6) as tar:
        for path in sorted(files):
            info = tarfile.TarInfo(path)
            info.size = len(files[path])
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(files[path]))
    return buf.getvalue()


def cmd_push(args: argparse.Namespace) -> int:
    from spacehost.manifest import load_space, read_folder

    if args.type != "space":
        return hub.push(args, _client(args))

    folder = Path(args.dir)
    files = read_folder(folder)
    name = args.name or f"{os.environ.get('SPACEHOST_OWNER', 'local')}/{folder.resolve().name}"
    space = _space(name)
    source = load_space(files, default_title=space.name)
    for w in source.warnings:
        output.warn(str(w))
    client = _client(args)
    archive = pack_folder(dict(source.files))
    result = client.push(space, archive, private=args.private, hot_reload=args.hot_reload)
    output.info(
        f"pushed {space} revision {result['revision'][:12]}"
        + (" (private)" if args.private else "")
    )
    hot = result.get("hotReload")
    if hot and not hot["applied"]:
        output.info(f"not hot-reloaded: {hot['reason']}; rebuilding")
    if result.get("unchanged"):
        output.info("unchanged: this revision is already running")
    elif hot and hot["applied"]:
        output.info(f"hot-reloaded in {hot['seconds']:.2f} s (no rebuild)")
    elif args.no_wait:
        return 0
    else:
        watch(client, Deploy.started(space, result), args.timeout)
    output.print_urls(result["urls"])
    return 0


def cmd_ls(args: argparse.Namespace) -> int:
    if args.type != "space":
        return hub.ls(args, _client(args))
    output.table(_client(args).list_spaces())
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    data = _client(args).info(_space(args.space))
    if args.json:
        output.dump(data)
    else:
        output.info(infoview.summary(data))
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    client, space = _client(args), _space(args.space)
    kind = "build" if args.build else "run"
    if args.follow:
        for event, data in client.follow_logs(space, kind=kind, tail=args.tail, full=args.full):
            if event == "message":
                print(data["data"], flush=True)
        return 0
    sys.stdout.write(client.logs(space, kind=kind, tail=args.tail, full=args.full))
    return 0


def cmd_restart(args: argparse.Namespace) -> int:
    client, space = _client(args), _space(args.space)
    result = client.restart(space, factory=args.factory)
    output.info(f"restarting {space}" + (" (factory rebuild)" if args.factory else ""))
    if args.no_wait:
        return 0
    watch(client, Deploy.started(space, result), args.timeout)
    output.info(f"{space} is running again")
    output.print_urls(result.get("urls") or client.info(space)["urls"])
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    client, space = _client(args), _space(args.space)
    client.pause(space)
    output.info(f"paused {space}; visits do not wake it: `spacehost restart {space}` does")
    return 0


def cmd_sleeptime(args: argparse.Namespace) -> int:
    client, space = _client(args), _space(args.space)
    runtime = client.set_sleeptime(space, args.seconds)
    timeout = runtime.get("gcTimeout")
    output.info(
        f"{space} never sleeps"
        if timeout is None
        else f"{space} sleeps after {timeout} s without a request"
    )
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    if args.type != "space":
        return hub.rm(args, _client(args))
    client, space = _client(args), _space(args.space)
    if not args.yes:
        client.info(space)  # a space that does not exist is reported, not asked about
        confirm_delete(
            "space", str(space), "its containers, images, /data volume, revisions and logs"
        )
    client.delete(space)
    output.info(f"deleted {space}")
    return 0


def cmd_visibility(args: argparse.Namespace) -> int:
    repo_id = args.repo if args.type != "space" else str(_space(args.repo))
    result = _client(args).set_visibility(args.type, repo_id, args.visibility == "private")
    now = "private: only its readers see it" if result["private"] else "public"
    output.info(f"{args.type} {result['id']} is {now}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from spacehost.manifest import format_report, read_folder, validate_space

    folder = Path(args.dir)
    check = validate_space(read_folder(folder), default_title=folder.resolve().name)
    print(format_report(check.errors, check.warnings))
    if check.source is None:
        return ManifestInvalid.exit_code
    m = check.source.manifest
    output.info(f"{folder}: valid {m.sdk.value} space '{m.title}'")
    return 0


# parser -----------------------------------------------------------------------------------


def _timeout_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help="stop waiting after this long (default %(default)g; the deploy goes on; exit code 12)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spacehost", description="Run Hugging Face-style Spaces on your own machine."
    )
    p.add_argument("--server", help=f"platform URL (env SPACEHOST_URL, default {DEFAULT_URL})")
    p.add_argument(
        "--data-dir",
        help="data directory (env SPACEHOST_DATA_DIR, default "
        "~/.spacehost); the CLI reads the token from it",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, fn: Callable[[argparse.Namespace], int], help_: str) -> Any:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.set_defaults(fn=fn)
        return sp

    up = add("up", cmd_up, "run the platform in the foreground and print its URLs")
    up.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    up.add_argument("--port", type=int, default=None, help="port (default 8000)")
    up.add_argument("--domain", default=None, help="domain for space hosts (default localhost)")
    up.add_argument(
        "--data-dir",
        dest="up_data_dir",
        default=None,
        help="data directory (env SPACEHOST_DATA_DIR, default ~/.spacehost)",
    )
    down = add(
        "down",
        cmd_down,
        "stop the platform, router included (running spaces' "
        "containers stay, adopted by the next `up`)",
    )
    down.add_argument(
        "--data-dir",
        dest="down_data_dir",
        default=None,
        help="data directory (env SPACEHOST_DATA_DIR, default ~/.spacehost)",
    )
    add("prepare", cmd_prepare, "make the runtime images now (base, python, gradio; once)")
    push = add(
        "push",
        cmd_push,
        "upload a space folder, build and run it, print its URL; "
        "or a model or dataset folder to the hub (--type)",
    )
    push.add_argument(
        "dir",
        help="the space folder (README.md with YAML front matter, app.py), "
        "or a model/dataset folder",
    )
    push.add_argument(
        "--type",
        choices=TYPES,
        default="space",
        help="what the folder is (default space; model and dataset go to the hub, docs/hub.md)",
    )
    push.add_argument("--message", "-m", default="", help="model/dataset commit message")
    push.add_argument(
        "--name", help="owner/name (default: $SPACEHOST_OWNER or 'local', and the folder's name)"
    )
    push.add_argument("--no-wait", action="store_true", help="return after the upload")
    push.add_argument(
        "--hot-reload",
        action="store_true",
        help="apply a code-only change to the running Gradio app in place, without a rebuild "
        "(anything else is rebuilt as usual; docs/pushing.md#hot-reload)",
    )
    push.add_argument(
        "--private",
        action="store_true",
        help="make it private: only its user, its organization's members and admins see it "
        "(without it, a new one is public and an existing one keeps its visibility)",
    )
    _timeout_arg(push)
    add("ls", cmd_ls, "list spaces (or models, datasets)").add_argument(
        "--type", choices=TYPES, default="space", help="what to list (default space)"
    )
    info = add(
        "info",
        cmd_info,
        "show a space: stage, URLs, serving and failed revisions, hardware, sleep, last error",
    )
    info.add_argument("space", help="owner/name")
    info.add_argument("--json", action="store_true", help="print the API's raw JSON instead")
    logs = add("logs", cmd_logs, "show a space's container (or build) logs")
    logs.add_argument("space", help="owner/name")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.add_argument("--build", action="store_true", help="the build log instead")
    logs.add_argument("--tail", type=int, default=200, help="how many past lines (default 200)")
    logs.add_argument(
        "--full",
        action="store_true",
        help="with --build: every line the build "
        "wrote (layer ids, pip's and apt's notices, ...), not just the steps, "
        "progress and the failing step's output",
    )
    restart = add("restart", cmd_restart, "restart a space and wait until it runs again")
    restart.add_argument("space", help="owner/name")
    restart.add_argument("--factory", action="store_true", help="rebuild without cache")
    restart.add_argument("--no-wait", action="store_true", help="return once it is restarting")
    _timeout_arg(restart)
    add("pause", cmd_pause, "stop a space until `restart` (visits do not wake it)").add_argument(
        "space", help="owner/name"
    )
    sleeptime = add("sleeptime", cmd_sleeptime, "set how long a space may be idle before it sleeps")
    sleeptime.add_argument("space", help="owner/name")
    sleeptime.add_argument("seconds", type=int, help="seconds idle, or -1 to never sleep")
    rm = add("rm", cmd_rm, "delete a space, its containers and data (or a model or dataset)")
    rm.add_argument("space", help="owner/name")
    rm.add_argument("--type", choices=TYPES, default="space", help="what to delete (default space)")
    rm.add_argument(
        "-y",
        "--yes",
        action="store_true",
        help="delete without asking (needed when stdin is not a terminal, e.g. in scripts)",
    )
    space_config.add_commands(add, _client)
    vis = add(
        "visibility",
        cmd_visibility,
        "make a space (or a model, dataset) private or public",
    )
    vis.add_argument("repo", help="owner/name")
    vis.add_argument("visibility", choices=["public", "private"])
    vis.add_argument("--type", choices=TYPES, default="space", help="what it is (default space)")
    login.add_commands(add)
    accounts.add_commands(add, _client)
    tokens.add_commands(add, _client)
    add_gpu_commands(add, _client)
    add_node_commands(add, _client)
    add("validate", cmd_validate, "check a space folder and print its problems").add_argument(
        "dir", help="the space folder"
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.fn(args)
    except SpacehostError as exc:
        output.error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
