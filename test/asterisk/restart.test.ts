import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { until } from '../support/until';
import { channels, loginOperator, operatorState, queueLog, RealHarness, recordingMismatches, skipWithoutAsterisk, startRealHarness } from './harness';
import { placeCall, registerPhone, stopAllSipp } from './sipp';

/**
 * Issue 11 (2) against a real Asterisk 22: the service stopped and started again around calls. Asterisk
 * keeps answering and recording (dialplan/ fails open); after the restart every call of the downtime
 * must be in the service with Asterisk's own times (queue_log) and its recording collected.
 */
describe('real Asterisk: the service stopped and restarted around calls', function () {
  this.timeout(240_000);
  let h: RealHarness;
  let token: string;

  before(async function () {
    skipWithoutAsterisk(this);
    h = await startRealHarness();
    await registerPhone(h.ast, '1001', { answerMs: 300 });
    token = await loginOperator(h, '1001');
  });
  beforeEach(async () => {
    // the operator is ready (not in wrap-up) when the service goes down: the downtime calls can reach them
    await until(async () => (await channels(h)).length === 0 && (await operatorState(h, token)) === 'ready', { timeoutMs: 30_000, what: 'no call left and the operator ready' });
  });
  afterEach(async () => {
    await h.ast.cli('channel request hangup all').catch(() => undefined);
  });
  after(async () => {
    await stopAllSipp();
    await h?.stop();
  });

  /** The linkedid of the call Asterisk is recording now (MixMonitor names the file by it). */
  async function recordingLinkedid(before: Set<string>): Promise<string> {
    return until(() => fs.readdirSync(path.join(h.ast.plan.spoolDir, 'monitor')).filter((f) => f.endsWith('.wav') && !before.has(f)).map((f) => f.replace(/\.wav$/, ''))[0], { timeoutMs: 15_000, what: 'a new recording in the spool' });
  }
  const spoolFiles = () => new Set(fs.readdirSync(path.join(h.ast.plan.spoolDir, 'monitor')));
  const connected = (linkedid: string) => until(() => queueLog(h, linkedid).find((e) => e.event === 'CONNECT'), { timeoutMs: 20_000, intervalMs: 100, what: 'Asterisk to connect the call' });
  const completed = (linkedid: string) =>
    until(() => queueLog(h, linkedid).find((e) => e.event.startsWith('COMPLETE')), { timeoutMs: 30_000, intervalMs: 100, what: 'Asterisk to complete the call' }).catch(async (e) => {
      throw new Error(`${e.message}: queue_log of the call ${JSON.stringify(queueLog(h, linkedid))}; ${await h.ast.cli('queue show q-qy')}`);
    });
  const secs = (d: Date | string | null) => (d ? new Date(d).getTime() / 1000 : NaN);

  /** The call row against Asterisk's queue_log: answered, wait and end as Asterisk saw them. */
  async function expectAsterisksTimes(linkedid: string) {
    const call = await until(async () => {
      const c = await h.db.knex('calls').where({ linkedid }).first();
      return c?.state === 'ended' ? c : null;
    }, { timeoutMs: 30_000, what: `call ${linkedid} in the service, ended` });
    const connect = queueLog(h, linkedid).find((e) => e.event === 'CONNECT')!;
    const complete = queueLog(h, linkedid).find((e) => e.event.startsWith('COMPLETE'))!;
    const facts = {
      operator: call.operator_interface,
      waitSeconds: call.wait_seconds,
      answeredOff: Math.abs(secs(call.answered_at) - connect.at) <= 2,
      endedOff: Math.abs(secs(call.ended_at) - complete.at) <= 2,
    };
    expect(facts, `call ${JSON.stringify(call)}`).to.deep.equal({ operator: 'PJSIP/1001', waitSeconds: Number(connect.data[0]), answeredOff: true, endedOff: true });
    await until(async () => (await h.db.knex('recordings').where({ call_id: call.id, kind: 'call', state: 'collected' })).length > 0, { timeoutMs: 20_000, what: 'its recording collected' }).catch(() => undefined);
    expect(await recordingMismatches(h, Number(call.id))).to.deep.equal([]);
    const rows = await h.db.knex('recordings').where({ call_id: call.id, kind: 'call' });
    expect(rows.length, `one recording row per file, not: ${rows.map((r: { name: string; state: string }) => `${r.name} (${r.state})`).join('; ')}`).to.equal(1);
    return call;
  }

  it('given a call answered with the service up, when the service is stopped and the caller hangs up during the downtime, then after the restart the call is ended with Asterisk\'s times and its recording', async () => {
    const before = spoolFiles();
    const caller = await placeCall(h.ast, { from: '13800138301', talkMs: 14_000 });
    const linkedid = await recordingLinkedid(before);
    await connected(linkedid);
    await until(async () => (await h.db.knex('calls').where({ linkedid }).first())?.state === 'answered', { timeoutMs: 10_000, what: 'answered in the service' });
    await h.stopService();
    expect(await caller.exited, caller.diagnostics()).to.equal(0);
    await completed(linkedid);
    await until(async () => (await channels(h)).length === 0, { timeoutMs: 10_000, what: 'the call gone from Asterisk' });
    await h.startService();
    await expectAsterisksTimes(linkedid);
  });

  it('given the service stopped, when a whole call begins and ends during the downtime, then after the restart it is in the service with Asterisk\'s times and its recording', async () => {
    await h.stopService();
    const before = spoolFiles();
    const caller = await placeCall(h.ast, { from: '13800138302', talkMs: 12_000 });
    const linkedid = await recordingLinkedid(before);
    expect(await caller.exited, caller.diagnostics()).to.equal(0);
    await completed(linkedid);
    await until(async () => (await channels(h)).length === 0, { timeoutMs: 10_000, what: 'the call gone from Asterisk' });
    await h.startService();
    await expectAsterisksTimes(linkedid);
    expect(await operatorState(h, token)).to.be.oneOf(['ready', 'wrapup']);
  });

  it('given the service stopped, when a call begins during the downtime and ends after the restart, then its wait is Asterisk\'s and its recording is collected', async () => {
    await h.stopService();
    const before = spoolFiles();
    const caller = await placeCall(h.ast, { from: '13800138303', talkMs: 25_000 });
    const linkedid = await recordingLinkedid(before);
    await connected(linkedid);
    await h.startService();
    expect(await caller.exited, caller.diagnostics()).to.equal(0);
    await completed(linkedid);
    await expectAsterisksTimes(linkedid);
  });
});
