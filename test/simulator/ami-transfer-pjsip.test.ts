import { expect } from 'chai';
import { startSimulator, Simulator } from '../../src/simulator';
import { AmiSession } from './support/session';
import { readMessages, get } from './support/transcript';
import { Ev, fld, perRole, fieldNames } from './support/compare';
import { until } from '../support/until';

const KEY = new Set(['Newchannel', 'QueueCallerJoin', 'QueueCallerLeave', 'AgentCalled', 'AgentConnect', 'AgentComplete', 'BridgeCreate',
  'BridgeEnter', 'BridgeLeave', 'BridgeDestroy', 'Hangup', 'BlindTransfer', 'AttendedTransfer', 'BridgeMerge', 'Hold', 'Unhold', 'DTMFEnd',
  'MusicOnHoldStart', 'MusicOnHoldStop', 'LocalBridge', 'LocalOptimizationBegin', 'LocalOptimizationEnd', 'DialBegin', 'DialEnd']);

const CAPTURE = '09-pjsip-transfer-redirect-blind-atxfer-refer.txt';
const recorded = (): Ev[] => readMessages(CAPTURE).filter((m) => m.dir === 'S->C' && get(m, 'Event')).map((m) => m.fields);
const isOp = (e: Ev): boolean => (fld(e, 'Channel') ?? '').startsWith('PJSIP/1001-');

describe('simulator transfers of a PJSIP queue call: Redirect, BlindTransfer, Atxfer, phone REFER (capture 09)', () => {
  let sim: Simulator;
  let s: AmiSession;
  beforeEach(async () => {
    sim = await startSimulator({ timeScale: 0.05 });
    sim.registerEndpoint('1001');
    sim.registerEndpoint('0571');
    s = new AmiSession(sim.amiPort);
    await s.ready();
  });
  afterEach(async () => { s.close(); await sim.stop(); });

  /** A carrier call answered by 1001; resolves with the caller and operator channel names. */
  async function queueCall(n: number): Promise<{ caller: string; op: string }> {
    await sim.placeInboundCall({ from: '"13800138000" <13800138000>', to: '12345' });
    const c = await s.waitFor('AgentConnect', () => true, n);
    await s.waitFor('BridgeEnter', (e) => fld(e, 'Channel') === fld(c, 'Channel'), n === 0 ? 1 : 1);
    return { caller: fld(c, 'Channel')!, op: fld(c, 'DestChannel')! };
  }
  /** The county line answers, then hangs up (its BYE), and the carrier gets the BYE. */
  async function countyLineHangsUp(nth: number): Promise<void> {
    const enter = await s.waitFor('BridgeEnter', (e) => (fld(e, 'Channel') ?? '').startsWith('PJSIP/0571-'), nth);
    sim.hangup(fld(enter, 'Channel')!);
    await until(() => sim.channels().length === 0, { what: 'the call to end' });
    // The simulator is done; its last events may still be on the socket.
    await s.waitFor('Hangup', (e) => fld(e, 'Channel') === fld(enter, 'Channel'));
  }

  it('given the four recorded transfers, when replayed, then every channel sees the recorded events in the recorded order with the recorded fields', async () => {
    // (A) Redirect of the queued caller to the county line
    let call = await queueCall(1);
    expect((await s.action({ action: 'Redirect', actionid: 'redirect-A', channel: call.caller, context: 'county-lines-pjsip', exten: '0571', priority: '1' })).message).to.equal('Redirect successful');
    await countyLineHangsUp(1);
    // (B) BlindTransfer of the operator's channel
    call = await queueCall(2);
    expect((await s.action({ action: 'BlindTransfer', actionid: 'blind-B', channel: call.op, context: 'county-lines-pjsip', exten: '0571' })).message).to.equal('Transfer succeeded');
    await countyLineHangsUp(2);
    // (C) Atxfer: DTMF *2 + 0571 injected, consultation over a Local pair, the operator hangs up to complete it
    call = await queueCall(3);
    expect((await s.action({ action: 'Atxfer', actionid: 'atxfer-C', channel: call.op, context: 'county-lines-pjsip', exten: '0571' })).message).to.equal('Atxfer successfully queued');
    await s.waitFor('BridgeEnter', (e) => (fld(e, 'Channel') ?? '').startsWith('PJSIP/0571-'), 3);
    sim.hangup(call.op);
    await s.waitFor('LocalOptimizationEnd');
    await until(() => sim.channels().length === 2, { what: 'only the caller and the county line to remain' });
    const left = await s.waitFor('BridgeEnter', (e) => (fld(e, 'Channel') ?? '').startsWith('PJSIP/0571-'), 4);
    sim.hangup(fld(left, 'Channel')!);
    await until(() => sim.channels().length === 0, { what: 'call C to end' });
    // (D) the operator's phone sends a REFER to 0571 (looked up in its own context operators-out)
    call = await queueCall(4);
    expect(sim.phoneTransfer(call.op, '0571')).to.equal(true);
    await countyLineHangsUp(5);
    const got = s.events();
    const rec = recorded();

    const want = perRole(rec, KEY);
    const have = perRole(got, KEY);
    for (const [role, seq] of want) expect(have.get(role), `events of ${role}`).to.deep.equal(seq);
    const recFields = fieldNames(rec);
    for (const [ev, names] of fieldNames(got)) {
      // a BYE's HangupRequest has no Cause on some channels and one on others; DialBegin/End differ by caller (Originate or Dial)
      if (!recFields.has(ev) || ev === 'HangupRequest' || ev === 'DialBegin' || ev === 'DialEnd' || ev === 'DialState') continue;
      expect(names, `fields of ${ev}`).to.deep.equal(recFields.get(ev));
    }
    const reasons = got.filter((e) => fld(e, 'Event') === 'AgentComplete').map((e) => fld(e, 'Reason'));
    expect(reasons).to.deep.equal(['caller', 'transfer', 'transfer', 'transfer']);
    const blinds = got.filter((e) => fld(e, 'Event') === 'BlindTransfer');
    expect(blinds.map((e) => [fld(e, 'IsExternal'), fld(e, 'Context')])).to.deep.equal([['Yes', 'county-lines-pjsip'], ['Yes', 'operators-out']]);
    const dtmf = got.filter((e) => fld(e, 'Event') === 'DTMFEnd' && isOp(e));
    expect(dtmf.map((e) => `${fld(e, 'Digit')}/${fld(e, 'DurationMs')}/${fld(e, 'Direction')}`)).to.deep.equal(['*', '2', '0', '5', '7', '1'].map((d) => `${d}/0/Received`));
    const att = got.find((e) => fld(e, 'Event') === 'AttendedTransfer')!;
    expect([fld(att, 'IsExternal'), fld(att, 'DestType')]).to.deep.equal(['No', 'Bridge']);
    expect(fld(att, 'OrigTransfererChannel')).to.equal(fld(att, 'SecondTransfererChannel'));
    expect(fld(att, 'TransferTargetChannel')).to.match(/^Local\/0571@county-lines-pjsip-[0-9a-f]{8};1$/);
  });
});
