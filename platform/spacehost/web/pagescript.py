"""The one script every platform page ships for its account forms (sign-in, tokens, members,
admin): a form with ``data-api="METHOD /path"`` is sent with ``fetch()`` as JSON, with the
session's CSRF value (read from the ``spacehost_csrf`` cookie) in ``X-CSRF-Token``; a failure
shows the API's ``{"error": {"message", "hint"}}`` in the form's ``.form-error``.

A form says what happens next with ``data-then``: ``reload`` (the default), ``go:/path``, or
``reveal`` (show the answer's ``data-key`` field, once, in the element ``data-reveal`` names,
after ``data-prefix``). ``data-confirm`` asks first; ``data-body`` (JSON) is merged into the
fields (for booleans); ``{field}`` in the path is filled from the form. A button with
``data-copy=ID`` copies that element's text. Fixed, so allowed by its CSP hash (web/csp.py).
"""

from __future__ import annotations

from spacehost.web.csp import script_constant

FORM_ERROR = "<p class=form-error role=alert hidden></p>"

SCRIPT = script_constant("""<script>
(function(){
function csrf(){var m=document.cookie.match(/(?:^|;\\s*)spacehost_csrf=([^;]*)/);
  return m?decodeURIComponent(m[1]):'';}
function call(method,path,body){var h={'X-CSRF-Token':csrf()},o={method:method,headers:h,
  credentials:'same-origin'};
  if(body!==undefined){h['Content-Type']='application/json';o.body=JSON.stringify(body);}
  return fetch(path,o).then(function(r){return r.text().then(function(t){var j=null;
    try{j=t?JSON.parse(t):null;}catch(e){}
    if(!r.ok){var e=(j&&j.error)||{},err=new Error(e.message||('HTTP '+r.status));
      err.hint=e.hint||'';throw err;}
    return j||{};});});}
function fields(f){var o={};[].forEach.call(f.elements,function(el){if(!el.name)return;
  o[el.name]=el.type==='checkbox'?el.checked:el.value;});
  if(f.dataset.body){var b=JSON.parse(f.dataset.body);for(var k in b)o[k]=b[k];}return o;}
function fill(t,o){return t.replace(/\\{(\\w+)\\}/g,function(_,k){
  return encodeURIComponent(o[k]||'');});}
function done(f,j){var then=f.dataset.then||'reload';
  if(then==='reload'){location.reload();return;}
  if(then.indexOf('go:')===0){location.assign(then.slice(3));return;}
  var box=document.getElementById(f.dataset.reveal);
  box.querySelector('[data-value]').textContent=(f.dataset.prefix||'')+j[f.dataset.key];
  box.hidden=false;f.reset();}
function fail(f,err){var out=f.querySelector('.form-error');
  out.textContent=err.message+(err.hint?' \\u2014 '+err.hint:'');out.hidden=false;}
document.addEventListener('submit',function(ev){var f=ev.target;if(!f.dataset.api)return;
  ev.preventDefault();if(f.dataset.confirm&&!confirm(f.dataset.confirm))return;
  var sp=f.dataset.api.split(' '),body=fields(f),out=f.querySelector('.form-error');
  if(out)out.hidden=true;
  call(sp[0],fill(sp[1],body),sp[0]==='DELETE'?undefined:body)
    .then(function(j){done(f,j);},function(e){fail(f,e);});});
document.addEventListener('click',function(ev){var b=ev.target.closest('[data-copy]');
  if(!b)return;var el=document.getElementById(b.dataset.copy);
  navigator.clipboard.writeText(el.textContent).then(function(){b.textContent='Copied';});});
})();
</script>""")
