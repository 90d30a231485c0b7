import { expect } from 'chai';
import { AmiClient } from '../../src/telephony/ami-client';
import { TelephonyEvent } from '../../src/telephony/events';
import { until } from '../support/until';
import { FakeAmi, frame } from './support/fake-ami';

describe('telephony/AmiClient against a scripted AMI server', () => {
  let ami: FakeAmi;
  let client: AmiClient;
  let events: TelephonyEvent[];

  beforeEach(async () => {
    ami = await new FakeAmi().start();
    client = new AmiClient({ host: '127.0.0.1', port: ami.port, username: 'hotline', password: 'hotline' },
      { serverId: 'c1', commandTimeoutMs: 500, backoff: { initialMs: 20, maxMs: 200 }, keepaliveMs: 0 });
    events = [];
    client.on('event', (e: TelephonyEvent) => events.push(e));
  });
  afterEach(async () => {
    await client.stop();
    await ami.stop();
  });

  it('given a server, when the client starts, then it logs in, resyncs and reports connecting → connected → resynced', async () => {
    client.start();
    await client.whenResynced(2000);
    const states = events.filter((e) => e.type === 'ConnectionStateChanged').map((e) => (e as { state: string }).state);
    expect(states).to.deep.equal(['connecting', 'connected', 'resynced']);
    expect(ami.count('CoreShowChannels')).to.equal(1);
    expect(ami.count('QueueStatus')).to.equal(1);
    expect(client.status().state).to.equal('resynced');
  });

  it('given answers out of order, when two commands are pending, then each resolves with its own response', async () => {
    const held: Array<() => void> = [];
    ami.handlers.set('getvar', (h, reply) => {
      held.push(() => reply(frame([['Response', 'Success'], ['ActionID', h.actionid], ['Variable', h.variable], ['Value', `v-${h.variable}`]])));
      if (held.length === 2) { held[1](); held[0](); }
    });
    client.start();
    await client.whenResynced(2000);
    const [a, b] = await Promise.all([client.getVar({ variable: 'A' }), client.getVar({ variable: 'B' })]);
    expect([a, b]).to.deep.equal(['v-A', 'v-B']);
  });

  it('given Response: Error, when a command is sent, then it rejects with telephony.command_failed and the message', async () => {
    ami.handlers.set('hangup', (h, reply) => reply(frame([['Response', 'Error'], ['ActionID', h.actionid], ['Message', 'No such channel']])));
    client.start();
    await client.whenResynced(2000);
    const err = await client.hangup('PJSIP/nope-00000001').then(() => null, (e) => e);
    expect(err).to.include({ id: 'telephony.command_failed', status: 502 });
    expect(err.message).to.contain('No such channel');
  });

  it('given no answer, when a command is sent, then it rejects with telephony.timeout and the link stays up', async () => {
    ami.handlers.set('redirect', () => undefined);
    client.start();
    await client.whenResynced(2000);
    const err = await client.redirect({ channel: 'X', context: 'c', exten: '1' }).then(() => null, (e) => e);
    expect(err).to.include({ id: 'telephony.timeout', status: 504 });
    expect(client.state).to.equal('resynced');
    expect(client.status().counters.pendingCommands).to.equal(0);
  });

  it('given a list action with events interleaved, when the list completes, then items are collected and events still flow', async () => {
    ami.handlers.set('queuestatus', (h, reply) => reply([
      frame([['Response', 'Success'], ['ActionID', h.actionid], ['EventList', 'start'], ['Message', 'Queue status will follow']]),
      frame([['Event', 'QueueParams'], ['Queue', 'q-12345'], ['Strategy', 'ringall'], ['ActionID', h.actionid]]),
      frame([['Event', 'PeerStatus'], ['Privilege', 'system,all'], ['ChannelType', 'PJSIP'], ['Peer', 'PJSIP/1001'], ['PeerStatus', 'Reachable']]),
      frame([['Event', 'QueueMember'], ['Queue', 'q-12345'], ['Name', 'Operator 8001'], ['Location', 'Local/8001@operators'], ['Status', '1'], ['Paused', '0'], ['ActionID', h.actionid]]),
      frame([['Event', 'QueueStatusComplete'], ['ActionID', h.actionid], ['EventList', 'Complete'], ['ListItems', 2]]),
    ]));
    client.start();
    await client.whenResynced(2000);
    const { items } = await client.list({ action: 'QueueStatus' });
    expect(items.map((i) => i.event)).to.deep.equal(['QueueParams', 'QueueMember']);
    expect(events.some((e) => e.type === 'EndpointReachable')).to.equal(true);
    // The resync saw the member too, so it was announced as added once.
    expect(events.filter((e) => e.type === 'QueueMemberAdded')).to.have.length(1);
  });

  it('given an OriginateResponse (Response + ActionID), when it arrives, then it is an event, not a second response', async () => {
    ami.handlers.set('originate', (h, reply) => {
      reply(frame([['Response', 'Success'], ['ActionID', h.actionid], ['Message', 'Originate successfully queued']]));
      reply(frame([['Event', 'OriginateResponse'], ['Privilege', 'call,all'], ['ActionID', h.actionid], ['Response', 'Failure'],
        ['Channel', 'Local/nope@nowhere'], ['Reason', '0'], ['Uniqueid', '<null>']]));
    });
    client.start();
    await client.whenResynced(2000);
    const { actionId } = await client.originate({ channel: 'Local/nope@nowhere', context: 'x', exten: 's' });
    const res = await until(() => events.find((e) => e.type === 'OriginateResult'));
    expect(res).to.include({ actionId, success: false, reasonCode: 0 });
  });

  it('given pending commands, when the connection drops, then they fail at once and the client reconnects and resyncs', async () => {
    ami.handlers.set('redirect', () => undefined);
    client.start();
    await client.whenResynced(2000);
    const p = client.redirect({ channel: 'X', context: 'c', exten: '1' }).then(() => null, (e) => e);
    await until(() => ami.count('Redirect') === 1);
    ami.dropAll();
    const err = await p;
    expect(err).to.include({ id: 'telephony.disconnected' });
    await until(() => ami.count('CoreShowChannels') === 2, { what: 'second resync' });
    await client.whenResynced(2000);
    expect(ami.connections).to.equal(2);
    const states = events.filter((e) => e.type === 'ConnectionStateChanged').map((e) => (e as { state: string }).state);
    expect(states).to.deep.equal(['connecting', 'connected', 'resynced', 'reconnecting', 'connected', 'resynced']);
  });

  it('given a wrong password, when the client starts, then state becomes failed and retries are spaced out, not a tight loop', async () => {
    ami.password = 'other';
    client.start();
    await until(() => client.state === 'failed', { what: 'failed state' });
    const t0 = Date.now();
    const c0 = ami.connections;
    await until(() => ami.connections >= c0 + 2, { timeoutMs: 3000 });
    // Two further attempts took at least the jittered backoff floor each (20 ms initial, doubling).
    expect(Date.now() - t0).to.be.greaterThan(40);
    expect(client.status().lastError).to.match(/login failed/);
  });

  it('given a stopped client, when a command is sent, then it rejects with telephony.unavailable', async () => {
    const err = await client.hangup('X').then(() => null, (e) => e);
    expect(err).to.include({ id: 'telephony.unavailable', status: 503 });
  });
});
