import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startCallHarness, CallHarness } from './harness';
import { until } from '../support/until';
import { parseQueueLog } from '../../src/calls/downtime';
import { peersOf, readyOperator } from './transfer-support';
import { DATABASE_KINDS } from '../support/service';

const sha = (buf: Buffer) => crypto.createHash('sha256').update(buf).digest('hex');

/**
 * Issue 11 §2: calls that start while the service is down. Asterisk keeps answering (the dialplan
 * fails open); after the restart the service rebuilds them from what Asterisk itself keeps — its
 * queue_log and the spool (recordings named by linkedid) — with Asterisk's own times.
 */
for (const database of DATABASE_KINDS) {
  describe(`calls from while the service was down (issue 11 §2) [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;

    before(async () => {
      h = await startCallHarness({ database });
      await readyOperator(h);
    });
    after(async () => {
      await h?.stop();
    });

    const queueLog = (linkedid: string) => parseQueueLog(fs.readFileSync(h.sim.queueLogPath, 'utf8')).filter((l) => l.callid === linkedid);

    it('given the service stopped, when a call is queued, answered and ended meanwhile, then after the restart it has a call row and its recording with Asterisk’s times', async () => {
      await h.stopService();
      const id = await h.sim.placeInboundCall({ from: '13600006001', to: '12345', trunk: 'carrier' });
      await until(() => peersOf(h, id).some((c) => c.name.startsWith('PJSIP/1001-')), { timeoutMs: 10_000, what: 'answered while the service is down' });
      await until(() => fs.statSync(path.join(h.sim.spoolDir, 'monitor', `${id}.wav`)).size > 44 + 8000, { what: 'some conversation' });
      h.sim.hangup(id);
      await until(() => queueLog(id).some((l) => l.event.startsWith('COMPLETE')), { what: 'queue_log complete' });
      const lines = queueLog(id);
      await h.startService();

      const call = await until(async () => { const c = await h.db.knex('calls').where({ linkedid: id }).first(); return c?.state === 'ended' ? c : null; }, { timeoutMs: 10_000, what: 'the call row' });
      const enter = lines.find((l) => l.event === 'ENTERQUEUE')!;
      const connect = lines.find((l) => l.event === 'CONNECT')!;
      expect(call).to.include({ outcome: 'answered', caller_number: '13600006001', queue: 'q-qy', centre: 'QY', reconciled: true });
      expect(new Date(call.queue_entered_at).getTime()).to.equal(enter.at);
      expect(new Date(call.answered_at).getTime()).to.equal(connect.at);
      expect(call.wait_seconds).to.equal(Number(connect.data[0]));
      expect(new Date(call.started_at).getTime()).to.be.at.most(enter.at);
      const rec = await until(async () => { const r = await h.db.knex('recordings').where({ linkedid: id, kind: 'call' }).first(); return r?.state === 'collected' ? r : null; }, { timeoutMs: 15_000, what: 'the recording collected' });
      const final = fs.readFileSync(path.join(h.sim.spoolDir, 'monitor', `${id}.wav`));
      expect(Number(rec.size_bytes)).to.equal(final.length);
      expect(rec.sha256).to.equal(sha(final));
      expect(Number(rec.call_id)).to.equal(Number(call.id));
      // A second resync (another restart) changes nothing.
      await h.restart();
      expect(await h.db.knex('calls').where({ linkedid: id }).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);
      expect(await h.db.knex('call_transitions').where({ call_id: call.id, event: 'answered' }).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);
    });

    it('given an answered call, when the service is stopped and the caller hangs up meanwhile, then after a later restart its end and talk time are Asterisk’s (queue_log), not the resync time', async () => {
      const id = await h.sim.placeInboundCall({ from: '13600006003', to: '12345', trunk: 'carrier' });
      await until(async () => (await h.db.knex('calls').where({ linkedid: id }).first())?.state === 'answered', { timeoutMs: 20_000, what: 'answered with the service up' });
      await h.stopService();
      await until(() => Date.now() - queueLog(id).find((l) => l.event === 'CONNECT')!.at >= 1500, { timeoutMs: 5000, what: 'some talk' });
      h.sim.hangup(id);
      const complete = await until(() => queueLog(id).find((l) => l.event.startsWith('COMPLETE')), { what: 'queue_log complete' });
      // The service comes back a while after the hangup: an end taken from the resync would be later.
      await until(() => Date.now() - complete.at >= 2500, { timeoutMs: 5000, what: 'time passing before the restart' });
      await h.startService();
      await h.calls.idle(); // the post-resync work (reconciliation from queue_log and the spool) is done
      const call = await until(async () => { const c = await h.db.knex('calls').where({ linkedid: id }).first(); return c?.state === 'ended' && c.talk_seconds !== null ? c : null; }, { timeoutMs: 10_000, what: 'the call ended with its talk time' });
      expect({ endedAt: new Date(call.ended_at).getTime(), talkSeconds: call.talk_seconds, reconciled: call.reconciled }).to.deep.equal({ endedAt: complete.at, talkSeconds: Number(complete.data[1]), reconciled: true });
      const end = await h.db.knex('call_transitions').where({ call_id: call.id, event: 'reconciled_gone' }).first();
      expect(new Date(end.at).getTime()).to.equal(complete.at);
    });

    it('given the service stopped, when a call is answered meanwhile and ends after the restart, then its wait is Asterisk’s hold time (not the resync time) and its recording is collected', async () => {
      await h.stopService();
      const id = await h.sim.placeInboundCall({ from: '13600006002', to: '12345', trunk: 'carrier' });
      await until(() => queueLog(id).some((l) => l.event === 'CONNECT'), { timeoutMs: 10_000, what: 'answered while the service is down' });
      const connect = queueLog(id).find((l) => l.event === 'CONNECT')!;
      const enter = queueLog(id).find((l) => l.event === 'ENTERQUEUE')!;
      // The service comes back a while after the answer: a wait measured from the resync would be longer.
      await until(() => Date.now() - connect.at >= 2500, { timeoutMs: 5000, what: 'time passing before the restart' });
      await h.startService();
      await until(async () => (await h.db.knex('calls').where({ linkedid: id }).first())?.answered_at, { timeoutMs: 10_000, what: 'the live call reconciled' });
      await h.calls.idle(); // the post-resync work (reconciliation from queue_log and the spool) is done
      h.sim.hangup(id);
      const call = await until(async () => { const c = await h.db.knex('calls').where({ linkedid: id }).first(); return c?.state === 'ended' ? c : null; }, { timeoutMs: 10_000, what: 'the call ended' });
      expect(call.wait_seconds).to.equal(Number(connect.data[0]));
      expect(new Date(call.queue_entered_at).getTime()).to.equal(enter.at);
      expect(new Date(call.answered_at).getTime()).to.equal(connect.at);
      const rec = await until(async () => { const r = await h.db.knex('recordings').where({ linkedid: id, kind: 'call' }).first(); return r?.state === 'collected' ? r : null; }, { timeoutMs: 15_000, what: 'the recording collected' });
      const final = fs.readFileSync(path.join(h.sim.spoolDir, 'monitor', `${id}.wav`));
      expect(Number(rec.size_bytes)).to.equal(final.length);
      expect(rec.sha256).to.equal(sha(final));
    });
  });
}
