import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { spawnTs } from '../support/process';
import { until } from '../support/until';
import { createTestDatabase } from '../support/db';
import { DEMO_PASSWORD } from '../../src/app/demo';

const clean = { DATABASE_URL: undefined, REDIS_URL: undefined, PORT: undefined, NODE_ENV: undefined, DEMO_MODE: undefined };

describe('the service as a process (npm start)', function () {
  this.timeout(180_000);

  for (const [variable, value] of [
    ['PORT', 'abc'],
    ['DATABASE_URL', 'nonsense'],
  ]) {
    it(`given ${variable}=${value}, when started, then one line names ${variable}, no stack trace, non-zero exit`, async () => {
      const p = spawnTs('src/main.ts', [], { ...clean, [variable]: value });
      const { code } = await p.exited;
      expect(code).to.equal(2);
      const lines = p.stderr().trim().split('\n');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.contain(variable).and.to.contain('expected');
      expect(p.stderr()).not.to.match(/\bat .+\(.+:\d+:\d+\)/);
    });
  }

  it('given an unreachable DATABASE_URL, when started, then one line says the database cannot be reached', async () => {
    const p = spawnTs('src/main.ts', [], { ...clean, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', PORT: '0' });
    const { code } = await p.exited;
    expect(code).to.equal(3);
    expect(p.stderr().trim().split('\n')).to.have.length(1);
    expect(p.stderr()).to.contain('Cannot reach the database');
  });

  it('given nothing configured, when started, then /readyz reports the embedded database ready and SIGTERM stops it within 10 s', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-start-'));
    const p = spawnTs('src/main.ts', [], { ...clean, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', SIM_CALLERS_PER_MINUTE: '0' });
    try {
      const port = await until(() => /listening on http:\/\/localhost:(\d+)/.exec(p.stdout())?.[1], { timeoutMs: 90_000, what: 'the start-up banner' });
      expect(p.stdout()).to.contain('demo mode: log in as');
      // Readiness details are for admins and supervisors: log in with the printed demo account.
      const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: DEMO_PASSWORD }) });
      const { token } = (await login.json()) as { token: string };
      const ready = await until(
        async () => {
          const r = await fetch(`http://127.0.0.1:${port}/readyz`, { headers: { authorization: `Bearer ${token}` } });
          const body = (await r.json()) as { components: Record<string, { ok: boolean; details: Record<string, unknown> }> };
          return body.components.database.ok ? body : null;
        },
        { timeoutMs: 90_000, what: '/readyz' },
      );
      expect(ready.components.database.details.kind).to.equal('pglite');
      const started = Date.now();
      p.child.kill('SIGTERM');
      const { code } = await p.exited;
      expect(code).to.equal(0);
      expect(Date.now() - started).to.be.lessThan(10_000);
    } finally {
      p.child.kill('SIGKILL');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('given demo mode on a database that already has users, when started, then no demo account is made and the banner says so instead of printing the demo password', async () => {
    const db = await createTestDatabase();
    const p0 = spawnTs('src/cli/admin.ts', ['create-user', '--username', 'chief', '--display-name', '管理员', '--roles', 'admin'], { DATABASE_URL: db.url }, 'Str0ngPassw0rd\n');
    expect((await p0.exited).code, p0.stderr()).to.equal(0);
    const p = spawnTs('src/main.ts', [], { ...clean, DATABASE_URL: db.url, DEMO_MODE: 'true', PORT: '0', HOST: '127.0.0.1', SIM_CALLERS_PER_MINUTE: '0' });
    try {
      await until(() => /listening on http:\/\/localhost:(\d+)/.exec(p.stdout())?.[1], { timeoutMs: 90_000, what: 'the start-up banner' });
      await until(() => p.stdout().includes('demo mode:'), { what: 'the demo line' });
      expect(p.stdout()).to.contain('demo mode: no demo accounts');
      expect(p.stdout()).not.to.contain(DEMO_PASSWORD);
      expect(await db.knex('users').pluck('username')).to.deep.equal(['chief']);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
      await db.destroy();
    }
  });

  it('given the admin CLI, when creating a user with a password on stdin, then the account exists; with an unknown role, then a clear error and exit 2', async () => {
    const db = await createTestDatabase();
    try {
      const ok = spawnTs('src/cli/admin.ts', ['create-user', '--username', 'chief', '--display-name', '管理员', '--roles', 'admin'], { DATABASE_URL: db.url, HOTLINE_NEW_PASSWORD: undefined }, 'Str0ngPassw0rd\n');
      expect((await ok.exited).code, ok.stderr()).to.equal(0);
      const row = await db.knex('users').where({ username: 'chief' }).first();
      expect(row.roles).to.deep.equal(['admin']);
      expect(row.password_hash).to.match(/^scrypt\$/);
      const bad = spawnTs('src/cli/admin.ts', ['create-user', '--username', 'x', '--roles', 'king'], { DATABASE_URL: db.url }, 'Str0ngPassw0rd\n');
      expect((await bad.exited).code).to.equal(2);
      expect(bad.stderr()).to.contain('unknown role');
    } finally {
      await db.destroy();
    }
  });
});
