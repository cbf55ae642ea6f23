"""A model card's ``model-index`` as a table and its lineage as links (web/hub/modelindex.py),
and a study's trials as curves (web/metricsfile.py ``trials_curves``), from strings."""

from __future__ import annotations

import json

from spacehost.web.hub.card import parse_card
from spacehost.web.hub.modelindex import lineage, results, results_table
from spacehost.web.metricsfile import trials_curves

CARD = """---
base_model: sentence-transformers/all-MiniLM-L6-v2
datasets: [spacehost/movie-reviews]
model-index:
- name: minilm-movie-reviews
  results:
  - task: {type: text-classification, name: Text Classification}
    dataset: {name: spacehost/movie-reviews, type: spacehost/movie-reviews, split: test}
    metrics:
    - {type: accuracy, value: 0.8466666, name: Accuracy}
    - {type: f1, value: 0.85}
  - "not a result"
---
# card
"""


def test_the_model_index_becomes_rows_of_a_table() -> None:
    card = parse_card(CARD)
    assert results(card) == [
        (
            "minilm-movie-reviews",
            "Text Classification",
            "spacehost/movie-reviews [test]",
            "Accuracy",
            "0.8467",
        ),
        (
            "minilm-movie-reviews",
            "Text Classification",
            "spacehost/movie-reviews [test]",
            "f1",
            "0.85",
        ),
    ]
    assert results_table(card).count("<tr>") == 3
    assert results_table(parse_card("# no front matter")) == ""
    hostile = parse_card(
        "---\nmodel-index:\n- name: '<b>'\n  results:\n  - metrics:\n"
        "    - {name: x, value: 1}\n---\n"
    )
    assert "&lt;b&gt;" in results_table(hostile) and "<b>" not in results_table(hostile)


def test_the_lineage_links_the_base_model_and_the_datasets() -> None:
    links = lineage(parse_card(CARD))
    assert "href='/sentence-transformers/all-MiniLM-L6-v2'" in links
    assert "href='/datasets/spacehost/movie-reviews'" in links
    assert lineage(parse_card("---\nbase_model: 3\n---\n")) == ""


def test_a_studys_trials_are_curves_over_the_trial_number() -> None:
    rows = [
        {
            "number": 0,
            "state": "COMPLETE",
            "validation_accuracy": 0.8,
            "learning_rate": 2e-5,
            "test_accuracy": 0.79,
            "seconds": 12.0,
        },
        {"number": 1, "state": "PRUNED", "validation_accuracy": 0.1},
        {
            "number": 2,
            "state": "COMPLETE",
            "validation_accuracy": 0.86,
            "learning_rate": 5e-5,
            "test_accuracy": 0.85,
            "seconds": 14.0,
        },
    ]
    curves = trials_curves(json.dumps(rows))
    assert curves.metrics["trials: validation_accuracy"] == {"study": [(0.0, 0.8), (2.0, 0.86)]}
    assert set(curves.metrics) == {
        "trials: validation_accuracy",
        "trials: test_accuracy",
        "trials: seconds",
    }  # the searched parameters are not curves
    assert trials_curves("not json").metrics == {}
