import { expect } from 'chai';
import { startSimulator, Simulator } from '../../src/simulator';
import { AmiSession } from './support/session';
import { readMessages, get } from './support/transcript';
import { Ev, fld, perRole, fieldNames } from './support/compare';
import { until } from '../support/until';

const CAPTURE = '10-pjsip-supervisor-chanspy-listen-whisper-barge.txt';
const KEY = new Set(['Newchannel', 'ChanSpyStart', 'ChanSpyStop', 'Hangup', 'AgentConnect', 'AgentComplete', 'BridgeEnter', 'BridgeLeave', 'OriginateResponse']);
const rec = (): Ev[] => readMessages(CAPTURE).filter((m) => m.dir === 'S->C' && get(m, 'Event')).map((m) => m.fields);
const spyOf = (e: Ev): boolean => (fld(e, 'Channel') ?? '').startsWith('PJSIP/1003-');

describe('simulator supervisor ChanSpy in listen, whisper and barge modes (capture 10)', () => {
  let sim: Simulator;
  let s: AmiSession;
  beforeEach(async () => {
    sim = await startSimulator({ timeScale: 0.05 });
    for (const ep of ['1001', '1003']) sim.registerEndpoint(ep);
    s = new AmiSession(sim.amiPort);
    await s.ready();
  });
  afterEach(async () => { s.close(); await sim.stop(); });

  it('given a live queue call, when the supervisor spies in each mode and hangs up, then events, Cause=0 and who hears whom match the capture', async () => {
    await sim.placeInboundCall({ from: '"13800138000" <13800138000>', to: '12345' });
    const connect = await s.waitFor('AgentConnect');
    const caller = sim.channels().find((c) => c.name === fld(connect, 'Channel'))!.id;
    const opName = fld(connect, 'DestChannel')!;
    const op = sim.channels().find((c) => c.name === opName)!.id;
    await s.waitFor('BridgeEnter', (e) => fld(e, 'Channel') === fld(connect, 'Channel'));
    const expected = { q: { mode: 'listen', heardBy: [] }, qw: { mode: 'whisper', heardBy: [op] }, qB: { mode: 'barge', heardBy: [op, caller] } } as const;
    let n = 0;
    for (const [flags, want] of Object.entries(expected)) {
      n++;
      const res = await s.action({ action: 'Originate', actionid: `spy-${flags}`, channel: 'PJSIP/1003', application: 'ChanSpy', data: `${opName},${flags}`,
        callerid: '"Supervisor" <1003>', timeout: '20000', async: 'true' });
      expect(res.message).to.equal('Originate successfully queued');
      const start = await s.waitFor('ChanSpyStart', () => true, n);
      const response = await s.waitFor('OriginateResponse', () => true, n);
      expect(fld(response, 'Data')).to.equal(`${opName},${flags}`); // the only place the mode shows (README)
      const spy = sim.channels().find((c) => c.name === fld(start, 'SpyerChannel'))!.id;
      expect(sim.audioPaths()).to.deep.equal([{ listener: spy, target: op, mode: want.mode, hears: [op, caller], heardBy: want.heardBy }]);
      sim.hangup(spy); // the supervisor's BYE
      const hangup = await s.waitFor('Hangup', spyOf, n);
      expect([fld(hangup, 'Cause'), fld(hangup, 'Cause-txt')]).to.deep.equal(['0', 'Unknown']);
      expect(sim.audioPaths()).to.deep.equal([]);
    }
    sim.hangup(op);
    await until(() => sim.channels().length === 0, { what: 'the call to end' });
    await s.waitFor('Hangup', (e) => fld(e, 'Channel') === opName);

    const got = s.events();
    const recorded = rec();
    const want = perRole(recorded, KEY);
    const have = perRole(got, KEY);
    for (const [role, seq] of want) expect(have.get(role), `events of ${role}`).to.deep.equal(seq);
    const recFields = fieldNames(recorded);
    for (const ev of ['ChanSpyStart', 'ChanSpyStop', 'OriginateResponse', 'Hangup', 'AgentComplete']) expect(fieldNames(got).get(ev), ev).to.deep.equal(recFields.get(ev));
    expect(got.find((e) => fld(e, 'Event') === 'AgentComplete' && fld(e, 'Reason') === 'agent')).to.not.equal(undefined);
  });

  it('given ChanSpy(<channel>,q) without E or S, when the spied call hangs up, then ChanSpyStop comes but the application keeps scanning and the supervisor stays up (capture 13); with E it returns', async () => {
    for (const [flags, stays] of [['q', true], ['qE', false]] as const) {
      const callerId = await sim.placeInboundCall({ from: '"13800138000" <13800138000>', to: '12345' });
      const connect = await s.waitFor('AgentConnect', (e) => fld(e, 'Uniqueid') === callerId);
      const opName = fld(connect, 'DestChannel')!;
      await s.action({ action: 'Originate', channel: 'PJSIP/1003', application: 'ChanSpy', data: `${opName},${flags}`, async: 'true' });
      const start = await s.waitFor('ChanSpyStart', (e) => fld(e, 'SpyeeChannel') === opName);
      const spyName = fld(start, 'SpyerChannel')!;
      sim.hangup(callerId);
      await s.waitFor('ChanSpyStop', (e) => fld(e, 'SpyeeChannel') === opName);
      if (stays) {
        // Still there after the call is long gone: nothing but the supervisor ends it.
        await s.waitFor('Hangup', (e) => fld(e, 'Channel') === opName);
        await until(() => !sim.channels().some((c) => c.name === opName || c.id === callerId), { what: 'the spied call gone' });
        expect(sim.channels().some((c) => c.name === spyName)).to.equal(true);
        sim.hangup(spyName);
      }
      await until(() => !sim.channels().some((c) => c.name === spyName), { what: 'the spy gone' });
    }
  });
});
