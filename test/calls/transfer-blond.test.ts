import { expect } from 'chai';
import { CallHarness } from './harness';
import { until } from '../support/until';
import { answeredCall, createTicket, peersOf, operatorOnCallPath } from './transfer-support';
import { DATABASE_KINDS } from '../support/service';

/**
 * Issue 11, found on the real Asterisk: the operator hangs up a consultation (第十九条 一键转接, 询问转)
 * while 环县 is still ringing. Asterisk 22 then makes it a "blond" transfer (main/bridge_basic.c,
 * atxferdropcall=no): it publishes a successful AttendedTransfer at once, lets the caller hear 环县
 * ringing, and leaves the outcome to 环县: an answer completes the transfer; busy or no answer makes
 * Asterisk ring the operator's phone back. The attempt must follow 环县's answer, not the event.
 * The same scenarios run against the real Asterisk in test/asterisk/transfer-blond.test.ts.
 */
for (const database of DATABASE_KINDS) {
  describe(`consultation left by the operator while the county line rings (issue 11) [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;
    let op: string;
    operatorOnCallPath({ database, hangUpCallers: true }, (x, token) => {
      h = x;
      op = token;
    });
    afterEach(() => {
      // a recall leg Asterisk placed to the operator's phone ends with the test
      for (const c of h.sim.channels()) if (c.name.startsWith('PJSIP/1001-')) h.sim.hangup(c.id);
    });

    /** A consultation to 环县 that is ringing; the operator then puts the handset down. */
    async function leaveWhileRinging(callerId: string, callId: number, ticketNo?: string) {
      const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'consult', ticketNo } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      await until(() => h.sim.channels().some((c) => c.name.startsWith('PJSIP/trunk-hx-') && c.state === 'Ringing'), { timeoutMs: 10_000, what: '环县 ringing' });
      const opLeg = h.sim.channels().find((c) => c.name.startsWith('PJSIP/1001-') && c.linkedid === callerId)!;
      h.sim.hangup(opLeg.id);
      const left = await until(async () => { const x = await h.db.knex('call_transfers').where({ id: r.body.id }).first(); return x.operator_left_at ? x : null; }, { timeoutMs: 10_000, what: 'the operator recorded as gone' });
      return { id: r.body.id as number, left };
    }

    it('given 环县 still ringing, when the operator hangs up the consultation, then the attempt waits for 环县 and completes (ticket dispatched) only when 环县 answers', async () => {
      h.sim.setEndpointBehaviour('trunk-hx', { answerAfterMs: 400 });
      const { callerId, callId } = await answeredCall(h, '13800138201');
      const ticket = await createTicket(h, op, callerId, '反映环县某路段路灯不亮,请求维修');
      const { id, left } = await leaveWhileRinging(callerId, callId, ticket.no);
      // Asterisk already said "Success" (AttendedTransfer) but nobody has answered yet.
      expect(left.status).to.equal('dialing');
      await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/trunk-hx-')), { timeoutMs: 10_000, what: 'caller bridged to 环县' });
      const row = await until(async () => { const x = await h.db.knex('call_transfers').where({ id }).first(); return x.status === 'completed' ? x : null; }, { timeoutMs: 10_000, what: 'transfer completed' });
      expect(row).to.include({ result: 'ANSWER' });
      expect(row.answered_at).to.not.equal(null);
      await until(async () => (await h.t.http('GET', `/api/tickets/${ticket.no}`, { token: op })).body.mainUnit === 'QY-HX', { timeoutMs: 10_000, what: 'ticket dispatched to 环县' });
      expect((await h.db.knex('calls').where({ id: callId }).first()).transferred).to.equal(true);
    });

    it('given 环县 rings and then refuses (busy), when the operator has already hung up, then the attempt fails BUSY, the ticket stays, and Asterisk rings the operator back: on the call again (通话中) until that leg ends', async () => {
      h.sim.setEndpointBehaviour('trunk-hx', { busy: true, refuseAfterMs: 300 });
      const { callerId, callId } = await answeredCall(h, '13800138202');
      const ticket = await createTicket(h, op, callerId, '咨询环县农村合作医疗报销比例');
      const { id } = await leaveWhileRinging(callerId, callId, ticket.no);
      const row = await until(async () => { const x = await h.db.knex('call_transfers').where({ id }).first(); return x.status !== 'dialing' ? x : null; }, { timeoutMs: 10_000, what: 'the attempt resolved' });
      expect(row).to.include({ status: 'failed', result: 'BUSY' });
      // Asterisk dials the operator's device (bridge_basic.c RECALLING) and, answered, joins it to the caller.
      await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/1001-')), { timeoutMs: 10_000, what: 'the operator rung back and with the caller' }).catch((e) => {
        throw new Error(`${e.message}: channels ${JSON.stringify(h.sim.channels().map((c) => [c.name, c.state, c.bridgeId]))}`);
      });
      // Back on the call for the service too (通话中 with the caller on the screen), until that leg ends.
      const me = await until(async () => { const b = (await h.t.http('GET', '/api/operators/me', { token: op })).body; return b.state === 'on_call' ? b : null; }, { timeoutMs: 5_000, what: 'the operator on the call again' });
      expect(me.currentCall?.linkedid).to.equal(callerId);
      const recall = h.sim.channels().find((c) => c.name.startsWith('PJSIP/1001-') && c.state === 'Up')!;
      h.sim.hangup(recall.id);
      await until(async () => (await h.t.http('GET', '/api/operators/me', { token: op })).body.state === 'wrapup', { timeoutMs: 5_000, what: 'the operator in wrap-up after the recalled call' });
      expect((await h.t.http('GET', `/api/tickets/${ticket.no}`, { token: op })).body.mainUnit ?? null).to.not.equal('QY-HX');
      expect((await h.db.knex('calls').where({ id: callId }).first()).transferred, JSON.stringify(await h.db.knex('call_transitions').where({ call_id: callId }).select('to_state', 'event_key'))).to.equal(false);
    });

    it('given the operator hangs up as 环县 answers and Asterisk delivers AttendedTransfer after the Local pair has gone (seen on Asterisk 22.10), then the attempt still lands as completed with the ticket dispatched', async () => {
      h.sim.setEndpointBehaviour('trunk-hx', { answerAfterMs: 20 });
      h.sim.faults.lateEvents(['AttendedTransfer'], 300);
      try {
        const { callerId, callId } = await answeredCall(h, '13800138204');
        const ticket = await createTicket(h, op, callerId, '反映环县集贸市场占道经营');
        const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'consult', ticketNo: ticket.no } });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        await until(async () => (await h.db.knex('call_transfers').where({ id: r.body.id }).first()).status === 'consulting', { timeoutMs: 10_000, what: 'consulting' });
        h.sim.hangup(h.sim.channels().find((c) => c.name.startsWith('PJSIP/1001-') && c.linkedid === callerId)!.id);
        await until(() => !h.sim.channels().some((c) => c.name.startsWith('Local/')), { timeoutMs: 10_000, what: 'the Local pair optimised away' });
        const row = await until(async () => { const x = await h.db.knex('call_transfers').where({ id: r.body.id }).first(); return x.status !== 'consulting' ? x : null; }, { timeoutMs: 10_000, what: 'the attempt resolved' });
        expect(row).to.include({ status: 'completed', result: 'ANSWER' });
        await until(async () => (await h.t.http('GET', `/api/tickets/${ticket.no}`, { token: op })).body.mainUnit === 'QY-HX', { timeoutMs: 10_000, what: 'ticket dispatched to 环县' });
      } finally {
        h.sim.faults.lateEvents(['AttendedTransfer'], 0);
      }
    });

    it('given 环县 never answers, when the operator has hung up, then Asterisk gives up at atxfernoanswertimeout, the attempt fails NOANSWER and the operator is rung back', async () => {
      h.sim.setEndpointBehaviour('trunk-hx', { noAnswer: true });
      const { callerId, callId } = await answeredCall(h, '13800138203');
      const { id } = await leaveWhileRinging(callerId, callId);
      const row = await until(async () => { const x = await h.db.knex('call_transfers').where({ id }).first(); return x.status !== 'dialing' ? x : null; }, { timeoutMs: 10_000, what: 'the attempt resolved' });
      expect(row).to.include({ status: 'failed', result: 'NOANSWER' });
      await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/1001-')), { timeoutMs: 10_000, what: 'the operator rung back and with the caller' }).catch((e) => {
        throw new Error(`${e.message}: channels ${JSON.stringify(h.sim.channels().map((c) => [c.name, c.state, c.bridgeId]))}`);
      });
    });
  });
}
