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

/**
 * A V8 CPU profile of this process over one phase, when the bench is run with `--profile <file>`
 * (e.g. `--profile /tmp/create.cpuprofile`; with a label, one file per phase: create-dispatch.cpuprofile …): open it in Chrome DevTools or any .cpuprofile viewer.
 * Only the phase between start and stop is recorded, not the warm-up nor the direct inserts.
 */
export async function cpuProfileStart(label?: string): Promise<() => Promise<void>> {
  const i = process.argv.indexOf('--profile');
  if (i < 0) return async () => {};
  const given = process.argv[i + 1]!;
  const file = label ? given.replace(/(\.cpuprofile)?$/, `-${label}.cpuprofile`) : given;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`  CPU profile of this phase written to ${file}`);
  };
}
