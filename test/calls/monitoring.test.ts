import { expect } from 'chai';
import { CallHarness } from './harness';
import { until } from '../support/until';
import { answeredCall, wsClient, operatorOnCallPath } from './transfer-support';
import { DATABASE_KINDS } from '../support/service';

/**
 * Issue 5 §5: supervisors listen, whisper (to the operator only) and barge on a live call with ChanSpy
 * (capture 10); the simulator says who hears whom; every use is audited and shown in the live feed.
 */
for (const database of DATABASE_KINDS) {
  describe(`supervisor listen / whisper / barge [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;
    let op: string;
    let sup: string;

    // hangUpCallers: a failed assertion must not leave the operator on a call for the next test
    operatorOnCallPath({ database, hangUpCallers: true }, async (x, token) => {
      h = x;
      op = token;
      h.sim.registerEndpoint('1003');
      h.sim.setEndpointBehaviour('1003', { answerAfterMs: 20 });
      sup = await h.t.userToken(['supervisor'], { username: 'sup1003', extension: 'PJSIP/1003' });
    });

    const spyPaths = () => h.sim.audioPaths().filter((p) => h.sim.channels().find((c) => c.id === p.listener)?.name.startsWith('PJSIP/1003-'));

    it('given a live call, when the supervisor listens, then whispers, then barges, then the supervisor hears the operator in each mode, each use is audited and shown in the live feed', async () => {
      const feed = await wsClient(h, sup, 'queues');
      const { callerId, callId } = await answeredCall(h);
      const operatorChannel = h.sim.channels().find((c) => c.name.startsWith('PJSIP/1001-') && c.linkedid === callerId)!;
      const sessions: number[] = [];
      for (const mode of ['listen', 'whisper', 'barge'] as const) {
        const r = await h.t.http('POST', `/api/calls/${callId}/monitor`, { token: sup, body: { mode } });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        sessions.push(r.body.id);
        const path = await until(() => spyPaths().find((p) => p.mode === mode), { timeoutMs: 10_000, what: `${mode} audio path` });
        expect(path.target).to.equal(operatorChannel.id);
        // switching mode replaced the previous session: one path at a time
        expect(spyPaths()).to.have.length(1);
        await until(() => feed.linkage('monitor.started').some((f) => f.data.event.mode === mode), { what: `${mode} in the live feed` });
      }
      const stop = await h.t.http('DELETE', `/api/monitor/${sessions[2]}`, { token: sup });
      expect(stop.status, JSON.stringify(stop.body)).to.equal(200);
      await until(() => spyPaths().length === 0, { timeoutMs: 10_000, what: 'no audio path after stop' });
      const audit = await h.db.knex('audit_log').where({ target_type: 'call', target_id: String(callId) }).where('action', 'like', 'call.monitor%').orderBy('id').pluck('action');
      expect(audit).to.deep.equal(['call.monitor.listen', 'call.monitor.stop', 'call.monitor.whisper', 'call.monitor.stop', 'call.monitor.barge', 'call.monitor.stop']);
      const again = await h.t.http('DELETE', `/api/monitor/${sessions[2]}`, { token: sup });
      expect(again.status).to.equal(409);
      expect(again.body.error.id).to.equal('monitor.ended');
      h.sim.hangup(callerId);
      feed.close();
    });

    it('given a supervisor listening, when the call ends, then the session ends with the call and the supervisor’s leg is hung up', async () => {
      const { callerId, callId } = await answeredCall(h, '13800138001');
      const r = await h.t.http('POST', `/api/calls/${callId}/monitor`, { token: sup, body: { mode: 'listen' } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      await until(() => spyPaths().find((p) => p.mode === 'listen'), { timeoutMs: 10_000, what: 'listen audio path' });
      h.sim.hangup(callerId);
      const ended = await until(async () => {
        const s = await h.db.knex('call_monitor_sessions').where({ id: r.body.id }).first();
        return s?.ended_at ? s : null;
      }, { timeoutMs: 10_000, what: 'the session ended' });
      // Ended on the operator's channel going (the spied-on target), not left to the spy's own hangup.
      const stop = await until(() => h.db.knex('audit_log').where({ action: 'call.monitor.stop', target_id: String(callId) }).first(), { what: 'the stop audited' });
      expect(JSON.parse(typeof stop.details === 'string' ? stop.details : JSON.stringify(stop.details)).why).to.equal('call_ended');
      await until(() => !h.sim.channels().some((c) => c.id === ended.spy_channel_id), { timeoutMs: 10_000, what: 'the supervisor’s leg hung up' });
    });

    it('given operators and an ended call, when monitoring is asked, then operators are refused and an ended call gets 409 over REST and WebSocket', async () => {
      const { callerId, callId } = await answeredCall(h);
      expect((await h.t.http('POST', `/api/calls/${callId}/monitor`, { token: op, body: { mode: 'listen' } })).status).to.equal(403);
      const ws = await wsClient(h, sup);
      const ok = await ws.command('linkage.monitor', { callId, mode: 'listen' });
      expect(ok.type, JSON.stringify(ok)).to.equal('result');
      await until(() => spyPaths().length === 1, { timeoutMs: 10_000, what: 'listening' });
      h.sim.hangup(callerId);
      await until(async () => (await h.db.knex('calls').where({ id: callId }).first()).state === 'ended', { timeoutMs: 10_000, what: 'call ended' });
      // the spy ends with the call, and the session with it (real ChanSpy without E keeps scanning: issue 11 §3)
      await until(async () => (await h.db.knex('call_monitor_sessions').where({ id: ok.data.id }).first()).ended_at !== null, { timeoutMs: 10_000, what: 'session closed' });
      await until(() => !h.sim.channels().some((c) => c.name.startsWith('PJSIP/1003-')), { timeoutMs: 2_000, what: "the supervisor's leg hung up within 2 s" });
      const r = await h.t.http('POST', `/api/calls/${callId}/monitor`, { token: sup, body: { mode: 'barge' } });
      expect(r.status).to.equal(409);
      expect(r.body.error.id).to.equal('call.ended');
      const e = await ws.command('linkage.monitor', { callId, mode: 'whisper' });
      expect(e.error.id).to.equal('call.ended');
      expect((await h.t.http('POST', '/api/calls/999999/monitor', { token: sup, body: { mode: 'listen' } })).status).to.equal(404);
      ws.close();
    });
  });
}
