import { expect } from 'chai';
import { readFileSync, statSync, existsSync } from 'fs';
import { join } from 'path';
import { startSimulator, Simulator } from '../../src/simulator';
import { AmiClient } from '../../src/telephony/ami-client';
import type { TelephonyEvent } from '../../src/telephony/events';
import { AmiSession } from './support/session';
import { readMessages, get } from './support/transcript';
import { Ev, fld, perRole, fieldNames } from './support/compare';
import { until } from '../support/until';

const CAPTURE = '12-pjsip-mixmonitor.txt';
const KEY = new Set(['MixMonitorStart', 'MixMonitorStop', 'BridgeEnter', 'BridgeLeave', 'Hangup']);
const recorded = (): Ev[] => readMessages(CAPTURE).filter((m) => m.dir === 'S->C' && get(m, 'Event')).map((m) => m.fields);
const recordedReply = (aid: string): Ev => readMessages(CAPTURE).find((m) => m.dir === 'S->C' && get(m, 'ActionID') === aid && get(m, 'Response'))!.fields;

describe('simulator MixMonitor on a PJSIP queue call (capture 12)', () => {
  let sim: Simulator;
  let s: AmiSession;
  let client: AmiClient | undefined;
  beforeEach(async () => { sim = await startSimulator({ timeScale: 0.05 }); sim.registerEndpoint('1001'); s = new AmiSession(sim.amiPort); await s.ready(); });
  afterEach(async () => { await client?.stop(); s.close(); await sim.stop(); });

  it('given the recorded actions, when replayed, then replies, MIXMONITOR_FILENAME as Asterisk reports it, events and the files match the capture', async () => {
    const typed: TelephonyEvent[] = [];
    client = new AmiClient({ host: '127.0.0.1', port: sim.amiPort, username: 'hotline', password: 'hotline' }, { serverId: 'sim', keepaliveMs: 0 });
    client.on('event', (e: TelephonyEvent) => typed.push(e));
    client.start();
    await client.whenResynced(5000);
    await sim.placeInboundCall({ from: '"13800138000" <13800138000>', to: '12345' });
    const connect = await s.waitFor('AgentConnect');
    const caller = fld(connect, 'Channel')!;
    const op = fld(connect, 'DestChannel')!;
    await s.waitFor('BridgeEnter', (e) => fld(e, 'Channel') === caller);
    const absolute = '/srv/recordings/hotline-pjsip-operator.wav';
    const localAbsolute = join(sim.spoolDir, 'srv-recordings', 'hotline-pjsip-operator.wav');
    const mm1 = await s.action({ action: 'MixMonitor', actionid: 'mm-caller', channel: caller, file: 'hotline-pjsip-caller.wav', options: 'b' });
    // an absolute path outside Asterisk's spool is written as given: keep it inside the test's spool
    const mm2 = await s.action({ action: 'MixMonitor', actionid: 'mm-operator', channel: op, file: localAbsolute });
    expect([mm1.response, mm1.message]).to.deep.equal(['Success', undefined]);
    expect(mm2.response).to.equal('Success');
    const gv = await s.action({ action: 'Getvar', actionid: 'gv-caller', channel: caller, variable: 'MIXMONITOR_FILENAME' });
    expect(gv.value).to.equal(fld(recordedReply('gv-caller'), 'Value'));
    expect(gv.value).to.equal('/var/spool/asterisk/monitor/hotline-pjsip-caller.wav');
    const gv2 = await s.action({ action: 'Getvar', actionid: 'gv-operator', channel: op, variable: 'MIXMONITOR_FILENAME' });
    expect(gv2.value).to.equal(localAbsolute);
    expect(fld(recordedReply('gv-operator'), 'Value')).to.equal(absolute);
    const started = Date.now();
    await until(() => Date.now() - started >= 300); // audio to record: the files' lengths are the point here
    expect((await s.action({ action: 'StopMixMonitor', actionid: 'smm-caller', channel: caller })).response).to.equal('Success');
    const stopped = Date.now();
    await until(() => Date.now() - stopped >= 200); // as recorded, the operator hangs up a while after the stop
    sim.hangup(op);
    await until(() => sim.channels().length === 0, { what: 'the call to end' });
    await s.waitFor('Hangup', (e) => fld(e, 'Channel') === caller);

    const got = s.events();
    const rec = recorded();
    const want = perRole(rec.filter((e) => KEY.has(fld(e, 'Event')!)), KEY);
    const have = perRole(got.filter((e) => KEY.has(fld(e, 'Event')!)), KEY);
    for (const [role, seq] of want) expect(have.get(role), `events of ${role}`).to.deep.equal(seq);
    const recFields = fieldNames(rec);
    for (const ev of ['MixMonitorStart', 'MixMonitorStop', 'VarSet']) expect(fieldNames(got).get(ev), ev).to.deep.equal(recFields.get(ev));
    expect(got.filter((e) => fld(e, 'Event') === 'MixMonitorStop')).to.have.length(1); // none when the operator hangs up
    const varsets = got.filter((e) => fld(e, 'Event') === 'VarSet' && fld(e, 'Variable') === 'MIXMONITOR_FILENAME').map((e) => fld(e, 'Value'));
    expect(varsets).to.deep.equal(['/var/spool/asterisk/monitor/hotline-pjsip-caller.wav', localAbsolute]);

    // the files: relative under spoolDir/monitor, 16-bit mono 8 kHz, lengths from start to stop / hangup
    const callerWav = readFileSync(join(sim.spoolDir, 'monitor', 'hotline-pjsip-caller.wav'));
    const opWav = readFileSync(localAbsolute);
    for (const w of [callerWav, opWav]) expect([w.toString('ascii', 0, 4), w.readUInt16LE(22), w.readUInt32LE(24), w.readUInt16LE(34)]).to.deep.equal(['RIFF', 1, 8000, 16]);
    // the operator's ran on until his hangup, at least the 200 ms after the caller's stop (16 bytes per ms)
    expect(opWav.length - callerWav.length).to.be.greaterThan(150 * 16);
    expect(existsSync(join(sim.spoolDir, 'var'))).to.equal(false);
    expect(statSync(join(sim.spoolDir, 'monitor', 'hotline-pjsip-caller.wav')).size).to.be.greaterThan(44);

    // through the adapter: VarSet is skipped unparsed except MIXMONITOR_FILENAME, which names the recording
    await until(() => typed.some((e) => e.type === 'RecordingFinished' && (e as { channel?: string }).channel === op));
    const startedRec = typed.filter((e) => e.type === 'RecordingStarted') as Array<TelephonyEvent & { channel: string; file?: string }>;
    expect(startedRec.map((e) => [e.channel, e.file])).to.deep.equal([[caller, '/var/spool/asterisk/monitor/hotline-pjsip-caller.wav'], [op, localAbsolute]]);
    // of the call's many VarSets only the watched HOTLINE_QUEUE (set by the carrier endpoint) becomes an event
    expect(typed.filter((e) => e.type === 'VariableSet').map((e) => (e as { name?: string }).name)).to.deep.equal(['HOTLINE_QUEUE']);
    expect(client.counters.eventsSkipped).to.be.greaterThan(0);
  });

  it('given absolute names inside Asterisk\'s spool, when MixMonitor and Record() write them, then the files land under spoolDir and the names stay Asterisk\'s', async () => {
    await s.action({ action: 'Originate', channel: 'Local/9000@operators', context: 'caller-sim', exten: 's', priority: '1', variable: { HOLD_SECS: '20' }, async: 'true', channelid: 'mm-abs', otherchannelid: 'mm-abs-2' });
    await s.waitFor('OriginateResponse');
    const name = '/var/spool/asterisk/monitor/hotline-messages/abs-1.wav';
    await s.action({ action: 'MixMonitor', channel: sim.channels().find((c) => c.id === 'mm-abs')!.name, file: name });
    const set = await s.waitFor('VarSet', (e) => fld(e, 'Variable') === 'MIXMONITOR_FILENAME');
    expect(fld(set, 'Value')).to.equal(name);
    // q: no beep; k: keep the file when the caller hangs up (without k, app_record.c deletes it).
    await s.action({ action: 'Originate', channel: 'Local/9000@operators', application: 'Record', data: '/var/spool/asterisk/recording/rec-abs-1.wav,,,qk', async: 'true', channelid: 'rec-abs' });
    await s.waitFor('OriginateResponse', () => true, 2);
    await until(() => existsSync(join(sim.spoolDir, 'recording', 'rec-abs-1.wav')));
    await s.action({ action: 'Hangup', channel: sim.channels().find((c) => c.id === 'rec-abs')!.name });
    await s.action({ action: 'Hangup', channel: sim.channels().find((c) => c.id === 'mm-abs')!.name });
    const recorded = await s.waitFor('VarSet', (e) => fld(e, 'Variable') === 'RECORDED_FILE');
    expect(fld(recorded, 'Value')).to.equal('/var/spool/asterisk/recording/rec-abs-1');
    await until(() => sim.channels().length === 0);
    expect(readFileSync(join(sim.spoolDir, 'monitor', 'hotline-messages', 'abs-1.wav')).toString('ascii', 0, 4)).to.equal('RIFF');
    expect(readFileSync(join(sim.spoolDir, 'recording', 'rec-abs-1.wav')).toString('ascii', 0, 4)).to.equal('RIFF');
    expect(existsSync(join(sim.spoolDir, 'var'))).to.equal(false);
  });
});
