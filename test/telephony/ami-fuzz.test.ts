import { expect } from 'chai';
import { AmiClient } from '../../src/telephony/ami-client';
import { TelephonyEvent } from '../../src/telephony/events';
import { createLogger } from '../../src/logging/logger';
import { until } from '../support/until';
import { FakeAmi } from './support/fake-ami';
import { amiFrames as F } from './support/frames';
import { unsolicitedEvents } from './support/transcripts';
import { Writable } from 'stream';

/** Deterministic PRNG so a failure can be replayed. */
function prng(seed: number) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

function randomFrames(n: number, rnd: () => number, real: string[]): string[] {
  const alphabet = 'abcXYZ:: \r\n\t0123456789-_/;@{}"\u00e9\u4e2d';
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = Math.floor(rnd() * 6);
    if (kind === 0) {
      let s = '';
      const len = Math.floor(rnd() * 200);
      for (let j = 0; j < len; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      out.push(s + '\r\n\r\n');
    } else if (kind === 1) {
      out.push(`Event: Fuzz${Math.floor(rnd() * 1000)}\r\nFoo: ${rnd()}\r\n\r\n`);
    } else if (kind === 2) {
      // A real event with lines dropped or values mangled: mapping must cope with missing fields.
      const f = real[Math.floor(rnd() * real.length)].split('\r\n').filter(() => rnd() > 0.3).join('\r\n');
      out.push(f.startsWith('Event:') ? f + '\r\n\r\n' : 'Event: Hangup\r\n' + f + '\r\n\r\n');
    } else if (kind === 3) {
      out.push(`Response: ${rnd() > 0.5 ? 'Success' : 'Error'}\r\nActionID: nobody-${i}\r\nMessage: stray\r\n\r\n`);
    } else if (kind === 4) {
      out.push('no colon here\r\nEvent: QueueCallerJoin\r\nUniqueid:\r\nQueue\r\n\r\n');
    } else {
      out.push(real[Math.floor(rnd() * real.length)]);
    }
  }
  return out;
}

describe('telephony/AMI fuzz: random frames on a live socket', () => {
  let ami: FakeAmi;
  let client: AmiClient;
  let logged = '';

  beforeEach(async () => {
    ami = await new FakeAmi().start();
    logged = '';
    const destination = new Writable({ write(chunk, _e, cb) { logged += chunk.toString(); cb(); } });
    client = new AmiClient({ host: '127.0.0.1', port: ami.port, username: 'hotline', password: 'hotline' },
      { serverId: 'fz', keepaliveMs: 0, logger: createLogger({ level: 'debug', destination }) });
    client.start();
    await client.whenResynced(2000);
  });
  afterEach(async () => {
    await client.stop();
    await ami.stop();
  });

  it('given 5,000 random, truncated and mangled frames, when streamed, then they are skipped and logged (rate-limited), and the link and mapping still work', async () => {
    const rnd = prng(12345);
    const real = ['01-login-status-originate-queue.txt', '09-pjsip-transfer-redirect-blind-atxfer-refer.txt'].flatMap(unsolicitedEvents);
    const frames = randomFrames(5000, rnd, real);
    let errors = 0;
    const onUncaught = () => errors++;
    process.on('uncaughtException', onUncaught);
    try {
      for (let i = 0; i < frames.length; i += 250) ami.push(frames.slice(i, i + 250).join(''));
      // Then a well-formed call: it must still be understood after all that.
      const seen: TelephonyEvent[] = [];
      client.on('event', (e: TelephonyEvent) => seen.push(e));
      ami.push('\r\n\r\n' + F.newchannel('PJSIP/carrier-000000ff', 'after.1') + F.hangup('PJSIP/carrier-000000ff', 'after.1'));
      await until(() => seen.some((e) => e.type === 'ChannelHungUp' && e.channelId === 'after.1'), { timeoutMs: 10_000, what: 'a valid call after the fuzz' });
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(errors).to.equal(0);
    expect(client.state).to.equal('resynced');
    const c = client.status().counters;
    expect(c.garbage).to.be.greaterThan(100);
    expect(c.unknownEvents).to.be.greaterThan(100);
    // Rate limiting: far fewer log lines than bad frames.
    const warnLines = logged.split('\n').filter((l) => l.includes('garbage skipped')).length;
    expect(warnLines).to.be.within(1, 50);
    expect(logged).to.not.match(/13800138000/);
  });
});
