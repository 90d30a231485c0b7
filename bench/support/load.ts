import { ChildProcess } from 'node:child_process';

/** Shared by the HTTP benches: arguments, percentiles, and one job for the load generator child. */
export function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
export const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
export const f1 = (x: number) => x.toFixed(1);

export interface LoadResult { latencies: number[]; errors: number; sent: number; elapsedS: number; failures?: Record<string, number> }

/** Hand a job to bench/support/http-load-child.ts and wait for its answer. */
export function run(child: ChildProcess, job: Record<string, unknown>): Promise<LoadResult> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as LoadResult));
    child.send(job);
  });
}
