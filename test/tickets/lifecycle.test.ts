import { expect } from 'chai';
import { DATABASE_KINDS } from '../support/service';
import { startTickets, TicketsHarness, due, HOUR } from './helpers';

for (const database of DATABASE_KINDS) {
  describe(`tickets: lifecycle over HTTP (第十四条–第二十二条) [${database}]`, function () {
    this.timeout(60_000);
    let h: TicketsHarness;
    before(async () => {
      h = await startTickets({ database, at: '2026-09-30T16:00:00+08:00' });
    });
    after(async () => h?.stop());

    it('given a complaint taken on 2026-09-30 16:00, when it is created and dispatched, then it runs on the 第二十一条 clock across 国庆', async () => {
      const created = await h.create();
      expect(created.no).to.match(/^QY20260930\d{6}$/);
      expect(created.status).to.equal('accepted');
      expect(due(created, 'dispatch')).to.equal('2026-09-30T18:00:00+08:00'); // 2 小时内转派
      h.clock.advance(HOUR / 2);
      const d = await h.ok(created.no, 'dispatch', { mainUnit: 'QY-ZJJ', coUnits: ['QY-SCJGJ'] });
      expect(d.status).to.equal('dispatched');
      expect(d.mainUnit).to.equal('QY-ZJJ');
      expect(d.coUnits).to.deep.equal(['QY-SCJGJ']);
      expect(due(d, 'sign')).to.equal('2026-10-08T11:00:00+08:00'); // 3 working hours from 16:30: 1h, then 2h on 10/8
      expect(due(d, 'return')).to.equal('2026-10-08T17:30:00+08:00'); // 1 working day
      expect(due(d, 'handle')).to.equal('2026-10-13T17:30:00+08:00'); // 5 working days incl. the 10/10 调休 Saturday
      expect(due(d, 'feedback')).to.equal(undefined); // only emergency tickets
      expect(d.deadlineHistory.find((x: any) => x.kind === 'dispatch')).to.include({ state: 'met', missed: false });
    });

    it('given a dispatched ticket, when units look, then only the main and co-units see it, with the caller contact they need (第二十一条(一)), and an auditor sees it masked (第二十七条)', async () => {
      const c = await h.create({ content: '小区电梯经常故障停运,物业不维修', subdomain: null, domain: 'social_management', callerPhone: '13912345678' });
      await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ', coUnits: ['QY-SCJGJ'] });
      const asMain = await h.get(c.no, h.tokens.zjj);
      expect(asMain.caller).to.deep.equal({ name: '张三丰', phone: '13912345678', confidential: false, masked: false });
      expect((await h.get(c.no, h.tokens.auditor)).caller).to.deep.equal({ name: '张**', phone: '139****5678', confidential: false, masked: true });
      expect((await h.get(c.no, h.tokens.scjgj)).no).to.equal(c.no);
      expect((await h.t.http('GET', `/api/tickets/${c.no}`, { token: h.tokens.rsj })).status).to.equal(404);
      const list = await h.t.http('GET', '/api/tickets?limit=200', { token: h.tokens.rsj });
      expect(list.body.items.map((i: any) => i.no)).to.not.include(c.no);
      const asOperator = await h.get(c.no);
      expect(asOperator.caller).to.deep.equal({ name: '张三丰', phone: '13912345678', confidential: false, masked: false });
    });

    it('given a caller who asked for confidentiality, when a unit or auditor reads the ticket, then name and number are withheld', async () => {
      const c = await h.create({ confidential: true, content: '举报某餐馆使用过期食材', category: 'report', domain: 'market_supervision', subdomain: 'food_safety' });
      await h.ok(c.no, 'dispatch', { mainUnit: 'QY-SCJGJ' });
      expect((await h.get(c.no, h.tokens.scjgj)).caller).to.deep.equal({ name: null, phone: null, confidential: true, masked: true });
      expect((await h.get(c.no, h.tokens.auditor)).caller.phone).to.equal(null);
      expect((await h.get(c.no)).caller.phone).to.equal('13800138000');
    });

    it('given the full path 签收 → 延期 → 答复 → 不满意(单位原因) → 重办 → 答复 → 满意, then every step is an audited event and the ticket is 办结', async () => {
      h.clock.set('2026-10-09T09:00:00+08:00');
      const c = await h.create({ content: '我家门口的路灯坏了一个月没人修', domain: 'social_management', subdomain: 'urban_management', callerPhone: '13700001111' });
      await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ', coUnits: ['QY-SCJGJ'] });
      await h.ok(c.no, 'co-opinion', { text: '我局已配合现场查看' }, h.tokens.scjgj);
      h.clock.advance(HOUR);
      const signed = await h.ok(c.no, 'sign', {}, h.tokens.zjj);
      expect(signed.status).to.equal('in_progress');
      expect(signed.flow.signed.deemed).to.equal(false);
      expect(due(signed, 'handle')).to.equal('2026-10-15T17:30:00+08:00'); // 10/10 调休 Saturday is day 1
      const coReply = await h.act(c.no, 'reply', { text: '协办单位不能答复' }, h.tokens.scjgj); // 首接负责: the main unit answers (第十四条)
      expect(coReply.status).to.equal(403);
      expect(coReply.body.error.id).to.equal('ticket.not_your_action');
      await h.ok(c.no, 'progress', { text: '已安排维修班组' }, h.tokens.zjj);
      await h.ok(c.no, 'extension', { extra: '3wd', reason: '需采购配件' }, h.tokens.zjj);
      const dup = await h.act(c.no, 'extension', { extra: '1wd', reason: '再申请' }, h.tokens.zjj);
      expect(dup.body.error.id).to.equal('ticket.extension_pending');
      const approved = await h.ok(c.no, 'extension/approve', {}, h.tokens.supervisor);
      expect(due(approved, 'handle')).to.equal('2026-10-20T17:30:00+08:00'); // +3wd counted from the old deadline
      const tooLong = await h.act(c.no, 'extension', { extra: '3wd', reason: '还需时间' }, h.tokens.zjj);
      expect(tooLong.status).to.equal(409);
      expect(tooLong.body.error.id).to.equal('ticket.extension_too_long');
      h.clock.advance(HOUR);
      const replied = await h.ok(c.no, 'reply', { text: '路灯已于今日修复' }, h.tokens.zjj);
      expect(replied.status).to.equal('replied');
      expect(replied.deadlineHistory.find((x: any) => x.kind === 'handle' && x.state === 'met').missed).to.equal(false);
      expect(h.sms.sent.at(-1)!.to).to.equal('13700001111');
      expect(h.sms.sent.at(-1)!.body).to.contain(c.no).and.contain('路灯已于今日修复').and.contain('1非常满意');
      expect(due(replied, 'callback')).to.equal('2026-10-10T11:00:00+08:00');
      const noCause = await h.act(c.no, 'visit', { level: 'dissatisfied' });
      expect(noCause.body.error.id).to.equal('ticket.cause_required');
      const redo = await h.ok(c.no, 'visit', { level: 'dissatisfied', cause: 'unit', reason: '实际并未修复' });
      expect(redo.status).to.equal('in_progress');
      expect(redo.flow.redoCount).to.equal(1);
      expect(due(redo, 'handle')).to.equal('2026-10-15T17:30:00+08:00'); // 5wd again from 10/9 11:00 (10/10 调休 counts)
      await h.ok(c.no, 'reply', { text: '已再次核实并彻底修复' }, h.tokens.zjj);
      const closed = await h.ok(c.no, 'visit', { level: 'very_satisfied' });
      expect(closed.status).to.equal('closed');
      expect(closed.visits.map((v: any) => v.level)).to.deep.equal(['dissatisfied', 'very_satisfied']);
      expect(closed.events.map((e: any) => e.event)).to.deep.equal([
        'create', 'accept', 'dispatch', 'co_opinion', 'sign', 'progress', 'request_extension', 'approve_extension', 'reply', 'visit', 'reply', 'visit',
      ]);
      expect(closed.events.find((e: any) => e.event === 'sign')).to.include({ actorUnit: 'QY-ZJJ', fromStatus: 'dispatched', toStatus: 'in_progress' });
      const audit = await h.t.db.knex('audit_log').where({ target_type: 'ticket', target_id: c.no }).orderBy('id').pluck('action');
      expect(audit).to.include.members(['ticket.create', 'ticket.dispatch', 'ticket.sign', 'ticket.approve_extension', 'ticket.reply', 'ticket.visit']);
      const illegal = await h.act(c.no, 'sign', {}, h.tokens.operator);
      expect(illegal.status).to.equal(409);
      expect(illegal.body.error.id).to.equal('ticket.illegal_transition');
      expect(illegal.body.error.details.state).to.equal('closed');
      expect(illegal.body.error.message).to.contain('closed');
    });
  });
}
