import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { startCallHarness, CallHarness } from './harness';
import { until } from '../support/until';
import { AmiEvent } from '../../src/simulator/core/pbx';
import { DATABASE_KINDS } from '../support/service';

const sha = (buf: Buffer) => crypto.createHash('sha256').update(buf).digest('hex');

/**
 * Issue 11 §1: Asterisk creates a recording's WAV at once and writes its sizes only when it closes
 * it. No recording (call MixMonitor, voice message) may be copied, hashed or timed before that, and a
 * failed Record() must neither promise "留言已收到" nor leave a draft pointing at nothing.
 */
for (const database of DATABASE_KINDS) {
  describe(`recordings are collected only once Asterisk has finished them (issue 11 §1) [${database}]`, function () {
    this.timeout(60_000);
    let h: CallHarness;
    const apps: Array<{ id: string; app: string; data: string }> = [];
    const onAmi = (e: AmiEvent) => {
      if (e.name !== 'Newexten') return;
      const f = Object.fromEntries(e.fields);
      apps.push({ id: f.Uniqueid, app: f.Application, data: f.AppData });
    };

    before(async () => {
      h = await startCallHarness({ database });
      h.sim.registerEndpoint('1001');
      const op = await h.t.userToken(['operator'], { username: 'op1001', extension: 'PJSIP/1001', centre: 'QY' });
      expect((await h.t.http('POST', '/api/operators/me/login', { token: op, body: {} })).status).to.equal(200);
      // Nobody takes calls: every caller hears the busy fallback (第二十条(二)).
      expect((await h.t.http('POST', '/api/operators/me/pause', { token: op, body: { reason: 'meeting' } })).status).to.equal(200);
      h.sim.context.pbx.on('ami', onAmi);
    });
    after(async () => {
      h?.sim.context.pbx.off('ami', onAmi);
      await h?.stop();
    });

    const messageFile = (id: string) => path.join(h.sim.spoolDir, 'monitor', 'hotline-messages', `${id}.wav`);
    const inApp = (id: string, app: string) => until(() => h.sim.channels().find((c) => c.id === id && c.app === app), { timeoutMs: 10_000, what: `${app} on ${id}` });

    it('given caller A recording a message, when caller B presses 1 and the outbox is drained meanwhile, then A’s message is left alone and later stored with the final file’s size, duration and sha256', async () => {
      const a = await h.sim.placeInboundCall({ from: '13900007001', to: '12345', trunk: 'carrier' });
      await inApp(a, 'Read');
      h.sim.sendDtmf(a, '2');
      await inApp(a, 'Record');
      // Like Asterisk, the file exists from the start, with a header that still says 0 bytes.
      const early = await until(() => (fs.existsSync(messageFile(a)) && fs.statSync(messageFile(a)).size > 44 ? fs.readFileSync(messageFile(a)) : null), { what: 'the message file growing' });
      expect(early.readUInt32LE(40), 'data size in the header while recording').to.equal(0);

      const b = await h.sim.placeInboundCall({ from: '13900007002', to: '12345', trunk: 'carrier' });
      await inApp(b, 'Read');
      h.sim.sendDtmf(b, '1');
      await until(() => h.sms.sent.some((m) => m.to === '13900007002'), { timeoutMs: 10_000, what: 'B’s SMS' });
      await h.calls.outbox.drain('qy');
      await h.calls.idle();
      expect(await h.db.knex('recordings').where({ linkedid: a, kind: 'message' }).whereIn('state', ['collected', 'missing']).first()).to.equal(undefined);
      expect((await h.db.knex('calls').where({ linkedid: a }).first()).ticket_no).to.equal(null);
      expect(Object.keys(await h.calls.pbx.dbList('qy', 'hotline-outbox'))).to.not.include(`message-${a}`);

      await until(() => fs.statSync(messageFile(a)).size > early.length + 1600, { what: 'more of the message' });
      h.sim.hangup(a); // A finishes speaking and hangs up: Record() closes the file, then the h extension queues it
      const ticketNo = await until(async () => (await h.db.knex('calls').where({ linkedid: a }).first())?.ticket_no ?? null, { timeoutMs: 15_000, what: 'the ticket draft' });
      const rec = await h.db.knex('recordings').where({ linkedid: a, kind: 'message' }).first();
      expect(rec.state).to.equal('collected');
      const final = fs.readFileSync(messageFile(a));
      expect(final.readUInt32LE(40)).to.equal(final.length - 44);
      expect(Number(rec.size_bytes)).to.equal(final.length);
      expect(rec.sha256).to.equal(sha(final));
      expect(Number(rec.duration_seconds)).to.be.closeTo((final.length - 44) / 16000, 0.01);
      expect(Number(rec.duration_seconds)).to.be.greaterThan(0);
      expect(sha(fs.readFileSync(path.join(h.recordingsDir, rec.path)))).to.equal(sha(final));
      const links = await h.db.knex('ticket_recordings').where({ ticket_no: ticketNo });
      expect(links.map((l: { recording_id: string }) => l.recording_id)).to.include(String(rec.id));
    });

    it('given an answered call recorded by MixMonitor, when the caller hangs up, then the stored recording is the closed file (its size, duration and hash)', async () => {
      h.sim.registerEndpoint('1002');
      h.sim.setEndpointBehaviour('1002', { answerAfterMs: 20 });
      const op2 = await h.t.userToken(['operator'], { username: 'op1002', extension: 'PJSIP/1002', centre: 'QY' });
      expect((await h.t.http('POST', '/api/operators/me/login', { token: op2, body: {} })).status).to.equal(200);
      // The busy mark left while everybody was paused is lifted once someone takes calls again.
      await until(async () => !(await h.calls.pbx.dbList('qy', 'hotline-busy'))['q-qy'], { what: 'no busy mark on q-qy' });
      const id = await h.sim.placeInboundCall({ from: '13900007003', to: '12345', trunk: 'carrier' });
      await until(async () => (await h.db.knex('calls').where({ linkedid: id }).first())?.state === 'answered', { timeoutMs: 10_000, what: 'answered' });
      const file = path.join(h.sim.spoolDir, 'monitor', `${id}.wav`);
      const during = await until(() => (fs.existsSync(file) && fs.statSync(file).size > 44 ? fs.readFileSync(file) : null), { what: 'the call recording growing' });
      expect(during.readUInt32LE(4), 'RIFF size while recording').to.equal(0);
      h.sim.hangup(id);
      try {
        const rec = await until(async () => { const r = await h.db.knex('recordings').where({ linkedid: id, kind: 'call' }).first(); return r?.state === 'collected' ? r : null; }, { timeoutMs: 15_000, what: 'recording collected' });
        const final = fs.readFileSync(file);
        expect(Number(rec.size_bytes)).to.equal(final.length);
        expect(rec.sha256).to.equal(sha(final));
        expect(Number(rec.duration_seconds)).to.be.closeTo((final.length - 44) / 16000, 0.01);
      } finally {
        await until(async () => (await h.t.http('POST', '/api/operators/me/logout', { token: op2 })).status === 200, { what: '1002 logged out' });
      }
    });

    it('given Record() cannot create its file (RECORD_STATUS=ERROR), when a caller presses 2, then they never hear "留言已收到", no draft is made, and they are on the callback list', async () => {
      const dir = path.join(h.sim.spoolDir, 'monitor', 'hotline-messages');
      fs.rmSync(dir, { recursive: true, force: true });
      fs.writeFileSync(dir, ''); // a file where the directory should be: Asterisk cannot create the message
      try {
        const id = await h.sim.placeInboundCall({ from: '13900007004', to: '12345', trunk: 'carrier' });
        await inApp(id, 'Read');
        h.sim.sendDtmf(id, '2');
        const call = await until(async () => { const c = await h.db.knex('calls').where({ linkedid: id }).first(); return c?.state === 'ended' ? c : null; }, { timeoutMs: 10_000, what: 'the call to end' });
        const played = apps.filter((x) => x.id === id && x.app === 'Playback').map((x) => x.data);
        expect(played).to.include('hotline/message-failed');
        expect(played).to.not.include('hotline/message-saved');
        await h.calls.idle();
        expect(Object.keys(await h.calls.pbx.dbList('qy', 'hotline-outbox'))).to.not.include(`message-${id}`);
        expect(call.ticket_no).to.equal(null);
        expect(call.outcome).to.equal('fallback');
        expect(await h.db.knex('missed_calls').where({ call_id: call.id }).first()).to.include({ status: 'pending' });
      } finally {
        fs.rmSync(dir, { force: true });
      }
    });

    it('given Asterisk’s `beep` sound is missing, when a caller presses 2, then Record() records nothing and the caller is not told the message was saved', async () => {
      h.sim.context.missingSounds.add('beep');
      try {
        const id = await h.sim.placeInboundCall({ from: '13900007005', to: '12345', trunk: 'carrier' });
        await inApp(id, 'Read');
        h.sim.sendDtmf(id, '2');
        const call = await until(async () => { const c = await h.db.knex('calls').where({ linkedid: id }).first(); return c?.state === 'ended' ? c : null; }, { timeoutMs: 10_000, what: 'the call to end' });
        const played = apps.filter((x) => x.id === id && x.app === 'Playback').map((x) => x.data);
        expect(played).to.not.include('hotline/message-saved');
        expect(fs.existsSync(messageFile(id))).to.equal(false);
        await h.calls.idle();
        expect(call.ticket_no).to.equal(null);
        expect(await h.db.knex('recordings').where({ linkedid: id, kind: 'message' }).first()).to.equal(undefined);
      } finally {
        h.sim.context.missingSounds.delete('beep');
      }
    });

    it('given the outbox names a message whose file does not exist, when it is drained, then no draft points at a missing file and the entry is cleared', async () => {
      const id = 'gone-0001';
      await h.calls.pbx.dbPut('qy', 'hotline-outbox', `message-${id}`, '13900007006');
      await h.calls.outbox.drain('qy');
      const rec = await h.db.knex('recordings').where({ linkedid: id }).first();
      expect(rec.state).to.equal('missing');
      expect(await h.db.knex('fallback_drafts').where({ linkedid: id }).first()).to.equal(undefined);
      expect(await h.db.knex('tickets').where({ caller_phone: '13900007006' }).first()).to.equal(undefined);
      expect(Object.keys(await h.calls.pbx.dbList('qy', 'hotline-outbox'))).to.not.include(`message-${id}`);
    });
  });
}
