import { expect } from 'chai';
import { startCallHarness, CallHarness } from './harness';
import { startTestService, TestService } from '../support/service';
import { createTicketsFeature } from '../../src/tickets/feature';
import { createTelephonyFeature } from '../../src/telephony/feature';
import { createCallsFeature } from '../../src/calls/feature';
import { until } from '../support/until';
import { waitReady } from './transfer-support';

/**
 * Two service instances on one database, one Redis and one Asterisk: both receive every AMI event;
 * the leader writes call records and the other holds its steps a while, so each fact is written once
 * (keys come from Asterisk's data, not from when an instance received it), side effects (SMS) happen
 * once, and the second instance finishes the calls when the first goes.
 */
describe('two service instances on the same Asterisk', function () {
  this.timeout(60_000);
  let h: CallHarness;
  let second: TestService;

  before(async () => {
    h = await startCallHarness();
    second = await startTestService({
      db: h.db,
      features: [createTicketsFeature({ sms: h.sms }), createTelephonyFeature(), createCallsFeature()],
      env: {
        ASTERISK_SERVERS: JSON.stringify([{ id: 'qy', ami: { host: '127.0.0.1', port: h.sim.amiPort, username: 'hotline', password: 'hotline' }, ari: { url: `http://127.0.0.1:${h.sim.ariPort}`, username: 'hotline', password: 'hotline', app: 'hotline' }, spoolDir: h.sim.spoolDir }]),
        RECORDINGS_DIR: h.recordingsDir,
        REDIS_PREFIX: h.redisPrefix,
      },
    });
    await (second.service.ctx.services.get('telephony') as { whenResynced(ms: number): Promise<void> }).whenResynced(10_000);
    h.sim.registerEndpoint('1001');
    h.sim.setEndpointBehaviour('1001', { answerAfterMs: 100 });
  });
  after(async () => {
    await second?.service.stop();
    await h?.stop();
  });

  it('given both instances ingesting, when a call is queued, answered and ended, then every transition is written once', async () => {
    const op = await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
    expect((await h.t.http('POST', '/api/operators/me/login', { token: op, body: {} })).status).to.equal(200);
    const id = await h.sim.placeInboundCall({ from: '13700007777', to: '12345', trunk: 'carrier' });
    await until(async () => (await h.db.knex('calls').where({ linkedid: id }).first())?.state === 'answered', { timeoutMs: 10_000, what: 'answered' });
    h.sim.hangup(id);
    const call = await until(async () => {
      const c = await h.db.knex('calls').where({ linkedid: id }).first();
      return c?.state === 'ended' ? c : null;
    }, { timeoutMs: 10_000, what: 'ended' });
    await h.calls.idle();
    await (second.service.ctx.services.get('calls') as { idle(): Promise<void> }).idle();
    expect(await h.db.knex('call_transitions').where({ call_id: call.id }).orderBy('id').pluck('event')).to.deep.equal(['queue_joined', 'queue_left', 'answered', 'hangup']);
    expect(await h.db.knex('calls').where({ linkedid: id }).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);
    expect(await h.db.knex('recordings').where({ linkedid: id, kind: 'call' }).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);
  });

  it('given both instances, when every operator is paused and a caller asks for the link by SMS, then one SMS is sent', async () => {
    // The first test's operator is still logged in on 1001: pause them so the queue is empty.
    const first = await h.t.http('POST', '/api/auth/login', { body: { username: 'op1001', password: 'test-password-123' } });
    await until(async () => (await h.t.http('POST', '/api/operators/me/pause', { token: first.body.token, body: { reason: 'break' } })).status === 200, { what: 'the pause' });
    const id = await h.sim.placeInboundCall({ from: '13700008888', to: '12345', trunk: 'carrier' });
    const reading = await until(() => h.sim.channels().find((c) => c.id === id && c.app === 'Read'), { timeoutMs: 10_000, what: 'the prompt' });
    h.sim.sendDtmf(reading.id, '1');
    await until(() => h.sms.sent.some((m) => m.to === '13700008888'), { timeoutMs: 10_000, what: 'the SMS' });
    await until(async () => Object.keys(await h.calls.pbx.dbList('qy', 'hotline-outbox')).length === 0, { what: 'the outbox drained' });
    await h.calls.idle();
    expect(h.sms.sent.filter((m) => m.to === '13700008888')).to.have.length(1);
  });

  it('given a call answered while the first instance leads, when the first stops and the caller then hangs up, then the second takes over and ends the call once', async () => {
    const op = await h.t.userToken(['operator'], { username: 'op1002', extension: 'PJSIP/1002', centre: 'QY' });
    h.sim.registerEndpoint('1002');
    h.sim.setEndpointBehaviour('1002', { answerAfterMs: 100 });
    expect((await h.t.http('POST', '/api/operators/me/login', { token: op, body: {} })).status).to.equal(200);
    await waitReady(h, op);
    // The previous test left every queue busy-marked (everybody paused): a ready operator lifts it.
    await until(async () => Object.keys(await h.calls.pbx.dbList('qy', 'hotline-busy')).length === 0, { what: 'the busy mark lifted' });
    expect(second.service.ctx.leader.isLeader).to.equal(false);
    const id = await h.sim.placeInboundCall({ from: '13700009999', to: '12345', trunk: 'carrier' });
    await until(async () => (await h.db.knex('calls').where({ linkedid: id }).first())?.state === 'answered', { timeoutMs: 10_000, what: 'answered' });
    await h.stopService();
    h.sim.hangup(id);
    const call = await until(async () => {
      const c = await h.db.knex('calls').where({ linkedid: id }).first();
      return c?.state === 'ended' ? c : null;
    }, { timeoutMs: 30_000, what: 'ended by the second instance' });
    await (second.service.ctx.services.get('calls') as { idle(): Promise<void> }).idle();
    expect(second.service.ctx.leader.isLeader).to.equal(true);
    expect(call).to.include({ outcome: 'answered', reconciled: false });
    expect(await h.db.knex('call_transitions').where({ call_id: call.id }).orderBy('id').pluck('event')).to.deep.equal(['queue_joined', 'queue_left', 'answered', 'hangup']);
    expect(await h.db.knex('calls').where({ linkedid: id }).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);
  });
});
