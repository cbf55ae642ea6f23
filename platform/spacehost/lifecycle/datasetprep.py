"""Make ``datasets.load_dataset("owner/name")`` work offline inside a space.

With ``HF_HUB_OFFLINE=1`` the ``datasets`` library never reads a dataset's raw files from the
hub cache: it lists them through the Hub's API (``HfFileSystem``), and offline it falls back to
what it prepared before in its own cache (``~/.cache/huggingface/datasets/owner___name/...``,
Arrow files plus ``dataset_info.json``). So before a space with ``datasets:`` starts, a short
task runs in the space's own image — its own ``datasets`` version, no network — that loads each
mounted snapshot as a local folder (same README ``configs:``, same data files, same features)
and moves the result to where an earlier online ``load_dataset("owner/name")`` would have left
it. The app then loads it unchanged; ``datasets`` says "Using the latest cached version".

The cache is a per-space volume at ``~/.cache/huggingface/datasets``, writable by the app (its
own ``map`` caches land there too). A marker per (repo, commit) makes the task a no-op when the
prepared data is current; an image without ``datasets`` skips it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from spacehost.domain import RepoKind, SpaceId
from spacehost.lifecycle.hubmounts import DATASETS_CACHE, HUB_CACHE, MountedRepo
from spacehost.runtime.base import Mount
from spacehost.settings import Settings

PREP_TIMEOUT_S = 600.0

# Runs in the space's image with `python3 -c`; argv[1] is a JSON list of [repo_id, sha]. Only
# public `datasets` calls, which have been stable since datasets 2.16.
SCRIPT = r"""
import importlib.util, json, os, shutil, sys, tempfile
jobs = json.loads(sys.argv[1])
cache = os.environ.get("HF_DATASETS_CACHE") or os.path.expanduser(sys.argv[2])
hub = os.path.expanduser(sys.argv[3])
marks = os.path.join(cache, ".spacehost")
def mark(repo, sha):
    return os.path.join(marks, repo.replace("/", "--") + "@" + sha)
todo = [(r, s) for r, s in jobs if not os.path.exists(mark(r, s))]
if not todo:
    print("datasets: prepared already:", ", ".join(r for r, _ in jobs))
    sys.exit(0)
if importlib.util.find_spec("datasets") is None:
    print("datasets: the `datasets` package is not installed; nothing to prepare")
    sys.exit(0)
import datasets
from datasets.naming import camelcase_to_snakecase
if hasattr(datasets, "disable_progress_bars"):  # one line per dataset in the run log, no bars
    datasets.disable_progress_bars()
datasets.logging.set_verbosity_error()
os.makedirs(marks, exist_ok=True)
failed = 0
for repo, sha in todo:
    owner, name = repo.split("/")
    snap = os.path.join(hub, "datasets--%s--%s" % (owner, name), "snapshots", sha)
    links = tempfile.mkdtemp()
    link = os.path.join(links, name)
    os.symlink(snap, link)
    out = tempfile.mkdtemp(dir=cache, prefix=".spacehost-")
    try:
        configs = datasets.get_dataset_config_names(link)
        for config in configs:
            datasets.load_dataset_builder(link, config, cache_dir=out).download_and_prepare()
        snake = camelcase_to_snakecase(name)
        final = os.path.join(cache, "%s___%s" % (owner, snake))
        shutil.rmtree(final, ignore_errors=True)
        os.rename(os.path.join(out, snake), final)
        open(mark(repo, sha), "w").close()
        print("datasets: prepared %s@%s (%s) for load_dataset(%r)" % (
            repo, sha[:12], ", ".join(configs), repo))
    except Exception as exc:
        failed += 1
        print("datasets: could not prepare %s: %s: %s" % (repo, type(exc).__name__, exc))
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(links, ignore_errors=True)
sys.exit(3 if failed else 0)
"""


def datasets_volume(space: SpaceId, settings: Settings) -> str:
    """The volume at ``~/.cache/huggingface/datasets`` of a space that uses hub datasets."""
    return f"spacehost-hfds-{settings.instance[:8]}-{space.slug}"


def datasets_mount(space: SpaceId, settings: Settings) -> Mount:
    return Mount(datasets_volume(space, settings), DATASETS_CACHE, read_only=False, volume=True)


def dataset_repos(repos: Sequence[MountedRepo]) -> list[MountedRepo]:
    return [r for r in repos if r.kind is RepoKind.DATASET]


def prep_command(repos: Sequence[MountedRepo]) -> tuple[str, ...]:
    """The task's command: prepare every dataset in *repos* at its pinned commit."""
    jobs = [[r.repo_id, r.sha] for r in dataset_repos(repos)]
    return ("python3", "-c", SCRIPT, json.dumps(jobs), DATASETS_CACHE, HUB_CACHE)
