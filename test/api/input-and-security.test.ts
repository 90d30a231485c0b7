import { Writable } from 'node:stream';
import { AddressInfo } from 'node:net';
import http from 'node:http';
import { expect } from 'chai';
import { DbKind, TestService, startTestService } from '../support/service';
import { allFeatures } from '../../src/app/features';
import { createLogger } from '../../src/logging/logger';
import { Api } from '../../src/http/api';
import { createHttpApp } from '../../src/http/app';
import { HttpMetrics, createMetricsRegistry } from '../../src/health/metrics';
import { AuthService, PasswordHasher, scryptHasher } from '../../src/auth/service';
import { UserStore } from '../../src/auth/store';
import { AuditStore } from '../../src/audit/store';
import { MemoryLiveStore } from '../../src/live/memory-store';
import { silentLogger } from '../../src/logging/logger';
import { until } from '../support/until';

const CJK = /[\u4e00-\u9fff]/;

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(chunk.toString()); cb(); } });
  return { lines, stream };
}

/** The error shape every refusal has: stable English id, Simplified Chinese message, details. */
function expectError(r: { status: number; body: any }, status: number, id: string) {
  expect(r.status, JSON.stringify(r.body)).to.equal(status);
  expect(r.body.error.id).to.equal(id);
  expect(r.body.error.message).to.match(CJK);
  expect(r.body.error.details).to.be.an('object');
}

for (const dbKind of ['postgres', 'pglite'] as DbKind[]) {
  describe(`ordinary bad input and security findings (${dbKind})`, function () {
    this.timeout(120_000);
    let t: TestService;
    const { lines, stream } = capture();
    let admin: string;
    before(async () => {
      t = await startTestService({ features: allFeatures(), dbKind, log: createLogger({ destination: stream, level: 'debug' }) });
      admin = await t.userToken(['admin', 'supervisor']);
    });
    after(async () => t && (await t.stop()));

    it('given ids out of the range of a bigint (or not decimal), when calls, recordings, knowledge entries and other id routes are asked, then 400 request.invalid, never 500', async () => {
      for (const p of ['/api/calls/99999999999999999999', '/api/recordings/99999999999999999999', '/api/recordings/99999999999999999999/file', '/api/knowledge/entries/99999999999999999999',
        '/api/knowledge/questions/9007199254740993', '/api/transfers/1e3', '/api/conferences/0x10', '/api/calls/-1', '/api/calls/1.5', '/api/calls/00']) {
        expectError(await t.http('GET', p, { token: admin }), 400, 'request.invalid');
      }
      expectError(await t.http('PATCH', '/api/users/99999999999999999999', { token: admin, body: { displayName: '张三' } }), 400, 'request.invalid');
      expectError(await t.http('GET', '/api/calls?beforeId=99999999999999999999', { token: admin }), 400, 'request.invalid');
      expectError(await t.http('GET', '/api/tickets?offset=99999999999999999999', { token: admin }), 400, 'request.invalid');
      // the largest id that is still a safe integer is a well-formed id: simply not found
      expectError(await t.http('GET', '/api/calls/9007199254740991', { token: admin }), 404, 'call.not_found');
    });

    it('given calendar days that do not exist (found by the fuzz pass: month 35 was a 500), when the calendar is read or overridden, then 400 request.invalid', async () => {
      expectError(await t.http('GET', '/api/calendar?from=2832-35-41&to=6939-25-09', { token: admin }), 400, 'request.invalid');
      expectError(await t.http('GET', '/api/calendar?from=2026-02-30&to=2026-03-01', { token: admin }), 400, 'request.invalid');
      expectError(await t.http('PUT', '/api/calendar/days', { token: admin, body: { days: [{ day: '2026-13-01', kind: 'holiday', name: '不存在' }] } }), 400, 'request.invalid');
      expectError(await t.http('DELETE', '/api/calendar/days/2026-00-10', { token: admin }), 400, 'request.invalid');
      expect((await t.http('GET', '/api/calendar?from=2026-09-30&to=2026-10-02', { token: admin })).body.days).to.have.length(3);
    });

    it('given an answer to a knowledge question naming an entry that does not exist (found by the fuzz pass: a foreign-key 500), then 422 knowledge.entry_not_found and the question stays open', async () => {
      const q = await t.http('POST', '/api/knowledge/questions', { token: admin, body: { question: '医保异地备案怎么办理？', unitCode: 'QY-RSJ' } });
      expect(q.status).to.equal(201);
      expectError(await t.http('POST', `/api/knowledge/questions/${q.body.id}/answer`, { token: admin, body: { answer: '请在国家医保服务平台办理备案', entryId: 82059 } }), 422, 'knowledge.entry_not_found');
      expect((await t.http('GET', `/api/knowledge/questions/${q.body.id}`, { token: admin })).body.state).to.equal('open');
    });

    it('given times PostgreSQL cannot store (year 200000), when a restriction or a call list asks for them, then the schema refuses them (400 in body/query), before the database', async () => {
      const r = await t.http('POST', '/api/restrictions', { token: admin, body: { number: '13900001234', reason: '恶意骚扰', expiresAt: '+200000-01-01T00:00:00.000Z' } });
      expectError(r, 400, 'request.invalid');
      expect(r.body.error.details.in).to.equal('body');
      const q = await t.http('GET', `/api/calls?from=${encodeURIComponent('-100000-01-01T00:00:00.000Z')}`, { token: admin });
      expectError(q, 400, 'request.invalid');
      expect(q.body.error.details.in).to.equal('query');
    });

    it('given a 6,000-character search, when sent, then a JSON 400 naming the limit; a URL beyond the server limit gets a JSON 431 request.too_large', async () => {
      const q = encodeURIComponent('社会保险'.repeat(1500));
      const r = await t.http('GET', `/api/knowledge/search?q=${q}`, { token: admin });
      expectError(r, 400, 'request.invalid');
      expect(r.body.error.details.issues[0]).to.include({ path: 'q', code: 'too_big' });
      expectError(await t.http('GET', `/api/tickets?q=${q}`, { token: admin }), 400, 'request.invalid');
      const huge = await t.http('GET', `/api/knowledge/search?q=${'a'.repeat(80_000)}`, { token: admin });
      expectError(huge, 431, 'request.too_large');
      expect(huge.headers.get('content-type')).to.match(/application\/json/);
    });

    it('given a body without a JSON content type, when a JSON route is called, then 415 request.unsupported_media_type and nothing is stored', async () => {
      const before = await t.db.knex('kb_questions').count<{ count: string }[]>('* as count');
      const body = JSON.stringify({ question: '低保怎么申请办理', unitCode: 'QY-MZJ' });
      for (const headers of [{}, { 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }]) {
        const res = await fetch(`${t.baseUrl}/api/knowledge/questions`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, ...headers } as Record<string, string>, body });
        const parsed = { status: res.status, body: await res.json() };
        expectError(parsed, 415, 'request.unsupported_media_type');
      }
      const after = await t.db.knex('kb_questions').count<{ count: string }[]>('* as count');
      expect(Number(after[0].count)).to.equal(Number(before[0].count));
    });

    it('given a value the schemas let through but PostgreSQL refuses (SQLSTATE class 22), when it reaches the database, then 400 request.invalid, logged', async () => {
      const { lines: out, stream: s } = capture();
      const api = new Api(async () => null);
      api.route({ method: 'get', path: '/probe/:v', summary: 'probe', tags: ['test'], roles: 'public', handler: async ({ params }) => (await t.db.knex.raw('select ?::bigint as n', [(params as { v: string }).v])).rows });
      const app = createHttpApp({ api, log: createLogger({ destination: s }), metrics: new HttpMetrics(createMetricsRegistry()) });
      const server = http.createServer(app).listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      try {
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        for (const v of ['99999999999999999999', 'abc']) {
          const res = await fetch(`${base}/probe/${v}`);
          expectError({ status: res.status, body: await res.json() }, 400, 'request.invalid');
        }
        expect(out.join('')).to.match(/"sqlstate":"22003"/);
        expect(out.join('')).to.match(/"sqlstate":"22P02"/);
      } finally {
        server.close();
      }
    });

    it('given a refused request, when the access log line is written, then it carries the real 4xx status (not null)', async () => {
      lines.length = 0;
      await t.http('GET', '/api/calls/9007199254740991', { token: admin });
      await t.http('GET', '/api/calls/abc', { token: admin });
      const access = await until(() => {
        const found = lines.map((l) => JSON.parse(l)).filter((o) => o.req?.path?.startsWith('/api/calls/') && o.res);
        return found.length >= 2 ? found : null;
      });
      expect(access.map((o) => o.res.statusCode)).to.deep.equal([404, 400]);
    });

    it('given an unknown username and a known one with a wrong password, when they log in, then the KDF runs once for each (no timing oracle)', async () => {
      let verifications = 0;
      const counting: PasswordHasher = { hash: scryptHasher.hash, verify: (p, s) => { verifications++; return scryptHasher.verify(p, s); } };
      const auth = new AuthService(new UserStore(t.db.knex), new AuditStore(t.db.knex), new MemoryLiveStore(), silentLogger(), 12, counting);
      await auth.createUser({ username: 'kdf-known', displayName: '测试', password: 'right-password-1', roles: ['operator'] }, { username: 'test' });
      for (const [user, pw] of [['kdf-nobody', 'whatever-123'], ['kdf-known', 'wrong-password-1']]) {
        const before = verifications;
        const err = await auth.login(user, pw).then(() => null, (e) => e);
        expect(err?.id).to.equal('auth.invalid_credentials');
        expect(err?.message).to.match(CJK);
        expect(verifications - before, user).to.equal(1);
      }
      // and the right password still logs in
      expect((await auth.login('kdf-known', 'right-password-1')).user.username).to.equal('kdf-known');
    });

    it('given a link whose last error names an internal host, when /readyz is asked anonymously, by an operator, by an admin and by a supervisor, then only admins and supervisors see details', async () => {
      t.service.ctx.readiness.register('ami:qy', () => ({ ok: true, state: 'connected', details: { lastError: 'connect ECONNREFUSED 10.20.30.40:5038', host: 'pbx.internal' } }));
      const anonymous = await t.http('GET', '/readyz');
      expect(anonymous.body.components['ami:qy']).to.deep.equal({ ok: true, state: 'connected' });
      expect(JSON.stringify(anonymous.body)).not.to.match(/10\.20\.30\.40|pbx\.internal/);
      for (const c of Object.values(anonymous.body.components) as object[]) expect(Object.keys(c).sort()).to.deep.equal(['ok', 'state']);
      const operator = await t.http('GET', '/readyz', { token: await t.userToken(['operator']) });
      expect(JSON.stringify(operator.body)).not.to.match(/10\.20\.30\.40/);
      for (const roles of [['admin'], ['supervisor']] as const) {
        const r = await t.http('GET', '/readyz', { token: await t.userToken([...roles]) });
        expect(r.body.components['ami:qy'].details).to.include({ lastError: 'connect ECONNREFUSED 10.20.30.40:5038' });
      }
    });
  });
}
