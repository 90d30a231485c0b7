import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { writeCsv } from '../../src/knowledge/io/sheets';
import { Browser, Page } from 'playwright-core';
import { startTestService, TestService } from '../support/service';
import { createTicketsFeature } from '../../src/tickets/feature';
import { createKnowledgeFeature } from '../../src/knowledge/feature';
import { createCallsFeature } from '../../src/calls/feature';
import { launch, newPage, login, screens, textOf, until, axeViolations } from './browser';

/**
 * Issue 12: the back-office pages (知识库, admin, auditor) in headless Chromium, on the embedded
 * default a newcomer runs (PGlite, the in-process live store), without telephony.
 */
describe('knowledge, admin and audit pages in headless Chromium', function () {
  this.timeout(120_000);
  let t: TestService;
  let browser: Browser;
  let page: Page;

  before(async () => {
    browser = await launch();
    t = await startTestService({ database: 'pglite', redis: false, features: [createTicketsFeature(), createKnowledgeFeature(), createCallsFeature()] });
    await t.userToken(['admin'], { username: 'chief' });
    await t.userToken(['auditor'], { username: 'shenji' });
    await t.userToken(['supervisor'], { username: 'banzhang' });
    await t.userToken(['unit_handler'], { username: 'ybj', unitCode: 'QY-YBJ' });
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

  it('given an admin, when they open users and seats and bind a new operator to a softphone, then the account exists with its extension; lines and the calendar are shown in Chinese', async () => {
    await login(page, t.baseUrl, 'chief', '/admin');
    await until(async () => (await textOf(page, '[data-test=users]')).includes('chief'), { what: 'the user list' });
    await page.click('[data-test=user-new]');
    await page.fill('#u-name', 'op2001');
    await page.fill('#u-display', '话务员 王芳');
    await page.fill('#u-pass', 'pass-2001-word');
    await page.fill('#u-ext', 'PJSIP/2001');
    await page.click('.el-dialog__footer button:has-text("保存")');
    await until(async () => (await textOf(page, '[data-test=users]')).includes('话务员 王芳'), { what: 'the new account in the list' });
    const u = await t.db.knex('users').where({ username: 'op2001' }).first();
    expect(u).to.include({ extension: 'PJSIP/2001', centre: 'QY' });
    await screens(page, 'admin-users');
    await page.click('.el-tabs__item:has-text("线路目录")');
    await until(async () => (await textOf(page, '#pane-lines')).includes('环县'), { what: 'the lines directory' });
    await screens(page, 'admin-lines');
    await page.click('.el-tabs__item:has-text("工作日历")');
    await screens(page, 'admin-calendar');
    expect(await axeViolations(page)).to.deep.equal([]);
  });

  it('given a unit and a supervisor, when the supervisor searches and the unit writes an entry, then the answer is found and the entry goes through review (four eyes) to published', async () => {
    await login(page, t.baseUrl, 'banzhang', '/supervisor');
    await page.goto(`${t.baseUrl}/knowledge`);
    await page.fill('[data-test=kb-q]', '社保断缴怎么补缴');
    await page.click('[data-test=kb-search]');
    await until(async () => (await textOf(page, '.hit')).includes('社保'), { what: 'a knowledge answer' });
    await screens(page, 'knowledge-search');

    // The unit writes the entry for its own function (第十条(三)) and submits it.
    const unit = (await newPage(browser)).page;
    await login(unit, t.baseUrl, 'ybj', '/unit');
    await unit.goto(`${t.baseUrl}/knowledge`);
    await unit.click('.el-tabs__item:has-text("条目维护与审核")');
    await unit.click('[data-test=kb-new]');
    await unit.fill('#ke-q', '城乡居民医保每年什么时候缴费？');
    await unit.fill('#ke-a', '每年9月至12月为下一年度城乡居民医保集中缴费期，可通过甘肃税务APP或银行网点缴纳。');
    await unit.fill('#ke-d', '庆阳市城乡居民基本医疗保险实施办法');
    await unit.click('.el-dialog__footer button:has-text("保存并报送")');
    const entry = await until(async () => t.db.knex('kb_entries').where({ question: '城乡居民医保每年什么时候缴费？' }).first(), { what: 'the entry' });
    expect(entry).to.include({ state: 'submitted', unit_code: 'QY-YBJ' });
    await unit.context().close();

    // The supervisor reviews it: approve, then publish.
    await page.click('.el-tabs__item:has-text("条目维护与审核")');
    await until(async () => !!(await page.$(`[data-test=kb-approve-${entry.id}]`)), { what: 'the approve button' });
    await page.click(`[data-test=kb-approve-${entry.id}]`);
    await until(async () => !!(await page.$(`[data-test=kb-publish-${entry.id}]`)), { what: 'the publish button' });
    await screens(page, 'knowledge-review');
    await page.click(`[data-test=kb-publish-${entry.id}]`);
    await until(async () => (await t.db.knex('kb_entries').where({ id: entry.id }).first()).state === 'published', { what: 'published' });
    expect(await axeViolations(page)).to.deep.equal([]);
  });

  it('given a supervisor, when they import a sheet with a bad row and then a good one of 300 entries, then the bad row is reported by row and column and nothing imported, and the good one shows its progress to 已完成', async () => {
    const row = (q: string) => [q, '可通过甘肃税务APP或银行网点缴纳。', '庆阳市城乡居民基本医疗保险实施办法', '', '', 'QY-YBJ', '庆阳市医疗保障局', '市', '庆阳市', '医疗保障/缴费', '医保、缴费', '2026-01-01', '', '公开'];
    const bad = row('导入测试：医保缴费时间有误？');
    bad[11] = '2026-13-01';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hl-e2e-kb-'));
    try {
      fs.writeFileSync(path.join(dir, '有错误.csv'), writeCsv([row('导入测试：第一条？'), bad]));
      fs.writeFileSync(path.join(dir, '医保知识.csv'), writeCsv(Array.from({ length: 300 }, (_, i) => row(`导入测试：医保问题第${i + 1}条？`))));
      await login(page, t.baseUrl, 'banzhang', '/supervisor');
      await page.goto(`${t.baseUrl}/knowledge`);
      await page.click('.el-tabs__item:has-text("导入导出")');

      await page.setInputFiles('[data-test=kb-import-input]', path.join(dir, '有错误.csv'));
      await until(async () => (await textOf(page, '[data-test=kb-import-state]')).startsWith('校验未通过'), { what: 'the import rejected' });
      const errors = await textOf(page, '[data-test=kb-import-errors]');
      expect(errors).to.contain('生效时间');
      expect(errors).to.contain('3'); // the sheet's row number, header being row 1
      expect(await t.db.knex('kb_entries').where('question', 'like', '导入测试：%')).to.have.length(0);

      await page.setInputFiles('[data-test=kb-import-input]', path.join(dir, '医保知识.csv'));
      await until(async () => (await textOf(page, '[data-test=kb-import-state]')).startsWith('已完成'), { timeoutMs: 60_000, what: 'the import done' });
      expect(await textOf(page, '[data-test=kb-import-state]')).to.contain('共 300 行，已导入 300 行');
      expect(await page.getAttribute('[data-test=kb-import-progress]', 'aria-valuenow')).to.equal('100');
      expect(await t.db.knex('kb_entries').where('question', 'like', '导入测试：医保问题%').where({ state: 'submitted' })).to.have.length(300);
      await screens(page, 'knowledge-import');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('given an auditor, when they log in, then they land on the audit log with the logins and recording accesses in Chinese', async () => {
    await login(page, t.baseUrl, 'shenji', '/audit');
    await until(async () => (await textOf(page, '[data-test=audit]')).includes('登录'), { what: 'the audit rows' });
    await screens(page, 'audit-log');
    expect(await axeViolations(page)).to.deep.equal([]);
  });
});
