import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { until } from '../support/until';
import { fileFacts, latestCallOf, RealHarness, skipWithoutAsterisk, startRealHarness } from './harness';
import { placeCall, stopAllSipp } from './sipp';

/**
 * Issue 11 against a real Asterisk 22: busy fallback (第二十条(二)) with keys 1 (link by SMS) and 2
 * (voice message → ticket draft), and a restricted caller (第三十三条). Nobody is logged in, so the
 * dialplan overflows (JOINEMPTY) and lands in the fallback menu.
 */
describe('real Asterisk: busy fallback and restricted callers', function () {
  this.timeout(180_000);
  let h: RealHarness;

  before(async function () {
    skipWithoutAsterisk(this);
    h = await startRealHarness();
  });
  afterEach(() => stopAllSipp());
  after(async () => {
    await h?.stop();
  });

  // welcome (~5.6 s) → JOINEMPTY twice → Read(busy-fallback): a key at 7 s, again at 9 s in case the
  // first one fell in the welcome (a second key is ignored by Playback/Record)
  const keys = (d: string) => [{ atMs: 7000, digits: d }, { atMs: 9000, digits: d }];
  const ended = (caller: string, timeoutMs = 30_000) =>
    until(async () => {
      const c = await latestCallOf(h, caller);
      return c?.state === 'ended' ? c : null;
    }, { timeoutMs, intervalMs: 100, what: `the call of ${caller} to end` });

  it('given nobody logged in, when a citizen presses 1, then the link goes by SMS, the caller is on the callback list, and the call records its queue and centre', async () => {
    const caller = await placeCall(h.ast, { from: '13900001111', dtmf: keys('1'), talkMs: 30_000 });
    expect(await caller.exited, caller.diagnostics()).to.equal(0);
    const call = await ended('13900001111');
    expect(call).to.include({ outcome: 'fallback-sms', fallback: 'sms' });
    const sms = await until(() => h.sms.sent.find((m) => m.to === '13900001111'), { timeoutMs: 10_000, what: 'the SMS' });
    expect(sms.body).to.contain('庆阳12345');
    const missed = await until(() => h.db.knex('missed_calls').where({ call_id: call.id }).first(), { what: 'the callback entry' });
    expect(missed).to.include({ reason: 'fallback-sms', status: 'pending' });
    // issue 11 (7): the centre's queue and centre are known from the dialplan even though the caller never entered it
    expect({ queue: call.queue, centre: call.centre }).to.deep.equal({ queue: 'q-qy', centre: 'QY' });
    expect(missed).to.include({ queue: 'q-qy', centre: 'QY' });
  });

  it('given caller A leaving a voice message (2) while caller B takes the SMS link (1), then A\'s ticket draft links A\'s final recording (size, duration, sha256 of the finished file)', async () => {
    const a = await placeCall(h.ast, { from: '13900002222', dtmf: keys('2'), talkMs: 30_000, line: 0 });
    // B arrives a few seconds later and hangs up while A is still recording: the outbox pass after B's call runs then
    await until(async () => (await h.ast.cli('core show channels concise')).includes('Record'), { timeoutMs: 20_000, intervalMs: 100, what: 'A recording a message' });
    const b = await placeCall(h.ast, { from: '13900003333', dtmf: keys('1'), talkMs: 30_000, line: 1 });
    expect(await b.exited, b.diagnostics()).to.equal(0);
    await ended('13900003333');
    expect(await a.exited, a.diagnostics()).to.equal(0);
    const call = await ended('13900002222');
    expect(call).to.include({ outcome: 'fallback-message', fallback: 'message' });
    await until(async () => /^0 active channels/m.test(await h.ast.cli('core show channels count')), { timeoutMs: 10_000, what: 'no channels left' });

    const ticketNo = await until(async () => (await h.db.knex('calls').where({ id: call.id }).first())?.ticket_no ?? null, { timeoutMs: 20_000, what: 'the ticket draft' });
    const message = await until(async () => {
      const r = await h.db.knex('recordings').where({ linkedid: call.linkedid, kind: 'message' }).first();
      return r?.state === 'collected' ? r : null;
    }, { timeoutMs: 20_000, what: 'the message recording collected' });
    const links = await h.db.knex('ticket_recordings').where({ ticket_no: ticketNo });
    expect(links.map((l: { recording_id: string }) => String(l.recording_id))).to.include(String(message.id));

    const file = path.join(h.ast.plan.spoolDir, 'monitor', 'hotline-messages', `${call.linkedid}.wav`);
    expect(fs.existsSync(file), `Record() wrote ${file}`).to.equal(true);
    const final = fileFacts(file);
    expect(final.durationSeconds, 'the message lasts until the caller hangs up').to.be.greaterThan(5);
    expect({ size: Number(message.size_bytes), sha256: message.sha256, duration: Number(message.duration_seconds) }).to.deep.equal({
      size: final.size,
      sha256: final.sha256,
      duration: Math.round(final.durationSeconds * 100) / 100,
    });
    expect(fileFacts(path.join(h.recordingsDir, message.path)).sha256).to.equal(final.sha256);
  });

  it('given a restricted caller (第三十三条), when they call, then Asterisk plays them the notice, they never queue, and the hit is logged', async () => {
    const supervisor = await h.t.userToken(['supervisor']);
    const add = await h.t.http('POST', '/api/restrictions', { token: supervisor, body: { number: '13900004444', reason: '一日内反复拨打并辱骂话务员', expiresAt: new Date(Date.now() + 3600_000).toISOString() } });
    expect(add.status, JSON.stringify(add.body)).to.equal(201);
    await until(async () => /13900004444/.test(await h.ast.cli('database show hotline-restricted')), { timeoutMs: 10_000, what: 'the AstDB restriction key' });

    const caller = await placeCall(h.ast, { from: '13900004444', talkMs: 30_000 });
    expect(await caller.exited, caller.diagnostics()).to.equal(0);
    const call = await ended('13900004444');
    expect(call).to.include({ outcome: 'restricted', restricted: true });
    expect(call.queue_entered_at).to.equal(null);
    const log = fs.readFileSync(path.join(h.ast.plan.logDir, 'messages.log'), 'utf8');
    expect(log).to.match(/Playing 'hotline\/restricted\.[a-z0-9]+' \(language 'zh'\)/);
    const queueLog = fs.readFileSync(path.join(h.ast.plan.logDir, 'queue_log'), 'utf8');
    expect(queueLog).not.to.contain(`|${call.linkedid}|`);
    const hits = await until(async () => (await h.t.http('GET', '/api/restrictions/hits', { token: supervisor })).body.filter((x: { linkedid: string }) => x.linkedid === call.linkedid), { what: 'the hit' });
    expect(hits[0].number).to.equal('13900004444');
  });

  it('given Record() cannot write the message (its directory is not a directory), when a caller presses 2, then they never hear "留言已收到" and no draft points at a missing file', async () => {
    const dir = path.join(h.ast.plan.spoolDir, 'monitor', 'hotline-messages');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.writeFileSync(dir, 'not a directory');
    const logFile = path.join(h.ast.plan.logDir, 'messages.log');
    const from = fs.statSync(logFile).size;
    try {
      const caller = await placeCall(h.ast, { from: '13900005555', dtmf: keys('2'), talkMs: 12_000 });
      expect(await caller.exited, caller.diagnostics()).to.equal(0);
      const call = await ended('13900005555');
      const log = fs.readFileSync(logFile, 'utf8').slice(from);
      expect(log, 'the caller reached Record()').to.match(/Record\(/);
      expect(log).not.to.match(/Playing 'hotline\/message-saved/);
      // whatever the service made of the call, nothing may point at a file that does not exist
      await until(async () => (await h.db.knex('recordings').where({ linkedid: call.linkedid }).whereIn('state', ['recording', 'finished'])).length === 0, { timeoutMs: 15_000, what: 'the service done with the message' });
      const ticketNo = (await h.db.knex('calls').where({ id: call.id }).first()).ticket_no;
      if (ticketNo) {
        const linked = await h.db.knex('ticket_recordings').join('recordings', 'recordings.id', 'ticket_recordings.recording_id').where({ ticket_no: ticketNo }).select('recordings.*');
        for (const r of linked) expect(r.path && fs.existsSync(path.join(h.recordingsDir, r.path)), `draft ${ticketNo} links ${r.name} (${r.state})`).to.equal(true);
      }
    } finally {
      fs.rmSync(dir, { force: true });
      fs.mkdirSync(dir, { recursive: true });
    }
  });
});
