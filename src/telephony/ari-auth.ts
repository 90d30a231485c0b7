/**
 * ari-client@2.2.0 registers its Basic credentials in swagger-client's *process-global*
 * `authorizations` under one fixed key, so with two Asterisk servers the last one connected wins and
 * every REST call to the other is sent with the wrong password. We (1) serialise ari-client's
 * `connect()` calls, so each api-docs download runs with its own credentials, and (2) add one more
 * authorization, evaluated after ari-client's, that picks the credentials by the request's host.
 */
import path from 'path';

interface SwaggerAuthz { authz: Record<string, unknown>; add(name: string, auth: unknown): unknown }

// eslint-disable-next-line @typescript-eslint/no-require-imports
const swagger = require(require.resolve('swagger-client', { paths: [path.dirname(require.resolve('ari-client'))] })) as { authorizations: SwaggerAuthz };

// swagger-client assigns an implicit global `log` that console.logs a "deprecated Swagger" warning on
// every api-docs load and keeps every message in `log.history` forever; make it a no-op.
const g = globalThis as { log?: unknown };
if (typeof g.log === 'function' && /log\.history/.test(String(g.log))) g.log = function quietSwaggerLog(): void {};

const KEY = 'hotline-per-host';
const byHost = new Map<string, string>();
let chain: Promise<unknown> = Promise.resolve();

const perHost = {
  apply(obj: { url: string; headers: Record<string, string> }): boolean {
    try {
      const header = byHost.get(new URL(obj.url).host);
      if (header) obj.headers.Authorization = header;
    } catch {
      // not a URL we know: leave ari-client's header alone
    }
    return true;
  },
};

/** Run ari-client's connect for `host` with no other connect in flight, then pin its credentials. */
export function connectSerialised<T>(host: string, username: string, password: string, connect: () => Promise<T>): Promise<T> {
  const run = chain.then(async () => {
    byHost.delete(host);
    const result = await connect();
    byHost.set(host, 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64'));
    // Re-adding moves our entry after ari-client's 'basic-auth', so ours is applied last.
    delete swagger.authorizations.authz[KEY];
    swagger.authorizations.add(KEY, perHost);
    return result;
  });
  chain = run.catch(() => undefined);
  return run;
}
