import { expect } from 'chai';
import { Registry } from 'prom-client';
import { Backoff } from '../../src/telephony/backoff';
import { TelephonyHub } from '../../src/telephony/hub';
import { registerTelephonyMetrics } from '../../src/telephony/metrics';
import { AmiClient } from '../../src/telephony/ami-client';
import { until } from '../support/until';
import { FakeAmi } from './support/fake-ami';
import { FakeAri } from './support/fake-ari';

describe('telephony/hub, metrics, backoff, keepalive', () => {
  it('given many failures, when the backoff grows, then every delay stays between the floor and the cap, with jitter', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 5000, minMs: 50 });
    const delays = Array.from({ length: 40 }, () => b.next());
    expect(Math.min(...delays)).to.be.at.least(50);
    expect(Math.max(...delays)).to.be.at.most(5000);
    expect(delays.slice(-10).every((d) => d >= 2500)).to.equal(true);
    expect(new Set(delays.slice(-10)).size).to.be.greaterThan(1);
    b.reset();
    expect(b.next()).to.be.at.most(100);
  });

  it('given two servers, when the hub runs, then events carry their server id, commands route by id, and /metrics shows each link', async () => {
    const [a1, a2] = await Promise.all([new FakeAmi().start(), new FakeAmi().start()]);
    const [r1, r2] = await Promise.all([new FakeAri().start(), new FakeAri().start()]);
    const hub = new TelephonyHub([
      { id: 'hz', ami: { host: '127.0.0.1', port: a1.port, username: 'hotline', password: 'hotline' }, ari: { url: r1.url, username: 'hotline', password: 'hotline', app: 'hotline' } },
      { id: 'nb', ami: { host: '127.0.0.1', port: a2.port, username: 'hotline', password: 'hotline' }, ari: { url: r2.url, username: 'hotline', password: 'hotline', app: 'hotline' } },
    ], { ami: { keepaliveMs: 0 }, ari: { pingMs: 0 } });
    const registry = new Registry();
    registerTelephonyMetrics(registry, hub);
    const servers = new Set<string>();
    hub.onEvent((e) => servers.add(e.serverId));
    try {
      hub.start();
      await hub.whenResynced(5000);
      expect(hub.status().ready).to.equal(true);
      expect([...servers].sort()).to.deep.equal(['hz', 'nb']);
      await hub.ami('nb').hangup('PJSIP/1001-00000001');
      expect(a2.count('Hangup')).to.equal(1);
      expect(a1.count('Hangup')).to.equal(0);
      expect(() => hub.ami('sh')).to.throw().with.property('id', 'telephony.unknown_server');
      a1.dropAll();
      await until(() => hub.status().servers[0].ami.reconnects === 1 && hub.status().ready, { what: 'hz reconnected' });
      const text = await registry.metrics();
      expect(text).to.contain('hotline_telephony_link_state{server="hz",link="ami",state="resynced"} 1');
      expect(text).to.contain('hotline_telephony_link_up{server="nb",link="ari"} 1');
      expect(text).to.contain('hotline_telephony_reconnects_total{server="hz",link="ami"} 1');
      expect(text).to.match(/hotline_telephony_resyncs_total\{server="hz",link="ami",kind="resyncs"\} 2/);
    } finally {
      await hub.stop();
      await Promise.all([a1.stop(), a2.stop(), r1.stop(), r2.stop()]);
    }
  });

  it('given a server that stops answering Ping, when the keepalive fires, then the session is dropped and re-established', async () => {
    const ami = await new FakeAmi().start();
    let silent = true;
    ami.handlers.set('ping', (h, reply) => { if (!silent) reply(`Response: Success\r\nActionID: ${h.actionid}\r\nPing: Pong\r\n\r\n`); });
    const client = new AmiClient({ host: '127.0.0.1', port: ami.port, username: 'hotline', password: 'hotline' },
      { serverId: 'ka', keepaliveMs: 50, commandTimeoutMs: 200, backoff: { initialMs: 10, maxMs: 20 } });
    try {
      client.start();
      await client.whenResynced(2000);
      await until(() => ami.connections >= 2, { what: 'reconnect after a silent Ping' });
      silent = false;
      await until(() => client.state === 'resynced');
      expect(client.status().counters.commandTimeouts).to.be.greaterThan(0);
    } finally {
      await client.stop();
      await ami.stop();
    }
  });
});
