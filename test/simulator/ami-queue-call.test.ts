import { expect } from 'chai';
import { startSimulator, Simulator } from '../../src/simulator';
import { RawAmi } from './support/ami-client';
import { readMessages, get, fieldNamesByEvent, normaliser } from './support/transcript';
import { until } from '../support/until';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const AsteriskManager = require('asterisk-manager');

type Ev = Array<[string, string]>;
const f = (e: Ev, k: string): string | undefined => e.find(([x]) => x === k)?.[1];
/** Events that describe the call itself; VarSet/Newexten/DeviceStateChange are noise for ordering. */
const KEY = new Set(['Newchannel', 'Newstate', 'DialBegin', 'DialState', 'DialEnd', 'QueueCallerJoin', 'QueueCallerLeave', 'AgentCalled',
  'AgentConnect', 'AgentComplete', 'BridgeCreate', 'BridgeEnter', 'BridgeLeave', 'BridgeDestroy', 'Hangup', 'HangupRequest', 'SoftHangupRequest', 'MusicOnHoldStart', 'MusicOnHoldStop', 'LocalBridge']);

/** Per channel (counter-free name), the sequence of key events that name it as Channel or DestChannel. */
function perChannel(events: Ev[]): Map<string, string[]> {
  const norm = normaliser();
  const out = new Map<string, string[]>();
  for (const e of events) {
    const name = f(e, 'Event')!;
    if (!KEY.has(name)) continue;
    for (const k of ['Channel', 'DestChannel', 'LocalOneChannel']) {
      const ch = f(e, k);
      if (!ch) continue;
      const role = norm(ch).replace(/-#\d+/, '');
      const list = out.get(role) ?? [];
      list.push(k === 'Channel' ? name : `${name}(${k})`);
      out.set(role, list);
    }
  }
  return out;
}

describe('simulator queue call (capture 01) through asterisk-manager@0.2.0', () => {
  let sim: Simulator;
  let raw: RawAmi;
  let ami: { on: Function; action: Function; disconnect: Function; keepConnected?: Function };
  beforeEach(async () => { sim = await startSimulator({ timeScale: 0.1 }); });
  afterEach(async () => { raw?.close(); ami?.disconnect(); await sim.stop(); });

  it('given the recorded Originate, when the call runs through the queue, then each channel sees the recorded events in the recorded order with the recorded fields', async () => {
    const recorded = readMessages('01-login-status-originate-queue.txt').filter((m) => m.dir === 'S->C' && get(m, 'Event'));
    const recEvents = recorded.map((m) => m.fields);
    ami = new AsteriskManager(sim.amiPort, '127.0.0.1', 'hotline', 'hotline', true);
    const libEvents: Array<Record<string, string>> = [];
    ami.on('managerevent', (e: Record<string, string>) => libEvents.push(e));
    raw = new RawAmi(sim.amiPort);
    raw.send(['Action: Login', 'Username: hotline', 'Secret: hotline']);
    await until(() => libEvents.some((e) => e.event === 'FullyBooted'));
    const originate = readMessages('01-login-status-originate-queue.txt').find((m) => get(m, 'Action') === 'Originate')!;
    const response = await new Promise<Record<string, string>>((resolve, reject) => {
      const fields: Record<string, unknown> = {};
      for (const [k, v] of originate.fields) {
        if (k === 'Variable') fields.variable = { ...(fields.variable as object ?? {}), [v.split('=')[0]]: v.split('=')[1] };
        else fields[k.toLowerCase()] = v;
      }
      ami.action(fields, (err: unknown, res: Record<string, string>) => (err ? reject(err) : resolve(res)));
    });
    expect(response.response).to.equal('Success');
    expect(response.message).to.equal('Originate successfully queued');
    await until(() => raw.messages().filter((m) => f(m, 'Event') === 'Hangup').length >= 6, { timeoutMs: 8000, what: 'all six channels to hang up' });
    await until(() => raw.messages().some((m) => f(m, 'Event') === 'BridgeDestroy'));
    const simEvents = raw.messages().filter((m) => f(m, 'Event'));

    // 1. field names of every event type the simulator sent are those Asterisk sent
    const recFields = fieldNamesByEvent(recorded);
    for (const [ev, names] of fieldNamesByEvent(simEvents.map((fields) => ({ fields })))) {
      if (!recFields.has(ev)) continue;
      expect(names, `fields of ${ev}`).to.deep.equal(recFields.get(ev));
    }
    const simTypes = new Set(simEvents.map((e) => f(e, 'Event')));
    for (const ev of recFields.keys()) if (KEY.has(ev)) expect(simTypes.has(ev), `simulator sent ${ev}`).to.equal(true);

    // 2. per channel, the key events come in the recorded order
    const want = perChannel(recEvents);
    const got = perChannel(simEvents);
    for (const [role, seq] of want) expect(got.get(role), `events of ${role}`).to.deep.equal(seq);

    // 3. the library saw the same stream: the call's queue events, with lowercased keys
    await until(() => libEvents.some((e) => e.event === 'BridgeDestroy'), { what: 'the library to receive BridgeDestroy' });
    const names = libEvents.map((e) => e.event);
    const order = ['QueueCallerJoin', 'AgentCalled', 'QueueCallerLeave', 'AgentConnect', 'BridgeCreate', 'AgentComplete', 'BridgeDestroy'];
    const idx = order.map((n) => names.indexOf(n));
    expect(idx.every((i) => i >= 0), `library received ${order.join(', ')}`).to.equal(true);
    expect([...idx].sort((a, b) => a - b)).to.deep.equal(idx);
    const complete = libEvents.find((e) => e.event === 'AgentComplete')!;
    expect(complete.reason).to.equal('caller');
    expect(complete.membername).to.equal('Operator 8001');
  });

  it('given a caller in the queue and nobody answering, when the caller hangs up, then QueueCallerAbandon precedes QueueCallerLeave and Abandoned counts it', async () => {
    raw = new RawAmi(sim.amiPort);
    raw.send(['Action: Login', 'Username: hotline', 'Secret: hotline']);
    raw.send(['Action: QueuePause', 'Interface: Local/8001@operators', 'Paused: true', 'Reason: lunch']);
    raw.send(['Action: QueuePause', 'Interface: Local/8002@operators', 'Paused: true']);
    raw.send(['Action: Originate', 'Channel: Local/12345@from-caller', 'Context: caller-sim', 'Exten: s', 'Priority: 1', 'Variable: HOTLINE_ROUTE=queue', 'Variable: HOLD_SECS=3', 'Async: true']);
    await until(() => raw.messages().some((m) => f(m, 'Event') === 'QueueCallerLeave'), { timeoutMs: 5000 });
    const evs = raw.messages().map((m) => f(m, 'Event'));
    expect(evs.indexOf('QueueCallerAbandon')).to.be.greaterThan(-1);
    expect(evs.indexOf('QueueCallerAbandon')).to.be.lessThan(evs.indexOf('QueueCallerLeave'));
    expect(evs).to.not.include('AgentCalled');
    raw.send(['Action: QueueStatus', 'Queue: q-12345', 'ActionID: qs']);
    const params = await until(() => raw.messages().find((m) => f(m, 'Event') === 'QueueParams'));
    expect(f(params, 'Abandoned')).to.equal('1');
  });
});
