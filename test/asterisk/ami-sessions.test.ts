import { expect } from 'chai';
import { until } from '../support/until';
import { AmiClient } from '../../src/telephony/ami-client';
import { TelephonyEvent } from '../../src/telephony/events';
import { TelephonyHub } from '../../src/telephony/hub';
import { silentLogger } from '../../src/logging/logger';
import { RealHarness, skipWithoutAsterisk, startRealHarness } from './harness';
import { registerPhone, stopAllSipp } from './sipp';

type Originated = Extract<TelephonyEvent, { type: 'OriginateResult' }>;

/**
 * Issue 11 field report "ActionID collisions" against a real Asterisk 22: two service instances with
 * the same ASTERISK_SERVERS share one Asterisk. Asterisk sends every OriginateResponse to every AMI
 * session (manager.c), so each instance must recognise only its own: ActionIDs unique across
 * sessions, instances and restarts. The simulator's version is in test/telephony/sim.test.ts.
 */
describe('real Asterisk: two AMI sessions of the same centre (ActionIDs)', function () {
  this.timeout(120_000);
  let h: RealHarness;
  const clients: AmiClient[] = [];

  before(async function () {
    skipWithoutAsterisk(this);
    h = await startRealHarness();
    await registerPhone(h.ast, '1003', { answerMs: 200 });
  });
  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await stopAllSipp();
    await h?.stop();
  });

  function instanceB(): { client: AmiClient; seen: TelephonyEvent[] } {
    const p = h.ast.plan;
    const client = new AmiClient({ host: '127.0.0.1', port: p.amiPort, username: p.ami.username, password: p.ami.password }, { serverId: 'qy', keepaliveMs: 0, logger: silentLogger() });
    const seen: TelephonyEvent[] = [];
    client.on('event', (e: TelephonyEvent) => seen.push(e));
    client.start();
    clients.push(client);
    return { client, seen };
  }

  it('given instance A and a second instance B on one Asterisk, when A originates a call that fails and B one that succeeds, then their ActionIDs differ and each reads only its own OriginateResponse', async () => {
    const hub = h.t.service.ctx.services.get('telephony') as TelephonyHub;
    const seenByA: TelephonyEvent[] = [];
    const off = hub.onEvent((e) => seenByA.push(e));
    const b = instanceB();
    try {
      await b.client.whenResynced(10_000);
      const { actionId: fromA } = await hub.ami('qy').originate({ channel: 'Local/nope@nowhere', context: 'nowhere', exten: 's' });
      const { actionId: fromB } = await b.client.originate({ channel: 'PJSIP/1003', application: 'Wait', data: '1' });
      expect(fromA).to.not.equal(fromB);
      const a = await until(() => seenByA.find((e): e is Originated => e.type === 'OriginateResult' && e.actionId === fromA), { timeoutMs: 20_000, what: "A's OriginateResponse" });
      const own = await until(() => b.seen.find((e): e is Originated => e.type === 'OriginateResult' && e.actionId === fromB), { timeoutMs: 20_000, what: "B's OriginateResponse" });
      expect(a.success, 'Local/nope@nowhere fails').to.equal(false);
      expect(own.success, 'PJSIP/1003 answers').to.equal(true);
      // Asterisk delivered both responses to both sessions; each instance kept only its own.
      expect(b.seen.filter((e) => e.type === 'OriginateResult').map((e) => (e as Originated).actionId)).to.deep.equal([fromB]);
      expect(seenByA.filter((e) => e.type === 'OriginateResult').map((e) => (e as Originated).actionId)).to.deep.equal([fromA]);
    } finally {
      off();
    }
  });

  it('given instance B restarted (a new session), when it originates again, then its ActionID was never used before', async () => {
    const first = instanceB();
    await first.client.whenResynced(10_000);
    const { actionId: before } = await first.client.originate({ channel: 'Local/nope@nowhere', context: 'nowhere', exten: 's' });
    await first.client.stop();
    const second = instanceB();
    await second.client.whenResynced(10_000);
    const { actionId: after } = await second.client.originate({ channel: 'Local/nope@nowhere', context: 'nowhere', exten: 's' });
    expect(after).to.not.equal(before);
    await until(() => second.seen.find((e) => e.type === 'OriginateResult' && (e as Originated).actionId === after), { timeoutMs: 20_000, what: 'the new session’s own OriginateResponse' });
    expect(second.seen.filter((e) => e.type === 'OriginateResult').map((e) => (e as Originated).actionId)).to.deep.equal([after]);
  });
});
