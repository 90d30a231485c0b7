import { expect } from 'chai';
import { startTestService, TestService } from '../support/service';
import { allFeatures } from '../../src/app/features';
import { until } from '../support/until';

describe('HTTP API, authentication and roles', function () {
  this.timeout(60_000);
  let t: TestService;

  before(async () => {
    t = await startTestService({ features: allFeatures() });
  });
  after(async () => {
    await t?.stop();
  });

  it('given /openapi.json, when read, then every operation declares its roles and non-public ones require a bearer token', async () => {
    const { status, body } = await t.http('GET', '/openapi.json');
    expect(status).to.equal(200);
    const ops = Object.entries(body.paths as Record<string, Record<string, any>>).flatMap(([p, methods]) => Object.entries(methods).map(([m, op]) => ({ p, m, op })));
    expect(ops.length).to.be.greaterThan(5);
    for (const { p, m, op } of ops) {
      expect(op['x-roles'], `${m} ${p} must declare x-roles`).to.be.an('array').that.is.not.empty;
      if (!op['x-roles'].includes('public')) expect(op.security, `${m} ${p}`).to.deep.equal([{ bearer: [] }]);
    }
  });

  it('given no token, when any non-public route is called, then it answers 401 with error id auth.unauthenticated', async () => {
    const routes = t.service.ctx.api.listRoutes().filter((r) => r.roles !== 'public');
    expect(routes.length).to.be.greaterThan(3);
    for (const r of routes) {
      const path = r.path.replace(/:([A-Za-z0-9_]+)/g, '1');
      const res = await t.http(r.method.toUpperCase(), path, { body: r.method === 'get' || r.method === 'delete' ? undefined : {} });
      expect(res.status, `${r.method} ${r.path}`).to.equal(401);
      expect(res.body.error.id).to.equal('auth.unauthenticated');
    }
  });

  it('given a garbage or revoked token, when a protected route is called, then 401', async () => {
    expect((await t.http('GET', '/api/auth/me', { token: 'nonsense' })).status).to.equal(401);
    const token = await t.userToken(['operator']);
    expect((await t.http('GET', '/api/auth/me', { token })).status).to.equal(200);
    expect((await t.http('POST', '/api/auth/logout', { token })).status).to.equal(200);
    expect((await t.http('GET', '/api/auth/me', { token })).status).to.equal(401);
  });

  it('given an operator, when an admin-only route is called, then 403 auth.forbidden names the required roles', async () => {
    const token = await t.userToken(['operator']);
    const res = await t.http('GET', '/api/users', { token });
    expect(res.status).to.equal(403);
    expect(res.body.error).to.include({ id: 'auth.forbidden' });
    expect(res.body.error.details.requiredRoles).to.deep.equal(['admin']);
  });

  it('given an admin, when creating a user, then the user can log in, and the creation is audited', async () => {
    const admin = await t.userToken(['admin'], { username: 'chief-admin' });
    const created = await t.http('POST', '/api/users', { token: admin, body: { username: 'op7001', displayName: '话务员 周', password: 'abcdef12345', roles: ['operator'], extension: 'PJSIP/7001' } });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ username: 'op7001', extension: 'PJSIP/7001' });
    expect(created.body).not.to.have.property('passwordHash');
    const login = await t.http('POST', '/api/auth/login', { body: { username: 'op7001', password: 'abcdef12345' } });
    expect(login.status).to.equal(200);
    expect(login.body.token).to.be.a('string');
    const auditor = await t.userToken(['auditor']);
    const audit = await t.http('GET', '/api/audit?action=user.create', { token: auditor });
    expect(audit.status).to.equal(200);
    expect(audit.body.some((a: any) => a.actor === 'chief-admin' && a.details.username === 'op7001')).to.equal(true);
  });

  it('given bad input, when creating a user, then 400 with a stable id and the field, and nothing is stored', async () => {
    const admin = await t.userToken(['admin']);
    const weak = await t.http('POST', '/api/users', { token: admin, body: { username: 'weakling', displayName: 'x', password: 'short', roles: ['operator'] } });
    expect(weak.status).to.equal(400);
    expect(weak.body.error.id).to.equal('auth.weak_password');
    const badRole = await t.http('POST', '/api/users', { token: admin, body: { username: 'x1234', displayName: 'x', password: 'abcdef12345', roles: ['king'] } });
    expect(badRole.status).to.equal(400);
    expect(badRole.body.error.id).to.equal('request.invalid');
    expect(badRole.body.error.details.issues[0].path).to.equal('roles.0');
    await t.userToken(['operator'], { username: 'taken-name' });
    const dup = await t.http('POST', '/api/users', { token: admin, body: { username: 'taken-name', displayName: 'x', password: 'abcdef12345', roles: ['operator'] } });
    expect(dup.status).to.equal(409);
    expect(dup.body.error.id).to.equal('auth.username_taken');
    const list = await t.http('GET', '/api/users', { token: admin });
    expect(list.body.filter((u: any) => u.username === 'weakling')).to.have.length(0);
  });

  it('given malformed JSON or an unknown route, when called, then JSON errors with stable ids', async () => {
    const bad = await t.http('POST', '/api/auth/login', { body: '{"username":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.id).to.equal('request.malformed_json');
    const missing = await t.http('GET', '/api/nothing-here');
    expect(missing.status).to.equal(404);
    expect(missing.body.error.id).to.equal('route.not_found');
  });

  it('given repeated wrong passwords, when the limit is reached, then the account is locked with 429', async () => {
    await t.userToken(['operator'], { username: 'victim' });
    for (let i = 0; i < 10; i++) expect((await t.http('POST', '/api/auth/login', { body: { username: 'victim', password: 'wrong-password-1' } })).status).to.equal(401);
    const locked = await t.http('POST', '/api/auth/login', { body: { username: 'victim', password: 'test-password-123' } });
    expect(locked.status).to.equal(429);
    expect(locked.body.error.id).to.equal('auth.locked');
  });

  it('given the service, when /healthz, /readyz and /metrics are read, then they report alive, each dependency, and Prometheus text', async () => {
    expect((await t.http('GET', '/healthz')).body.status).to.equal('ok');
    // details (the kind of store, last errors) only for admins and supervisors
    const anonymous = await t.http('GET', '/readyz');
    expect(anonymous.body.components.live).to.deep.equal({ ok: true, state: 'connected' });
    const ready = await t.http('GET', '/readyz', { token: await t.userToken(['admin']) });
    expect(ready.status).to.equal(200);
    expect(ready.body.components.database).to.include({ ok: true, state: 'connected' });
    expect(ready.body.components.live.details.kind).to.equal('redis');
    await until(async () => (await t.http('GET', '/metrics')).body.includes('hotline_http_request_duration_seconds_bucket'));
  });
});
