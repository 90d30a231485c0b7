import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startCallHarness, CallHarness } from './harness';
import { until } from '../support/until';
import { DATABASE_KINDS } from '../support/service';

/** Busy fallback (第二十条(二)), abandoned callers (漏接回拨) and restricted callers (第三十三条). */
for (const database of DATABASE_KINDS) {
  describe(`busy fallback, callbacks and restricted callers [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;
    let opToken: string;

    before(async () => {
      h = await startCallHarness({ database });
      h.sim.registerEndpoint('1001');
      opToken = await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
      expect((await h.t.http('POST', '/api/operators/me/login', { token: opToken, body: {} })).status).to.equal(200);
      const paused = await h.t.http('POST', '/api/operators/me/pause', { token: opToken, body: { reason: 'meeting' } });
      expect(paused.body).to.include({ state: 'paused', reason: 'meeting', reasonLabel: '会议' });
    });
    after(async () => {
      await h?.stop();
    });

    const callOf = (linkedid: string) => h.db.knex('calls').where({ linkedid }).first();
    const inApp = (id: string, app: string) => until(() => h.sim.channels().find((c) => c.id === id && c.app === app), { timeoutMs: 10_000, what: `${app} on ${id}` });
    const ended = (id: string) => until(async () => {
      const c = await callOf(id);
      return c?.state === 'ended' ? c : null;
    }, { timeoutMs: 10_000, what: 'the call to end' });

    it('given every operator paused, when a citizen calls and presses 1, then the prompt plays, the link goes by SMS, and the caller is on the callback list', async () => {
      const id = await h.sim.placeInboundCall({ from: '13900001111', to: '12345', trunk: 'carrier' });
      const reading = await inApp(id, 'Read');
      expect(reading.context).to.equal('hotline-fallback');
      h.sim.sendDtmf(id, '1');
      const call = await ended(id);
      expect(call).to.include({ outcome: 'fallback-sms', fallback: 'sms' });
      expect(call.queue_entered_at, 'JOINEMPTY: never entered the queue').to.equal(null);
      const sms = await until(() => h.sms.sent.find((m) => m.to === '13900001111'), { what: 'the SMS' });
      expect(sms.body).to.contain('庆阳12345');
      // The row is marked sent after the gateway answered, a moment after the SMS went out.
      const outbox = await until(async () => { const rows = await h.db.knex('sms_outbox').where({ to_number: '13900001111' }); return rows[0]?.status === 'sent' ? rows : null; }, { what: 'the SMS marked sent' });
      expect(outbox).to.have.length(1);
      await until(async () => Object.keys(await h.calls.pbx.dbList('qy', 'hotline-outbox')).length === 0, { what: 'the outbox key to be deleted' });
      // Drains overlap (after the hangup, after a resync, the periodic pass): the citizen is texted once.
      await Promise.all([h.calls.outbox.drain('qy'), h.calls.outbox.drain('qy'), h.calls.outbox.sendLink('qy', id, '13900001111')]);
      expect(h.sms.sent.filter((m) => m.to === '13900001111')).to.have.length(1);
      const missed = await h.db.knex('missed_calls').where({ call_id: call.id }).first();
      expect(missed).to.include({ reason: 'fallback-sms', status: 'pending', caller_number: '13900001111' });
    });

    it('given every operator paused, when a citizen presses 2 and leaves a message, then a ticket draft exists with the message recording linked', async () => {
      const id = await h.sim.placeInboundCall({ from: '13900002222', to: '12345', trunk: 'carrier' });
      await inApp(id, 'Read');
      h.sim.sendDtmf(id, '2');
      await inApp(id, 'Record');
      // After the beep Record() creates the file; the citizen speaks, then hangs up. (A hangup during the
      // beep leaves no message at all, as in Asterisk.)
      const file = path.join(h.sim.spoolDir, 'monitor', 'hotline-messages', `${id}.wav`);
      await until(() => fs.existsSync(file) && fs.statSync(file).size > 44, { what: 'the message being recorded' });
      h.sim.hangup(id); // the citizen finishes speaking and hangs up
      const call = await ended(id);
      expect(call).to.include({ outcome: 'fallback-message' });
      const withTicket = await until(async () => (await callOf(id))?.ticket_no ?? null, { timeoutMs: 15_000, what: 'the ticket draft' });
      const ticket = await h.db.knex('tickets').where({ no: withTicket }).first();
      expect(ticket.status).to.equal('received');
      expect(ticket.content).to.contain('语音留言');
      const links = await h.db.knex('ticket_recordings').where({ ticket_no: withTicket });
      const message = await h.db.knex('recordings').where({ linkedid: id, kind: 'message' }).first();
      expect(message.state).to.equal('collected');
      expect(links.map((l: { recording_id: string }) => l.recording_id)).to.include(String(message.id));
      // Another pass over the same message (an overlapping drain, a new leader) makes no second draft.
      expect(await h.calls.outbox.messageToDraft('qy', id, '13900002222')).to.equal(true);
      expect(await h.db.knex('tickets').where('content', 'like', '%语音留言%').where({ caller_phone: '13900002222' }).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);
    });

    it('given an operator ready but the caller gives up, when the caller hangs up while waiting, then the call is abandoned and lands on the callback list', async () => {
      h.sim.setEndpointBehaviour('1001', { noAnswer: true });
      expect((await h.t.http('POST', '/api/operators/me/ready', { token: opToken })).status).to.equal(200);
      // The busy mark left while the operator was paused is lifted once they take calls again.
      await until(async () => !(await h.calls.pbx.dbList('qy', 'hotline-busy'))['q-qy'], { what: 'no busy mark on q-qy' });
      const id = await h.sim.placeInboundCall({ from: '13900003333', to: '12345', trunk: 'carrier' });
      await until(async () => (await callOf(id))?.state === 'queued', { timeoutMs: 15_000, what: 'queued' });
      h.sim.hangup(id);
      const call = await ended(id);
      expect(call.outcome).to.equal('abandoned');
      const missed = await h.db.knex('missed_calls').where({ call_id: call.id }).first();
      expect(missed).to.include({ reason: 'abandoned', status: 'pending' });

      const claim = await h.t.http('POST', `/api/missed-calls/${missed.id}/claim`, { token: opToken });
      expect(claim.body.status).to.equal('claimed');
      expect((await h.t.http('POST', `/api/missed-calls/${missed.id}/claim`, { token: opToken })).body.error.id).to.equal('missed_call.not_pending');
      const done = await h.t.http('POST', `/api/missed-calls/${missed.id}/result`, { token: opToken, body: { outcome: 'reached', note: '已回拨，诉求已记录' } });
      expect(done.body).to.include({ status: 'done', attempts: 1 });
    });

    it('given a restricted caller (第三十三条), when they call, then they hear the notice, never queue, and the hit is logged', async () => {
      const supervisor = await h.t.userToken(['supervisor']);
      const expiresAt = new Date(Date.now() + 3600_000).toISOString();
      const add = await h.t.http('POST', '/api/restrictions', { token: supervisor, body: { number: '+86 139 0000 4444', reason: '一日内反复拨打并辱骂话务员', expiresAt } });
      expect(add.status, JSON.stringify(add.body)).to.equal(201);
      expect(add.body.number).to.equal('13900004444');
      const tooLong = await h.t.http('POST', '/api/restrictions', { token: supervisor, body: { number: '13900005555', reason: '测试', expiresAt: new Date(Date.now() + 40 * 86400_000).toISOString() } });
      expect(tooLong.body.error.id).to.equal('restriction.too_long');

      const id = await h.sim.placeInboundCall({ from: '13900004444', to: '12345', trunk: 'carrier' });
      const call = await ended(id);
      expect(call).to.include({ outcome: 'restricted', restricted: true });
      expect(call.queue_entered_at).to.equal(null);
      // (find, not filter: an empty list is truthy and would end the wait before the hit is logged)
      const hit = await until(async () => (await h.t.http('GET', '/api/restrictions/hits', { token: supervisor })).body.find((x: { linkedid: string }) => x.linkedid === id), { what: 'the hit' });
      expect(hit.number).to.equal('13900004444');

      // Lifted: the next call queues normally.
      expect((await h.t.http('DELETE', `/api/restrictions/${add.body.id}`, { token: supervisor })).status).to.equal(200);
      const again = await h.sim.placeInboundCall({ from: '13900004444', to: '12345', trunk: 'carrier' });
      await until(async () => (await callOf(again))?.queue_entered_at, { what: 'the lifted caller to queue' });
      h.sim.hangup(again);
    });
  });
}
