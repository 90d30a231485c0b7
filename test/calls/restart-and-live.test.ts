import fs from 'node:fs';
import { DATABASE_KINDS } from '../support/service';
import { expect } from 'chai';
import WebSocket from 'ws';
import { startCallHarness, CallHarness } from './harness';
import { until } from '../support/until';
import { readyOperator } from './transfer-support';

for (const database of DATABASE_KINDS) {
  describe(`call records across a service restart, and the live queue feed [${database}]`, function () {
    this.timeout(90_000);
    let h: CallHarness;

    before(async () => {
      h = await startCallHarness({ database });
      await readyOperator(h);
    });
    after(async () => {
      await h?.stop();
    });

    const callOf = (linkedid: string) => h.db.knex('calls').where({ linkedid }).first();

    it('given an answered call, when the service is stopped, the caller hangs up meanwhile, and the service starts again, then the record is complete and nothing is duplicated', async () => {
      const id = await h.sim.placeInboundCall({ from: '13800001234', to: '12345', trunk: 'carrier' });
      await until(async () => (await callOf(id))?.state === 'answered', { timeoutMs: 10_000, what: 'answered' });
      await h.stopService();
      // Asterisk carries the call on without us (fail open), then the citizen hangs up.
      expect(h.sim.channels().some((c) => c.id === id)).to.equal(true);
      h.sim.hangup(id);
      await until(() => !h.sim.channels().some((c) => c.id === id), { what: 'the call to end in Asterisk' });
      const started = Date.now();
      await h.startService();
      const call = await until(async () => {
        const c = await callOf(id);
        return c?.state === 'ended' ? c : null;
      }, { timeoutMs: 5_000, what: 'the reconciled end' });
      expect(Date.now() - started, 'resynced within 5 s').to.be.lessThan(5_000 + 2_000);
      expect(call).to.include({ outcome: 'answered', reconciled: true });
      expect(await h.db.knex('calls').where({ linkedid: id }).count({ n: '*' }).first().then((r) => Number(r?.n))).to.equal(1);
      const events = await h.db.knex('call_transitions').where({ call_id: call.id }).orderBy('id').pluck('event');
      expect(events.filter((e: string) => e === 'answered')).to.have.length(1);
      expect(events[events.length - 1]).to.equal('reconciled_gone');
    });

    it('given a call in progress across a restart, when the caller hangs up after the restart, then the live hangup completes it once', async () => {
      const id = await h.sim.placeInboundCall({ from: '13800005678', to: '12345', trunk: 'carrier' });
      // queues.conf gives every operator 10 s of wrap-up (话后处理) after the previous call.
      await until(async () => (await callOf(id))?.state === 'answered', { timeoutMs: 20_000, what: 'answered' });
      await h.restart();
      expect((await callOf(id)).state).to.equal('answered');
      // The operator is still on the call after the restart (rebuilt from Redis and Asterisk).
      const op = await h.t.userToken(['supervisor']);
      await until(async () => (await h.t.http('GET', '/api/operators', { token: op })).body[0]?.state === 'on_call', { what: 'the operator on the call' });
      h.sim.hangup(id);
      const call = await until(async () => {
        const c = await callOf(id);
        return c?.state === 'ended' ? c : null;
      }, { timeoutMs: 10_000, what: 'the end' });
      expect(call).to.include({ outcome: 'answered', reconciled: false });
      const legs = await h.db.knex('call_legs').where({ call_id: call.id });
      expect(new Set(legs.map((l: { channel_id: string }) => l.channel_id)).size).to.equal(legs.length);
      expect(await h.db.knex('call_transitions').where({ call_id: call.id }).orderBy('id').pluck('event')).to.deep.equal(['queue_joined', 'queue_left', 'answered', 'hangup']);
    });

    it('given a supervisor on the live feed, when a caller waits and is answered, then the caller appears, waits, is answered, and the counters move', async () => {
      h.sim.setEndpointBehaviour('1001', { answerAfterMs: 600 });
      const sup = await h.t.userToken(['supervisor']);
      const ws = new WebSocket(`ws://127.0.0.1:${h.t.service.port}/ws?token=${sup}`);
      const frames: any[] = [];
      ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
      await until(() => frames.some((f) => f.type === 'hello'));
      ws.send(JSON.stringify({ type: 'subscribe', topic: 'queues' }));
      const snap = await until(() => frames.find((f) => f.type === 'snapshot'));
      const before = snap.data.queues.find((q: { queue: string }) => q.queue === 'q-qy')?.counters ?? { offered: 0, answered: 0 };
      const id = await h.sim.placeInboundCall({ from: '13800009999', to: '12345', trunk: 'carrier' });
      const joined = await until(() => frames.find((f) => f.type === 'event' && f.data.kind === 'caller_joined' && f.data.channelId === id));
      expect(joined.data.caller).to.include({ channelId: id, caller: '138****9999' });
      expect(joined.data.stats.waitingCount).to.equal(1);
      expect(joined.data.stats.longestWaitSince).to.equal(joined.data.caller.since);
      const answered = await until(() => frames.find((f) => f.type === 'event' && f.data.kind === 'answered' && f.data.channelId === id));
      expect(answered.data.stats.waitingCount).to.equal(0);
      expect(answered.data.stats.counters.offered).to.equal(before.offered + 1);
      expect(answered.data.stats.counters.answered).to.equal(before.answered + 1);
      expect(answered.data.stats.serviceLevel).to.be.a('number');
      // A late joiner's snapshot agrees with the deltas.
      const snapshot = await until(async () => {
        const r = await h.t.http('GET', '/api/live/queues', { token: sup });
        const q = r.body.queues.find((x: { queue: string }) => x.queue === 'q-qy');
        return q && q.counters.answered === before.answered + 1 ? q : null;
      }, { what: 'the stored snapshot' });
      expect(snapshot.waiting).to.deep.equal([]);
      // The operator's own state arrives on the same feed (published once the member change is applied).
      await until(() => frames.some((f) => f.type === 'event' && f.data.kind === 'operator' && f.data.operator.state === 'on_call'), { what: 'the operator on_call frame' });
      h.sim.hangup(id);
      await until(() => frames.find((f) => f.type === 'event' && f.data.kind === 'completed'));
      ws.close();
    });

    it('given a busy mark a previous leader left in AstDB (第二十条(二)), when the service starts again with the operator free, then the mark is removed and the next caller queues and is answered', async () => {
      await h.stopService();
      // As a leader stopped mid-surge leaves it: q-qy busy for 30 s more; the dialplan would send every caller to the fallback.
      h.sim.context.astdb.set('hotline-busy/q-qy', String(Math.floor(Date.now() / 1000) + 30));
      await h.startService();
      await until(() => !h.sim.context.astdb.has('hotline-busy/q-qy'), { timeoutMs: 5_000, what: 'the stale busy mark removed' });
      const id = await h.sim.placeInboundCall({ from: '13800007777', to: '12345', trunk: 'carrier' });
      // Up to queues.conf's 10 s wrap-up after the previous call.
      const call = await until(async () => {
        const c = await callOf(id);
        return c?.state === 'answered' ? c : null;
      }, { timeoutMs: 20_000, what: 'answered, not sent to the fallback' });
      expect(call.fallback).to.equal('none');
      h.sim.hangup(id);
      await until(async () => (await callOf(id))?.state === 'ended', { what: 'the end' });
    });
  });

  describe(`fail open: Asterisk keeps answering and recording while the service is stopped [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;

    before(async () => {
      h = await startCallHarness({ database });
      await readyOperator(h);
    });
    after(async () => {
      await h?.stop();
    });

    it('given the service stopped, when a citizen calls, then the call is queued, answered and recorded by Asterisk alone, and recorded by the service once it is back', async () => {
      await h.stopService();
      const id = await h.sim.placeInboundCall({ from: '13500006666', to: '12345', trunk: 'carrier' });
      // The operator's phone rings and answers: the caller is bridged to PJSIP/1001 with nobody steering.
      await until(() => {
        const caller = h.sim.channels().find((c) => c.id === id);
        return caller?.bridgeId && h.sim.channels().some((c) => c.name.startsWith('PJSIP/1001-') && c.bridgeId === caller.bridgeId);
      }, { timeoutMs: 10_000, what: 'the call answered without the service' });
      await h.startService();
      // Back: the resync reports the live call, the service writes it, and the end comes live.
      const answered = await until(async () => {
        const c = await h.db.knex('calls').where({ linkedid: id }).first();
        return c?.caller_channel_id === id ? c : null;
      }, { timeoutMs: 5_000, what: 'the resynced call record' });
      expect(answered.state).to.not.equal('ended');
      h.sim.hangup(id);
      const ended = await until(async () => {
        const c = await h.db.knex('calls').where({ linkedid: id }).first();
        return c?.state === 'ended' ? c : null;
      }, { timeoutMs: 10_000, what: 'the end' });
      // Reconstructed from Asterisk's channel list: queued in the city queue, answered by 1001, marked reconciled.
      expect(ended).to.include({ caller_number: '13500006666', queue: 'q-qy', centre: 'QY', operator_interface: 'PJSIP/1001', outcome: 'answered', reconciled: true });
      const file = `${h.sim.spoolDir}/monitor/${id}.wav`;
      await until(() => fs.existsSync(file), { what: 'the MixMonitor file written by Asterisk' });
      expect(fs.statSync(file).size).to.be.greaterThan(44);
    });
  });
}
