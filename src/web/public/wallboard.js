// The supervisors' wallboard: a snapshot of every queue, then deltas over the WebSocket feed.
// Deltas carry the queue's figures; the list of waiting callers is kept here from joined/left events.
const token = sessionStorage.getItem('hotline.token');
if (!token) location.href = '/';
const user = JSON.parse(sessionStorage.getItem('hotline.user') || '{}');
document.getElementById('who').textContent = user.displayName || '';

const QUEUE_NAMES = { 'q-qy': '市12345热线', 'q-qy-backup': '市热线后备', 'q-xf': '西峰区', 'q-qc': '庆城县', 'q-hx': '环县', 'q-hc': '华池县', 'q-hs': '合水县', 'q-zn': '正宁县', 'q-nx': '宁县', 'q-zy': '镇原县', 'q-expert-12333': '12333 专家座席', 'q-expert-12348': '12348 专家座席' };
const STATES = { ready: '空闲', ringing: '振铃', on_call: '通话中', wrapup: '话后处理', paused: '暂停', logged_out: '已签出' };
const queues = new Map(); // queue -> { stats, waiting: Map }
const operators = new Map();
let staffing = [];
const CENTRE_NAMES = { QY: '市12345热线', XF: '西峰区', QC: '庆城县', HX: '环县', HC: '华池县', HS: '合水县', ZN: '正宁县', NX: '宁县', ZY: '镇原县' };

const pct = (x) => (x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`);
const secs = (x) => (x === null || x === undefined ? '—' : `${Math.round(x)}秒`);
const since = (ms) => (ms ? `${Math.max(0, Math.round((Date.now() - ms) / 1000))}秒` : '—');

function setQueue(stats, waiting) {
  const q = queues.get(stats.queue) || { waiting: new Map() };
  q.stats = stats;
  if (waiting) q.waiting = new Map(waiting.map((w) => [w.channelId, w]));
  queues.set(stats.queue, q);
}

function render() {
  const root = document.getElementById('queues');
  root.innerHTML = '';
  for (const [name, q] of [...queues].sort()) {
    const s = q.stats;
    const waiting = [...q.waiting.values()].sort((a, b) => a.since - b.since);
    const longest = waiting.length ? waiting[0].since : null;
    const el = document.createElement('article');
    el.className = 'queue';
    el.dataset.queue = name;
    el.innerHTML = `
      <h2>${QUEUE_NAMES[name] || name} <span class="muted">${name}</span></h2>
      <div class="kpis">
        <div class="kpi ${waiting.length ? 'alert' : ''}"><b data-k="waiting">${waiting.length}</b><span>排队</span></div>
        <div class="kpi"><b data-k="longest">${since(longest)}</b><span>最长等待</span></div>
        <div class="kpi"><b data-k="inProgress">${s.inProgress}</b><span>通话中</span></div>
        <div class="kpi"><b data-k="offered">${s.counters.offered}</b><span>今日来电</span></div>
        <div class="kpi"><b data-k="answered">${s.counters.answered}</b><span>接通</span></div>
        <div class="kpi"><b data-k="abandoned">${s.counters.abandoned}</b><span>放弃</span></div>
        <div class="kpi"><b data-k="serviceLevel">${pct(s.serviceLevel)}</b><span>15秒接通率</span></div>
        <div class="kpi"><b data-k="abandonRate">${pct(s.abandonRate)}</b><span>放弃率</span></div>
        <div class="kpi"><b>${secs(s.averageSpeedOfAnswer)}</b><span>平均应答</span></div>
        <div class="kpi"><b>${secs(s.averageHandlingTime)}</b><span>平均处理</span></div>
      </div>
      <table><thead><tr><th>排队来电</th><th>等待</th></tr></thead><tbody>
        ${waiting.map((w) => `<tr><td>${w.caller || '未知号码'}</td><td>${since(w.since)}</td></tr>`).join('') || '<tr><td class="muted" colspan="2">无排队来电</td></tr>'}
      </tbody></table>`;
    root.appendChild(el);
  }
  // The service computes staffing from Asterisk's queue members and the signed-in operators alike
  // (snapshot, then a 'staffing' delta whenever it changes), so it agrees with 通话中 above.
  document.querySelector('#staffing tbody').innerHTML = staffing
    .map((s) => {
      const short = s.targetStaff !== null && s.loggedIn < s.targetStaff;
      return `<tr><td>${CENTRE_NAMES[s.centre] || s.centre}</td><td>${s.shift || '—'}</td><td>${s.targetStaff ?? '—'}</td><td class="${short ? 'state-on_call' : ''}">${s.loggedIn}</td><td>${s.ready}</td><td>${s.onCall}</td><td>${s.paused}</td></tr>`;
    })
    .join('');
  const tbody = document.querySelector('#operators tbody');
  tbody.innerHTML = [...operators.values()]
    .filter((o) => o.state !== 'logged_out')
    .map((o) => `<tr><td>${o.displayName}</td><td>${o.interface}</td><td class="state-${o.state}">${STATES[o.state] || o.state}</td><td>${o.reasonLabel || ''}</td><td>${since(o.since)}</td></tr>`)
    .join('') || '<tr><td class="muted" colspan="5">暂无签入的话务员</td></tr>';
}

function apply(delta) {
  if (delta.kind === 'operator') {
    operators.set(delta.operator.userId, delta.operator);
  } else if (delta.kind === 'staffing') {
    staffing = delta.staffing;
  } else if (delta.stats) {
    setQueue(delta.stats);
    const q = queues.get(delta.queue);
    if (delta.kind === 'caller_joined' && delta.caller) q.waiting.set(delta.caller.channelId, delta.caller);
    if (delta.kind === 'caller_left' || delta.kind === 'abandoned' || delta.kind === 'answered') q.waiting.delete(delta.channelId);
  }
  render();
}

function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?token=${encodeURIComponent(token)}`);
  const status = document.getElementById('status');
  ws.onopen = () => ws.send(JSON.stringify({ type: 'subscribe', topic: 'queues' }));
  ws.onmessage = (m) => {
    const f = JSON.parse(m.data);
    if (f.type === 'snapshot' && f.topic === 'queues') {
      queues.clear();
      for (const q of f.data.queues) setQueue({ ...q, waitingCount: q.waiting.length }, q.waiting);
      operators.clear();
      for (const o of f.data.operators) operators.set(o.userId, o);
      staffing = f.data.staffing || [];
      status.textContent = '实时';
      render();
    } else if (f.type === 'event' && f.topic === 'queues') apply(f.data);
    else if (f.type === 'error') status.textContent = `错误：${f.error.message}`;
  };
  ws.onclose = () => {
    status.textContent = '连接断开，正在重连…';
    setTimeout(connect, 2000);
  };
}
connect();
setInterval(render, 1000); // the wait times tick
