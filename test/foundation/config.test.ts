import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfig, ConfigError, configTableMarkdown } from '../../src/config/load';
import { settings } from '../../src/config/schema';

describe('configuration schema', () => {
  it('given no environment, when loaded, then embedded defaults apply (port 3000, no database URL, demo mode on)', () => {
    const c = loadConfig({});
    expect(c.port).to.equal(3000);
    expect(c.databaseUrl).to.equal(undefined);
    expect(c.redisUrl).to.equal(undefined);
    expect(c.demoMode).to.equal(true);
    expect(c.officeHours).to.equal('09:00-12:00,13:30-17:30');
  });

  for (const [variable, value] of [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'nonsense'],
    ['DATABASE_URL', 'mysql://x/y'],
    ['REDIS_URL', 'http://localhost'],
    ['LOG_LEVEL', 'loud'],
    ['DEMO_MODE', 'maybe'],
    ['OFFICE_HOURS', '9-5'],
    ['PGLITE_SHARED_BUFFERS', '16'],
    ['PGLITE_SHARED_BUFFERS', '64kB'],
    ['PGLITE_SHARED_BUFFERS', '2GB'],
  ]) {
    it(`given ${variable}=${value}, when loaded, then one ConfigError names ${variable} and what it expects`, () => {
      let err: unknown;
      try {
        loadConfig({ [variable]: value });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).to.contain(variable);
      expect(msg).to.contain('expected');
      expect(msg.split('\n')).to.have.length(1);
    });
  }

  it('given a bad secret, when reported, then its value is not echoed', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres-secret-pw' })).to.throw(ConfigError).with.property('message').that.does.not.contain('secret-pw');
  });

  it('given NODE_ENV=production, when demo mode is not set, then it is off; when forced on, then start-up refuses', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).demoMode).to.equal(false);
    expect(() => loadConfig({ NODE_ENV: 'production', DEMO_MODE: 'true' })).to.throw(ConfigError, /DEMO_MODE/);
  });

  it('given SMS_GATEWAY=twilio, when credentials are missing, then start-up names the missing variable', () => {
    expect(() => loadConfig({ SMS_GATEWAY: 'twilio' })).to.throw(ConfigError, /TWILIO_ACCOUNT_SID/);
  });

  it('given the schema, when the README is read, then its configuration table is exactly the generated one', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const block = readme.split('<!-- config-table:start -->')[1]?.split('<!-- config-table:end -->')[0]?.trim();
    expect(block, 'README must contain the generated table; run npm run docs:config').to.equal(configTableMarkdown());
    for (const s of Object.values(settings)) expect(block).to.contain('`' + s.env + '`');
  });
});
