import { Knex } from 'knex';
import { conflict, notFound } from '../../http/errors';

export type LineKind = 'city' | 'county' | 'branch' | 'parallel' | 'expert' | 'emergency' | 'utility';
export const LINE_KINDS: LineKind[] = ['city', 'county', 'branch', 'parallel', 'expert', 'emergency', 'utility'];
export type LineHours = '24x7' | 'office';

export interface Line {
  code: string;
  name: string;
  kind: LineKind;
  centre: string | null;
  dial: string;
  hours: LineHours;
  reachable: boolean;
  ticketUnit: string | null;
  sort: number;
  note: string | null;
}

/**
 * The lines of Qingyang the hotline transfers to. 第十九条: the city line, every county/district line,
 * the 双号并行 lines that kept their seats and the branch centres transfer to each other with one key.
 * 第十条(六): 12333 and 12348 keep expert seats in the hall (queues) or remote expert seats.
 * 第十二条: linkage with 110/119/120/122 and the public utilities (水电气热).
 * County and emergency lines are SIP trunks in dialplan/pjsip.conf; other numbers go out via the carrier.
 */
export const SEED_LINES: Line[] = [
  { code: 'QY', name: '庆阳市12345热线', kind: 'city', centre: 'QY', dial: 'Local/12345@from-carrier', hours: '24x7', reachable: true, ticketUnit: null, sort: 0, note: '市级平台(本平台)' },
  ...([
    ['XF', '西峰区12345热线', 'trunk-xf', 'QY-XF'],
    ['QC', '庆城县12345热线', 'trunk-qc', 'QY-QC'],
    ['HX', '环县12345热线', 'trunk-hx', 'QY-HX'],
    ['HC', '华池县12345热线', 'trunk-hc', 'QY-HC'],
    ['HS', '合水县12345热线', 'trunk-hs', 'QY-HS'],
    ['ZN', '正宁县12345热线', 'trunk-zn', 'QY-ZN'],
    ['NX', '宁县12345热线', 'trunk-nx', 'QY-NX'],
    ['ZY', '镇原县12345热线', 'trunk-zy', 'QY-ZY'],
  ] as const).map(([code, name, trunk, unit], i): Line => ({ code, name, kind: 'county', centre: code, dial: `PJSIP/${trunk}`, hours: '24x7', reachable: true, ticketUnit: unit, sort: 10 + i, note: '县(区)12345热线平台专线' })),
  { code: 'P-12315', name: '12315市场监管投诉举报热线', kind: 'parallel', centre: null, dial: 'PJSIP/12315@carrier', hours: 'office', reachable: true, ticketUnit: 'QY-SCJGJ', sort: 30, note: '双号并行,保留座席' },
  { code: 'P-12319', name: '12319城市管理服务热线', kind: 'parallel', centre: null, dial: 'PJSIP/12319@carrier', hours: 'office', reachable: true, ticketUnit: 'QY-CGZFJ', sort: 31, note: '双号并行' },
  { code: 'B-YB', name: '医保服务分中心', kind: 'branch', centre: null, dial: 'PJSIP/09348223200@carrier', hours: 'office', reachable: true, ticketUnit: 'QY-YBJ', sort: 40, note: '分中心热线' },
  { code: 'E-12333', name: '12333人社专家座席(驻场)', kind: 'expert', centre: null, dial: 'PJSIP/12333', hours: 'office', reachable: true, ticketUnit: 'QY-RSJ', sort: 50, note: '话务大厅驻场专家座席' },
  { code: 'E-12348', name: '12348公共法律服务专家座席(驻场)', kind: 'expert', centre: null, dial: 'PJSIP/12348', hours: 'office', reachable: true, ticketUnit: null, sort: 51, note: '话务大厅驻场专家座席' },
  { code: 'EQ-12333', name: '12333人社专家座席(排队)', kind: 'expert', centre: null, dial: 'Local/12333@hotline-experts', hours: 'office', reachable: true, ticketUnit: 'QY-RSJ', sort: 52, note: '驻场专家队列 q-expert-12333' },
  { code: 'EQ-12348', name: '12348公共法律服务专家座席(排队)', kind: 'expert', centre: null, dial: 'Local/12348@hotline-experts', hours: 'office', reachable: true, ticketUnit: null, sort: 53, note: '驻场专家队列 q-expert-12348' },
  { code: 'ER-12348', name: '12348远端专家座席', kind: 'expert', centre: null, dial: 'PJSIP/12348@carrier', hours: '24x7', reachable: true, ticketUnit: null, sort: 54, note: '因客观原因无法驻场的部门远端专家座席' },
  { code: '110', name: '110报警服务台', kind: 'emergency', centre: null, dial: 'PJSIP/link-110', hours: '24x7', reachable: true, ticketUnit: null, sort: 60, note: '12345与110一键互转(国办发〔2022〕12号)' },
  { code: '119', name: '119消防救援', kind: 'emergency', centre: null, dial: 'PJSIP/link-119', hours: '24x7', reachable: true, ticketUnit: null, sort: 61, note: null },
  { code: '120', name: '120急救中心', kind: 'emergency', centre: null, dial: 'PJSIP/link-120', hours: '24x7', reachable: true, ticketUnit: null, sort: 62, note: null },
  { code: '122', name: '122交通事故报警', kind: 'emergency', centre: null, dial: 'PJSIP/link-122', hours: '24x7', reachable: true, ticketUnit: null, sort: 63, note: null },
  { code: 'U-95598', name: '95598供电服务热线', kind: 'utility', centre: null, dial: 'PJSIP/95598@carrier', hours: '24x7', reachable: true, ticketUnit: 'QY-GDGS', sort: 70, note: '水电气热公共事业联动(第十二条)' },
];

function toLine(r: Record<string, unknown>): Line {
  return {
    code: r.code as string, name: r.name as string, kind: r.kind as LineKind, centre: (r.centre as string | null) ?? null,
    dial: r.dial as string, hours: r.hours as LineHours, reachable: !!r.reachable, ticketUnit: (r.ticket_unit as string | null) ?? null,
    sort: Number(r.sort), note: (r.note as string | null) ?? null,
  };
}

function toRow(l: Partial<Line>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  if (l.code !== undefined) row.code = l.code;
  if (l.name !== undefined) row.name = l.name;
  if (l.kind !== undefined) row.kind = l.kind;
  if (l.centre !== undefined) row.centre = l.centre;
  if (l.dial !== undefined) row.dial = l.dial;
  if (l.hours !== undefined) row.hours = l.hours;
  if (l.reachable !== undefined) row.reachable = l.reachable;
  if (l.ticketUnit !== undefined) row.ticket_unit = l.ticketUnit;
  if (l.sort !== undefined) row.sort = l.sort;
  if (l.note !== undefined) row.note = l.note;
  return row;
}

/** Is the line staffed now? 7×24 lines always; office-hours lines on working days in office hours. */
export type OpenCheck = (at: Date) => boolean;

/** The device part of a dial string, as channel names start: `PJSIP/trunk-hx`, `PJSIP/carrier`, `Local/12348@hotline-experts`. */
export function dialDevice(dial: string): string {
  const m = /^([A-Za-z]+)\/([^/]+)/.exec(dial.trim());
  if (!m) return dial;
  if (m[1].toUpperCase() === 'PJSIP' && m[2].includes('@')) return `PJSIP/${m[2].split('@')[1]}`;
  return `${m[1]}/${m[2]}`;
}

export class LineDirectory {
  constructor(private readonly knex: Knex) {}

  /** Seed an empty directory; administrators' edits are never overwritten. */
  async seed(): Promise<number> {
    const r = await this.knex('call_lines').insert(SEED_LINES.map(toRow)).onConflict('code').ignore().returning('code');
    return r.length;
  }

  async list(filter: { kind?: LineKind } = {}): Promise<Line[]> {
    const q = this.knex('call_lines').orderBy([{ column: 'sort' }, { column: 'code' }]);
    if (filter.kind) q.where('kind', filter.kind);
    return (await q).map(toLine);
  }

  async find(code: string): Promise<Line | null> {
    const r = await this.knex('call_lines').where({ code }).first();
    return r ? toLine(r) : null;
  }

  async get(code: string): Promise<Line> {
    const l = await this.find(code);
    if (!l) throw notFound('line.not_found', `线路 ${code} 不存在`, { code });
    return l;
  }

  async create(l: Line): Promise<Line> {
    const r = await this.knex('call_lines').insert(toRow(l)).onConflict('code').ignore().returning('code');
    if (!r.length) throw conflict('line.exists', `线路 ${l.code} 已存在`, { code: l.code });
    return this.get(l.code);
  }

  async update(code: string, patch: Partial<Omit<Line, 'code'>>): Promise<Line> {
    const n = await this.knex('call_lines').where({ code }).update({ ...toRow(patch), updated_at: this.knex.fn.now() });
    if (!n) throw notFound('line.not_found', `线路 ${code} 不存在`, { code });
    return this.get(code);
  }

  async remove(code: string): Promise<void> {
    const n = await this.knex('call_lines').where({ code }).delete();
    if (!n) throw notFound('line.not_found', `线路 ${code} 不存在`, { code });
  }
}
