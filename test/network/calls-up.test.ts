import crypto from 'node:crypto';
import { expect } from 'chai';
import { startTestService, TestService } from '../support/service';
import { until } from '../support/until';
import { startCallHarness, CallHarness } from '../calls/harness';
import { answeredCall, readyOperator } from '../calls/transfer-support';
import { createTicketsFeature } from '../../src/tickets/feature';
import { createNetworkFeature } from '../../src/network/feature';

/**
 * Issue 14 §1 with the call path on the county side (第二十五条: 受理信息 — every accepted call record
 * goes up too): a county platform on the call harness (the simulator running dialplan/) pushes each
 * ended call to the city, once, and its heartbeat carries its live queues for the city's view.
 */
describe('a county\'s calls and live queues reach the city', function () {
  this.timeout(120_000);
  const KEY = crypto.randomBytes(24).toString('hex');
  let city: TestService;
  let h: CallHarness;

  before(async () => {
    city = await startTestService({ features: [createTicketsFeature(), createNetworkFeature()], env: { CENTRE_CODE: 'QY', NETWORK_ROLE: 'city', NETWORK_PEERS: JSON.stringify([{ code: 'HX', url: 'http://127.0.0.1:9', key: KEY, unitCode: 'QY-HX' }]) } });
    h = await startCallHarness({
      extraFeatures: () => [createNetworkFeature({ heartbeatMs: 300 })],
      env: { NETWORK_ROLE: 'county', CENTRE_CODE: 'HX', NETWORK_PARENT_URL: city.baseUrl, NETWORK_KEY: KEY },
    });
  });
  after(async () => {
    await h?.stop();
    await city?.stop();
  });

  it('given a county call answered and ended, then the city holds its record once, with the county\'s times, and sees the county\'s queues', async () => {
    await readyOperator(h);
    const { callerId, callId } = await answeredCall(h, '13800138222');
    h.sim.hangup(callerId);
    await until(async () => (await h.db.knex('calls').where({ id: callId }).first()).state === 'ended', { what: 'the call ended at the county' });
    const fact = await until(async () => city.db.knex('network_facts').where({ centre: 'HX', fact_id: `HX:call:${callId}` }).first(), { timeoutMs: 30_000, what: 'the call record at the city' });
    const payload = (typeof fact.payload === 'string' ? JSON.parse(fact.payload) : fact.payload) as { call: Record<string, unknown> };
    const local = await h.db.knex('calls').where({ id: callId }).first();
    expect(payload.call).to.include({ linkedid: local.linkedid, outcome: local.outcome, callerNumber: '13800138222' });
    expect(payload.call.answeredAt).to.equal(new Date(local.answered_at).toISOString());
    expect(await city.db.knex('network_facts').where({ centre: 'HX', kind: 'call' })).to.have.length(1);

    const sup = await city.userToken(['supervisor']);
    const centre = await until(async () => {
      const c = ((await city.http('GET', '/api/network/centres', { token: sup })).body as Array<{ code: string; live: { queues?: Array<{ queue: string }> } | null }>).find((x) => x.code === 'HX');
      return c?.live?.queues?.length ? c : null;
    }, { what: 'the county\'s live queues at the city' });
    expect(centre.live!.queues!.map((q) => q.queue)).to.include('q-qy');
    // Figures only: no waiting caller's number leaves the county in a heartbeat (第二十七条).
    expect(centre.live!.queues!.every((q) => 'waitingCount' in q && !('waiting' in q))).to.equal(true);
    expect(JSON.stringify(centre.live)).to.not.match(/1[3-9]\d{9}/);
  });
});
