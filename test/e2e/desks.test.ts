import fs from 'node:fs';
import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { Browser, Page } from 'playwright-core';
import { startTestService, TestService } from '../support/service';
import { createTicketsFeature } from '../../src/tickets/feature';
import { createKnowledgeFeature } from '../../src/knowledge/feature';
import { createCallsFeature } from '../../src/calls/feature';
import { EXPORT_HEADERS } from '../../src/knowledge/io/columns';
import { launch, newPage, login, textOf, choose, until, axeViolations } from './browser';

/**
 * Issue 12: the desks' features beyond the main flow, in headless Chromium on the embedded default
 * (PGlite, the in-process live store, no telephony): the unit desk's working time left and overdue
 * rows, 办理进展 and 协办意见; the supervisor's oversight tabs, 督办/催办 and restrictions (第三十三条);
 * 工单查询; 知识提问 and the knowledge export; the admin's lines and working-day calendar.
 * The tickets' clock runs shifted while the overdue ticket is made, then on real time.
 */
describe('unit desk, oversight, search, knowledge questions and admin settings in headless Chromium', function () {
  this.timeout(180_000);
  const DAY = 86_400_000;
  let shift = -60 * DAY;
  let t: TestService;
  let browser: Browser;
  let page: Page;
  let tokens: { operator: string; supervisor: string; admin: string; rsj: string; ybj: string };
  const BASE = { channel: 'phone', callerName: '王五', callerPhone: '13800001234', category: 'complaint', domain: 'social_management' };

  async function ticket(content: string, dispatch?: { mainUnit: string; coUnits?: string[] }) {
    const c = await t.http('POST', '/api/tickets', { token: tokens.operator, body: { ...BASE, content } });
    expect(c.status, JSON.stringify(c.body)).to.equal(201);
    if (dispatch) expect((await act(c.body.no, 'dispatch', { coUnits: [], ...dispatch })).status).to.equal(200);
    return c.body.no as string;
  }
  async function act(no: string, action: string, body: Record<string, unknown> = {}, token = tokens.operator) {
    const r = await t.http('POST', `/api/tickets/${no}/${action}`, { token, body });
    expect(r.status, `${action}: ${JSON.stringify(r.body)}`).to.equal(200);
    return r;
  }
  const events = async (no: string) => (await t.db.knex('ticket_events').where({ ticket_no: no }).orderBy('id')).map((e: { event: string }) => e.event);

  before(async () => {
    browser = await launch();
    t = await startTestService({ database: 'pglite', redis: false, features: [createTicketsFeature({ now: () => new Date(Date.now() + shift) }), createKnowledgeFeature(), createCallsFeature()] });
    tokens = {
      operator: await t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' }),
      supervisor: await t.userToken(['supervisor'], { username: 'banzhang', centre: 'QY' }),
      admin: await t.userToken(['admin'], { username: 'chief' }),
      rsj: await t.userToken(['unit_handler'], { username: 'rsj', unitCode: 'QY-RSJ' }),
      ybj: await t.userToken(['unit_handler'], { username: 'ybj', unitCode: 'QY-YBJ' }),
    };
  });
  beforeEach(async () => {
    page = (await newPage(browser)).page;
  });
  afterEach(async () => {
    await page.context().close();
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  let overdueNo = '';
  let freshNo = '';
  let redoNo = '';

  it('given a ticket signed two months ago and one dispatched now, when the unit opens its desk, then the old row is red and says 已超期, the new one says the working time left (剩余)', async () => {
    overdueNo = await ticket('小区二次供水水箱长期未清洗，自来水有异味', { mainUnit: 'QY-RSJ' });
    await act(overdueNo, 'sign', {}, tokens.rsj);
    shift = 0;
    freshNo = await ticket('用人单位未按时缴纳社保，要求补缴', { mainUnit: 'QY-RSJ' });

    await login(page, t.baseUrl, 'rsj', '/unit');
    const old = `[data-test=inbox] tr:has-text("${overdueNo}")`;
    const fresh = `[data-test=inbox] tr:has-text("${freshNo}")`;
    await until(async () => (await textOf(page, old)).includes('办理中') && (await textOf(page, fresh)).includes('已转办待签收'), { what: 'both tickets on the desk' });
    expect(await page.getAttribute(old, 'class')).to.contain('row-overdue');
    expect(await page.getAttribute(fresh, 'class')).to.not.contain('row-overdue');
    expect(await textOf(page, `${old} [data-test=overdue]`)).to.match(/^办理时限 已超期 (\d+个工作日)?(\d+小时)?/);
    // Red as the centre's danger colour (#c0262d).
    expect(await page.$eval(`${old} [data-test=overdue]`, (el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color)).to.equal('rgb(192, 38, 45)');
    expect(await textOf(page, `${fresh} [data-test=deadline]`)).to.match(/签收时限 剩余 (\d+小时|\d+分钟)/);
    expect(await textOf(page, '[data-test=overdue-count]')).to.equal('超期 1 件');
  });

  it('given a ticket dispatched to a main and a co-unit, when the main unit writes 办理进展 and the co-unit 协办意见 on their desks, then both are in the ticket\'s timeline', async () => {
    const no = await ticket('老旧小区加装电梯补贴政策咨询，涉及医保个人账户提取', { mainUnit: 'QY-RSJ', coUnits: ['QY-YBJ'] });
    await login(page, t.baseUrl, 'rsj', '/unit');
    const row = `[data-test=inbox] tr:has-text("${no}")`;
    await until(async () => (await textOf(page, row)).includes('已转办待签收'), { what: 'the ticket on the main unit\'s desk' });
    await page.click(`${row} [data-test=act-sign]`);
    await until(async () => (await textOf(page, row)).includes('办理中'), { what: 'signed' });
    await page.click(`${row} [data-test=act-progress]`);
    await page.fill('[data-test=f-text]', '已联系住建部门核实补贴标准，正在汇总');
    await page.click('[data-test=f-submit]');
    await until(async () => (await events(no)).includes('progress'), { what: 'the progress recorded' });

    const co = (await newPage(browser)).page;
    try {
      await login(co, t.baseUrl, 'ybj', '/unit');
      const coRow = `[data-test=inbox] tr:has-text("${no}")`;
      await until(async () => !!(await co.$(`${coRow} [data-test=act-co-opinion]`)), { what: 'the ticket with 协办意见 on the co-unit\'s desk' });
      expect(await co.$(`${coRow} [data-test=act-reply]`)).to.equal(null);
      await co.click(`${coRow} [data-test=act-co-opinion]`);
      await co.fill('[data-test=f-text]', '医保个人账户可用于本人及配偶医疗支出，不能用于加装电梯');
      await co.click('[data-test=f-submit]');
      await until(async () => (await events(no)).includes('co_opinion'), { what: 'the co-unit\'s opinion recorded' });
    } finally {
      await co.context().close();
    }

    await page.goto(`${t.baseUrl}/tickets/${no}`);
    await until(async () => (await textOf(page, '[data-test=timeline]')).includes('协办意见'), { what: 'the timeline' });
    const timeline = await textOf(page, '[data-test=timeline]');
    expect(timeline).to.contain('办理进展').and.to.contain('已联系住建部门核实补贴标准，正在汇总');
    expect(timeline).to.contain('医保个人账户可用于本人及配偶医疗支出，不能用于加装电梯');
  });

  it('given a replied ticket, when the supervisor records a dissatisfied visit caused by the unit, then it is in 不满意重办; 督办 and 催办升级 from there are recorded; 已超期 and 即将超期 list theirs', async () => {
    redoNo = await ticket('路灯损坏多日无人维修，夜间出行不便', { mainUnit: 'QY-RSJ' });
    await act(redoNo, 'sign', {}, tokens.rsj);
    await act(redoNo, 'reply', { text: '已安排维修。' }, tokens.rsj);

    await login(page, t.baseUrl, 'banzhang', '/supervisor');
    const refresh = () => page.click('.el-card__header:has-text("工单督办") button');
    await page.click('.el-tabs__item:has-text("待回访")');
    const visitRow = `[data-test=oversight-visits] tr:has-text("${redoNo}")`;
    await until(async () => { await refresh(); return (await textOf(page, visitRow)).length > 0; }, { what: 'the ticket awaiting its visit' });
    await page.click(`${visitRow} [data-test=act-visit]`);
    await choose(page, '[data-test=f-level]', /^不满意$/);
    // 第二十二条(三): a dissatisfied visit names its cause before it can be saved.
    expect(await page.isDisabled('[data-test=f-submit]')).to.equal(true);
    await choose(page, '[data-test=f-cause]', '承办单位未履职尽责');
    await page.click('[data-test=f-submit]');
    await until(async () => (await t.db.knex('tickets').where({ no: redoNo }).first()).status === 'in_progress', { what: 'the ticket sent back (重办)' });

    await page.click('.el-tabs__item:has-text("不满意重办")');
    const redoRow = `[data-test=oversight-redo] tr:has-text("${redoNo}")`;
    await until(async () => { await refresh(); return (await textOf(page, redoRow)).includes('回访不满意，第1次重办'); }, { what: 'the ticket in 不满意重办' });
    await page.click(`${redoRow} [data-test=act-urge]`);
    await page.fill('[data-test=f-note]', '群众不满意，请重新核实办理');
    await page.click('[data-test=f-submit]');
    await until(async () => (await events(redoNo)).includes('urge'), { what: '督办 recorded' });
    await until(async () => (await textOf(page, redoRow)).length > 0, { what: 'the row back after reload' });
    await page.click(`${redoRow} [data-test=act-escalate]`);
    await page.fill('[data-test=f-note]', '约谈单位负责人');
    await page.click('[data-test=f-submit]');
    await until(async () => (await events(redoNo)).includes('escalate'), { what: '催办升级 recorded' });
    const urged = await t.db.knex('ticket_events').where({ ticket_no: redoNo, event: 'urge' }).first();
    expect(urged.actor).to.equal('banzhang');

    await page.click('.el-tabs__item:has-text("已超期")');
    await until(async () => { await refresh(); return (await textOf(page, `[data-test=oversight-overdue] tr:has-text("${overdueNo}")`)).includes('已超期'); }, { what: 'the overdue ticket in 已超期' });
    expect(await textOf(page, '[data-test=oversight-overdue]')).to.not.contain(freshNo);
    await page.click('.el-tabs__item:has-text("即将超期")');
    // Signing within 3 working hours (第二十一条(一)): a ticket dispatched now has less than half a working day left.
    await until(async () => (await textOf(page, `[data-test=oversight-near] tr:has-text("${freshNo}")`)).includes('剩余'), { what: 'the fresh ticket in 即将超期' });
    expect(await textOf(page, '[data-test=oversight-near]')).to.not.contain(overdueNo);
  });

  it('given a supervisor, when they restrict a caller on the console, then the number is listed and stored until its expiry (第三十三条)', async () => {
    await login(page, t.baseUrl, 'banzhang', '/supervisor');
    await page.click('[data-test=restrict-open]');
    await page.fill('[data-test=r-number]', '13955550000');
    await page.fill('[data-test=r-reason]', '反复拨打骚扰、辱骂话务员');
    await page.click('[data-test=r-submit]');
    await until(async () => (await textOf(page, '[data-test=restrictions]')).includes('13955550000'), { what: 'the restriction listed' });
    expect(await textOf(page, '[data-test=restrictions] tr:has-text("13955550000")')).to.contain('反复拨打骚扰');
    const stored = (await t.http('GET', '/api/restrictions', { token: tokens.supervisor })).body as Array<{ number: string; reason: string; expiresAt: string }>;
    const r = stored.find((x) => x.number === '13955550000');
    expect(r?.reason).to.equal('反复拨打骚扰、辱骂话务员');
    // The default term: 24 hours.
    expect(Math.abs(new Date(r!.expiresAt).getTime() - Date.now() - DAY)).to.be.lessThan(120_000);
  });

  it('given tickets, when a supervisor searches 工单查询 by a word and by the number, then the ticket is in the results, its number opens it, and the page passes the accessibility check', async () => {
    await login(page, t.baseUrl, 'banzhang', '/supervisor');
    await page.goto(`${t.baseUrl}/tickets`);
    await page.fill('[data-test=q]', '路灯');
    await page.click('[data-test=search]');
    await until(async () => (await textOf(page, '[data-test=results]')).includes(redoNo), { what: 'the ticket in the results' });
    expect(await textOf(page, '[data-test=results]')).to.not.contain(freshNo);
    expect(await textOf(page, '[data-test=total]')).to.equal('共 1 条');
    const v = await axeViolations(page);
    expect(v, JSON.stringify(v, null, 1)).to.deep.equal([]);
    await page.fill('[data-test=q]', '');
    await page.fill('#no', redoNo.toLowerCase());
    await page.click('[data-test=search]');
    await page.waitForURL(`**/tickets/${redoNo}`);
    await until(async () => (await textOf(page, '[data-test=timeline]')).includes('回访'), { what: 'the ticket opened' });
  });

  it('given an operator, when they ask a unit a question in 知识提问, then the unit answers it on its page and the operator sees the answer', async () => {
    await login(page, t.baseUrl, 'op1001', '/operator');
    await page.goto(`${t.baseUrl}/knowledge`);
    await page.click('.el-tabs__item:has-text("知识提问")');
    await page.fill('#kq', '灵活就业人员医保断缴后多久内补缴不影响待遇？');
    await choose(page, '#pane-questions .el-select:has(input[aria-label=提问单位])', '庆阳市医疗保障局');
    await page.click('#pane-questions button:has-text("提问")');
    const row = '#pane-questions tr:has-text("灵活就业人员医保断缴")';
    await until(async () => (await textOf(page, row)).includes('待答复'), { what: 'the question asked' });
    // The unit is named as the desk knows it, not by its code.
    expect(await textOf(page, row)).to.include('庆阳市医疗保障局').and.not.include('QY-YBJ');
    const asked = await t.db.knex('kb_questions').where({ question: '灵活就业人员医保断缴后多久内补缴不影响待遇？' }).first();
    expect(asked).to.include({ unit_code: 'QY-YBJ', state: 'open' });

    const unit = (await newPage(browser)).page;
    try {
      await login(unit, t.baseUrl, 'ybj', '/unit');
      await unit.goto(`${t.baseUrl}/knowledge`);
      await unit.click('.el-tabs__item:has-text("知识提问")');
      await until(async () => (await textOf(unit, row)).includes('待答复'), { what: 'the question on the unit\'s page' });
      await unit.click(`${row} button:has-text("答复")`);
      await unit.fill('.el-message-box textarea', '断缴3个月内补缴的，待遇不中断。');
      await unit.click('.el-message-box button:has-text("提交")');
      await until(async () => (await textOf(unit, row)).includes('已答复'), { what: 'answered on the unit\'s page' });
    } finally {
      await unit.context().close();
    }
    expect(await t.db.knex('kb_questions').where({ id: asked.id }).first()).to.include({ state: 'answered', answer: '断缴3个月内补缴的，待遇不中断。' });
    await page.reload();
    await page.click('.el-tabs__item:has-text("知识提问")');
    await until(async () => (await textOf(page, row)).includes('断缴3个月内补缴的，待遇不中断。'), { what: 'the answer on the operator\'s page' });
  });

  it('given published entries, when a supervisor exports them, then an xlsx arrives with the template\'s headings and every published entry', async () => {
    // A plain download: one request that reads the entries 500 at a time and answers the whole file;
    // the knowledge base is thousands of entries, seconds at most, so no job or progress as for imports.
    await login(page, t.baseUrl, 'banzhang', '/supervisor');
    await page.goto(`${t.baseUrl}/knowledge`);
    await page.click('.el-tabs__item:has-text("导入导出")');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button:has-text("导出已发布条目")')]);
    expect(download.suggestedFilename()).to.equal('知识库导出.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(fs.readFileSync((await download.path())!) as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('知识库导出')!;
    expect((ws.getRow(1).values as unknown[]).slice(1)).to.deep.equal(EXPORT_HEADERS);
    const published = (await t.db.knex('kb_entries').where({ state: 'published' }).count({ n: '*' }))[0].n;
    expect(ws.actualRowCount - 1).to.equal(Number(published)).and.to.be.greaterThan(0);
  });

  it('given an admin, when they change a line\'s hours in 线路目录, then the directory has the new hours', async () => {
    const before = ((await t.http('GET', '/api/lines', { token: tokens.admin })).body as Array<{ code: string; name: string; hours: string }>).find((l) => l.code === 'E-12348')!;
    expect(before.hours).to.equal('office');
    await login(page, t.baseUrl, 'chief', '/admin');
    await page.click('.el-tabs__item:has-text("线路目录")');
    await choose(page, `#pane-lines .el-select:has(input[aria-label="${before.name}服务时间"])`, '7×24小时');
    await until(async () => ((await t.http('GET', '/api/lines', { token: tokens.admin })).body as Array<{ code: string; hours: string }>).find((l) => l.code === 'E-12348')?.hours === '24x7', { what: 'the new hours stored' });
    await page.reload();
    await page.click('.el-tabs__item:has-text("线路目录")');
    await until(async () => (await textOf(page, `#pane-lines tr:has-text("${before.name}")`)).includes('7×24小时'), { what: 'the new hours shown after a reload' });
  });

  it('given an admin, when they add a 调休 working Saturday in 工作日历 and then delete it, then the calendar has it as a working day and then not', async () => {
    // A Saturday half a year on that has no entry of its own.
    const calendar = async (day: string) => (await t.http('GET', `/api/calendar?from=${day}&to=${day}`, { token: tokens.admin })).body.days[0] as { day: string; working: boolean; kind: string | null; name: string | null };
    let day = '';
    for (let d = new Date(Date.now() + 180 * DAY); !day; d = new Date(d.getTime() + DAY)) {
      const iso = d.toISOString().slice(0, 10);
      if (new Date(`${iso}T12:00:00Z`).getUTCDay() === 6 && (await calendar(iso)).kind === null) day = iso;
    }
    expect(await calendar(day)).to.include({ working: false, kind: null });

    await login(page, t.baseUrl, 'chief', '/admin');
    await page.click('.el-tabs__item:has-text("工作日历")');
    await page.fill('#pane-calendar .el-date-editor input', day);
    await page.keyboard.press('Enter');
    await choose(page, '#pane-calendar .el-select:has(input[aria-label=类型])', '调休上班');
    await page.fill('#c-name', '测试调休上班');
    await page.click('#pane-calendar button:has-text("保存")');
    const row = `#pane-calendar tr:has-text("${day}")`;
    await until(async () => (await textOf(page, row)).includes('测试调休上班'), { what: 'the day listed' });
    expect(await textOf(page, row)).to.contain('上班');
    expect(await calendar(day)).to.include({ working: true, kind: 'workday', name: '测试调休上班' });

    await page.click(`${row} button:has-text("删除调整")`);
    await until(async () => (await page.$(row)) === null, { what: 'the day gone from the list' });
    expect(await calendar(day)).to.include({ working: false, kind: null });
  });

  it('given the old welcome page address, when it is opened, then it leads to the login page', async () => {
    await page.goto(`${t.baseUrl}/welcome.html`);
    await page.waitForURL('**/login');
    expect(await textOf(page, 'h1')).to.equal('12345 政务服务便民热线');
  });
});
