import { expect } from 'chai';
import { DATABASE_KINDS } from '../support/service';
import { CallHarness } from './harness';
import { until } from '../support/until';
import { answeredCall, peersOf, wsClient, operatorOnCallPath } from './transfer-support';

/**
 * Issue 5 §4: emergency linkage (第十二条; 第十七条(四) emergencies belong to 110/119/120/122;
 * 国办发〔2022〕12号 one-key transfer with 110 and three-way calls when responsibility is unclear).
 */
for (const database of DATABASE_KINDS) {
  describe(`emergency linkage with 110 [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;
    let op: string;

    operatorOnCallPath({ database, each: (x) => x.sim.setEndpointBehaviour('link-110', { answerAfterMs: 20 }) }, (x, token) => {
      h = x;
      op = token;
    });

    const names = (callerId: string) => peersOf(h, callerId).map((c) => c.name.replace(/-[0-9a-f]+$/, ''));

    async function receivedTicket(linkedid: string) {
      const r = await h.t.http('POST', '/api/tickets', { token: op, body: { channel: 'phone', callerPhone: '13800138000', content: '有人在小区门口打架,有人受伤', category: 'help', domain: 'social_management', linkedid, accept: false } });
      expect(r.status, JSON.stringify(r.body)).to.be.oneOf([200, 201]);
      expect(r.body.status).to.equal('received');
      return r.body.no as string;
    }

    it('given 110 is marked unreachable in the directory, when the operator presses the emergency key, then the caller is still put through to 110 and the ticket records it as not ours (第十七条(四))', async () => {
      const admin = await h.t.userToken(['admin']);
      await h.t.http('PATCH', '/api/lines/110', { token: admin, body: { reachable: false } });
      try {
        const { callerId, callId } = await answeredCall(h);
        const no = await receivedTicket(callerId);
        const r = await h.t.http('POST', `/api/calls/${callId}/emergency`, { token: op, body: { service: '110', mode: 'transfer', ticketNo: no } });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        expect(r.body).to.include({ service: '110', mode: 'transfer', ticketNo: no, ticketAction: 'not_accept' });
        expect(r.body.transfer).to.include({ lineCode: '110', emergency: true });
        await until(() => names(callerId).includes('PJSIP/link-110'), { timeoutMs: 10_000, what: 'caller put through to 110' });
        expect(names(callerId)).to.not.include('PJSIP/1001');
        const t = (await h.t.http('GET', `/api/tickets/${no}`, { token: op })).body;
        expect(t.status).to.equal('not_accepted');
        expect(t.notAcceptedReason).to.equal('emergency_line');
        expect(await h.db.knex('audit_log').where({ action: 'ticket.emergency_linkage', target_id: no })).to.have.length(1);
        expect(await h.db.knex('audit_log').where({ action: 'call.emergency_transfer', target_id: String(callId) })).to.have.length(1);
        h.sim.hangup(callerId);
      } finally {
        await h.t.http('PATCH', '/api/lines/110', { token: admin, body: { reachable: true } });
      }
    });

    it('given a ticket registered the default way (accepted, 2-hour dispatch clock running), when the operator transfers the caller to 119, then the ticket ends as 不予受理 第十七条(四) with no deadline left open', async () => {
      h.sim.setEndpointBehaviour('link-119', { answerAfterMs: 20 });
      const { callerId, callId } = await answeredCall(h);
      const created = await h.t.http('POST', '/api/tickets', { token: op, body: { channel: 'phone', callerPhone: '13800138000', content: '楼道里着火了,烟很大', category: 'help', domain: 'social_management', linkedid: callerId } });
      expect(created.body.status).to.equal('accepted');
      expect(created.body.deadlines.map((d: { kind: string }) => d.kind)).to.include('dispatch');
      // The call knows the ticket registered from it (issue #10: call.ticketNo stayed null).
      expect((await h.t.http('GET', `/api/calls/${callId}`, { token: op })).body.ticketNo).to.equal(created.body.no);
      const r = await h.t.http('POST', `/api/calls/${callId}/emergency`, { token: op, body: { service: '119', mode: 'transfer', ticketNo: created.body.no } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      expect(r.body.ticketAction).to.equal('not_accept');
      const t = (await h.t.http('GET', `/api/tickets/${created.body.no}`, { token: op })).body;
      expect(t).to.include({ status: 'not_accepted', notAcceptedReason: 'emergency_line' });
      expect(t.deadlines).to.deep.equal([]);
      expect(t.events.at(-1)).to.include({ event: 'emergency_handover', fromStatus: 'accepted', toStatus: 'not_accepted' });
      await until(() => names(callerId).includes('PJSIP/link-119'), { timeoutMs: 10_000, what: 'caller put through to 119' });
      h.sim.hangup(callerId);
    });

    it('given responsibility is unclear, when the operator starts the three-way call with 110 over the WebSocket, then caller, operator and 110 talk together and the ticket is linked', async () => {
      const ws = await wsClient(h, op);
      const { callerId, callId } = await answeredCall(h);
      const no = await receivedTicket(callerId);
      const res = await ws.command('linkage.emergency', { callId, service: '110', mode: 'three_way', ticketNo: no });
      expect(res.type, JSON.stringify(res)).to.equal('result');
      expect(res.data.conference).to.include({ lineCode: '110', emergency: true, ticketNo: no });
      expect(res.data.ticketAction).to.equal(null);
      await until(() => { const n = names(callerId); return n.includes('PJSIP/1001') && n.includes('PJSIP/link-110'); }, { timeoutMs: 10_000, what: 'three-way call with 110' });
      const links = await h.db.knex('ticket_calls').where({ ticket_no: no }).pluck('linkedid');
      expect(links).to.include(callerId);
      // the ticket stays with 12345 while responsibility is settled
      expect((await h.t.http('GET', `/api/tickets/${no}`, { token: op })).body.status).to.equal('received');
      expect(await h.db.knex('audit_log').where({ action: 'call.emergency_conference', target_id: String(callId) })).to.have.length(1);
      h.sim.hangup(callerId);
      await until(() => !h.sim.channels().some((c) => c.name.startsWith('PJSIP/link-110-')), { timeoutMs: 10_000, what: '110 leg hung up with the caller' });
      await until(async () => (await h.db.knex('calls').where({ id: callId }).first()).state === 'ended', { timeoutMs: 10_000, what: 'call ended' });
      const after = await ws.command('linkage.emergency', { callId, service: '110', mode: 'transfer' });
      expect(after.type).to.equal('error');
      expect(after.error.id).to.equal('call.ended');
      ws.close();
    });
  });
}
