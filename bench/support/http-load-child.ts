/**
 * The load generator of the HTTP benches, in its own process so it does not share the service's event
 * loop (a generator in the same process steals the CPU it measures). Speaks plain node:http with
 * keep-alive connections (lower overhead per request than fetch). Driven over IPC:
 *
 *   { type: 'open', url, token, rate, seconds, bodies }  open loop: request i is sent at i/rate s whether
 *       or not earlier ones have answered, so queueing shows in the latency;
 *   { type: 'closed', url, token, concurrency, seconds, bodies }  closed loop: `concurrency` clients
 *       each send the next request when the last answered (the service's capacity).
 *
 * `bodies` is a template; `{i}` in any string value is replaced by the request's index. With `paths`,
 * request i goes to paths[i] (one per ticket, say; a path may carry a query string) and no more than
 * paths.length are sent. With method 'GET' no body is sent. Answers { latencies (ms), errors, sent, elapsedS,
 * failures (non-2xx answers by status, 0 for none) }.
 */
import http from 'node:http';

interface Job {
  type: 'open' | 'closed';
  url: string;
  token: string;
  rate?: number;
  concurrency?: number;
  seconds: number;
  bodies: Array<Record<string, unknown>>;
  offset?: number;
  /** Request i goes to paths[i] instead of the URL's path; at most paths.length requests. */
  paths?: string[];
  /** POST (default) with a JSON body, or GET without one. */
  method?: 'GET' | 'POST';
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

function body(job: Job, i: number): string {
  const tpl = job.bodies[i % job.bodies.length];
  const n = String((job.offset ?? 0) + i);
  return JSON.stringify(tpl, (_k, v) => (typeof v === 'string' ? v.replace(/\{i\}/g, n.padStart(8, '0')) : v));
}

/** Non-2xx answers by status (0: no answer), for the benches to show what failed. */
const failures: Record<string, number> = {};

/**
 * A keep-alive socket the service closed as idle (between phases) may be picked for a request in the
 * same instant: the request is sent again once on a fresh socket, as Node's documentation advises
 * (http.ClientRequest reusedSocket), instead of counting as a failure of the service.
 */
function post(job: Job, i: number): Promise<{ ms: number; ok: boolean }> {
  return attempt(job, i, true);
}

function attempt(job: Job, i: number, retry: boolean): Promise<{ ms: number; ok: boolean }> {
  const u = new URL(job.url);
  const get = job.method === 'GET';
  const payload = get ? '' : body(job, i);
  const headers: Record<string, string | number> = { authorization: `Bearer ${job.token}` };
  if (!get) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  const s = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: job.paths ? job.paths[i]! : u.pathname + u.search, method: get ? 'GET' : 'POST', agent, headers },
      (res) => {
        res.resume();
        res.on('end', () => {
          const ok = res.statusCode === 201 || res.statusCode === 200;
          if (!ok) failures[String(res.statusCode)] = (failures[String(res.statusCode)] ?? 0) + 1;
          resolve({ ms: performance.now() - s, ok });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (retry && req.reusedSocket && err.code === 'ECONNRESET') {
        attempt(job, i, false).then((r) => resolve({ ms: performance.now() - s, ok: r.ok }));
        return;
      }
      failures['0'] = (failures['0'] ?? 0) + 1;
      resolve({ ms: performance.now() - s, ok: false });
    });
    req.end(payload);
  });
}

async function open(job: Job) {
  const total = Math.min(Math.round(job.rate! * job.seconds), job.paths?.length ?? Infinity);
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = started + (i * 1000) / job.rate! - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(post(job, i).then((r) => { latencies.push(r.ms); if (!r.ok) errors++; }));
  }
  await Promise.all(inflight);
  return { latencies, errors, sent: total, elapsedS: (performance.now() - started) / 1000 };
}

async function closed(job: Job) {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const end = started + job.seconds * 1000;
  await Promise.all(
    Array.from({ length: job.concurrency! }, async () => {
      while (performance.now() < end && next < (job.paths?.length ?? Infinity)) {
        const r = await post(job, next++);
        latencies.push(r.ms);
        if (!r.ok) errors++;
      }
    }),
  );
  return { latencies, errors, sent: next, elapsedS: (performance.now() - started) / 1000 };
}

process.on('message', async (job: Job) => {
  for (const k of Object.keys(failures)) delete failures[k];
  const r = job.type === 'open' ? await open(job) : await closed(job);
  process.send!({ ...r, failures: { ...failures } });
});
process.on('disconnect', () => process.exit(0));
process.send!({ type: 'ready' });
