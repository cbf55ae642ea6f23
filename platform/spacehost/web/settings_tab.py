"""The Settings tab of a space's page, for its writers: visibility, sleep time, variables,
secrets (names only), restart, factory rebuild, duplicate and delete. Every action is a call to
the API (docs/api.md) from the page's script, with the session's CSRF value in ``X-CSRF-Token``
(read from the ``spacehost_csrf`` cookie); the page only shows, the API decides."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from spacehost.store.space_config import ConfigEntry
from spacehost.web.csp import script_constant


@dataclass(frozen=True)
class SettingsView:
    """What the tab shows.

    Attributes:
        space: ``owner/name``.
        private: the space's visibility.
        sleep_seconds: the sleep time in force (``gcTimeout``; None or -1: never sleeps).
        variables: the variables, with values.
        secrets: the secrets' names (their values never leave the platform).
        namespaces: where the visitor may duplicate the space to.
    """

    space: str
    private: bool
    sleep_seconds: int | None
    variables: Sequence[ConfigEntry] = ()
    secrets: Sequence[str] = ()
    namespaces: Sequence[str] = ()


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _visibility(view: SettingsView) -> str:
    now, to = ("private", "public") if view.private else ("public", "private")
    return (
        "<h2>Visibility</h2>"
        f"<p id=visibility-now>This space is <strong>{now}</strong>"
        + (
            ": only you, the members of its organization and admins see it.</p>"
            if view.private
            else ": anyone can see it.</p>"
        )
        + f"<form data-action=visibility data-to={to}>"
        f"<button id=make-{to} type=submit>Make {to}</button></form>"
    )


def _sleep(view: SettingsView) -> str:
    value = "" if view.sleep_seconds is None else str(view.sleep_seconds)
    return (
        "<h2>Sleep time</h2><form data-action=sleeptime>"
        "<label>Seconds idle before the space sleeps (-1: never) "
        f"<input name=seconds type=number min=-1 value='{_e(value)}' required></label> "
        "<button type=submit>Save</button></form>"
    )


def _rows(kind: str, entries: Sequence[tuple[str, str]]) -> str:
    if not entries:
        return f"<p class=none>No {kind}s.</p>"
    rows = "".join(
        f"<tr data-key='{_e(key)}'><td><code>{_e(key)}</code></td><td>{_e(value)}</td>"
        f"<td><form data-action={kind}-delete data-key='{_e(key)}'>"
        f"<button type=submit aria-label='Delete {_e(key)}'>Delete</button></form></td></tr>"
        for key, value in entries
    )
    return f"<table class={kind}s><tbody>{rows}</tbody></table>"


def _add_form(kind: str, value_type: str) -> str:
    return (
        f"<form data-action={kind}-add class=add><input name=key placeholder=NAME required "
        f"aria-label='{kind} name'> <input name=value type={value_type} placeholder=value "
        f"aria-label='{kind} value'> <input name=description placeholder='description "
        f"(optional)' aria-label='{kind} description'> <button type=submit>Add {kind}</button>"
        "</form>"
    )


def _variables(view: SettingsView) -> str:
    entries = [(v.key, v.value or "") for v in view.variables]
    return (
        "<h2>Variables</h2><p class=hint>Environment variables of the app, readable by anyone "
        "who can see the space. Changing one restarts it.</p>"
        + _rows("variable", entries)
        + _add_form("variable", "text")
    )


def _secrets(view: SettingsView) -> str:
    entries = [(name, "•••• (hidden)") for name in view.secrets]
    return (
        "<h2>Secrets</h2><p class=hint>Environment variables whose values never leave the "
        "platform (not even here). Changing one restarts the space.</p>"
        + _rows("secret", entries)
        + _add_form("secret", "password")
    )


def _restart() -> str:
    return (
        "<h2>Restart</h2><form data-action=restart class=inline>"
        "<button type=submit>Restart</button></form> "
        "<form data-action=restart data-factory=1 class=inline>"
        "<button type=submit>Factory rebuild</button></form>"
        "<p class=hint>A factory rebuild builds the image again without the build cache.</p>"
    )


def _duplicate(view: SettingsView) -> str:
    name = view.space.split("/", 1)[1]
    owners = "".join(f"<option>{_e(ns)}</option>" for ns in view.namespaces)
    current = "private" if view.private else "public"
    choices = "".join(
        f"<option{' selected' if v == current else ''}>{v}</option>" for v in ("public", "private")
    )
    return (
        "<h2>Duplicate</h2><form data-action=duplicate>"
        f"<label>Owner <select name=owner>{owners}</select></label> "
        f"<label>Name <input name=name value='{_e(name)}-copy' required></label> "
        f"<label>Visibility <select name=visibility>{choices}</select></label> "
        "<button type=submit>Duplicate</button></form>"
    )


def _delete(view: SettingsView) -> str:
    return (
        "<h2>Delete this space</h2><form data-action=delete class=danger>"
        f"<label>Type <code>{_e(view.space)}</code> to confirm "
        "<input name=confirm autocomplete=off aria-label='space name to confirm'></label> "
        "<button id=delete-space type=submit disabled>Delete</button></form>"
        "<p class=hint>Its container, image, files, variables and secrets go; this cannot be "
        "undone.</p>"
    )


_CSS = """<style>
#settings h2{font-size:1.1rem;margin:20px 0 6px;border-top:1px solid #e5e7eb;padding-top:12px}
#settings h2:first-of-type{border-top:0;padding-top:0}#settings .hint{color:#6b7280;margin:4px 0}
#settings form.inline{display:inline}#settings table{border-collapse:collapse;margin:4px 0}
#settings td{padding:4px 10px;border-bottom:1px solid #f3f4f6}
#settings .danger button{background:#dc2626;color:#fff;border:0;border-radius:6px;padding:4px 10px}
#settings .danger button:disabled{background:#fca5a5}
#settings-status{min-height:1.4em;margin:0 0 8px}#settings-status.error{color:#b91c1c}
#settings-status.ok{color:#15803d}
</style>"""


def settings_tab(view: SettingsView) -> str:
    """The tab's HTML (forms handled by :data:`SETTINGS_JS`)."""
    return (
        f"{_CSS}<div id=settings data-space='{_e(view.space)}'>"
        "<p id=settings-status role=status aria-live=polite></p>"
        + _visibility(view)
        + _sleep(view)
        + _variables(view)
        + _secrets(view)
        + _restart()
        + _duplicate(view)
        + _delete(view)
        + "</div>"
        + SETTINGS_JS
    )


SETTINGS_JS = script_constant("""<script>
(function(){
var root=document.getElementById('settings'),space=root.dataset.space,
  base='/api/spaces/'+space,status=document.getElementById('settings-status');
function csrf(){var m=document.cookie.match(/(?:^|; )spacehost_csrf=([^;]*)/);
  return m?decodeURIComponent(m[1]):'';}
function say(text,bad){status.textContent=text;status.className=bad?'error':'ok';}
function call(method,path,body){
  var init={method:method,credentials:'same-origin',
    headers:{'Content-Type':'application/json','X-CSRF-Token':csrf()}};
  if(body!==undefined)init.body=JSON.stringify(body);
  return fetch(base+path,init).then(function(r){
    return r.json().catch(function(){return {};}).then(function(j){
      if(!r.ok){var e=j.error||{};
        throw new Error((e.message||('HTTP '+r.status))+(e.hint?' ('+e.hint+')':''));}
      return j;});});}
function fields(f){return {key:f.key.value,value:f.value.value,
  description:f.description.value||undefined};}
function reload(){location.reload();}
var actions={
  visibility:function(f){return call('PUT','/settings',{visibility:f.dataset.to}).then(reload);},
  sleeptime:function(f){return call('POST','/sleeptime',{seconds:parseInt(f.seconds.value,10)})
    .then(function(j){say('Sleep time saved ('+j.gcTimeout+' s).');});},
  'variable-add':function(f){return call('POST','/variables',fields(f)).then(reload);},
  'variable-delete':function(f){return call('DELETE','/variables',{key:f.dataset.key})
    .then(reload);},
  'secret-add':function(f){return call('POST','/secrets',fields(f)).then(reload);},
  'secret-delete':function(f){return call('DELETE','/secrets',{key:f.dataset.key})
    .then(reload);},
  restart:function(f){return call('POST','/restart'+(f.dataset.factory?'?factory=1':''))
    .then(function(){say(f.dataset.factory?'Rebuilding from scratch: see the Logs tab.':
      'Restarting: see the Logs tab.');});},
  duplicate:function(f){var to=f.owner.value+'/'+f.name.value;
    return call('POST','/duplicate',{to:to,visibility:f.visibility.value}).then(function(j){
      say('Duplicated to ');var a=document.createElement('a');a.href='/spaces/'+j.id;
      a.id='duplicate-link';a.textContent=j.id;status.appendChild(a);});},
  'delete':function(f){if(f.confirm.value!==space)
      return Promise.reject(new Error('type '+space+' to confirm'));
    return call('DELETE','').then(function(){location.href='/';});}
};
root.addEventListener('submit',function(ev){var f=ev.target,act=actions[f.dataset.action];
  if(!act)return;ev.preventDefault();say('…');
  act(f).catch(function(err){say(err.message,true);});});
root.addEventListener('input',function(ev){var f=ev.target.form;
  if(f&&f.dataset.action==='delete')
    f.querySelector('button').disabled=ev.target.value!==space;});
})();
</script>""")
