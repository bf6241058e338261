/** The status page: one self-contained HTML file (no CDN), updated by server-sent events. */
export const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>polybot</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#0f1115;color:#e6e6e6}
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.75rem 1rem;background:#171a21;position:sticky;top:0}
h1{font-size:1.1rem;margin:0}h2{font-size:1rem;margin:1rem 0 .5rem}
main{padding:0 1rem 2rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:.75rem}
.card{background:#171a21;border:1px solid #262b36;border-radius:8px;padding:.6rem .8rem;font-size:.9rem}
.card b{font-size:1rem}.muted{color:#8b93a7}.ok{color:#4ade80}.bad{color:#f87171}
table{width:100%;border-collapse:collapse;font-size:.85rem;display:block;overflow-x:auto}td,th{padding:.25rem .4rem;border-bottom:1px solid #262b36;text-align:left}
button{background:#2a3040;color:#e6e6e6;border:1px solid #3a4257;border-radius:6px;padding:.35rem .8rem;font-size:.9rem}
button.halt{background:#7f1d1d;border-color:#b91c1c}
#breaker{font-weight:600}
a{color:#93c5fd}
</style></head><body>
<header><h1>polybot</h1><span id="breaker">…</span>
<button class="halt" id="halt">Halt</button><button id="resume">Resume</button>
<a href="queues">Bull Board</a><span class="muted" id="updated"></span></header>
<main>
<h2>Live windows</h2><div class="grid" id="markets"></div>
<h2>Open orders</h2><table id="orders"><thead><tr><th>order</th><th>asset</th><th>side</th><th>price</th><th>size</th><th>filled</th><th>state</th></tr></thead><tbody></tbody></table>
<h2>Positions</h2><table id="positions"><thead><tr><th>market</th><th>asset</th><th>outcome</th><th>confirmed</th><th>pending</th><th>cost</th><th>fees</th></tr></thead><tbody></tbody></table>
<h2>Money at the venue</h2><div class="card" id="money"></div>
<table id="chain"><thead><tr><th>action</th><th>asset</th><th>shares</th><th>pUSD</th><th>state</th><th>transaction</th></tr></thead><tbody></tbody></table>
<h2>PnL</h2><div class="card" id="pnl"></div><svg id="equity" viewBox="0 0 300 80" width="100%" height="80" preserveAspectRatio="none"></svg>
<h2>Daily (UTC, from the order store)</h2>
<svg id="equity-chart" viewBox="0 0 640 200" width="100%" height="200" role="img" aria-label="cumulative realised PnL"></svg>
<table id="daily"><thead><tr><th>day</th><th>trades</th><th>volume</th><th>fees</th><th>PnL</th><th>settled</th><th>hit rate</th><th>cumulative</th></tr></thead><tbody></tbody></table>
<p class="muted"><a href="api/daily?format=csv">daily.csv</a> · <a href="api/trades?format=csv">trades.csv</a> · <a href="api/trades">trades JSON</a></p>
<h2>Workers</h2><div id="workers" class="muted"></div>
<h2>Breaker trips</h2><table id="trips"><tbody></tbody></table>
</main>
<script>
const $=(id)=>document.getElementById(id);
const esc=(s)=>String(s).replace(/[&<>"]/g,(c)=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
const f=(v,d=4)=>v==null?'–':Number(v).toFixed(d);
function render(s){
  const now=s.nowMs;
  const b=s.breaker.state;
  const eh=s.execution&&s.execution.halt;
  $('breaker').innerHTML=b.state==='open'?'<span class="bad">HALTED</span> '+esc(b.kind)+': '+esc(b.reason):eh?'<span class="bad">HALTED</span> (execution) '+esc(eh.reason):'<span class="ok">trading</span>';
  $('updated').textContent='updated '+new Date(now).toLocaleTimeString();
  $('markets').innerHTML=s.markets.map(m=>{const left=Math.max(0,Math.round((m.windowEndMs-now)/1000));
    const age=m.oracleTimestampMs?((now-m.oracleTimestampMs)/1000).toFixed(1)+'s':'∞';
    return '<div class="card market" data-slug="'+esc(m.slug)+'"><b>'+esc(m.asset)+'</b> <span class="muted">'+esc(m.slug)+'</span><br>'+
    'time left <b>'+left+'s</b><br>price to beat '+f(m.priceToBeat,2)+' · oracle '+f(m.oraclePrice,2)+' <span class="muted">(age '+age+')</span><br>'+
    'model P(Up) '+f(m.modelProbabilityUp,3)+' · book mid '+f(m.bookMidUp,3)+' · edge '+f(m.edge,3)+'<br><span class="muted">'+esc(m.decision)+'</span></div>'}).join('')||'<span class="muted">no live window yet</span>';
  const ex=s.execution||{openOrders:[],positions:[]};
  $('orders').tBodies[0].innerHTML=ex.openOrders.map(o=>'<tr><td>'+esc(o.id)+'</td><td>'+esc(o.asset)+'</td><td>'+esc(o.side+' '+o.outcome)+'</td><td>'+f(o.price,2)+'</td><td>'+o.size+'</td><td>'+o.filledSize+'</td><td>'+esc(o.state)+'</td></tr>').join('');
  $('positions').tBodies[0].innerHTML=ex.positions.map(p=>'<tr><td>'+esc(p.conditionId.slice(0,10))+'…</td><td>'+esc(p.asset)+'</td><td>'+esc(p.outcome)+'</td><td>'+p.confirmedShares+'</td><td>'+p.pendingShares+'</td><td>'+f(p.costUsd,2)+'</td><td>'+f(p.feesUsd,4)+'</td></tr>').join('');
  const mo=ex.money;const ac=mo&&mo.account;
  $('money').innerHTML=ac?'pUSD $'+f(ac.balanceUsd,2)+' · open orders $'+f(ac.openOrdersUsd,2)+' · unsettled fills $'+f(ac.pendingUsd,2)+' · positions at cost $'+f(ac.positionsUsd,2)+'<br>'+
    'redeemable <b id="redeemable">$'+f(ac.redeemableUsd,2)+'</b> · redeemed <b id="redeemed">$'+f(ac.redeemedUsd,2)+'</b> · merged <b id="merged">$'+f(ac.mergedUsd,2)+'</b> · bankroll $'+f(ac.bankrollUsd,2)+' · available $'+f(ac.availableUsd,2):'<span class="muted">no venue account</span>';
  $('chain').tBodies[0].innerHTML=(mo?mo.actions:[]).map(a=>'<tr><td>'+esc(a.kind)+' '+esc(a.id.slice(0,18))+'…</td><td>'+esc(a.asset||'')+'</td><td>'+a.shares+'</td><td>'+f(a.amountUsd,2)+'</td><td>'+esc(a.state)+'</td><td>'+esc(a.transactionId||'')+'</td></tr>').join('');
  const r=s.risk;
  $('pnl').innerHTML=r?'bankroll $'+f(r.bankrollUsd,2)+' · realised $'+f(r.realisedPnlUsd,2)+' · open exposure $'+f(r.openExposureUsd,2)+' · fees $'+f(r.feesUsd,2)+' · accepted '+r.signalsAccepted+' · refused '+esc(JSON.stringify(r.signalsRefused)):'<span class="muted">no risk status yet</span>';
  const eq=(r&&r.equity)||[];
  if(eq.length>1){const ys=eq.map(p=>p[1]),lo=Math.min(...ys),hi=Math.max(...ys),span=hi-lo||1;
    $('equity').innerHTML='<polyline fill="none" stroke="#93c5fd" stroke-width="1.5" points="'+eq.map((p,i)=>(i/(eq.length-1)*300).toFixed(1)+','+(78-(p[1]-lo)/span*76).toFixed(1)).join(' ')+'"/>';}
  $('workers').textContent=s.workers.map(w=>w.kind+' '+w.id).join(' · ')||'none';
  $('trips').tBodies[0].innerHTML=s.breaker.trips.map(t=>'<tr><td>'+new Date(t.trippedAtMs).toLocaleString()+'</td><td>'+esc(t.kind)+'</td><td>'+esc(t.reason)+'</td></tr>').join('');
}
function equityChart(points){
  const W=640,H=200,L=60,R=10,T=10,B=30,svg=$('equity-chart');
  if(points.length<1){svg.innerHTML='<text x="'+(W/2)+'" y="'+(H/2)+'" fill="#8b93a7" text-anchor="middle">no settled market yet</text>';return;}
  const xs=points.map(p=>p.atMs),ys=points.map(p=>p.pnlUsd).concat([0]);
  let x0=Math.min(...xs),x1=Math.max(...xs);if(x1===x0){x0-=3600e3;x1+=3600e3;}
  let y0=Math.min(...ys),y1=Math.max(...ys);if(y1===y0){y0-=1;y1+=1;}
  const X=(x)=>L+(x-x0)/(x1-x0)*(W-L-R),Y=(y)=>T+(1-(y-y0)/(y1-y0))*(H-T-B);
  let g='<line class="axis" x1="'+L+'" y1="'+(H-B)+'" x2="'+(W-R)+'" y2="'+(H-B)+'" stroke="#8b93a7"/><line class="axis" x1="'+L+'" y1="'+T+'" x2="'+L+'" y2="'+(H-B)+'" stroke="#8b93a7"/>';
  for(let i=0;i<=4;i++){const v=y0+(y1-y0)*i/4;g+='<text class="ytick" x="'+(L-6)+'" y="'+(Y(v)+4).toFixed(1)+'" fill="#8b93a7" font-size="11" text-anchor="end">$'+v.toFixed(2)+'</text><line x1="'+L+'" x2="'+(W-R)+'" y1="'+Y(v).toFixed(1)+'" y2="'+Y(v).toFixed(1)+'" stroke="#262b36"/>';}
  for(let i=0;i<=3;i++){const v=x0+(x1-x0)*i/3;g+='<text class="xtick" x="'+X(v).toFixed(1)+'" y="'+(H-B+16)+'" fill="#8b93a7" font-size="11" text-anchor="middle">'+new Date(v).toISOString().slice(5,16).replace('T',' ')+'</text>';}
  g+='<line x1="'+L+'" x2="'+(W-R)+'" y1="'+Y(0).toFixed(1)+'" y2="'+Y(0).toFixed(1)+'" stroke="#8b93a7" stroke-dasharray="3 3"/>';
  g+='<polyline fill="none" stroke="#93c5fd" stroke-width="2" points="'+points.map(p=>X(p.atMs).toFixed(1)+','+Y(p.pnlUsd).toFixed(1)).join(' ')+'"/>';
  g+='<text x="'+(W-R)+'" y="'+(T+10)+'" fill="#8b93a7" font-size="11" text-anchor="end">cumulative realised PnL (pUSD, UTC)</text>';
  svg.innerHTML=g;
}
async function history(){
  try{
    const [daily,equity]=await Promise.all([fetch('api/daily').then(r=>r.json()),fetch('api/equity').then(r=>r.json())]);
    if(Array.isArray(daily))$('daily').tBodies[0].innerHTML=daily.slice().reverse().map(d=>'<tr data-day="'+esc(d.day)+'"><td>'+esc(d.day)+'</td><td>'+d.trades+'</td><td>$'+f(d.volumeUsd,2)+'</td><td>$'+f(d.feesUsd,2)+'</td><td class="'+(d.pnlUsd<0?'bad':'ok')+'">$'+f(d.pnlUsd,2)+'</td><td>'+d.settled+'</td><td>'+(d.hitRate==null?'–':(d.hitRate*100).toFixed(1)+' %')+'</td><td>$'+f(d.cumulativePnlUsd,2)+'</td></tr>').join('')||'<tr><td colspan="8" class="muted">no trade yet</td></tr>';
    if(Array.isArray(equity))equityChart(equity);
  }catch(e){}
}
history();setInterval(history,10000);
const es=new EventSource('events');es.onmessage=(e)=>render(JSON.parse(e.data));
async function post(path,body){const r=await fetch(path,{method:'POST',headers:{'content-type':'application/json','x-polybot-request':'1'},body:JSON.stringify(body||{})});
  if(r.ok)return{ok:true};let j={};try{j=await r.json()}catch(e){}return{ok:false,status:r.status,reason:j.reason||r.statusText,needsConfirmation:!!j.needsConfirmation};}
$('halt').onclick=async()=>{const r=await post('api/halt',{reason:'halted from the status page'});if(!r.ok)alert('halt: '+r.status+' '+r.reason);};
$('resume').onclick=async()=>{let r=await post('api/resume',{});
  if(!r.ok&&r.needsConfirmation&&confirm(r.reason+'\\n\\nResume trading anyway?'))r=await post('api/resume',{confirm:true});
  if(!r.ok)alert('resume refused: '+r.reason);};
</script></body></html>`;
