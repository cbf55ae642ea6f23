"""``GET /new-space``: the "New space" page. A signed-in visitor picks an owner (a namespace
they may write), a name, an sdk and the visibility; the page's script calls
``POST /api/repos/create`` (api/repos.py, with the CSRF header) and then shows
``/new-space?created=OWNER/NAME``: how to push to it, and a link to it."""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence

from aiohttp import web

from spacehost import access
from spacehost.appkeys import PLATFORM
from spacehost.domain import Sdk, SpaceId
from spacehost.errors import InvalidSpaceName
from spacehost.identity import Kind
from spacehost.lifecycle.facade import Facade
from spacehost.web.csp import script_constant
from spacehost.web.layout import shell
from spacehost.web.writers import writable_namespaces

ROUTE = "/new-space"

_CSS = """<style>
#new-space label{display:block;margin:10px 0}#new-space fieldset{border:0;padding:0;margin:10px 0}
#new-space-status.error{color:#b91c1c}.push-how pre{background:#f3f4f6;padding:8px 12px;
border-radius:6px;overflow-x:auto}
</style>"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def sign_in_prompt() -> str:
    return (
        "<h1>New space</h1><p>Sign in to create a space: "
        f"<a href='/sign-in?next={ROUTE}'>Sign in</a>.</p>"
    )


def new_space_form(namespaces: Sequence[str]) -> str:
    """The form (handled by :data:`NEW_SPACE_JS`)."""
    owners = "".join(f"<option>{_e(ns)}</option>" for ns in namespaces)
    sdks = "".join(f"<option>{s.value}</option>" for s in Sdk)
    return (
        f"{_CSS}<h1>New space</h1><form id=new-space>"
        f"<label>Owner <select name=owner required>{owners}</select></label>"
        "<label>Name <input name=name required placeholder=my-demo></label>"
        f"<label>SDK <select name=sdk>{sdks}</select></label>"
        "<fieldset><legend>Visibility</legend>"
        "<label><input type=radio name=visibility value=public checked> Public: anyone can "
        "see it</label><label><input type=radio name=visibility value=private> Private: only "
        "you (or the organization's members) can see it</label></fieldset>"
        "<button type=submit>Create space</button>"
        "<p id=new-space-status role=status aria-live=polite></p></form>" + NEW_SPACE_JS
    )


def push_instructions(space: SpaceId, base_url: str, private: bool) -> str:
    """What to do next with the new *space*: push with the CLI (git and huggingface_hub
    uploads are not there yet), and a link to it."""
    sid = _e(space)
    visibility = "private" if private else "public"
    return (
        f"{_CSS}<h1>Space {sid} created</h1>"
        f"<p>It is <strong>{visibility}</strong> and starts with a hello-world app. "
        f"<a id=space-link href='/spaces/{sid}'>Open {sid}</a></p>"
        "<section class=push-how><h2>Push your files</h2>"
        "<p>With the spacehost CLI (a write token from your Tokens page, "
        "<code>spacehost login</code>):</p>"
        f"<pre>SPACEHOST_URL={_e(base_url)} spacehost push ./my-space --name {sid}</pre>"
        "<p>With git: coming (git push to spacehost is not there yet).</p>"
        "<p>With huggingface_hub (<code>hf upload</code>, <code>upload_folder</code>): coming "
        "(uploads through huggingface_hub are not there yet; <code>HfApi.create_repo</code> "
        "works).</p></section>"
    )


def _created(request: web.Request) -> tuple[SpaceId, bool] | None:
    try:
        space = SpaceId.parse(request.query.get("created", ""))
    except InvalidSpaceName:
        return None
    platform: Facade = request.app[PLATFORM]
    resource = access.repo(request, Kind.SPACE, space.owner, space.name)
    if platform.queries.find_space(space) is None or access.hidden(request, resource):
        return None
    return space, resource.private


async def new_space_page(request: web.Request) -> web.Response:
    """``GET /new-space`` (and ``?created=OWNER/NAME`` after the create call)."""
    base_url = request.app[PLATFORM].settings.base_url
    created = await asyncio.to_thread(_created, request) if "created" in request.query else None
    if created is not None:
        body = push_instructions(created[0], base_url, created[1])
    else:
        namespaces = await asyncio.to_thread(writable_namespaces, request)
        body = new_space_form(namespaces) if namespaces else sign_in_prompt()
    return web.Response(text=shell("New space · spacehost", body), content_type="text/html")


NEW_SPACE_JS = script_constant("""<script>
(function(){
var form=document.getElementById('new-space'),status=document.getElementById('new-space-status');
function csrf(){var m=document.cookie.match(/(?:^|; )spacehost_csrf=([^;]*)/);
  return m?decodeURIComponent(m[1]):'';}
form.addEventListener('submit',function(ev){ev.preventDefault();status.className='';
  status.textContent='Creating…';
  var owner=form.owner.value,name=form.name.value,
    body={name:name,organization:owner,type:'space',sdk:form.sdk.value,
      visibility:form.querySelector('input[name=visibility]:checked').value};
  fetch('/api/repos/create',{method:'POST',credentials:'same-origin',
    headers:{'Content-Type':'application/json','X-CSRF-Token':csrf()},
    body:JSON.stringify(body)}).then(function(r){return r.json().then(function(j){
      if(!r.ok){var e=j.error||{};throw new Error((e.message||('HTTP '+r.status))+
        (e.hint?' ('+e.hint+')':''));}
      location.href='/new-space?created='+encodeURIComponent(j.name);});})
  .catch(function(err){status.className='error';status.textContent=err.message;});});
})();
</script>""")


def add_new_space_routes(app: web.Application) -> None:
    app.router.add_get(ROUTE, new_space_page)
