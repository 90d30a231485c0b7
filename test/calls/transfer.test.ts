import { expect } from 'chai';
import { DATABASE_KINDS } from '../support/service';
import { CallHarness } from './harness';
import { until } from '../support/until';
import { answeredCall, createTicket, peersOf, wsClient, operatorOnCallPath } from './transfer-support';

/**
 * Issue 5 §1–§2 through the simulator running dialplan/: one-key transfer (第十九条) to a county line,
 * blind and consult; the ticket follows (工单流转); a failed transfer still reaches the caller.
 */
for (const database of DATABASE_KINDS) {
  describe(`one-key transfer to county lines (第十九条) [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;
    let op: string;

    operatorOnCallPath({ database, each: (x) => x.sim.setEndpointBehaviour('trunk-hx', { answerAfterMs: 20 }), hangUpCallers: true }, (x, token) => {
      h = x;
      op = token;
    });

    it('given the seeded directory, when staff read it and an admin edits it, then every county line is there and only admins may change it', async () => {
      const lines = (await h.t.http('GET', '/api/lines', { token: op })).body as Array<{ code: string; kind: string; dial: string }>;
      expect(lines.filter((l) => l.kind === 'county').map((l) => l.code)).to.have.members(['XF', 'QC', 'HX', 'HC', 'HS', 'ZN', 'NX', 'ZY']);
      expect(lines.filter((l) => l.kind === 'emergency').map((l) => l.code)).to.have.members(['110', '119', '120', '122']);
      expect(lines.find((l) => l.code === 'HX')!.dial).to.equal('PJSIP/trunk-hx');
      expect((await h.t.http('PATCH', '/api/lines/HX', { token: op, body: { reachable: false } })).status).to.equal(403);
      const admin = await h.t.userToken(['admin']);
      const created = await h.t.http('POST', '/api/lines', { token: admin, body: { code: 'B-GJJ', name: '住房公积金分中心', kind: 'branch', dial: 'PJSIP/09348600000@carrier', hours: 'office' } });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      expect((await h.t.http('POST', '/api/lines', { token: admin, body: { code: 'B-GJJ', name: 'x', kind: 'branch', dial: 'PJSIP/1@carrier' } })).body.error.id).to.equal('line.exists');
      expect((await h.t.http('POST', '/api/lines', { token: admin, body: { code: 'BAD', name: 'x', kind: 'branch', dial: 'not a dial string' } })).status).to.equal(400);
      expect((await h.t.http('DELETE', '/api/lines/B-GJJ', { token: admin })).status).to.equal(200);
      expect((await h.t.http('GET', '/api/lines/B-GJJ', { token: op })).status).to.equal(404);
    });

    it('given a live call with a ticket, when the operator blind-transfers to 环县, then the caller talks to the county line, the ticket travels with the call and 环县 gets the ticket', async () => {
      const { callerId, callId } = await answeredCall(h);
      const ticket = await createTicket(h, op, callerId);
      const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'blind', ticketNo: ticket.no, summary: '咨询低保申请' } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      expect(r.body).to.include({ lineCode: 'HX', mode: 'blind', status: 'dialing', ticketNo: ticket.no });

      const target = await until(() => peersOf(h, callerId).find((c) => c.name.startsWith('PJSIP/trunk-hx-')), { timeoutMs: 10_000, what: 'caller bridged to 环县' });
      expect(peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/1001-'))).to.equal(false);
      // The ticket number and summary are on the target's channel (the pre-dial handler makes them SIP headers).
      const targetVars = h.sim.context.pbx.findChannel(target.id)!.vars;
      expect(targetVars.get('__HOTLINE_TICKET')).to.equal(ticket.no);
      expect(targetVars.get('__HOTLINE_TRANSFER_SUMMARY')).to.equal('咨询低保申请');
      await until(async () => (await h.t.http('GET', `/api/transfers/${r.body.id}`, { token: op })).body.status === 'answered', { what: 'transfer answered' });

      // 工单流转: the ticket went to 环县 (its unit sees it), and the receiving line lists the transfer.
      const t = await until(async () => { const x = (await h.t.http('GET', `/api/tickets/${ticket.no}`, { token: op })).body; return x.mainUnit === 'QY-HX' ? x : null; }, { what: 'ticket dispatched to 环县' });
      expect(t.status).to.equal('dispatched');
      const hx = await h.t.userToken(['unit_handler'], { unitCode: 'QY-HX' });
      expect((await h.t.http('GET', `/api/tickets/${ticket.no}`, { token: hx })).status).to.equal(200);
      const incoming = (await h.t.http('GET', '/api/transfers?line=HX', { token: hx })).body as Array<{ id: number; ticketNo: string }>;
      expect(incoming.map((x) => x.id)).to.include(r.body.id);

      h.sim.hangup(callerId);
      const ended = await until(async () => { const c = await h.db.knex('calls').where({ id: callId }).first(); return c.state === 'ended' ? c : null; }, { timeoutMs: 10_000, what: 'call ended' });
      expect(ended.outcome).to.equal('transferred');
      expect((await h.db.knex('call_transfers').where({ id: r.body.id }).first()).status).to.equal('completed');
    });

    for (const [what, behaviour, result] of [['busy', { busy: true }, 'BUSY'], ['not answering', { noAnswer: true }, 'NOANSWER']] as const) {
      it(`given 环县 is ${what}, when the operator blind-transfers, then the caller comes back to the operator, the operator is told and the call record shows the attempt`, async () => {
        h.sim.setEndpointBehaviour('trunk-hx', behaviour);
        const feed = await wsClient(h, op, 'operator');
        const { callerId, callId } = await answeredCall(h);
        const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'blind' } });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        // the caller leaves the operator, then is rung back to the same operator (never dropped)
        await until(() => !peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/1001-')), { what: 'caller left the operator' });
        await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/1001-')), { timeoutMs: 20_000, what: 'caller back with the operator' });
        expect(h.sim.channels().some((c) => c.id === callerId)).to.equal(true);
        const failed = await until(() => feed.linkage('transfer.failed')[0], { what: 'operator told' });
        expect(failed.data.event).to.include({ transferId: r.body.id, result });
        expect(failed.data.event.message).to.match(/转接失败/);
        const detail = (await h.t.http('GET', `/api/calls/${callId}`, { token: op })).body;
        expect(detail.transfers).to.have.length(1);
        expect(detail.transfers[0]).to.include({ lineCode: 'HX', status: 'failed', result });
        feed.close();
      });
    }

    it('given a live call, when the operator consults 环县 first and then completes, then the caller is bridged to the county line and the operator is free', async () => {
      const { callerId, callId } = await answeredCall(h);
      const ticket = await createTicket(h, op, callerId, '反映环县某小区供暖不热的问题,请求协调处理');
      const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'consult', ticketNo: ticket.no } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      // too early: the target has not answered yet or just did; completing needs 'consulting'
      const consulting = await until(async () => { const x = (await h.t.http('GET', `/api/transfers/${r.body.id}`, { token: op })).body; return x.status === 'consulting' ? x : null; }, { timeoutMs: 10_000, what: 'consultation answered' });
      expect(consulting.result).to.equal('ANSWER');
      // while consulting, the caller is not bridged with the county line yet
      expect(peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/trunk-hx-'))).to.equal(false);
      const done = await h.t.http('POST', `/api/transfers/${r.body.id}/complete`, { token: op });
      expect(done.status, JSON.stringify(done.body)).to.equal(200);
      expect(done.body.status).to.equal('completed');
      await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/trunk-hx-')), { timeoutMs: 10_000, what: 'caller bridged to 环县' });
      await until(async () => (await h.t.http('GET', `/api/tickets/${ticket.no}`, { token: op })).body.mainUnit === 'QY-HX', { what: 'ticket dispatched to 环县' });
      const again = await h.t.http('POST', `/api/transfers/${r.body.id}/complete`, { token: op });
      expect(again.status).to.equal(409);
      expect(again.body.error.id).to.equal('transfer.not_consulting');
    });

    it('given 环县 does not answer a consultation, when it times out, then the operator is back with the caller and the attempt is failed', async () => {
      h.sim.setEndpointBehaviour('trunk-hx', { noAnswer: true });
      const { callerId, callId } = await answeredCall(h);
      const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'consult' } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const t = await until(async () => { const x = (await h.t.http('GET', `/api/transfers/${r.body.id}`, { token: op })).body; return x.status === 'failed' ? x : null; }, { timeoutMs: 20_000, what: 'consultation failed' });
      expect(t.result).to.equal('NOANSWER');
      await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/1001-')), { timeoutMs: 10_000, what: 'operator back with the caller' });
    });

    it('given a consultation ringing, when the operator cancels over the WebSocket, then the operator is back with the caller', async () => {
      h.sim.setEndpointBehaviour('trunk-hx', { noAnswer: true });
      const ws = await wsClient(h, op);
      const { callerId, callId } = await answeredCall(h);
      const started = await ws.command('linkage.transfer', { callId, line: 'HX', mode: 'consult' });
      expect(started.type, JSON.stringify(started)).to.equal('result');
      await until(() => h.sim.channels().some((c) => c.name.startsWith('PJSIP/trunk-hx-') && c.linkedid === callerId), { what: 'county line ringing' });
      const cancelled = await ws.command('linkage.transfer.cancel', { transferId: started.data.id });
      expect(cancelled.type, JSON.stringify(cancelled)).to.equal('result');
      expect(cancelled.data.status).to.equal('cancelled');
      await until(() => peersOf(h, callerId).some((c) => c.name.startsWith('PJSIP/1001-')), { timeoutMs: 10_000, what: 'operator back with the caller' });
      await until(() => !h.sim.channels().some((c) => c.name.startsWith('PJSIP/trunk-hx-') && c.linkedid === callerId), { what: 'county line no longer rung' });
      ws.close();
    });

    for (const [phase, behaviour, status] of [['ringing', { noAnswer: true }, 'dialing'], ['answered', {}, 'consulting']] as const) {
      it(`given a consultation with 环县 ${phase}, when the citizen hangs up, then the attempt fails as 来电人已挂机, not as the county line's no-answer or hangup`, async () => {
        h.sim.setEndpointBehaviour('trunk-hx', behaviour);
        const { callerId, callId } = await answeredCall(h);
        const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'consult' } });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        await until(async () => (await h.t.http('GET', `/api/transfers/${r.body.id}`, { token: op })).body.status === status, { timeoutMs: 10_000, what: `the attempt ${status}` });
        h.sim.hangup(callerId);
        const t = await until(async () => { const x = (await h.t.http('GET', `/api/transfers/${r.body.id}`, { token: op })).body; return x.status === 'failed' ? x : null; }, { timeoutMs: 10_000, what: 'the attempt ended' });
        expect(t.result).to.equal('CALLER_HANGUP');
        // Whatever Asterisk does with the consultation leg afterwards does not rewrite the outcome.
        for (const c of h.sim.channels()) if (c.name.startsWith('PJSIP/trunk-hx-')) h.sim.hangup(c.id);
        await until(() => !h.sim.channels().some((c) => c.name.startsWith('PJSIP/trunk-hx-')), { what: 'the county line gone' });
        expect((await h.t.http('GET', `/api/transfers/${r.body.id}`, { token: op })).body.result).to.equal('CALLER_HANGUP');
      });
    }

    it('given a call that has ended, when a transfer is asked over REST or WebSocket, then 409 call.ended (and 404 for no such call)', async () => {
      const { callerId, callId } = await answeredCall(h);
      h.sim.hangup(callerId);
      await until(async () => (await h.db.knex('calls').where({ id: callId }).first()).state === 'ended', { timeoutMs: 10_000, what: 'call ended' });
      const r = await h.t.http('POST', `/api/calls/${callId}/transfer`, { token: op, body: { line: 'HX', mode: 'blind' } });
      expect(r.status).to.equal(409);
      expect(r.body.error.id).to.equal('call.ended');
      expect((await h.t.http('POST', '/api/calls/999999/transfer', { token: op, body: { line: 'HX' } })).body.error.id).to.equal('call.not_found');
      const ws = await wsClient(h, op);
      const e = await ws.command('linkage.transfer', { callId, line: 'HX' });
      expect(e.type).to.equal('error');
      expect(e.error.id).to.equal('call.ended');
      const bad = await ws.command('linkage.transfer', { callId: 'x' });
      expect(bad.error.id).to.equal('validation.failed');
      ws.close();
    });
  });
}
