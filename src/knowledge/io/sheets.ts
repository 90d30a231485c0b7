import type ExcelJS from 'exceljs';
import { parseCsv, toCsv } from './csv';
import { COLUMNS, EXPORT_HEADERS } from './columns';

/** exceljs at the first spreadsheet, not at start: ~270 modules a plain start never uses (issue #13, memory). */
function excel(): typeof ExcelJS {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('exceljs') as typeof ExcelJS;
}

export type SheetFormat = 'xlsx' | 'csv';

export interface ReadSheet {
  header: unknown[];
  /** Data rows with the row number a spreadsheet shows (header = 1); blank rows are skipped. */
  rows: { rowNo: number; cells: unknown[] }[];
}

export class SheetError extends Error {}

/** A cell as plain value: rich text joined, formulas by their result, hyperlinks by their text. */
function cellValue(v: ExcelJS.CellValue): unknown {
  if (v === null || v === undefined) return '';
  if (v instanceof Date || typeof v !== 'object') return v;
  if ('richText' in v) return v.richText.map((r) => r.text).join('');
  if ('result' in v) return (v as ExcelJS.CellFormulaValue).result ?? '';
  if ('text' in v) return String((v as ExcelJS.CellHyperlinkValue).text);
  if ('error' in v) return '';
  return String(v);
}

const blank = (cells: unknown[]) => cells.every((c) => c === '' || c === null || c === undefined || (typeof c === 'string' && !c.trim()));

export async function readSheet(data: Buffer, format: SheetFormat): Promise<ReadSheet> {
  let all: unknown[][];
  if (format === 'csv') {
    try {
      all = parseCsv(data.toString('utf8'));
    } catch (err) {
      throw new SheetError((err as Error).message);
    }
  } else {
    const wb = new (excel().Workbook)();
    try {
      await wb.xlsx.load(data as unknown as ArrayBuffer);
    } catch {
      throw new SheetError('无法读取该 xlsx 文件，请使用模板另存为 Excel 工作簿（.xlsx）');
    }
    // The first sheet holds the entries (the template's instructions are on a later sheet).
    const ws = wb.worksheets[0];
    if (!ws) throw new SheetError('xlsx 文件中没有工作表');
    all = [];
    ws.eachRow({ includeEmpty: true }, (row, n) => {
      const vals = (row.values as ExcelJS.CellValue[]).slice(1).map(cellValue);
      all[n - 1] = vals;
    });
    for (let i = 0; i < all.length; i++) all[i] ??= [];
  }
  if (!all.length || blank(all[0])) throw new SheetError('文件第1行应为表头');
  const rows: ReadSheet['rows'] = [];
  for (let i = 1; i < all.length; i++) if (!blank(all[i])) rows.push({ rowNo: i + 1, cells: all[i] });
  return { header: all[0], rows };
}

/** Template or export as xlsx: a data sheet with headers (required ones marked *), and a 填写说明 sheet. */
export async function writeXlsx(opts: { sheetName: string; rows: string[][]; export?: boolean; instructions?: string[] }): Promise<Buffer> {
  const wb = new (excel().Workbook)();
  wb.creator = '12345热线知识库';
  const ws = wb.addWorksheet(opts.sheetName, { views: [{ state: 'frozen', ySplit: 1 }] });
  const headers = opts.export ? EXPORT_HEADERS : COLUMNS.map((c) => c.header);
  ws.columns = headers.map((h, i) => ({ header: h, key: `c${i}`, width: COLUMNS[i]?.width ?? 10 }));
  const head = ws.getRow(1);
  head.font = { bold: true };
  head.eachCell((cell, i) => {
    const col = COLUMNS[i - 1];
    if (col?.required) cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFE699' } };
    if (col) cell.note = `${col.required ? '必填。' : '选填。'}${col.note}`;
  });
  for (const r of opts.rows) ws.addRow(r);
  ws.getColumn(2).alignment = { wrapText: true, vertical: 'top' };
  if (!opts.export) {
    const regionCol = COLUMNS.findIndex((c) => c.key === 'regionLevel') + 1;
    const visCol = COLUMNS.findIndex((c) => c.key === 'visibility') + 1;
    for (let r = 2; r <= 1000; r++) {
      ws.getCell(r, regionCol).dataValidation = { type: 'list', allowBlank: false, formulae: ['"市,县区,乡镇"'] };
      ws.getCell(r, visCol).dataValidation = { type: 'list', allowBlank: false, formulae: ['"公开,内部"'] };
    }
  }
  if (opts.instructions?.length) {
    const info = wb.addWorksheet('填写说明');
    info.getColumn(1).width = 110;
    for (const line of opts.instructions) info.addRow([line]);
    info.getRow(1).font = { bold: true, size: 13 };
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function writeCsv(rows: string[][], exportHeaders = false): Buffer {
  const headers = exportHeaders ? EXPORT_HEADERS : COLUMNS.map((c) => c.header);
  return Buffer.from(toCsv([headers, ...rows]), 'utf8');
}
