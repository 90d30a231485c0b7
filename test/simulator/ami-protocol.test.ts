import { expect } from 'chai';
import { startSimulator, Simulator } from '../../src/simulator';
import { RawAmi } from './support/ami-client';
import { readBlocks, readMessages, get } from './support/transcript';
import { replay } from './support/replay';
import { until } from '../support/until';

describe('simulator AMI protocol (captures 01, 06a, 06b)', () => {
  let sim: Simulator;
  const clients: RawAmi[] = [];
  beforeEach(async () => { sim = await startSimulator({ timeScale: 0.05 }); });
  afterEach(async () => { for (const c of clients.splice(0)) c.close(); await sim.stop(); });

  it('given a new connection, then the banner bytes are exactly those recorded', async () => {
    const banner = readBlocks('01-login-status-originate-queue.txt').find((b) => b.dir === 'S->C')!.body.toString('latin1');
    const c = new RawAmi(sim.amiPort); clients.push(c);
    await until(() => c.buffer.length >= banner.length);
    expect(c.buffer).to.equal(banner);
  });

  it('given capture 01, when its status requests are replayed, then responses and list items have the recorded names and fields', async () => {
    const { pairs, ami } = await replay('01-login-status-originate-queue.txt', sim.amiPort, {
      skip: (r) => ['Originate', 'Logoff'].includes(get(r, 'Action') ?? ''),
    });
    clients.push(ami);
    for (const p of pairs.filter((x) => x.recorded)) {
      expect(p.actual!.map(([k]) => k), `fields of ${get(p.request, 'Action')}`).to.deep.equal(p.recorded!.map(([k]) => k));
      expect(p.actual![0]).to.deep.equal(p.recorded![0]);
      const msg = p.recorded!.find(([k]) => k === 'Message');
      if (msg) expect(p.actual!.find(([k]) => k === 'Message')).to.deep.equal(msg);
    }
    // the list items of the first QueueStatus: same events, same fields, ListItems counts QueueParams too
    const recorded = readMessages('01-login-status-originate-queue.txt');
    const recItems = recorded.filter((m) => get(m, 'ActionID') === 'qs-1' && get(m, 'Event'));
    await until(() => ami.messages().filter((m) => m.some(([k, v]) => k === 'ActionID' && v === 'qs-1')).length >= recItems.length + 1);
    const items = ami.messages().filter((m) => m.some(([k, v]) => k === 'ActionID' && v === 'qs-1') && m.some(([k]) => k === 'Event'));
    // capture 01 predates q-pjsip in queues.conf: compare the q-12345 items and the Complete
    const q12345 = items.filter((m) => m.some(([k, v]) => k === 'Queue' && v === 'q-12345') || m.some(([k, v]) => k === 'Event' && v === 'QueueStatusComplete'));
    expect(q12345.map((m) => m.map(([k]) => k))).to.deep.equal(recItems.map((m) => m.fields.map(([k]) => k)));
    expect(items.at(-1)!.find(([k]) => k === 'ListItems')![1]).to.equal(String(items.length - 1));
    expect(get(recItems.at(-1)!, 'ListItems')).to.equal(String(recItems.length - 1));
  });

  it('given capture 06a, when actions come before login and then a wrong password, then permission is denied and the socket closes after about a second', async () => {
    const started = Date.now();
    const { pairs, ami } = await replay('06-bad-input-a-auth.txt', sim.amiPort);
    clients.push(ami);
    for (const p of pairs.filter((x) => x.recorded)) expect(p.actual).to.deep.equal(p.recorded);
    await until(() => ami.closed, { what: 'server to close the socket' });
    expect(Date.now() - started).to.be.greaterThan(900);
  });

  it('given capture 06b, when the malformed and invalid requests are replayed, then every reply matches the recorded Response and Message', async () => {
    const { pairs, ami } = await replay('06-bad-input-b-malformed.txt', sim.amiPort);
    clients.push(ami);
    const checked = pairs.filter((p) => p.recorded);
    expect(checked.length).to.be.greaterThan(20);
    for (const p of checked) {
      const what = p.request.raw.trim().slice(0, 60);
      expect(p.actual![0], what).to.deep.equal(p.recorded![0]);
      expect(p.actual!.find(([k]) => k === 'Message'), what).to.deep.equal(p.recorded!.find(([k]) => k === 'Message'));
      // Output lines carry live numbers for "queue show": compare the unknown-command text only
      if (get(p.request, 'Command') === 'no such cli command') expect(p.actual).to.deep.equal(p.recorded);
    }
  });

  it('given an unknown action after login, then a RequestBadFormat security event has the recorded fields', async () => {
    const rec = readMessages('06-bad-input-b-malformed.txt').find((m) => get(m, 'Event') === 'RequestBadFormat')!;
    const c = new RawAmi(sim.amiPort); clients.push(c);
    c.send(['Action: Login', 'Username: hotline', 'Secret: hotline']);
    c.send(['Action: NoSuchAction', 'ActionID: x']);
    const ev = await until(() => c.messages().find((m) => m.some(([k, v]) => k === 'Event' && v === 'RequestBadFormat')));
    expect(ev.map(([k]) => k)).to.deep.equal(rec.fields.map(([k]) => k));
    expect(ev.find(([k]) => k === 'RequestType')![1]).to.equal('Action: NoSuchAction');
  });

  it('given a login with Events: off, then no events arrive but responses do; with Events: agent only agent events arrive', async () => {
    const off = new RawAmi(sim.amiPort); clients.push(off);
    const agent = new RawAmi(sim.amiPort); clients.push(agent);
    off.send(['Action: Login', 'Username: hotline', 'Secret: hotline', 'Events: off']);
    agent.send(['Action: Login', 'Username: hotline', 'Secret: hotline', 'Events: agent']);
    await until(() => off.messages().length >= 1 && agent.messages().length >= 1);
    off.send(['Action: QueueAdd', 'Queue: q-12345', 'Interface: Local/8003@operators', 'ActionID: add-1']);
    await until(() => agent.messages().some((m) => m.some(([k, v]) => k === 'Event' && v === 'QueueMemberAdded')));
    await until(() => off.messages().some((m) => m.some(([k, v]) => k === 'ActionID' && v === 'add-1')));
    expect(off.messages().filter((m) => m.some(([k]) => k === 'Event'))).to.have.length(0);
    expect(agent.messages().filter((m) => m.some(([k, v]) => k === 'Event' && v === 'DeviceStateChange'))).to.have.length(0);
  });
});
