"""A dataset file's table, read for its page's preview (web/hub/preview.py): CSV, JSON Lines and
Parquet (Parquet through pyarrow, when it is installed). Pure: bytes in, a table out.

Column types are inferred from the values (``int64``, ``float64``, ``bool``, ``string``, as
the ``datasets`` library names them) unless the card declares them (``dataset_info.features``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

FORMATS = (".csv", ".jsonl", ".parquet")
PREVIEW_ROWS = 10


@dataclass
class Table:
    """The first rows of a file (``rows``), how many it has (``n_rows``) and every value of
    each column a preview counts (``counted``: the label columns), in file order."""

    columns: list[str]
    rows: list[list[Any]]
    n_rows: int
    counted: dict[str, list[Any]] = field(default_factory=dict)


class UnreadableTable(ValueError):
    """A file whose format is not one of :data:`FORMATS`, or that does not parse."""


def _infer(values: list[Any]) -> str:
    kinds = {type(v) for v in values if v is not None and v != ""}
    if kinds == {bool}:
        return "bool"
    if kinds and kinds <= {int}:
        return "int64"
    if kinds and kinds <= {int, float}:
        return "float64"
    return "string"


def column_types(table: Table) -> dict[str, str]:
    """Each column's type, inferred from the preview's rows."""
    return {c: _infer([r[i] for r in table.rows]) for i, c in enumerate(table.columns)}


def _csv_value(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text


def _table(columns: list[str], records: Iterator[list[Any]], count: tuple[str, ...]) -> Table:
    table = Table(columns, [], 0, {c: [] for c in count if c in columns})
    where = {c: columns.index(c) for c in table.counted}
    for record in records:
        table.n_rows += 1
        if len(table.rows) < PREVIEW_ROWS:
            table.rows.append(record)
        for c, i in where.items():
            table.counted[c].append(record[i] if i < len(record) else None)
    return table


def _read_csv(data: bytes, count: tuple[str, ...]) -> Table:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig", "replace"), newline=""))
    header = next(reader, None)
    if header is None:
        raise UnreadableTable("an empty CSV file")
    rows = ([_csv_value(v) for v in row] for row in reader if row)
    return _table(header, rows, count)


def _read_jsonl(data: bytes, count: tuple[str, ...]) -> Table:
    objs: list[dict[str, Any]] = []
    for line in data.decode("utf-8", "replace").splitlines():
        if line.strip():
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise UnreadableTable(f"a line is not JSON: {exc}") from exc
            objs.append(obj if isinstance(obj, dict) else {"value": obj})
    columns = list(dict.fromkeys(k for o in objs[:1000] for k in o))
    return _table(columns, ([o.get(c) for c in columns] for o in objs), count)


def _read_parquet(data: bytes, count: tuple[str, ...]) -> Table:
    try:
        import pyarrow.parquet as pq  # optional: the datasets library brings it
    except ImportError as exc:
        raise UnreadableTable("Parquet previews need pyarrow on the platform") from exc
    try:
        t = pq.read_table(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        raise UnreadableTable(f"not a readable Parquet file: {exc}") from exc
    columns = [str(n) for n in t.column_names]
    table = Table(columns, [], t.num_rows)
    head = t.slice(0, PREVIEW_ROWS).to_pylist()
    table.rows = [[r.get(c) for c in columns] for r in head]
    table.counted = {c: t.column(c).to_pylist() for c in count if c in columns}
    return table


def read_table(path: str, data: bytes, count: tuple[str, ...] = ()) -> Table:
    """The table of file *path* (its name picks the format); the columns named in *count* are
    kept whole for counting.

    Raises:
        UnreadableTable: not a format the preview reads, or not parseable.
    """
    name = path.lower()
    if name.endswith(".csv"):
        return _read_csv(data, count)
    if name.endswith(".jsonl"):
        return _read_jsonl(data, count)
    if name.endswith(".parquet"):
        return _read_parquet(data, count)
    raise UnreadableTable(f"{path}: the preview reads {', '.join(FORMATS)} files")
