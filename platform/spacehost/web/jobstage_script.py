"""The Jobs pages' live stage script: while a job is waiting or running, its page asks the jobs
API (``GET /api/jobs/{ns}/{id}``, once a second) and shows its stage, message, start, end and
duration as they change; the list page asks ``GET /api/jobs/{ns}?stage=SCHEDULING&stage=RUNNING``
(every two seconds: the active jobs only) while any of its rows is waiting or running, updates
those rows' stage and duration, and asks each row that left that list, once, how it ended. Both
stop once what they show has ended. The pages say where to ask with ``data-api`` (only while
something is still active); without script they show what was true when they were made. Fixed,
so allowed by its CSP hash (web/csp.py). The duration text is job_render.duration's, from the
API's ``durations.runningSecs``."""

from __future__ import annotations

from spacehost.web.csp import script_constant

SCRIPT = script_constant("""<script>
(function(){
var CLS={RUNNING:'running',SCHEDULING:'busy',ERROR:'error',COMPLETED:'done'};
var ENDED={COMPLETED:1,ERROR:1,CANCELED:1,DELETED:1};
function dur(j){var s=(j.durations||{}).runningSecs;
  if(s===null||s===undefined)return j.finishedAt?'\\u2014':'waiting';
  if(s<60)return s+' s';if(s<3600)return Math.floor(s/60)+' min '+(s%60)+' s';
  return Math.floor(s/3600)+' h '+Math.floor(s%3600/60)+' min';}
function when(t){return t?t.slice(0,10)+' '+t.slice(11,19)+' UTC':'\\u2014';}
function badge(b,stage){if(!b||!stage)return;if(b.textContent!==stage)b.textContent=stage;
  b.className='badge '+(CLS[stage]||'');}
function text(el,t){if(el&&el.textContent!==t)el.textContent=t;}
function byId(id){return document.getElementById(id);}
function poll(url,every,apply){fetch(url,{credentials:'same-origin'})
  .then(function(r){if(!r.ok)throw new Error(String(r.status));return r.json();})
  .then(function(j){if(apply(j))setTimeout(function(){poll(url,every,apply);},every);},
        function(){setTimeout(function(){poll(url,every,apply);},5*every);});}
var facts=byId('job-facts');
if(facts&&facts.dataset.api)poll(facts.dataset.api,1000,function(j){var st=j.status||{};
  badge(byId('job-stage'),st.stage);text(byId('job-message'),st.message||'');
  text(byId('job-started'),when(j.startedAt));text(byId('job-finished'),when(j.finishedAt));
  text(byId('job-duration'),dur(j));return !ENDED[st.stage];});
var table=byId('jobs');
function waiting(){return Array.prototype.filter.call(table.querySelectorAll('tr[data-job]'),
  function(tr){var b=tr.querySelector('.badge');return b&&!ENDED[b.textContent];});}
function row(tr,j){badge(tr.querySelector('.badge'),(j.status||{}).stage);
  text(tr.querySelector('.duration'),dur(j));}
if(table&&table.dataset.api){var api=table.dataset.api;
  poll(api+'?stage=SCHEDULING&stage=RUNNING',2000,function(list){var now={};
    list.forEach(function(j){now[j.id]=j;});
    waiting().forEach(function(tr){var id=tr.getAttribute('data-job');
      if(now[id]){row(tr,now[id]);return;}
      fetch(api+'/'+encodeURIComponent(id),{credentials:'same-origin'})
        .then(function(r){return r.ok?r.json():null;}).then(function(j){if(j)row(tr,j);});});
    return waiting().length>0;});}
})();
</script>""")
