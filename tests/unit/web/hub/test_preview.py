"""The dataset viewer's reading (web/hub/tabular.py) and splits, types and labels
(web/hub/preview.py), from bytes and cards."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from spacehost.web.hub.card import parse_card
from spacehost.web.hub.preview import SplitTable, card_splits, features, render_preview
from spacehost.web.hub.tabular import UnreadableTable, column_types, read_table

CARD = parse_card("""---
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train.csv
  - split: test
    path: "data/test-*.csv"
dataset_info:
  features:
  - name: text
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': negative
          '1': positive
---
""")


def test_csv_jsonl_and_parquet_give_the_same_table() -> None:
    csv_bytes = b'text,label,score\n"good, really",1,0.5\nbad,0,1\n"<b>",1,2\n'
    jsonl = (
        b'{"text": "good, really", "label": 1, "score": 0.5}\n{"text": "bad", "label": 0, '
        b'"score": 1}\n\n{"text": "<b>", "label": 1, "score": 2}\n'
    )
    buf = io.BytesIO()
    pq.write_table(
        pa.table(
            {"text": ["good, really", "bad", "<b>"], "label": [1, 0, 1], "score": [0.5, 1.0, 2.0]}
        ),
        buf,
    )
    for name, data in (("a.csv", csv_bytes), ("a.jsonl", jsonl), ("a.parquet", buf.getvalue())):
        t = read_table(name, data, ("label",))
        assert t.columns == ["text", "label", "score"] and t.n_rows == 3, name
        assert t.counted == {"label": [1, 0, 1]}, name
        assert column_types(t) == {"text": "string", "label": "int64", "score": "float64"}, name
    with pytest.raises(UnreadableTable):
        read_table("a.txt", b"x")
    with pytest.raises(UnreadableTable):
        read_table("a.jsonl", b"{not json\n")


def test_splits_types_and_label_names_come_from_the_card() -> None:
    assert card_splits(CARD) == [("train", ["data/train.csv"]), ("test", ["data/test-*.csv"])]
    types, labels = features(CARD)
    assert types == {"text": "string", "label": "class_label"}
    assert labels == {"label": ["negative", "positive"]}
    assert card_splits(parse_card("---\nconfigs:\n- data_files: d/*.csv\n---\n")) == [
        ("train", ["d/*.csv"])
    ]


def test_the_viewer_shows_sizes_types_labels_and_escaped_rows() -> None:
    t = read_table("t.csv", b"text,label\n<i>x</i>,1\ny,0\nz,1\n", ("label",))
    page = render_preview(
        [SplitTable("train", ["t.csv"], t), SplitTable("test", [], None, "no data file")], CARD
    )
    assert "data-split='train'><td>train</td><td>3</td>" in page
    assert "data-column='label'><td>label</td><td>class_label</td>" in page
    assert "data-label='positive (1)'><td>positive (1)</td><td>2</td>" in page
    assert "66.7 %" in page and "&lt;i&gt;x&lt;/i&gt;" in page and "<i>x" not in page
    assert "no data file" in page and render_preview([], CARD) == ""
