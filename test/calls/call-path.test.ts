import fs from 'node:fs';
import { DATABASE_KINDS } from '../support/service';
import path from 'node:path';
import { expect } from 'chai';
import { startCallHarness, CallHarness } from './harness';
import { until } from '../support/until';

/**
 * Issue 4 "Done when", through the simulator running dialplan/ on real sockets, with real
 * PostgreSQL and Redis behind the service.
 */
for (const database of DATABASE_KINDS) {
  describe(`the 7×24 call path [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;
    let opToken: string;

    before(async () => {
      h = await startCallHarness({ database });
      h.sim.registerEndpoint('1001');
      h.sim.setEndpointBehaviour('1001', { answerAfterMs: 100 });
      opToken = await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
    });
    after(async () => {
      await h?.stop();
    });

    const callOf = (linkedid: string) => h.db.knex('calls').where({ linkedid }).first();

    it('given a ready operator, when a citizen calls 12345, then the call is queued, answered, recorded, and the recording is served with ranges and audited', async () => {
      const login = await h.t.http('POST', '/api/operators/me/login', { token: opToken, body: {} });
      expect(login.status, JSON.stringify(login.body)).to.equal(200);
      expect(login.body).to.include({ state: 'ready', interface: 'PJSIP/1001' });
      expect(login.body.queues).to.deep.equal(['q-qy']);

      const callerId = await h.sim.placeInboundCall({ from: '13800138000', to: '12345', trunk: 'carrier' });
      const answered = await until(async () => {
        const c = await callOf(callerId);
        return c?.state === 'answered' ? c : null;
      }, { timeoutMs: 10_000, what: 'the call to be answered' });
      expect(answered).to.include({ caller_number: '13800138000', queue: 'q-qy', centre: 'QY', operator_interface: 'PJSIP/1001' });
      await until(async () => (await h.t.http('GET', '/api/operators/me', { token: opToken })).body.state === 'on_call', { what: 'operator on call' });

      h.sim.hangup(callerId);
      const ended = await until(async () => {
        const c = await callOf(callerId);
        return c?.state === 'ended' ? c : null;
      }, { timeoutMs: 10_000, what: 'the call to end' });
      expect(ended.outcome).to.equal('answered');
      expect(ended.wait_seconds).to.be.a('number');
      const transitions = await h.db.knex('call_transitions').where({ call_id: ended.id }).orderBy('id').pluck('event');
      // Asterisk sends QueueCallerLeave before AgentConnect (capture 01).
      expect(transitions).to.deep.equal(['queue_joined', 'queue_left', 'answered', 'hangup']);

      const rec = await until(async () => {
        const r = await h.db.knex('recordings').where({ call_id: ended.id, kind: 'call' }).first();
        return r?.state === 'collected' ? r : null;
      }, { timeoutMs: 10_000, what: 'the recording to be collected' });
      expect(rec.name).to.equal(`/var/spool/asterisk/monitor/${callerId}.wav`);
      const file = path.join(h.recordingsDir, rec.path);
      const bytes = fs.readFileSync(file);
      expect(Number(rec.size_bytes)).to.equal(bytes.length).and.to.be.greaterThan(44);
      expect(rec.sha256).to.match(/^[0-9a-f]{64}$/);

      const supervisor = await h.t.userToken(['supervisor']);
      const ranged = await fetch(`${h.t.baseUrl}/api/recordings/${rec.id}/file`, { headers: { authorization: `Bearer ${supervisor}`, range: 'bytes=0-99' } });
      expect(ranged.status).to.equal(206);
      expect(ranged.headers.get('content-range')).to.equal(`bytes 0-99/${bytes.length}`);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(0, 100))).to.equal(true);
      const outsider = await h.t.userToken(['operator'], { extension: 'PJSIP/1009' });
      expect((await h.t.http('GET', `/api/recordings/${rec.id}/file`, { token: outsider })).status).to.equal(403);
      const unit = await h.t.userToken(['unit_handler']);
      expect((await h.t.http('GET', `/api/recordings/${rec.id}/file`, { token: unit })).status).to.equal(403);
      // The operator who was not on the call is refused and audited; the unit's role is refused before any recording is touched.
      expect(await h.db.knex('audit_log').where({ action: 'recording.access_denied', target_id: String(rec.id) })).to.have.length(1);
      const audit = await h.db.knex('audit_log').where({ action: 'recording.access', target_id: String(rec.id) });
      expect(audit).to.have.length(1);
      expect(audit[0].details.range).to.equal('bytes=0-99');
      // The operator goes through wrap-up (话后处理) and is ready again on their own.
      await until(async () => (await h.t.http('GET', '/api/operators/me', { token: opToken })).body.state === 'ready', { timeoutMs: 5000, what: 'wrap-up to end' });
    });
  });
}
