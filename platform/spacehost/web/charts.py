"""Line charts as inline SVG, drawn on the server (no script, no CDN): one chart per metric, one
line per run. Pure. Each line is a ``<path data-run=…>`` and each point a ``<circle
data-step=… data-value=…>`` with a ``<title>`` tooltip, so pages and tests can read the values."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

from spacehost.web.metricsfile import Curves, Point

WIDTH, HEIGHT = 360, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 10, 24, 28
PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#db2777", "#65a30d")
MAX_POINTS_DRAWN = 400  # circles per line; the path keeps every point

CSS = """<style>
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{background:#fff;border:1px solid #e5e7eb;
border-radius:8px}.chart text{font-size:10px;fill:#374151}.chart .axis{stroke:#9ca3af}
.legend{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:.8rem}.legend i{display:inline-block;
width:10px;height:10px;border-radius:2px;margin-right:4px}
</style>"""


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _span(lo: float, hi: float) -> tuple[float, float]:
    return (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)


def color(i: int) -> str:
    """The colour of the *i*-th run (the palette repeats)."""
    return PALETTE[i % len(PALETTE)]


def line_chart(title: str, series: Mapping[str, Sequence[Point]], runs: Sequence[str]) -> str:
    """An ``<svg>`` chart titled *title*: a line per run of *series* (coloured by its place in
    *runs*, so every chart of a page uses the same colour for a run)."""
    points = [p for pts in series.values() for p in pts]
    if not points:
        return ""
    x0, x1 = _span(min(p[0] for p in points), max(p[0] for p in points))
    y0, y1 = _span(min(p[1] for p in points), max(p[1] for p in points))
    w, h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + (x - x0) / (x1 - x0) * w

    def sy(y: float) -> float:
        return TOP + (1 - (y - y0) / (y1 - y0)) * h

    lines = []
    for run, pts in series.items():
        c = color(runs.index(run) if run in runs else 0)
        d = " ".join(f"{'L' if i else 'M'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(pts))
        dots = "".join(
            f"<circle cx='{sx(x):.1f}' cy='{sy(y):.1f}' r='2' fill='{c}' data-step='{_fmt(x)}' "
            f"data-value='{_fmt(y)}'><title>{html.escape(run)} · step {_fmt(x)}: {_fmt(y)}"
            "</title></circle>"
            for x, y in pts[:MAX_POINTS_DRAWN]
        )
        lines.append(
            f"<g data-run='{html.escape(run, quote=True)}'><path d='{d}' fill='none' "
            f"stroke='{c}' stroke-width='1.5' data-run='{html.escape(run, quote=True)}'/>"
            f"{dots}</g>"
        )
    axes = (
        f"<line class=axis x1='{LEFT}' y1='{TOP + h}' x2='{LEFT + w}' y2='{TOP + h}'/>"
        f"<line class=axis x1='{LEFT}' y1='{TOP}' x2='{LEFT}' y2='{TOP + h}'/>"
        f"<text x='{LEFT - 4}' y='{TOP + 4}' text-anchor=end>{_fmt(y1)}</text>"
        f"<text x='{LEFT - 4}' y='{TOP + h}' text-anchor=end>{_fmt(y0)}</text>"
        f"<text x='{LEFT}' y='{HEIGHT - 8}'>{_fmt(x0)}</text>"
        f"<text x='{LEFT + w}' y='{HEIGHT - 8}' text-anchor=end>step {_fmt(x1)}</text>"
    )
    name = html.escape(title)
    return (
        f"<svg class=chart data-metric='{html.escape(title, quote=True)}' role=img "
        f"aria-label='{name}' width='{WIDTH}' height='{HEIGHT}' viewBox='0 0 {WIDTH} {HEIGHT}'"
        f" xmlns='http://www.w3.org/2000/svg'><text x='{LEFT}' y='14' font-weight='600'>{name}"
        f"</text>{axes}{''.join(lines)}</svg>"
    )


def legend(runs: Sequence[str]) -> str:
    """The runs' colours, when there is more than one run."""
    if len(runs) < 2:
        return ""
    items = "".join(
        f"<span><i style='background:{color(i)}'></i>{html.escape(r)}</span>"
        for i, r in enumerate(runs)
    )
    return f"<div class=legend>{items}</div>"


def curves_section(curves: Curves, heading: str = "Training curves") -> str:
    """Every metric's chart with a legend of runs, or "" when there is nothing to draw."""
    if not curves.metrics:
        return ""
    runs = curves.runs
    charts = "".join(line_chart(m, s, runs) for m, s in curves.metrics.items())
    return (
        f"{CSS}<section id=curves><h2>{html.escape(heading)}</h2>{legend(runs)}"
        f"<div class=charts>{charts}</div></section>"
    )
