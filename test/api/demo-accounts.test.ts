import { expect } from 'chai';
import { createTestDatabase, TestDatabase } from '../support/db';
import { loadConfig } from '../../src/config/load';
import { startService } from '../../src/app/service';
import { silentLogger } from '../../src/logging/logger';
import { hashPassword } from '../../src/auth/password';
import { DEMO_USERS } from '../../src/app/demo';

/**
 * A bare `npm start` against somebody's real database must not create `admin` with the published
 * demo password. DATABASE_URL is what makes a database "real", so this runs on PostgreSQL only; the
 * embedded default (demo accounts on an empty PGlite) is covered by the config test.
 */
describe('demo accounts only on an empty embedded database or when asked for (DEMO_MODE=true)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  beforeEach(async () => { db = await createTestDatabase(); });
  afterEach(async () => db && (await db.destroy()));

  const start = async (extra: Record<string, string> = {}) => {
    // DEMO_MODE deliberately unset unless given: the bare start.
    const config = loadConfig({ NODE_ENV: 'development', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...extra });
    const service = await startService(config, silentLogger(), { features: [] });
    await service.stop();
  };
  const usernames = async () => (await db.knex('users').orderBy('username').pluck('username')) as string[];

  it('given DATABASE_URL and DEMO_MODE unset, when the configuration is loaded, then demo mode is off; without DATABASE_URL (embedded) it is on', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://db/hotline' }).demoMode).to.equal(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://db/hotline', DEMO_MODE: 'true' }).demoMode).to.equal(true);
    expect(loadConfig({}).demoMode).to.equal(true);
  });

  it('given a real database that already has data but no accounts yet, when the service starts with DEMO_MODE unset, then no demo account is created', async () => {
    await db.knex('audit_log').insert({ actor: 'migration', action: 'system.import' });
    await start();
    expect(await usernames()).to.deep.equal([]);
  });

  it('given a real database with users, when the service starts with DEMO_MODE unset, then its users are all there is', async () => {
    await db.knex('users').insert({ username: 'chief', display_name: '系统管理员', password_hash: await hashPassword('chief-password-1'), roles: ['admin'] });
    await start();
    expect(await usernames()).to.deep.equal(['chief']);
  });

  it('given an empty real database, when DEMO_MODE=true is asked for explicitly, then the demo accounts are created', async () => {
    await start({ DEMO_MODE: 'true' });
    expect(await usernames()).to.deep.equal(DEMO_USERS.map((u) => u.username).sort());
  });

  it('given a county deployment (CENTRE_CODE=HX) in demo mode, then the demo hotline staff belong to HX, so their tickets are numbered HX…', async () => {
    await start({ DEMO_MODE: 'true', CENTRE_CODE: 'HX' });
    const rows = (await db.knex('users').whereIn('username', ['op1001', 'supervisor', 'admin', 'unit-rsj']).select('username', 'centre')) as Array<{ username: string; centre: string | null }>;
    const byName = Object.fromEntries(rows.map((r) => [r.username, r.centre]));
    expect(byName.op1001).to.equal('HX');
    expect(byName.supervisor).to.equal('HX');
    // Accounts without a centre (admin, a unit handler) stay without one.
    expect(byName.admin ?? null).to.equal(null);
    expect(byName['unit-rsj'] ?? null).to.equal(null);
  });
});
