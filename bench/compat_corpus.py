"""Run a corpus of real public Spaces, unchanged, on spacehost and in a plain baseline.

The corpus is described by ``compat/corpus/<slug>.source.json`` (which public mirror, commit and
folder each Space comes from, its licence and what it exercises). The Spaces' own files are not
in this repository: ``materialize`` copies them out of a local git copy of the mirror into a
corpus folder (default ``$COMPAT_CORPUS_DIR`` or ``/work/compat-corpus``), as the Space
had them (the mirror's ``_gitattributes``-style renames undone, its own metadata files left out).

Two ways to run a Space (``run --mode``):

- ``baseline``: a plain environment with today's resolution and nothing spacehost adds. A gradio
  Space: a container from ``spacehost/python:3.11-bookworm`` (Debian's python, a venv) running
  ``apt-get install`` of ``packages.txt``, ``pip install -r pre-requirements.txt``, then
  ``pip install gradio==<sdk_version> -r requirements.txt`` against PyPI (no cut-off, no host
  constraints, no mirror), committed to an image and started as ``python <app_file>`` with the
  container contract's environment and no network; probed with ``GET /config`` from inside.
  A docker Space: ``docker build`` of its unchanged folder, then the same start and probe of
  ``/`` on ``app_port``. A static Space: its folder served as files, ``GET /``.
- ``spacehost``: ``spacehost push`` to a platform this script starts (own data dir and port),
  waiting for RUNNING / BUILD_ERROR / RUNTIME_ERROR, then the same probe through the router.

Each Space gets a result (pass/fail), the phase it reached (build, start, probe), the first
error line and its time; ``--out`` gets ``compat-<mode>.json`` and ``compat-<mode>.md``.
Everything this script makes carries the label ``spacehost.compat=1`` (baseline) or belongs to
its platform's instance, and is removed after each Space.

Usage::

    .venv/bin/python bench/compat_corpus.py materialize --mirror /path/to/mirror.git
    .venv/bin/python bench/compat_corpus.py run --mode baseline --out artifacts/compat
    .venv/bin/python bench/compat_corpus.py run --mode spacehost --only hfzhxyz--prediksi
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import docker
import yaml

from benchkit import CLI, ROOT, free_port, launch_platform, platform_env

SOURCES = ROOT / "compat" / "corpus"
DEFAULT_CORPUS = Path(os.environ.get("COMPAT_CORPUS_DIR", "/work/compat-corpus"))
BASE_IMAGE = "spacehost/python:3.11-bookworm"
LABEL = "spacehost.compat"
MIRROR_FILES = ("_hf_meta.json", "_lfs_skipped.json")
MIRROR_META = "_hf_meta.json"
CONTRACT_ENV = {
    "HOME": "/home/user",
    "GRADIO_SERVER_NAME": "0.0.0.0",
    "GRADIO_SERVER_PORT": "7860",
    "GRADIO_NUM_PORTS": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "PYTHONUNBUFFERED": "1",
}
ERROR_LINE = re.compile(
    r"^\s*(?:[\w.]+(?:Error|Exception|Exit)\b.*|ERROR: .*|error: .*|E: .*|"
    r".*pull access denied.*|.*manifest unknown.*|.*not found: manifest.*|"
    r"ResolutionImpossible.*)$"
)


@dataclass
class Space:
    """One corpus entry: its source record and where its files are."""

    slug: str
    source: dict[str, Any]
    folder: Path

    @property
    def manifest(self) -> dict[str, Any]:
        text = (self.folder / "README.md").read_text(encoding="utf-8", errors="replace")
        match = re.match(r"---\s*\n(.*?)\n---", text, re.S)
        loaded = yaml.safe_load(match.group(1)) if match else None
        return loaded if isinstance(loaded, dict) else {}

    @property
    def sdk(self) -> str:
        return str(self.manifest.get("sdk", ""))


@dataclass
class Result:
    """What happened to one Space in one mode."""

    slug: str
    space: str
    sdk: str
    sdk_version: str
    mode: str
    result: str = "fail"
    phase: str = "build"
    reason: str = ""
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


class Failed(Exception):
    """A Space did not get through a phase; ``reason`` is the first error line."""

    def __init__(self, phase: str, reason: str) -> None:
        super().__init__(f"{phase}: {reason}")
        self.phase = phase
        self.reason = reason


# ---------------------------------------------------------------------------- corpus


def load_sources() -> list[dict[str, Any]]:
    """Every ``compat/corpus/*.source.json``, sorted by slug."""
    return [json.loads(p.read_text()) for p in sorted(SOURCES.glob("*.source.json"))]


def materialize(mirror: Path, corpus: Path, only: list[str] = []) -> None:  # noqa: B006
    """Copy each source's folder at its commit out of the git copy *mirror* into *corpus*
    (those whose slug contains one of *only*, all when it is empty)."""
    for src in load_sources():
        if only and not any(o in src["slug"] for o in only):
            continue
        dest = corpus / src["slug"]
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        commit, prefix = src["source"]["commit"], src["source"]["path"].rstrip("/") + "/"
        listing = _git(mirror, "ls-tree", "-r", "-z", commit, prefix).split(b"\0")
        renames = _renames(mirror, commit, prefix)
        for row in filter(None, listing):
            meta, path = row.split(b"\t", 1)
            rel = path.decode()[len(prefix) :]
            if rel in MIRROR_FILES:
                continue
            try:
                blob = _git(mirror, "cat-file", "blob", meta.split()[2].decode())
            except subprocess.CalledProcessError:
                print(f"{src['slug']}: {rel} is not in this copy of the mirror; left out")
                continue
            target = dest / renames.get(rel, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(blob)
            if meta.startswith(b"100755"):
                target.chmod(0o755)
        print(f"{src['slug']}: {sum(1 for _ in dest.rglob('*'))} files")


def _renames(mirror: Path, commit: str, prefix: str) -> dict[str, str]:
    """The mirror stores a Space's git metadata files (``.gitattributes``, ``.gitignore``)
    under other names and lists each in its ``_hf_meta.json``: stored name -> original."""
    try:
        meta = json.loads(_git(mirror, "show", f"{commit}:{prefix}{MIRROR_META}"))
    except subprocess.CalledProcessError:
        return {}
    pairs = [*meta.get("renamed_gitattributes", []), *meta.get("renamed_git_metadata", [])]
    return {p["stored_as"]: p["original"] for p in pairs}


def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args], check=True, capture_output=True
    ).stdout


def select(corpus: Path, only: list[str], limit: int | None) -> list[Space]:
    """The corpus entries to run: those whose slug contains one of *only* (all when empty)."""
    spaces = [
        Space(src["slug"], src, corpus / src["slug"])
        for src in load_sources()
        if not only or any(o in src["slug"] for o in only)
    ]
    return spaces[:limit] if limit else spaces


# ---------------------------------------------------------------------------- errors


def first_error(text: str) -> str:
    """The line that says why: the last line of the first traceback, else the first line that
    looks like an error (pip's ``ERROR:``, apt's ``E:``, a daemon's ``pull access denied``)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            for tail in lines[i + 1 :]:
                if tail and not tail.startswith((" ", "\t", "Traceback")):
                    return tail.strip()[:300]
    for line in lines:
        if ERROR_LINE.match(line) and "WARNING" not in line:
            return line.strip()[:300]
    return (lines[-1].strip() if lines else "")[:300]


# ---------------------------------------------------------------------------- baseline


def baseline(
    space: Space, client: docker.DockerClient, timeout: float, prior_to: str = ""
) -> dict[str, Any]:
    """Build and start *space* in the plain environment; raise :class:`Failed` on the way.
    *prior_to* (an ISO date) makes pip consider only files uploaded before it."""
    if space.sdk == "static":
        return _serve_static(space.folder)
    tag = f"spacehost-compat/{space.slug}:baseline"
    try:
        if space.sdk == "docker":
            _docker_build(space, client, tag, timeout)
            port = int(space.manifest.get("app_port", 7860))
            command: list[str] | None = None
        else:
            _pip_image(space, client, tag, timeout, prior_to)
            port = 7860
            command = ["python", str(space.manifest.get("app_file", "app.py"))]
        return _start_and_probe(space, client, tag, command, port, timeout)
    finally:
        _remove_image(client, tag)


def _docker_build(space: Space, client: docker.DockerClient, tag: str, timeout: float) -> None:
    proc = subprocess.run(
        ["docker", "build", "--label", f"{LABEL}=1", "-t", tag, str(space.folder)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "DOCKER_BUILDKIT": "0"},
    )
    if proc.returncode != 0:
        raise Failed("build", first_error(proc.stdout + proc.stderr))


def _install_script(space: Space) -> str:
    manifest, folder = space.manifest, space.folder
    steps = ["cp -a /src/. /home/user/app/", "cd /home/user/app"]
    if (folder / "packages.txt").exists():
        steps.append(
            "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "
            "--no-install-recommends $(grep -v '^#' packages.txt) && rm -rf /var/lib/apt/lists/*"
        )
    if (folder / "pre-requirements.txt").exists():
        steps.append("pip install -r pre-requirements.txt")
    gradio = f"gradio=={manifest['sdk_version']}" if manifest.get("sdk_version") else "gradio"
    reqs = "-r requirements.txt" if (folder / "requirements.txt").exists() else ""
    steps.append(f"pip install '{gradio}' {reqs}")
    steps.append("chown -R 1000:1000 /home/user /opt/venv")
    return " && ".join(steps)


def _pip_image(
    space: Space, client: docker.DockerClient, tag: str, timeout: float, prior_to: str
) -> None:
    container = client.containers.create(
        BASE_IMAGE,
        ["bash", "-c", _install_script(space)],
        user="0",
        environment={
            "PIP_CONFIG_FILE": "/dev/null",
            "PIP_NO_CACHE_DIR": "0",
            "PIP_CACHE_DIR": "/pipcache",
            "PIP_PROGRESS_BAR": "off",
            **({"PIP_UPLOADED_PRIOR_TO": prior_to} if prior_to else {}),
        },
        volumes={
            str(space.folder.resolve()): {"bind": "/src", "mode": "ro"},
            "spacehost-compat-pipcache": {"bind": "/pipcache", "mode": "rw"},
        },
        labels={LABEL: "1"},
    )
    try:
        container.start()
        status = container.wait(timeout=timeout)
        if status["StatusCode"] != 0:
            raise Failed("build", first_error(_logs(container)))
        container.commit(
            *tag.split(":"),
            conf={"User": "1000", "WorkingDir": "/home/user/app", "Labels": {LABEL: "1"}},
        )
    except Exception as exc:
        if isinstance(exc, Failed):
            raise
        raise Failed("build", f"install did not finish within {timeout:.0f} s ({exc})") from exc
    finally:
        _remove_container(container)


def _remove_container(container: Any) -> None:
    with suppress(docker.errors.APIError):  # already gone (or going)
        container.remove(force=True)


def _logs(container: Any) -> str:
    try:
        return str(container.logs().decode(errors="replace"))
    except docker.errors.APIError as exc:
        return f"error: the container's log is gone ({exc.explanation})"


def _start_and_probe(
    space: Space,
    client: docker.DockerClient,
    tag: str,
    command: list[str] | None,
    port: int,
    timeout: float,
) -> dict[str, Any]:
    env = {**CONTRACT_ENV, "SPACE_ID": space.source["space"], "PORT": str(port)}
    container = client.containers.run(
        tag, command, detach=True, network_mode="none", user="1000",
        environment=env, labels={LABEL: "1"},
    )  # fmt: skip
    probe = (
        "import urllib.request as u, urllib.error as e\n"
        "def s(p):\n"
        "    try: return u.urlopen(f'http://127.0.0.1:PORT{p}', timeout=5).status\n"
        "    except e.HTTPError as x: return x.code\n"
        "print(s('/'), s('/config'))\n"
    ).replace("PORT", str(port))
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            container.reload()
            if container.status == "exited":
                logs = _logs(container)
                raise Failed("start", first_error(logs) or "the app exited")
            out = container.exec_run(["python3", "-c", probe])
            if out.exit_code == 0:
                root, config = (int(x) for x in out.output.split()[:2])
                if note := verdict(space.sdk, root, config):
                    return {"probe": note}
            time.sleep(2)  # the app's own start time: no event to wait on inside a container
        logs = _logs(container)
        raise Failed("start", f"no answer on :{port} within {timeout:.0f} s; "
                     f"last log line: {first_error(logs)}")  # fmt: skip
    finally:
        _remove_container(container)


def verdict(sdk: str, root: int, config: int) -> str | None:
    """Whether a started Space answers, from the statuses of ``GET /`` and ``GET /config``:
    a gradio app serves its ``/config``; a Space of ``sdk: gradio`` whose app is something else
    (a FastAPI app run by uvicorn) answers ``/`` and 404 on ``/config``; a Docker Space answers
    ``/`` with anything but a server error (an API-only backend's ``/`` is a 404, and it runs on
    Hugging Face). None: it does not."""
    if sdk == "gradio" and config == 200:
        return "GET /config -> 200"
    if root == 200 and (sdk != "gradio" or config == 404):
        return "GET / -> 200" + (" (not a gradio app: no /config)" if sdk == "gradio" else "")
    if sdk == "docker" and 0 < root < 500:
        return f"GET / -> {root} (the app's own answer: an API-only app)"
    return None


def _serve_static(folder: Path) -> dict[str, Any]:
    handler = _static_handler(folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = resp.read()
        if b"<" not in body:
            raise Failed("probe", "GET / answered without HTML")
        return {"probe": f"GET / -> {resp.status} ({len(body)} bytes)"}
    except OSError as exc:
        raise Failed("probe", f"GET / failed: {exc}") from exc
    finally:
        server.shutdown()


def _static_handler(folder: Path) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def _remove_image(client: docker.DockerClient, tag: str) -> None:
    with suppress(docker.errors.ImageNotFound):
        client.images.remove(tag, force=True)


# ---------------------------------------------------------------------------- spacehost


@dataclass
class Platform:
    """A `spacehost up` this script started."""

    url: str
    data: Path
    env: dict[str, str]

    def cli(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI, *args], env=self.env, capture_output=True, text=True, timeout=timeout,
            cwd=ROOT,
        )  # fmt: skip


@contextmanager
def running_platform(data: Path, startup_timeout: float) -> Iterator[Platform]:
    """Start a platform on a free port with data dir *data*; stop it and its spaces after."""
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = platform_env(
        data, port,
        {"SPACEHOST_STARTUP_TIMEOUT": str(int(startup_timeout)), "SPACEHOST_OWNER": "compat",
         "SPACEHOST_MAX_UPLOAD": "50m"},
    )  # fmt: skip
    proc = launch_platform(data, port, env)
    platform = Platform(f"http://127.0.0.1:{port}", data, env)
    try:
        _wait(lambda: _answers(f"{platform.url}/api/health") or proc.poll() is not None, 90)
        if proc.poll() is not None:
            raise SystemExit(f"spacehost up exited; see {data / 'platform.log'}")
        yield platform
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)


def on_spacehost(space: Space, platform: Platform, timeout: float) -> dict[str, Any]:
    """Push *space* unchanged, wait for its stage, probe it through the router."""
    name = f"compat/{space_name(space.slug)}"
    push = platform.cli("push", str(space.folder), "--name", name, "--timeout",
                        str(int(timeout)), timeout=timeout + 60)  # fmt: skip
    info = json.loads(platform.cli("info", name, "--json", timeout=60).stdout or "{}")
    stage = str(info.get("runtime", {}).get("stage") or info.get("stage") or "")
    details: dict[str, Any] = {"stage": stage, "push_exit": push.returncode}
    try:
        if push.returncode != 0 or stage != "RUNNING":
            phase = "build" if stage in ("BUILD_ERROR", "BUILDING", "") else "start"
            kind = "--build" if phase == "build" else "--tail"
            logs = platform.cli("logs", name, *([kind] if kind == "--build" else []),
                                "--tail", "400", timeout=60).stdout  # fmt: skip
            reason = first_error(logs) or first_error(push.stdout + push.stderr)
            raise Failed(phase, f"{stage or 'no stage'}: {reason}")
        base = f"{platform.url}/spaces/{name}"
        root, config = _status(f"{base}/"), _status(f"{base}/config")
        note = verdict(space.sdk, root, config)
        if note is None:
            raise Failed("probe", f"GET {base}/ answered {root}, /config {config}")
        details["probe"] = note
        return details
    finally:
        platform.cli("rm", name, "--yes", timeout=120)


def space_name(slug: str) -> str:
    """The name a corpus Space gets on spacehost (names may not hold ``--``)."""
    return slug.replace("--", ".")


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def _answers(url: str) -> bool:
    return _status(url) == 200


def _wait(cond: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {timeout:.0f} s")
        time.sleep(0.2)


# ---------------------------------------------------------------------------- report


def run_one(space: Space, mode: str, runner: Callable[[Space], dict[str, Any]]) -> Result:
    manifest = space.manifest if (space.folder / "README.md").exists() else {}
    result = Result(space.slug, space.source["space"], str(manifest.get("sdk", "")),
                    str(manifest.get("sdk_version", "")), mode)  # fmt: skip
    started = time.monotonic()
    try:
        if not space.folder.is_dir():
            raise Failed("build", f"{space.folder} is missing: run `materialize` first")
        result.details = runner(space)
        result.result, result.phase = "pass", "probe"
    except Failed as exc:
        result.phase, result.reason = exc.phase, exc.reason
    except subprocess.TimeoutExpired as exc:
        result.reason = f"timed out after {exc.timeout:.0f} s"
    result.seconds = round(time.monotonic() - started, 1)
    return result


def markdown(results: list[Result]) -> str:
    passed = sum(r.result == "pass" for r in results)
    lines = [
        f"{passed} of {len(results)} pass ({100 * passed / max(len(results), 1):.0f} %).",
        "",
        "| space | sdk | version | result | phase | seconds | reason |",
        "|---|---|---|---|---|---:|---|",
    ]
    for r in results:
        reason = r.reason.replace("|", "\\|") or r.details.get("probe", "")
        lines.append(
            f"| {r.space} | {r.sdk} | {r.sdk_version} | {r.result} | {r.phase} "
            f"| {r.seconds:.0f} | {reason} |"
        )
    return "\n".join(lines) + "\n"


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return "not run"
    if row["result"] == "pass":
        return f"pass ({row['seconds']:.0f} s)"
    return f"**fail** at {row['phase']}: {row['reason']}".replace("|", "\\|")


def _results(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """The rows of several result files by slug; a later file's row wins (a rerun)."""
    return {r["slug"]: r for path in paths for r in json.loads(path.read_text())}


def combined(runs: list[tuple[str, list[Path]]]) -> str:
    """One Markdown table, a column per ``(title, result JSON files)``, a row per corpus
    Space."""
    loaded = [_results(paths) for _, paths in runs]
    lines = [
        "| space | sdk | version | " + " | ".join(t for t, _ in runs) + " |",
        "|---|---|---|" + "---|" * len(runs),
    ]
    for src in load_sources():
        version = src.get("sdk_version") or ""
        cells = " | ".join(_cell(rows.get(src["slug"])) for rows in loaded)
        lines.append(f"| [{src['space']}]({src['web_url']}) | {src['sdk']} | {version} | {cells} |")
    for (title, _), rows in zip(runs, loaded, strict=True):
        ran = [rows[s["slug"]] for s in load_sources() if s["slug"] in rows]
        passed = sum(r["result"] == "pass" for r in ran)
        lines.append(f"\n{title}: {passed} of {len(ran)} pass.")
    return "\n".join(lines) + "\n"


def write(results: list[Result], out: Path, mode: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"compat-{mode}.json").write_text(json.dumps([asdict(r) for r in results], indent=1))
    (out / f"compat-{mode}.md").write_text(markdown(results))


def cleanup(client: docker.DockerClient) -> None:
    """Remove containers and images this script labelled (left by an interrupted run)."""
    for c in client.containers.list(all=True, filters={"label": f"{LABEL}=1"}):
        c.remove(force=True)
    for image in client.images.list(filters={"label": f"{LABEL}=1"}):
        for tag in image.tags:
            if tag.startswith("spacehost-compat/"):
                _remove_image(client, tag)


def cmd_run(args: argparse.Namespace) -> int:
    spaces = select(args.corpus, args.only, args.limit)
    client = docker.from_env(timeout=600)
    if args.mode == "baseline":
        cleanup(client)
    results: list[Result] = []
    with _runner(args, client) as runner:
        for space in spaces:
            result = run_one(space, args.mode, runner)
            results.append(result)
            print(f"{result.slug}: {result.result} {result.phase} {result.seconds:.0f}s "
                  f"{result.reason}", flush=True)  # fmt: skip
            write(results, args.out, args.mode)
    if args.mode == "baseline":
        cleanup(client)
    print(markdown(results))
    return 0


@contextmanager
def _runner(
    args: argparse.Namespace, client: docker.DockerClient
) -> Iterator[Callable[[Space], dict[str, Any]]]:
    if args.mode == "baseline":
        yield lambda space: baseline(space, client, args.timeout, args.uploaded_prior_to)
        return
    data = args.data or Path(tempfile.mkdtemp(prefix="compat-spacehost-"))
    with running_platform(data, args.timeout) as platform:
        yield lambda space: on_spacehost(space, platform, args.timeout)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    mat = sub.add_parser("materialize", help="copy the Spaces' files out of a mirror's git copy")
    mat.add_argument("--mirror", type=Path, required=True, help="the mirror's git directory")
    mat.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    mat.add_argument("--only", action="append", default=[], help="slug substring (repeatable)")
    run = sub.add_parser("run", help="run the corpus in one mode")
    run.add_argument("--mode", choices=("baseline", "spacehost"), required=True)
    run.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    run.add_argument("--only", action="append", default=[], help="slug substring (repeatable)")
    run.add_argument("--limit", type=int, default=None)
    run.add_argument("--timeout", type=float, default=600, help="seconds per phase (default 600)")
    run.add_argument("--out", type=Path, default=ROOT / "artifacts" / "compat")
    run.add_argument("--data", type=Path, default=None, help="the platform's data dir")
    run.add_argument(
        "--uploaded-prior-to",
        default="",
        metavar="DATE",
        help="baseline only: resolve as of DATE (pip's --uploaded-prior-to), an experiment",
    )
    rep = sub.add_parser("report", help="one Markdown table of several runs' JSON results")
    rep.add_argument(
        "runs",
        nargs="+",
        metavar="TITLE=FILE",
        help="a column title and compat-*.json files, comma-separated (a later one's rows win)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "report":
        pairs = [run.split("=", 1) for run in args.runs]
        columns = [(title, [Path(p) for p in paths.split(",")]) for title, paths in pairs]
        print(combined(columns), end="")
        return 0
    if args.command == "materialize":
        materialize(args.mirror, args.corpus, args.only)
        return 0
    return cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
