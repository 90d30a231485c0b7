import { expect } from 'chai';
import WebSocket from 'ws';
import { LiveStore } from '../../src/live/store';
import { MemoryLiveStore } from '../../src/live/memory-store';
import { RedisLiveStore } from '../../src/live/redis-store';
import { LeaderElector } from '../../src/live/leader';
import { silentLogger } from '../../src/logging/logger';
import { TEST_REDIS_URL, testRedisPrefix } from '../support/redis';
import { createTestDatabase, TestDatabase } from '../support/db';
import { startTestService, TestService } from '../support/service';
import { until } from '../support/until';

const implementations: Array<[string, () => Promise<LiveStore>]> = [
  ['memory', async () => new MemoryLiveStore()],
  ['redis', () => RedisLiveStore.connect(TEST_REDIS_URL, testRedisPrefix('live'), silentLogger())],
];

for (const [name, make] of implementations) {
  describe(`LiveStore (${name})`, () => {
    let s: LiveStore;
    beforeEach(async () => {
      s = await make();
    });
    afterEach(async () => {
      for (const k of await s.keys('*')) await s.del(k);
      await s.close();
    });

    it('given keys, when set, incremented, hashed and expired, then reads agree', async () => {
      await s.set('a', '1');
      expect(await s.get('a')).to.equal('1');
      expect(await s.setIfAbsent('a', '2')).to.equal(false);
      expect(await s.setIfAbsent('b', '2', 60)).to.equal(true);
      expect(await s.incr('n')).to.equal(1);
      expect(await s.incr('n')).to.equal(2);
      await s.hset('h', { x: '1', y: '2' });
      await s.hdel('h', 'x');
      expect(await s.hgetall('h')).to.deep.equal({ y: '2' });
      expect((await s.keys('*')).sort()).to.deep.equal(['a', 'b', 'h', 'n']);
      await s.set('short', 'v', 1);
      await until(async () => (await s.get('short')) === null, { timeoutMs: 3000, what: 'expiry' });
    });

    it('given a subscriber, when a message is published, then it arrives, and not after unsubscribing', async () => {
      const got: string[] = [];
      const off = await s.subscribe('chan', (m) => got.push(m));
      await s.publish('chan', 'one');
      await until(() => got.length === 1);
      await off();
      await s.publish('chan', 'two');
      await s.publish('other', 'x');
      await new Promise((r) => setImmediate(r));
      expect(got).to.deep.equal(['one']);
    });

    it('given a lock, when another owner asks, then it is refused until released; the owner may renew', async () => {
      expect(await s.acquireLock('L', 'a', 5000)).to.equal(true);
      expect(await s.acquireLock('L', 'b', 5000)).to.equal(false);
      expect(await s.acquireLock('L', 'a', 5000)).to.equal(true);
      await s.releaseLock('L', 'b');
      expect(await s.acquireLock('L', 'b', 5000)).to.equal(false);
      await s.releaseLock('L', 'a');
      expect(await s.acquireLock('L', 'b', 5000)).to.equal(true);
    });
  });
}

describe('leader election on Redis', () => {
  it('given two instances, when both run, then exactly one leads; when it stops, the other takes over', async () => {
    const prefix = testRedisPrefix('leader');
    const a = await RedisLiveStore.connect(TEST_REDIS_URL, prefix, silentLogger());
    const b = await RedisLiveStore.connect(TEST_REDIS_URL, prefix, silentLogger());
    const ea = new LeaderElector(a, 'x', silentLogger(), 900, 'A');
    const eb = new LeaderElector(b, 'x', silentLogger(), 900, 'B');
    try {
      await ea.start();
      await eb.start();
      expect([ea.isLeader, eb.isLeader]).to.deep.equal([true, false]);
      await ea.stop();
      await until(() => eb.isLeader, { timeoutMs: 3000, what: 'B to take over' });
    } finally {
      await ea.stop();
      await eb.stop();
      await a.close();
      await b.close();
    }
  });

  it('given a store whose lock check fails, when the elector ticks, then it does not lead and says the leadership is uncertain until a check succeeds', async () => {
    const store = new MemoryLiveStore();
    let down = true;
    const acquire = store.acquireLock.bind(store);
    store.acquireLock = async (...a: Parameters<typeof acquire>) => {
      if (down) throw new Error('connection refused');
      return acquire(...a);
    };
    const e = new LeaderElector(store, 'x', silentLogger(), 900, 'A');
    try {
      await e.start();
      expect([e.isLeader, e.uncertain]).to.deep.equal([false, true]);
      down = false;
      await until(() => e.isLeader, { timeoutMs: 3000, what: 'the lock once the store is back' });
      expect(e.uncertain).to.equal(false);
    } finally {
      await e.stop();
    }
  });
});

describe('WebSocket gateway across two service instances', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let one: TestService;
  let two: TestService;

  before(async () => {
    db = await createTestDatabase();
    const prefix = testRedisPrefix('ws');
    const features = [
      {
        name: 'test-topic',
        register(ctx: any) {
          ctx.ws.registerTopic('demo', { roles: ['supervisor'], snapshot: () => ({ n: 0 }) });
        },
      },
    ];
    one = await startTestService({ db, features, env: { REDIS_PREFIX: prefix } });
    two = await startTestService({ db, features, env: { REDIS_PREFIX: prefix } });
  });
  after(async () => {
    await one?.stop();
    await two?.stop();
    await db?.destroy();
  });

  it('given no token, when connecting, then the upgrade is refused with 401', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${one.service.port}/ws`);
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).to.equal(401);
  });

  it('given a supervisor subscribed on instance two, when instance one publishes, then the snapshot then the delta arrive', async () => {
    const token = await one.userToken(['supervisor']);
    const ws = new WebSocket(`ws://127.0.0.1:${two.service.port}/ws?token=${token}`);
    const frames: any[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await until(() => frames.some((f) => f.type === 'hello'));
    ws.send(JSON.stringify({ type: 'subscribe', topic: 'demo', ref: 'r1' }));
    await until(() => frames.some((f) => f.type === 'snapshot'));
    await one.service.ctx.ws.publish('demo', { n: 1 });
    const ev = await until(() => frames.find((f) => f.type === 'event'));
    expect(ev).to.deep.equal({ type: 'event', topic: 'demo', data: { n: 1 } });
    ws.send('not json');
    await until(() => frames.find((f) => f.type === 'error' && f.error.id === 'ws.malformed'));
    ws.close();
  });

  it('given an operator, when subscribing to a supervisor topic, then an auth.forbidden error frame', async () => {
    const token = await one.userToken(['operator']);
    const ws = new WebSocket(`ws://127.0.0.1:${one.service.port}/ws?token=${token}`);
    const frames: any[] = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await until(() => frames.some((f) => f.type === 'hello'));
    ws.send(JSON.stringify({ type: 'subscribe', topic: 'demo' }));
    const err = await until(() => frames.find((f) => f.type === 'error'));
    expect(err.error.id).to.equal('auth.forbidden');
    ws.close();
  });
});

describe('WebSocket sessions end with the login', function () {
  this.timeout(30_000);
  it('given a connected client, when its token is revoked, then the next check closes the socket', async () => {
    const t = await startTestService({ features: [{ name: 'demo-topic', register(ctx: any) { ctx.ws.registerTopic('demo', { roles: ['supervisor'] }); } }] });
    try {
      const token = await t.userToken(['supervisor']);
      const ws = new WebSocket(`ws://127.0.0.1:${t.service.port}/ws?token=${token}`);
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      await new Promise((r) => ws.once('message', r));
      expect(await t.service.ctx.ws.recheckTokens()).to.equal(0);
      await t.http('POST', '/api/auth/logout', { token });
      expect(await t.service.ctx.ws.recheckTokens()).to.equal(1);
      expect(await closed).to.equal(4401);
    } finally {
      await t.stop();
    }
  });
});
