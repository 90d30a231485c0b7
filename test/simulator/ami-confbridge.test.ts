import { expect } from 'chai';
import { startSimulator, Simulator } from '../../src/simulator';
import { AmiSession } from './support/session';
import { readMessages, get } from './support/transcript';
import { Ev, fld, perRole, fieldNames } from './support/compare';
import { until } from '../support/until';

const CAPTURE = '11-pjsip-confbridge-3way.txt';
// ConfbridgeTalking depends on the audio each party sends, so it is checked for its fields only
const KEY = new Set(['AgentConnect', 'AgentComplete', 'BridgeEnter', 'BridgeLeave', 'ConfbridgeStart', 'ConfbridgeJoin', 'ConfbridgeLeave',
  'ConfbridgeEnd', 'MusicOnHoldStart', 'MusicOnHoldStop', 'Hangup', 'BridgeCreate', 'BridgeDestroy', 'OriginateResponse']);
const rec = (): Ev[] => readMessages(CAPTURE).filter((m) => m.dir === 'S->C' && get(m, 'Event')).map((m) => m.fields);
const reply = (aid: string): Ev => readMessages(CAPTURE).find((m) => m.dir === 'S->C' && get(m, 'ActionID') === aid && get(m, 'Response'))!.fields;

describe('simulator ConfBridge three-way call built from a queue call (capture 11)', () => {
  let sim: Simulator;
  let s: AmiSession;
  beforeEach(async () => {
    sim = await startSimulator({ timeScale: 0.05 });
    sim.registerEndpoint('1001');
    sim.registerEndpoint('12348');
    s = new AmiSession(sim.amiPort);
    await s.ready();
  });
  afterEach(async () => { s.close(); await sim.stop(); });

  it('given the recorded actions, when replayed, then replies, conference events, the hidden announcer and AgentComplete Reason=agent match the capture', async () => {
    await sim.placeInboundCall({ from: '"13800138000" <13800138000>', to: '12345' });
    const connect = await s.waitFor('AgentConnect');
    const caller = fld(connect, 'Channel')!;
    const op = fld(connect, 'DestChannel')!;
    await s.waitFor('BridgeEnter', (e) => fld(e, 'Channel') === caller);
    const red = await s.action({ action: 'Redirect', actionid: 'conf-redirect', channel: caller, extrachannel: op, context: 'from-caller', exten: '7000', priority: '1',
      extracontext: 'from-caller', extraexten: '7000', extrapriority: '1' });
    expect(red.message).to.equal(fld(reply('conf-redirect'), 'Message'));
    await s.waitFor('ConfbridgeJoin', () => true, 2);
    await s.action({ action: 'Originate', actionid: 'expert-12348', channel: 'PJSIP/12348', context: 'from-caller', exten: '7000', priority: '1', callerid: '"Hotline 12345" <12345>', timeout: '20000', async: 'true' });
    await s.waitFor('ConfbridgeJoin', () => true, 3);
    const expert = fld(s.events().filter((e) => fld(e, 'Event') === 'ConfbridgeJoin')[2], 'Channel')!;
    const rooms = await s.action({ action: 'ConfbridgeListRooms', actionid: 'rooms-3way' });
    expect(rooms.message).to.equal(fld(reply('rooms-3way'), 'Message'));
    // list items go to the asking session only: here the library's, which hands them to managerevent
    const lib = (ev: string, aid: string) => s.libEvents.filter((e) => e.event === ev && e.actionid === aid);
    const room = await until(() => lib('ConfbridgeListRooms', 'rooms-3way')[0]);
    expect(room.parties).to.equal('3');
    await s.action({ action: 'ConfbridgeList', actionid: 'list-3way', conference: '7000' });
    await until(() => lib('ConfbridgeListComplete', 'list-3way').length);
    expect(lib('ConfbridgeList', 'list-3way').map((e) => e.channel).sort()).to.deep.equal([caller, op, expert].sort());
    sim.hangup(op);
    await s.waitFor('AgentComplete');
    await s.action({ action: 'ConfbridgeList', actionid: 'list-after-op-left', conference: '7000' });
    await until(() => lib('ConfbridgeListComplete', 'list-after-op-left').length);
    expect(lib('ConfbridgeList', 'list-after-op-left').map((e) => e.channel).sort()).to.deep.equal([caller, expert].sort());
    sim.hangup(expert);
    await s.waitFor('MusicOnHoldStart', (e) => fld(e, 'Channel') === caller && fld(e, 'Exten') === '7000');
    const kick = await s.action({ action: 'ConfbridgeKick', actionid: 'kick-caller', conference: '7000', channel: caller });
    expect(kick.message).to.equal(fld(reply('kick-caller'), 'Message'));
    await until(() => sim.channels().length === 0, { what: 'the kicked caller to reach Hangup()' });
    const after = await s.action({ action: 'ConfbridgeListRooms', actionid: 'rooms-after' });
    expect([after.response, after.message]).to.deep.equal([fld(reply('rooms-after'), 'Response'), fld(reply('rooms-after'), 'Message')]);

    const all = s.events();
    const got = all.slice(all.findIndex((e) => fld(e, 'Event') === 'AgentConnect'));
    const recorded = rec();
    const from = recorded.findIndex((e) => fld(e, 'Event') === 'AgentConnect');
    const want = perRole(recorded.slice(from), KEY);
    const have = perRole(got, KEY);
    for (const [role, seq] of want) expect(have.get(role), `events of ${role}`).to.deep.equal(seq);
    const recFields = fieldNames(recorded);
    for (const [ev, names] of fieldNames(got)) {
      if (!recFields.has(ev) || ev === 'HangupRequest' || ev.startsWith('Dial')) continue;
      expect(names, `fields of ${ev}`).to.deep.equal(recFields.get(ev));
    }
    // the announcer: counted from ConfbridgeStart on, never a channel of its own, gone with the conference
    const num = (ev: string) => got.filter((e) => fld(e, 'Event') === ev).map((e) => fld(e, 'BridgeNumChannels'));
    expect(num('ConfbridgeStart')).to.deep.equal(['1']);
    expect(num('ConfbridgeJoin')).to.deep.equal(['2', '3', '4']);
    expect(num('ConfbridgeEnd')).to.deep.equal(['1']);
    expect(got.some((e) => (fld(e, 'Channel') ?? '').startsWith('CBAnn/'))).to.equal(false);
    expect(got.filter((e) => fld(e, 'Event') === 'VarSet' && fld(e, 'Variable') === 'BRIDGEPEER').some((e) => /^CBAnn\/7000-[0-9a-f]{8};2/.test(fld(e, 'Value') ?? ''))).to.equal(true);
    const complete = got.find((e) => fld(e, 'Event') === 'AgentComplete')!;
    expect([fld(complete, 'Reason'), fld(complete, 'Channel'), fld(complete, 'DestChannel')]).to.deep.equal(['agent', caller, op]);
  });
});
