import { expect } from 'chai';
import { startCallHarness, CallHarness } from './harness';
import { until } from '../support/until';
import { answeredCall, createTicket, peersOf, readyOperator, waitReady, wsClient, operatorOnCallPath } from './transfer-support';
import { DATABASE_KINDS } from '../support/service';

interface Transfers { attemptTimeoutMs: number }

/**
 * Issue 11 §4, §5 and the consult field report, through the simulator running dialplan/ as real
 * Asterisk 22 behaves: the operator's state follows their own leg, every transfer attempt gets an
 * outcome Asterisk confirmed or a bounded timeout, and a consultation the operator ends by hanging
 * up lands like "complete" (第十九条, 工单流转).
 */
for (const database of DATABASE_KINDS) {
  describe(`transfer outcomes as Asterisk reports them (issue 11) [${database}]`, function () {
    this.timeout(60_000);

    describe('with the core sounds installed', () => {
      let h: CallHarness;
      let op: string;
      operatorOnCallPath({ database, each: (x) => x.sim.setEndpointBehaviour('trunk-hx', { answerAfterMs: 20 }), hangUpCallers: true }, (x, token) => {
        h = x;
        op = token;
      });

      it('given a blind transfer that lands, when the operator’s own leg ends, then the operator is in wrap-up while the caller still talks to the county line (AgentComplete only comes at the caller’s hangup)', async () => {
        const { callerId, callId } = await answeredCall(h);
        const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'blind' } });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/trunk-hx-')), { timeoutMs: 10_000, what: 'caller bridged to 环县' });
        const state = await until(async () => {
          const s = (await h.t.http('GET', '/api/operators/me', { token: op })).body.state as string;
          return s === 'wrapup' || s === 'ready' ? s : null;
        }, { timeoutMs: 5_000, what: 'operator out of on_call' });
        expect(['wrapup', 'ready']).to.include(state);
        // The caller is still on the county line: Asterisk has not sent the operator's AgentComplete yet.
        expect(h.sim.channels().some((c) => c.id === callerId)).to.equal(true);
        const transitions = await h.db.knex('operator_states').orderBy('id').pluck('event');
        expect(transitions.slice(-3)).to.include('call_ended');
        // The board counted the operator's handling when their leg ended; the caller's later hangup brings
        // AgentComplete with TalkTime covering the county line too, which must not count again.
        // (The board is read where it is computed; events are applied to it as they arrive, before the call row ends.)
        const board = () => ({ ...h.calls.wallboard.stats('q-qy').counters });
        const atLeave = await until(() => { const b = board(); return b.completed > 0 ? b : null; }, { what: 'handling counted' });
        h.sim.hangup(callerId);
        await until(async () => (await h.db.knex('calls').where({ id: callId }).first()).state === 'ended', { timeoutMs: 10_000, what: 'call ended' });
        const after = board();
        expect(after).to.include({ completed: atLeave.completed, talkSum: atLeave.talkSum });
      });

      it('given a consultation with 环县 answered, when the operator simply hangs up their phone, then Asterisk bridges caller and county line and the attempt lands exactly as "complete" does', async () => {
        const { callerId, callId } = await answeredCall(h);
        const ticket = await createTicket(h, op, callerId, '反映环县某小区供暖不热的问题,请求协调处理');
        const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'consult', ticketNo: ticket.no } });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        await until(async () => (await h.db.knex('call_transfers').where({ id: r.body.id }).first()).status === 'consulting', { timeoutMs: 10_000, what: 'consulting' });
        const opLeg = h.sim.channels().find((c) => c.name.startsWith('PJSIP/1001-') && c.linkedid === callerId)!;
        h.sim.hangup(opLeg.id); // the operator puts the handset down: no call to /complete
        await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/trunk-hx-')), { timeoutMs: 10_000, what: 'caller bridged to 环县' });
        const row = await until(async () => { const x = await h.db.knex('call_transfers').where({ id: r.body.id }).first(); return x.status === 'completed' ? x : null; }, { timeoutMs: 10_000, what: 'transfer completed' });
        expect(row.result).to.equal('ANSWER');
        const t = await until(async () => { const x = (await h.t.http('GET', `/api/tickets/${ticket.no}`, { token: op })).body; return x.mainUnit === 'QY-HX' ? x : null; }, { timeoutMs: 10_000, what: 'ticket dispatched to 环县' });
        expect(t.status).to.equal('dispatched');
        expect((await h.db.knex('calls').where({ id: callId }).first()).transferred).to.equal(true);
      });

      it('given a blind transfer to a busy line rang the operator back, when the operator consults again from that ring-back leg, then Asterisk honours it (Dial option t)', async () => {
        h.sim.setEndpointBehaviour('trunk-hx', { busy: true });
        const { callerId, callId } = await answeredCall(h);
        const first = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'blind' } });
        expect(first.status, JSON.stringify(first.body)).to.equal(201);
        await until(() => !peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/1001-')), { what: 'caller left the operator' });
        await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/1001-')), { timeoutMs: 20_000, what: 'caller rung back to the operator' });
        await until(async () => (await h.db.knex('call_transfers').where({ id: first.body.id }).first()).status === 'failed', { what: 'first attempt failed' });
        h.sim.setEndpointBehaviour('trunk-hx', { answerAfterMs: 20 });
        const again = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'consult' } });
        expect(again.status, JSON.stringify(again.body)).to.equal(201);
        await until(async () => (await h.db.knex('call_transfers').where({ id: again.body.id }).first()).status === 'consulting', { timeoutMs: 10_000, what: 'consultation from the ring-back leg answered' });
      });
    });

    describe('without Asterisk’s pbx-transfer sound', () => {
      let h: CallHarness;
      let op: string;
      before(async () => {
        h = await startCallHarness({ database, missingSounds: ['pbx-transfer'] });
        op = await readyOperator(h);
        (h.t.service.ctx.services.get('linkage') as Transfers & { transfers: Transfers }).transfers.attemptTimeoutMs = 1500;
      });
      after(async () => {
        await h?.stop();
      });

      it('given Asterisk accepts the Atxfer and then drops it, when no outcome comes, then the attempt fails with TIMEOUT, the operator is told, and the next transfer is not refused with 409', async () => {
        h.sim.setEndpointBehaviour('trunk-hx', { answerAfterMs: 20 });
        await waitReady(h, op);
        const feed = await wsClient(h, op, 'operator');
        const { callerId, callId } = await answeredCall(h);
        const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'consult' } });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        const row = await until(async () => { const x = await h.db.knex('call_transfers').where({ id: r.body.id }).first(); return x.status === 'failed' ? x : null; }, { timeoutMs: 10_000, what: 'attempt ended' });
        expect(row.result).to.equal('TIMEOUT');
        const told = await until(() => feed.linkage('transfer.failed').find((f) => f.data.event.transferId === r.body.id), { what: 'operator told' });
        expect(told.data.event.message).to.match(/超时/);
        // The caller never left the operator: Asterisk took the operator off hold again.
        expect(peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/1001-'))).to.equal(true);
        const next = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'blind' } });
        expect(next.status, JSON.stringify(next.body)).to.equal(201);
        await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/trunk-hx-')), { timeoutMs: 10_000, what: 'blind transfer landed' });
        feed.close();
        h.sim.hangup(callerId);
      });
    });
  });
}
