import type ExcelJS from 'exceljs';
import { FIGURES, RATES } from './figures';
import { DIMENSIONS, Dimension } from './repository';
import { Report, ReportRow } from './service';

/** exceljs at the first spreadsheet, not at start: ~270 modules a plain start never uses (issue #13, memory). */
function excel(): typeof ExcelJS {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('exceljs') as typeof ExcelJS;
}

/** Sheet names and first-column headings, in Chinese (the xlsx goes to the government, 第二十六条). */
export const DIMENSION_SHEETS: Record<Dimension, { sheet: string; heading: string }> = {
  centre: { sheet: '按热线中心', heading: '热线中心' },
  unit: { sheet: '按承办单位', heading: '承办单位' },
  category: { sheet: '按诉求类别', heading: '诉求类别' },
  domain: { sheet: '按领域', heading: '领域' },
  region: { sheet: '按区域', heading: '区域' },
};
export const SUMMARY_SHEET = '汇总';
export const HOT_SHEET = '热点问题';

/** The headings of a figures sheet after its first column: every count, then every rate. */
export const FIGURE_HEADINGS = [...FIGURES.map((f) => f.label), ...RATES.map((r) => r.label)];

function addRows(ws: ExcelJS.Worksheet, first: string, rows: Array<{ label: string } & Pick<ReportRow, 'figures' | 'rates'>>) {
  ws.addRow([first, ...FIGURE_HEADINGS]).font = { bold: true };
  for (const r of rows) {
    ws.addRow([r.label, ...FIGURES.map((f) => r.figures[f.id] ?? 0), ...RATES.map((x) => r.rates[x.id])]);
  }
  RATES.forEach((_, i) => {
    ws.getColumn(2 + FIGURES.length + i).numFmt = '0.00%';
  });
  ws.getColumn(1).width = 24;
  ws.views = [{ state: 'frozen', xSplit: 1, ySplit: 1 }];
}

export async function reportWorkbook(report: Report): Promise<Buffer> {
  const wb = new (excel().Workbook)();
  wb.creator = '12345热线';
  wb.created = new Date(report.generatedAt);
  const title = `${report.period.label}受理分析报告`;
  const summary = wb.addWorksheet(SUMMARY_SHEET);
  addRows(summary, '报告期', [{ label: report.period.label, ...report.total }]);
  summary.addRow([]);
  summary.addRow(['报告', title]);
  summary.addRow(['统计截止', report.asOf]);
  for (const dim of DIMENSIONS) addRows(wb.addWorksheet(DIMENSION_SHEETS[dim].sheet), DIMENSION_SHEETS[dim].heading, report.breakdowns[dim]);
  const hot = wb.addWorksheet(HOT_SHEET);
  hot.addRow(['类型', '热词', '本周工单数', '上周工单数', '增量']).font = { bold: true };
  for (const t of report.hotTopics.terms) hot.addRow(['诉求热词', t.term, t.current, t.previous, t.change]);
  for (const t of report.hotTopics.places) hot.addRow(['热点地点', t.term, t.current, t.previous, t.change]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
