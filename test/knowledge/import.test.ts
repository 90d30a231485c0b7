import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { createTestDatabase, TestDatabase } from '../support/db';
import { silentLogger } from '../../src/logging/logger';
import { MemoryLiveStore } from '../../src/live/memory-store';
import { ImportJobs } from '../../src/knowledge/io/import-jobs';
import { COLUMNS } from '../../src/knowledge/io/columns';
import { readSheet, writeCsv, writeXlsx } from '../../src/knowledge/io/sheets';
import { parseCsv, toCsv } from '../../src/knowledge/io/csv';
import { templateRows } from '../../src/knowledge/io/templates';
import { knowledgeOn, reviewer, unitHandler } from './helpers';

const HEADER = COLUMNS.map((c) => c.header);
const good = (q: string, unit = 'QY-RSJ') => [q, '答复口径内容', '中华人民共和国社会保险法', '主席令第35号', '第十条', unit, '庆阳市人力资源和社会保障局', '市', '庆阳市', '社会保障/养老保险', '养老、参保', '2026-01-01', '', '公开'];

describe('knowledge import/export (xlsx, CSV) with row-level errors', () => {
  let db: TestDatabase;
  let k: ReturnType<typeof knowledgeOn>;
  let live: MemoryLiveStore;
  let jobs: ImportJobs;
  before(async () => {
    db = await createTestDatabase();
    k = knowledgeOn(db.knex);
    live = new MemoryLiveStore();
    jobs = new ImportJobs(db.knex, k.service, live, null, silentLogger());
  });
  after(async () => {
    await live.close();
    await db.destroy();
  });

  const run = async (data: Buffer, format: 'csv' | 'xlsx', mode: 'all_or_nothing' | 'valid_rows', actor = unitHandler('QY-RSJ'), then: 'draft' | 'submit' | 'publish' = 'draft') => {
    const job = await jobs.start(data, { format, mode, then }, actor);
    await jobs.drain();
    return jobs.get(job.id, actor);
  };
  const countQ = async (prefix: string) => Number((await db.knex('kb_entries').whereLike('question', `${prefix}%`).count({ n: '*' }))[0].n);

  it('given a CSV with a bad date, an unknown region level, an empty answer and another unit’s row, when imported all-or-nothing, then each problem is reported by row and column and nothing is imported', async () => {
    const bad1 = good('甲-导入测试二？');
    bad1[11] = '2026-13-01';
    const bad2 = good('甲-导入测试三？');
    bad2[7] = '省';
    bad2[1] = '';
    const bad3 = good('甲-导入测试四？', 'QY-YBJ');
    const csv = writeCsv([good('甲-导入测试一？'), bad1, bad2, bad3]);
    const job = await run(csv, 'csv', 'all_or_nothing');
    expect(job.state).to.equal('rejected');
    expect(job.importedRows).to.equal(0);
    expect(job.errors).to.deep.include({ row: 3, column: '生效时间', problem: '无法识别的时间“2026-13-01”，应为 2026-01-01 或 2026-01-01 08:00' });
    expect(job.errors.filter((e) => e.row === 4).map((e) => e.column).sort()).to.deep.equal(['区域级别', '答复口径'].sort());
    expect(job.errors).to.deep.include({ row: 5, column: '责任单位代码', problem: '只能导入本单位（QY-RSJ）的知识条目' });
    expect(await countQ('甲-')).to.equal(0);
  });

  it('given the same file, when imported with valid_rows, then the good row is imported as a draft with a version row and the errors are still reported', async () => {
    const bad = good('乙-导入测试二？');
    bad[12] = '2025-01-01'; // removal before effective
    const job = await run(writeCsv([good('乙-导入测试一？'), bad]), 'csv', 'valid_rows');
    expect(job).to.include({ state: 'done', importedRows: 1, totalRows: 2 });
    expect(job.errors).to.deep.equal([{ row: 3, column: '下架时间', problem: '下架时间必须晚于生效时间' }]);
    const row = await db.knex('kb_entries').where({ question: '乙-导入测试一？' }).first();
    expect(row).to.include({ state: 'draft', source: 'import', unit_code: 'QY-RSJ' });
    const versions = await k.store.versions(Number(row.id));
    expect(versions[0]).to.include({ action: 'import' });
  });

  it('given a header row missing a required column, when imported, then the file is rejected with the column named on row 1', async () => {
    const text = toCsv([HEADER.filter((h) => h !== '公开属性'), good('丙-缺列？').slice(0, 13)]);
    const job = await run(Buffer.from(text), 'csv', 'valid_rows');
    expect(job.state).to.equal('rejected');
    expect(job.errors).to.deep.equal([{ row: 1, column: '公开属性', problem: '表头缺少必填列' }]);
  });

  it('given the xlsx township template filled in by a township, when a reviewer imports it with then=publish, then the entries are published and searchable', async () => {
    const rows = templateRows('township').map((r) => [r[0].replace('【示例】', '丁-'), ...r.slice(1)]);
    const xlsx = await writeXlsx({ sheetName: '一问一答', rows, instructions: ['说明'] });
    await k.search.start();
    const job = await run(xlsx, 'xlsx', 'all_or_nothing', reviewer(), 'publish');
    expect(job.errors).to.deep.equal([]);
    expect(job).to.include({ state: 'done', importedRows: 3 });
    const hits = k.search.current.search('村里路灯坏了找谁修', { regionLevel: 'township' });
    expect(hits[0]?.question).to.equal('丁-村里路灯坏了找谁修？');
    expect(hits[0]?.regionName).to.equal('XX镇');
    await k.search.stop();
  });

  it('given a unit handler, when importing with then=publish, then it is refused (403)', async () => {
    try {
      await jobs.start(writeCsv([good('戊-越权发布？')]), { format: 'csv', mode: 'all_or_nothing', then: 'publish' }, unitHandler());
      expect.fail('unit published by import');
    } catch (err) {
      expect((err as { status: number }).status).to.equal(403);
    }
  });

  it('given an xlsx with real date cells and rich text, when read, then dates are taken as Beijing wall time', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('一问一答');
    ws.addRow(HEADER);
    const r = good('己-日期单元格？');
    ws.addRow([...r.slice(0, 11), new Date(Date.UTC(2026, 0, 1, 8, 0)), '', '内部']);
    ws.getCell('A2').value = { richText: [{ text: '己-日期' }, { text: '单元格？' }] };
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    const job = await run(buf, 'xlsx', 'all_or_nothing');
    expect(job.errors).to.deep.equal([]);
    const row = await db.knex('kb_entries').where({ question: '己-日期单元格？' }).first();
    expect(new Date(row.effective_from).toISOString()).to.equal('2026-01-01T00:00:00.000Z'); // 08:00 Beijing
    expect(row.visibility).to.equal('internal');
  });

  it('given CSV fields with commas, quotes and line breaks, when written and parsed back, then they round-trip', async () => {
    const rows = [['a,b', '他说"可以"', '第一行\r\n第二行', ' 空格 ']];
    expect(parseCsv(toCsv(rows))).to.deep.equal(rows);
    const sheet = await readSheet(writeCsv([good('庚-往返？')]), 'csv');
    expect(sheet.header).to.deep.equal(HEADER);
    expect(sheet.rows[0]).to.deep.include({ rowNo: 2 });
  });
});
