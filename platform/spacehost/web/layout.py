"""The shell every platform page shares: head, styles, top bar, stage badges. Pure."""

from __future__ import annotations

import html

from spacehost.domain import Stage
from spacehost.web import usermenu
from spacehost.web.favicon import LINK as FAVICON
from spacehost.web.pagescript import SCRIPT as PAGE_SCRIPT

COLORS = {
    "red": "#ef4444",
    "yellow": "#eab308",
    "green": "#22c55e",
    "blue": "#3b82f6",
    "indigo": "#6366f1",
    "purple": "#a855f7",
    "pink": "#ec4899",
    "gray": "#6b7280",
}

STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,sans-serif;margin:0;background:#f7f7f8;color:#1f2328}
a{color:#2563eb}
.top{display:flex;flex-wrap:wrap;align-items:center;gap:6px 16px;padding:10px 16px;
background:#fff;border-bottom:1px solid #e5e7eb}
@media (max-width:480px){.top{gap:6px 12px;padding:8px 10px}}
.top a.brand{font-weight:700;color:#1f2328;text-decoration:none}
.top a{text-decoration:none}.top a.current{font-weight:600;color:#1d4ed8}
main{max-width:1200px;margin:0 auto;padding:16px}
main.full{max-width:none}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-size:.75rem;font-weight:600;
background:#e5e7eb;color:#374151;white-space:nowrap}
.badge.running{background:#dcfce7;color:#166534}
.badge.busy{background:#fef9c3;color:#854d0e}
.badge.error{background:#fee2e2;color:#991b1b}
pre{background:#0d1117;color:#e6edf3;padding:12px;border-radius:8px;overflow:auto;
max-height:480px;font-size:.8rem;white-space:pre-wrap;word-break:break-word}
code{font-size:.85em}
.stage{display:inline-block;padding:2px 10px;border-radius:12px;background:#e5e7eb;
font-size:.85rem;font-weight:600}.err{background:#fee2e2;color:#991b1b}
input,select{font:inherit;padding:6px 8px;border:1px solid #d1d5db;border-radius:8px;
background:#fff;max-width:100%}
button{font:inherit;padding:4px 10px;border:1px solid #d1d5db;border-radius:8px;background:#fff;
cursor:pointer}
table{border-collapse:collapse;display:block;overflow-x:auto;max-width:100%}
h1,h2,h3{overflow-wrap:anywhere}td,th{padding:4px 10px;border-bottom:1px solid #e5e7eb;
text-align:left}
"""

_BUSY = {Stage.BUILDING, Stage.RUNNING_BUILDING, Stage.APP_STARTING, Stage.RUNNING_APP_STARTING}


def badge_class(stage: Stage) -> str:
    """The badge's CSS class for *stage*: running, busy, error or plain."""
    if stage is Stage.RUNNING:
        return "badge running"
    if stage in _BUSY:
        return "badge busy"
    return "badge error" if stage.is_error else "badge"


def stage_badge(stage: Stage, *, id_: str = "") -> str:
    """A badge showing *stage*; pages' scripts update its text and class live."""
    ident = f" id={id_}" if id_ else ""
    return f"<span class='{badge_class(stage)}' data-stage{ident}>{html.escape(stage.value)}</span>"


# the same classification in the browser, for badges updated by polling the API
BADGE_JS = """
function badgeClass(st){if(st==='RUNNING')return 'badge running';
  if(['BUILDING','RUNNING_BUILDING','APP_STARTING','RUNNING_APP_STARTING'].indexOf(st)>=0)
    return 'badge busy';
  if(['BUILD_ERROR','RUNTIME_ERROR','CONFIG_ERROR','NO_APP_FILE'].indexOf(st)>=0)
    return 'badge error';
  return 'badge';}
function setBadge(el,st){if(el.textContent!==st){el.textContent=st;el.className=badgeClass(st);}}
"""


def gradient(color_from: object, color_to: object) -> str:
    """CSS for the card gradient of HF's ``colorFrom``/``colorTo`` (only known colour names)."""
    c1 = COLORS.get(str(color_from), COLORS["blue"])
    c2 = COLORS.get(str(color_to), COLORS["purple"])
    return f"linear-gradient(135deg,{c1},{c2})"


# the top bar's sections: (key, label, href)
NAV = (
    ("spaces", "Spaces", "/"),
    ("models", "Models", "/models"),
    ("datasets", "Datasets", "/datasets"),
    ("jobs", "Jobs", "/jobs"),
    ("docs", "Docs", "/docs"),
)


def top_bar(current: str = "") -> str:
    """The top bar: the brand, then Spaces · Models · Datasets · Docs (*current* marked), and
    the visitor's user menu (web/usermenu.py) at the right."""
    links = "".join(
        f"<a href='{href}'{' class=current aria-current=page' if key == current else ''}>"
        f"{label}</a>"
        for key, label, href in NAV
    )
    menu = usermenu.current()
    return f"<nav class=top><a class=brand href='/'>🚀 spacehost</a>{links}{menu}</nav>"


def shell(
    title: str, body: str, *, head: str = "", main_class: str = "", nav: str = "spaces"
) -> str:
    """A whole HTML page: *body* inside ``<main>`` under the top bar; *head* is trusted HTML;
    *nav* is the top bar's section to mark (a :data:`NAV` key)."""
    cls = f" class={main_class}" if main_class else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{html.escape(title)}</title>{FAVICON}<style>{STYLE}{usermenu.MENU_CSS}</style>"
        f"{head}</head><body>"
        f"{top_bar(nav)}<main{cls}>{body}</main>{PAGE_SCRIPT}</body></html>"
    )
