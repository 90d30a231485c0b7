import { expect } from 'chai';
import { DATABASE_KINDS } from '../support/service';
import { startCallHarness, CallHarness } from './harness';
import { until } from '../support/until';

/** 第二十二条(三): the satisfaction visit by an IVR callback call ("非常满意请按1 …"). */
for (const database of DATABASE_KINDS) {
  describe(`IVR satisfaction callback [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;
    const citizen = '13812345678';
    const operator = { userId: null, username: 'op-test', roles: ['operator'], unitCode: null, centre: 'QY' };

    before(async () => {
      // The citizen's phone is a softphone in the simulator; production dials PJSIP/{number}@carrier.
      h = await startCallHarness({ database, env: { SATISFACTION_DIAL: 'PJSIP/{number}' } });
      h.sim.context.endpoints.add(citizen, 'hotline-operators', { num: citizen, name: '市民' });
      h.sim.registerEndpoint(citizen);
      h.sim.setEndpointBehaviour(citizen, { answerAfterMs: 100 });
    });
    after(async () => {
      await h?.stop();
    });

    async function repliedTicket(): Promise<string> {
      const tickets = h.t.service.ctx.services.get('tickets') as any;
      const unit = { userId: null, username: 'unit-test', roles: ['unit_handler'], unitCode: 'QY-ZJJ' };
      const t = await tickets.create({ channel: 'phone', callerPhone: citizen, content: '小区路灯不亮，晚上出行不便', category: 'help', domain: 'social_management' }, operator);
      await tickets.act(t.no, { type: 'dispatch', mainUnit: 'QY-ZJJ', coUnits: [] }, operator);
      await tickets.act(t.no, { type: 'sign' }, unit);
      await tickets.act(t.no, { type: 'reply', text: '已安排维修，路灯已恢复照明' }, unit);
      expect((await tickets.get(t.no)).status).to.equal('replied');
      return t.no;
    }

    it('given a replied ticket, when the visit call is placed and the citizen presses 2, then the ticket is closed as 满意 by IVR', async () => {
      const no = await repliedTicket();
      const op = await h.t.userToken(['supervisor']);
      const placed = await h.t.http('POST', `/api/tickets/${no}/satisfaction-call`, { token: op });
      expect(placed.status, JSON.stringify(placed.body)).to.equal(202);
      const again = await h.t.http('POST', `/api/tickets/${no}/satisfaction-call`, { token: op });
      expect(again.body.error.id).to.equal('satisfaction.in_progress');
      const reading = await until(() => h.sim.channels().find((c) => c.id === placed.body.channelId && c.app === 'Read'), { timeoutMs: 10_000, what: 'the IVR prompt' });
      expect(reading.context).to.equal('hotline-satisfaction');
      h.sim.sendDtmf(reading.id, '2');
      const ticket = await until(async () => {
        const t = await (h.t.service.ctx.services.get('tickets') as any).get(no);
        return t.status === 'closed' ? t : null;
      }, { timeoutMs: 10_000, what: 'the ticket to close' });
      expect(ticket.status).to.equal('closed');
      const visits = await h.db.knex('ticket_visits').where({ ticket_no: no });
      expect(visits.map((v: { level: string; channel: string }) => [v.level, v.channel])).to.deep.equal([['satisfied', 'ivr']]);
      const calls = await until(async () => {
        const r = await h.t.http('GET', `/api/tickets/${no}/satisfaction-calls`, { token: op });
        return r.body[0]?.endedAt ? r.body : null;
      }, { what: 'the call to end' });
      expect(calls[0]).to.include({ key: '2', result: 'rated' });
    });

    it('given a visit call, when the citizen presses 4 (不满意), then the ticket waits for a manual callback as with an SMS rating', async () => {
      const no = await repliedTicket();
      const op = await h.t.userToken(['operator']);
      const placed = await h.t.http('POST', `/api/tickets/${no}/satisfaction-call`, { token: op });
      const reading = await until(() => h.sim.channels().find((c) => c.id === placed.body.channelId && c.app === 'Read'), { timeoutMs: 10_000, what: 'the IVR prompt' });
      h.sim.sendDtmf(reading.id, '4');
      await until(async () => (await h.db.knex('satisfaction_calls').where({ ticket_no: no }).first())?.result === 'rated', { what: 'the rating' });
      // 'rated' is written after the ticket took the rating, so the ticket already shows it.
      const t = await (h.t.service.ctx.services.get('tickets') as any).get(no);
      expect(t.status).to.equal('replied');
      expect(t.flow.smsDissatisfied).to.equal('dissatisfied');
    });

    it('given a ticket not yet replied, when a visit call is asked for, then 409 satisfaction.not_replied', async () => {
      const tickets = h.t.service.ctx.services.get('tickets') as any;
      const t = await tickets.create({ channel: 'phone', callerPhone: citizen, content: '咨询公积金提取', category: 'consultation', domain: 'public_service' }, operator);
      const op = await h.t.userToken(['operator']);
      const r = await h.t.http('POST', `/api/tickets/${t.no}/satisfaction-call`, { token: op });
      expect(r.status).to.equal(409);
      expect(r.body.error).to.include({ id: 'satisfaction.not_replied' });
    });
  });
}
