"""Every space, model and dataset as a bare git repository (docs/git.md).

Layout under the git root::

    spaces/alice/demo.git        a space's history: one commit per push or commit
    models/alice/bert.git        a model's (its LFS files as pointer blobs; the bytes stay in the
    datasets/alice/data.git      hub's content-addressed blob store, served by the LFS batch API)

The server composes commits itself (a CLI push, huggingface_hub's commit API) with dulwich, a
well-kept pure-Python implementation of git's object format, so a commit's sha is git's own and
``git clone`` gives the same history the API answers. Pushes from git itself arrive through
Debian's ``git http-backend`` into the same directories (server/githttp.py).

Refs move only by compare-and-swap (:meth:`GitRepos.set_ref`), so two writers never lose a commit.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from dulwich.errors import NotGitRepository
from dulwich.object_store import BaseObjectStore, DiskObjectStore, OverlayObjectStore
from dulwich.objects import Blob, Commit, ObjectID, Tag, Tree
from dulwich.refs import Ref, check_ref_format
from dulwich.repo import Repo
from dulwich.walk import Walker

from spacehost.errors import CommitConflict, RepoNotFound, RevisionNotFound

MAIN = "main"
MAIN_REF = "refs/heads/main"
FILE_MODE = 0o100644
EXEC_MODE = 0o100755
_DEFAULT_AUTHOR = "spacehost <spacehost@localhost>"
_Node = dict[str, "_Node | tuple[int, str]"]


@dataclass(frozen=True)
class GitEntry:
    """One file of a commit's tree: its path, mode and blob."""

    path: str
    mode: int
    blob: str  # 40 hex
    size: int


@dataclass(frozen=True)
class GitCommitInfo:
    """A commit as the API shows it."""

    sha: str
    tree: str
    parents: tuple[str, ...]
    author: str
    created_at: float
    message: str

    @property
    def title(self) -> str:
        return self.message.split("\n", 1)[0]


def plural(kind: str) -> str:
    """``spaces``, ``models`` or ``datasets`` for a kind's singular or plural name."""
    return kind if kind.endswith("s") else f"{kind}s"


class GitRepos:
    """The bare repositories under *root*, one per (kind, repo id)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    # -- where ---------------------------------------------------------------------------------

    def path(self, kind: str, repo_id: str) -> Path:
        """The bare repository's directory (whether or not it exists)."""
        owner, name = repo_id.split("/", 1)
        return self.root / plural(kind) / owner / f"{name}.git"

    def exists(self, kind: str, repo_id: str) -> bool:
        return (self.path(kind, repo_id) / "HEAD").is_file()

    def init(self, kind: str, repo_id: str) -> Path:
        """Create the bare repository (``HEAD`` -> ``refs/heads/main``) unless it exists."""
        path = self.path(kind, repo_id)
        with self._lock:
            if not (path / "HEAD").is_file():
                path.mkdir(parents=True, exist_ok=True)
                repo = Repo.init_bare(str(path))
                repo.refs.set_symbolic_ref(Ref(b"HEAD"), Ref(MAIN_REF.encode()))
                repo.close()
        return path

    def delete(self, kind: str, repo_id: str) -> None:
        shutil.rmtree(self.path(kind, repo_id), ignore_errors=True)

    def move(self, kind: str, old_id: str, new_id: str) -> None:
        """Rename the repository directory; nothing when it is already renamed (a move finished
        again after a crash) or *new_id* is taken."""
        src, dst = self.path(kind, old_id), self.path(kind, new_id)
        if src.exists() and not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            src.rename(dst)

    # -- writes --------------------------------------------------------------------------------

    def add_blob(self, kind: str, repo_id: str, data: bytes) -> str:
        """Store *data* as a blob object; its git id."""
        blob = Blob.from_string(data)
        with self._repo(kind, repo_id) as repo:
            repo.object_store.add_object(blob)
        return blob.id.decode()

    def has_object(self, kind: str, repo_id: str, sha: str) -> bool:
        with self._repo(kind, repo_id) as repo:
            return ObjectID(sha.encode()) in repo.object_store

    def write_commit(
        self,
        kind: str,
        repo_id: str,
        entries: Iterable[tuple[str, int, str]],
        message: str,
        parents: Sequence[str] = (),
        *,
        author: str = _DEFAULT_AUTHOR,
        when: float | None = None,
    ) -> str:
        """A commit of the tree of *entries* ``(path, mode, blob id)`` (blobs stored before),
        written as objects; no ref moves. Its sha."""
        stamp = int(time.time() if when is None else when)
        with self._repo(kind, repo_id) as repo:
            store = repo.object_store
            commit = Commit()
            commit.tree = _write_tree(store, entries)
            commit.parents = [ObjectID(p.encode()) for p in parents]
            commit.author = commit.committer = author.encode()
            commit.author_time = commit.commit_time = stamp
            commit.author_timezone = commit.commit_timezone = 0
            commit.encoding = b"UTF-8"
            commit.message = (message.rstrip("\n") + "\n").encode()
            store.add_object(commit)
        return commit.id.decode()

    def set_ref(self, kind: str, repo_id: str, ref: str, new: str, old: str | None) -> None:
        """Move *ref* to *new* if it is now at *old* (None: must not exist).

        Raises:
            CommitConflict: the ref moved meanwhile.
        """
        with self._repo(kind, repo_id) as repo:
            name, target = Ref(_full_ref(ref).encode()), ObjectID(new.encode())
            ok = (
                repo.refs.add_if_new(name, target)
                if old is None
                else repo.refs.set_if_equals(name, ObjectID(old.encode()), target)
            )
        if not ok:
            raise CommitConflict(
                f"{ref} of {repo_id} moved while this commit was made",
                hint="fetch the repo again and retry on the new head",
            )

    def tag(
        self,
        kind: str,
        repo_id: str,
        name: str,
        target: str,
        message: str = "",
        *,
        tagger: str = _DEFAULT_AUTHOR,
    ) -> None:
        """Tag commit *target* as *name*: an annotated tag object when there is a *message*,
        else a plain ref.

        Raises:
            CommitConflict: the tag exists.
        """
        obj = target
        if message:
            tag = Tag()
            tag.name = name.encode()
            tag.object = (Commit, ObjectID(target.encode()))
            tag.tagger = tagger.encode()
            tag.tag_time, tag.tag_timezone = int(time.time()), 0
            tag.message = (message.rstrip("\n") + "\n").encode()
            with self._repo(kind, repo_id) as repo:
                repo.object_store.add_object(tag)
            obj = tag.id.decode()
        self.set_ref(kind, repo_id, f"refs/tags/{name}", obj, None)

    def delete_ref(self, kind: str, repo_id: str, ref: str) -> None:
        with self._repo(kind, repo_id) as repo:
            repo.refs.remove_if_equals(Ref(_full_ref(ref).encode()), None)

    # -- reads ---------------------------------------------------------------------------------

    def refs(self, kind: str, repo_id: str) -> dict[str, str]:
        """Every branch and tag: full ref name -> commit sha (an annotated tag: its commit)."""
        out: dict[str, str] = {}
        with self._repo(kind, repo_id) as repo:
            for name, sha in repo.get_refs().items():
                if name.startswith((b"refs/heads/", b"refs/tags/")):
                    obj = repo[sha]
                    while obj.type_name == b"tag":
                        obj = repo[obj.object[1]]  # type: ignore[attr-defined]
                    out[name.decode()] = obj.id.decode()
        return out

    def ref(self, kind: str, repo_id: str, ref: str = MAIN) -> str | None:
        """The commit *ref* (a branch or tag name, or a full ref) points at; None if none."""
        refs = self.refs(kind, repo_id)
        for name in (ref, f"refs/heads/{ref}", f"refs/tags/{ref}"):
            if name in refs:
                return refs[name]
        return None

    def resolve(self, kind: str, repo_id: str, revision: str = MAIN) -> str:
        """The commit sha *revision* names: a branch, a tag, a full sha or a unique prefix (>= 7).

        Raises:
            RevisionNotFound.
        """
        found = self.ref(kind, repo_id, revision)
        if found is not None:
            return found
        rev = revision.strip().lower()
        if 7 <= len(rev) <= 40 and all(c in "0123456789abcdef" for c in rev):
            with self._repo(kind, repo_id) as repo:
                hits = [s for s in _commit_ids(repo) if s.startswith(rev)]
            if len(hits) == 1:
                return hits[0]
        raise RevisionNotFound(
            f"revision {revision!r} of {repo_id} does not exist",
            hint="use a branch, a tag, a full commit sha or a longer prefix (list them with "
            "GET /api/{type}s/OWNER/NAME/refs)",
        )

    def commit_info(self, kind: str, repo_id: str, sha: str) -> GitCommitInfo:
        with self.reader(kind, repo_id) as r:
            return r.commit_info(sha)

    def log(self, kind: str, repo_id: str, revision: str = MAIN) -> list[GitCommitInfo]:
        """The commits reachable from *revision*, newest first."""
        head = self.resolve(kind, repo_id, revision)
        with self.reader(kind, repo_id) as r:
            return r.commits(head)

    def tree(self, kind: str, repo_id: str, commit: str) -> list[GitEntry]:
        """Every file of *commit*, sorted by path."""
        with self.reader(kind, repo_id) as r:
            return r.tree(commit)

    def read_blob(self, kind: str, repo_id: str, blob: str) -> bytes:
        with self.reader(kind, repo_id) as r:
            return r.read_blob(blob)

    @contextlib.contextmanager
    def reader(self, kind: str, repo_id: str, incoming: Path | None = None) -> Iterator[GitReader]:
        """Reads of the repository's objects; with *incoming* (a push's quarantine directory,
        ``GIT_QUARANTINE_PATH`` in git's pre-receive hook) the pushed objects too."""
        with self._repo(kind, repo_id) as repo:
            store: BaseObjectStore = repo.object_store
            if incoming is not None:
                store = OverlayObjectStore([DiskObjectStore(str(incoming)), store])
            yield GitReader(store)

    # -- helpers -------------------------------------------------------------------------------

    def _repo(self, kind: str, repo_id: str) -> Repo:
        try:
            return Repo(str(self.path(kind, repo_id)))
        except NotGitRepository:
            raise RepoNotFound(
                f"{kind} {repo_id} has no git repository here",
                hint="create the repo first (POST /api/repos/create or a push)",
            ) from None


class GitReader:
    """Commits, trees and blobs of one object store (a repository, or a push being received)."""

    def __init__(self, store: BaseObjectStore) -> None:
        self._store = store

    def commit_info(self, sha: str) -> GitCommitInfo:
        return _info(self._commit(sha))

    def commits(self, head: str, exclude: Sequence[str] = ()) -> list[GitCommitInfo]:
        """The commits reachable from *head* but not from *exclude*, newest first."""
        walker = Walker(
            self._store,
            include=[ObjectID(head.encode())],
            exclude=[ObjectID(e.encode()) for e in exclude if e.strip("0")],
        )
        return [_info(e.commit) for e in walker]

    def tree(self, commit: str) -> list[GitEntry]:
        """Every file of *commit* (symlinks and submodules too, by their mode), by path."""
        return sorted(_walk(self._store, self._commit(commit).tree, ""), key=lambda e: e.path)

    def read_blob(self, blob: str) -> bytes:
        obj = self._store[ObjectID(blob.encode())]
        if not isinstance(obj, Blob):
            raise RevisionNotFound(f"{blob} is not a file's blob")
        return obj.as_raw_string()

    def _commit(self, sha: str) -> Commit:
        try:
            obj = self._store[ObjectID(sha.encode())]
        except KeyError:
            obj = None
        if not isinstance(obj, Commit):
            raise RevisionNotFound(f"{sha} is not a commit here")
        return obj


def valid_ref_name(full_ref: str) -> bool:
    """Whether git takes *full_ref* (``refs/heads/NAME``, ``refs/tags/NAME``) as a ref name."""
    return check_ref_format(Ref(full_ref.encode()))


def _full_ref(ref: str) -> str:
    return ref if ref.startswith("refs/") else f"refs/heads/{ref}"


def _info(c: Commit) -> GitCommitInfo:
    return GitCommitInfo(
        sha=c.id.decode(),
        tree=c.tree.decode(),
        parents=tuple(p.decode() for p in c.parents),
        author=c.author.decode("utf-8", "replace"),
        created_at=float(c.commit_time),
        message=c.message.decode("utf-8", "replace"),
    )


def _commit_ids(repo: Repo) -> Iterator[str]:
    heads = [sha for name, sha in repo.get_refs().items() if name.startswith(b"refs/")]
    if heads:
        for entry in repo.get_walker(include=heads):
            yield entry.commit.id.decode()


def _write_tree(store: BaseObjectStore, entries: Iterable[tuple[str, int, str]]) -> ObjectID:
    """Trees for *entries*, written bottom-up; the root tree's id."""
    root: _Node = {}
    for path, mode, blob in entries:
        node = root
        *dirs, leaf = path.split("/")
        for d in dirs:
            child = node.setdefault(d, {})
            if not isinstance(child, dict):
                raise ValueError(f"{path!r}: {d!r} is both a file and a folder")
            node = child
        node[leaf] = (mode, blob)
    return _store_tree(store, root)


def _store_tree(store: BaseObjectStore, node: _Node) -> ObjectID:
    tree = Tree()
    for name, value in node.items():
        if isinstance(value, dict):
            tree.add(name.encode(), 0o040000, _store_tree(store, value))
        else:
            mode, blob = value
            tree.add(name.encode(), mode, ObjectID(blob.encode()))
    store.add_object(tree)
    return tree.id


def _walk(store: BaseObjectStore, tree_id: ObjectID, prefix: str) -> Iterator[GitEntry]:
    tree = store[tree_id]
    assert isinstance(tree, Tree)
    for item in tree.iteritems():
        path = prefix + item.path.decode()
        if item.mode == 0o040000:
            yield from _walk(store, item.sha, path + "/")
        else:
            size = 0
            if item.mode & 0o170000 == 0o100000:
                obj = store[item.sha]
                size = len(obj.as_raw_string())
            yield GitEntry(path, item.mode, item.sha.decode(), size)
