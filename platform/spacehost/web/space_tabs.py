"""The App, Logs and Embed tabs of a space's page. Pure: records and URLs in, HTML out."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from spacehost.domain import Sdk, Stage
from spacehost.store import LogLine, SpaceRecord
from spacehost.web.csp import script_constant
from spacehost.web.embed import embed_snippets
from spacehost.web.failed_deploy import FailedDeploy, revision_label
from spacehost.web.status import status_fragment
from spacehost.web.urls import SpaceUrls

LOG_TAIL = 200  # lines a log pane starts with


def app_visible(rec: SpaceRecord) -> bool:
    """True when the app answers at its URL (a container serves it, or its static files do)."""
    if rec.manifest.get("sdk") == Sdk.STATIC.value:
        return rec.stage is Stage.RUNNING
    return rec.stage.is_serving


def app_tab(rec: SpaceRecord, urls: SpaceUrls, status_log: str, src: str = "") -> str:
    """The app in an iframe when it answers; its status (stage, error, log tail) otherwise.
    *src* is where the frame starts when not at the app itself (a private space's pass
    exchange, web/space_pass.py); it ends at the app's origin, whose messages the page reads."""
    if not app_visible(rec):
        return f"<section class=status>{status_fragment(rec, status_log)}</section>"
    e = html.escape
    title = e(str(rec.manifest.get("title") or rec.id.name), quote=True)
    origin = urls.host.rstrip("/")
    return (
        f"<iframe id=app-frame class=app src='{e(src or urls.host, quote=True)}'"
        f" data-origin='{e(origin, quote=True)}'"
        f" title='{title}' allow='clipboard-write; microphone; camera'></iframe>" + FRAME_SIZE_JS
    )


# Sizes the app frame to the app, as Hugging Face does. Gradio pages load iframe-resizer's
# child script (v4, /static/js/iframeResizer.contentWindow.min.js) when framed; this is the
# parent's half of its protocol: answer "[iFrameResizerChild]Ready" with the init message
# (fields: id, bodyMarginV1, sizeWidth, log, interval, enablePublicMethods, autoResize,
# bodyMargin, heightCalculationMethod, bodyBackground, bodyPadding, tolerance, inPageLinks,
# resizeFrom, widthCalculationMethod), then set the frame's height from each size message
# "[iFrameSizer]id:height:width:type". Only messages from the frame's window and origin count.
# A frame that never answers (not Gradio) keeps the CSS height, and no frame gets shorter than
# that (the CSS min-height): a Gradio app still loading is short, and one sized to that
# may render no further (seen under load: Gradio left half-drawn or on "Loading…" in a frame
# sized while it loaded). Gradio turns the child's own resizing off and sends its sizes itself
# (parentIFrame.size), see-sawing while its layout follows the frame (measured for a 2,212 px
# page: 69, 2211.5, 2208, 2186, 2173, 2189 and at times 2212 last): the frame grows at once but
# shrinks only by more than SHRINK px, so it ends at the tallest size, without a scrollbar.
FRAME_SIZE_JS = script_constant("""<script>
(function(){
var f=document.getElementById('app-frame'),origin=f.dataset.origin,tries=0,sized=false;
var MSG='[iFrameSizer]',ID='app-frame',
  INIT=MSG+ID+':8:false:false:32:true:true:null:lowestElement:null:null:0:false:parent:scroll';
var NOT_SIZE=['close','scrollTo','scrollToOffset','pageInfo','pageInfoStop','inPageLink',
  'message','mouseenter','mouseleave','autoResize'],cur=0,SHRINK=48;
function init(){if(sized||tries++>40)return;f.contentWindow.postMessage(INIT,origin);
  setTimeout(init,250);}
window.addEventListener('message',function(e){
  if(e.source!==f.contentWindow||e.origin!==origin||typeof e.data!=='string')return;
  if(e.data==='[iFrameResizerChild]Ready'){tries=0;init();return;}
  if(e.data.indexOf(MSG+ID+':')!==0)return;
  var p=e.data.slice(MSG.length).split(':'),h=parseInt(p[1],10);sized=true;
  if(NOT_SIZE.indexOf(p[3])<0&&h>0&&(h>cur||h<cur-SHRINK)){cur=h;f.style.height=h+'px';}});
f.addEventListener('load',function(){sized=false;tries=0;cur=0;init();});
})();
</script>""")


def _pane(ident: str, title: str, text: str = "") -> str:
    return (
        f"<h2 data-for={ident}>{html.escape(title)}</h2>"
        f"<pre class=log id={ident}>{html.escape(text)}</pre>"
    )


@dataclass(frozen=True)
class LogPanes:
    """What the Logs tab shows besides the live logs, each labelled by revision.

    Attributes:
        run_ref: the serving container (its log is followed live); "" for the newest.
        build_revision: the revision of the newest build ("" when none).
        failed: the newer revision that did not go live, if any.
        failed_run: that revision's container log (it built, then did not start).
        previous: the log of the container before the current one (a crash, a restart).
    """

    run_ref: str = ""
    build_revision: str = ""
    failed: FailedDeploy | None = None
    failed_run: Sequence[LogLine] = ()
    previous: Sequence[LogLine] = ()


def _role(rec: SpaceRecord, revision: str, failed: FailedDeploy | None) -> str:
    if failed is not None and revision == failed.revision:
        return "failed"
    if revision and revision == rec.serving_revision and rec.stage.is_serving:
        return "serving"
    return "building" if rec.stage in (Stage.BUILDING, Stage.RUNNING_BUILDING) else "latest"


def _titled(what: str, revision: str, role: str) -> str:
    return f"{what} · revision {revision_label(revision, role)}" if revision else what


def logs_tab(rec: SpaceRecord, panes: LogPanes) -> str:
    """Container and build logs, followed live over SSE and labelled by revision; the failed
    revision's container log and the previous run's log when there are any."""
    base = f"/api/spaces/{html.escape(str(rec.id), quote=True)}/logs"
    serving = rec.serving_revision or ""
    run_title = _titled("Container log", serving, _role(rec, serving, None))
    build_title = _titled(
        "Build log", panes.build_revision, _role(rec, panes.build_revision, panes.failed)
    )
    body = (
        f"<div id=logs data-base='{base}' data-tail={LOG_TAIL}"
        f" data-run='{html.escape(panes.run_ref, quote=True)}'>"
        + _pane("run-log", run_title)
        + _pane("build-log", build_title)
    )
    if panes.failed is not None and panes.failed.built:
        text = "\n".join(ln.line for ln in panes.failed_run) or panes.failed.detail
        body += _pane(
            "failed-run-log", _titled("Container log", panes.failed.revision, "failed"), text
        )
    if panes.previous:
        body += _pane(
            "previous-log",
            "Previous run (the container before this one)",
            "\n".join(ln.line for ln in panes.previous),
        )
    return body + "</div>" + _LOGS_JS


_LOGS_JS = script_constant("""<script>
(function(){
var box=document.getElementById('logs'),base=box.dataset.base,tail=box.dataset.tail,
  run=box.dataset.run;
function follow(kind,id){var pre=document.getElementById(id),
  src=new EventSource(base+'?kind='+kind+'&follow=1&tail='+tail+
    (kind==='run'&&run?'&run='+encodeURIComponent(run):''));
  // every (re)connection starts with the tail again, so start over on open
  src.onopen=function(){pre.textContent='';};
  src.onmessage=function(e){var d=JSON.parse(e.data),end=pre.scrollHeight-pre.scrollTop-
    pre.clientHeight<40;pre.textContent+=d.data+'\\n';if(end)pre.scrollTop=pre.scrollHeight;};
  // a build log stream ends with its build; do not reconnect to replay it
  if(kind==='build')src.onerror=function(){src.close();};}
follow('run','run-log');follow('build','build-log');
})();
</script>""")


def embed_tab(rec: SpaceRecord, urls: SpaceUrls, gradio_js_url: str) -> str:
    """Copy-paste snippets to embed the space: an iframe and (Gradio spaces) a web component."""
    m = rec.manifest
    if m.get("disable_embedding"):
        return (
            "<p class=note id=embed-disabled>Embedding is disabled for this space "
            "(<code>disable_embedding: true</code> in its README): browsers refuse to show "
            "it in a frame on another site. Link to it instead: "
            f"<a href='{html.escape(urls.host, quote=True)}'>"
            f"{html.escape(urls.host)}</a></p>"
        )
    snippets = embed_snippets(urls.host, gradio_js_url, title=str(m.get("title") or rec.id.name))
    body = (
        "<p>Paste one of these into any web page. The app is served from "
        f"<code>{html.escape(urls.host)}</code>.</p>"
        + _copyable("embed-iframe", "Iframe", snippets.iframe)
    )
    if m.get("sdk") == Sdk.GRADIO.value:
        body += _copyable(
            "embed-component",
            "Web component",
            snippets.web_component,
            "The <code>gradio.js</code> it loads is the space's own Gradio version,"
            " served by this platform (no CDN).",
        )
    return body + COPY_JS


def _copyable(ident: str, title: str, text: str, note: str = "") -> str:
    """A titled snippet with a copy button (*note* is trusted HTML)."""
    return (
        f"<div class=snippet><div class=snippet-head><h3>{html.escape(title)}</h3>"
        f"<button type=button class=copy data-copy={ident}>Copy</button></div>"
        f"{f'<p>{note}</p>' if note else ''}"
        f"<pre id={ident}>{html.escape(text)}</pre></div>"
    )


def copyable(ident: str, title: str, text: str) -> str:
    """A snippet with a copy button, for other tabs (include :data:`COPY_JS` once)."""
    return _copyable(ident, title, text)


COPY_JS = script_constant("""<script>
document.addEventListener('click',function(e){var b=e.target.closest('button[data-copy]');
  if(!b)return;var text=document.getElementById(b.dataset.copy).textContent;
  function done(){b.textContent='Copied';setTimeout(function(){b.textContent='Copy';},1500);}
  function fallback(){var t=document.createElement('textarea');t.value=text;
    document.body.appendChild(t);t.select();document.execCommand('copy');t.remove();done();}
  if(navigator.clipboard){navigator.clipboard.writeText(text).then(done,fallback);}
  else fallback();});
</script>""")
