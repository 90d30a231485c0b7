import { Knex } from 'knex';

export interface Centre {
  code: string;
  name: string;
  kind: 'city' | 'county' | 'branch' | 'parallel';
  queue: string;
  backupQueue: string | null;
  inboundNumber: string | null;
  serverId: string | null;
  fallbackWaitSeconds: number;
  maxWaiting: number;
  shiftProfiles: ShiftProfile[];
}

/** Staffing by shift (7×24, 第二条): which hours, which days, how many operators a centre plans. */
export interface ShiftProfile {
  name: string;
  /** 'workday' | 'weekend' | 'holiday' | 'all' */
  days: string;
  from: string;
  to: string;
  targetStaff: number;
}

const DAY_NIGHT = (day: number, night: number, holiday: number): ShiftProfile[] => [
  { name: '白班', days: 'workday', from: '08:00', to: '20:00', targetStaff: day },
  { name: '周末白班', days: 'weekend', from: '08:00', to: '20:00', targetStaff: holiday },
  { name: '节假日白班', days: 'holiday', from: '08:00', to: '20:00', targetStaff: holiday },
  { name: '夜班', days: 'all', from: '20:00', to: '08:00', targetStaff: night },
];

/** The Qingyang centres of the measures (第三条, 第十九条): the city line, its counties and district. */
export const QINGYANG_CENTRES: Centre[] = [
  { code: 'QY', name: '庆阳市12345热线', kind: 'city', queue: 'q-qy', backupQueue: 'q-qy-backup', inboundNumber: '12345', serverId: null, fallbackWaitSeconds: 120, maxWaiting: 60, shiftProfiles: DAY_NIGHT(12, 4, 6) },
  ...[
    ['XF', '西峰区', 'q-xf', '1234501'],
    ['QC', '庆城县', 'q-qc', '1234502'],
    ['HX', '环县', 'q-hx', '1234503'],
    ['HC', '华池县', 'q-hc', '1234504'],
    ['HS', '合水县', 'q-hs', '1234505'],
    ['ZN', '正宁县', 'q-zn', '1234506'],
    ['NX', '宁县', 'q-nx', '1234507'],
    ['ZY', '镇原县', 'q-zy', '1234508'],
  ].map(([code, name, queue, number]) => ({ code, name: `${name}12345热线`, kind: 'county' as const, queue, backupQueue: 'q-qy', inboundNumber: number, serverId: null, fallbackWaitSeconds: 120, maxWaiting: 30, shiftProfiles: DAY_NIGHT(3, 1, 2) })),
];

function toCentre(r: Record<string, unknown>): Centre {
  return {
    code: r.code as string,
    name: r.name as string,
    kind: r.kind as Centre['kind'],
    queue: r.queue as string,
    backupQueue: (r.backup_queue as string | null) ?? null,
    inboundNumber: (r.inbound_number as string | null) ?? null,
    serverId: (r.server_id as string | null) ?? null,
    fallbackWaitSeconds: Number(r.fallback_wait_seconds),
    maxWaiting: Number(r.max_waiting),
    shiftProfiles: (r.shift_profiles as ShiftProfile[]) ?? [],
  };
}

/** The centres and their queues, kept in PostgreSQL; seeded with Qingyang's on an empty table. */
export class CentreDirectory {
  private cache: Centre[] = [];

  constructor(private readonly knex: Knex) {}

  async load(): Promise<Centre[]> {
    const [{ n }] = await this.knex('centres').count<{ n: string }[]>({ n: '*' });
    if (Number(n) === 0) {
      await this.knex('centres')
        .insert(QINGYANG_CENTRES.map((c) => ({ code: c.code, name: c.name, kind: c.kind, queue: c.queue, backup_queue: c.backupQueue, inbound_number: c.inboundNumber, server_id: c.serverId, fallback_wait_seconds: c.fallbackWaitSeconds, max_waiting: c.maxWaiting, shift_profiles: JSON.stringify(c.shiftProfiles) })))
        .onConflict('code')
        .ignore();
    }
    this.cache = (await this.knex('centres').orderBy('code')).map(toCentre);
    return this.cache;
  }

  all(): Centre[] {
    return this.cache;
  }

  byCode(code: string | null | undefined): Centre | undefined {
    return this.cache.find((c) => c.code === code);
  }

  byQueue(queue: string): Centre | undefined {
    return this.cache.find((c) => c.queue === queue) ?? this.cache.find((c) => c.backupQueue === queue && c.kind === 'city');
  }

  queues(): string[] {
    return [...new Set(this.cache.flatMap((c) => [c.queue, ...(c.backupQueue ? [c.backupQueue] : [])]))];
  }
}
