"""The job page's one script: follows the job's log (``GET /api/jobs/{ns}/{id}/logs``, HF's
server-sent events) into ``<pre id=job-log>``, skipping the lines the server already rendered
(``data-lines``), and when the stream ends asks the job again to show its final stage and
message. Without script the page still shows every line stored when it was made. Fixed, so
allowed by its CSP hash (web/csp.py)."""

from __future__ import annotations

from spacehost.web.csp import script_constant

SCRIPT = script_constant("""<script>
(function(){
var pre=document.getElementById('job-log');if(!pre||!pre.dataset.follow)return;
var skip=parseInt(pre.dataset.lines||'0',10),seen=0,api=pre.dataset.follow;
var es=new EventSource(api+'/logs');
es.onmessage=function(ev){seen++;if(seen<=skip)return;var j;
  try{j=JSON.parse(ev.data);}catch(e){return;}
  var atEnd=pre.scrollTop+pre.clientHeight>=pre.scrollHeight-4;
  pre.appendChild(document.createTextNode(j.data+'\\n'));pre.dataset.shown=String(seen);
  if(atEnd)pre.scrollTop=pre.scrollHeight;};
function final(){fetch(api,{credentials:'same-origin'}).then(function(r){return r.json();})
  .then(function(j){var b=document.getElementById('job-stage'),
    m=document.getElementById('job-message');
    var st=j.status||{};if(b&&st.stage){b.textContent=st.stage;
      b.className='badge '+({RUNNING:'running',SCHEDULING:'busy',ERROR:'error',
        COMPLETED:'done'}[st.stage]||'');}
    if(m)m.textContent=st.message||'';pre.dataset.ended='1';});}
es.onerror=function(){es.close();final();};
})();
</script>""")
