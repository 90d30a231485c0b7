import WebSocket from 'ws';
import { CallHarness, startCallHarness } from './harness';
import { DatabaseKind } from '../support/service';
import { until } from '../support/until';

/** Helpers shared by the issue 5 tests (transfer, conference, emergency, monitoring). */

/**
 * The mocha hooks those files share: one harness for the file with operator 1001 signed in (`bind`
 * receives it and the operator's token, and may set up more), the operator ready again before each
 * test (after `each`), and with `hangUpCallers` the callers still on the line hung up after each test,
 * so a failed test does not keep the operator busy for the next.
 */
export function operatorOnCallPath(
  opts: { database: DatabaseKind; each?: (h: CallHarness) => void; hangUpCallers?: boolean },
  bind: (h: CallHarness, op: string) => void | Promise<void>,
): void {
  let h: CallHarness;
  let op: string;
  before(async () => {
    h = await startCallHarness({ database: opts.database });
    op = await readyOperator(h);
    await bind(h, op);
  });
  after(async () => {
    await h?.stop();
  });
  beforeEach(async () => {
    opts.each?.(h);
    await waitReady(h, op);
  });
  if (opts.hangUpCallers) {
    afterEach(() => {
      for (const c of h.sim.channels()) if (c.name.startsWith('PJSIP/carrier-')) h.sim.hangup(c.id);
    });
  }
}

export async function readyOperator(h: CallHarness, ext = '1001'): Promise<string> {
  h.sim.registerEndpoint(ext);
  h.sim.setEndpointBehaviour(ext, { answerAfterMs: 30 });
  const token = await h.t.userToken(['operator'], { username: `op${ext}`, extension: `PJSIP/${ext}`, centre: 'QY' });
  const login = await h.t.http('POST', '/api/operators/me/login', { token, body: {} });
  if (login.status !== 200) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  return token;
}

export async function waitReady(h: CallHarness, token: string) {
  await until(async () => (await h.t.http('GET', '/api/operators/me', { token })).body.state === 'ready', { timeoutMs: 10_000, what: 'operator ready' });
}

/** A citizen calls 12345 and the operator answers; returns the caller channel id and the call row. */
export async function answeredCall(h: CallHarness, from = '13800138000'): Promise<{ callerId: string; callId: number }> {
  const callerId = await h.sim.placeInboundCall({ from, to: '12345', trunk: 'carrier' });
  const call = await until(async () => {
    const c = await h.db.knex('calls').where({ linkedid: callerId }).first();
    return c?.state === 'answered' ? c : null;
  }, { timeoutMs: 10_000, what: 'the call to be answered' });
  // the operator's channel is in the caller's bridge
  await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/1')), { what: 'caller bridged with the operator' });
  return { callerId, callId: Number(call.id) };
}

/** Channels sharing the caller's bridge (who the caller talks to now). */
export function peersOf(h: CallHarness, channelId: string) {
  const me = h.sim.channels().find((c) => c.id === channelId);
  if (!me?.bridgeId) return [];
  return h.sim.channels().filter((c) => c.bridgeId === me.bridgeId && c.id !== channelId);
}

export async function createTicket(h: CallHarness, token: string, linkedid: string, content = '咨询城乡居民最低生活保障的申请条件和办理地点') {
  const r = await h.t.http('POST', '/api/tickets', { token, body: { channel: 'phone', callerPhone: '13800138000', content, category: 'consultation', domain: 'public_service', linkedid } });
  if (r.status !== 201 && r.status !== 200) throw new Error(`ticket create failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { no: string; status: string };
}

/** A WebSocket client subscribed to a topic, collecting frames. */
export async function wsClient(h: CallHarness, token: string, topic?: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${h.t.service.port}/ws?token=${token}`);
  const frames: Array<Record<string, any>> = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  if (topic) {
    ws.send(JSON.stringify({ type: 'subscribe', topic }));
    await until(() => frames.some((f) => f.type === 'snapshot' && f.topic === topic), { what: `snapshot of ${topic}` });
  }
  let ref = 0;
  return {
    frames,
    async command(command: string, payload: Record<string, unknown>) {
      const r = `r${++ref}`;
      ws.send(JSON.stringify({ type: 'command', command, payload, ref: r }));
      return until(() => frames.find((f) => f.ref === r && (f.type === 'result' || f.type === 'error')), { timeoutMs: 10_000, what: `reply to ${command}` });
    },
    linkage: (kind: string) => frames.filter((f) => f.type === 'event' && f.data?.kind === 'linkage' && f.data.event?.kind === kind),
    close: () => ws.close(),
  };
}
