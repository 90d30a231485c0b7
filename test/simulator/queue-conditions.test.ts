import path from 'node:path';
import { expect } from 'chai';
import { startSimulator, Simulator } from '../../src/simulator';
import { AmiSession } from './support/session';
import { fld } from './support/compare';
import { until } from '../support/until';

const DIALPLAN = path.resolve(__dirname, '../../dialplan');

/**
 * app_queue as Asterisk 22 runs the project's queues.conf and dialplan/: joinempty/leavewhenempty are
 * lists of member conditions (paused,unavailable,invalid,unknown), and Queue()'s 9th argument is the
 * position a caller enters at (1 = the head of the queue).
 */
describe('simulator Queue(): empty conditions and position (Asterisk 22)', () => {
  let sim: Simulator;
  let s: AmiSession;
  beforeEach(async () => {
    sim = await startSimulator({ confDir: DIALPLAN, timeScale: 0.05, soundMs: 20 });
    sim.registerEndpoint('1001');
    s = new AmiSession(sim.amiPort);
    await s.ready();
  });
  afterEach(async () => { s.close(); await sim.stop(); });

  it('given a caller waiting for a member who does not answer, when the member pauses, then the caller leaves with LEAVEEMPTY and overflows to the backup queue', async () => {
    sim.setEndpointBehaviour('1001', { noAnswer: true });
    await s.action({ action: 'QueueAdd', queue: 'q-qy', interface: 'PJSIP/1001', membername: '1001' });
    const id = await sim.placeInboundCall({ from: '13800138001', to: '12345', trunk: 'carrier' });
    await s.waitFor('QueueCallerJoin', (e) => fld(e, 'Uniqueid') === id && fld(e, 'Queue') === 'q-qy');
    await s.action({ action: 'QueuePause', interface: 'PJSIP/1001', paused: 'true', reason: 'meeting' });
    const status = await s.waitFor('VarSet', (e) => fld(e, 'Uniqueid') === id && fld(e, 'Variable') === 'QUEUESTATUS');
    expect(fld(status, 'Value')).to.equal('LEAVEEMPTY');
    // The dialplan's overflow branch: the backup queue, which is empty too (JOINEMPTY), then the busy fallback.
    await until(() => sim.channels().find((c) => c.id === id && c.context === 'hotline-fallback'), { timeoutMs: 5000, what: 'the fallback after the overflow' });
    const statuses = s.events().filter((e) => fld(e, 'Event') === 'VarSet' && fld(e, 'Uniqueid') === id && fld(e, 'Variable') === 'QUEUESTATUS').map((e) => fld(e, 'Value'));
    expect(statuses).to.deep.equal(['LEAVEEMPTY', 'JOINEMPTY']);
    expect(s.events().some((e) => fld(e, 'Event') === 'VarSet' && fld(e, 'Uniqueid') === id && fld(e, 'Variable') === 'HOTLINE_OVERFLOW' && fld(e, 'Value') === 'q-qy-backup')).to.equal(true);
    sim.hangup(id);
  });

  it('given a busy member (not paused), when a caller arrives, then the queue is not empty for joinempty=paused,unavailable,…: the caller joins and waits', async () => {
    sim.setEndpointBehaviour('1001', { noAnswer: true });
    await s.action({ action: 'QueueAdd', queue: 'q-qy', interface: 'PJSIP/1001', membername: '1001' });
    const first = await sim.placeInboundCall({ from: '13800138002', to: '12345', trunk: 'carrier' });
    await until(() => sim.channels().some((c) => c.name.startsWith('PJSIP/1001-') && c.state === 'Ringing'), { what: '1001 ringing' });
    const second = await sim.placeInboundCall({ from: '13800138003', to: '12345', trunk: 'carrier' });
    const join = await s.waitFor('QueueCallerJoin', (e) => fld(e, 'Uniqueid') === second);
    expect(fld(join, 'Position')).to.equal('2');
    sim.hangup(first);
    sim.hangup(second);
  });

  it('given a caller waiting, when another caller enters through [hotline-requeue] (Queue position 1), then it goes to the head of the queue', async () => {
    sim.setEndpointBehaviour('1001', { noAnswer: true });
    await s.action({ action: 'QueueAdd', queue: 'q-qy', interface: 'PJSIP/1001', membername: '1001' });
    const waiting = await sim.placeInboundCall({ from: '13800138004', to: '12345', trunk: 'carrier' });
    await s.waitFor('QueueCallerJoin', (e) => fld(e, 'Uniqueid') === waiting);
    await s.action({ action: 'Originate', channel: 'Local/s@hotline-requeue', application: 'Wait', data: '30', variable: 'HOTLINE_QUEUE=q-qy', async: 'true', channelid: 'back-1', otherchannelid: 'back-2' });
    const join = await s.waitFor('QueueCallerJoin', (e) => fld(e, 'Uniqueid') === 'back-2');
    expect(fld(join, 'Position')).to.equal('1');
    expect(fld(join, 'Count')).to.equal('2');
    sim.hangup(waiting);
    sim.hangup('back-1');
  });
});
