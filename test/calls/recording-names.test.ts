import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { RecordingCollector } from '../../src/calls/recordings';
import { silentLogger } from '../../src/logging/logger';
import { createTestDatabase, TestDatabase } from '../support/db';

/** A closed WAV (sizes in its header, as Asterisk writes them on close): `ms` of 8 kHz 16-bit silence. */
function closedWav(ms: number): Buffer {
  const data = Buffer.alloc(16 * ms);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + data.length, 4); h.write('WAVE', 8); h.write('fmt ', 12);
  h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22); h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34); h.write('data', 36); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/**
 * One recording row per file. A real Asterisk reports a MixMonitor file by its absolute path below its
 * own spool; after a restart the spool scan (downtime reconciliation) names the same file
 * `/var/spool/asterisk/monitor/…`. Both must land on one row, collected once.
 */
describe('recordings: one row per file, whichever name Asterisk or the spool scan gives it', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let root: string;
  let spool: string;
  let c: RecordingCollector;

  before(async () => {
    db = await createTestDatabase();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hotline-recnames-'));
    spool = path.join(root, 'spool');
    fs.mkdirSync(path.join(spool, 'monitor'), { recursive: true });
    c = new RecordingCollector(db.knex, path.join(root, 'recordings'), [{ serverId: 'qy', spoolDir: spool }], silentLogger(), [50]);
  });
  after(async () => {
    await db?.destroy();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('given MixMonitor reported a call file by its absolute spool path, when the spool scan after a restart finds the same file, then there is one row, collected with the final file', async () => {
    const linkedid = '1795000001.7';
    const file = path.join(spool, 'monitor', `${linkedid}.wav`);
    const bytes = closedWav(500);
    fs.writeFileSync(file, bytes);
    await c.started({ serverId: 'qy', file, linkedid, kind: 'call', at: new Date() });
    await c.started({ serverId: 'qy', file: `/var/spool/asterisk/monitor/${linkedid}.wav`, linkedid, kind: 'call', at: new Date() });
    await c.finished('qy', file, new Date());
    await c.idle();

    const rows = await db.knex('recordings').where({ linkedid });
    expect(rows.map((r: { name: string; state: string; sha256: string }) => ({ name: r.name, state: r.state, sha256: r.sha256 }))).to.deep.equal([
      { name: `/var/spool/asterisk/monitor/${linkedid}.wav`, state: 'collected', sha256: crypto.createHash('sha256').update(bytes).digest('hex') },
    ]);
  });
});
