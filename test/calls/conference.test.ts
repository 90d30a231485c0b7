import { expect } from 'chai';
import { DATABASE_KINDS } from '../support/service';
import { CallHarness } from './harness';
import { until } from '../support/until';
import { answeredCall, createTicket, peersOf, wsClient, operatorOnCallPath } from './transfer-support';

/**
 * Issue 5 §3: three-way calls with expert seats (第二十条(三) 三方通话/专家座席联动, 第十条(六)) through
 * the simulator: ConfBridge via dual Redirect (capture 11), the operator leaves and rejoins, the
 * expert answers on the ticket, and every recording segment is linked to the one ticket.
 */
for (const database of DATABASE_KINDS) {
  describe(`three-way calls with the 12348 expert seat [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;
    let op: string;

    operatorOnCallPath({ database }, async (x, token) => {
      h = x;
      op = token;
      h.sim.registerEndpoint('12348');
      h.sim.setEndpointBehaviour('12348', { answerAfterMs: 30 });
      // The seeded seat keeps office hours; the test must not depend on the time it runs.
      const admin = await h.t.userToken(['admin']);
      expect((await h.t.http('PATCH', '/api/lines/E-12348', { token: admin, body: { hours: '24x7' } })).status).to.equal(200);
    });

    const names = (callerId: string) => peersOf(h, callerId).map((c) => c.name.replace(/-[0-9a-f]+$/, ''));

    it('given a live call with a ticket, when the operator adds the 12348 expert, leaves and rejoins, then all talk together, the expert answers on the ticket and every segment is linked to the ticket', async () => {
      const feed = await wsClient(h, op, 'operator');
      const { callerId, callId } = await answeredCall(h);
      const ticket = await createTicket(h, op, callerId, '咨询劳动合同纠纷中经济补偿金如何计算');
      const r = await h.t.http('POST', `/api/calls/${callId}/conference`, { token: op, body: { line: 'E-12348', ticketNo: ticket.no } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const confId = r.body.id as number;
      expect(r.body.room).to.match(/^8\d{5}$/);

      await until(() => { const n = names(callerId); return n.includes('PJSIP/1001') && n.includes('PJSIP/12348'); }, { timeoutMs: 10_000, what: 'caller, operator and expert together' });
      await until(() => feed.linkage('conference.joined').some((f) => f.data.event.role === 'expert'), { what: 'operator told the expert joined' });

      const left = await h.t.http('POST', `/api/conferences/${confId}/operator/leave`, { token: op });
      expect(left.status, JSON.stringify(left.body)).to.equal(200);
      await until(() => { const n = names(callerId); return !n.includes('PJSIP/1001') && n.includes('PJSIP/12348'); }, { timeoutMs: 10_000, what: 'caller and expert carry on without the operator' });
      await until(async () => (await h.db.knex('call_conference_legs').where({ conference_id: confId, role: 'operator' }).whereNull('left_at')).length === 0, { what: 'operator leg closed' });

      const back = await h.t.http('POST', `/api/conferences/${confId}/operator/rejoin`, { token: op });
      expect(back.status, JSON.stringify(back.body)).to.equal(200);
      await until(() => { const n = names(callerId); return n.includes('PJSIP/1001') && n.includes('PJSIP/12348'); }, { timeoutMs: 10_000, what: 'operator back in the three-way call' });
      const twice = await h.t.http('POST', `/api/conferences/${confId}/operator/rejoin`, { token: op });
      expect(twice.status).to.equal(409);
      expect(twice.body.error.id).to.equal('conference.operator_present');

      const expert = await h.t.userToken(['expert'], { username: 'expert12348', extension: 'PJSIP/12348' });
      const answer = await h.t.http('POST', `/api/conferences/${confId}/answer`, { token: expert, body: { text: '经济补偿按劳动者在本单位工作的年限,每满一年支付一个月工资(劳动合同法第四十七条)。' } });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
      expect(answer.body.ticketNo).to.equal(ticket.no);
      expect(await h.db.knex('audit_log').where({ action: 'ticket.expert_answer', target_id: ticket.no })).to.have.length(1);

      // every leg but the caller's got a segment: operator, expert, operator again
      const segments = await until(async () => { const s = await h.db.knex('recordings').where({ call_id: callId, kind: 'segment' }).orderBy('id'); return s.length >= 3 ? s : null; }, { timeoutMs: 10_000, what: 'three segments' });
      expect(segments.map((s: { name: string }) => s.name.replace(/-\d+\.wav$/, ''))).to.deep.equal([`hotline-conf/${r.body.room}-operator`, `hotline-conf/${r.body.room}-expert`, `hotline-conf/${r.body.room}-operator`]);

      h.sim.hangup(callerId);
      await until(async () => (await h.db.knex('call_conferences').where({ id: confId }).first()).state === 'ended', { timeoutMs: 10_000, what: 'conference ended' });
      await until(() => !h.sim.channels().some((c) => c.name.startsWith('PJSIP/12348-')), { timeoutMs: 10_000, what: 'expert hung up with the caller' });
      await h.calls.idle();
      const all = await until(async () => {
        const recs = await h.db.knex('recordings').where({ call_id: callId });
        return recs.length >= 4 && recs.every((x: { state: string }) => x.state === 'collected') ? recs : null;
      }, { timeoutMs: 15_000, what: 'the whole-call recording and all segments collected' });
      const linked = await until(async () => {
        const l = await h.db.knex('ticket_recordings').where({ ticket_no: ticket.no }).pluck('recording_id');
        return all.every((x: { id: number }) => l.includes(String(x.id))) ? l : null;
      }, { timeoutMs: 10_000, what: 'every recording linked to the ticket' });
      expect(linked.length).to.be.at.least(all.length);
      feed.close();
    });

    it('given the remote 12348 seat reached through the carrier (ER-12348, the demo\'s flow), when the operator adds it, then the expert joins the room and the 12348 expert account may answer on the ticket (issue #10)', async () => {
      const admin = await h.t.userToken(['admin']);
      expect((await h.t.http('PATCH', '/api/lines/ER-12348', { token: admin, body: { hours: '24x7' } })).status).to.equal(200);
      const { callerId, callId } = await answeredCall(h);
      const ticket = await createTicket(h, op, callerId, '咨询邻里纠纷如何申请人民调解');
      const r = await h.t.http('POST', `/api/calls/${callId}/conference`, { token: op, body: { line: 'ER-12348', ticketNo: ticket.no } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const confId = r.body.id as number;
      const expertLeg = await until(async () => {
        const c = await h.t.http('GET', `/api/conferences/${confId}`, { token: op });
        return c.body.legs.find((l: { role: string; joinedAt: string | null }) => l.role === 'expert' && l.joinedAt);
      }, { timeoutMs: 10_000, what: 'the remote expert to join the room' });
      expect(expertLeg.channel).to.match(/^PJSIP\/carrier-/);
      expect(expertLeg.leftAt).to.equal(null);
      const expert = await h.t.userToken(['expert'], { username: `expert-remote-${database}`, extension: 'PJSIP/12348' });
      const answer = await h.t.http('POST', `/api/conferences/${confId}/answer`, { token: expert, body: { text: '可向所在地人民调解委员会申请调解,调解不收费(人民调解法第四条)。' } });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
      const stranger = await h.t.userToken(['expert'], { username: `expert-12333-${database}`, extension: 'PJSIP/12333' });
      expect((await h.t.http('POST', `/api/conferences/${confId}/answer`, { token: stranger, body: { text: '不是我的三方通话' } })).status).to.equal(403);
      h.sim.hangup(callerId);
      await until(async () => (await h.db.knex('call_conferences').where({ id: confId }).first()).state === 'ended', { timeoutMs: 10_000, what: 'conference ended' });
    });

    it('given an expert seat that does not answer, when the operator adds it, then the caller stays with the operator and the operator is told', async () => {
      h.sim.setEndpointBehaviour('12348', { busy: true });
      try {
        const feed = await wsClient(h, op, 'operator');
        const { callerId, callId } = await answeredCall(h);
        const r = await h.t.http('POST', `/api/calls/${callId}/conference`, { token: op, body: { line: 'E-12348' } });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        const failed = await until(() => feed.linkage('conference.leg_failed')[0], { timeoutMs: 10_000, what: 'operator told the expert did not answer' });
        expect(JSON.stringify(failed)).to.contain('未接通');
        const conf = await h.t.http('GET', `/api/conferences/${r.body.id}`, { token: op });
        const expertLeg = JSON.stringify(conf.body.legs.find((l: { role: string }) => l.role === 'expert'));
        expect(expertLeg, 'the failed leg keeps its reason').to.match(/未接通（.+）/);
        await until(() => names(callerId).includes('PJSIP/1001'), { timeoutMs: 10_000, what: 'caller with the operator' });
        expect(h.sim.channels().some((c) => c.id === callerId)).to.equal(true);
        h.sim.hangup(callerId);
        feed.close();
      } finally {
        h.sim.setEndpointBehaviour('12348', { answerAfterMs: 30 });
      }
    });

    it('given a three-way call that has ended, when the operator leaves or rejoins, then 409 conference.ended; an unknown conference is 404', async () => {
      const { callerId, callId } = await answeredCall(h);
      const r = await h.t.http('POST', `/api/calls/${callId}/conference`, { token: op, body: { line: 'E-12348' } });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      await until(() => names(callerId).includes('PJSIP/12348'), { timeoutMs: 10_000, what: 'expert joined' });
      h.sim.hangup(callerId);
      await until(async () => (await h.db.knex('call_conferences').where({ id: r.body.id }).first()).state === 'ended', { timeoutMs: 10_000, what: 'conference ended' });
      for (const path of ['operator/leave', 'operator/rejoin']) {
        const x = await h.t.http('POST', `/api/conferences/${r.body.id}/${path}`, { token: op });
        expect(x.status).to.equal(409);
        expect(x.body.error.id).to.equal('conference.ended');
      }
      expect((await h.t.http('POST', '/api/conferences/999999/operator/leave', { token: op })).status).to.equal(404);
      const again = await h.t.http('POST', `/api/calls/${callId}/conference`, { token: op, body: { line: 'E-12348' } });
      expect(again.status).to.equal(409);
      expect(again.body.error.id).to.equal('call.ended');
    });
  });
}
