import { Basis, EntryContent, RegionLevel, Visibility, Entry } from '../types';
import { STATE_LABELS } from '../state';

/** One column of the import/export sheet: Chinese header (what units fill in) and its field. */
export interface Column {
  key: string;
  header: string;
  required: boolean;
  note: string;
  width: number;
}

export const COLUMNS: Column[] = [
  { key: 'question', header: '问题', required: true, note: '群众会怎么问，一句话，不超过200字', width: 36 },
  { key: 'answer', header: '答复口径', required: true, note: '话务员可直接答复的内容，不超过3000字', width: 60 },
  { key: 'basisDocument', header: '依据文件名称', required: true, note: '如：庆阳市12345政务服务便民热线管理办法', width: 30 },
  { key: 'basisNumber', header: '依据文号', required: false, note: '如：庆政办发〔2022〕157号', width: 20 },
  { key: 'basisArticle', header: '依据条款', required: false, note: '如：第二十一条', width: 14 },
  { key: 'unitCode', header: '责任单位代码', required: true, note: '报送单位代码（谁报送谁负责）', width: 14 },
  { key: 'unitName', header: '责任单位名称', required: true, note: '报送单位全称', width: 24 },
  { key: 'regionLevel', header: '区域级别', required: true, note: '市 / 县区 / 乡镇', width: 10 },
  { key: 'regionName', header: '区域名称', required: true, note: '如：庆阳市、西峰区、肖金镇', width: 14 },
  { key: 'category', header: '分类', required: false, note: '多级分类用“/”分隔，如：社会保障/养老保险', width: 22 },
  { key: 'keywords', header: '关键词', required: false, note: '多个关键词用“、”或逗号分隔', width: 20 },
  { key: 'effectiveFrom', header: '生效时间', required: true, note: '北京时间，格式 2026-01-01 或 2026-01-01 08:00', width: 18 },
  { key: 'removalAt', header: '下架时间', required: false, note: '北京时间，留空表示长期有效；须晚于生效时间', width: 18 },
  { key: 'visibility', header: '公开属性', required: true, note: '公开（可在网站、微信展示）/ 内部（仅话务员使用）', width: 10 },
];

/** Export-only columns, ignored on import. */
export const EXPORT_EXTRA = [
  { key: 'id', header: '条目编号' },
  { key: 'state', header: '状态' },
  { key: 'version', header: '版本' },
];

const REGION: Record<string, RegionLevel> = { 市: 'city', 市级: 'city', city: 'city', 县区: 'county', 县: 'county', 区: 'county', '县(区)': 'county', 县级: 'county', county: 'county', 乡镇: 'township', 镇: 'township', 乡: 'township', 街道: 'township', township: 'township' };
const REGION_LABEL: Record<RegionLevel, string> = { city: '市', county: '县区', township: '乡镇' };
const VIS: Record<string, Visibility> = { 公开: 'public', public: 'public', 内部: 'internal', 不公开: 'internal', internal: 'internal' };
const VIS_LABEL: Record<Visibility, string> = { public: '公开', internal: '内部' };

export interface RowError {
  /** Row number as the spreadsheet shows it (the header is row 1). */
  row: number;
  column: string;
  problem: string;
}

const SHANGHAI_MS = 8 * 3600_000;

/** `2026-01-01`, `2026/1/1 08:00`, `2026-01-01T08:00:00` read as Beijing time; a spreadsheet Date as its wall time. */
export function parseShanghaiTime(v: unknown): Date | null {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return null;
    // Spreadsheet dates carry no zone; exceljs gives the wall time as UTC.
    return new Date(v.getTime() - SHANGHAI_MS);
  }
  const s = String(v ?? '').trim();
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return null;
  const t = Date.UTC(y, mo - 1, d, h, mi, se) - SHANGHAI_MS;
  const check = new Date(t + SHANGHAI_MS);
  if (check.getUTCDate() !== d) return null; // 2026-02-30
  return new Date(t);
}

export function formatShanghaiTime(d: Date | null): string {
  if (!d) return '';
  const s = new Date(d.getTime() + SHANGHAI_MS).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)}`;
}

const split = (s: string, re: RegExp) => s.split(re).map((x) => x.trim()).filter(Boolean);

/** Validate one data row (by header key). Returns the content, or the row's problems. */
export function validateRow(cells: Record<string, unknown>, rowNo: number, scope: { onlyUnit?: string | null }): { content?: EntryContent; errors: RowError[] } {
  const errors: RowError[] = [];
  const get = (key: string) => {
    const v = cells[key];
    if (v instanceof Date) return v;
    return v === undefined || v === null ? '' : String(v).trim();
  };
  const err = (key: string, problem: string) => errors.push({ row: rowNo, column: COLUMNS.find((c) => c.key === key)!.header, problem });
  for (const c of COLUMNS) if (c.required && get(c.key) === '') err(c.key, '必填项为空');
  const question = String(get('question'));
  const answer = String(get('answer'));
  if (question.length > 200) err('question', `问题超过200字（${question.length}字）`);
  if (answer.length > 3000) err('answer', `答复口径超过3000字（${answer.length}字）`);
  const unitCode = String(get('unitCode'));
  if (unitCode && !/^[A-Za-z0-9_.-]{1,64}$/.test(unitCode)) err('unitCode', '单位代码只能包含字母、数字、-、_、.');
  if (unitCode && scope.onlyUnit !== undefined && scope.onlyUnit !== null && unitCode !== scope.onlyUnit) err('unitCode', `只能导入本单位（${scope.onlyUnit}）的知识条目`);
  const regionRaw = String(get('regionLevel'));
  const regionLevel = REGION[regionRaw];
  if (regionRaw && !regionLevel) err('regionLevel', `“${regionRaw}”不是有效的区域级别，应为 市、县区 或 乡镇`);
  const visRaw = String(get('visibility'));
  const visibility = VIS[visRaw];
  if (visRaw && !visibility) err('visibility', `“${visRaw}”不是有效的公开属性，应为 公开 或 内部`);
  const effRaw = get('effectiveFrom');
  const effectiveFrom = effRaw === '' ? null : parseShanghaiTime(effRaw);
  if (effRaw !== '' && !effectiveFrom) err('effectiveFrom', `无法识别的时间“${String(effRaw)}”，应为 2026-01-01 或 2026-01-01 08:00`);
  const remRaw = get('removalAt');
  const removalAt = remRaw === '' ? null : parseShanghaiTime(remRaw);
  if (remRaw !== '' && !removalAt) err('removalAt', `无法识别的时间“${String(remRaw)}”，应为 2026-01-01 或 2026-01-01 08:00`);
  if (effectiveFrom && removalAt && removalAt <= effectiveFrom) err('removalAt', '下架时间必须晚于生效时间');
  if (errors.length) return { errors };
  const basis: Basis = { document: String(get('basisDocument')).replace(/^《|》$/g, ''), number: String(get('basisNumber')) || null, article: String(get('basisArticle')) || null };
  return {
    errors,
    content: {
      question,
      answer,
      basis: [basis],
      unitCode,
      unitName: String(get('unitName')),
      regionLevel: regionLevel!,
      regionName: String(get('regionName')),
      categoryPath: split(String(get('category')), /[/／>]/),
      keywords: split(String(get('keywords')), /[、,，;；\s]+/),
      effectiveFrom: effectiveFrom!,
      removalAt,
      visibility: visibility!,
    },
  };
}

/** An entry as a sheet row (export), same order as COLUMNS then EXPORT_EXTRA. */
export function entryToRow(e: Entry): string[] {
  const b = e.basis[0] ?? { document: '', number: '', article: '' };
  return [
    e.question,
    e.answer,
    e.basis.map((x) => x.document).join('；') || b.document,
    e.basis.map((x) => x.number ?? '').filter(Boolean).join('；'),
    e.basis.map((x) => x.article ?? '').filter(Boolean).join('；'),
    e.unitCode,
    e.unitName,
    REGION_LABEL[e.regionLevel],
    e.regionName,
    e.categoryPath.join('/'),
    e.keywords.join('、'),
    formatShanghaiTime(e.effectiveFrom),
    formatShanghaiTime(e.removalAt),
    VIS_LABEL[e.visibility],
    String(e.id),
    STATE_LABELS[e.state],
    String(e.version),
  ];
}

export const EXPORT_HEADERS = [...COLUMNS.map((c) => c.header), ...EXPORT_EXTRA.map((c) => c.header)];

/**
 * Map a header row to column keys. Unknown headers are ignored (export extras, remarks); a missing
 * required column is a file-level problem reported on row 1.
 */
export function mapHeaders(header: unknown[]): { keys: (string | null)[]; errors: RowError[] } {
  const names = header.map((h) => String(h ?? '').replace(/[*＊\s]/g, ''));
  const keys = names.map((n) => COLUMNS.find((c) => c.header === n)?.key ?? null);
  const errors: RowError[] = [];
  for (const c of COLUMNS) if (c.required && !keys.includes(c.key)) errors.push({ row: 1, column: c.header, problem: '表头缺少必填列' });
  return { keys, errors };
}
