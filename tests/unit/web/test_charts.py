"""The metrics file (web/metricsfile.py) and its SVG charts (web/charts.py), from strings."""

from __future__ import annotations

import re

from spacehost.web.charts import HEIGHT, LEFT, TOP, WIDTH, curves_section, line_chart
from spacehost.web.metricsfile import parse_metrics

STUDY = """\
{"run": "trial-0", "step": 0, "train/loss": 1.0, "eval/accuracy": 0.5}
{"run": "trial-0", "step": 10, "train/loss": 0.5}
{"run": "trial-1", "step": 0, "train/loss": 0.8, "lr": 2e-5}
not json
[1, 2]
{"run": "trial-1", "step": 10, "train/loss": NaN, "flag": true, "note": "x"}
{"train/loss": 0.3}
{"train/loss": 0.2}
"""


def test_a_metrics_file_gives_a_curve_per_metric_and_run() -> None:
    curves = parse_metrics(STUDY)
    assert curves.metrics["train/loss"] == {
        "trial-0": [(0.0, 1.0), (10.0, 0.5)],
        "trial-1": [(0.0, 0.8)],  # NaN is not a point
        "main": [(0.0, 0.3), (1.0, 0.2)],  # no run: "main"; no step: its place in the run
    }
    assert curves.metrics["eval/accuracy"] == {"trial-0": [(0.0, 0.5)]}
    assert curves.metrics["lr"] == {"trial-1": [(0.0, 2e-5)]}
    assert "flag" not in curves.metrics and "note" not in curves.metrics  # not numbers
    assert curves.runs == ["trial-0", "trial-1", "main"]
    assert curves.skipped == 2


def _points(svg: str) -> list[tuple[float, float, str, str]]:
    found = re.findall(
        r"<circle cx='([\d.]+)' cy='([\d.]+)'[^>]*data-step='([^']*)' "
        r"data-value='([^']*)'",
        svg,
    )
    return [(float(x), float(y), s, v) for x, y, s, v in found]


def test_a_chart_puts_the_lowest_value_at_the_bottom_and_the_last_step_at_the_right() -> None:
    svg = line_chart("loss", {"a": [(0, 1.0), (5, 0.5), (10, 0.25)]}, ["a"])
    pts = _points(svg)
    assert [(s, v) for _, _, s, v in pts] == [("0", "1"), ("5", "0.5"), ("10", "0.25")]
    (x0, y0, *_), (x1, y1, *_), (x2, y2, *_) = pts
    assert x0 == LEFT and x2 == WIDTH - 10 and x1 == (x0 + x2) / 2
    assert y0 == TOP and y2 == HEIGHT - 28  # the highest value at the top, the lowest at the bottom
    assert y0 < y1 < y2
    assert f"d='M{x0:.1f},{y0:.1f} L{x1:.1f},{y1:.1f} L{x2:.1f},{y2:.1f}'" in svg


def test_runs_keep_their_colour_on_every_chart_and_names_are_escaped() -> None:
    curves = parse_metrics(
        '{"run": "<b>x</b>", "loss": 1, "acc": 0.1}\n{"run": "y", "loss": 2, "acc": 0.2}\n'
    )
    html = curves_section(curves)
    assert html.count("<svg") == 2 and "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    colours = re.findall(r"<path [^>]*stroke='(#\w+)' [^>]*data-run='([^']*)'", html)
    assert colours[:2] == colours[2:]  # the same run, the same colour, in both charts
    assert "class=legend" in html


def test_a_single_point_or_flat_line_is_still_drawn_inside_the_chart() -> None:
    for pts in ([(3.0, 0.7)], [(0.0, 0.7), (1.0, 0.7)]):
        for x, y, _, _ in _points(line_chart("m", {"r": pts}, ["r"])):
            assert LEFT <= x <= WIDTH and TOP <= y <= HEIGHT
    assert line_chart("m", {}, []) == "" and curves_section(parse_metrics("")) == ""
