import { expect } from 'chai';
import { startSimulator, Simulator } from '../../src/simulator';
import { AmiSession } from './support/session';
import { readMessages, get } from './support/transcript';
import { Ev, fld, perRole, fieldNames } from './support/compare';
import { until } from '../support/until';

/** Events that describe the calls; VarSet/Newexten/DeviceStateChange/Dial* are left out of the per-channel order. */
const KEY = new Set(['Newchannel', 'QueueCallerJoin', 'QueueCallerLeave', 'AgentCalled', 'AgentConnect', 'AgentComplete', 'BridgeCreate',
  'BridgeEnter', 'BridgeLeave', 'BridgeDestroy', 'Hangup', 'BlindTransfer', 'Unhold', 'MusicOnHoldStart', 'MusicOnHoldStop', 'LocalBridge']);

const CAPTURE = '05-transfer-redirect-blindtransfer.txt';
const recorded = (): Ev[] => readMessages(CAPTURE).filter((m) => m.dir === 'S->C' && get(m, 'Event')).map((m) => m.fields);
const originate = (id: string) => ({ action: 'Originate', actionid: id, channel: 'Local/12345@from-caller', context: 'caller-sim', exten: 's', priority: '1',
  callerid: '"Citizen" <13800138001>', variable: { HOTLINE_ROUTE: 'queue', HOLD_SECS: '15' }, async: 'true' });

describe('simulator one-key transfer of a queue call over Local channels (capture 05)', () => {
  let sim: Simulator;
  let s: AmiSession;
  beforeEach(async () => { sim = await startSimulator({ timeScale: 0.05 }); s = new AmiSession(sim.amiPort); await s.ready(); });
  afterEach(async () => { s.close(); await sim.stop(); });

  it('given the two recorded calls, when the caller is redirected and then blind-transferred, then every channel sees the recorded events in the recorded order with the recorded fields', async () => {
    const rec = recorded();
    // call 1: Redirect of the caller half (;2, in Queue) to county-lines,0571,1
    expect((await s.action(originate('orig-5-1'))).message).to.equal('Originate successfully queued');
    const connect1 = await s.waitFor('AgentConnect');
    const res1 = await s.action({ action: 'Redirect', actionid: 'xfer-5-1', channel: fld(connect1, 'Channel'), context: 'county-lines', exten: '0571', priority: '1' });
    expect(res1.message).to.equal('Redirect successful');
    await s.waitFor('AgentComplete');
    await until(() => sim.channels().length === 0, { timeoutMs: 5000, what: 'call 1 to end' });
    // call 2: BlindTransfer with the caller half as transferer: the operator leg goes to the county line
    await s.action(originate('orig-5-2'));
    const connect2 = await s.waitFor('AgentConnect', () => true, 2);
    const res2 = await s.action({ action: 'BlindTransfer', actionid: 'xfer-5-2', channel: fld(connect2, 'Channel'), context: 'county-lines', exten: '0571' });
    expect(res2.message).to.equal('Transfer succeeded');
    await s.waitFor('AgentComplete', () => true, 2);
    await until(() => sim.channels().length === 0, { timeoutMs: 5000, what: 'call 2 to end' });
    await s.waitFor('BridgeDestroy', () => true, 2);
    // the recording stops (Logoff) at the second BridgeDestroy, while the operator leg still talks to the county line
    const all = s.events();
    const got = all.slice(0, all.indexOf(all.filter((e) => fld(e, 'Event') === 'BridgeDestroy')[1]) + 1);

    const want = perRole(rec, KEY);
    const have = perRole(got, KEY);
    for (const [role, seq] of want) expect(have.get(role), `events of ${role}`).to.deep.equal(seq);
    const recFields = fieldNames(rec);
    for (const [ev, names] of fieldNames(got)) if (recFields.has(ev)) expect(names, `fields of ${ev}`).to.deep.equal(recFields.get(ev));

    // the facts the capture shows about the queue's bookkeeping
    const completes = got.filter((e) => fld(e, 'Event') === 'AgentComplete');
    expect(completes.map((e) => fld(e, 'Reason'))).to.deep.equal(['caller', 'transfer']);
    // after Redirect, AgentComplete waits for the caller's final hangup and no longer names the caller
    expect(fld(completes[0], 'Channel')).to.equal(undefined);
    const blind = got.find((e) => fld(e, 'Event') === 'BlindTransfer')!;
    expect([fld(blind, 'IsExternal'), fld(blind, 'Context'), fld(blind, 'Extension')]).to.deep.equal(['Yes', 'county-lines', '0571']);
    // the library sees AgentComplete Reason=transfer right after BlindTransfer
    const lib = s.libEvents.map((e) => `${e.event}${e.reason ? ':' + e.reason : ''}`).filter((n) => /^(BlindTransfer|AgentComplete|BridgeLeave)/.test(n));
    expect(lib.slice(lib.indexOf('BlindTransfer'), lib.indexOf('BlindTransfer') + 3)).to.deep.equal(['BlindTransfer', 'AgentComplete:transfer', 'BridgeLeave']);
  });
});
