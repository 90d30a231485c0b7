import fs from 'node:fs';
import { Knex } from 'knex';

/**
 * CPU time spent on a phase by this process (the service under test) and by the PostgreSQL backends
 * serving its database, so a bench on a shared machine can say what one request costs whatever else
 * runs beside it. PostgreSQL's share is read from /proc (same host only; 0 when not readable).
 */
export interface CpuMark {
  own: NodeJS.CpuUsage;
  pg: Map<number, number>;
}

const TICKS_PER_S = 100;

function procCpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return null;
  }
}

async function backends(knex: Knex): Promise<number[]> {
  const r = await knex.raw(`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
  return (r.rows as Array<{ pid: number }>).map((x) => x.pid);
}

export async function cpuMark(knex: Knex): Promise<CpuMark> {
  const pg = new Map<number, number>();
  for (const pid of await backends(knex)) {
    const ms = procCpuMs(pid);
    if (ms !== null) pg.set(pid, ms);
  }
  return { own: process.cpuUsage(), pg };
}

/** CPU ms per operation since `start`: this process, and the database's backends (those alive at the end). */
export async function cpuPerOp(knex: Knex, start: CpuMark, ops: number): Promise<{ service: number; postgres: number }> {
  const own = process.cpuUsage(start.own);
  let pg = 0;
  for (const pid of await backends(knex)) {
    const ms = procCpuMs(pid);
    if (ms !== null) pg += ms - (start.pg.get(pid) ?? 0);
  }
  const n = Math.max(1, ops);
  return { service: (own.user + own.system) / 1000 / n, postgres: pg / n };
}
