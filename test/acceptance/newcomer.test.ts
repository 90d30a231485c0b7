import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT } from '../support/process';
import { until } from '../support/until';
import { DEMO_PASSWORD, DEMO_USERS } from '../../src/app/demo';

/**
 * Issue #10: the service as a newcomer meets it — `npm start` on the embedded defaults, run as real
 * processes (npm → node), driven over HTTP, stopped with SIGTERM sent to npm, restarted on the same
 * data, and a second process on the same data directory refused by name.
 */

interface Proc {
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function npm(args: string[], env: Record<string, string>): Proc {
  const clean: Record<string, string | undefined> = { ...process.env, DATABASE_URL: undefined, REDIS_URL: undefined, NODE_ENV: undefined, DEMO_MODE: undefined, LOG_LEVEL: 'info' };
  for (const k of Object.keys(clean)) if (clean[k] === undefined || k.startsWith('npm_')) delete clean[k];
  // detached: its own process group, so cleanup can reach whatever it leaves behind.
  const child = spawn('npm', args, { cwd: ROOT, env: { ...clean, ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d) => (out += d.toString()));
  child.stderr!.on('data', (d) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, exited };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(p: Proc | undefined) {
  if (!p?.child.pid) return;
  try {
    process.kill(-p.child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

describe('newcomer acceptance: npm start on the embedded defaults, as real processes', function () {
  this.timeout(240_000);
  let dataDir: string;
  let first: Proc | undefined;
  let second: Proc | undefined;
  let third: Proc | undefined;
  before(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-newcomer-'));
  });
  after(() => {
    for (const p of [first, second, third]) killGroup(p);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const env = () => ({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SIM_CALLERS_PER_MINUTE: '20' });
  const portOf = (p: Proc) => until(() => /listening on http:\/\/localhost:(\d+)/.exec(p.out())?.[1], { timeoutMs: 90_000, what: 'the start-up banner' });
  const servicePid = () => (JSON.parse(fs.readFileSync(path.join(dataDir, 'pglite.lock'), 'utf8')) as { pid: number }).pid;

  async function api(base: string, method: string, url: string, token?: string, body?: unknown) {
    const res = await fetch(base + url, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  async function login(base: string, username: string) {
    const r = await api(base, 'POST', '/api/auth/login', undefined, { username, password: DEMO_PASSWORD });
    expect(r.status, `login ${username}: ${JSON.stringify(r.body)}`).to.equal(200);
    return r.body.token as string;
  }

  let ticketNo = '';

  it('given a fresh data directory, when npm start runs, then every demo role logs in and a call, a ticket from 登记 to 办结 and a knowledge search work over HTTP', async () => {
    first = npm(['start'], env());
    const base = `http://127.0.0.1:${await portOf(first)}`;
    const tokens: Record<string, string> = {};
    for (const u of DEMO_USERS) tokens[u.username] = await login(base, u.username);

    // A simulated caller is answered by a simulated operator (the built-in simulator runs dialplan/).
    const answered = await until(
      async () => {
        const r = await api(base, 'GET', '/api/calls?limit=50', tokens.supervisor);
        return (r.body as Array<{ answeredAt: string | null; id: number }>).find((c) => c.answeredAt);
      },
      { timeoutMs: 90_000, intervalMs: 500, what: 'an answered simulated call' },
    );
    expect((await api(base, 'GET', `/api/calls/${answered.id}`, tokens.supervisor)).status).to.equal(200);
    // The staffing table counts the simulated seats Asterisk has in the city queue, like 通话中 does.
    const board = await api(base, 'GET', '/api/live/queues', tokens.supervisor);
    const qy = board.body.staffing.find((s: { centre: string }) => s.centre === 'QY');
    expect(qy.unbound).to.equal(4); // SIM_OPERATORS default
    expect(qy.loggedIn).to.equal(4);

    // 登记 → 受理 → 转派 → 签收 → 答复 → 回访 → 办结 (第十四条–第二十二条)
    const created = await api(base, 'POST', '/api/tickets', tokens.op1001, {
      channel: 'phone', callerName: '王小明', callerPhone: '13800001234', content: '社保卡丢失了想补办,需要带什么材料,在哪里办理', category: 'help', domain: 'public_service', subdomain: 'social_security',
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    expect(created.body.status).to.equal('accepted');
    ticketNo = created.body.no;
    const steps: Array<[string, string, Record<string, unknown>]> = [
      ['op1001', 'dispatch', { mainUnit: 'QY-RSJ' }],
      ['unit-rsj', 'sign', {}],
      ['unit-rsj', 'reply', { text: '已电话联系诉求人,告知携带身份证到市社保服务大厅办理补卡。' }],
      ['op1001', 'visit', { level: 'satisfied' }],
    ];
    for (const [who, action, body] of steps) {
      const r = await api(base, 'POST', `/api/tickets/${ticketNo}/${action}`, tokens[who], body);
      expect(r.status, `${who} ${action}: ${JSON.stringify(r.body)}`).to.equal(200);
    }
    const closed = await api(base, 'GET', `/api/tickets/${ticketNo}`, tokens.supervisor);
    expect(closed.body.status).to.equal('closed');

    const kb = await until(
      async () => {
        const r = await api(base, 'GET', `/api/knowledge/search?q=${encodeURIComponent('社保卡丢了怎么补办')}`, tokens.op1001);
        return r.status === 200 && r.body.hits.length > 0 ? r.body : null;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'knowledge search results' },
    );
    expect(kb.hits[0].title ?? kb.hits[0].question).to.be.a('string');
  });

  it('given the running service, when a second npm start or a CLI opens the same data directory, then each is refused with the holder\'s pid and the first keeps running', async () => {
    const pid = servicePid();
    second = npm(['start'], env());
    const { code } = await second.exited;
    expect(code).to.equal(3);
    expect(second.out()).to.contain(`pid ${pid}`);
    const kb = npm(['run', '-s', 'kb', '--', 'search', '社保卡'], { DATA_DIR: dataDir });
    expect((await kb.exited).code).to.not.equal(0);
    expect(kb.out()).to.contain(`pid ${pid}`);
    expect(alive(pid)).to.equal(true);
  });

  it('given the running service, when SIGTERM is sent to the npm process, then the service exits within 10 s and leaves no process behind', async () => {
    const pid = servicePid();
    expect(pid).to.not.equal(first!.child.pid); // npm → node: the signal must cross the launcher
    const started = Date.now();
    first!.child.kill('SIGTERM');
    await until(() => !alive(pid), { timeoutMs: 15_000, intervalMs: 50, what: 'the service process to exit' });
    expect(Date.now() - started).to.be.lessThan(10_000);
    await first!.exited;
    expect(first!.out()).to.contain('shutting down');
    expect(fs.existsSync(path.join(dataDir, 'pglite.lock'))).to.equal(false);
  });

  it('given a restart on the same data, then the database opens clean and the closed ticket and the accounts are still there', async () => {
    third = npm(['start'], env());
    const base = `http://127.0.0.1:${await portOf(third)}`;
    const token = await login(base, 'supervisor');
    const t = await api(base, 'GET', `/api/tickets/${ticketNo}`, token);
    expect(t.status).to.equal(200);
    expect(t.body.status).to.equal('closed');
    expect(t.body.events.map((e: { event: string }) => e.event)).to.include.members(['create', 'dispatch', 'sign', 'reply', 'visit']);
    const ready = await api(base, 'GET', '/readyz');
    expect(ready.body.components.database.ok).to.equal(true);
    const pid = servicePid();
    third.child.kill('SIGTERM');
    await until(() => !alive(pid), { timeoutMs: 15_000, intervalMs: 50, what: 'the restarted service to exit' });
  });
});
