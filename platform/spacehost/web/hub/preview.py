"""The dataset viewer of a dataset's page: its splits and their sizes, the columns and their
types, the label distribution and the first rows, as Hugging Face's viewer shows them
(docs/hub.md, "The pages"). Splits come from the card's ``configs`` (its first config's
``data_files``), else from the data files' names (``train*.csv`` → ``train``); types and
label names from ``dataset_info.features`` when the card has them."""

from __future__ import annotations

import fnmatch
import functools
import html
import posixpath
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from spacehost.store import HubStore
from spacehost.store.hub import HubCommit, HubFile
from spacehost.web.hub.card import Card
from spacehost.web.hub.tabular import FORMATS, Table, UnreadableTable, column_types, read_table

e = html.escape
MAX_PREVIEW_BYTES = 64 << 20  # a larger data file is listed, not read
LABEL_COLUMNS = ("label", "labels")
KNOWN_SPLITS = ("train", "validation", "test")

CSS = """<style>
#preview .bar{display:inline-block;height:10px;background:#6366f1;border-radius:3px;
vertical-align:middle;margin-right:6px}#preview td.cell{max-width:420px;overflow:hidden;
text-overflow:ellipsis;white-space:nowrap}#preview section{margin:10px 0}
</style>"""


def _paths(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v) for v in items if isinstance(v, str)]


def card_splits(card: Card) -> list[tuple[str, list[str]]]:
    """``(split, path patterns)`` of the card's first config, in the card's order."""
    configs = card.data.get("configs")
    first = configs[0] if isinstance(configs, list) and configs else None
    files = first.get("data_files") if isinstance(first, Mapping) else None
    if isinstance(files, str | list) and not (
        isinstance(files, list) and files and isinstance(files[0], Mapping)
    ):
        return [("train", _paths(files))]
    out = []
    for item in files if isinstance(files, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("split"), str):
            out.append((str(item["split"]), _paths(item.get("path"))))
    return out


def _data_files(commit: HubCommit) -> list[HubFile]:
    return [f for f in commit.files if f.path.lower().endswith(FORMATS)]


def file_splits(commit: HubCommit) -> list[tuple[str, list[str]]]:
    """Splits named by the data files: ``data/train-00000.parquet`` → ``train``; other
    names are one ``train`` split."""
    found: dict[str, list[str]] = {}
    for f in _data_files(commit):
        stem = posixpath.basename(f.path).split(".")[0].split("-")[0].lower()
        split = stem if stem in KNOWN_SPLITS else "train"
        found.setdefault(split, []).append(f.path)
    order = [s for s in KNOWN_SPLITS if s in found]
    return [(s, found[s]) for s in order]


def features(card: Card) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The card's column types and class label names (``dataset_info.features``)."""
    info = card.data.get("dataset_info")
    info = info[0] if isinstance(info, list) and info else info
    feats = info.get("features") if isinstance(info, Mapping) else None
    types: dict[str, str] = {}
    labels: dict[str, list[str]] = {}
    for feat in feats if isinstance(feats, list) else []:
        if not isinstance(feat, Mapping) or not isinstance(feat.get("name"), str):
            continue
        name, dtype = feat["name"], feat.get("dtype")
        if isinstance(dtype, str):
            types[name] = dtype
        elif isinstance(dtype, Mapping) and isinstance(dtype.get("class_label"), Mapping):
            names = dtype["class_label"].get("names")
            types[name] = "class_label"
            if isinstance(names, Mapping):
                labels[name] = [str(names[k]) for k in sorted(names, key=lambda k: int(k))]
            elif isinstance(names, list):
                labels[name] = [str(n) for n in names]
    return types, labels


@dataclass(frozen=True)
class SplitTable:
    split: str
    files: list[str]
    table: Table | None  # None: too large, or not readable
    problem: str = ""


@functools.lru_cache(maxsize=64)
def _cached(path: str, sha256: str, blob: str) -> Table:
    with open(blob, "rb") as fh:
        return read_table(path, fh.read(), LABEL_COLUMNS)


def _merge(tables: Sequence[Table]) -> Table:
    first = tables[0]
    merged = Table(first.columns, list(first.rows), 0, {c: [] for c in first.counted})
    for t in tables:
        merged.n_rows += t.n_rows
        for c in merged.counted:
            merged.counted[c].extend(t.counted.get(c, []))
    return merged


def split_table(hub: HubStore, commit: HubCommit, split: str, patterns: list[str]) -> SplitTable:
    """Read the files of one split (patterns as ``fnmatch`` globs over the commit's paths)."""
    files = [f for f in _data_files(commit) if any(fnmatch.fnmatch(f.path, p) for p in patterns)]
    if not files:
        return SplitTable(split, [], None, "no data file matches " + ", ".join(patterns))
    if sum(f.size for f in files) > MAX_PREVIEW_BYTES:
        return SplitTable(split, [f.path for f in files], None, "too large to preview here")
    try:
        tables = [_cached(f.path, f.sha256, str(hub.blob_path(f.sha256))) for f in files]
    except (UnreadableTable, OSError) as exc:
        return SplitTable(split, [f.path for f in files], None, str(exc))
    return SplitTable(split, [f.path for f in files], _merge(tables))


def read_preview(hub: HubStore, commit: HubCommit, card: Card) -> list[SplitTable]:
    """Every split's table (empty: the dataset has no data file the preview reads)."""
    splits = card_splits(card) or file_splits(commit)
    return [split_table(hub, commit, s, p) for s, p in splits]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return f"<td class=cell title='{e(text[:300], quote=True)}'>{e(text[:300])}</td>"


def _distribution(column: str, values: list[Any], names: list[str]) -> str:
    counts = Counter(values)
    total = sum(counts.values()) or 1
    rows = []
    for value, n in sorted(counts.items(), key=lambda kv: str(kv[0])):
        label = str(value)
        if isinstance(value, int) and 0 <= value < len(names):
            label = f"{names[value]} ({value})"
        width = round(200 * n / total)
        rows.append(
            f"<tr data-label='{e(label, quote=True)}'><td>{e(label)}</td><td>{n}</td>"
            f"<td><span class=bar style='width:{width}px'></span>{100 * n / total:.1f} %</td></tr>"
        )
    return (
        f"<section id=labels><h3>Labels: {e(column)}</h3><table><tr><th>Label</th><th>Rows</th>"
        f"<th>Share</th></tr>{''.join(rows)}</table></section>"
    )


def render_preview(splits: Sequence[SplitTable], card: Card) -> str:
    """The viewer's HTML ("" when there is no data file to show)."""
    if not splits:
        return ""
    sizes = "".join(
        f"<tr data-split='{e(s.split, quote=True)}'><td>{e(s.split)}</td>"
        f"<td>{s.table.n_rows if s.table else '—'}</td>"
        f"<td>{e(', '.join(s.files))}{' — ' + e(s.problem) if s.problem else ''}</td></tr>"
        for s in splits
    )
    out = [
        f"{CSS}<section id=preview><h2>Dataset preview</h2><section id=splits><table><tr>"
        f"<th>Split</th><th>Rows</th><th>Files</th></tr>{sizes}</table></section>"
    ]
    shown = next((s for s in splits if s.table is not None), None)
    if shown is not None and shown.table is not None:
        t = shown.table
        declared, names = features(card)
        inferred = column_types(t)
        types = "".join(
            f"<tr data-column='{e(c, quote=True)}'><td>{e(c)}</td>"
            f"<td>{e(declared.get(c) or inferred[c])}</td></tr>"
            for c in t.columns
        )
        out.append(
            f"<section id=columns><h3>Columns</h3><table><tr><th>Column</th><th>Type</th></tr>"
            f"{types}</table></section>"
        )
        for column, values in t.counted.items():
            out.append(_distribution(f"{column} ({shown.split})", values, names.get(column, [])))
        head = "".join(f"<th>{e(c)}</th>" for c in t.columns)
        body = "".join("<tr>" + "".join(_cell(v) for v in r) + "</tr>" for r in t.rows)
        out.append(
            f"<section id=rows><h3>First rows of {e(shown.split)}</h3><table><tr>{head}</tr>"
            f"{body}</table></section>"
        )
    out.append("</section>")
    return "".join(out)
