import { expect } from 'chai';
import { statSync, readFileSync } from 'fs';
import { join } from 'path';
import { startSimulator, Simulator } from '../../src/simulator';
import { RawAmi } from './support/ami-client';
import { readMessages, get } from './support/transcript';
import { replay } from './support/replay';
import { until } from '../support/until';

const f = (e: Array<[string, string]>, k: string): string | undefined => e.find(([x]) => x === k)?.[1];

describe('simulator queue members and MixMonitor (captures 02, 03)', () => {
  let sim: Simulator;
  let ami: RawAmi | undefined;
  beforeEach(async () => { sim = await startSimulator({ timeScale: 0.1 }); });
  afterEach(async () => { ami?.close(); await sim.stop(); });

  it('given capture 02, when QueueAdd/Pause/Penalty/Remove are replayed, then replies and member events match the recording', async () => {
    const r = await replay('02-queue-member-add-pause-remove.txt', sim.amiPort, { skip: (m) => get(m, 'Action') === 'Logoff' });
    ami = r.ami;
    for (const p of r.pairs.filter((x) => x.recorded && get(x.request, 'Action') !== 'Login')) {
      const what = get(p.request, 'ActionID');
      if (get(p.request, 'Action') === 'QueueStatus' || get(p.request, 'Action') === 'QueueSummary') { expect(p.actual!.slice(0, 3), what).to.deep.equal(p.recorded!.slice(0, 3)); continue; }
      expect(p.actual, what).to.deep.equal(p.recorded);
    }
    const want = ['QueueMemberAdded', 'QueueMemberPause', 'QueueMemberPause', 'QueueMemberPause', 'QueueMemberPause', 'QueueMemberPenalty', 'QueueMemberRemoved'];
    await until(() => ami!.messages().filter((m) => want.includes(f(m, 'Event') ?? '')).length >= want.length);
    const recorded = readMessages('02-queue-member-add-pause-remove.txt').filter((m) => want.includes(get(m, 'Event') ?? ''));
    const got = ami.messages().filter((m) => want.includes(f(m, 'Event') ?? ''));
    expect(got.map((m) => f(m, 'Event'))).to.deep.equal(want);
    got.forEach((m, i) => {
      expect(m.map(([k]) => k)).to.deep.equal(recorded[i].fields.map(([k]) => k));
      for (const k of ['Queue', 'MemberName', 'Interface', 'Membership', 'Penalty', 'Paused', 'PausedReason', 'Status']) expect(f(m, k), `${f(m, 'Event')} ${k}`).to.equal(get(recorded[i], k));
    });
  });

  it('given capture 03, when MixMonitor runs on both halves, then files are real 8 kHz WAVs where Asterisk puts them and option b records only while bridged', async () => {
    ami = new RawAmi(sim.amiPort);
    const absolute = join(sim.spoolDir, 'srv', 'hotline-mm-absolute.wav');
    ami.send(['Action: Login', 'Username: hotline', 'Secret: hotline']);
    ami.send(['Action: Originate', 'Channel: Local/9000@operators', 'Context: caller-sim', 'Exten: s', 'Priority: 1', 'Variable: HOLD_SECS=20', 'Async: true', 'ChannelId: mm-call-1', 'OtherChannelId: mm-call-1-2']);
    await until(() => ami!.messages().some((m) => f(m, 'Event') === 'OriginateResponse'));
    const one = sim.channels().find((c) => c.id === 'mm-call-1')!.name;
    const two = sim.channels().find((c) => c.id === 'mm-call-1-2')!.name;
    ami.send(['Action: MixMonitor', 'ActionID: mm-1', `Channel: ${one}`, 'File: hotline-mm-relative.wav', 'Options: b']);
    ami.send(['Action: MixMonitor', 'ActionID: mm-2', `Channel: ${two}`, `File: ${absolute}`]);
    ami.send(['Action: Getvar', 'ActionID: gv-1', `Channel: ${one}`, 'Variable: MIXMONITOR_FILENAME']);
    const gv = await until(() => ami!.messages().find((m) => f(m, 'ActionID') === 'gv-1'));
    // the name as Asterisk reports it (capture 03); the file itself lands under spoolDir/monitor
    expect(f(gv, 'Value')).to.equal(get(readMessages('03-mixmonitor.txt').find((m) => get(m, 'ActionID') === 'gv-1' && get(m, 'Value'))!, 'Value'));
    const mm1 = ami.messages().find((m) => f(m, 'ActionID') === 'mm-1')!;
    expect(mm1).to.deep.equal([['Response', 'Success'], ['ActionID', 'mm-1']]);
    const started = Date.now();
    await until(() => Date.now() - started >= 400); // audio to record: the file length is the point of this test
    ami.send(['Action: StopMixMonitor', 'ActionID: smm-1', `Channel: ${one}`]);
    ami.send(['Action: StopMixMonitor', 'ActionID: smm-2', `Channel: ${one}`]);
    ami.send(['Action: Hangup', 'ActionID: hup-1', `Channel: ${one}`]);
    await until(() => ami!.messages().filter((m) => f(m, 'Event') === 'Hangup').length >= 2);
    const elapsed = Date.now() - started;
    expect(f(ami.messages().find((m) => f(m, 'ActionID') === 'smm-2')!, 'Message')).to.equal('Could not stop monitoring channel');
    expect(ami.messages().filter((m) => f(m, 'Event') === 'MixMonitorStop')).to.have.length(1); // none at hangup (README)
    expect(statSync(join(sim.spoolDir, 'monitor', 'hotline-mm-relative.wav')).size).to.equal(44);
    const wav = readFileSync(absolute);
    expect(wav.subarray(0, 4).toString()).to.equal('RIFF');
    expect(wav.readUInt16LE(20)).to.equal(1);
    expect(wav.readUInt16LE(22)).to.equal(1);
    expect(wav.readUInt32LE(24)).to.equal(8000);
    expect(wav.readUInt16LE(34)).to.equal(16);
    const ms = ((wav.length - 44) / 16000) * 1000;
    expect(ms).to.be.within(350, elapsed + 100);
    const recorded = readMessages('03-mixmonitor.txt').filter((m) => get(m, 'Event') === 'MixMonitorStart')[0];
    const start = ami.messages().find((m) => f(m, 'Event') === 'MixMonitorStart')!;
    expect(start.map(([k]) => k)).to.deep.equal(recorded.fields.map(([k]) => k));
  });
});
