/**
 * Issue 12 figures: the supervisors' wallboard with 200 live-feed clients on one instance, the
 * event→render time in a real browser (Debian's Chromium) for a sample of wallboards, and the
 * operator console's first paint on a cold load.
 *
 *   npx tsx bench/wallboard-clients.ts [--clients 200] [--pages 5] [--calls 20] [--cold 5]
 *
 * Measures; asserts nothing. The simulator runs the project's dialplan in this process; the service
 * uses real PostgreSQL and Redis (as in the tests). Times are wall-clock on one machine: the event's
 * time is when the service built the delta (eventAt), the render time when the page's DOM changed.
 */
import WebSocket from 'ws';
import { startCallHarness } from '../test/calls/harness';
import { launch } from '../test/e2e/browser';
import { until } from '../test/support/until';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const CLIENTS = arg('clients', 200);
const PAGES = arg('pages', 5);
const CALLS = arg('calls', 20);
const COLD = arg('cold', 5);

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x: number) => `${x.toFixed(1)} ms`;
/** Page source that logs the browser in (the token and user the login page would keep). */
const session = (token: string, user: unknown) => `sessionStorage.setItem('hotline.token', ${JSON.stringify(token)}); sessionStorage.setItem('hotline.user', ${JSON.stringify(JSON.stringify(user))});`;

async function main() {
  const browser = await launch();
  const h = await startCallHarness({ env: { FALLBACK_WAIT_SECONDS: '3600', LOG_LEVEL: 'silent' } });
  h.sim.registerEndpoint('1001');
  h.sim.setEndpointBehaviour('1001', { noAnswer: true });
  const op = await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
  await h.t.http('POST', '/api/operators/me/login', { token: op, body: {} });
  const sup = await h.t.userToken(['supervisor'], { username: 'banzhang' });
  const supUser = (await h.t.http('GET', '/api/auth/me', { token: sup })).body;
  const opUser = (await h.t.http('GET', '/api/auth/me', { token: op })).body;

  // 200 feed clients: each subscribes to the board and measures delta delivery (eventAt → received).
  const delivery: number[] = [];
  const sockets: WebSocket[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${h.t.service.port}/ws?token=${sup}`);
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString());
      if (f.type === 'event' && f.topic === 'queues' && ['caller_joined', 'caller_left', 'abandoned'].includes(f.data.kind)) delivery.push(Date.now() - f.data.eventAt);
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'subscribe', topic: 'queues' }));
    sockets.push(ws);
  }
  // The deltas' own times, by channel and kind (one client is enough).
  const eventAt = new Map<string, number>();
  sockets[0].on('message', (d) => {
    const f = JSON.parse(d.toString());
    // A caller who hangs up while waiting leaves as `abandoned`.
    if (f.type === 'event' && f.topic === 'queues' && f.data.channelId && ['caller_joined', 'caller_left', 'abandoned'].includes(f.data.kind)) eventAt.set(`${f.data.kind === 'caller_joined' ? 'caller_joined' : 'caller_left'}:${f.data.channelId}`, f.data.eventAt);
  });

  // A sample of real wallboards in Chromium, each recording when its waiting count changes.
  const pages = [];
  for (let i = 0; i < PAGES; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
    await ctx.addInitScript({ content: session(sup, supUser) });
    const page = await ctx.newPage();
    await page.goto(`${h.t.baseUrl}/supervisor`);
    await page.waitForSelector('article[data-queue="q-qy"] [data-k=waiting]');
    await page.evaluate(`(() => {
      window.__renders = [];
      const el = document.querySelector('article[data-queue="q-qy"] [data-k=waiting]');
      new MutationObserver(() => window.__renders.push({ at: Date.now(), text: el.textContent })).observe(el, { childList: true, characterData: true, subtree: true });
    })()`);
    pages.push(page);
  }
  await until(() => delivery.length === 0, { what: 'settled' });

  const renders: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const id = await h.sim.placeInboundCall({ from: `1390000${String(1000 + i)}`, to: '12345', trunk: 'carrier' });
    await until(() => eventAt.has(`caller_joined:${id}`), { timeoutMs: 10_000, what: 'caller_joined' });
    for (const p of pages) {
      const r = await until(async () => ((await p.evaluate('window.__renders')) as Array<{ at: number; text: string }>).find((x) => x.text === '1'), { timeoutMs: 10_000, what: 'render 1' });
      renders.push(r.at - eventAt.get(`caller_joined:${id}`)!);
      await p.evaluate('window.__renders = []');
    }
    h.sim.hangup(id);
    await until(() => eventAt.has(`caller_left:${id}`), { timeoutMs: 10_000, what: 'caller_left' });
    for (const p of pages) {
      const r = await until(async () => ((await p.evaluate('window.__renders')) as Array<{ at: number; text: string }>).find((x) => x.text === '0'), { timeoutMs: 10_000, what: 'render 0' });
      renders.push(r.at - eventAt.get(`caller_left:${id}`)!);
      await p.evaluate('window.__renders = []');
    }
  }

  // The operator console on a cold load: a fresh profile each time (no cache), token already issued.
  const fcp: number[] = [];
  const ready: number[] = [];
  for (let i = 0; i < COLD; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
    await ctx.addInitScript({ content: session(op, opUser) });
    const page = await ctx.newPage();
    await page.goto(`${h.t.baseUrl}/operator`);
    await page.waitForFunction(`(document.querySelector('[data-test=op-state]')?.textContent ?? '').trim() === '置闲'`);
    const t = (await page.evaluate(`(() => ({ fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN, ready: performance.now() }))()`)) as { fcp: number; ready: number };
    fcp.push(t.fcp);
    ready.push(t.ready);
    await ctx.close();
  }

  console.log(`wallboard feed: ${CLIENTS} WebSocket clients on one instance, ${delivery.length} deltas delivered`);
  console.log(`  delta delivery (eventAt → client)   p50 ${ms(pct(delivery, 50))}  p99 ${ms(pct(delivery, 99))}  max ${ms(Math.max(...delivery))}`);
  console.log(`wallboard in Chromium: ${PAGES} pages sampled, ${renders.length} renders (with the ${CLIENTS} clients connected)`);
  console.log(`  event → render                      p50 ${ms(pct(renders, 50))}  p99 ${ms(pct(renders, 99))}  max ${ms(Math.max(...renders))}`);
  console.log(`operator console, cold load (${COLD} fresh profiles, 1366×768):`);
  console.log(`  first contentful paint              median ${ms(pct(fcp, 50))}  max ${ms(Math.max(...fcp))}`);
  console.log(`  live state shown (置闲)              median ${ms(pct(ready, 50))}  max ${ms(Math.max(...ready))}`);

  for (const s of sockets) s.close();
  await browser.close();
  await h.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
