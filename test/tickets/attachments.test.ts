import fs from 'node:fs';
import crypto from 'node:crypto';
import { expect } from 'chai';
import { startTickets, TicketsHarness } from './helpers';
import { DATABASE_KINDS } from '../support/service';

// A 1×1 PNG: what a unit's 现场照片 looks like to the service.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

for (const database of DATABASE_KINDS) {
  describe(`tickets: attachments (附件) uploaded, downloaded and audited [${database}]`, function () {
    this.timeout(60_000);
    let h: TicketsHarness;
    before(async () => {
      h = await startTickets({ at: '2026-11-27T09:30:00+08:00', database, env: { ATTACHMENT_MAX_MB: '1' } });
    });
    after(async () => h?.stop());

    const upload = (no: string, token: string, body: Buffer, contentType: string, fileName: string) =>
      fetch(`${h.t.baseUrl}/api/tickets/${no}/attachments?fileName=${encodeURIComponent(fileName)}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, body });
    const download = (no: string, id: number, token: string) => fetch(`${h.t.baseUrl}/api/tickets/${no}/attachments/${id}/file`, { headers: { authorization: `Bearer ${token}` } });
    const storedFiles = () => {
      const dir = h.t.service.ctx.config.attachmentsDir ?? `${h.t.service.ctx.config.dataDir}/attachments`;
      return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => /-[0-9a-f-]{36}/.test(f)) : [];
    };

    it('given a ticket dispatched to a unit, when the unit uploads a photo, then the bytes come back identical with their sha256, the detail lists it, and the download is audited', async () => {
      const c = await h.create({ callerPhone: '13600000004', content: '小区门口路灯损坏，附现场照片' });
      await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
      const r = await upload(c.no, h.tokens.zjj, PNG, 'image/png', '现场照片.png');
      const body = (await r.json()) as any;
      expect(r.status, JSON.stringify(body)).to.equal(201);
      expect(body).to.include({ fileName: '现场照片.png', contentType: 'image/png', sizeBytes: PNG.length, sha256: crypto.createHash('sha256').update(PNG).digest('hex') });

      const detail = await h.get(c.no);
      expect(detail.attachments).to.have.length(1);
      expect(detail.attachments[0]).to.not.have.property('storageKey');
      const got = await download(c.no, body.id, h.tokens.operator);
      expect(got.status).to.equal(200);
      expect(got.headers.get('content-disposition')).to.contain(encodeURIComponent('现场照片.png'));
      expect(Buffer.from(await got.arrayBuffer()).equals(PNG)).to.equal(true);
      const audits = await h.t.db.knex('audit_log').where({ action: 'ticket.attachment_read', target_id: c.no });
      expect(audits).to.have.length(1);
    });

    it('given another unit, when it uploads to or downloads from a ticket not dispatched to it, then it is 404 as if the ticket did not exist', async () => {
      const c = await h.create({ callerPhone: '13600000005', content: '另一单位不可见的工单' });
      await h.ok(c.no, 'dispatch', { mainUnit: 'QY-ZJJ' });
      const up = await upload(c.no, h.tokens.operator, PNG, 'image/png', 'a.png');
      const id = ((await up.json()) as any).id;
      expect((await upload(c.no, h.tokens.rsj, PNG, 'image/png', 'b.png')).status).to.equal(404);
      expect((await download(c.no, id, h.tokens.rsj)).status).to.equal(404);
      expect((await download(c.no, id, h.tokens.zjj)).status).to.equal(200);
    });

    it('given bad uploads (too large, bytes not matching the type, an unaccepted type, empty, a path as name), then each is refused in Chinese and no file or row is left', async () => {
      const c = await h.create({ callerPhone: '13600000006', content: '附件校验' });
      const before = storedFiles().length;
      const cases: Array<[Buffer, string, string, number, string]> = [
        [Buffer.alloc(1024 * 1024 + 1, 0x41), 'text/plain', 'big.txt', 413, 'attachment.too_large'],
        [Buffer.from('not a png at all'), 'image/png', 'fake.png', 415, 'attachment.type_mismatch'],
        [Buffer.from('MZ\x90\x00'), 'application/x-msdownload', 'virus.exe', 415, 'request.unsupported_media_type'],
        [Buffer.alloc(0), 'text/plain', 'empty.txt', 400, 'attachment.empty'],
        [Buffer.from('hello'), 'text/plain', '../', 400, 'attachment.bad_name'],
      ];
      for (const [bytes, type, name, status, id] of cases) {
        const r = await upload(c.no, h.tokens.operator, bytes, type, name);
        const b = (await r.json()) as any;
        expect(r.status, name).to.equal(status);
        expect(b.error.id, name).to.equal(id);
        expect(b.error.message, name).to.match(/[\u4e00-\u9fff]/);
      }
      expect((await h.get(c.no)).attachments).to.deep.equal([]);
      expect(storedFiles().length).to.equal(before);
      // A directory in the name is dropped, not followed.
      const ok = await upload(c.no, h.tokens.operator, Buffer.from('答复函正文'), 'text/plain', '../../etc/答复函.txt');
      expect(((await ok.json()) as any).fileName).to.equal('答复函.txt');
      // An ended ticket (撤单) takes no more files.
      await h.ok(c.no, 'withdraw', { reason: '诉求人来电撤回诉求' });
      const closed = await upload(c.no, h.tokens.operator, PNG, 'image/png', 'late.png');
      expect(closed.status).to.equal(409);
      expect(((await closed.json()) as any).error.id).to.equal('attachment.ticket_closed');
    });
  });
}
