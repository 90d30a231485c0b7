import crypto from 'node:crypto';
import { expect } from 'chai';
import { startTestService, TestService } from '../support/service';
import { until } from '../support/until';
import { startCallHarness, CallHarness } from '../calls/harness';
import { answeredCall, createTicket, readyOperator } from '../calls/transfer-support';
import { createTicketsFeature } from '../../src/tickets/feature';
import { createNetworkFeature } from '../../src/network/feature';

/**
 * Issue 14 §1 downward flow with the call path: the city's operator transfers a live call to the
 * 环县 line with its ticket (第十九条, the ticket number also rides on the SIP headers); when the transfer
 * lands the ticket is dispatched to 环县, and the county's own platform — another service instance on
 * its own database — receives that ticket for real and can work it.
 */
describe('a one-key transfer to a county line sends the ticket down to the county platform', function () {
  this.timeout(120_000);
  const KEY = crypto.randomBytes(24).toString('hex');
  let county: TestService;
  let h: CallHarness;

  before(async () => {
    county = await startTestService({ features: [createTicketsFeature(), createNetworkFeature({ heartbeatMs: 500 })], env: { CENTRE_CODE: 'HX', NETWORK_ROLE: 'county', NETWORK_PARENT_URL: 'http://127.0.0.1:9', NETWORK_KEY: KEY } });
    h = await startCallHarness({
      extraFeatures: () => [createNetworkFeature()],
      env: { NETWORK_ROLE: 'city', CENTRE_CODE: 'QY', NETWORK_PEERS: JSON.stringify([{ code: 'HX', url: county.baseUrl, key: KEY, unitCode: 'QY-HX' }]) },
    });
    h.sim.setEndpointBehaviour('trunk-hx', { answerAfterMs: 20 });
  });
  after(async () => {
    for (const c of h?.sim.channels() ?? []) if (c.name.startsWith('PJSIP/carrier-')) h.sim.hangup(c.id);
    await h?.stop();
    await county?.stop();
  });

  it('given a live call with a ticket, when the operator blind-transfers it to 环县 and it lands, then 环县\'s platform holds the ticket with the caller and the city\'s number', async () => {
    const op = await readyOperator(h);
    const { callerId, callId } = await answeredCall(h, '13800138111');
    const ticket = await createTicket(h, op, callerId, '咨询环县农村危房改造补助的申请条件');
    const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'blind', ticketNo: ticket.no, summary: '危房改造补助' } });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    await until(async () => (await h.db.knex('tickets').where({ no: ticket.no }).first()).main_unit === 'QY-HX', { timeoutMs: 20_000, what: 'the ticket dispatched to 环县 on landing' });

    const local = await until(async () => county.db.knex('tickets').where({ origin_centre: 'QY', origin_no: ticket.no }).first(), { timeoutMs: 30_000, what: 'the ticket on 环县\'s platform' });
    expect(local).to.include({ status: 'accepted', caller_phone: '13800138000', content: '咨询环县农村危房改造补助的申请条件' });
    expect(local.no.startsWith('HX')).to.equal(true);
  });
});
