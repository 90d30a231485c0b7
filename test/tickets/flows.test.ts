import { expect } from 'chai';
import { DATABASE_KINDS } from '../support/service';
import { startTickets, TicketsHarness, due, HOUR } from './helpers';
import { NOT_ACCEPTED_REASONS, NOT_ACCEPTED_REASON_CODES } from '../../src/tickets/model';

for (const database of DATABASE_KINDS) {
  describe(`tickets: acceptance, returns, timers, withdrawal, supervision, merging and repeats [${database}]`, function () {
    this.timeout(60_000);
    let h: TicketsHarness;
    beforeEach(async () => {
      h = await startTickets({ database, at: '2026-11-26T10:00:00+08:00' }); // a Thursday
    });
    afterEach(async () => h?.stop());
    const tick = () => h.feature.internals!.timer.tick();

    it('given each 第十七条 reason, when the hotline does not accept, then the ticket is not_accepted with the coded reason and its Chinese explanation', async () => {
      for (const code of NOT_ACCEPTED_REASON_CODES) {
        const c = await h.create({ accept: false, callerPhone: null, content: `测试事项 ${code}` });
        expect(c.status).to.equal('received');
        const r = await h.ok(c.no, 'not-accept', { reasonCode: code });
        expect(r.status).to.equal('not_accepted');
        expect(r.notAcceptedReason).to.equal(code);
        expect(r.events.at(-1).reason).to.equal(NOT_ACCEPTED_REASONS[code].text);
        expect(r.deadlines).to.deep.equal([]);
      }
    });

    it('given a simple consultation, when closed on the spot (即时办结), then it is answered by SMS and 24 h without a reply closes it as 满意 (第二十二条(三))', async () => {
      const c = await h.create({ category: 'consultation', content: '社保卡补办需要带什么材料', domain: 'public_service', subdomain: 'social_security' });
      const r = await h.ok(c.no, 'close-immediately', { resolution: '携带身份证到社保服务大厅办理即可' });
      expect(r.status).to.equal('replied');
      expect(h.sms.sent.at(-1)!.body).to.contain('携带身份证');
      h.clock.advance(23 * HOUR);
      await tick();
      expect((await h.get(c.no)).status).to.equal('replied');
      h.clock.advance(HOUR);
      await tick();
      const closed = await h.get(c.no);
      expect(closed.status).to.equal('closed');
      expect(closed.visits).to.have.length(1);
      expect(closed.visits[0]).to.include({ level: 'satisfied', channel: 'default' });
      expect(closed.events.at(-1)).to.include({ event: 'visit_timeout', actor: 'system:tickets' });
    });

    it('given a unit that does not sign within 3 working hours, when the timer runs, then the ticket is deemed signed (视为受理) and the sign deadline counted as missed', async () => {
      h.clock.set('2026-11-27T16:00:00+08:00'); // Friday
      const c = await h.create();
      const d = await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
      expect(due(d, 'sign')).to.equal('2026-11-30T10:30:00+08:00');
      h.clock.set('2026-11-30T10:29:00+08:00');
      await tick();
      expect((await h.get(c.no)).status).to.equal('dispatched');
      h.clock.set('2026-11-30T10:31:00+08:00');
      await tick();
      const t = await h.get(c.no);
      expect(t.status).to.equal('in_progress');
      expect(t.flow.signed.deemed).to.equal(true);
      expect(t.deadlineHistory.find((x: any) => x.kind === 'sign')).to.include({ state: 'met', missed: true });
    });

    it('given a wrongly dispatched ticket, when the unit returns it within 1 working day and the hotline approves, then it goes back for dispatch and the unit no longer sees it', async () => {
      const c = await h.create();
      await h.ok(c.no, 'dispatch', { mainUnit: 'QY-RSJ' });
      const bad = await h.act(c.no, 'return', { reason: '不属于我局职责', basis: ' ' }, h.tokens.rsj);
      expect(bad.status).to.equal(400);
      h.clock.advance(2 * HOUR);
      const r = await h.ok(c.no, 'return', { reason: '油烟污染不属于人社部门职责', basis: '《庆阳市人社局职能配置》', suggestedUnit: 'QY-STHJJ' }, h.tokens.rsj);
      expect(r.status).to.equal('return_requested');
      expect(r.flow.returnPending).to.include({ late: false, suggestedUnit: 'QY-STHJJ' });
      const a = await h.ok(c.no, 'return/approve', {}, h.tokens.supervisor);
      expect(a.status).to.equal('accepted');
      expect(a.mainUnit).to.equal(null);
      expect(due(a, 'dispatch')).to.equal('2026-11-26T14:00:00+08:00');
      expect((await h.t.http('GET', `/api/tickets/${c.no}`, { token: h.tokens.rsj })).status).to.equal(404);
      const again = await h.ok(c.no, 'dispatch', { mainUnit: 'QY-STHJJ' });
      expect(again.units.map((u: any) => [u.unitCode, u.active])).to.deep.equal([['QY-RSJ', false], ['QY-STHJJ', true]]);
    });

    it('given a return asked after 1 working day, then it is flagged late and counts as overdue; the hotline may reject it and the unit keeps handling (第二十一条(二))', async () => {
      const c = await h.create();
      await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
      h.clock.set('2026-11-27T17:31:00+08:00'); // one working day ended at 17:30 Friday
      const r = await h.ok(c.no, 'return', { reason: '非本单位职责', basis: '职能规定', suggestedUnit: 'QY-SCJGJ' }, h.tokens.zjj);
      expect(r.flow.returnPending.late).to.equal(true);
      expect(r.flow.lateReturns).to.equal(1);
      expect(r.deadlineHistory.find((x: any) => x.kind === 'return')).to.include({ missed: true });
      const rej = await h.ok(c.no, 'return/reject', { reason: '属于住建部门监管职责' });
      expect(rej.status).to.equal('in_progress');
    });

    it('given an emergency ticket, when dispatched, then feedback is due in 2 hours and a return in 30 minutes, and feedback meets its deadline', async () => {
      const c = await h.create({ emergency: true, content: '小区大面积停水已超过一天', domain: 'public_service', subdomain: 'water' });
      const d = await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
      expect(due(d, 'feedback')).to.equal('2026-11-26T12:00:00+08:00');
      expect(due(d, 'return')).to.equal('2026-11-26T10:30:00+08:00');
      expect(due(d, 'handle')).to.equal('2026-11-30T17:30:00+08:00');
      h.clock.advance(HOUR);
      const f = await h.ok(c.no, 'feedback', { text: '已派抢修队伍赶赴现场' }, h.tokens.zjj);
      expect(f.deadlineHistory.find((x: any) => x.kind === 'feedback')).to.include({ state: 'met', missed: false });
      const late = await h.ok(c.no, 'return', { reason: '供水属水务公司', basis: '职责分工', suggestedUnit: 'QY-SCJGJ' }, h.tokens.zjj);
      expect(late.flow.returnPending.late).to.equal(true);
    });

    it('given a caller who withdraws (撤单), then every deadline is cancelled and the ticket is final', async () => {
      const c = await h.create();
      await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
      const w = await h.ok(c.no, 'withdraw', { reason: '诉求人来电表示问题已解决' });
      expect(w.status).to.equal('withdrawn');
      expect(w.deadlines).to.deep.equal([]);
      expect(w.deadlineHistory.every((x: any) => x.state !== 'open')).to.equal(true);
      expect((await h.act(c.no, 'reply', { text: 'x' }, h.tokens.zjj)).status).to.equal(404); // released: no longer the unit's
      expect((await h.act(c.no, 'urge', { note: 'x' })).body.error).to.include({ id: 'ticket.illegal_transition' });
    });

    it('given an overdue ticket, when the timer runs, then it is urged once by the system, and the hotline can urge and escalate (督办, 第二十二条(一)(二))', async () => {
      const c = await h.create();
      await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
      await h.ok(c.no, 'sign', {}, h.tokens.zjj);
      await h.ok(c.no, 'urge', { note: '请加快办理' });
      await h.ok(c.no, 'escalate', { note: '约谈提醒' });
      h.clock.set('2026-12-03T17:31:00+08:00');
      await tick();
      await tick();
      const t = await h.get(c.no);
      expect(t.flow.urgeCount).to.equal(2);
      expect(t.flow.escalationLevel).to.equal(1);
      expect(t.events.filter((e: any) => e.event === 'urge' && e.actor === 'system:tickets')).to.have.length(1);
      const overdue = await h.t.http('GET', '/api/tickets/overdue', { token: h.tokens.zjj });
      expect(overdue.body.items.map((i: any) => [i.ticketNo, i.kind])).to.deep.include([c.no, 'handle']);
      const other = await h.t.http('GET', '/api/tickets/overdue', { token: h.tokens.rsj });
      expect(other.body.items).to.deep.equal([]);
    });

    it('given a unit returning a ticket (退单), when no suggested unit is given or it names itself, then it is refused with a clear id and nothing changes (第二十一条(二))', async () => {
      const c = await h.create();
      await h.ok(c.no, 'dispatch', { mainUnit: 'QY-RSJ' });
      const none = await h.act(c.no, 'return', { reason: '不属本单位职责', basis: '物业管理条例' }, h.tokens.rsj);
      expect(none.status).to.equal(400);
      expect(none.body.error.details.issues ?? none.body.error.details).to.satisfy((d: unknown) => JSON.stringify(d).includes('suggestedUnit'));
      const blank = await h.act(c.no, 'return', { reason: '不属本单位职责', basis: '物业管理条例', suggestedUnit: '  ' }, h.tokens.rsj);
      expect(blank.status).to.equal(400);
      const itself = await h.act(c.no, 'return', { reason: '不属本单位职责', basis: '物业管理条例', suggestedUnit: 'QY-RSJ' }, h.tokens.rsj);
      expect(itself.status).to.equal(422);
      expect(itself.body.error.id).to.equal('ticket.return_suggests_itself');
      const unknown = await h.act(c.no, 'return', { reason: '不属本单位职责', basis: '物业管理条例', suggestedUnit: 'NO-SUCH-UNIT' }, h.tokens.rsj);
      expect(unknown.status).to.equal(422);
      expect(unknown.body.error.id).to.equal('ticket.unknown_unit');
      const t = await h.get(c.no);
      expect(t.status).to.equal('dispatched');
      expect(t.events.map((e: any) => e.event)).to.not.include('request_return');
    });

    it('given a caller who asked for confidentiality, then only the registering operator sees the number, other hotline staff see it masked until the ticket awaits their call back, and every unmasked read is audited (第二十七条)', async () => {
      const c = await h.create({ confidential: true, callerPhone: '13912340000', callerName: '李四' });
      const otherOperator = await h.t.userToken(['operator']);
      expect((await h.get(c.no)).caller).to.deep.equal({ name: '李四', phone: '13912340000', confidential: true, masked: false });
      expect((await h.get(c.no, otherOperator)).caller).to.deep.equal({ name: '李*', phone: '139****0000', confidential: true, masked: true });
      expect((await h.get(c.no, h.tokens.supervisor)).caller).to.include({ phone: '139****0000', masked: true });
      const list = await h.t.http('GET', `/api/tickets?callerPhone=13912340000`, { token: otherOperator });
      expect(list.body.items.find((i: any) => i.no === c.no).caller.phone).to.equal('139****0000');
      await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
      expect((await h.get(c.no, h.tokens.zjj)).caller).to.deep.equal({ name: null, phone: null, confidential: true, masked: true });
      await h.ok(c.no, 'sign', {}, h.tokens.zjj);
      await h.ok(c.no, 'reply', { text: '已处理完毕并电话告知' }, h.tokens.zjj);
      // 第二十二条(三): the replied ticket now waits for the hotline's call back.
      expect((await h.get(c.no, otherOperator)).caller).to.include({ phone: '13912340000', masked: false });
      const audits = await h.t.db.knex('audit_log').where({ action: 'ticket.caller_read', target_id: c.no });
      expect(audits.length).to.be.greaterThanOrEqual(2);
      expect(audits.map((a: any) => a.actor)).to.satisfy((actors: string[]) => actors.some((x) => x.includes('operator')));
    });

    it('given two related tickets of one unit not yet answered, when the unit merges one into the other (并案), then it is merged; into another unit\'s ticket it is not found (第二十一条(一))', async () => {
      const a = await h.create({ callerPhone: '13500001111' });
      const b = await h.create({ callerPhone: '13500002222', content: '南大街烧烤店油烟扰民,多次反映' });
      const other = await h.create({ callerPhone: '13500003333', content: '另一事项' });
      await h.ok(a.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
      await h.ok(b.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
      await h.ok(other.no, 'dispatch', { mainUnit: 'QY-RSJ' });
      const refused = await h.act(b.no, 'merge', { into: other.no }, h.tokens.zjj);
      expect(refused.status).to.equal(404);
      const m = await h.ok(b.no, 'merge', { into: a.no, reason: '同一烧烤店' }, h.tokens.zjj);
      expect(m.status).to.equal('merged');
      expect(m.mergedInto).to.equal(a.no);
      const coUnitTry = await h.act(a.no, 'merge', { into: other.no }, h.tokens.rsj);
      expect(coUnitTry.status).to.equal(404);
    });

    it('given two related tickets not yet answered, when one is merged into the other (并案), then it is final and its calls follow; merging into an answered ticket is refused', async () => {
      const a = await h.create({ linkedid: '1764123456.101' });
      await h.ok(a.no, 'dispatch', { mainUnit: 'QY-STHJJ' });
      const b = await h.create({ callerPhone: '13611112222', content: '南大街烧烤店每晚油烟很大,附近居民受影响', linkedid: '1764123456.202' });
      const m = await h.ok(b.no, 'merge', { into: a.no, reason: '同一烧烤店油烟问题' });
      expect(m.status).to.equal('merged');
      expect(m.mergedInto).to.equal(a.no);
      const target = await h.get(a.no);
      expect(target.events.at(-1)).to.include({ event: 'merged_from' });
      expect(target.calls.map((x: any) => x.linkedid).sort()).to.deep.equal(['1764123456.101', '1764123456.202']);
      const c = await h.create({ callerPhone: '13633334444', content: '另一件事' });
      const sthjj = await h.t.userToken(['unit_handler'], { unitCode: 'QY-STHJJ' });
      await h.ok(a.no, 'sign', {}, sthjj);
      await h.ok(a.no, 'reply', { text: '已责令整改' }, sthjj);
      const refused = await h.act(c.no, 'merge', { into: a.no });
      expect(refused.status).to.equal(409);
      expect(refused.body.error.id).to.equal('ticket.merge_target_answered');
    });

    it('given the same caller\'s same matter still within its limit, when it comes in again, then it is not accepted but linked (第十七条(七)); other matters and other callers are accepted', async () => {
      const first = await h.create();
      await h.ok(first.no, 'dispatch', { mainUnit: 'QY-STHJJ' });
      const again = await h.create({ content: '南大街那个烧烤店油烟扰民的问题,晚上噪音也很大,还没解决' });
      expect(again.status).to.equal('not_accepted');
      expect(again.notAcceptedReason).to.equal('duplicate_in_progress');
      expect(again.repeatOf).to.equal(first.no);
      const check = await h.t.http('GET', `/api/tickets/repeat-check?callerPhone=%2B8613800138000&content=${encodeURIComponent('烧烤店油烟扰民')}`, { token: h.tokens.operator });
      expect(check.body.repeatOf.no).to.equal(first.no);
      expect((await h.create({ content: '咨询公积金提取需要哪些材料', category: 'consultation', domain: 'public_service', subdomain: 'housing' })).status).to.equal('accepted');
      expect((await h.create({ callerPhone: '13900001111' })).status).to.equal('accepted');
      h.clock.set('2026-12-04T09:00:00+08:00'); // past the 5-working-day limit of the first
      expect((await h.create()).status).to.equal('accepted');
    });
  });
}
